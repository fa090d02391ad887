/* SPDX-License-Identifier: MIT */
#include "arm64.h"

#include <stdio.h>
#include <string.h>

#include "event.h"

struct tlbi_desc {
	const char *name;
	uint8_t op1, crm, op2;
	unsigned flags;
};

static const struct tlbi_desc tlbi_ops[TLBI_NR_OPS] = {
#define TLBI_DESC(n, o1, cm, o2, f) [TLBI_##n] = {#n, o1, cm, o2, f},
    TLBI_OPS(TLBI_DESC)
#undef TLBI_DESC
};

const char *arm64_tlbi_name(unsigned op) { return op < TLBI_NR_OPS ? tlbi_ops[op].name : "?"; }

int arm64_tlbi_lookup(const char *name)
{
	for (unsigned i = 0; i < TLBI_NR_OPS; i++)
		if (!strcmp(tlbi_ops[i].name, name))
			return (int)i;
	return -1;
}

unsigned arm64_tlbi_flags(unsigned op) { return op < TLBI_NR_OPS ? tlbi_ops[op].flags : 0; }

bool arm64_tlbi_reaches_regime(unsigned f, unsigned regime)
{
	switch (regime) {
	case FM_REGIME_EL2:
		return f & TLBI_F_EL2;
	case FM_REGIME_EL20:
		/* E2 ops act on EL2&0 when E2H = 1; executed at EL2 with E2H = TGE = 1, the
		 * EL1 ops (not ALLE1, VMALLS12E1 or the stage-2 ops) do too. A trace does
		 * not carry TGE: an EL1 op is taken to reach EL2&0. */
		return (f & TLBI_F_EL2) ||
		       ((f & TLBI_F_EL1) && !(f & (TLBI_F_S2 | TLBI_F_ALLVMID)));
	case FM_REGIME_EL1:
		return f & TLBI_F_EL1;
	case FM_REGIME_S2:
		return f & (TLBI_F_S2 | TLBI_F_EL1);
	}
	return false;
}

bool arm64_dsb_completes(unsigned crm, unsigned f)
{
	/* CRm[3:2]: 0 OSH, 1 NSH, 2 ISH, 3 SY, ranked NSH < ISH < OSH < SY. */
	static const int rank[4] = {2, 0, 1, 3};
	int need = (f & TLBI_F_OS) ? 2 : (f & TLBI_F_IS) ? 1 : 0;

	return BAR_TYPE(crm) == BAR_TYPE_ALL && rank[BAR_DOM(crm)] >= need;
}

int arm64_tlbi_from_sys(unsigned op1, unsigned crm, unsigned op2)
{
	for (unsigned i = 0; i < TLBI_NR_OPS; i++)
		if (tlbi_ops[i].op1 == op1 && tlbi_ops[i].crm == crm && tlbi_ops[i].op2 == op2)
			return (int)i;
	return -1;
}

uint32_t arm64_tlbi_insn(unsigned op, unsigned rt)
{
	if (op >= TLBI_NR_OPS)
		return 0;
	return INSN_TLBI(tlbi_ops[op].op1, tlbi_ops[op].crm, tlbi_ops[op].op2, rt & 31);
}

static const struct {
	const char *name;
	unsigned crm;
} bar_opts[] = {
#define BAR_DESC(n, v) {#n, v},
    BAR_OPTIONS(BAR_DESC)
#undef BAR_DESC
};

const char *arm64_bar_name(unsigned crm, char buf[8])
{
	for (size_t i = 0; i < sizeof(bar_opts) / sizeof(bar_opts[0]); i++)
		if (bar_opts[i].crm == crm)
			return bar_opts[i].name;
	snprintf(buf, 8, "#%u", crm & 0xffu);
	return buf;
}

int arm64_bar_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(bar_opts) / sizeof(bar_opts[0]); i++)
		if (!strcmp(bar_opts[i].name, name))
			return (int)bar_opts[i].crm;
	return -1;
}

