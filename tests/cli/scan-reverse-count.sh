#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# scan-reverse-count.sh -- scan --reverse lists [start, end) from the top
# down, --count says how many keys the range holds (a number, or an object
# with --json), and --count refuses --reverse and --limit
. "$(dirname "$0")/common.sh"
check_prereq python3

pool=$TEST_DIR/p.pool
expect_rc 0 create "$pool"
for k in delta alpha echo charlie bravo a ab b; do
	expect_rc 0 put "$pool" "$k" "v-$k"
done

expect_rc 0 scan "$pool" --reverse
expect_out "echo	v-echo
delta	v-delta
charlie	v-charlie
bravo	v-bravo
b	v-b
alpha	v-alpha
ab	v-ab
a	v-a
"

# the same range as forwards: --start included, --end excluded
expect_rc 0 scan "$pool" --reverse --start=b --end=delta
expect_out "charlie	v-charlie
bravo	v-bravo
b	v-b
"
# bounds that are not keys; --end before --start gives nothing
expect_rc 0 scan "$pool" --reverse --start=ac --end=c
expect_out "bravo	v-bravo
b	v-b
alpha	v-alpha
"
expect_rc 0 scan "$pool" --reverse --start=d --end=b
expect_out ""
expect_rc 0 scan "$pool" --reverse --start=b --end=b
expect_out ""
# --limit counts from the top
expect_rc 0 scan "$pool" --reverse --limit=2
expect_out "echo	v-echo
delta	v-delta
"
expect_rc 0 scan "$pool" --reverse --json --start=b --end=c
python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == [{"key": "bravo", "value": "v-bravo"},
             {"key": "b", "value": "v-b"}], d
PY

expect_rc 0 scan "$pool" --count
expect_out "8
"
expect_rc 0 scan "$pool" --count --start=b --end=delta
expect_out "3
"
expect_rc 0 scan "$pool" --count --start=d --end=b
expect_out "0
"
expect_rc 0 scan "$pool" --count --start=x
expect_out "0
"
expect_rc 0 scan "$pool" --count --json --start=b --end=c
python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"start": "b", "end": "c", "count": 2}, d
PY
expect_rc 0 scan "$pool" --count --json
python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"start": None, "end": None, "count": 8}, d
PY

# deleted keys are neither listed nor counted
expect_rc 0 delete "$pool" bravo
expect_rc 0 put "$pool" charlie v-charlie2
expect_rc 0 scan "$pool" --reverse --start=b --end=d
expect_out "charlie	v-charlie2
b	v-b
"
expect_rc 0 scan "$pool" --count --start=b --end=d
expect_out "2
"

# a count has no order and no records to limit
expect_rc 2 scan "$pool" --count --reverse
expect_err "--count takes no --reverse"
expect_err "usage: pmkv-cli scan"
expect_rc 2 scan "$pool" --count --limit=3
expect_err "--count takes no --limit"
[ ! -s "$OUT" ] || fail "a usage error printed to stdout"
exit 0
