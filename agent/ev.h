/* SPDX-License-Identifier: MIT */
/*
 * The one instrumented helper family: every translation-table store, DSB,
 * DMB, ISB and TLBI the agent performs goes through these, which execute the
 * instruction (agent/arch.h) and then record it in the CPU's event ring
 * (ring.c) with the instruction's PC and operands. Record layouts are the
 * FIXMAP_REC_* comments in proto/fixmap_proto.h.
 *
 * The record follows the instruction, so the sequence numbers of one CPU's
 * events follow its program order, and a recorded TLBI has been issued.
 */
#ifndef AGENT_EV_H
#define AGENT_EV_H

#include <stdint.h>

#include "arch.h"
#include "ring.h"

/* Store desc to the translation-table entry at ptep (level, translating va). */
static inline __attribute__((always_inline)) void ev_pte(uint64_t *ptep, uint64_t va, unsigned level, uint64_t desc)
{
	uint64_t old = *(volatile uint64_t *)ptep;
	uint64_t pc = arch_pte_store(ptep, desc);

	ring_put(FIXMAP_REC_PTE, pc, (uint64_t)(uintptr_t)ptep, va, old, desc, level);
}

static inline __attribute__((always_inline)) void ev_dsb(unsigned crm)
{
	uint64_t pc = arch_dsb(crm);

	ring_put2(FIXMAP_REC_DSB, pc, crm, 0);
}

static inline __attribute__((always_inline)) void ev_dmb(unsigned crm)
{
	uint64_t pc = arch_dmb(crm);

	ring_put2(FIXMAP_REC_DMB, pc, crm, 0);
}

static inline __attribute__((always_inline)) void ev_isb(void)
{
	uint64_t pc = arch_isb();

	ring_put2(FIXMAP_REC_ISB, pc, 0, 0);
}

static inline __attribute__((always_inline)) void ev_tlbi(unsigned op, uint64_t arg)
{
	uint64_t pc = arch_tlbi(op, arg);

	ring_put2(FIXMAP_REC_TLBI, pc, op, arg);
}

/* The CPU is about to use the translation of va (exec: an instruction fetch). */
static inline __attribute__((always_inline)) void ev_access(uint64_t va, int exec)
{
	ring_put2(FIXMAP_REC_ACCESS, arch_pc(), va, exec ? 1 : 0);
}

#endif
