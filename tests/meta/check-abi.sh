#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-abi.sh -- one list of public names: the symbols libpmkv.so exports,
# lib/libpmkv.sym, the prototypes in libpmkv.h and the doc/man/*.3 pages
#
# Usage: check-abi.sh LIBPMKV_SO SOURCE_ROOT
#
# Each list is compared with the .sym file, the one a new function is added
# to first; every difference is printed. Every exported symbol must also
# carry a version node of lib/libpmkv.sym, whose first node is PMKV_0.1 (so
# today every symbol is PMKV_0.1). CC names the compiler that preprocesses
# the header (default cc). Exit 0 when all agree, 1 otherwise, 77 when a
# tool is missing.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 LIBPMKV_SO SOURCE_ROOT" >&2
	exit 99
fi
so=$1
top=$2
sym=$top/lib/libpmkv.sym
header=$top/lib/include/libpmkv.h
mandir=$top/doc/man
cc=${CC:-cc}

for tool in nm objdump "$cc"; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not found"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmkv-check-abi-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# the node names of the version script, and the names its nodes export
# (every "name;" line that is not "local: *;")
sed -n 's/^\([A-Z][A-Z0-9_.]*\)[[:space:]]*{.*/\1/p' "$sym" | sort -u \
	>"$tmp/nodes"
sed -e 's/#.*//' "$sym" | tr -s ' \t' '\n\n' |
	sed -n 's/^\([a-z_][a-z0-9_]*\);$/\1/p' | sort -u >"$tmp/sym"

# defined dynamic symbols, without version suffixes and without the
# absolute symbols that name the version nodes themselves
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u >"$tmp/exported"

# functions declared in the header: preprocessed (no comments, no macros),
# a name directly followed by "(" is a declaration; a typedef's name sits
# inside "(*name)" and is not
"$cc" -E -P -x c "$header" | tr '\n' ' ' |
	grep -oE '\<pmkv_[a-z0-9_]+[[:space:]]*\(' |
	sed 's/[[:space:](]//g' | sort -u >"$tmp/header"

# one page per function, aliases included
find "$mandir" -maxdepth 1 -name 'pmkv_*.3' -printf '%f\n' 2>/dev/null |
	sed 's/\.3$//' | sort -u >"$tmp/man"

status=0
compare() {
	local what=$1 file=$2 missing extra
	missing=$(comm -23 "$tmp/sym" "$file")
	extra=$(comm -13 "$tmp/sym" "$file")
	if [ -z "$missing" ] && [ -z "$extra" ]; then
		echo "ok: $what: the $(wc -l <"$file") names of libpmkv.sym"
		return
	fi
	status=1
	echo "not ok: $what differs from lib/libpmkv.sym"
	if [ -n "$missing" ]; then
		echo "  in libpmkv.sym, not in $what:"
		echo "$missing" | sed 's/^/    /'
	fi
	if [ -n "$extra" ]; then
		echo "  in $what, not in libpmkv.sym:"
		echo "$extra" | sed 's/^/    /'
	fi
}

if [ ! -s "$tmp/sym" ]; then
	echo "not ok: no names in $sym"
	exit 1
fi
compare "the symbols ${so##*/} exports" "$tmp/exported"
compare "the prototypes in libpmkv.h" "$tmp/header"
compare "doc/man/pmkv_*.3" "$tmp/man"

# every exported symbol is versioned, by a node of the .sym file whose
# first node is PMKV_0.1; objdump -T lines end "section size version name"
# and an unversioned symbol has no version column
objdump -T "$so" | awk '
	/^[0-9a-f]+ / {
		if ($(NF - 1) ~ /^[0-9a-f]+$/) {
			sec = $(NF - 2); ver = "(none)"
		} else {
			sec = $(NF - 3); ver = $(NF - 1)
		}
		gsub(/[()]/, "", ver)
		if (sec != "*UND*" && sec != "*ABS*")
			print $NF, ver
	}' | sort -u >"$tmp/versions"
unversioned=$(awk 'NR == FNR { node[$1] = 1; next }
	!($2 in node) { print "    " $1 " has version " $2 }' \
	"$tmp/nodes" "$tmp/versions")
if [ ! -s "$tmp/versions" ]; then
	echo "not ok: objdump -T lists no defined symbols in $so"
	status=1
elif [ -n "$unversioned" ]; then
	echo "not ok: symbols without a version node of libpmkv.sym ($(tr '\n' ' ' <"$tmp/nodes")):"
	echo "$unversioned"
	status=1
else
	echo "ok: every exported symbol has a version node: $(awk '{ print $2 }' "$tmp/versions" | sort | uniq -c | tr -s ' \n' ' ')"
fi
first=$(sed -n 's/^\([A-Z][A-Z0-9_.]*\)[[:space:]]*{.*/\1/p' "$sym" | head -n 1)
if [ "$first" != PMKV_0.1 ]; then
	echo "not ok: the first node of libpmkv.sym is '$first', not PMKV_0.1"
	status=1
fi
exit "$status"
