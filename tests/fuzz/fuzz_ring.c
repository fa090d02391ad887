/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the agent's shared area as the host reads it (agent.c) and the
 * ring consumer and record decoder (ring.c), on memory a broken or hostile
 * agent wrote, and that it keeps changing while the host reads.
 *
 * Input: an 8-byte control word, N mutations of 16 bytes, then the memory
 * image (PA BASE is its first byte; the shared area's header is there):
 *
 *   [0]     bit 0: decode only (ring_decode on the image as ring bytes, ring
 *           size 2^(3 + [1] % 14), position [2..7]); bit 1: find the header by
 *           scanning; bit 2: read-only drains (no tail written back); bit 3:
 *           the drains ask the agent to wait for room (lossless)
 *   [1]     N (mode bit 0 clear: at most 16 mutations)
 *   mutation {u32 batch, u32 offset, u64 value}: before the target's read
 *           batch number `batch` (0-based), the 8 bytes at `offset` become
 *           `value` (a producer writing while the host reads: torn records,
 *           heads that move, geometry that changes)
 *
 * Promises checked: no crash, no hang, no read or write outside the image;
 * the host writes nothing but 8-byte ring tails; every event is in range and
 * its CPU is one the trace context declares; and the events written as a
 * trace file (what `trace --save` does) read back as the same events, so
 * `check` can always read what `trace` saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "arm64/tlbi.h"
#include "print.h"
#include "ring.h"
#include "trace_text.h"

#define BASE 0x40000000ull
#define MAX_MUT 16
#define MAX_EVENTS 2048

struct mut {
	uint32_t batch, off;
	uint64_t val;
};

struct fz_target {
	struct target t;
	uint8_t *mem;
	size_t size;
	const struct mut *mut;
	unsigned nmut, batch;
	uint64_t tails_pa[FIXMAP_MAX_CPUS];
	unsigned ntails;
};

static void apply_mutations(struct fz_target *f)
{
	for (unsigned i = 0; i < f->nmut; i++)
		if (f->mut[i].batch == f->batch && f->mut[i].off <= f->size &&
		    f->size - f->mut[i].off >= 8)
			memcpy(f->mem + f->mut[i].off, &f->mut[i].val, 8);
	f->batch++;
}

static int fz_read(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	struct fz_target *f = (struct fz_target *)t;

	apply_mutations(f);
	for (size_t i = 0; i < n; i++) {
		if (iov[i].pa < BASE || iov[i].pa - BASE > f->size ||
		    iov[i].len > f->size - (iov[i].pa - BASE))
			return fm_err_set(err, "%#llx+%zu is outside memory",
					  (unsigned long long)iov[i].pa, iov[i].len);
		memcpy(iov[i].buf, f->mem + (iov[i].pa - BASE), iov[i].len);
	}
	return 0;
}

static int fz_write(struct target *t, uint64_t pa, const void *buf, size_t len, struct fm_err *err)
{
	struct fz_target *f = (struct fz_target *)t;
	unsigned i;

	/*
	 * The host writes only ring tails and the rings' wait requests, at the
	 * places agent_read validated.
	 */
	for (i = 0; i < f->ntails; i++)
		if ((pa == f->tails_pa[i] && len == 8) ||
		    (pa == f->tails_pa[i] + offsetof(struct fixmap_cpu, wait_ms) -
			       offsetof(struct fixmap_cpu, tail) &&
		     len == 4))
			break;
	if (i == f->ntails)
		abort();
	if (pa < BASE || pa - BASE > f->size || len > f->size - (pa - BASE))
		return fm_err_set(err, "write outside memory");
	memcpy(f->mem + (pa - BASE), buf, len);
	return 0;
}

static void fz_close(struct target *t)
{
	(void)t;
}

static const struct target_ops fz_ops = {
	.kind = "fuzz", .read_phys = fz_read, .write_phys = fz_write, .close = fz_close};

struct sink {
	const struct fm_trace_ctx *ctx;
	struct fm_event ev[MAX_EVENTS];
	unsigned n;
	unsigned cpu; /* decode-only: the ring's CPU */
	bool check_cpu;
};

static void on_event(void *arg, const struct fm_event *ev)
{
	struct sink *s = arg;

	/* A gap counts at least one lost event (the trace format refuses count=0). */
	if (ev->type == FM_EV_LOST && !ev->arg)
		abort();
	if ((ev->type < FM_EV_PTE || ev->type > FM_EV_FREE) && ev->type != FM_EV_LOST)
		abort();
	if (ev->type == FM_EV_PTE && (ev->level > 3 || ev->table != 0))
		abort();
	if ((ev->type == FM_EV_DSB || ev->type == FM_EV_DMB) && ev->bar > 15)
		abort();
	if (ev->type == FM_EV_TLBI && ev->tlbi >= TLBI_NR_OPS)
		abort();
	if (s->check_cpu && ev->cpu != s->cpu)
		abort();
	if (s->ctx && ev->cpu >= s->ctx->ncpus)
		abort();
	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = *ev;
}

static void on_diag(void *arg, unsigned cpu, const char *msg)
{
	(void)arg;
	if (cpu >= FIXMAP_MAX_CPUS || !msg[0] || strlen(msg) > 1000)
		abort();
}

/* The fields that mean something for the event's type. */
static bool same_event(const struct fm_event *a, const struct fm_event *b)
{
	if (a->type != b->type || a->cpu != b->cpu)
		return false;
	switch (a->type) {
	case FM_EV_PTE:
		return a->va == b->va && a->level == b->level && a->old == b->old &&
		       a->new == b->new && a->table == b->table && a->ptep == b->ptep;
	case FM_EV_DSB:
	case FM_EV_DMB:
		return a->bar == b->bar;
	case FM_EV_TLBI:
		return a->tlbi == b->tlbi && a->arg == b->arg && a->va == b->va;
	case FM_EV_ACCESS:
		return a->va == b->va && (a->flags & FM_EVF_EXEC) == (b->flags & FM_EVF_EXEC);
	case FM_EV_FREE:
		return a->ptep == b->ptep;
	case FM_EV_LOST:
		return a->arg == b->arg;
	default:
		return true;
	}
}

/* What `trace --save` writes must read back as the same events (`check` reads it). */
static void save_and_reread(const struct fm_trace_ctx *ctx, const struct sink *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&text, &len), *r;
	struct fm_trace_ctx ctx2;
	struct trace_reader *rd;
	struct fm_err err = {{0}};
	struct fm_event ev;
	unsigned i = 0;
	int rc;

	trace_text_write_header(w, ctx);
	for (unsigned k = 0; k < s->n; k++)
		trace_text_write_event(w, ctx, &s->ev[k]);
	fclose(w);
	r = fmemopen(text, len, "r");
	rd = trace_text_open(r, "saved", &ctx2, &err);
	if (!rd) {
		fprintf(stderr, "saved trace does not read back: %s\n", err.msg);
		abort();
	}
	while ((rc = trace_text_next(rd, &ev, &err)) == 1) {
		const struct fm_event *a = &s->ev[i++];

		if (!same_event(a, &ev)) {
			char line[256];

			trace_text_format_event(ctx, a, line, sizeof(line));
			fprintf(stderr, "event %u does not read back: %s\n", i - 1, line);
			abort();
		}
	}
	if (rc < 0) {
		fprintf(stderr, "saved event does not read back: %s\n", err.msg);
		abort();
	}
	if (i != s->n)
		abort();
	fm_ctx_free(&ctx2);
	trace_text_close(rd);
	fclose(r);
	free(text);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void decode_only(const uint8_t *data, size_t size)
{
	static struct sink s;
	struct ring_set rs;
	struct ring *r;
	uint64_t pos, len;

	memset(&rs, 0, sizeof(rs));
	rs.diag = on_diag;
	r = &rs.r[0];
	r->cpu = data[2] & 7;
	r->usable = true;
	r->size = 1u << (3 + data[1] % 14);
	pos = get64(data) >> 16;
	data += 8, size -= 8;
	len = size < r->size ? size : r->size;
	s.n = 0;
	s.ctx = NULL;
	s.cpu = r->cpu;
	s.check_cpu = true;
	if (ring_decode(&rs, r, data, pos, len, on_event, &s) != len)
		abort();
	if (r->st.events != s.n && s.n < MAX_EVENTS)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	print_init(fopen("/dev/null", "w"), false);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_state st;
	static struct ring_set rs;
	static struct sink s;
	struct fm_trace_ctx ctx = {0};
	struct fm_err err = {{0}};
	struct fz_target f;
	unsigned nmut;
	uint8_t mode;
	uint64_t pa = BASE;

	if (size < 8)
		return 0;
	mode = data[0];
	if (mode & 1) {
		decode_only(data, size);
		return 0;
	}
	nmut = data[1] % (MAX_MUT + 1);
	if (size < 8 + nmut * sizeof(struct mut) + 8)
		return 0;
	memset(&f, 0, sizeof(f));
	f.t.ops = &fz_ops;
	f.nmut = nmut;
	f.mut = malloc(nmut * sizeof(struct mut) + 1);
	memcpy((void *)f.mut, data + 8, nmut * sizeof(struct mut));
	data += 8 + nmut * sizeof(struct mut);
	size -= 8 + nmut * sizeof(struct mut);
	f.size = size;
	f.mem = malloc(size); /* a copy the "agent" changes; exact size for ASan */
	memcpy(f.mem, data, size);

	agent_check_header(f.mem, size, BASE, &st.hdr, &err);
	if (mode & 2) {
		memset(&err, 0, sizeof(err));
		if (agent_scan(&f.t, BASE, size, &pa, &err)) {
			if (!err.msg[0])
				abort();
			goto out;
		}
		if (pa < BASE || pa - BASE >= size || (pa & 7))
			abort();
	}
	memset(&err, 0, sizeof(err));
	if (agent_read(&f.t, pa, &st, &err)) {
		if (!err.msg[0])
			abort();
		goto out;
	}
	if (st.max_cpus < 1 || st.max_cpus > FIXMAP_MAX_CPUS || st.ncpus > st.max_cpus)
		abort();
	for (unsigned i = 0; i < st.max_cpus; i++) {
		const struct agent_cpu *c = &st.cpu[i];

		/*
		 * A usable ring has a sane geometry inside the shared area. It may
		 * still lie past the end of the target's memory (total_size is the
		 * agent's word, and the reader does not know the target's size):
		 * the target refuses those reads, which the drain below exercises.
		 */
		if (c->usable && (!c->c.ring_size || (c->c.ring_size & (c->c.ring_size - 1)) ||
				  c->ring_pa < BASE))
			abort();
		f.tails_pa[f.ntails++] = c->pa + offsetof(struct fixmap_cpu, tail);
	}
	agent_trace_ctx(&st, &ctx);
	if (ctx.ncpus < 1 || ctx.ncpus > FM_MAX_CPUS)
		abort();
	(void)agent_mode_name(st.hdr.mode);
	(void)agent_state_name(st.hdr.state);
	if (ring_set_init(&rs, &st, &err))
		abort();
	rs.diag = on_diag;
	rs.consume = !(mode & 4);
	rs.wait_ms = mode & 8 ? 10000 : 0; /* a live command asks the agent to wait */
	s.n = 0;
	s.ctx = &ctx;
	s.check_cpu = false;
	/* three drains: the mutations land between them */
	for (int k = 0; k < 3; k++) {
		memset(&err, 0, sizeof(err));
		if (ring_set_drain(&rs, &f.t, on_event, &s, &err) && !err.msg[0])
			abort();
	}
	memset(&err, 0, sizeof(err));
	if (agent_refresh(&f.t, &st, &err) && !err.msg[0])
		abort();
	ring_set_free(&rs);
	save_and_reread(&ctx, &s);
out:
	fm_ctx_free(&ctx);
	free(f.mem);
	free((void *)f.mut);
	return 0;
}
