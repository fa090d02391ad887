/* SPDX-License-Identifier: MIT */
/*
 * Host fake of agent/arch.h for unit tests: stores really happen (the tables
 * are host memory), barriers and TLBIs only append to fake_log, which the tests
 * read back. PCs are small distinct numbers per primitive kind.
 */
#ifndef AGENT_ARCH_IMPL_H
#define AGENT_ARCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "fixmap_proto.h"

enum fake_op { FAKE_PTE = 1, FAKE_DSB, FAKE_DMB, FAKE_ISB, FAKE_TLBI };

struct fake_rec {
	enum fake_op op;
	unsigned opt; /* DSB/DMB CRm, TLBI op */
	uint64_t a, b; /* PTE: ptep, desc; TLBI: arg */
};

#define FAKE_LOG_MAX 4096
extern struct fake_rec fake_log[FAKE_LOG_MAX];
extern size_t fake_nlog;
extern struct fixmap_cpu *fake_cpu;
/* The fake timer: every arch_counter() call advances it by one tick (1 kHz). */
extern uint64_t fake_ticks;
/* Called by arch_relax(), so a test can act as the consumer while the producer waits. */
extern void (*fake_relax_hook)(void);

void fake_reset(void);
uint64_t fake_record(enum fake_op op, unsigned opt, uint64_t a, uint64_t b);

#define FAKE_PC_BASE 0x1000u

static inline uint64_t arch_pte_store(uint64_t *ptep, uint64_t desc)
{
	*(volatile uint64_t *)ptep = desc;
	return fake_record(FAKE_PTE, 0, (uint64_t)(uintptr_t)ptep, desc);
}

static inline uint64_t arch_dsb(unsigned crm)
{
	return fake_record(FAKE_DSB, crm, 0, 0);
}

static inline uint64_t arch_dmb(unsigned crm)
{
	return fake_record(FAKE_DMB, crm, 0, 0);
}

static inline uint64_t arch_isb(void)
{
	return fake_record(FAKE_ISB, 0, 0, 0);
}

static inline uint64_t arch_tlbi(unsigned op, uint64_t arg)
{
	return fake_record(FAKE_TLBI, op, arg, 0);
}

static inline uint64_t arch_pc(void)
{
	return FAKE_PC_BASE;
}

static inline uint64_t arch_counter(void)
{
	return fake_ticks++;
}

static inline uint64_t arch_counter_freq(void)
{
	return 1000;
}

static inline void arch_relax(void)
{
	if (fake_relax_hook)
		fake_relax_hook();
}

static inline struct fixmap_cpu *arch_cpu_shared(void)
{
	return fake_cpu;
}

static inline void arch_set_cpu_shared(struct fixmap_cpu *c)
{
	fake_cpu = c;
}

#endif
