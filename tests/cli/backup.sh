#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# backup.sh -- backup, restore and verify as a user runs them: a full and
# an incremental round trip give a pool that scans the same as the
# source; the path taken is the one the target's filesystem allows; a
# damaged or cut backup, an existing target and an existing pool are
# refused with exit 1 and nothing changed; usage errors are exit 2
. "$(dirname "$0")/common.sh"
check_prereq python3

use_disk_dir

pool=$TEST_DIR/p.pool

# check_json WHAT EXPECT [KEY=VALUE...] -- $OUT is the JSON report of
# WHAT (backup, restore, verify); EXPECT is direct, buffered or
# sync-direct; each KEY=VALUE is a field that must hold VALUE (compared
# as JSON text: chain=1, base=null, uuid='"..."')
check_json()
{
	python3 - "$OUT" "$@" <<'PY' || fail "bad $1 --json report: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
what, expect = sys.argv[2], sys.argv[3]
want = ["backup", "path", "bytes", "bounce_bytes", "segments",
        "segments_copied", "version", "chain", "elapsed_ns", "mb_per_sec",
        "uuid", "base_uuid", "pool_uuid"]
if what == "backup":
    want += ["pool", "base"]
else:
    want += ["records"]
missing = [k for k in want if k not in d]
assert not missing, "missing %s" % missing
direct = ("uring-fixed", "uring", "sync-direct")
if expect == "direct":
    assert d["path"] in direct, d["path"]
    assert d["bounce_bytes"] == 0, d["bounce_bytes"]
elif expect == "buffered":
    assert d["path"] == "buffered", d["path"]
    assert d["bounce_bytes"] == d["bytes"], (d["bounce_bytes"], d["bytes"])
else:
    assert d["path"] == expect, d["path"]
assert d["bytes"] > 0 and d["bytes"] % 4096 == 0, d["bytes"]
assert 0 < d["segments_copied"] <= d["segments"], d
assert d["version"] > 0 and d["chain"] >= 1, d
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    assert d[k] == json.loads(v), "%s is %r, expected %s" % (k, d[k], v)
PY
}

# field NAME -- a field of the JSON report in $OUT
field()
{
	python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$OUT" "$1"
}

# same_keys A B -- pools A and B scan the same, keys and values
same_keys()
{
	expect_rc 0 scan "$1"
	mv "$OUT" "$TEST_DIR/scan-a"
	expect_rc 0 scan "$2"
	[ -s "$OUT" ] || fail "$2 scans empty"
	cmp -s "$TEST_DIR/scan-a" "$OUT" ||
		fail "$2 does not hold what $1 holds: $(diff "$TEST_DIR/scan-a" "$OUT" | head -5)"
}

if direct "$DISK_DIR"; then disk_path=direct; else disk_path=buffered; fi
if direct "$TEST_DIR"; then shm_path=direct; else shm_path=buffered; fi

# a pool of 256 KiB segments, several of them filled, and one key with a
# value that can be found in the backup file's bytes
expect_rc 0 create "$pool" --size=16M
expect_rc 0 bench --benchmarks=fillseq --num=3000 --value_size=1000 \
	--db="$pool" --keep
for i in $(seq 1 20); do
	expect_rc 0 put "$pool" "key-$i" "value-$i"
done
expect_rc 0 put "$pool" victim "VICTIM-VALUE-0123456789"

# full: backup (nothing on stderr when it is no terminal), verify, restore
full=$DISK_DIR/full.bak
expect_rc 0 backup "$pool" "$full" --json
[ ! -s "$ERR" ] || fail "backup wrote to stderr, which is no terminal: $(cat "$ERR")"
[ ! -e "$full.pmkv-partial" ] || fail "backup left its partial file"
check_json backup $disk_path chain=1 base=null base_uuid=null \
	"backup=\"$full\"" "pool=\"$pool\""
[ "$(field segments_copied)" = "$(field segments)" ] ||
	fail "a full backup did not copy every segment"
full_uuid=$(field uuid)
pool_uuid=$(field pool_uuid)
full_version=$(field version)
[ "$(field segments)" -ge 4 ] || fail "the pool holds too few segments: $(field segments)"

expect_rc 0 verify "$full" --json
check_json verify $disk_path chain=1 "uuid=$full_uuid" \
	"pool_uuid=$pool_uuid" "version=$full_version"

expect_rc 0 restore "$full" "$TEST_DIR/r1.pool" --json
check_json restore $disk_path chain=1 "uuid=$full_uuid" \
	"pool_uuid=$pool_uuid" "pool=\"$TEST_DIR/r1.pool\""
[ "$(field records)" -gt 3000 ] || fail "restore checked $(field records) records"
same_keys "$pool" "$TEST_DIR/r1.pool"

