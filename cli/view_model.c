/* SPDX-License-Identifier: MIT */
#include "view_model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "desc.h"
#include "disasm.h"
#include "trace_text.h"

/* Rates are recomputed over windows of at least this long, so they do not flicker. */
#define RATE_WINDOW 0.5

int view_model_init(struct view_model *m, size_t cap, const struct fm_trace_ctx *ctx)
{
	memset(m, 0, sizeof(*m));
	m->ev = calloc(cap ? cap : 1, sizeof(*m->ev));
	m->found = calloc((size_t)FIXMAP_MAX_CPUS * VIEW_FINDINGS, sizeof(*m->found));
	if (!m->ev || !m->found) {
		free(m->ev);
		free(m->found);
		m->ev = NULL;
		m->found = NULL;
		return -1;
	}
	m->cap = cap ? cap : 1;
	m->ctx = ctx;
	snprintf(m->mode, sizeof(m->mode), "?");
	snprintf(m->state, sizeof(m->state), "?");
	return 0;
}

void view_model_free(struct view_model *m)
{
	free(m->ev);
	free(m->found);
	m->ev = NULL;
	m->found = NULL;
}

void view_model_keep_finding(struct view_model *m, const struct bbm_finding *f)
{
	struct view_finding *v;

	if (f->cpu >= FIXMAP_MAX_CPUS)
		return;
	v = &m->found[f->cpu * VIEW_FINDINGS + m->nfound[f->cpu]++ % VIEW_FINDINGS];
	v->f = *f;
	v->seq_base = explain_window_base(m->win);
}

const struct bbm_finding *view_model_cpu_finding(const struct view_model *m, unsigned cpu,
						 unsigned k, unsigned *n, uint64_t *seq_base)
{
	uint64_t nf = cpu < FIXMAP_MAX_CPUS ? m->nfound[cpu] : 0;
	unsigned kept = nf < VIEW_FINDINGS ? (unsigned)nf : VIEW_FINDINGS;
	const struct view_finding *hit = NULL;

	if (k < kept)
		hit = &m->found[cpu * VIEW_FINDINGS + (nf - 1 - k) % VIEW_FINDINGS];
	*n = kept;
	*seq_base = hit ? hit->seq_base : 0;
	return hit ? &hit->f : NULL;
}

size_t view_model_kept(const struct view_model *m)
{
	return m->nev < m->cap ? (size_t)m->nev : m->cap;
}

const struct view_event *view_model_get(const struct view_model *m, size_t i)
{
	size_t kept = view_model_kept(m);

	if (i >= kept)
		return NULL;
	return &m->ev[(m->nev - kept + i) % m->cap];
}

int view_model_rule(const struct view_model *m, const char *name)
{
	for (unsigned i = 0; i < m->nrules; i++)
		if (!strcmp(m->rules[i].name, name))
			return (int)i;
	return -1;
}

static void seq_add(char *seq, const char *step)
{
	size_t len = strlen(seq), add = strlen(step) + (len ? 2 : 0);

	if (len + add + 1 > VIEW_SEQ_LEN) {
		/* Too long to show: mark the cut once. */
		if (len + 4 < VIEW_SEQ_LEN && strcmp(seq + len - 3, "..."))
			strcat(seq, " ...");
		return;
	}
	if (len)
		strcat(seq, "; ");
	strcat(seq, step);
}

/* The format of the table a pte event stores into, as the trace context declares it. */
static struct desc_fmt pte_fmt(const struct view_model *m, const struct fm_event *ev)
{
	if (m->ctx && m->ctx->tables && ev->table < m->ctx->ntables)
		return desc_fmt_of_table(&m->ctx->tables[ev->table]);
	return desc_fmt_4k(FM_REGIME_EL2);
}

