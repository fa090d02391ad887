/* SPDX-License-Identifier: MIT */
#include "disasm.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arm64.h"
#include "elfsym.h"
#include "event.h"

static csh cs_handle;
static bool cs_ready, cs_failed;

/* Text only: no CS_OPT_DETAIL, which costs a third of the decode time and adds nothing here. */
static bool cs_init(void)
{
	if (cs_ready || cs_failed)
		return cs_ready;
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &cs_handle) != CS_ERR_OK)
		cs_failed = true;
	else
		cs_ready = true;
	return cs_ready;
}

void disasm_cleanup(void)
{
	if (cs_ready)
		cs_close(&cs_handle);
	cs_ready = false;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The maintenance instructions in this project's names (capstone 4 prints newer TLBIs as SYS). */
static bool format_maint(uint32_t insn, char *buf, size_t n)
{
	unsigned opt, rt;
	char tmp[8];

	switch (arm64_decode_maint(insn, &opt, &rt)) {
	case FM_EV_TLBI:
		if (rt == 31 && (arm64_tlbi_flags(opt) & TLBI_F_ALL))
			snprintf(buf, n, "tlbi %s", arm64_tlbi_name(opt));
		else if (rt == 31)
			snprintf(buf, n, "tlbi %s, xzr", arm64_tlbi_name(opt));
		else
			snprintf(buf, n, "tlbi %s, x%u", arm64_tlbi_name(opt), rt);
		return true;
	case FM_EV_DSB:
		snprintf(buf, n, "dsb %s", arm64_bar_name(opt, tmp));
		return true;
	case FM_EV_DMB:
		snprintf(buf, n, "dmb %s", arm64_bar_name(opt, tmp));
		return true;
	case FM_EV_ISB:
		snprintf(buf, n, "isb");
		return true;
	}
	return false;
}

size_t disasm_insn(uint64_t pc, const uint8_t *code, size_t len, char *buf, size_t n)
{
	uint32_t insn;
	cs_insn *ci = NULL;

	if (len < 4)
		return 0;
	insn = le32(code);
	if (n == 0)
		return 4;
	if (format_maint(insn, buf, n))
		return 4;
	if (cs_init() && cs_disasm(cs_handle, code, 4, pc, 1, &ci) == 1) {
		if (ci->op_str[0])
			snprintf(buf, n, "%s %s", ci->mnemonic, ci->op_str);
		else
			snprintf(buf, n, "%s", ci->mnemonic);
		cs_free(ci, 1);
		return 4;
	}
	{
		/* Say what the word does where the encoding tells (capstone 4 lacks LSE, PAuth). */
		static const char *const what[] = {
		    [DISASM_STORE] = "  // store",    [DISASM_RET] = "  // return",
		    [DISASM_IBRANCH] = "  // branch", [DISASM_ICALL] = "  // call",
		    [DISASM_BRANCH] = "  // branch",  [DISASM_CBRANCH] = "  // branch",
		    [DISASM_CALL] = "  // call",
		};
		struct disasm_class c;

		disasm_classify(pc, insn, &c);
		snprintf(buf, n, ".inst 0x%08" PRIx32 "%s", insn,
			 c.kind < sizeof(what) / sizeof(what[0]) && what[c.kind] ? what[c.kind]
										 : "");
	}
	return 4;
}

int disasm_at(struct elfsym *e, uint64_t pc, char *buf, size_t n)
{
	uint8_t b[4];

	if (!e || elfsym_read(e, pc, b, sizeof(b))) {
		snprintf(buf, n, "?");
		return -1;
	}
	disasm_insn(pc, b, sizeof(b), buf, n);
	return 0;
}

static uint64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);

	v &= (1ull << bits) - 1;
	return (v ^ m) - m;
}

