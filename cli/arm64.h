/* SPDX-License-Identifier: MIT */
/*
 * Names and lookups for the AArch64 maintenance instructions defined in
 * include/arm64/tlbi.h and include/arm64/barrier.h: the one place that turns
 * "vale2is" or "ishst" into an encoding and back, for the trace parser, the
 * printers, the checker and lint.
 */
#ifndef FIXMAP_ARM64_H
#define FIXMAP_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"

/* enum tlbi_op -> lower-case name ("vale2is"); "?" for an op out of range. */
const char *arm64_tlbi_name(unsigned op);
/* Lower-case name -> enum tlbi_op, or -1. */
int arm64_tlbi_lookup(const char *name);
/* TLBI_F_* of an op; 0 for an op out of range. */
unsigned arm64_tlbi_flags(unsigned op);
/*
 * Does an op of these TLBI_F_* flags act on translation regime `regime`
 * (enum fm_regime, cli/event.h)? D8.17, C5.5: E2 ops on EL2 and EL2&0; EL1
 * ops on EL1&0 (and on EL2&0 when executed with E2H = TGE = 1); stage-2 and
 * EL1 ops on stage 2 (vmalle1* only on its combined entries).
 */
bool arm64_tlbi_reaches_regime(unsigned f, unsigned regime);
/*
 * Does a DSB with option crm complete a TLBI of these flags issued by the same
 * CPU (D8.17.4)? Only a full DSB (not ST or LD) does, of a domain that covers
 * the op: NSH completes local ops, ISH (or OSH, SY) inner-shareable ones, OSH
 * or SY outer-shareable ones.
 */
bool arm64_dsb_completes(unsigned crm, unsigned f);
/* SYS #op1, C8, Cm, #op2 -> enum tlbi_op, or -1 if it is not a TLBI this table knows. */
int arm64_tlbi_from_sys(unsigned op1, unsigned crm, unsigned op2);
/* Encoding of an op with Xt = rt (INSN_TLBI); 0 for an op out of range. */
uint32_t arm64_tlbi_insn(unsigned op, unsigned rt);

/*
 * TLBI operands (Arm ARM C5.5, D8.17.6 range operations):
 *   by VA:  ASID[63:48] TTL[47:44] VA[55:12] in [43:0] (sign-extended from VA[55]);
 *   by IPA: NS[63] TTL[47:44] IPA[51:12] in [39:0];
 *   range:  ASID[63:48] TG[47:46] SCALE[45:44] NUM[43:39] TTL[38:37] BaseADDR[36:0]
 *           (4K granule: VA[48:12], sign-extended from VA[48]).
 */
/* First address the operand selects; 0 for ops without an address. */
uint64_t arm64_tlbi_addr(unsigned op, uint64_t arg);
/* Operand for a by-VA or by-IPA op from an address, TTL and ASID (not for range ops). */
uint64_t arm64_tlbi_encode(unsigned op, uint64_t addr, unsigned ttl, unsigned asid);
/* Bytes a range operand covers with a 4K granule: (NUM+1) * 2^(5*SCALE+1) pages. */
uint64_t arm64_tlbi_range_bytes(uint64_t arg);
/*
 * Level a TTL hint names for the 4K granule, 0..3, or -1 for "no hint"
 * (TTL = 0, or TTL[3:2] = 0b00), or -2 for a hint that cannot apply to a
 * 4K table without LPA2 (another granule, or level 0).
 * Range ops carry a 2-bit TTL: 0 none, 1..3 level.
 */
int arm64_tlbi_ttl_level(unsigned op, uint64_t arg);

/*
 * The same for a table of any granule (page_shift 12, 14 or 16) and with
 * LPA2 (TCR.DS = 1), per D8.17.6 (range operations) and D8.17.5 (TTL):
 *  - a range operand's TG must name the table's granule (*tg_ok); its
 *    BaseADDR is in units of the granule, or of 64K with LPA2 (VA[52:16]);
 *    the range is (NUM+1) * 2^(5*SCALE+1) granules; VA ranges are
 *    sign-extended from their top bit, IPA ranges are not.
 *  - a TTL hint names a level only for its own granule: TTL[3:2] 0b01 4K,
 *    0b10 16K, 0b11 64K; TTL[1:0] = 0 names level 0 only for 4K with LPA2.
 *    Returns the level, -1 for no hint, -2 for a hint that cannot apply.
 */
void arm64_tlbi_range_g(unsigned op, uint64_t arg, unsigned page_shift, int lpa2, uint64_t *base,
			uint64_t *bytes, int *tg_ok);
int arm64_tlbi_ttl_level_g(unsigned op, uint64_t arg, unsigned page_shift, int lpa2);

/* DSB/DMB CRm -> option name ("ishst"), or "#N" (written into buf) for unnamed values. */
const char *arm64_bar_name(unsigned crm, char buf[8]);
/* Option name -> CRm, or -1. */
int arm64_bar_lookup(const char *name);

/*
 * Decode a DSB, DMB, ISB or TLBI instruction word. Returns the event type
 * (FM_EV_DSB, FM_EV_DMB, FM_EV_ISB, FM_EV_TLBI from cli/event.h) or 0 for any
 * other word; *opt receives the barrier CRm or the tlbi op, *rt the TLBI's Xt.
 */
int arm64_decode_maint(uint32_t insn, unsigned *opt, unsigned *rt);

/*
 * How a narrow store forms its address: Xn|SP, plus a signed immediate or an
 * extended and shifted index register (C6.1.3 "addressing modes").
 */
struct arm64_addr {
	uint8_t rn;      /* base register; 31 is SP */
	uint8_t rm;      /* index register (ARM64_ADDR_REG); 31 is XZR */
	uint8_t mode;    /* ARM64_ADDR_* */
	uint8_t extend;  /* ARM64_ADDR_REG: option[2:0] (UXTW 2, LSL 3, SXTW 6, SXTX 7) */
	uint8_t shift;   /* ARM64_ADDR_REG: left shift of the extended index */
	int64_t imm;     /* ARM64_ADDR_IMM: byte offset (0 for post-index forms) */
};
enum { ARM64_ADDR_IMM, ARM64_ADDR_REG };

/*
 * A store narrower than a translation table descriptor (1, 2 or 4 bytes):
 * STR/STUR/STTR B, H and W, and their SIMD&FP forms of B, H and S; STLR,
 * STLUR, STLLR, STXR and STLXR of B, H and W; CAS, SWP and the atomic
 * LD<op>/ST<op> of B, H and W (C4.1.66 "loads and stores"). Such a store can
 * never write a whole 64-bit descriptor, which a walk reads single-copy
 * atomically (B2.2.1). Returns its size in bytes and fills *a (may be NULL),
 * or 0 for any other word: an 8-byte or wider store, any pair or
 * multi-register store, a load, an unallocated or unrecognised encoding.
 */
unsigned arm64_narrow_store(uint32_t insn, struct arm64_addr *a);
/* The address a narrow store accesses, from its base (Xn or SP) and index (Xm) values. */
uint64_t arm64_addr_eval(const struct arm64_addr *a, uint64_t xn, uint64_t xm);

#endif
