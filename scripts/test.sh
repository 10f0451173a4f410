#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/test.sh -- install the packages, build with gcc and -Werror into
# ./build, run every test suite that the build defines
#
# The README's second command, and the first test step of .ci/run.
# PMKV_BUILDDIR picks another build directory, PMKV_JOBS limits ninja.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$pmkv_top"

builddir=${PMKV_BUILDDIR:-build}

pmkv_install_packages
CC=gcc CXX=g++ pmkv_build "$builddir" -Dwerror=true
pmkv_meson_test "$builddir" testlog
