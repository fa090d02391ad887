/* SPDX-License-Identifier: MIT */
#include "desc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

uint64_t desc_level_size(unsigned level)
{
	/* 4K granule: each level resolves 9 bits above the 12-bit page offset (D8.2). */
	return level > 3 ? 0 : 1ull << (12 + 9 * (3 - level));
}

bool desc_is_valid(uint64_t raw, unsigned level)
{
	struct desc_fmt f = desc_fmt_4k(FM_REGIME_EL2);

	/* 0b01 is a block only at L1/L2 (no LPA2); reserved at L0 and L3 (D8.3.1). */
	return level <= 3 && desc_fmt_is_valid(&f, raw, (int)level);
}

unsigned desc_fmt_page_shift(const struct desc_fmt *f)
{
	return f->granule == FM_GRANULE_64K ? 16 : f->granule == FM_GRANULE_16K ? 14 : 12;
}

int desc_fmt_min_level(const struct desc_fmt *f)
{
	/* D8.2.7: 4K resolves up to 52 bits from level -1 with FEAT_LPA2; 16K from level 0
	 * (VA[51:47] with LPA2, VA[47] without); 64K from level 1 (VA[51:42]). */
	if (f->granule == FM_GRANULE_64K)
		return 1;
	return f->granule == FM_GRANULE_4K && f->lpa2 ? -1 : 0;
}

uint64_t desc_fmt_level_size(const struct desc_fmt *f, int level)
{
	unsigned s = desc_fmt_page_shift(f);

	if (level < desc_fmt_min_level(f) || level > 3)
		return 0;
	/* Each level resolves s - 3 bits above the page offset (D8.2). */
	return 1ull << (s + (s - 3) * (unsigned)(3 - level));
}

bool desc_fmt_block_ok(const struct desc_fmt *f, int level)
{
	/* D8.3.1: 4K blocks at L1 and L2 (L0 with LPA2); 16K at L2 (L1 with LPA2);
	 * 64K at L2, and at L1 with 52-bit output addresses (FEAT_LPA). */
	switch (f->granule) {
	case FM_GRANULE_16K:
		return level == 2 || (level == 1 && f->lpa2);
	case FM_GRANULE_64K:
		return level == 1 || level == 2;
	case FM_GRANULE_4K:
	default:
		return level == 1 || level == 2 || (level == 0 && f->lpa2);
	}
}

bool desc_fmt_is_valid(const struct desc_fmt *f, uint64_t raw, int level)
{
	if (!(raw & DESC_VALID) || level < desc_fmt_min_level(f) || level > 3)
		return false;
	if (!(raw & DESC_TYPE_TABLE))
		return desc_fmt_block_ok(f, level);
	/* 0b11 at level -1 is a table; the last level has no tables, 0b11 is a page. */
	return true;
}

bool desc_fmt_is_table(const struct desc_fmt *f, uint64_t raw, int level)
{
	return level < 3 && (raw & 3) == 3 && desc_fmt_is_valid(f, raw, level);
}

uint64_t desc_fmt_oa_bits(const struct desc_fmt *f)
{
	uint64_t lo = ~0ull << desc_fmt_page_shift(f);

	if (f->granule == FM_GRANULE_64K) /* OA[51:48] in [15:12], OA[47:16] */
		return (0x0000ffffffff0000ull & lo) | 0xf000ull;
	if (f->lpa2) /* OA[49:12|14] in place, OA[51:50] in [9:8] */
		return (0x0003fffffffff000ull & lo) | 0x300ull;
	return 0x0000fffffffff000ull & lo;
}

