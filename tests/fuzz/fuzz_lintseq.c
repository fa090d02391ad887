/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: lint's sequence analysis (lintseq.c, with disasm.c classifying
 * the words) on generated functions.
 *
 * Input: bytes that drive a generator. A function of up to 48 instructions is
 * drawn from the words maintenance code is made of: stores, DSB and DMB of
 * every domain, ISB, TLBIs (local, inner and outer shareable, by VA, by IPA,
 * whole-regime), NOP/ADD, RET; half the time also branches forward and back,
 * conditional branches, calls (to a callee known to be plain, or unknown),
 * indirect calls and jumps, and arbitrary words.
 *
 * Promises checked, for every TLBI of the function:
 *  - lintseq_site() ends, returns the number of findings it reported, each
 *    rule at most once, with the severity the rule has (missing-isb a
 *    warning; bbm-local-tlbi, bbm-dsb-domain, tlbi-wrong-regime errors; a DSB
 *    a caller or callee may provide a warning, an error with LINTSEQ_STRICT),
 *    a window that holds the site and the instruction named, and a message;
 *    it returns -1 for an index that is no TLBI;
 *  - strict changes severities only (those warnings become errors);
 *  - --private only removes findings, and only bbm-local-tlbi and
 *    bbm-dsb-domain of a local TLBI; a broadcast TLBI's findings stay;
 *  - the same words at another address give the same findings and windows
 *    (branches are PC-relative; messages differ only in the branch targets
 *    the disassembly prints);
 *  - straight-line code (no branch or call) gives exactly the findings of a
 *    second, independent reading of the rules (oracle() below: one path
 *    back to the function's entry and one forward to its end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "disasm.h"
#include "lintseq.h"

#define BASE 0x40200000ull
#define MAXN 48
#define CALLEE 0x1000 /* offset of the callee known to be plain */

static const uint8_t *in;
static size_t in_len, in_pos;

static unsigned byte(void) { return in_pos < in_len ? in[in_pos++] : 0; }
static unsigned pick(unsigned n) { return n ? byte() % n : 0; }

#define STR_XZR 0xf900001fu /* str xzr, [x0] */
#define STR_X2 0xf9000002u  /* str x2, [x0] */
#define RET 0xd65f03c0u
#define NOP 0xd503201fu
#define ADD 0x91000421u /* add x1, x1, #1 */
#define BLR 0xd63f0020u /* blr x1 */
#define BR 0xd61f0020u	/* br x1 */
#define B(d) (0x14000000u | ((uint32_t)(d)&0x3ffffff))
#define BNE(d) (0x54000001u | (((uint32_t)(d)&0x7ffff) << 5))
#define CBZ(d) (0xb4000003u | (((uint32_t)(d)&0x7ffff) << 5))
#define BL(d) (0x94000000u | ((uint32_t)(d)&0x3ffffff))

#define BAR_CRM(name, crm) crm,
static const unsigned bars[] = {BAR_OPTIONS(BAR_CRM)};
#undef BAR_CRM

static uint32_t gen_tlbi(void)
{
	/* the ops code uses, and now and then any op */
	static const unsigned ops[] = {
	    TLBI_vale2is, TLBI_vae2is,	  TLBI_vale2,	TLBI_vae2,    TLBI_vale2os,
	    TLBI_alle2is, TLBI_alle2,	  TLBI_vale1is, TLBI_vae1,    TLBI_ipas2e1is,
	    TLBI_ipas2e1, TLBI_vmalle1is, TLBI_vmalle1, TLBI_rvae2is, TLBI_vmalls12e1is};
	unsigned op = pick(8) ? ops[pick(sizeof(ops) / sizeof(ops[0]))] : pick(TLBI_NR_OPS);
	unsigned f = arm64_tlbi_flags(op);
	return arm64_tlbi_insn(op, (f & TLBI_F_ALL) ? 31 : 1 + pick(4));
}

/* One word: straight-line ones only unless branches. */
static uint32_t gen_word(size_t i, size_t n, bool branches)
{
	unsigned k = pick(branches ? 20 : 14);

	switch (k) {
	case 0:
	case 1:
		return pick(2) ? STR_XZR : STR_X2;
	case 2:
	case 3:
	case 4:
		return INSN_DSB(bars[pick(sizeof(bars) / sizeof(bars[0]))]);
	case 5:
		return INSN_DMB(bars[pick(sizeof(bars) / sizeof(bars[0]))]);
	case 6:
	case 7:
		return INSN_ISB;
	case 8:
	case 9:
	case 10:
		return gen_tlbi();
	case 11:
		return pick(2) ? NOP : ADD;
	case 12:
		return pick(4) ? NOP : RET;
	case 13:
		return INSN_DSB(bars[pick(sizeof(bars) / sizeof(bars[0]))]);
	case 14: /* anywhere in the function, or out of it */
		return B((int)pick((unsigned)n + 4) - (int)i - 2);
	case 15:
		return BNE((int)pick((unsigned)n + 4) - (int)i - 2);
	case 16:
		return CBZ((int)pick((unsigned)n + 4) - (int)i - 2);
	case 17:
		return pick(2) ? BL((int)(CALLEE / 4) - (int)i) : BL(100 + pick(100));
	case 18:
		return pick(2) ? BLR : BR;
	default:
		return (uint32_t)byte() | (uint32_t)byte() << 8 | (uint32_t)byte() << 16 |
		       (uint32_t)byte() << 24;
	}
}

static bool plain_callee(uint64_t target, void *arg)
{
	return target == *(const uint64_t *)arg + CALLEE;
}

/* ---- findings ---- */

struct one {
	char rule[32];
	int sev;
	size_t at, lo, hi;
	char msg[512];
};

struct res {
	struct one f[16];
	int n;
};

static void collect(const struct lintseq_func *f, const struct lintseq_finding *fd, void *arg)
{
	struct res *r = arg;

	if (r->n == 16)
		abort(); /* more findings than rules */
	struct one *o = &r->f[r->n++];
	snprintf(o->rule, sizeof(o->rule), "%s", fd->rule);
	o->sev = fd->severity;
	o->at = fd->at;
	o->lo = fd->lo;
	o->hi = fd->hi;
	snprintf(o->msg, sizeof(o->msg), "%s", fd->message);
	if (fd->site >= f->n || fd->at >= f->n || fd->hi >= f->n || fd->lo > fd->site ||
	    fd->hi < fd->site || fd->lo > fd->at || fd->hi < fd->at || !fd->message[0])
		abort();
}

static void analyse(const uint32_t *w, size_t n, uint64_t base, bool priv, unsigned opts,
		    size_t site, struct res *r)
{
	struct lintseq_insn ins[MAXN];
	uint64_t b = base;
	struct lintseq_func f = {.name = "f",
				 .start = base,
				 .insns = ins,
				 .n = n,
				 .private_table = priv,
				 .call_transparent = plain_callee,
				 .call_arg = &b};
	struct lintseq *s;

	for (size_t i = 0; i < n; i++) {
		ins[i].addr = base + 4 * i;
		ins[i].word = w[i];
		disasm_classify(ins[i].addr, w[i], &ins[i].c);
	}
	memset(r, 0, sizeof(*r));
	s = lintseq_new(&f, opts);
	if (!s)
		abort();
	if (lintseq_site(s, site, collect, r) != r->n)
		abort();
	/* an index that is no TLBI */
	for (size_t i = 0; i < n; i++)
		if (ins[i].c.kind != DISASM_TLBI) {
			struct res dummy;
			memset(&dummy, 0, sizeof(dummy));
			if (lintseq_site(s, i, collect, &dummy) != -1 || dummy.n)
				abort();
			break;
		}
	lintseq_free(s);
}

static const struct one *find(const struct res *r, const char *rule)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].rule, rule))
			return &r->f[i];
	return NULL;
}

