/* SPDX-License-Identifier: MIT */
/* Constants shared by the agent's assembly and C. */
#ifndef AGENT_LAYOUT_H
#define AGENT_LAYOUT_H

#define AGENT_MAX_CPUS 8 /* FIXMAP_MAX_CPUS */
#define AGENT_STACK_SIZE 16384
#define AGENT_EXC_STACK_SIZE 2048
#define RAM_BASE 0x40000000
/* SCTLR_EL2 with E2H = 0: RES1 bits 4, 5, 11, 16, 18, 22, 23, 28, 29 (D19.2.118). */
#define SCTLR_EL2_RES1 0x30c50830
#define SCTLR_EL2_M (1 << 0)
#define SCTLR_EL2_C (1 << 2)
#define SCTLR_EL2_SA (1 << 3)
#define SCTLR_EL2_I (1 << 12)

#endif
