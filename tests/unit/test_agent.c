/* SPDX-License-Identifier: MIT */
#include "agent.h"
#include "fake_agent.h"
#include "unit.h"

#define HDR_PA (FAKE_BASE + FAKE_HDR_OFF)

static struct fake_target f;
static struct agent_state st;
static struct fm_err err;

/* Builds a fresh area, lets mutate() break it, and reads it; returns agent_read's result. */
static int read_with(void (*mutate)(struct fixmap_shared_hdr *h))
{
	fake_free(&f);
	fake_init(&f, 4);
	if (mutate)
		mutate(fake_hdr(&f));
	err.msg[0] = '\0';
	return agent_read(&f.t, HDR_PA, &st, &err);
}

static void reads_a_valid_area(void)
{
	CHECK(read_with(NULL) == 0);
	CHECK_EQ_U64(st.ncpus, 4);
	CHECK_EQ_U64(st.max_cpus, 4);
	CHECK_EQ_U64(st.ctrl_pa, HDR_PA + 256);
	for (unsigned i = 0; i < 4; i++) {
		CHECK(st.cpu[i].usable);
		CHECK_EQ_U64(st.cpu[i].c.cpu, i);
		CHECK_EQ_U64(st.cpu[i].pa, HDR_PA + 512 + i * (384 + FAKE_RING));
		CHECK_EQ_U64(st.cpu[i].ring_pa, st.cpu[i].pa + 384);
	}
	CHECK_STR(agent_mode_name(st.hdr.mode), "local");
	CHECK_STR(agent_mode_name(2), "no-break");
	CHECK_STR(agent_mode_name(99), "?");
	CHECK_STR(agent_state_name(st.hdr.state), "running");
}

static void bad_magic(struct fixmap_shared_hdr *h) { h->magic ^= 1; }
static void newer_major(struct fixmap_shared_hdr *h) { h->major = 2; }
static void tiny_hdr(struct fixmap_shared_hdr *h) { h->hdr_size = 16; }
static void no_cpus(struct fixmap_shared_hdr *h) { h->max_cpus = 0; }
static void many_cpus(struct fixmap_shared_hdr *h) { h->max_cpus = 9; }
static void more_up_than_areas(struct fixmap_shared_hdr *h) { h->ncpus = 5; }
static void huge_total(struct fixmap_shared_hdr *h) { h->total_size = 1ull << 40; }
static void areas_past_end(struct fixmap_shared_hdr *h) { h->total_size -= 8; }
static void small_stride(struct fixmap_shared_hdr *h) { h->cpu_size = 100; }
static void cpus_over_header(struct fixmap_shared_hdr *h) { h->cpu_offset = 8; }
static void ctrl_outside(struct fixmap_shared_hdr *h) { h->ctrl_offset = 0xfffffff0u; }
static void ctrl_over_cpus(struct fixmap_shared_hdr *h) { h->ctrl_offset = 512 + 64; }
static void wrong_pa(struct fixmap_shared_hdr *h) { h->shared_pa += 0x1000; }

static void rejects_bad_headers(void)
{
	CHECK(read_with(bad_magic) == -1);
	CHECK(strstr(err.msg, "magic"));
	CHECK(read_with(newer_major) == -1);
	CHECK(strstr(err.msg, "protocol 2."));
	CHECK(read_with(tiny_hdr) == -1);
	CHECK(strstr(err.msg, "16 bytes"));
	CHECK(read_with(no_cpus) == -1);
	CHECK(read_with(many_cpus) == -1);
	CHECK(strstr(err.msg, "9 per-CPU areas"));
	CHECK(read_with(more_up_than_areas) == -1);
	CHECK(read_with(huge_total) == -1);
	CHECK(read_with(areas_past_end) == -1);
	CHECK(strstr(err.msg, "end past"));
	CHECK(read_with(small_stride) == -1);
	CHECK(read_with(cpus_over_header) == -1);
	CHECK(read_with(ctrl_outside) == -1);
	CHECK(read_with(ctrl_over_cpus) == -1);
	CHECK(strstr(err.msg, "overlaps"));
	CHECK(read_with(wrong_pa) == -1);
	CHECK(strstr(err.msg, "wrong ELF"));
}

