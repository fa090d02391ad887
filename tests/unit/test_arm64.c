/* SPDX-License-Identifier: MIT */
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

int main(void)
{
	RUN(tlbi_names_round_trip);
	RUN(tlbi_flags);
	RUN(tlbi_sys_encodings);
	RUN(barriers);
	return UNIT_EXIT();
}
