#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-usage.sh -- bench refuses a bad flag with exit 2, a message naming
# it and the usage, before it makes any store or measures anything
. "$(dirname "$0")/common.sh"

# bad VALUE -- bench with that option is exit 2 and says what was wrong
bad()
{
	expect_rc 2 bench --floor_buffer=4M --num=10 "$1"
	expect_err "$2"
	expect_err "usage: pmkv-cli bench"
	[ ! -s "$OUT" ] || fail "$1: printed on stdout: $(head -c 200 "$OUT")"
}

bad --engine=nosuch "unknown engine 'nosuch'"
bad --engine= "--engine names none"
bad --engine=pmkv,pmkv "engine 'pmkv' named twice"
bad --distribution=nosuch "bad --distribution 'nosuch'"
bad --distribution= "bad --distribution ''"
bad --seek_nexts=-1 "bad --seek_nexts '-1'"
bad --seek_nexts=ten "bad --seek_nexts 'ten'"
bad --duration=-5 "bad --duration '-5'"
bad --sync=maybe "bad --sync 'maybe'"
bad --benchmarks=ycsb-g "unknown benchmark 'ycsb-g'"
bad --floor_buffer=1K "bad --floor_buffer '1K'"
bad --threads=0 "bad --threads '0'"
bad --nosuchflag "unknown option '--nosuchflag'"
bad --queue_depth=0 "bad --queue_depth '0'"
bad --queue_depth=4097 "bad --queue_depth '4097'"
bad --backup_dir= "--backup_dir names no path"
# YCSB inserts need counters beyond 2*num: a 1-byte key holds 256
expect_rc 2 bench --num=100 --key_size=1 --benchmarks=ycsb-d
expect_err "--key_size=1 holds 256 distinct keys"

# an engine this pmkv-cli lacks is a usage error too, naming what is built
expect_rc 0 bench --help
grep -q "^engines built in: pmkv" "$OUT" || fail "--help does not list the engines"
grep -q "ycsb-a" "$OUT" || fail "--help does not list the benchmarks"
built=$(sed -n 's/^engines built in: //p' "$OUT")
for e in lmdb rocksdb; do
	case ",$built," in
	*",$e,"*) ;;
	*)
		bad --engine=pmkv,$e "engine '$e' is not built into this pmkv-cli"
		;;
	esac
done

exit 0
