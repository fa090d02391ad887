/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the break-before-make checker (bbm.c) on random well-formed
 * traces, read through the trace reader (trace_text.c) as `check` reads them.
 *
 * Input: bytes that drive a generator. It declares 1 to 8 CPUs and 1 to 4
 * tables (shared, private, dynamic; every regime; the 4K granule mostly, 16K,
 * 64K and LPA2 sometimes; ASIDs and VMIDs), features, then up to 96 events
 * drawn from small sets of addresses, levels and descriptors, so that breaks,
 * makes, TLBIs that cover or miss, barriers of every domain, accesses, frees,
 * root loads, lost events and unseen changes meet on the same entries. The
 * trace is written as a person would write it: comments, blank lines, keys in
 * any order, numbers in hex or decimal, va= or arg= for TLBI operands.
 *
 * Promises checked:
 *  - the trace reads back (the generator writes well-formed traces, and the
 *    reader takes them); no crash, hang or sanitizer report in the checker;
 *  - every finding names a rule of DESIGN.md section 4, with its severity
 *    (missing-isb is the only warning), a CPU of the trace and the line of an
 *    event of the trace;
 *  - renaming: the same trace with other table names and the CPUs renumbered
 *    by a permutation gives the same findings, their CPUs renumbered alike;
 *  - re-saving: the events as the trace writer writes them (trace --save)
 *    read back and give the same findings (compared by event, not by line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "bbm.h"
#include "desc.h"
#include "trace_text.h"

#define MAX_CPUS 8
#define MAX_TABLES 4
#define MAX_EVENTS 96
#define MAX_FINDINGS 2048

/* ---- input bytes ---- */

static const uint8_t *in;
static size_t in_len, in_pos;

static unsigned byte(void) { return in_pos < in_len ? in[in_pos++] : 0; }
static unsigned pick(unsigned n) { return n ? byte() % n : 0; }
static uint64_t u64(void)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | byte();
	return v;
}

/* ---- the trace, as generated ---- */

struct gtable {
	unsigned regime, kind, granule; /* kind: 0 shared, 1 private, 2 dynamic */
	bool lpa2, has_asid, has_vmid;
	unsigned asid, vmid;
	unsigned decl_at; /* declared before event decl_at (0: in the header) */
	unsigned cpus;	  /* private: bitmap */
	uint64_t base;	  /* VA (IPA for s2) the entries are generated around */
};

enum { G_PTE, G_DSB, G_DMB, G_ISB, G_TLBI, G_ACCESS, G_FREE, G_USE, G_LOST, G_UNSEEN };

struct gev {
	unsigned type, cpu, table, bar, op, level, asid, vmid;
	bool exec, va_form, has_asid, has_vmid, has_pc, access_table;
	uint64_t va, old, new, arg, pc, count;
	int replaces; /* use: table index, or -1 */
};

struct gtrace {
	unsigned ncpus, ntables, nev, bbm, features;
	bool cut;
	struct gtable t[MAX_TABLES];
	struct gev e[MAX_EVENTS];
	/* rendering choices, the same for both namings */
	uint8_t style[MAX_EVENTS];
};

static const unsigned regimes[] = {FM_REGIME_EL2, FM_REGIME_EL1, FM_REGIME_S2, FM_REGIME_EL20};
static const unsigned page_shift[] = {12, 14, 16};

/* Bytes an entry at level of table t translates; 0 when the table has no such level. */
static uint64_t level_size(const struct gtable *t, int level)
{
	struct fm_table_decl d;

	memset(&d, 0, sizeof(d));
	d.regime = (uint8_t)t->regime;
	d.granule = (uint8_t)t->granule;
	d.lpa2 = t->lpa2;
	struct desc_fmt f = desc_fmt_of_table(&d);
	if (level < desc_fmt_min_level(&f))
		return 0;
	return desc_fmt_level_size(&f, level);
}

/* A level the table has, mostly the last two. */
static unsigned gen_level(const struct gtable *t)
{
	static const unsigned lv[] = {3, 3, 3, 2, 2, 1};
	unsigned l = lv[pick(6)];
	while (!level_size(t, (int)l))
		l++;
	return l;
}

