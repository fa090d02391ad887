/* SPDX-License-Identifier: MIT */
/*
 * Boot: CPU 0 enters at _start from QEMU (EL2, MMU off, x0 = device tree);
 * the others at secondary_entry through PSCI CPU_ON (x0 = logical CPU number).
 * Each CPU gets its own stack and the EL2 vector table, then turns its MMU on
 * with the registers CPU 0 prepared (agent_mmu_regs) and enters C.
 */
#include "layout.h"

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	mov	x19, x0
	/* Only EL2 makes sense: at EL1 (virtualization=off) or EL3, say so and stop. */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	wrong_el
	bl	cpu_reset_state
	adrp	x1, agent_stacks
	add	x1, x1, :lo12:agent_stacks
	mov	x2, #AGENT_STACK_SIZE
	add	sp, x1, x2
	/* Zero .bss (the shared area and the tables included) with the MMU off. */
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	mov	x0, x19
	bl	agent_main
	b	agent_halt

	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	bl	cpu_reset_state
	cmp	x19, #AGENT_MAX_CPUS
	b.hs	agent_halt
	adrp	x1, agent_stacks
	add	x1, x1, :lo12:agent_stacks
	add	x2, x19, #1
	mov	x3, #AGENT_STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	adrp	x0, agent_mmu_regs
	add	x0, x0, :lo12:agent_mmu_regs
	bl	mmu_on
	mov	x0, x19
	bl	agent_secondary
	b	agent_halt

/* Known EL2 state: vectors, no recording (TPIDR_EL2 = 0), SCTLR_EL2 with MMU and caches off. */
cpu_reset_state:
	adrp	x1, agent_vectors
	add	x1, x1, :lo12:agent_vectors
	msr	vbar_el2, x1
	msr	tpidr_el2, xzr
	ldr	x1, =SCTLR_EL2_RES1
	msr	sctlr_el2, x1
	msr	hcr_el2, xzr
	isb
	ret

/*
 * mmu_on(x0 = struct agent_mmu_regs *): HCR, MAIR, TCR, TTBR0, then SCTLR_EL2.
 * Boot-time maintenance, before this CPU can record anything: nothing it
 * has cached from reset may be used (D8.16: TLB contents out of reset are
 * UNKNOWN), so invalidate this CPU's EL2 TLB entries and instruction cache first.
 */
	.global mmu_on
mmu_on:
	ldp	x1, x2, [x0]
	ldp	x3, x4, [x0, #16]
	ldr	x5, [x0, #32]
	msr	hcr_el2, x5		/* E2H first: it selects TCR_EL2's layout */
	isb
	msr	mair_el2, x1
	msr	tcr_el2, x2
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	ic	iallu
	dsb	nsh
	isb
	msr	sctlr_el2, x4
	isb
	ret

wrong_el:
	/* Semihosting SYS_EXIT, status 5 (works at EL1 too; a no-op without -semihosting). */
	adr	x1, wrong_el_blk
	mov	x0, #0x18
	hlt	#0xf000
	b	agent_halt

	.global agent_halt
agent_halt:
	wfi
	b	agent_halt

	.balign	8
wrong_el_blk:
	.quad	0x20026, 5

	.section .bss.stacks, "aw", %nobits
	.balign	16
	.global agent_stacks
agent_stacks:
	.space	AGENT_STACK_SIZE * AGENT_MAX_CPUS
