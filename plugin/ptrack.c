/* SPDX-License-Identifier: MIT */
#include "ptrack.h"

#include "desc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define ENTRIES 512
#define MAX_REFS 16          /* places one table page may be reached from */
#define MAX_PAGES (1u << 20) /* 4 GiB of tables: anything beyond is garbage */
#define MAX_ROOTS 4096
#define MAX_SUSPECTS 4096 /* differences an audit keeps to confirm at the next one */

/* One place a table page is reached from: root, level, and the VA of entry 0. */
struct ref {
	uint32_t root;
	int8_t level;
	uint16_t first, count; /* entries of the page that belong to the table */
	uint64_t va0;
};

struct tpage {
	uint64_t pa;
	unsigned nrefs;
	unsigned busy; /* walks over its shadow in progress: not freed under them */
	struct ref refs[MAX_REFS];
	uint64_t shadow[ENTRIES];
};

struct root {
	char name[40];
	uint64_t base;
	struct pt_geom g;
	int s2; /* a guest's stage-1 root: the stage-2 root its table addresses (IPAs) go through */
	bool walked;
	bool noted_outside, noted_refs, noted_unmapped;
};

struct ptrack {
	struct ptrack_view v; /* first: ptrack_is_table() reads it */
	const uint8_t *ram;
	uint64_t size;
	struct tpage **pages;
	uint64_t *bits;
	const struct ptrack_ops *ops;
	void *ctx;
	struct root *roots;
	unsigned nroots, roots_cap;
	struct ptrack_stats st;
	bool noted_pages;
	/* ptrack_audit(settle): differences seen at the last audit, by entry PA and value */
	struct suspect {
		uint64_t pa, val;
	} * suspects, *next_suspects;
	unsigned nsuspects, nnext;
};

static const char *const regime_names[PT_NR_REGIMES] = {"el2", "el20", "el1", "s2"};

/* --- geometry (Arm ARM D8.1 "translation table walks", D8.2 "VMSAv8-64 translation") --- */

static unsigned level_shift(int level) { return PAGE_SHIFT + 9 * (unsigned)(3 - level); }

/* Start level of a 4K stage-1 walk for va_bits (D8.2.8, the initial lookup level). */
static int s1_start(unsigned va_bits)
{
	if (va_bits > 48)
		return -1;
	if (va_bits > 39)
		return 0;
	if (va_bits > 30)
		return 1;
	if (va_bits > 21)
		return 2;
	return 3;
}

static int check_txsz(unsigned txsz, bool lpa2, const char *field, char *why, size_t n)
{
	/* 4K: TxSZ 16..39 (12..39 with DS = 1; up to 48 with FEAT_TTST). */
	if (txsz < (lpa2 ? 12u : 16u) || txsz > 48) {
		snprintf(why, n, "%s %u is out of range for the 4K granule", field, txsz);
		return -1;
	}
	return 0;
}

int ptrack_geom_el2(uint64_t tcr, struct pt_geom *g, char *why, size_t n)
{
	unsigned t0sz = tcr & 0x3f, tg0 = (tcr >> 14) & 3;

	memset(g, 0, sizeof(*g));
	if (tg0 != 0) { /* TCR_EL2.TG0: 0b00 4K, 0b01 64K, 0b10 16K */
		snprintf(why, n, "granule %s is not supported (4K only)", tg0 == 1 ? "64K" : "16K");
		return -1;
	}
	g->regime = PT_EL2;
	g->lpa2 = (tcr >> 32) & 1;
	if (check_txsz(t0sz, g->lpa2, "T0SZ", why, n))
		return -1;
	g->va_bits = (uint8_t)(64 - t0sz);
	g->start = (int8_t)s1_start(g->va_bits);
	g->nconcat = 1;
	return 0;
}

