/* SPDX-License-Identifier: MIT */
#include "agent.h"

#include "desc.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields a header must hold for the layout to be known at all (up to ctrl_size). */
#define HDR_MIN_SIZE (offsetof(struct fixmap_shared_hdr, ctrl_size) + sizeof(uint32_t))

const char *agent_mode_name(unsigned mode)
{
	static const char *const names[] = {
#define MODE_NAME(name, val) [val] = #name,
		FIXMAP_MODES(MODE_NAME)
#undef MODE_NAME
	};
	/* The command line spells modes with '-' (no-break), the enum with '_'. */
	static char dashed[FIXMAP_NR_MODES][16];

	if (mode >= FIXMAP_NR_MODES || !names[mode])
		return "?";
	if (!dashed[mode][0]) {
		char *d = dashed[mode];

		for (size_t i = 0; names[mode][i] && i < sizeof(dashed[0]) - 1; i++)
			d[i] = names[mode][i] == '_' ? '-' : names[mode][i];
	}
	return dashed[mode];
}

const char *agent_state_name(unsigned state)
{
	switch (state) {
	case FIXMAP_STATE_BOOT:
		return "boot";
	case FIXMAP_STATE_RUNNING:
		return "running";
	case FIXMAP_STATE_DONE:
		return "done";
	case FIXMAP_STATE_FAILED:
		return "failed";
	}
	return "?";
}

int agent_check_header(const void *buf, size_t n, uint64_t pa, struct fixmap_shared_hdr *out,
		       struct fm_err *err)
{
	struct fixmap_shared_hdr h;
	uint64_t magic, end;
	size_t use;

	if (n < sizeof(magic))
		return fm_err_set(err, "header at %#" PRIx64 ": only %zu bytes", pa, n);
	memcpy(&magic, buf, sizeof(magic));
	if (magic != FIXMAP_MAGIC)
		return fm_err_set(err,
				  "no agent header at %#" PRIx64 ": magic is %#" PRIx64
				  ", expected %#llx (\"FMAPSHM1\")",
				  pa, magic, FIXMAP_MAGIC);
	if (n < HDR_MIN_SIZE)
		return fm_err_set(err, "header at %#" PRIx64 ": only %zu bytes", pa, n);
	memset(&h, 0, sizeof(h));
	memcpy(&h, buf, HDR_MIN_SIZE);
	if (h.major != FIXMAP_PROTO_MAJOR)
		return fm_err_set(err,
				  "agent at %#" PRIx64 " speaks protocol %u.%u, this fixmapctl "
				  "reads major version %u only",
				  pa, h.major, h.minor, FIXMAP_PROTO_MAJOR);
	if (h.hdr_size < HDR_MIN_SIZE)
		return fm_err_set(err,
				  "agent header at %#" PRIx64 " says it is %u bytes long, too short "
				  "to hold the layout (%zu)",
				  pa, h.hdr_size, (size_t)HDR_MIN_SIZE);
	/* min(hdr_size, ours): an older writer's missing fields read as zero. */
	use = h.hdr_size < sizeof(h) ? h.hdr_size : sizeof(h);
	if (use > n)
		use = n;
	memcpy(&h, buf, use);
	if (h.max_cpus == 0 || h.max_cpus > FIXMAP_MAX_CPUS)
		return fm_err_set(err, "agent header: %u per-CPU areas (this fixmapctl reads 1 to %u)",
				  h.max_cpus, FIXMAP_MAX_CPUS);
	if (h.ncpus > h.max_cpus)
		return fm_err_set(err, "agent header: %u CPUs up but only %u per-CPU areas", h.ncpus,
				  h.max_cpus);
	if (h.total_size > AGENT_MAX_TOTAL)
		return fm_err_set(err, "agent header: total size %#" PRIx64 " is beyond %#llx",
				  h.total_size, AGENT_MAX_TOTAL);
	if (h.cpu_size < sizeof(struct fixmap_cpu) || h.cpu_size % 8)
		return fm_err_set(err,
				  "agent header: per-CPU stride %u is not a multiple of 8 of at "
				  "least %zu",
				  h.cpu_size, sizeof(struct fixmap_cpu));
	if (h.cpu_offset < h.hdr_size || h.cpu_offset % 8)
		return fm_err_set(err, "agent header: per-CPU areas at offset %u overlap the %u-byte "
				       "header or are misaligned",
				  h.cpu_offset, h.hdr_size);
	end = (uint64_t)h.cpu_offset + (uint64_t)h.max_cpus * h.cpu_size;
	if (end > h.total_size)
		return fm_err_set(err,
				  "agent header: %u per-CPU areas of %u bytes at offset %u end past "
				  "the total size %#" PRIx64,
				  h.max_cpus, h.cpu_size, h.cpu_offset, h.total_size);
	if (h.ctrl_size < sizeof(struct fixmap_ctrl) || h.ctrl_offset < h.hdr_size ||
	    h.ctrl_offset % 8 || (uint64_t)h.ctrl_offset + h.ctrl_size > h.total_size)
		return fm_err_set(err,
				  "agent header: control block at offset %u size %u is not inside "
				  "the area (header %u bytes, total %#" PRIx64 ")",
				  h.ctrl_offset, h.ctrl_size, h.hdr_size, h.total_size);
	if ((uint64_t)h.ctrl_offset < end && (uint64_t)h.ctrl_offset + h.ctrl_size > h.cpu_offset)
		return fm_err_set(err, "agent header: control block at offset %u overlaps the "
				       "per-CPU areas",
				  h.ctrl_offset);
	if (h.shared_pa && h.shared_pa != pa)
		return fm_err_set(err,
				  "agent header found at %#" PRIx64 " says it is at %#" PRIx64
				  " (wrong ELF file, or not identity-mapped?)",
				  pa, h.shared_pa);
	if (out)
		*out = h;
	return 0;
}

