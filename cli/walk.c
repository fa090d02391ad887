/* SPDX-License-Identifier: MIT */
/*
 * The table walker. A walk has two passes over the tree:
 *
 *  1. fetch, breadth first: the start table, then every next-level table that
 *     the entries in range point to, one target_read_phys_v() batch per level
 *     (so a gdbstub target pipelines a whole level, and a walk costs at most
 *     four round trips plus one for the root). Tables are kept once per
 *     (PA, level), so tables that alias or point back at themselves are read
 *     once; entries scanned and tables read are capped, so a hostile tree
 *     cannot make the walk run away.
 *  2. visit, depth first in VA order, over the tables in memory.
 *
 * Translation-table walk rules: Arm ARM (DDI 0487) D8.2 (start level from
 * TxSZ, stage-2 SL0 and concatenated start tables), D8.3 (descriptor formats),
 * D8.4.2 (hierarchical attributes).
 */
#include "walk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define BADDR_MASK 0x0000fffffffffffeull /* TTBR/VTTBR BADDR[47:1] */

static struct walk_stats last_stats;

void walk_last_stats(struct walk_stats *s)
{
	*s = last_stats;
}

int walk_decode(const struct walk_cfg *c, uint64_t raw, int level, struct desc *d)
{
	int r = desc_decode_fmt(&c->fmt, raw, level, d);

	desc_set_tcr_sh(d, c->tcr_sh);
	return r;
}

int walk_regime_parse(const char *s, enum fm_regime *r)
{
	if (!strcmp(s, "el2"))
		*r = FM_REGIME_EL2;
	else if (!strcmp(s, "el1"))
		*r = FM_REGIME_EL1;
	else if (!strcmp(s, "s2"))
		*r = FM_REGIME_S2;
	else if (!strcmp(s, "el20"))
		*r = FM_REGIME_EL20;
	else
		return -1;
	return 0;
}

/*
 * PS / IPS encodings (D8.1.7 "Output address size"). 52 bits (0b110) needs
 * LPA2 or the 64K granule (FEAT_LPA); otherwise it means 48 bits
 * (AArch64.PAMax capping, D8.1.7). 0b111 is reserved: taken as the largest.
 */
static unsigned ps_bits(unsigned ps, const struct desc_fmt *f)
{
	static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
	unsigned b = bits[ps & 7];

	if (b == 52 && !f->lpa2 && f->granule != FM_GRANULE_64K)
		b = 48;
	return b;
}

/*
 * Stage-2 start level from VTCR_EL2.SL0 (and SL2, bit 33, with 4K and DS = 1),
 * after the pseudocode AArch64.S2StartLevel / AArch64.S2InvalidSL (D8.2.5):
 * 4K: SL2:SL0 000 L2, 001 L1, 010 L0, 011 L3 (FEAT_TTST), 100 L-1 (DS = 1);
 * 16K: SL0 00 L3, 01 L2, 10 L1, 11 L0 (DS = 1 only); 64K: 00 L3, 01 L2, 10 L1,
 * 11 reserved. -2 for a reserved encoding.
 */
static int s2_start_level(const struct desc_fmt *f, unsigned sl0, unsigned sl2)
{
	switch (f->granule) {
	case FM_GRANULE_4K: {
		static const int l4k[4] = {2, 1, 0, 3};

		if (sl2)
			return sl0 == 0 && f->lpa2 ? -1 : -2;
		return l4k[sl0];
	}
	case FM_GRANULE_16K:
		if (sl0 == 3 && !f->lpa2)
			return -2;
		return 3 - (int)sl0;
	case FM_GRANULE_64K:
	default:
		return sl0 == 3 ? -2 : 3 - (int)sl0;
	}
}

int walk_cfg_from_regs(enum fm_regime r, uint64_t ttbr, uint64_t tcr, uint64_t mair, int ttbr1,
		       struct walk_cfg *c, struct fm_err *err)
{
	const char *reg = desc_tcr_name(r);
	bool two = r == FM_REGIME_EL1 || r == FM_REGIME_EL20;
	unsigned txsz, ps, shift, min_txsz, max_txsz, pshift, stride;
	uint64_t align;