void view_model_event(struct view_model *m, const struct fm_event *ev)
{
	struct view_event *ve = &m->ev[m->nev % m->cap];
	struct view_slot *s = ev->cpu < FIXMAP_MAX_CPUS ? &m->slot[ev->cpu] : NULL;
	char step[40], bb[8];

	ve->ev = *ev;
	ve->rule = NULL;
	ve->error = false;
	ve->gap = m->pending_gap;
	m->pending_gap = false;
	m->nev++;
	m->events++;
	if (!s)
		return;
	s->events++;
	/*
	 * The slot's last maintenance sequence: what the CPU did between breaking
	 * the entry (a store of an invalid descriptor) and making it again.
	 */
	switch (ev->type) {
	case FM_EV_PTE: {
		struct desc_fmt f = pte_fmt(m, ev);

		s->store_pc = ev->pc;
		if (!desc_fmt_is_valid(&f, ev->new, (int8_t)ev->level)) {
			s->in_break = true;
			s->cur_seq[0] = '\0';
		} else if (s->in_break) {
			snprintf(s->last_seq, sizeof(s->last_seq), "%s",
				 s->cur_seq[0] ? s->cur_seq : "(nothing)");
			s->in_break = false;
		} else if (desc_fmt_is_valid(&f, ev->old, (int8_t)ev->level) && ev->old != ev->new) {
			snprintf(s->last_seq, sizeof(s->last_seq), "(no break)");
		}
		return;
	}
	case FM_EV_DSB:
	case FM_EV_DMB:
		snprintf(step, sizeof(step), "%s %s", ev->type == FM_EV_DSB ? "dsb" : "dmb",
			 arm64_bar_name(ev->bar, bb));
		break;
	case FM_EV_ISB:
		snprintf(step, sizeof(step), "isb");
		break;
	case FM_EV_TLBI:
		s->tlbi_pc = ev->pc;
		snprintf(step, sizeof(step), "tlbi %s", arm64_tlbi_name(ev->tlbi));
		break;
	default:
		return;
	}
	if (s->in_break)
		seq_add(s->cur_seq, step);
}

void view_model_gap(struct view_model *m, uint64_t seq)
{
	(void)seq;
	m->gaps++;
	m->pending_gap = true;
	/* What was collected of a sequence before the gap is not the whole of it. */
	for (unsigned i = 0; i < FIXMAP_MAX_CPUS; i++)
		m->slot[i].in_break = false;
}

void view_model_finding(struct view_model *m, const char *rule, bool error, unsigned cpu,
			uint64_t seq)
{
	const char *name = NULL;
	int r = view_model_rule(m, rule);
	size_t kept = view_model_kept(m);

	if (r < 0 && m->nrules < VIEW_MAX_RULES) {
		r = (int)m->nrules++;
		snprintf(m->rules[r].name, sizeof(m->rules[r].name), "%s", rule);
		m->rules[r].error = error;
	}
	if (r >= 0) {
		m->rules[r].n++;
		name = m->rules[r].name;
	}
	if (error)
		m->errors++;
	else
		m->warnings++;
	if (cpu < FIXMAP_MAX_CPUS) {
		m->slot[cpu].findings++;
		m->slot[cpu].errors += error;
		m->slot[cpu].last_rule = name;
	}
	/* The event the finding is about, else the newest event of its CPU. */
	for (size_t i = kept; i-- > 0;) {
		struct view_event *ve = &m->ev[(m->nev - kept + i) % m->cap];

		if (ve->ev.seq == seq) {
			if (!ve->rule || (error && !ve->error)) {
				ve->rule = name;
				ve->error = error;
			}
			return;
		}
	}
	for (size_t i = kept; i-- > 0;) {
		struct view_event *ve = &m->ev[(m->nev - kept + i) % m->cap];

		if (ve->ev.cpu == cpu) {
			if (!ve->rule || (error && !ve->error)) {
				ve->rule = name;
				ve->error = error;
			}
			return;
		}
	}
}

void view_model_slots(struct view_model *m, const struct agent_state *st, double now)
{
	/* Rows up to the last CPU the agent brought up; CPUs never brought up have no slot. */
	m->ncpus = 0;
	for (unsigned i = 0; i < st->max_cpus && i < FIXMAP_MAX_CPUS; i++)
		if (st->cpu[i].c.online)
			m->ncpus = i + 1;
	if (!m->ncpus)
		m->ncpus = st->ncpus < st->max_cpus ? st->ncpus : st->max_cpus;
	snprintf(m->mode, sizeof(m->mode), "%s", agent_mode_name(st->hdr.mode));
	snprintf(m->state, sizeof(m->state), "%s", agent_state_name(st->hdr.state));
	for (unsigned i = 0; i < st->max_cpus && i < FIXMAP_MAX_CPUS; i++) {
		struct view_slot *s = &m->slot[i];

		s->present = st->cpu[i].present && (st->cpu[i].c.online || i < st->ncpus);
		s->c = st->cpu[i].c;
		if (!s->rate_started) {
			s->rate_started = true;
			s->rate_t = now;
			s->rate_maps = s->c.maps;
			s->rate_unmaps = s->c.unmaps;
		} else if (now - s->rate_t >= RATE_WINDOW) {
			double dt = now - s->rate_t;

			/* Counters only grow; a smaller value means the agent restarted. */
			s->maps_rate = s->c.maps >= s->rate_maps ? (double)(s->c.maps - s->rate_maps) / dt : 0;
			s->unmaps_rate = s->c.unmaps >= s->rate_unmaps
						 ? (double)(s->c.unmaps - s->rate_unmaps) / dt
						 : 0;
			s->rate_t = now;
			s->rate_maps = s->c.maps;
			s->rate_unmaps = s->c.unmaps;
		}
	}
	if (st->max_cpus)
		m->mair = st->cpu[0].c.mair_el2;
}

