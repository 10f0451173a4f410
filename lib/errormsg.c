// SPDX-License-Identifier: BSD-3-Clause
/* errormsg.c -- error codes, their names, and the thread's last message */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errormsg.h"
#include "log.h"

/* long enough for two paths and the values that explain a failure */
#define MSG_MAX 1024

static __thread char last_msg[MSG_MAX];

int err_set(int code, const char *file, int line, const char *func,
	    const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	if (log_level >= PMKV_LOG_ERR)
		log_msg(PMKV_LOG_ERR, file, line, func, "%s", last_msg);
	errno = saved;
	return code;
}

int err_quiet(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	errno = saved;
	return code;
}

int err_plain(int code, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= sizeof(last_msg))
		n = sizeof(last_msg) - 1;
	memcpy(last_msg, msg, n);
	last_msg[n] = '\0';
	return code;
}

const char *pmkv_errormsg(void)
{
	return last_msg;
}

static const char *const own[] = {
	[0] = "PMKV_E_CORRUPT: a damaged pool or backup",
	[1] = "PMKV_E_FOREIGN: not a pmkv pool",
	[2] = "PMKV_E_VERSION: pool format not supported by this build",
	[3] = "PMKV_E_GRANULARITY: medium cannot give the required durability",
	[4] = "PMKV_E_POISONED: an earlier durable write failed; handle is read-only",
};
_Static_assert(sizeof(own) / sizeof(own[0]) == PMKV_E_CORRUPT - PMKV_E_LAST + 1,
	       "one string per PMKV_E_* code");

const char *pmkv_strerror(int code)
{
	if (code == 0)
		return "Success";
	if (code <= PMKV_E_CORRUPT && code >= PMKV_E_LAST)
		return own[PMKV_E_CORRUPT - code];
	if (code < 0 && code > -4096) {
		/* strerror() may format into a shared buffer: not constant */
		const char *d = strerrordesc_np(-code);

		if (d)
			return d;
	}
	return "Unknown pmkv error code";
}

int pmkv_err_to_errno(int code)
{
	switch (code) {
	case 0:
		return 0;
	case PMKV_E_CORRUPT:
		return EUCLEAN;
	case PMKV_E_FOREIGN:
		return EINVAL;
	case PMKV_E_VERSION:
		return EPROTONOSUPPORT;
	case PMKV_E_GRANULARITY:
		return EOPNOTSUPP;
	case PMKV_E_POISONED:
		return EIO;
	}
	if (code < 0 && code > -4096)
		return -code;
	return EINVAL;
}