uint64_t desc_fmt_oa(const struct desc_fmt *f, uint64_t raw, int level)
{
	uint64_t oa, gmask = ~0ull << desc_fmt_page_shift(f);

	if (f->granule == FM_GRANULE_64K)
		oa = (raw & 0x0000ffffffff0000ull) | ((raw >> 12) & 0xfull) << 48;
	else if (f->lpa2)
		oa = (raw & 0x0003fffffffff000ull & gmask) | ((raw >> 8) & 3ull) << 50;
	else
		oa = raw & 0x0000fffffffff000ull & gmask;
	if (!desc_fmt_is_table(f, raw, level)) {
		uint64_t sz = desc_fmt_level_size(f, level);
		if (sz)
			oa &= ~(sz - 1);
	}
	return oa;
}

unsigned desc_fmt_contig_entries(const struct desc_fmt *f, int level)
{
	/* D8.7.1 (Contiguous bit): 4K: 16 at L1-L3; 16K: 32 at L2, 128 at L3;
	 * 64K: 32 at L2 and L3. */
	switch (f->granule) {
	case FM_GRANULE_16K:
		return level == 3 ? 128 : level == 2 ? 32 : 0;
	case FM_GRANULE_64K:
		return level == 2 || level == 3 ? 32 : 0;
	case FM_GRANULE_4K:
	default:
		return level >= 1 && level <= 3 ? 16 : 0;
	}
}

const char *desc_granule_name(enum fm_granule g)
{
	return g == FM_GRANULE_64K ? "64k" : g == FM_GRANULE_16K ? "16k" : "4k";
}

const char *desc_kind_name(enum desc_kind k)
{
	switch (k) {
	case DESC_TABLE:
		return "table";
	case DESC_BLOCK:
		return "block";
	case DESC_PAGE:
		return "page";
	case DESC_RESERVED:
		return "reserved";
	case DESC_INVALID:
		break;
	}
	return "invalid";
}

const char *desc_regime_name(enum fm_regime r)
{
	switch (r) {
	case FM_REGIME_EL1:
		return "el1";
	case FM_REGIME_S2:
		return "s2";
	case FM_REGIME_EL20:
		return "el20";
	case FM_REGIME_EL2:
		break;
	}
	return "el2";
}

struct desc_fmt desc_fmt_4k(enum fm_regime regime)
{
	struct desc_fmt f = {.regime = regime, .granule = FM_GRANULE_4K, .lpa2 = false};

	return f;
}

unsigned desc_fmt_entries(const struct desc_fmt *f)
{
	return 1u << (desc_fmt_page_shift(f) - 3);
}

unsigned desc_fmt_level_shift(const struct desc_fmt *f, int level)
{
	unsigned s = desc_fmt_page_shift(f);

	/* Each level resolves s - 3 bits above the page offset (D8.2). */
	return s + (s - 3) * (unsigned)(3 - level);
}

/* Regimes with two privilege levels: AP[1] is EL0 access, PXN and UXN (D8.4.1.2). */
static bool two_levels(enum fm_regime r)
{
	return r == FM_REGIME_EL1 || r == FM_REGIME_EL20;
}

