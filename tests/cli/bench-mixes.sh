#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-mixes.sh -- seekrandom, readwhilewriting and the YCSB mixes: the
# operations of each kind add up to the total, in the mix's proportions;
# every read of a key that is there finds it with its value, under both
# distributions and on every engine built in; --duration and --histogram
# report what they promise. No timing is asserted.
. "$(dirname "$0")/common.sh"
check_prereq python3

expect_rc 0 bench --help
engines=$(sed -n 's/^engines built in: //p' "$OUT")

check()
{
	python3 - "$OUT" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
num, reads, threads, dist = (int(sys.argv[2]), int(sys.argv[3]),
                             int(sys.argv[4]), sys.argv[5])
cfg, res = doc["config"], doc["results"]
assert cfg["distribution"] == dist and cfg["threads"] == threads, cfg
# YCSB's proportions: read, update, insert, scan, read-modify-write
mixes = {"ycsb-a": (50, 50, 0, 0, 0), "ycsb-b": (95, 5, 0, 0, 0),
         "ycsb-c": (100, 0, 0, 0, 0), "ycsb-d": (95, 0, 5, 0, 0),
         "ycsb-e": (0, 0, 5, 95, 0), "ycsb-f": (50, 0, 0, 0, 50)}
keys = ("read", "update", "insert", "scan", "read_modify_write")
for r in res:
    what = "%s %s" % (r["engine"], r["benchmark"])
    name = r["benchmark"]
    assert r["verified"] is True and r["wrong"] == 0, (what, r)
    assert r["threads"] == threads, what
    if name == "fillrandom":
        continue
    assert r["ops"] == reads, "%s: %d ops, expected %d" % (what, r["ops"], reads)
    if name in mixes:
        m = r["mix"]
        assert sum(m[k] for k in keys) == r["ops"], (what, m)
        for k, pct in zip(keys, mixes[name]):
            share = 100.0 * m[k] / r["ops"]
            # 4000 draws: a share is within 4 points of its proportion
            assert abs(share - pct) < 4, (what, k, share, pct)
            if pct == 0:
                assert m[k] == 0, (what, k)
        lookups = m["read"] + m["scan"] + m["read_modify_write"]
        # the store is full and inserts are read only once acknowledged
        assert r["found"] == lookups == r["expected"], (what, r["found"], lookups)
        w = m["update"] + m["insert"] + m["read_modify_write"]
        assert abs(r["writes_per_op"] - w / r["ops"]) < 1e-3, what
    elif name == "seekrandom":
        assert r["found"] == r["ops"] == r["expected"], what
        # seek + 5 nexts: six records of 16 + 100 bytes, fewer at the end
        assert r["mb_per_sec"] > 0, what
    elif name == "readwhilewriting":
        assert r["found"] == r["ops"], what
        assert "writer_ops" in r, what
    elif name == "readrandom":
        assert r["found"] == r["ops"], what
PY
}

list=fillrandom,seekrandom,readwhilewriting,ycsb-a,ycsb-b,ycsb-c,ycsb-d,ycsb-e,ycsb-f,readrandom
for dist in uniform zipfian; do
	expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=3000 \
		--reads=4000 --seek_nexts=5 --distribution=$dist \
		--benchmarks=$list --json
	check 3000 4000 1 $dist
done
expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=3000 \
	--reads=4000 --threads=2 --distribution=zipfian --benchmarks=$list --json
check 3000 4000 2 zipfian

# the same seed, the same operations: ycsb mixes are reproducible
expect_rc 0 bench --floor_buffer=4M --num=2000 --reads=3000 --seed=7 \
	--benchmarks=fillrandom,ycsb-a,ycsb-d --json
cp "$OUT" "$TEST_DIR/a.json"
expect_rc 0 bench --floor_buffer=4M --num=2000 --reads=3000 --seed=7 \
	--benchmarks=fillrandom,ycsb-a,ycsb-d --json
python3 - "$TEST_DIR/a.json" "$OUT" <<'PY'
import json, sys
a, b = (json.load(open(f))["results"] for f in sys.argv[1:3])
for x, y in zip(a, b):
    assert x.get("mix") == y.get("mix") and x["found"] == y["found"], (x, y)
PY

# --duration: random benchmarks run until the time, fills stop at the keys
expect_rc 0 bench --floor_buffer=4M --num=2000 --duration=1 \
	--benchmarks=fillseq,readrandom,ycsb-b --json
python3 - "$OUT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["config"]["duration"] == 1
fill, rr, yb = doc["results"]
assert fill["ops"] <= 2000 and fill["verified"], fill
# a full second of reads: more than a 2000-key quota, whatever the machine
assert rr["ops"] > 2000 and rr["found"] == rr["ops"], rr
assert rr["seconds"] >= 0.9, rr
assert sum(yb["mix"].values()) == yb["ops"], yb
PY

# --histogram: rows that add up to the operations, in text and JSON
expect_rc 0 bench --floor_buffer=4M --num=2000 --benchmarks=fillrandom,readrandom \
	--histogram --json
python3 - "$OUT" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    h = r["histogram"]
    assert sum(row["count"] for row in h) == r["ops"], r["benchmark"]
    assert all(row["lo_ns"] <= row["hi_ns"] for row in h)
    assert all(a["hi_ns"] < b["lo_ns"] for a, b in zip(h, h[1:]))
PY
expect_rc 0 bench --floor_buffer=4M --num=2000 --benchmarks=readrandom --histogram
grep -q "histogram, us:" "$OUT" || fail "--histogram printed no histogram"
exit 0
