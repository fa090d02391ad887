/* SPDX-License-Identifier: MIT */
/*
 * TLB maintenance instructions (Arm ARM D8.17 "TLB maintenance", C5.5 "A64
 * system instructions for TLB maintenance"). Every TLBI is
 * SYS #op1, C8, Cm, #op2, Xt; the table below gives op1/CRm/op2 and what the
 * operation does, once, for the agent (which records the op index), the trace
 * parser (names), the checker (semantics) and lint (decoding SYS words).
 *
 * X(name, op1, crm, op2, flags)
 */
#ifndef FIXMAP_ARM64_TLBI_H
#define FIXMAP_ARM64_TLBI_H

/* Shareability of the invalidation: which PEs' TLBs it reaches. */
#define TLBI_F_IS 0x0001 /* Inner Shareable broadcast */
#define TLBI_F_OS 0x0002 /* Outer Shareable broadcast (covers IS too) */
/* What the operand selects. */
#define TLBI_F_VA 0x0004    /* by VA (operand: ASID[63:48] TTL[47:44] VA[55:12] in [43:0]) */
#define TLBI_F_IPA 0x0008   /* by IPA (operand: NS[63] TTL[47:44] IPA[55:12] in [43:0]) */
#define TLBI_F_RANGE 0x0010 /* range (TG[47:46] SCALE[45:44] NUM[43:39] TTL[38:37] BaseADDR[36:0]) */
#define TLBI_F_ASID 0x0020  /* all entries of one ASID (operand ASID[63:48]) */
#define TLBI_F_ALL 0x0040   /* every entry of the regime (no operand) */
#define TLBI_F_LAST 0x0080  /* last level only: leaf entries, not cached table entries */
#define TLBI_F_AA 0x0100    /* all ASIDs (VAA*) */
/* Translation regime / stage reached. */
#define TLBI_F_EL2 0x0200 /* EL2 (and EL2&0 with E2H) stage 1 */
#define TLBI_F_EL1 0x0400 /* EL1&0 stage 1, current VMID */
#define TLBI_F_S2 0x0800  /* EL1&0 stage 2, current VMID */
#define TLBI_F_EL3 0x1000 /* EL3 stage 1 */
#define TLBI_F_ALLVMID 0x2000 /* every VMID (ALLE1*) */

#define TLBI_REGIME_MASK (TLBI_F_EL2 | TLBI_F_EL1 | TLBI_F_S2 | TLBI_F_EL3)

