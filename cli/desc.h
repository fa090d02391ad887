/* SPDX-License-Identifier: MIT */
/*
 * Translation-table descriptors (Arm ARM D8.3 "Translation table descriptor
 * formats", D8.4 access permissions, D8.5 memory attributes; MAIR fields per
 * D19 MAIR_EL2) in every VMSAv8-64 format: 4K, 16K and 64K granules, with and
 * without LPA2 (52-bit descriptors, TCR.DS = 1), levels -1 to 3.
 *
 * Four regimes: EL2 stage 1 without VHE (one privilege level: AP[1] RES1,
 * no EL0, PXN RES0, bit 54 is XN), EL1&0 stage 1 (AP[2:1] with EL0 access,
 * PXN and UXN), EL2&0 stage 1 (HCR_EL2.E2H = 1: the EL1&0 layout, with
 * TTBR0_EL2/TTBR1_EL2 and ASIDs), and EL1&0 stage 2 (MemAttr[5:2] with
 * FEAT_S2FWB off, S2AP, XN[54:53]).
 */
#ifndef FIXMAP_DESC_H
#define FIXMAP_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

enum desc_kind { DESC_INVALID, DESC_TABLE, DESC_BLOCK, DESC_PAGE, DESC_RESERVED };

/* Descriptor bits (D8.3). */
#define DESC_VALID (1ull << 0)
#define DESC_TYPE_TABLE (1ull << 1) /* bits[1:0] = 0b11: table (L0-2) or page (L3) */
#define DESC_ATTRINDX(d) (((d) >> 2) & 7)
#define DESC_S2_MEMATTR(d) (((d) >> 2) & 0xf)
#define DESC_NS (1ull << 5)
#define DESC_AP1 (1ull << 6) /* stage 1: EL0 access; S2AP[0]: read at stage 2 */
#define DESC_AP2 (1ull << 7) /* stage 1: read-only; S2AP[1]: write at stage 2 */
#define DESC_SH(d) (((d) >> 8) & 3)
#define DESC_AF (1ull << 10)
#define DESC_NG (1ull << 11) /* stage 2: FnXS */
#define DESC_NT (1ull << 16) /* blocks, FEAT_BBM level 1 */
#define DESC_GP (1ull << 50)
#define DESC_DBM (1ull << 51)
#define DESC_CONT (1ull << 52)
#define DESC_PXN (1ull << 53) /* stage 2: XN[0] */
#define DESC_XN (1ull << 54)  /* EL1: UXN; stage 2: XN[1] */
#define DESC_SW_MASK (0xfull << 55)
#define DESC_OA_MASK 0x0000fffffffff000ull /* OA[47:12] */
#define DESC_PXNTABLE (1ull << 59)
#define DESC_XNTABLE (1ull << 60)
#define DESC_APTABLE(d) (((d) >> 61) & 3)
#define DESC_NSTABLE (1ull << 63)

/* Shareability, SH[1:0] (D8.5.2). */
#define DESC_SH_NON 0
#define DESC_SH_RESERVED 1
#define DESC_SH_OUTER 2
#define DESC_SH_INNER 3

struct desc {
	uint64_t raw;
	enum desc_kind kind;
	enum fm_regime regime;
	enum fm_granule granule;
	bool lpa2;        /* 52-bit descriptors: bits [9:8] are OA[51:50], not SH */
	bool sh_from_tcr; /* lpa2: sh is TCR_ELx.SHn (desc_set_tcr_sh), else unknown (0) */
	int level;    /* -1..3 */
	uint64_t oa;   /* output address of a block/page, next-level table of a table */
	uint64_t size; /* bytes a leaf maps, or the VA range a table entry covers */
	/* leaf attributes */
	unsigned attrindx; /* stage 1 */
	unsigned memattr;  /* stage 2 MemAttr[3:0] */
	unsigned sh;
	unsigned ap;					/* stage 1 AP[2:1], stage 2 S2AP[1:0] */
	unsigned xn;					/* stage 2 XN[1:0] */
	unsigned sw;					/* software bits [58:55] */
	bool ns, af, ng, nt, gp, dbm, contig, pxn, uxn; /* uxn: XN at EL2 */
	/* permissions the leaf grants (before AF and table limits) */
	bool rd, wr, x;		    /* EL2, EL1 (privileged) or stage-2 read/write/exec */
	bool el0_rd, el0_wr, el0_x; /* EL1&0 and stage 2 only */
	/* table attributes (stage 1; RES0 at stage 2) */
	bool pxntable, xntable, nstable;
	unsigned aptable;
};

