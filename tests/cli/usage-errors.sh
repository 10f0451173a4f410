#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# usage-errors.sh -- a wrong command line is exit 2 with a message and
# touches nothing; --help and -V are exit 0
. "$(dirname "$0")/common.sh"

pool=$TEST_DIR/p.pool

expect_rc 2
expect_err "usage: pmkv-cli"
expect_rc 2 nosuchcommand
expect_err "unknown command 'nosuchcommand'"
expect_rc 2 --nosuchoption
expect_err "unknown option"

expect_rc 0 --help
grep -q "bench" "$OUT" || fail "--help does not list bench"
for v in -V --version; do
	expect_rc 0 $v
	grep -q "^pmkv-cli [0-9]" "$OUT" || fail "$v: no CLI version"
	grep -q "^libpmkv [0-9]*\.[0-9]*" "$OUT" || fail "$v: no library version"
done
for c in create info put get delete scan backup restore verify bench; do
	expect_rc 0 $c --help
	grep -q "usage: pmkv-cli $c" "$OUT" || fail "$c --help: no usage"
done

# missing and extra arguments
expect_rc 2 create
expect_err "usage: pmkv-cli create"
expect_rc 2 info
expect_rc 2 put "$pool" k
expect_rc 2 get "$pool"
expect_rc 2 get "$pool" k extra
expect_rc 2 delete "$pool"
expect_rc 2 scan

# bad values and unknown flags
expect_rc 2 create "$pool" --size=12Q
expect_err "bad --size '12Q'"
expect_rc 2 create "$pool" --size=
expect_rc 2 create "$pool" --size=1M
expect_err "at least 16M"
expect_rc 2 create "$pool" --size
expect_err "needs a value"
expect_rc 2 info "$pool" --bogus
expect_err "unknown option '--bogus'"
expect_rc 2 scan "$pool" --limit=-1
expect_rc 2 scan "$pool" --limit=0
expect_rc 2 bench --num=abc
expect_err "bad --num 'abc'"
expect_rc 2 bench --num=0
expect_rc 2 bench --num=
expect_rc 2 bench --threads=0
expect_rc 2 bench --key_size=0
expect_rc 2 bench --value_size=x
expect_rc 2 bench --pool_size=1M
expect_rc 2 bench --benchmarks=nosuch
expect_err "unknown benchmark 'nosuch'"
expect_rc 2 bench --benchmarks=fillseq,nosuch
expect_rc 2 bench --benchmarks=
expect_rc 2 bench --num=70000 --key_size=2
expect_err "--key_size=2 holds 65536 distinct keys"
expect_rc 2 bench extra-argument

# none of it created a pool
[ ! -e "$pool" ] || fail "a usage error created $pool"
exit 0
