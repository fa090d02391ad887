/* SPDX-License-Identifier: MIT */
/*
 * Fixmap slots (agent/fixmap.c): the exact maintenance sequence of every mode,
 * as executed (fake arch log) and as recorded (ring), and the slot rules.
 */
#include <stdlib.h>

#include "arch.h"
#include "fixmap.h"
#include "shared.h"
#include "unit.h"

#define NCPU 4

static struct mmu m;
static void *pages;
static uint64_t *pteps[NCPU];
static struct fixmap_slot slot;

static void setup(unsigned cpu, bool ttl)
{
	free(pages);
	pages = aligned_alloc(PAGE_SIZE, 8 * PAGE_SIZE);
	memset(&fixmap_shared, 0, sizeof(fixmap_shared));
	shared_init(&fixmap_shared);
	fake_reset();
	mmu_init(&m, pages, 8);
	fixmap_setup(&m, NCPU, pteps);
	slot = (struct fixmap_slot){.ptep = pteps[cpu],
				    .va = FIXMAP_VA + cpu * PAGE_SIZE,
				    .pub = &fixmap_shared.cpu[cpu].c,
				    .has_ttl = ttl};
	arch_set_cpu_shared(&fixmap_shared.cpu[cpu].c);
	fake_reset();
	arch_set_cpu_shared(&fixmap_shared.cpu[cpu].c);
}

static void test_slots_share_one_table(void)
{
	setup(0, true);
	for (int i = 0; i < NCPU; i++) {
		CHECK(pteps[i] != NULL);
		CHECK_EQ_U64(*pteps[i], 0);
		CHECK(pteps[i] == pteps[0] + i);
	}
	/* 0x80000000: L1[2] -> L2[0] -> L3[0..3]. */
	CHECK_EQ_U64(m.root[2] & PTE_TYPE_MASK, PTE_TYPE_TABLE);
}

/* Expected steps, in the fake log's terms. */
struct step {
	enum fake_op op;
	unsigned opt;
};

