/* SPDX-License-Identifier: MIT */
/* plugin/ptrack.c: table tracking over a RAM array the tests build. */
#include <stdlib.h>

#include "ptrack.h"
#include "unit.h"

#define BASE 0x40000000ull
#define NPAGES 64
#define PG(n) (BASE + (uint64_t)(n) * 4096)
#define TABLE(pa) ((pa) | 3)
#define PAGE(pa) ((pa) | 0x743)

static uint64_t ram[NPAGES * 512];

struct seen {
	unsigned root;
	uint64_t va, old, new, ptep;
	int level;
	bool unseen;
};
static struct seen ev[64];
static unsigned nev, nnotes;
static char last_note[256];

static void on_pte(void *ctx, unsigned root, uint64_t va, int level, uint64_t old, uint64_t new,
		   uint64_t ptep, bool unseen)
{
	(void)ctx;
	if (nev < 64)
		ev[nev] = (struct seen){root, va, old, new, ptep, level, unseen};
	nev++;
}

static void on_note(void *ctx, unsigned root, const char *msg)
{
	(void)ctx;
	(void)root;
	nnotes++;
	snprintf(last_note, sizeof(last_note), "%s", msg);
}

static const struct ptrack_ops ops = {.pte = on_pte, .note = on_note};

static uint64_t *ent(unsigned page, unsigned i) { return &ram[page * 512 + i]; }

static struct ptrack *fresh(void)
{
	memset(ram, 0, sizeof(ram));
	nev = nnotes = 0;
	last_note[0] = 0;
	return ptrack_new((const uint8_t *)ram, BASE, sizeof(ram), &ops, NULL);
}

/* The agent's shape: TCR_EL2 T0SZ = 25 (39-bit VAs, start level 1). */
static int el2_root(struct ptrack *t, unsigned page, bool *is_new)
{
	struct pt_geom g;
	char why[128];

	if (ptrack_geom_el2(0x80853519, &g, why, sizeof(why)))
		return -2;
	return ptrack_root(t, PG(page), &g, is_new);
}

static void geometry(void)
{
	struct pt_geom g;
	char why[128];

	CHECK(ptrack_geom_el2(0x80853519, &g, why, sizeof(why)) == 0);
	CHECK(g.start == 1 && g.va_bits == 39 && g.regime == PT_EL2 && !g.lpa2);
	CHECK(ptrack_geom_el2(0x80853510, &g, why, sizeof(why)) == 0 && g.start == 0);
	/* 16K and 64K are refused with the granule named. */
	CHECK(ptrack_geom_el2(0x80853519 | 2u << 14, &g, why, sizeof(why)) == -1);
	CHECK(strstr(why, "16K") != NULL);
	CHECK(ptrack_geom_el1(0x19ull | 1ull << 30 | 25 << 16, true, PT_EL1, &g, why, sizeof(why)) == -1);
	CHECK(strstr(why, "16K") != NULL && strstr(why, "TG1") != NULL);
	CHECK(ptrack_geom_el2(0x80800000, &g, why, sizeof(why)) == -1); /* T0SZ 0 */
	CHECK(strstr(why, "T0SZ 0") != NULL);
	/* Linux: TCR_EL1 T0SZ = T1SZ = 16 (48 bits), TG1 = 4K. */
	CHECK(ptrack_geom_el1(0x10ull | 16 << 16 | 2ull << 30, true, PT_EL1, &g, why, sizeof(why)) == 0);
	CHECK(g.upper && g.start == 0 && g.va_bits == 48);
	/* LPA2: 52-bit VAs start at level -1. */
	CHECK(ptrack_geom_el1(12ull | 12 << 16 | 2ull << 30 | 1ull << 59, true, PT_EL1, &g, why,
			      sizeof(why)) == 0);
	CHECK(g.lpa2 && g.start == -1 && g.va_bits == 52);
	/* Stage 2, 40-bit IPA, SL0 = 1 (level 1): two concatenated tables. */
	CHECK(ptrack_geom_s2(24 | 1 << 6, &g, why, sizeof(why)) == 0);
	CHECK(g.start == 1 && g.nconcat == 2);
	/* SL0 = 2 (level 0) with T0SZ 24: level 0 would resolve only one bit, fine; SL0 = 0 cannot. */
	CHECK(ptrack_geom_s2(24 | 0 << 6, &g, why, sizeof(why)) == -1);
	CHECK(strstr(why, "SL0") != NULL);
	/* TTBR bases: CnP dropped; LPA2 carries PA[51:48] in [5:2]. */
	CHECK(ptrack_geom_el2(0x80853519, &g, why, sizeof(why)) == 0);
	CHECK_EQ_U64(ptrack_ttbr_base(0x40205001, &g), 0x40205000);
	g.lpa2 = true;
	CHECK_EQ_U64(ptrack_ttbr_base(0x40205000 | 0x3 << 2, &g), 0x0003000040205000ull);
}

