/* SPDX-License-Identifier: MIT */
/* --explain: the event window, the lane diagram, the JSON and the wrapping. */
#include <stdlib.h>

#include "arm64.h"
#include "bbm.h"
#include "explain.h"
#include "print.h"
#include "unit.h"

static struct fm_table_decl decl;
static struct fm_trace_ctx ctx;
static uint32_t line;

static void ctx_n(unsigned ncpus)
{
	memset(&ctx, 0, sizeof(ctx));
	memset(&decl, 0, sizeof(decl));
	ctx.ncpus = ncpus;
	ctx.ntables = ctx.tables_cap = 1;
	ctx.tables = &decl;
	strcpy(decl.name, "hyp");
	decl.regime = FM_REGIME_EL2;
	decl.shared = true;
	for (unsigned c = 0; c < ncpus; c++)
		decl.cpus[c / 64] |= 1ull << (c % 64);
	line = 0;
}

static struct fm_event pte(unsigned cpu, uint64_t old, uint64_t new)
{
	return (struct fm_event){.type = FM_EV_PTE, .cpu = (uint16_t)cpu, .level = 3,
				 .va = 0x80001000, .old = old, .new = new, .line = ++line,
				 .seq = line, .pc = 0x40201000 + line * 4, .flags = FM_EVF_PC};
}

static struct fm_event bar(unsigned type, unsigned cpu, unsigned crm)
{
	return (struct fm_event){.type = (uint8_t)type, .cpu = (uint16_t)cpu, .bar = (uint8_t)crm,
				 .line = ++line, .seq = line};
}

static struct fm_event tlbi(unsigned cpu, unsigned op)
{
	struct fm_event e = {.type = FM_EV_TLBI, .cpu = (uint16_t)cpu, .tlbi = (uint16_t)op,
			     .line = ++line, .seq = line};
	e.arg = arm64_tlbi_encode(op, 0x80001000, 0, 0);
	return e;
}

static struct bbm_finding found[8];
static unsigned nfound;

static void collect(const struct bbm_finding *f, void *arg)
{
	(void)arg;
	if (nfound < 8)
		found[nfound++] = *f;
}

static char lines[128][512];
static unsigned nlines;

static void keep_line(const char *l, void *arg)
{
	(void)arg;
	if (nlines < 128)
		snprintf(lines[nlines++], sizeof(lines[0]), "%s", l);
}

static const char *find_line(const char *needle)
{
	for (unsigned i = 0; i < nlines; i++)
		if (strstr(lines[i], needle))
			return lines[i];
	return NULL;
}

static int symname(uint64_t pc, char *buf, size_t n, void *arg)
{
	(void)arg;
	snprintf(buf, n, "fixmap_unmap+%#x", (unsigned)(pc & 0xff));
	return 0;
}

/* The seed's local unmap-then-remap on cpu1 of four, through the window and the checker. */
static struct explain_window *seed_local(size_t per_cpu)
{
	struct fm_event ev[] = {
	    pte(1, 0x41000743, 0),	  bar(FM_EV_DSB, 1, BAR_NSHST), tlbi(1, TLBI_vale2),
	    bar(FM_EV_DSB, 1, BAR_NSH),	  bar(FM_EV_ISB, 1, BAR_SY),	pte(1, 0, 0x41005743),
	};
	struct explain_window *w = explain_window_new(ctx.ncpus, per_cpu);
	struct bbm *b = bbm_new(&ctx, BBM_POLICY_ARM, collect, NULL);

	nfound = 0;
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		explain_feed(w, b, &ev[i]);
	bbm_finish(b);
	bbm_free(b);
	return w;
}

