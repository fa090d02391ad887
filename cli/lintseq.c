/* SPDX-License-Identifier: MIT */
#include "lintseq.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"

/* Upper bound on the states one search visits: analysis stays linear on huge functions. */
#define MAX_STEPS (1u << 18)

struct lintseq {
	const struct lintseq_func *f;
	unsigned opts;
	size_t *pred_off; /* n + 1: preds of i are preds[pred_off[i] .. pred_off[i+1]) */
	size_t *preds;
	uint8_t *seen; /* forward: 4 states per instruction; backward: 1 */
	size_t *stack; /* DFS stack of encoded states */
	size_t stack_cap;
};

static bool index_of(const struct lintseq_func *f, uint64_t addr, size_t *i)
{
	uint64_t d = addr - f->start;

	if (addr < f->start || (d & 3) || d / 4 >= f->n)
		return false;
	*i = (size_t)(d / 4);
	return true;
}

/* Does the instruction fall through to the next one? */
static bool falls_through(enum disasm_kind k)
{
	return k != DISASM_BRANCH && k != DISASM_RET && k != DISASM_IBRANCH;
}

/*
 * Successors of insns[i] inside the function. *leaves is set when control may
 * also go outside it (a branch elsewhere, or falling off the end).
 */
static unsigned succs(const struct lintseq_func *f, size_t i, size_t out[2], bool *leaves)
{
	const struct disasm_class *c = &f->insns[i].c;
	unsigned n = 0;
	size_t t;

	*leaves = false;
	if (falls_through(c->kind)) {
		if (i + 1 < f->n)
			out[n++] = i + 1;
		else
			*leaves = true;
	}
	if (c->kind == DISASM_BRANCH || c->kind == DISASM_CBRANCH) {
		if (index_of(f, c->target, &t))
			out[n++] = t;
		else
			*leaves = true;
	}
	return n;
}

struct lintseq *lintseq_new(const struct lintseq_func *f, unsigned opts)
{
	struct lintseq *s = calloc(1, sizeof(*s));
	size_t n = f->n, total = 0;

	if (!s)
		return NULL;
	s->f = f;
	s->opts = opts;
	s->pred_off = calloc(n + 1, sizeof(*s->pred_off));
	s->seen = calloc(n ? n * 4 : 1, 1);
	s->stack_cap = 64;
	s->stack = malloc(s->stack_cap * sizeof(*s->stack));
	if (!s->pred_off || !s->seen || !s->stack)
		goto fail;
	/* Count, then fill, predecessor lists (compressed rows). */
	for (int pass = 0; pass < 2; pass++) {
		size_t *fill = NULL;

		if (pass == 1) {
			for (size_t i = 0; i < n; i++)
				s->pred_off[i + 1] += s->pred_off[i];
			total = s->pred_off[n];
			s->preds = malloc((total ? total : 1) * sizeof(*s->preds));
			fill = calloc(n ? n : 1, sizeof(*fill));
			if (!s->preds || !fill) {
				free(fill);
				goto fail;
			}
		}
		for (size_t i = 0; i < n; i++) {
			size_t out[2];
			bool leaves;
			unsigned k = succs(f, i, out, &leaves);

			for (unsigned j = 0; j < k; j++) {
				if (pass == 0)
					s->pred_off[out[j] + 1]++;
				else
					s->preds[s->pred_off[out[j]] + fill[out[j]]++] = i;
			}
		}
		free(fill);
	}
	return s;
fail:
	lintseq_free(s);
	return NULL;
}

void lintseq_free(struct lintseq *s)
{
	if (!s)
		return;
	free(s->pred_off);
	free(s->preds);
	free(s->seen);
	free(s->stack);
	free(s);
}

static bool push(struct lintseq *s, size_t *sp, size_t v)
{
	if (*sp == s->stack_cap) {
		size_t *n = realloc(s->stack, 2 * s->stack_cap * sizeof(*n));

		if (!n)
			return false;
		s->stack = n;
		s->stack_cap *= 2;
	}
	s->stack[(*sp)++] = v;
	return true;
}

/* A direct call the analysis may step over (see lintseq_func.call_transparent). */
static bool transparent(const struct lintseq_func *f, const struct disasm_class *c)
{
	return c->kind == DISASM_CALL && f->call_transparent &&
	       f->call_transparent(c->target, f->call_arg);
}