/* An older writer (shorter header): fields past its hdr_size read as zero. */
static void older_header(struct fixmap_shared_hdr *h)
{
	h->hdr_size = offsetof(struct fixmap_shared_hdr, seq);
}
/* A newer writer (longer header, higher minor): our part is used. */
static void newer_header(struct fixmap_shared_hdr *h)
{
	h->hdr_size = 256; /* up to the control block */
	h->minor = 7;
}

static void min_of_header_sizes(void)
{
	CHECK(read_with(older_header) == 0);
	CHECK_EQ_U64(st.hdr.shared_pa, HDR_PA);
	CHECK_EQ_U64(st.hdr.state, 0);
	CHECK_EQ_U64(st.hdr.fixmap_va, 0);
	CHECK(read_with(newer_header) == 0);
	CHECK_EQ_U64(st.hdr.fixmap_va, 0x80000000);
	CHECK_EQ_U64(st.hdr.minor, 7);
}

static void cpu_geometry_checked_per_cpu(void)
{
	fake_free(&f);
	fake_init(&f, 4);
	fake_cpu(&f, 1)->ring_size = 3000;         /* not a power of two */
	fake_cpu(&f, 2)->ring_offset = 64;         /* over its own control words */
	fake_cpu(&f, 3)->ring_offset = 0x7ffffff8; /* outside the area */
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0);
	CHECK(st.cpu[0].usable);
	CHECK(!st.cpu[1].usable && strstr(st.cpu[1].why, "power of two"));
	CHECK(!st.cpu[2].usable && strstr(st.cpu[2].why, "not inside"));
	CHECK(!st.cpu[3].usable && strstr(st.cpu[3].why, "not inside"));

	fake_free(&f);
	fake_init(&f, 2);
	/* A CPU not brought up (no ring yet, offline) is absent, not an error. */
	fake_cpu(&f, 1)->ring_size = 0;
	fake_cpu(&f, 1)->online = 0;
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0);
	CHECK(!st.cpu[1].present && !st.cpu[1].usable && !st.cpu[1].why[0]);
}

static void rings_must_not_overlap(void)
{
	struct fixmap_shared_hdr *h;

	fake_free(&f);
	fake_init(&f, 2);
	h = fake_hdr(&f);
	/* Give both CPUs one ring area past the per-CPU areas. */
	h->total_size += 2 * FAKE_RING;
	fake_cpu(&f, 0)->ring_offset = (uint32_t)(2 * h->cpu_size);
	fake_cpu(&f, 1)->ring_offset = (uint32_t)(h->cpu_size);
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0);
	CHECK(st.cpu[0].usable);
	CHECK(!st.cpu[1].usable && strstr(st.cpu[1].why, "CPU 0's ring"));
}

static void read_failure_is_an_error(void)
{
	fake_free(&f);
	fake_init(&f, 1);
	f.fail_reads = 1;
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == -1);
	CHECK(strstr(err.msg, "fake read failure"));
	CHECK(agent_read(&f.t, FAKE_BASE + FAKE_SIZE, &st, &err) == -1);
}