/*
 * A translation-table format: what a descriptor means depends on the regime,
 * the granule (D8.2: 4K, 16K, 64K) and whether 52-bit LPA2 descriptors are in
 * use (TCR.DS = 1, D8.3.1: OA[51:50] in bits [9:8] for 4K/16K; the 64K granule
 * always carries OA[51:48] in bits [15:12], FEAT_LPA). Levels run from -1 (4K
 * with LPA2 and 52-bit input addresses) to 3. These pure functions are what the
 * checker and the trace reader need; desc_decode() is the full decoder.
 */
struct desc_fmt {
	enum fm_regime regime;
	enum fm_granule granule;
	bool lpa2;
};

/* The 4K, 48-bit format of regime (what desc_decode() decodes). */
struct desc_fmt desc_fmt_4k(enum fm_regime regime);

/*
 * Decode raw at level of a table of format f. Returns 0, or -1 if the level
 * is outside the format's levels or the regime/granule is out of range. Bit
 * patterns reserved at a level (0b01 where the format has no blocks; 0b01 at
 * L3) decode as DESC_RESERVED.
 */
int desc_decode_fmt(const struct desc_fmt *f, uint64_t raw, int level, struct desc *d);

/* desc_decode_fmt() for the 4K granule without LPA2, levels 0..3. */
int desc_decode(uint64_t raw, unsigned level, enum fm_regime regime, struct desc *d);

/* True if raw is a valid descriptor at level (bit 0 set and not reserved), 4K without LPA2. */
bool desc_is_valid(uint64_t raw, unsigned level);

/* Entries in one table (not a concatenated or short start table): 512, 2048, 8192. */
unsigned desc_fmt_entries(const struct desc_fmt *f);
/* Lowest input-address bit an entry at level resolves (log2 of desc_fmt_level_size). */
unsigned desc_fmt_level_shift(const struct desc_fmt *f, int level);

/* log2 of the granule: 12, 14 or 16. */
unsigned desc_fmt_page_shift(const struct desc_fmt *f);
/* Lowest level a table of this format can have: -1 (4K + LPA2), 0 (4K, 16K) or 1 (64K). */
int desc_fmt_min_level(const struct desc_fmt *f);
/* Bytes translated by one entry at level, 0 for a level the format does not have. */
uint64_t desc_fmt_level_size(const struct desc_fmt *f, int level);
/* Whether a block descriptor (0b01) is allowed at level (D8.3.1). */
bool desc_fmt_block_ok(const struct desc_fmt *f, int level);
/* Valid (bit 0 set, not a reserved pattern at this level). */
bool desc_fmt_is_valid(const struct desc_fmt *f, uint64_t raw, int level);
/* A valid table descriptor (0b11 above the last level). */
bool desc_fmt_is_table(const struct desc_fmt *f, uint64_t raw, int level);
/* Next-level table address (table) or output address of the first byte (block/page). */
uint64_t desc_fmt_oa(const struct desc_fmt *f, uint64_t raw, int level);
/* Bits of raw that hold the output address in this format (for comparing descriptors). */
uint64_t desc_fmt_oa_bits(const struct desc_fmt *f);
/* Entries in a contiguous set at level (D8.7.1: 16, 32 or 128), 0 where Contiguous is RES0. */
unsigned desc_fmt_contig_entries(const struct desc_fmt *f, int level);
/* "4k", "16k", "64k". */
const char *desc_granule_name(enum fm_granule g);

