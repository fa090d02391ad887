/* SPDX-License-Identifier: MIT */
/*
 * The agent's shared area as the host sees it (proto/fixmap_proto.h): finding
 * the header (ELF symbol `fixmap_shared`, identity-mapped so its value is the
 * PA, or a scan of physical memory for FIXMAP_MAGIC), reading it, and
 * validating everything before anyone uses an offset or a size from it.
 *
 * Validation follows the protocol's compatibility rule: magic, then major,
 * then min(hdr_size, ours); every offset and size must lie inside the area and
 * areas must not overlap. A CPU whose ring geometry is wrong is marked
 * unusable with the reason; the rest of the data stays usable.
 */
#ifndef FIXMAP_AGENT_H
#define FIXMAP_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desc.h"
#include "err.h"
#include "event.h"
#include "fixmap_proto.h"
#include "target.h"

/* Where a scan looks by default: QEMU virt RAM, the first 256 MiB. */
#define AGENT_SCAN_BASE 0x40000000ull
#define AGENT_SCAN_SIZE (256ull << 20)
/* Upper bound on total_size, so a hostile header cannot make us read gigabytes. */
#define AGENT_MAX_TOTAL (64ull << 20)
#define AGENT_MAX_RING (16u << 20)

struct agent_cpu {
	struct fixmap_cpu c; /* copy of the per-CPU area (our fields of it) */
	uint64_t pa;         /* PA of the per-CPU area */
	uint64_t ring_pa;    /* PA of the ring data */
	bool present;        /* the agent set this CPU's area up (ring_size != 0 or online) */
	bool usable;         /* ring geometry validated: may be drained */
	char why[160];       /* when present but not usable: the reason */
};

struct agent_state {
	uint64_t pa;                   /* PA of the header */
	struct fixmap_shared_hdr hdr;  /* the writer's header; fields past its hdr_size read 0 */
	struct fixmap_ctrl ctrl;       /* copy of the control block */
	uint64_t ctrl_pa;
	unsigned max_cpus;             /* per-CPU areas present (validated) */
	unsigned ncpus;                /* CPUs brought up (validated, <= max_cpus) */
	struct agent_cpu cpu[FIXMAP_MAX_CPUS];
};

/*
 * Validates a header image of n bytes (n >= 8) said to be at physical address
 * pa, and copies it into *out (our size; missing fields zero). Pure: used on
 * what agent_read() copied, and by tests on hand-made headers.
 */
int agent_check_header(const void *buf, size_t n, uint64_t pa, struct fixmap_shared_hdr *out,
		       struct fm_err *err);

/*
 * Returned (with err set) by agent_scan and agent_read when an agent is there
 * but has not published its header yet: still booting. Nonzero, so callers that
 * only test for success treat it as a failure.
 */
#define AGENT_BOOTING 1

/*
 * Scans [base, base+len) of physical memory for a header: FIXMAP_MAGIC on an
 * 8-byte boundary whose header validates and whose shared_pa names itself.
 * Stops early at the end of readable memory. Returns 0 and *pa; AGENT_BOOTING
 * and *pa when there is no header but an agent image's note (struct
 * fixmap_image_note) says where its header will be; or -1.
 */
int agent_scan(struct target *t, uint64_t base, uint64_t len, uint64_t *pa, struct fm_err *err);

/*
 * Reads and validates the whole shared area at pa (header, control block,
 * per-CPU areas). AGENT_BOOTING when the magic there is still 0 (the agent
 * writes it last).
 */
int agent_read(struct target *t, uint64_t pa, struct agent_state *st, struct fm_err *err);

/* Re-reads only the per-CPU areas (slot state, counters) of an already validated area. */
int agent_refresh(struct target *t, struct agent_state *st, struct fm_err *err);

/*
 * The checker's view of the agent: `cpus N`, one EL2 table `el2` shared by every
 * online CPU, feature ttl when ID_AA64MMFR2_EL1.TTL says TLBI level hints are
 * honoured, bbm level from ID_AA64MMFR2_EL1.BBM (D19.2 "ID_AA64MMFR2_EL1").
 * ctx is zeroed or filled by an earlier call (its tables are freed first; free
 * them with fm_ctx_free() at the end). -1 when out of memory.
 */
int agent_trace_ctx(const struct agent_state *st, struct fm_trace_ctx *ctx);
/* The CPUs a trace of the agent declares: those brought up, and any online one
 * above them; every CPU if none is yet. Only their rings are drained. */
unsigned agent_trace_ncpus(const struct agent_state *st);

/*
 * The format of the agent's table (regime EL2 or EL2&0, granule, LPA2), from
 * HCR_EL2 and TCR_EL2 of its first online CPU; the 4K EL2 format when no CPU
 * is online or the TCR is refused.
 */
struct desc_fmt agent_table_fmt(const struct agent_state *st);

/* "broadcast", "local", "no-break" ...; "?" for an unknown mode. */
const char *agent_mode_name(unsigned mode);
/* "boot", "running", "done", "failed"; "?" otherwise. */
const char *agent_state_name(unsigned state);

#endif
