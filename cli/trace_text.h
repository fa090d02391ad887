/* SPDX-License-Identifier: MIT */
/*
 * Trace text format, version 1 (DESIGN.md section 3, man/fixmap-trace.5):
 * a streaming reader that returns one event at a time (memory does not grow
 * with the file: lines are read through a fixed buffer and a line longer than
 * TRACE_TEXT_MAX_LINE is an error), and the writer and formatter that produce
 * the same text.
 */
#ifndef FIXMAP_TRACE_TEXT_H
#define FIXMAP_TRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "event.h"

#define TRACE_TEXT_MAX_LINE 4096 /* bytes per line, newline excluded */

struct trace_reader;

/*
 * Reads the header and every declaration up to the first event into ctx
 * (free it with fm_ctx_free() after trace_text_close(); on failure it is freed).
 * Declarations between events (DESIGN.md section 3a: `table`, `cut`) are
 * added to ctx and also returned by trace_text_next() as FM_EV_TABLE and
 * FM_EV_CUT items, so a streaming consumer sees them in order.
 * name is used in messages ("NAME:LINE: why"). Returns NULL with err set on
 * bad input. The reader does not close f.
 */
struct trace_reader *trace_text_open(FILE *f, const char *name, struct fm_trace_ctx *ctx,
				     struct fm_err *err);
/* Next event: 1, 0 at end of file, -1 with err = "NAME:LINE: what was expected". */
int trace_text_next(struct trace_reader *r, struct fm_event *ev, struct fm_err *err);
/* Lines read so far. */
unsigned long trace_text_line(const struct trace_reader *r);
void trace_text_close(struct trace_reader *r);

/* Writer: the header and declarations, then one line per event. -1 on a write error. */
int trace_text_write_header(FILE *f, const struct fm_trace_ctx *ctx);
int trace_text_write_event(FILE *f, const struct fm_trace_ctx *ctx, const struct fm_event *ev);
/* Declaration line of table i ("table NAME regime=..."), without newline. */
size_t trace_text_format_table(const struct fm_trace_ctx *ctx, unsigned i, char *buf, size_t n);
/* One event as its trace line, without newline; returns the length like snprintf. */
size_t trace_text_format_event(const struct fm_trace_ctx *ctx, const struct fm_event *ev, char *buf,
			       size_t n);

/*
 * The reader parses the most common event lines on a fast path that gives
 * exactly what the general parser gives; tests turn it off to compare the two.
 */
extern bool trace_text_fast_path;

/* Index of a declared table by name, or -1. */
int trace_text_table(const struct fm_trace_ctx *ctx, const char *name);
/* Whether CPU cpu walks table t. */
static inline int trace_ctx_walks(const struct fm_trace_ctx *ctx, unsigned t, unsigned cpu)
{
	return t < ctx->ntables && cpu < FM_MAX_CPUS &&
	       ((ctx->tables[t].cpus[cpu / 64] >> (cpu % 64)) & 1);
}

#endif
