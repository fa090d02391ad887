/* SPDX-License-Identifier: MIT */
/*
 * The BBM checker. References are to the Arm ARM (DDI 0487):
 *   D8.3   translation table descriptor formats
 *   D8.16.1 break-before-make (BBM) and the changes that need it; TLB conflict
 *   D8.16.2 FEAT_BBM levels for changing block size
 *   D8.17  TLB maintenance: scope of each TLBI, completion by DSB (D8.17.4),
 *          TTL hints (D8.17.5), range operations (D8.17.6)
 *   D8.17.2 stage-2 invalidation: IPA invalidation does not remove combined
 *          stage 1+2 entries, so a stage-1 invalidation must follow it
 *
 * The model. Every translation-table entry that is live (valid) or pending
 * (an old translation that a TLB may still hold) has a record keyed by
 * (table, level, VA). A record becomes pending when a store removes or
 * changes a translation that could be cached; it tracks, per CPU, whether a
 * TLBI that covers it and reaches that CPU has been issued after the store
 * and completed by a DSB on the issuing CPU. When the entry is made valid
 * again (or the trace ends, the page is freed, the address is used) the
 * record is judged and reported; when maintenance completes for every CPU
 * that walks the table it is dropped. The set of CPUs that may hold an entry
 * is the set that walks its table (`table ... cpus=`): any of them may walk
 * and cache any entry at any time, whatever the software "owns".
 */
#include "bbm.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "desc.h"
#include "print.h"

const char *const bbm_rules[BBM_NRULES] = {
    "bbm-valid-to-valid",    "bbm-no-tlbi",    "bbm-local-tlbi",    "bbm-no-dsb-before-tlbi",
    "bbm-no-dsb-after-tlbi", "bbm-dsb-domain", "tlbi-ttl-mismatch", "tlbi-wrong-regime",
    "tlbi-no-coverage",	     "stale-tlb",      "bbm-contiguous",    "missing-isb",
};
enum {
	R_V2V,
	R_NO_TLBI,
	R_LOCAL,
	R_NO_DSB_BEFORE,
	R_NO_DSB_AFTER,
	R_DSB_DOMAIN,
	R_TTL,
	R_REGIME,
	R_COVERAGE,
	R_STALE,
	R_CONT,
	R_ISB,
};

#define NW (FM_MAX_CPUS / 64)
typedef struct {
	uint64_t w[NW];
} cpuset;

static void cs_add(cpuset *s, unsigned c) { s->w[c / 64] |= 1ull << (c % 64); }
static bool cs_has(const cpuset *s, unsigned c) { return (s->w[c / 64] >> (c % 64)) & 1; }
static bool cs_subset(const cpuset *a, const cpuset *b) /* a within b */
{
	for (unsigned i = 0; i < NW; i++)
		if (a->w[i] & ~b->w[i])
			return false;
	return true;
}
static bool cs_only(const cpuset *a, unsigned c) /* a within {c} */
{
	for (unsigned i = 0; i < NW; i++)
		if (a->w[i] & ~(i == c / 64 ? 1ull << (c % 64) : 0))
			return false;
	return true;
}
static void cs_or(cpuset *a, const cpuset *b)
{
	for (unsigned i = 0; i < NW; i++)
		a->w[i] |= b->w[i];
}

/* Record flags. */
#define F_PEND 0x001	/* an old translation may be cached */
#define F_INFL 0x002	/* the latest covering TLBI is not yet completed */
#define F_ORPHAN 0x004	/* pending because its table entry was removed */
#define F_STALE 0x008	/* stale-tlb already reported for this record */
#define F_TTLBAD 0x010	/* a TTL mismatch was reported for this record */
#define F_LOCAL 0x020	/* the latest attempt was a local (non-broadcast) TLBI */
#define F_ATT 0x040	/* some covering TLBI was issued after the store */
#define F_ISBMAKE 0x080 /* isb_seq is a make (not completed maintenance) */

/* Parts of stage-2 maintenance a TLBI does (D8.17.2). */
#define PART_PRIMARY 1 /* the entry itself: by VA/IPA, or whole-regime */
#define PART_S1 2      /* combined stage 1+2 entries (vmalle1*) */
#define PART_BOTH 3

enum bef { BEF_OK, BEF_NARROW, BEF_NONE };
enum aft { AFT_NONE, AFT_ST, AFT_NARROW };

struct ent {
	uint64_t va;
	uint64_t cur; /* descriptor in memory now */
	uint64_t old; /* the translation that may be cached (pending) */
	uint64_t brk_seq, att_seq, isb_seq, orphan_of;
	cpuset done, s1done;
	uint32_t brk_line, att_line, bef_line, aft_line, local_line, narrow_line, bad_line,
	    s1early_line, isb_line;
	/* stream positions of the same events: non-zero when present (lines are 0 live) */
	uint64_t bef_seq, aft_seq, local_seq, narrow_seq, bad_seq, s1early_seq;
	uint32_t pnext, pprev; /* pending list, index + 1 (also the free list) */
	uint32_t inext, iprev; /* in-flight list of att_cpu */
	uint16_t table, brk_cpu, att_cpu, att_op, local_cpu, local_op, bad_op, isb_cpu;
	uint16_t flags;
	uint8_t level, att_part, bef, aft, bad_why, used;
	uint8_t bef_bar, aft_bar, narrow_bar; /* DSB options of the lines above */
};

struct cpu_state {
	uint64_t dsb_wide_seq; /* last DSB that orders stores (ST or full), domain ISH or wider */
	uint64_t dsb_any_seq;  /* same, any domain */
	uint32_t dsb_narrow_line;
	uint64_t dsb_narrow_seq;
	uint8_t dsb_narrow_bar;
	uint64_t dmb_seq;
	uint32_t dmb_line;
	uint64_t isb_seq;
	uint64_t maint_seq; /* last DSB that completed a TLBI of this CPU */
	uint32_t maint_line;
	uint32_t infl; /* in-flight list head, index + 1 */
	/* the last TLBI that covered nothing pending ("stray") */
	uint64_t stray_seq, stray_arg;
	uint32_t stray_line;
	uint16_t stray_op;
};

struct tbl {
	cpuset walkers;
	unsigned nwalkers, first;
	uint8_t regime;
};

struct bbm {
	struct fm_trace_ctx ctx;
	enum bbm_policy policy;
	bbm_report_fn fn;
	void *arg;
	const char *source;
	struct tbl tables[FM_MAX_TABLES];
	cpuset all;
	struct cpu_state *cpus;
	struct ent *pool;
	uint32_t npool, cap, freelist, pend_head, nused, peak;
	uint32_t *slots;
	uint32_t nslots; /* power of two */
	uint64_t events, ncont, norphans, ttl_seq;
};

/* ---- records: pool + open-addressing hash (linear probing, backward-shift delete) ---- */

#define E(b, i) (&(b)->pool[(i)-1])

static uint32_t hash_key(unsigned table, unsigned level, uint64_t va)
{
	uint64_t h = (va >> 12) * 0x9e3779b97f4a7c15ull ^
		     ((uint64_t)table << 2 | level) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32);
}

static uint32_t lookup(const struct bbm *b, unsigned table, unsigned level, uint64_t va)
{
	uint32_t m = b->nslots - 1, i = hash_key(table, level, va) & m;

	for (;; i = (i + 1) & m) {
		uint32_t x = b->slots[i];
		if (!x)
			return 0;
		const struct ent *e = E(b, x);
		if (e->va == va && e->table == table && e->level == level)
			return x;
	}
}

static void slots_insert(struct bbm *b, uint32_t x)
{
	const struct ent *e = E(b, x);
	uint32_t m = b->nslots - 1, i = hash_key(e->table, e->level, e->va) & m;

	while (b->slots[i])
		i = (i + 1) & m;
	b->slots[i] = x;
}

