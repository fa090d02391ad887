/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the plugin's table tracker (plugin/ptrack.c) over guest RAM a
 * hostile guest wrote, then changed store by store.
 *
 * Input: an 8-byte header, the RAM image (whole pages, at most RAM_PAGES, at
 * physical address BASE), then operations of 10 bytes each:
 *
 *   header  [0] geometry: 0 EL2 (TCR_EL2 T0SZ = 16 + [1] % 33), 1 EL1 TTBR0,
 *           2 EL1 TTBR1 (TxSZ likewise, [2] bit 0: LPA2), 3 stage 2
 *           (VTCR T0SZ = [1] % 64, SL0 = [2] & 3, SL2/DS = [2] bits 2/3)
 *           [3] root page   [4..7] root offset in the page (low 12 bits)
 *   op      [0] kind: 0 store 8 bytes, 1 store 16, 2 audit, 3 audit settling,
 *           4 retire, 5 load the root again, 6 a raw store of [1] bytes
 *           [1] size (kind 6)   [2..3] entry index in RAM (8-byte units)
 *           [4..9] 48 bits of value written there first (kinds 0, 1, 6)
 *
 * Promises checked: every call ends (libFuzzer's -timeout), no read outside
 * the image (ASan), every reported entry lies in RAM, 8-byte aligned, with a
 * VA aligned to its level's size and a level the geometry allows; the tracked
 * pages never exceed the pages of RAM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptrack.h"

#define BASE 0x40000000ull
#define RAM_PAGES 64
#define HDR 8
#define OP 10

static uint64_t ram_bytes;
static int8_t min_level;

static void on_pte(void *ctx, unsigned root, uint64_t va, int level, uint64_t old, uint64_t new,
		   uint64_t ptep, bool unseen)
{
	(void)ctx, (void)root, (void)old, (void)new, (void)unseen;
	if (ptep < BASE || ptep + 8 > BASE + ram_bytes || (ptep & 7))
		abort();
	if (level < min_level || level > 3)
		abort();
	if (va & ((1ull << (12 + 9 * (3 - level))) - 1))
		abort();
}

static void on_note(void *ctx, unsigned root, const char *msg)
{
	(void)ctx, (void)root;
	if (!msg || strlen(msg) > 255)
		abort();
}

static const struct ptrack_ops ops = {.pte = on_pte, .note = on_note};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptrack_stats st;
	struct pt_geom g;
	struct ptrack *t;
	uint8_t *ram;
	size_t npages, ops_at;
	char why[128];
	uint64_t root;
	bool is_new;
	int r = -1, err;

	if (size < HDR + 4096)
		return 0;
	npages = (size - HDR) / 4096;
	if (npages > RAM_PAGES)
		npages = RAM_PAGES;
	ram_bytes = npages * 4096;
	ops_at = HDR + ram_bytes;
	ram = malloc(ram_bytes);
	if (!ram)
		return 0;
	memcpy(ram, data + HDR, ram_bytes);
	switch (data[0] & 3) {
	case 0:
		err = ptrack_geom_el2((16 + data[1] % 33) | (uint64_t)(data[2] & 1) << 32, &g, why, sizeof(why));
		break;
	case 1:
	case 2: {
		bool upper = (data[0] & 3) == 2;
		uint64_t txsz = 12 + data[1] % 37;
		uint64_t tcr = upper ? (txsz << 16 | 2ull << 30) : txsz;
		err = ptrack_geom_el1(tcr | (uint64_t)(data[2] & 1) << 59, upper, PT_EL1, &g, why,
				      sizeof(why));
		break;
	}
	default:
		err = ptrack_geom_s2((data[1] % 64) | (uint64_t)(data[2] & 3) << 6 |
					 (uint64_t)(data[2] >> 2 & 1) << 33 |
					 (uint64_t)(data[2] >> 3 & 1) << 32,
				     &g, why, sizeof(why));
	}
	t = ptrack_new(ram, BASE, ram_bytes, &ops, NULL);
	if (!t) {
		free(ram);
		return 0;
	}
	root = BASE + (uint64_t)(data[3] % (npages + 2)) * 4096 + (le(data + 4, 4) & 0xff8);
	if (!err) {
		min_level = g.start;
		r = ptrack_root(t, root, &g, &is_new);
	}
	for (size_t o = ops_at; r >= 0 && o + OP <= size; o += OP) {
		const uint8_t *op = data + o;
		uint64_t idx = le(op + 2, 2) % (ram_bytes / 8), val = le(op + 4, 6);
		unsigned n = op[0] == 1 ? 16 : op[0] == 6 ? 1 + op[1] % 32 : 8;

		switch (op[0] % 7) {
		case 0:
		case 1:
		case 6:
			memcpy(ram + idx * 8, &val, 8);
			ptrack_store(t, BASE + idx * 8, n);
			break;
		case 2:
			ptrack_audit(t, false);
			break;
		case 3:
			ptrack_audit(t, true);
			break;
		case 4:
			ptrack_retire(t, (unsigned)r);
			break;
		case 5:
			if ((op[1] & 1) && !err && g.regime == PT_S2) {
				/* a guest's stage-1 root through this stage 2 (IPAs) */
				struct pt_geom g1;
				uint64_t pa;
				if (!ptrack_geom_el1(25, false, PT_EL1, &g1, why, sizeof(why)))
					ptrack_root_s2(t, BASE + (idx * 8 & ~0xfffull), &g1, r, &is_new);
				ptrack_s2_translate(t, (unsigned)r, val, &pa);
			} else {
				r = ptrack_root(t, root, &g, &is_new);
			}
			break;
		}
		ptrack_stats(t, &st);
		if (st.pages > npages)
			abort();
	}
	ptrack_free(t);
	free(ram);
	return 0;
}
