#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# scan-order.sh -- scan lists keys in memcmp order whatever the insertion
# order, honours --start (inclusive), --end (exclusive) and --limit, and
# escapes bytes that would break a key<TAB>value line
. "$(dirname "$0")/common.sh"
check_prereq python3

pool=$TEST_DIR/p.pool
expect_rc 0 create "$pool"
for k in delta alpha echo charlie bravo a ab b; do
	expect_rc 0 put "$pool" "$k" "v-$k"
done

expect_rc 0 scan "$pool"
expect_out "a	v-a
ab	v-ab
alpha	v-alpha
b	v-b
bravo	v-bravo
charlie	v-charlie
delta	v-delta
echo	v-echo
"

expect_rc 0 scan "$pool" --start=b --end=delta
expect_out "b	v-b
bravo	v-bravo
charlie	v-charlie
"

# --start need not be a key; --end before --start gives nothing
expect_rc 0 scan "$pool" --start=c
expect_out "charlie	v-charlie
delta	v-delta
echo	v-echo
"
expect_rc 0 scan "$pool" --start=d --end=b
expect_out ""

expect_rc 0 scan "$pool" --limit=2
expect_out "a	v-a
ab	v-ab
"

# non-printable bytes and backslashes are escaped
expect_rc 0 put "$pool" "$(printf 'tab\there')" "$(printf 'nl\nback\\slash')"
expect_rc 0 scan "$pool" --start=t --end=u
expect_out 'tab\x09here	nl\x0aback\\slash
'

expect_rc 0 scan "$pool" --json --start=b --end=c
python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d == [{"key": "b", "value": "v-b"},
             {"key": "bravo", "value": "v-bravo"}], d
PY
expect_rc 0 scan "$pool" --json --start=x
python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$OUT"

# deleted keys are gone from the scan
expect_rc 0 delete "$pool" bravo
expect_rc 0 scan "$pool" --start=b --end=c
expect_out "b	v-b
"
exit 0