static bool grow(struct bbm *b)
{
	if ((b->nused + 1) * 2 >= b->nslots) {
		uint32_t *old = b->slots, n = b->nslots;
		uint32_t *ns = calloc((size_t)n * 2, sizeof(*ns));
		if (!ns)
			return false;
		b->slots = ns;
		b->nslots = n * 2;
		for (uint32_t i = 0; i < n; i++)
			if (old[i])
				slots_insert(b, old[i]);
		free(old);
	}
	if (!b->freelist && b->npool == b->cap) {
		uint32_t nc = b->cap ? b->cap * 2 : 64;
		struct ent *np = realloc(b->pool, (size_t)nc * sizeof(*np));
		if (!np)
			return false;
		b->pool = np;
		b->cap = nc;
	}
	return true;
}

/* Returns the record (index + 1), creating it; 0 if out of memory. May move the pool. */
static uint32_t get(struct bbm *b, unsigned table, unsigned level, uint64_t va, uint64_t cur)
{
	uint32_t x = lookup(b, table, level, va);

	if (x)
		return x;
	if (!grow(b))
		return 0;
	if (b->freelist) {
		x = b->freelist;
		b->freelist = E(b, x)->pnext;
	} else {
		x = ++b->npool;
	}
	struct ent *e = E(b, x);
	memset(e, 0, sizeof(*e));
	e->va = va;
	e->table = (uint16_t)table;
	e->level = (uint8_t)level;
	e->cur = cur;
	e->used = 1;
	slots_insert(b, x);
	if (++b->nused > b->peak)
		b->peak = b->nused;
	return x;
}

static void slots_delete(struct bbm *b, uint32_t x)
{
	const struct ent *e = E(b, x);
	uint32_t m = b->nslots - 1, i = hash_key(e->table, e->level, e->va) & m;

	while (b->slots[i] != x)
		i = (i + 1) & m;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (uint32_t j = i;;) {
		b->slots[i] = 0;
		for (;;) {
			j = (j + 1) & m;
			if (!b->slots[j])
				return;
			const struct ent *o = E(b, b->slots[j]);
			uint32_t h = hash_key(o->table, o->level, o->va) & m;
			/* move slot j to i if h is not cyclically in (i, j] */
			if (i <= j ? (h <= i || h > j) : (h <= i && h > j))
				break;
		}
		b->slots[i] = b->slots[j];
		i = j;
	}
}

static void infl_unlink(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	if (!(e->flags & F_INFL))
		return;
	if (e->iprev)
		E(b, e->iprev)->inext = e->inext;
	else
		b->cpus[e->att_cpu].infl = e->inext;
	if (e->inext)
		E(b, e->inext)->iprev = e->iprev;
	e->inext = e->iprev = 0;
	e->flags &= (uint16_t)~F_INFL;
}

static void infl_link(struct bbm *b, uint32_t x, unsigned cpu)
{
	struct ent *e = E(b, x);

	infl_unlink(b, x);
	e->att_cpu = (uint16_t)cpu;
	e->iprev = 0;
	e->inext = b->cpus[cpu].infl;
	if (e->inext)
		E(b, e->inext)->iprev = x;
	b->cpus[cpu].infl = x;
	e->flags |= F_INFL;
}

static void pend_clear(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	if (!(e->flags & F_PEND))
		return;
	infl_unlink(b, x);
	if (e->pprev)
		E(b, e->pprev)->pnext = e->pnext;
	else
		b->pend_head = e->pnext;
	if (e->pnext)
		E(b, e->pnext)->pprev = e->pprev;
	if (e->flags & F_ORPHAN)
		b->norphans--;
	e->pnext = e->pprev = 0;
	e->flags &= (uint16_t) ~(F_PEND | F_ORPHAN | F_STALE | F_TTLBAD | F_LOCAL | F_ATT);
}

/* Start (or restart) a pending record: the translation old may be cached from now on. */
static void pend_start(struct bbm *b, uint32_t x, uint64_t old, const struct fm_event *ev)
{
	struct ent *e = E(b, x);

	if (!(e->flags & F_PEND)) {
		e->pprev = 0;
		e->pnext = b->pend_head;
		if (e->pnext)
			E(b, e->pnext)->pprev = x;
		b->pend_head = x;
		e->flags |= F_PEND;
	}
	infl_unlink(b, x);
	e->flags &= (uint16_t) ~(F_STALE | F_TTLBAD | F_LOCAL | F_ATT);
	e->old = old;
	e->brk_seq = ev->seq;
	e->brk_line = ev->line;
	e->brk_cpu = ev->cpu;
	memset(&e->done, 0, sizeof(e->done));
	memset(&e->s1done, 0, sizeof(e->s1done));
	e->att_seq = 0;
	e->att_line = e->bef_line = e->aft_line = e->local_line = e->narrow_line = 0;
	e->bad_line = e->s1early_line = 0;
	e->bef_seq = e->aft_seq = e->local_seq = e->narrow_seq = e->bad_seq = e->s1early_seq = 0;
	e->att_part = 0;
	e->bef = BEF_OK;
	e->aft = AFT_NONE;
}

/* Drop a record that is neither live nor pending. */
static void maybe_free(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	if ((e->flags & F_PEND) || desc_is_valid(e->cur, e->level))
		return;
	slots_delete(b, x);
	e->used = 0;
	e->pnext = b->freelist;
	b->freelist = x;
	b->nused--;
}

/* ---- descriptors and policies ---- */

static uint64_t lvl_size(unsigned level) { return 1ull << (12 + 9 * (3 - level)); }

static bool is_table(uint64_t d, unsigned level) { return level < 3 && (d & 3) == 3; }

/* Can a TLB hold this descriptor? Invalid entries and entries that fault on the
 * Access flag are never cached (D8.16); with FEAT_BBM, a block with nT set is
 * not cached either (D8.16.2). */
static bool cacheable(const struct bbm *b, uint64_t d, unsigned level)
{
	if (!desc_is_valid(d, level))
		return false;
	if (is_table(d, level))
		return true;
	if (!(d & DESC_AF))
		return false;
	if (b->ctx.bbm_level >= 1 && level < 3 && !(d & 2) && (d & DESC_NT))
		return false;
	return true;
}

static uint64_t leaf_oa(uint64_t d, unsigned level)
{
	return d & DESC_OA_MASK & ~(lvl_size(level) - 1);
}

/*
 * Does changing live descriptor o into n (both cacheable) need BBM under the
 * policy? Sets *why and *cont (the contiguous bit is part of the reason).
 * arm (D8.16.1): output address, memory type/cacheability, shareability, NS,
 *   nG 1->0, contiguous bit, block/table size; permissions, AF, DBM, GP and
 *   software bits are safe. FEAT_BBM level 2 relaxes size and contiguous changes.
 * linux: arm64 pgattr_change_is_safe(): only PXN (XN at EL2), RDONLY, DBM,
 *   nG 0->1 and software bits may change; any live contiguous entry is unsafe.
 * strict: any change outside software bits [58:55].
 */
