/* SPDX-License-Identifier: MIT */
/* The checker through its API: events as structs, findings collected. */
#include <stdlib.h>

#include "arm64.h"
#include "bbm.h"
#include "desc.h"
#include "unit.h"

static char got[2048];

static void collect(const struct bbm_finding *f, void *arg)
{
	(void)arg;
	char one[64];

	snprintf(one, sizeof(one), "%s%s@%u", got[0] ? " " : "", f->rule, f->line);
	strncat(got, one, sizeof(got) - strlen(got) - 1);
}

static struct fm_table_decl hyp_decl;

static struct fm_trace_ctx ctx4(void)
{
	struct fm_trace_ctx c;

	memset(&c, 0, sizeof(c));
	memset(&hyp_decl, 0, sizeof(hyp_decl));
	c.ncpus = 4;
	c.ntables = c.tables_cap = 1;
	c.tables = &hyp_decl;
	strcpy(hyp_decl.name, "hyp");
	hyp_decl.regime = FM_REGIME_EL2;
	hyp_decl.shared = true;
	hyp_decl.cpus[0] = 0xf;
	return c;
}

static uint32_t line;

static struct fm_event pte(unsigned cpu, uint64_t va, unsigned level, uint64_t old, uint64_t new)
{
	struct fm_event e = {.type = FM_EV_PTE,
			     .cpu = (uint16_t)cpu,
			     .level = (int8_t)level,
			     .va = va,
			     .old = old,
			     .new = new};
	e.line = ++line;
	e.seq = line;
	return e;
}

static struct fm_event bar(unsigned type, unsigned cpu, unsigned crm)
{
	struct fm_event e = {.type = (uint8_t)type, .cpu = (uint16_t)cpu, .bar = (uint8_t)crm};
	e.line = ++line;
	e.seq = line;
	return e;
}

static struct fm_event tlbi(unsigned cpu, unsigned op, uint64_t va)
{
	struct fm_event e = {.type = FM_EV_TLBI, .cpu = (uint16_t)cpu, .tlbi = (uint16_t)op};
	e.arg = arm64_tlbi_encode(op, va, 0, 0);
	e.va = va;
	e.line = ++line;
	e.seq = line;
	return e;
}

static void run(struct bbm *b, const struct fm_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bbm_event(b, &ev[i]);
	bbm_finish(b);
}

static void seed_local_and_fixed(void)
{
	struct fm_trace_ctx c = ctx4();
	struct bbm *b;

	line = 0;
	got[0] = '\0';
	struct fm_event local[] = {
	    pte(1, 0x80001000, 3, 0, 0x41000743),
	    bar(FM_EV_DSB, 1, BAR_ISHST),
	    pte(1, 0x80001000, 3, 0x41000743, 0),
	    bar(FM_EV_DSB, 1, BAR_NSHST),
	    tlbi(1, TLBI_vale2, 0x80001000),
	    bar(FM_EV_DSB, 1, BAR_NSH),
	    bar(FM_EV_ISB, 1, BAR_SY),
	    pte(1, 0x80001000, 3, 0, 0x41005743),
	};
	b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);
	CHECK(b != NULL);
	run(b, local, sizeof(local) / sizeof(local[0]));
	bbm_free(b);
	CHECK_STR(got, "bbm-local-tlbi@5 bbm-dsb-domain@4");

	line = 0;
	got[0] = '\0';
	struct fm_event fixed[] = {
	    pte(1, 0x80001000, 3, 0, 0x41000743),
	    bar(FM_EV_DSB, 1, BAR_ISHST),
	    pte(1, 0x80001000, 3, 0x41000743, 0),
	    bar(FM_EV_DSB, 1, BAR_ISHST),
	    tlbi(1, TLBI_vale2is, 0x80001000),
	    bar(FM_EV_DSB, 1, BAR_ISH),
	    bar(FM_EV_ISB, 1, BAR_SY),
	    pte(1, 0x80001000, 3, 0, 0x41005743),
	};
	b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);
	run(b, fixed, sizeof(fixed) / sizeof(fixed[0]));
	bbm_free(b);
	CHECK_STR(got, "");
}

/* Live events carry no line (0): the rules must not depend on it. */
static void live_events_without_lines(void)
{
	struct fm_trace_ctx c = ctx4();
	struct bbm *b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);

	line = 0;
	got[0] = '\0';
	struct fm_event ev[] = {
	    pte(1, 0x80001000, 3, 0x41000743, 0), bar(FM_EV_DSB, 1, BAR_NSHST),
	    tlbi(1, TLBI_vale2, 0x80001000),	  bar(FM_EV_DSB, 1, BAR_NSH),
	    pte(1, 0x80001000, 3, 0, 0x41005743),
	};
	for (size_t i = 0; i < 5; i++) {
		ev[i].line = 0;
		ev[i].seq = 0; /* the source's numbering may not start at 1 either */
	}
	run(b, ev, 5);
	bbm_free(b);
	CHECK_STR(got, "bbm-local-tlbi@0 bbm-dsb-domain@0");
}

