/* SPDX-License-Identifier: MIT */
/*
 * AArch64-only helpers for the agent's boot and workload code (main.c,
 * platform.c): system registers, PSCI, semihosting. Not part of the arch
 * interface the unit-tested code uses.
 */
#ifndef AGENT_CPU_H
#define AGENT_CPU_H

#include <stdint.h>

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		asm volatile("mrs %0, " #r : "=r"(v_));                                            \
		v_;                                                                                \
	})

/* ID_AA64MMFR0_EL1.PARange [3:0]; ID_AA64MMFR2_EL1.TTL [51:48] (D19.2.65, D19.2.67). */
#define MMFR0_PARANGE(v) ((v)&0xf)
#define MMFR2_TTL(v) (((v) >> 48) & 0xf)

static inline void cpu_relax(void)
{
	asm volatile("yield" ::: "memory");
}

static inline void cpu_wfi(void)
{
	asm volatile("wfi" ::: "memory");
}

/* PSCI (DEN0022): CPU_ON over SMC, the conduit QEMU uses with virtualization=on. */
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_SUCCESS 0
#define PSCI_ALREADY_ON (-4)

static inline int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
	register uint64_t x0 asm("x0") = PSCI_CPU_ON_64;
	register uint64_t x1 asm("x1") = mpidr;
	register uint64_t x2 asm("x2") = entry;
	register uint64_t x3 asm("x3") = context;
	/* SMCCC: x4-x17 may be clobbered by SMCCC v1.0 firmware. */
	asm volatile("smc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		     :
		     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
		       "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

/* Arm semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit: QEMU exits with code. */
static inline void semihost_exit(unsigned code)
{
	volatile uint64_t blk[2] = {0x20026, code};
	register uint64_t x0 asm("x0") = 0x18;
	register uint64_t x1 asm("x1") = (uint64_t)blk;
	asm volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
}

#endif
