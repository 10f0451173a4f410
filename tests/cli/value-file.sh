#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# value-file.sh -- put --file and get --output as a user runs them: a value
# of 1 MiB and an odd tail goes from a file into the pool and back out,
# byte for byte, by the path the file's filesystem allows (whole pages
# direct, the tail bounced); an offset off a page, --no-direct and a small
# value go through the page cache; a missing file, a file shorter than
# --length and an existing output are exit 1 with the key and the files
# unchanged; usage errors are exit 2 and touch nothing
. "$(dirname "$0")/common.sh"
check_prereq python3
check_prereq cmp

# the value files go to DISK_DIR
use_disk_dir

pool=$TEST_DIR/p.pool

# check_json EXPECT SIZE [KEY=VALUE...] -- $OUT is the JSON report of a
# put --file or get --output of SIZE bytes; EXPECT is direct (whole pages
# direct, the tail bounced), buffered (every byte bounced), sync-direct or
# none; each KEY=VALUE is a field that must hold VALUE (as JSON text)
check_json()
{
	python3 - "$OUT" "$@" <<'PY' || fail "bad --json report: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
expect, size = sys.argv[2], int(sys.argv[3])
want = ["pool", "key", "file", "offset", "path", "bytes", "bounce_bytes"]
missing = [k for k in want if k not in d]
assert not missing, "missing %s" % missing
assert d["bytes"] == size, (d["bytes"], size)
if expect == "direct":
    assert d["path"] in ("uring", "sync-direct"), d["path"]
    assert d["bounce_bytes"] == size % 4096, (d["bounce_bytes"], size % 4096)
elif expect == "buffered":
    assert d["path"] == "buffered", d["path"]
    assert d["bounce_bytes"] == size, (d["bounce_bytes"], size)
elif expect == "sync-direct":
    assert d["path"] == "sync-direct", d["path"]
    assert d["bounce_bytes"] == size % 4096, (d["bounce_bytes"], size % 4096)
else:
    assert d["path"] == expect, d["path"]
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    assert d[k] == json.loads(v), "%s is %r, expected %s" % (k, d[k], v)
PY
}

# same_value KEY FILE -- plain get of KEY prints exactly FILE's bytes
same_value()
{
	expect_rc 0 get "$pool" -- "$1"
	cmp -s "$OUT" "$2" ||
		fail "value of '$1' is not $2: $(cmp "$OUT" "$2" 2>&1 | head -1)"
}

if direct "$DISK_DIR"; then disk_path=direct; else disk_path=buffered; fi

expect_rc 0 create "$pool"

# 1 MiB and an odd tail, in and out byte for byte
size=$(((1 << 20) + 4321))
src=$DISK_DIR/src.bin
head -c $size /dev/urandom >"$src"
expect_rc 0 put "$pool" big --file "$src" --json
[ ! -s "$ERR" ] || fail "put --file wrote to stderr: $(cat "$ERR")"
check_json $disk_path $size key='"big"' "file=\"$src\"" offset=0 \
	"pool=\"$pool\""
same_value big "$src"

out=$DISK_DIR/out.bin
expect_rc 0 get "$pool" big --output "$out" --json
[ ! -s "$ERR" ] || fail "get --output wrote to stderr: $(cat "$ERR")"
check_json $disk_path $size key='"big"' "file=\"$out\""
cmp "$src" "$out" || fail "get --output did not write the value back"

# without --json both are silent, as put and get are
expect_rc 0 put "$pool" big2 --file "$src"
[ ! -s "$OUT" ] || fail "put --file printed: $(cat "$OUT")"
expect_rc 0 get "$pool" big2 --output "$DISK_DIR/out2.bin"
[ ! -s "$OUT" ] || fail "get --output printed: $(cat "$OUT")"
cmp "$src" "$DISK_DIR/out2.bin" || fail "big2 changed on the way"

# the page cache: forced, an offset off a page, a value under 64 KiB
expect_rc 0 put "$pool" nodirect --file "$src" --no-direct --json
check_json buffered $size
same_value nodirect "$src"
expect_rc 0 get "$pool" nodirect --output "$DISK_DIR/nodirect.bin" \
	--no-direct --json
check_json buffered $size
cmp "$src" "$DISK_DIR/nodirect.bin" || fail "get --no-direct changed the value"

tail -c +101 "$src" >"$DISK_DIR/from100"
expect_rc 0 put "$pool" odd --file "$src" --offset 100 --json
check_json buffered $((size - 100)) offset=100
same_value odd "$DISK_DIR/from100"

head -c 1000 "$src" >"$DISK_DIR/small"
expect_rc 0 put "$pool" small --file "$DISK_DIR/small" --json
check_json buffered 1000

# an aligned part of the file: --offset and --length, sizes with suffixes
head -c $((4096 + 204800)) "$src" | tail -c 204800 >"$DISK_DIR/part"
expect_rc 0 put "$pool" part --file "$src" --offset=4K --length=200K --json
check_json $disk_path 204800 offset=4096
same_value part "$DISK_DIR/part"

keys=8
if [ $disk_path = direct ]; then
	keys=9
	expect_rc 0 put "$pool" nouring --file "$src" --no-uring \
		--queue-depth=1 --json
	check_json sync-direct $size
	same_value nouring "$src"
