/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl view: the data model, and batch mode end to end on a memory file
 * holding a hand-built shared area and EL2 tables (no terminal needed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"
#include "cmds.h"
#include "fake_agent.h"
#include "unit.h"
#include "view_model.h"

#define ROOT 0x40080000ull /* L1 (39-bit VA, 4K: start level 1) */
#define L2 0x40081000ull
#define L3 0x40082000ull
#define TCR 0x80853519ull
#define MAIR 0xff00ull /* Attr0 Device-nGnRnE, Attr1 Normal WB */
#define PAGE(pa) ((pa) | 0x747ull) /* valid page, AttrIndx 1, SH inner, AF */

static struct fake_target f;
static char memfile[256] = "/tmp/fixmap-test-view-mem-XXXXXX";
static char dumpfile[] = "/tmp/fixmap-test-view-dump-XXXXXX";
static char outfile[] = "/tmp/fixmap-test-view-out-XXXXXX";
static char *screen, *out;

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (!fp)
		return strdup("");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		buf[0] = '\0';
	fclose(fp);
	return buf;
}

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(f.mem + (pa - FAKE_BASE), &v, sizeof(v));
}

static void pte(unsigned cpu, uint64_t old, uint64_t new)
{
	uint64_t va = 0x80000000ull + cpu * 4096ull, ptep = L3 + cpu * 8ull;

	fake_produce(&f, cpu, FIXMAP_REC_PTE, ptep, va, old, new, 3);
	put64(ptep, new);
	fake_cpu(&f, cpu)->pte = new;
	if (new)
		fake_cpu(&f, cpu)->maps++;
	else
		fake_cpu(&f, cpu)->unmaps++;
}

static void bar(unsigned cpu, unsigned type, unsigned crm)
{
	fake_produce(&f, cpu, (uint16_t)type, crm, 0, 0, 0, 0);
}

static void tlbi(unsigned cpu, unsigned op)
{
	fake_produce(&f, cpu, FIXMAP_REC_TLBI, op, (0x80000000ull + cpu * 4096ull) >> 12, 0, 0, 0);
}

/* A shared area for 2 CPUs, their slots in one EL2 table, CPU 0 broadcast, CPU 1 local. */
static void build(void)
{
	fake_init(&f, 2);
	put64(ROOT + 2 * 8, L2 | 3);
	put64(L2, L3 | 3);
	for (unsigned i = 0; i < 2; i++) {
		struct fixmap_cpu *c = fake_cpu(&f, i);

		c->ttbr0_el2 = ROOT;
		c->tcr_el2 = TCR;
		c->mair_el2 = MAIR;
		c->pte_pa = L3 + i * 8ull;
	}
	pte(0, 0, PAGE(0x41000000));
	bar(0, FIXMAP_REC_DSB, BAR_ISHST);
	bar(0, FIXMAP_REC_ISB, 0);
	pte(0, PAGE(0x41000000), 0);
	bar(0, FIXMAP_REC_DSB, BAR_ISHST);
	tlbi(0, TLBI_vale2is);
	bar(0, FIXMAP_REC_DSB, BAR_ISH);
	bar(0, FIXMAP_REC_ISB, 0);
	pte(0, 0, PAGE(0x41002000));
	pte(1, 0, PAGE(0x41001000));
	pte(1, PAGE(0x41001000), 0);
	bar(1, FIXMAP_REC_DSB, BAR_NSHST);
	tlbi(1, TLBI_vale2);
	bar(1, FIXMAP_REC_DSB, BAR_NSH);
	bar(1, FIXMAP_REC_ISB, 0);
	pte(1, 0, PAGE(0x41005000));
	pte(1, PAGE(0x41005000), 0); /* left broken */
	fake_hdr(&f)->mode = FIXMAP_MODE_local;
}

static void write_mem(void)
{
	FILE *fp = fopen(memfile, "w");

	fwrite(f.mem, 1, f.size, fp);
	fclose(fp);
}