void view_model_rates(struct view_model *m, uint64_t lost, double now)
{
	m->lost = lost;
	if (m->rate_t == 0) {
		m->rate_t = now;
		m->rate_events = m->events;
	} else if (now - m->rate_t >= RATE_WINDOW) {
		m->ev_rate = (double)(m->events - m->rate_events) / (now - m->rate_t);
		m->rate_t = now;
		m->rate_events = m->events;
	}
}

size_t view_model_event_text(const struct view_model *m, const struct fm_event *ev, bool raw,
			     char *buf, size_t n)
{
	char sym[96], attrs[96];
	size_t len;
	int k;

	if (raw || ev->type != FM_EV_PTE) {
		len = trace_text_format_event(m->ctx, ev, buf, n);
	} else {
		int lvl = (int8_t)ev->level;
		uint64_t mair = ev->cpu < FIXMAP_MAX_CPUS && m->slot[ev->cpu].c.mair_el2
					? m->slot[ev->cpu].c.mair_el2
					: m->mair;
		struct desc_fmt f = pte_fmt(m, ev);

		desc_format_raw_fmt(&f, ev->new, lvl, mair, attrs, sizeof(attrs));
		k = snprintf(buf, n, "c%u pte L%d va=%#" PRIx64 " %s %#" PRIx64 " [%s]", ev->cpu,
			     lvl, ev->va,
			     desc_fmt_is_valid(&f, ev->new, lvl)
				 ? (desc_fmt_is_valid(&f, ev->old, lvl) ? "change" : "make")
				 : "break",
			     ev->new, attrs);
		len = k < 0 ? 0 : (size_t)k;
	}
	if (!raw && ev->pc && m->elf && len < n) {
		elfsym_format(m->elf, ev->pc, sym, sizeof(sym));
		k = snprintf(buf + len, n - len, "  <%s>", sym);
		if (k > 0)
			len += (size_t)k;
	}
	return len < n ? len : (n ? n - 1 : 0);
}

void view_model_slot_decode(const struct view_model *m, unsigned cpu, struct desc *d,
			    char *memtype, size_t mn, char *perms, size_t pn)
{
	const struct view_slot *s = &m->slot[cpu];

	struct desc_fmt f;

	desc_fmt_el2(s->c.hcr_el2, s->c.tcr_el2, &f);
	desc_decode_fmt(&f, s->c.pte, 3, d);
	if (d->kind == DESC_PAGE || d->kind == DESC_BLOCK) {
		desc_leaf_memtype(d, s->c.mair_el2, memtype, mn);
		snprintf(perms, pn, "%c%c%c", d->rd ? 'R' : '-', d->wr ? 'W' : '-',
			 d->x ? 'X' : '-');
	} else {
		snprintf(memtype, mn, "-");
		snprintf(perms, pn, "---");
	}
}

struct lines {
	char (*l)[VIEW_LINE];
	size_t n, max;
};

static void __attribute__((format(printf, 2, 3))) line(struct lines *ls, const char *fmt, ...)
{
	va_list ap;

	if (ls->n >= ls->max)
		return;
	va_start(ap, fmt);
	vsnprintf(ls->l[ls->n++], VIEW_LINE, fmt, ap);
	va_end(ap);
}