/* Ranges [a, a+al) and [b, b+bl) intersect. */
static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

/* Validates CPU i's copied area; sets present/usable/why. */
static void check_cpu(struct agent_state *st, unsigned i)
{
	const struct fixmap_shared_hdr *h = &st->hdr;
	struct agent_cpu *ac = &st->cpu[i];
	const struct fixmap_cpu *c = &ac->c;
	uint64_t off = (uint64_t)h->cpu_offset + (uint64_t)i * h->cpu_size;
	uint64_t roff = off + c->ring_offset;

	ac->present = c->ring_size != 0 || c->online;
	ac->usable = false;
	ac->why[0] = '\0';
	if (!ac->present)
		return;
	if (c->ring_size < sizeof(struct fixmap_rec_event) || c->ring_size > AGENT_MAX_RING ||
	    (c->ring_size & (c->ring_size - 1))) {
		snprintf(ac->why, sizeof(ac->why),
			 "ring size %u is not a power of two between %zu and %u", c->ring_size,
			 sizeof(struct fixmap_rec_event), AGENT_MAX_RING);
		return;
	}
	if (c->ring_offset < sizeof(struct fixmap_cpu) || c->ring_offset % 8 ||
	    roff + c->ring_size > h->total_size) {
		snprintf(ac->why, sizeof(ac->why),
			 "ring at offset %u (%u bytes) is not inside the shared area", c->ring_offset,
			 c->ring_size);
		return;
	}
	/* The ring must not overlap the header, the control block or any CPU's control words. */
	if (overlap(roff, c->ring_size, 0, h->hdr_size) ||
	    overlap(roff, c->ring_size, h->ctrl_offset, h->ctrl_size)) {
		snprintf(ac->why, sizeof(ac->why), "ring overlaps the header or the control block");
		return;
	}
	for (unsigned j = 0; j < st->max_cpus; j++) {
		uint64_t joff = (uint64_t)h->cpu_offset + (uint64_t)j * h->cpu_size;
		const struct agent_cpu *bj = &st->cpu[j];

		if (overlap(roff, c->ring_size, joff, sizeof(struct fixmap_cpu))) {
			snprintf(ac->why, sizeof(ac->why), "ring overlaps CPU %u's control area", j);
			return;
		}
		if (j < i && bj->usable &&
		    overlap(roff, c->ring_size, bj->ring_pa - st->pa, bj->c.ring_size)) {
			snprintf(ac->why, sizeof(ac->why), "ring overlaps CPU %u's ring", j);
			return;
		}
	}
	ac->usable = true;
}

