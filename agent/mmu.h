/* SPDX-License-Identifier: MIT */
/*
 * The EL2 stage-1 translation table all CPUs share: 4K granule, T0SZ = 25
 * (39-bit VA, lookup starts at level 1), built from a fixed pool of table
 * pages. Physical addresses are the pointers' values (the agent runs with RAM
 * identity-mapped; the host tests use host memory the same way).
 */
#ifndef AGENT_MMU_H
#define AGENT_MMU_H

#include <stddef.h>
#include <stdint.h>

#define MMU_VA_BITS 39
#define MMU_START_LEVEL 1
#define MMU_T0SZ (64 - MMU_VA_BITS)
#define PAGE_SIZE 4096ull

/* Descriptor bits, 4K granule, EL2 stage 1 (Arm ARM D8.3, "Translation table descriptor formats"). */
#define PTE_VALID (1ull << 0)
#define PTE_TYPE_TABLE (3ull << 0) /* levels 0-2; at level 3: page */
#define PTE_TYPE_PAGE (3ull << 0)
#define PTE_TYPE_BLOCK (1ull << 0)
#define PTE_TYPE_MASK 3ull
#define PTE_ATTRINDX(i) ((uint64_t)(i) << 2)
#define PTE_AP1 (1ull << 6) /* RES1 at EL2 (D8.4.1) */
#define PTE_AP_RO (1ull << 7)
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_XN (1ull << 54)
#define PTE_OA_MASK 0x0000fffffffff000ull /* [47:12] */

/* MAIR_EL2 attribute indices: 0 Normal WB RA/WA (0xff), 1 Device-nGnRE (0x04). */
#define MAIR_EL2_VALUE 0x04ffull
#define MT_NORMAL 0
#define MT_DEVICE 1

/* Leaf attributes (everything but the type bits). */
#define PTE_ATTR_NORMAL (PTE_ATTRINDX(MT_NORMAL) | PTE_AP1 | PTE_SH_INNER | PTE_AF)
#define PTE_ATTR_DEVICE (PTE_ATTRINDX(MT_DEVICE) | PTE_AP1 | PTE_AF | PTE_XN)

/* Address range one entry at `level` translates: 1 GiB, 2 MiB, 4 KiB. */
#define MMU_LEVEL_SHIFT(level) (12u + 9u * (3u - (level)))
#define MMU_LEVEL_SIZE(level) (1ull << MMU_LEVEL_SHIFT(level))
#define MMU_INDEX(va, level) (((va) >> MMU_LEVEL_SHIFT(level)) & 511u)

struct mmu {
	uint64_t *root;  /* level-1 table: TTBR0_EL2.BADDR */
	uint8_t *pages;  /* table page pool (page aligned, zeroed) */
	size_t npages;
	size_t used;
};

/* Takes the root from the pool. 0, or -1 when the pool is empty or misaligned. */
int mmu_init(struct mmu *m, void *pages, size_t npages);

/*
 * The entry at `level` for va, allocating (and linking, through ev_pte) the
 * table pages on the way. NULL if va is outside the 39-bit range, the pool is
 * exhausted, or a block mapping is in the way.
 */
uint64_t *mmu_entry(struct mmu *m, uint64_t va, unsigned level);

/*
 * Maps [va, va + size) to pa with leaf attributes attr: 2 MiB blocks where
 * both addresses are 2 MiB aligned and the rest fits, 4 KiB pages elsewhere.
 * All three values must be page aligned. 0 or -1 (bad arguments, out of table
 * pages, or a range that is mapped already).
 */
int mmu_map(struct mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr);

#endif