int desc_decode_fmt(const struct desc_fmt *f, uint64_t raw, int level, struct desc *d)
{
	enum fm_regime regime = f->regime;

	memset(d, 0, sizeof(*d));
	d->raw = raw;
	d->level = level;
	d->regime = regime;
	d->granule = f->granule;
	d->lpa2 = f->lpa2;
	if ((unsigned)regime >= FM_NREGIMES || (unsigned)f->granule > FM_GRANULE_64K)
		return -1;
	d->size = desc_fmt_level_size(f, level);
	if (!d->size)
		return -1;
	if (!(raw & DESC_VALID)) {
		d->kind = DESC_INVALID;
		return 0;
	}
	if (!desc_fmt_is_valid(f, raw, level)) {
		d->kind = DESC_RESERVED;
		return 0;
	}
	d->oa = desc_fmt_oa(f, raw, level);
	if (raw & DESC_TYPE_TABLE) {
		if (level < 3) {
			/* Table descriptor (D8.3.1): next-level address and hierarchical
			 * attributes (stage 1 only; PXNTable RES0 at EL2 without VHE). */
			d->kind = DESC_TABLE;
			if (regime != FM_REGIME_S2) {
				d->pxntable = two_levels(regime) && (raw & DESC_PXNTABLE);
				d->xntable = !!(raw & DESC_XNTABLE);
				d->aptable = (unsigned)DESC_APTABLE(raw);
				d->nstable = !!(raw & DESC_NSTABLE);
			}
			return 0;
		}
		d->kind = DESC_PAGE;
	} else {
		d->kind = DESC_BLOCK;
		d->nt = !!(raw & DESC_NT);
	}
	/* With LPA2, bits [9:8] are OA[51:50]; the shareability is the TCR's (D8.6.2),
	 * set by desc_set_tcr_sh(). */
	if (!f->lpa2)
		d->sh = (unsigned)DESC_SH(raw);
	d->af = !!(raw & DESC_AF);
	d->gp = regime != FM_REGIME_S2 && (raw & DESC_GP);
	d->dbm = !!(raw & DESC_DBM);
	d->contig = !!(raw & DESC_CONT);
	d->sw = (unsigned)((raw & DESC_SW_MASK) >> 55);
	d->ap = (unsigned)((raw >> 6) & 3);
	switch (regime) {
	case FM_REGIME_EL2:
		/* One privilege level (D8.4.1.1): AP[1] RES1, AP[2] read-only; PXN RES0, XN at 54.
		 */
		d->attrindx = (unsigned)DESC_ATTRINDX(raw);
		d->ns = !!(raw & DESC_NS);
		d->ng = !!(raw & DESC_NG);
		d->uxn = !!(raw & DESC_XN);
		d->rd = true;
		d->wr = !(raw & DESC_AP2);
		d->x = !d->uxn;
		break;
	case FM_REGIME_EL1:
	case FM_REGIME_EL20:
		/* Two privilege levels: AP[2:1] (D8.4.1.2), PXN and UXN (D8.4.2); the
		 * EL2&0 regime (E2H = 1) uses the EL1&0 stage-1 layout. */
		d->attrindx = (unsigned)DESC_ATTRINDX(raw);
		d->ns = !!(raw & DESC_NS);
		d->ng = !!(raw & DESC_NG);
		d->pxn = !!(raw & DESC_PXN);
		d->uxn = !!(raw & DESC_XN);
		d->rd = true;
		d->wr = !(raw & DESC_AP2);
		d->el0_rd = !!(raw & DESC_AP1);
		d->el0_wr = d->ap == 1;
		/* Memory writable at EL0 is never executable at EL1 (D8.4.2.1). */
		d->x = !d->pxn && !d->el0_wr;
		d->el0_x = !d->uxn;
		break;
	case FM_REGIME_S2:
		/* Stage 2 (D8.3.2, D8.4.3): MemAttr[5:2], S2AP[7:6] = {W, R}, XN[54:53]. */
		d->memattr = (unsigned)DESC_S2_MEMATTR(raw);
		d->ng = !!(raw & DESC_NG); /* FnXS (FEAT_XS) */
		d->xn = (unsigned)((raw >> 53) & 3);
		d->rd = d->el0_rd = !!(d->ap & 1);
		d->wr = d->el0_wr = !!(d->ap & 2);
		/* XN[1:0] with FEAT_XNX: 00 both, 01 EL0 only, 10 none, 11 EL1 only. */
		d->x = d->xn == 0 || d->xn == 3;
		d->el0_x = d->xn == 0 || d->xn == 1;
		break;
	}
	return 0;
}

int desc_decode(uint64_t raw, unsigned level, enum fm_regime regime, struct desc *d)
{
	struct desc_fmt f = desc_fmt_4k(regime);

	if (level > 3) {
		memset(d, 0, sizeof(*d));
		d->raw = raw;
		d->level = (int)(level & 0xff);
		d->regime = regime;
		return -1;
	}
	return desc_decode_fmt(&f, raw, (int)level, d);
}

