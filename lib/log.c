// SPDX-License-Identifier: BSD-3-Clause
/* log.c -- diagnosis output: silent unless PMKV_LOG or the caller asks */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int log_level = PMKV_LOG_ERR - 1;	/* silent */
static pmkv_log_fn log_fn;
static void *log_userdata;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_read_env(void)
{
	static const char *const names[] = {
		[PMKV_LOG_ERR] = "err", [PMKV_LOG_WARN] = "warn",
		[5] = "notice", [PMKV_LOG_INFO] = "info",
		[PMKV_LOG_DEBUG] = "debug",
	};
	const char *v = secure_getenv("PMKV_LOG");
	char *end;
	long n;

	if (!v || !*v)
		return;
	for (int i = PMKV_LOG_ERR; i <= PMKV_LOG_DEBUG; i++)
		if (names[i] && strcmp(v, names[i]) == 0) {
			log_level = i;
			return;
		}
	n = strtol(v, &end, 10);
	if (*end == '\0' && n >= PMKV_LOG_ERR && n <= PMKV_LOG_DEBUG)
		log_level = (int)n;
}

void log_init(void)
{
	pthread_once(&log_once, log_read_env);
}

__attribute__((constructor)) static void log_ctor(void)
{
	log_init();
}

void log_msg(int level, const char *file, int line, const char *func,
	     const char *fmt, ...)
{
	char buf[1024];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_fn)
		log_fn(log_userdata, level, file, line, func, buf);
	else
		fprintf(stderr, "libpmkv: %s: %s\n", func, buf);
	errno = saved;
}

void pmkv_log_set_fn(pmkv_log_fn fn, void *userdata)
{
	log_fn = fn;
	log_userdata = userdata;
}

int pmkv_log_set_level(int level)
{
	if (level < PMKV_LOG_ERR - 1 || level > PMKV_LOG_DEBUG)
		return -EINVAL;
	log_init();
	log_level = level;
	return 0;
}
