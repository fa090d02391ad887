/* SPDX-License-Identifier: MIT */
/* The table walker over tables built in a buffer behind a tiny in-test target. */
#include <stdlib.h>

#include "unit.h"
#include "walk.h"

/* ---- a target over a buffer of "physical memory" at BASE ---- */

#define BASE 0x40000000ull
#define MEMSZ (1u << 20) /* room for 16 64K tables */

struct buftgt {
	struct target t;
	uint64_t mem[MEMSZ / 8];
	unsigned batches;
};

static int buf_read(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	struct buftgt *b = (struct buftgt *)t;

	b->batches++;
	for (size_t i = 0; i < n; i++) {
		if (iov[i].pa < BASE || iov[i].pa - BASE > MEMSZ || iov[i].len > MEMSZ - (iov[i].pa - BASE))
			return fm_err_set(err, "pa %#" PRIx64 " out of range", iov[i].pa);
		memcpy(iov[i].buf, (char *)b->mem + (iov[i].pa - BASE), iov[i].len);
	}
	return 0;
}

static void buf_close(struct target *t)
{
	(void)t;
}

static const struct target_ops buf_ops = {.kind = "buf", .read_phys = buf_read, .close = buf_close};

static struct buftgt *tgt_new(void)
{
	struct buftgt *b = calloc(1, sizeof(*b));

	b->t.ops = &buf_ops;
	return b;
}

/* Page p of the buffer as a table. */
#define PG(p) (BASE + (uint64_t)(p) * 4096)
static void set(struct buftgt *b, unsigned page, unsigned idx, uint64_t v)
{
	b->mem[page * 512 + idx] = v;
}

#define TABLE(p) (PG(p) | 3)
#define AF (1ull << 10)
#define BLOCK(pa, attr) ((pa) | AF | (attr) | 1)
#define PAGE(pa, attr) ((pa) | AF | (attr) | 3)

/* MAIR 0xff00 (Attr0 device, Attr1 normal WB); TCR_EL2 T0SZ=25 PS=48 4K. */
#define TCR_EL2_39 0x80853519ull

/* ---- visitor that records what it sees ---- */

struct rec {
	unsigned n, nleaf, ntable, ninv;
	struct walk_entry e[64];
	int stop_after;
};

static int rec_add(struct rec *r, const struct walk_entry *e)
{
	if (r->n < 64)
		r->e[r->n] = *e;
	r->n++;
	if (r->stop_after && (int)r->n >= r->stop_after)
		return 1;
	return 0;
}

static int on_leaf(const struct walk_entry *e, void *arg)
{
	struct rec *r = arg;

	r->nleaf++;
	return rec_add(r, e);
}

static int on_table(const struct walk_entry *e, void *arg)
{
	struct rec *r = arg;

	r->ntable++;
	return rec_add(r, e);
}

static int on_inv(const struct walk_entry *e, void *arg)
{
	(void)e;
	((struct rec *)arg)->ninv++;
	return 0;
}

static const struct walk_visitor recv = {.leaf = on_leaf, .table = on_table, .invalid = on_inv};

/* ---- configuration from registers ---- */

static void cfg_el2_start_levels(void)
{
	struct walk_cfg c;
	struct fm_err err;

	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40001000, TCR_EL2_39, 0xff00, 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 1);
	CHECK_EQ_U64(c.nentries, 512);
	CHECK_EQ_U64(c.ia_bits, 39);
	CHECK_EQ_U64(c.pa_bits, 48);
	CHECK_EQ_U64(c.va_hi, (1ull << 39) - 1);
	CHECK_EQ_U64(c.root, 0x40001000);
	/* T0SZ 16: 48 bits, level 0 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40001000, (TCR_EL2_39 & ~63ull) | 16, 0, 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 0);
	/* T0SZ 24: 40 bits, level 0 with 2 entries */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40001000, (TCR_EL2_39 & ~63ull) | 24, 0, 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 0);
	CHECK_EQ_U64(c.nentries, 2);
	/* T0SZ 34: 30 bits, level 2 with 512 entries; PS=0 -> 32 bits */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40001000, 34, 0, 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 2);
	CHECK_EQ_U64(c.nentries, 512);
	CHECK_EQ_U64(c.pa_bits, 32);
	/* T0SZ 32: 32 bits, level 1 with 4 entries, base aligned to 64 bytes */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40001047, 32, 0, 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 1);
	CHECK_EQ_U64(c.nentries, 4);
	CHECK_EQ_U64(c.root, 0x40001040);
}