int agent_refresh(struct target *t, struct agent_state *st, struct fm_err *err)
{
	struct target_iov iov[FIXMAP_MAX_CPUS];

	for (unsigned i = 0; i < st->max_cpus; i++) {
		iov[i].pa = st->cpu[i].pa;
		iov[i].buf = &st->cpu[i].c;
		iov[i].len = sizeof(st->cpu[i].c);
	}
	if (target_read_phys_v(t, iov, st->max_cpus, err))
		return fm_err_prefix(err, "reading the agent's per-CPU areas");
	return 0;
}

int agent_read(struct target *t, uint64_t pa, struct agent_state *st, struct fm_err *err)
{
	unsigned char raw[sizeof(struct fixmap_shared_hdr)];
	struct target_iov iov[1 + FIXMAP_MAX_CPUS];
	uint64_t magic;
	unsigned n = 0;

	memset(st, 0, sizeof(*st));
	st->pa = pa;
	/* The agent writes magic last with a release store: read it first, then the rest. */
	if (target_read_u64(t, pa, &magic, err))
		return fm_err_prefix(err, "reading the agent header at %#" PRIx64, pa);
	if (!magic) {
		fm_err_set(err,
			   "the agent at %#" PRIx64 " has not published its header yet (magic is 0): "
			   "still booting?",
			   pa);
		return AGENT_BOOTING;
	}
	atomic_thread_fence(memory_order_acquire);
	if (target_read_phys(t, pa, raw, sizeof(raw), err))
		return fm_err_prefix(err, "reading the agent header at %#" PRIx64, pa);
	memcpy(raw, &magic, sizeof(magic));
	if (agent_check_header(raw, sizeof(raw), pa, &st->hdr, err))
		return -1;
	st->max_cpus = st->hdr.max_cpus;
	st->ncpus = st->hdr.ncpus;
	st->ctrl_pa = pa + st->hdr.ctrl_offset;
	iov[n++] = (struct target_iov){.pa = st->ctrl_pa, .buf = &st->ctrl, .len = sizeof(st->ctrl)};
	for (unsigned i = 0; i < st->max_cpus; i++) {
		st->cpu[i].pa = pa + st->hdr.cpu_offset + (uint64_t)i * st->hdr.cpu_size;
		iov[n++] = (struct target_iov){
			.pa = st->cpu[i].pa, .buf = &st->cpu[i].c, .len = sizeof(st->cpu[i].c)};
	}
	if (target_read_phys_v(t, iov, n, err))
		return fm_err_prefix(err, "reading the agent's shared area at %#" PRIx64, pa);
	for (unsigned i = 0; i < st->max_cpus; i++) {
		st->cpu[i].ring_pa = st->cpu[i].pa + st->cpu[i].c.ring_offset;
		check_cpu(st, i);
	}
	return 0;
}

int agent_scan(struct target *t, uint64_t base, uint64_t len, uint64_t *pa, struct fm_err *err)
{
	enum { CHUNK = 1 << 20 };
	uint64_t *buf = malloc(CHUNK);
	struct fm_err e2, rejected = {{0}};
	uint64_t off = 0, note_pa = 0, note_at = 0;
	const char *stopped = NULL;

	if (!buf)
		return fm_err_set(err, "out of memory");
	base &= ~7ull;
	while (off < len) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;

		if (target_read_phys(t, base + off, buf, n, &e2)) {
			stopped = e2.msg;
			break;
		}
		for (size_t i = 0; i < n / 8; i++) {
			unsigned char raw[sizeof(struct fixmap_shared_hdr)] = {0};
			uint64_t cand = base + off + i * 8;
			struct fixmap_shared_hdr h;

			/* An agent image (its note) says where its header will be. */
			if (buf[i] == FIXMAP_NOTE_MAGIC && !note_pa && i + 1 < n / 8 && buf[i + 1] &&
			    buf[i + 1] % 8 == 0) {
				note_at = base + off + i * 8;
				note_pa = buf[i + 1];
			}
			if (buf[i] != FIXMAP_MAGIC)
				continue;
			if (target_read_phys(t, cand, raw, sizeof(raw), &e2) ||
			    agent_check_header(raw, sizeof(raw), cand, &h, &e2))
				goto reject;
			if (h.shared_pa != cand) /* e.g. the constant in the agent's code */
				continue;
			*pa = cand;
			free(buf);
			return 0;
reject:
			/* Remember why the first real-looking candidate failed. */
			memcpy(&h, raw, HDR_MIN_SIZE);
			if (!rejected.msg[0] && h.major && h.hdr_size >= HDR_MIN_SIZE &&
			    h.hdr_size <= 4096)
				rejected = e2;
		}
		off += n;
	}
	free(buf);
	if (rejected.msg[0])
		return fm_err_set(err, "%s", rejected.msg);
	if (note_pa) {
		*pa = note_pa;
		fm_err_set(err,
			   "the agent image at %#" PRIx64 " has not published its header at %#" PRIx64
			   " yet: still booting?",
			   note_at, note_pa);
		return AGENT_BOOTING;
	}
	if (stopped && off == 0)
		return fm_err_set(err, "no agent header found: cannot read memory at %#" PRIx64 " (%s)",
				  base, stopped);
	return fm_err_set(err,
			  "no agent header (magic \"FMAPSHM1\") in physical memory %#" PRIx64
			  "-%#" PRIx64 "; give --elf with the agent image",
			  base, base + off);
}

