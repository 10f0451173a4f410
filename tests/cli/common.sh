# SPDX-License-Identifier: BSD-3-Clause
# common.sh -- sourced by every tests/cli/*.sh: err trap, pool dir, $PMKV_CLI
#
# Exit codes follow meson: 0 pass, 1 fail, 77 skip, 99 harness error.
# A command that fails where the test does not expect it fails the test
# through the ERR trap, which names the line.

set -eE -o pipefail

TEST_NAME=$(basename "$0" .sh)

# the line of the test script being run, even from inside a helper here
test_line()
{
	local i

	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]}" = "$0" ]; then
			echo "${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
	echo "$1"
}

# err -- report the failing line and fail; trapped on any unchecked error
err()
{
	echo "test/$TEST_NAME: failed at line $(test_line "$1")" >&2
	exit 1
}
trap 'err $LINENO' ERR

# fail -- fail with a reason, for checks that are not a failing command
fail()
{
	echo "test/$TEST_NAME: FAIL at line $(test_line "?"): $*" >&2
	exit 1
}

do_skip()
{
	echo "test/$TEST_NAME: SKIP: $*" >&2
	exit 77
}

check_prereq()
{
	command -v "$1" >/dev/null 2>&1 || do_skip "missing $1"
}

if [ -z "$PMKV_CLI" ] || [ ! -x "$PMKV_CLI" ]; then
	echo "test/$TEST_NAME: PMKV_CLI='$PMKV_CLI' is not an executable" >&2
	exit 99
fi

# pools on tmpfs where there is one: fast and never on a real disk
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TEST_BASE=/dev/shm
else
	TEST_BASE=${TMPDIR:-/tmp}
fi
TEST_DIR=$(mktemp -d "$TEST_BASE/pmkv-cli-$TEST_NAME.XXXXXX") ||
	{ echo "test/$TEST_NAME: no temporary directory" >&2; exit 99; }
trap 'rm -rf "$TEST_DIR"' EXIT

# the last command's stdout, stderr and exit code, for expect_*
OUT=$TEST_DIR/out
ERR=$TEST_DIR/err

# run -- run pmkv-cli, keep stdout in $OUT, stderr in $ERR, code in $RC
run()
{
	RC=0
	"$PMKV_CLI" "$@" >"$OUT" 2>"$ERR" || RC=$?
}

# expect_rc CODE ARGS... -- run pmkv-cli and require exit code CODE
expect_rc()
{
	local want=$1

	shift
	run "$@"
	if [ "$RC" -ne "$want" ]; then
		echo "test/$TEST_NAME: pmkv-cli $* exited $RC, expected $want" >&2
		echo "--- stdout" >&2
		head -c 2000 "$OUT" >&2
		echo "--- stderr" >&2
		head -c 2000 "$ERR" >&2
		fail "wrong exit code"
	fi
}

# expect_err TEXT -- the last run's stderr contains TEXT
expect_err()
{
	grep -qF -- "$1" "$ERR" || {
		echo "--- stderr" >&2
		cat "$ERR" >&2
		fail "stderr lacks '$1'"
	}
}

# expect_out TEXT -- the last run's stdout is exactly TEXT
expect_out()
{
	local got

	got=$(cat "$OUT"; echo x)
	got=${got%x}
	[ "$got" = "$1" ] || fail "stdout is '$got', expected '$1'"
}

# use_disk_dir -- DISK_DIR: a second directory, on a disk filesystem where
# there is one ($TMPDIR or /tmp); /dev/shm (TEST_DIR) and a disk may differ
# in what O_DIRECT they allow. Both are removed at exit.
use_disk_dir()
{
	DISK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pmkv-cli-$TEST_NAME.XXXXXX") ||
		{ echo "test/$TEST_NAME: no temporary directory" >&2; exit 99; }
	trap 'rm -rf "$TEST_DIR" "$DISK_DIR"' EXIT
}

# direct DIR -- whether DIR's filesystem takes a 4 KiB O_DIRECT write
direct()
{
	dd if=/dev/zero of="$1/.direct-probe" bs=4096 count=1 oflag=direct \
		2>/dev/null
	local rc=$?

	rm -f "$1/.direct-probe"
	return $rc
}
