/* SPDX-License-Identifier: MIT */
/*
 * Translation-table tracking for the TCG plugin, on a view of guest RAM (the
 * shared memory-backend file): the tables reachable from every root a guest
 * loads, a shadow copy of each table page, and a reverse map from a table
 * page to the places it is reached from (root, level, base VA), so that a
 * store into RAM can be told as "entry at level L translating VA changed from
 * OLD to NEW". No QEMU here: the plugin (plugin.c) feeds it root loads and
 * store addresses, and the unit tests feed it a RAM array they build.
 *
 * Supported: the 4K granule, with or without LPA2 (52-bit descriptors, level
 * -1), stage 1 (EL2, EL2&0, EL1&0) and stage 2 (concatenated start tables).
 * 16K and 64K granules are refused with a message naming the root.
 */
#ifndef FIXMAP_PTRACK_H
#define FIXMAP_PTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Regimes, as the trace format names them (DESIGN.md section 3a). */
enum pt_regime { PT_EL2, PT_EL20, PT_EL1, PT_S2, PT_NR_REGIMES };

/* How to walk one root: derived from TCR/VTCR by ptrack_geom_*(). */
struct pt_geom {
	uint8_t regime;   /* enum pt_regime */
	bool upper;       /* TTBR1: the upper VA range */
	bool lpa2;        /* TCR.DS / VTCR.DS: 52-bit descriptors */
	int8_t start;     /* start level, -1..3 */
	uint8_t va_bits;  /* 64 - TxSZ */
	uint16_t nconcat; /* stage 2: concatenated start tables (1 otherwise) */
};

/*
 * Geometry from register values. Returns 0, or -1 with why[] set ("granule
 * 16K", "T0SZ 0 out of range") when the root cannot be walked.
 *   tcr_el2 with e2h = 0: TCR_EL2 of the EL2 regime (T0SZ, TG0, DS bit 32)
 *   tcr with the EL1 layout (TCR_EL1, or TCR_EL2 with E2H = 1): upper selects
 *   T1SZ/TG1; DS is bit 59
 *   vtcr: VTCR_EL2 (T0SZ, SL0, TG0, DS bit 32, SL2 bit 33)
 */
int ptrack_geom_el2(uint64_t tcr, struct pt_geom *g, char *why, size_t n);
int ptrack_geom_el1(uint64_t tcr, bool upper, uint8_t regime, struct pt_geom *g, char *why,
		    size_t n);
int ptrack_geom_s2(uint64_t vtcr, struct pt_geom *g, char *why, size_t n);

/* Root base address from a TTBR/VTTBR value (BADDR, with LPA2 bits [5:2] = PA[51:48]). */
uint64_t ptrack_ttbr_base(uint64_t ttbr, const struct pt_geom *g);

struct ptrack;

/* What ptrack tells its user; every callback runs inside the ptrack call that caused it. */
struct ptrack_ops {
	/* An entry changed: a store the plugin saw (unseen = false) or an audit finding. */
	void (*pte)(void *ctx, unsigned root, uint64_t va, int level, uint64_t old, uint64_t new,
		    uint64_t ptep, bool unseen);
	/* Something about a root the user should know (garbage, limits); one sentence. */
	void (*note)(void *ctx, unsigned root, const char *msg);
};

/* ram: guest RAM from physical address base, size bytes (page multiple). */
struct ptrack *ptrack_new(const uint8_t *ram, uint64_t base, uint64_t size,
			  const struct ptrack_ops *ops, void *ctx);
void ptrack_free(struct ptrack *t);

/*
 * A root was loaded with this geometry: returns its index (stable for the
 * life of t) and sets *is_new when it was not known before. A known root
 * whose geometry changed is walked again; a known one with the same geometry
 * is not (its pages are tracked already). Returns -1 if no more roots fit.
 */
int ptrack_root(struct ptrack *t, uint64_t base, const struct pt_geom *g, bool *is_new);
/*
 * The same for a guest's stage-1 root (HCR_EL2.VM = 1): its table descriptors
 * hold IPAs, translated through the stage-2 root s2 as its shadow stands when
 * a table is linked (base is already a PA). s2 = -1: none (PAs). A root
 * loaded again with another s2 is walked again.
 */
int ptrack_root_s2(struct ptrack *t, uint64_t base, const struct pt_geom *g, int s2, bool *is_new);
/* ipa through the stage-2 root s2 (its shadows): true and *pa, or false if unmapped. */
bool ptrack_s2_translate(const struct ptrack *t, unsigned s2, uint64_t ipa, uint64_t *pa);
/* Stops following a root (its pages, unless reached from elsewhere) until ptrack_root() loads it again. */
void ptrack_retire(struct ptrack *t, unsigned root);
bool ptrack_root_walked(const struct ptrack *t, unsigned root);
/* Its name in the trace ("el2-0x7f203000", "el1-ttbr1-0x41857000") and geometry. */
const char *ptrack_root_name(const struct ptrack *t, unsigned root);
/* The index of the root at base with g's regime and range, or -1 if none is known. */
int ptrack_root_find(const struct ptrack *t, uint64_t base, const struct pt_geom *g);
const struct pt_geom *ptrack_root_geom(const struct ptrack *t, unsigned root);
unsigned ptrack_nroots(const struct ptrack *t);

/* Whether the page holding pa is a tracked table page (the store filter). */
static inline bool ptrack_is_table(const struct ptrack *t, uint64_t pa);

/*
 * Bytes [pa, pa + size) were stored to: compares RAM to the shadow for every
 * entry they touch, reports each change (once per place the page is reached
 * from), follows linked and unlinked sub-tables, and updates the shadow.
 * Returns the number of entries that changed.
 */
unsigned ptrack_store(struct ptrack *t, uint64_t pa, unsigned size);
/*
 * Compares every tracked page with RAM: changes no store showed are reported
 * unseen. While vCPUs run in parallel threads, a store may be in RAM and its
 * callback not yet run; with settle = true a difference is reported only if
 * the previous audit saw the same one (so it outlived a whole audit period),
 * with settle = false (the guest is stopped) at once. Returns the number
 * reported.
 */
unsigned ptrack_audit(struct ptrack *t, bool settle);

struct ptrack_stats {
	uint64_t pages;    /* table pages tracked now */
	uint64_t refs;     /* (root, level, VA) places they are reached from */
	uint64_t outside;  /* table descriptors pointing outside RAM (not followed) */
	uint64_t dropped;  /* references not kept: a page reached from too many places */
};
void ptrack_stats(const struct ptrack *t, struct ptrack_stats *s);

/* --- inline ------------------------------------------------------------- */

struct ptrack_view {
	uint64_t base, npages;
	void *const *pages;   /* per RAM page: its tracking record, or NULL */
	const uint64_t *bits; /* per RAM page: a bit set while it has a record (the
			       * hot check: 32 KiB per GiB of RAM stays in cache) */
};

static inline bool ptrack_is_table(const struct ptrack *t, uint64_t pa)
{
	const struct ptrack_view *v = (const struct ptrack_view *)t;
	uint64_t i = (pa - v->base) >> 12;

	return pa >= v->base && i < v->npages &&
	       (__atomic_load_n(&v->bits[i / 64], __ATOMIC_RELAXED) >> (i % 64) & 1);
}

#endif
