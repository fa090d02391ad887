/* SPDX-License-Identifier: MIT */
/* EL2 stage-1 table construction (see mmu.h). */
#include "mmu.h"

#include "ev.h"

static void *mmu_alloc(struct mmu *m)
{
	uint64_t *p;

	if (m->used >= m->npages)
		return NULL;
	p = (uint64_t *)(void *)(m->pages + m->used * m->page_size);
	m->used++;
	for (unsigned i = 0; i < m->page_size / 8; i++)
		p[i] = 0;
	return p;
}

int mmu_init_fmt(struct mmu *m, void *pool, size_t bytes, const struct mmu_fmt *f)
{
	unsigned stride;

	m->root = NULL;
	m->used = 0;
	if (f->page_shift != 12 && f->page_shift != 14 && f->page_shift != 16)
		return -1;
	if (f->lpa2 && f->page_shift == 16) /* LPA2 is for 4K and 16K (D8.3.1) */
		return -1;
	m->fmt = *f;
	m->page_size = 1ull << f->page_shift;
	m->pages = pool;
	m->npages = bytes / m->page_size;
	/* D8.2: the start level resolves VA bit 38; each level resolves page_shift - 3 bits. */
	stride = f->page_shift - 3;
	m->start_level = 4 - (MMU_VA_BITS - f->page_shift + stride - 1) / stride;
	if ((uintptr_t)pool & (m->page_size - 1))
		return -1;
	m->root = mmu_alloc(m);
	return m->root ? 0 : -1;
}

int mmu_init(struct mmu *m, void *pages, size_t npages)
{
	static const struct mmu_fmt k4 = {.page_shift = 12};

	return mmu_init_fmt(m, pages, npages * PAGE_SIZE, &k4);
}

static unsigned level_shift(const struct mmu *m, unsigned level)
{
	return m->fmt.page_shift + (m->fmt.page_shift - 3) * (3 - level);
}

uint64_t mmu_level_size(const struct mmu *m, unsigned level)
{
	return 1ull << level_shift(m, level);
}

static unsigned index_of(const struct mmu *m, uint64_t va, unsigned level)
{
	return (unsigned)(va >> level_shift(m, level)) & ((1u << (m->fmt.page_shift - 3)) - 1);
}

/* The output address field of a descriptor: OA[47:page_shift]; LPA2 would put OA[51:50]
 * in [9:8], 64K OA[51:48] in [15:12]: the agent's RAM is below 2^48, so both are 0. */
static uint64_t oa_bits(const struct mmu *m, uint64_t pa)
{
	return pa & PTE_OA_MASK & ~(m->page_size - 1);
}

uint64_t mmu_leaf_attr(const struct mmu *m, uint64_t attr)
{
	if (m->fmt.lpa2)
		attr &= ~PTE_SH_MASK; /* OA[51:50]: shareability is TCR_EL2.SH0 (D8.6.2) */
	if (m->fmt.vhe) {
		/* AP[1] = 1 would give EL0 access, and memory writable at EL0 is never
		 * executable at EL2 (D8.4.1.2); XN is UXN, so add PXN. */
		attr &= ~PTE_AP1;
		if (attr & PTE_XN)
			attr |= PTE_PXN;
	}
	return attr;
}

uint64_t mmu_tcr(const struct mmu *m, uint64_t ps)
{
	uint64_t tg = m->fmt.page_shift == 16 ? 1 : m->fmt.page_shift == 14 ? 2 : 0; /* TG0 */

	if (ps > 5)
		ps = 5; /* 48 bits: the agent's RAM is below 2^48 */
	/* SH0 inner [13:12], ORGN0/IRGN0 WB RA WA [11:8], TG0 [15:14], T0SZ [5:0]. */
	if (m->fmt.vhe) /* TCR_EL1 layout: EPD1 [23], TG1 4K [31:30], IPS [34:32], DS [59] */
		return (uint64_t)m->fmt.lpa2 << 59 | ps << 32 | 2ull << 30 | 1ull << 23 |
		       tg << 14 | 3ull << 12 | 1ull << 10 | 1ull << 8 | MMU_T0SZ;
	/* RES1 [31] [23]; DS [32]; PS [18:16] (D19 TCR_EL2, E2H = 0). */
	return (uint64_t)m->fmt.lpa2 << 32 | 1ull << 31 | 1ull << 23 | ps << 16 | tg << 14 |
	       3ull << 12 | 1ull << 10 | 1ull << 8 | MMU_T0SZ;
}

uint64_t *mmu_entry(struct mmu *m, uint64_t va, unsigned level)
{
	uint64_t *table = m->root;

	if (va >> MMU_VA_BITS || level < m->start_level || level > 3)
		return NULL;
	for (unsigned l = m->start_level; l < level; l++) {
		uint64_t *e = &table[index_of(m, va, l)];
		uint64_t d = *e;

		if (!(d & PTE_VALID)) {
			uint64_t *next = mmu_alloc(m);

			if (!next)
				return NULL;
			/* Table descriptor: next-level address, no hierarchical attributes. */
			ev_pte(e, va & ~(mmu_level_size(m, l) - 1), l,
			       oa_bits(m, (uint64_t)(uintptr_t)next) | PTE_TYPE_TABLE);
			d = *e;
		} else if ((d & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
			return NULL; /* a block maps this range */
		}
		table = (uint64_t *)(uintptr_t)oa_bits(m, d);
	}
	return &table[index_of(m, va, level)];
}

int mmu_map(struct mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr)
{
	const uint64_t block = mmu_level_size(m, 2);

	attr = mmu_leaf_attr(m, attr);
	if ((va | pa | size) & (m->page_size - 1) || va + size < va ||
	    (va + size - 1) >> MMU_VA_BITS)
		return -1;
	while (size) {
		unsigned level = 3;
		uint64_t *e, type = PTE_TYPE_PAGE;

		if (!((va | pa) & (block - 1)) && size >= block) {
			level = 2;
			type = PTE_TYPE_BLOCK;
		}
		e = mmu_entry(m, va, level);
		if (!e || (*e & PTE_VALID))
			return -1;
		ev_pte(e, va, level, oa_bits(m, pa) | attr | type);
		va += mmu_level_size(m, level);
		pa += mmu_level_size(m, level);
		size -= mmu_level_size(m, level);
	}
	return 0;
}
