/* SPDX-License-Identifier: MIT */
/* Error values carried up from every layer: one sentence, no exit() below main. */
#ifndef FIXMAP_ERR_H
#define FIXMAP_ERR_H

#include <stdarg.h>

struct fm_err {
	char msg[512];
};

/* Sets err->msg (err may be NULL) and returns -1, so callers can `return fm_err_set(...)`. */
int fm_err_set(struct fm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the existing message with "what: ". */
int fm_err_prefix(struct fm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "fixmapctl: <what>: <why>" (or "fixmapctl: <msg>") to stderr. */
void fm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
