/* SPDX-License-Identifier: MIT */
/*
 * The EL2 stage-1 translation table all CPUs share: T0SZ = 25 (39-bit VA),
 * built from a fixed pool of table pages. The 4K granule by default (lookup
 * from level 1); on request the 16K granule (level 1, 8 entries) or the 64K
 * granule (level 2, 1024 entries), LPA2 descriptors (4K, 16K: OA[51:50] in
 * bits [9:8], so no SH field: TCR_EL2.SH0 gives the shareability) and the
 * EL2&0 regime's descriptors (HCR_EL2.E2H = 1: AP[1] is EL0 access, so it is
 * clear; execute-never is PXN and UXN), Arm ARM D8.2, D8.3, D8.4. Physical
 * addresses are the pointers' values (the agent runs with RAM identity-mapped;
 * the host tests use host memory the same way).
 */
#ifndef AGENT_MMU_H
#define AGENT_MMU_H

#include <stdbool.h>
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
#define PTE_XN (1ull << 54)  /* EL2&0: UXN */
#define PTE_PXN (1ull << 53) /* EL2&0 only (RES0 at EL2 without VHE) */
#define PTE_SH_MASK (3ull << 8)
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

/* The table's format (fixmap.granule=, fixmap.lpa2=, fixmap.vhe=). */
struct mmu_fmt {
	unsigned page_shift; /* 12, 14 or 16 */
	bool lpa2;           /* TCR_EL2.DS = 1 (4K, 16K only) */
	bool vhe;            /* HCR_EL2.E2H = 1: EL2&0 descriptors */
};

struct mmu {
	uint64_t *root;  /* start-level table: TTBR0_EL2.BADDR */
	uint8_t *pages;  /* table page pool (granule aligned, zeroed) */
	size_t npages;   /* of the granule's size */
	size_t used;
	struct mmu_fmt fmt;
	uint64_t page_size;
	unsigned start_level;
};

/* Takes the root from the pool (4K granule). 0, or -1 when the pool is empty or misaligned. */
int mmu_init(struct mmu *m, void *pages, size_t npages);
/* The same in format f, from a pool of bytes (granule aligned). -1 also for a bad format. */
int mmu_init_fmt(struct mmu *m, void *pool, size_t bytes, const struct mmu_fmt *f);

/* Bytes an entry at level translates in m's granule (4K: 1 GiB, 2 MiB, 4 KiB). */
uint64_t mmu_level_size(const struct mmu *m, unsigned level);

/* Leaf attributes attr (PTE_ATTR_*) as m's format needs them (LPA2: no SH; EL2&0: AP[1]
 * clear, execute-never as PXN and UXN). */
uint64_t mmu_leaf_attr(const struct mmu *m, uint64_t attr);

/* TCR_EL2 for m: T0SZ 25, WB caches, inner shareable, the granule, DS, PS = ps (capped
 * at 48 bits); the TCR_EL1 layout with EPD1 when the format is EL2&0 (D19 TCR_EL2). */
uint64_t mmu_tcr(const struct mmu *m, uint64_t ps);

/*
 * The entry at `level` for va, allocating (and linking, through ev_pte) the
 * table pages on the way. NULL if va is outside the 39-bit range, the pool is
 * exhausted, or a block mapping is in the way.
 */
uint64_t *mmu_entry(struct mmu *m, uint64_t va, unsigned level);

/*
 * Maps [va, va + size) to pa with leaf attributes attr: level-2 blocks (4K:
 * 2 MiB, 16K: 32 MiB, 64K: 512 MiB) where both addresses are aligned and the
 * rest fits, pages elsewhere. attr is adjusted with mmu_leaf_attr().
 * All three values must be page aligned. 0 or -1 (bad arguments, out of table
 * pages, or a range that is mapped already).
 */
int mmu_map(struct mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr);

#endif