int ptrack_geom_el1(uint64_t tcr, bool upper, uint8_t regime, struct pt_geom *g, char *why,
		    size_t n)
{
	unsigned txsz = upper ? (tcr >> 16) & 0x3f : tcr & 0x3f;
	unsigned tg = upper ? (tcr >> 30) & 3 : (tcr >> 14) & 3;
	/* TG1: 0b01 16K, 0b10 4K, 0b11 64K; TG0: 0b00 4K, 0b01 64K, 0b10 16K. */
	bool is4k = upper ? tg == 2 : tg == 0;

	memset(g, 0, sizeof(*g));
	if (!is4k) {
		bool is16 = upper ? tg == 1 : tg == 2;
		snprintf(why, n, "granule %s (TCR.%s) is not supported (4K only)",
			 is16 ? "16K" : "64K", upper ? "TG1" : "TG0");
		return -1;
	}
	g->regime = regime;
	g->upper = upper;
	g->lpa2 = (tcr >> 59) & 1;
	if (check_txsz(txsz, g->lpa2, upper ? "T1SZ" : "T0SZ", why, n))
		return -1;
	g->va_bits = (uint8_t)(64 - txsz);
	g->start = (int8_t)s1_start(g->va_bits);
	g->nconcat = 1;
	return 0;
}

int ptrack_geom_s2(uint64_t vtcr, struct pt_geom *g, char *why, size_t n)
{
	unsigned t0sz = vtcr & 0x3f, sl0 = (vtcr >> 6) & 3, tg0 = (vtcr >> 14) & 3;
	unsigned sl2 = (vtcr >> 33) & 1, bits;
	int start;

	memset(g, 0, sizeof(*g));
	if (tg0 != 0) {
		snprintf(why, n, "granule %s (VTCR_EL2.TG0) is not supported (4K only)",
			 tg0 == 1 ? "64K" : "16K");
		return -1;
	}
	g->regime = PT_S2;
	g->lpa2 = (vtcr >> 32) & 1;
	if (check_txsz(t0sz, g->lpa2, "VTCR_EL2.T0SZ", why, n))
		return -1;
	g->va_bits = (uint8_t)(64 - t0sz);
	/* 4K: SL0 0 -> level 2, 1 -> 1, 2 -> 0, 3 -> 3; SL2:SL0 = 1:00 -> level -1 (D8.2.9). */
	if (sl2) {
		if (sl0 != 0 || !g->lpa2) {
			snprintf(why, n, "VTCR_EL2.SL2 = 1 with SL0 = %u", sl0);
			return -1;
		}
		start = -1;
	} else {
		static const int lv[4] = {2, 1, 0, 3};
		start = lv[sl0];
	}
	/* The start level resolves va_bits - shift bits: up to 16 concatenated tables. */
	if (g->va_bits <= level_shift(start) || g->va_bits > level_shift(start) + 9 + 4 ||
	    (start < 3 && g->va_bits <= level_shift(start + 1))) {
		snprintf(why, n, "VTCR_EL2.SL0 = %u does not match T0SZ = %u", sl0, t0sz);
		return -1;
	}
	bits = g->va_bits - level_shift(start);
	g->start = (int8_t)start;
	g->nconcat = bits > 9 ? (uint16_t)(1u << (bits - 9)) : 1;
	return 0;
}

uint64_t ptrack_ttbr_base(uint64_t ttbr, const struct pt_geom *g)
{
	if (g->lpa2) /* BADDR[51:48] in TTBR[5:2] (D19.2 TTBR0_EL2 with DS = 1) */
		return (ttbr & 0x0000ffffffffffc0ull) | ((ttbr >> 2) & 0xf) << 48;
	return ttbr & 0x0000fffffffffffeull;
}

/* --- descriptors: the one decoder (cli/desc.c, D8.3 descriptor formats) --- */

static bool desc_is_table(uint64_t d, int level, bool lpa2)
{
	struct desc_fmt f = {.granule = FM_GRANULE_4K, .lpa2 = lpa2};

	return desc_fmt_is_table(&f, d, level);
}

/* Next-level table address of a table descriptor. */
static uint64_t desc_next(uint64_t d, int level, bool lpa2)
{
	struct desc_fmt f = {.granule = FM_GRANULE_4K, .lpa2 = lpa2};

	return desc_fmt_oa(&f, d, level);
}

/* --- tracking --- */

struct ptrack *ptrack_new(const uint8_t *ram, uint64_t base, uint64_t size,
			  const struct ptrack_ops *ops, void *ctx)
{
	struct ptrack *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ram = ram;
	t->size = size & ~(uint64_t)0xfff;
	t->v.base = base;
	t->v.npages = t->size >> PAGE_SHIFT;
	t->pages = calloc(t->v.npages ? t->v.npages : 1, sizeof(*t->pages));
	t->bits = calloc(t->v.npages / 64 + 1, sizeof(*t->bits));
	if (!t->pages || !t->bits) {
		free(t->pages);
		free(t->bits);
		free(t);
		return NULL;
	}
	t->v.pages = (void *const *)t->pages;
	t->v.bits = t->bits;
	t->ops = ops;
	t->ctx = ctx;
	return t;
}

