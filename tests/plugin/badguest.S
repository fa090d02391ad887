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
 */
#define CASE_NOMMU 0
#define CASE_16K 1
#define CASE_LOOP 2

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