/* Bytes translated by one entry at level: 512G, 1G, 2M, 4K. */
uint64_t desc_level_size(unsigned level);

/* "table", "block", "page", "invalid", "reserved". */
const char *desc_kind_name(enum desc_kind k);
/* "el2", "el1", "s2", "el20". */
const char *desc_regime_name(enum fm_regime r);

/*
 * A MAIR attribute byte (D19 MAIR_EL2 Attr<n>) as a memory type: "Device-nGnRE",
 * "Normal WB", "Normal NC", "Normal oWB iNC", "Normal-Tagged WB".
 */
size_t desc_mair_attr(unsigned attr, char *buf, size_t n);
/* Memory type of AttrIndx attrindx through mair; mair == 0 means unknown ("AttrIndx 1"). */
size_t desc_memtype(uint64_t mair, unsigned attrindx, char *buf, size_t n);
/* Memory type of a leaf of any regime (stage 2 from MemAttr, stage 1 through mair). */
size_t desc_leaf_memtype(const struct desc *d, uint64_t mair, char *buf, size_t n);

/*
 * Linux-ptdump-style attribute words of a descriptor, space separated
 * (man/fixmap-trace.5 lists them), e.g. "RW NX SHD AF BLK MEM/NORMAL".
 * mair == 0 means unknown: the memory type word is then "ATTR<n>".
 * Returns the length (like snprintf, truncated to n).
 */
size_t desc_format(const struct desc *d, uint64_t mair, char *buf, size_t n);

/* Convenience: decode and format raw in one call ("invalid" for an invalid entry). */
size_t desc_format_raw_fmt(const struct desc_fmt *f, uint64_t raw, int level, uint64_t mair,
			   char *buf, size_t n);
/* The same for the 4K granule without LPA2. */
size_t desc_format_raw(uint64_t raw, unsigned level, enum fm_regime regime, uint64_t mair,
		       char *buf, size_t n);

/*
 * Print the decoded fields as members of the current object (print.h): raw,
 * kind, level, oa, size, memtype, attrs and the individual fields in JSON.
 */
void desc_print(const struct desc *d, uint64_t mair);

/*
 * With LPA2 the shareability of every leaf is TCR_ELx.SHn / VTCR_EL2.SH0
 * (D8.6.2; the descriptors' bits [9:8] hold OA[51:50]): a decoder that knows
 * the TCR sets it here. No effect on other formats.
 */
void desc_set_tcr_sh(struct desc *d, unsigned sh);

/*
 * The descriptor format a translation-control register selects for one range:
 * the granule (TG0, or TG1 for ttbr1) and LPA2 (DS); *sh (may be NULL) gets
 * the range's SH0/SH1 for desc_set_tcr_sh(). tcr is TCR_EL2 (E2H = 0 layout) for el2, TCR_EL1
 * for el1, TCR_EL2 (E2H = 1, the TCR_EL1 layout) for el20, VTCR_EL2 for s2.
 * -1 naming the field for a reserved TG value or DS = 1 with the 64K granule
 * (LPA2 is defined for 4K and 16K only, D8.1.9).
 */
int desc_fmt_from_tcr(enum fm_regime regime, uint64_t tcr, int ttbr1, struct desc_fmt *f,
		      unsigned *sh, struct fm_err *err);
/*
 * The format of an EL2 table from HCR_EL2 and TCR_EL2 (TTBR0_EL2's range):
 * the EL2&0 regime when HCR_EL2.E2H = 1, else EL2. A TCR this decoder refuses
 * gives the 4K format of the regime (and -1).
 */
int desc_fmt_el2(uint64_t hcr, uint64_t tcr, struct desc_fmt *f);
/* The format a trace declares for a table (regime, granule=, lpa2). */
struct desc_fmt desc_fmt_of_table(const struct fm_table_decl *t);
/* The register name of regime's translation control: "TCR_EL2", "TCR_EL1", "VTCR_EL2". */
const char *desc_tcr_name(enum fm_regime regime);

#endif
