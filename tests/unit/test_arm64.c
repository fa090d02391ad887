/* SPDX-License-Identifier: MIT */
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdlib.h>

#include "arm64.h"
#include "event.h"
#include "unit.h"

static void tlbi_names_round_trip(void)
{
	for (unsigned op = 0; op < TLBI_NR_OPS; op++)
		CHECK(arm64_tlbi_lookup(arm64_tlbi_name(op)) == (int)op);
	CHECK(arm64_tlbi_lookup("vale2is") == TLBI_vale2is);
	CHECK(arm64_tlbi_lookup("VALE2IS") == -1);
	CHECK(arm64_tlbi_lookup("vale2isx") == -1);
	CHECK(arm64_tlbi_lookup("") == -1);
	CHECK_STR(arm64_tlbi_name(TLBI_NR_OPS), "?");
}

static void tlbi_flags(void)
{
	unsigned f = arm64_tlbi_flags(TLBI_vale2is);

	CHECK(f & TLBI_F_IS);
	CHECK(f & TLBI_F_LAST);
	CHECK(f & TLBI_F_EL2);
	CHECK(!(arm64_tlbi_flags(TLBI_vale2) & (TLBI_F_IS | TLBI_F_OS)));
	CHECK(arm64_tlbi_flags(TLBI_ipas2e1is) & TLBI_F_S2);
	CHECK(arm64_tlbi_flags(TLBI_rvae2is) & TLBI_F_RANGE);
	CHECK(arm64_tlbi_flags(TLBI_vmalls12e1is) & TLBI_F_S2);
	CHECK(arm64_tlbi_flags(TLBI_vmalls12e1is) & TLBI_F_EL1);
	CHECK(arm64_tlbi_flags(9999) == 0);
}

static void tlbi_sys_encodings(void)
{
	/* tlbi vale2is, x0 = 0xd50c83a0; tlbi vae2, x1 = 0xd50c8721; tlbi vmalle1is = 0xd508831f.
	 */
	unsigned opt, rt;

	CHECK(arm64_decode_maint(0xd50c83a0, &opt, &rt) == FM_EV_TLBI);
	CHECK(opt == TLBI_vale2is && rt == 0);
	CHECK(arm64_decode_maint(0xd50c8721, &opt, &rt) == FM_EV_TLBI);
	CHECK(opt == TLBI_vae2 && rt == 1);
	CHECK(arm64_decode_maint(0xd508831f, &opt, &rt) == FM_EV_TLBI);
	CHECK(opt == TLBI_vmalle1is && rt == 31);
	CHECK_EQ_U64(arm64_tlbi_insn(TLBI_vale2is, 0), 0xd50c83a0);
	CHECK(arm64_tlbi_from_sys(4, 3, 5) == TLBI_vale2is);
	CHECK(arm64_tlbi_from_sys(4, 3, 7) == -1);
	/* Not a TLBI: SYS with CRn 7 (DC/IC). */
	CHECK(arm64_decode_maint(0xd50b7520, &opt, &rt) == 0);
}

static void barriers(void)
{
	char buf[8];
	unsigned opt, rt;

	CHECK_STR(arm64_bar_name(BAR_ISHST, buf), "ishst");
	CHECK_STR(arm64_bar_name(0, buf), "#0");
	CHECK_STR(arm64_bar_name(12, buf), "#12");
	CHECK(arm64_bar_lookup("nsh") == BAR_NSH);
	CHECK(arm64_bar_lookup("sy") == BAR_SY);
	CHECK(arm64_bar_lookup("ishh") == -1);
	/* dsb ish = 0xd5033b9f, dmb ishst = 0xd5033abf, isb = 0xd5033fdf. */
	CHECK(arm64_decode_maint(0xd5033b9f, &opt, &rt) == FM_EV_DSB && opt == BAR_ISH);
	CHECK(arm64_decode_maint(0xd5033abf, &opt, &rt) == FM_EV_DMB && opt == BAR_ISHST);
	CHECK(arm64_decode_maint(0xd5033fdf, &opt, &rt) == FM_EV_ISB);
	CHECK(arm64_decode_maint(0xd503201f, &opt, &rt) == 0); /* nop */
	CHECK(BAR_DOM(BAR_NSHST) == BAR_DOM_NSH && BAR_TYPE(BAR_NSHST) == BAR_TYPE_ST);
}

