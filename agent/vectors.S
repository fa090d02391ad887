/* SPDX-License-Identifier: MIT */
/*
 * EL2 vector table (D1.10.2: 16 entries of 0x80 bytes, 2 KiB aligned). Every
 * exception is fatal for the agent: report it and exit with a failure status,
 * never hang silently. The handler runs on a per-CPU exception stack so even
 * a stack overflow gets reported; it never returns, so it may clobber anything.
 */
#include "layout.h"

	.macro	vec index
	.balign	0x80
	mov	x0, #\index
	b	exc_common
	.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global agent_vectors
agent_vectors:
	vec 0	/* current EL, SP_EL0: synchronous */
	vec 1	/* IRQ */
	vec 2	/* FIQ */
	vec 3	/* SError */
	vec 4	/* current EL, SP_ELx: synchronous */
	vec 5
	vec 6
	vec 7
	vec 8	/* lower EL, AArch64 */
	vec 9
	vec 10
	vec 11
	vec 12	/* lower EL, AArch32 */
	vec 13
	vec 14
	vec 15

exc_common:
	/* Per-CPU exception stack, indexed by MPIDR.Aff0 (bounded). */
	mrs	x1, mpidr_el1
	and	x1, x1, #(AGENT_MAX_CPUS - 1)
	add	x1, x1, #1
	mov	x2, #AGENT_EXC_STACK_SIZE
	adrp	x3, agent_exc_stacks
	add	x3, x3, :lo12:agent_exc_stacks
	madd	x3, x1, x2, x3
	mov	sp, x3
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, far_el2
	mrs	x4, spsr_el2
	bl	exc_report
	b	agent_halt

	.section .bss.exc_stacks, "aw", %nobits
	.balign	16
agent_exc_stacks:
	.space	AGENT_EXC_STACK_SIZE * AGENT_MAX_CPUS