/* Append to a bounded buffer; *len keeps counting past n like snprintf. */
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(*len < n ? buf + *len : NULL, *len < n ? n - *len : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		*len += (size_t)r;
}

static const char *cache_name(unsigned c)
{
	/* Normal memory cacheability of a MAIR nibble (D19 MAIR_EL2.Attr<n>). */
	if (c == 4)
		return "NC";
	if (c >= 8)
		return c >= 12 ? "WB" : "WT";
	return c & 4 ? "WBt" : "WTt"; /* 00RW / 01RW, RW != 00: transient */
}

size_t desc_mair_attr(unsigned attr, char *buf, size_t n)
{
	size_t len = 0;
	unsigned hi = (attr >> 4) & 0xf, lo = attr & 0xf;

	if (n)
		buf[0] = '\0';
	if (hi == 0) {
		/* Device memory: Attr[3:2] selects G/R/E; Attr[1:0] must be 0 (XS variants aside).
		 */
		static const char *const dev[] = {"nGnRnE", "nGnRE", "nGRE", "GRE"};
		if (lo & 3)
			add(buf, n, &len, "Device-%s (0x%02x)", dev[lo >> 2], attr & 0xffu);
		else
			add(buf, n, &len, "Device-%s", dev[lo >> 2]);
		return len;
	}
	if (attr == 0xf0)
		return (add(buf, n, &len, "Normal-Tagged WB"), len); /* FEAT_MTE2 */
	if (lo == 0) {
		/* 0x40 and 0xa0 are Normal with XS = 0 (FEAT_XS); others UNPREDICTABLE. */
		if (attr == 0x40 || attr == 0xa0)
			add(buf, n, &len, "Normal %s XS0", hi == 4 ? "NC" : "WT");
		else
			add(buf, n, &len, "Reserved (0x%02x)", attr & 0xffu);
		return len;
	}
	if (!strcmp(cache_name(hi), cache_name(lo)))
		add(buf, n, &len, "Normal %s", cache_name(hi));
	else
		add(buf, n, &len, "Normal o%s i%s", cache_name(hi), cache_name(lo));
	return len;
}

size_t desc_memtype(uint64_t mair, unsigned attrindx, char *buf, size_t n)
{
	size_t len = 0;

	if (n)
		buf[0] = '\0';
	if (!mair) {
		add(buf, n, &len, "AttrIndx %u", attrindx & 7);
		return len;
	}
	return desc_mair_attr((unsigned)(mair >> (8 * (attrindx & 7))) & 0xff, buf, n);
}

/* Stage-2 MemAttr[3:0] with FWB off (D8.5.5) as a MAIR-style byte, then the same names. */
static unsigned s2_as_mair(unsigned m)
{
	static const unsigned cache[4] = {0, 4, 0xa, 0xf}; /* -, NC, WT, WB (non-transient) */

	if ((m >> 2) == 0)
		return (m & 3) << 2; /* Device: MemAttr[1:0] = nGnRnE, nGnRE, nGRE, GRE */
	if ((m & 3) == 0)
		return 0x100; /* reserved combination */
	return cache[m >> 2] << 4 | cache[m & 3];
}

size_t desc_leaf_memtype(const struct desc *d, uint64_t mair, char *buf, size_t n)
{
	size_t len = 0;

	if (d->regime == FM_REGIME_S2) {
		unsigned a = s2_as_mair(d->memattr);
		if (a == 0x100) {
			if (n)
				buf[0] = '\0';
			add(buf, n, &len, "Reserved (MemAttr 0x%x)", d->memattr);
			return len;
		}
		return desc_mair_attr(a, buf, n);
	}
	return desc_memtype(mair, d->attrindx, buf, n);
}

