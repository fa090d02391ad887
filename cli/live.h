/* SPDX-License-Identifier: MIT */
/*
 * The live side of the agent, shared by `trace` and `view`: finding the
 * agent's shared area on a running target, and one drain of every ring into
 * the CPU merge.
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

/*
 * Finds and validates the agent's shared area: at pa if pa_given, else at
 * the ELF symbol fixmap_shared of elf (named elf_path in messages), else (no
 * elf, or elf is a Linux kernel named by its kallsyms) by a scan of memory
 * for its magic. stop: stop the target around the reads.
 */
int live_find_agent(struct target *t, bool stop, struct elfsym *elf, const char *elf_path,
		    bool pa_given, uint64_t pa, struct agent_state *st, struct fm_err *err);

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
 * One drain: stop (if d->stop), read every ring into d->m, run fn (may be
 * NULL), resume; then mark in d->m where each ring lost events, so whoever
 * consumes the merge forgets what it inferred about the gap.
 */
int live_drain(struct live_drain *d, live_stopped_fn fn, void *arg, struct fm_err *err);

/* The options the live commands (trace, view) share: --interval MS, --agent PA. */
int live_parse_interval(const char *arg, unsigned *ms, struct fm_err *err);
int live_parse_agent_pa(const char *arg, uint64_t *pa, struct fm_err *err);

#endif