static void walk_and_store(void)
{
	struct ptrack *t = fresh();
	struct ptrack_stats st;
	bool is_new;
	int r;

	/* L1 (page 0) -> L2 (page 1) at VA 2 GiB -> L3 (page 2) at VA 0x80000000. */
	*ent(0, 2) = TABLE(PG(1));
	*ent(1, 0) = TABLE(PG(2));
	*ent(2, 1) = PAGE(PG(40));
	r = el2_root(t, 0, &is_new);
	CHECK(r == 0 && is_new);
	CHECK_STR(ptrack_root_name(t, 0), "el2-0x40000000");
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 3);
	CHECK(ptrack_is_table(t, PG(2) + 8) && !ptrack_is_table(t, PG(3)) && !ptrack_is_table(t, 0));
	CHECK(el2_root(t, 0, &is_new) == 0 && !is_new);
	CHECK(nev == 0);

	/* Unmap the slot: old from the shadow, new from RAM, VA from the reverse map. */
	*ent(2, 1) = PAGE(PG(40)) & ~1ull;
	CHECK(ptrack_store(t, PG(2) + 8, 8) == 1);
	CHECK(nev == 1 && ev[0].level == 3 && !ev[0].unseen);
	CHECK_EQ_U64(ev[0].va, 0x80001000);
	CHECK_EQ_U64(ev[0].old, PAGE(PG(40)));
	CHECK_EQ_U64(ev[0].new, PAGE(PG(40)) & ~1ull);
	CHECK_EQ_U64(ev[0].ptep, PG(2) + 8);
	/* A store that changed nothing (a failed STXR, the same value) is no event. */
	CHECK(ptrack_store(t, PG(2) + 8, 8) == 0 && nev == 1);
	/* A 16-byte store over two entries. */
	*ent(2, 4) = PAGE(PG(41));
	*ent(2, 5) = PAGE(PG(42));
	CHECK(ptrack_store(t, PG(2) + 32, 16) == 2 && nev == 3);
	CHECK_EQ_U64(ev[2].va, 0x80005000);
	ptrack_free(t);
}

static void link_unlink(void)
{
	struct ptrack *t = fresh();
	struct ptrack_stats st;
	bool is_new;

	*ent(0, 2) = TABLE(PG(1));
	CHECK(el2_root(t, 0, &is_new) == 0);
	/* A new L3 table filled before it is linked: its entries are taken from RAM. */
	*ent(5, 7) = PAGE(PG(50));
	CHECK(!ptrack_is_table(t, PG(5)));
	*ent(1, 3) = TABLE(PG(5));
	CHECK(ptrack_store(t, PG(1) + 24, 8) == 1);
	CHECK(ev[0].level == 2);
	CHECK_EQ_U64(ev[0].va, 0x80000000 + 3 * 0x200000ull);
	CHECK(ptrack_is_table(t, PG(5)));
	*ent(5, 7) = 0;
	CHECK(ptrack_store(t, PG(5) + 56, 8) == 1);
	CHECK_EQ_U64(ev[1].va, 0x80000000 + 3 * 0x200000ull + 7 * 4096);
	/* Unlinked: no longer followed. */
	*ent(1, 3) = 0;
	CHECK(ptrack_store(t, PG(1) + 24, 8) == 1);
	CHECK(!ptrack_is_table(t, PG(5)));
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 2);
	/* A page linked twice stays tracked until both links go. */
	*ent(1, 4) = TABLE(PG(6));
	*ent(1, 5) = TABLE(PG(6));
	ptrack_store(t, PG(1) + 32, 16);
	*ent(1, 4) = 0;
	ptrack_store(t, PG(1) + 32, 8);
	CHECK(ptrack_is_table(t, PG(6)));
	*ent(6, 0) = PAGE(PG(60));
	nev = 0;
	CHECK(ptrack_store(t, PG(6), 8) == 1 && nev == 1);
	CHECK_EQ_U64(ev[0].va, 0x80000000 + 5 * 0x200000ull);
	ptrack_free(t);
}

