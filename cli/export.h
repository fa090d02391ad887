/* SPDX-License-Identifier: MIT */
/*
 * Events and findings as Chrome/Perfetto trace-event JSON (the "JSON Array
 * Format" with a traceEvents object, as the Perfetto UI, chrome://tracing and
 * speedscope import it), written as a stream:
 *
 *   - one process, one track (tid) per CPU, named "cpuN";
 *   - every page-table store, barrier, TLBI (and access, free, use, lost) a
 *     complete slice ("ph":"X") on its CPU with its arguments (line, PC and
 *     symbol, VA, level, descriptors, operand);
 *   - every finding an instant event ("ph":"i", thread scope) on the CPU that
 *     erred, named by its rule, with the message;
 *   - every break-before-make window an async span ("ph":"b"/"e", category
 *     "bbm") per entry, from the store that broke it to the one that made it
 *     valid again (still open at the end: closed there, "open_at_end").
 *
 * The trace format has no clock: an event's timestamp is its position in the
 * stream (the checker's sequence number), one microsecond per event, so
 * slices on a track never overlap and findings sit on the event they name.
 * Memory: the open windows only.
 */
#ifndef FIXMAP_EXPORT_H
#define FIXMAP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "bbm.h"
#include "err.h"
#include "event.h"

struct perfetto;

/* Starts the JSON on f (not closed by perfetto_close). name: the trace's name. */
struct perfetto *perfetto_open(FILE *f, const struct fm_trace_ctx *ctx, const char *name,
			       struct fm_err *err);
/* Names PCs in slice arguments ("symbol"). */
void perfetto_set_symbolizer(struct perfetto *p, bbm_symbolize_fn fn, void *arg);
/* Event ev at time ts (the checker's sequence number for it). */
void perfetto_event(struct perfetto *p, uint64_t ts, const struct fm_event *ev);
void perfetto_finding(struct perfetto *p, const struct bbm_finding *f);
/* Windows opened and not yet closed. */
uint64_t perfetto_windows(const struct perfetto *p);
/* Closes what is open and ends the JSON; -1 if a write failed. Frees p. */
int perfetto_close(struct perfetto *p);

#endif