/* One of four neighbouring entries at a level, around the table's base. */
static uint64_t gen_va(const struct gtable *t, unsigned level)
{
	uint64_t sz = level_size(t, (int)level);
	return (t->base & ~(sz - 1)) + (uint64_t)pick(4) * sz;
}

/* A descriptor for an entry at level: invalid, a leaf or a table, with the
 * attribute bits a change may touch. */
static uint64_t gen_desc(const struct gtable *t, unsigned level)
{
	static const uint64_t pas[] = {0x41000000, 0x41001000, 0x41200000, 0x40000000, 0x80000000};
	uint64_t page = 1ull << page_shift[t->granule], sz = level_size(t, (int)level);
	unsigned k = pick(16);

	if (k < 3)
		return 0;
	if (k == 3)
		return u64() & ~1ull; /* invalid, with stale bits */
	if (k == 4 && level < 3)
		return (pas[pick(5)] & ~(page - 1)) | 3; /* table */
	uint64_t pa = pas[pick(5)] & ~(sz - 1);
	uint64_t d = pa | (level == 3 ? 3 : 1) | DESC_AF | 3ull << 8 | 1ull << 6;
	unsigned flips = byte();
	if (flips & 1)
		d &= ~DESC_AF;
	if (flips & 2)
		d |= DESC_AP2;
	if (flips & 4)
		d |= DESC_NG;
	if (flips & 8)
		d |= DESC_XN;
	if ((flips & 16) && pick(4) == 0)
		d |= DESC_CONT;
	if (flips & 32)
		d ^= 1ull << 8; /* shareability */
	if (flips & 64)
		d |= (uint64_t)pick(4) << 2; /* memory type */
	if (flips & 128)
		d |= (uint64_t)pick(16) << 55; /* software bits */
	if (t->lpa2)
		d &= ~(3ull << 8); /* OA[51:50] there: keep the address small */
	return d;
}

/* The descriptor in memory per entry, so that old= is mostly what the store replaced. */
#define NSHADOW 64
static struct {
	unsigned table, level;
	uint64_t va, v;
} shadow[NSHADOW];
static unsigned nshadow;

static uint64_t *shadow_of(unsigned table, unsigned level, uint64_t va)
{
	for (unsigned i = 0; i < nshadow; i++)
		if (shadow[i].table == table && shadow[i].level == level && shadow[i].va == va)
			return &shadow[i].v;
	if (nshadow == NSHADOW)
		return NULL;
	shadow[nshadow].table = table;
	shadow[nshadow].level = level;
	shadow[nshadow].va = va;
	shadow[nshadow].v = 0;
	return &shadow[nshadow++].v;
}

static bool op_fits(unsigned op) { return !(arm64_tlbi_flags(op) & TLBI_F_EL3) || pick(4) == 0; }

static void gen_tlbi(struct gtrace *g, struct gev *e)
{
	unsigned op, f;

	do
		op = pick(TLBI_NR_OPS);
	while (!op_fits(op));
	f = arm64_tlbi_flags(op);
	e->op = op;
	const struct gtable *t = &g->t[pick(g->ntables)];
	unsigned level = gen_level(t);
	uint64_t va = gen_va(t, level) + (pick(4) == 0 ? (uint64_t)pick(8) << 12 : 0);
	if (f & TLBI_F_RANGE) {
		/* TG (mostly the 4K granule), SCALE, NUM, TTL, BaseADDR in pages */
		unsigned tg = pick(4) ? 1 : pick(4);
		e->arg = (uint64_t)tg << 46 | (uint64_t)pick(4) << 44 | (uint64_t)pick(32) << 39 |
			 (uint64_t)pick(4) << 37 | ((va >> 12) & 0x1fffffffffull);
		if (pick(16) == 0)
			e->arg = u64();
		if ((f & TLBI_F_ASID) == 0 && !(f & TLBI_F_IPA) && pick(2))
			e->arg |= (uint64_t)pick(4) << 48;
	} else if (f & (TLBI_F_VA | TLBI_F_IPA)) {
		unsigned ttl = pick(3) ? 0 : pick(16);
		unsigned asid = (f & (TLBI_F_IPA | TLBI_F_AA)) ? 0 : pick(4);
		e->arg = arm64_tlbi_encode(op, va, ttl, asid);
		e->va_form = pick(2);
		e->va = va;
		e->level = ttl;
		e->asid = asid;
		e->has_asid = asid && pick(2);
		/* va= form only when it gives the same operand back */
		if (arm64_tlbi_encode(op, arm64_tlbi_addr(op, e->arg), ttl, asid) != e->arg)
			e->va_form = false;
		if (pick(16) == 0) {
			e->arg = u64();
			e->va_form = false;
		}
	} else if (f & TLBI_F_ASID) {
		e->asid = pick(4);
		e->arg = (uint64_t)e->asid << 48;
		e->va_form = pick(2);
	}
	if ((f & (TLBI_F_EL1 | TLBI_F_S2)) && pick(3) == 0) {
		e->has_vmid = true;
		e->vmid = pick(3);
	}
}

