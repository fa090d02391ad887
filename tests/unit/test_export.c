/* SPDX-License-Identifier: MIT */
/* export --perfetto: the trace-event JSON writer (cli/export.c). */
#include <stdlib.h>

#include "arm64.h"
#include "export.h"
#include "unit.h"

static struct fm_table_decl decl;
static struct fm_trace_ctx ctx;

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *run(void (*body)(struct perfetto *p))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct fm_err err;
	struct perfetto *p;

	memset(&ctx, 0, sizeof(ctx));
	memset(&decl, 0, sizeof(decl));
	ctx.ncpus = 2;
	ctx.ntables = 1;
	ctx.tables = &decl;
	strcpy(decl.name, "hyp");
	decl.cpus[0] = 3;
	p = perfetto_open(f, &ctx, "t\"1", &err);
	if (p) {
		body(p);
		if (perfetto_close(p))
			buf[0] = '\0';
	}
	fclose(f);
	return buf;
}

static void seed(struct perfetto *p)
{
	struct fm_event brk = {.type = FM_EV_PTE, .cpu = 1, .level = 3, .va = 0x80001000,
			       .old = 0x41000743, .line = 11, .pc = 0x40201004, .flags = FM_EVF_PC};
	struct fm_event dsb = {.type = FM_EV_DSB, .cpu = 1, .bar = BAR_NSHST, .line = 12};
	struct fm_event tl = {.type = FM_EV_TLBI, .cpu = 1, .tlbi = TLBI_vale2, .line = 13};
	struct fm_event mk = brk;
	struct bbm_finding f = {.rule = "bbm-local-tlbi", .cpu = 1, .line = 13, .seq = 3,
				.va = 0x80001000, .level = 3, .table = "hyp"};

	tl.arg = arm64_tlbi_encode(TLBI_vale2, 0x80001000, 0, 0);
	mk.old = 0;
	mk.new = 0x41005743;
	mk.line = 17;
	snprintf(f.message, sizeof(f.message), "a \"quoted\" message");
	snprintf(f.ex.fix, sizeof(f.ex.fix), "tlbi vale2is");
	perfetto_event(p, 1, &brk);
	perfetto_event(p, 2, &dsb);
	perfetto_event(p, 3, &tl);
	perfetto_finding(p, &f);
	perfetto_event(p, 4, &mk);
	CHECK_EQ_U64(perfetto_windows(p), 1);
}

static void slices_findings_windows(void)
{
	char *s = run(seed);

	CHECK(s && *s);
	printf("%s", s);
	CHECK(!strncmp(s, "{\"displayTimeUnit\":\"ns\",", 24));
	CHECK(strstr(s, "\"trace\":\"t\\\"1\""));
	CHECK(strstr(s, "{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"cpu1\"}}"));
	CHECK(strstr(s, "{\"ph\":\"X\",\"cat\":\"pte\",\"name\":\"pte break\",\"pid\":1,\"tid\":1,\"ts\":1,"
			"\"dur\":1,\"args\":{\"seq\":1,\"line\":11,\"pc\":\"0x40201004\",\"va\":\"0x80001000\","
			"\"level\":3,\"old\":\"0x41000743\",\"new\":\"0x0\",\"table\":\"hyp\"}}"));
	CHECK(strstr(s, "\"name\":\"dsb nshst\",\"pid\":1,\"tid\":1,\"ts\":2,"));
	CHECK(strstr(s, "\"cat\":\"tlbi\",\"name\":\"tlbi vale2\",\"pid\":1,\"tid\":1,\"ts\":3,"
			"\"dur\":1,\"args\":{\"seq\":3,\"line\":13,\"operand\":\"0x80001\",\"va\":\"0x80001000\"}"));
	CHECK(strstr(s, "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"finding\",\"name\":\"bbm-local-tlbi\",\"pid\":1,"
			"\"tid\":1,\"ts\":3,"));
	CHECK(strstr(s, "\"message\":\"a \\\"quoted\\\" message\",\"fix\":\"tlbi vale2is\""));
	/* one window, from the break to the make, same id */
	CHECK(strstr(s, "{\"ph\":\"b\",\"cat\":\"bbm\",\"id\":\"0x1\",\"pid\":1,\"tid\":1,\"ts\":1,"));
	CHECK(strstr(s, "{\"ph\":\"e\",\"cat\":\"bbm\",\"id\":\"0x1\",\"pid\":1,\"tid\":1,\"ts\":4,"));
	CHECK(!strstr(s, "open_at_end"));
	CHECK(!strcmp(s + strlen(s) - 4, "\n]}\n"));
	free(s);
}

/* Many entries broken, half of them made again: the rest close at the end. */
static void many(struct perfetto *p)
{
	struct fm_event e = {.type = FM_EV_PTE, .cpu = 0, .level = 3};
	uint64_t ts = 0;

	for (unsigned i = 0; i < 3000; i++) {
		e.va = 0x80000000ull + i * 4096ull;
		e.old = 0x41000743;
		e.new = 0;
		perfetto_event(p, ++ts, &e);
	}
	for (unsigned i = 0; i < 3000; i += 2) {
		e.va = 0x80000000ull + i * 4096ull;
		e.old = 0;
		e.new = 0x41000743;
		perfetto_event(p, ++ts, &e);
	}
	/* a second break of an open window is not a second window */
	e.va = 0x80001000;
	e.old = 0x41000743;
	e.new = 0;
	perfetto_event(p, ++ts, &e);
	CHECK_EQ_U64(perfetto_windows(p), 3000);
}

static void windows_pair_up(void)
{
	char *s = run(many);

	CHECK(s && *s);
	CHECK_EQ_U64(count(s, "\"ph\":\"b\""), 3000);
	CHECK_EQ_U64(count(s, "\"ph\":\"e\""), 3000);
	CHECK_EQ_U64(count(s, "\"open_at_end\":true"), 1500);
	CHECK_EQ_U64(count(s, "\"ph\":\"X\""), 4501);
	free(s);
}

int main(void)
{
	RUN(slices_findings_windows);
	RUN(windows_pair_up);
	return UNIT_EXIT();
}