static void rules_and_severities(const struct res *r, bool strict)
{
	for (int i = 0; i < r->n; i++) {
		const struct one *o = &r->f[i];
		for (int j = 0; j < i; j++)
			if (!strcmp(r->f[j].rule, o->rule))
				abort(); /* a rule twice */
		if (!strcmp(o->rule, "missing-isb")) {
			if (o->sev != LINTSEQ_WARNING)
				abort();
		} else if (!strcmp(o->rule, "bbm-no-dsb-before-tlbi") ||
			   !strcmp(o->rule, "bbm-no-dsb-after-tlbi")) {
			if (strict && o->sev != LINTSEQ_ERROR)
				abort();
		} else if (!strcmp(o->rule, "bbm-local-tlbi") ||
			   !strcmp(o->rule, "bbm-dsb-domain") ||
			   !strcmp(o->rule, "tlbi-wrong-regime")) {
			if (o->sev != LINTSEQ_ERROR)
				abort();
		} else {
			abort(); /* not a rule lint reports */
		}
	}
}

/* ---- the oracle: straight-line code, read from the rules ---- */

static bool falls(uint32_t w) { return w != RET; }

static bool too_narrow(unsigned tflags, bool priv, unsigned crm)
{
	unsigned dom = BAR_DOM(crm);
	if (tflags & TLBI_F_OS) /* needs OSH or SY */
		return dom == BAR_DOM_NSH || dom == BAR_DOM_ISH;
	if (tflags & TLBI_F_IS) /* needs ISH, OSH or SY */
		return dom == BAR_DOM_NSH;
	return dom == BAR_DOM_NSH && !priv; /* a local op on a table others walk */
}

