/* SPDX-License-Identifier: MIT */
/*
 * Names and lookups for the AArch64 maintenance instructions defined in
 * include/arm64/tlbi.h and include/arm64/barrier.h: the one place that turns
 * "vale2is" or "ishst" into an encoding and back, for the trace parser, the
 * printers, the checker and lint.
 */
#ifndef FIXMAP_ARM64_H
#define FIXMAP_ARM64_H

#include <stdint.h>

#include "arm64/barrier.h"
#include "arm64/tlbi.h"

/* enum tlbi_op -> lower-case name ("vale2is"); "?" for an op out of range. */
const char *arm64_tlbi_name(unsigned op);
/* Lower-case name -> enum tlbi_op, or -1. */
int arm64_tlbi_lookup(const char *name);
/* TLBI_F_* of an op; 0 for an op out of range. */
unsigned arm64_tlbi_flags(unsigned op);
/* SYS #op1, C8, Cm, #op2 -> enum tlbi_op, or -1 if it is not a TLBI this table knows. */
int arm64_tlbi_from_sys(unsigned op1, unsigned crm, unsigned op2);
/* Encoding of an op with Xt = rt (INSN_TLBI); 0 for an op out of range. */
uint32_t arm64_tlbi_insn(unsigned op, unsigned rt);

/* DSB/DMB CRm -> option name ("ishst"), or "#N" (written into buf) for unnamed values. */
const char *arm64_bar_name(unsigned crm, char buf[8]);
/* Option name -> CRm, or -1. */
int arm64_bar_lookup(const char *name);

/*
 * Decode a DSB, DMB, ISB or TLBI instruction word. Returns the event type
 * (FM_EV_DSB, FM_EV_DMB, FM_EV_ISB, FM_EV_TLBI from cli/event.h) or 0 for any
 * other word; *opt receives the barrier CRm or the tlbi op, *rt the TLBI's Xt.
 */
int arm64_decode_maint(uint32_t insn, unsigned *opt, unsigned *rt);

#endif