static void cfg_refuses(void)
{
	struct walk_cfg c;
	struct fm_err err = {{0}};

	/* reserved granule encodings: TG0 = 3, TG1 = 0 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, TCR_EL2_39 | (3u << 14), 0, 0, &c, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL2.TG0"));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, 0, 16 << 16, 0, 1, &c, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL1.TG1"));
	/* DS = 1 with the 64K granule */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, TCR_EL2_39 | (1u << 14) | (1ull << 32), 0, 0, &c,
				 &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL2.DS"));
	/* TxSZ out of range for the granule: 52 bits need LPA2 (4K, 16K) */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, (TCR_EL2_39 & ~63ull) | 12, 0, 0, &c, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL2.T0SZ = 12"));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, (TCR_EL2_39 & ~63ull) | 50, 0, 0, &c, &err) < 0);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, 0, (2ull << 30) | (11u << 16), 0, 1, &c, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL1.T1SZ = 11"));
	/* 64K: at most 47 (FEAT_TTST), 52-bit allowed */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, 48 | (1u << 14), 0, 0, &c, &err) < 0);
	CHECK(strstr(err.msg, "T0SZ = 48"));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, 12 | (1u << 14), 0, 0, &c, &err) == 0);
	/* TTBR1 only at el1 and el20 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0, TCR_EL2_39, 0, 1, &c, &err) < 0);
	/* base beyond the PA size (PS = 0: 32 bits) */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x140000000ull, 25, 0, 0, &c, &err) < 0);
	CHECK(strstr(err.msg, "address size"));
}

static void cfg_el1_ttbr1_asid(void)
{
	struct walk_cfg c;
	struct fm_err err;
	/* Linux-like TCR_EL1: T0SZ=T1SZ=16, TG1=4K, IPS=48, EPD0 set */
	uint64_t tcr = 16 | (1u << 7) | (16u << 16) | (2ull << 30) | (5ull << 32);

	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, 0x00a5000040002001ull, tcr, 0, 1, &c, &err) == 0);
	CHECK_EQ_U64(c.root, 0x40002000);
	CHECK_EQ_U64(c.asid, 0xa5);
	CHECK_EQ_U64(c.va_lo, 0xffff000000000000ull);
	CHECK_EQ_U64(c.va_hi, ~0ull);
	CHECK_EQ_U64(c.start_level, 0);
	CHECK(!c.disabled);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, 0x40002000, tcr, 0, 0, &c, &err) == 0);
	CHECK(c.disabled); /* EPD0 */
}

static void cfg_s2_concatenated(void)
{
	struct walk_cfg c;
	struct fm_err err = {{0}};

	/* 40-bit IPA, SL0 = 1 (level 1): two concatenated level-1 tables */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x0001000040002000ull, 24 | (1u << 6) | (5u << 16), 0,
				 0, &c, &err) == 0);
	CHECK_EQ_U64(c.start_level, 1);
	CHECK_EQ_U64(c.nentries, 1024);
	CHECK_EQ_U64(c.root, 0x40002000);
	CHECK_EQ_U64(c.asid, 1); /* VMID */
	/* 48-bit IPA, SL0 = 2 (level 0) */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x40002000, 16 | (2u << 6) | (5u << 16), 0, 0, &c,
				 &err) == 0);
	CHECK_EQ_U64(c.start_level, 0);
	CHECK_EQ_U64(c.nentries, 512);
	/* 43-bit IPA at level 1: 16 tables */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x40000000, 21 | (1u << 6) | (5u << 16), 0, 0, &c,
				 &err) == 0);
	CHECK_EQ_U64(c.nentries, 16 * 512);
	/* 48-bit IPA at level 1 would need 512 tables: refused */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x40000000, 16 | (1u << 6) | (5u << 16), 0, 0, &c,
				 &err) < 0);
	CHECK(strstr(err.msg, "SL0"));
	/* 30-bit IPA at level 0: nothing for level 0 to resolve */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x40000000, 34 | (2u << 6), 0, 0, &c, &err) < 0);
}

/* ---- walks ---- */

/*
 * EL2, 39-bit: root at page 1 (level 1)
 *   [1] -> table page 2 (level 2): [0] block 2M at 0x40200000 (ro, XN)
 *                                   [1] -> table page 3 (level 3): [0] page, [2] page
 *   [2] 1G block at 0x80000000 (device)
 */