static int log_is(const struct step *s, size_t n)
{
	if (fake_nlog != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (fake_log[i].op != s[i].op || (s[i].op != FAKE_PTE && fake_log[i].opt != s[i].opt))
			return 0;
	return 1;
}

/* The ring holds the same steps, in order, with increasing sequence numbers. */
static int ring_matches_log(unsigned cpu)
{
	struct fixmap_cpu *c = &fixmap_shared.cpu[cpu].c;
	static const uint16_t types[] = {[FAKE_PTE] = FIXMAP_REC_PTE, [FAKE_DSB] = FIXMAP_REC_DSB,
					 [FAKE_DMB] = FIXMAP_REC_DMB, [FAKE_ISB] = FIXMAP_REC_ISB,
					 [FAKE_TLBI] = FIXMAP_REC_TLBI};

	if (c->produced != fake_nlog)
		return 0;
	for (size_t i = 0; i < fake_nlog; i++) {
		const struct fixmap_rec_event *r = (const void *)(fixmap_shared.cpu[cpu].ring + 64 * i);

		if (r->hdr.type != types[fake_log[i].op] || r->hdr.cpu != cpu || (i && r->seq <= r[-1].seq))
			return 0;
		/* The PC is the one the primitive reported for its instruction. */
		if (r->pc != FAKE_PC_BASE + 0x10u * (unsigned)fake_log[i].op)
			return 0;
		if (fake_log[i].op == FAKE_TLBI && (r->a[0] != fake_log[i].opt || r->a[1] != fake_log[i].a))
			return 0;
		if ((fake_log[i].op == FAKE_DSB || fake_log[i].op == FAKE_DMB) && r->a[0] != fake_log[i].opt)
			return 0;
	}
	return 1;
}

static void test_map(void)
{
	static const struct step want[] = {{FAKE_PTE, 0}, {FAKE_DSB, BAR_ISHST}, {FAKE_ISB, 0}};
	static const struct step no_isb[] = {{FAKE_PTE, 0}, {FAKE_DSB, BAR_ISHST}};
	const struct fixmap_rec_event *r;

	setup(1, true);
	CHECK(fixmap_map(&slot, 0x41000000, FIXMAP_MODE_no_isb) != 0);
	CHECK(log_is(no_isb, 2));
	setup(1, true);
	CHECK_EQ_U64(fixmap_map(&slot, 0x41000000, FIXMAP_MODE_broadcast), 0x80001000);
	CHECK_EQ_U64(*pteps[1], 0x41000743);
	CHECK(log_is(want, 3));
	CHECK(ring_matches_log(1));
	r = (const void *)fixmap_shared.cpu[1].ring;
	CHECK_EQ_U64(r->a[0], (uint64_t)(uintptr_t)pteps[1]);
	CHECK_EQ_U64(r->a[1], 0x80001000);
	CHECK_EQ_U64(r->a[2], 0);
	CHECK_EQ_U64(r->a[3], 0x41000743);
	CHECK_EQ_U64(r->a[4], 3);
	CHECK_EQ_U64(fixmap_shared.cpu[1].c.pte, 0x41000743);
	CHECK_EQ_U64(fixmap_shared.cpu[1].c.maps, 1);
}

static void test_map_refusals(void)
{
	setup(0, true);
	CHECK_EQ_U64(fixmap_map(&slot, 0x41000800, FIXMAP_MODE_broadcast), 0);
	CHECK(fixmap_unmap(&slot, FIXMAP_MODE_broadcast) == -1);
	CHECK_EQ_U64(fake_nlog, 0);
	CHECK(fixmap_map(&slot, 0x41000000, FIXMAP_MODE_broadcast) != 0);
	/* Valid -> valid only in the no-break mode. */
	CHECK_EQ_U64(fixmap_map(&slot, 0x41001000, FIXMAP_MODE_local), 0);
	CHECK_EQ_U64(*pteps[0], 0x41000743);
	CHECK(fixmap_map(&slot, 0x41001000, FIXMAP_MODE_no_break) != 0);
	CHECK_EQ_U64(*pteps[0], 0x41001743);
	CHECK_EQ_U64(((const struct fixmap_rec_event *)fixmap_shared.cpu[0].ring)[3].a[2], 0x41000743);
}

/* Runs map+unmap in mode and checks the unmap part of the log. */
static void check_unmap(enum fixmap_mode mode, bool ttl, const struct step *want, size_t n,
			uint64_t want_arg)
{
	setup(2, ttl);
	CHECK(fixmap_map(&slot, 0x42000000, mode) != 0);
	fake_nlog = 0;
	fixmap_shared.cpu[2].c.head = 0;
	fixmap_shared.cpu[2].c.produced = 0;
	CHECK(fixmap_unmap(&slot, mode) == 0);
	CHECK(log_is(want, n));
	CHECK(ring_matches_log(2));
	/* Break: only the valid bit goes. */
	CHECK_EQ_U64(*pteps[2], 0x42000742);
	CHECK_EQ_U64(fake_log[0].b, 0x42000742);
	for (size_t i = 0; i < n; i++)
		if (fake_log[i].op == FAKE_TLBI)
			CHECK_EQ_U64(fake_log[i].a, want_arg);
	CHECK_EQ_U64(fixmap_shared.cpu[2].c.unmaps, 1);
}

#define VA2 (0x80002000ull >> 12)
#define TTL3 (0x7ull << 44)
#define TTL2 (0x6ull << 44)

static void test_unmap_broadcast(void)
{
	static const struct step want[] = {{FAKE_PTE, 0},
					   {FAKE_DSB, BAR_ISHST},
					   {FAKE_TLBI, TLBI_vale2is},
					   {FAKE_DSB, BAR_ISH},
					   {FAKE_ISB, 0}};

	check_unmap(FIXMAP_MODE_broadcast, true, want, 5, VA2 | TTL3);
	if (unit_cur_failed)
		return;
	/* Without FEAT_TTL the hint is 0. */
	check_unmap(FIXMAP_MODE_broadcast, false, want, 5, VA2);
	check_unmap(FIXMAP_MODE_no_break, true, want, 5, VA2 | TTL3);
}

static void test_unmap_local(void)
{
	static const struct step want[] = {{FAKE_PTE, 0},
					   {FAKE_DSB, BAR_NSHST},
					   {FAKE_TLBI, TLBI_vale2},
					   {FAKE_DSB, BAR_NSH},
					   {FAKE_ISB, 0}};

	check_unmap(FIXMAP_MODE_local, true, want, 5, VA2 | TTL3);
}

static void test_unmap_faults(void)
{
	static const struct step no_tlbi[] = {
		{FAKE_PTE, 0}, {FAKE_DSB, BAR_ISHST}, {FAKE_DSB, BAR_ISH}, {FAKE_ISB, 0}};
	static const struct step no_dsb[] = {{FAKE_PTE, 0}, {FAKE_TLBI, TLBI_vale2is}, {FAKE_ISB, 0}};
	static const struct step bad_ttl[] = {{FAKE_PTE, 0},
					      {FAKE_DSB, BAR_ISHST},
					      {FAKE_TLBI, TLBI_vale2is},
					      {FAKE_DSB, BAR_ISH},
					      {FAKE_ISB, 0}};
	static const struct step no_isb[] = {
		{FAKE_PTE, 0}, {FAKE_DSB, BAR_ISHST}, {FAKE_TLBI, TLBI_vale2is}, {FAKE_DSB, BAR_ISH}};

	check_unmap(FIXMAP_MODE_no_tlbi, true, no_tlbi, 4, 0);
	if (unit_cur_failed)
		return;
	check_unmap(FIXMAP_MODE_no_dsb, true, no_dsb, 3, VA2 | TTL3);
	if (unit_cur_failed)
		return;
	/* The wrong hint is there with or without FEAT_TTL. */
	check_unmap(FIXMAP_MODE_bad_ttl, true, bad_ttl, 5, VA2 | TTL2);
	if (unit_cur_failed)
		return;
	check_unmap(FIXMAP_MODE_bad_ttl, false, bad_ttl, 5, VA2 | TTL2);
	if (unit_cur_failed)
		return;
	check_unmap(FIXMAP_MODE_no_isb, true, no_isb, 4, VA2 | TTL3);
}

/* TLBI VALE2IS operand: VA[55:12] in [43:0], TTL [47:44] = granule (01 4K, 10 16K, 11 64K)
 * and level (D8.17). */
static void test_tlbi_arg_granules(void)
{
	struct fixmap_slot s = {.va = 0x80020000, .has_ttl = true};

	CHECK_EQ_U64(fixmap_tlbi_arg(&s, FIXMAP_MODE_broadcast), 0x80020 | 0x7ull << 44);
	s.page_shift = 14;
	CHECK_EQ_U64(fixmap_tlbi_arg(&s, FIXMAP_MODE_broadcast), 0x80020 | 0xbull << 44);
	s.page_shift = 16;
	CHECK_EQ_U64(fixmap_tlbi_arg(&s, FIXMAP_MODE_broadcast), 0x80020 | 0xfull << 44);
	CHECK_EQ_U64(fixmap_tlbi_arg(&s, FIXMAP_MODE_bad_ttl), 0x80020 | 0xeull << 44);
	s.has_ttl = false;
	CHECK_EQ_U64(fixmap_tlbi_arg(&s, FIXMAP_MODE_broadcast), 0x80020);
}

int main(void)
{
	RUN(test_tlbi_arg_granules);
	RUN(test_slots_share_one_table);
	RUN(test_map);
	RUN(test_map_refusals);
	RUN(test_unmap_broadcast);
	RUN(test_unmap_local);
	RUN(test_unmap_faults);
	free(pages);
	return UNIT_EXIT();
}
