#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-plot.sh -- tools/bench-plot turns bench --json into an SVG that
# names every engine and benchmark, and refuses what is not bench's JSON
. "$(dirname "$0")/common.sh"
check_prereq python3
check_prereq gnuplot
if [ -z "$BENCH_PLOT" ] || [ ! -x "$BENCH_PLOT" ]; then
	echo "test/$TEST_NAME: BENCH_PLOT='$BENCH_PLOT' is not an executable" >&2
	exit 99
fi

expect_rc 0 bench --help
engines=$(sed -n 's/^engines built in: //p' "$OUT")
list=fillrandom,readrandom,seekrandom,ycsb-a,readrandom

expect_rc 0 bench --floor_buffer=4M --engine="$engines" --num=1000 \
	--benchmarks=$list --json
cp "$OUT" "$TEST_DIR/b.json"

"$BENCH_PLOT" -o "$TEST_DIR/b.svg" "$TEST_DIR/b.json" >"$TEST_DIR/plot.out" \
	2>"$TEST_DIR/plot.err" || {
	cat "$TEST_DIR/plot.err" >&2
	fail "bench-plot failed"
}
[ -s "$TEST_DIR/b.svg" ] || fail "no SVG"
grep -q "<svg" "$TEST_DIR/b.svg" || fail "not an SVG"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' \
	"$TEST_DIR/b.svg" || fail "the SVG is not well-formed XML"
for e in ${engines//,/ }; do
	grep -q ">$e<" "$TEST_DIR/b.svg" || fail "the SVG does not name $e"
done
# a benchmark that repeats is told apart
for b in fillrandom readrandom seekrandom ycsb-a "readrandom #2"; do
	grep -qF ">$b<" "$TEST_DIR/b.svg" || fail "the SVG does not name $b"
done

# standard input, and the default name beside the input
"$BENCH_PLOT" <"$TEST_DIR/b.json" -o "$TEST_DIR/stdin.svg" >/dev/null
[ -s "$TEST_DIR/stdin.svg" ] || fail "no SVG from standard input"
"$BENCH_PLOT" "$TEST_DIR/b.json" >/dev/null
[ -s "$TEST_DIR/b.svg" ] || fail "no SVG beside the input"

# not bench's JSON, and a bad command line
echo '{"x": 1}' >"$TEST_DIR/other.json"
rc=0
"$BENCH_PLOT" -o "$TEST_DIR/o.svg" "$TEST_DIR/other.json" 2>"$TEST_DIR/plot.err" || rc=$?
[ "$rc" -eq 1 ] || fail "foreign JSON: exit $rc, expected 1"
grep -q "not the output of pmkv-cli bench" "$TEST_DIR/plot.err" || fail "no reason given"
[ ! -e "$TEST_DIR/o.svg" ] || fail "an SVG from foreign JSON"
rc=0
"$BENCH_PLOT" -x 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad option: exit $rc, expected 2"
exit 0
