#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# salvage.sh -- a pool with one damaged value: every command refuses it,
# salvage copies every other key to a new pool and says what it skipped
. "$(dirname "$0")/common.sh"
check_prereq python3
# recovery's policy for damage: every open reads the log, none trusts the
# index checkpoint a clean close wrote (it would not read the victim)
export PMKV_CHECKPOINT=0

pool=$TEST_DIR/p.pool
new=$TEST_DIR/new.pool

expect_rc 0 create "$pool" --size=16M
for i in $(seq 1 20); do
	expect_rc 0 put "$pool" "key-$i" "value-$i"
done
expect_rc 0 put "$pool" victim "VICTIM-VALUE-0123456789"
for i in $(seq 21 40); do
	expect_rc 0 put "$pool" "key-$i" "value-$i"
done

# flip one bit of the victim's value, found by its bytes in the file
python3 - "$pool" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
at = b.find(b"VICTIM-VALUE-0123456789")
assert at > 0 and b.find(b"VICTIM-VALUE-0123456789", at + 1) < 0
b[at + 5] ^= 0x01
open(p, 'r+b').write(b)
PY
cp "$pool" "$TEST_DIR/damaged"

# the default policy: damage fails the open, nothing is written
expect_rc 1 get "$pool" key-1
expect_err "victim"
expect_rc 1 put "$pool" key-1 other
cmp -s "$pool" "$TEST_DIR/damaged" || fail "a refused open changed the pool"

expect_rc 2 salvage "$pool"
expect_rc 3 salvage "$pool" "$new"
grep -q "40 keys copied" "$OUT" || fail "salvage did not copy 40 keys: $(cat "$OUT")"
grep -q "1 damaged records" "$OUT" || fail "salvage did not count the damaged record"
cmp -s "$pool" "$TEST_DIR/damaged" || fail "salvage changed the damaged pool"
for i in 1 20 21 40; do
	expect_rc 0 get "$new" "key-$i"
	[ "$(cat "$OUT")" = "value-$i" ] || fail "key-$i: $(cat "$OUT")"
done
expect_rc 1 get "$new" victim

# the new pool exists now: salvage will not write over it
expect_rc 1 salvage "$pool" "$new"
exit 0