static void generate(struct gtrace *g)
{
	memset(g, 0, sizeof(*g));
	nshadow = 0;
	g->ncpus = 1 + pick(MAX_CPUS);
	g->ntables = 1 + pick(MAX_TABLES);
	g->bbm = pick(4) == 0 ? pick(3) : 0;
	g->features = byte() & 7; /* ttl, ets2, cnp */
	g->cut = pick(8) == 0;
	g->nev = pick(MAX_EVENTS + 1);
	for (unsigned i = 0; i < g->ntables; i++) {
		struct gtable *t = &g->t[i];
		t->regime = regimes[pick(4)];
		t->kind = pick(3);
		t->granule = pick(8) == 0 ? 1 + pick(2) : 0;
		t->lpa2 = t->granule != 2 && pick(8) == 0;
		t->cpus = byte() & ((1u << g->ncpus) - 1);
		if (!t->cpus)
			t->cpus = 1u << pick(g->ncpus);
		if ((t->regime == FM_REGIME_EL1 || t->regime == FM_REGIME_EL20) && pick(2)) {
			t->has_asid = true;
			t->asid = pick(4);
		}
		if ((t->regime == FM_REGIME_EL1 || t->regime == FM_REGIME_S2) && pick(2)) {
			t->has_vmid = true;
			t->vmid = pick(3);
		}
		t->base = pick(2) ? 0x80000000 : 0x40000000;
		/* a dynamic table may be declared between events (section 3a) */
		if (i > 0 && t->kind == 2 && pick(3) == 0)
			t->decl_at = pick(g->nev + 1);
	}
	for (unsigned i = 0; i < g->nev; i++) {
		struct gev *e = &g->e[i];
		unsigned k = pick(32), ti;

		e->cpu = pick(g->ncpus);
		e->replaces = -1;
		e->has_pc = pick(4) == 0;
		e->pc = 0x40200000 + 4 * pick(64);
		g->style[i] = (uint8_t)byte();
		/* a table declared by now (table 0 always is) */
		ti = pick(g->ntables);
		if (g->t[ti].decl_at > i)
			ti = 0;
		e->table = ti;
		const struct gtable *t = &g->t[ti];
		if (k < 11) {
			e->type = G_PTE;
			e->level = gen_level(t);
			e->va = gen_va(t, e->level);
			uint64_t *s = shadow_of(ti, e->level, e->va);
			e->old = s && pick(8) ? *s : gen_desc(t, e->level);
			e->new = gen_desc(t, e->level);
			if (s)
				*s = e->new;
		} else if (k < 16) {
			e->type = G_DSB;
		} else if (k < 17) {
			e->type = G_DMB;
		} else if (k < 19) {
			e->type = G_ISB;
		} else if (k < 25) {
			e->type = G_TLBI;
			gen_tlbi(g, e);
		} else if (k < 27) {
			e->type = G_ACCESS;
			e->va = gen_va(t, gen_level(t)) + ((uint64_t)pick(4) << 12);
			e->exec = pick(3) == 0;
			e->access_table = pick(2);
		} else if (k < 28) {
			e->type = G_FREE;
			e->va = (pick(2) ? 0x41000000 : 0x40000000) + ((uint64_t)pick(4) << 12);
		} else if (k < 30 && t->kind == 2) {
			e->type = G_USE;
			e->has_asid = (t->regime == FM_REGIME_EL1 || t->regime == FM_REGIME_EL20) &&
				      pick(3) == 0;
			e->asid = pick(4);
			e->has_vmid = (t->regime == FM_REGIME_EL1 || t->regime == FM_REGIME_S2) &&
				      pick(3) == 0;
			e->vmid = pick(3);
			unsigned r = pick(g->ntables);
			if (pick(3) == 0 && r != ti && g->t[r].regime == t->regime &&
			    g->t[r].decl_at <= i)
				e->replaces = (int)r;
		} else if (k < 30) {
			e->type = G_ISB;
		} else if (k < 31) {
			e->type = pick(4) ? G_UNSEEN : G_LOST;
			e->count = 1 + pick(100);
			e->level = gen_level(t);
			e->va = gen_va(t, e->level);
			e->new = gen_desc(t, e->level);
			uint64_t *s = shadow_of(ti, e->level, e->va);
			if (s && e->type == G_UNSEEN)
				*s = e->new;
		} else {
			/* the last level's entry broken or made again: breaks meet makes */
			e->type = G_PTE;
			e->level = 3;
			e->va = gen_va(t, e->level);
			uint64_t *s = shadow_of(ti, e->level, e->va);
			e->old = s ? *s : 0;
			e->new = e->old & 1 ? 0 : gen_desc(t, e->level);
			if (s)
				*s = e->new;
		}
		if (e->type == G_DSB || e->type == G_DMB) {
#define BAR_CRM(name, crm) crm,
			static const unsigned bars[] = {BAR_OPTIONS(BAR_CRM)};
#undef BAR_CRM
			e->bar = bars[pick(sizeof(bars) / sizeof(bars[0]))];
		}
	}
}

