/* SPDX-License-Identifier: BSD-3-Clause */
/* device.h -- a device DAX's size and alignment (device_daxctl.c, device_none.c) */
#ifndef PMKV_DEVICE_H
#define PMKV_DEVICE_H

#include <stdint.h>

int device_dax_info(const char *path, uint64_t *size, uint64_t *align);

#endif /* PMKV_DEVICE_H */
