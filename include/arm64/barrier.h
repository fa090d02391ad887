/* SPDX-License-Identifier: MIT */
/*
 * DSB/DMB option encodings (Arm ARM C6.2.82 DSB, C6.2.80 DMB): the 4-bit CRm
 * field. Bits [3:2] give the shareability domain, bits [1:0] the access types.
 * Both the agent (event records) and fixmapctl (trace format, lint) use the raw
 * CRm value as the one representation of a barrier option.
 */
#ifndef FIXMAP_ARM64_BARRIER_H
#define FIXMAP_ARM64_BARRIER_H

#define BAR_OSHLD 0x1
#define BAR_OSHST 0x2
#define BAR_OSH 0x3
#define BAR_NSHLD 0x5
#define BAR_NSHST 0x6
#define BAR_NSH 0x7
#define BAR_ISHLD 0x9
#define BAR_ISHST 0xa
#define BAR_ISH 0xb
#define BAR_LD 0xd
#define BAR_ST 0xe
#define BAR_SY 0xf

/* Domain: CRm[3:2]. */
#define BAR_DOM(crm) (((crm) >> 2) & 3)
#define BAR_DOM_OSH 0
#define BAR_DOM_NSH 1
#define BAR_DOM_ISH 2
#define BAR_DOM_SY 3
/* Access types: CRm[1:0]. Only "all" (3) orders and completes TLB maintenance. */
#define BAR_TYPE(crm) ((crm)&3)
#define BAR_TYPE_LD 1
#define BAR_TYPE_ST 2
#define BAR_TYPE_ALL 3

/* Instruction words (C6.2.82, C6.2.80, C6.2.113). */
#define INSN_DSB(crm) (0xd503309fu | ((unsigned)(crm) << 8))
#define INSN_DMB(crm) (0xd50330bfu | ((unsigned)(crm) << 8))
#define INSN_ISB 0xd5033fdfu

/*
 * Table of the named options, for printing and parsing: X(name, crm).
 * For DSB, CRm 0 and 4 encode SSBB and PSSBB (not barriers that order memory
 * for TLB maintenance) and 8, 0xc are reserved; tools print them as "#N".
 */
#define BAR_OPTIONS(X)                                                                             \
	X(oshld, BAR_OSHLD)                                                                        \
	X(oshst, BAR_OSHST)                                                                        \
	X(osh, BAR_OSH)                                                                            \
	X(nshld, BAR_NSHLD)                                                                        \
	X(nshst, BAR_NSHST)                                                                        \
	X(nsh, BAR_NSH)                                                                            \
	X(ishld, BAR_ISHLD)                                                                        \
	X(ishst, BAR_ISHST)                                                                        \
	X(ish, BAR_ISH)                                                                            \
	X(ld, BAR_LD)                                                                              \
	X(st, BAR_ST)                                                                              \
	X(sy, BAR_SY)

#endif