/* Five instructions around pc from the image, the one at pc marked. */
static void disasm_around(const struct view_model *m, struct lines *ls, const char *what,
			  uint64_t pc)
{
	char sym[96];

	if (!pc) {
		line(ls, "%s: none seen yet", what);
		return;
	}
	if (!m->elf) {
		line(ls, "%s at %#" PRIx64 " (no --elf: no disassembly)", what, pc);
		return;
	}
	elfsym_format(m->elf, pc, sym, sizeof(sym));
	line(ls, "%s at %#" PRIx64 " <%s>:", what, pc, sym);
	for (int k = -2; k <= 2; k++) {
		uint64_t a = pc + (uint64_t)(k * 4);
		char text[80];

		if (disasm_at(m->elf, a, text, sizeof(text)))
			continue;
		line(ls, "  %s %#" PRIx64 ":  %s", k ? "  " : "=>", a, text);
	}
}

size_t view_model_detail(const struct view_model *m, unsigned cpu, char (*l)[VIEW_LINE],
			 size_t max)
{
	struct lines ls = {.l = l, .max = max};
	const struct view_slot *s;
	char mt[48], perms[8], attrs[128];
	struct desc d;

	if (cpu >= FIXMAP_MAX_CPUS || !m->slot[cpu].present) {
		line(&ls, "cpu %u: no slot", cpu);
		return ls.n;
	}
	s = &m->slot[cpu];
	view_model_slot_decode(m, cpu, &d, mt, sizeof(mt), perms, sizeof(perms));
	desc_format(&d, s->c.mair_el2, attrs, sizeof(attrs));
	line(&ls, "cpu %u slot %#" PRIx64 "  entry at PA %#" PRIx64, cpu, s->c.slot_va,
	     s->c.pte_pa);
	line(&ls, "descriptor 0x%016" PRIx64 "  %s, level 3 (EL2 stage 1)", s->c.pte,
	     desc_kind_name(d.kind));
	if (d.kind == DESC_PAGE || d.kind == DESC_BLOCK) {
		line(&ls, "  OA %#" PRIx64 "  size %" PRIu64 "K  attrs: %s", d.oa, d.size >> 10,
		     attrs);
		line(&ls, "  AttrIndx %u = %s (MAIR_EL2 %#" PRIx64 ")", d.attrindx, mt,
		     s->c.mair_el2);
		line(&ls, "  SH %u (%s)  AP[2:1] %u (%s)  AF %u  nG %u", d.sh,
		     d.sh == DESC_SH_INNER ? "inner" : d.sh == DESC_SH_OUTER ? "outer"
						  : d.sh == DESC_SH_NON	  ? "non" : "reserved",
		     d.ap, perms, d.af, d.ng);
		line(&ls, "  XN %u  PXN %u  Contiguous %u  DBM %u  nT %u  GP %u  NS %u  SW %#x",
		     d.uxn, d.pxn, d.contig, d.dbm, d.nt, d.gp, d.ns, d.sw);
	} else {
		line(&ls, "  (%s: no translation)", desc_kind_name(d.kind));
	}
	line(&ls,
	     "maps %" PRIu64 "  unmaps %" PRIu64 "  iterations %" PRIu64 "  failures %" PRIu64
	     "  stale %" PRIu64,
	     s->c.maps, s->c.unmaps, s->c.iters, s->c.failures, s->c.stale);
	line(&ls, "last sequence: %s", s->last_seq[0] ? s->last_seq : "-");
	line(&ls, "findings: %" PRIu64 "%s%s", s->findings, s->last_rule ? ", last " : "",
	     s->last_rule ? s->last_rule : "");
	line(&ls, "walk TTBR0_EL2 %#" PRIx64 " TCR_EL2 %#" PRIx64 ":", s->c.ttbr0_el2,
	     s->c.tcr_el2);
	if (!s->walked)
		line(&ls, "  %s", s->walk_err[0] ? s->walk_err : "(not walked yet)");
	for (unsigned i = 0; i < s->nsteps && i < WALK_MAX_LEVELS; i++) {
		const struct walk_entry *e = &s->steps[i].e;

		attrs[0] = '\0';
		if (e->kind == DESC_TABLE || e->kind == DESC_PAGE || e->kind == DESC_BLOCK)
			desc_format(&e->d, s->c.mair_el2, attrs, sizeof(attrs));
		line(&ls, "  L%d %#" PRIx64 "[%3u] = 0x%016" PRIx64 " %-5s %s", e->level, e->table_pa,
		     e->index, e->raw, desc_kind_name(e->kind), attrs);
	}
	disasm_around(m, &ls, "last store", s->store_pc);
	disasm_around(m, &ls, "last tlbi", s->tlbi_pc);
	return ls.n;
}
