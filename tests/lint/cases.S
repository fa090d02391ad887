/* SPDX-License-Identifier: MIT */
/*
 * Hand-written TLB maintenance sequences for `fixmapctl lint`, one function
 * per case. tests/e2e/lint-snippets.sh lists the findings each must give
 * (EXPECT lines below, read by the test): a rule, or "clean".
 * x0 = PTE address, x1 = TLBI operand, x2 = new descriptor.
 */
	.text
	.p2align 2

.macro FUNC name
	.globl \name
	.type \name, %function
\name:
.endm
.macro END name
	.size \name, . - \name
.endm

/* EXPECT ok_broadcast clean */
FUNC ok_broadcast			/* the fixed sequence (DESIGN.md section 1) */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	dsb	ish
	isb
	str	x2, [x0]
	ret
END ok_broadcast

/* EXPECT bad_local bbm-local-tlbi */
FUNC bad_local
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2, x1
	dsb	ish
	isb
	ret
END bad_local

/* EXPECT seed_local bbm-local-tlbi bbm-dsb-domain */
FUNC seed_local				/* the seed's bug: local TLBI, NSH barriers */
	str	xzr, [x0]
	dsb	nshst
	tlbi	vale2, x1
	dsb	nsh
	isb
	str	x2, [x0]
	ret
END seed_local

/* EXPECT private_local clean */
FUNC private_local			/* the same, on a per-CPU table (--private) */
	str	xzr, [x0]
	dsb	nshst
	tlbi	vale2, x1
	dsb	nsh
	isb
	ret
END private_local

/* EXPECT no_dsb_after bbm-no-dsb-after-tlbi */
FUNC no_dsb_after
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	isb
	ret
END no_dsb_after

/* EXPECT dsb_st_after bbm-no-dsb-after-tlbi */
FUNC dsb_st_after			/* DSB ST does not complete a TLBI */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	dsb	ishst
	str	x2, [x0]
	ret
END dsb_st_after

/* EXPECT nsh_after_broadcast bbm-dsb-domain */
FUNC nsh_after_broadcast
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	dsb	nsh
	isb
	ret
END nsh_after_broadcast

/* EXPECT make_before_complete bbm-no-dsb-after-tlbi */
FUNC make_before_complete		/* the make store comes before the completing DSB */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	str	x2, [x0]
	dsb	ish
	isb
	ret
END make_before_complete

/* EXPECT no_dsb_before bbm-no-dsb-before-tlbi */
FUNC no_dsb_before
	str	xzr, [x0]
	tlbi	vale2is, x1
	dsb	ish
	isb
	ret
END no_dsb_before

/* EXPECT dmb_before bbm-no-dsb-before-tlbi */
FUNC dmb_before				/* near miss: a DMB does not order a TLBI */
	str	xzr, [x0]
	dmb	ishst
	tlbi	vale2is, x1
	dsb	ish
	isb
	ret
END dmb_before

/* EXPECT dsb_ld_before bbm-no-dsb-before-tlbi */
FUNC dsb_ld_before			/* near miss: DSB LD does not wait for the store */
	str	xzr, [x0]
	dsb	ishld
	tlbi	vale2is, x1
	dsb	ish
	isb
	ret
END dsb_ld_before

/* EXPECT caller_dsb bbm-no-dsb-before-tlbi:warning */
FUNC caller_dsb				/* no store here: the caller may have done the DSB */
	tlbi	vale2is, x1
	dsb	ish
	isb
	ret
END caller_dsb

/* EXPECT no_isb missing-isb:warning */
FUNC no_isb
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	dsb	ish
	ret
END no_isb

/* EXPECT s2_only tlbi-wrong-regime */
FUNC s2_only
	str	xzr, [x0]
	dsb	ishst
	tlbi	ipas2e1is, x1
	dsb	ish
	isb
	ret
END s2_only

/* EXPECT s2_ok clean */
FUNC s2_ok				/* stage 2, then stage 1 (REFERENCE.md) */
	str	xzr, [x0]
	dsb	ishst
	tlbi	ipas2e1is, x1
	dsb	ish
	tlbi	vmalle1is
	dsb	ish
	isb
	ret
END s2_ok

/* EXPECT loop_ok clean */
FUNC loop_ok				/* a TLBI per page, one DSB after the loop */
	str	xzr, [x0]
	dsb	ishst
1:	tlbi	vae2is, x1
	add	x1, x1, #1
	subs	x3, x3, #1
	b.ne	1b
	dsb	ish
	isb
	ret
END loop_ok

/* EXPECT branch_ok clean */
FUNC branch_ok				/* both arms complete the TLBI */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	cbz	x3, 1f
	dsb	ish
	isb
	ret
1:	dsb	sy
	isb
	ret
END branch_ok

/* EXPECT branch_bad bbm-no-dsb-after-tlbi */
FUNC branch_bad				/* the cbz path skips the DSB */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	cbz	x3, 1f
	dsb	ish
1:	isb
	ret
END branch_bad

/* EXPECT call_after bbm-no-dsb-after-tlbi:warning */
FUNC call_after				/* the callee has a DSB: it may complete the TLBI */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	bl	helper_dsb
	ret
END call_after

/* EXPECT call_plain clean */
FUNC call_plain				/* an event logger between the steps is stepped over */
	str	xzr, [x0]
	bl	logger
	dsb	ishst
	bl	logger
	tlbi	vale2is, x1
	bl	logger
	dsb	ish
	bl	logger
	isb
	ret
END call_plain

/* EXPECT tail_out bbm-no-dsb-after-tlbi */
FUNC tail_out				/* branches out of the function first */
	str	xzr, [x0]
	dsb	ishst
	tlbi	vale2is, x1
	b	helper
END tail_out

/* EXPECT os_with_ish bbm-dsb-domain */
FUNC os_with_ish			/* an outer-shareable TLBI needs DSB OSH */
	str	xzr, [x0]
	dsb	oshst
	tlbi	vale2os, x1
	dsb	ish
	isb
	ret
END os_with_ish

/* EXPECT range_ok clean */
FUNC range_ok				/* range op, SY barriers */
	str	xzr, [x0]
	dsb	st
	tlbi	rvale2is, x1
	dsb	sy
	isb
	ret
END range_ok

/* EXPECT batch_ok clean */
FUNC batch_ok				/* two TLBIs, one DSB */
	str	xzr, [x0]
	str	xzr, [x0, #8]
	dsb	ishst
	tlbi	vale2is, x1
	tlbi	vale2is, x2
	dsb	ish
	isb
	ret
END batch_ok

/* EXPECT local_all bbm-local-tlbi */
FUNC local_all				/* no-operand op */
	dsb	ishst
	tlbi	alle2
	dsb	ish
	isb
	ret
END local_all

/* EXPECT atomic_before bbm-no-dsb-before-tlbi */
FUNC atomic_before			/* an LSE atomic writes the entry too */
	.arch_extension lse
	swp	xzr, x3, [x0]
	tlbi	vale2is, x1
	dsb	ish
	isb
	ret
END atomic_before

FUNC helper
	ret
END helper

FUNC helper_dsb
	dsb	ish
	ret
END helper_dsb

FUNC logger				/* stores, a DMB, a call: no DSB, ISB or TLBI */
	str	x1, [x5]
	dmb	ishst
	bl	helper
	ret
END logger
