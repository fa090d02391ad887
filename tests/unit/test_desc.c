/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "desc.h"
#include "print.h"
#include "unit.h"

#define MAIR_EL2 0xff00ull /* Attr0 Device-nGnRnE, Attr1 Normal WB (REFERENCE.md) */

static const char *fmt(uint64_t raw, unsigned level, enum fm_regime r, uint64_t mair)
{
	static char buf[160];

	desc_format_raw(raw, level, r, mair, buf, sizeof(buf));
	return buf;
}

static void el2_page(void)
{
	struct desc d;

	/* The seed's slot: 0x41000743 = page, AttrIndx 0, AP[1], SH inner, AF. */
	CHECK(desc_decode(0x41000743, 3, FM_REGIME_EL2, &d) == 0);
	CHECK(d.kind == DESC_PAGE);
	CHECK_EQ_U64(d.oa, 0x41000000);
	CHECK_EQ_U64(d.size, 4096);
	CHECK(d.attrindx == 0 && d.sh == DESC_SH_INNER && d.af && d.wr && d.x);
	CHECK_STR(fmt(0x41000743, 3, FM_REGIME_EL2, MAIR_EL2), "RW SHD AF DEVICE/nGnRnE");
	CHECK_STR(fmt(0x0040000041000747ull, 3, FM_REGIME_EL2, MAIR_EL2),
		  "RW NX SHD AF MEM/NORMAL");
	CHECK_STR(fmt(0x40000041000747ull | DESC_AP2, 3, FM_REGIME_EL2, 0), "ro NX SHD AF ATTR1");
	CHECK_STR(fmt(0x41000743 | (5ull << 55), 3, FM_REGIME_EL2, MAIR_EL2),
		  "RW SHD AF DEVICE/nGnRnE SW=0x5");
}

