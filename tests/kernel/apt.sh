# SPDX-License-Identifier: BSD-3-Clause
# apt.sh -- fetch Debian packages for the kernel suite (sourced by run and
# build-kernel).  The caller sets APT_DIR (downloads land in $APT_DIR/debs)
# and APT_LOG, which every fetch appends to.  Only the mirror the host
# already uses is contacted; newer suites go through a private apt
# configuration, never the host's own.

# the Debian mirror the host already uses, read from its apt sources
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		awk '/^URIs:/ { print $2; exit }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && awk '$1 == "deb" { for (i = 2; i <= NF; i++)
			if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
	done
}

# apt-get download $1, from the host's suites or, through a private apt
# configuration under $APT_DIR, from a newer suite of the same mirror.
# $APT_LOG only grows: a run fetches several packages and the one that
# failed is rarely the last, so each fetch appends under a header line.
fetch_deb() {
	local pkg=$1 dir=$APT_DIR mirror suite
	mkdir -p "$dir/debs"
	echo "# $(date -u +%FT%TZ) fetch $pkg" >>"$APT_LOG"
	(cd "$dir/debs" && apt-get download "$pkg" >>"$APT_LOG" 2>&1) && return 0
	mirror=$(host_mirror | grep -v security | head -n 1)
	[ -n "$mirror" ] || return 1
	for suite in trixie trixie-backports forky; do
		mkdir -p "$dir/$suite/lists/partial" "$dir/$suite/cache/archives/partial"
		local kr=/usr/share/keyrings/debian-archive-keyring.gpg
		if [ -f "$kr" ]; then
			echo "deb [signed-by=$kr] $mirror $suite main"
		else
			echo "deb $mirror $suite main"
		fi > "$dir/$suite/sources.list"
		local opts=(-o "Dir::Etc::sourcelist=$dir/$suite/sources.list"
			    -o "Dir::Etc::sourceparts=-"
			    -o "Dir::State::Lists=$dir/$suite/lists"
			    -o "Dir::Cache=$dir/$suite/cache"
			    -o "APT::Get::List-Cleanup=0")
		apt-get "${opts[@]}" update >>"$APT_LOG" 2>&1 || continue
		(cd "$dir/debs" && apt-get "${opts[@]}" download "$pkg" \
			>>"$APT_LOG" 2>&1) || continue
		return 0
	done
	return 1
}


# the newest of the files named (nullglob: none gives nothing)
newest() {
	[ $# -gt 0 ] && ls -t "$@" | head -n 1
}

# the .deb that fetch_deb $1 left in $APT_DIR/debs (the newest, if several)
fetched_deb() {
	newest "$APT_DIR/debs/$1"_*.deb
}