/* "func+0x1c" or the address, for messages. */
static const char *loc(const struct lintseq_func *f, size_t i, char *buf, size_t n)
{
	if (f->name)
		snprintf(buf, n, "%s+0x%" PRIx64, f->name, f->insns[i].addr - f->start);
	else
		snprintf(buf, n, "%#" PRIx64, f->insns[i].addr);
	return buf;
}

static const char *insn_text(const struct lintseq_func *f, size_t i, char *buf, size_t n)
{
	uint8_t b[4];
	uint32_t w = f->insns[i].word;

	b[0] = (uint8_t)w;
	b[1] = (uint8_t)(w >> 8);
	b[2] = (uint8_t)(w >> 16);
	b[3] = (uint8_t)(w >> 24);
	disasm_insn(f->insns[i].addr, b, 4, buf, n);
	return buf;
}

/* Is a DSB of this domain too narrow for the TLBI (D8.17: a DSB completes maintenance only within
 * its domain)? */
static bool too_narrow(unsigned tflags, bool private_table, unsigned dom)
{
	if (tflags & TLBI_F_OS)
		return dom == BAR_DOM_NSH || dom == BAR_DOM_ISH;
	if (tflags & TLBI_F_IS)
		return dom == BAR_DOM_NSH;
	return dom == BAR_DOM_NSH && !private_table;
}

/* What the forward search found on the paths that leave the TLBI. */
struct fwd {
	bool err;	  /* a path reaches a store, return or exit without a completing DSB */
	size_t err_at;	  /* where */
	bool err_partial; /* that path saw only DSB ST/LD */
	bool warn;	  /* a path reaches a call first (the callee may complete it) */
	size_t warn_at;
	bool narrow; /* a completing DSB of too narrow a domain */
	size_t narrow_at;
	bool no_isb; /* a path returns after the completing DSB without an ISB */
	size_t no_isb_at;
	bool truncated; /* search budget exhausted */
};

#define ST_ENC(i, phase, partial) (((i) << 2) | ((size_t)(phase) << 1) | (size_t)(partial))

static void forward(struct lintseq *s, size_t site, unsigned tflags, struct fwd *r)
{
	const struct lintseq_func *f = s->f;
	size_t sp = 0, out[2];
	unsigned steps = 0, k;
	bool leaves;

	memset(s->seen, 0, f->n * 4);
	memset(r, 0, sizeof(*r));
	k = succs(f, site, out, &leaves);
	if (leaves) {
		r->err = true;
		r->err_at = site;
	}
	for (unsigned j = 0; j < k; j++)
		if (!s->seen[ST_ENC(out[j], 0, 0)]) {
			s->seen[ST_ENC(out[j], 0, 0)] = 1;
			if (!push(s, &sp, ST_ENC(out[j], 0, 0)))
				return;
		}
	while (sp) {
		size_t st = s->stack[--sp], i = st >> 2;
		unsigned phase = (st >> 1) & 1, partial = st & 1;
		const struct disasm_class *c = &f->insns[i].c;

		if (++steps > MAX_STEPS) {
			r->truncated = true;
			return;
		}
		switch (c->kind) {
		case DISASM_DSB:
			if (phase == 0 && BAR_TYPE(c->opt) == BAR_TYPE_ALL) {
				if (too_narrow(tflags, f->private_table, BAR_DOM(c->opt)) &&
				    !r->narrow) {
					r->narrow = true;
					r->narrow_at = i;
				}
				phase = 1;
			} else if (phase == 0 && BAR_TYPE(c->opt)) {
				partial = 1;
			}
			break;
		case DISASM_ISB:
			if (phase == 1)
				continue; /* the sequence is complete on this path */
			break;
		case DISASM_STORE:
			if (phase == 0) {
				if (!r->err) {
					r->err = true;
					r->err_at = i;
					r->err_partial = partial;
				}
				continue;
			}
			break;
		case DISASM_RET:
		case DISASM_IBRANCH:
			if (phase == 0 && !r->err) {
				r->err = true;
				r->err_at = i;
				r->err_partial = partial;
			} else if (phase == 1 && !r->no_isb) {
				r->no_isb = true;
				r->no_isb_at = i;
			}
			continue;
		case DISASM_CALL:
		case DISASM_ICALL:
			if (transparent(f, c))
				break;
			if (phase == 0 && !r->warn) {
				r->warn = true;
				r->warn_at = i;
			}
			continue; /* the callee may complete the sequence */
		default:
			break;
		}
		k = succs(f, i, out, &leaves);
		if (leaves) {
			if (phase == 0 && !r->err) {
				r->err = true;
				r->err_at = i;
				r->err_partial = partial;
			} else if (phase == 1 && !r->no_isb) {
				r->no_isb = true;
				r->no_isb_at = i;
			}
		}
		for (unsigned j = 0; j < k; j++) {
			size_t ns = ST_ENC(out[j], phase, partial);

			if (s->seen[ns])
				continue; /* a loop back, or a join already followed */
			s->seen[ns] = 1;
			if (!push(s, &sp, ns))
				return;
		}
	}
}

