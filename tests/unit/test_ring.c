/* SPDX-License-Identifier: MIT */
#include "agent.h"
#include "arm64/barrier.h"
#include "arm64/tlbi.h"
#include "fake_agent.h"
#include "ring.h"
#include "unit.h"

#define HDR_PA (FAKE_BASE + FAKE_HDR_OFF)
#define REC ((uint16_t)sizeof(struct fixmap_rec_event))

static struct fake_target f;
static struct agent_state st;
static struct ring_set rs;
static struct fm_err err;

static struct fm_event evs[4096];
static unsigned nev;
static char diags[16][400];
static unsigned ndiags;

static void on_event(void *arg, const struct fm_event *ev)
{
	(void)arg;
	if (nev < sizeof(evs) / sizeof(evs[0]))
		evs[nev] = *ev;
	nev++;
}

static void on_diag(void *arg, unsigned cpu, const char *msg)
{
	(void)arg;
	if (ndiags < 16)
		snprintf(diags[ndiags], sizeof(diags[0]), "cpu %u: %s", cpu, msg);
	ndiags++;
}

static int any_diag(const char *needle)
{
	for (unsigned i = 0; i < ndiags && i < 16; i++)
		if (strstr(diags[i], needle))
			return 1;
	return 0;
}

/* Fresh area with ncpus CPUs and a consumer on it. */
static int setup(unsigned ncpus)
{
	fake_free(&f);
	ring_set_free(&rs);
	fake_init(&f, ncpus);
	nev = ndiags = 0;
	if (agent_read(&f.t, HDR_PA, &st, &err) || ring_set_init(&rs, &st, &err))
		return -1;
	rs.diag = on_diag;
	return 0;
}

static int drain(void)
{
	return ring_set_drain(&rs, &f.t, on_event, NULL, &err);
}

static void decodes_every_record_type(void)
{
	CHECK(setup(1) == 0);
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40100ff8, 0x80000000, 0x40000743, 0, 3);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISHST, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_TLBI, TLBI_vale2is, (7ull << 44) | (0x80000000 >> 12), 0,
		     0, 0);
	fake_produce(&f, 0, FIXMAP_REC_DMB, BAR_ISH, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_ACCESS, 0x80000010, 1, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_FREE, 0x41000000, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 7);
	CHECK_EQ_U64(ndiags, 0);
	CHECK_EQ_U64(evs[0].type, FM_EV_PTE);
	CHECK_EQ_U64(evs[0].ptep, 0x40100ff8);
	CHECK_EQ_U64(evs[0].va, 0x80000000);
	CHECK_EQ_U64(evs[0].old, 0x40000743);
	CHECK_EQ_U64(evs[0].new, 0);
	CHECK_EQ_U64(evs[0].level, 3);
	CHECK(evs[0].flags & FM_EVF_PTEP);
	CHECK_EQ_U64(evs[0].seq, 1);
	CHECK_EQ_U64(evs[0].pc, 0x40201004);
	CHECK_EQ_U64(evs[1].type, FM_EV_DSB);
	CHECK_EQ_U64(evs[1].bar, BAR_ISHST);
	CHECK_EQ_U64(evs[2].type, FM_EV_TLBI);
	CHECK_EQ_U64(evs[2].tlbi, TLBI_vale2is);
	CHECK_EQ_U64(evs[2].va, 0x80000000);
	CHECK_EQ_U64(evs[2].arg, (7ull << 44) | 0x80000);
	CHECK_EQ_U64(evs[3].type, FM_EV_DMB);
	CHECK_EQ_U64(evs[4].type, FM_EV_ISB);
	CHECK_EQ_U64(evs[5].type, FM_EV_ACCESS);
	CHECK(evs[5].flags & FM_EVF_EXEC);
	CHECK_EQ_U64(evs[6].type, FM_EV_FREE);
	CHECK_EQ_U64(evs[6].ptep, 0x41000000);
	CHECK_EQ_U64(evs[6].seq, 7);
	/* The tail went back to the agent (release), equal to head. */
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, 7 * 64);
	CHECK_EQ_U64(rs.r[0].st.events, 7);
	CHECK_EQ_U64(rs.seq, 7);
	/* Nothing new: nothing decoded, no write. */
	f.writes = 0;
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 7);
	CHECK_EQ_U64(f.writes, 0);
}