void ptrack_free(struct ptrack *t)
{
	if (!t)
		return;
	for (uint64_t i = 0; i < t->v.npages; i++)
		free(t->pages[i]);
	free(t->pages);
	free(t->bits);
	free(t->roots);
	free(t->suspects);
	free(t->next_suspects);
	free(t);
}

static void note(struct ptrack *t, unsigned root, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct ptrack *t, unsigned root, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->ops && t->ops->note)
		t->ops->note(t->ctx, root, msg);
}

static const uint64_t *ram_entries(const struct ptrack *t, uint64_t idx)
{
	return (const uint64_t *)(t->ram + (idx << PAGE_SHIFT));
}

static uint64_t ram_load(const struct ptrack *t, uint64_t idx, unsigned j)
{
	return __atomic_load_n(&ram_entries(t, idx)[j], __ATOMIC_RELAXED);
}

static void link_table(struct ptrack *t, unsigned root, int level, uint64_t va0, uint64_t pa,
		       unsigned first, unsigned count);

static void unlink_table(struct ptrack *t, unsigned root, int level, uint64_t va0, uint64_t pa);

/*
 * A stage-2 walk over the shadows (D8.2: the IPA through the stage-2 root s2,
 * as its tables are now): the PA, or false when the IPA maps nothing there.
 */
bool ptrack_s2_translate(const struct ptrack *t, unsigned s2, uint64_t ipa, uint64_t *pa)
{
	const struct root *r;
	int level;
	uint64_t table;

	if (s2 >= t->nroots || t->roots[s2].g.regime != PT_S2 || !t->roots[s2].walked)
		return false;
	r = &t->roots[s2];
	if (r->g.va_bits < 64 && ipa >> r->g.va_bits)
		return false;
	level = r->g.start;
	/* Concatenated start tables: the bits above the start level's pick the page. */
	table = r->base + ((ipa >> (level_shift(level) + 9)) << PAGE_SHIFT);
	for (;;) {
		/* (a start table smaller than a page may begin inside one) */
		uint64_t e = table + ((ipa >> level_shift(level)) & (ENTRIES - 1)) * 8;
		uint64_t idx = (e - t->v.base) >> PAGE_SHIFT, d;
		unsigned j = (unsigned)(e & 0xfff) / 8;
		struct desc_fmt f = {
		    .granule = FM_GRANULE_4K, .lpa2 = r->g.lpa2, .regime = FM_REGIME_S2};
		if (e < t->v.base || idx >= t->v.npages)
			return false;
		d = t->pages[idx] ? t->pages[idx]->shadow[j] : ram_load(t, idx, j);
		if (!desc_fmt_is_valid(&f, d, level))
			return false;
		if (level == 3 || !desc_fmt_is_table(&f, d, level)) {
			uint64_t size = 1ull << level_shift(level);
			*pa = desc_fmt_oa(&f, d, level) + (ipa & (size - 1));
			return true;
		}
		table = desc_fmt_oa(&f, d, level);
		level++;
	}
}

/* Where the table a table descriptor d (at level, for va) points to lives: its PA. */
static bool next_table(struct ptrack *t, unsigned root, int level, uint64_t va, uint64_t d,
		       uint64_t *pa)
{
	struct root *r = &t->roots[root];
	uint64_t next = desc_next(d, level, r->g.lpa2);

	if (r->s2 < 0) {
		*pa = next;
		return true;
	}
	if (ptrack_s2_translate(t, (unsigned)r->s2, next, pa))
		return true;
	if (!r->noted_unmapped) {
		r->noted_unmapped = true;
		note(t, root, "a level %d table at IPA 0x%" PRIx64 " (VA 0x%" PRIx64
			      ") is not mapped at stage 2 (%s): not followed",
		     level + 1, next, va, t->roots[r->s2].name);
	}
	return false;
}