int arm64_decode_maint(uint32_t insn, unsigned *opt, unsigned *rt)
{
	/* Barriers: C6.2.82 DSB, C6.2.80 DMB, C6.2.113 ISB (CRm in [11:8]). */
	if ((insn & 0xfffff0ffu) == INSN_DSB(0)) {
		*opt = (insn >> 8) & 0xf;
		*rt = 31;
		return FM_EV_DSB;
	}
	if ((insn & 0xfffff0ffu) == INSN_DMB(0)) {
		*opt = (insn >> 8) & 0xf;
		*rt = 31;
		return FM_EV_DMB;
	}
	if ((insn & 0xfffff0ffu) == (INSN_ISB & 0xfffff0ffu)) {
		*opt = (insn >> 8) & 0xf;
		*rt = 31;
		return FM_EV_ISB;
	}
	/* SYS #op1, C8, Cm, #op2, Xt: 1101 0101 0000 1 op1 CRn CRm op2 Rt (C5.5). */
	if ((insn & 0xfff8f000u) == 0xd5088000u) {
		int op = arm64_tlbi_from_sys((insn >> 16) & 7, (insn >> 8) & 0xf, (insn >> 5) & 7);
		if (op < 0)
			return 0;
		*opt = (unsigned)op;
		*rt = insn & 31;
		return FM_EV_TLBI;
	}
	return 0;
}

static uint64_t sext(uint64_t v, unsigned bit)
{
	uint64_t m = 1ull << bit;

	return (v ^ m) - m;
}

/*
 * Loads and stores are op0 = x1x0 (insn[28:25], C4.1). The classes with
 * single-register stores:
 *  - load/store register, insn[29:27] = 111, [25] = 0 (C4.1.66): size[31:30], V[26],
 *    opc[23:22]; unsigned offset if insn[24], else by insn[21] and [11:10]:
 *    0/00 unscaled (STUR), 0/01 post-index, 0/10 unprivileged (STTR), 0/11
 *    pre-index, 1/00 atomic memory operations (V = 0), 1/10 register offset;
 *  - exclusive and ordered, insn[29:24] = 001000: size[31:30], o2[23], L[22],
 *    o1[21]; o2 = 0 with o1 = 1 are pairs (STXP, CASP), o2 = 1 with o1 = 1 is
 *    CAS, L = 1 loads otherwise;
 *  - RCpc unscaled, insn[29:24] = 011001 with [21] = 0 and [11:10] = 00: size,
 *    opc 00 stores (STLUR).
 */
unsigned arm64_narrow_store(uint32_t w, struct arm64_addr *a)
{
	unsigned size = w >> 30, opc = (w >> 22) & 3, op4 = (w >> 10) & 3;
	bool v = (w >> 26) & 1;
	struct arm64_addr t = {.rn = (uint8_t)((w >> 5) & 31), .mode = ARM64_ADDR_IMM};

	if (!a)
		a = &t;
	*a = t;
	if (size == 3)
		return 0;
	if ((w & 0x3a000000u) == 0x38000000u) {
		if (w & (1u << 24)) {
			if (opc != 0)
				return 0;
			a->imm = (int64_t)(((w >> 10) & 0xfff) << size);
		} else if (!(w & (1u << 21))) {
			if (opc != 0 || (v && op4 == 2))
				return 0;
			if (op4 != 1) /* a post-index store accesses Xn itself */
				a->imm = (int64_t)sext((w >> 12) & 0x1ff, 8);
		} else if (op4 == 0) {
			/* atomics (V = 0), o3[15] opc[14:12]: LD<op> (o3 = 0) and SWP
			 * (o3 = 1, opc = 000) write Xn; LDAPR and the rest of o3 = 1 do not */
			if (v || ((w & (1u << 15)) && ((w >> 12) & 7)))
				return 0;
		} else if (op4 == 2) {
			unsigned option = (w >> 13) & 7;
			if (opc != 0 || !(option & 2))
				return 0;
			a->mode = ARM64_ADDR_REG;
			a->rm = (uint8_t)((w >> 16) & 31);
			a->extend = (uint8_t)option;
			a->shift = (w & (1u << 12)) ? (uint8_t)size : 0;
		} else {
			return 0; /* LDRAA, LDRAB */
		}
		return 1u << size;
	}
	if ((w & 0x3f000000u) == 0x08000000u) {
		bool o2 = (w >> 23) & 1, l = (w >> 22) & 1, o1 = (w >> 21) & 1;
		if ((!o2 && o1) || (l && !(o2 && o1)))
			return 0;
		return 1u << size;
	}
	if ((w & 0x3f200c00u) == 0x19000000u) {
		if (opc != 0)
			return 0;
		a->imm = (int64_t)sext((w >> 12) & 0x1ff, 8);
		return 1u << size;
	}
	return 0;
}

