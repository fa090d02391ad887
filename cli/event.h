/* SPDX-License-Identifier: MIT */
/*
 * The event model: one maintenance step on one CPU, whether it came from a
 * trace file (trace_text.c), the agent's rings (ring.c) or anywhere else. The
 * checker (bbm.c) and every printer consume only this.
 */
#ifndef FIXMAP_EVENT_H
#define FIXMAP_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum fm_ev_type {
	FM_EV_PTE = 1, /* store to a translation-table entry */
	FM_EV_DSB,
	FM_EV_DMB,
	FM_EV_ISB,
	FM_EV_TLBI,
	FM_EV_ACCESS, /* the CPU uses a translation */
	FM_EV_FREE,   /* a page is freed or reused */
	/* DESIGN.md section 3a */
	FM_EV_USE,    /* the CPU loaded the root of (dynamic) table `table` */
	FM_EV_LOST,   /* `arg` events of the CPU were lost at this point */
	FM_EV_UNSEEN, /* an entry changed to `new` without a store the recorder saw */
	FM_EV_TABLE,  /* declaration between events: table `table` now exists */
	FM_EV_CUT,    /* declaration between events: the trace was cut from a running system */
};

/* fm_event.flags */
#define FM_EVF_EXEC 0x01  /* access: instruction fetch */
#define FM_EVF_PTEP 0x02  /* pte: ptep is known */
#define FM_EVF_VMID 0x04  /* tlbi: vmid given */
#define FM_EVF_ASID 0x08  /* tlbi: asid given (also encoded in arg) */
#define FM_EVF_PC 0x10    /* pc is known (pc= in a trace, always for the agent's rings) */
#define FM_EVF_TABLE 0x20 /* access: table given (the CPU uses this table's translation) */
#define FM_EVF_REPLACES 0x40 /* use: replaces= given (the table whose root it unloads: ptep) */
/* use: asid= / vmid= given (the tag the root is loaded with) use FM_EVF_ASID / FM_EVF_VMID */

struct fm_event {
	uint8_t type;  /* enum fm_ev_type */
	int8_t level;  /* pte/unseen: -1..3 (-1: the extra level of 52-bit VAs, 4K granule) */
	uint8_t bar;   /* dsb/dmb: CRm option, include/arm64/barrier.h */
	uint8_t flags; /* FM_EVF_* */
	uint16_t cpu;
	uint16_t table; /* pte/unseen/use/table: index into fm_trace_ctx.tables */
	uint16_t tlbi;  /* tlbi: enum tlbi_op, include/arm64/tlbi.h */
	uint16_t vmid;
	uint32_t line;  /* line in the trace file; 0 when live */
	uint64_t seq;   /* global order (live); line order for files */
	uint64_t pc;    /* PC of the instruction (FM_EVF_PC) */
	uint64_t va;    /* pte/access: VA (IPA for s2); tlbi: address decoded from arg */
	uint64_t old;   /* pte: previous descriptor */
	uint64_t new;   /* pte: stored descriptor */
	uint64_t ptep;  /* pte: PA of the entry; free: PA of the page; use: replaces= table index */
	uint64_t arg;   /* tlbi: raw Xt operand (va=/ttl=/asid= are encoded into it); lost: count */
};

/*
 * Translation regimes (Arm ARM D8.1): EL2 stage 1 without VHE (HCR_EL2.E2H = 0),
 * EL1&0 stage 1, EL1&0 stage 2, and the EL2&0 regime (E2H = 1: a VHE host kernel,
 * pKVM in hVHE mode) with two ranges, ASIDs and nG like EL1&0.
 */
enum fm_regime { FM_REGIME_EL2 = 0, FM_REGIME_EL1 = 1, FM_REGIME_S2 = 2, FM_REGIME_EL20 = 3 };
#define FM_NREGIMES 4

/* Translation granule (TCR_ELx.TGn, D8.2): the page size a table is built for. */
enum fm_granule { FM_GRANULE_4K = 0, FM_GRANULE_16K = 1, FM_GRANULE_64K = 2 };

#define FM_MAX_CPUS 256
#define FM_MAX_TABLES 16384 /* tables in one trace (a recorder declares one per root) */

struct fm_table_decl {
	char name[64];
	uint8_t regime;    /* enum fm_regime */
	uint8_t granule;   /* enum fm_granule */
	bool lpa2;         /* 52-bit descriptors (TCR.DS = 1) */
	bool shared;       /* walked by every CPU in cpus */
	bool dynamic;      /* walkers not known in advance: `use` events name them */
	bool has_asid, has_vmid;
	uint16_t asid, vmid; /* tags of the table's non-global entries / of its VM */
	uint64_t cpus[FM_MAX_CPUS / 64]; /* bitmap of CPUs that walk it (static tables) */
};

/* feature flags */
#define FM_FEAT_TTL 0x01
#define FM_FEAT_ETS2 0x02
#define FM_FEAT_CNP 0x04

/*
 * What a trace declares: everything before the first event, then tables
 * declared between events (appended; an index never changes). tables is
 * owned by the context: fm_ctx_add_table() grows it, fm_ctx_free() frees it.
 */
struct fm_trace_ctx {
	unsigned ncpus;
	unsigned ntables; /* >= 1: the parser adds the implicit "default" table */
	unsigned tables_cap;
	struct fm_table_decl *tables;
	unsigned features; /* FM_FEAT_* */
	unsigned bbm_level; /* FEAT_BBM level 0..2 */
	bool cut;           /* `cut`: the system kept running after the trace ends */
};

/* A new zeroed table declaration at index ctx->ntables - 1; NULL when out of memory
 * or at FM_MAX_TABLES. Pointers into ctx->tables are invalid after the call. */
struct fm_table_decl *fm_ctx_add_table(struct fm_trace_ctx *ctx);
/* Frees the tables (the context may be reused after memset). */
void fm_ctx_free(struct fm_trace_ctx *ctx);

#endif