/* Follows the table entries of a page reached at (root, level, va0). */
static void walk_children(struct ptrack *t, unsigned root, int level, uint64_t va0,
			  const uint64_t *entries, unsigned first, unsigned count, bool link)
{
	bool lpa2 = t->roots[root].g.lpa2;

	for (unsigned j = first; j < first + count; j++) {
		uint64_t d = entries[j], pa;
		uint64_t va = va0 + ((uint64_t)j << level_shift(level));

		if (!desc_is_table(d, level, lpa2) || !next_table(t, root, level, va, d, &pa))
			continue;
		if (link)
			link_table(t, root, level + 1, va, pa, 0, ENTRIES);
		else
			unlink_table(t, root, level + 1, va, pa);
	}
}

static void link_table(struct ptrack *t, unsigned root, int level, uint64_t va0, uint64_t pa,
		       unsigned first, unsigned count)
{
	struct root *r = &t->roots[root];
	uint64_t idx = (pa - t->v.base) >> PAGE_SHIFT;
	struct tpage *tp;

	if (pa < t->v.base || idx >= t->v.npages) {
		t->st.outside++;
		if (!r->noted_outside) {
			r->noted_outside = true;
			note(t, root, "a level %d table at 0x%" PRIx64 " (VA 0x%" PRIx64
				      ") is outside RAM: not followed",
			     level, pa, va0);
		}
		return;
	}
	tp = t->pages[idx];
	if (!tp) {
		if (t->st.pages >= MAX_PAGES) {
			if (!t->noted_pages) {
				t->noted_pages = true;
				note(t, root, "more than %u table pages: no more are followed",
				     MAX_PAGES);
			}
			return;
		}
		tp = calloc(1, sizeof(*tp));
		if (!tp)
			return;
		tp->pa = pa & ~(uint64_t)0xfff;
		for (unsigned j = 0; j < ENTRIES; j++)
			tp->shadow[j] = ram_load(t, idx, j);
		__atomic_store_n(&t->pages[idx], tp, __ATOMIC_RELEASE);
		__atomic_fetch_or(&t->bits[idx / 64], 1ull << (idx % 64), __ATOMIC_RELEASE);
		t->st.pages++;
	}
	for (unsigned k = 0; k < tp->nrefs; k++)
		if (tp->refs[k].root == root && tp->refs[k].level == level && tp->refs[k].va0 == va0)
			return; /* reached this way already (a loop, or a repeated walk) */
	if (tp->nrefs == MAX_REFS) {
		t->st.dropped++;
		if (!r->noted_refs) {
			r->noted_refs = true;
			note(t, root, "the table page at 0x%" PRIx64
				      " is reached from more than %d places (a loop?): the rest are not followed",
			     tp->pa, MAX_REFS);
		}
		return;
	}
	tp->refs[tp->nrefs++] = (struct ref){root, (int8_t)level, (uint16_t)first, (uint16_t)count, va0};
	t->st.refs++;
	tp->busy++;
	walk_children(t, root, level, va0, tp->shadow, first, count, true);
	tp->busy--;
}

/* Frees a page no place reaches any more, unless a walk over it is in progress. */
static void tpage_release(struct ptrack *t, uint64_t idx, struct tpage *tp)
{
	if (tp->nrefs || tp->busy || t->pages[idx] != tp)
		return;
	__atomic_fetch_and(&t->bits[idx / 64], ~(1ull << (idx % 64)), __ATOMIC_RELEASE);
	__atomic_store_n(&t->pages[idx], NULL, __ATOMIC_RELEASE);
	free(tp);
	t->st.pages--;
}

static void unlink_table(struct ptrack *t, unsigned root, int level, uint64_t va0, uint64_t pa)
{
	uint64_t idx = (pa - t->v.base) >> PAGE_SHIFT;
	struct tpage *tp;
	struct ref r;
	unsigned k;

	if (pa < t->v.base || idx >= t->v.npages || !(tp = t->pages[idx]))
		return;
	for (k = 0; k < tp->nrefs; k++)
		if (tp->refs[k].root == root && tp->refs[k].level == level && tp->refs[k].va0 == va0)
			break;
	if (k == tp->nrefs)
		return;
	r = tp->refs[k];
	tp->refs[k] = tp->refs[--tp->nrefs];
	t->st.refs--;
	/* A child may be this very page (a table that points at itself). */
	tp->busy++;
	walk_children(t, root, level, va0, tp->shadow, r.first, r.count, false);
	tp->busy--;
	tpage_release(t, idx, tp);
}