static void garbage(void)
{
	struct ptrack *t = fresh();
	struct ptrack_stats st;
	bool is_new;

	/* Every L1 entry points at the L1 table itself, one points outside RAM. */
	for (unsigned i = 0; i < 512; i++)
		*ent(0, i) = TABLE(PG(0));
	*ent(0, 9) = TABLE(0x10000000ull);
	CHECK(el2_root(t, 0, &is_new) == 0);
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 1);
	CHECK(st.outside >= 1 && st.dropped >= 1);
	CHECK(nnotes >= 2);
	/* Stores into it stay bounded too. */
	*ent(0, 3) = TABLE(PG(0)) | 0x400;
	CHECK(ptrack_store(t, PG(0) + 24, 8) == 1);
	ptrack_free(t);

	/* A root outside RAM. */
	t = fresh();
	struct pt_geom g;
	char why[128];
	CHECK(ptrack_geom_el2(0x80853519, &g, why, sizeof(why)) == 0);
	CHECK(ptrack_root(t, 0x1000, &g, &is_new) == 0);
	CHECK(strstr(last_note, "outside RAM") != NULL);
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 0);
	ptrack_free(t);
}

static void audit_unseen(void)
{
	struct ptrack *t = fresh();
	bool is_new;

	*ent(0, 2) = TABLE(PG(1));
	*ent(1, 0) = TABLE(PG(2));
	CHECK(el2_root(t, 0, &is_new) == 0);
	/* dc zva / DMA / a hardware AF update: RAM changes, no store is seen. */
	*ent(2, 9) = PAGE(PG(33));
	CHECK(ptrack_audit(t, false) == 1);
	CHECK(nev == 1 && ev[0].unseen && ev[0].level == 3);
	CHECK_EQ_U64(ev[0].va, 0x80009000);
	CHECK(ptrack_audit(t, false) == 0);
	/*
	 * Settling: a difference is reported at the second audit that sees it; a
	 * store whose callback comes in between is a store, not unseen.
	 */
	nev = 0;
	*ent(2, 10) = PAGE(PG(34));
	*ent(2, 11) = PAGE(PG(35));
	CHECK(ptrack_audit(t, true) == 0 && nev == 0);
	CHECK(ptrack_store(t, PG(2) + 80, 8) == 1);
	CHECK(nev == 1 && !ev[0].unseen);
	CHECK(ptrack_audit(t, true) == 1);
	CHECK(nev == 2 && ev[1].unseen);
	CHECK_EQ_U64(ev[1].va, 0x8000b000);
	/* A value that changed again between audits starts over. */
	*ent(2, 12) = PAGE(PG(36));
	CHECK(ptrack_audit(t, true) == 0);
	*ent(2, 12) = PAGE(PG(37));
	CHECK(ptrack_audit(t, true) == 0);
	CHECK(ptrack_audit(t, true) == 1);
	ptrack_free(t);
}