static void window_keeps_the_last_events(void)
{
	struct explain_window *w = explain_window_new(2, 4);
	struct fm_event e = {.type = FM_EV_ISB};

	CHECK(w != NULL);
	for (uint64_t s = 1; s <= 6; s++) {
		e.cpu = s == 5 ? 1 : 0;
		e.line = (uint32_t)(100 + s);
		explain_window_add(w, s, &e);
	}
	CHECK(explain_window_get(w, 0, 6) && explain_window_get(w, 0, 6)->line == 106);
	CHECK(explain_window_get(w, 0, 3) && explain_window_get(w, 0, 3)->line == 103);
	CHECK(explain_window_get(w, 0, 2) && explain_window_get(w, 0, 2)->line == 102);
	CHECK(explain_window_get(w, 0, 1) == NULL); /* fell out: 4 per CPU */
	CHECK(explain_window_get(w, 0, 5) && explain_window_get(w, 0, 5)->cpu == 1); /* other CPU */
	CHECK(explain_window_get(w, 1, 7) == NULL);
	/* A restart keeps what is kept; new numbers go above it. */
	explain_window_restart(w);
	CHECK_EQ_U64(explain_window_base(w), 6);
	e.cpu = 1;
	e.line = 200;
	explain_window_add(w, 1, &e);
	CHECK(explain_window_get(w, 1, 7) && explain_window_get(w, 1, 7)->line == 200);
	CHECK(explain_window_get(w, 1, 5) != NULL);
	explain_window_reset(w);
	CHECK(explain_window_get(w, 1, 7) == NULL);
	explain_window_free(w);
}

static void feed_numbers_as_the_checker(void)
{
	struct fm_event t = {.type = FM_EV_TABLE}, big = {.type = FM_EV_ISB, .cpu = 7};
	struct explain_window *w;

	ctx_n(4);
	w = seed_local(0);
	CHECK_EQ_U64(nfound, 2);
	CHECK_STR(found[0].rule, "bbm-local-tlbi");
	/* every step names an event the window kept under the checker's number */
	for (unsigned i = 0; i < found[0].ex.nsteps; i++) {
		const struct bbm_step *s = &found[0].ex.steps[i];
		const struct fm_event *e = explain_window_get(w, s->cpu, s->seq);
		CHECK(e != NULL);
		CHECK_EQ_U64(e->line, s->line);
	}
	/* what the checker takes no number for is not kept */
	struct bbm *b = bbm_new(&ctx, BBM_POLICY_ARM, NULL, NULL);
	explain_window_reset(w);
	explain_feed(w, b, &t);
	explain_feed(w, b, &big); /* no cpu7 in a 4-CPU trace */
	CHECK_EQ_U64(bbm_seq(b), 0);
	CHECK(explain_window_get(w, 0, 1) == NULL);
	bbm_free(b);
	explain_window_free(w);
}

static void diagram_of_the_seed(void)
{
	struct explain_style st = {.ctx = &ctx, .sym = symname};
	struct explain_window *w;
	const char *l;

	ctx_n(4);
	w = seed_local(0);
	nlines = 0;
	CHECK(explain_render(&found[0], w, &st, keep_line, NULL) == nlines);
	for (unsigned i = 0; i < nlines; i++) {
		CHECK(strlen(lines[i]) <= EXPLAIN_WIDTH);
		for (const char *p = lines[i]; *p; p++)
			CHECK(*p >= 32 && *p < 127); /* plain ASCII, no colour unless asked */
	}
	CHECK_STR(lines[0], "  line cpu0 cpu1 cpu2 cpu3");
	/* the break opens the window on every holder; the local TLBI is the wrong step */
	CHECK((l = find_line("pte va=0x80001000 level=3 old=0x41000743 new=0x0")));
	CHECK(!strncmp(l, "     1  |    o    |    |", 24));
	CHECK((l = find_line("tlbi vale2 va=0x80001000")));
	CHECK(!strncmp(l, "     3  |    x    |    |", 24) && strstr(l, "<- wrong: use tlbi vale2is"));
	/* the dsb nsh cleans cpu1 only; the make finds cpus 0, 2, 3 still holding it */
	CHECK((l = find_line("dsb nsh ")) && strstr(l, "<- completes the TLBI: cpu 1 clean"));
	CHECK((l = find_line("     5  |    .    |    |")) && strstr(l, "isb"));
	CHECK(find_line("<- made valid again while cpus 0,2-3 may hold the old translation"));
	CHECK(find_line("<fixmap_unmap+0x"));
	CHECK(find_line("| may hold the old translation  o step  x wrong  . other event"));
	/* colour only when asked */
	st.color = true;
	nlines = 0;
	explain_render(&found[0], w, &st, keep_line, NULL);
	CHECK((l = find_line("\033[1;31mx\033[0m")) && strstr(l, "vale2"));
	explain_window_free(w);
}

