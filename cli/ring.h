/* SPDX-License-Identifier: MIT */
/*
 * Consumer side of the agent's per-CPU event rings (proto/fixmap_proto.h).
 *
 * One drain of every ring, in as few target round trips as the target allows:
 *
 *   0. when the consumer's wait request (rs->wait_ms) changed, write it to
 *      every ring first (lossless or lossy from the heads read on);
 *   1. one batched read: hdr.seq, then every CPU's producer line (head, lost,
 *      ring geometry); then an acquire fence — this is load-acquire(head), (2)
 *      in the protocol's table, so the record bytes below are visible;
 *   2. one batched read of the bytes [tail, head) of every ring (two pieces
 *      where a ring wraps);
 *   3. decode the records to struct fm_event (cli/event.h), skipping PAD
 *      records and types this reader does not know by their size; a LOST
 *      record becomes a gap event (FM_EV_LOST: arg events of the CPU were
 *      lost there, `cN lost count=C` in trace files) at its place in the
 *      stream. Drops no LOST record reports are placed by the lost counter:
 *      after each drain's last record for a protocol-1.0 agent, at the end
 *      of the stream (ring_set_end) otherwise;
 *   4. a release fence, then write every advanced tail back — store-release
 *      (tail), (1) in the table — so the agent may reuse the space only after
 *      we have finished reading it.
 *
 * Over the gdbstub the caller stops the guest around a drain; over a memory
 * file the guest keeps running and the contract alone keeps us safe.
 *
 * Everything read is checked: head behind tail or more than a ring ahead,
 * record sizes that are zero, unaligned, past head or across the end of the
 * ring, operands out of range, a CPU number or sequence that does not fit.
 * Each problem is diagnosed in one sentence (through the diag callback,
 * limited per ring), counted, and decoding resumes where the data can be
 * trusted again (at head, at worst). Every loop is bounded by the ring size.
 */
#ifndef FIXMAP_RING_H
#define FIXMAP_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "desc.h"
#include "err.h"
#include "event.h"
#include "target.h"

/* Per-ring diagnostics printed before further ones are only counted. */
#define RING_MAX_DIAG 8


struct ring_stats {
	uint64_t events;     /* records decoded into events */
	uint64_t bytes;      /* bytes consumed */
	uint64_t pads;       /* PAD records */
	uint64_t unknown;    /* records of types this reader does not know, skipped */
	uint64_t bad;        /* problems diagnosed */
	uint64_t skipped;    /* bytes dropped because they could not be trusted */
	uint64_t stale;      /* events from before drops the stream started in (skip_stale) */
	uint64_t lost_start; /* the agent's lost counter at the first drain */
	uint64_t lost;       /* the agent's lost counter at the last drain */
};

struct ring {
	unsigned cpu;
	bool usable;       /* geometry valid; cleared if the agent changes it under us */
	uint64_t ctl_pa;   /* struct fixmap_cpu */
	uint64_t data_pa;  /* ring bytes */
	uint32_t offset;   /* ring_offset, as validated */
	uint32_t size;     /* ring_size, a power of two */
	uint64_t tail;     /* next byte to consume (free-running) */
	uint32_t wait_ms;  /* what the agent was last told (fixmap_cpu.wait_ms) */
	uint64_t head;     /* head as last read */
	bool started;      /* lost_start is set */
	uint64_t last_seq; /* seq of the last record decoded (0: none yet) */
	unsigned ndiag;
	unsigned long long unknown_types; /* bitmap of unknown types already diagnosed (< 64) */
	uint64_t unmarked; /* drops no LOST record reports yet, at the last drain */
	bool stale;        /* skipping what came before the drops we started in */
	uint64_t stale_lost; /* the lost counter then: its LOST record ends the skipping */
	/* The last drain: */
	uint64_t batch_events;
	uint64_t batch_lost; /* events the agent dropped since the previous drain */
	uint64_t batch_first_seq, batch_last_seq;
	struct ring_stats st;
};

typedef void (*ring_event_fn)(void *arg, const struct fm_event *ev);
typedef void (*ring_diag_fn)(void *arg, unsigned cpu, const char *msg);

struct ring_set {
	unsigned n;
	struct ring r[FIXMAP_MAX_CPUS];
	uint64_t seq_pa;  /* hdr.seq */
	uint64_t seq;     /* hdr.seq, read before the heads of the last drain */
	uint8_t *buf;     /* scratch: one ring's worth of bytes per ring */
	bool consume;     /* write tails back (default); false: a dry, read-only look */
	bool lost_records; /* the agent writes LOST records (protocol minor >= 2) */
	/*
	 * A live stream: a ring whose content ends in drops at the first drain
	 * holds events from before them (the ring filled long ago, when nobody
	 * drained): skip those and the LOST record of the drops, and start with
	 * what follows.
	 */
	bool skip_stale;
	/*
	 * Asked of the agent with every drain (protocol minor >= 2): 0, it drops
	 * records when a ring is full; N, it waits up to N ms for the drain to make
	 * room (lossless). ring_set_release() sets it back to 0.
	 */
	uint32_t wait_ms;
	ring_diag_fn diag; /* NULL: fm_warn */
	/*
	 * The format of the table the agent's PTE records are about (ring_set_init:
	 * agent_table_fmt): a record at a level it does not have, or with a VA not
	 * aligned to what an entry there translates, is refused, as a trace file
	 * declaring that table would refuse it. Without it (have_fmt false) only
	 * what any format allows is checked.
	 */
	struct desc_fmt fmt;
	bool have_fmt;
	void *diag_arg;
};

/*
 * Sets up a consumer for every usable ring of a validated agent area, starting
 * at each ring's current tail (as read by agent_read()).
 */
int ring_set_init(struct ring_set *rs, const struct agent_state *st, struct fm_err *err);
void ring_set_free(struct ring_set *rs);

/*
 * One drain of every ring; fn gets each event, ring by ring, in ring order.
 * First tells each ring's agent rs->wait_ms when that changed (not in a dry,
 * read-only look).
 */
int ring_set_drain(struct ring_set *rs, struct target *t, ring_event_fn fn, void *arg,
		   struct fm_err *err);

/*
 * The stream ends after the last drain: drops that no LOST record has reported
 * yet (they follow the ring's last record) are given to fn as gap events.
 */
void ring_set_end(struct ring_set *rs, ring_event_fn fn, void *arg);

/* Tells every ring's agent that was asked to wait for room not to (wait_ms 0). */
int ring_set_release(struct ring_set *rs, struct target *t, struct fm_err *err);

/*
 * Decodes len bytes read from ring r starting at ring position pos (len at most
 * the ring size; the bytes are linear, the ring's wrap point falls at
 * r->size - (pos & (r->size - 1))). Returns the bytes consumed: len, always —
 * what cannot be trusted is diagnosed and skipped.
 */
uint64_t ring_decode(struct ring_set *rs, struct ring *r, const uint8_t *buf, uint64_t pos,
		     uint64_t len, ring_event_fn fn, void *arg);

/*
 * One record to an event (a LOST record to an FM_EV_LOST event). Returns 0, or
 * -1 with the reason in why when its operands are out of range (type, level,
 * barrier option, TLBI op, a LOST count of 0).
 */
int ring_record_to_event(const struct fixmap_rec_event *rec, unsigned cpu, struct fm_event *ev,
			 char *why, size_t n);

#endif
