/* SPDX-License-Identifier: MIT */
/* Per-CPU fixmap slots and their maintenance modes (see fixmap.h). */
#include "fixmap.h"

#include "ev.h"

int fixmap_setup(struct mmu *m, unsigned n, uint64_t *pteps[])
{
	for (unsigned i = 0; i < n; i++) {
		pteps[i] = mmu_entry(m, FIXMAP_VA + i * m->page_size, FIXMAP_SLOT_LEVEL);
		if (!pteps[i])
			return -1;
	}
	/* All slots in one level-3 table: the table every CPU walks. */
	for (unsigned i = 1; i < n; i++)
		if (((uintptr_t)pteps[i] & ~(m->page_size - 1)) !=
		    ((uintptr_t)pteps[0] & ~(m->page_size - 1)))
			return -1;
	return 0;
}

uint64_t fixmap_tlbi_arg(const struct fixmap_slot *s, enum fixmap_mode mode)
{
	unsigned ps = s->page_shift ? s->page_shift : 12;
	uint64_t ttl = 0;

	if (mode == FIXMAP_MODE_bad_ttl)
		ttl = TTL_GRANULE(ps, 2); /* the injected fault: the slot is a level-3 entry */
	else if (s->has_ttl)
		ttl = TTL_GRANULE(ps, FIXMAP_SLOT_LEVEL);
	return ((s->va >> 12) & 0xfffffffffffull) | ttl << 44;
}

static void fixmap_publish(struct fixmap_slot *s, uint64_t desc, int mapped)
{
	if (!s->pub)
		return;
	s->pub->pte = desc;
	if (mapped)
		s->pub->maps++;
	else
		s->pub->unmaps++;
}

uint64_t fixmap_map(struct fixmap_slot *s, uint64_t pa, enum fixmap_mode mode)
{
	uint64_t page = 1ull << (s->page_shift ? s->page_shift : 12);
	uint64_t desc = (pa & PTE_OA_MASK) | (s->attr ? s->attr : FIXMAP_PTE_ATTR);

	if (pa & (page - 1) || (fixmap_mapped(s) && mode != FIXMAP_MODE_no_break))
		return 0;
	ev_pte(s->ptep, s->va, FIXMAP_SLOT_LEVEL, desc);
	/* Make the new entry visible to every CPU's walks before it is used. */
	ev_dsb(BAR_ISHST);
	/*
	 * This CPU uses the slot next: without an ISB, instructions after the
	 * DSB may already have been translated with the old (invalid) entry
	 * (Arm ARM D8.2.6 / K11 "ensuring the visibility of updates to
	 * translation tables"; Linux added the same ISB to set_pte() for kernel
	 * mappings). Linux's EL2 fixmap omits it; fixmapctl reports that as
	 * missing-isb, and the no-isb mode reproduces it.
	 */
	if (mode != FIXMAP_MODE_no_isb)
		ev_isb();
	fixmap_publish(s, desc, 1);
	return s->va;
}

int fixmap_unmap(struct fixmap_slot *s, enum fixmap_mode mode)
{
	uint64_t desc = *(volatile uint64_t *)s->ptep;
	uint64_t arg = fixmap_tlbi_arg(s, mode);

	if (!(desc & PTE_VALID))
		return -1;
	/* Break: clear only the valid bit, as Linux's fixmap_clear_slot(). */
	desc &= ~PTE_VALID;
	ev_pte(s->ptep, s->va, FIXMAP_SLOT_LEVEL, desc);
	switch (mode) {
	case FIXMAP_MODE_local:
		/* The seed patch: local invalidation only, as if no other CPU walked the slot. */
		ev_dsb(BAR_NSHST);
		ev_tlbi(TLBI_vale2, arg);
		ev_dsb(BAR_NSH);
		ev_isb();
		break;
	case FIXMAP_MODE_no_tlbi:
		ev_dsb(BAR_ISHST);
		ev_dsb(BAR_ISH);
		ev_isb();
		break;
	case FIXMAP_MODE_no_dsb:
		ev_tlbi(TLBI_vale2is, arg);
		ev_isb();
		break;
	case FIXMAP_MODE_no_isb:
		ev_dsb(BAR_ISHST);
		ev_tlbi(TLBI_vale2is, arg);
		ev_dsb(BAR_ISH);
		break;
	case FIXMAP_MODE_broadcast:
	case FIXMAP_MODE_bad_ttl:
	case FIXMAP_MODE_no_break:
	default:
		/*
		 * Every CPU may have cached the slot: order the store before a
		 * broadcast invalidation, wait for it everywhere, resynchronise.
		 */
		ev_dsb(BAR_ISHST);
		ev_tlbi(TLBI_vale2is, arg);
		ev_dsb(BAR_ISH);
		ev_isb();
		break;
	}
	fixmap_publish(s, desc, 0);
	return 0;
}