static void one_batch_for_heads_one_for_data(void)
{
	CHECK(setup(4) == 0);
	for (unsigned c = 0; c < 4; c++)
		for (unsigned i = 0; i < 5; i++)
			fake_produce(&f, c, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	f.batches = 0;
	CHECK(drain() == 0);
	CHECK_EQ_U64(f.batches, 2);
	CHECK_EQ_U64(nev, 20);
	for (unsigned c = 0; c < 4; c++)
		CHECK_EQ_U64(evs[c * 5].cpu, c);
}

static void wraps_with_pad_records(void)
{
	static const uint64_t opt[7] = {1, 2, 3, 5, 6, 7, 9}; /* named barrier options */
	unsigned want = 0;
	uint64_t seq = 0;

	CHECK(setup(1) == 0);
	/* Records of 64 and 136 bytes so the end of the ring falls inside one: a PAD. */
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 7; i++) {
			uint64_t a[5] = {opt[i], 0, 0, 0, 0};

			CHECK(fake_produce_sized(&f, 0, FIXMAP_REC_DSB, i % 2 ? 136 : REC, a) == 0);
			want++;
		}
		CHECK(drain() == 0);
	}
	CHECK_EQ_U64(nev, want);
	CHECK_EQ_U64(ndiags, 0);
	CHECK(rs.r[0].st.pads > 0);
	CHECK(fake_cpu(&f, 0)->head > 2 * FAKE_RING);
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, fake_cpu(&f, 0)->head);
	for (unsigned i = 0; i < nev; i++) {
		CHECK(evs[i].seq > seq);
		seq = evs[i].seq;
		CHECK_EQ_U64(evs[i].bar, opt[i % 7]);
	}
}

static void skips_unknown_types_by_size(void)
{
	uint64_t a[5] = {BAR_SY, 0, 0, 0, 0};

	CHECK(setup(1) == 0);
	fake_produce_sized(&f, 0, 42, 24, a);
	fake_produce_sized(&f, 0, FIXMAP_REC_DSB, REC, a);
	fake_produce_sized(&f, 0, 42, 200, a);
	fake_produce_sized(&f, 0, FIXMAP_REC_DSB, 96, a); /* a newer, longer DSB record */
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 2);
	CHECK_EQ_U64(evs[0].bar, BAR_SY);
	CHECK_EQ_U64(evs[1].bar, BAR_SY);
	CHECK_EQ_U64(rs.r[0].st.unknown, 2);
	CHECK_EQ_U64(rs.r[0].st.bad, 0);
	CHECK_EQ_U64(ndiags, 1); /* said once per type */
	CHECK(any_diag("unknown type 42"));
}

/* A LOST record counting n, written as the agent would. */
static void raw_lost(uint64_t n)
{
	uint64_t a[5] = {n, 0, 0, 0, 0};

	fake_write_rec(&f, 0, FIXMAP_REC_LOST, REC, a);
}

static unsigned ngap_events(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nev && i < 4096; i++)
		n += evs[i].type == FM_EV_LOST;
	return n;
}

