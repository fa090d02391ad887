/* SPDX-License-Identifier: MIT */
/*
 * Guests that misuse their translation tables, for tests/e2e/record-bad.sh:
 * built once per CASE (plugin/plugin.mk). Each runs on CPU 0 at EL2 (QEMU
 * virt, virtualization=on) and exits QEMU through semihosting with status 0.
 *
 *   CASE_NOMMU  never loads a translation-table root
 *   CASE_16K    loads a root with the 16K granule (TCR_EL2.TG0 = 0b10)
 *   CASE_LOOP   a level-1 table whose entries all point at itself, one at a
 *               table outside RAM; then thousands of stores into it
 *   CASE_SWITCH builds an identity map A with the MMU off and turns it on,
 *               builds B, switches to B the way pKVM's __pkvm_init_switch_pgd
 *               does (MMU off, tlbi alle2, TTBR0_EL2 = B, dsb nsh, isb, MMU
 *               on), then reuses A's pages for anything (garbage stores):
 *               nothing can hold A, so none of it is news
 *   CASE_NARROW a 1-byte store to a VA whose TLBI is to come, then a 4-byte
 *               store that clears half a descriptor
 *   CASE_FETCH  fetches from VAs whose entries changed before their TLBI:
 *               the DSB after a change to the block that maps the code
 *               itself, and a call into another changed block
 *   CASE_REMAP  stores at a VA, remaps it (break, TLBI, make) onto the block
 *               that holds its own tables, and stores into a table through
 *               it: the store must be seen at its new physical address
 */
#define CASE_NOMMU 0
#define CASE_16K 1
#define CASE_LOOP 2
#define CASE_SWITCH 3
#define CASE_NARROW 4
#define CASE_FETCH 5
#define CASE_REMAP 6

#define SCTLR_EL2_RES1 0x30c50830	/* non-VHE SCTLR_EL2: RES1 bits, M = 0 */
#define BLOCK_ATTRS 0x701		/* 2 MiB block: AttrIndx 0, inner shareable, AF */

/* An identity map of 0x40000000-0x7fffffff from the level-1 table \l1 via the level-2 \l2. */
	.macro	identity_map l1, l2
	adr	x1, \l2
	ldr	x2, =0x40000000 | BLOCK_ATTRS
	mov	x3, #512