static void types_per_level(void)
{
	struct desc d;

	CHECK(desc_decode(0x40000705, 2, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.size, 2 << 20);
	CHECK_EQ_U64(d.oa, 0x40000000);
	CHECK_STR(fmt(0x40000705, 2, FM_REGIME_EL2, MAIR_EL2), "RW SHD AF BLK MEM/NORMAL");
	CHECK(desc_decode(0x40000701, 1, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.size, 1 << 30);
	/* A block at L0 needs LPA2; 0b01 at L3 is reserved (D8.3.1). */
	CHECK(desc_decode(0x40000701, 0, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_RESERVED);
	CHECK(desc_decode(0x40000701, 3, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_RESERVED);
	CHECK(!desc_is_valid(0x40000701, 3));
	CHECK(desc_is_valid(0x40000703, 3));
	CHECK(desc_decode(0x40001003, 0, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_TABLE);
	CHECK_EQ_U64(d.oa, 0x40001000);
	CHECK_EQ_U64(d.size, 512ull << 30);
	CHECK(desc_decode(0x40001002, 1, FM_REGIME_EL2, &d) == 0 && d.kind == DESC_INVALID);
	CHECK_STR(fmt(0x40001002, 1, FM_REGIME_EL2, 0), "invalid");
	CHECK_STR(fmt(0x40000701, 3, FM_REGIME_EL2, 0), "reserved");
	CHECK(desc_decode(0x3, 4, FM_REGIME_EL2, &d) == -1);
	CHECK(desc_decode(0x3, 3, (enum fm_regime)7, &d) == -1);
}

static void table_attributes(void)
{
	struct desc d;
	uint64_t t = 0x40002003ull | DESC_PXNTABLE | DESC_XNTABLE | (2ull << 61) | DESC_NSTABLE;

	CHECK(desc_decode(t, 1, FM_REGIME_EL1, &d) == 0);
	CHECK(d.pxntable && d.xntable && d.aptable == 2 && d.nstable);
	CHECK_STR(fmt(t, 1, FM_REGIME_EL1, 0), "TBL PXNT UXNT APT=2 NST");
	/* PXNTable is RES0 at EL2 without VHE; stage 2 tables carry no attributes. */
	CHECK_STR(fmt(t, 1, FM_REGIME_EL2, 0), "TBL XNT APT=2 NST");
	CHECK_STR(fmt(t, 1, FM_REGIME_S2, 0), "TBL");
}

static void el1_permissions(void)
{
	struct desc d;
	/* AP[2:1] = 01: EL1 RW, EL0 RW; then EL1 is execute-never implicitly. */
	uint64_t user = 0x41000743ull | DESC_PXN;

	CHECK(desc_decode(0x41000743, 3, FM_REGIME_EL1, &d) == 0);
	CHECK(d.el0_rd && d.el0_wr && !d.x && d.el0_x);
	CHECK_STR(fmt(user | DESC_XN | DESC_NG, 3, FM_REGIME_EL1, MAIR_EL2),
		  "USR RW NX SHD AF NG UXN DEVICE/nGnRnE");
	CHECK(desc_decode(0x41000703ull | DESC_AP2, 3, FM_REGIME_EL1, &d) == 0);
	CHECK(!d.el0_rd && !d.wr && d.x);
	CHECK_STR(fmt(0x41000707ull | DESC_AP2 | DESC_CONT | DESC_DBM | DESC_GP, 3, FM_REGIME_EL1,
		      MAIR_EL2),
		  "ro SHD AF CON DBM GP MEM/NORMAL");
}

static void stage2(void)
{
	struct desc d;
	/* MemAttr 0b1111 (Normal WB), S2AP RW, SH inner, AF: 0x7ff page. */
	uint64_t s2 = 0x400007ffull;

	CHECK(desc_decode(s2, 3, FM_REGIME_S2, &d) == 0);
	CHECK(d.memattr == 0xf && d.rd && d.wr && d.x && d.el0_x);
	CHECK_STR(fmt(s2, 3, FM_REGIME_S2, 0), "RW SHD AF MEM/NORMAL");
	CHECK_STR(fmt(0x400007c7ull | (2ull << 53), 3, FM_REGIME_S2, 0),
		  "RW NX SHD AF DEVICE/nGnRE");
	CHECK_STR(fmt(0x40000457ull | (1ull << 53), 3, FM_REGIME_S2, 0),
		  "ro PXN NSH AF MEM/NORMAL-NC");
	CHECK_STR(fmt(0x400004abull | (3ull << 53), 3, FM_REGIME_S2, 0),
		  "wo UXN NSH AF MEM/NORMAL-WT");
	CHECK_STR(fmt(0x40000437ull, 3, FM_REGIME_S2, 0), "NOACC NSH AF MEM/NORMAL-oWB-iNC");
	CHECK_STR(fmt(0x40000423ull | DESC_NG, 3, FM_REGIME_S2, 0),
		  "NOACC NSH AF FNXS MEMATTR=0x8");
}

static void memtypes(void)
{
	char b[48];

	desc_mair_attr(0x04, b, sizeof(b));
	CHECK_STR(b, "Device-nGnRE");
	desc_mair_attr(0x0c, b, sizeof(b));
	CHECK_STR(b, "Device-GRE");
	desc_mair_attr(0x44, b, sizeof(b));
	CHECK_STR(b, "Normal NC");
	desc_mair_attr(0xbb, b, sizeof(b));
	CHECK_STR(b, "Normal WT");
	desc_mair_attr(0xf4, b, sizeof(b));
	CHECK_STR(b, "Normal oWB iNC");
	desc_mair_attr(0xf0, b, sizeof(b));
	CHECK_STR(b, "Normal-Tagged WB");
	desc_mair_attr(0x30, b, sizeof(b));
	CHECK_STR(b, "Reserved (0x30)");
	desc_memtype(0x44ff04ull, 2, b, sizeof(b));
	CHECK_STR(b, "Normal NC");
	desc_memtype(0, 2, b, sizeof(b));
	CHECK_STR(b, "AttrIndx 2");
	/* Truncation never overflows and still terminates. */
	CHECK(desc_mair_attr(0xf4, b, 4) == 14 && strlen(b) == 3);
}

/*
 * D19 TCR_EL1, TCR_EL2, VTCR_EL2: TG0 [15:14] 00 4K, 01 64K, 10 16K, 11 reserved;
 * TG1 [31:30] 01 16K, 10 4K, 11 64K, 00 reserved; DS bit 59 (TCR_EL1 layout, also
 * TCR_EL2 with E2H = 1) or bit 32 (TCR_EL2 with E2H = 0, VTCR_EL2); SH0 [13:12],
 * SH1 [29:28].
 */
static void tcr_formats(void)
{
	struct desc_fmt f;
	struct fm_err err;
	unsigned sh = 9;

	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 0x80853519, 0, &f, &sh, &err) == 0);
	CHECK(f.regime == FM_REGIME_EL2 && f.granule == FM_GRANULE_4K && !f.lpa2);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 0x80853519 | (1u << 14), 0, &f, NULL, &err) == 0);
	CHECK(f.granule == FM_GRANULE_64K);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 0x80853519 | (2u << 14), 0, &f, NULL, &err) == 0);
	CHECK(f.granule == FM_GRANULE_16K);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 0x80853519 | (3u << 14), 0, &f, NULL, &err) == -1);
	CHECK(strstr(err.msg, "TCR_EL2.TG0") != NULL);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 0x80853519 | (1ull << 32), 0, &f, NULL, &err) == 0);
	CHECK(f.lpa2);
	/* Bit 59 is not DS in the E2H = 0 layout; bit 32 is not DS in the TCR_EL1 layout. */
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL2, 1ull << 59, 0, &f, NULL, &err) == 0 && !f.lpa2);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL20, 1ull << 32, 0, &f, NULL, &err) == 0 && !f.lpa2);
	/* DS = 1 with 64K contradicts itself: refused naming the fields. */
	CHECK(desc_fmt_from_tcr(FM_REGIME_S2, (1u << 14) | (1ull << 32), 0, &f, NULL, &err) == -1);
	CHECK(strstr(err.msg, "VTCR_EL2.DS") != NULL && strstr(err.msg, "TG0") != NULL);
	/* TTBR1 range: TG1 and SH1 */
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL1, 2ull << 30, 1, &f, NULL, &err) == 0);
	CHECK(f.granule == FM_GRANULE_4K);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL1, 1ull << 30, 1, &f, NULL, &err) == 0);
	CHECK(f.granule == FM_GRANULE_16K);
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL20, 0, 1, &f, NULL, &err) == -1);
	CHECK(strstr(err.msg, "TCR_EL2.TG1") != NULL);
	/* Debian trixie's 6.12 kernel under QEMU 10 (issue 16): TCR_EL1 and VTCR_EL2. */
	CHECK(desc_fmt_from_tcr(FM_REGIME_EL1, 0x095001f6b54c350cull, 1, &f, &sh, &err) == 0);
	CHECK(f.granule == FM_GRANULE_4K && f.lpa2 && sh == 3);
	CHECK(desc_fmt_from_tcr(FM_REGIME_S2, 0x1802e358cull, 0, &f, &sh, &err) == 0);
	CHECK(f.regime == FM_REGIME_S2 && f.granule == FM_GRANULE_4K && f.lpa2 && sh == 3);
	/* HCR_EL2.E2H (bit 34) picks the regime and so the TCR_EL2 layout. */
	CHECK(desc_fmt_el2(0, 0x80853519 | (1ull << 32), &f) == 0);
	CHECK(f.regime == FM_REGIME_EL2 && f.lpa2);
	CHECK(desc_fmt_el2(1ull << 34, (1ull << 59) | (2u << 14), &f) == 0);
	CHECK(f.regime == FM_REGIME_EL20 && f.lpa2 && f.granule == FM_GRANULE_16K);
}