/* Drops are counted, and the agent's LOST record places them in the stream. */
static void counts_lost_events(void)
{
	unsigned lost = 0, cap = FAKE_RING / REC;

	CHECK(setup(2) == 0);
	CHECK(drain() == 0);
	for (unsigned i = 0; i < cap + 10; i++)
		lost += fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK_EQ_U64(lost, 10);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, cap);
	CHECK_EQ_U64(rs.r[0].batch_lost, 10);
	CHECK_EQ_U64(rs.r[0].unmarked, 10);
	CHECK_EQ_U64(rs.r[0].st.lost - rs.r[0].st.lost_start, 10);
	CHECK_EQ_U64(rs.r[0].batch_first_seq, 1);
	CHECK_EQ_U64(rs.r[0].batch_last_seq, cap);
	CHECK_EQ_U64(rs.r[1].batch_lost, 0);
	CHECK_EQ_U64(ngap_events(), 0); /* not placed yet: the LOST record comes */
	/* Space is back: the agent records again, the LOST record first. */
	CHECK(fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0) == 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(rs.r[0].batch_lost, 0);
	CHECK_EQ_U64(rs.r[0].unmarked, 0);
	CHECK_EQ_U64(nev, cap + 2);
	CHECK_EQ_U64(evs[cap].type, FM_EV_LOST);
	CHECK_EQ_U64(evs[cap].cpu, 0);
	CHECK_EQ_U64(evs[cap].arg, 10);
	CHECK_EQ_U64(evs[cap].seq, cap + 1);
	CHECK_EQ_U64(evs[cap + 1].type, FM_EV_DSB);
	/* A LOST record must count something. */
	raw_lost(0);
	CHECK(drain() == 0);
	CHECK(any_diag("lost record with a count of 0"));
}

/* At the end of the stream, drops no LOST record has placed follow the last record. */
static void unplaced_drops_at_the_end(void)
{
	unsigned cap = FAKE_RING / REC;

	CHECK(setup(1) == 0);
	for (unsigned i = 0; i < cap + 7; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, cap);
	ring_set_end(&rs, on_event, NULL);
	CHECK_EQ_U64(nev, cap + 1);
	CHECK_EQ_U64(evs[cap].type, FM_EV_LOST);
	CHECK_EQ_U64(evs[cap].arg, 7);
	CHECK_EQ_U64(evs[cap].seq, cap); /* after the last record */
	ring_set_end(&rs, on_event, NULL);
	CHECK_EQ_U64(nev, cap + 1);
}

/* An agent without LOST records (protocol 1.1 or older): gaps placed by the lost counter. */
static void older_agent_gaps_by_the_counter(void)
{
	unsigned cap = FAKE_RING / REC;

	fake_free(&f);
	ring_set_free(&rs);
	fake_init(&f, 1);
	fake_hdr(&f)->minor = 1;
	fake_cpu(&f, 0)->lost = 3; /* before we started: before what we read */
	nev = ndiags = 0;
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0 && ring_set_init(&rs, &st, &err) == 0);
	CHECK(!rs.lost_records);
	rs.wait_ms = 1000; /* such an agent cannot wait: nothing is written */
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(fake_cpu(&f, 0)->wait_ms, 0);
	CHECK_EQ_U64(nev, 3);
	CHECK_EQ_U64(evs[2].type, FM_EV_LOST);
	CHECK_EQ_U64(evs[2].arg, 3);
	CHECK_EQ_U64(evs[2].seq, 0); /* before the first record (seq 1) */
	for (unsigned i = 0; i < cap + 2; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(evs[nev - 1].type, FM_EV_LOST);
	CHECK_EQ_U64(evs[nev - 1].arg, 2); /* after this drain's last record */
	CHECK_EQ_U64(evs[nev - 1].seq, evs[nev - 2].seq);
}

/*
 * A live stream starting on a ring that ends in drops skips what the ring kept
 * from before them, and their LOST record; later drops are gaps as always.
 */
static void live_stream_skips_the_stale_backlog(void)
{
	unsigned cap = FAKE_RING / REC;

	CHECK(setup(1) == 0);
	rs.skip_stale = true;
	for (unsigned i = 0; i < cap + 9; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 0);
	CHECK_EQ_U64(rs.r[0].st.stale, cap);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 1);
	CHECK_EQ_U64(evs[0].type, FM_EV_DSB);
	for (unsigned i = 0; i < cap + 2; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(ngap_events(), 1);
	CHECK_EQ_U64(rs.r[0].st.stale, cap);
}