9:	str	x2, [x1], #8
	add	x2, x2, #0x200000
	subs	x3, x3, #1
	b.ne	9b
	adr	x1, \l1
	adr	x2, \l2
	orr	x2, x2, #3
	str	x2, [x1, #8]
	.endm

/*
 * TCR_EL2 (T0SZ 25, 4K, start level 1) and MAIR_EL2 (attr 0: normal
 * write-back), the identity map in table/table_l2 built with the MMU off,
 * loaded, the TLB emptied, the MMU on (x5: SCTLR_EL2 with M set).
 */
	.macro	mmu_on_identity
	ldr	x0, =0x80853519
	msr	tcr_el2, x0
	mov	x0, #0xff
	msr	mair_el2, x0
	identity_map table, table_l2
	dsb	ish
	adr	x0, table
	msr	ttbr0_el2, x0
	isb
	tlbi	alle2
	dsb	nsh
	ldr	x5, =SCTLR_EL2_RES1 | 1
	msr	sctlr_el2, x5
	isb
	.endm

	.section .text.boot, "ax"
	.globl _start
_start:
#if CASE == CASE_16K
	ldr	x0, =0x80853519 | (2 << 14)	/* TCR_EL2: T0SZ 25, TG0 16K */
	msr	tcr_el2, x0
	adr	x0, table
	msr	ttbr0_el2, x0
	isb
#elif CASE == CASE_LOOP
	ldr	x0, =0x80853519			/* TCR_EL2: T0SZ 25, 4K */
	msr	tcr_el2, x0
	adr	x1, table
	orr	x2, x1, #3			/* a table descriptor pointing at the table */
	mov	x3, #512
1:	str	x2, [x1], #8
	subs	x3, x3, #1
	b.ne	1b
	adr	x1, table
	mov	x2, #0x1003			/* a table at PA 0x1000: outside RAM */
	str	x2, [x1, #9 * 8]
	adr	x0, table
	msr	ttbr0_el2, x0
	isb
	/* Garbage stores: alternate self-links and junk in every entry, 8 rounds. */
	mov	x4, #8
2:	adr	x1, table
	orr	x2, x1, #3
	mov	x3, #512
3:	eor	x2, x2, #0x400			/* flip AF-like bit: a new value each store */
	str	x2, [x1], #8
	subs	x3, x3, #1
	b.ne	3b
	subs	x4, x4, #1
	b.ne	2b
	tlbi	alle2
	dsb	ish
	isb
#elif CASE == CASE_SWITCH
	mmu_on_identity				/* A, built with the MMU off */
	identity_map table_b, table_b_l2	/* B, while A translates */
	dsb	ish
	ldr	x4, =SCTLR_EL2_RES1
	msr	sctlr_el2, x4			/* MMU off */
	isb
	tlbi	alle2
	adr	x0, table_b
	msr	ttbr0_el2, x0
	dsb	nsh
	isb
	msr	sctlr_el2, x5			/* MMU on, with B */
	isb
	/* A's pages reused for anything: 8 rounds of junk in its level-2 table. */
	mov	x4, #8
2:	adr	x1, table_l2
	mov	x3, #512
	ldr	x2, =0x5555555555555557
3:	eor	x2, x2, #0x400
	str	x2, [x1], #8
	subs	x3, x3, #1
	b.ne	3b
	subs	x4, x4, #1
	b.ne	2b
	dsb	ish
#elif CASE == CASE_NARROW
	mmu_on_identity
	adr	x1, table_l2
	ldr	x2, =0x46000000 | BLOCK_ATTRS | (1 << 55)	/* a software bit: no break needed */
	str	x2, [x1, #48 * 8]		/* the block of 0x46000000 */
	dsb	ish
	ldr	x6, =0x46000000
	mov	x7, #0x10
	.globl	narrow_access
narrow_access:
	strb	w7, [x6, x7]			/* VA 0x46000010, maintenance pending */
	lsr	x0, x6, #12
	tlbi	vae2is, x0
	dsb	ish
	isb
	.globl	narrow_pte
narrow_pte:
	str	wzr, [x1, #63 * 8]		/* the block of 0x47e00000: invalid */
	dsb	ish
	ldr	x0, =0x47e00000 >> 12
	tlbi	vae2is, x0
	dsb	ish
	isb
#elif CASE == CASE_FETCH
	mmu_on_identity
	adr	x1, table_l2
	/* The block that maps this code gets a software bit (no break needed):
	 * the DSB that follows is fetched from a VA whose TLBI is to come. */
	ldr	x2, =0x40200000 | BLOCK_ATTRS | (1 << 55)
	str	x2, [x1, #1 * 8]
	.globl	fetch_dsb
fetch_dsb:
	dsb	ish
	ldr	x0, =0x40200000 >> 12
	tlbi	vae2is, x0
	dsb	ish
	isb
	/* A function (a RET) written at 0x40400000, its block changed the same
	 * way, and called before its TLBI: no instruction there has a callback. */
	ldr	x9, =0x40400000
	ldr	w2, =0xd65f03c0
	str	w2, [x9]
	dc	cvau, x9
	dsb	ish
	ic	ivau, x9
	dsb	ish
	isb
	ldr	x2, =0x40400000 | BLOCK_ATTRS | (1 << 55)
	str	x2, [x1, #2 * 8]
	dsb	ish
	blr	x9
	lsr	x0, x9, #12
	tlbi	vae2is, x0
	dsb	ish
	isb
#elif CASE == CASE_REMAP
	mmu_on_identity
	adr	x1, table_l2
	ldr	x6, =0x44000000			/* VA X: block 32, identity-mapped */
	adr	x8, table_l2
	and	x8, x8, #0x1fffff		/* table_l2's offset in its 2 MiB block */
	add	x8, x8, #40 * 8			/* its entry 40 (the block of 0x45000000) */
	str	x6, [x6, x8]			/* a data store at X + that offset: RAM, no table */
	str	xzr, [x1, #32 * 8]		/* break X */
	dsb	ish
	lsr	x0, x6, #12
	tlbi	vae2is, x0
	dsb	ish
	ldr	x2, =0x40200000 | BLOCK_ATTRS	/* make X: the block that holds table_l2 */
	str	x2, [x1, #32 * 8]
	dsb	ish
	isb
	ldr	x2, =0x45000000 | BLOCK_ATTRS | (1 << 55)	/* a software bit: no break needed */
	.globl	remap_store
remap_store:
	str	x2, [x6, x8]			/* entry 40 of table_l2, through X */
	dsb	ish
	ldr	x0, =0x45000000 >> 12
	tlbi	vae2is, x0
	dsb	ish
	isb
#endif
	/* Semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit, status 0. */
	mov	x0, #0x18
	adr	x1, exit_block
	hlt	#0xf000
	b	.

	.balign 8
exit_block:
	.quad	0x20026, 0

	.balign 4096
table:
	.fill	512, 8, 0
#if CASE == CASE_SWITCH || CASE == CASE_NARROW || CASE == CASE_FETCH || CASE == CASE_REMAP
table_l2:
	.fill	512, 8, 0
#endif
#if CASE == CASE_SWITCH
table_b:
	.fill	512, 8, 0
table_b_l2:
	.fill	512, 8, 0
#endif
