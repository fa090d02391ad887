/* SPDX-License-Identifier: MIT */
/* EL2 stage-1 table construction (see mmu.h). */
#include "mmu.h"

#include "ev.h"

static void *mmu_alloc(struct mmu *m)
{
	uint64_t *p;

	if (m->used >= m->npages)
		return NULL;
	p = (uint64_t *)(void *)(m->pages + m->used * PAGE_SIZE);
	m->used++;
	for (unsigned i = 0; i < 512; i++)
		p[i] = 0;
	return p;
}

int mmu_init(struct mmu *m, void *pages, size_t npages)
{
	m->pages = pages;
	m->npages = npages;
	m->used = 0;
	m->root = NULL;
	if ((uintptr_t)pages & (PAGE_SIZE - 1))
		return -1;
	m->root = mmu_alloc(m);
	return m->root ? 0 : -1;
}

uint64_t *mmu_entry(struct mmu *m, uint64_t va, unsigned level)
{
	uint64_t *table = m->root;

	if (va >> MMU_VA_BITS || level < MMU_START_LEVEL || level > 3)
		return NULL;
	for (unsigned l = MMU_START_LEVEL; l < level; l++) {
		uint64_t *e = &table[MMU_INDEX(va, l)];
		uint64_t d = *e;

		if (!(d & PTE_VALID)) {
			uint64_t *next = mmu_alloc(m);

			if (!next)
				return NULL;
			/* Table descriptor: next-level address, no hierarchical attributes. */
			ev_pte(e, va & ~(MMU_LEVEL_SIZE(l) - 1), l,
			       (uint64_t)(uintptr_t)next | PTE_TYPE_TABLE);
			d = *e;
		} else if ((d & PTE_TYPE_MASK) != PTE_TYPE_TABLE) {
			return NULL; /* a block maps this range */
		}
		table = (uint64_t *)(uintptr_t)(d & PTE_OA_MASK);
	}
	return &table[MMU_INDEX(va, level)];
}

int mmu_map(struct mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr)
{
	const uint64_t block = MMU_LEVEL_SIZE(2);

	if ((va | pa | size) & (PAGE_SIZE - 1) || va + size < va || (va + size - 1) >> MMU_VA_BITS)
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
		ev_pte(e, va, level, (pa & PTE_OA_MASK) | attr | type);
		va += MMU_LEVEL_SIZE(level);
		pa += MMU_LEVEL_SIZE(level);
		size -= MMU_LEVEL_SIZE(level);
	}
	return 0;
}
