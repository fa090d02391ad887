/* SPDX-License-Identifier: MIT */
/* EL2 stage-1 table construction (agent/mmu.c): build through the API, assert raw entries. */
#include <stdlib.h>

#include "arch.h"
#include "mmu.h"
#include "unit.h"

#define NPAGES 8

static struct mmu m;
static void *pages;

static void setup(void)
{
	fake_reset();
	free(pages);
	pages = aligned_alloc(PAGE_SIZE, NPAGES * PAGE_SIZE);
	memset(pages, 0xa5, NPAGES * PAGE_SIZE); /* tables must be zeroed by mmu_alloc */
	mmu_init(&m, pages, NPAGES);
}

static uint64_t *next_table(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)(desc & PTE_OA_MASK);
}

static void test_init(void)
{
	setup();
	CHECK(m.root == pages);
	CHECK_EQ_U64(m.used, 1);
	for (int i = 0; i < 512; i++)
		CHECK_EQ_U64(m.root[i], 0);
	CHECK(mmu_init(&m, (uint8_t *)pages + 8, 2) == -1);
	CHECK(mmu_init(&m, pages, 0) == -1);
}

static void test_ram_blocks(void)
{
	uint64_t *l2;

	setup();
	CHECK(mmu_map(&m, 0x40000000, 0x40000000, 6 << 20, PTE_ATTR_NORMAL) == 0);
	/* L1[1] -> level-2 table with three 2 MiB blocks. */
	CHECK_EQ_U64(m.root[1] & PTE_TYPE_MASK, PTE_TYPE_TABLE);
	l2 = next_table(m.root[1]);
	CHECK_EQ_U64(l2[0], 0x40000000 | 0x741); /* block, AttrIndx 0, AP[1], SH inner, AF */
	CHECK_EQ_U64(l2[1], 0x40200000 | 0x741);
	CHECK_EQ_U64(l2[2], 0x40400000 | 0x741);
	CHECK_EQ_U64(l2[3], 0);
	CHECK_EQ_U64(m.used, 2);
	/* Every store went through the instrumented helper: 1 table + 3 blocks. */
	CHECK_EQ_U64(fake_nlog, 4);
	for (size_t i = 0; i < fake_nlog; i++)
		CHECK(fake_log[i].op == FAKE_PTE);
	CHECK_EQ_U64(fake_log[0].a, (uint64_t)(uintptr_t)&m.root[1]);
}

static void test_pages_where_unaligned(void)
{
	uint64_t *l2, *l3;

	setup();
	/* 4 KiB + 2 MiB + 4 KiB starting one page below a 2 MiB boundary. */
	CHECK(mmu_map(&m, 0x401ff000, 0x401ff000, (2 << 20) + 2 * PAGE_SIZE, PTE_ATTR_NORMAL) == 0);
	l2 = next_table(m.root[1]);
	l3 = next_table(l2[0]);
	CHECK_EQ_U64(l3[511], 0x401ff000 | 0x743);
	CHECK_EQ_U64(l2[1], 0x40200000 | 0x741);
	l3 = next_table(l2[2]);
	CHECK_EQ_U64(l3[0], 0x40400000 | 0x743);
	CHECK_EQ_U64(l3[1], 0);
}

static void test_device(void)
{
	uint64_t *l2;

	setup();
	CHECK(mmu_map(&m, 0x09000000, 0x09000000, 2 << 20, PTE_ATTR_DEVICE) == 0);
	l2 = next_table(m.root[0]);
	CHECK_EQ_U64(l2[72], 0x09000000 | PTE_XN | 0x445);
}

/* A pool of 64 KiB-aligned bytes for the other formats. */
static void setup_fmt(unsigned page_shift, bool lpa2, bool vhe)
{
	struct mmu_fmt f = {.page_shift = page_shift, .lpa2 = lpa2, .vhe = vhe};

	fake_reset();
	free(pages);
	pages = aligned_alloc(65536, 8 * 65536);
	memset(pages, 0xa5, 8 * 65536);
	CHECK(mmu_init_fmt(&m, pages, 8 * 65536, &f) == 0);
}

/* D8.2/D8.3: 16K, 39-bit VA: L1 (VA[38:36]), L2 32 MiB blocks (VA[35:25]), L3 16 KiB pages. */
static void test_16k(void)
{
	uint64_t *l2, *l3;

	setup_fmt(14, false, false);
	CHECK_EQ_U64(m.start_level, 1);
	CHECK(mmu_map(&m, 0x40000000, 0x40000000, (32 << 20) + 16384, PTE_ATTR_NORMAL) == 0);
	l2 = next_table(m.root[0]);
	CHECK_EQ_U64(m.root[0] & 3, 3);
	CHECK_EQ_U64(l2[32], 0x40000000 | 0x741); /* VA 0x40000000 >> 25 = 32 */
	l3 = next_table(l2[33]);
	CHECK_EQ_U64(l3[0], 0x42000000 | 0x743);
	CHECK_EQ_U64(l3[1], 0);
	CHECK_EQ_U64(mmu_tcr(&m, 5) & (3u << 14), 2u << 14); /* TG0 = 0b10 */
	CHECK(mmu_entry(&m, 0x80000000 + 3 * 16384, 3) == &next_table(next_table(m.root[0])[64])[3]);
}