struct desc_fmt agent_table_fmt(const struct agent_state *st)
{
	struct desc_fmt f = desc_fmt_4k(FM_REGIME_EL2);

	for (unsigned i = 0; i < st->max_cpus; i++) {
		if (!st->cpu[i].c.online)
			continue;
		if (desc_fmt_el2(st->cpu[i].c.hcr_el2, st->cpu[i].c.tcr_el2, &f))
			f = desc_fmt_4k(FM_REGIME_EL2);
		break;
	}
	return f;
}

unsigned agent_trace_ncpus(const struct agent_state *st)
{
	unsigned ncpus = st->ncpus;

	for (unsigned i = 0; i < st->max_cpus; i++)
		if (st->cpu[i].c.online && i + 1 > ncpus)
			ncpus = i + 1;
	return ncpus ? ncpus : st->max_cpus;
}

int agent_trace_ctx(const struct agent_state *st, struct fm_trace_ctx *ctx)
{
	struct fm_table_decl *tb;
	struct desc_fmt fmt;
	unsigned ncpus = st->ncpus, online = 0;
	uint64_t mmfr2 = 0;
	bool any = false, cnp = true;

	fm_ctx_free(ctx);
	memset(ctx, 0, sizeof(*ctx));
	ncpus = agent_trace_ncpus(st);
	ctx->ncpus = ncpus;
	tb = fm_ctx_add_table(ctx);
	if (!tb)
		return -1;
	snprintf(tb->name, sizeof(tb->name), "el2");
	tb->regime = FM_REGIME_EL2;
	tb->shared = true;
	for (unsigned i = 0; i < ncpus && i < st->max_cpus; i++) {
		if (!st->cpu[i].c.online)
			continue;
		tb->cpus[i / 64] |= 1ull << (i % 64);
		online++;
		if (!any)
			mmfr2 = st->cpu[i].c.id_aa64mmfr2;
		any = true;
		cnp &= st->cpu[i].c.ttbr0_el2 & 1; /* TTBR0_EL2.CnP, bit 0 */
	}
	/* The table's format: the EL2&0 regime when the agent runs with HCR_EL2.E2H = 1,
	 * granule and LPA2 from TCR_EL2 (the agent's first online CPU). */
	fmt = agent_table_fmt(st);
	tb->regime = (uint8_t)fmt.regime;
	tb->granule = (uint8_t)fmt.granule;
	tb->lpa2 = fmt.lpa2;
	if (!online) /* nothing online yet: every CPU may walk the table */
		for (unsigned i = 0; i < ncpus; i++)
			tb->cpus[i / 64] |= 1ull << (i % 64);
	/* ID_AA64MMFR2_EL1: TTL [51:48], BBM [55:52] (D19.2). */
	if ((mmfr2 >> 48) & 0xf)
		ctx->features |= FM_FEAT_TTL;
	ctx->bbm_level = (mmfr2 >> 52) & 0xf;
	if (ctx->bbm_level > 2)
		ctx->bbm_level = 2;
	if (any && cnp)
		ctx->features |= FM_FEAT_CNP;
	return 0;
}
