/* SPDX-License-Identifier: MIT */
/* fixmapctl trace end to end on a memory file holding a hand-built shared area. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"
#include "cmds.h"
#include "fake_agent.h"
#include "unit.h"

static struct fake_target f;
static char memfile[] = "/tmp/fixmap-test-trace-mem-XXXXXX";
static char outfile[] = "/tmp/fixmap-test-trace-out-XXXXXX";
static char savefile[] = "/tmp/fixmap-test-trace-save-XXXXXX";
static char *out, *saved;

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

static void write_mem(void)
{
	FILE *fp = fopen(memfile, "w");

	fwrite(f.mem, 1, f.size, fp);
	fclose(fp);
}

static void read_mem(void)
{
	FILE *fp = fopen(memfile, "r");

	if (fread(f.mem, 1, f.size, fp) != f.size)
		memset(f.mem, 0, f.size);
	fclose(fp);
}

/* Runs `fixmapctl trace ARGS...` with stdout captured into out; returns its status. */
static int run(const char *a0, ...)
{
	char *argv[32];
	int argc = 0, status, saved_fd, fd;
	va_list ap;
	const char *a;

	argv[argc++] = "trace";
	va_start(ap, a0);
	for (a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	saved_fd = dup(1);
	fd = open(outfile, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	dup2(fd, 1);
	close(fd);
	status = cmd_trace(argc, argv);
	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	free(out);
	free(saved);
	out = slurp(outfile);
	saved = slurp(savefile);
	return status;
}

static unsigned count_lines(const char *s, const char *prefix)
{
	unsigned n = 0;
	size_t k = strlen(prefix);

	for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, k))
			n++;
	return n;
}

/* The seed's sequence on CPU cpu: make, break, local maintenance, make again. */
static void seed_sequence(unsigned cpu)
{
	uint64_t va = 0x80000000 + cpu * 4096ull, ptep = 0x40100000 + cpu * 8ull;

	fake_produce(&f, cpu, FIXMAP_REC_PTE, ptep, va, 0, 0x41000743, 3);
	fake_produce(&f, cpu, FIXMAP_REC_DSB, BAR_ISHST, 0, 0, 0, 0);
	fake_produce(&f, cpu, FIXMAP_REC_PTE, ptep, va, 0x41000743, 0, 3);
	fake_produce(&f, cpu, FIXMAP_REC_DSB, BAR_NSHST, 0, 0, 0, 0);
	fake_produce(&f, cpu, FIXMAP_REC_TLBI, TLBI_vale2, va >> 12, 0, 0, 0);
	fake_produce(&f, cpu, FIXMAP_REC_DSB, BAR_NSH, 0, 0, 0, 0);
	fake_produce(&f, cpu, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_produce(&f, cpu, FIXMAP_REC_PTE, ptep, va, 0, 0x41005743, 3);
}

static void drains_once_and_saves_v1(void)
{
	fake_free(&f);
	fake_init(&f, 2);
	seed_sequence(0);
	seed_sequence(1);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0); /* after the last make: trimmed */
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--save", savefile, NULL), 1); /* bbm-local-tlbi */
	CHECK(strstr(saved, "fixmap-trace 1\ncpus 2\ntable el2 regime=el2 shared"));
	CHECK_EQ_U64(count_lines(saved, "c0 "), 8);
	CHECK_EQ_U64(count_lines(saved, "c1 "), 8);
	CHECK(strstr(saved, "c1 tlbi vale2 "));
	CHECK(strstr(saved, "c0 dsb nshst"));
	CHECK(strstr(out, "summary: 16 events"));
	CHECK(strstr(out, "1 trimmed"));
	/* Merged by seq: CPU 0's first eight, then CPU 1's. */
	CHECK(strstr(saved, "c0 pte") < strstr(saved, "c1 pte"));
	/* The tails went back into the file: a second drain finds nothing. */
	read_mem();
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, fake_cpu(&f, 0)->head);
	CHECK_EQ_U64(run("--mem", memfile, "-q", NULL), 0);
	CHECK(strstr(out, "summary: 0 events"));
}