/* ---- rendering ---- */

struct naming {
	unsigned cpu[MAX_CPUS]; /* the CPU numbers as written */
	char table[MAX_TABLES][24];
};

static void num(FILE *f, const char *key, uint64_t v, unsigned style)
{
	if (style & 1)
		fprintf(f, " %s=%llu", key, (unsigned long long)v);
	else
		fprintf(f, " %s=%#llx", key, (unsigned long long)v);
}

static void cpu_list(FILE *f, unsigned cpus, const struct naming *n, unsigned ncpus)
{
	/* the renumbered CPUs, in ascending order */
	unsigned m = 0;
	bool first = true;

	for (unsigned c = 0; c < ncpus; c++)
		if (cpus & 1u << c)
			m |= 1u << n->cpu[c];
	fprintf(f, " cpus=");
	for (unsigned c = 0; c < ncpus; c++)
		if (m & 1u << c) {
			fprintf(f, "%s%u", first ? "" : ",", c);
			first = false;
		}
}

static void table_line(FILE *f, const struct gtrace *g, unsigned i, const struct naming *n)
{
	const struct gtable *t = &g->t[i];
	static const char *const kinds[] = {"shared", "private", "dynamic"};

	fprintf(f, "table %s %s regime=%s", n->table[i], kinds[t->kind],
		desc_regime_name(t->regime));
	if (t->kind == 1)
		cpu_list(f, t->cpus, n, g->ncpus);
	if (t->granule || (i & 1))
		fprintf(f, " granule=%s", desc_granule_name(t->granule));
	if (t->lpa2)
		fprintf(f, " lpa2");
	if (t->has_asid)
		fprintf(f, " asid=%u", t->asid);
	if (t->has_vmid)
		fprintf(f, " vmid=%u", t->vmid);
	fprintf(f, "\n");
}