static bool needs_bbm(const struct bbm *b, unsigned regime, unsigned level, uint64_t o, uint64_t n,
		      const char **why, bool *cont)
{
	uint64_t diff = (o ^ n) & ~DESC_SW_MASK;
	bool ot = is_table(o, level), nt = is_table(n, level);

	*cont = false;
	*why = NULL;
	if (!diff)
		return false;
	if (ot != nt) {
		*why =
		    ot ? "a table entry is replaced by a block" : "a block is replaced by a table";
		return b->ctx.bbm_level < 2;
	}
	if (ot) {
		if ((o ^ n) & DESC_OA_MASK) {
			*why = "the next-level table address changes";
			return true;
		}
		if (b->policy == BBM_POLICY_STRICT) {
			*why = "table attributes change (strict policy)";
			return true;
		}
		if ((o ^ n) & DESC_NSTABLE) {
			*why = "NSTable changes";
			return true;
		}
		return false;
	}
	if (diff & DESC_CONT) {
		*cont = true;
		*why = "the contiguous bit changes";
		return b->ctx.bbm_level < 2;
	}
	if (b->policy == BBM_POLICY_STRICT) {
		*why = "the descriptor changes outside the software bits (strict policy)";
		if ((o | n) & DESC_CONT)
			*cont = true;
		return true;
	}
	if (b->policy == BBM_POLICY_LINUX) {
		uint64_t mask = DESC_PXN | DESC_AP2 | DESC_DBM | DESC_NG;
		if (regime == FM_REGIME_EL2)
			mask |= DESC_XN;
		if (regime == FM_REGIME_S2)
			mask = DESC_AP1 | DESC_AP2 | DESC_PXN | DESC_XN | DESC_DBM;
		if (leaf_oa(o, level) != leaf_oa(n, level)) {
			*why = "the output address changes";
			return true;
		}
		if ((o | n) & DESC_CONT) {
			*cont = true;
			*why = "a live contiguous entry changes (linux policy)";
			return true;
		}
		if (regime != FM_REGIME_S2 && (o & ~n & DESC_NG)) {
			*why = "nG changes from 1 to 0";
			return true;
		}
		if (diff & ~mask) {
			*why = "bits outside the linux safe mask (PXN, RDONLY, DBM, nG, software) "
			       "change";
			return true;
		}
		return false;
	}
	if (leaf_oa(o, level) != leaf_oa(n, level)) {
		*why = "the output address changes";
		return true;
	}
	if ((o ^ n) & (0xfull << 2) & (regime == FM_REGIME_S2 ? 0x3cull : 0x1cull)) {
		*why = regime == FM_REGIME_S2 ? "the memory type (MemAttr) changes"
					      : "the memory type (AttrIndx) changes";
		return true;
	}
	if ((o ^ n) & (3ull << 8)) {
		*why = "the shareability changes";
		return true;
	}
	if (regime != FM_REGIME_S2 && ((o ^ n) & DESC_NS)) {
		*why = "the NS bit (output address space) changes";
		return true;
	}
	if (regime != FM_REGIME_S2 && (o & ~n & DESC_NG)) {
		*why = "nG changes from 1 to 0";
		return true;
	}
	return false;
}

/* ---- findings ---- */

static const char *tname(const struct bbm *b, unsigned t) { return b->ctx.tables[t].name; }

static void cpus_text(const struct bbm *b, const cpuset *s, char *buf, size_t n)
{
	unsigned cnt = 0;
	size_t o;

	for (unsigned c = 0; c < b->ctx.ncpus; c++)
		cnt += cs_has(s, c);
	o = (size_t)snprintf(buf, n, "%s", cnt == 1 ? "cpu " : "cpus ");
	for (unsigned c = 0; c < b->ctx.ncpus; c++) {
		if (!cs_has(s, c))
			continue;
		unsigned e = c;
		while (e + 1 < b->ctx.ncpus && cs_has(s, e + 1))
			e++;
		int w = e > c ? snprintf(buf + o, n - o, "%s%u-%u", o > 5 ? "," : "", c, e)
			      : snprintf(buf + o, n - o, "%s%u", o > 5 ? "," : "", c);
		if (w < 0 || (size_t)w >= n - o)
			return;
		o += (size_t)w;
		c = e;
	}
}