/* Loads and stores (C4.1.66 onwards): true if the instruction writes memory. */
static bool is_store(uint32_t insn)
{
	unsigned l = (insn >> 22) & 1;

	/* Load/store register, all addressing forms: bits[29:27] = 111, bit 25 = 0. */
	if ((insn & 0x3a000000u) == 0x38000000u) {
		unsigned v = (insn >> 26) & 1, opc = (insn >> 22) & 3;

		if (!(insn & (1u << 24)) && (insn & (1u << 21))) {
			unsigned op4 = (insn >> 10) & 3;

			if (op4 == 0) /* LSE atomics (LDADD, SWP ...) write, except LDAPR */
				return !(((insn >> 15) & 1) && ((insn >> 12) & 7) == 4);
			if (op4 & 1) /* LDRAA/LDRAB */
				return false;
		}
		return v ? !(opc & 1) : opc == 0;
	}
	/* Load/store pair (incl. STGP): bits[29:27] = 101, bit 25 = 0; L = bit 22. */
	if ((insn & 0x3a000000u) == 0x28000000u)
		return !l;
	/* Exclusive and ordered (STXR, STLR, CAS, CASP ...): bits[29:24] = 001000. */
	if ((insn & 0x3f000000u) == 0x08000000u) {
		unsigned o1 = (insn >> 21) & 1, o2 = (insn >> 23) & 1;

		return !l || (o1 && (o2 || !(insn >> 31)));
	}
	/* STLUR / LDAPUR (unscaled, RCpc): bits[29:24] = 011001, bit 21 = 0, [11:10] = 00. */
	if ((insn & 0x3f200c00u) == 0x19000000u)
		return ((insn >> 22) & 3) == 0;
	/* Advanced SIMD structures (ST1-ST4): bit 31 = 0, bits[29:25] = 00110. */
	if ((insn & 0xbe000000u) == 0x0c000000u)
		return !l;
	/* DC ZVA, Xt (SYS #3, C7, C4, #1) zeroes a block of memory. */
	if ((insn & 0xffffffe0u) == 0xd50b7420u)
		return true;
	return false;
}

void disasm_classify(uint64_t pc, uint32_t insn, struct disasm_class *c)
{
	unsigned opt, rt;

	memset(c, 0, sizeof(*c));
	switch (arm64_decode_maint(insn, &opt, &rt)) {
	case FM_EV_TLBI:
		c->kind = DISASM_TLBI;
		c->opt = opt;
		c->rt = rt;
		return;
	case FM_EV_DSB:
		c->kind = DISASM_DSB;
		c->opt = opt;
		return;
	case FM_EV_DMB:
		c->kind = DISASM_DMB;
		c->opt = opt;
		return;
	case FM_EV_ISB:
		c->kind = DISASM_ISB;
		return;
	}
	/* Branches, exception generation and system (C4.1.65). */
	if ((insn & 0x7c000000u) == 0x14000000u) { /* B, BL: imm26 */
		c->kind = insn >> 31 ? DISASM_CALL : DISASM_BRANCH;
		c->target = pc + (sext(insn, 26) << 2);
		return;
	}
	if ((insn & 0xff000000u) == 0x54000000u) { /* B.cond, BC.cond: imm19 */
		unsigned cond = insn & 0xf;

		c->kind = cond >= 0xe ? DISASM_BRANCH : DISASM_CBRANCH;
		c->target = pc + (sext(insn >> 5, 19) << 2);
		return;
	}
	if ((insn & 0x7e000000u) == 0x34000000u) { /* CBZ, CBNZ: imm19 */
		c->kind = DISASM_CBRANCH;
		c->target = pc + (sext(insn >> 5, 19) << 2);
		return;
	}
	if ((insn & 0x7e000000u) == 0x36000000u) { /* TBZ, TBNZ: imm14 */
		c->kind = DISASM_CBRANCH;
		c->target = pc + (sext(insn >> 5, 14) << 2);
		return;
	}
	if ((insn & 0xfe000000u) == 0xd6000000u) { /* branch to register: opc [24:21] */
		switch ((insn >> 21) & 0xf) {
		case 0: /* BR, BRAAZ, BRABZ */
		case 8: /* BRAA, BRAB */
			c->kind = DISASM_IBRANCH;
			return;
		case 1: /* BLR, BLRAAZ, BLRABZ */
		case 9: /* BLRAA, BLRAB */
			c->kind = DISASM_ICALL;
			return;
		case 2: /* RET, RETAA, RETAB */
		case 4: /* ERET, ERETAA, ERETAB */
			c->kind = DISASM_RET;
			return;
		}
		return;
	}
	if ((insn & 0xffe00000u) == 0xd4000000u && (insn & 3)) { /* SVC, HVC, SMC */
		c->kind = DISASM_ICALL;
		return;
	}
	if (is_store(insn))
		c->kind = DISASM_STORE;
}
