#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# put-get-delete.sh -- a value goes in and comes back byte for byte, across
# processes; an absent key is exit 1 with a message, for get and delete
. "$(dirname "$0")/common.sh"

pool=$TEST_DIR/p.pool
expect_rc 0 create "$pool"

expect_rc 0 put "$pool" alpha "first value"
expect_rc 0 get "$pool" alpha
expect_out "first value"

# overwrite; get prints the value raw, without a newline
expect_rc 0 put "$pool" alpha "second"
expect_rc 0 get "$pool" alpha
expect_out "second"

# an empty value is a value
expect_rc 0 put "$pool" empty ""
expect_rc 0 get "$pool" empty
expect_out ""
[ ! -s "$OUT" ] || fail "empty value printed something"

# tabs, newlines and a value that looks like an option (after --)
expect_rc 0 put "$pool" -- "-k" "$(printf 'a\tb\nc')"
expect_rc 0 get "$pool" -- -k
[ "$(cat "$OUT")" = "$(printf 'a\tb\nc')" ] || fail "value with tab/newline changed"

# a value larger than get's first buffer (4096 bytes)
big=$(head -c 10000 /dev/zero | tr '\0' 'x')
expect_rc 0 put "$pool" big "$big"
expect_rc 0 get "$pool" big
[ "$(cat "$OUT")" = "$big" ] || fail "10000-byte value changed"

# absent key: exit 1, the strerror text and the key on stderr, no stdout
expect_rc 1 get "$pool" nosuch
expect_err "pmkv-cli get: $pool: No such file or directory"
expect_err "nosuch"
[ ! -s "$OUT" ] || fail "get of an absent key printed a value"

expect_rc 0 delete "$pool" alpha
expect_rc 1 get "$pool" alpha
expect_err "alpha"
expect_rc 1 delete "$pool" alpha
expect_err "pmkv-cli delete: $pool: No such file or directory"

# the others survived, and so does the count
expect_rc 0 get "$pool" big
expect_rc 0 info --json "$pool"
grep -q '"keys": 3' "$OUT" || fail "expected 3 keys: $(cat "$OUT")"

# a key larger than PMKV_KEY_MAX is refused by the library: exit 1
longkey=$(head -c 5000 /dev/zero | tr '\0' 'k')
expect_rc 1 put "$pool" "$longkey" v
expect_err "Invalid argument"

# no pool at the path
expect_rc 1 get "$TEST_DIR/none.pool" k
expect_err "pmkv-cli get: $TEST_DIR/none.pool: No such file or directory"
exit 0
