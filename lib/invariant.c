// SPDX-License-Identifier: BSD-3-Clause
/* invariant.c -- what a failed PMKV_ASSERT says before it aborts */
#include <stdlib.h>

#include "invariant.h"
#include "log.h"

void invariant_fail(const char *file, int line, const char *func,
		    const char *expr)
{
	/* whatever the level: to the application's log function, or stderr */
	log_msg(PMKV_LOG_ERR, file, line, func, "invariant failed at %s:%d: %s",
		file, line, expr);
	abort();
}