static void build_el2(struct buftgt *b)
{
	set(b, 1, 1, TABLE(2) | (1ull << 60)); /* XNTable */
	set(b, 1, 2, BLOCK(0x80000000ull, 0));
	set(b, 2, 0, BLOCK(0x40200000ull, (1u << 2) | (1u << 7) | (1ull << 54)));
	set(b, 2, 1, TABLE(3));
	set(b, 3, 0, PAGE(0x41000000ull, 1u << 2));
	set(b, 3, 2, PAGE(0x41005000ull, 1u << 2));
}

static void walk_el2_order_and_fields(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err;
	struct walk_stats st;

	build_el2(b);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), TCR_EL2_39, 0xff00, 0, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.ntable, 2);
	CHECK_EQ_U64(r.nleaf, 4);
	CHECK_EQ_U64(r.ninv, 512 - 2 + 512 - 2 + 512 - 2);
	/* order: table L1[1], block L2[0], table L2[1], page, page, block L1[2] */
	CHECK_EQ_U64(r.e[0].va, 1ull << 30);
	CHECK_EQ_U64(r.e[0].kind, DESC_TABLE);
	CHECK_EQ_U64(r.e[0].oa, PG(2));
	CHECK_EQ_U64(r.e[0].ptep, PG(1) + 8);
	CHECK_EQ_U64(r.e[1].kind, DESC_BLOCK);
	CHECK_EQ_U64(r.e[1].level, 2);
	CHECK_EQ_U64(r.e[1].va, 1ull << 30);
	CHECK_EQ_U64(r.e[1].size, 2ull << 20);
	CHECK_EQ_U64(r.e[1].oa, 0x40200000);
	CHECK(r.e[1].inherit.xn_table);
	CHECK_EQ_U64(r.e[3].kind, DESC_PAGE);
	CHECK_EQ_U64(r.e[3].va, (1ull << 30) + (2ull << 20));
	CHECK_EQ_U64(r.e[3].ptep, PG(3));
	CHECK_EQ_U64(r.e[3].table_pa, PG(3));
	CHECK_EQ_U64(r.e[4].va, (1ull << 30) + (2ull << 20) + 0x2000);
	CHECK_EQ_U64(r.e[4].oa, 0x41005000);
	CHECK_EQ_U64(r.e[4].index, 2);
	CHECK(r.e[4].inherit.xn_table);
	CHECK_EQ_U64(r.e[5].va, 2ull << 30);
	CHECK_EQ_U64(r.e[5].size, 1ull << 30);
	CHECK(!r.e[5].inherit.xn_table);
	/* one batch per level: root, level 2, level 3 */
	walk_last_stats(&st);
	CHECK_EQ_U64(st.tables, 3);
	CHECK_EQ_U64(st.batches, 3);
	CHECK_EQ_U64(b->batches, 3);
	free(b);
}

static void walk_range_clips(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err;

	build_el2(b);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), TCR_EL2_39, 0xff00, 0, &c, &err) == 0);
	/* only the second page */
	CHECK(walk_range(&b->t, &c, (1ull << 30) + (2ull << 20) + 0x2000,
			 (1ull << 30) + (2ull << 20) + 0x2fff, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 1);
	CHECK_EQ_U64(r.ntable, 2);
	CHECK_EQ_U64(r.ninv, 0);
	CHECK_EQ_U64(r.e[2].oa, 0x41005000);
	/* a range outside the table: nothing */
	memset(&r, 0, sizeof(r));
	CHECK(walk_range(&b->t, &c, 1ull << 40, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.n + r.ninv, 0);
	/* the visitor ends the walk early */
	memset(&r, 0, sizeof(r));
	r.stop_after = 2;
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.n, 2);
	free(b);
}

static void walk_va_steps(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	unsigned n;
	struct fm_err err;

	build_el2(b);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), TCR_EL2_39, 0xff00, 0, &c, &err) == 0);
	CHECK(walk_va(&b->t, &c, (1ull << 30) + (2ull << 20) + 0x2abc, s, &n, &err) == 0);
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_U64(s[0].e.level, 1);
	CHECK_EQ_U64(s[0].e.ptep, PG(1) + 8);
	CHECK_EQ_U64(s[1].e.ptep, PG(2) + 8);
	CHECK_EQ_U64(s[2].e.ptep, PG(3) + 16);
	CHECK_EQ_U64(s[2].e.kind, DESC_PAGE);
	CHECK_EQ_U64(s[2].e.oa, 0x41005000);
	CHECK(s[2].e.inherit.xn_table);
	/* invalid at level 3 */
	CHECK(walk_va(&b->t, &c, (1ull << 30) + (2ull << 20) + 0x1000, s, &n, &err) == 0);
	CHECK_EQ_U64(n, 3);
	CHECK_EQ_U64(s[2].e.kind, DESC_INVALID);
	/* a block at level 1 */
	CHECK(walk_va(&b->t, &c, (2ull << 30) + 0x1234, s, &n, &err) == 0);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_U64(s[0].e.kind, DESC_BLOCK);
	/* outside the 39-bit range */
	CHECK(walk_va(&b->t, &c, 1ull << 39, s, &n, &err) < 0);
	CHECK(strstr(err.msg, "outside"));
	free(b);
}