/* What the backward search found on the paths that reach the TLBI. */
struct bwd {
	bool err; /* a store reaches the TLBI with no DSB in between */
	size_t err_at;
	bool warn; /* the function's entry or a call reaches it first */
	size_t warn_at;
	bool warn_call;
	bool narrow; /* an ordering DSB of too narrow a domain */
	size_t narrow_at;
	bool dmb; /* a DMB stood where a DSB was needed */
	size_t dmb_at;
};

static void backward(struct lintseq *s, size_t site, unsigned tflags, struct bwd *r)
{
	const struct lintseq_func *f = s->f;
	size_t sp = 0;
	unsigned steps = 0;

	memset(s->seen, 0, f->n);
	memset(r, 0, sizeof(*r));
	/* Seed with the TLBI itself: its predecessors (and, at index 0, the entry). */
	s->seen[site] = 1;
	if (!push(s, &sp, site))
		return;
	while (sp) {
		size_t i = s->stack[--sp];
		const struct disasm_class *c = &f->insns[i].c;

		if (++steps > MAX_STEPS)
			return;
		if (i != site) {
			switch (c->kind) {
			case DISASM_DSB:
				if (BAR_TYPE(c->opt) == BAR_TYPE_ALL ||
				    BAR_TYPE(c->opt) == BAR_TYPE_ST) {
					if (too_narrow(tflags, f->private_table, BAR_DOM(c->opt)) &&
					    !r->narrow) {
						r->narrow = true;
						r->narrow_at = i;
					}
					continue; /* ordered on this path */
				}
				break;
			case DISASM_DMB:
				if (!r->dmb) {
					r->dmb = true;
					r->dmb_at = i;
				}
				break;
			case DISASM_STORE:
				if (!r->err) {
					r->err = true;
					r->err_at = i;
				}
				continue;
			case DISASM_CALL:
			case DISASM_ICALL:
				if (transparent(f, c))
					break;
				if (!r->warn) {
					r->warn = true;
					r->warn_at = i;
					r->warn_call = true;
				}
				continue;
			default:
				break;
			}
		}
		if (i == 0 || s->pred_off[i] == s->pred_off[i + 1]) {
			/* The function's entry (or code only an indirect branch reaches). */
			if (!r->warn) {
				r->warn = true;
				r->warn_at = i;
			}
		}
		for (size_t p = s->pred_off[i]; p < s->pred_off[i + 1]; p++) {
			size_t q = s->preds[p];

			if (s->seen[q])
				continue;
			s->seen[q] = 1;
			if (!push(s, &sp, q))
				return;
		}
	}
}

/* Does a stage-1 invalidation follow a stage-2 one on every path to the function's exit? */
static bool stage1_follows(struct lintseq *s, size_t site, size_t *bad_at)
{
	const struct lintseq_func *f = s->f;
	size_t sp = 0, out[2];
	unsigned steps = 0, k;
	bool leaves;

	memset(s->seen, 0, f->n);
	k = succs(f, site, out, &leaves);
	if (leaves) {
		*bad_at = site;
		return false;
	}
	for (unsigned j = 0; j < k; j++)
		if (!s->seen[out[j]]) {
			s->seen[out[j]] = 1;
			if (!push(s, &sp, out[j]))
				return true;
		}
	while (sp) {
		size_t i = s->stack[--sp];
		const struct disasm_class *c = &f->insns[i].c;

		if (++steps > MAX_STEPS)
			return true;
		if (c->kind == DISASM_TLBI && (arm64_tlbi_flags(c->opt) & TLBI_F_EL1))
			continue; /* stage 1 of the same VMID is invalidated on this path */
		if (c->kind == DISASM_RET || c->kind == DISASM_IBRANCH) {
			*bad_at = i;
			return false;
		}
		if ((c->kind == DISASM_CALL || c->kind == DISASM_ICALL) && !transparent(f, c))
			continue; /* not followed into callees */
		k = succs(f, i, out, &leaves);
		if (leaves) {
			*bad_at = i;
			return false;
		}
		for (unsigned j = 0; j < k; j++) {
			if (s->seen[out[j]])
				continue;
			s->seen[out[j]] = 1;
			if (!push(s, &sp, out[j]))
				return true;
		}
	}
	return true;
}

