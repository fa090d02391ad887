/* SPDX-License-Identifier: MIT */
/*
 * What the agent's portable code (mmu.c, fixmap.c, ring.c) needs from the CPU.
 * Two implementations provide "arch_impl.h":
 *
 *   arch/aarch64   the real instructions (inline asm), used in build/agent.elf
 *   arch/fake      host unit tests: every primitive is appended to a log that
 *                  the tests assert on, nothing touches a real MMU
 *
 * Every maintenance primitive returns the address of the instruction it
 * executed, which the event records carry as their PC. Only ev.h calls these
 * primitives: the rest of the agent goes through ev.h so that every step is
 * recorded.
 *
 *   uint64_t arch_pte_store(uint64_t *ptep, uint64_t desc)   single-copy atomic store
 *   uint64_t arch_dsb(unsigned crm)   DSB with a CRm option (include/arm64/barrier.h)
 *   uint64_t arch_dmb(unsigned crm)
 *   uint64_t arch_isb(void)
 *   uint64_t arch_tlbi(unsigned op, uint64_t arg)   enum tlbi_op (include/arm64/tlbi.h)
 *   uint64_t arch_pc(void)            PC of the caller (for access records)
 *   struct fixmap_cpu *arch_cpu_shared(void)   this CPU's shared area, NULL while
 *                                              the CPU does not record (MMU off)
 *   uint64_t arch_counter(void), arch_counter_freq(void)   a free-running count and its Hz
 *   void arch_relax(void)             in a spin-wait loop
 */
#ifndef AGENT_ARCH_H
#define AGENT_ARCH_H

#include <stdint.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"
#include "fixmap_proto.h"

#include "arch_impl.h"

#endif
