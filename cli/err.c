/* SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdio.h>
#include <string.h>

int fm_err_set(struct fm_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int fm_err_prefix(struct fm_err *err, const char *fmt, ...)
{
	char pre[256], old[sizeof(err->msg)];
	va_list ap;
	size_t n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	n = strlen(pre);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, pre, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	memcpy(err->msg + n, old, sizeof(err->msg) - n - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
	return -1;
}

void fm_warn(const char *fmt, ...)
{
	va_list ap;

	/* What went to standard output before it comes first where both go to one place. */
	fflush(stdout);
	fputs("fixmapctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