/* Start tables of a root: nconcat pages (stage 2), or part of one page. */
static void root_walk(struct ptrack *t, unsigned root, bool link)
{
	struct root *r = &t->roots[root];
	unsigned shift = level_shift(r->g.start);
	uint64_t va0 = r->g.upper ? ~0ull << r->g.va_bits : 0;
	unsigned bits = r->g.va_bits - shift;

	if (r->g.nconcat > 1 || bits >= 9) {
		for (unsigned k = 0; k < r->g.nconcat; k++) {
			uint64_t va = va0 + ((uint64_t)k << (shift + 9));
			if (link)
				link_table(t, root, r->g.start, va, r->base + k * 4096ull, 0, ENTRIES);
			else
				unlink_table(t, root, r->g.start, va, r->base + k * 4096ull);
		}
		return;
	}
	/* A start table smaller than a page: its entries from the base's offset on. */
	unsigned first = (unsigned)(r->base & 0xfff) / 8, count = 1u << bits;
	uint64_t pva0 = va0 - ((uint64_t)first << shift);
	if (first + count > ENTRIES)
		count = ENTRIES - first;
	if (link)
		link_table(t, root, r->g.start, pva0, r->base & ~0xfffull, first, count);
	else
		unlink_table(t, root, r->g.start, pva0, r->base & ~0xfffull);
}

int ptrack_root(struct ptrack *t, uint64_t base, const struct pt_geom *g, bool *is_new)
{
	return ptrack_root_s2(t, base, g, -1, is_new);
}

int ptrack_root_s2(struct ptrack *t, uint64_t base, const struct pt_geom *g, int s2, bool *is_new)
{
	unsigned i;

	*is_new = false;
	i = (unsigned)ptrack_root_find(t, base, g); /* (-1: nroots, below) */
	if ((int)i < 0)
		i = t->nroots;
	if (i == t->nroots) {
		if (t->nroots == MAX_ROOTS)
			return -1;
		if (t->nroots == t->roots_cap) {
			unsigned cap = t->roots_cap ? t->roots_cap * 2 : 16;
			struct root *n = realloc(t->roots, cap * sizeof(*n));
			if (!n)
				return -1;
			t->roots = n;
			t->roots_cap = cap;
		}
		memset(&t->roots[i], 0, sizeof(t->roots[i]));
		t->roots[i].base = base;
		t->roots[i].g = *g;
		t->roots[i].s2 = s2;
		/* A page may be the root of both ranges (Linux's reserved_pg_dir): TTBR1 roots say so. */
		snprintf(t->roots[i].name, sizeof(t->roots[i].name), "%s-%s0x%" PRIx64,
			 regime_names[g->regime < PT_NR_REGIMES ? g->regime : 0],
			 g->upper ? "ttbr1-" : "", base);
		t->nroots++;
		*is_new = true;
	} else if (t->roots[i].walked && memcmp(&t->roots[i].g, g, sizeof(*g)) == 0 &&
		   t->roots[i].s2 == s2) {
		return (int)i;
	} else if (t->roots[i].walked) {
		root_walk(t, i, false); /* the geometry or stage 2 changed: walk it again */
		t->roots[i].g = *g;
		t->roots[i].s2 = s2;
	} else {
		t->roots[i].s2 = s2;
	}
	t->roots[i].walked = true;
	root_walk(t, i, true);
	return (int)i;
}

void ptrack_retire(struct ptrack *t, unsigned root)
{
	if (root >= t->nroots || !t->roots[root].walked)
		return;
	root_walk(t, root, false);
	t->roots[root].walked = false;
}

bool ptrack_root_walked(const struct ptrack *t, unsigned root)
{
	return root < t->nroots && t->roots[root].walked;
}

const char *ptrack_root_name(const struct ptrack *t, unsigned root)
{
	return root < t->nroots ? t->roots[root].name : "?";
}

int ptrack_root_find(const struct ptrack *t, uint64_t base, const struct pt_geom *g)
{
	for (unsigned i = 0; i < t->nroots; i++)
		if (t->roots[i].base == base && t->roots[i].g.regime == g->regime &&
		    t->roots[i].g.upper == g->upper)
			return (int)i;
	return -1;
}

const struct pt_geom *ptrack_root_geom(const struct ptrack *t, unsigned root)
{
	return root < t->nroots ? &t->roots[root].g : NULL;
}

unsigned ptrack_nroots(const struct ptrack *t) { return t->nroots; }