/* 64K, 39-bit VA: the walk starts at L2 (VA[38:29], 1024 entries); pages of 64 KiB. */
static void test_64k(void)
{
	uint64_t *l3;

	setup_fmt(16, false, false);
	CHECK_EQ_U64(m.start_level, 2);
	CHECK(mmu_map(&m, 0x40000000, 0x40000000, 2 * 65536, PTE_ATTR_NORMAL) == 0);
	l3 = next_table(m.root[2]);
	CHECK_EQ_U64(l3[0], 0x40000000 | 0x743);
	CHECK_EQ_U64(l3[1], 0x40010000 | 0x743);
	CHECK_EQ_U64(mmu_tcr(&m, 5), 0x80857519ull); /* TG0 = 0b01 */
	CHECK(mmu_map(&m, 0x1000, 0x1000, 65536, PTE_ATTR_NORMAL) == -1); /* not 64K aligned */
	CHECK(mmu_init_fmt(&m, pages, 65536, &(struct mmu_fmt){.page_shift = 16, .lpa2 = true}) == -1);
}

/* LPA2 (D8.3.1): bits [9:8] are OA[51:50]: no SH field; TCR_EL2.DS (bit 32). */
static void test_lpa2(void)
{
	uint64_t *l2;

	setup_fmt(12, true, false);
	CHECK(mmu_map(&m, 0x40000000, 0x40000000, 2 << 20, PTE_ATTR_NORMAL) == 0);
	l2 = next_table(m.root[1]);
	CHECK_EQ_U64(l2[0], 0x40000000 | 0x441); /* AF, AP[1], AttrIndx 0: SH bits clear */
	CHECK_EQ_U64(mmu_tcr(&m, 5), 0x180853519ull);
}

/* EL2&0 (E2H = 1): AP[1] clear (no EL0 access), device memory PXN and UXN; the TCR_EL1
 * layout (EPD1, TG1 4K, IPS [34:32], DS at 59). */
static void test_vhe(void)
{
	uint64_t *l2;

	setup_fmt(12, true, true);
	CHECK(mmu_map(&m, 0x09000000, 0x09000000, 2 << 20, PTE_ATTR_DEVICE) == 0);
	l2 = next_table(m.root[0]);
	CHECK_EQ_U64(l2[72], 0x09000000 | PTE_XN | PTE_PXN | 0x405);
	CHECK_EQ_U64(mmu_tcr(&m, 5), 1ull << 59 | 5ull << 32 | 2ull << 30 | 1ull << 23 | 0x3519);
}

static void test_errors(void)
{
	setup();
	CHECK(mmu_map(&m, 0x1001, 0x1000, PAGE_SIZE, 0) == -1);
	CHECK(mmu_map(&m, 0x1000, 0x1000, 100, 0) == -1);
	CHECK(mmu_map(&m, 1ull << 39, 0, PAGE_SIZE, 0) == -1);
	CHECK(mmu_map(&m, (1ull << 39) - PAGE_SIZE, 0, 2 * PAGE_SIZE, 0) == -1);
	CHECK(mmu_map(&m, ~0ull & ~(PAGE_SIZE - 1), 0, 2 * PAGE_SIZE, 0) == -1);
	CHECK(mmu_entry(&m, 0, 0) == NULL);
	CHECK(mmu_entry(&m, 0, 4) == NULL);
	/* Already mapped: refused, nothing changed. */
	CHECK(mmu_map(&m, 0x40000000, 0x40000000, 2 << 20, PTE_ATTR_NORMAL) == 0);
	CHECK(mmu_map(&m, 0x40000000, 0x50000000, 2 << 20, PTE_ATTR_NORMAL) == -1);
	CHECK_EQ_U64(next_table(m.root[1])[0], 0x40000000 | 0x741);
	/* A block is in the way of a level-3 entry. */
	CHECK(mmu_entry(&m, 0x40001000, 3) == NULL);
}

static void test_out_of_pages(void)
{
	setup();
	/* Each 1 GiB region needs its own level-2 table: 7 free pages, the 8th region fails. */
	for (uint64_t g = 0; g < 7; g++)
		CHECK(mmu_map(&m, g << 30, g << 30, 2 << 20, PTE_ATTR_NORMAL) == 0);
	CHECK(mmu_map(&m, 7ull << 30, 7ull << 30, 2 << 20, PTE_ATTR_NORMAL) == -1);
	CHECK_EQ_U64(m.used, NPAGES);
	free(pages);
	pages = NULL;
}

int main(void)
{
	RUN(test_init);
	RUN(test_ram_blocks);
	RUN(test_pages_where_unaligned);
	RUN(test_device);
	RUN(test_errors);
	RUN(test_16k);
	RUN(test_64k);
	RUN(test_lpa2);
	RUN(test_vhe);
	RUN(test_out_of_pages);
	return UNIT_EXIT();
}