/* ptdump word for a memory type: "MEM/NORMAL", "MEM/NORMAL-NC", "DEVICE/nGnRE". */
static void memtype_word(const struct desc *d, uint64_t mair, char *buf, size_t n, size_t *len)
{
	char mt[48];

	if (d->regime != FM_REGIME_S2 && !mair) {
		add(buf, n, len, " ATTR%u", d->attrindx);
		return;
	}
	desc_leaf_memtype(d, mair, mt, sizeof(mt));
	if (!strncmp(mt, "Device-", 7))
		add(buf, n, len, " DEVICE/%s", mt + 7);
	else if (!strcmp(mt, "Normal WB"))
		add(buf, n, len, " MEM/NORMAL");
	else if (!strcmp(mt, "Normal-Tagged WB"))
		add(buf, n, len, " MEM/NORMAL-TAGGED");
	else if (!strncmp(mt, "Normal ", 7)) {
		add(buf, n, len, " MEM/NORMAL-");
		for (const char *p = mt + 7; *p; p++)
			add(buf, n, len, "%c", *p == ' ' ? '-' : *p);
	} else if (d->regime == FM_REGIME_S2)
		add(buf, n, len, " MEMATTR=0x%x", d->memattr);
	else
		add(buf, n, len, " ATTR%u=0x%02x", d->attrindx,
		    (unsigned)(mair >> (8 * d->attrindx)) & 0xffu);
}

size_t desc_format(const struct desc *d, uint64_t mair, char *buf, size_t n)
{
	size_t len = 0;

	if (n)
		buf[0] = '\0';
	switch (d->kind) {
	case DESC_INVALID:
		add(buf, n, &len, "invalid");
		return len;
	case DESC_RESERVED:
		add(buf, n, &len, "reserved");
		return len;
	case DESC_TABLE:
		add(buf, n, &len, "TBL");
		if (d->pxntable)
			add(buf, n, &len, " PXNT");
		if (d->xntable)
			add(buf, n, &len, two_levels(d->regime) ? " UXNT" : " XNT");
		if (d->aptable)
			add(buf, n, &len, " APT=%u", d->aptable);
		if (d->nstable)
			add(buf, n, &len, " NST");
		return len;
	case DESC_BLOCK:
	case DESC_PAGE:
		break;
	}
	/* Order after Linux ptdump: USR ro/RW NX SHD AF NG CON BLK UXN DBM GP NT NS MEM SW. */
	if (d->regime == FM_REGIME_S2) {
		static const char *const s2ap[] = {"NOACC", "ro", "wo", "RW"};
		static const char *const xn[] = {"", " UXN", " NX", " PXN"};
		/* XN[1:0] 01: EL1 may not execute (PXN); 11: EL0 may not (UXN); 10: neither. */
		static const unsigned xnmap[] = {0, 3, 2, 1};
		add(buf, n, &len, "%s%s", s2ap[d->ap & 3], xn[xnmap[d->xn & 3]]);
	} else {
		if (two_levels(d->regime) && (d->raw & DESC_AP1))
			add(buf, n, &len, "USR ");
		add(buf, n, &len, "%s", d->raw & DESC_AP2 ? "ro" : "RW");
		if (d->regime == FM_REGIME_EL2 ? d->uxn : d->pxn)
			add(buf, n, &len, " NX");
	}
	switch (d->sh) {
	case DESC_SH_INNER:
		add(buf, n, &len, " SHD");
		break;
	case DESC_SH_OUTER:
		add(buf, n, &len, " OSH");
		break;
	case DESC_SH_RESERVED:
		add(buf, n, &len, " SH=1");
		break;
	default:
		add(buf, n, &len, " NSH");
	}
	if (d->af)
		add(buf, n, &len, " AF");
	if (d->ng)
		add(buf, n, &len, d->regime == FM_REGIME_S2 ? " FNXS" : " NG");
	if (d->contig)
		add(buf, n, &len, " CON");
	if (d->kind == DESC_BLOCK)
		add(buf, n, &len, " BLK");
	if (two_levels(d->regime) && d->uxn)
		add(buf, n, &len, " UXN");
	if (d->dbm)
		add(buf, n, &len, " DBM");
	if (d->gp)
		add(buf, n, &len, " GP");
	if (d->nt)
		add(buf, n, &len, " NT");
	if (d->ns)
		add(buf, n, &len, " NS");
	memtype_word(d, mair, buf, n, &len);
	if (d->sw)
		add(buf, n, &len, " SW=%#x", d->sw);
	return len;
}