static void report(struct bbm *b, int rule, const struct ent *e, unsigned cpu, uint32_t line,
		   uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void report(struct bbm *b, int rule, const struct ent *e, unsigned cpu, uint32_t line,
		   uint64_t seq, const char *fmt, ...)
{
	struct bbm_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = bbm_rules[rule];
	f.severity = rule == R_ISB ? BBM_WARNING : BBM_ERROR;
	f.cpu = cpu;
	f.line = line;
	f.seq = seq;
	f.va = e->va;
	f.level = e->level;
	f.old = (e->flags & F_PEND) ? e->old : e->cur;
	f.new = e->cur;
	f.regime = b->ctx.tables[e->table].regime;
	f.table = tname(b, e->table);
	f.source = b->source;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	if (b->fn)
		b->fn(&f, b->arg);
}

static const struct tbl *T(const struct bbm *b, const struct ent *e)
{
	return &b->tables[e->table];
}

/* The broadcast op an entry needs ("vale2is"), for messages. */
static const char *suggest_op(const struct bbm *b, unsigned table, bool tab)
{
	switch (b->tables[table].regime) {
	case FM_REGIME_EL1:
		return tab ? "vae1is" : "vale1is";
	case FM_REGIME_S2:
		return tab ? "ipas2e1is" : "ipas2le1is";
	default:
		return tab ? "vae2is" : "vale2is";
	}
}

static const char *suggest(const struct bbm *b, const struct ent *e)
{
	return suggest_op(b, e->table, is_table(e->old, e->level));
}

static bool covered_all(const struct bbm *b, const struct ent *e, const cpuset *s)
{
	return cs_subset(&T(b, e)->walkers, s);
}

static bool fully_covered(const struct bbm *b, const struct ent *e)
{
	return covered_all(b, e, &e->done) &&
	       (T(b, e)->regime != FM_REGIME_S2 || covered_all(b, e, &e->s1done));
}

enum cov { COV_YES, COV_REGIME, COV_VA, COV_ASID, COV_LAST, COV_TG };

/*
 * Does TLBI op with operand arg remove the cached translation of record e
 * (D8.17)? *part: which stage-2 part it does.
 */
static enum cov covers(const struct bbm *b, unsigned op, uint64_t arg, const struct ent *e,
		       unsigned *part)
{
	unsigned f = arm64_tlbi_flags(op), regime = T(b, e)->regime;
	bool tab = is_table(e->old, e->level);
	uint64_t lo = e->va, hi = e->va + lvl_size(e->level) - 1;

	*part = PART_PRIMARY;
	switch (regime) {
	case FM_REGIME_EL2:
		if (!(f & TLBI_F_EL2))
			return COV_REGIME;
		break;
	case FM_REGIME_EL1:
		if (!(f & TLBI_F_EL1))
			return COV_REGIME;
		break;
	case FM_REGIME_S2:
		if (f & TLBI_F_S2)
			*part = (f & TLBI_F_EL1) ? PART_BOTH : PART_PRIMARY;
		else if ((f & TLBI_F_EL1) && (f & TLBI_F_ALL))
			*part = PART_S1; /* vmalle1*: combined entries only */
		else
			return COV_REGIME;
		break;
	}
	if (f & TLBI_F_ALL)
		return COV_YES;
	if (f & TLBI_F_ASID) /* ASIDE1*: non-global leaf entries of one ASID (D8.17.3) */
		return !tab && (e->old & DESC_NG) ? COV_YES : COV_ASID;
	if ((f & TLBI_F_LAST) && tab)
		return COV_LAST;
	uint64_t a = arm64_tlbi_addr(op, arg);
	if (f & TLBI_F_RANGE) {
		if (TLBI_RANGE_TG(arg) != 1) /* only 4K (TG = 0b01) translates this table */
			return COV_TG;
		uint64_t end = a + arm64_tlbi_range_bytes(arg) - 1;
		return a <= hi && end >= lo ? COV_YES : COV_VA;
	}
	/* By VA/IPA: any address inside a block or a table entry's range (D8.17.1). */
	return a >= lo && a <= hi ? COV_YES : COV_VA;
}

/* Does the TLBI's TTL hint name the wrong level for e (D8.17.5)? */
static bool ttl_wrong(unsigned op, uint64_t arg, const struct ent *e, int *lvl)
{
	*lvl = arm64_tlbi_ttl_level(op, arg);
	if (*lvl == -1)
		return false;
	if (is_table(e->old, e->level) || *lvl == -2)
		return true;
	return (unsigned)*lvl != e->level;
}

static int dom_rank(unsigned crm) /* NSH < ISH < OSH < SY */
{
	static const int r[4] = {2, 0, 1, 3}; /* BAR_DOM: OSH, NSH, ISH, SY */
	return r[BAR_DOM(crm)];
}

static const char *bar(unsigned crm, char buf[8]) { return arm64_bar_name(crm, buf); }

/* ---- judging a pending record ---- */

enum why { WHY_MAKE, WHY_END, WHY_FREE };

static const char *why_text(enum why w)
{
	return w == WHY_MAKE   ? "before the entry was made valid again"
	       : w == WHY_FREE ? "before the page was freed"
			       : "before the trace ended";
}

/* DSB issues of the latest attempt: one bbm-dsb-domain, one bbm-no-dsb-before-tlbi. */
static void report_dsb_issues(struct bbm *b, const struct ent *e)
{
	uint32_t nl = 0;
	uint64_t ns = 0;
	unsigned nb = 0;
	char w[64] = "", bb[8];

	if (e->bef == BEF_NARROW) {
		nl = e->bef_line;
		ns = e->bef_seq;
		nb = e->bef_bar;
	}
	if (e->narrow_seq && (!ns || e->narrow_seq < ns)) {
		nl = e->narrow_line;
		ns = e->narrow_seq;
		nb = e->narrow_bar;
	}
	if (e->aft == AFT_NARROW && (e->flags & F_INFL) && (!ns || e->aft_seq < ns)) {
		nl = e->aft_line;
		ns = e->aft_seq;
		nb = e->aft_bar;
	}
	if (ns) {
		unsigned f = arm64_tlbi_flags(e->att_op);
		bool os = f & TLBI_F_OS;
		cpus_text(b, &T(b, e)->walkers, w, sizeof(w));
		report(
		    b, R_DSB_DOMAIN, e, e->att_cpu, nl, e->att_seq,
		    "dsb %s at line %u has too narrow a shareability domain for table %s walked by "
		    "%s and tlbi %s at line %u: use dsb %sst before and dsb %s after the TLBI",
		    bar(nb, bb), nl, tname(b, e->table), w, arm64_tlbi_name(e->att_op), e->att_line,
		    os ? "osh" : "ish", os ? "osh" : "ish");
	}
	if (e->bef == BEF_NONE && (e->flags & F_ATT)) {
		char dmb[80] = "";
		const struct cpu_state *c = &b->cpus[e->att_cpu];
		if (c->dmb_seq > e->brk_seq && c->dmb_seq < e->att_seq)
			snprintf(dmb, sizeof(dmb), " (the dmb at line %u does not order a TLBI)",
				 c->dmb_line);
		report(b, R_NO_DSB_BEFORE, e, e->att_cpu, e->att_line, e->att_seq,
		       "tlbi %s at line %u was not preceded by a DSB after the store at line %u%s, "
		       "so a walker may still see and cache the old entry after the TLBI: add dsb "
		       "%s before it",
		       arm64_tlbi_name(e->att_op), e->att_line, e->brk_line, dmb,
		       T(b, e)->nwalkers > 1 ? "ishst" : "nshst");
	}
}

static void drop_orphans(struct bbm *b, const struct ent *parent, bool report_uncovered,
			 const struct fm_event *ev);

static void judge(struct bbm *b, uint32_t x, enum why why, const struct fm_event *ev)
{
	struct ent *e = E(b, x);
	const struct tbl *t = T(b, e);
	uint32_t at = why == WHY_END ? e->brk_line : ev->line;
	uint64_t atseq = why == WHY_END ? e->brk_seq : ev->seq;
	unsigned cpu = why == WHY_END ? e->brk_cpu : ev->cpu;
	char w[64];
	bool primary = covered_all(b, e, &e->done);

	cpus_text(b, &t->walkers, w, sizeof(w));
	/* Already reported as stale (at an access) or as a valid-to-valid change:
	 * no second stale-tlb for it, but the wrong steps are still named. */
	bool quiet = why != WHY_MAKE && (e->flags & F_STALE);
	if (e->flags & F_ORPHAN) {
		/* Judged through its parent; alone only at the end or when its page goes. */
		if (!quiet)
			report(
			    b, R_STALE, e, cpu, at, atseq,
			    "the table entry above va %#" PRIx64 " was removed at line %u but this "
			    "leaf, which may still be cached, was never invalidated %s: add tlbi "
			    "%s for it (or a whole-regime TLBI)",
			    e->va, e->brk_line, why_text(why), suggest(b, e));
		return;
	}
	if (!primary && !(e->flags & F_ATT)) {
		const struct cpu_state *c = &b->cpus[e->brk_cpu];
		unsigned part;
		if (e->bad_seq) {
			if (e->bad_why == COV_LAST)
				report(
				    b, R_COVERAGE, e, e->brk_cpu, e->bad_line, atseq,
				    "tlbi %s at line %u is a last-level operation and does not "
				    "remove the cached table entry removed at line %u: use tlbi %s",
				    arm64_tlbi_name(e->bad_op), e->bad_line, e->brk_line,
				    suggest(b, e));
			else
				report(b, R_COVERAGE, e, e->brk_cpu, e->bad_line, atseq,
				       "tlbi %s at line %u removes only non-global entries of one "
				       "ASID, and this entry is global (nG = 0): use tlbi %s",
				       arm64_tlbi_name(e->bad_op), e->bad_line, suggest(b, e));
		} else if (e->flags & F_TTLBAD) {
			/* tlbi-ttl-mismatch was reported at the TLBI */
		} else if (t->regime == FM_REGIME_S2 && e->s1early_seq) {
			report(
			    b, R_REGIME, e, e->brk_cpu, e->s1early_line, atseq,
			    "the TLBI at line %u removes only stage-1 (combined) entries; the "
			    "stage-2 entry changed at line %u also needs tlbi ipas2e1is (then dsb "
			    "ish, then the stage-1 invalidation)",
			    e->s1early_line, e->brk_line);
		} else if (c->stray_seq > e->brk_seq && c->stray_seq < atseq) {
			enum cov cv = covers(b, c->stray_op, c->stray_arg, e, &part);
			const char *op = arm64_tlbi_name(c->stray_op);
			if (cv == COV_REGIME)
				report(b, R_REGIME, e, e->brk_cpu, c->stray_line, c->stray_seq,
				       "tlbi %s at line %u targets another translation regime than "
				       "the %s table %s changed at line %u: use tlbi %s",
				       op, c->stray_line,
				       desc_regime_name((enum fm_regime)t->regime),
				       tname(b, e->table), e->brk_line, suggest(b, e));
			else if (cv == COV_TG)
				report(b, R_COVERAGE, e, e->brk_cpu, c->stray_line, c->stray_seq,
				       "range tlbi %s at line %u has TG = %u, not the 4K granule "
				       "(1) of "
				       "this table, so it removes nothing here",
				       op, c->stray_line, (unsigned)TLBI_RANGE_TG(c->stray_arg));
			else if (arm64_tlbi_flags(c->stray_op) & TLBI_F_RANGE)
				report(b, R_COVERAGE, e, e->brk_cpu, c->stray_line, c->stray_seq,
				       "range tlbi %s at line %u covers %#" PRIx64 "-%#" PRIx64
				       ", which does not reach va %#" PRIx64 " changed at line %u",
				       op, c->stray_line,
				       arm64_tlbi_addr(c->stray_op, c->stray_arg),
				       arm64_tlbi_addr(c->stray_op, c->stray_arg) +
					   arm64_tlbi_range_bytes(c->stray_arg) - 1,
				       e->va, e->brk_line);
			else
				report(b, R_COVERAGE, e, e->brk_cpu, c->stray_line, c->stray_seq,
				       "tlbi %s at line %u invalidates %#" PRIx64
				       ", not the entry at "
				       "va %#" PRIx64 " (%s) changed at line %u",
				       op, c->stray_line,
				       arm64_tlbi_addr(c->stray_op, c->stray_arg), e->va,
				       lvl_size(e->level) >= (1u << 21) ? "a block or table entry"
									: "4 KiB",
				       e->brk_line);
		} else if (why == WHY_MAKE) {
			report(b, R_NO_TLBI, e, cpu, at, atseq,
			       "the entry broken at line %u is made valid again with no TLBI in "
			       "between, so %s may still hold the old translation (TLB conflict "
			       "or amalgamation): add dsb ishst; tlbi %s; dsb ish",
			       e->brk_line, w, suggest(b, e));
		} else if (!quiet) {
			report(
			    b, R_STALE, e, cpu, at, atseq,
			    "the translation removed or changed at line %u was never invalidated "
			    "%s: %s may still use it; add dsb ishst; tlbi %s; dsb ish",
			    e->brk_line, why_text(why), w, suggest(b, e));
		}
		if (is_table(e->old, e->level))
			drop_orphans(b, e, false, ev);
		return;
	}
	if (!primary) {
		if ((e->flags & F_LOCAL) || (e->local_seq && !(e->flags & F_INFL))) {
			unsigned lc = e->local_seq ? e->local_cpu : e->att_cpu;
			uint32_t ll = e->local_seq ? e->local_line : e->att_line;
			unsigned lop = e->local_seq ? e->local_op : e->att_op;
			report(
			    b, R_LOCAL, e, lc, ll, atseq,
			    "tlbi %s at line %u reaches only cpu%u's TLB, but table %s is walked "
			    "by %s: use the broadcast tlbi %s with dsb ish",
			    arm64_tlbi_name(lop), ll, lc, tname(b, e->table), w, suggest(b, e));
		}
		if ((e->flags & F_INFL) && e->aft != AFT_NARROW) {
			char bb[8];
			const char *op = arm64_tlbi_name(e->att_op);
			if (why == WHY_MAKE && e->aft == AFT_ST)
				report(
				    b, R_NO_DSB_AFTER, e, e->att_cpu, at, atseq,
				    "tlbi %s at line %u was followed only by a store-only DSB "
				    "(line "
				    "%u), which does not complete TLB maintenance, %s: use dsb %s",
				    op, e->att_line, e->aft_line, why_text(why),
				    (arm64_tlbi_flags(e->att_op) & TLBI_F_OS) ? "osh" : "ish");
			else if (why == WHY_MAKE)
				report(b, R_NO_DSB_AFTER, e, e->att_cpu, at, atseq,
				       "tlbi %s at line %u was not completed by a DSB on cpu%u %s: "
				       "add "
				       "dsb %s after it",
				       op, e->att_line, e->att_cpu, why_text(why),
				       (arm64_tlbi_flags(e->att_op) & (TLBI_F_IS | TLBI_F_OS))
					   ? "ish"
					   : "nsh");
			else if (!quiet)
				report(
				    b, R_STALE, e, e->att_cpu, at, atseq,
				    "tlbi %s at line %u was never completed by a full DSB on cpu%u "
				    "%s, so the old translation may still be used%s%s",
				    op, e->att_line, e->att_cpu, why_text(why),
				    e->aft == AFT_ST ? "; a store-only dsb " : "",
				    e->aft == AFT_ST ? bar(BAR_ISHST, bb) : "");
		}
		report_dsb_issues(b, e);
		return;
	}
	/* Stage 2: the IPA invalidation is done; combined entries need a stage-1 one after it. */
	if ((e->flags & F_INFL) && e->att_part == PART_S1) {
		report(b, why == WHY_MAKE ? R_NO_DSB_AFTER : R_STALE, e, e->att_cpu, at, atseq,
		       "tlbi %s at line %u was not completed by a dsb ish %s",
		       arm64_tlbi_name(e->att_op), e->att_line, why_text(why));
	} else if (e->s1early_seq) {
		report(
		    b, R_NO_DSB_AFTER, e, e->att_cpu, e->s1early_line, atseq,
		    "the stage-1 invalidation at line %u was issued before the IPA invalidation "
		    "completed; combined entries may be refilled from the old stage-2 entry: put "
		    "dsb ish between tlbi ipas2e1is and tlbi vmalle1is",
		    e->s1early_line);
	} else {
		report(b, R_REGIME, e, e->att_cpu, e->att_seq ? e->att_line : at, atseq,
		       "tlbi %s removes only stage-2 entries; combined stage 1+2 entries may still "
		       "hold the old output address %s: follow it with dsb ish; tlbi vmalle1is; "
		       "dsb ish",
		       arm64_tlbi_name(e->att_op), why_text(why));
	}
}

/* Leaves below a removed table entry: judged once, when the entry is made again. */
static void drop_orphans(struct bbm *b, const struct ent *parent, bool report_uncovered,
			 const struct fm_event *ev)
{
	uint64_t lo = parent->va, hi = parent->va + lvl_size(parent->level) - 1;
	unsigned table = parent->table, level = parent->level, n = 0;
	uint64_t pseq = parent->brk_seq;
	uint32_t x, next;
	struct ent first;

	if (!b->norphans)
		return;
	memset(&first, 0, sizeof(first));
	for (x = b->pend_head; x; x = next) {
		struct ent *o = E(b, x);
		next = o->pnext;
		if (!(o->flags & F_ORPHAN) || o->table != table || o->level <= level ||
		    o->va < lo || o->va > hi)
			continue;
		if (pseq && o->orphan_of != pseq)
			continue;
		if (!fully_covered(b, o) && !n++)
			first = *o;
		pend_clear(b, x);
		maybe_free(b, x);
	}
	if (report_uncovered && n)
		report(b, R_COVERAGE, &first, ev->cpu, ev->line, ev->seq,
		       "%u cached entr%s below the table entry at va %#" PRIx64
		       " (removed at line %u), first va %#" PRIx64 ", %s not invalidated before it "
		       "was made valid again: a TLBI must cover every leaf below a removed table "
		       "entry (or use a whole-regime TLBI)",
		       n, n == 1 ? "y" : "ies", lo, first.brk_line, first.va,
		       n == 1 ? "was" : "were");
}

/* Maintenance of e completed for every CPU that walks its table. */
static void on_covered(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	report_dsb_issues(b, e);
	/* Orphans stay until the table entry is made again (their own coverage decides). */
	pend_clear(b, x);
	maybe_free(b, x);
}

/* ---- events ---- */

static void on_tlbi_cover(struct bbm *b, uint32_t x, const struct fm_event *ev, bool *hit)
{
	struct ent *e = E(b, x);
	const struct tbl *t = T(b, e);
	unsigned op = ev->tlbi, f = arm64_tlbi_flags(op), part;
	bool bcast = f & (TLBI_F_IS | TLBI_F_OS);
	int lvl;

	if (!(e->flags & F_PEND))
		return;
	enum cov cv = covers(b, op, ev->arg, e, &part);
	if (cv == COV_REGIME || cv == COV_VA || cv == COV_TG)
		return;
	if (ev->seq <= e->brk_seq)
		return;
	*hit = true;
	if (cv == COV_LAST || cv == COV_ASID) {
		e->bad_line = ev->line;
		e->bad_seq = ev->seq;
		e->bad_op = (uint16_t)op;
		e->bad_why = (uint8_t)cv;
		return;
	}
	if (ttl_wrong(op, ev->arg, e, &lvl)) {
		if (b->ttl_seq != ev->seq) {
			b->ttl_seq = ev->seq;
			char hint[40];
			if (lvl == -2)
				snprintf(hint, sizeof(hint), "TTL %#x (not a 4K level)",
					 (f & TLBI_F_RANGE) ? (unsigned)TLBI_RANGE_TTL(ev->arg)
							    : (unsigned)TLBI_TTL(ev->arg));
			else
				snprintf(hint, sizeof(hint), "level %d", lvl);
			report(b, R_TTL, e, ev->cpu, ev->line, ev->seq,
			       "tlbi %s at line %u carries a TTL hint of %s, but the entry it must "
			       "remove is a %s at level %u%s; with a wrong hint the architecture "
			       "requires no invalidation at all%s",
			       arm64_tlbi_name(op), ev->line, hint,
			       is_table(e->old, e->level) ? "table entry" : "leaf", e->level,
			       is_table(e->old, e->level)
				   ? " (only TTL = 0 removes a table entry and "
				     "the leaves below it)"
				   : "",
			       (b->ctx.features & FM_FEAT_TTL)
				   ? ""
				   : " (the CPUs here ignore TTL, others will not)");
		}
		e->flags |= F_TTLBAD;
		if (b->ctx.features & FM_FEAT_TTL)
			return;
	}
	if (part == PART_S1 && !covered_all(b, e, &e->done)) {
		if (!e->s1early_seq) {
			e->s1early_line = ev->line;
			e->s1early_seq = ev->seq;
		}
		return;
	}
	/* DSB before the TLBI, after the store (D8.16.1 step 2): on the issuing CPU (or the
	 * storing CPU), store-ordering, and at least ISH unless only this CPU walks the table. */
	bool wide = bcast || !cs_only(&t->walkers, ev->cpu);
	const struct cpu_state *ci = &b->cpus[ev->cpu], *cb = &b->cpus[e->brk_cpu];
	uint64_t sw = ci->dsb_wide_seq > cb->dsb_wide_seq ? ci->dsb_wide_seq : cb->dsb_wide_seq;
	uint64_t sa = ci->dsb_any_seq > cb->dsb_any_seq ? ci->dsb_any_seq : cb->dsb_any_seq;
	if (part != PART_S1) {
		if (sw > e->brk_seq || (!wide && sa > e->brk_seq)) {
			e->bef = BEF_OK;
		} else if (sa > e->brk_seq) {
			e->bef = BEF_NARROW;
			const struct cpu_state *cn = ci->dsb_any_seq > e->brk_seq ? ci : cb;
			e->bef_line = cn->dsb_narrow_line;
			e->bef_seq = cn->dsb_narrow_seq;
			e->bef_bar = cn->dsb_narrow_bar;
		} else {
			e->bef = BEF_NONE;
		}
	}
	e->flags |= F_ATT;
	if (bcast)
		e->flags &= (uint16_t)~F_LOCAL;
	else
		e->flags |= F_LOCAL;
	e->att_op = (uint16_t)op;
	e->att_line = ev->line;
	e->att_seq = ev->seq;
	e->att_part = (uint8_t)part;
	e->aft = AFT_NONE;
	e->aft_line = 0;
	infl_link(b, x, ev->cpu);
}

static void on_tlbi(struct bbm *b, const struct fm_event *ev)
{
	unsigned f = arm64_tlbi_flags(ev->tlbi);
	bool hit = false;

	if (ev->tlbi >= TLBI_NR_OPS)
		return;
	if (f & (TLBI_F_ALL | TLBI_F_ASID | TLBI_F_RANGE)) {
		uint32_t x, next;
		for (x = b->pend_head; x; x = next) {
			next = E(b, x)->pnext;
			on_tlbi_cover(b, x, ev, &hit);
		}
	} else {
		uint64_t a = arm64_tlbi_addr(ev->tlbi, ev->arg);
		for (unsigned t = 0; t < b->ctx.ntables; t++) {
			unsigned r = b->tables[t].regime;
			if (!((r == FM_REGIME_EL2 && (f & TLBI_F_EL2)) ||
			      (r == FM_REGIME_EL1 && (f & TLBI_F_EL1)) ||
			      (r == FM_REGIME_S2 && (f & TLBI_F_S2))))
				continue;
			for (unsigned l = 0; l < 4; l++) {
				uint32_t x = lookup(b, t, l, a & ~(lvl_size(l) - 1));
				if (x)
					on_tlbi_cover(b, x, ev, &hit);
			}
		}
	}
	if (!hit) {
		struct cpu_state *c = &b->cpus[ev->cpu];
		c->stray_seq = ev->seq;
		c->stray_line = ev->line;
		c->stray_op = ev->tlbi;
		c->stray_arg = ev->arg;
	}
}

static void on_dsb(struct bbm *b, const struct fm_event *ev)
{
	struct cpu_state *c = &b->cpus[ev->cpu];
	unsigned type = BAR_TYPE(ev->bar);
	int rank = dom_rank(ev->bar);
	uint32_t x, next;

	if (type == BAR_TYPE_LD || type == 0)
		; /* a load-only DSB orders neither the break store nor completes a TLBI */
	else {
		c->dsb_any_seq = ev->seq;
		if (rank >= 1)
			c->dsb_wide_seq = ev->seq;
		else {
			c->dsb_narrow_line = ev->line;
			c->dsb_narrow_seq = ev->seq;
			c->dsb_narrow_bar = ev->bar;
		}
	}
	/* Completion of this CPU's TLBIs (D8.17.4): a full DSB whose domain covers the op. */
	for (x = c->infl; x; x = next) {
		struct ent *e = E(b, x);
		next = e->inext;
		if (type != BAR_TYPE_ALL) {
			if (e->aft == AFT_NONE && type == BAR_TYPE_ST) {
				e->aft = AFT_ST;
				e->aft_line = ev->line;
			}
			continue;
		}
		unsigned f = arm64_tlbi_flags(e->att_op);
		int need = (f & TLBI_F_OS) ? 2 : (f & TLBI_F_IS) ? 1 : 0;
		if (rank < need) {
			e->aft = AFT_NARROW;
			e->aft_line = ev->line;
			e->aft_seq = ev->seq;
			e->aft_bar = ev->bar;
			continue;
		}
		cpuset reach = {{0}};
		if (f & (TLBI_F_IS | TLBI_F_OS))
			reach = b->all;
		else
			cs_add(&reach, ev->cpu);
		if (!cs_only(&T(b, e)->walkers, ev->cpu) && rank < 1 && !e->narrow_seq) {
			e->narrow_line = ev->line;
			e->narrow_seq = ev->seq;
			e->narrow_bar = ev->bar;
		}
		if (e->att_part & PART_PRIMARY)
			cs_or(&e->done, &reach);
		if (e->att_part & PART_S1)
			cs_or(&e->s1done, &reach);
		if (!(f & (TLBI_F_IS | TLBI_F_OS))) {
			e->local_line = e->att_line;
			e->local_seq = e->att_seq;
			e->local_cpu = e->att_cpu;
			e->local_op = e->att_op;
		}
		infl_unlink(b, x);
		c->maint_seq = ev->seq;
		c->maint_line = ev->line;
		e->isb_cpu = ev->cpu;
		e->isb_seq = ev->seq;
		e->isb_line = ev->line;
		e->flags &= (uint16_t)~F_ISBMAKE;
		if (fully_covered(b, e))
			on_covered(b, x);
	}
}

/* Contiguous set (D8.7.1, 16 entries for 4K): live members must agree on OA and attributes. */
static void check_contiguous(struct bbm *b, uint32_t x, const struct fm_event *ev)
{
	struct ent *e = E(b, x);
	uint64_t span = 16 * lvl_size(e->level), base = e->va & ~(span - 1);
	uint64_t attr =
	    (T(b, e)->regime == FM_REGIME_S2 ? 0x3cull : 0x3cull | DESC_NS) | (3ull << 8);

	if (e->level < 2)
		return;
	for (unsigned i = 0; i < 16; i++) {
		uint64_t va = base + i * lvl_size(e->level);
		if (va == e->va)
			continue;
		uint32_t y = lookup(b, e->table, e->level, va);
		if (!y)
			continue;
		const struct ent *s = E(b, y);
		if (!cacheable(b, s->cur, s->level) || is_table(s->cur, s->level) ||
		    !((s->cur | e->cur) & DESC_CONT))
			continue;
		bool oa = leaf_oa(s->cur, s->level) - (va - base) !=
			  leaf_oa(e->cur, e->level) - (e->va - base);
		bool at = (s->cur ^ e->cur) & attr;
		if (oa || at) {
			struct ent tmp = *e;
			tmp.flags |= F_PEND;
			tmp.old = ev->old;
			report(
			    b, R_CONT, &tmp, ev->cpu, ev->line, ev->seq,
			    "va %#" PRIx64 " in the same contiguous set (%#" PRIx64 "-%#" PRIx64
			    ") is live with %s; changing part of a live contiguous set needs BBM "
			    "of all 16 entries (break all, TLBI all, then make all)",
			    va, base, base + span - 1,
			    oa ? "an output address that does not follow this entry's"
			       : "other memory attributes");
			return;
		}
	}
}

static void on_pte(struct bbm *b, const struct fm_event *ev)
{
	unsigned t = ev->table < b->ctx.ntables ? ev->table : 0, L = ev->level & 3;
	uint64_t va = ev->va & ~(lvl_size(L) - 1);
	bool oc = cacheable(b, ev->old, L), nc = cacheable(b, ev->new, L);
	bool nvalid = desc_is_valid(ev->new, L);
	uint32_t x = lookup(b, t, L, va);

	if (!x) {
		if (!oc && !nvalid)
			return; /* invalid to invalid: nothing cached, nothing live */
		x = get(b, t, L, va, ev->old);
		if (!x)
			return;
	}
	struct ent *e = E(b, x);
	/* keep the live contiguous count */
	if (cacheable(b, e->cur, L) && (e->cur & DESC_CONT) && !is_table(e->cur, L))
		b->ncont--;
	e->cur = ev->new;
	if (nc && (ev->new &DESC_CONT) && !is_table(ev->new, L))
		b->ncont++;

	if (oc && nc) {
		/* valid -> valid: the old translation stays cached until a TLBI completes */
		const char *why;
		bool cont;
		if (((ev->old ^ ev->new) & ~DESC_SW_MASK) == 0)
			return;
		if (e->flags & F_PEND)
			pend_clear(b, x); /* superseded: restart from this store */
		pend_start(b, x, ev->old, ev);
		e = E(b, x);
		if (needs_bbm(b, b->tables[t].regime, L, ev->old, ev->new, &why, &cont)) {
			if (cont)
				report(
				    b, R_CONT, e, ev->cpu, ev->line, ev->seq,
				    "%s on a live entry without break-before-make: write the whole "
				    "contiguous set invalid, TLBI every entry, then write the new "
				    "entries",
				    why);
			else
				report(
				    b, R_V2V, e, ev->cpu, ev->line, ev->seq,
				    "a valid entry is overwritten by another valid entry and %s, "
				    "which needs break-before-make: write it invalid, dsb ishst, "
				    "tlbi %s, dsb ish, then write the new entry",
				    why, suggest_op(b, t, is_table(ev->old, L)));
			e->flags |=
			    F_STALE; /* one finding for the change, not a second at the end */
		} else if (b->ncont && L >= 2) {
			check_contiguous(b, x, ev);
		}
		if (is_table(ev->old, L) && !is_table(ev->new, L))
			goto orphan;
		return;
	}
	if (oc) {
		/* break: the old translation may be cached until a TLBI completes */
		pend_start(b, x, ev->old, ev);
		if (is_table(ev->old, L))
			goto orphan;
		return;
	}
	if (nc) {
		/* make */
		if (e->flags & F_PEND) {
			bool tab = is_table(e->old, L);
			if (!fully_covered(b, e)) {
				bool had_att = (e->flags & F_ATT) || e->bad_seq;
				judge(b, x, WHY_MAKE, ev);
				e = E(b, x);
				if (tab && had_att)
					drop_orphans(b, e, true, ev);
			} else if (tab) {
				drop_orphans(b, e, true, ev);
			}
			e = E(b, x);
			pend_clear(b, x);
		} else if (b->norphans && L < 3) {
			struct ent tmp = *e;
			tmp.brk_seq = 0;
			drop_orphans(b, &tmp, true, ev);
		}
		e = E(b, x);
		/*
		 * The CPU that makes an entry valid needs a context synchronization
		 * event (ISB) after the DSB before it relies on the new translation:
		 * without FEAT_ETS2 a walk for a later instruction may already have
		 * run, in program order before the DSB completed, and seen the old
		 * invalid entry, giving a spurious translation fault (D8.2.6 "Ordering
		 * of translation table walks"; FEAT_ETS2 removes this for data
		 * accesses, not for fetches). Completed TLB maintenance before the
		 * make without an ISB since carries the same need (D8.17.4), so the
		 * make is what the next ISB must follow. F_ISBMAKE marks a make with
		 * no such maintenance: the case FEAT_ETS2 relaxes.
		 */
		{
			const struct cpu_state *mc = &b->cpus[ev->cpu];
			bool maint = mc->maint_seq > mc->isb_seq;

			e->isb_seq = ev->seq;
			e->isb_cpu = ev->cpu;
			e->isb_line = maint ? mc->maint_line : ev->line;
			if (maint)
				e->flags &= (uint16_t)~F_ISBMAKE;
			else
				e->flags |= F_ISBMAKE;
		}
		if (b->ncont && L >= 2)
			check_contiguous(b, x, ev);
		return;
	}
	/* invalid, or valid but not cacheable yet (AF = 0, nT): nothing to judge now */
	maybe_free(b, x);
	return;

orphan:
	/* A table entry went away: every leaf below it that may be cached must be invalidated
	 * too (D8.17.1: a TLBI by VA removes the walk-cache entry, not other VAs' leaves). */
	{
		uint64_t lo = va, hi = va + lvl_size(L) - 1, pseq = ev->seq;
		for (uint32_t i = 1; i <= b->npool; i++) {
			struct ent *o = E(b, i);
			if (!o->used || o->table != t || o->level <= L || o->va < lo || o->va > hi)
				continue;
			if (o->flags & F_PEND)
				continue;
			if (!cacheable(b, o->cur, o->level))
				continue;
			pend_start(b, i, o->cur, ev);
			o = E(b, i);
			o->flags |= F_ORPHAN;
			o->orphan_of = pseq;
			b->norphans++;
		}
	}
}

static void on_access(struct bbm *b, const struct fm_event *ev)
{
	struct cpu_state *c = &b->cpus[ev->cpu];

	for (unsigned t = 0; t < b->ctx.ntables; t++) {
		if (!cs_has(&b->tables[t].walkers, ev->cpu))
			continue;
		for (unsigned l = 0; l < 4; l++) {
			uint32_t x = lookup(b, t, l, ev->va & ~(lvl_size(l) - 1));
			if (!x)
				continue;
			struct ent *e = E(b, x);
			if ((e->flags & F_PEND) && !(e->flags & F_STALE) &&
			    (!cs_has(&e->done, ev->cpu) || (b->tables[t].regime == FM_REGIME_S2 &&
							    !cs_has(&e->s1done, ev->cpu)))) {
				e->flags |= F_STALE;
				report(
				    b, R_STALE, e, ev->cpu, ev->line, ev->seq,
				    "cpu%u uses va %#" PRIx64 " while its TLB may still hold the "
				    "translation removed or changed at line %u: no completed TLBI "
				    "reached cpu%u before this access",
				    ev->cpu, ev->va, e->brk_line, ev->cpu);
			}
			if (e->isb_seq && e->isb_cpu == ev->cpu && c->isb_seq < e->isb_seq) {
				bool make = e->flags & F_ISBMAKE;
				/* FEAT_ETS2: a data access after the make's DSB cannot fault
				 * on the old invalid entry; a fetch still needs the ISB. */
				if (make && (b->ctx.features & FM_FEAT_ETS2) &&
				    !(ev->flags & FM_EVF_EXEC))
					continue;
				e->isb_seq = 0;
				report(b, R_ISB, e, ev->cpu, ev->line, ev->seq,
				       "cpu%u uses va %#" PRIx64 " after %s at line %u with no isb "
				       "in between, so it may still use the earlier translation "
				       "(or fault on the old invalid entry): add isb after the dsb",
				       ev->cpu, ev->va,
				       make ? "making the entry valid"
					    : "completing the TLB maintenance",
				       e->isb_line);
			}
		}
	}
}

/* Pending records matching pred, snapshotted (judging may drop other members). */
static uint32_t *snapshot(struct bbm *b, size_t *n)
{
	size_t cnt = 0, i = 0;
	uint32_t x, *v;

	for (x = b->pend_head; x; x = E(b, x)->pnext)
		cnt++;
	v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	for (x = b->pend_head; x; x = E(b, x)->pnext)
		v[i++] = x;
	*n = cnt;
	return v;
}

static void on_free(struct bbm *b, const struct fm_event *ev)
{
	uint64_t pa = ev->ptep & ~0xfffull;
	size_t n;
	uint32_t *v;

	if (!b->pend_head)
		return;
	v = snapshot(b, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t x = v[i];
		struct ent *e = E(b, x);
		bool hit;
		if (!e->used || !(e->flags & F_PEND))
			continue;
		if (is_table(e->old, e->level))
			hit = (e->old & DESC_OA_MASK) == pa;
		else {
			uint64_t oa = leaf_oa(e->old, e->level);
			hit = pa >= oa && pa - oa < lvl_size(e->level);
		}
		if (!hit || fully_covered(b, e))
			continue;
		judge(b, x, WHY_FREE, ev);
		pend_clear(b, x);
		maybe_free(b, x);
	}
	free(v);
}

void bbm_event(struct bbm *b, const struct fm_event *in)
{
	struct fm_event e2;
	const struct fm_event *ev = &e2;

	if (!b || in->cpu >= b->ctx.ncpus)
		return;
	/* The model orders events by their position in the stream (never 0), whatever
	 * the source's own numbering; lines are only for messages (0 when live). */
	e2 = *in;
	e2.seq = ++b->events;
	switch (ev->type) {
	case FM_EV_PTE:
		if (ev->level <= 3)
			on_pte(b, ev);
		break;
	case FM_EV_DSB:
		on_dsb(b, ev);
		break;
	case FM_EV_DMB:
		b->cpus[ev->cpu].dmb_seq = ev->seq;
		b->cpus[ev->cpu].dmb_line = ev->line;
		break;
	case FM_EV_ISB:
		b->cpus[ev->cpu].isb_seq = ev->seq;
		break;
	case FM_EV_TLBI:
		on_tlbi(b, ev);
		break;
	case FM_EV_ACCESS:
		on_access(b, ev);
		break;
	case FM_EV_FREE:
		on_free(b, ev);
		break;
	default:
		break;
	}
}

static int by_orphan_of(const void *a, const void *c, void *arg)
{
	const struct bbm *b = arg;
	uint64_t x = E(b, *(const uint32_t *)a)->orphan_of,
		 y = E(b, *(const uint32_t *)c)->orphan_of;

	return x < y ? -1 : x > y;
}

void bbm_finish(struct bbm *b)
{
	struct fm_event end;
	size_t n, i, j;
	uint32_t *v;

	if (!b || !b->pend_head)
		return;
	memset(&end, 0, sizeof(end));
	/* Entries first (a table entry's verdict covers the leaves below it)... */
	v = snapshot(b, &n);
	for (i = 0; i < n; i++) {
		struct ent *e = E(b, v[i]);
		if (!e->used || !(e->flags & F_PEND) || (e->flags & F_ORPHAN))
			continue;
		judge(b, v[i], WHY_END, &end);
		pend_clear(b, v[i]);
		maybe_free(b, v[i]);
	}
	free(v);
	/* ...then the leaves below removed table entries, one finding per table entry. */
	v = snapshot(b, &n);
	qsort_r(v, n, sizeof(*v), by_orphan_of, b);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && E(b, v[j])->orphan_of == E(b, v[i])->orphan_of; j++)
			;
		struct ent *e = E(b, v[i]);
		report(
		    b, R_STALE, e, e->brk_cpu, e->brk_line, e->brk_seq,
		    "the table entry removed at line %u had %zu cached entr%s below it (first va "
		    "%#" PRIx64 ") that were never invalidated before the trace ended: add a TLBI "
		    "for each (tlbi %s) or a whole-regime TLBI",
		    e->brk_line, j - i, j - i == 1 ? "y" : "ies", e->va, suggest(b, e));
		for (size_t k = i; k < j; k++) {
			pend_clear(b, v[k]);
			maybe_free(b, v[k]);
		}
	}
	free(v);
}