static void scan_finds_the_header_not_a_decoy(void)
{
	uint64_t pa = 0, decoy = FIXMAP_MAGIC;

	fake_free(&f);
	fake_init(&f, 2);
	/* The constant in code before the header: magic, but its shared_pa is not itself. */
	memcpy(f.mem + 0x1000, &decoy, 8);
	CHECK(agent_scan(&f.t, FAKE_BASE, FAKE_SIZE, &pa, &err) == 0);
	CHECK_EQ_U64(pa, HDR_PA);
	/* Scanning past the end of memory stops there with a clear message. */
	fake_hdr(&f)->magic = 0;
	CHECK(agent_scan(&f.t, FAKE_BASE, 8ull << 20, &pa, &err) == -1);
	CHECK(strstr(err.msg, "no agent header"));
	CHECK(agent_scan(&f.t, 0x1000, 4096, &pa, &err) == -1);
	CHECK(strstr(err.msg, "cannot read"));
}

/*
 * An agent still booting: its header's magic is 0 (written last), and a scan
 * finds no header but the image's note, which says where the header will be.
 */
static void booting_agent_is_told_apart(void)
{
	struct fixmap_image_note note = {FIXMAP_NOTE_MAGIC, HDR_PA};
	uint64_t pa = 0;

	fake_free(&f);
	fake_init(&f, 2);
	fake_hdr(&f)->magic = 0;
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == AGENT_BOOTING);
	CHECK(strstr(err.msg, "not published its header yet"));
	CHECK(agent_scan(&f.t, FAKE_BASE, FAKE_SIZE, &pa, &err) == -1);
	memcpy(f.mem + 0x10, &note, sizeof(note));
	CHECK(agent_scan(&f.t, FAKE_BASE, FAKE_SIZE, &pa, &err) == AGENT_BOOTING);
	CHECK_EQ_U64(pa, HDR_PA);
	CHECK(strstr(err.msg, "agent image at 0x40000010"));
	/* Once published, the header wins over the note. */
	fake_hdr(&f)->magic = FIXMAP_MAGIC;
	pa = 0;
	CHECK(agent_scan(&f.t, FAKE_BASE, FAKE_SIZE, &pa, &err) == 0);
	CHECK_EQ_U64(pa, HDR_PA);
}

static void trace_ctx_from_agent(void)
{
	struct fm_trace_ctx ctx = {0};

	fake_free(&f);
	fake_init(&f, 4);
	fake_cpu(&f, 2)->online = 0;
	for (unsigned i = 0; i < 4; i++)
		fake_cpu(&f, i)->id_aa64mmfr2 = (1ull << 48) | (2ull << 52);
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0);
	agent_trace_ctx(&st, &ctx);
	CHECK_EQ_U64(ctx.ncpus, 4);
	CHECK_EQ_U64(ctx.ntables, 1);
	CHECK_STR(ctx.tables[0].name, "el2");
	CHECK(ctx.tables[0].shared);
	CHECK_EQ_U64(ctx.tables[0].regime, FM_REGIME_EL2);
	CHECK_EQ_U64(ctx.tables[0].cpus[0], 0xb); /* CPUs 0, 1, 3 online */
	CHECK(ctx.features & FM_FEAT_TTL);
	CHECK(!(ctx.features & FM_FEAT_CNP));
	CHECK_EQ_U64(ctx.bbm_level, 2);

	for (unsigned i = 0; i < 4; i++)
		fake_cpu(&f, i)->id_aa64mmfr2 = 0;
	fake_cpu(&f, 2)->online = 1;
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0);
	agent_trace_ctx(&st, &ctx);
	CHECK(!(ctx.features & FM_FEAT_TTL));
	CHECK_EQ_U64(ctx.tables[0].cpus[0], 0xf);
	fm_ctx_free(&ctx);
}

int main(void)
{
	fake_init(&f, 1);
	RUN(reads_a_valid_area);
	RUN(rejects_bad_headers);
	RUN(min_of_header_sizes);
	RUN(cpu_geometry_checked_per_cpu);
	RUN(rings_must_not_overlap);
	RUN(read_failure_is_an_error);
	RUN(scan_finds_the_header_not_a_decoy);
	RUN(booting_agent_is_told_apart);
	RUN(trace_ctx_from_agent);
	fake_free(&f);
	return UNIT_EXIT();
}
