/* SPDX-License-Identifier: MIT */
#include "arm64.h"
#include "lintseq.h"
#include "unit.h"

#define BASE 0x40200000ull

/* Instruction words (verified with aarch64-linux-gnu-as). */
#define STR_XZR 0xf900001fu /* str xzr, [x0] */
#define STR_X2 0xf9000002u  /* str x2, [x0] */
#define RET 0xd65f03c0u
#define NOP 0xd503201fu
#define ADD 0x91000421u /* add x1, x1, #1 */
#define TLBI(op) arm64_tlbi_insn(TLBI_##op, 1)
#define TLBI_ALL(op) arm64_tlbi_insn(TLBI_##op, 31)
#define DSB(o) INSN_DSB(BAR_##o)
#define DMB(o) INSN_DMB(BAR_##o)
#define ISB INSN_ISB
/* Branches by instruction distance. */
#define B(d) (0x14000000u | ((uint32_t)(d)&0x3ffffff))
#define BNE(d) (0x54000001u | (((uint32_t)(d)&0x7ffff) << 5))
#define CBZ(d) (0xb4000003u | (((uint32_t)(d)&0x7ffff) << 5)) /* cbz x3 */
#define BL(d) (0x94000000u | ((uint32_t)(d)&0x3ffffff))

struct result {
	char rules[512]; /* "rule:e rule:w ..." */
	int n;
	size_t at[8];
};

static void collect(const struct lintseq_func *f, const struct lintseq_finding *fd, void *arg)
{
	struct result *r = arg;
	size_t len = strlen(r->rules);

	(void)f;
	snprintf(r->rules + len, sizeof(r->rules) - len, "%s%s:%c", len ? " " : "", fd->rule,
		 fd->severity == LINTSEQ_ERROR ? 'e' : 'w');
	if (r->n < 8)
		r->at[r->n] = fd->at;
	r->n++;
	/* The window always holds the site and the instruction the message names. */
	if (fd->lo > fd->site || fd->hi < fd->site || fd->lo > fd->at || fd->hi < fd->at ||
	    fd->hi >= f->n || !fd->message[0])
		snprintf(r->rules, sizeof(r->rules), "BAD WINDOW");
}

static bool plain_callee(uint64_t target, void *arg)
{
	(void)arg;
	return target == BASE + 0x1000; /* the "logger" */
}

/* Lints the code's TLBI at index site (or the first TLBI) and returns the rules found. */
static const char *lint(const uint32_t *w, size_t n, bool priv, unsigned opts, struct result *r)
{
	struct lintseq_insn in[64];
	struct lintseq_func f = {.name = "f",
				 .start = BASE,
				 .insns = in,
				 .n = n,
				 .private_table = priv,
				 .call_transparent = plain_callee};
	struct lintseq *s;
	size_t site = n;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		in[i].addr = BASE + 4 * i;
		in[i].word = w[i];
		disasm_classify(in[i].addr, w[i], &in[i].c);
		if (site == n && in[i].c.kind == DISASM_TLBI)
			site = i;
	}
	s = lintseq_new(&f, opts);
	if (!s)
		return "OOM";
	if (lintseq_site(s, site, collect, r) != r->n)
		snprintf(r->rules, sizeof(r->rules), "BAD COUNT");
	lintseq_free(s);
	return r->rules;
}

#define LINT(r, priv, opts, ...)                                                                   \
	({                                                                                         \
		const uint32_t code_[] = {__VA_ARGS__};                                            \
		lint(code_, sizeof(code_) / sizeof(code_[0]), priv, opts, r);                      \
	})

static void clean_sequences(void)
{
	struct result r;

	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(ISH), ISB, STR_X2, RET), "");
	/* Per-CPU table: local op and NSH barriers are right. */
	CHECK_STR(LINT(&r, true, 0, STR_XZR, DSB(NSHST), TLBI(vale2), DSB(NSH), ISB, RET), "");
	/* Loop of TLBIs, one DSB after it. */
	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vae2is), ADD, BNE(-2), DSB(ISH), ISB, RET),
	    "");
	/* Both arms of a branch complete it. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), CBZ(4), DSB(ISH), ISB, RET,
		       DSB(SY), ISB, RET),
		  "");
	/* Stage 2 then stage 1. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(ipas2e1is), DSB(ISH),
		       TLBI_ALL(vmalle1is), DSB(ISH), ISB, RET),
		  "");
	/* A plain callee is stepped over, its stores not counted. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), BL(0x1000 / 4 - 2), TLBI(vale2is),
		       BL(0x1000 / 4 - 4), DSB(ISH), ISB, RET),
		  "");
	/* Outer shareable op with OSH barriers. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(OSHST), TLBI(vale2os), DSB(OSH), ISB, RET), "");
}

static void local_and_domain(void)
{
	struct result r;

	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2), DSB(ISH), ISB, RET),
		  "bbm-local-tlbi:e");
	/* The seed's sequence. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(NSHST), TLBI(vale2), DSB(NSH), ISB, RET),
		  "bbm-local-tlbi:e bbm-dsb-domain:e");
	CHECK(r.at[1] == 3); /* points at the completing DSB */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(NSH), ISB, RET),
		  "bbm-dsb-domain:e");
	/* Broadcast op in a private function still needs an ISH DSB. */
	CHECK_STR(LINT(&r, true, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(NSH), ISB, RET),
		  "bbm-dsb-domain:e");
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(NSHST), TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-dsb-domain:e");
	CHECK(r.at[0] == 1);
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(OSHST), TLBI(vale2os), DSB(ISH), ISB, RET),
		  "bbm-dsb-domain:e");
}