uint64_t arm64_addr_eval(const struct arm64_addr *a, uint64_t xn, uint64_t xm)
{
	if (a->mode == ARM64_ADDR_IMM)
		return xn + (uint64_t)a->imm;
	switch (a->extend) {
	case 2: xm = (uint32_t)xm; break;                   /* UXTW */
	case 6: xm = (uint64_t)(int64_t)(int32_t)xm; break; /* SXTW */
	default: break;                                    /* LSL (UXTX), SXTX */
	}
	return xn + (xm << a->shift);
}

uint64_t arm64_tlbi_addr(unsigned op, uint64_t arg)
{
	unsigned f = arm64_tlbi_flags(op);

	if (f & TLBI_F_RANGE)
		return sext((arg & 0x1fffffffffull) << 12, 48);
	if (f & TLBI_F_IPA)
		return (arg & 0xffffffffffull) << 12;
	if (f & TLBI_F_VA)
		return sext((arg & 0xfffffffffffull) << 12, 55);
	return 0;
}

uint64_t arm64_tlbi_encode(unsigned op, uint64_t addr, unsigned ttl, unsigned asid)
{
	unsigned f = arm64_tlbi_flags(op);
	uint64_t ttlf = (uint64_t)(ttl & 0xf) << 44;

	if (f & TLBI_F_IPA)
		return ((addr >> 12) & 0xffffffffffull) | ttlf;
	if (f & TLBI_F_VA)
		return ((addr >> 12) & 0xfffffffffffull) | ttlf | (uint64_t)(asid & 0xffff) << 48;
	if (f & TLBI_F_ASID)
		return (uint64_t)(asid & 0xffff) << 48;
	return 0;
}

uint64_t arm64_tlbi_range_bytes(uint64_t arg) { return (uint64_t)TLBI_RANGE_PAGES(arg) << 12; }

int arm64_tlbi_ttl_level(unsigned op, uint64_t arg)
{
	unsigned ttl;

	if (arm64_tlbi_flags(op) & TLBI_F_RANGE) {
		ttl = (unsigned)TLBI_RANGE_TTL(arg);
		return ttl ? (int)ttl : -1;
	}
	if (!(arm64_tlbi_flags(op) & (TLBI_F_VA | TLBI_F_IPA)))
		return -1;
	ttl = (unsigned)TLBI_TTL(arg);
	/* TTL[3:2]: 0b00 no information, 0b01 4K, 0b10 16K, 0b11 64K; TTL[1:0] the level. */
	if ((ttl >> 2) == 0)
		return -1;
	if ((ttl >> 2) != 1 || (ttl & 3) == 0)
		return -2;
	return (int)(ttl & 3);
}

void arm64_tlbi_range_g(unsigned op, uint64_t arg, unsigned page_shift, int lpa2, uint64_t *base,
			uint64_t *bytes, int *tg_ok)
{
	unsigned tg = page_shift == 16 ? 3 : page_shift == 14 ? 2 : 1;
	unsigned unit = lpa2 && page_shift < 16 ? 16 : page_shift;
	uint64_t b = TLBI_RANGE_BADDR(arg) << unit;

	*tg_ok = TLBI_RANGE_TG(arg) == tg;
	/* BaseADDR[36:0] holds address bits [36+unit:unit]; a VA is sign-extended from there. */
	*base = (arm64_tlbi_flags(op) & TLBI_F_IPA) ? b : sext(b, 36 + unit);
	*bytes = (uint64_t)TLBI_RANGE_PAGES(arg) << page_shift;
}

int arm64_tlbi_ttl_level_g(unsigned op, uint64_t arg, unsigned page_shift, int lpa2)
{
	unsigned f = arm64_tlbi_flags(op), ttl;
	unsigned g = page_shift == 16 ? 3 : page_shift == 14 ? 2 : 1;

	if (f & TLBI_F_RANGE) {
		ttl = (unsigned)TLBI_RANGE_TTL(arg);
		return ttl ? (int)ttl : -1;
	}
	if (!(f & (TLBI_F_VA | TLBI_F_IPA)))
		return -1;
	ttl = (unsigned)TLBI_TTL(arg);
	if ((ttl >> 2) == 0)
		return -1;
	if ((ttl >> 2) != g)
		return -2;
	if ((ttl & 3) == 0)
		return g == 1 && lpa2 ? 0 : -2;
	return (int)(ttl & 3);
}