static void expect(struct res *r, const char *rule, int sev, size_t at)
{
	struct one *o = &r->f[r->n++];
	snprintf(o->rule, sizeof(o->rule), "%s", rule);
	o->sev = sev;
	o->at = at;
}

/* The findings D8.17 asks for at site, on code without branches or calls. */
static void oracle(const struct lintseq_insn *ins, size_t n, size_t site, bool priv, bool strict,
		   struct res *r)
{
	unsigned tf = arm64_tlbi_flags(ins[site].c.opt);
	bool bcast = tf & (TLBI_F_IS | TLBI_F_OS);
	/* backward: the DSB (ST or full) that orders the last store before the TLBI */
	bool b_err = false, b_entry = false, b_narrow = false;
	size_t b_err_at = 0, b_narrow_at = 0;
	for (size_t i = site;; i--) {
		const struct disasm_class *c = &ins[i].c;
		if (i != site) {
			if (c->kind == DISASM_DSB &&
			    (BAR_TYPE(c->opt) == BAR_TYPE_ALL || BAR_TYPE(c->opt) == BAR_TYPE_ST)) {
				b_narrow = too_narrow(tf, priv, c->opt);
				b_narrow_at = i;
				break;
			}
			if (c->kind == DISASM_STORE) {
				b_err = true;
				b_err_at = i;
				break;
			}
		}
		if (i == 0 || !falls(ins[i - 1].word)) {
			b_entry = true; /* a caller may have ordered it */
			break;
		}
	}
	/* forward: a full DSB that completes it, then an ISB */
	bool f_err = false, f_partial = false, f_narrow = false, f_noisb = false;
	size_t f_err_at = 0, f_narrow_at = 0, f_noisb_at = 0;
	int phase = 0;
	if (site + 1 >= n) {
		f_err = true;
		f_err_at = site;
	}
	for (size_t i = site + 1; i < n; i++) {
		const struct disasm_class *c = &ins[i].c;
		if (c->kind == DISASM_DSB && phase == 0) {
			if (BAR_TYPE(c->opt) == BAR_TYPE_ALL) {
				f_narrow = too_narrow(tf, priv, c->opt);
				f_narrow_at = i;
				phase = 1;
			} else if (BAR_TYPE(c->opt)) {
				f_partial = true;
			}
		} else if (c->kind == DISASM_ISB && phase == 1) {
			break;
		} else if (c->kind == DISASM_STORE && phase == 0) {
			f_err = true;
			f_err_at = i;
			break;
		}
		if (c->kind == DISASM_RET || i + 1 == n) { /* returns, or falls off the end */
			if (phase == 0) {
				f_err = true;
				f_err_at = i;
			} else {
				f_noisb = true;
				f_noisb_at = i;
			}
			break;
		}
	}
	(void)f_partial;
	/* stage 2: a stage-1 invalidation must follow before the function ends */
	bool s1 = false;
	size_t s1_at = site;
	if (tf & TLBI_F_IPA) {
		for (size_t i = site + 1; i < n; i++) {
			const struct disasm_class *c = &ins[i].c;
			if (c->kind == DISASM_TLBI && (arm64_tlbi_flags(c->opt) & TLBI_F_EL1)) {
				s1 = true;
				break;
			}
			s1_at = i;
			if (c->kind == DISASM_RET)
				break;
		}
	}
	memset(r, 0, sizeof(*r));
	if (!bcast && !priv)
		expect(r, "bbm-local-tlbi", LINTSEQ_ERROR, site);
	if (b_err)
		expect(r, "bbm-no-dsb-before-tlbi", LINTSEQ_ERROR, b_err_at);
	else if (b_entry)
		expect(r, "bbm-no-dsb-before-tlbi", strict ? LINTSEQ_ERROR : LINTSEQ_WARNING, site);
	if (f_err)
		expect(r, "bbm-no-dsb-after-tlbi", LINTSEQ_ERROR, f_err_at);
	if (f_narrow || (b_narrow && !b_err))
		expect(r, "bbm-dsb-domain", LINTSEQ_ERROR, f_narrow ? f_narrow_at : b_narrow_at);
	if (!f_err && f_noisb)
		expect(r, "missing-isb", LINTSEQ_WARNING, f_noisb_at);
	if ((tf & TLBI_F_IPA) && !s1)
		expect(r, "tlbi-wrong-regime", LINTSEQ_ERROR, s1_at);
}