# incremental: new keys and overwrites, then a backup on the full one
for i in $(seq 1 10); do
	expect_rc 0 put "$pool" "key-$i" "new-value-$i"
	expect_rc 0 put "$pool" "late-$i" "late-value-$i"
done
expect_rc 0 delete "$pool" key-20
incr=$DISK_DIR/incr.bak
expect_rc 0 backup "$pool" "$incr" --base "$full" --json
check_json backup $disk_path chain=2 "base=\"$full\"" \
	"base_uuid=$full_uuid" "pool_uuid=$pool_uuid"
[ "$(field segments_copied)" -lt "$(field segments)" ] ||
	fail "the incremental backup copied every segment"
[ "$(field version)" -gt "$full_version" ] || fail "version did not grow"
incr_uuid=$(field uuid)

expect_rc 0 verify "$incr" --json
check_json verify $disk_path chain=2 "uuid=$incr_uuid" \
	"base_uuid=$full_uuid"
expect_rc 0 restore "$incr" "$TEST_DIR/r2.pool" --json
check_json restore $disk_path chain=2 "uuid=$incr_uuid"
same_keys "$pool" "$TEST_DIR/r2.pool"
expect_rc 0 get "$TEST_DIR/r2.pool" key-1
expect_out "new-value-1"
expect_rc 1 get "$TEST_DIR/r2.pool" key-20
# the restored pools are pools like any other
expect_rc 0 put "$TEST_DIR/r2.pool" after-restore yes
expect_rc 0 info "$TEST_DIR/r1.pool"

# the text summary
expect_rc 0 verify "$incr"
for f in "backup:" "transfer path:" "bytes:" "bounce bytes:" "segments:" \
	 "records:" "version:" "chain:" "elapsed:" "rate:"; do
	grep -q "^$f" "$OUT" || fail "verify text lacks '$f'"
done
grep -q "^chain: *2$" "$OUT" || fail "verify text: chain is not 2"

# the paths a filesystem allows, and those the flags force; a backup on
# /dev/shm too
expect_rc 0 backup "$pool" "$TEST_DIR/shm.bak" --json
check_json backup $shm_path
expect_rc 0 backup "$pool" "$DISK_DIR/nodirect.bak" --no-direct --json
check_json backup buffered
expect_rc 0 verify "$DISK_DIR/nodirect.bak" --no-direct --json
check_json verify buffered
if [ $disk_path = direct ]; then
	expect_rc 0 backup "$pool" "$DISK_DIR/nouring.bak" --no-uring \
		--queue-depth=1 --json
	check_json backup sync-direct
	expect_rc 0 verify "$DISK_DIR/nouring.bak" --no-uring --json
	check_json verify sync-direct
	expect_rc 0 restore "$DISK_DIR/nouring.bak" "$TEST_DIR/r3.pool" \
		--no-uring --json
	check_json restore sync-direct
	same_keys "$pool" "$TEST_DIR/r3.pool"
fi
expect_rc 0 backup "$pool" "$DISK_DIR/nofixed.bak" --no-fixed \
	--queue-depth=4096 --json
check_json backup $disk_path
[ "$(field path)" != '"uring-fixed"' ] || fail "--no-fixed took uring-fixed"
# a pool of a size of its own
expect_rc 0 restore "$DISK_DIR/nofixed.bak" "$TEST_DIR/r4.pool" --no-fixed \
	--size=64M --json
[ "$(field path)" != '"uring-fixed"' ] || fail "restore --no-fixed took uring-fixed"
same_keys "$pool" "$TEST_DIR/r4.pool"
[ "$(stat -c %s "$TEST_DIR/r4.pool")" -eq $((64 << 20)) ] || fail "--size=64M ignored"

# a terminal on stderr gets a progress line, cleared at the end
if command -v script >/dev/null 2>&1; then
	script -qec "'$PMKV_CLI' verify '$full' >/dev/null" \
		"$TEST_DIR/typescript" >/dev/null </dev/null ||
		fail "verify under a terminal failed: $(cat "$TEST_DIR/typescript")"
	grep -q "verify: 100%" "$TEST_DIR/typescript" ||
		fail "no progress line on a terminal: $(cat -v "$TEST_DIR/typescript")"
	grep -q $'\r\033\[K' "$TEST_DIR/typescript" ||
		fail "the progress line was not cleared"
else
	echo "test/$TEST_NAME: no script(1): progress line not checked" >&2
fi

# a target that exists: refused and unchanged, replaced with --overwrite
echo "not a backup" >"$DISK_DIR/exists"
expect_rc 1 backup "$pool" "$DISK_DIR/exists"
expect_err "pmkv-cli backup: $DISK_DIR/exists: File exists"
[ "$(cat "$DISK_DIR/exists")" = "not a backup" ] || fail "backup changed an existing target"
[ ! -e "$DISK_DIR/exists.pmkv-partial" ] || fail "a refused backup left a partial file"
expect_rc 0 backup "$pool" "$DISK_DIR/exists" --overwrite
expect_rc 0 verify "$DISK_DIR/exists"