/* The consumer's wait request is written before the heads are read, and released. */
static void wait_request_written_first_and_released(void)
{
	unsigned batches;

	CHECK(setup(2) == 0);
	rs.wait_ms = 12000;
	f.writes = 0;
	CHECK(drain() == 0);
	CHECK_EQ_U64(fake_cpu(&f, 0)->wait_ms, 12000);
	CHECK_EQ_U64(fake_cpu(&f, 1)->wait_ms, 12000);
	CHECK_EQ_U64(f.writes, 2);
	batches = f.batches;
	CHECK(drain() == 0); /* unchanged: not written again */
	CHECK_EQ_U64(f.writes, 2);
	CHECK_EQ_U64(f.batches, batches + 1);
	CHECK(ring_set_release(&rs, &f.t, &err) == 0);
	CHECK_EQ_U64(fake_cpu(&f, 0)->wait_ms, 0);
	CHECK_EQ_U64(fake_cpu(&f, 1)->wait_ms, 0);
	CHECK(ring_set_release(&rs, &f.t, &err) == 0);
	CHECK_EQ_U64(f.writes, 4);
	/* A dry look writes nothing. */
	rs.consume = false;
	CHECK(drain() == 0);
	CHECK_EQ_U64(f.writes, 4);
}

static void head_far_ahead_or_behind(void)
{
	CHECK(setup(2) == 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_cpu(&f, 0)->head += 10 * FAKE_RING;
	fake_produce(&f, 1, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK(any_diag("cpu 0: head"));
	CHECK(any_diag("more than the ring"));
	CHECK_EQ_U64(nev, 1); /* CPU 1 is still read */
	CHECK_EQ_U64(evs[0].cpu, 1);
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, fake_cpu(&f, 0)->head);
	/* The agent restarts: head goes back to 0. */
	ndiags = 0;
	fake_cpu(&f, 0)->head = 0;
	CHECK(drain() == 0);
	CHECK(any_diag("behind tail"));
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, 0);
	fake_cpu(&f, 0)->tail = 0;
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 2);
}

/* Writes a raw record header at CPU 0's head and advances head by adv. */
static void raw_record(uint16_t type, uint16_t size, uint64_t adv)
{
	struct fixmap_cpu *c = fake_cpu(&f, 0);
	struct fixmap_rec_hdr h = {.type = type, .size = size, .cpu = 0};
	uint8_t *ring = (uint8_t *)c + c->ring_offset;

	memcpy(ring + (c->head & (c->ring_size - 1)), &h, sizeof(h));
	c->head += adv;
}

static void hostile_record_sizes(void)
{
	static const struct {
		uint16_t size;
		uint64_t adv;
		const char *says;
	} cases[] = {
		{0, 64, "smaller than a record header"},
		{4, 64, "smaller than a record header"},
		{60, 64, "not a multiple of 8"},
		{192, 64, "runs past head"},
		{0xfff8, 64, "runs past"},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(setup(1) == 0);
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
		raw_record(FIXMAP_REC_PTE, cases[i].size, cases[i].adv);
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
		CHECK(drain() == 0);
		CHECK(any_diag(cases[i].says));
		CHECK_EQ_U64(nev, 1); /* the good record before; the rest up to head skipped */
		CHECK_EQ_U64(rs.r[0].st.skipped, 128);
		CHECK_EQ_U64(fake_cpu(&f, 0)->tail, fake_cpu(&f, 0)->head);
		/* And the ring goes on working. */
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
		CHECK(drain() == 0);
		CHECK_EQ_U64(nev, 2);
	}
}

