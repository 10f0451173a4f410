// SPDX-License-Identifier: BSD-3-Clause
/* strerror-errormsg.c -- naming codes, and the per-thread failure message */
/*
 * Proves:
 *   - every PMKV_E_* code has its own string, not NULL, not empty, not an
 *     "unknown" placeholder, and different from every other's;
 *   - pmkv_strerror(-ENOENT) (and other -errno) gives strerror()'s text;
 *     0 and codes nobody defined still give a non-NULL string;
 *   - pmkv_err_to_errno() maps -errno to errno, CORRUPT to EUCLEAN,
 *     FOREIGN to EINVAL, VERSION to EPROTONOSUPPORT, and every PMKV_E_* to some positive
 *     errno;
 *   - pmkv_errormsg() is never NULL, is set by a failure, and belongs to
 *     the calling thread: a failure in another thread does not change it.
 */
#include <errno.h>
#include <pthread.h>

#include "t.h"

static char other_msg[512];

static void *other_thread(void *arg)
{
	struct pmkv *kv = NULL;
	const char *m;

	(void)arg;
	/* a fresh thread has a message too, even if empty */
	T_ASSERT(pmkv_errormsg() != NULL);
	T_EXPECT_ERR(pmkv_open("/nonexistent-thread-path", NULL, &kv),
		     -ENOENT, "/nonexistent-thread-path");
	m = pmkv_errormsg();
	snprintf(other_msg, sizeof(other_msg), "%s", m);
	return NULL;
}

int main(void)
{
	static const int errnos[] = {
		ENOENT, EINVAL, EBUSY, EEXIST, ENOSPC, EROFS, ENOBUFS, EACCES,
		EISDIR, ENOMEM, E2BIG,
	};
	const char *names[PMKV_E_CORRUPT - PMKV_E_LAST + 1], *s;
	char mine[512];
	struct pmkv *kv = NULL;
	pthread_t th;
	int code, i, j, n = PMKV_E_CORRUPT - PMKV_E_LAST + 1;

	T_ASSERT_EQ(PMKV_E_LAST, PMKV_E_POISONED);
	T_ASSERT(pmkv_errormsg() != NULL);

	for (i = 0; i < n; i++) {
		code = PMKV_E_CORRUPT - i;
		s = pmkv_strerror(code);
		if (!s || !*s || strcasestr(s, "unknown"))
			T_FAIL("pmkv_strerror(%d) = \"%s\"", code,
			       s ? s : "(NULL)");
		for (j = 0; j < i; j++)
			if (strcmp(s, names[j]) == 0)
				T_FAIL("pmkv_strerror(%d) and (%d) are both "
				       "\"%s\"", code, PMKV_E_CORRUPT - j, s);
		names[i] = s;
		t_info("%d: %s -> errno %d", code, s, pmkv_err_to_errno(code));
		T_ASSERT(pmkv_err_to_errno(code) > 0);
	}

	for (i = 0; i < (int)(sizeof(errnos) / sizeof(errnos[0])); i++) {
		s = pmkv_strerror(-errnos[i]);
		T_ASSERT(s != NULL);
		if (!strstr(s, strerror(errnos[i])))
			T_FAIL("pmkv_strerror(-%d) = \"%s\", strerror says "
			       "\"%s\"", errnos[i], s, strerror(errnos[i]));
		T_ASSERT_EQ(pmkv_err_to_errno(-errnos[i]), errnos[i]);
		for (j = 0; j < n; j++)
			T_ASSERT(strcmp(s, names[j]) != 0);
	}
	T_ASSERT(pmkv_strerror(0) != NULL);
	T_ASSERT(pmkv_strerror(PMKV_E_LAST - 1) != NULL);
	T_ASSERT(pmkv_strerror(-20999) != NULL);
	T_ASSERT(pmkv_strerror(12345) != NULL);
	T_ASSERT(pmkv_strerror(-100000) != NULL);
	T_ASSERT(pmkv_strerror(-2147483647 - 1) != NULL);

	/* this thread's message survives another thread's failure */
	code = pmkv_open("/nonexistent-main-path", NULL, &kv);
	snprintf(mine, sizeof(mine), "%s", pmkv_errormsg());
	T_EXPECT_ERR(code, -ENOENT, "/nonexistent-main-path");
	if (pthread_create(&th, NULL, other_thread, NULL))
		t_error("pthread_create failed");
	pthread_join(th, NULL);
	T_ASSERT(strstr(other_msg, "/nonexistent-thread-path") != NULL);
	T_ASSERT(strcmp(pmkv_errormsg(), mine) == 0);
	T_ASSERT(strstr(pmkv_errormsg(), "/nonexistent-main-path") != NULL);

	/* the mapping libpmkv.h names */
	T_ASSERT_EQ(pmkv_err_to_errno(PMKV_E_CORRUPT), EUCLEAN);
	T_ASSERT_EQ(pmkv_err_to_errno(PMKV_E_FOREIGN), EINVAL);
	T_ASSERT_EQ(pmkv_err_to_errno(PMKV_E_VERSION), EPROTONOSUPPORT);
	return T_EXIT_PASS;
}