/* The EL2&0 regime decodes like EL1&0 (D8.4.1.2): EL0 access, PXN and UXN, nG. */
static void el20_decode(void)
{
	struct desc_fmt f = desc_fmt_4k(FM_REGIME_EL20);
	struct desc d;
	char b[160];
	uint64_t t = 0x40002003ull | DESC_PXNTABLE | DESC_XNTABLE;

	CHECK(desc_decode_fmt(&f, 0x41000743ull | DESC_PXN | DESC_XN | DESC_NG, 3, &d) == 0);
	CHECK(d.kind == DESC_PAGE && d.regime == FM_REGIME_EL20);
	CHECK(d.pxn && d.uxn && d.ng && d.el0_rd && d.el0_wr && !d.x && !d.el0_x);
	desc_format_raw_fmt(&f, 0x41000743ull | DESC_PXN | DESC_XN | DESC_NG, 3, 0xff00, b,
			    sizeof(b));
	CHECK_STR(b, "USR RW NX SHD AF NG UXN DEVICE/nGnRnE");
	desc_format_raw_fmt(&f, t, 1, 0, b, sizeof(b));
	CHECK_STR(b, "TBL PXNT UXNT");
	/* Without VHE AP[1] is RES1 and bit 53 RES0: the same raw value reads differently. */
	CHECK(desc_decode(0x41000743ull | DESC_PXN, 3, FM_REGIME_EL2, &d) == 0);
	CHECK(!d.pxn && d.x && !d.el0_rd);
}

