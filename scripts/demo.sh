#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/demo.sh -- install the packages, build into ./build as
# scripts/test.sh does, and run pmkv-cli bench with its defaults
#
# The README's first command. Arguments are passed on to pmkv-cli bench.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$pmkv_top"

builddir=${PMKV_BUILDDIR:-build}

pmkv_install_packages
CC=gcc CXX=g++ pmkv_build "$builddir" -Dwerror=true
exec "$builddir/tools/pmkv-cli/pmkv-cli" bench "$@"
