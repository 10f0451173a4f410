#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# create-info.sh -- create makes a pool of the size asked; info reports it,
# as text and as JSON with every documented field
. "$(dirname "$0")/common.sh"
check_prereq python3

pool=$TEST_DIR/p.pool

expect_rc 0 create "$pool" --size=32M
[ -f "$pool" ] || fail "create left no file"
[ "$(stat -c %s "$pool")" -eq $((32 << 20)) ] || fail "pool is not 32 MiB"

# a second create of the same path must not touch it
cp "$pool" "$TEST_DIR/copy"
expect_rc 1 create "$pool"
expect_err "pmkv-cli create: $pool: File exists"
cmp -s "$pool" "$TEST_DIR/copy" || fail "create changed an existing pool"
rm "$TEST_DIR/copy"

expect_rc 0 info "$pool"
for f in "path:" "media:" "pmem:" "pool size:" "keys:" "log bytes used:" \
	 "log bytes live:" "index bytes:" "recovery time:"; do
	grep -q "^$f" "$OUT" || fail "info text lacks '$f'"
done
grep -q "^pool size: *33554432$" "$OUT" || fail "info: pool size is not 33554432"

expect_rc 0 info --json "$pool"
python3 -m json.tool "$OUT" >/dev/null || fail "info --json is not JSON"
python3 - "$OUT" "$pool" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = ["path", "media", "is_pmem", "pmem_forced", "pool_size",
        "segment_size", "format", "keys", "puts", "gets", "deletes",
        "fences", "flushed_bytes", "log_bytes_used", "log_bytes_live",
        "segments", "gc_runs", "gc_bytes_copied", "index_bytes",
        "recovery_ns", "recovered_records"]
missing = [k for k in want if k not in d]
assert not missing, "missing %s" % missing
assert d["path"] == sys.argv[2], d["path"]
assert d["media"] in ("file", "fsdax", "devdax"), d["media"]
assert d["pool_size"] == 32 << 20, d["pool_size"]
assert d["keys"] == 0, d["keys"]
assert isinstance(d["is_pmem"], bool) and isinstance(d["pmem_forced"], bool)
PY

# a key put is counted; --human turns sizes into strings
expect_rc 0 put "$pool" k v
expect_rc 0 info --json --human "$pool"
python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["keys"] == 1, d["keys"]
assert d["pool_size"] == "32.00 MiB", d["pool_size"]
# after put's clean close the open loads the index checkpoint: no record read
assert d["recovered_records"] == 0, d["recovered_records"]
PY

# a pool created without --size gets the library's default (64 MiB)
expect_rc 0 create "$TEST_DIR/d.pool"
[ "$(stat -c %s "$TEST_DIR/d.pool")" -eq $((64 << 20)) ] ||
	fail "default pool is not 64 MiB"
exit 0
