/* SPDX-License-Identifier: MIT */
/*
 * A64 instructions: text from capstone (with this project's names for the
 * maintenance instructions, so the text matches trace files), and a small
 * classification by encoding for the sequence analysis in lintseq.c.
 */
#ifndef FIXMAP_DISASM_H
#define FIXMAP_DISASM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Disassembles the instruction at code[0..len) (little-endian) whose address is
 * pc into buf ("tlbi vale2is, x0"). A word capstone does not know prints as
 * ".inst 0x%08x". Returns the bytes consumed (4), or 0 if len < 4.
 */
size_t disasm_insn(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t n);

struct elfsym;
/*
 * The instruction at pc in an image's file (cli/elfsym.h), for printers that
 * show "<func+0x2c> tlbi vale2is, x0": 0, or -1 (buf = "?") if the file does
 * not hold 4 bytes at pc.
 */
int disasm_at(struct elfsym *e, uint64_t pc, char *buf, size_t n);

/* Releases capstone (optional; for leak-free exits). */
void disasm_cleanup(void);

enum disasm_kind {
	DISASM_OTHER = 0,
	DISASM_STORE,	/* writes memory: STR*, STP, ST1.., exclusives, LSE atomics, DC ZVA */
	DISASM_BRANCH,	/* B label (and B.AL) */
	DISASM_CBRANCH, /* B.cond, CBZ/CBNZ, TBZ/TBNZ: target or fall through */
	DISASM_CALL,	/* BL label */
	DISASM_ICALL,	/* BLR*, SVC/HVC/SMC: a call whose target is not known */
	DISASM_IBRANCH, /* BR*: a jump whose target is not known (tail call, table) */
	DISASM_RET,	/* RET*, ERET* */
	DISASM_TLBI,
	DISASM_DSB,
	DISASM_DMB,
	DISASM_ISB,
};

struct disasm_class {
	enum disasm_kind kind;
	uint64_t target; /* BRANCH, CBRANCH, CALL: destination */
	unsigned opt;	 /* TLBI: enum tlbi_op; DSB/DMB: CRm option */
	unsigned rt;	 /* TLBI: Xt (31: no operand) */
};

/*
 * Classifies one instruction word at pc, by its encoding (Arm ARM C4.1 "A64
 * instruction set encoding"). Decoding the encoding rather than capstone's
 * output keeps LSE atomics and pointer-authentication returns, which capstone 4
 * does not know, from being read as ordinary instructions.
 */
void disasm_classify(uint64_t pc, uint32_t insn, struct disasm_class *c);

#endif