/* Words from GNU as (-march=armv8.5-a), with what each must decode to. */
static const struct narrow_case {
	uint32_t w;
	unsigned bytes, rn, mode, rm, extend, shift;
	int64_t imm;
	const char *text;
} narrow_cases[] = {
    {0x39000041, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "strb w1, [x2]"},
    {0x393ffc41, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 4095, "strb w1, [x2, #4095]"},
    {0x793ffc41, 2, 2, ARM64_ADDR_IMM, 0, 0, 0, 8190, "strh w1, [x2, #8190]"},
    {0xb93fffe1, 4, 31, ARM64_ADDR_IMM, 0, 0, 0, 16380, "str w1, [sp, #16380]"},
    {0x38100041, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, -256, "sturb w1, [x2, #-256]"},
    {0x780ff041, 2, 2, ARM64_ADDR_IMM, 0, 0, 0, 255, "sturh w1, [x2, #255]"},
    {0xb81fc041, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, -4, "stur w1, [x2, #-4]"},
    {0x381fd441, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "strb w1, [x2], #-3"},
    {0xb800cc41, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 12, "str w1, [x2, #12]!"},
    {0x381f9841, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, -7, "sttrb w1, [x2, #-7]"},
    {0xb8005be1, 4, 31, ARM64_ADDR_IMM, 0, 0, 0, 5, "sttr w1, [sp, #5]"},
    {0x38236841, 1, 2, ARM64_ADDR_REG, 3, 3, 0, 0, "strb w1, [x2, x3]"},
    {0x78235841, 2, 2, ARM64_ADDR_REG, 3, 2, 1, 0, "strh w1, [x2, w3, uxtw #1]"},
    {0xb823d841, 4, 2, ARM64_ADDR_REG, 3, 6, 2, 0, "str w1, [x2, w3, sxtw #2]"},
    {0xb823e841, 4, 2, ARM64_ADDR_REG, 3, 7, 0, 0, "str w1, [x2, x3, sxtx]"},
    {0xb8237841, 4, 2, ARM64_ADDR_REG, 3, 3, 2, 0, "str w1, [x2, x3, lsl #2]"},
    {0x3d001c41, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 7, "str b1, [x2, #7]"},
    {0x7c1fec41, 2, 2, ARM64_ADDR_IMM, 0, 0, 0, -2, "str h1, [x2, #-2]!"},
    {0xbc237841, 4, 2, ARM64_ADDR_REG, 3, 3, 2, 0, "str s1, [x2, x3, lsl #2]"},
    {0x089ffc41, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "stlrb w1, [x2]"},
    {0x489ffc41, 2, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "stlrh w1, [x2]"},
    {0x889fffe1, 4, 31, ARM64_ADDR_IMM, 0, 0, 0, 0, "stlr w1, [sp]"},
    {0x889f7c41, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "stllr w1, [x2]"},
    {0x08007c41, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "stxrb w0, w1, [x2]"},
    {0x8800fc41, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "stlxr w0, w1, [x2]"},
    {0x08a07c41, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "casb w0, w1, [x2]"},
    {0x88e0fc41, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "casal w0, w1, [x2]"},
    {0x78208041, 2, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "swph w0, w1, [x2]"},
    {0xb8200041, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "ldadd w0, w1, [x2]"},
    {0x3820005f, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "staddb w0, [x2]"},
    {0xb8e06041, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 0, "ldumaxal w0, w1, [x2]"},
    {0x191f7041, 1, 2, ARM64_ADDR_IMM, 0, 0, 0, -9, "stlurb w1, [x2, #-9]"},
    {0x99064041, 4, 2, ARM64_ADDR_IMM, 0, 0, 0, 100, "stlur w1, [x2, #100]"},
    /* a whole descriptor or more, or no store at all */
    {0xf9000041, 0, 0, 0, 0, 0, 0, 0, "str x1, [x2]"},
    {0xf81f8041, 0, 0, 0, 0, 0, 0, 0, "stur x1, [x2, #-8]"},
    {0xf8008441, 0, 0, 0, 0, 0, 0, 0, "str x1, [x2], #8"},
    {0xf8237841, 0, 0, 0, 0, 0, 0, 0, "str x1, [x2, x3, lsl #3]"},
    {0xfd000041, 0, 0, 0, 0, 0, 0, 0, "str d1, [x2]"},
    {0x3d800041, 0, 0, 0, 0, 0, 0, 0, "str q1, [x2]"},
    {0x3c9f0c41, 0, 0, 0, 0, 0, 0, 0, "str q1, [x2, #-16]!"},
    {0x29000861, 0, 0, 0, 0, 0, 0, 0, "stp w1, w2, [x3]"},
    {0xa9bf0be1, 0, 0, 0, 0, 0, 0, 0, "stp x1, x2, [sp, #-16]!"},
    {0xa8000861, 0, 0, 0, 0, 0, 0, 0, "stnp x1, x2, [x3]"},
    {0xc89ffc41, 0, 0, 0, 0, 0, 0, 0, "stlr x1, [x2]"},
    {0xc8007c41, 0, 0, 0, 0, 0, 0, 0, "stxr w0, x1, [x2]"},
    {0x88200861, 0, 0, 0, 0, 0, 0, 0, "stxp w0, w1, w2, [x3]"},
    {0x08207c82, 0, 0, 0, 0, 0, 0, 0, "casp w0, w1, w2, w3, [x4]"},
    {0xc8a07c41, 0, 0, 0, 0, 0, 0, 0, "cas x0, x1, [x2]"},
    {0xf8208041, 0, 0, 0, 0, 0, 0, 0, "swp x0, x1, [x2]"},
    {0xf8200041, 0, 0, 0, 0, 0, 0, 0, "ldadd x0, x1, [x2]"},
    {0xd9000041, 0, 0, 0, 0, 0, 0, 0, "stlur x1, [x2]"},
    {0x4c007020, 0, 0, 0, 0, 0, 0, 0, "st1 {v0.16b}, [x1]"},
    {0x0d000c20, 0, 0, 0, 0, 0, 0, 0, "st1 {v0.b}[3], [x1] (left to the memory callback)"},
    {0xd9200841, 0, 0, 0, 0, 0, 0, 0, "stg x1, [x2]"},
    {0x39400041, 0, 0, 0, 0, 0, 0, 0, "ldrb w1, [x2]"},
    {0xb9400041, 0, 0, 0, 0, 0, 0, 0, "ldr w1, [x2]"},
    {0x39800041, 0, 0, 0, 0, 0, 0, 0, "ldrsb x1, [x2]"},
    {0xb85ff041, 0, 0, 0, 0, 0, 0, 0, "ldur w1, [x2, #-1]"},
    {0x08dffc41, 0, 0, 0, 0, 0, 0, 0, "ldarb w1, [x2]"},
    {0x885f7c41, 0, 0, 0, 0, 0, 0, 0, "ldxr w1, [x2]"},
    {0xb8bfc041, 0, 0, 0, 0, 0, 0, 0, "ldapr w1, [x2]"},
    {0x38bfc041, 0, 0, 0, 0, 0, 0, 0, "ldaprb w1, [x2]"},
    {0x19400041, 0, 0, 0, 0, 0, 0, 0, "ldapurb w1, [x2]"},
    {0xf9800040, 0, 0, 0, 0, 0, 0, 0, "prfm pldl1keep, [x2]"},
    {0x3d400041, 0, 0, 0, 0, 0, 0, 0, "ldr b1, [x2]"},
    {0x3dc00041, 0, 0, 0, 0, 0, 0, 0, "ldr q1, [x2]"},
    {0xf8200441, 0, 0, 0, 0, 0, 0, 0, "ldraa x1, [x2]"},
    {0xd50b7421, 0, 0, 0, 0, 0, 0, 0, "dc zva, x1"},
    {0xd503201f, 0, 0, 0, 0, 0, 0, 0, "nop"},
};