static void stage2_and_upper(void)
{
	struct ptrack *t = fresh();
	struct pt_geom g;
	char why[128];
	bool is_new;

	/* Two concatenated level-1 tables at pages 8-9: IPA 512 GiB + 1 GiB is page 9 entry 1. */
	CHECK(ptrack_geom_s2(24 | 1 << 6, &g, why, sizeof(why)) == 0);
	*ent(9, 1) = TABLE(PG(10));
	CHECK(ptrack_root(t, PG(8), &g, &is_new) == 0 && is_new);
	CHECK_STR(ptrack_root_name(t, 0), "s2-0x40008000");
	CHECK(ptrack_is_table(t, PG(9)) && ptrack_is_table(t, PG(10)));
	*ent(10, 2) = 0x40000000 | 0x4fd; /* a 2 MiB block */
	CHECK(ptrack_store(t, PG(10) + 16, 8) == 1);
	CHECK_EQ_U64(ev[0].va, (512ull << 30) + (1ull << 30) + 2 * 0x200000ull);

	/* TTBR1: the upper range, sign-extended. */
	CHECK(ptrack_geom_el1(0x10ull | 16 << 16 | 2ull << 30, true, PT_EL1, &g, why, sizeof(why)) == 0);
	CHECK(ptrack_root(t, PG(20), &g, &is_new) == 1);
	CHECK_STR(ptrack_root_name(t, 1), "el1-ttbr1-0x40014000");
	*ent(20, 256) = TABLE(PG(21));
	nev = 0;
	CHECK(ptrack_store(t, PG(20) + 256 * 8, 8) == 1);
	CHECK(ev[0].level == 0);
	CHECK_EQ_U64(ev[0].va, 0xffff800000000000ull);

	/* A geometry change walks the root again (T1SZ 16 -> 25: start level 1). */
	CHECK(ptrack_geom_el1(0x10ull | 25 << 16 | 2ull << 30, true, PT_EL1, &g, why, sizeof(why)) == 0);
	CHECK(ptrack_root(t, PG(20), &g, &is_new) == 1 && !is_new);
	CHECK(ptrack_root_geom(t, 1)->start == 1);
	ptrack_free(t);
}

static void small_start_table(void)
{
	struct ptrack *t = fresh();
	struct pt_geom g;
	char why[128];
	bool is_new;

	/* T0SZ = 32: 32-bit VAs from level 1 with 4 entries, at offset 0x40 of a page. */
	CHECK(ptrack_geom_el2(0x80800000 | 32, &g, why, sizeof(why)) == 0);
	CHECK(g.start == 1);
	*ent(3, 8 + 1) = TABLE(PG(4));
	*ent(3, 20) = TABLE(PG(5)); /* outside the 4 entries: not part of the table */
	CHECK(ptrack_root(t, PG(3) + 0x40, &g, &is_new) == 0);
	CHECK(ptrack_is_table(t, PG(4)) && !ptrack_is_table(t, PG(5)));
	*ent(4, 0) = 0x80000000 | 0x705;
	CHECK(ptrack_store(t, PG(4), 8) == 1);
	CHECK_EQ_U64(ev[0].va, 0x40000000);
	/* A store to the same page outside the table's entries is no event. */
	*ent(3, 30) = 5;
	nev = 0;
	ptrack_store(t, PG(3) + 30 * 8, 8);
	CHECK(nev == 0);
	ptrack_free(t);
}

/* fuzz_ptrack regress-self-unlink-uaf: unlinking a table that points at itself
 * freed the page while its own entries were being walked. */
static void unlink_self_referencing(void)
{
	struct ptrack *t = fresh();
	struct ptrack_stats st;
	bool is_new;

	*ent(0, 2) = TABLE(PG(1));
	*ent(1, 0) = TABLE(PG(1)); /* the L2 table is also its own L3 table */
	CHECK(el2_root(t, 0, &is_new) == 0);
	CHECK(ptrack_is_table(t, PG(1)));
	*ent(0, 2) = 0;
	CHECK(ptrack_store(t, PG(0) + 16, 8) == 1);
	CHECK(!ptrack_is_table(t, PG(1)));
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 1);
	CHECK_EQ_U64(st.refs, 1);
	ptrack_free(t);
}

