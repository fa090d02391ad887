/* SPDX-License-Identifier: MIT */
/*
 * The live side of the agent, shared by `trace` and `view`: one drain of every
 * ring into the CPU merge (the agent is found by tgtopt_find_agent, as every
 * command finds it).
 *
 * Over the gdbstub the guest is stopped around each step (stop, read, write
 * the tails back, resume) and resumed on every path out, errors included.
 * Over a memory file the guest is never stopped: the ring's acquire/release
 * contract (proto/fixmap_proto.h) alone keeps the reads safe.
 */
#ifndef FIXMAP_LIVE_H
#define FIXMAP_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "elfsym.h"
#include "err.h"
#include "merge.h"
#include "ring.h"
#include "target.h"

/* Runs while the target is stopped, after the rings were read; -1 fails the drain. */
typedef int (*live_stopped_fn)(void *arg, struct target *t, struct fm_err *err);

struct live_drain {
	struct target *t;
	bool stop;          /* stop the guest around each drain (gdb) */
	struct ring_set *rs;
	struct merge *m;    /* every event drained is pushed here */
	uint64_t drains;    /* drains done */
	bool push_failed;
	struct fm_err push_err;
};

/*
 * One drain: stop (if d->stop), read every ring into d->m (events, and gap
 * events where a ring lost some), run fn (may be NULL), resume.
 */
int live_drain(struct live_drain *d, live_stopped_fn fn, void *arg, struct fm_err *err);

/* After the last drain: drops no LOST record has placed yet, as gap events into d->m. */
void live_end(struct live_drain *d);

/*
 * The agent's rings no longer wait for us (lossless mode off): at the end of a
 * live command, on every way out that still has the target.
 */
int live_release(struct live_drain *d, struct fm_err *err);

/*
 * How long (ms) the agent waits for room in a full ring when a live command
 * drains every interval_ms (its lossless mode, the ring's wait_ms).
 */
uint32_t live_wait_ms(unsigned interval_ms);

/* The option the live commands (trace, view) share: --interval MS. */
int live_parse_interval(const char *arg, unsigned *ms, struct fm_err *err);

#endif
