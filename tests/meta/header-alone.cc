/* SPDX-License-Identifier: BSD-3-Clause */
/* header-alone.cc -- libpmkv.h compiles alone as C++ and links */
#include "header-alone.c"
