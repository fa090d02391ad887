/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU fixmap slots, as pKVM's EL2 fixmap (Linux arch/arm64/kvm/hyp/nvhe/mm.c):
 * one 4 KiB slot per CPU, all slots in one level-3 table of the shared EL2
 * stage-1 table. A slot is only ever used by its own CPU, but every CPU may
 * walk (and cache) every slot, which is why unmapping needs broadcast
 * maintenance. The maintenance sequence is chosen per call (enum fixmap_mode).
 */
#ifndef AGENT_FIXMAP_H
#define AGENT_FIXMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "fixmap_proto.h"
#include "mmu.h"

#define FIXMAP_VA 0x80000000ull /* CPU n's slot: FIXMAP_VA + n * 4 KiB */
#define FIXMAP_SLOT_LEVEL 3
/* Slot descriptor: Normal WB, inner shareable, read/write, AF, page. */
#define FIXMAP_PTE_ATTR (PTE_ATTR_NORMAL | PTE_TYPE_PAGE)

/* TLBI TTL hints, 4K granule (D8.17.2.1 / REFERENCE): 0b01 granule, level in [1:0]. */
#define TTL_4K(level) (0x4u | (level))
/* TTL[3:2] is the granule: 0b01 4K, 0b10 16K, 0b11 64K; TTL[1:0] the level (D8.17). */
#define TTL_GRANULE(page_shift, level) ((((page_shift) - 10u) / 2u) << 2 | (level))

struct fixmap_slot {
	uint64_t *ptep;          /* the slot's level-3 entry */
	uint64_t va;             /* the slot's VA */
	struct fixmap_cpu *pub;  /* where the slot's state is published (may be NULL) */
	bool has_ttl;            /* FEAT_TTL: TLBI level hints are honoured */
	unsigned page_shift;     /* the table's granule: 12 (0 means 12), 14 or 16 */
	uint64_t attr;           /* leaf attributes in the table's format; 0: FIXMAP_PTE_ATTR */
};

/* Creates the level-3 entries of n slots, one granule apart (one shared level-3 table). 0 or -1. */
int fixmap_setup(struct mmu *m, unsigned n, uint64_t *pteps[]);

/*
 * Maps pa (page aligned) into the slot: store, then `dsb ishst` so walks by any
 * CPU see it, then `isb` before this CPU uses it (not in FIXMAP_MODE_no_isb,
 * which leaves it out here and after the unmap). The slot must be invalid, except in FIXMAP_MODE_no_break, which
 * overwrites a valid slot directly (the injected valid->valid fault).
 * Returns the slot's VA, or 0 if refused.
 */
uint64_t fixmap_map(struct fixmap_slot *s, uint64_t pa, enum fixmap_mode mode);

/*
 * Unmaps the slot with the mode's sequence (after clearing the valid bit):
 *   broadcast  dsb ishst; tlbi vale2is (TTL level 3 with FEAT_TTL); dsb ish; isb
 *   local      dsb nshst; tlbi vale2; dsb nsh; isb
 *   no_tlbi    dsb ishst; dsb ish; isb
 *   no_dsb     tlbi vale2is; isb
 *   bad_ttl    as broadcast, with a level-2 TTL hint
 *   no_isb     as broadcast, without the isb (and none after the map)
 *   no_break   as broadcast (the fault of that mode is in fixmap_map)
 * Returns 0, or -1 if the slot was not mapped.
 */
int fixmap_unmap(struct fixmap_slot *s, enum fixmap_mode mode);

/* The TLBI operand for the slot under mode: VA[55:12] in [43:0], TTL in [47:44]. */
uint64_t fixmap_tlbi_arg(const struct fixmap_slot *s, enum fixmap_mode mode);

static inline bool fixmap_mapped(const struct fixmap_slot *s)
{
	return *(volatile uint64_t *)s->ptep & PTE_VALID;
}

#endif