	memset(c, 0, sizeof(*c));
	if ((unsigned)r >= FM_NREGIMES)
		return fm_err_set(err, "unknown translation regime %d", (int)r);
	if (ttbr1 && !two)
		return fm_err_set(err, "only the el1 and el20 regimes have a TTBR1 range");
	if (desc_fmt_from_tcr(r, tcr, ttbr1, &c->fmt, &c->tcr_sh, err))
		return -1;
	c->regime = r;
	c->ttbr1 = ttbr1 != 0;
	c->mair = mair;
	pshift = desc_fmt_page_shift(&c->fmt);
	stride = pshift - 3;
	txsz = (unsigned)(tcr >> (two && ttbr1 ? 16 : 0)) & 63; /* T1SZ [21:16], T0SZ [5:0] */
	/*
	 * TxSZ range (D8.1.9, AArch64.S1MinTxSZ/MaxTxSZ): at least 16 (48 bits), 12
	 * (52 bits) with LPA2 or the 64K granule; at most 48 (4K, 16K) or 47 (64K)
	 * with FEAT_TTST.
	 */
	min_txsz = c->fmt.lpa2 || c->fmt.granule == FM_GRANULE_64K ? 12 : 16;
	max_txsz = c->fmt.granule == FM_GRANULE_64K ? 47 : 48;
	if (txsz < min_txsz || txsz > max_txsz)
		return fm_err_set(err,
				  "%s.T%cSZ = %u selects a %u-bit input range; the %s granule%s "
				  "allows %u to %u bits",
				  reg, two && ttbr1 ? '1' : '0', txsz, 64 - txsz,
				  desc_granule_name(c->fmt.granule), c->fmt.lpa2 ? " with LPA2" : "",
				  64 - max_txsz, 64 - min_txsz);
	c->ia_bits = 64 - txsz;

	switch (r) {
	case FM_REGIME_EL2: /* TCR_EL2, E2H = 0: PS [18:16], HPD [24] */
		ps = (unsigned)(tcr >> 16) & 7;
		c->hpd = (tcr >> 24) & 1;
		break;
	case FM_REGIME_EL1:
	case FM_REGIME_EL20:
		/* TCR_EL1 layout: EPD0 [7], EPD1 [23], IPS [34:32], HPD0 [41], HPD1 [42];
		 * TTBRn.ASID [63:48]. */
		ps = (unsigned)(tcr >> 32) & 7;
		c->hpd = (tcr >> (ttbr1 ? 42 : 41)) & 1;
		c->disabled = (tcr >> (ttbr1 ? 23 : 7)) & 1;
		c->asid = (uint16_t)(ttbr >> 48);
		break;
	default: /* VTCR_EL2: SL0 [7:6], PS [18:16], SL2 [33]; VTTBR_EL2.VMID [63:48] */
		ps = (unsigned)(tcr >> 16) & 7;
		c->asid = (uint16_t)(ttbr >> 48);
		break;
	}
	c->pa_bits = ps_bits(ps, &c->fmt);