static void same(const struct res *a, const struct res *b, bool windows, const char *what,
		 const uint32_t *w, size_t n, size_t site)
{
	bool ok = a->n == b->n;

	for (int i = 0; ok && i < a->n; i++)
		ok = !strcmp(a->f[i].rule, b->f[i].rule) && a->f[i].sev == b->f[i].sev &&
		     a->f[i].at == b->f[i].at &&
		     (!windows || (a->f[i].lo == b->f[i].lo && a->f[i].hi == b->f[i].hi));
	if (ok)
		return;
	fprintf(stderr, "%s: site %zu of:\n", what, site);
	for (size_t i = 0; i < n; i++) {
		char t[96];
		uint8_t bytes[4] = {(uint8_t)w[i], (uint8_t)(w[i] >> 8), (uint8_t)(w[i] >> 16),
				    (uint8_t)(w[i] >> 24)};
		disasm_insn(BASE + 4 * i, bytes, 4, t, sizeof(t));
		fprintf(stderr, "  %2zu %08x %s\n", i, w[i], t);
	}
	for (int i = 0; i < a->n || i < b->n; i++)
		fprintf(stderr, "  %s:%d@%zu | %s:%d@%zu\n", i < a->n ? a->f[i].rule : "-",
			i < a->n ? a->f[i].sev : -1, i < a->n ? a->f[i].at : 0,
			i < b->n ? b->f[i].rule : "-", i < b->n ? b->f[i].sev : -1,
			i < b->n ? b->f[i].at : 0);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t w[MAXN];
	struct lintseq_insn ins[MAXN];
	bool branches;
	size_t n;

	in = data;
	in_len = size;
	in_pos = 0;
	branches = pick(2);
	n = 1 + pick(MAXN);
	for (size_t i = 0; i < n; i++)
		w[i] = gen_word(i, n, branches);
	if (pick(2))
		w[n - 1] = RET;
	for (size_t i = 0; i < n; i++) {
		ins[i].addr = BASE + 4 * i;
		ins[i].word = w[i];
		disasm_classify(ins[i].addr, w[i], &ins[i].c);
	}
	for (size_t site = 0; site < n; site++) {
		if (ins[site].c.kind != DISASM_TLBI)
			continue;
		unsigned tf = arm64_tlbi_flags(ins[site].c.opt);
		struct res plain, strict, priv, priv_strict, moved, want;
		analyse(w, n, BASE, false, 0, site, &plain);
		analyse(w, n, BASE, false, LINTSEQ_STRICT, site, &strict);
		analyse(w, n, BASE, true, 0, site, &priv);
		analyse(w, n, BASE, true, LINTSEQ_STRICT, site, &priv_strict);
		analyse(w, n, BASE + 0x123000, false, 0, site, &moved);
		rules_and_severities(&plain, false);
		rules_and_severities(&strict, true);
		rules_and_severities(&priv, false);
		rules_and_severities(&priv_strict, true);
		same(&plain, &moved, true, "another address gives other findings", w, n, site);
		/* strict: the same rules at the same places */
		if (plain.n != strict.n)
			abort();
		for (int i = 0; i < plain.n; i++)
			if (strcmp(plain.f[i].rule, strict.f[i].rule) ||
			    plain.f[i].at != strict.f[i].at ||
			    (plain.f[i].sev != strict.f[i].sev &&
			     plain.f[i].sev != LINTSEQ_WARNING))
				abort();
		/* private: fewer findings, only the local op's two */
		for (int i = 0; i < priv.n; i++) {
			const struct one *o = find(&plain, priv.f[i].rule);
			if (!o || o->sev != priv.f[i].sev || o->at != priv.f[i].at)
				abort();
		}
		for (int i = 0; i < plain.n; i++)
			if (!find(&priv, plain.f[i].rule) &&
			    ((tf & (TLBI_F_IS | TLBI_F_OS)) ||
			     (strcmp(plain.f[i].rule, "bbm-local-tlbi") &&
			      strcmp(plain.f[i].rule, "bbm-dsb-domain"))))
				abort();
		if (!branches) {
			oracle(ins, n, site, false, false, &want);
			same(&want, &plain, false, "straight-line code, not the rules' findings", w,
			     n, site);
			oracle(ins, n, site, false, true, &want);
			same(&want, &strict, false, "straight-line code, strict", w, n, site);
			oracle(ins, n, site, true, false, &want);
			same(&want, &priv, false, "straight-line code, --private", w, n, site);
		}
	}
	return 0;
}
