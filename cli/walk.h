/* SPDX-License-Identifier: MIT */
/*
 * The one translation-table walker (after Linux's kvm_pgtable_walk): dump,
 * walk, view and diff all visit the same tree through callbacks.
 *
 * A walk_cfg is made from a regime's register values (TTBR, TCR or VTCR, MAIR);
 * walk_range() then reads the tree a whole level at a time through
 * target_read_phys_v() (one batch per level: the gdb target pipelines it) and
 * calls the visitor for every entry whose range meets [va_lo, va_hi], in VA
 * order. Every VMSAv8-64 format is walked: 4K, 16K and 64K granules, LPA2
 * (52-bit, level -1 with 4K), the EL2&0 regime's two ranges, and stage 2's
 * concatenated start tables. Configurations that contradict themselves are
 * refused by walk_cfg_from_regs() naming the field, never misdecoded.
 *
 * Nothing read from the target is trusted: every table address is bounded by
 * the output address size and checked by the target; tables that point to
 * themselves or to each other terminate (depth is bounded by the levels; the
 * tables read, the references to tables at one level and the entries visited
 * are capped, so a table that references itself is refused at once).
 */
#ifndef FIXMAP_WALK_H
#define FIXMAP_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "desc.h"
#include "err.h"
#include "event.h"
#include "target.h"

#define WALK_MAX_TABLE_BYTES (64u << 20) /* table memory read: 16384 4K tables */
#define WALK_MAX_ENTRIES_DEFAULT (1u << 24) /* entries visited */
#define WALK_MAX_LEVELS 5                 /* levels -1..3 */

struct walk_cfg {
	enum fm_regime regime;
	struct desc_fmt fmt; /* granule, LPA2 */
	unsigned tcr_sh;     /* LPA2: the shareability of every leaf (TCR SH0/SH1) */
	bool ttbr1;          /* el1/el20: the TTBR1 (upper) range */
	bool hpd;            /* hierarchical permissions disabled (TCR.HPDn) */
	bool disabled;       /* el1/el20: EPDn set, this range has no walks */
	uint64_t root;       /* PA of the start table (first of the concatenated ones) */
	int start_level;     /* -1..3 */
	unsigned nentries;   /* entries in the start table(s), incl. concatenated tables */
	unsigned ia_bits;    /* input address size: 64 - TxSZ */
	unsigned pa_bits;    /* output address size from PS/IPS (52 with LPA2 or 64K) */
	uint64_t va_lo, va_hi; /* inclusive input address range of this table */
	uint64_t mair;
	uint16_t asid;       /* ASID (TTBR) or VMID (VTTBR) from the base register */
	unsigned max_tables; /* 0: WALK_MAX_TABLE_BYTES of tables; also caps the
				references to tables at one level */
	unsigned max_entries; /* 0: WALK_MAX_ENTRIES_DEFAULT */
};

/*
 * Fills c from register values. regime el2: ttbr = TTBR0_EL2, tcr = TCR_EL2
 * (E2H = 0 layout). el1: ttbr = TTBR0_EL1 or (ttbr1 = 1) TTBR1_EL1, tcr =
 * TCR_EL1. el20: ttbr = TTBR0_EL2 or (ttbr1 = 1) TTBR1_EL2, tcr = TCR_EL2
 * (E2H = 1, the TCR_EL1 layout). s2: ttbr = VTTBR_EL2, tcr = VTCR_EL2 (mair
 * unused). -1 naming the field for a reserved granule, DS = 1 with 64K, TxSZ
 * out of range for the granule, a reserved or inconsistent stage-2 start
 * level (SL0/SL2), and a base beyond the output address size.
 */
int walk_cfg_from_regs(enum fm_regime r, uint64_t ttbr, uint64_t tcr, uint64_t mair, int ttbr1,
		       struct walk_cfg *c, struct fm_err *err);

/* desc_decode_fmt() in c's format, with the TCR's shareability under LPA2. */
int walk_decode(const struct walk_cfg *c, uint64_t raw, int level, struct desc *d);

/* Parses "el2", "el1", "s2", "el20" (desc_regime_name() is the reverse). */
int walk_regime_parse(const char *s, enum fm_regime *r);

enum walk_fault {
	WALK_OK = 0,
	WALK_FAULT_ADDRSIZE,   /* output or table address beyond the PA size */
	WALK_FAULT_UNREADABLE, /* the next-level table could not be read */
};

/* Attributes inherited from the table descriptors above an entry (D8.4.2). */
struct walk_tattr {
	uint8_t ap_table; /* APTable: bit 0 no EL0 access, bit 1 read-only */
	bool pxn_table;
	bool xn_table; /* XNTable / UXNTable */
	bool ns_table;
};

struct walk_entry {
	uint64_t va;   /* first VA (IPA for s2) the entry translates */
	uint64_t size; /* bytes it translates */
	int level;         /* -1..3 */
	unsigned index;    /* in its table */
	uint64_t table_pa; /* PA of the table holding it */
	uint64_t ptep;     /* PA of the entry */
	uint64_t raw;
	struct desc d;
	enum desc_kind kind; /* the walker's view: table, block, page, invalid, reserved */
	uint64_t oa;         /* leaf: output address of va; table: next-level table */
	struct walk_tattr inherit;
	enum walk_fault fault;
};

/*
 * Callbacks: return 0 to go on, 1 to end the walk early (walk_range returns
 * 0), -1 to fail it (walk_range returns -1; the visitor keeps its own reason,
 * else err says the visitor stopped). NULL callbacks are skipped. table is
 * called before the walker descends into the table.
 */
struct walk_visitor {
	/*
	 * lazy: e->d is left zeroed (e->kind, e->oa and the rest are filled);
	 * the visitor decodes the entries it needs with desc_decode_fmt(). Saves
	 * decoding every entry of a large table when few are printed.
	 */
	bool lazy;
	int (*leaf)(const struct walk_entry *e, void *arg);
	int (*table)(const struct walk_entry *e, void *arg);
	int (*invalid)(const struct walk_entry *e, void *arg); /* invalid or reserved */
};

/* Walks every entry of c's tree that meets [va_lo, va_hi] (inclusive), in VA order. */
int walk_range(struct target *t, const struct walk_cfg *c, uint64_t va_lo, uint64_t va_hi,
	       const struct walk_visitor *v, void *arg, struct fm_err *err);

/* One level of walk_va(). */
struct walk_step {
	struct walk_entry e;
};

/*
 * The level-by-level walk of one address: steps[0] is the start level; the
 * last step is the leaf, an invalid entry or a fault. -1 if va is outside c's
 * range or a table cannot be read.
 */
int walk_va(struct target *t, const struct walk_cfg *c, uint64_t va,
	    struct walk_step steps[WALK_MAX_LEVELS], unsigned *nsteps, struct fm_err *err);

/* Statistics of the last walk_range() (for bench and -v). */
struct walk_stats {
	uint64_t tables;  /* distinct tables read */
	uint64_t batches; /* target_read_phys_v calls */
	uint64_t entries; /* entries visited */
};
void walk_last_stats(struct walk_stats *s);

#endif
