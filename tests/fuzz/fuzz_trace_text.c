/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the trace text format v1 reader (trace_text.c), and the writer
 * as its inverse.
 *
 * Input: a trace file. Promises checked: the reader ends with events, end of
 * file or an error that names the file and line ("t:LINE: ..."); every event
 * it returns is in range (CPU below `cpus`, level 0-3, a declared table); and
 * what the writer makes of the declarations and of each event reads back as
 * the same declarations and the same event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_text.h"

#define MAX_EVENTS 4096

static void same_ctx(const struct fm_trace_ctx *a, const struct fm_trace_ctx *b)
{
	if (a->ncpus != b->ncpus || a->ntables != b->ntables || a->features != b->features ||
	    a->bbm_level != b->bbm_level || a->cut != b->cut)
		abort();
	for (unsigned i = 0; i < a->ntables; i++) {
		const struct fm_table_decl *x = &a->tables[i], *y = &b->tables[i];

		if (strcmp(x->name, y->name) || x->regime != y->regime || x->shared != y->shared ||
		    x->dynamic != y->dynamic || x->granule != y->granule || x->lpa2 != y->lpa2 ||
		    x->has_asid != y->has_asid || x->has_vmid != y->has_vmid ||
		    (x->has_asid && x->asid != y->asid) || (x->has_vmid && x->vmid != y->vmid) ||
		    memcmp(x->cpus, y->cpus, sizeof(x->cpus)))
			abort();
	}
}

static void same_event(const struct fm_event *a, const struct fm_event *b)
{
	/*
	 * FM_EVF_ASID only says the text named the ASID; the writer names it
	 * whenever the operand has one, so compare it through the operand.
	 */
	if (a->type != b->type || a->cpu != b->cpu ||
	    (a->flags & ~FM_EVF_ASID) != (b->flags & ~FM_EVF_ASID))
		abort();
	if ((a->flags & FM_EVF_PC) && a->pc != b->pc)
		abort();
	switch (a->type) {
	case FM_EV_PTE:
		if (a->va != b->va || a->level != b->level || a->old != b->old || a->new != b->new ||
		    a->table != b->table || ((a->flags & FM_EVF_PTEP) && a->ptep != b->ptep))
			abort();
		break;
	case FM_EV_DSB:
	case FM_EV_DMB:
		if (a->bar != b->bar)
			abort();
		break;
	case FM_EV_TLBI:
		if (a->tlbi != b->tlbi || a->arg != b->arg || a->va != b->va ||
		    ((a->flags & FM_EVF_VMID) && a->vmid != b->vmid))
			abort();
		break;
	case FM_EV_ACCESS:
		if (a->va != b->va || ((a->flags & FM_EVF_TABLE) && a->table != b->table))
			abort();
		break;
	case FM_EV_UNSEEN:
		if (a->va != b->va || a->level != b->level || a->new != b->new ||
		    a->table != b->table)
			abort();
		break;
	case FM_EV_USE:
		if (a->table != b->table || ((a->flags & FM_EVF_ASID) && a->arg != b->arg) ||
		    ((a->flags & FM_EVF_VMID) && a->vmid != b->vmid) ||
		    ((a->flags & FM_EVF_REPLACES) && a->ptep != b->ptep))
			abort();
		break;
	case FM_EV_TABLE:
		if (a->table != b->table)
			abort();
		break;
	case FM_EV_LOST:
		if (a->arg != b->arg)
			abort();
		break;
	case FM_EV_CUT:
		break;
	case FM_EV_FREE:
		if (a->ptep != b->ptep)
			abort();
		break;
	case FM_EV_ISB:
		break;
	default:
		abort(); /* the reader made an event of no known type */
	}
}

/*
 * The declarations and the events written out, then read back. hdr is the
 * context as it stood after the header (tables and cut declared between
 * events come back as FM_EV_TABLE and FM_EV_CUT items, written in place).
 */
