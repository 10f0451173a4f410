#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-small.sh -- bench --json is one JSON document with every field,
# counts that add up, fences for every fill and reads that find every key
. "$(dirname "$0")/common.sh"
check_prereq python3

check()
{
	python3 - "$OUT" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
num, threads = int(sys.argv[2]), int(sys.argv[3])
names = sys.argv[4].split(",")
cfg, res = doc["config"], doc["results"]
for k in ("engine", "benchmarks", "num", "reads", "key_size", "value_size",
          "threads", "seed", "pool", "build_type", "cpu", "kernel", "loadavg",
          "cli_version", "lib_version"):
    assert k in cfg, "config lacks " + k
for k in ("path", "media", "is_pmem", "pmem_forced", "pool_size"):
    assert k in cfg["pool"], "config.pool lacks " + k
assert cfg["num"] == num and cfg["threads"] == threads, cfg
assert [r["benchmark"] for r in res] == names, [r["benchmark"] for r in res]
fields = ("engine", "benchmark", "threads", "ops", "ops_per_sec",
          "micros_per_op", "p50_us", "p99_us", "p999_us", "max_us",
          "fences_per_op", "flushed_bytes_per_op", "index_bytes", "keys")
for r in res:
    for k in fields:
        assert k in r, "%s lacks %s" % (r.get("benchmark"), k)
    name = r["benchmark"]
    assert r["engine"] == "pmkv" and r["threads"] == threads, r
    assert r["verified"] is True, r
    # every benchmark here does one op per key: the shares add up to num
    assert r["ops"] == num, "%s: %d ops, expected %d" % (name, r["ops"], num)
    assert r["ops_per_sec"] > 0 and r["micros_per_op"] > 0, r
    assert 0 < r["p50_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"], r
    if name.startswith("fill") or name == "overwrite":
        assert r["fences_per_op"] > 0, "%s: no fences" % name
        assert r["flushed_bytes_per_op"] >= 16 + 100, r
        # the index holds every key: 8-byte prefix and 16-byte entry at least
        assert r["keys"] == num, r
        assert 24 <= r["index_bytes"] / r["keys"] < 4096, r
    if name == "readrandom" or name == "readseq":
        assert r["found"] == num, "%s found %d of %d" % (name, r["found"], num)
        assert r["fences_per_op"] == 0, "%s fenced" % name
    if name == "readmissing":
        assert r["found"] == 0, r
    if name == "deleterandom":
        assert r["found"] == num and r["fences_per_op"] > 0, r
PY
}

expect_rc 0 bench --floor_buffer=4M --num=20000 --json
check 20000 1 fillseq,fillrandom,overwrite,readrandom,readseq,deleterandom
# the default pool and its directory are gone afterwards
python3 - "$OUT" <<'PY'
import json, os, sys
path = json.load(open(sys.argv[1]))["config"]["pool"]["path"]
assert not os.path.exists(path), "left behind: " + path
assert not os.path.exists(os.path.dirname(path)), "left behind: " + path
PY

# two threads and a num they cannot split evenly; readmissing finds nothing
list=fillrandom,readrandom,readseq,readmissing,deleterandom,readrandom
expect_rc 0 bench --floor_buffer=4M --num=20001 --threads=2 --benchmarks=$list --json
python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
# the last readrandom runs after deleterandom: it must find nothing
assert r[-1]["benchmark"] == "readrandom" and r[-1]["found"] == 0, r[-1]
assert r[-1]["verified"] is True
PY
list=fillrandom,readrandom,readseq,readmissing,deleterandom
expect_rc 0 bench --floor_buffer=4M --num=20001 --threads=2 --benchmarks=$list --json
check 20001 2 $list

# text mode prints every input before the first figure
expect_rc 0 bench --floor_buffer=4M --num=2000 --benchmarks=fillrandom,readrandom
for f in "pool:" "medium:" "keys:" "values:" "entries:" "threads:" "cpu:" "loadavg:" \
	 "kernel:" "build type"; do
	grep -q "$f" "$OUT" || fail "bench text lacks '$f'"
done
grep -q "found 2000 of 2000" "$OUT" || fail "readrandom did not find all"
head -n "$(grep -n '^fillrandom' "$OUT" | cut -d: -f1)" "$OUT" |
	grep -q "kernel:" || fail "inputs not printed before the figures"

# the pool is removed unless --keep; --db reuses a kept pool for reads
expect_rc 0 bench --floor_buffer=4M --num=1000 --benchmarks=fillseq --db="$TEST_DIR/b.pool" --keep
[ -f "$TEST_DIR/b.pool" ] || fail "--keep did not keep the pool"
expect_rc 0 bench --floor_buffer=4M --num=1000 --benchmarks=readrandom --db="$TEST_DIR/b.pool"
grep -q "found 1000 of 1000" "$OUT" || fail "reads on a kept pool"
[ -f "$TEST_DIR/b.pool" ] || fail "an existing pool used for reads was removed"
expect_rc 0 bench --floor_buffer=4M --num=1000 --benchmarks=fillseq --db="$TEST_DIR/b.pool"
[ ! -e "$TEST_DIR/b.pool" ] || fail "pool not removed without --keep"

# --no_helper reaches the library, and the header says it
expect_rc 0 bench --floor_buffer=4M --num=1000 --benchmarks=fillrandom,readrandom --no_helper
grep -q "no helper thread (--no_helper)" "$OUT" || fail "--no_helper not on the pmkv line"
grep -q "found 1000 of 1000" "$OUT" || fail "--no_helper: readrandom did not find all"
expect_rc 0 bench --floor_buffer=4M --num=1000 --benchmarks=fillseq
! grep -q "no helper thread" "$OUT" || fail "the helper is on by default"

# --db refuses to replace a file that is not a pool
head -c 65536 /dev/urandom >"$TEST_DIR/precious"
cp "$TEST_DIR/precious" "$TEST_DIR/precious.orig"
expect_rc 1 bench --floor_buffer=4M --num=1000 --db="$TEST_DIR/precious"
expect_err "not replacing"
cmp "$TEST_DIR/precious" "$TEST_DIR/precious.orig" || fail "bench changed a foreign file"

exit 0
