/* SPDX-License-Identifier: MIT */
/*
 * The agent's concrete instance of the shared-memory protocol
 * (proto/fixmap_proto.h): one page-aligned object, symbol `fixmap_shared`, in
 * its own section. Readers never rely on this layout, only on the offsets and
 * sizes the header publishes; it is pinned here so the ring code can use
 * constant offsets on its fast path.
 *
 *   0x0000  struct fixmap_shared_hdr
 *   0x0100  struct fixmap_ctrl            (own cache lines: the host writes it)
 *   0x1000  cpu[0]: struct fixmap_cpu, padding to 4 KiB, ring (FIXMAP_RING_SIZE)
 *   ...     cpu[n] at 0x1000 + n * AGENT_CPU_STRIDE
 */
#ifndef AGENT_SHARED_H
#define AGENT_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "fixmap_proto.h"

#define AGENT_CTRL_OFFSET 0x100u
#define AGENT_CPU_OFFSET 0x1000u
#define AGENT_RING_OFFSET 0x1000u /* from struct fixmap_cpu to its ring data */
#define AGENT_CPU_STRIDE (AGENT_RING_OFFSET + FIXMAP_RING_SIZE)

/*
 * The producer's own state, right after struct fixmap_cpu in the padding before
 * the ring (not part of the protocol: readers never look at it), so the fast
 * path reaches it from the same base register.
 */
struct agent_ring_priv {
	/*
	 * head - tail >= limit sends a record to the slow path: AGENT_RING_LIMIT
	 * (no room), or 0 while drops wait for their LOST record.
	 */
	uint64_t limit;
	uint32_t nowait; /* a wait timed out: drop without waiting until there is room */
	uint32_t pad;
};
#define AGENT_REC_SIZE ((uint64_t)sizeof(struct fixmap_rec_event))
#define AGENT_RING_LIMIT (FIXMAP_RING_SIZE - AGENT_REC_SIZE + 1)

struct agent_cpu_area {
	struct fixmap_cpu c;
	struct agent_ring_priv priv;
	uint8_t pad[AGENT_RING_OFFSET - sizeof(struct fixmap_cpu) - sizeof(struct agent_ring_priv)];
	uint8_t ring[FIXMAP_RING_SIZE];
};

struct agent_shared {
	struct fixmap_shared_hdr hdr;
	uint8_t pad0[AGENT_CTRL_OFFSET - sizeof(struct fixmap_shared_hdr)];
	struct fixmap_ctrl ctrl;
	uint8_t pad1[AGENT_CPU_OFFSET - AGENT_CTRL_OFFSET - sizeof(struct fixmap_ctrl)];
	struct agent_cpu_area cpu[FIXMAP_MAX_CPUS];
} __attribute__((aligned(4096)));

_Static_assert(offsetof(struct agent_shared, ctrl) == AGENT_CTRL_OFFSET, "ctrl offset");
_Static_assert(offsetof(struct agent_shared, cpu) == AGENT_CPU_OFFSET, "cpu offset");
_Static_assert(offsetof(struct agent_cpu_area, ring) == AGENT_RING_OFFSET, "ring offset");
_Static_assert(offsetof(struct agent_cpu_area, priv) == sizeof(struct fixmap_cpu),
	       "the producer's state follows the protocol's per-CPU area");
_Static_assert(sizeof(struct agent_cpu_area) == AGENT_CPU_STRIDE, "cpu stride");
_Static_assert(FIXMAP_RING_SIZE % sizeof(struct fixmap_rec_event) == 0,
	       "records never straddle the ring's end, so no PAD records are needed");

extern struct agent_shared fixmap_shared;
extern const struct fixmap_image_note fixmap_note;

/* The producer state of the CPU whose protocol area is c (one of fixmap_shared.cpu[]). */
static inline struct agent_ring_priv *agent_ring_priv(struct fixmap_cpu *c)
{
	return (struct agent_ring_priv *)(void *)(c + 1);
}

/* Fills the header's layout fields and the per-CPU ring fields (and the producer's state). */
void shared_init(struct agent_shared *s);

#endif
