/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h -- messages to the application's log function, by level */
#ifndef PMKV_LOG_H
#define PMKV_LOG_H

#include "config.h"
#include "libpmkv.h"

void log_msg(int level, const char *file, int line, const char *func,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
extern int log_level;
/* read PMKV_LOG once */
void log_init(void);

/* the level is checked before anything is formatted */
#define log_at(lvl, ...) do { \
	if (log_level >= (lvl)) \
		log_msg((lvl), __FILE__, __LINE__, __func__, __VA_ARGS__); \
} while (0)
#define log_err(...) log_at(PMKV_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_at(PMKV_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at(PMKV_LOG_INFO, __VA_ARGS__)
#if PMKV_DEBUG_LOG
#define dbg(...) log_at(PMKV_LOG_DEBUG, __VA_ARGS__)
#else
#define dbg(...) do { } while (0)
#endif

#endif /* PMKV_LOG_H */