static void walk_bad_addresses(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err;

	set(b, 1, 0, 0x7000000000ull | 3);          /* table outside the target: unreadable */
	set(b, 1, 1, (1ull << 40) | 3);             /* table beyond a 32-bit PA size */
	set(b, 1, 2, BLOCK(0x100000000ull, 0));     /* block beyond 32 bits */
	set(b, 1, 3, TABLE(2));
	set(b, 2, 0, 1);                            /* reserved? no: 0b01 at level 2 is a block */
	set(b, 2, 1, 0x41000000ull | 0);            /* invalid */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), 25, 0, 0, &c, &err) == 0); /* PS 32 */
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.e[0].kind, DESC_TABLE);
	CHECK_EQ_U64(r.e[0].fault, WALK_FAULT_ADDRSIZE); /* 0x7000000000 is beyond 32 bits too */
	CHECK_EQ_U64(r.e[1].fault, WALK_FAULT_ADDRSIZE);
	CHECK_EQ_U64(r.e[2].kind, DESC_BLOCK);
	CHECK_EQ_U64(r.e[2].fault, WALK_FAULT_ADDRSIZE);
	CHECK_EQ_U64(r.e[3].fault, WALK_OK);
	/* with 48 bits the first table is followed, and cannot be read */
	memset(&r, 0, sizeof(r));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), TCR_EL2_39, 0, 0, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.e[0].fault, WALK_FAULT_UNREADABLE);
	CHECK_EQ_U64(r.e[1].fault, WALK_FAULT_UNREADABLE);
	CHECK_EQ_U64(r.e[3].fault, WALK_OK);
	/* a start table outside the target is an error */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x10000000, TCR_EL2_39, 0, 0, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) < 0);
	CHECK(strstr(err.msg, "start table"));
	free(b);
}

static void walk_level3_reserved(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err;

	/* 48-bit: a 0b01 entry at level 0 is reserved, not a 512G block */
	set(b, 1, 0, BLOCK(0, 0));
	set(b, 1, 1, TABLE(2));
	set(b, 2, 0, TABLE(3));
	set(b, 3, 0, TABLE(4));
	set(b, 4, 0, 0x41000000ull | AF | 1); /* 0b01 at level 3: reserved */
	set(b, 4, 1, PAGE(0x41001000ull, 0));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), (TCR_EL2_39 & ~63ull) | 16, 0, 0, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 1);
	CHECK_EQ_U64(r.ntable, 3);
	CHECK_EQ_U64(r.e[3].va, (512ull << 30) + 0x1000);
	CHECK_EQ_U64(r.e[3].level, 3);
	free(b);
}

static void walk_loops_terminate(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err = {{0}};

	/* every entry of the root points at the root itself, at every level */
	for (unsigned i = 0; i < 512; i++)
		set(b, 1, i, TABLE(1));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, PG(1), (TCR_EL2_39 & ~63ull) | 16, 0, 0, &c, &err) == 0);
	/* refused by the per-level reference cap, before 512^3 references are built */
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) < 0);
	CHECK(strstr(err.msg, "references to level 2 tables"));
	c.max_entries = 100000;
	/* the same with a small range walks through (each level reads page 1 once) */
	memset(&r, 0, sizeof(r));
	CHECK(walk_range(&b->t, &c, 0, 0xfff, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.ntable, 3);
	CHECK_EQ_U64(r.nleaf, 1); /* level 3: 0b11 is a page */
	/* two tables pointing at each other, capped by tables */
	memset(b->mem, 0, sizeof(b->mem));
	for (unsigned i = 0; i < 512; i++) {
		set(b, 1, i, TABLE(2 + i % 8));
		for (unsigned p = 2; p < 10; p++)
			set(b, p, i, TABLE(1 + (i + p) % 9));
	}
	c.max_tables = 8;
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) < 0);
	CHECK(strstr(err.msg, "tables"));
	free(b);
}

/* ---- other formats: tables built at byte addresses (64K-aligned slots) ---- */