	if (r == FM_REGIME_S2) {
		unsigned sl0 = (unsigned)(tcr >> 6) & 3, sl2 = (unsigned)(tcr >> 33) & 1;
		int sl = s2_start_level(&c->fmt, sl0, sl2), extra;

		if (sl < -1)
			return fm_err_set(err,
					  "VTCR_EL2: SL2:SL0 = %u:%u is a reserved start level for the "
					  "%s granule%s",
					  sl2, sl0, desc_granule_name(c->fmt.granule),
					  c->fmt.lpa2 ? " with LPA2" : "");
		c->start_level = sl;
		shift = desc_fmt_level_shift(&c->fmt, sl);
		/*
		 * The start level resolves IA[ia-1:shift]: at least 1 bit, at most one
		 * table's bits plus up to 16 concatenated tables (4 more bits); anything
		 * else is a level 0 translation fault (AArch64.S2InconsistentSL).
		 */
		extra = (int)c->ia_bits - (int)shift;
		if (extra < 1 || extra > (int)stride + 4)
			return fm_err_set(err,
					  "VTCR_EL2: SL0 = %u (start level %d) does not fit T0SZ = %u "
					  "(%u-bit IPA): the walk would fault at the start level",
					  sl0, sl, txsz, c->ia_bits);
		c->nentries = 1u << extra;
	} else {
		/* D8.2: the start level is the one that resolves IA bit ia-1. */
		unsigned levels = (c->ia_bits - pshift + stride - 1) / stride;

		c->start_level = 4 - (int)levels;
		shift = desc_fmt_level_shift(&c->fmt, c->start_level);
		c->nentries = 1u << (c->ia_bits - shift);
	}
	/* BADDR is aligned to the start table (concatenated: all of them), at least 64 bytes. */
	align = (uint64_t)c->nentries * 8;
	if (align < 64)
		align = 64;
	c->root = ttbr & BADDR_MASK & ~(align - 1);
	/* With 52-bit output addresses BADDR[51:48] is in bits [5:2] (D19 TTBR0_EL2.BADDR). */
	if (c->pa_bits == 52)
		c->root |= ((ttbr >> 2) & 0xfull) << 48;
	if (c->root >> c->pa_bits)
		return fm_err_set(err,
				  "the table base %#" PRIx64 " is beyond the %u-bit output address "
				  "size (an address size fault)",
				  c->root, c->pa_bits);
	if (c->ttbr1) {
		c->va_lo = ~0ull << c->ia_bits;
		c->va_hi = ~0ull;
	} else {
		c->va_lo = 0;
		c->va_hi = (1ull << c->ia_bits) - 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */

struct node {
	uint64_t pa;
	int level;
	unsigned n;    /* entries */
	uint64_t *ent; /* n entries, NULL until read or if unreadable */
	bool bad;      /* could not be read */
};

struct ref {
	size_t node;
	uint64_t va; /* first VA this reference to the table translates */
};

struct walker {
	struct target *t;
	const struct walk_cfg *c;
	uint64_t lo, hi;
	const struct walk_visitor *v;
	void *arg;
	struct fm_err *err;

	struct node *nodes;
	size_t nnodes, cap;
	size_t *hash; /* node index + 1, 0 = empty */
	size_t hcap;  /* power of two */

	unsigned max_tables, table_entries, table_bytes;
	uint64_t max_entries, scanned, visited;
};

static size_t hash_key(uint64_t pa, int level, size_t hcap)
{
	uint64_t k = (pa >> 3) ^ ((uint64_t)(level + 1) << 60);

	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 20) & (hcap - 1);
}

static long node_find(const struct walker *w, uint64_t pa, int level)
{
	size_t h = hash_key(pa, level, w->hcap);

	for (;;) {
		size_t i = w->hash[h];

		if (!i)
			return -1;
		if (w->nodes[i - 1].pa == pa && w->nodes[i - 1].level == level)
			return (long)(i - 1);
		h = (h + 1) & (w->hcap - 1);
	}
}

static int hash_insert(struct walker *w, size_t idx)
{
	size_t h;

	if ((w->nnodes + 1) * 2 > w->hcap) {
		size_t ncap = w->hcap ? w->hcap * 2 : 1024;
		size_t *nh = calloc(ncap, sizeof(*nh));

		if (!nh)
			return fm_err_set(w->err, "out of memory");
		for (size_t i = 0; i < w->hcap; i++) {
			if (!w->hash[i])
				continue;
			const struct node *n = &w->nodes[w->hash[i] - 1];
			h = hash_key(n->pa, n->level, ncap);
			while (nh[h])
				h = (h + 1) & (ncap - 1);
			nh[h] = w->hash[i];
		}
		free(w->hash);
		w->hash = nh;
		w->hcap = ncap;
	}
	h = hash_key(w->nodes[idx].pa, w->nodes[idx].level, w->hcap);
	while (w->hash[h])
		h = (h + 1) & (w->hcap - 1);
	w->hash[h] = idx + 1;
	return 0;
}

/* Adds an unread node; returns its index or -1. */
static long node_add(struct walker *w, uint64_t pa, int level, unsigned n)
{
	struct node *nd;

	if (w->nnodes >= w->max_tables)
		return fm_err_set(w->err,
				  "more than %u translation tables (%u KiB each): the walk stops "
				  "(tables that loop, or a range too large; try --range)",
				  w->max_tables, w->table_bytes >> 10);
	if (w->nnodes == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct node *nn = realloc(w->nodes, ncap * sizeof(*nn));

		if (!nn)
			return fm_err_set(w->err, "out of memory");
		w->nodes = nn;
		w->cap = ncap;
	}
	nd = &w->nodes[w->nnodes];
	memset(nd, 0, sizeof(*nd));
	nd->pa = pa;
	nd->level = level;
	nd->n = n;
	nd->ent = malloc((size_t)n * 8);
	if (!nd->ent)
		return fm_err_set(w->err, "out of memory");
	w->nnodes++;
	if (hash_insert(w, w->nnodes - 1))
		return -1;
	return (long)(w->nnodes - 1);
}

/* Index range [*first, *last] of a table at va (n entries of 2^shift) that meets [lo, hi]. */
static bool index_range(const struct walker *w, uint64_t va, unsigned n, unsigned shift,
			unsigned *first, unsigned *last)
{
	uint64_t f = 0, l;

	if (w->hi < va)
		return false;
	if (w->lo > va) {
		f = (w->lo - va) >> shift;
		if (f >= n)
			return false;
	}
	l = (w->hi - va) >> shift;
	if (l >= n)
		l = n - 1;
	*first = (unsigned)f;
	*last = (unsigned)l;
	return true;
}

/* Reads nodes [from, nnodes) in one batch; nodes that fail alone are marked bad. */
static int fetch(struct walker *w, size_t from)
{
	size_t k = w->nnodes - from;
	struct target_iov *iov;
	struct fm_err e;

	if (!k)
		return 0;
	iov = calloc(k, sizeof(*iov));
	if (!iov)
		return fm_err_set(w->err, "out of memory");
	for (size_t i = 0; i < k; i++) {
		iov[i].pa = w->nodes[from + i].pa;
		iov[i].buf = w->nodes[from + i].ent;
		iov[i].len = (size_t)w->nodes[from + i].n * 8;
	}
	last_stats.batches++;
	last_stats.tables += k;
	if (target_read_phys_v(w->t, iov, k, &e)) {
		/* Find the tables that cannot be read; the others are still walked. */
		for (size_t i = 0; i < k; i++) {
			last_stats.batches++;
			if (target_read_phys_v(w->t, &iov[i], 1, &e)) {
				struct node *nd = &w->nodes[from + i];

				nd->bad = true;
				free(nd->ent);
				nd->ent = NULL;
			}
		}
	}
	free(iov);
	return 0;
}

/* Pass 1: read the tree a level at a time. */
static int fetch_tree(struct walker *w)
{
	const struct walk_cfg *c = w->c;
	struct ref *cur = NULL, *next = NULL;
	size_t ncur = 0, capcur = 0, nnext = 0, capnext = 0;
	int rc = -1;

	if (node_add(w, c->root, c->start_level, c->nentries) < 0)
		return -1;
	last_stats.batches++;
	last_stats.tables++;
	if (target_read_phys(w->t, c->root, w->nodes[0].ent, (size_t)c->nentries * 8, w->err))
		return fm_err_prefix(w->err, "reading the start table at %#" PRIx64, c->root);
	cur = malloc(sizeof(*cur));
	if (!cur)
		return fm_err_set(w->err, "out of memory");
	cur[0].node = 0;
	cur[0].va = c->va_lo;
	ncur = capcur = 1;

	for (int level = c->start_level; level < 3; level++) {
		unsigned shift = desc_fmt_level_shift(&c->fmt, level);
		size_t from = w->nnodes;

		nnext = 0;
		for (size_t r = 0; r < ncur; r++) {
			const struct node *nd = &w->nodes[cur[r].node];
			unsigned first, last;

			if (nd->bad || !index_range(w, cur[r].va, nd->n, shift, &first, &last))
				continue;
			w->scanned += last - first + 1;
			if (w->scanned > w->max_entries) {
				fm_err_set(w->err,
					   "more than %" PRIu64 " entries: the walk stops (tables "
					   "that loop, or a range too large; try --range)",
					   w->max_entries);
				goto out;
			}
			for (unsigned i = first; i <= last; i++) {
				uint64_t raw = w->nodes[cur[r].node].ent[i], pa;
				long idx;

				if (!desc_fmt_is_table(&c->fmt, raw, level))
					continue;
				pa = desc_fmt_oa(&c->fmt, raw, level);
				if (pa >> c->pa_bits)
					continue; /* address size fault: not followed */
				idx = node_find(w, pa, level + 1);
				if (idx < 0) {
					idx = node_add(w, pa, level + 1, w->table_entries);
					if (idx < 0)
						goto out;
				}
				/*
				 * In a tree every table is referenced once, so more references at
				 * one level than tables allowed means tables that alias or loop: a
				 * self-referencing table would otherwise multiply its references
				 * by its entry count at every level.
				 */
				if (nnext >= w->max_tables) {
					fm_err_set(w->err,
						   "more than %u references to level %d tables: the walk "
						   "stops (tables that reference themselves or each "
						   "other, or a range too large; try --range)",
						   w->max_tables, level + 1);
					goto out;
				}
				if (nnext == capnext) {
					size_t ncap = capnext ? capnext * 2 : 256;
					struct ref *nr = realloc(next, ncap * sizeof(*nr));

					if (!nr) {
						fm_err_set(w->err, "out of memory");
						goto out;
					}
					next = nr;
					capnext = ncap;
				}
				next[nnext].node = (size_t)idx;
				next[nnext].va = cur[r].va + ((uint64_t)i << shift);
				nnext++;
			}
		}
		if (fetch(w, from))
			goto out;
		/* The next level's references become the current ones. */
		struct ref *tmp = cur;
		size_t tcap = capcur;
		cur = next;
		capcur = capnext;
		ncur = nnext;
		next = tmp;
		capnext = tcap;
		if (!ncur)
			break;
	}
	rc = 0;
out:
	free(cur);
	free(next);
	return rc;
}

static struct walk_tattr inherit(const struct walker *w, struct walk_tattr in, uint64_t raw)
{
	/* D8.4.2: stage 1 only; TCR.HPD disables all but NSTable. */
	if (w->c->regime == FM_REGIME_S2)
		return in;
	in.ns_table |= (raw & DESC_NSTABLE) != 0;
	if (w->c->hpd)
		return in;
	in.ap_table |= (uint8_t)DESC_APTABLE(raw);
	/* PXNTable is RES0 at EL2 without VHE */
	if (w->c->regime == FM_REGIME_EL1 || w->c->regime == FM_REGIME_EL20)
		in.pxn_table |= (raw & DESC_PXNTABLE) != 0;
	in.xn_table |= (raw & DESC_XNTABLE) != 0;
	return in;
}

static int call(struct walker *w, int (*fn)(const struct walk_entry *, void *),
		const struct walk_entry *e)
{
	int r;

	if (!fn)
		return 0;
	r = fn(e, w->arg);
	if (r < 0 && !w->err->msg[0])
		fm_err_set(w->err, "the walk was stopped at %#" PRIx64, e->va);
	return r;
}

/* The walker's own view of an entry (D8.3): the kind and the address it names. */
static enum desc_kind classify(const struct desc_fmt *f, uint64_t raw, int level)
{
	if (!(raw & DESC_VALID))
		return DESC_INVALID;
	if (!desc_fmt_is_valid(f, raw, level))
		return DESC_RESERVED;
	if (raw & DESC_TYPE_TABLE)
		return level < 3 ? DESC_TABLE : DESC_PAGE;
	return DESC_BLOCK;
}

/* Pass 2: visit in VA order. */
static int visit(struct walker *w, size_t ni, uint64_t va, struct walk_tattr inh)
{
	const struct walk_cfg *c = w->c;
	const struct node *nd = &w->nodes[ni];
	int level = nd->level;
	unsigned shift = desc_fmt_level_shift(&c->fmt, level), first, last;
	uint64_t size = 1ull << shift;
	struct walk_entry e;

	if (!index_range(w, va, nd->n, shift, &first, &last))
		return 0;
	memset(&e, 0, sizeof(e));
	e.size = size;
	e.level = level;
	e.table_pa = nd->pa;
	e.inherit = inh;
	for (unsigned i = first; i <= last; i++) {
		int r = 0;

		if (++w->visited > w->max_entries)
			return fm_err_set(w->err, "more than %" PRIu64 " entries: the walk stops",
					  w->max_entries);
		e.va = va + ((uint64_t)i << shift);
		e.index = i;
		e.ptep = nd->pa + (uint64_t)i * 8;
		e.raw = nd->ent[i];
		e.fault = WALK_OK;
		e.oa = 0;
		e.kind = classify(&c->fmt, e.raw, level);
		if (!w->v->lazy)
			walk_decode(c, e.raw, level, &e.d);
		switch (e.kind) {
		case DESC_TABLE: {
			long child;

			e.oa = desc_fmt_oa(&c->fmt, e.raw, level);
			if (e.oa >> c->pa_bits) {
				e.fault = WALK_FAULT_ADDRSIZE;
				r = call(w, w->v->table, &e);
				break;
			}
			child = node_find(w, e.oa, level + 1);
			if (child < 0 || w->nodes[child].bad) {
				e.fault = WALK_FAULT_UNREADABLE;
				r = call(w, w->v->table, &e);
				break;
			}
			r = call(w, w->v->table, &e);
			if (r == 0)
				r = visit(w, (size_t)child, e.va, inherit(w, inh, e.raw));
			break;
		}
		case DESC_BLOCK:
		case DESC_PAGE:
			e.oa = desc_fmt_oa(&c->fmt, e.raw, level);
			if (e.oa >> c->pa_bits)
				e.fault = WALK_FAULT_ADDRSIZE;
			r = call(w, w->v->leaf, &e);
			break;
		default:
			r = call(w, w->v->invalid, &e);
			break;
		}
		if (r)
			return r;
	}
	return 0;
}

int walk_range(struct target *t, const struct walk_cfg *c, uint64_t va_lo, uint64_t va_hi,
	       const struct walk_visitor *v, void *arg, struct fm_err *err)
{
	struct walker w;
	struct fm_err local;
	int rc;

	memset(&last_stats, 0, sizeof(last_stats));
	if (!err)
		err = &local;
	err->msg[0] = '\0';
	if (va_lo > va_hi)
		return fm_err_set(err, "empty range %#" PRIx64 "-%#" PRIx64, va_lo, va_hi);
	if (c->disabled || va_hi < c->va_lo || va_lo > c->va_hi)
		return 0;
	memset(&w, 0, sizeof(w));
	w.t = t;
	w.c = c;
	w.lo = va_lo < c->va_lo ? c->va_lo : va_lo;
	w.hi = va_hi > c->va_hi ? c->va_hi : va_hi;
	w.v = v;
	w.arg = arg;
	w.err = err;
	w.table_entries = desc_fmt_entries(&c->fmt);
	w.table_bytes = w.table_entries * 8;
	w.max_tables = c->max_tables ? c->max_tables : WALK_MAX_TABLE_BYTES / w.table_bytes;
	w.max_entries = c->max_entries ? c->max_entries : WALK_MAX_ENTRIES_DEFAULT;

	rc = fetch_tree(&w);
	if (!rc) {
		struct walk_tattr none = {0};

		rc = visit(&w, 0, c->va_lo, none);
		if (rc > 0)
			rc = 0;
	}
	last_stats.entries = w.visited;
	for (size_t i = 0; i < w.nnodes; i++)
		free(w.nodes[i].ent);
	free(w.nodes);
	free(w.hash);
	return rc < 0 ? -1 : 0;
}

int walk_va(struct target *t, const struct walk_cfg *c, uint64_t va,
	    struct walk_step steps[WALK_MAX_LEVELS], unsigned *nsteps, struct fm_err *err)
{
	uint64_t table = c->root, base = c->va_lo;
	unsigned n = c->nentries;
	struct walk_tattr inh = {0};