/* Writes the trace with naming n: a person's file, not the writer's. */
static void render(FILE *f, const struct gtrace *g, const struct naming *n)
{
	fprintf(f, "# generated trace\n\nfixmap-trace 1\ncpus %u\n", g->ncpus);
	if (g->bbm)
		fprintf(f, "feature bbm=%u\n", g->bbm);
	if (g->features & 1)
		fprintf(f, "feature ttl\n");
	if (g->features & 2)
		fprintf(f, "feature ets2\n");
	if (g->features & 4)
		fprintf(f, "feature cnp=1\n");
	for (unsigned i = 0; i < g->ntables; i++)
		if (!g->t[i].decl_at)
			table_line(f, g, i, n);
	if (g->cut)
		fprintf(f, "cut # the system kept running\n");
	for (unsigned i = 0; i < g->nev; i++) {
		const struct gev *e = &g->e[i];
		unsigned st = g->style[i];
		char b[8];

		if (st % 11 == 0)
			fprintf(f, "\n# a comment\n");
		for (unsigned t = 0; t < g->ntables; t++)
			if (g->t[t].decl_at == i + 1)
				table_line(f, g, t, n);
		fprintf(f, "c%u", n->cpu[e->cpu]);
		switch (e->type) {
		case G_PTE:
		case G_UNSEEN:
			fprintf(f, e->type == G_PTE ? " pte" : " unseen");
			if (st & 2) {
				fprintf(f, " table=%s", n->table[e->table]);
				num(f, "new", e->new, st);
				if (e->type == G_PTE)
					num(f, "old", e->old, st >> 2);
				fprintf(f, " level=%u", e->level);
				num(f, "va", e->va, st >> 3);
			} else {
				num(f, "va", e->va, st);
				fprintf(f, " level=%u", e->level);
				if (e->type == G_PTE)
					num(f, "old", e->old, st >> 2);
				num(f, "new", e->new, st >> 3);
				fprintf(f, " table=%s", n->table[e->table]);
			}
			break;
		case G_DSB:
		case G_DMB:
			fprintf(f, " %s %s", e->type == G_DSB ? "dsb" : "dmb",
				arm64_bar_name(e->bar, b));
			break;
		case G_ISB:
			fprintf(f, " isb");
			break;
		case G_TLBI: {
			unsigned fl = arm64_tlbi_flags(e->op);
			fprintf(f, " tlbi %s", arm64_tlbi_name(e->op));
			if (fl & TLBI_F_RANGE) {
				num(f, "arg", e->arg, st);
			} else if (fl & (TLBI_F_VA | TLBI_F_IPA)) {
				if (e->va_form) {
					num(f, "va", arm64_tlbi_addr(e->op, e->arg), st);
					if (TLBI_TTL(e->arg) || (st & 4))
						fprintf(f, " ttl=%u", (unsigned)TLBI_TTL(e->arg));
					if (TLBI_ASID(e->arg) || e->has_asid)
						fprintf(f, " asid=%u", (unsigned)TLBI_ASID(e->arg));
				} else {
					num(f, "arg", e->arg, st);
				}
			} else if (fl & TLBI_F_ASID) {
				if (e->va_form)
					fprintf(f, " asid=%u", e->asid);
				else
					num(f, "arg", e->arg, st);
			}
			if (e->has_vmid)
				fprintf(f, " vmid=%u", e->vmid);
			break;
		}
		case G_ACCESS:
			fprintf(f, " access");
			num(f, "va", e->va, st);
			if (e->exec)
				fprintf(f, " exec");
			if (e->access_table)
				fprintf(f, " table=%s", n->table[e->table]);
			break;
		case G_FREE:
			fprintf(f, " free");
			num(f, "pa", e->va, st);
			break;
		case G_USE:
			fprintf(f, " use table=%s", n->table[e->table]);
			if (e->has_asid)
				fprintf(f, " asid=%u", e->asid);
			if (e->has_vmid)
				fprintf(f, " vmid=%u", e->vmid);
			if (e->replaces >= 0)
				fprintf(f, " replaces=%s", n->table[e->replaces]);
			break;
		case G_LOST:
			fprintf(f, " lost count=%llu", (unsigned long long)e->count);
			break;
		}
		if (e->has_pc)
			num(f, "pc", e->pc, st >> 4);
		fprintf(f, (st & 0x30) == 0x30 ? "  # why\n" : "\n");
	}
}

