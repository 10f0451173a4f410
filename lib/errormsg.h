/* SPDX-License-Identifier: BSD-3-Clause */
/* errormsg.h -- the calling thread's error message, set where a call fails */
#ifndef PMKV_ERRORMSG_H
#define PMKV_ERRORMSG_H

/* set the thread's message, log it at error level, return code */
int err_set(int code, const char *file, int line, const char *func,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define pmkv_err(code, ...) err_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * Expected outcomes (no such key, a buffer too small) set the message but
 * are not logged: nothing above debug level is logged on the get path.
 */
int err_plain(int code, const char *msg);
int err_quiet(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* PMKV_ERRORMSG_H */