#define SLOT(n) (BASE + (uint64_t)(n) * 0x10000) /* 64 KiB apart */
static void put(struct buftgt *b, uint64_t pa, unsigned idx, uint64_t v)
{
	b->mem[(pa - BASE) / 8 + idx] = v;
}

/* D8.2: start levels and start-table sizes per granule, LPA2 and stage-2 SL0/SL2. */
static void cfg_formats(void)
{
	struct walk_cfg c;
	struct fm_err err = {{0}};

	/* 16K, 47-bit: level 1 with 2048 entries; 48-bit: level 0 with 2 entries */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 17 | (2u << 14) | (5u << 16), 0, 0, &c,
				 &err) == 0);
	CHECK(c.fmt.granule == FM_GRANULE_16K && c.start_level == 1 && c.nentries == 2048);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 16 | (2u << 14), 0, 0, &c, &err) == 0);
	CHECK(c.start_level == 0 && c.nentries == 2);
	/* 64K, 42-bit: level 2 with 8192 entries; 48-bit: level 1 with 64 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 22 | (1u << 14), 0, 0, &c, &err) == 0);
	CHECK(c.fmt.granule == FM_GRANULE_64K && c.start_level == 2 && c.nentries == 8192);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 16 | (1u << 14), 0, 0, &c, &err) == 0);
	CHECK(c.start_level == 1 && c.nentries == 64);
	/* 64K, 52-bit VA and PA (FEAT_LVA, FEAT_LPA): level 1 with 1024 entries; TTBR bits
	 * [5:2] are BADDR[51:48] */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, 0x40010000ull | (1u << 2), 12 | (1u << 14) | (6u << 16),
				 0, 0, &c, &err) == 0);
	CHECK(c.start_level == 1 && c.nentries == 1024 && c.pa_bits == 52);
	CHECK_EQ_U64(c.root, 0x0001000040010000ull);
	/* PS = 52 bits with 4K and no LPA2 means 48 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 25 | (6u << 16), 0, 0, &c, &err) == 0);
	CHECK(c.pa_bits == 48);
	/* 4K LPA2, 52-bit (TCR_EL1.DS, bit 59): level -1 with 16 entries; 16K LPA2: level 0, 32 */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, 0x40010000ull | (2u << 2),
				 (1ull << 59) | (6ull << 32) | (2ull << 30) | (12u << 16) | 12, 0, 1,
				 &c, &err) == 0);
	CHECK(c.fmt.lpa2 && c.start_level == -1 && c.nentries == 16 && c.pa_bits == 52);
	CHECK_EQ_U64(c.root, 0x0002000040010000ull);
	CHECK_EQ_U64(c.va_lo, 0xfff0000000000000ull);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, SLOT(0), (1ull << 59) | (2u << 14) | 12, 0, 0, &c,
				 &err) == 0);
	CHECK(c.fmt.granule == FM_GRANULE_16K && c.start_level == 0 && c.nentries == 32);
	/* EL2&0: TCR_EL2 in the TCR_EL1 layout (DS at 59, EPD1 at 23, TG1 at [31:30]) */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL20, 0x0007000040010000ull,
				 (1ull << 59) | (3u << 30) | (16u << 16) | 12, 0, 1, &c, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL2.DS") && strstr(err.msg, "TG1"));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL20, 0x0007000040010000ull,
				 (1u << 23) | (3u << 30) | (16u << 16) | 25, 0, 1, &c, &err) == 0);
	CHECK(c.disabled && c.ttbr1 && c.asid == 7 && c.fmt.granule == FM_GRANULE_64K);
	CHECK(c.start_level == 1);

	/* stage 2, 4K with DS: SL2:SL0 = 1:00 is level -1 (52-bit IPA, 16 entries) */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 12 | (6u << 16) | (3ull << 32), 0, 0, &c,
				 &err) == 0);
	CHECK(c.start_level == -1 && c.nentries == 16);
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 16 | (6u << 16) | (2ull << 32), 0, 0, &c,
				 &err) < 0); /* SL2 without DS */
	CHECK(strstr(err.msg, "SL2:SL0 = 1:0"));
	/* trixie's pKVM host stage 2 (issue 16): 52-bit IPA from level 0, 16 concatenated */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, 0x7f710001, 0x1802e358cull, 0, 0, &c, &err) == 0);
	CHECK(c.start_level == 0 && c.nentries == 16 * 512 && c.fmt.lpa2 && c.pa_bits == 52);
	CHECK_EQ_U64(c.root, 0x7f710000);
	/* 16K: SL0 00 L3, 01 L2, 10 L1, 11 L0 with DS only */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 28 | (1u << 6) | (2u << 14), 0, 0, &c,
				 &err) == 0);
	CHECK(c.start_level == 2 && c.nentries == 2048);
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 24 | (1u << 6) | (2u << 14), 0, 0, &c,
				 &err) == 0);
	CHECK(c.start_level == 2 && c.nentries == 16 * 2048); /* 40-bit: 16 concatenated */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 16 | (3u << 6) | (2u << 14), 0, 0, &c,
				 &err) < 0);
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 16 | (3u << 6) | (2u << 14) | (1ull << 32),
				 0, 0, &c, &err) == 0);
	CHECK(c.start_level == 0 && c.nentries == 2);
	/* 64K: SL0 01 L2, 10 L1; 11 reserved */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 21 | (1u << 6) | (1u << 14) | (5u << 16), 0,
				 0, &c, &err) == 0);
	CHECK(c.start_level == 2 && c.nentries == 2 * 8192);
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 16 | (2u << 6) | (1u << 14), 0, 0, &c,
				 &err) == 0);
	CHECK(c.start_level == 1 && c.nentries == 64);
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 16 | (3u << 6) | (1u << 14), 0, 0, &c,
				 &err) < 0);
	CHECK(strstr(err.msg, "reserved start level"));
}