static void narrow_store_encodings(void)
{
	for (size_t i = 0; i < sizeof(narrow_cases) / sizeof(narrow_cases[0]); i++) {
		const struct narrow_case *t = &narrow_cases[i];
		struct arm64_addr a;
		unsigned n = arm64_narrow_store(t->w, &a);
		if (n != t->bytes)
			printf("  %08x %s: %u bytes, expected %u\n", t->w, t->text, n, t->bytes);
		CHECK(n == t->bytes);
		if (!n)
			continue;
		CHECK(arm64_narrow_store(t->w, NULL) == n);
		if (a.rn != t->rn || a.mode != t->mode || a.imm != t->imm ||
		    (t->mode == ARM64_ADDR_REG &&
		     (a.rm != t->rm || a.extend != t->extend || a.shift != t->shift)))
			printf("  %08x %s: rn %u mode %u imm %" PRId64 " rm %u extend %u shift %u\n",
			       t->w, t->text, a.rn, a.mode, a.imm, a.rm, a.extend, a.shift);
		CHECK(a.rn == t->rn && a.mode == t->mode && a.imm == t->imm);
		if (t->mode == ARM64_ADDR_REG)
			CHECK(a.rm == t->rm && a.extend == t->extend && a.shift == t->shift);
	}
}

static void narrow_store_addresses(void)
{
	struct arm64_addr a;

	CHECK(arm64_narrow_store(0xb81fc041, &a) == 4); /* stur w1, [x2, #-4] */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0x1000, 0), 0xffc);
	CHECK(arm64_narrow_store(0xb823d841, &a) == 4); /* str w1, [x2, w3, sxtw #2] */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0x1000, 0x12345678ffffffffull), 0xffc);
	CHECK(arm64_narrow_store(0x78235841, &a) == 2); /* strh w1, [x2, w3, uxtw #1] */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0x1000, 0x1234567880000000ull), 0x100001000ull);
	CHECK(arm64_narrow_store(0xb823e841, &a) == 4); /* str w1, [x2, x3, sxtx] */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0x1000, (uint64_t)-16), 0xff0);
	CHECK(arm64_narrow_store(0x38236841, &a) == 1); /* strb w1, [x2, x3] */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0xffff800000000000ull, 5), 0xffff800000000005ull);
	CHECK(arm64_narrow_store(0x381fd441, &a) == 1); /* strb w1, [x2], #-3: Xn itself */
	CHECK_EQ_U64(arm64_addr_eval(&a, 0x2000, 0), 0x2000);
}