/* Runs `fixmapctl view --mem MEM --dump-screen DUMP ARGS...` with stdout in out. */
static int run(const char *a0, ...)
{
	char *argv[40];
	int argc = 0, status, saved_fd, fd;
	va_list ap;
	const char *a;

	argv[argc++] = "view";
	argv[argc++] = "--mem";
	argv[argc++] = memfile;
	argv[argc++] = "--dump-screen";
	argv[argc++] = dumpfile;
	argv[argc++] = "--interval";
	argv[argc++] = "1";
	va_start(ap, a0);
	for (a = a0; a && argc < 39; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	unlink(dumpfile);
	write_mem(); /* the viewer consumed the rings of the last run */
	fflush(stdout);
	saved_fd = dup(1);
	fd = open(outfile, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	dup2(fd, 1);
	close(fd);
	status = cmd_view(argc, argv);
	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	free(screen);
	free(out);
	screen = slurp(dumpfile);
	out = slurp(outfile);
	return status;
}

/* The line of the screen that contains needle, or NULL. */
static const char *line_with(const char *needle, char *buf, size_t n)
{
	const char *p = strstr(screen, needle), *s, *e;

	if (!p)
		return NULL;
	for (s = p; s > screen && s[-1] != '\n'; s--) {
	}
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	snprintf(buf, n, "%.*s", (int)(e - s), s);
	return buf;
}

static void model_sequences_and_findings(void)
{
	static struct view_model m;
	struct fm_trace_ctx ctx = {.ncpus = 2, .ntables = 1};
	struct fm_event ev = {.type = FM_EV_PTE, .cpu = 1, .level = 3, .va = 0x80001000};

	CHECK(view_model_init(&m, 4, &ctx) == 0);
	ev.seq = 1, ev.old = PAGE(0x41000000), ev.new = 0;
	view_model_event(&m, &ev);
	ev = (struct fm_event){.type = FM_EV_DSB, .cpu = 1, .bar = BAR_NSHST, .seq = 2};
	view_model_event(&m, &ev);
	ev = (struct fm_event){.type = FM_EV_TLBI, .cpu = 1, .tlbi = TLBI_vale2, .seq = 3, .pc = 0x1234};
	view_model_event(&m, &ev);
	ev = (struct fm_event){.type = FM_EV_ISB, .cpu = 1, .seq = 4};
	view_model_event(&m, &ev);
	CHECK_STR(m.slot[1].last_seq, "");
	ev = (struct fm_event){.type = FM_EV_PTE, .cpu = 1, .level = 3, .seq = 5,
			       .new = PAGE(0x41001000)};
	view_model_event(&m, &ev);
	CHECK_STR(m.slot[1].last_seq, "dsb nshst; tlbi vale2; isb");
	CHECK_EQ_U64(m.slot[1].tlbi_pc, 0x1234);
	/* Only the last 4 events are kept; the finding goes to the event with its seq. */
	CHECK_EQ_U64(view_model_kept(&m), 4);
	CHECK_EQ_U64(view_model_get(&m, 0)->ev.seq, 2);
	view_model_finding(&m, "bbm-local-tlbi", true, 1, 3);
	view_model_finding(&m, "bbm-local-tlbi", true, 1, 99);
	view_model_finding(&m, "missing-isb", false, 1, 4);
	CHECK_STR(view_model_get(&m, 1)->rule, "bbm-local-tlbi");
	CHECK_STR(view_model_get(&m, 2)->rule, "missing-isb");
	CHECK_STR(view_model_get(&m, 3)->rule, "bbm-local-tlbi"); /* seq 99: newest of cpu 1 */
	CHECK_EQ_U64(m.slot[1].findings, 3);
	CHECK_EQ_U64(m.nrules, 2);
	CHECK_EQ_U64(m.rules[0].n, 2);
	CHECK_EQ_U64(m.errors, 2);
	CHECK_EQ_U64(m.warnings, 1);
	/* A gap marks the next event and forgets a sequence in progress. */
	ev = (struct fm_event){.type = FM_EV_PTE, .cpu = 1, .level = 3, .seq = 6,
			       .old = PAGE(0x41001000)};
	view_model_event(&m, &ev);
	view_model_gap(&m, 6);
	ev = (struct fm_event){.type = FM_EV_PTE, .cpu = 1, .level = 3, .seq = 9,
			       .new = PAGE(0x41002000)};
	view_model_event(&m, &ev);
	CHECK(view_model_get(&m, 3)->gap);
	CHECK_STR(m.slot[1].last_seq, "dsb nshst; tlbi vale2; isb");
	view_model_free(&m);
}

static void batch_slot_table(void)
{
	char l[512];

	CHECK(run("--iterations", "3", "--size", "160x40", NULL) == 0);
	printf("%s", screen);
	CHECK(strstr(screen, "fixmapctl view") != NULL);
	CHECK(strstr(screen, "agent local, 2 CPUs, running") != NULL);
	CHECK(line_with("cpu0 ", l, sizeof(l)));
	CHECK(strstr(l, "0x80000000") && strstr(l, "0x0000000041002747") && strstr(l, "0x41002000"));
	CHECK(strstr(l, "Normal WB") && strstr(l, "RW"));
	CHECK(strstr(l, "dsb ishst; tlbi vale2is; dsb ish; isb"));
	CHECK(l[0] == '>'); /* selected */
	CHECK(line_with("cpu1 ", l, sizeof(l)));
	CHECK(strstr(l, "0x80001000") && strstr(l, "0x0000000000000000"));
	CHECK(strstr(l, "dsb nshst; tlbi vale2; dsb nsh; isb"));
	/* The events pane: every event, decoded. */
	CHECK(strstr(screen, "EVENTS  cpu:all  rule:all"));
	CHECK(strstr(screen, "c1 tlbi vale2"));
	CHECK(strstr(screen, "c0 pte L3 va=0x80000000 make 0x41002747"));
	CHECK(strstr(screen, " LIVE "));
	/* CPU 1's local TLBI on a table both CPUs walk: its row and the TLBI stand out. */
	CHECK(line_with("cpu1 ", l, sizeof(l)) && l[1] == '!');
	CHECK(line_with("cpu0 ", l, sizeof(l)) && l[1] == ' ');
	CHECK(line_with("<< bbm-local-tlbi", l, sizeof(l)) && strstr(l, "c1 tlbi vale2 va=0x80001000"));
	CHECK(strstr(screen, "findings: bbm-local-tlbi 1"));
}

static void batch_keys(void)
{
	char l[512];

	/* j selects cpu1, Enter opens its details (descriptor fields and the walk). */
	CHECK(run("--iterations", "4", "--keys", "j\r", "--size", "120x44", NULL) == 0);
	printf("%s", screen);
	CHECK(line_with("cpu1 ", l, sizeof(l)) && l[0] == '>');
	CHECK(strstr(screen, "DETAIL cpu1"));
	CHECK(strstr(screen, "cpu 1 slot 0x80001000  entry at PA 0x40082008"));
	CHECK(strstr(screen, "L1 0x40080000[  2] = 0x0000000040081003 table"));
	CHECK(strstr(screen, "L3 0x40082000[  1] = 0x0000000000000000 invalid"));
	CHECK(strstr(screen, "last tlbi at"));
	/* Help, raw mode, CPU filter, pause. */
	CHECK(run("--iterations", "2", "--keys", "?", NULL) == 0);
	CHECK(strstr(screen, "| fixmapctl view: keys"));
	/* Any key closes the help and does nothing else (x is no command); Enter then
	 * opens the details as usual. */
	CHECK(run("--iterations", "4", "--keys", "?x", NULL) == 0);
	CHECK(!strstr(screen, "| fixmapctl view: keys") && !strstr(screen, "unknown key"));
	CHECK(run("--iterations", "4", "--keys", "?j\r", NULL) == 0);
	CHECK(!strstr(screen, "| fixmapctl view: keys") && strstr(screen, "DETAIL cpu0"));
	CHECK(run("--iterations", "5", "--keys", "rcc", NULL) == 0);
	CHECK(strstr(screen, "cpu:cpu1") && strstr(screen, "(raw)"));
	CHECK(strstr(screen, "c1 pte va=0x80001000 level=3 old=0x0 new=0x41001747"));
	CHECK(!strstr(screen, " c0 "));
	CHECK(run("--iterations", "12", "--keys", "/vale2is\r", NULL) == 0);
	CHECK(strstr(screen, "search:vale2is"));
	CHECK(strstr(screen, "c0 tlbi vale2is"));
	CHECK(!strstr(screen, "c1 tlbi"));
	CHECK(run("--iterations", "2", "--keys", "p", NULL) == 0);
	CHECK(strstr(screen, " PAUSED "));
	/* q ends the batch early. */
	CHECK(run("--iterations", "100", "--keys", "q", NULL) == 0);
}

static void batch_explain(void)
{
	char l[512];

	/* j selects cpu1, e explains its newest finding; [ goes to the older one. */
	CHECK(run("--iterations", "4", "--keys", "je", "--size", "120x44", NULL) == 0);
	printf("%s", screen);
	CHECK(strstr(screen, "EXPLAIN cpu1  finding 1 of 2 kept (the newest)"));
	CHECK(line_with(" seq cpu0 cpu1", l, sizeof(l)));
	/* the lanes: cpu0 may hold the old translation, cpu1 stored and erred */
	CHECK(line_with("|    x     dsb nshst", l, sizeof(l)) && strstr(l, "<- wrong: use dsb ishst"));
	CHECK(line_with("<- made valid again while cpu 0 may hold", l, sizeof(l)));
	CHECK(strstr(screen, "EVENTS  cpu:all")); /* the events keep their pane */
	CHECK(run("--iterations", "5", "--keys", "je[", "--size", "120x44", NULL) == 0);
	CHECK(strstr(screen, "finding 2 of 2 kept"));
	CHECK(line_with("x     tlbi vale2 va=0x80001000", l, sizeof(l)) &&
	      strstr(l, "<- wrong: use tlbi vale2is"));
	/* A CPU without findings says so; e closes the pane again. */
	CHECK(run("--iterations", "3", "--keys", "e", NULL) == 0);
	CHECK(strstr(screen, "EXPLAIN cpu0") && strstr(screen, "no finding of this CPU yet"));
	CHECK(run("--iterations", "4", "--keys", "ee", NULL) == 0);
	CHECK(!strstr(screen, "EXPLAIN"));
}

static void batch_small_and_json(void)
{
	CHECK(run("--iterations", "1", "--size", "60x10", NULL) == 0);
	CHECK(strstr(screen, "terminal too small (60x10)"));
	CHECK(run("--iterations", "3", "-j", NULL) == 0);
	printf("%s", out);
	CHECK(strstr(out, "{\"cpu\":1,\"slot_va\":\"0x80001000\",\"pte\":\"0x0\",\"valid\":false"));
	CHECK(strstr(out, "\"last_sequence\":\"dsb ishst; tlbi vale2is; dsb ish; isb\""));
	CHECK(strstr(out, "{\"summary\":{\"events\":16,"));
}

static void bad_usage(void)
{
	CHECK(run("--iterations", "0", NULL) == EXIT_BAD);
	CHECK(run("--size", "80", NULL) == EXIT_BAD);
	CHECK(run("--policy", "lax", NULL) == EXIT_BAD);
	CHECK(run("--bogus", NULL) == EXIT_BAD);
	CHECK(run("--agent", "0x40000000", "--iterations", "1", NULL) == EXIT_BAD);
	/* Interactive without a terminal: refused, nothing drawn. */
	{
		char *argv[] = {"view", "--mem", memfile, NULL};
		int saved = dup(0), fd = open("/dev/null", O_RDONLY);

		dup2(fd, 0);
		close(fd);
		CHECK(cmd_view(3, argv) == EXIT_BAD);
		dup2(saved, 0);
		close(saved);
	}
}

/* With an argument: only write the sample memory file there, to try the viewer by hand. */
int main(int argc, char **argv)
{
	int fd;

	if (argc > 1) {
		build();
		snprintf(memfile, sizeof(memfile), "%s", argv[1]);
		write_mem();
		fake_free(&f);
		return 0;
	}
	fd = mkstemp(memfile);

	close(fd);
	close(mkstemp(dumpfile));
	close(mkstemp(outfile));
	build();
	write_mem();
	RUN(model_sequences_and_findings);
	RUN(batch_slot_table);
	RUN(batch_keys);
	RUN(batch_explain);
	RUN(batch_small_and_json);
	RUN(bad_usage);
	unlink(memfile);
	unlink(dumpfile);
	unlink(outfile);
	fake_free(&f);
	free(screen);
	free(out);
	return unit_failed != 0;
}