/* clang-format off */
#define TLBI_OPS(X) \
	/* EL1&0 stage 1, current VMID (op1 = 0) */ \
	X(vmalle1os,   0, 1, 0, TLBI_F_OS | TLBI_F_ALL | TLBI_F_EL1) \
	X(vae1os,      0, 1, 1, TLBI_F_OS | TLBI_F_VA | TLBI_F_EL1) \
	X(aside1os,    0, 1, 2, TLBI_F_OS | TLBI_F_ASID | TLBI_F_EL1) \
	X(vaae1os,     0, 1, 3, TLBI_F_OS | TLBI_F_VA | TLBI_F_AA | TLBI_F_EL1) \
	X(vale1os,     0, 1, 5, TLBI_F_OS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL1) \
	X(vaale1os,    0, 1, 7, TLBI_F_OS | TLBI_F_VA | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvae1is,     0, 2, 1, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_EL1) \
	X(rvaae1is,    0, 2, 3, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_AA | TLBI_F_EL1) \
	X(rvale1is,    0, 2, 5, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvaale1is,   0, 2, 7, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	X(vmalle1is,   0, 3, 0, TLBI_F_IS | TLBI_F_ALL | TLBI_F_EL1) \
	X(vae1is,      0, 3, 1, TLBI_F_IS | TLBI_F_VA | TLBI_F_EL1) \
	X(aside1is,    0, 3, 2, TLBI_F_IS | TLBI_F_ASID | TLBI_F_EL1) \
	X(vaae1is,     0, 3, 3, TLBI_F_IS | TLBI_F_VA | TLBI_F_AA | TLBI_F_EL1) \
	X(vale1is,     0, 3, 5, TLBI_F_IS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL1) \
	X(vaale1is,    0, 3, 7, TLBI_F_IS | TLBI_F_VA | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvae1os,     0, 5, 1, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_EL1) \
	X(rvaae1os,    0, 5, 3, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_AA | TLBI_F_EL1) \
	X(rvale1os,    0, 5, 5, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvaale1os,   0, 5, 7, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvae1,       0, 6, 1, TLBI_F_RANGE | TLBI_F_EL1) \
	X(rvaae1,      0, 6, 3, TLBI_F_RANGE | TLBI_F_AA | TLBI_F_EL1) \
	X(rvale1,      0, 6, 5, TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL1) \
	X(rvaale1,     0, 6, 7, TLBI_F_RANGE | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	X(vmalle1,     0, 7, 0, TLBI_F_ALL | TLBI_F_EL1) \
	X(vae1,        0, 7, 1, TLBI_F_VA | TLBI_F_EL1) \
	X(aside1,      0, 7, 2, TLBI_F_ASID | TLBI_F_EL1) \
	X(vaae1,       0, 7, 3, TLBI_F_VA | TLBI_F_AA | TLBI_F_EL1) \
	X(vale1,       0, 7, 5, TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL1) \
	X(vaale1,      0, 7, 7, TLBI_F_VA | TLBI_F_AA | TLBI_F_LAST | TLBI_F_EL1) \
	/* EL2 stage 1, EL1&0 stage 2 and whole EL1&0 (op1 = 4) */ \
	X(ipas2e1is,   4, 0, 1, TLBI_F_IS | TLBI_F_IPA | TLBI_F_S2) \
	X(ripas2e1is,  4, 0, 2, TLBI_F_IS | TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_S2) \
	X(ipas2le1is,  4, 0, 5, TLBI_F_IS | TLBI_F_IPA | TLBI_F_LAST | TLBI_F_S2) \
	X(ripas2le1is, 4, 0, 6, TLBI_F_IS | TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_S2) \
	X(alle2os,     4, 1, 0, TLBI_F_OS | TLBI_F_ALL | TLBI_F_EL2) \
	X(vae2os,      4, 1, 1, TLBI_F_OS | TLBI_F_VA | TLBI_F_EL2) \
	X(alle1os,     4, 1, 4, TLBI_F_OS | TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2 | TLBI_F_ALLVMID) \
	X(vale2os,     4, 1, 5, TLBI_F_OS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL2) \
	X(vmalls12e1os,4, 1, 6, TLBI_F_OS | TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2) \
	X(rvae2is,     4, 2, 1, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_EL2) \
	X(rvale2is,    4, 2, 5, TLBI_F_IS | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL2) \
	X(alle2is,     4, 3, 0, TLBI_F_IS | TLBI_F_ALL | TLBI_F_EL2) \
	X(vae2is,      4, 3, 1, TLBI_F_IS | TLBI_F_VA | TLBI_F_EL2) \
	X(alle1is,     4, 3, 4, TLBI_F_IS | TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2 | TLBI_F_ALLVMID) \
	X(vale2is,     4, 3, 5, TLBI_F_IS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL2) \
	X(vmalls12e1is,4, 3, 6, TLBI_F_IS | TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2) \
	X(ipas2e1os,   4, 4, 0, TLBI_F_OS | TLBI_F_IPA | TLBI_F_S2) \
	X(ipas2e1,     4, 4, 1, TLBI_F_IPA | TLBI_F_S2) \
	X(ripas2e1,    4, 4, 2, TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_S2) \
	X(ripas2e1os,  4, 4, 3, TLBI_F_OS | TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_S2) \
	X(ipas2le1os,  4, 4, 4, TLBI_F_OS | TLBI_F_IPA | TLBI_F_LAST | TLBI_F_S2) \
	X(ipas2le1,    4, 4, 5, TLBI_F_IPA | TLBI_F_LAST | TLBI_F_S2) \
	X(ripas2le1,   4, 4, 6, TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_S2) \
	X(ripas2le1os, 4, 4, 7, TLBI_F_OS | TLBI_F_IPA | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_S2) \
	X(rvae2os,     4, 5, 1, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_EL2) \
	X(rvale2os,    4, 5, 5, TLBI_F_OS | TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL2) \
	X(rvae2,       4, 6, 1, TLBI_F_RANGE | TLBI_F_EL2) \
	X(rvale2,      4, 6, 5, TLBI_F_RANGE | TLBI_F_LAST | TLBI_F_EL2) \
	X(alle2,       4, 7, 0, TLBI_F_ALL | TLBI_F_EL2) \
	X(vae2,        4, 7, 1, TLBI_F_VA | TLBI_F_EL2) \
	X(alle1,       4, 7, 4, TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2 | TLBI_F_ALLVMID) \
	X(vale2,       4, 7, 5, TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL2) \
	X(vmalls12e1,  4, 7, 6, TLBI_F_ALL | TLBI_F_EL1 | TLBI_F_S2) \
	/* EL3 stage 1 (op1 = 6) */ \
	X(alle3os,     6, 1, 0, TLBI_F_OS | TLBI_F_ALL | TLBI_F_EL3) \
	X(vae3os,      6, 1, 1, TLBI_F_OS | TLBI_F_VA | TLBI_F_EL3) \
	X(vale3os,     6, 1, 5, TLBI_F_OS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL3) \
	X(alle3is,     6, 3, 0, TLBI_F_IS | TLBI_F_ALL | TLBI_F_EL3) \
	X(vae3is,      6, 3, 1, TLBI_F_IS | TLBI_F_VA | TLBI_F_EL3) \
	X(vale3is,     6, 3, 5, TLBI_F_IS | TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL3) \
	X(alle3,       6, 7, 0, TLBI_F_ALL | TLBI_F_EL3) \
	X(vae3,        6, 7, 1, TLBI_F_VA | TLBI_F_EL3) \
	X(vale3,       6, 7, 5, TLBI_F_VA | TLBI_F_LAST | TLBI_F_EL3)
/* clang-format on */

/* Dense op numbers: the agent records these, fixmapctl indexes tlbi_ops[] by them. */
enum tlbi_op {
#define TLBI_ENUM(name, op1, crm, op2, flags) TLBI_##name,
	TLBI_OPS(TLBI_ENUM)
#undef TLBI_ENUM
	TLBI_NR_OPS
};

/* SYS #op1, C8, Cm, #op2, Xt: 0xd5080000 | op1<<16 | CRn(8)<<12 | CRm<<8 | op2<<5 | Rt. */
#define INSN_TLBI(op1, crm, op2, rt)                                                               \
	(0xd5080000u | ((unsigned)(op1) << 16) | (8u << 12) | ((unsigned)(crm) << 8) |             \
	 ((unsigned)(op2) << 5) | (unsigned)(rt))

/* TLBI operand fields (D8.17.1 and C5.5). */
#define TLBI_VA_ADDR(arg) (((arg) & 0xfffffffffffull) << 12) /* VA[55:12] from [43:0] */
#define TLBI_TTL(arg) (((arg) >> 44) & 0xf)
#define TLBI_ASID(arg) (((arg) >> 48) & 0xffff)
#define TLBI_RANGE_BADDR(arg) ((arg) & 0x1fffffffffull) /* [36:0], in granules */
#define TLBI_RANGE_TTL(arg) (((arg) >> 37) & 3)
#define TLBI_RANGE_NUM(arg) (((arg) >> 39) & 0x1f)
#define TLBI_RANGE_SCALE(arg) (((arg) >> 44) & 3)
#define TLBI_RANGE_TG(arg) (((arg) >> 46) & 3)
/* Number of granules a range op covers: (NUM+1) * 2^(5*SCALE+1). */
#define TLBI_RANGE_PAGES(arg)                                                                      \
	((unsigned long long)(TLBI_RANGE_NUM(arg) + 1) << (5 * TLBI_RANGE_SCALE(arg) + 1))

#endif