/* ---- setup ---- */

struct bbm *bbm_new(const struct fm_trace_ctx *ctx, enum bbm_policy p, bbm_report_fn fn, void *arg)
{
	struct bbm *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->ctx = *ctx;
	if (b->ctx.ncpus == 0 || b->ctx.ncpus > FM_MAX_CPUS)
		b->ctx.ncpus = b->ctx.ncpus ? FM_MAX_CPUS : 1;
	if (b->ctx.ntables == 0) {
		b->ctx.ntables = 1;
		strcpy(b->ctx.tables[0].name, "default");
		b->ctx.tables[0].regime = FM_REGIME_EL2;
		b->ctx.tables[0].shared = true;
		memset(b->ctx.tables[0].cpus, 0xff, sizeof(b->ctx.tables[0].cpus));
	}
	if (b->ctx.ntables > FM_MAX_TABLES)
		b->ctx.ntables = FM_MAX_TABLES;
	b->policy = p;
	b->fn = fn;
	b->arg = arg;
	for (unsigned c = 0; c < b->ctx.ncpus; c++)
		cs_add(&b->all, c);
	for (unsigned t = 0; t < b->ctx.ntables; t++) {
		struct tbl *tb = &b->tables[t];
		tb->regime = b->ctx.tables[t].regime <= FM_REGIME_S2 ? b->ctx.tables[t].regime
								     : FM_REGIME_EL2;
		for (unsigned c = 0; c < b->ctx.ncpus; c++)
			if ((b->ctx.tables[t].cpus[c / 64] >> (c % 64)) & 1) {
				if (!tb->nwalkers++)
					tb->first = c;
				cs_add(&tb->walkers, c);
			}
	}
	b->cpus = calloc(b->ctx.ncpus, sizeof(*b->cpus));
	b->nslots = 256;
	b->slots = calloc(b->nslots, sizeof(*b->slots));
	if (!b->cpus || !b->slots) {
		bbm_free(b);
		return NULL;
	}
	return b;
}

