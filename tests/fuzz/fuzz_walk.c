/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the table walker (walk.c) and descriptor decoding (desc.c) over
 * arbitrary guest memory, read through the real memory-file target.
 *
 * Input: a 48-byte configuration, then the memory image (physical address
 * BASE is its first byte):
 *
 *   [0]      bits 0-1 regime (3 = el2), bit 2 ttbr1, bit 3 raw TCR (else a
 *            sane 4K TCR from [1] = TxSZ, [2] = SL0), bit 4 base 0x1000 (else 0),
 *            bit 5 default entry/table caps (else small ones, for speed)
 *   [1..8]   TCR (raw) / TxSZ, SL0
 *   [9..16]  TTBR   [17..24] MAIR   [25..32] VA low   [33..40] VA high
 *   [41..47] reserved
 *
 * Promises checked: the walk ends (libFuzzer's -timeout catches a loop), every
 * read is bounded by the target (ASan catches one that is not), visited
 * entries are inside the requested range and in VA order, and every decoded
 * descriptor formats into a bounded, NUL-terminated string.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "desc.h"
#include "print.h"
#include "target.h"
#include "walk.h"

#define CFG_BYTES 48

struct visit {
	const struct walk_cfg *c;
	uint64_t lo, hi;
	uint64_t last_end; /* first VA after the last entry visited: VA order */
	unsigned long n;
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static int check_entry(const struct walk_entry *e, void *arg)
{
	struct visit *v = arg;
	char buf[256];
	size_t n;

	/* An entry the walk reports meets the range asked for, and comes in VA order. */
	if (e->va + (e->size - 1) < v->lo || e->va > v->hi)
		abort();
	if (e->level < -1 || e->level > 3 || e->size != desc_fmt_level_size(&v->c->fmt, e->level))
		abort();
	v->n++;
	if (!e->raw)
		return 0;
	n = desc_format(&e->d, v->c->mair, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf) || (n < sizeof(buf) && strlen(buf) != n))
		abort();
	n = desc_leaf_memtype(&e->d, v->c->mair, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	(void)n;
	return 0;
}

static int on_leaf(const struct walk_entry *e, void *arg)
{
	struct visit *v = arg;

	if (check_entry(e, arg))
		return -1;
	if (v->n > 1 && e->va < v->last_end && v->last_end != 0)
		abort();
	v->last_end = e->va + e->size;
	return 0;
}

static const struct walk_visitor visitor = {
	.leaf = on_leaf,
	.table = check_entry,
	.invalid = on_leaf,
};

static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	print_init(fopen("/dev/null", "w"), false);
	memfd = memfd_create("fuzz-walk", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_err err = {{0}};
	struct walk_cfg c;
	struct visit v = {0};
	struct target *t;
	enum fm_regime regime;
	uint64_t tcr, ttbr, mair, lo, hi, base;
	char spec[64];

	if (size < CFG_BYTES + 8)
		return 0;
	regime = (data[0] & 3) == 3 ? FM_REGIME_EL2 : (enum fm_regime)(data[0] & 3);
	if (data[0] & 8) {
		tcr = get64(data + 1);
	} else {
		/* 4K granules (TG0 = 0, TG1 = 0b10), PS/IPS 48 bits, TxSZ and SL0 from the input */
		uint64_t txsz = data[1] % 64, sl0 = data[2] & 3;

		tcr = txsz | (sl0 << 6) | (txsz << 16) | (2ull << 30) | (5ull << 16) | (5ull << 32);
		if (regime == FM_REGIME_EL2)
			tcr = 0x80800000ull | txsz | (5ull << 16);
		else if (regime == FM_REGIME_S2)
			tcr = txsz | (sl0 << 6) | (5ull << 16);
	}
	ttbr = get64(data + 9);
	mair = get64(data + 17);
	lo = get64(data + 25);
	hi = get64(data + 33);
	base = (data[0] & 16) ? 0x1000 : 0;

	/* Every walk_cfg the registers produce is consistent, or refused with a reason. */
	if (walk_cfg_from_regs(regime, ttbr, tcr, mair, (data[0] >> 2) & 1, &c, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (c.start_level < -1 || c.start_level > 3 || c.nentries == 0 ||
	    c.nentries > 16 * desc_fmt_entries(&c.fmt) || c.va_lo > c.va_hi)
		abort();
	if (!(data[0] & 32)) {
		c.max_entries = 4096;
		c.max_tables = 64;
	}

	/* The memory image, behind the real memory-file target. */
	if (ftruncate(memfd, 0) || pwrite(memfd, data + CFG_BYTES, size - CFG_BYTES, 0) !=
					   (ssize_t)(size - CFG_BYTES))
		abort();
	snprintf(spec, sizeof(spec), "/proc/self/fd/%d@%#" PRIx64, memfd, base);
	t = target_mem_open(spec, &err);
	if (!t)
		abort();

	v.c = &c;
	v.lo = lo < c.va_lo ? c.va_lo : lo;
	v.hi = hi > c.va_hi ? c.va_hi : hi;
	if (walk_range(t, &c, lo, hi, &visitor, &v, &err) && !err.msg[0])
		abort();

	/* Level-by-level walks of the two ends of the range. */
	for (int i = 0; i < 2; i++) {
		struct walk_step s[WALK_MAX_LEVELS];
		unsigned n = 0;
		uint64_t va = i ? hi : lo;

		memset(&err, 0, sizeof(err));
		if (walk_va(t, &c, va, s, &n, &err)) {
			if (!err.msg[0] || n > WALK_MAX_LEVELS)
				abort();
			continue;
		}
		if (n < 1 || n > WALK_MAX_LEVELS)
			abort();
		for (unsigned k = 0; k < n; k++) {
			char buf[200];

			if (s[k].e.va > va || va - s[k].e.va >= s[k].e.size)
				abort();
			desc_format_raw_fmt(&c.fmt, s[k].e.raw, s[k].e.level, c.mair, buf,
					    sizeof(buf));
		}
	}
	target_close(t);
	return 0;
}
