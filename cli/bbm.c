/* SPDX-License-Identifier: MIT */
/*
 * The BBM checker. References are to the Arm ARM (DDI 0487):
 *   D8.2   translation granules and levels (4K, 16K, 64K; level -1 with LPA2)
 *   D8.3   translation table descriptor formats
 *   D8.7.1 the Contiguous bit
 *   D8.15  ASIDs and VMIDs: which TLB entries are tagged, and by what
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
 * changes a translation that could be cached; the CPUs that may hold the old
 * translation (its holders) are the CPUs that walk the table at that moment:
 * every CPU in a static table's `cpus=`, and for a dynamic table every CPU
 * that has loaded its root (`use`). Any of them may walk and cache any entry
 * at any time, whatever the software "owns". The record tracks, per CPU,
 * whether a TLBI that covers it and reaches that CPU has been issued after the
 * store and completed by a DSB on the issuing CPU. A TLBI that reaches none of
 * the holders does nothing for the record. When the entry is made valid again
 * (or the trace ends, the page is freed, the address is used) the record is
 * judged and reported; when maintenance completes for every holder it is
 * dropped.
 *
 * Entries tagged with a VMID that no CPU has current are dormant
 * (tbl_dormant()): changed, they stay pending until the VMID is used again.
 *
 * Live entries are small (struct ent); the detail of a pending record
 * (holders, the steps of its maintenance) is kept apart (struct pend) while
 * it is pending, so memory follows the live entries plus the pending ones.
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
static bool cs_meets(const cpuset *a, const cpuset *b)
{
	for (unsigned i = 0; i < NW; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}
static void cs_or(cpuset *a, const cpuset *b)
{
	for (unsigned i = 0; i < NW; i++)
		a->w[i] |= b->w[i];
}
static bool cs_any(const cpuset *a)
{
	for (unsigned i = 0; i < NW; i++)
		if (a->w[i])
			return true;
	return false;
}
static unsigned cs_count(const cpuset *a)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NW; i++)
		n += (unsigned)__builtin_popcountll(a->w[i]);
	return n;
}

/* ent.flags */
#define F_PEND 0x001	/* an old translation may be cached (pd is set) */
#define F_INFL 0x002	/* the latest covering TLBI (pend.att) is not yet completed */
#define F_ORPHAN 0x004	/* pending because its table entry was removed */
#define F_STALE 0x008	/* stale-tlb already reported for this record */
#define F_TTLBAD 0x010	/* a TTL mismatch was reported for this record */
#define F_LOCAL 0x020	/* the latest attempt was a local (non-broadcast) TLBI */
#define F_ATT 0x040	/* some covering TLBI was issued after the store */
#define F_ISBMAKE 0x080 /* isb watch: a make (not completed maintenance) */
#define F_USED 0x100	/* the record is in use (not on the free list) */
#define F_AFSTALE 0x200 /* AF was cleared without a TLBI: cur | AF may still be cached */

/* Parts of stage-2 maintenance a TLBI does (D8.17.2). */
#define PART_PRIMARY 1 /* the entry itself: by VA/IPA, or whole-regime */
#define PART_S1 2      /* combined stage 1+2 entries (vmalle1*) */
#define PART_BOTH 3

enum bef { BEF_OK, BEF_NARROW, BEF_NONE };
enum aft { AFT_NONE, AFT_ST, AFT_NARROW };

/* One event of a maintenance sequence, as findings name it. */
struct step {
	uint64_t seq; /* 0: no such step */
	uint64_t pc;
	uint64_t arg; /* tlbi: operand */
	uint32_t line;
	uint16_t cpu;
	uint16_t op;  /* tlbi: enum tlbi_op; dsb: CRm */
	uint8_t has_pc;
	uint8_t why;  /* miss/bad: enum cov */
	uint8_t type; /* enum fm_ev_type (for --explain) */
};

/* A live or pending entry. */
struct ent {
	uint64_t va;
	uint64_t cur;     /* descriptor in memory now */
	uint64_t isb_seq; /* missing-isb watch: the make or completion an ISB must follow */
	uint64_t isb_pc;
	uint32_t isb_line;
	uint32_t pd;	  /* struct pend, index + 1, while F_PEND */
	uint16_t table, flags, isb_cpu;
	int8_t level;
};

/* The detail of a pending record. */
struct pend {
	uint64_t old; /* the translation that may be cached */
	uint64_t orphan_of;
	cpuset holders, done, s1done;
	struct step brk, att, bef, aft, local, narrow, bad, s1early, unreach, miss;
	struct step cmpl; /* the DSB that completed the latest TLBI (for --explain) */
	uint32_t owner;	       /* the struct ent, index + 1 */
	uint32_t pnext, pprev; /* pending list, index + 1 (also the free list) */
	uint8_t att_part, bef_state, aft_state;
};

/*
 * A covering TLBI waiting for a DSB on the CPU that issued it (D8.17.4). A
 * record may have several at once, on several CPUs (each CPU's own DSB
 * completes its own TLBI); an entry is void once its record was cleared or
 * restarted (x, pd and brk_seq no longer match).
 */
struct infl {
	uint32_t x, pd;
	uint64_t brk_seq;
	struct step att;
	uint8_t part;
};

/* A whole-regime TLBI waiting for its DSB: when it completes, the CPUs it reached
 * hold nothing of the tables of its regime they no longer have loaded. */
struct allop {
	struct step att;
	uint16_t vmid;
	bool has_vmid;
};

struct cpu_state {
	uint64_t dsb_wide_seq; /* last DSB that orders stores (ST or full), domain ISH or wider */
	uint64_t dsb_any_seq;  /* same, any domain */
	struct step dsb_narrow;
	struct step dmb;
	uint64_t isb_seq;
	struct step maint;  /* last DSB that completed a TLBI of this CPU */
	struct infl *infl;  /* this CPU's TLBIs waiting for a DSB */
	uint32_t ninfl, cinfl;
	struct allop *allops; /* this CPU's whole-regime TLBIs waiting for a DSB */
	uint32_t nallops, callops;
	uint32_t cur[FM_NREGIMES]; /* el2, s2: the table it loaded last, index + 1 */
	struct step stray;  /* the last TLBI that covered nothing pending */
	uint16_t vmid;	    /* the current VMID: of the table it loaded last with one (has_vmid) */
	bool has_vmid;
};

struct tbl {
	cpuset walkers; /* CPUs that may hold its entries */
	cpuset loaded;	/* dynamic: CPUs that have its root loaded now */
	uint32_t npend; /* its pending records */
	uint32_t nglobal; /* its live leaves with nG = 0 the trace showed */
	struct desc_fmt fmt;
	uint64_t size[5]; /* bytes an entry translates, by level + 1 (0: no such level) */
	uint8_t regime;
	bool dynamic, has_asid, has_vmid;
	uint16_t asid, vmid;
	int minlvl;
};

struct bbm {
	const struct fm_trace_ctx *ctx;
	unsigned ncpus;
	enum bbm_policy policy;
	bbm_report_fn fn;
	void *arg;
	const char *source;
	struct tbl *tables;
	unsigned ntables;
	cpuset all;
	struct cpu_state *cpus;
	struct ent *pool;
	uint32_t npool, cap, freelist, nused, peak;
	struct pend *pds;
	uint32_t npds, pdcap, pdfree, pend_head;
	uint32_t *slots;
	uint32_t nslots; /* power of two */
	uint64_t events, ncont, norphans, ttl_seq, lost;
	bbm_symbolize_fn sym;
	void *sym_arg;
	/* report(): the old descriptor to show instead of the record's (ov_set) */
	uint64_t ov_old;
	bool ov_set;
	/* on_tlbi(): records another CPU's TLBI missed, named if it covers nothing */
#define MISS_MAX 64
	struct {
		uint32_t x;
		uint8_t why;
	} miss[MISS_MAX];
	unsigned nmiss;
	/* report(), for --explain: the event judge() runs for (seq 0: the end) */
	struct step judging;
	bool in_judge;
};

/* ---- tables ---- */

static const struct tbl *TB(const struct bbm *b, unsigned t) { return &b->tables[t]; }
static const struct tbl *T(const struct bbm *b, const struct ent *e) { return &b->tables[e->table]; }

static const char *tname(const struct bbm *b, unsigned t)
{
	return t < b->ctx->ntables ? b->ctx->tables[t].name : "default";
}

static void tbl_init(struct bbm *b, unsigned t)
{
	struct tbl *tb = &b->tables[t];

	memset(tb, 0, sizeof(*tb));
	if (t >= b->ctx->ntables) { /* the implicit table of a context without any */
		tb->regime = FM_REGIME_EL2;
		tb->walkers = b->all;
	} else {
		const struct fm_table_decl *d = &b->ctx->tables[t];
		tb->fmt = desc_fmt_of_table(d);
		tb->regime = d->regime < FM_NREGIMES ? d->regime : FM_REGIME_EL2;
		if (tb->fmt.granule > FM_GRANULE_64K)
			tb->fmt.granule = FM_GRANULE_4K;
		tb->fmt.lpa2 = tb->fmt.lpa2 && tb->fmt.granule != FM_GRANULE_64K;
		tb->dynamic = d->dynamic;
		tb->has_asid = d->has_asid;
		tb->asid = d->asid;
		tb->has_vmid = d->has_vmid;
		tb->vmid = d->vmid;
		if (!d->dynamic)
			for (unsigned c = 0; c < b->ncpus; c++)
				if ((d->cpus[c / 64] >> (c % 64)) & 1)
					cs_add(&tb->walkers, c);
	}
	tb->fmt.regime = (enum fm_regime)tb->regime;
	tb->minlvl = desc_fmt_min_level(&tb->fmt);
	for (int l = -1; l <= 3; l++)
		tb->size[l + 1] = desc_fmt_level_size(&tb->fmt, l);
}

/* Makes the checker's tables follow the context (declarations between events). */
static bool tables_sync(struct bbm *b)
{
	unsigned n = b->ctx->ntables ? b->ctx->ntables : 1;

	if (n <= b->ntables)
		return true;
	struct tbl *nt = realloc(b->tables, n * sizeof(*nt));
	if (!nt)
		return false;
	b->tables = nt;
	for (unsigned t = b->ntables; t < n; t++)
		tbl_init(b, t);
	b->ntables = n;
	return true;
}

static uint64_t lsize(const struct bbm *b, unsigned t, int level)
{
	return level >= -1 && level <= 3 ? TB(b, t)->size[level + 1] : 0;
}
static uint64_t esize(const struct bbm *b, const struct ent *e) { return lsize(b, e->table, e->level); }

static bool is_valid(const struct bbm *b, unsigned t, uint64_t d, int level)
{
	/* the common cases inline: a page or table (0b11) at a level the table has */
	if ((d & 3) == 3 && level >= TB(b, t)->minlvl && level <= 3)
		return true;
	return desc_fmt_is_valid(&TB(b, t)->fmt, d, level);
}

static bool is_table(const struct bbm *b, unsigned t, uint64_t d, int level)
{
	return level < 3 && (d & 3) == 3 && is_valid(b, t, d, level);
}

/* ---- records: pool + open-addressing hash (linear probing, backward-shift delete) ---- */

#define E(b, i) (&(b)->pool[(i)-1])
#define PD(b, i) (&(b)->pds[(i)-1])
#define P(b, e) PD(b, (e)->pd)

static uint32_t hash_key(unsigned table, int level, uint64_t va)
{
	uint64_t h = (va >> 12) * 0x9e3779b97f4a7c15ull ^
		     ((uint64_t)table << 3 | (unsigned)(level + 1)) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32);
}

static uint32_t lookup(const struct bbm *b, unsigned table, int level, uint64_t va)
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

static void set_cur(struct bbm *b, struct ent *e, uint64_t v);