/*
 * What capstone says a word is, as the size of a narrow store (0: not one),
 * its base register and offset; -1 for a word capstone does not decode.
 */
static const char *const cs_store_bases[] = {
    "stlxr", "stllr", "stlur", "stxr", "sttr", "stlr", "stur", "str", "cas", "swp",
    "ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin",
    "stadd", "stclr", "steor", "stset", "stsmax", "stsmin", "stumax", "stumin"};
static const char *const cs_store_suffixes[] = {"", "a", "l", "al"};

static int cs_narrow(csh h, uint32_t w, struct arm64_addr *a, bool *post)
{
	cs_insn *insn;
	int bytes = 0;
	char ops[160];
	const char *mn;

	if (cs_disasm(h, (const uint8_t *)&w, 4, 0, 1, &insn) != 1)
		return -1;
	mn = insn->mnemonic;
	snprintf(ops, sizeof(ops), "%s", insn->op_str);
	for (size_t b = 0; b < sizeof(cs_store_bases) / sizeof(*cs_store_bases) && !bytes; b++) {
		size_t bl = strlen(cs_store_bases[b]);
		if (strncmp(mn, cs_store_bases[b], bl))
			continue;
		for (size_t s = 0; s < 4 && !bytes; s++) {
			const char *rest = mn + bl;
			size_t sl = strlen(cs_store_suffixes[s]);
			if (strncmp(rest, cs_store_suffixes[s], sl))
				continue;
			rest += sl;
			if (!strcmp(rest, "b"))
				bytes = 1;
			else if (!strcmp(rest, "h"))
				bytes = 2;
			else if (!*rest) {
				/* the data register: the second operand of STXR/STLXR */
				const char *r = ops;
				if (!strcmp(cs_store_bases[b], "stxr") || !strcmp(cs_store_bases[b], "stlxr"))
					r = strchr(ops, ' ') ? strchr(ops, ' ') + 1 : ops;
				bytes = *r == 'w' || *r == 's' ? 4 : *r == 'h' ? 2 : *r == 'b' ? 1 : 0;
				if (!bytes)
					bytes = -2; /* a store of 8 or more */
			}
		}
	}
	if (bytes > 0) {
		char *m = strchr(ops, '['), *e;
		memset(a, 0, sizeof(*a));
		*post = false;
		if (!m)
			bytes = 0;
		else {
			a->rn = !strncmp(m + 1, "sp", 2) ? 31 : (uint8_t)strtoul(m + 2, &e, 10);
			e = strpbrk(m, ",]");
			if (*e == ']') {
				*post = e[1] == ',';
			} else if (e[2] == '#') {
				a->imm = strtoll(e + 3, NULL, 0);
			} else {
				char ext[8] = "";
				unsigned sh = 0;
				a->mode = ARM64_ADDR_REG;
				a->rm = e[3] == 'z' ? 31 : (uint8_t)strtoul(e + 3, NULL, 10); /* xzr, wzr */
				a->extend = 3;
				if (sscanf(strchr(e + 2, ',') ? strchr(e + 2, ',') + 2 : "", "%7[a-z] #%u", ext,
					   &sh) >= 1) {
					a->extend = !strcmp(ext, "uxtw") ? 2 : !strcmp(ext, "sxtw") ? 6
						  : !strcmp(ext, "sxtx") ? 7 : 3;
					a->shift = (uint8_t)sh;
				}
			}
		}
	}
	cs_free(insn, 1);
	return bytes < 0 ? 0 : bytes;
}

