# SPDX-License-Identifier: BSD-3-Clause
# scripts/lib.sh -- sourced by scripts/*.sh and .ci/run: install the
# packages of .ci/packages, build with meson, run meson test and count
# what ran (a run in which nothing passed is a failure)

pmkv_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

pmkv_log() {
	printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"
}

# the package list without comments and blank lines
pmkv_packages() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$pmkv_top/.ci/packages"
}

pmkv_missing_packages() {
	local p
	for p in $(pmkv_packages); do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

#
# pmkv_install_packages [--always] -- apt-get update and install
# .ci/packages, as root on a system with apt-get
#
# Without --always nothing is asked of the network when every package is
# installed already. With it (.ci/run) the update and install always run;
# only a failed update with nothing missing is forgiven, since the
# mirror is then not needed.
#
pmkv_install_packages() {
	local always=${1-} missing
	if ! command -v dpkg-query >/dev/null; then
		pmkv_log "packages: not a Debian system; install the equivalents of .ci/packages yourself"
		return 0
	fi
	missing=$(pmkv_missing_packages | tr '\n' ' ')
	if [ "$always" != --always ] && [ -z "$missing" ]; then
		pmkv_log "packages: all $(pmkv_packages | wc -l) of .ci/packages installed"
		return 0
	fi
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		if [ -n "$missing" ]; then
			pmkv_log "packages: missing ${missing}- run as root to install them; going on without" >&2
		fi
		return 0
	fi
	export DEBIAN_FRONTEND=noninteractive
	# wait for another apt or dpkg (unattended upgrades) instead of failing
	local apt=(apt-get -q -o Acquire::Retries=3 -o DPkg::Lock::Timeout=600)
	if ! "${apt[@]}" update; then
		if [ -n "$missing" ]; then
			pmkv_log "packages: apt-get update failed and ${missing}are missing" >&2
			return 1
		fi
		pmkv_log "packages: apt-get update failed; every package is installed, going on" >&2
	fi
	# shellcheck disable=SC2046 # one word per package
	"${apt[@]}" install -y $(pmkv_packages)
}

#
# pmkv_build DIR [meson options] -- set up (or reconfigure) DIR and build it
#
# The compiler is whatever CC and CXX say when DIR is first set up. PMKV_JOBS
# limits ninja's parallelism (default: one job per core).
#
pmkv_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@"
	else
		meson setup "$dir" "$pmkv_top" "$@"
	fi
	meson compile -C "$dir" ${PMKV_JOBS:+-j "$PMKV_JOBS"}
}

#
# pmkv_tally JSONLOG NAME -- print "NAME: N passed, N failed, N skipped"
# from meson's test log; fails when nothing passed. With PMKV_TALLY set,
# the counts are also appended to that file for .ci/run's total.
#
pmkv_tally() {
	local log=$1 name=$2 counts passed failed skipped
	if [ -f "$log" ]; then
		counts=$(python3 - "$log" <<'PY'
import json, sys
ok = bad = skip = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r == "SKIP":
            skip += 1
        else:
            bad += 1
print(ok, bad, skip)
PY
)
	else
		counts="0 0 0"
	fi
	read -r passed failed skipped <<<"$counts"
	echo "$name: $passed passed, $failed failed, $skipped skipped"
	if [ -n "${PMKV_TALLY-}" ]; then
		echo "$name $passed $failed $skipped" >>"$PMKV_TALLY"
	fi
	if [ "$passed" -eq 0 ]; then
		echo "$name: no test passed: nothing was tested" >&2
		return 1
	fi
}

#
# pmkv_meson_test DIR NAME [meson test options] -- meson test with its log
# in DIR/meson-logs/NAME.{txt,json}, then the tally of that log
#
# meson adds "-<wrapper>" or "-<setup>" to the log's name, so the log is
# the NAME*.json that this run wrote.
#
pmkv_meson_test() {
	local dir=$1 name=$2 rc=0 mark log
	shift 2
	mkdir -p "$dir/meson-logs"
	mark=$(mktemp "$dir/meson-logs/.start-XXXXXX")
	meson test -C "$dir" --print-errorlogs --logbase "$name" "$@" || rc=$?
	log=$(find "$dir/meson-logs" -maxdepth 1 -name "$name*.json" \
		-newer "$mark" | head -n 1)
	rm -f "$mark"
	pmkv_tally "${log:-/nonexistent}" "$name" || rc=1
	return "$rc"
}