static void record_across_the_ring_end(void)
{
	CHECK(setup(1) == 0);
	fake_cpu(&f, 0)->head = fake_cpu(&f, 0)->tail = FAKE_RING - 64;
	rs.r[0].tail = FAKE_RING - 64;
	raw_record(FIXMAP_REC_PTE, 128, 128);
	CHECK(drain() == 0);
	CHECK(any_diag("past the end of the ring"));
	CHECK_EQ_U64(nev, 0);
	CHECK_EQ_U64(fake_cpu(&f, 0)->tail, FAKE_RING + 64);
}

static void operands_out_of_range(void)
{
	CHECK(setup(1) == 0);
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0, 0, 0, 0, 7);
	fake_produce(&f, 0, FIXMAP_REC_TLBI, 9999, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_DSB, 16, 0, 0, 0, 0);
	fake_produce_sized(&f, 0, FIXMAP_REC_TLBI, 16, NULL);
	/* a reserved CRm (found by fuzz_ring: saved as "dmb #4", which check refuses) */
	fake_produce(&f, 0, FIXMAP_REC_DMB, 4, 0, 0, 0, 0);
	/* a VA inside the 2 MiB of a level-2 entry (found by fuzz_ring: check refuses it) */
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x80001000, 0, 0, 2);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 1);
	CHECK_EQ_U64(evs[0].type, FM_EV_ISB);
	CHECK(any_diag("level 7"));
	CHECK(any_diag("op 9999"));
	CHECK(any_diag("option 0x10"));
	CHECK(any_diag("too short"));
	CHECK(any_diag("reserved option 4"));
	CHECK(any_diag("va 0x80001000 not aligned"));
	CHECK_EQ_U64(rs.r[0].st.bad, 6);
}

/*
 * Protocol 1.1: the level is signed; -1 is the extra level of 4K with LPA2,
 * which the agent's table has when its TCR_EL2.DS (bit 32, E2H = 0) is set.
 */
static void level_minus_one(void)
{
	CHECK(setup(1) == 0);
	fake_cpu(&f, 0)->tcr_el2 = 1ull << 32;
	ring_set_free(&rs);
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0 && ring_set_init(&rs, &st, &err) == 0);
	rs.diag = on_diag;
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x0001000000000000ull, 0, 0x40002003,
		     (uint64_t)-1);
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x0000800000000000ull, 0, 0x40002003,
		     (uint64_t)-1); /* not aligned to 2^48 */
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0, 0, 0, (uint64_t)-2);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 1);
	CHECK((int8_t)evs[0].level == -1);
	CHECK_EQ_U64(evs[0].va, 0x0001000000000000ull);
	CHECK(any_diag("level -2"));
	CHECK(any_diag("not aligned to what a level -1 entry"));
}

/*
 * A PTE record must fit the agent's table format, as the saved trace declares
 * it: no level -1 without LPA2, VAs aligned to what a 16K-granule entry
 * translates (found by fuzz-ring: the saved trace did not read back).
 */
static void pte_records_fit_the_table_format(void)
{
	CHECK(setup(1) == 0);
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x0001000000000000ull, 0, 0x40002003,
		     (uint64_t)-1);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 0);
	CHECK(any_diag("level -1, which the agent's 4K table has not"));
	fake_cpu(&f, 0)->tcr_el2 = 2ull << 14; /* TG0 = 16K (D19 TCR_EL2) */
	ring_set_free(&rs);
	CHECK(agent_read(&f.t, HDR_PA, &st, &err) == 0 && ring_set_init(&rs, &st, &err) == 0);
	rs.diag = on_diag;
	ndiags = 0;
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x80001000, 0, 0x40002003, 3);
	fake_produce(&f, 0, FIXMAP_REC_PTE, 0x40001000, 0x80004000, 0, 0x40002003, 3);
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 1);
	CHECK_EQ_U64(evs[0].va, 0x80004000);
	CHECK(any_diag("va 0x80001000 not aligned to what a level 3 entry of the agent's 16K"));
}