static void dmb_never_completes(void)
{
	struct fm_trace_ctx c = ctx4();
	struct bbm *b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);

	line = 0;
	got[0] = '\0';
	struct fm_event ev[] = {
	    pte(0, 0x80002000, 3, 0x41000743, 0), bar(FM_EV_DSB, 0, BAR_ISHST),
	    tlbi(0, TLBI_vale2is, 0x80002000),	  bar(FM_EV_DMB, 0, BAR_ISH),
	    pte(0, 0x80002000, 3, 0, 0x41005743),
	};
	run(b, ev, sizeof(ev) / sizeof(ev[0]));
	bbm_free(b);
	CHECK_STR(got, "bbm-no-dsb-after-tlbi@5");
}

static void policies(void)
{
	enum bbm_policy p;

	CHECK(bbm_policy_parse("arm", &p) == 0 && p == BBM_POLICY_ARM);
	CHECK(bbm_policy_parse("linux", &p) == 0 && p == BBM_POLICY_LINUX);
	CHECK(bbm_policy_parse("strict", &p) == 0 && p == BBM_POLICY_STRICT);
	CHECK(bbm_policy_parse("Arm", &p) == -1);
	CHECK_STR(bbm_policy_name(BBM_POLICY_STRICT), "strict");
	CHECK(bbm_rule_index("missing-isb") == BBM_NRULES - 1);
	CHECK(bbm_rule_index("nope") == -1);

	/* AP[2] only: safe under arm, a change under strict. */
	for (int strict = 0; strict < 2; strict++) {
		struct fm_trace_ctx c = ctx4();
		struct bbm *b =
		    bbm_new(&c, strict ? BBM_POLICY_STRICT : BBM_POLICY_ARM, collect, NULL);
		line = 0;
		got[0] = '\0';
		struct fm_event ev[] = {
		    pte(0, 0x80002000, 3, 0x41000743, 0x41000743 | DESC_AP2),
		    bar(FM_EV_DSB, 0, BAR_ISHST),
		    tlbi(0, TLBI_vale2is, 0x80002000),
		    bar(FM_EV_DSB, 0, BAR_ISH),
		};
		run(b, ev, 4);
		bbm_free(b);
		CHECK_STR(got, strict ? "bbm-valid-to-valid@1" : "");
	}
}

/* Memory is bounded by live entries: a million map/unmap cycles keep a handful. */
static void memory_bounded(void)
{
	struct fm_trace_ctx c = ctx4();
	struct bbm *b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);
	struct bbm_stats st;

	line = 0;
	got[0] = '\0';
	for (unsigned i = 0; i < 100000; i++) {
		unsigned cpu = i % 4;
		uint64_t va = 0x80000000 + cpu * 0x1000, pa = 0x41000743 + ((uint64_t)i << 12);
		struct fm_event ev[] = {
		    pte(cpu, va, 3, 0, pa),	 bar(FM_EV_DSB, cpu, BAR_ISHST),
		    pte(cpu, va, 3, pa, 0),	 bar(FM_EV_DSB, cpu, BAR_ISHST),
		    tlbi(cpu, TLBI_vale2is, va), bar(FM_EV_DSB, cpu, BAR_ISH),
		    bar(FM_EV_ISB, cpu, BAR_SY),
		};
		for (size_t k = 0; k < 7; k++)
			bbm_event(b, &ev[k]);
	}
	bbm_finish(b);
	bbm_get_stats(b, &st);
	bbm_free(b);
	CHECK_STR(got, "");
	CHECK(st.events == 700000);
	CHECK(st.peak_entries <= 8);
}

/* Many pending entries at once, then one whole-regime TLBI: all covered. */
static void many_pending(void)
{
	struct fm_trace_ctx c = ctx4();
	struct bbm *b = bbm_new(&c, BBM_POLICY_ARM, collect, NULL);
	struct bbm_stats st;

	line = 0;
	got[0] = '\0';
	for (unsigned i = 0; i < 5000; i++) {
		struct fm_event e = pte(0, 0x80000000 + ((uint64_t)i << 12), 3, 0x41000743, 0);
		bbm_event(b, &e);
	}
	struct fm_event ev[] = {bar(FM_EV_DSB, 0, BAR_ISHST), tlbi(0, TLBI_alle2is, 0),
				bar(FM_EV_DSB, 0, BAR_ISH)};
	run(b, ev, 3);
	bbm_get_stats(b, &st);
	bbm_free(b);
	CHECK_STR(got, "");
	CHECK(st.entries == 0 && st.peak_entries == 5000);
}

int main(void)
{
	RUN(seed_local_and_fixed);
	RUN(live_events_without_lines);
	RUN(dmb_never_completes);
	RUN(policies);
	RUN(memory_bounded);
	RUN(many_pending);
	return UNIT_EXIT();
}