/* ---- checking ---- */

struct finding {
	int rule;
	int severity;
	unsigned cpu, table, level;
	uint64_t seq, va, old, new;
	uint32_t line;
};

struct run {
	const struct fm_trace_ctx *ctx;
	struct finding f[MAX_FINDINGS];
	unsigned n;
};

static void collect(const struct bbm_finding *bf, void *arg)
{
	struct run *r = arg;
	struct finding *f;
	unsigned t;

	if (r->n == MAX_FINDINGS)
		return;
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->rule = bbm_rule_index(bf->rule);
	f->severity = bf->severity;
	f->cpu = bf->cpu;
	f->seq = bf->seq;
	f->va = bf->va;
	f->level = bf->level;
	f->old = bf->old;
	f->new = bf->new;
	f->line = bf->line;
	for (t = 0; t < r->ctx->ntables; t++)
		if (!strcmp(r->ctx->tables[t].name, bf->table))
			break;
	f->table = t;
	/* DESIGN.md section 4: the rules, and missing-isb the only warning */
	if (f->rule < 0 || (f->severity == BBM_WARNING) != !strcmp(bf->rule, "missing-isb") ||
	    f->cpu >= r->ctx->ncpus || t == r->ctx->ntables || !bf->message[0]) {
		fprintf(stderr, "bad finding: %s %s cpu %u table %s: %s\n", bf->rule,
			bf->severity == BBM_WARNING ? "warning" : "error", bf->cpu, bf->table,
			bf->message);
		abort();
	}
}

static int by_content(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
#define CMP(k)                                                                                     \
	if (x->k != y->k)                                                                          \
		return x->k < y->k ? -1 : 1;
	CMP(seq)
	CMP(rule)
	CMP(severity)
	CMP(cpu)
	CMP(table)
	CMP(level)
	CMP(va)
	CMP(old)
	CMP(new)
#undef CMP
	return 0;
}

/* Reads text, checks it; the events' lines go to lines[] (by seq) when given. */
static void check_text(const char *text, size_t len, struct run *r, struct fm_trace_ctx *ctx,
		       uint32_t *lines, const char *what, bool save, char **saved,
		       size_t *saved_len)
{
	FILE *f = fmemopen((void *)text, len, "r"), *w = NULL;
	struct fm_err err = {{0}};
	struct trace_reader *rd;
	struct fm_event ev;
	struct bbm *b;
	uint64_t n = 0;
	int rc;

	if (!f)
		abort();
	rd = trace_text_open(f, what, ctx, &err);
	if (!rd) {
		fprintf(stderr, "%s does not read: %s\n%.*s", what, err.msg, (int)len, text);
		abort();
	}
	struct fm_trace_ctx hdr = *ctx;
	hdr.tables = malloc(ctx->ntables * sizeof(*hdr.tables));
	if (!hdr.tables)
		abort();
	memcpy(hdr.tables, ctx->tables, ctx->ntables * sizeof(*hdr.tables));
	if (save) {
		w = open_memstream(saved, saved_len);
		if (!w || trace_text_write_header(w, &hdr))
			abort();
	}
	r->ctx = ctx;
	r->n = 0;
	b = bbm_new(ctx, BBM_POLICY_ARM, collect, r);
	if (!b)
		abort();
	while ((rc = trace_text_next(rd, &ev, &err)) == 1) {
		if (ev.type != FM_EV_TABLE && ev.type != FM_EV_CUT && lines && n < MAX_EVENTS + 1)
			lines[n] = ev.line;
		if (ev.type != FM_EV_TABLE && ev.type != FM_EV_CUT)
			n++;
		if (w && trace_text_write_event(w, ctx, &ev))
			abort();
		bbm_event(b, &ev);
	}
	if (rc < 0) {
		fprintf(stderr, "%s does not read: %s\n%.*s", what, err.msg, (int)len, text);
		abort();
	}
	bbm_finish(b);
	bbm_free(b);
	trace_text_close(rd);
	fclose(f);
	if (w)
		fclose(w);
	free(hdr.tables);
	/* every finding at an event of the trace: seq 1..n and that event's line */
	for (unsigned i = 0; i < r->n; i++)
		if (r->f[i].seq < 1 || r->f[i].seq > n ||
		    (lines && r->f[i].line != lines[r->f[i].seq - 1])) {
			fprintf(stderr, "%s: finding at seq %llu line %u of %llu events\n", what,
				(unsigned long long)r->f[i].seq, r->f[i].line,
				(unsigned long long)n);
			abort();
		}
	qsort(r->f, r->n, sizeof(r->f[0]), by_content);
}