static void wrong_cpu_and_backwards_seq(void)
{
	struct fixmap_cpu *c;
	struct fixmap_rec_event *rec;

	CHECK(setup(1) == 0);
	c = fake_cpu(&f, 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	rec = (struct fixmap_rec_event *)(void *)((uint8_t *)c + c->ring_offset + 64);
	rec->hdr.cpu = 3;
	rec->seq = 1;
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 2);
	CHECK_EQ_U64(evs[1].cpu, 0); /* the ring's CPU wins */
	CHECK(any_diag("from cpu 3"));
	CHECK(any_diag("went backwards"));
}

static void diagnostics_are_limited(void)
{
	CHECK(setup(1) == 0);
	for (unsigned i = 0; i < 30; i++)
		fake_produce(&f, 0, FIXMAP_REC_PTE, 0, 0, 0, 0, 9);
	CHECK(drain() == 0);
	CHECK_EQ_U64(rs.r[0].st.bad, 30);
	CHECK_EQ_U64(ndiags, RING_MAX_DIAG + 1);
	CHECK(any_diag("only counted") || ndiags > 8);
}

static void geometry_change_stops_reading(void)
{
	CHECK(setup(2) == 0);
	fake_cpu(&f, 0)->ring_size = 1u << 30;
	fake_produce(&f, 1, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(drain() == 0);
	CHECK(any_diag("geometry changed"));
	CHECK(!rs.r[0].usable);
	CHECK_EQ_U64(nev, 1);
}

static void target_errors_are_errors(void)
{
	CHECK(setup(1) == 0);
	fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	f.fail_reads = 1;
	CHECK(drain() == -1);
	CHECK(strstr(err.msg, "ring heads"));
	f.fail_reads = 0;
	CHECK(drain() == 0);
	CHECK_EQ_U64(nev, 1);
}

static void random_garbage_terminates(void)
{
	uint32_t x = 12345;

	for (unsigned round = 0; round < 200; round++) {
		struct fixmap_cpu *c;
		uint8_t *ring;

		CHECK(setup(1) == 0);
		c = fake_cpu(&f, 0);
		ring = (uint8_t *)c + c->ring_offset;
		for (unsigned i = 0; i < FAKE_RING; i++) {
			x = x * 1103515245 + 12345;
			ring[i] = (uint8_t)(x >> 16);
			if (round % 2 && i % 8 == 2) /* plausible sizes half the time */
				ring[i] = (uint8_t)(8 * (1 + (x >> 20) % 12)), ring[i + 1] = 0, i++;
		}
		x = x * 1103515245 + 12345;
		c->head = x % (2 * FAKE_RING);
		CHECK(drain() == 0);
		CHECK(c->tail == c->head);
	}
}

int main(void)
{
	fake_init(&f, 1);
	RUN(decodes_every_record_type);
	RUN(one_batch_for_heads_one_for_data);
	RUN(wraps_with_pad_records);
	RUN(skips_unknown_types_by_size);
	RUN(counts_lost_events);
	RUN(unplaced_drops_at_the_end);
	RUN(older_agent_gaps_by_the_counter);
	RUN(live_stream_skips_the_stale_backlog);
	RUN(wait_request_written_first_and_released);
	RUN(head_far_ahead_or_behind);
	RUN(hostile_record_sizes);
	RUN(record_across_the_ring_end);
	RUN(operands_out_of_range);
	RUN(level_minus_one);
	RUN(pte_records_fit_the_table_format);
	RUN(wrong_cpu_and_backwards_seq);
	RUN(diagnostics_are_limited);
	RUN(geometry_change_stops_reading);
	RUN(target_errors_are_errors);
	RUN(random_garbage_terminates);
	ring_set_free(&rs);
	fake_free(&f);
	return UNIT_EXIT();
}