/* 4K LPA2, TTBR1, 52-bit: level -1 to level 3, output addresses above 48 bits. */
static void walk_lpa2_level_minus1(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	struct rec r = {0};
	unsigned n;
	struct fm_err err;
	/* TCR_EL1: T1SZ 12, TG1 4K, SH1 inner, IPS 52, DS */
	uint64_t tcr = (1ull << 59) | (6ull << 32) | (2ull << 30) | (3u << 28) | (12u << 16) | (1u << 7);
	uint64_t va = 0xfff0000000000000ull + 0x5000; /* index 0 at every level, then L3[5] */

	put(b, SLOT(0), 0, SLOT(1) | 3);
	put(b, SLOT(1), 0, SLOT(2) | 3);
	put(b, SLOT(2), 0, SLOT(3) | 3);
	put(b, SLOT(3), 0, SLOT(4) | 3 | (1ull << 59)); /* PXNTable */
	/* page at 0x000c_0000_4123_4000: OA[51:50] = 0b11 in bits [9:8]; AF, UXN */
	put(b, SLOT(4), 5, 0x0000000041234000ull | 0x300 | AF | (1ull << 54) | 3);
	/* a 512 GiB block at level 0 (LPA2 only) in entry 1 */
	put(b, SLOT(1), 1, 0x0000008000000000ull | AF | 1);
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, SLOT(0), tcr, 0xff, 1, &c, &err) == 0);
	CHECK(walk_va(&b->t, &c, va + 0x123, s, &n, &err) == 0);
	CHECK_EQ_U64(n, 5);
	CHECK(s[0].e.level == -1 && s[0].e.size == 1ull << 48 && s[0].e.kind == DESC_TABLE);
	CHECK(s[4].e.level == 3 && s[4].e.kind == DESC_PAGE && !s[4].e.fault);
	CHECK_EQ_U64(s[4].e.oa, 0x000c000041234000ull);
	CHECK(s[4].e.inherit.pxn_table);
	CHECK(s[4].e.d.sh == 3 && s[4].e.d.sh_from_tcr && s[4].e.d.uxn);
	CHECK(walk_va(&b->t, &c, 0xfff0008000000000ull + 0x10, s, &n, &err) == 0);
	CHECK(n == 2 && s[1].e.kind == DESC_BLOCK && s[1].e.level == 0);
	CHECK_EQ_U64(s[1].e.oa, 0x0000008000000000ull);
	/* the same through walk_range: one page, one block, tables at -1..2 */
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 2);
	CHECK_EQ_U64(r.ntable, 4);
	CHECK(r.e[0].level == -1 && r.e[0].va == 0xfff0000000000000ull);
	CHECK_EQ_U64(r.e[4].va, va);
	CHECK_EQ_U64(r.e[4].oa, 0x000c000041234000ull);
	CHECK(r.e[5].level == 0 && r.e[5].size == 512ull << 30);
	/* with a 48-bit PS the same page is an address size fault */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, SLOT(0), (tcr & ~(7ull << 32)) | (5ull << 32), 0xff,
				 1, &c, &err) == 0);
	CHECK(walk_va(&b->t, &c, va, s, &n, &err) == 0);
	CHECK(n == 5 && s[4].e.fault == WALK_FAULT_ADDRSIZE);
	free(b);
}