void bbm_set_source(struct bbm *b, const char *name)
{
	if (b)
		b->source = name;
}

void bbm_free(struct bbm *b)
{
	if (!b)
		return;
	free(b->cpus);
	free(b->pool);
	free(b->slots);
	free(b);
}

void bbm_get_stats(const struct bbm *b, struct bbm_stats *s)
{
	s->events = b->events;
	s->entries = b->nused;
	s->peak_entries = b->peak;
}

int bbm_rule_index(const char *rule)
{
	for (int i = 0; i < BBM_NRULES; i++)
		if (!strcmp(bbm_rules[i], rule))
			return i;
	return -1;
}

int bbm_policy_parse(const char *s, enum bbm_policy *p)
{
	if (!strcmp(s, "arm"))
		*p = BBM_POLICY_ARM;
	else if (!strcmp(s, "linux"))
		*p = BBM_POLICY_LINUX;
	else if (!strcmp(s, "strict"))
		*p = BBM_POLICY_STRICT;
	else
		return -1;
	return 0;
}

const char *bbm_policy_name(enum bbm_policy p)
{
	return p == BBM_POLICY_LINUX ? "linux" : p == BBM_POLICY_STRICT ? "strict" : "arm";
}

void bbm_finding_print(const struct bbm_finding *f)
{
	char oa[160], na[160];
	static const char *const lv[] = {"L0", "L1", "L2", "L3"};

	desc_format_raw(f->old, f->level & 3, f->regime, 0, oa, sizeof(oa));
	desc_format_raw(f->new, f->level & 3, f->regime, 0, na, sizeof(na));
	print_obj_begin(NULL);
	if (f->source)
		print_str("file", "%s:", f->source);
	if (f->line)
		print_uint("line", "%" PRIu64 ": ", f->line);
	else {
		print_uint("line", NULL, 0);
		print_text("seq %" PRIu64 ": ", f->seq);
	}
	print_str("severity", "%s: ", f->severity == BBM_WARNING ? "warning" : "error");
	print_str("rule", "%s: ", f->rule);
	print_uint("cpu", "cpu%" PRIu64 " ", f->cpu);
	if (f->line)
		print_uint("seq", NULL, f->seq);
	print_str("table", "%s ", f->table ? f->table : "");
	print_uint("level", NULL, f->level);
	print_text("%s ", lv[f->level & 3]);
	print_hex("va", "va=%#" PRIx64 ": ", f->va);
	print_str("message", "%s", f->message);
	print_hex("old", " [old %#" PRIx64, f->old);
	print_str("old_attrs", " (%s)", oa);
	print_hex("new", ", new %#" PRIx64, f->new);
	print_str("new_attrs", " (%s)]", na);
	print_obj_end();
}