static void retire_and_reload(void)
{
	struct ptrack *t = fresh();
	struct ptrack_stats st;
	bool is_new;

	*ent(0, 2) = TABLE(PG(1));
	*ent(1, 0) = TABLE(PG(2));
	CHECK(el2_root(t, 0, &is_new) == 0 && is_new);
	CHECK(ptrack_root_walked(t, 0));
	/* Retired: its pages are not followed, stores into them are no events. */
	ptrack_retire(t, 0);
	CHECK(!ptrack_root_walked(t, 0));
	ptrack_stats(t, &st);
	CHECK_EQ_U64(st.pages, 0);
	*ent(2, 3) = PAGE(PG(30));
	CHECK(ptrack_store(t, PG(2) + 24, 8) == 0 && nev == 0);
	/* Loaded again: walked again from RAM, the same root index, not new. */
	CHECK(el2_root(t, 0, &is_new) == 0 && !is_new);
	CHECK(ptrack_root_walked(t, 0) && ptrack_is_table(t, PG(2)));
	*ent(2, 3) = 0;
	CHECK(ptrack_store(t, PG(2) + 24, 8) == 1);
	CHECK_EQ_U64(ev[0].old, PAGE(PG(30)));
	ptrack_free(t);
}

/* A guest's stage-1 root (HCR_EL2.VM = 1): its TTBR and table descriptors are IPAs. */
static void guest_stage1_through_stage2(void)
{
	struct ptrack *t = fresh();
	struct pt_geom g2, g1;
	char why[128];
	bool is_new;
	uint64_t pa;
	int s2, r;

	/* Stage 2, 32-bit IPAs from level 1 (SL0 = 1, T0SZ = 32: 4 entries) at page 10:
	 * L1 (page 10) -> L2 (page 11) -> L3 (page 12) maps IPA page n to PG(20 + n). */
	CHECK(ptrack_geom_s2(32 | 1 << 6, &g2, why, sizeof(why)) == 0);
	*ent(10, 0) = TABLE(PG(11));
	*ent(11, 0) = TABLE(PG(12));
	for (unsigned n = 0; n < 8; n++)
		*ent(12, n) = PG(20 + n) | 0x4ff; /* page, AF, S2AP RW, MemAttr */
	s2 = ptrack_root(t, PG(10), &g2, &is_new);
	CHECK(s2 == 0);
	CHECK(ptrack_s2_translate(t, 0, 0x3008, &pa) && pa == PG(23) + 8);
	CHECK(!ptrack_s2_translate(t, 0, 0x40000000, &pa)); /* entry 1 of L1: invalid */
	/* The guest's EL1 table at IPA 0x1000 (PG(21)): L1 entry 2 -> IPA 0x2000 (PG(22)). */
	CHECK(ptrack_geom_el1(25, false, PT_EL1, &g1, why, sizeof(why)) == 0); /* 39-bit, L1 */
	*ent(21, 2) = TABLE(0x2000);
	*ent(22, 0) = TABLE(0x3000);
	*ent(21, 3) = TABLE(0x7f000000); /* an IPA stage 2 does not map: noted, not followed */
	r = ptrack_root_s2(t, PG(21), &g1, s2, &is_new);
	CHECK(r == 1 && is_new);
	CHECK(ptrack_is_table(t, PG(22)) && ptrack_is_table(t, PG(23)));
	CHECK(!ptrack_is_table(t, 0x2000) && !ptrack_is_table(t, PG(2)));
	CHECK(nnotes == 1 && strstr(last_note, "not mapped at stage 2") != NULL);
	/* A store into the guest's L3 table (PG(23)) names the guest VA. */
	nev = 0;
	*ent(23, 5) = PAGE(0x9000);
	CHECK(ptrack_store(t, PG(23) + 40, 8) == 1);
	CHECK(ev[0].root == 1 && ev[0].level == 3);
	CHECK_EQ_U64(ev[0].va, 0x80005000);
	CHECK_EQ_U64(ev[0].ptep, PG(23) + 40);
	/* Unlinked through the same translation. */
	*ent(22, 0) = 0;
	CHECK(ptrack_store(t, PG(22), 8) == 1);
	CHECK(!ptrack_is_table(t, PG(23)));
	ptrack_free(t);
}

int main(void)
{
	RUN(geometry);
	RUN(walk_and_store);
	RUN(link_unlink);
	RUN(garbage);
	RUN(audit_unseen);
	RUN(stage2_and_upper);
	RUN(small_start_table);
	RUN(retire_and_reload);
	RUN(unlink_self_referencing);
	RUN(guest_stage1_through_stage2);
	return UNIT_EXIT();
}