static void steps_out_of_the_window(void)
{
	struct explain_style st = {.ctx = &ctx};
	struct explain_window *w;

	ctx_n(4);
	w = seed_local(2); /* 2 events per CPU: the break and the TLBI are gone */
	nlines = 0;
	explain_render(&found[0], w, &st, keep_line, NULL);
	CHECK(find_line("(a store, no longer kept)"));
	CHECK(find_line("steps are no longer kept: only the last 2 events of each CPU are"));
	CHECK(find_line("     1  |    o    |    |")); /* still named by line and lane */
	explain_window_free(w);
	/* no window at all */
	nlines = 0;
	explain_render(&found[0], NULL, &st, keep_line, NULL);
	CHECK(find_line("not kept: no events are"));
}

static void many_cpus_share_a_column(void)
{
	struct explain_style st = {.ctx = &ctx};
	struct explain_window *w;

	ctx_n(64);
	w = seed_local(0);
	nlines = 0;
	explain_render(&found[0], w, &st, keep_line, NULL);
	CHECK_STR(lines[0], "  line cpu1 other");
	CHECK(find_line("other: cpus 0,2-63 (no step of this finding there)"));
	for (unsigned i = 0; i < nlines; i++)
		CHECK(strlen(lines[i]) <= EXPLAIN_WIDTH);
	explain_window_free(w);
}

static void wraps_at_words(void)
{
	nlines = 0;
	explain_wrap("aaaa bbbb cccc dddd", 10, 2, keep_line, NULL);
	CHECK_EQ_U64(nlines, 3);
	CHECK_STR(lines[0], "aaaa bbbb");
	CHECK_STR(lines[1], "  cccc");
	CHECK_STR(lines[2], "  dddd");
	bool c;
	CHECK(explain_color_parse("always", &c) == 0 && c);
	CHECK(explain_color_parse("never", &c) == 0 && !c);
	CHECK(explain_color_parse("sometimes", &c) == -1);
}

static void printed_with_the_finding(void)
{
	struct explain_style st = {.ctx = &ctx};
	struct explain_window *w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ctx_n(4);
	w = seed_local(0);
	/* JSON: the finding's object with an explain member */
	f = open_memstream(&buf, &len);
	print_init(f, true);
	explain_finding_print(&found[0], w, &st);
	print_finish();
	fclose(f);
	CHECK(strchr(buf, '\n') == buf + len - 1); /* one line */
	CHECK(strstr(buf, "\"rule\":\"bbm-local-tlbi\""));
	CHECK(strstr(buf, "\"explain\":{\"holders\":[0,1,2,3],\"done\":[1],\"window\":{\"from_seq\":1,"
			  "\"from_line\":1,\"to_seq\":6,\"to_line\":6}"));
	CHECK(strstr(buf, "{\"kind\":\"tlbi\",\"seq\":3,\"line\":3,\"cpu\":1,\"event\":\"tlbi vale2 "
			  "va=0x80001000\",\"wrong\":true,\"reported_here\":true}"));
	CHECK(strstr(buf, "\"missing\":null,\"fix\":\"tlbi vale2is\",\"diagram\":[\"  line cpu0"));
	free(buf);
	/* text: the finding wrapped, FILE:LINE first, then the diagram */
	buf = NULL;
	f = open_memstream(&buf, &len);
	print_init(f, false);
	found[0].source = "seed.trace";
	explain_finding_print(&found[0], w, &st);
	print_finish();
	fclose(f);
	CHECK(!strncmp(buf, "seed.trace:3: error: bbm-local-tlbi: cpu1 hyp L3 va=0x80001000: ", 64));
	CHECK(strstr(buf, "\n    ")); /* continuation lines indented */
	CHECK(strstr(buf, "\n\n  line cpu0 cpu1 cpu2 cpu3\n"));
	for (char *p = buf, *e; (e = strchr(p, '\n')); p = e + 1)
		CHECK(e - p <= EXPLAIN_WIDTH);
	free(buf);
	explain_window_free(w);
	print_init(stdout, false);
}

int main(void)
{
	RUN(window_keeps_the_last_events);
	RUN(feed_numbers_as_the_checker);
	RUN(diagram_of_the_seed);
	RUN(steps_out_of_the_window);
	RUN(many_cpus_share_a_column);
	RUN(wraps_at_words);
	RUN(printed_with_the_finding);
	return UNIT_EXIT();
}