fi

# an empty file is an empty value, and comes back as an empty file
: >"$DISK_DIR/empty"
expect_rc 0 put "$pool" empty --file "$DISK_DIR/empty" --json
check_json none 0
expect_rc 0 get "$pool" empty --output "$DISK_DIR/empty.out" --json
check_json none 0
[ -f "$DISK_DIR/empty.out" ] && [ ! -s "$DISK_DIR/empty.out" ] ||
	fail "an empty value did not give an empty file"

# a key that starts with a dash, after --
expect_rc 0 put "$pool" --file "$DISK_DIR/small" -- -dash
expect_rc 0 get "$pool" --output "$DISK_DIR/dash.out" -- -dash
cmp "$DISK_DIR/small" "$DISK_DIR/dash.out" || fail "-dash changed"

# failures: exit 1, the key keeps its value
expect_rc 1 put "$pool" big --file "$DISK_DIR/none.bin"
expect_err "pmkv-cli put: $DISK_DIR/none.bin: No such file or directory"
same_value big "$src"

# shorter than --length: direct pages read, then the end of the file
expect_rc 1 put "$pool" big --file "$DISK_DIR/part" --length=2M
expect_err "pmkv-cli put: $DISK_DIR/part: No data available"
same_value big "$src"
# and through the page cache
expect_rc 1 put "$pool" big --file "$DISK_DIR/part" --offset=1 --length=204800
expect_err "No data available"
same_value big "$src"
expect_rc 1 put "$pool" big --file "$DISK_DIR/part" --offset=300K
expect_err "past its end"
same_value big "$src"
# a new key that failed is not there
expect_rc 1 put "$pool" never --file "$DISK_DIR/small" --length=1001
expect_rc 1 get "$pool" never
expect_err 'no key "never"'

# not a file to read at an offset: a directory, a pipe
expect_rc 1 put "$pool" big --file "$DISK_DIR"
expect_err "not a regular file or a block device"
expect_rc 1 put "$pool" big --file <(cat "$DISK_DIR/small")
expect_err "not a regular file or a block device"
same_value big "$src"
# the library's limit
expect_rc 1 put "$pool" big --file "$src" --length=300M
expect_err "pmkv-cli put: $pool: Invalid argument"
same_value big "$src"

# an existing output: refused and unchanged; --overwrite replaces it
cp "$DISK_DIR/small" "$DISK_DIR/exists"
expect_rc 1 get "$pool" big --output "$DISK_DIR/exists"
expect_err "File exists"
cmp "$DISK_DIR/small" "$DISK_DIR/exists" || fail "a refused get changed the file"
expect_rc 0 get "$pool" big --output "$DISK_DIR/exists" --overwrite
cmp "$src" "$DISK_DIR/exists" || fail "--overwrite did not replace the file"
# shorter over longer: no old tail is left
expect_rc 0 get "$pool" small --output "$DISK_DIR/exists" --overwrite
cmp "$DISK_DIR/small" "$DISK_DIR/exists" || fail "--overwrite left old bytes"

# an absent key makes no file, and leaves an existing one alone
expect_rc 1 get "$pool" nosuch --output "$DISK_DIR/nosuch.out"
expect_err 'no key "nosuch"'
[ ! -e "$DISK_DIR/nosuch.out" ] || fail "a get of an absent key made a file"
expect_rc 1 get "$pool" nosuch --output "$DISK_DIR/exists" --overwrite
cmp "$DISK_DIR/small" "$DISK_DIR/exists" || fail "an absent key cut the file"
expect_rc 1 get "$pool" big --output "$DISK_DIR/no/such/dir"
expect_err "pmkv-cli get: $DISK_DIR/no/such/dir: No such file or directory"

# usage: exit 2, nothing opened or made
for args in \
	"put $pool --file $src" \
	"put $pool k v --file $src" \
	"put $pool k v --offset=1" \
	"put $pool k v --length=1" \
	"put $pool k v --json" \
	"put $pool k v --no-direct" \
	"put $pool k --file=" \
	"put $pool k --file $src --offset=abc" \
	"put $pool k --file $src --length=-1" \
	"put $pool k --file $src --queue-depth=0" \
	"put $pool k --file $src --no-fixed" \
	"put $pool k --file" \
	"get $pool k --overwrite" \
	"get $pool k --json" \
	"get $pool k --output=" \
	"get $pool --output $DISK_DIR/usage.out" \
	"get $pool k extra --output $DISK_DIR/usage.out" \
	"get $pool k --output $DISK_DIR/usage.out --bogus"; do
	# shellcheck disable=SC2086 # the words are the arguments
	expect_rc 2 $args
	expect_err "usage: pmkv-cli ${args%% *}"
done
[ ! -e "$DISK_DIR/usage.out" ] || fail "a usage error made an output file"
expect_rc 0 put --help
grep -q -- "--file=<file>" "$OUT" || fail "put --help lacks --file"
expect_rc 0 get --help
grep -q -- "--output=<file>" "$OUT" || fail "get --help lacks --output"

# nothing failed left a value: the keys put above, and no more
expect_rc 0 info --json "$pool"
grep -q "\"keys\": $keys," "$OUT" ||
	fail "expected $keys keys: $(grep keys "$OUT")"
exit 0