# restore onto a pool that exists: refused, the pool unchanged
cp "$TEST_DIR/r1.pool" "$TEST_DIR/r1.copy"
expect_rc 1 restore "$full" "$TEST_DIR/r1.pool"
expect_err "File exists"
cmp -s "$TEST_DIR/r1.pool" "$TEST_DIR/r1.copy" || fail "restore changed an existing pool"

# one flipped bit in the victim's value: verify names the segment that
# holds it, as the table says, and restore makes no valid pool
bad=$DISK_DIR/bad.bak
cp "$full" "$bad"
seg=$(python3 - "$bad" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
at = b.find(b"VICTIM-VALUE-0123456789")
assert at > 0 and b.find(b"VICTIM-VALUE-0123456789", at + 1) < 0, at
# lib/layout.h: struct pmkv_backup_header and struct pmkv_backup_seg
nsegs, = struct.unpack_from("<I", b, 92)
table_off, = struct.unpack_from("<Q", b, 136)
for i in range(nsegs):
    sid, size, used, frm, off, ln = struct.unpack_from("<6Q", b,
                                                      table_off + 64 * i)
    if off <= at < off + ln:
        print(sid)
        break
else:
    sys.exit("no segment holds offset %d" % at)
b[at + 5] ^= 0x01
open(p, "r+b").write(b)
PY
)
expect_rc 1 verify "$bad"
expect_err "PMKV_E_CORRUPT"
expect_err "$bad"
grep -qw "segment $seg" "$ERR" || fail "verify does not name segment $seg: $(cat "$ERR")"
expect_rc 1 restore "$bad" "$TEST_DIR/bad.pool"
expect_err "PMKV_E_CORRUPT"
if [ -e "$TEST_DIR/bad.pool" ]; then
	expect_rc 1 info "$TEST_DIR/bad.pool"
fi

# a backup cut short: verify and restore refuse it
cp "$full" "$DISK_DIR/cut.bak"
truncate -s -4096 "$DISK_DIR/cut.bak"
expect_rc 1 verify "$DISK_DIR/cut.bak"
expect_err "PMKV_E_CORRUPT"
expect_rc 1 restore "$DISK_DIR/cut.bak" "$TEST_DIR/cut.pool"
if [ -e "$TEST_DIR/cut.pool" ]; then
	expect_rc 1 info "$TEST_DIR/cut.pool"
fi
# an incremental backup whose base is cut short is refused too
cp "$DISK_DIR/cut.bak" "$full"
expect_rc 1 verify "$incr"
expect_err "PMKV_E_CORRUPT"
expect_rc 1 restore "$incr" "$TEST_DIR/cut2.pool"

# no backup there at all
expect_rc 1 verify "$DISK_DIR/none.bak"
expect_err "pmkv-cli verify: $DISK_DIR/none.bak: No such file or directory"
expect_rc 1 backup "$TEST_DIR/none.pool" "$DISK_DIR/none.bak"
[ ! -e "$DISK_DIR/none.bak" ] || fail "a failed backup made a target"

# usage errors: exit 2, nothing made
for c in backup restore verify; do
	expect_rc 0 $c --help
	grep -q "usage: pmkv-cli $c" "$OUT" || fail "$c --help: no usage"
done
expect_rc 2 backup
expect_err "usage: pmkv-cli backup"
expect_rc 2 backup "$pool"
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" extra
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --queue-depth=0
expect_err "bad --queue-depth '0'"
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --queue-depth=abc
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --queue-depth=4097
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --queue-depth
expect_err "needs a value"
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --base=
expect_rc 2 backup "$pool" "$DISK_DIR/u.bak" --bogus
expect_err "unknown option '--bogus'"
expect_rc 2 restore
expect_rc 2 restore "$full"
expect_err "usage: pmkv-cli restore"
expect_rc 2 restore "$full" "$TEST_DIR/u.pool" --size=1M
expect_err "at least 16M"
expect_rc 2 restore "$full" "$TEST_DIR/u.pool" --queue-depth=-1
expect_rc 2 verify
expect_err "usage: pmkv-cli verify"
expect_rc 2 verify "$full" extra
expect_rc 2 verify "$full" --queue-depth=0
expect_rc 2 verify "$full" --no-fixed
expect_err "unknown option '--no-fixed'"
[ ! -e "$DISK_DIR/u.bak" ] && [ ! -e "$TEST_DIR/u.pool" ] ||
	fail "a usage error made a file"
exit 0