size_t desc_format_raw_fmt(const struct desc_fmt *f, uint64_t raw, int level, uint64_t mair,
			   char *buf, size_t n)
{
	struct desc d;

	if (desc_decode_fmt(f, raw, level, &d) < 0) {
		if (n)
			snprintf(buf, n, "bad level %d", level);
		return n ? strlen(buf) : 0;
	}
	return desc_format(&d, mair, buf, n);
}

size_t desc_format_raw(uint64_t raw, unsigned level, enum fm_regime regime, uint64_t mair,
		       char *buf, size_t n)
{
	struct desc_fmt f = desc_fmt_4k(regime);

	if (level > 3) {
		if (n)
			snprintf(buf, n, "bad level %u", level);
		return n ? strlen(buf) : 0;
	}
	return desc_format_raw_fmt(&f, raw, (int)level, mair, buf, n);
}

void desc_print(const struct desc *d, uint64_t mair)
{
	char attrs[160], mt[48];

	desc_format(d, mair, attrs, sizeof(attrs));
	print_hex("raw", "%#018" PRIx64, d->raw);
	print_str("kind", " %-5s", desc_kind_name(d->kind));
	print_int("level", NULL, d->level);
	print_str("granule", NULL, desc_granule_name(d->granule));
	print_bool("lpa2", NULL, d->lpa2);
	if (d->kind == DESC_INVALID || d->kind == DESC_RESERVED) {
		print_str("attrs", NULL, attrs);
		return;
	}
	print_hex("oa", " oa=%#" PRIx64, d->oa);
	print_uint("size", NULL, d->size);
	if (d->kind == DESC_TABLE) {
		print_bool("pxntable", NULL, d->pxntable);
		print_bool("xntable", NULL, d->xntable);
		print_uint("aptable", NULL, d->aptable);
		print_bool("nstable", NULL, d->nstable);
		print_str("attrs", " %s", attrs);
		return;
	}
	desc_leaf_memtype(d, mair, mt, sizeof(mt));
	if (d->regime == FM_REGIME_S2)
		print_uint("memattr", NULL, d->memattr);
	else
		print_uint("attrindx", NULL, d->attrindx);
	print_str("memtype", NULL, mt);
	print_uint("sh", NULL, d->sh);
	if (d->sh_from_tcr)
		print_bool("sh_from_tcr", NULL, true);
	print_uint(d->regime == FM_REGIME_S2 ? "s2ap" : "ap", NULL, d->ap);
	print_bool("af", NULL, d->af);
	print_bool(d->regime == FM_REGIME_S2 ? "fnxs" : "ng", NULL, d->ng);
	print_bool("contiguous", NULL, d->contig);
	print_bool("dbm", NULL, d->dbm);
	print_bool("nt", NULL, d->nt);
	if (d->regime == FM_REGIME_S2)
		print_uint("xn", NULL, d->xn);
	else {
		print_bool("pxn", NULL, d->pxn);
		print_bool(two_levels(d->regime) ? "uxn" : "xn", NULL, d->uxn);
	}
	print_uint("sw", NULL, d->sw);
	print_bool("read", NULL, d->rd);
	print_bool("write", NULL, d->wr);
	print_bool("exec", NULL, d->x);
	print_str("attrs", " %s", attrs);
}