static void same(const struct run *a, const struct run *b, const unsigned *cpu_map,
		 const char *what, const char *ta, const char *tb)
{
	static struct finding m[MAX_FINDINGS];
	bool ok = a->n == b->n;

	/* a's findings with the CPUs renumbered, in b's order */
	for (unsigned i = 0; i < a->n; i++) {
		m[i] = a->f[i];
		m[i].cpu = cpu_map ? cpu_map[m[i].cpu] : m[i].cpu;
	}
	qsort(m, a->n, sizeof(m[0]), by_content);
	for (unsigned i = 0; ok && i < a->n; i++)
		ok = !by_content(&m[i], &b->f[i]);
	if (!ok) {
		fprintf(stderr, "%s: %u findings, then %u\n", what, a->n, b->n);
		for (unsigned i = 0; i < a->n || i < b->n; i++)
			fprintf(stderr, "  %s@%llu cpu %u | %s@%llu cpu %u\n",
				i < a->n ? bbm_rules[m[i].rule] : "-",
				i < a->n ? (unsigned long long)m[i].seq : 0,
				i < a->n ? m[i].cpu : 0, i < b->n ? bbm_rules[b->f[i].rule] : "-",
				i < b->n ? (unsigned long long)b->f[i].seq : 0,
				i < b->n ? b->f[i].cpu : 0);
		fprintf(stderr, "--- first\n%s--- second\n%s", ta, tb);
		abort();
	}
}

static struct run r1, r2, r3;
static struct gtrace g;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct naming n1, n2;
	struct fm_trace_ctx c1, c2, c3;
	uint32_t lines[MAX_EVENTS + 1];
	char *t1 = NULL, *t2 = NULL, *t3 = NULL;
	size_t l1 = 0, l2 = 0, l3 = 0;
	FILE *f;

	in = data;
	in_len = size;
	in_pos = 0;
	generate(&g);
	/* the second naming: a permutation of the CPUs, other table names */
	for (unsigned c = 0; c < MAX_CPUS; c++)
		n1.cpu[c] = n2.cpu[c] = c;
	for (unsigned c = g.ncpus; c > 1; c--) {
		unsigned j = pick(c), tmp = n2.cpu[c - 1];
		n2.cpu[c - 1] = n2.cpu[j];
		n2.cpu[j] = tmp;
	}
	for (unsigned t = 0; t < MAX_TABLES; t++) {
		snprintf(n1.table[t], sizeof(n1.table[t]), "t%u", t);
		snprintf(n2.table[t], sizeof(n2.table[t]), "%s-0x%x", t & 1 ? "el1" : "hyp.root",
			 0x40000000 + 0x1000 * (MAX_TABLES - t));
	}
	f = open_memstream(&t1, &l1);
	render(f, &g, &n1);
	fclose(f);
	f = open_memstream(&t2, &l2);
	render(f, &g, &n2);
	fclose(f);

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&c3, 0, sizeof(c3));
	check_text(t1, l1, &r1, &c1, lines, "generated", true, &t3, &l3);
	check_text(t2, l2, &r2, &c2, NULL, "renamed", false, NULL, NULL);
	same(&r1, &r2, n2.cpu, "renaming tables and CPUs changed the findings", t1, t2);
	check_text(t3, l3, &r3, &c3, NULL, "re-saved", false, NULL, NULL);
	same(&r1, &r3, NULL, "the re-saved trace has other findings", t1, t3);
	fm_ctx_free(&c1);
	fm_ctx_free(&c2);
	fm_ctx_free(&c3);
	free(t1);
	free(t2);
	free(t3);
	return 0;
}
