/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Minimal test harness: checks that record file:line and keep going, one
 * summary line at the end ("N passed, N failed"), exit status for ctest.
 *
 *	static void test_x(void) { CHECK(1 + 1 == 2); CHECK_STREQ(a, "b"); }
 *	int main(void) { RUN(test_x); return th_done(); }
 *
 * th_skip(): exit 77 (ctest SKIP_RETURN_CODE) — except under CI=true, where a
 * skipped test is a failure (exit 1), as the project requires.
 */
#ifndef LECO_TEST_HARNESS_H
#define LECO_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_pass, th_fail;
static const char *th_current = "";

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (cond) {                                                                  \
			th_pass++;                                                           \
		} else {                                                                     \
			th_fail++;                                                           \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
				th_current, #cond);                                          \
		}                                                                            \
	} while (0)

#define CHECKF(cond, ...)                                                                    \
	do {                                                                                 \
		if (cond) {                                                                  \
			th_pass++;                                                           \
		} else {                                                                     \
			th_fail++;                                                           \
			fprintf(stderr, "%s:%d: %s: check failed: %s: ", __FILE__, __LINE__, \
				th_current, #cond);                                          \
			fprintf(stderr, __VA_ARGS__);                                        \
			fputc('\n', stderr);                                                 \
		}                                                                            \
	} while (0)

#define CHECK_STREQ(got, want)                                                                    \
	do {                                                                                      \
		const char *th_g_ = (got), *th_w_ = (want);                                       \
		CHECKF(th_g_ &&th_w_ &&strcmp(th_g_, th_w_) == 0, "\n   got: [%s]\n  want: [%s]", \
		       th_g_ ? th_g_ : "(null)", th_w_ ? th_w_ : "(null)");                       \
	} while (0)

#define CHECK_INTEQ(got, want)                                                 \
	do {                                                                   \
		long long th_g_ = (long long)(got), th_w_ = (long long)(want); \
		CHECKF(th_g_ == th_w_, "got %lld, want %lld", th_g_, th_w_);   \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		th_current = #fn;                                            \
		int th_f0_ = th_fail;                                        \
		fn();                                                        \
		printf("%s %s\n", th_fail == th_f0_ ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int th_done(void)
{
	printf("%d passed, %d failed\n", th_pass, th_fail);
	return th_fail ? 1 : 0;
}

static inline void th_skip(const char *reason)
{
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		printf("FAIL: would skip, but CI=true: %s\n", reason);
		exit(1);
	}
	printf("SKIP: %s\n", reason);
	exit(77);
}

#endif