static void dsb_after(void)
{
	struct result r;

	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), ISB, RET),
		  "bbm-no-dsb-after-tlbi:e");
	CHECK(r.at[0] == 4);
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(ISHST), STR_X2, RET),
		  "bbm-no-dsb-after-tlbi:e");
	CHECK(strstr(r.rules, "after"));
	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), STR_X2, DSB(ISH), ISB, RET),
	    "bbm-no-dsb-after-tlbi:e");
	CHECK(r.at[0] == 3);
	/* One arm skips the DSB. */
	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), CBZ(2), DSB(ISH), ISB, RET),
	    "bbm-no-dsb-after-tlbi:e");
	/* Falls off the end / branches away. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is)),
		  "bbm-no-dsb-after-tlbi:e");
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), B(100)),
		  "bbm-no-dsb-after-tlbi:e");
	/* A call to something that is not known to be plain: warning (error when strict). */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), BL(50), RET),
		  "bbm-no-dsb-after-tlbi:w");
	CHECK_STR(LINT(&r, false, LINTSEQ_STRICT, STR_XZR, DSB(ISHST), TLBI(vale2is), BL(50), RET),
		  "bbm-no-dsb-after-tlbi:e");
}

static void dsb_before(void)
{
	struct result r;

	CHECK_STR(LINT(&r, false, 0, STR_XZR, TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:e");
	CHECK(r.at[0] == 0);
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DMB(ISHST), TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:e");
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHLD), TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:e");
	/* No store in the function: a caller may have done it. */
	CHECK_STR(LINT(&r, false, 0, NOP, TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:w");
	CHECK_STR(LINT(&r, false, LINTSEQ_STRICT, TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:e");
	/* A call between the store and the TLBI: the callee may order it (a warning). */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, BL(50), TLBI(vale2is), DSB(ISH), ISB, RET),
		  "bbm-no-dsb-before-tlbi:w");
	CHECK(r.at[0] == 1);
	/* The entry is a loop's target: the first pass comes from a caller, which may
	 * have stored without a DSB, even though the loop's own path is ordered. */
	CHECK_STR(LINT(&r, false, 0, NOP, TLBI(vale2is), DSB(ISH), ISB, CBZ(-4), RET),
		  "bbm-no-dsb-before-tlbi:w");
	/* A store on one incoming path only (the branch skips the DSB). */
	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, CBZ(2), DSB(ISHST), TLBI(vale2is), DSB(ISH), ISB, RET),
	    "bbm-no-dsb-before-tlbi:e");
	/* A batch: the second TLBI looks through the first to the DSB. */
	{
		const uint32_t w[] = {STR_XZR, DSB(ISHST), TLBI(vale2is), TLBI(vae2is), DSB(ISH),
				      ISB,     RET};
		struct lintseq_insn in[7];
		struct lintseq_func f = {.name = "f", .start = BASE, .insns = in, .n = 7};
		struct lintseq *s;

		for (size_t i = 0; i < 7; i++) {
			in[i].addr = BASE + 4 * i;
			in[i].word = w[i];
			disasm_classify(in[i].addr, w[i], &in[i].c);
		}
		s = lintseq_new(&f, 0);
		CHECK(s);
		memset(&r, 0, sizeof(r));
		CHECK(lintseq_site(s, 3, collect, &r) == 0);
		CHECK(lintseq_site(s, 2, collect, &r) == 0);
		CHECK(lintseq_site(s, 0, collect, &r) == -1); /* not a TLBI */
		CHECK(lintseq_site(s, 7, collect, &r) == -1);
		lintseq_free(s);
	}
}

static void isb_and_regime(void)
{
	struct result r;

	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(ISH), RET),
		  "missing-isb:w");
	CHECK(r.at[0] == 4);
	/* The make store may come before the ISB. */
	CHECK_STR(
	    LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(vale2is), DSB(ISH), STR_X2, ISB, RET), "");
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(ipas2e1is), DSB(ISH), ISB, RET),
		  "tlbi-wrong-regime:e");
	/* An EL2 op after it is no stage-1 invalidation of the guest's EL1&0 regime. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(ipas2e1is), DSB(ISH), TLBI(vae2is),
		       DSB(ISH), ISB, RET),
		  "tlbi-wrong-regime:e");
	/* Stage-1 op on one path only. */
	CHECK_STR(LINT(&r, false, 0, STR_XZR, DSB(ISHST), TLBI(ipas2e1is), DSB(ISH), CBZ(3),
		       TLBI_ALL(vmalle1is), DSB(ISH), ISB, RET),
		  "tlbi-wrong-regime:e");
}

static void windows(void)
{
	const uint32_t w[] = {NOP,	     NOP, NOP,	    NOP, NOP, STR_XZR, DSB(ISHST), NOP,
			      TLBI(vale2is), NOP, DSB(ISH), ISB, NOP, NOP,     NOP,	   NOP};
	struct lintseq_insn in[16];
	struct lintseq_func f = {.start = BASE, .insns = in, .n = 16};
	size_t lo, hi;

	for (size_t i = 0; i < 16; i++) {
		in[i].addr = BASE + 4 * i;
		in[i].word = w[i];
		disasm_classify(in[i].addr, w[i], &in[i].c);
	}
	lintseq_window(&f, 8, &lo, &hi);
	CHECK(lo == 5 && hi == 11); /* the store before the DSB .. the ISB */
	f.n = 9;
	lintseq_window(&f, 8, &lo, &hi);
	CHECK(hi == 8);
	f.insns = in + 8;
	f.n = 1;
	lintseq_window(&f, 0, &lo, &hi);
	CHECK(lo == 0 && hi == 0);
}

int main(void)
{
	RUN(clean_sequences);
	RUN(local_and_domain);
	RUN(dsb_after);
	RUN(dsb_before);
	RUN(isb_and_regime);
	RUN(windows);
	disasm_cleanup();
	return UNIT_EXIT();
}