static void finished_agent_is_not_trimmed(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	fake_hdr(&f)->state = FIXMAP_STATE_DONE;
	seed_sequence(0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--save", savefile, "-q", NULL), 0);
	CHECK_EQ_U64(count_lines(saved, "c0 "), 9);
	CHECK(strstr(out, "summary: 9 events"));
	CHECK(!strstr(out, "c0 isb")); /* --quiet */
}

/*
 * A CPU the host did not run for a while: its sequence's make went out at an
 * earlier drain, and the last drain holds only the start of the next one (a
 * break and its TLBI, not yet completed). The agent goes on, so the stream
 * ends with cut: the unfinished TLBI is no finding, and check of the saved
 * file agrees.
 */
static void running_agent_end_is_cut(void)
{
	uint64_t va = 0x80000000, ptep = 0x40100000;

	fake_free(&f);
	fake_init(&f, 2);
	fake_produce(&f, 0, FIXMAP_REC_PTE, ptep, va, 0x41000743, 0, 3);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISHST, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_TLBI, TLBI_vale2is, va >> 12, 0, 0, 0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--save", savefile, NULL), 0);
	CHECK(!strstr(out, "stale-tlb"));
	CHECK(strstr(out, "summary: 3 events"));
	CHECK(strstr(saved, "c0 tlbi vale2is va=0x80000000 pc=0x") != NULL);
	CHECK(strlen(saved) > 4 && !strcmp(saved + strlen(saved) - 4, "cut\n"));
	/* A finished agent's end is judged: the same events are a finding. */
	fake_free(&f);
	fake_init(&f, 2);
	fake_hdr(&f)->state = FIXMAP_STATE_DONE;
	fake_produce(&f, 0, FIXMAP_REC_PTE, ptep, va, 0x41000743, 0, 3);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISHST, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_TLBI, TLBI_vale2is, va >> 12, 0, 0, 0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--save", savefile, NULL), 1);
	CHECK(strstr(out, "stale-tlb"));
	CHECK(!strstr(saved, "\ncut\n"));
}

static void json_lines(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	fake_hdr(&f)->state = FIXMAP_STATE_DONE;
	seed_sequence(0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "-j", NULL), 0);
	CHECK_EQ_U64(count_lines(out, "{\"seq\":"), 8);
	CHECK(strstr(out, "\"event\":\"c0 tlbi vale2 "));
	CHECK(strstr(out, "\"pc\":\"0x4020"));
	CHECK_EQ_U64(count_lines(out, "{\"summary\":{\"events\":8,"), 1);
	CHECK(strstr(out, "\"cpus\":[{\"cpu\":0,\"events\":8,"));
}

static void count_limits_events(void)
{
	fake_free(&f);
	fake_init(&f, 2);
	seed_sequence(0);
	seed_sequence(1);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--count", "5", "--interval", "1", "-q", NULL), 0);
	CHECK(strstr(out, "summary: 5 events"));
}

static void duration_ends_and_counts_lost(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	fake_hdr(&f)->state = FIXMAP_STATE_DONE;
	for (unsigned i = 0; i < FAKE_RING / 64 + 3; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--duration", "0.05", "--interval", "10", NULL), 0);
	CHECK(strstr(out, "summary: 64 events"));
	CHECK(strstr(out, "3 since boot"));
	/* The drops after the ring's last record end the stream, as a gap. */
	CHECK(strstr(out, "c0 lost count=3"));
	CHECK(strstr(out, "1 gaps"));
}

/*
 * Live on a running agent whose ring ends in drops: what it kept from before
 * them is not live, and is skipped.
 */
static void live_skips_what_came_before_drops(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	for (unsigned i = 0; i < FAKE_RING / 64 + 3; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--duration", "0.05", "--interval", "10", NULL), 0);
	CHECK(strstr(out, "summary: 0 events"));
	CHECK(strstr(out, "64 older events skipped"));
	CHECK(strstr(out, "lossless"));
}

/*
 * Live on a running agent whose ring filled, dropped, then had room again (a
 * drain made some): what it holds up to the LOST record is from before drops
 * that came before the stream, so the stream starts after it, and a lossless
 * trace loses nothing.
 */
static void live_starts_after_drops_marked_before_it(void)
{
	struct fixmap_cpu *c;

	fake_free(&f);
	fake_init(&f, 1);
	for (unsigned i = 0; i < FAKE_RING / 64 + 3; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	c = fake_cpu(&f, 0);
	c->tail += 10 * 64; /* a drain before this one made room for ten records */
	for (unsigned i = 0; i < 4; i++)
		fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0); /* LOST, then 4 */
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--duration", "0.05", "--interval", "10", "--save",
			 savefile, NULL),
		     0);
	CHECK(strstr(out, "summary: 4 events"));
	CHECK(strstr(out, "0 events lost"));
	CHECK(strstr(out, "54 older events skipped"));
	CHECK_EQ_U64(count_lines(saved, "c0 dsb ish"), 4);
	CHECK(!strstr(saved, "lost"));
}

static void bad_areas_and_options(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	fake_hdr(&f)->major = 9;
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--agent", "0x40002000", NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, NULL), 2); /* scan: nothing valid */
	CHECK_EQ_U64(run(NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, "--count", "x", NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, "--duration", "-1", NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, "--interval", "0", NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, "--bogus", NULL), 2);
	CHECK_EQ_U64(run("--mem", memfile, "extra", NULL), 2);
	CHECK_EQ_U64(run("--mem", "/nonexistent/file", NULL), 2);
	CHECK_EQ_U64(run("-h", NULL), 0);
	CHECK(strstr(out, "usage: fixmapctl trace"));
	fake_hdr(&f)->major = 1;
	write_mem();
	CHECK_EQ_U64(run("--mem", memfile, "--save", "/nonexistent/dir/x", NULL), 2);
}

int main(void)
{
	int fd;

	fd = mkstemp(memfile), close(fd);
	fd = mkstemp(outfile), close(fd);
	fd = mkstemp(savefile), close(fd);
	fake_init(&f, 1);
	RUN(drains_once_and_saves_v1);
	RUN(finished_agent_is_not_trimmed);
	RUN(running_agent_end_is_cut);
	RUN(json_lines);
	RUN(count_limits_events);
	RUN(duration_ends_and_counts_lost);
	RUN(live_skips_what_came_before_drops);
	RUN(live_starts_after_drops_marked_before_it);
	RUN(bad_areas_and_options);
	fake_free(&f);
	free(out);
	free(saved);
	unlink(memfile);
	unlink(outfile);
	unlink(savefile);
	return UNIT_EXIT();
}