/* 16K EL2 (47-bit, level 1): a 32 MiB block at L2 and 16 KiB pages. */
static void walk_16k(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	struct rec r = {0};
	unsigned n;
	struct fm_err err;

	put(b, SLOT(0), 1, SLOT(1) | 3);                       /* L1[1]: VA 64 GiB */
	put(b, SLOT(1), 0, 0x42000000ull | AF | 0x700 | 1);    /* L2[0]: 32 MiB block */
	put(b, SLOT(1), 1, SLOT(2) | 3);                       /* L2[1] -> L3 */
	put(b, SLOT(2), 3, 0x41004000ull | AF | 0x700 | 3);    /* L3[3]: 16 KiB page */
	put(b, SLOT(2), 2047, 0x41008000ull | AF | 0x700 | 3); /* last entry */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL2, SLOT(0), 17 | (2u << 14) | (5u << 16), 0xff00, 0,
				 &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 3);
	CHECK_EQ_U64(r.ntable, 2);
	CHECK_EQ_U64(r.ninv, 2047 + 2046 + 2046);
	CHECK(r.e[1].kind == DESC_BLOCK && r.e[1].level == 2);
	CHECK_EQ_U64(r.e[1].va, 64ull << 30);
	CHECK_EQ_U64(r.e[1].size, 32ull << 20);
	CHECK_EQ_U64(r.e[3].va, (64ull << 30) + (32ull << 20) + 3 * 16384);
	CHECK_EQ_U64(r.e[3].oa, 0x41004000);
	CHECK_EQ_U64(r.e[3].ptep, SLOT(2) + 24);
	CHECK_EQ_U64(r.e[4].index, 2047);
	CHECK(walk_va(&b->t, &c, (64ull << 30) + (32ull << 20) + 3 * 16384 + 0x3fff, s, &n, &err) == 0);
	CHECK(n == 3 && s[2].e.kind == DESC_PAGE && s[2].e.size == 16384);
	CHECK_EQ_U64(s[2].e.oa, 0x41004000);
	free(b);
}

/* 64K stage 2, 43-bit IPA from level 2: two concatenated 8192-entry tables. */
static void walk_64k_s2_concatenated(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	struct rec r = {0};
	unsigned n;
	struct fm_err err;
	uint64_t ipa = (1ull << 42) + (1ull << 29) + 7 * 65536; /* second table, L2[8193], L3[7] */

	put(b, SLOT(0), 8193, SLOT(2) | 3);
	/* page with OA[51:48] = 1 in bits [15:12]; S2AP RW, AF */
	put(b, SLOT(2), 7, 0x0000000041010000ull | 0x1000 | 0xc0 | AF | 3);
	put(b, SLOT(0), 2, 0x0000000060000000ull | 0xc0 | AF | 1); /* 512 MiB block */
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, SLOT(0), 21 | (1u << 6) | (1u << 14) | (6u << 16), 0,
				 0, &c, &err) == 0);
	CHECK(c.nentries == 16384 && c.pa_bits == 52);
	CHECK(walk_va(&b->t, &c, ipa + 0x1234, s, &n, &err) == 0);
	CHECK(n == 2 && s[0].e.index == 8193 && s[1].e.kind == DESC_PAGE);
	CHECK_EQ_U64(s[1].e.oa, 0x0001000041010000ull);
	CHECK(s[1].e.d.rd && s[1].e.d.wr);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 2);
	CHECK(r.e[0].kind == DESC_BLOCK && r.e[0].va == 2ull << 29 && r.e[0].size == 1ull << 29);
	CHECK_EQ_U64(r.e[2].va, ipa);
	free(b);
}