/* Entry j of the page at idx now holds d (RAM): report it and follow table changes. */
static void entry_changed(struct ptrack *t, uint64_t idx, struct tpage *tp, unsigned j,
			  uint64_t d, bool unseen)
{
	uint64_t old = tp->shadow[j];
	struct ref refs[MAX_REFS];
	unsigned n = tp->nrefs;

	tp->shadow[j] = d;
	memcpy(refs, tp->refs, n * sizeof(refs[0]));
	tp->busy++;
	for (unsigned k = 0; k < n; k++) {
		const struct ref *r = &refs[k];
		if (j < r->first || j >= r->first + r->count)
			continue;
		t->ops->pte(t->ctx, r->root, r->va0 + ((uint64_t)j << level_shift(r->level)), r->level,
			    old, d, tp->pa + j * 8ull, unseen);
	}
	for (unsigned k = 0; k < n; k++) {
		const struct ref *r = &refs[k];
		uint64_t va = r->va0 + ((uint64_t)j << level_shift(r->level));
		bool lpa2 = t->roots[r->root].g.lpa2;
		uint64_t pa;
		if (j < r->first || j >= r->first + r->count)
			continue;
		if (desc_is_table(old, r->level, lpa2) && next_table(t, r->root, r->level, va, old, &pa))
			unlink_table(t, r->root, r->level + 1, va, pa);
		if (desc_is_table(d, r->level, lpa2) && next_table(t, r->root, r->level, va, d, &pa))
			link_table(t, r->root, r->level + 1, va, pa, 0, ENTRIES);
	}
	tp->busy--;
	tpage_release(t, idx, tp);
}

unsigned ptrack_store(struct ptrack *t, uint64_t pa, unsigned size)
{
	unsigned changed = 0;
	uint64_t end = pa + (size ? size : 1);

	for (uint64_t e = pa & ~7ull; e < end; e += 8) {
		uint64_t idx = (e - t->v.base) >> PAGE_SHIFT;
		unsigned j = (unsigned)(e & 0xfff) / 8;
		struct tpage *tp;
		uint64_t d;

		if (e < t->v.base || idx >= t->v.npages || !(tp = t->pages[idx]))
			continue;
		d = ram_load(t, idx, j);
		if (d == tp->shadow[j])
			continue;
		entry_changed(t, idx, tp, j, d, false);
		changed++;
	}
	return changed;
}

static bool was_suspect(const struct ptrack *t, uint64_t pa, uint64_t val)
{
	for (unsigned i = 0; i < t->nsuspects; i++)
		if (t->suspects[i].pa == pa && t->suspects[i].val == val)
			return true;
	return false;
}

unsigned ptrack_audit(struct ptrack *t, bool settle)
{
	unsigned changed = 0;

	if (settle && !t->suspects) {
		t->suspects = calloc(MAX_SUSPECTS, sizeof(*t->suspects));
		t->next_suspects = calloc(MAX_SUSPECTS, sizeof(*t->next_suspects));
		if (!t->suspects || !t->next_suspects)
			return 0;
	}
	t->nnext = 0;
	for (uint64_t idx = 0; idx < t->v.npages; idx++) {
		struct tpage *tp = t->pages[idx];
		const uint64_t *ram = ram_entries(t, idx);

		if (!tp || !memcmp(tp->shadow, ram, sizeof(tp->shadow)))
			continue;
		tp->busy++;
		for (unsigned j = 0; j < ENTRIES && tp->nrefs; j++) {
			uint64_t d = ram_load(t, idx, j), pa = tp->pa + j * 8ull;
			if (d == tp->shadow[j])
				continue;
			if (settle && !was_suspect(t, pa, d)) {
				if (t->nnext < MAX_SUSPECTS)
					t->next_suspects[t->nnext++] = (struct suspect){pa, d};
				continue;
			}
			entry_changed(t, idx, tp, j, d, true);
			changed++;
		}
		tp->busy--;
		tpage_release(t, idx, tp);
	}
	if (settle) {
		struct suspect *x = t->suspects;
		t->suspects = t->next_suspects;
		t->next_suspects = x;
		t->nsuspects = t->nnext;
	} else {
		t->nsuspects = 0;
	}
	return changed;
}

void ptrack_stats(const struct ptrack *t, struct ptrack_stats *s) { *s = t->st; }
