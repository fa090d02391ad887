/* SPDX-License-Identifier: MIT */
/*
 * Minimal unit-test harness: each test program runs its cases and prints
 * "PASS: name" / "FAIL: name (file:line: expr)" per case, which
 * tests/run-tests.sh counts. Exit status is 1 if any case failed.
 */
#ifndef FIXMAP_UNIT_H
#define FIXMAP_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_failed, unit_cur_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
			unit_cur_failed = 1;                                                       \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
	do {                                                                                       \
		uint64_t a_ = (a), b_ = (b);                                                       \
		if (a_ != b_) {                                                                    \
			printf("  %s:%d: %s == %#" PRIx64 ", expected %s == %#" PRIx64 "\n",        \
			       __FILE__, __LINE__, #a, a_, #b, b_);                                \
			unit_cur_failed = 1;                                                       \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                                \
			printf("  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,  \
			       a_ ? a_ : "(null)", b_ ? b_ : "(null)");                            \
			unit_cur_failed = 1;                                                       \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		unit_cur_failed = 0;                                                               \
		fn();                                                                              \
		printf("%s: %s\n", unit_cur_failed ? "FAIL" : "PASS", #fn);                        \
		unit_failed |= unit_cur_failed;                                                    \
	} while (0)

#define UNIT_EXIT() (unit_failed ? 1 : 0)

#endif