/* Random words of the load/store space, against capstone's reading of them. */
static void narrow_store_vs_capstone(void)
{
	csh h;
	unsigned seen = 0, narrow = 0, bad = 0;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	CHECK(cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) == CS_ERR_OK);
	for (unsigned i = 0; i < 200000 && bad < 10; i++) {
		struct arm64_addr a, ca;
		bool post = false;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t w = ((uint32_t)x & ~0x0a000000u) | 0x08000000u; /* op0 = x1x0 */
		int cn = cs_narrow(h, w, &ca, &post);
		unsigned n = arm64_narrow_store(w, &a);
		if (cn < 0)
			continue; /* capstone 4 does not know it (e.g. RCpc unscaled) */
		seen++;
		narrow += n != 0;
		if ((int)n != cn) {
			printf("  %08x: %u bytes, capstone %d\n", w, n, cn);
			bad++;
		} else if (n && (a.rn != ca.rn || a.mode != ca.mode || a.imm != (post ? 0 : ca.imm) ||
				 (a.mode == ARM64_ADDR_REG && (a.rm != ca.rm || a.extend != ca.extend ||
							       a.shift != ca.shift)))) {
			printf("  %08x: rn %u mode %u imm %" PRId64 " rm %u ext %u sh %u; capstone rn %u "
			       "mode %u imm %" PRId64 " rm %u ext %u sh %u\n",
			       w, a.rn, a.mode, a.imm, a.rm, a.extend, a.shift, ca.rn, ca.mode, ca.imm,
			       ca.rm, ca.extend, ca.shift);
			bad++;
		}
	}
	cs_close(&h);
	CHECK(bad == 0);
	printf("  %u words capstone decodes, %u narrow stores\n", seen, narrow);
	CHECK(seen > 50000 && narrow > 5000);
}

int main(void)
{
	RUN(tlbi_names_round_trip);
	RUN(tlbi_flags);
	RUN(tlbi_sys_encodings);
	RUN(barriers);
	RUN(narrow_store_encodings);
	RUN(narrow_store_addresses);
	RUN(narrow_store_vs_capstone);
	return UNIT_EXIT();
}