/*
 * LPA2 (D8.3.1, FEAT_LPA2): OA[49:12] in place and OA[51:50] in bits [9:8] for
 * tables and leaves; a 4K table at level -1 resolves VA[51:48]; blocks at L0 (4K)
 * and L1 (16K); the shareability is the TCR's.
 */
static void lpa2_decode(void)
{
	struct desc_fmt f4 = {.regime = FM_REGIME_EL1, .granule = FM_GRANULE_4K, .lpa2 = true};
	struct desc_fmt f16 = {.regime = FM_REGIME_S2, .granule = FM_GRANULE_16K, .lpa2 = true};
	struct desc d;
	char b[160];

	/* level -1 table to PA 0x0008_0000_4000_1000: bit 51 in descriptor bit 9 */
	CHECK(desc_decode_fmt(&f4, 0x0000000040001203ull, -1, &d) == 0);
	CHECK(d.kind == DESC_TABLE && d.level == -1);
	CHECK_EQ_U64(d.oa, 0x0008000040001000ull);
	CHECK_EQ_U64(d.size, 1ull << 48);
	CHECK(desc_decode_fmt(&f4, 0x0000000040000001ull, -1, &d) == 0 && d.kind == DESC_RESERVED);
	/* L0 block of 512 GiB with OA[51:50] = 0b01 */
	CHECK(desc_decode_fmt(&f4, 0x0000008000000501ull, 0, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.oa, 0x0004008000000000ull);
	CHECK_EQ_U64(d.size, 512ull << 30);
	/* A page: bits [9:8] are address bits, never SH; the TCR's SH0 is applied. */
	CHECK(desc_decode_fmt(&f4, 0x00400000410003c7ull, 3, &d) == 0 && d.kind == DESC_PAGE);
	CHECK_EQ_U64(d.oa, 0x000c000041000000ull);
	CHECK(d.sh == 0 && !d.sh_from_tcr && d.uxn && d.af == false);
	desc_set_tcr_sh(&d, DESC_SH_INNER);
	CHECK(d.sh == DESC_SH_INNER && d.sh_from_tcr);
	desc_format(&d, 0, b, sizeof(b));
	CHECK_STR(b, "USR ro SHD UXN ATTR1");
	/* 16K stage 2: L1 block of 64 GiB; L0 entries are tables only */
	CHECK(desc_decode_fmt(&f16, 0x00000010000004c1ull, 1, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.size, 64ull << 30);
	CHECK_EQ_U64(d.oa, 0x0000001000000000ull);
	CHECK(d.rd && d.wr && d.af);
	CHECK(desc_decode_fmt(&f16, 0x0000001000000001ull, 0, &d) == 0 && d.kind == DESC_RESERVED);
	CHECK(desc_decode_fmt(&f16, 0x3, -1, &d) == -1);
}

/* 16K and 64K granules without LPA2 (D8.3.1): address fields and block levels. */
static void granule_decode(void)
{
	struct desc_fmt f16 = {.regime = FM_REGIME_EL2, .granule = FM_GRANULE_16K, .lpa2 = false};
	struct desc_fmt f64 = {.regime = FM_REGIME_EL2, .granule = FM_GRANULE_64K, .lpa2 = false};
	struct desc d;

	/* 16K page: OA[47:14]; bits [13:12] are not address bits */
	CHECK(desc_decode_fmt(&f16, 0x0000000041007743ull, 3, &d) == 0 && d.kind == DESC_PAGE);
	CHECK_EQ_U64(d.oa, 0x41004000ull);
	CHECK_EQ_U64(d.size, 16384);
	CHECK(d.sh == DESC_SH_INNER && d.af && d.rd && d.wr);
	/* 16K: a block only at L2 (32 MiB) without LPA2 */
	CHECK(desc_decode_fmt(&f16, 0x0000000042000705ull, 2, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.size, 32ull << 20);
	CHECK_EQ_U64(d.oa, 0x42000000ull);
	CHECK(desc_decode_fmt(&f16, 0x0000001000000701ull, 1, &d) == 0 && d.kind == DESC_RESERVED);
	/* 16K L0 table (VA[47]) */
	CHECK(desc_decode_fmt(&f16, 0x0000000040004003ull, 0, &d) == 0 && d.kind == DESC_TABLE);
	CHECK_EQ_U64(d.size, 1ull << 47);
	/* 64K: OA[47:16], OA[51:48] in bits [15:12] (FEAT_LPA); no level 0 */
	CHECK(desc_decode_fmt(&f64, 0x0000000041011743ull, 3, &d) == 0 && d.kind == DESC_PAGE);
	CHECK_EQ_U64(d.oa, 0x0001000041010000ull);
	CHECK_EQ_U64(d.size, 65536);
	CHECK(desc_decode_fmt(&f64, 0x0000000060000705ull, 2, &d) == 0 && d.kind == DESC_BLOCK);
	CHECK_EQ_U64(d.size, 512ull << 20);
	CHECK(desc_decode_fmt(&f64, 0x0000000040010003ull, 1, &d) == 0 && d.kind == DESC_TABLE);
	CHECK_EQ_U64(d.size, 4ull << 40);
	CHECK(desc_decode_fmt(&f64, 0x3, 0, &d) == -1);
	CHECK(desc_fmt_entries(&f16) == 2048 && desc_fmt_entries(&f64) == 8192);
	CHECK(desc_fmt_level_shift(&f64, 2) == 29 && desc_fmt_level_shift(&f16, 2) == 25);
}

static void print_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct desc d;

	desc_decode(0x40000705, 2, FM_REGIME_EL2, &d);
	print_init(f, true);
	print_obj_begin(NULL);
	desc_print(&d, MAIR_EL2);
	print_obj_end();
	fclose(f);
	CHECK(strstr(buf, "\"kind\":\"block\"") != NULL);
	CHECK(strstr(buf, "\"oa\":\"0x40000000\"") != NULL);
	CHECK(strstr(buf, "\"memtype\":\"Normal WB\"") != NULL);
	CHECK(strstr(buf, "\"attrs\":\"RW SHD AF BLK MEM/NORMAL\"") != NULL);
	free(buf);
}


/* D8.2 and D8.3.1: sizes, block levels and output addresses of each format. */
static void formats(void)
{
	struct desc_fmt k4 = {FM_REGIME_EL2, FM_GRANULE_4K, false};
	struct desc_fmt k4l = {FM_REGIME_S2, FM_GRANULE_4K, true};
	struct desc_fmt k16 = {FM_REGIME_EL1, FM_GRANULE_16K, false};
	struct desc_fmt k16l = {FM_REGIME_EL1, FM_GRANULE_16K, true};
	struct desc_fmt k64 = {FM_REGIME_EL20, FM_GRANULE_64K, false};

	CHECK_EQ_U64(desc_fmt_level_size(&k4, 0), 1ull << 39);
	CHECK_EQ_U64(desc_fmt_level_size(&k4, 3), 4096);
	CHECK_EQ_U64(desc_fmt_level_size(&k4, -1), 0);
	CHECK_EQ_U64(desc_fmt_level_size(&k4l, -1), 1ull << 48);
	CHECK_EQ_U64(desc_fmt_level_size(&k16, 3), 16384);
	CHECK_EQ_U64(desc_fmt_level_size(&k16, 2), 32ull << 20);
	CHECK_EQ_U64(desc_fmt_level_size(&k16, 1), 64ull << 30);
	CHECK_EQ_U64(desc_fmt_level_size(&k16, 0), 128ull << 40);
	CHECK_EQ_U64(desc_fmt_level_size(&k64, 3), 65536);
	CHECK_EQ_U64(desc_fmt_level_size(&k64, 2), 512ull << 20);
	CHECK_EQ_U64(desc_fmt_level_size(&k64, 1), 4ull << 40);
	CHECK_EQ_U64(desc_fmt_level_size(&k64, 0), 0);
	CHECK(desc_fmt_min_level(&k4) == 0 && desc_fmt_min_level(&k4l) == -1);
	CHECK(desc_fmt_min_level(&k64) == 1);
	/* blocks */
	CHECK(!desc_fmt_is_valid(&k4, 0x40000001, 0) && desc_fmt_is_valid(&k4l, 0x40000001, 0));
	CHECK(desc_fmt_is_valid(&k4, 0x40000001, 1) && !desc_fmt_is_valid(&k4, 0x40000001, 3));
	CHECK(!desc_fmt_is_valid(&k16, 0x40000001, 1) && desc_fmt_is_valid(&k16l, 0x40000001, 1));
	CHECK(desc_fmt_is_table(&k4l, 0x40000003, -1) && !desc_fmt_is_table(&k4, 0x40000003, 3));
	/* LPA2: OA[51:50] in bits [9:8] */
	CHECK_EQ_U64(desc_fmt_oa(&k4l, 0x0000000041000303ull, 3), 0x000c000041000000ull);
	CHECK_EQ_U64(desc_fmt_oa(&k4l, 0x0000000040200101ull, 2), 0x0004000040200000ull);
	/* 16K: the low two bits of the 4K OA field are not address bits */
	CHECK_EQ_U64(desc_fmt_oa(&k16, 0x0000000041007003ull, 3), 0x41004000ull);
	/* 64K: OA[51:48] in bits [15:12] */
	CHECK_EQ_U64(desc_fmt_oa(&k64, 0x0000000041011003ull, 3), 0x0001000041010000ull);
	CHECK(desc_fmt_contig_entries(&k4, 3) == 16 && desc_fmt_contig_entries(&k16, 3) == 128);
	CHECK(desc_fmt_contig_entries(&k16, 2) == 32 && desc_fmt_contig_entries(&k64, 2) == 32);
	CHECK_STR(desc_granule_name(FM_GRANULE_16K), "16k");
	CHECK_STR(desc_regime_name(FM_REGIME_EL20), "el20");
}

int main(void)
{
	RUN(el2_page);
	RUN(types_per_level);
	RUN(table_attributes);
	RUN(el1_permissions);
	RUN(stage2);
	RUN(memtypes);
	RUN(tcr_formats);
	RUN(el20_decode);
	RUN(lpa2_decode);
	RUN(granule_decode);
	RUN(print_json);
	RUN(formats);
	return UNIT_EXIT();
}