	*nsteps = 0;
	if (c->disabled)
		return fm_err_set(err, "%#" PRIx64 ": walks of this range are disabled (%s.EPD%d)",
				  va, desc_tcr_name(c->regime), c->ttbr1 ? 1 : 0);
	if (va < c->va_lo || va > c->va_hi)
		return fm_err_set(err,
				  "%#" PRIx64 " is outside the %u-bit range of the table "
				  "(%#" PRIx64 "-%#" PRIx64 ")",
				  va, c->ia_bits, c->va_lo, c->va_hi);
	for (int level = c->start_level; level <= 3; level++) {
		unsigned shift = desc_fmt_level_shift(&c->fmt, level);
		unsigned idx = (unsigned)((va - base) >> shift);
		struct walk_entry *e = &steps[*nsteps].e;
		uint64_t raw;

		if (idx >= n) /* cannot happen: va is in range */
			return fm_err_set(err, "internal: index %u out of %u", idx, n);
		if (target_read_u64(t, table + (uint64_t)idx * 8, &raw, err))
			return fm_err_prefix(err, "level %d table at %#" PRIx64, level, table);
		memset(e, 0, sizeof(*e));
		e->va = base + ((uint64_t)idx << shift);
		e->size = 1ull << shift;
		e->level = level;
		e->index = idx;
		e->table_pa = table;
		e->ptep = table + (uint64_t)idx * 8;
		e->raw = raw;
		e->inherit = inh;
		walk_decode(c, raw, level, &e->d);
		e->kind = classify(&c->fmt, raw, level);
		(*nsteps)++;
		if (e->kind == DESC_TABLE) {
			e->oa = desc_fmt_oa(&c->fmt, raw, level);
			if (e->oa >> c->pa_bits) {
				e->fault = WALK_FAULT_ADDRSIZE;
				return 0;
			}
			struct walker w = {.c = c};
			inh = inherit(&w, inh, raw);
			table = e->oa;
			base = e->va;
			n = desc_fmt_entries(&c->fmt);
			continue;
		}
		if (e->kind == DESC_BLOCK || e->kind == DESC_PAGE) {
			e->oa = e->d.oa;
			if (e->oa >> c->pa_bits)
				e->fault = WALK_FAULT_ADDRSIZE;
		}
		return 0;
	}
	return 0;
}
