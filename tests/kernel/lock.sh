# SPDX-License-Identifier: BSD-3-Clause
# lock.sh -- one user at a time for a build directory (sourced by run,
# build-kernel and mutate)
#
#   kt_lock DIR WHAT
#
# Takes an exclusive flock on DIR/.lock through fd 9 and keeps it until the
# script exits; writes "pid command" into the file for whoever finds the
# directory busy.  WHAT is the caller's name ("build-kernel"): it begins the
# recorded command, followed by the script's own arguments.  Returns 0 with
# the lock held, non-zero with KT_LOCK_ERR set when DIR is busy or the lock
# cannot be taken.  It prints nothing and does not exit, so that each
# caller reports as its readers expect: run as its "ERROR: ..." verdict
# line, the others on stderr (kt_lock_or_exit).
#
# A holder that dies, even by SIGKILL, leaves no stale lock: the kernel
# drops a flock when the last descriptor of it closes.  Children inherit
# fd 9, so a make or a QEMU that outlives its script still holds the
# directory, which is right: it is still using it.

# the arguments of the script that sourced us, from its command line
kt_lock_args() {
	local argv=()
	[ -r "/proc/$$/cmdline" ] || return 0
	mapfile -d '' -t argv < "/proc/$$/cmdline"
	# run by its #! line (or "bash script"): interpreter, $0, arguments
	[ "${argv[1]:-}" = "$0" ] && printf ' %s' "${argv[@]:2}"
}

kt_lock() {
	local dir=$1 what=$2 file=$1/.lock holder
	KT_LOCK_ERR=
	command -v flock >/dev/null || {
		KT_LOCK_ERR="no flock (apt-get install util-linux)"
		return 1
	}
	# append, not truncate: until we hold the lock the file is the
	# holder's, and its "pid command" is what our message quotes
	{ exec 9>>"$file"; } 2>/dev/null || {
		KT_LOCK_ERR="cannot open $file"
		return 1
	}
	if ! flock -n 9; then
		holder=$(head -n 1 "$file" 2>/dev/null)
		if [ -n "$holder" ]; then
			holder="pid ${holder%% *} (${holder#* })"
		else
			# it has the lock but has not written its name yet
			holder="another process"
		fi
		KT_LOCK_ERR="$dir is in use by $holder; pass --build DIR"
		exec 9>&-
		return 2
	fi
	# a second open of the same file: the lock belongs to fd 9's open
	# file description and survives this one's close
	printf '%s %s%s\n' "$$" "$what" "$(kt_lock_args | tr '\n' ' ')" > "$file"
}

# kt_lock, or "WHAT: why" on stderr and exit 2 (a tool's usage error)
kt_lock_or_exit() {
	kt_lock "$@" && return 0
	echo "$2: $KT_LOCK_ERR" >&2
	exit 2
}