/* Returns the record (index + 1), creating it; 0 if out of memory. May move the pool. */
static uint32_t get(struct bbm *b, unsigned table, int level, uint64_t va, uint64_t cur)
{
	uint32_t x = lookup(b, table, level, va);

	if (x)
		return x;
	if (!grow(b))
		return 0;
	if (b->freelist) {
		x = b->freelist;
		b->freelist = E(b, x)->pd;
	} else {
		x = ++b->npool;
	}
	struct ent *e = E(b, x);
	memset(e, 0, sizeof(*e));
	e->va = va;
	e->table = (uint16_t)table;
	e->level = (int8_t)level;
	e->flags = F_USED;
	set_cur(b, e, cur);
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

static struct step step_of(const struct fm_event *ev);

/* The latest attempt of x is no longer in flight (cleared, restarted or completed). */
static void infl_unlink(struct bbm *b, uint32_t x)
{
	E(b, x)->flags &= (uint16_t)~F_INFL;
}

/* ev, a TLBI that covers x (part: PART_*), waits for a DSB on its CPU. */
static bool infl_add(struct bbm *b, uint32_t x, const struct fm_event *ev, unsigned part)
{
	struct cpu_state *c = &b->cpus[ev->cpu];
	struct ent *e = E(b, x);

	if (c->ninfl == c->cinfl) {
		uint32_t n = 0;
		/* drop the void ones before growing */
		for (uint32_t i = 0; i < c->ninfl; i++) {
			const struct infl *f = &c->infl[i];
			const struct ent *o = E(b, f->x);
			if ((o->flags & F_PEND) && o->pd == f->pd && P(b, o)->brk.seq == f->brk_seq)
				c->infl[n++] = *f;
		}
		c->ninfl = n;
		if (n * 2 >= c->cinfl) {
			uint32_t nc = c->cinfl ? c->cinfl * 2 : 16;
			struct infl *ni = realloc(c->infl, nc * sizeof(*ni));
			if (!ni)
				return false;
			c->infl = ni;
			c->cinfl = nc;
		}
	}
	struct infl *f = &c->infl[c->ninfl++];
	f->x = x;
	f->pd = e->pd;
	f->brk_seq = P(b, e)->brk.seq;
	f->att = step_of(ev);
	f->part = (uint8_t)part;
	e->flags |= F_INFL;
	return true;
}

static void pend_clear(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	if (!(e->flags & F_PEND))
		return;
	infl_unlink(b, x);
	struct pend *p = P(b, e);
	if (p->pprev)
		PD(b, p->pprev)->pnext = p->pnext;
	else
		b->pend_head = p->pnext;
	if (p->pnext)
		PD(b, p->pnext)->pprev = p->pprev;
	if (e->flags & F_ORPHAN)
		b->norphans--;
	b->tables[e->table].npend--;
	p->pnext = b->pdfree;
	p->owner = 0;
	p->brk.seq = 0;
	b->pdfree = e->pd;
	e->pd = 0;
	e->flags &= (uint16_t) ~(F_PEND | F_ORPHAN | F_STALE | F_TTLBAD | F_LOCAL | F_ATT);
}

static struct step step_of(const struct fm_event *ev)
{
	struct step s = {.seq = ev->seq,
			 .pc = ev->pc,
			 .arg = ev->arg,
			 .line = ev->line,
			 .cpu = ev->cpu,
			 .op = ev->type == FM_EV_TLBI ? ev->tlbi : ev->bar,
			 .has_pc = (ev->flags & FM_EVF_PC) != 0,
			 .type = ev->type};
	return s;
}

/*
 * Start (or restart) a pending record: the translation old may be cached from
 * now on, by the CPUs that walk the table now. false when out of memory.
 */
static bool pend_start(struct bbm *b, uint32_t x, uint64_t old, const struct fm_event *ev)
{
	struct ent *e = E(b, x);

	if (!(e->flags & F_PEND)) {
		uint32_t y;
		if (b->pdfree) {
			y = b->pdfree;
			b->pdfree = PD(b, y)->pnext;
		} else {
			if (b->npds == b->pdcap) {
				uint32_t nc = b->pdcap ? b->pdcap * 2 : 32;
				struct pend *np = realloc(b->pds, (size_t)nc * sizeof(*np));
				if (!np)
					return false;
				b->pds = np;
				b->pdcap = nc;
			}
			y = ++b->npds;
		}
		struct pend *p = PD(b, y);
		memset(p, 0, sizeof(*p));
		p->owner = x;
		p->pnext = b->pend_head;
		if (p->pnext)
			PD(b, p->pnext)->pprev = y;
		b->pend_head = y;
		e->pd = y;
		e->flags |= F_PEND;
		b->tables[e->table].npend++;
	}
	infl_unlink(b, x);
	e->flags &= (uint16_t) ~(F_STALE | F_TTLBAD | F_LOCAL | F_ATT);
	struct pend *p = P(b, e);
	uint32_t keep_next = p->pnext, keep_prev = p->pprev;
	/* (in-flight TLBIs of the previous store are void: brk.seq changes) */
	uint64_t orphan_of = p->orphan_of;
	memset(p, 0, sizeof(*p));
	p->owner = x;
	p->pnext = keep_next;
	p->pprev = keep_prev;
	p->orphan_of = orphan_of;
	p->old = old;
	p->brk = step_of(ev);
	p->holders = T(b, e)->walkers;
	p->bef_state = BEF_OK;
	p->aft_state = AFT_NONE;
	return true;
}

/* Drop a record that is neither live nor pending nor watched for an ISB. */
static void maybe_free(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	if ((e->flags & F_PEND) || is_valid(b, e->table, e->cur, e->level))
		return;
	slots_delete(b, x);
	e->flags = 0;
	e->pd = b->freelist;
	b->freelist = x;
	b->nused--;
}

/* ---- descriptors and policies ---- */

/* Can a TLB hold this descriptor? Invalid entries and entries that fault on the
 * Access flag are never cached (D8.16); with FEAT_BBM, a block with nT set is
 * not cached either (D8.16.2). */
static bool cacheable(const struct bbm *b, unsigned t, uint64_t d, int level)
{
	if (!is_valid(b, t, d, level))
		return false;
	if (is_table(b, t, d, level))
		return true;
	if (!(d & DESC_AF))
		return false;
	if (b->ctx->bbm_level >= 1 && level < 3 && !(d & 2) && (d & DESC_NT))
		return false;
	return true;
}

static uint64_t leaf_oa(const struct bbm *b, unsigned t, uint64_t d, int level)
{
	return desc_fmt_oa(&TB(b, t)->fmt, d, level);
}

/*
 * The descriptor in memory becomes v: keeps the counts of live contiguous
 * entries (check_contiguous() runs only while there are some) and of live
 * global leaves per table (allop_done()).
 */
static void set_cur(struct bbm *b, struct ent *e, uint64_t v)
{
	unsigned t = e->table;
	struct tbl *tb = &b->tables[t];
	bool asids = tb->regime == FM_REGIME_EL1 || tb->regime == FM_REGIME_EL20;

	for (int k = 0; k < 2; k++) {
		uint64_t d = k ? v : e->cur;
		int sign = k ? 1 : -1;
		if (!d || !cacheable(b, t, d, e->level) || is_table(b, t, d, e->level))
			continue;
		if (d & DESC_CONT)
			b->ncont += (uint64_t)(int64_t)sign;
		if (asids && !(d & DESC_NG))
			tb->nglobal += (uint32_t)sign;
	}
	e->cur = v;
}

/*
 * FEAT_BBM level 2 lets a block be replaced by a table without BBM (D8.16.2),
 * and a TLB may keep the block beside entries fetched through the table. When
 * every leaf the trace shows below (at least one) has the block's output
 * address for its VA and the block's attributes, the block and a fresh walk
 * translate alike: nothing stale (Linux's split with BBML2_NOABORT: "larger
 * entries may safely linger in the TLB"). Without evidence, the block stays
 * pending.
 */
static bool split_equivalent(struct bbm *b, unsigned t, int L, uint64_t va, uint64_t blk,
			     uint64_t tab)
{
	uint64_t bsz = lsize(b, t, L), battr, oabits = desc_fmt_oa_bits(&TB(b, t)->fmt);
	unsigned n = 0;

	if (b->ctx->bbm_level < 2 || L >= 3 || is_table(b, t, blk, L) || !is_table(b, t, tab, L))
		return false;
	battr = blk & ~(oabits | 3ull | DESC_NT | DESC_CONT);
	for (int l = L + 1; l <= 3; l++) {
		uint64_t s = lsize(b, t, l);
		if (bsz / s > 4096)
			continue;
		for (uint64_t a = va; a < va + bsz; a += s) {
			uint32_t y = lookup(b, t, l, a);
			if (!y)
				continue;
			const struct ent *o = E(b, y);
			if (!cacheable(b, t, o->cur, l))
				continue;
			if (is_table(b, t, o->cur, l) ||
			    leaf_oa(b, t, o->cur, l) != leaf_oa(b, t, blk, L) + (a - va) ||
			    (o->cur & ~(oabits | 3ull | DESC_NT | DESC_CONT)) != battr)
				return false;
			n++;
		}
	}
	return n > 0;
}

/* Linux's memory types (arch/arm64/include/asm/memory.h): MT_NORMAL 0, MT_NORMAL_TAGGED 1. */
#define LINUX_MT_NORMAL 0
#define LINUX_MT_NORMAL_TAGGED 1

/*
 * Does changing live descriptor o into n (both cacheable) need BBM under the
 * policy? Sets *why and *cont (the contiguous bit is part of the reason).
 * arm (D8.16.1): output address, memory type/cacheability, shareability, NS,
 *   nG 1->0, contiguous bit, block/table size; permissions, AF, DBM, GP and
 *   software bits are safe. FEAT_BBM level 2 relaxes size and contiguous changes.
 * linux: pgattr_change_is_safe() of Linux's arch/arm64/mm/mmu.c (v6.18): only
 *   PXN, RDONLY (AP[2]), WRITE (DBM), nG 0->1 and the software bits [58:55]
 *   and 63 may change, and the memory type between Normal and Normal-Tagged
 *   (AttrIndx 0 and 1, MTE); any live contiguous entry is unsafe. Stage 1 of
 *   EL1&0 and EL2&0 as written; at non-VHE EL2 (one XN bit) XN counts as PXN;
 *   at stage 2 the permissions KVM relaxes in place (S2AP, XN) and DBM.
 * strict: any change outside software bits [58:55].
 */
static bool needs_bbm(const struct bbm *b, unsigned t, int level, uint64_t o, uint64_t n,
		      const char **why, bool *cont)
{
	const struct tbl *tb = TB(b, t);
	unsigned regime = tb->regime;
	uint64_t diff = (o ^ n) & ~DESC_SW_MASK, oabits = desc_fmt_oa_bits(&tb->fmt);
	bool ot = is_table(b, t, o, level), nt = is_table(b, t, n, level);
	bool s2 = regime == FM_REGIME_S2;

	*cont = false;
	*why = NULL;
	if (!diff)
		return false;
	if (ot != nt) {
		*why =
		    ot ? "a table entry is replaced by a block" : "a block is replaced by a table";
		return b->ctx->bbm_level < 2;
	}
	if (ot) {
		if ((o ^ n) & oabits) {
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
		return b->ctx->bbm_level < 2;
	}
	if (b->policy == BBM_POLICY_STRICT) {
		*why = "the descriptor changes outside the software bits (strict policy)";
		if ((o | n) & DESC_CONT)
			*cont = true;
		return true;
	}
	if (b->policy == BBM_POLICY_LINUX) {
		uint64_t mask = DESC_PXN | DESC_AP2 | DESC_DBM | DESC_NG | (1ull << 63);
		if (regime == FM_REGIME_EL2)
			mask |= DESC_XN;
		if (s2)
			mask = DESC_AP1 | DESC_AP2 | DESC_PXN | DESC_XN | DESC_DBM;
		if (leaf_oa(b, t, o, level) != leaf_oa(b, t, n, level)) {
			*why = "the output address changes";
			return true;
		}
		if ((o | n) & DESC_CONT) {
			*cont = true;
			*why = "a live contiguous entry changes (linux policy)";
			return true;
		}
		if (!s2 && (o & ~n & DESC_NG)) {
			*why = "nG changes from 1 to 0";
			return true;
		}
		if (!s2 && (DESC_ATTRINDX(o) == LINUX_MT_NORMAL ||
			    DESC_ATTRINDX(o) == LINUX_MT_NORMAL_TAGGED) &&
		    (DESC_ATTRINDX(n) == LINUX_MT_NORMAL || DESC_ATTRINDX(n) == LINUX_MT_NORMAL_TAGGED))
			mask |= 7ull << 2; /* Normal <-> Normal-Tagged is a permission change */
		if (diff & ~mask) {
			*why = "bits outside the linux safe mask (PXN, RDONLY, DBM, nG, software; "
			       "Normal <-> Normal-Tagged) change";
			return true;
		}
		return false;
	}
	if (leaf_oa(b, t, o, level) != leaf_oa(b, t, n, level)) {
		*why = "the output address changes";
		return true;
	}
	if ((o ^ n) & (s2 ? 0x3cull : 0x1cull)) {
		*why = s2 ? "the memory type (MemAttr) changes" : "the memory type (AttrIndx) changes";
		return true;
	}
	/* With LPA2, bits [9:8] are OA[51:50] and shareability comes from TCR.SH. */
	if (!tb->fmt.lpa2 && ((o ^ n) & (3ull << 8))) {
		*why = "the shareability changes";
		return true;
	}
	if (!s2 && ((o ^ n) & DESC_NS)) {
		*why = "the NS bit (output address space) changes";
		return true;
	}
	if (!s2 && (o & ~n & DESC_NG)) {
		*why = "nG changes from 1 to 0";
		return true;
	}
	return false;
}

/*
 * Does o -> n only grant more (D8.4): write (AP[2] 1 -> 0, S2AP bits 0 -> 1),
 * execute (XN/UXN/PXN 1 -> 0), with DBM and the software bits free? A TLB that
 * keeps the old entry then gives at most a permission fault that the new entry
 * would not, never another address or attributes: no invalidation is needed
 * for the change (Linux's __ptep_set_access_flags(), KVM's stage-2 relax).
 */
static bool relax_only(const struct bbm *b, unsigned t, int level, uint64_t o, uint64_t n)
{
	uint64_t diff = (o ^ n) & ~(DESC_SW_MASK | DESC_DBM), grant;

	if (is_table(b, t, o, level) || is_table(b, t, n, level))
		return false;
	if (TB(b, t)->regime == FM_REGIME_S2)
		grant = (n & ~o & (DESC_AP1 | DESC_AP2)) | (o & ~n & (DESC_PXN | DESC_XN));
	else
		grant = (o & ~n & (DESC_AP2 | DESC_PXN | DESC_XN));
	return diff && diff == grant;
}

/* ---- findings ---- */

static void cpus_text(const struct bbm *b, const cpuset *s, char *buf, size_t n)
{
	unsigned cnt = 0;
	size_t o;

	for (unsigned c = 0; c < b->ncpus; c++)
		cnt += cs_has(s, c);
	if (!cnt) {
		snprintf(buf, n, "no CPU");
		return;
	}
	o = (size_t)snprintf(buf, n, "%s", cnt == 1 ? "cpu " : "cpus ");
	for (unsigned c = 0; c < b->ncpus; c++) {
		if (!cs_has(s, c))
			continue;
		unsigned e = c;
		while (e + 1 < b->ncpus && cs_has(s, e + 1))
			e++;
		int w = e > c ? snprintf(buf + o, n - o, "%s%u-%u", o > 5 ? "," : "", c, e)
			      : snprintf(buf + o, n - o, "%s%u", o > 5 ? "," : "", c);
		if (w < 0 || (size_t)w >= n - o)
			return;
		o += (size_t)w;
		c = e;
	}
}

static void explain_fill(struct bbm *b, int rule, const struct ent *e, const struct step *at,
			 struct bbm_explain *x);
static void report(struct bbm *b, int rule, const struct ent *e, const struct step *at,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(struct bbm *b, int rule, const struct ent *e, const struct step *at,
		   const char *fmt, ...)
{
	struct bbm_finding f;
	va_list ap;

	memset(&f, 0, sizeof(f));
	f.rule = bbm_rules[rule];
	f.severity = rule == R_ISB ? BBM_WARNING : BBM_ERROR;
	f.cpu = at->cpu;
	f.line = at->line;
	f.seq = at->seq;
	f.pc = at->pc;
	f.has_pc = at->has_pc;
	f.va = e->va;
	f.level = e->level;
	f.old = b->ov_set ? b->ov_old : (e->flags & F_PEND) ? P(b, e)->old : e->cur;
	b->ov_set = false;
	if (f.has_pc && b->sym && b->sym(f.pc, f.sym, sizeof(f.sym), b->sym_arg))
		f.sym[0] = '\0';
	f.new = e->cur;
	f.regime = (enum fm_regime)T(b, e)->regime;
	f.fmt = T(b, e)->fmt;
	f.table = tname(b, e->table);
	f.source = b->source;
	explain_fill(b, rule, e, at, &f.ex);
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	if (b->fn)
		b->fn(&f, b->arg);
}

/* The broadcast op an entry needs ("vale2is"), for messages. */
static const char *suggest_op(const struct bbm *b, unsigned table, bool tab)
{
	switch (b->tables[table].regime) {
	case FM_REGIME_EL1:
		return tab ? "vae1is" : "vale1is";
	case FM_REGIME_S2:
		return tab ? "ipas2e1is" : "ipas2le1is";
	default: /* EL2, and EL2&0 (E2H = 1: the ASID comes with the operand) */
		return tab ? "vae2is" : "vale2is";
	}
}

static const char *suggest(const struct bbm *b, const struct ent *e)
{
	return suggest_op(b, e->table, is_table(b, e->table, P(b, e)->old, e->level));
}

static bool covered_all(const struct pend *p, const cpuset *s) { return cs_subset(&p->holders, s); }

static bool fully_covered(const struct bbm *b, const struct ent *e)
{
	const struct pend *p = P(b, e);
	return covered_all(p, &p->done) &&
	       (T(b, e)->regime != FM_REGIME_S2 || covered_all(p, &p->s1done));
}

enum cov {
	COV_YES,
	COV_REGIME,	  /* another regime or stage */
	COV_VA,		  /* another address, or a range that does not reach it */
	COV_ASID_GLOBAL,  /* an ASID operation, and the entry is global */
	COV_ASID,	  /* another ASID */
	COV_VMID,	  /* another VMID */
	COV_LAST,	  /* a last-level operation, and the entry is a table entry */
	COV_TG,		  /* a range operation for another granule */
};

/* VMID a TLBI acts on: the one given, or the VMID of the stage-2 table the CPU loaded last. */
static bool tlbi_vmid(const struct bbm *b, const struct fm_event *ev, unsigned *vmid)
{
	if (ev->flags & FM_EVF_VMID) {
		*vmid = ev->vmid;
		return true;
	}
	if (b->cpus[ev->cpu].has_vmid) {
		*vmid = b->cpus[ev->cpu].vmid;
		return true;
	}
	return false;
}

/*
 * Does the TLBI ev remove the cached translation of record e (D8.17)? *part:
 * which stage-2 part it does. *lo, *hi: the addresses a range op covers.
 */
static enum cov covers(const struct bbm *b, const struct fm_event *ev, const struct ent *e,
		       unsigned *part, uint64_t *rlo, uint64_t *rhi)
{
	unsigned op = ev->tlbi, f = arm64_tlbi_flags(op);
	const struct tbl *t = T(b, e);
	unsigned regime = t->regime, vmid;
	const struct pend *p = P(b, e);
	bool tab = is_table(b, e->table, p->old, e->level);
	uint64_t lo = e->va, hi = e->va + esize(b, e) - 1;
	bool asids = regime == FM_REGIME_EL1 || regime == FM_REGIME_EL20;
	/* Leaves with nG = 0 are global; table (walk-cache) entries of a table with an
	 * ASID are taken as tagged with it (Linux relies on ASIDE1 removing them). */
	bool global = asids && (tab ? !t->has_asid : !(p->old & DESC_NG));

	*part = PART_PRIMARY;
	*rlo = *rhi = 0;
	if (!arm64_tlbi_reaches_regime(f, regime))
		return COV_REGIME;
	if (regime == FM_REGIME_S2) {
		if (f & TLBI_F_S2)
			*part = (f & TLBI_F_EL1) ? PART_BOTH : PART_PRIMARY;
		else if ((f & TLBI_F_EL1) && (f & TLBI_F_ALL))
			*part = PART_S1; /* vmalle1*: combined entries only */
		else
			return COV_REGIME;
	}
	/* VMID-tagged entries (EL1&0 stage 1, stage 2): ops of the current VMID only. */
	if ((regime == FM_REGIME_EL1 || regime == FM_REGIME_S2) && t->has_vmid &&
	    !(f & TLBI_F_ALLVMID) && tlbi_vmid(b, ev, &vmid) && vmid != t->vmid)
		return COV_VMID;
	if (f & TLBI_F_ALL)
		return COV_YES;
	if (f & TLBI_F_ASID) { /* ASIDE1*: non-global entries of one ASID (D8.17.3) */
		if (global)
			return COV_ASID_GLOBAL;
		return !t->has_asid || t->asid == TLBI_ASID(ev->arg) ? COV_YES : COV_ASID;
	}
	if ((f & TLBI_F_LAST) && tab)
		return COV_LAST;
	if (asids && !global && !(f & TLBI_F_AA) && t->has_asid && TLBI_ASID(ev->arg) != t->asid &&
	    !(f & TLBI_F_IPA))
		return COV_ASID;
	if (f & TLBI_F_RANGE) {
		uint64_t base, bytes;
		int tg_ok;
		arm64_tlbi_range_g(op, ev->arg, desc_fmt_page_shift(&t->fmt), t->fmt.lpa2, &base,
				   &bytes, &tg_ok);
		*rlo = base;
		*rhi = base + bytes - 1;
		if (!tg_ok)
			return COV_TG;
		return base <= hi && *rhi >= lo ? COV_YES : COV_VA;
	}
	/* By VA/IPA: any address inside a block or a table entry's range (D8.17.1). */
	uint64_t a = arm64_tlbi_addr(op, ev->arg);
	return a >= lo && a <= hi ? COV_YES : COV_VA;
}

/* Does the TLBI's TTL hint name the wrong level for e (D8.17.5)? */
static bool ttl_wrong(const struct bbm *b, const struct fm_event *ev, const struct ent *e, int *lvl)
{
	const struct tbl *t = T(b, e);

	*lvl = arm64_tlbi_ttl_level_g(ev->tlbi, ev->arg, desc_fmt_page_shift(&t->fmt),
				      t->fmt.lpa2);
	if (*lvl == -1)
		return false;
	if (is_table(b, e->table, P(b, e)->old, e->level) || *lvl == -2)
		return true;
	return *lvl != e->level;
}

static int dom_rank(unsigned crm) /* NSH < ISH < OSH < SY */
{
	static const int r[4] = {2, 0, 1, 3}; /* BAR_DOM: OSH, NSH, ISH, SY */
	return r[BAR_DOM(crm)];
}

static const char *bar(unsigned crm, char buf[8]) { return arm64_bar_name(crm, buf); }

/* ---- what a finding is made of (--explain) ---- */

/* Adds step s (if it happened) in sequence order; the same event twice merges its flags. */
static void ex_add(struct bbm_explain *x, const struct step *s, unsigned kind, unsigned flags)
{
	unsigned i;

	if (!s->seq)
		return;
	for (i = 0; i < x->nsteps; i++)
		if (x->steps[i].seq == s->seq) {
			x->steps[i].flags |= (uint8_t)flags;
			return;
		}
	if (x->nsteps == BBM_EXPLAIN_STEPS)
		return;
	for (i = x->nsteps; i > 0 && x->steps[i - 1].seq > s->seq; i--)
		x->steps[i] = x->steps[i - 1];
	x->steps[i] = (struct bbm_step){.seq = s->seq,
					.pc = s->pc,
					.line = s->line,
					.cpu = s->cpu,
					.kind = (uint8_t)kind,
					.flags = (uint8_t)flags,
					.type = s->type,
					.has_pc = s->has_pc != 0};
	x->nsteps++;
}

static unsigned ex_kind(const struct step *s, unsigned pte_kind)
{
	switch (s->type) {
	case FM_EV_TLBI:
		return BBM_STEP_TLBI;
	case FM_EV_DSB:
		return BBM_STEP_DSB;
	case FM_EV_PTE:
		return pte_kind;
	case FM_EV_ACCESS:
		return BBM_STEP_ACCESS;
	case FM_EV_FREE:
		return BBM_STEP_FREE;
	default:
		return BBM_STEP_EVENT;
	}
}

static void ex_missing(struct bbm_explain *x, uint64_t before, unsigned cpu, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ex_missing(struct bbm_explain *x, uint64_t before, unsigned cpu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->missing, sizeof(x->missing), fmt, ap);
	va_end(ap);
	x->missing_before = before;
	x->missing_cpu = (uint16_t)cpu;
}

/* Marks step s wrong (adding it) and says what it should have been. */
static void ex_wrong(struct bbm_explain *x, const struct step *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ex_wrong(struct bbm_explain *x, const struct step *s, const char *fmt, ...)
{
	va_list ap;

	ex_add(x, s, ex_kind(s, BBM_STEP_STORE), BBM_STEPF_WRONG);
	va_start(ap, fmt);
	vsnprintf(x->fix, sizeof(x->fix), fmt, ap);
	va_end(ap);
}

/*
 * The steps behind a finding of rule at step at on record e, and the one that
 * is wrong or missing. The advice is that of the finding's message, as
 * instructions: the renderer puts it where it belongs.
 */
static void explain_fill(struct bbm *b, int rule, const struct ent *e, const struct step *at,
			 struct bbm_explain *x)
{
	const struct tbl *t = T(b, e);
	const struct pend *p = (e->flags & F_PEND) ? P(b, e) : NULL;
	const struct step *jd = b->in_judge ? &b->judging : NULL;
	bool tab = is_table(b, e->table, p ? p->old : e->cur, e->level);
	const char *op = suggest_op(b, e->table, tab);
	unsigned f = p ? arm64_tlbi_flags(p->att.op) : 0;
	const char *dom = (f & TLBI_F_OS) ? "osh" : "ish";

	memset(x, 0, sizeof(*x));
	if (p) {
		bool s2 = t->regime == FM_REGIME_S2;
		for (unsigned i = 0; i < NW; i++) {
			x->holders[i] = p->holders.w[i];
			x->done[i] = p->holders.w[i] & p->done.w[i] & (s2 ? p->s1done.w[i] : ~0ull);
		}
		if (p->cmpl.seq > p->brk.seq)
			x->done_seq = p->cmpl.seq;
		if (cs_count(&p->holders) <= 1)
			dom = "nsh";
		x->win_start = p->brk.seq;
		ex_add(x, &p->brk, BBM_STEP_BREAK, 0);
		if (p->bef_state == BEF_NARROW)
			ex_add(x, &p->bef, BBM_STEP_DSB, 0);
		ex_add(x, &p->att, BBM_STEP_TLBI, 0);
		if (p->aft_state != AFT_NONE)
			ex_add(x, &p->aft, BBM_STEP_DSB, 0);
		ex_add(x, &p->narrow, BBM_STEP_DSB, 0);
		ex_add(x, &p->local, BBM_STEP_TLBI, 0);
		ex_add(x, &p->cmpl, BBM_STEP_DSB, 0);
		if (rule != R_LOCAL && rule != R_DSB_DOMAIN)
			ex_add(x, &p->bad, BBM_STEP_TLBI, 0);
		ex_add(x, &p->s1early, BBM_STEP_TLBI, 0);
		ex_add(x, &p->unreach, BBM_STEP_TLBI, 0);
		if (jd && jd->seq)
			ex_add(x, jd, ex_kind(jd, BBM_STEP_MAKE), 0);
		if (jd)
			x->win_end = jd->seq;
		else if (at->seq > p->brk.seq && at->type != FM_EV_TLBI && at->type != FM_EV_DSB)
			x->win_end = at->seq;
		else if (x->done_seq && cs_subset(&p->holders, &p->done))
			x->win_end = x->done_seq;
	}
	if (rule == R_ISB && e->isb_seq) {
		/* A make after completed maintenance watches from the make (isb_seq) but
		 * names the DSB that completed it (isb_line): show that DSB when it is known. */
		const struct step *mt = &b->cpus[e->isb_cpu].maint;
		struct step m = {.seq = e->isb_seq,
				 .pc = e->isb_pc,
				 .line = e->isb_line,
				 .cpu = e->isb_cpu,
				 .has_pc = e->isb_pc != 0,
				 .type = FM_EV_DSB};
		if (e->flags & F_ISBMAKE)
			m.type = FM_EV_PTE;
		else if (mt->seq && mt->seq <= e->isb_seq && mt->line == e->isb_line &&
			 mt->pc == e->isb_pc)
			m = *mt;
		else if (mt->seq != e->isb_seq)
			m.line = 0; /* the DSB is not known: the make, by its own line */
		ex_add(x, &m, ex_kind(&m, BBM_STEP_MAKE), 0);
	}
	ex_add(x, at, ex_kind(at, rule == R_V2V || rule == R_CONT ? BBM_STEP_STORE : BBM_STEP_MAKE),
	       BBM_STEPF_AT);

	/* What is missing or wrong, where. */
	uint64_t end = jd ? jd->seq : at->type == FM_EV_ACCESS || at->type == FM_EV_FREE ? at->seq : 0;
	unsigned bcpu = p ? p->brk.cpu : at->cpu;
	switch (rule) {
	case R_V2V:
		ex_missing(x, at->seq, at->cpu, "pte new=0 (break); dsb ishst; tlbi %s; dsb ish", op);
		break;
	case R_CONT:
		ex_missing(x, at->seq, at->cpu,
			   "break the whole contiguous set; dsb ishst; tlbi %s each; dsb ish", op);
		break;
	case R_NO_TLBI:
		if (p && p->unreach.seq)
			ex_wrong(x, &p->unreach, "tlbi %s (broadcast), or one on every holder", op);
		else
			ex_missing(x, at->seq, bcpu, "dsb ishst; tlbi %s; dsb ish", op);
		break;
	case R_LOCAL:
		ex_wrong(x, at, "tlbi %s", op);
		break;
	case R_NO_DSB_BEFORE:
		ex_missing(x, at->seq, at->cpu, "dsb %sst", dom);
		break;
	case R_NO_DSB_AFTER:
		if (p && at->seq == p->s1early.seq)
			ex_wrong(x, &p->s1early, "dsb ish; then tlbi %s",
				 arm64_tlbi_name(p->s1early.op));
		else if (p && p->aft_state == AFT_ST)
			ex_wrong(x, &p->aft, "dsb %s", (f & (TLBI_F_IS | TLBI_F_OS)) ? dom : "nsh");
		else
			ex_missing(x, end, p ? p->att.cpu : at->cpu, "dsb %s",
				   !p || (f & (TLBI_F_IS | TLBI_F_OS)) ? dom : "nsh");
		break;
	case R_DSB_DOMAIN:
		if (p) {
			const struct step *d = at->seq == p->bef.seq      ? &p->bef
					       : at->seq == p->narrow.seq ? &p->narrow
					       : at->seq == p->aft.seq	  ? &p->aft
									  : at;
			ex_wrong(x, d, "dsb %s%s", (f & TLBI_F_OS) ? "osh" : "ish",
				 d->seq < p->att.seq ? "st" : "");
		}
		break;
	case R_TTL:
		ex_wrong(x, at, tab ? "no TTL hint (ttl=0)" : "a TTL hint of level %d, or none",
			 e->level);
		break;
	case R_REGIME:
		if (t->regime == FM_REGIME_S2 && at->type == FM_EV_TLBI &&
		    (arm64_tlbi_flags(at->op) & TLBI_F_S2) && !(arm64_tlbi_flags(at->op) & TLBI_F_EL1))
			ex_missing(x, end, at->cpu, "dsb ish; tlbi vmalle1is; dsb ish");
		else if (at->type == FM_EV_TLBI)
			ex_wrong(x, at, "tlbi %s", op);
		break;
	case R_COVERAGE:
		if (at->type == FM_EV_TLBI)
			ex_wrong(x, at, "tlbi %s for va %#" PRIx64, op, e->va);
		else
			ex_missing(x, at->seq, at->cpu,
				   "a TLBI for every leaf below (or a whole-regime TLBI)");
		break;
	case R_STALE:
		if (p && (e->flags & F_INFL))
			ex_missing(x, end, p->att.cpu, "dsb %s", dom);
		else if (p && p->unreach.seq)
			ex_wrong(x, &p->unreach, "tlbi %s (broadcast)", op);
		else
			ex_missing(x, end, bcpu, "dsb ishst; tlbi %s; dsb ish", op);
		break;
	case R_ISB:
		ex_missing(x, at->seq, at->cpu, "isb");
		break;
	}
}

/* ---- judging a pending record ---- */

enum why { WHY_MAKE, WHY_END, WHY_FREE };

static const char *why_text(enum why w)
{
	return w == WHY_MAKE   ? "before the entry was made valid again"
	       : w == WHY_FREE ? "before the page was freed"
			       : "before the trace ended";
}

/* "table hyp walked by cpus 0-3" / "table el2-0x... cached by cpus 0-1 (they loaded its root)" */
static void walked_text(const struct bbm *b, const struct ent *e, char *buf, size_t n)
{
	char w[64];

	cpus_text(b, &P(b, e)->holders, w, sizeof(w));
	snprintf(buf, n, "table %s %s %s%s", tname(b, e->table),
		 T(b, e)->dynamic ? "may be cached by" : "is walked by", w,
		 T(b, e)->dynamic ? " (they loaded its root)" : "");
}

/* DSB issues of the latest attempt: one bbm-dsb-domain, one bbm-no-dsb-before-tlbi. */
/*
 * covered: maintenance reached every holder. A narrow DSB after a local TLBI
 * is then right for it (NSH completes a local operation, D8.17.4): each holder
 * got its own; only the DSB before the TLBIs still matters.
 */
static void report_dsb_issues(struct bbm *b, const struct ent *e, bool covered)
{
	const struct pend *p = P(b, e);
	const struct step *nw = NULL;
	char w[64], bb[8];

	if (p->bef_state == BEF_NARROW)
		nw = &p->bef;
	if (!covered && p->narrow.seq && (!nw || p->narrow.seq < nw->seq))
		nw = &p->narrow;
	if (p->aft_state == AFT_NARROW && (e->flags & F_INFL) && (!nw || p->aft.seq < nw->seq))
		nw = &p->aft;
	if (nw) {
		unsigned f = arm64_tlbi_flags(p->att.op);
		bool os = f & TLBI_F_OS;
		struct step at = *nw;
		at.cpu = p->att.cpu;
		cpus_text(b, &p->holders, w, sizeof(w));
		report(b, R_DSB_DOMAIN, e, &at,
		       "dsb %s at line %u has too narrow a shareability domain for table %s walked by "
		       "%s and tlbi %s at line %u: use dsb %sst before and dsb %s after the TLBI",
		       bar(nw->op, bb), nw->line, tname(b, e->table), w, arm64_tlbi_name(p->att.op),
		       p->att.line, os ? "osh" : "ish", os ? "osh" : "ish");
	}
	if (p->bef_state == BEF_NONE && (e->flags & F_ATT)) {
		char dmb[80] = "";
		const struct cpu_state *c = &b->cpus[p->att.cpu];
		if (c->dmb.seq > p->brk.seq && c->dmb.seq < p->att.seq)
			snprintf(dmb, sizeof(dmb), " (the dmb at line %u does not order a TLBI)",
				 c->dmb.line);
		report(b, R_NO_DSB_BEFORE, e, &p->att,
		       "tlbi %s at line %u was not preceded by a DSB after the store at line %u%s, "
		       "so a walker may still see and cache the old entry after the TLBI: add dsb "
		       "%s before it",
		       arm64_tlbi_name(p->att.op), p->att.line, p->brk.line, dmb,
		       cs_count(&p->holders) > 1 ? "ishst" : "nshst");
	}
}

static void drop_orphans(struct bbm *b, uint32_t parent, bool report_uncovered,
			 const struct fm_event *ev);

/* The message of a TLBI that was meant for e and missed it (p->miss or the CPU's stray). */
static void report_miss(struct bbm *b, const struct ent *e, const struct step *m,
			const struct step *at)
{
	const struct pend *p = P(b, e);
	const char *op = arm64_tlbi_name(m->op);
	const struct tbl *t = T(b, e);
	struct fm_event fake;
	unsigned part;
	uint64_t lo, hi;

	memset(&fake, 0, sizeof(fake));
	fake.type = FM_EV_TLBI;
	fake.tlbi = m->op;
	fake.arg = m->arg;
	fake.cpu = m->cpu;
	enum cov cv = covers(b, &fake, e, &part, &lo, &hi);
	if (m->why == COV_VMID)
		cv = COV_VMID; /* the VMID of the time, not of now */
	switch (cv) {
	case COV_REGIME:
		report(b, R_REGIME, e, m,
		       "tlbi %s at line %u targets another translation regime than the %s table %s "
		       "changed at line %u: use tlbi %s",
		       op, m->line, desc_regime_name((enum fm_regime)t->regime), tname(b, e->table),
		       p->brk.line, suggest(b, e));
		return;
	case COV_TG:
		report(b, R_COVERAGE, e, m,
		       "range tlbi %s at line %u has TG = %u, not the %s granule of table %s, so it "
		       "removes nothing here",
		       op, m->line, (unsigned)TLBI_RANGE_TG(m->arg),
		       desc_granule_name(t->fmt.granule), tname(b, e->table));
		return;
	case COV_ASID:
		report(b, R_COVERAGE, e, m,
		       "tlbi %s at line %u names ASID %u, but the entry at va %#" PRIx64
		       " changed at line %u is tagged with ASID %u of table %s",
		       op, m->line, (unsigned)TLBI_ASID(m->arg), e->va, p->brk.line, t->asid,
		       tname(b, e->table));
		return;
	case COV_VMID:
		report(b, R_COVERAGE, e, m,
		       "tlbi %s at line %u acts on another VMID than %u, the VMID of table %s "
		       "changed at line %u",
		       op, m->line, t->vmid, tname(b, e->table), p->brk.line);
		return;
	default:
		break;
	}
	if (arm64_tlbi_flags(m->op) & TLBI_F_RANGE)
		report(b, R_COVERAGE, e, m,
		       "range tlbi %s at line %u covers %#" PRIx64 "-%#" PRIx64 ", which does not "
		       "reach %s %#" PRIx64 " changed at line %u",
		       op, m->line, lo, hi, t->regime == FM_REGIME_S2 ? "ipa" : "va", e->va,
		       p->brk.line);
	else
		report(b, R_COVERAGE, e, m,
		       "tlbi %s at line %u invalidates %#" PRIx64 ", not the entry at va %#" PRIx64
		       " (%#" PRIx64 " bytes) changed at line %u",
		       op, m->line, arm64_tlbi_addr(m->op, m->arg), e->va, esize(b, e),
		       p->brk.line);
	(void)at;
}

static void judge_one(struct bbm *b, uint32_t x, enum why why, const struct fm_event *ev);

/* Judges record x for the event ev (a make, a free; the end: WHY_END). */
static void judge(struct bbm *b, uint32_t x, enum why why, const struct fm_event *ev)
{
	b->in_judge = true; /* --explain: the window ends at ev */
	b->judging = why == WHY_END ? (struct step){0} : step_of(ev);
	judge_one(b, x, why, ev);
	b->in_judge = false;
}

static void judge_one(struct bbm *b, uint32_t x, enum why why, const struct fm_event *ev)
{
	struct ent *e = E(b, x);
	struct pend *p = P(b, e);
	const struct tbl *t = T(b, e);
	struct step at = why == WHY_END ? p->brk : step_of(ev);
	char w[256];
	bool primary = covered_all(p, &p->done);

	if (why == WHY_END)
		at.cpu = p->brk.cpu;

	walked_text(b, e, w, sizeof(w));
	/* Already reported as stale (at an access) or as a valid-to-valid change:
	 * no second stale-tlb for it, but the wrong steps are still named. */
	bool quiet = why != WHY_MAKE && (e->flags & F_STALE);
	if (e->flags & F_ORPHAN) {
		/* Judged through its parent; alone only at the end or when its page goes. */
		if (!quiet)
			report(b, R_STALE, e, &at,
			       "the table entry above va %#" PRIx64 " was removed at line %u but this "
			       "leaf, which may still be cached, was never invalidated %s: add tlbi "
			       "%s for it (or a whole-regime TLBI)",
			       e->va, p->brk.line, why_text(why), suggest(b, e));
		return;
	}
	if (!primary && !(e->flags & F_ATT)) {
		const struct cpu_state *c = &b->cpus[p->brk.cpu];
		if (p->bad.seq) {
			if (p->bad.why == COV_LAST)
				report(b, R_COVERAGE, e, &p->bad,
				       "tlbi %s at line %u is a last-level operation and does not "
				       "remove the cached table entry removed at line %u: use tlbi %s",
				       arm64_tlbi_name(p->bad.op), p->bad.line, p->brk.line,
				       suggest(b, e));
			else
				report(b, R_COVERAGE, e, &p->bad,
				       "tlbi %s at line %u removes only non-global entries of one "
				       "ASID, and this entry is global (nG = 0): use tlbi %s",
				       arm64_tlbi_name(p->bad.op), p->bad.line, suggest(b, e));
		} else if (e->flags & F_TTLBAD) {
			/* tlbi-ttl-mismatch was reported at the TLBI */
		} else if (p->miss.seq) {
			report_miss(b, e, &p->miss, &at);
		} else if (t->regime == FM_REGIME_S2 && p->s1early.seq) {
			report(b, R_REGIME, e, &p->s1early,
			       "the TLBI at line %u removes only stage-1 (combined) entries; the "
			       "stage-2 entry changed at line %u also needs tlbi ipas2e1is (then dsb "
			       "ish, then the stage-1 invalidation)",
			       p->s1early.line, p->brk.line);
		} else if (p->unreach.seq) {
			char hw[64];
			cpus_text(b, &p->holders, hw, sizeof(hw));
			report(b, why == WHY_MAKE ? R_NO_TLBI : R_STALE, e, &at,
			       "no TLBI reached the CPUs that may hold the translation changed at "
			       "line %u (%s): tlbi %s at line %u reaches only cpu%u's TLB, but %s; "
			       "invalidate on %s, or use the broadcast tlbi %s",
			       p->brk.line, why_text(why), arm64_tlbi_name(p->unreach.op),
			       p->unreach.line, p->unreach.cpu, w, hw, suggest(b, e));
		} else if (c->stray.seq > p->brk.seq && c->stray.seq < at.seq) {
			report_miss(b, e, &c->stray, &at);
		} else if (why == WHY_MAKE) {
			char hw[64];
			cpus_text(b, &p->holders, hw, sizeof(hw));
			report(b, R_NO_TLBI, e, &at,
			       "the entry broken at line %u is made valid again with no TLBI in "
			       "between, so %s may still hold the old translation (TLB conflict "
			       "or amalgamation): add dsb ishst; tlbi %s; dsb ish",
			       p->brk.line, hw, suggest(b, e));
		} else if (!quiet) {
			char hw[64];
			cpus_text(b, &p->holders, hw, sizeof(hw));
			report(b, R_STALE, e, &at,
			       "the translation removed or changed at line %u was never invalidated "
			       "%s: %s may still use it; add dsb ishst; tlbi %s; dsb ish",
			       p->brk.line, why_text(why), hw, suggest(b, e));
		}
		if (is_table(b, e->table, p->old, e->level))
			drop_orphans(b, x, false, ev);
		return;
	}
	if (!primary) {
		const struct step *ls = p->local.seq ? &p->local : &p->att;
		/* A local TLBI is enough when it reached every holder (then it is only late). */
		if (((e->flags & F_LOCAL) || (p->local.seq && !(e->flags & F_INFL))) &&
		    !cs_only(&p->holders, ls->cpu)) {
			report(b, R_LOCAL, e, ls,
			       "tlbi %s at line %u reaches only cpu%u's TLB, but %s: use the "
			       "broadcast tlbi %s with dsb ish",
			       arm64_tlbi_name(ls->op), ls->line, ls->cpu, w, suggest(b, e));
		}
		if ((e->flags & F_INFL) && p->aft_state != AFT_NARROW) {
			char bb[8];
			const char *op = arm64_tlbi_name(p->att.op);
			struct step ac = at;
			ac.cpu = p->att.cpu;
			if (why == WHY_MAKE && p->aft_state == AFT_ST)
				report(b, R_NO_DSB_AFTER, e, &ac,
				       "tlbi %s at line %u was followed only by a store-only DSB (line "
				       "%u), which does not complete TLB maintenance, %s: use dsb %s",
				       op, p->att.line, p->aft.line, why_text(why),
				       (arm64_tlbi_flags(p->att.op) & TLBI_F_OS) ? "osh" : "ish");
			else if (why == WHY_MAKE)
				report(b, R_NO_DSB_AFTER, e, &ac,
				       "tlbi %s at line %u was not completed by a DSB on cpu%u %s: add "
				       "dsb %s after it",
				       op, p->att.line, p->att.cpu, why_text(why),
				       (arm64_tlbi_flags(p->att.op) & (TLBI_F_IS | TLBI_F_OS)) ? "ish"
											      : "nsh");
			else if (!quiet)
				report(b, R_STALE, e, &ac,
				       "tlbi %s at line %u was never completed by a full DSB on cpu%u "
				       "%s, so the old translation may still be used%s%s",
				       op, p->att.line, p->att.cpu, why_text(why),
				       p->aft_state == AFT_ST ? "; a store-only dsb " : "",
				       p->aft_state == AFT_ST ? bar(BAR_ISHST, bb) : "");
		}
		report_dsb_issues(b, e, false);
		return;
	}
	/* Stage 2: the IPA invalidation is done; combined entries need a stage-1 one after it. */
	if (t->regime != FM_REGIME_S2)
		return;
	struct step ac = at;
	ac.cpu = p->att.cpu;
	if ((e->flags & F_INFL) && p->att_part == PART_S1) {
		report(b, why == WHY_MAKE ? R_NO_DSB_AFTER : R_STALE, e, &ac,
		       "tlbi %s at line %u was not completed by a dsb ish %s",
		       arm64_tlbi_name(p->att.op), p->att.line, why_text(why));
	} else if (p->s1early.seq) {
		report(b, R_NO_DSB_AFTER, e, &p->s1early,
		       "the stage-1 invalidation at line %u was issued before the IPA invalidation "
		       "completed; combined entries may be refilled from the old stage-2 entry: put "
		       "dsb ish between tlbi ipas2e1is and tlbi vmalle1is",
		       p->s1early.line);
	} else {
		report(b, R_REGIME, e, p->att.seq ? &p->att : &at,
		       "tlbi %s removes only stage-2 entries; combined stage 1+2 entries may still "
		       "hold the old output address %s: follow it with dsb ish; tlbi vmalle1is; "
		       "dsb ish",
		       arm64_tlbi_name(p->att.op), why_text(why));
	}
}

/* Leaves below a removed table entry (record parent): judged once, when it is made again. */
static void drop_orphans(struct bbm *b, uint32_t parent, bool report_uncovered,
			 const struct fm_event *ev)
{
	const struct ent *pe = E(b, parent);
	uint64_t lo = pe->va, hi = pe->va + esize(b, pe) - 1;
	unsigned table = pe->table, n = 0;
	int level = pe->level;
	uint64_t pseq = (pe->flags & F_PEND) ? P(b, pe)->brk.seq : 0;
	uint32_t y, next;
	struct ent first;
	uint32_t first_line = 0;
	uint64_t first_old = 0;

	if (!b->norphans)
		return;
	memset(&first, 0, sizeof(first));
	for (y = b->pend_head; y; y = next) {
		struct pend *op = PD(b, y);
		uint32_t x = op->owner;
		struct ent *o = E(b, x);
		next = op->pnext;
		if (!(o->flags & F_ORPHAN) || o->table != table || o->level <= level ||
		    o->va < lo || o->va > hi)
			continue;
		if (pseq && op->orphan_of != pseq)
			continue;
		if (!fully_covered(b, o) && !n++) {
			first = *o;
			first_line = op->brk.line;
			first_old = op->old;
		}
		pend_clear(b, x);
		maybe_free(b, x);
	}
	if (report_uncovered && n) {
		/* The copy is no longer pending: the finding shows its descriptor as it is. */
		struct step at = step_of(ev);
		first.flags &= (uint16_t)~F_PEND;
		b->ov_old = first_old;
		b->ov_set = true;
		report(b, R_COVERAGE, &first, &at,
		       "%u cached entr%s below the table entry at va %#" PRIx64
		       " (removed at line %u), first va %#" PRIx64 ", %s not invalidated before it "
		       "was made valid again: a TLBI must cover every leaf below a removed table "
		       "entry (or use a whole-regime TLBI)",
		       n, n == 1 ? "y" : "ies", lo, first_line, first.va, n == 1 ? "was" : "were");
	}
}

/* Maintenance of e completed for every CPU that may hold it. */
static void on_covered(struct bbm *b, uint32_t x)
{
	struct ent *e = E(b, x);

	report_dsb_issues(b, e, true);
	/* Orphans stay until the table entry is made again (their own coverage decides). */
	pend_clear(b, x);
	maybe_free(b, x);
}

/* ---- events ---- */

static void on_tlbi_cover(struct bbm *b, uint32_t x, const struct fm_event *ev, bool *hit)
{
	struct ent *e = E(b, x);
	unsigned op = ev->tlbi, f = arm64_tlbi_flags(op), part;
	bool bcast = f & (TLBI_F_IS | TLBI_F_OS);
	uint64_t rlo, rhi;
	int lvl;

	if (!(e->flags & F_PEND))
		return;
	struct pend *p = P(b, e);
	if (ev->seq <= p->brk.seq)
		return;
	enum cov cv = covers(b, ev, e, &part, &rlo, &rhi);
	if (cv == COV_REGIME)
		return;
	if (cv == COV_VA || cv == COV_TG || cv == COV_ASID || cv == COV_VMID) {
		/* A TLBI of the right regime from the CPU that changed the entry, that missed
		 * it: remembered to name it if nothing else covers the entry. */
		if (ev->cpu == p->brk.cpu) {
			p->miss = step_of(ev);
			p->miss.why = (uint8_t)cv;
		} else if (b->nmiss < MISS_MAX) {
			/* another CPU's: named too if the TLBI covers nothing (a stray) */
			b->miss[b->nmiss].x = x;
			b->miss[b->nmiss++].why = (uint8_t)cv;
		}
		return;
	}
	/* Which TLBs it reaches: every CPU for a broadcast op, else the issuing one. A TLBI
	 * that reaches none of the CPUs that may hold the entry does nothing for it. */
	cpuset reach = {{0}};
	if (bcast)
		reach = b->all;
	else
		cs_add(&reach, ev->cpu);
	if (!cs_meets(&reach, &p->holders)) {
		p->unreach = step_of(ev);
		return;
	}
	*hit = true;
	if (cv == COV_LAST || cv == COV_ASID_GLOBAL) {
		p->bad = step_of(ev);
		p->bad.why = (uint8_t)cv;
		return;
	}
	if (ttl_wrong(b, ev, e, &lvl)) {
		if (b->ttl_seq != ev->seq) {
			b->ttl_seq = ev->seq;
			char hint[48];
			struct step at = step_of(ev);
			if (lvl == -2)
				snprintf(hint, sizeof(hint), "TTL %#x (not a level of the %s granule)",
					 (f & TLBI_F_RANGE) ? (unsigned)TLBI_RANGE_TTL(ev->arg)
							    : (unsigned)TLBI_TTL(ev->arg),
					 desc_granule_name(T(b, e)->fmt.granule));
			else
				snprintf(hint, sizeof(hint), "level %d", lvl);
			bool tab = is_table(b, e->table, p->old, e->level);
			report(b, R_TTL, e, &at,
			       "tlbi %s at line %u carries a TTL hint of %s, but the entry it must "
			       "remove is a %s at level %d%s; with a wrong hint the architecture "
			       "requires no invalidation at all%s",
			       arm64_tlbi_name(op), ev->line, hint, tab ? "table entry" : "leaf",
			       e->level,
			       tab ? " (only TTL = 0 removes a table entry and the leaves below it)"
				   : "",
			       (b->ctx->features & FM_FEAT_TTL)
				   ? ""
				   : " (the CPUs here ignore TTL, others will not)");
		}
		e->flags |= F_TTLBAD;
		if (b->ctx->features & FM_FEAT_TTL)
			return;
	}
	if (part == PART_S1 && !covered_all(p, &p->done)) {
		if (!p->s1early.seq)
			p->s1early = step_of(ev);
		return;
	}
	/* DSB before the TLBI, after the store (D8.16.1 step 2): on the issuing CPU (or the
	 * storing CPU), store-ordering, and at least ISH unless only this CPU walks the table. */
	bool wide = bcast || !cs_only(&p->holders, ev->cpu);
	const struct cpu_state *ci = &b->cpus[ev->cpu], *cb = &b->cpus[p->brk.cpu];
	uint64_t sw = ci->dsb_wide_seq > cb->dsb_wide_seq ? ci->dsb_wide_seq : cb->dsb_wide_seq;
	uint64_t sa = ci->dsb_any_seq > cb->dsb_any_seq ? ci->dsb_any_seq : cb->dsb_any_seq;
	if (part != PART_S1) {
		if (sw > p->brk.seq || (!wide && sa > p->brk.seq)) {
			p->bef_state = BEF_OK;
		} else if (sa > p->brk.seq) {
			p->bef_state = BEF_NARROW;
			const struct cpu_state *cn = ci->dsb_any_seq > p->brk.seq ? ci : cb;
			p->bef = cn->dsb_narrow;
		} else {
			p->bef_state = BEF_NONE;
		}
	}
	e->flags |= F_ATT;
	if (bcast)
		e->flags &= (uint16_t)~F_LOCAL;
	else
		e->flags |= F_LOCAL;
	p->att = step_of(ev);
	p->att_part = (uint8_t)part;
	p->aft_state = AFT_NONE;
	memset(&p->aft, 0, sizeof(p->aft));
	/* The domain of the DSB that completes it is judged for this attempt only. */
	memset(&p->narrow, 0, sizeof(p->narrow));
	infl_add(b, x, ev, part);
}

static void on_tlbi(struct bbm *b, const struct fm_event *ev)
{
	unsigned f = arm64_tlbi_flags(ev->tlbi);
	bool hit = false;

	if (ev->tlbi >= TLBI_NR_OPS)
		return;
	b->nmiss = 0;
	if (f & (TLBI_F_ALL | TLBI_F_ASID | TLBI_F_RANGE)) {
		uint32_t y, next;
		for (y = b->pend_head; y; y = next) {
			next = PD(b, y)->pnext;
			on_tlbi_cover(b, PD(b, y)->owner, ev, &hit);
		}
	} else {
		uint64_t a = arm64_tlbi_addr(ev->tlbi, ev->arg);
		for (unsigned t = 0; t < b->ntables; t++) {
			const struct tbl *tb = TB(b, t);
			if (!arm64_tlbi_reaches_regime(f, tb->regime))
				continue;
			for (int l = tb->minlvl; l <= 3; l++) {
				uint32_t x = lookup(b, t, l, a & ~(lsize(b, t, l) - 1));
				if (x)
					on_tlbi_cover(b, x, ev, &hit);
			}
		}
	}
	if (!hit) {
		b->cpus[ev->cpu].stray = step_of(ev);
		/* A TLBI that covered nothing pending was meant for something it missed
		 * (say a lazy purge on another CPU with a range that decodes short). */
		for (unsigned i = 0; i < b->nmiss; i++) {
			struct ent *e = E(b, b->miss[i].x);
			if (!(e->flags & F_PEND) || P(b, e)->miss.seq)
				continue;
			P(b, e)->miss = step_of(ev);
			P(b, e)->miss.why = b->miss[i].why;
		}
	}
	if (f & (TLBI_F_ALL | TLBI_F_ASID)) {
		/* Whole-regime: when complete, what it removed decides who still holds what. */
		struct cpu_state *c = &b->cpus[ev->cpu];
		if (c->nallops == c->callops) {
			uint32_t nc = c->callops ? c->callops * 2 : 8;
			struct allop *na = realloc(c->allops, nc * sizeof(*na));
			if (!na)
				return;
			c->allops = na;
			c->callops = nc;
		}
		struct allop *a = &c->allops[c->nallops++];
		unsigned vmid = 0;
		a->att = step_of(ev);
		a->has_vmid = tlbi_vmid(b, ev, &vmid);
		a->vmid = (uint16_t)vmid;
	}
}

static void allop_done(struct bbm *b, const struct allop *a, const cpuset *reach);

static void on_dsb(struct bbm *b, const struct fm_event *ev)
{
	struct cpu_state *c = &b->cpus[ev->cpu];
	unsigned type = BAR_TYPE(ev->bar);
	int rank = dom_rank(ev->bar);

	if (type == BAR_TYPE_LD || type == 0)
		; /* a load-only DSB orders neither the break store nor completes a TLBI */
	else {
		c->dsb_any_seq = ev->seq;
		if (rank >= 1)
			c->dsb_wide_seq = ev->seq;
		else
			c->dsb_narrow = step_of(ev);
	}
	/* Completion of this CPU's TLBIs (D8.17.4): a full DSB whose domain covers the op. */
	uint32_t keep = 0, n = c->ninfl;
	for (uint32_t i = 0; i < n; i++) {
		struct infl f = c->infl[i];
		uint32_t x = f.x;
		struct ent *e = E(b, x);
		if (!(e->flags & F_PEND) || e->pd != f.pd || P(b, e)->brk.seq != f.brk_seq)
			continue; /* void: the record was cleared or restarted */
		struct pend *p = P(b, e);
		bool latest = f.att.seq == p->att.seq;
		unsigned fl = arm64_tlbi_flags(f.att.op);
		int need = (fl & TLBI_F_OS) ? 2 : (fl & TLBI_F_IS) ? 1 : 0;
		if (type != BAR_TYPE_ALL || rank < need) {
			if (latest && type == BAR_TYPE_ST && p->aft_state == AFT_NONE) {
				p->aft_state = AFT_ST;
				p->aft = step_of(ev);
			} else if (latest && type == BAR_TYPE_ALL) {
				p->aft_state = AFT_NARROW;
				p->aft = step_of(ev);
			}
			c->infl[keep++] = f;
			continue;
		}
		cpuset reach = {{0}};
		if (fl & (TLBI_F_IS | TLBI_F_OS))
			reach = b->all;
		else
			cs_add(&reach, ev->cpu);
		if (latest && !cs_only(&p->holders, ev->cpu) && rank < 1 && !p->narrow.seq)
			p->narrow = step_of(ev);
		if (f.part & PART_PRIMARY)
			cs_or(&p->done, &reach);
		if (f.part & PART_S1)
			cs_or(&p->s1done, &reach);
		if (!(fl & (TLBI_F_IS | TLBI_F_OS)))
			p->local = f.att;
		p->cmpl = step_of(ev);
		if (latest)
			infl_unlink(b, x);
		c->maint = step_of(ev);
		e->isb_cpu = ev->cpu;
		e->isb_seq = ev->seq;
		e->isb_line = ev->line;
		e->isb_pc = ev->pc;
		e->flags &= (uint16_t)~F_ISBMAKE;
		if (fully_covered(b, e))
			on_covered(b, x);
	}
	/* Whole-regime TLBIs of this CPU this DSB completes. */
	if (type == BAR_TYPE_ALL && c->nallops) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < c->nallops; i++) {
			const struct allop *a = &c->allops[i];
			unsigned fl = arm64_tlbi_flags(a->att.op);
			int need = (fl & TLBI_F_OS) ? 2 : (fl & TLBI_F_IS) ? 1 : 0;
			if (rank < need) {
				c->allops[k++] = *a;
				continue;
			}
			cpuset reach = {{0}};
			if (fl & (TLBI_F_IS | TLBI_F_OS))
				reach = b->all;
			else
				cs_add(&reach, ev->cpu);
			allop_done(b, a, &reach);
		}
		c->nallops = k;
	}
	/* (on_covered() never adds to this CPU's list: the kept ones move down) */
	if (c->ninfl == n)
		c->ninfl = keep;
	else {
		memmove(c->infl + keep, c->infl + n, (c->ninfl - n) * sizeof(*c->infl));
		c->ninfl = keep + (c->ninfl - n);
	}
}

/* Contiguous set (D8.7.1): live members must agree on OA and attributes. */
static void check_contiguous(struct bbm *b, uint32_t x, const struct fm_event *ev)
{
	struct ent *e = E(b, x);
	const struct tbl *t = T(b, e);
	unsigned ne = desc_fmt_contig_entries(&t->fmt, e->level);
	uint64_t sz = esize(b, e), span = ne * sz, base = e->va & ~(span - 1);
	uint64_t attr = (t->regime == FM_REGIME_S2 ? 0x3cull : 0x3cull | DESC_NS) |
			(t->fmt.lpa2 ? 0 : 3ull << 8);

	if (!ne)
		return;
	for (unsigned i = 0; i < ne; i++) {
		uint64_t va = base + i * sz;
		if (va == e->va)
			continue;
		uint32_t y = lookup(b, e->table, e->level, va);
		if (!y)
			continue;
		const struct ent *s = E(b, y);
		if (!cacheable(b, s->table, s->cur, s->level) || is_table(b, s->table, s->cur, s->level) ||
		    !((s->cur | e->cur) & DESC_CONT))
			continue;
		bool oa = leaf_oa(b, s->table, s->cur, s->level) - (va - base) !=
			  leaf_oa(b, e->table, e->cur, e->level) - (e->va - base);
		bool at = (s->cur ^ e->cur) & attr;
		if (oa || at) {
			struct step st = step_of(ev);
			b->ov_old = ev->old;
			b->ov_set = true;
			report(b, R_CONT, e, &st,
			       "va %#" PRIx64 " in the same contiguous set (%#" PRIx64 "-%#" PRIx64
			       ") is live with %s; changing part of a live contiguous set needs BBM "
			       "of all %u entries (break all, TLBI all, then make all)",
			       va, base, base + span - 1,
			       oa ? "an output address that does not follow this entry's"
				  : "other memory attributes",
			       ne);
			return;
		}
	}
}

/* Leaves below a table entry just removed become pending: they may still be cached
 * (D8.17.1: a TLBI by VA removes the walk-cache entry, not other VAs' leaves). */
static void orphan_leaves(struct bbm *b, unsigned t, int L, uint64_t va, const struct fm_event *ev)
{
	uint64_t lo = va, hi = va + lsize(b, t, L) - 1, pseq = ev->seq, n = 0;

	/* Enumerate the addresses below when there are few, else scan the records. */
	for (int l = L + 1; l <= 3; l++)
		n += lsize(b, t, L) / lsize(b, t, l);
	if (n <= 8192 && n < b->nused) {
		for (int l = L + 1; l <= 3; l++)
			for (uint64_t a = lo, s = lsize(b, t, l); a <= hi && a >= lo; a += s) {
				uint32_t i = lookup(b, t, l, a);
				if (!i)
					continue;
				struct ent *o = E(b, i);
				if ((o->flags & F_PEND) || !cacheable(b, t, o->cur, o->level))
					continue;
				if (!pend_start(b, i, o->cur, ev))
					return;
				o = E(b, i);
				o->flags |= F_ORPHAN;
				P(b, o)->orphan_of = pseq;
				b->norphans++;
			}
		return;
	}
	for (uint32_t i = 1; i <= b->npool; i++) {
		struct ent *o = E(b, i);
		if (!(o->flags & F_USED) || o->table != t || o->level <= L || o->va < lo ||
		    o->va > hi)
			continue;
		if ((o->flags & F_PEND) || !cacheable(b, t, o->cur, o->level))
			continue;
		if (!pend_start(b, i, o->cur, ev))
			return;
		o = E(b, i);
		o->flags |= F_ORPHAN;
		P(b, o)->orphan_of = pseq;
		b->norphans++;
	}
}

/*
 * D8.15 (VMIDs): entries of the EL1&0 regime, stage 1 and stage 2, are tagged
 * with the VMID and used only by translations under the current VMID. A table
 * tagged with a VMID that no CPU has current is dormant: what TLBs cached
 * from it stays there, but nothing uses it or caches more of it until a CPU
 * makes the VMID current again, so a change to it owes its maintenance only
 * by then (KVM frees a dead VM's stage 2 without a TLBI and flushes the VMID
 * before giving it out again; a hypervisor changes a stage 2 whose vCPUs do
 * not run). A CPU whose VMID the trace never showed may have any current.
 */
static bool tbl_dormant(const struct bbm *b, unsigned t)
{
	const struct tbl *tb = TB(b, t);

	if (!tb->has_vmid || (tb->regime != FM_REGIME_EL1 && tb->regime != FM_REGIME_S2))
		return false;
	for (unsigned c = 0; c < b->ncpus; c++)
		if (!b->cpus[c].has_vmid || b->cpus[c].vmid == tb->vmid)
			return false;
	return true;
}

/*
 * A store to a dormant table (tbl_dormant()): no finding now. A change that
 * needs maintenance makes the translation that TLBs may hold pending (the
 * first one: nothing new is cached while dormant), judged as any other once
 * the VMID is current again: when the entry is made or used (a TLBI by IPA
 * under the VMID, loaded only for it, covers it before that).
 */
static void on_pte_dormant(struct bbm *b, uint32_t x, uint64_t old, bool oc,
			   const struct fm_event *ev)
{
	struct ent *e = E(b, x);
	unsigned t = e->table;
	int L = e->level;
	uint64_t d = (old ^ ev->new) & ~DESC_SW_MASK;
	bool nc = cacheable(b, t, ev->new, L);
	bool owes = oc && d && !(nc && relax_only(b, t, L, old, ev->new)) &&
		    !(d == DESC_AF && is_valid(b, t, ev->new, L) && !is_table(b, t, old, L));

	if (owes && !(e->flags & F_PEND)) {
		if (!pend_start(b, x, old, ev))
			return;
		if (is_table(b, t, old, L) && !is_table(b, t, ev->new, L))
			orphan_leaves(b, t, L, e->va, ev);
		e = E(b, x);
	}
	if (!(e->flags & F_PEND))
		maybe_free(b, x);
}

static void on_pte(struct bbm *b, const struct fm_event *ev)
{
	unsigned t = ev->table < b->ntables ? ev->table : 0;
	int L = ev->level;
	const struct tbl *tb = TB(b, t);

	if (L < tb->minlvl || L > 3)
		return;
	uint64_t va = ev->va & ~(lsize(b, t, L) - 1);
	uint64_t old = ev->old;
	bool oc = cacheable(b, t, old, L), nc = cacheable(b, t, ev->new, L);
	bool nvalid = is_valid(b, t, ev->new, L);
	uint32_t x = lookup(b, t, L, va);

	if (!x) {
		if (!oc && !nvalid)
			return; /* invalid to invalid: nothing cached, nothing live */
		x = get(b, t, L, va, old);
		if (!x)
			return;
	}
	struct ent *e = E(b, x);
	/* The entry with AF still set may be cached since an AF-only clear (below). */
	if ((e->flags & F_AFSTALE) && !oc && cacheable(b, t, old | DESC_AF, L)) {
		old |= DESC_AF;
		oc = true;
	}
	e->flags &= (uint16_t)~F_AFSTALE;
	set_cur(b, e, ev->new);

	/* A table no CPU has loaded is in no TLB: any change is safe (D8.16.1). */
	if (!cs_any(&tb->walkers) && !(e->flags & F_PEND)) {
		maybe_free(b, x);
		return;
	}
	if (tbl_dormant(b, t)) {
		on_pte_dormant(b, x, old, oc, ev);
		return;
	}
	if (oc && nc) {
		/* valid -> valid: the old translation stays cached until a TLBI completes */
		const char *why;
		bool cont;
		if (((old ^ ev->new) & ~DESC_SW_MASK) == 0)
			return;
		bool need = needs_bbm(b, t, L, old, ev->new, &why, &cont);
		if (!need && relax_only(b, t, L, old, ev->new)) {
			/* only grants more: a TLB keeping the old entry can only fault */
			if (b->ncont && L >= 1)
				check_contiguous(b, x, ev);
			return;
		}
		if (!need && split_equivalent(b, t, L, va, old, ev->new)) {
			/* FEAT_BBM level 2: the lingering block translates as the new table */
			if (e->flags & F_PEND)
				pend_clear(b, x);
			return;
		}
		if (e->flags & F_PEND)
			pend_clear(b, x); /* superseded: restart from this store */
		if (!pend_start(b, x, old, ev))
			return;
		e = E(b, x);
		if (need) {
			struct step at = step_of(ev);
			if (cont)
				report(b, R_CONT, e, &at,
				       "%s on a live entry without break-before-make: write the whole "
				       "contiguous set invalid, TLBI every entry, then write the new "
				       "entries",
				       why);
			else
				report(b, R_V2V, e, &at,
				       "a valid entry is overwritten by another valid entry and %s, "
				       "which needs break-before-make: write it invalid, dsb ishst, "
				       "tlbi %s, dsb ish, then write the new entry",
				       why, suggest_op(b, t, is_table(b, t, old, L)));
			e->flags |= F_STALE; /* one finding for the change, not a second at the end */
		} else if (b->ncont && L >= 1) {
			check_contiguous(b, x, ev);
		}
		if (is_table(b, t, old, L) && !is_table(b, t, ev->new, L))
			orphan_leaves(b, t, L, va, ev);
		return;
	}
	if (oc && nvalid && !is_table(b, t, old, L) && ((old ^ ev->new) & ~DESC_SW_MASK) == DESC_AF) {
		/*
		 * Only the Access flag cleared (Linux's ptep_test_and_clear_young()): a
		 * TLB keeping the entry with AF set translates the same; the page only
		 * looks young longer. Not a change to maintain, but the old entry may
		 * still be cached when the entry is next removed (F_AFSTALE).
		 */
		if (!(e->flags & F_PEND))
			e->flags |= F_AFSTALE;
		return;
	}
	if (oc) {
		/* break: the old translation may be cached until a TLBI completes */
		if (!pend_start(b, x, old, ev))
			return;
		if (is_table(b, t, old, L))
			orphan_leaves(b, t, L, va, ev);
		return;
	}
	if (nc) {
		/* make */
		const char *why;
		bool cont;
		struct pend *p = (e->flags & F_PEND) ? P(b, e) : NULL;
		if (p && !(e->flags & F_ORPHAN) && !fully_covered(b, e) &&
		    !is_table(b, t, p->old, L) && !is_table(b, t, ev->new, L) &&
		    !needs_bbm(b, t, L, p->old, ev->new, &why, &cont)) {
			/*
			 * Broken and made again into what could have replaced the old entry
			 * directly (D8.16.1: no BBM needed): a TLB holding the old one is
			 * as harmless as after that change, which it now is; its
			 * maintenance is still owed (stale-tlb), unless nothing changed.
			 */
			if (((p->old ^ ev->new) & ~DESC_SW_MASK) == 0 || relax_only(b, t, L, p->old, ev->new))
				pend_clear(b, x);
		} else if (p) {
			bool tab = is_table(b, t, p->old, L);
			if (!fully_covered(b, e)) {
				bool had_att = (e->flags & F_ATT) || p->bad.seq;
				judge(b, x, WHY_MAKE, ev);
				if (tab && had_att)
					drop_orphans(b, x, true, ev);
			} else if (tab) {
				drop_orphans(b, x, true, ev);
			}
			pend_clear(b, x);
		} else if (b->norphans && L < 3) {
			drop_orphans(b, x, true, ev);
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
			bool maint = mc->maint.seq > mc->isb_seq;

			e->isb_seq = ev->seq;
			e->isb_cpu = ev->cpu;
			e->isb_line = maint ? mc->maint.line : ev->line;
			e->isb_pc = maint ? mc->maint.pc : ev->pc;
			if (maint)
				e->flags &= (uint16_t)~F_ISBMAKE;
			else
				e->flags |= F_ISBMAKE;
		}
		if (b->ncont && L >= 1)
			check_contiguous(b, x, ev);
		return;
	}
	/* invalid, or valid but not cacheable yet (AF = 0, nT): nothing to judge now */
	maybe_free(b, x);
}

/* An entry changed without a store the recorder saw (section 3a): take the value, judge nothing. */
static void on_unseen(struct bbm *b, const struct fm_event *ev)
{
	unsigned t = ev->table < b->ntables ? ev->table : 0;
	int L = ev->level;

	if (L < TB(b, t)->minlvl || L > 3)
		return;
	uint64_t va = ev->va & ~(lsize(b, t, L) - 1);
	uint32_t x = lookup(b, t, L, va);
	if (!x) {
		if (!is_valid(b, t, ev->new, L))
			return;
		x = get(b, t, L, va, ev->new);
		if (!x)
			return;
	}
	struct ent *e = E(b, x);
	e->flags &= (uint16_t)~F_AFSTALE;
	set_cur(b, e, ev->new);
	maybe_free(b, x);
}

/*
 * Would the old translation give this access the same outcome as the entry in
 * memory now? A TLB keeping the old entry then changes nothing for it (D8.16.1:
 * either may be used until the maintenance completes). Both must be leaves
 * with the same output address and attributes; the permissions that differ
 * must not apply to the access: an instruction fetch ignores write permission
 * (AP[2], S2AP[1]; taking SCTLR_ELx.WXN as 0, which a trace does not carry),
 * a data access (a load or a store: the trace does not say which) the execute
 * permissions and GP. DBM, AF set in both, nG, the contiguous hint and
 * software bits change no outcome.
 */
static bool same_for_access(const struct bbm *b, const struct ent *e, uint64_t old, bool exec)
{
	unsigned t = e->table;
	uint64_t free = DESC_SW_MASK | DESC_DBM | DESC_NG | DESC_CONT;

	if (!cacheable(b, t, old, e->level) || !cacheable(b, t, e->cur, e->level) ||
	    is_table(b, t, old, e->level) || is_table(b, t, e->cur, e->level))
		return false;
	if (exec)
		free |= DESC_AP2;
	else
		free |= DESC_XN | DESC_PXN | DESC_GP;
	return ((old ^ e->cur) & ~free) == 0;
}

static void on_access(struct bbm *b, const struct fm_event *ev)
{
	struct cpu_state *c = &b->cpus[ev->cpu];

	for (unsigned t = 0; t < b->ntables; t++) {
		const struct tbl *tb = TB(b, t);
		if (!cs_has(&tb->walkers, ev->cpu))
			continue;
		if ((ev->flags & FM_EVF_TABLE) && ev->table != t)
			continue;
		for (int l = tb->minlvl; l <= 3; l++) {
			uint32_t x = lookup(b, t, l, ev->va & ~(lsize(b, t, l) - 1));
			if (!x)
				continue;
			struct ent *e = E(b, x);
			if ((e->flags & F_PEND) && !(e->flags & F_STALE)) {
				struct pend *p = P(b, e);
				if (cs_has(&p->holders, ev->cpu) &&
				    (!cs_has(&p->done, ev->cpu) ||
				     (tb->regime == FM_REGIME_S2 && !cs_has(&p->s1done, ev->cpu))) &&
				    !same_for_access(b, e, p->old, ev->flags & FM_EVF_EXEC)) {
					struct step at = step_of(ev);
					e->flags |= F_STALE;
					report(b, R_STALE, e, &at,
					       "cpu%u uses va %#" PRIx64 " while its TLB may still hold "
					       "the translation removed or changed at line %u: no "
					       "completed TLBI reached cpu%u before this access",
					       ev->cpu, ev->va, p->brk.line, ev->cpu);
				}
			}
			if (e->isb_seq && e->isb_cpu == ev->cpu && c->isb_seq < e->isb_seq) {
				bool make = e->flags & F_ISBMAKE;
				/* FEAT_ETS2: a data access after the make's DSB cannot fault
				 * on the old invalid entry; a fetch still needs the ISB. */
				if (make && (b->ctx->features & FM_FEAT_ETS2) &&
				    !(ev->flags & FM_EVF_EXEC))
					continue;
				struct step at = step_of(ev);
				report(b, R_ISB, e, &at,
				       "cpu%u uses va %#" PRIx64 " after %s at line %u with no isb "
				       "in between, so it may still use the earlier translation "
				       "(or fault on the old invalid entry): add isb after the dsb",
				       ev->cpu, ev->va,
				       make ? "making the entry valid" : "completing the TLB maintenance",
				       e->isb_line);
				e->isb_seq = 0;
			}
		}
	}
}

/* Pending records (struct ent indexes), snapshotted: judging may drop other members. */
static uint32_t *snapshot(struct bbm *b, size_t *n)
{
	size_t cnt = 0, i = 0;
	uint32_t y, *v;

	for (y = b->pend_head; y; y = PD(b, y)->pnext)
		cnt++;
	v = malloc((cnt ? cnt : 1) * sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	for (y = b->pend_head; y; y = PD(b, y)->pnext)
		v[i++] = PD(b, y)->owner;
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
		if (!(e->flags & F_USED) || !(e->flags & F_PEND))
			continue;
		const struct pend *p = P(b, e);
		uint64_t oa = leaf_oa(b, e->table, p->old, e->level);
		if (is_table(b, e->table, p->old, e->level))
			hit = (oa & ~0xfffull) == pa;
		else
			hit = pa >= oa && pa - oa < esize(b, e);
		if (!hit || fully_covered(b, e) || tbl_dormant(b, e->table))
			continue; /* (dormant: owed by the time the VMID is used again) */
		judge(b, x, WHY_FREE, ev);
		pend_clear(b, x);
		maybe_free(b, x);
	}
	free(v);
}

/* Drops every pending record without a finding (lost events, a cut trace's end). */
static void forget_pending(struct bbm *b)
{
	while (b->pend_head) {
		uint32_t x = PD(b, b->pend_head)->owner;
		pend_clear(b, x);
		maybe_free(b, x);
	}
}

/*
 * cN lost count=C (section 3a): the lost events could have been any store,
 * barrier, TLBI or root load of CPU N, so nothing that was pending can be
 * judged (a lost broadcast TLBI could have covered it) and CPU N's barrier
 * history is unknown. Pending records are forgotten; CPU N's DSB/ISB state is
 * taken as satisfied, its stray TLBI forgotten. Records started after this
 * point are judged on what follows, which was all seen.
 */
static void on_lost(struct bbm *b, const struct fm_event *ev)
{
	struct cpu_state *c = &b->cpus[ev->cpu];

	b->lost += ev->arg;
	forget_pending(b);
	c->dsb_wide_seq = c->dsb_any_seq = ev->seq;
	memset(&c->dsb_narrow, 0, sizeof(c->dsb_narrow));
	memset(&c->stray, 0, sizeof(c->stray));
	memset(&c->maint, 0, sizeof(c->maint));
	c->isb_seq = ev->seq; /* a lost ISB satisfies every watch of this CPU */
}

/*
 * cN use table=T [asid=] [vmid=] [replaces=U] (section 3a): CPU N loaded T's
 * root and may cache its entries from now on. The root it replaces (U, or for
 * the one-root regimes EL2 and stage 2 the table it loaded last) is no longer
 * loaded, but its entries stay in N's TLB until a whole-regime TLBI reaches N
 * (allop_done()). The tags, when given, are the table's from now on.
 */
static void on_use(struct bbm *b, const struct fm_event *ev)
{
	unsigned t = ev->table < b->ntables ? ev->table : 0, c = ev->cpu;
	struct tbl *tb = &b->tables[t];
	struct cpu_state *cs = &b->cpus[c];

	if (ev->flags & FM_EVF_ASID) {
		tb->has_asid = true;
		tb->asid = (uint16_t)TLBI_ASID(ev->arg);
	}
	if (ev->flags & FM_EVF_VMID) {
		tb->has_vmid = true;
		tb->vmid = ev->vmid;
	}
	if ((ev->flags & FM_EVF_REPLACES) && ev->ptep < b->ntables && ev->ptep != t) {
		b->tables[ev->ptep].loaded.w[c / 64] &= ~(1ull << (c % 64));
	} else if (tb->regime == FM_REGIME_EL2 || tb->regime == FM_REGIME_S2) {
		uint32_t prev = cs->cur[tb->regime];
		if (prev && prev - 1 != t && prev - 1 < b->ntables)
			b->tables[prev - 1].loaded.w[c / 64] &= ~(1ull << (c % 64));
		cs->cur[tb->regime] = t + 1;
	}
	/*
	 * A CPU that loads the root before the storing CPU's DSB made a pending
	 * change visible to it (D8.2.6: only a DSB of a domain that includes it
	 * does) may walk the old entry: it holds the old translation too.
	 */
	if (tb->npend && !cs_has(&tb->walkers, c)) {
		for (uint32_t y = b->pend_head; y; y = PD(b, y)->pnext) {
			struct pend *p = PD(b, y);
			const struct ent *e = E(b, p->owner);
			if (e->table == t && b->cpus[p->brk.cpu].dsb_wide_seq < p->brk.seq)
				cs_add(&p->holders, c);
		}
	}
	cs_add(&tb->walkers, c);
	cs_add(&tb->loaded, c);
	/* The current VMID: a stage 2's, or the one an EL1&0 root is loaded under. */
	if ((tb->regime == FM_REGIME_S2 && tb->has_vmid) || (ev->flags & FM_EVF_VMID)) {
		cs->vmid = tb->vmid;
		cs->has_vmid = true;
	}
}

/*
 * A whole-regime TLBI (or one by ASID) completed on the CPUs in reach: they
 * hold nothing more of the tables of its regime they no longer have loaded
 * (D8.17: ALL operations remove every entry of the regime, of the VMID where
 * it applies; ASIDE1 every non-global one of the ASID, which is all of a
 * table's when none of its known leaves is global).
 */
static void allop_done(struct bbm *b, const struct allop *a, const cpuset *reach)
{
	unsigned f = arm64_tlbi_flags(a->att.op);

	for (unsigned t = 0; t < b->ntables; t++) {
		struct tbl *tb = &b->tables[t];
		if (!tb->dynamic || !arm64_tlbi_reaches_regime(f, tb->regime))
			continue;
		if (tb->regime == FM_REGIME_S2 && !(f & TLBI_F_S2))
			continue; /* vmalle1* leaves the stage-2 entries */
		if ((tb->regime == FM_REGIME_EL1 || tb->regime == FM_REGIME_S2) && tb->has_vmid &&
		    !(f & TLBI_F_ALLVMID) && a->has_vmid && a->vmid != tb->vmid)
			continue;
		if ((f & TLBI_F_ASID) && !(tb->has_asid && tb->asid == TLBI_ASID(a->att.arg) &&
					   !tb->nglobal))
			continue;
		for (unsigned i = 0; i < NW; i++)
			tb->walkers.w[i] &= ~(reach->w[i] & ~tb->loaded.w[i]);
	}
}

void bbm_event(struct bbm *b, const struct fm_event *in)
{
	struct fm_event e2;
	const struct fm_event *ev = &e2;

	if (!b)
		return;
	if (in->type == FM_EV_TABLE || in->type == FM_EV_CUT) {
		tables_sync(b);
		return;
	}
	if (in->cpu >= b->ncpus)
		return;
	/* The model orders events by their position in the stream (never 0), whatever
	 * the source's own numbering; lines are only for messages (0 when live). */
	e2 = *in;
	e2.seq = ++b->events;
	switch (ev->type) {
	case FM_EV_PTE:
		on_pte(b, ev);
		break;
	case FM_EV_DSB:
		on_dsb(b, ev);
		break;
	case FM_EV_DMB:
		b->cpus[ev->cpu].dmb = step_of(ev);
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
	case FM_EV_USE:
		on_use(b, ev);
		break;
	case FM_EV_LOST:
		on_lost(b, ev);
		break;
	case FM_EV_UNSEEN:
		on_unseen(b, ev);
		break;
	default:
		break;
	}
}

static int by_orphan_of(const void *a, const void *c, void *arg)
{
	const struct bbm *b = arg;
	const struct ent *x = E(b, *(const uint32_t *)a), *y = E(b, *(const uint32_t *)c);
	uint64_t i = P(b, x)->orphan_of, j = P(b, y)->orphan_of;

	return i < j ? -1 : i > j;
}

void bbm_finish(struct bbm *b)
{
	struct fm_event end;
	size_t n, i, j;
	uint32_t *v;

	if (!b || !b->pend_head)
		return;
	/* A cut trace: the system went on, maintenance still pending may complete later. */
	if (b->ctx->cut) {
		forget_pending(b);
		return;
	}
	memset(&end, 0, sizeof(end));
	/* Dormant tables owe their maintenance only before their VMID is used again. */
	v = snapshot(b, &n);
	for (i = 0; i < n; i++)
		if ((E(b, v[i])->flags & F_PEND) && tbl_dormant(b, E(b, v[i])->table)) {
			pend_clear(b, v[i]);
			maybe_free(b, v[i]);
		}
	free(v);
	/* Entries first (a table entry's verdict covers the leaves below it)... */
	v = snapshot(b, &n);
	for (i = 0; i < n; i++) {
		struct ent *e = E(b, v[i]);
		if (!(e->flags & F_USED) || !(e->flags & F_PEND) || (e->flags & F_ORPHAN))
			continue;
		if (!fully_covered(b, e))
			judge(b, v[i], WHY_END, &end);
		pend_clear(b, v[i]);
		maybe_free(b, v[i]);
	}
	free(v);
	/* ...then the leaves below removed table entries, one finding per table entry. */
	v = snapshot(b, &n);
	qsort_r(v, n, sizeof(*v), by_orphan_of, b);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && P(b, E(b, v[j]))->orphan_of == P(b, E(b, v[i]))->orphan_of;
		     j++)
			;
		struct ent *e = E(b, v[i]);
		struct pend *p = P(b, e);
		struct step at = p->brk;
		report(b, R_STALE, e, &at,
		       "the table entry removed at line %u had %zu cached entr%s below it (first va "
		       "%#" PRIx64 ") that were never invalidated before the trace ended: add a TLBI "
		       "for each (tlbi %s) or a whole-regime TLBI",
		       p->brk.line, j - i, j - i == 1 ? "y" : "ies", e->va, suggest(b, e));
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
	b->ctx = ctx;
	b->ncpus = ctx->ncpus == 0 ? 1 : ctx->ncpus > FM_MAX_CPUS ? FM_MAX_CPUS : ctx->ncpus;
	b->policy = p;
	b->fn = fn;
	b->arg = arg;
	for (unsigned c = 0; c < b->ncpus; c++)
		cs_add(&b->all, c);
	b->cpus = calloc(b->ncpus, sizeof(*b->cpus));
	b->nslots = 256;
	b->slots = calloc(b->nslots, sizeof(*b->slots));
	if (!b->cpus || !b->slots || !tables_sync(b)) {
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

void bbm_set_symbolizer(struct bbm *b, bbm_symbolize_fn fn, void *arg)
{
	if (b) {
		b->sym = fn;
		b->sym_arg = arg;
	}
}

void bbm_free(struct bbm *b)
{
	if (!b)
		return;
	for (unsigned c = 0; b->cpus && c < b->ncpus; c++) {
		free(b->cpus[c].infl);
		free(b->cpus[c].allops);
	}
	free(b->cpus);
	free(b->pool);
	free(b->pds);
	free(b->slots);
	free(b->tables);
	free(b);
}

uint64_t bbm_seq(const struct bbm *b)
{
	return b ? b->events : 0;
}

void bbm_get_stats(const struct bbm *b, struct bbm_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->events = b->events;
	s->entries = b->nused;
	s->peak_entries = b->peak;
	s->lost = b->lost;
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
	print_obj_begin(NULL);
	bbm_finding_print_fields(f);
	print_obj_end();
}

void bbm_finding_print_fields(const struct bbm_finding *f)
{
	char oa[160], na[160], lv[8];
	int level = f->level;

	desc_format_raw_fmt(&f->fmt, f->old, level, 0, oa, sizeof(oa));
	desc_format_raw_fmt(&f->fmt, f->new, level, 0, na, sizeof(na));
	snprintf(lv, sizeof(lv), "L%d", level);
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
	print_int("level", NULL, level);
	print_text("%s ", lv);
	print_hex("va", "va=%#" PRIx64 ": ", f->va);
	if (f->has_pc) {
		print_hex("pc", "pc=%#" PRIx64, f->pc);
		if (f->sym[0])
			print_str("symbol", " (%s)", f->sym);
		print_text(": ");
	}
	print_str("message", "%s", f->message);
	print_hex("old", " [old %#" PRIx64, f->old);
	print_str("old_attrs", " (%s)", oa);
	print_hex("new", ", new %#" PRIx64, f->new);
	print_str("new_attrs", " (%s)]", na);
}