static void round_trip(const struct fm_trace_ctx *ctx, const struct fm_trace_ctx *hdr,
		       const struct fm_event *evs, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&text, &len), *r;
	struct fm_trace_ctx ctx2;
	struct trace_reader *rd;
	struct fm_err err = {{0}};
	struct fm_event ev;
	size_t i = 0;
	int rc;

	if (!w || trace_text_write_header(w, hdr))
		abort();
	for (size_t k = 0; k < n; k++)
		if (trace_text_write_event(w, ctx, &evs[k]))
			abort();
	fclose(w);
	r = fmemopen(text, len, "r");
	if (!r)
		abort();
	rd = trace_text_open(r, "rt", &ctx2, &err);
	if (!rd) {
		fprintf(stderr, "written trace does not read back: %s\n%s", err.msg, text);
		abort();
	}
	while ((rc = trace_text_next(rd, &ev, &err)) == 1) {
		if (i >= n)
			abort();
		same_event(&evs[i], &ev);
		i++;
	}
	if (rc < 0) {
		fprintf(stderr, "written event does not read back: %s\n", err.msg);
		abort();
	}
	if (i != n)
		abort();
	same_ctx(ctx, &ctx2);
	trace_text_close(rd);
	fm_ctx_free(&ctx2);
	fclose(r);
	free(text);
}

/*
 * The reader's fast path must give exactly what the general parser gives: the
 * same items and the same error (message and line), on any input.
 */
static void fast_path_same(const uint8_t *data, size_t size)
{
	static struct fm_event a[MAX_EVENTS];
	struct fm_err ea = {{0}}, eb = {{0}};
	struct fm_trace_ctx ca, cb;
	struct trace_reader *ra, *rb;
	struct fm_event ev;
	size_t na = 0, nb = 0;
	int rca = -1, rcb = -1;
	FILE *fa = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	FILE *fb = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");

	if (!fa || !fb)
		abort();
	trace_text_fast_path = true;
	ra = trace_text_open(fa, "t", &ca, &ea);
	if (ra) {
		while ((rca = trace_text_next(ra, &ev, &ea)) == 1 && na < MAX_EVENTS)
			a[na++] = ev;
		trace_text_close(ra);
		fm_ctx_free(&ca);
	}
	trace_text_fast_path = false;
	rb = trace_text_open(fb, "t", &cb, &eb);
	if (!!ra != !!rb)
		abort();
	if (rb) {
		while ((rcb = trace_text_next(rb, &ev, &eb)) == 1 && nb < MAX_EVENTS) {
			if (nb >= na || memcmp(&a[nb], &ev, sizeof(ev)))
				abort();
			nb++;
		}
		trace_text_close(rb);
		fm_ctx_free(&cb);
	}
	trace_text_fast_path = true;
	if (na != nb || rca != rcb || strcmp(ea.msg, eb.msg))
		abort();
	fclose(fa);
	fclose(fb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fm_event evs[MAX_EVENTS];
	struct fm_trace_ctx ctx;
	struct trace_reader *rd;
	struct fm_err err = {{0}};
	struct fm_event ev;
	size_t n = 0;
	FILE *f;
	int rc;

	fast_path_same(data, size);
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		abort();
	rd = trace_text_open(f, "t", &ctx, &err);
	if (!rd) {
		if (strncmp(err.msg, "t:", 2))
			abort();
		fclose(f);
		return 0;
	}
	if (ctx.ncpus == 0 || ctx.ncpus > FM_MAX_CPUS || ctx.ntables < 1 ||
	    ctx.ntables > FM_MAX_TABLES)
		abort();
	struct fm_trace_ctx hdr = ctx; /* shares tables: only the first ntables are read */
	while ((rc = trace_text_next(rd, &ev, &err)) == 1) {
		if (ev.cpu >= ctx.ncpus)
			abort();
		if ((ev.type == FM_EV_PTE || ev.type == FM_EV_UNSEEN) &&
		    (ev.level < -1 || ev.level > 3 || ev.table >= ctx.ntables))
			abort();
		if ((ev.type == FM_EV_USE || ev.type == FM_EV_TABLE) && ev.table >= ctx.ntables)
			abort();
		if (n < MAX_EVENTS)
			evs[n++] = ev;
		else
			break; /* the round trip compares the first MAX_EVENTS items */
	}
	if (rc < 0 && strncmp(err.msg, "t:", 2))
		abort();
	trace_text_close(rd);
	fclose(f);
	if (n < MAX_EVENTS) {
		hdr.tables = ctx.tables; /* may have moved */
		round_trip(&ctx, &hdr, evs, n);
	}
	fm_ctx_free(&ctx);
	return 0;
}
