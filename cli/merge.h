/* SPDX-License-Identifier: MIT */
/*
 * Merges the events of every CPU's ring into one stream in global sequence
 * order (hdr.seq, taken by the agent for every event before it writes it).
 *
 * A drain sees each ring up to the head it read, so an event with a small seq
 * may still be in flight on one CPU (seq taken, record not yet published)
 * while later ones from other CPUs are already here. Events are therefore
 * held in a heap and released only below a watermark the caller gives: the
 * hdr.seq value read at the previous drain, below which every event has had a
 * whole interval to be published. An event that still arrives late is emitted
 * at once and counted.
 *
 * Gaps (events a CPU's ring could not hold) are events too (FM_EV_LOST,
 * cli/ring.h), merged at their place like the others; one that shares its
 * sequence number with another event of its CPU comes after it.
 */
#ifndef FIXMAP_MERGE_H
#define FIXMAP_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

typedef void (*merge_event_fn)(void *arg, const struct fm_event *ev);

struct merge {
	struct fm_event *heap;
	size_t n, cap;
	uint64_t last_seq; /* of the last event emitted */
	uint64_t emitted;
	uint64_t late; /* events emitted after a later one had been */
	uint64_t trimmed;
};

void merge_init(struct merge *m);
void merge_free(struct merge *m);
int merge_push(struct merge *m, const struct fm_event *ev, struct fm_err *err);
/*
 * Emits held events with seq < below (UINT64_MAX: all), in order, at most max
 * of them (0: no limit). Returns how many were emitted.
 */
size_t merge_emit(struct merge *m, uint64_t below, size_t max, merge_event_fn fn, void *arg);
/*
 * End of a live stream: drops each CPU's held events after its last held
 * store of a valid descriptor (a make), so the stream ends between two
 * maintenance sequences instead of inside one. A CPU with no make held keeps
 * everything. Returns the number dropped (also added to m->trimmed).
 */
size_t merge_trim_unfinished(struct merge *m);

#endif
