/* SPDX-License-Identifier: MIT */
/*
 * Real AArch64 primitives behind agent/arch.h. Each one is a single
 * instruction followed by `adr` of that instruction, so an event's PC points
 * at the DSB/TLBI/store itself (what `fixmapctl lint` disassembles). The
 * options are compile-time constants at every call site, so each switch
 * folds to one case.
 */
#ifndef AGENT_ARCH_IMPL_H
#define AGENT_ARCH_IMPL_H

#include <stdint.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"
#include "fixmap_proto.h"

#define ARCH_ALWAYS_INLINE static inline __attribute__((always_inline))

ARCH_ALWAYS_INLINE uint64_t arch_pte_store(uint64_t *ptep, uint64_t desc)
{
	uint64_t pc;
	/* One 64-bit STR: single-copy atomic for an aligned doubleword (B2.2.1). */
	asm volatile("1: str %x1, [%2]\n\tadr %0, 1b" : "=r"(pc) : "rZ"(desc), "r"(ptep) : "memory");
	return pc;
}

ARCH_ALWAYS_INLINE uint64_t arch_dsb(unsigned crm)
{
	uint64_t pc;
	switch (crm) {
#define ARCH_DSB_CASE(name, val)                                                                   \
	case val:                                                                                  \
		asm volatile("1: dsb " #name "\n\tadr %0, 1b" : "=r"(pc) : : "memory");            \
		break;
		BAR_OPTIONS(ARCH_DSB_CASE)
#undef ARCH_DSB_CASE
	default:
		asm volatile("1: dsb sy\n\tadr %0, 1b" : "=r"(pc) : : "memory");
		break;
	}
	return pc;
}

ARCH_ALWAYS_INLINE uint64_t arch_dmb(unsigned crm)
{
	uint64_t pc;
	switch (crm) {
#define ARCH_DMB_CASE(name, val)                                                                   \
	case val:                                                                                  \
		asm volatile("1: dmb " #name "\n\tadr %0, 1b" : "=r"(pc) : : "memory");            \
		break;
		BAR_OPTIONS(ARCH_DMB_CASE)
#undef ARCH_DMB_CASE
	default:
		asm volatile("1: dmb sy\n\tadr %0, 1b" : "=r"(pc) : : "memory");
		break;
	}
	return pc;
}

ARCH_ALWAYS_INLINE uint64_t arch_isb(void)
{
	uint64_t pc;
	asm volatile("1: isb\n\tadr %0, 1b" : "=r"(pc) : : "memory");
	return pc;
}

/*
 * TLBI by its SYS encoding (C5.5: SYS #op1, C8, Cm, #op2, Xt) so one table
 * (include/arm64/tlbi.h) drives every operation. Operations without an
 * operand are issued with arg 0, which the "Z" constraint turns into XZR
 * (Rt = 0b11111, as the Arm ARM requires for them).
 */
ARCH_ALWAYS_INLINE uint64_t arch_tlbi(unsigned op, uint64_t arg)
{
	uint64_t pc;
	switch (op) {
#define ARCH_TLBI_CASE(name, op1, crm, op2, flags)                                                 \
	case TLBI_##name:                                                                          \
		asm volatile("1: sys #" #op1 ", c8, c" #crm ", #" #op2 ", %x1\n\tadr %0, 1b"       \
			     : "=r"(pc)                                                            \
			     : "rZ"(arg)                                                           \
			     : "memory");                                                          \
		break;
		TLBI_OPS(ARCH_TLBI_CASE)
#undef ARCH_TLBI_CASE
	default:
		pc = 0;
		break;
	}
	return pc;
}

ARCH_ALWAYS_INLINE uint64_t arch_pc(void)
{
	uint64_t pc;
	asm volatile("adr %0, ." : "=r"(pc));
	return pc;
}

/*
 * The generic timer's physical count and its frequency in Hz (D11.1.2, CNTPCT_EL0,
 * CNTFRQ_EL0). Without the ISB that would order the read (D11.2.1): a timeout
 * needs no precision, and an ISB would make the ring's code look like
 * maintenance to `fixmapctl lint`, which steps over calls free of barriers.
 */
ARCH_ALWAYS_INLINE uint64_t arch_counter(void)
{
	uint64_t v;
	asm volatile("mrs %0, cntpct_el0" : "=r"(v) : : "memory");
	return v;
}

ARCH_ALWAYS_INLINE uint64_t arch_counter_freq(void)
{
	uint64_t v;
	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* In a spin-wait loop: a hint that lets another thread of the core (or QEMU's vCPU thread) run. */
ARCH_ALWAYS_INLINE void arch_relax(void)
{
	asm volatile("yield" ::: "memory");
}

ARCH_ALWAYS_INLINE struct fixmap_cpu *arch_cpu_shared(void)
{
	uint64_t v;
	asm volatile("mrs %0, tpidr_el2" : "=r"(v));
	return (struct fixmap_cpu *)v;
}

ARCH_ALWAYS_INLINE void arch_set_cpu_shared(struct fixmap_cpu *c)
{
	asm volatile("msr tpidr_el2, %0" : : "r"(c) : "memory");
}

#endif
