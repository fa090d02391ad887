/* SPDX-License-Identifier: MIT */
/* The shared area object and its layout fields (see shared.h). */
#include "shared.h"

#ifdef AGENT_HOST
struct agent_shared fixmap_shared;
#else
/* Own NOLOAD section: zeroed at boot, page aligned, found by fixmapctl by symbol. */
__attribute__((section(".fixmap_shared"))) struct agent_shared fixmap_shared;
#endif

/* In the image from the start: a scan of RAM finds where the header will be (proto). */
__attribute__((used, aligned(16))) const struct fixmap_image_note fixmap_note = {
	.magic = FIXMAP_NOTE_MAGIC,
	.shared_pa = (uint64_t)(uintptr_t)&fixmap_shared, /* VA == PA: RAM is identity-mapped */
};

void shared_init(struct agent_shared *s)
{
	struct fixmap_shared_hdr *h = &s->hdr;

	h->major = FIXMAP_PROTO_MAJOR;
	h->minor = FIXMAP_PROTO_MINOR;
	h->hdr_size = sizeof(*h);
	h->max_cpus = FIXMAP_MAX_CPUS;
	h->cpu_offset = AGENT_CPU_OFFSET;
	h->cpu_size = AGENT_CPU_STRIDE;
	h->ctrl_offset = AGENT_CTRL_OFFSET;
	h->ctrl_size = sizeof(struct fixmap_ctrl);
	h->total_size = sizeof(*s);
	h->shared_pa = (uint64_t)(uintptr_t)s; /* VA == PA: RAM is identity-mapped */
	for (unsigned i = 0; i < FIXMAP_MAX_CPUS; i++) {
		struct fixmap_cpu *c = &s->cpu[i].c;

		c->cpu = i;
		c->ring_offset = AGENT_RING_OFFSET;
		c->ring_size = FIXMAP_RING_SIZE;
		s->cpu[i].priv.limit = AGENT_RING_LIMIT;
	}
}
