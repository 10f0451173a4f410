#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-engines.sh -- --engine runs the same benchmarks on every engine
# built in: each finds every key it wrote, counts add up, the JSON has
# every field for each engine and workload, ratios are against the first
# engine, and every store is gone afterwards
. "$(dirname "$0")/common.sh"
check_prereq python3

expect_rc 0 bench --help
engines=$(sed -n 's/^engines built in: //p' "$OUT")
[ "$engines" != pmkv ] ||
	do_skip "pmkv-cli is built without LMDB and RocksDB (meson -Dlmdb=enabled -Drocksdb=enabled)"

list=fillseq,readrandom,fillrandom,readrandom,readseq,seekrandom,overwrite,readmissing,deleterandom,readrandom
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=3001 --threads=2 \
	--benchmarks=$list --seek_nexts=7 --json
python3 - "$OUT" "$engines" "$list" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
engines, names = sys.argv[2].split(","), sys.argv[3].split(",")
cfg, res, fl = doc["config"], doc["results"], doc["floor"]
num, threads = 3001, 2

assert [e["name"] for e in cfg["engines"]] == engines, cfg["engines"]
assert cfg["engine"] == engines[0] and cfg["seek_nexts"] == 7, cfg
for k in ("record_bytes", "persist_ns", "dram_miss_ns", "write_ns", "read_ns"):
    assert k in fl, "floor lacks " + k
assert fl["record_bytes"] == 16 + 100 + 40, fl
assert fl["write_ns"] >= fl["read_ns"] > 0, fl

# engine after engine, each running the whole list
assert [(r["engine"], r["benchmark"]) for r in res] == \
    [(e, n) for e in engines for n in names], [(r["engine"], r["benchmark"]) for r in res]
fields = ("engine", "benchmark", "threads", "ops", "ops_per_sec",
          "micros_per_op", "p50_us", "p99_us", "p999_us", "max_us",
          "fences_per_op", "flushed_bytes_per_op", "floor_ns",
          "floor_multiple", "ratio_vs_first", "vs_engine")
first = {}
for i, r in enumerate(res):
    e, name, pos = r["engine"], r["benchmark"], i % len(names)
    what = "%s %s (#%d)" % (e, name, pos)
    for k in fields:
        assert k in r, "%s lacks %s" % (what, k)
    assert r["threads"] == threads and r["verified"] is True, (what, r)
    assert r["wrong"] == 0, (what, r)
    assert r["ops"] > 0 and r["ops_per_sec"] > 0, (what, r)
    assert 0 < r["p50_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"], (what, r)
    # fences are pmkv's own count; the other engines have none
    if e == "pmkv":
        assert r["fences_per_op"] is not None, what
        if name.startswith("fill") or name in ("overwrite", "deleterandom"):
            assert r["fences_per_op"] > 0, what
    else:
        assert r["fences_per_op"] is None and r["flushed_bytes_per_op"] is None, what
        assert r["index_bytes"] is None and r["keys"] is None, what
    if e == engines[0]:
        first[pos] = r
    assert r["vs_engine"] == engines[0], what
    assert abs(r["ratio_vs_first"] - r["ops_per_sec"] / first[pos]["ops_per_sec"]) < 1e-3 * r["ratio_vs_first"] + 1e-4, what
    # every op of these benchmarks does one key: the shares add up to num
    if name not in ("readseq",):
        assert r["ops"] == num, "%s: %d ops" % (what, r["ops"])
    after_delete = pos == names.index("deleterandom") + 1
    if name == "readrandom" or name == "readseq" or name == "seekrandom":
        want = 0 if after_delete else r["ops"]
        assert r["found"] == want == r["expected"], (what, r["found"], want)
    if name == "readseq":
        assert r["ops"] == num, (what, r["ops"])
    if name == "readmissing":
        assert r["found"] == 0, what
    if name == "deleterandom":
        # RocksDB cannot tell a delete that found its key from one that did not
        assert r["found"] == (None if e == "rocksdb" else num), (what, r["found"])
    if name.startswith("read") or name == "seekrandom":
        assert r["writes_per_op"] == 0 and r["reads_per_op"] >= 1, what
    else:
        assert r["writes_per_op"] == 1, what
    assert r["floor_ns"] > 0, what

for e in cfg["engines"]:
    assert not os.path.exists(e["path"]), "left behind: " + e["path"]
assert not os.path.exists(cfg["directory"]), "left behind: " + cfg["directory"]
PY

# text: one section per engine with its mode, then the side-by-side table
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=500 \
	--benchmarks=fillrandom,readrandom
for e in ${engines//,/ }; do
	grep -q "^== $e (engine" "$OUT" || fail "no section for $e"
	grep -q "^$e  *[^ ].*: " "$OUT" || fail "no mode line for $e"
done
grep -q "^side by side" "$OUT" || fail "no side-by-side table"
[ "$(grep -c "found 500 of 500" "$OUT")" -eq "$(echo "$engines" | tr , '\n' | wc -l)" ] ||
	fail "readrandom did not find every key on every engine"
grep -q "x the floor" "$OUT" || fail "no floor multiples"
grep -q "durable" "$OUT" || fail "the modes do not say whether writes are durable"

# open: seconds in their own table, not as ops/sec in the side-by-side one;
# pmkv's floor is the first touch of its index's memory
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=2000 \
	--benchmarks=fillrandom,open
grep -q "^open: seconds" "$OUT" || fail "no open table"
grep -Eq "^open +[0-9]" "$OUT" && fail "open in the side-by-side table, as ops/sec"
grep -Eq "^pmkv +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$" "$OUT" ||
	fail "no pmkv row with close, both opens and its floor"
grep -q "the clean close took" "$OUT" || fail "no close time"
expect_rc 0 bench --floor_buffer=4M --engine=pmkv --num=2000 \
	--benchmarks=fillrandom,open --json
python3 - "$OUT" <<'PY'
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["results"] if r["benchmark"] == "open"]
assert len(r) == 1, r
r = r[0]
for k in ("open_clean_seconds", "open_crash_seconds", "close_seconds",
          "open_floor_seconds"):
    assert r[k] > 0, (k, r)
PY

# --db: the other stores sit beside the pool, are kept with --keep, reused
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=400 \
	--benchmarks=fillseq --db="$TEST_DIR/k.pool" --keep
for e in ${engines//,/ }; do
	case $e in
	pmkv) [ -f "$TEST_DIR/k.pool" ] || fail "pmkv pool not kept" ;;
	*) [ -d "$TEST_DIR/k.$e" ] || fail "$e store not kept" ;;
	esac
done
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=400 \
	--benchmarks=readrandom --db="$TEST_DIR/k.pool"
[ "$(grep -c "found 400 of 400" "$OUT")" -eq "$(echo "$engines" | tr , '\n' | wc -l)" ] ||
	fail "reads of kept stores did not find every key"

# a directory that is no store of the engine is refused and left alone
for e in ${engines//,/ }; do
	[ "$e" != pmkv ] || continue
	mkdir "$TEST_DIR/f.$e"
	echo precious >"$TEST_DIR/f.$e/data"
	expect_rc 1 bench --floor_buffer=4M --engine=pmkv,$e --num=100 \
		--db="$TEST_DIR/f.pool"
	expect_err "not replacing what is not a $e store"
	[ "$(cat "$TEST_DIR/f.$e/data")" = precious ] || fail "$e: a foreign file changed"
	[ "$(ls -A "$TEST_DIR/f.$e")" = data ] ||
		fail "$e: files added to a foreign directory: $(ls -A "$TEST_DIR/f.$e")"
done
exit 0