int desc_fmt_el2(uint64_t hcr, uint64_t tcr, struct desc_fmt *f)
{
	struct fm_err err;
	/* HCR_EL2.E2H, bit 34: TCR_EL2 has the TCR_EL1 layout (D19 TCR_EL2). */
	enum fm_regime r = (hcr >> 34) & 1 ? FM_REGIME_EL20 : FM_REGIME_EL2;

	if (desc_fmt_from_tcr(r, tcr, 0, f, NULL, &err)) {
		*f = desc_fmt_4k(r);
		return -1;
	}
	return 0;
}

struct desc_fmt desc_fmt_of_table(const struct fm_table_decl *t)
{
	struct desc_fmt f = {.regime = (enum fm_regime)t->regime,
			     .granule = (enum fm_granule)t->granule,
			     .lpa2 = t->lpa2};

	return f;
}

const char *desc_tcr_name(enum fm_regime regime)
{
	return regime == FM_REGIME_EL1 ? "TCR_EL1" : regime == FM_REGIME_S2 ? "VTCR_EL2" : "TCR_EL2";
}

void desc_set_tcr_sh(struct desc *d, unsigned sh)
{
	if (d->lpa2 && (d->kind == DESC_BLOCK || d->kind == DESC_PAGE)) {
		d->sh = sh & 3;
		d->sh_from_tcr = true;
	}
}

int desc_fmt_from_tcr(enum fm_regime regime, uint64_t tcr, int ttbr1, struct desc_fmt *f,
		      unsigned *sh, struct fm_err *err)
{
	const char *reg = desc_tcr_name(regime);
	bool two = two_levels(regime);
	unsigned tg;

	memset(f, 0, sizeof(*f));
	if ((unsigned)regime >= FM_NREGIMES)
		return fm_err_set(err, "unknown translation regime %d", (int)regime);
	f->regime = regime;
	/* TG0 [15:14]: 00 4K, 01 64K, 10 16K, 11 reserved; TG1 [31:30] (TCR_EL1, and TCR_EL2
	 * with E2H = 1): 01 16K, 10 4K, 11 64K, 00 reserved (D19 TCR_EL1, TCR_EL2, VTCR_EL2). */
	if (two && ttbr1) {
		static const int tg1[4] = {-1, FM_GRANULE_16K, FM_GRANULE_4K, FM_GRANULE_64K};

		tg = (unsigned)(tcr >> 30) & 3;
		if (tg1[tg] < 0)
			return fm_err_set(err, "%s.TG1 = 0 is a reserved granule encoding", reg);
		f->granule = (enum fm_granule)tg1[tg];
		if (sh)
			*sh = (unsigned)(tcr >> 28) & 3; /* SH1 */
	} else {
		static const int tg0[4] = {FM_GRANULE_4K, FM_GRANULE_64K, FM_GRANULE_16K, -1};

		tg = (unsigned)(tcr >> 14) & 3;
		if (tg0[tg] < 0)
			return fm_err_set(err, "%s.TG0 = 3 is a reserved granule encoding", reg);
		f->granule = (enum fm_granule)tg0[tg];
		if (sh)
			*sh = (unsigned)(tcr >> 12) & 3; /* SH0 */
	}
	/* DS (FEAT_LPA2): bit 59 in the TCR_EL1 layout (TCR_EL1, TCR_EL2 with E2H = 1);
	 * bit 32 in TCR_EL2 (E2H = 0) and VTCR_EL2. */
	f->lpa2 = two ? (tcr >> 59) & 1 : (tcr >> 32) & 1;
	if (f->lpa2 && f->granule == FM_GRANULE_64K)
		return fm_err_set(err,
				  "%s.DS = 1 with the 64K granule (%s): 52-bit LPA2 descriptors are "
				  "defined for the 4K and 16K granules only",
				  reg, two && ttbr1 ? "TG1" : "TG0");
	return 0;
}