/* EL2&0 (E2H = 1): TTBR1_EL2 with the EL1-style permissions and nG. */
static void walk_el20_ttbr1(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	unsigned n;
	struct fm_err err;
	/* TCR_EL2 (E2H = 1): T1SZ 25, TG1 4K, IPS 48, T0SZ 25, EPD0 */
	uint64_t tcr = (5ull << 32) | (2ull << 30) | (25u << 16) | (1u << 7) | 25;

	put(b, SLOT(0), 511, SLOT(1) | 3 | (1ull << 59)); /* PXNTable */
	put(b, SLOT(1), 511, 0x40200000ull | AF | 0x40 | (1ull << 11) | 1); /* 2M, EL0 RW, nG */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL20, SLOT(0), tcr, 0xff, 1, &c, &err) == 0);
	CHECK(walk_va(&b->t, &c, 0xffffffffffe01000ull, s, &n, &err) == 0);
	CHECK(n == 2 && s[1].e.kind == DESC_BLOCK);
	CHECK_EQ_U64(s[1].e.oa, 0x40200000);
	CHECK(s[1].e.d.regime == FM_REGIME_EL20 && s[1].e.d.ng && s[1].e.d.el0_rd);
	CHECK(s[1].e.inherit.pxn_table);
	/* the lower range is disabled (EPD0) */
	CHECK(walk_cfg_from_regs(FM_REGIME_EL20, SLOT(0), tcr, 0xff, 0, &c, &err) == 0);
	CHECK(walk_va(&b->t, &c, 0x1000, s, &n, &err) < 0);
	CHECK(strstr(err.msg, "TCR_EL2.EPD0"));
	free(b);
}

static void walk_s2_concatenated(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct fm_err err;

	/* 40-bit IPA, level 1 start, two tables at pages 2-3; entry 512 is in the second */
	set(b, 3, 0, BLOCK(0x80000000ull, (0xfu << 2) | (3u << 6)));
	set(b, 2, 1, TABLE(4));
	set(b, 4, 0, BLOCK(0x40000000ull, (0xfu << 2) | (1u << 6)));
	CHECK(walk_cfg_from_regs(FM_REGIME_S2, PG(2), 24 | (1u << 6) | (5u << 16), 0, 0, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.n, 3);
	CHECK_EQ_U64(r.e[0].kind, DESC_TABLE);
	CHECK_EQ_U64(r.e[1].va, 1ull << 30);
	CHECK_EQ_U64(r.e[1].level, 2);
	CHECK_EQ_U64(r.e[2].va, 512ull << 30);
	CHECK_EQ_U64(r.e[2].ptep, PG(3));
	CHECK_EQ_U64(r.e[2].oa, 0x80000000);
	free(b);
}

static void walk_ttbr1_vas(void)
{
	struct buftgt *b = tgt_new();
	struct walk_cfg c;
	struct rec r = {0};
	struct walk_step s[WALK_MAX_LEVELS];
	unsigned n;
	struct fm_err err;
	uint64_t tcr = 16 | (16u << 16) | (2ull << 30) | (5ull << 32);

	/* last root entry -> L1 page 2 -> [511] 1G block: VA 0xffffffffc0000000 */
	set(b, 1, 511, TABLE(2) | (1ull << 62)); /* APTable read-only */
	set(b, 2, 511, BLOCK(0x40000000ull, 0));
	set(b, 1, 256, TABLE(2));
	CHECK(walk_cfg_from_regs(FM_REGIME_EL1, PG(1), tcr, 0, 1, &c, &err) == 0);
	CHECK(walk_range(&b->t, &c, 0, ~0ull, &recv, &r, &err) == 0);
	CHECK_EQ_U64(r.nleaf, 2);
	CHECK_EQ_U64(r.e[1].va, 0xffff800000000000ull + (511ull << 30));
	CHECK_EQ_U64(r.e[3].va, 0xffffffffc0000000ull);
	CHECK_EQ_U64(r.e[3].inherit.ap_table, 2);
	CHECK(walk_va(&b->t, &c, 0xffffffffc0001234ull, s, &n, &err) == 0);
	CHECK_EQ_U64(n, 2);
	CHECK_EQ_U64(s[1].e.va, 0xffffffffc0000000ull);
	CHECK_EQ_U64(s[1].e.inherit.ap_table, 2);
	/* TTBR1 range does not include low addresses */
	CHECK(walk_va(&b->t, &c, 0x1000, s, &n, &err) < 0);
	free(b);
}

int main(void)
{
	RUN(cfg_el2_start_levels);
	RUN(cfg_refuses);
	RUN(cfg_el1_ttbr1_asid);
	RUN(cfg_s2_concatenated);
	RUN(walk_el2_order_and_fields);
	RUN(walk_range_clips);
	RUN(walk_va_steps);
	RUN(walk_bad_addresses);
	RUN(walk_level3_reserved);
	RUN(walk_loops_terminate);
	RUN(walk_s2_concatenated);
	RUN(walk_ttbr1_vas);
	RUN(cfg_formats);
	RUN(walk_lpa2_level_minus1);
	RUN(walk_16k);
	RUN(walk_64k_s2_concatenated);
	RUN(walk_el20_ttbr1);
	return UNIT_EXIT();
}
