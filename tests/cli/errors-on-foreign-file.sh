#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# errors-on-foreign-file.sh -- a file that is not a pmkv pool is refused by every
# command with exit 1 and PMKV_E_FOREIGN's text, and stays byte for byte
. "$(dirname "$0")/common.sh"

foreign="PMKV_E_FOREIGN: not a pmkv pool"

# too small to be a pool, and large enough to pass the size check
for size in 4096 $((16 << 20)); do
	f=$TEST_DIR/random-$size
	head -c "$size" /dev/urandom >"$f"
	cp "$f" "$f.orig"

	expect_rc 1 info "$f"
	expect_err "pmkv-cli info: $f: $foreign"
	expect_rc 1 info --json "$f"
	expect_err "$foreign"
	[ ! -s "$OUT" ] || fail "info --json printed something for a foreign file"
	expect_rc 1 get "$f" k
	expect_err "pmkv-cli get: $f: $foreign"
	expect_rc 1 put "$f" k v
	expect_err "pmkv-cli put: $f: $foreign"
	expect_rc 1 delete "$f" k
	expect_err "$foreign"
	expect_rc 1 scan "$f"
	expect_err "$foreign"
	expect_rc 1 create "$f"
	expect_err "pmkv-cli create: $f: File exists"

	cmp "$f" "$f.orig" || fail "a command changed the foreign file $f"
done

# an empty file
: >"$TEST_DIR/empty"
expect_rc 1 info "$TEST_DIR/empty"
expect_err "$foreign"
[ ! -s "$TEST_DIR/empty" ] || fail "info wrote to an empty file"

# a directory
expect_rc 1 info "$TEST_DIR"
expect_err "pmkv-cli info: $TEST_DIR: Is a directory"
exit 0