void lintseq_window(const struct lintseq_func *f, size_t site, size_t *lo, size_t *hi)
{
	size_t l = site >= 3 ? site - 3 : 0, h = site + 3 < f->n ? site + 3 : f->n - 1;

	for (size_t k = site; k > 0 && site - k < 8; k--) {
		enum disasm_kind kind = f->insns[k - 1].c.kind;

		if (kind == DISASM_DSB) {
			size_t w = k - 1 > 0 ? k - 2 : 0;

			if (w < l)
				l = w;
			break;
		}
		if (kind == DISASM_RET || kind == DISASM_BRANCH || kind == DISASM_IBRANCH)
			break;
	}
	for (size_t k = site + 1; k < f->n && k - site <= 10; k++) {
		enum disasm_kind kind = f->insns[k].c.kind;

		if (kind == DISASM_ISB || kind == DISASM_RET || kind == DISASM_BRANCH ||
		    kind == DISASM_IBRANCH || kind == DISASM_STORE) {
			if (k > h)
				h = k;
			break;
		}
	}
	*lo = l;
	*hi = h;
}

static void report(struct lintseq *s, size_t site, const char *rule, enum lintseq_severity sev,
		   size_t at, lintseq_report_fn fn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void report(struct lintseq *s, size_t site, const char *rule, enum lintseq_severity sev,
		   size_t at, lintseq_report_fn fn, void *arg, const char *fmt, ...)
{
	struct lintseq_finding fd = {.rule = rule, .severity = sev, .site = site, .at = at};
	va_list ap;

	lintseq_window(s->f, site, &fd.lo, &fd.hi);
	if (at < fd.lo)
		fd.lo = at;
	if (at > fd.hi)
		fd.hi = at;
	va_start(ap, fmt);
	vsnprintf(fd.message, sizeof(fd.message), fmt, ap);
	va_end(ap);
	fn(s->f, &fd, arg);
}

/* What ends a path at insns[i], as a noun phrase for messages. */
static const char *end_kind(const struct lintseq_func *f, size_t i)
{
	switch (f->insns[i].c.kind) {
	case DISASM_STORE:
		return "the store";
	case DISASM_RET:
		return "the return";
	case DISASM_IBRANCH:
		return "the indirect branch";
	case DISASM_BRANCH:
	case DISASM_CBRANCH:
		return "the branch out of the function";
	default:
		return "the end of the function";
	}
}

int lintseq_site(struct lintseq *s, size_t site, lintseq_report_fn fn, void *arg)
{
	const struct lintseq_func *f = s->f;
	const struct disasm_class *c;
	enum lintseq_severity soft = s->opts & LINTSEQ_STRICT ? LINTSEQ_ERROR : LINTSEQ_WARNING;
	char name[32], l1[160], l2[160], t1[96], t2[96];
	struct fwd fw;
	struct bwd bw;
	unsigned tflags;
	bool bcast;
	int nf = 0;
	size_t at;

	if (site >= f->n || f->insns[site].c.kind != DISASM_TLBI)
		return -1;
	c = &f->insns[site].c;
	tflags = arm64_tlbi_flags(c->opt);
	bcast = tflags & (TLBI_F_IS | TLBI_F_OS);
	snprintf(name, sizeof(name), "%s", arm64_tlbi_name(c->opt));

	/* 1. A local TLBI leaves other CPUs' TLBs holding the old entry (D8.17). */
	if (!bcast && !f->private_table) {
		report(s, site, "bbm-local-tlbi", LINTSEQ_ERROR, site, fn, arg,
		       "tlbi %s invalidates only this CPU's TLB; other CPUs that walk the table "
		       "may keep the old entry (use the broadcast %sis form, or --private if the "
		       "table is per-CPU)",
		       name, name);
		nf++;
	}

	/* 2. The break store must be complete before the TLBI: DSB, not DMB (D8.17). */
	backward(s, site, tflags, &bw);
	if (bw.err || bw.warn) {
		char extra[384] = "";

		if (bw.dmb)
			snprintf(extra, sizeof(extra),
				 "; the %s at %s orders memory accesses only, "
				 "not TLB maintenance",
				 insn_text(f, bw.dmb_at, t2, sizeof(t2)),
				 loc(f, bw.dmb_at, l2, sizeof(l2)));
		if (bw.err)
			report(s, site, "bbm-no-dsb-before-tlbi", LINTSEQ_ERROR, bw.err_at, fn, arg,
			       "the store at %s (%s) reaches tlbi %s with no DSB in between, so a "
			       "walker "
			       "may reload the old entry after the invalidation%s",
			       loc(f, bw.err_at, l1, sizeof(l1)),
			       insn_text(f, bw.err_at, t1, sizeof(t1)), name, extra);
		else if (bw.warn_call)
			report(s, site, "bbm-no-dsb-before-tlbi", soft, bw.warn_at, fn, arg,
			       "no DSB between the call at %s and tlbi %s (the callee may provide "
			       "it)%s",
			       loc(f, bw.warn_at, l1, sizeof(l1)), name, extra);
		else
			report(s, site, "bbm-no-dsb-before-tlbi", soft, site, fn, arg,
			       "no DSB between the start of %s and tlbi %s (a caller may provide "
			       "it)%s",
			       f->name ? f->name : "the code", name, extra);
		nf++;
	}

	/* 3. The TLBI is complete only after a full DSB of a wide enough domain (D8.17). */
	forward(s, site, tflags, &fw);
	if (fw.err) {
		at = fw.err_at;
		if (at == site)
			report(s, site, "bbm-no-dsb-after-tlbi", LINTSEQ_ERROR, at, fn, arg,
			       "tlbi %s is not completed by a DSB before leaving the function",
			       name);
		else
			report(s, site, "bbm-no-dsb-after-tlbi", LINTSEQ_ERROR, at, fn, arg,
			       "tlbi %s is not completed by a DSB before %s at %s (%s)%s", name,
			       end_kind(f, at), loc(f, at, l1, sizeof(l1)),
			       insn_text(f, at, t1, sizeof(t1)),
			       fw.err_partial ? "; a DSB ST or LD does not complete TLB maintenance"
					      : "");
		nf++;
	} else if (fw.warn) {
		report(s, site, "bbm-no-dsb-after-tlbi", soft, fw.warn_at, fn, arg,
		       "tlbi %s is not completed by a DSB before the call at %s (the callee may "
		       "complete it)",
		       name, loc(f, fw.warn_at, l1, sizeof(l1)));
		nf++;
	}
	if (fw.narrow || bw.narrow) {
		const char *need = tflags & TLBI_F_OS ? "osh or sy" : "ish or sy";
		char both[320] = "";

		at = fw.narrow ? fw.narrow_at : bw.narrow_at;
		if (fw.narrow && bw.narrow)
			snprintf(both, sizeof(both), "; so is the %s at %s before it",
				 insn_text(f, bw.narrow_at, t2, sizeof(t2)),
				 loc(f, bw.narrow_at, l2, sizeof(l2)));
		report(s, site, "bbm-dsb-domain", LINTSEQ_ERROR, at, fn, arg,
		       "the %s at %s is too narrow for %stlbi %s%s (needs %s)%s",
		       insn_text(f, at, t1, sizeof(t1)), loc(f, at, l1, sizeof(l1)),
		       bcast ? "the broadcast " : "", name,
		       bcast ? "" : " on a table other CPUs walk", need, both);
		nf++;
	}

	/* 4. After completion, an ISB before this CPU relies on the new mapping (D8.17). */
	if (!fw.err && fw.no_isb) {
		report(s, site, "missing-isb", LINTSEQ_WARNING, fw.no_isb_at, fn, arg,
		       "no ISB after the DSB that completes tlbi %s before %s at %s; this CPU may "
		       "still use the old translation",
		       name, end_kind(f, fw.no_isb_at), loc(f, fw.no_isb_at, l1, sizeof(l1)));
		nf++;
	}

	/* 5. A stage-2 IPA invalidation leaves combined stage-1+2 entries (D8.17). */
	if ((tflags & TLBI_F_IPA) && !stage1_follows(s, site, &at)) {
		report(
		    s, site, "tlbi-wrong-regime", LINTSEQ_ERROR, at, fn, arg,
		    "tlbi %s invalidates stage 2 only; without a following stage-1 "
		    "invalidation (tlbi vmalle1is) cached combined stage 1+2 entries for the IPA "
		    "survive",
		    name);
		nf++;
	}
	return nf;
}
