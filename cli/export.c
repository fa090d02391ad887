/* SPDX-License-Identifier: MIT */
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "desc.h"
#include "print.h"
#include "trace_text.h"

#define PID 1

/* An open break-before-make window: table, level and VA, and its async id. */
struct win {
	uint64_t va, id; /* id 0: empty slot */
	uint16_t table;
	int8_t level;
	uint16_t cpu;
};

struct perfetto {
	FILE *f;
	const struct fm_trace_ctx *ctx;
	bbm_symbolize_fn sym;
	void *sym_arg;
	struct win *w;
	size_t nw, cap; /* cap: power of two */
	uint64_t next_id, last_ts, opened;
	bool first;
	bool failed;
};

static void sep(struct perfetto *p)
{
	if (!p->first)
		fputs(",\n", p->f);
	p->first = false;
}

static void str(struct perfetto *p, const char *s)
{
	print_json_string(p->f, s);
}

static void meta(struct perfetto *p, const char *what, unsigned tid, const char *key,
		 const char *sval, int64_t ival)
{
	sep(p);
	fprintf(p->f, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%u,\"name\":\"%s\",\"args\":{\"%s\":", PID,
		tid, what, key);
	if (sval)
		str(p, sval);
	else
		fprintf(p->f, "%" PRId64, ival);
	fputs("}}", p->f);
}

struct perfetto *perfetto_open(FILE *f, const struct fm_trace_ctx *ctx, const char *name,
			       struct fm_err *err)
{
	struct perfetto *p = calloc(1, sizeof(*p));
	char pname[160];

	if (!p || !(p->w = calloc(64, sizeof(*p->w)))) {
		free(p);
		fm_err_set(err, "out of memory");
		return NULL;
	}
	p->cap = 64;
	p->f = f;
	p->ctx = ctx;
	p->first = true;
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"fixmapctl export\","
	      "\"trace\":",
	      f);
	str(p, name ? name : "");
	fputs(",\"clock\":\"one microsecond per event: the trace's order, not its time\"},\n"
	      "\"traceEvents\":[\n",
	      f);
	snprintf(pname, sizeof(pname), "fixmap %s", name ? name : "trace");
	meta(p, "process_name", 0, "name", pname, 0);
	for (unsigned c = 0; c < ctx->ncpus && c < FM_MAX_CPUS; c++) {
		char tname[16];

		snprintf(tname, sizeof(tname), "cpu%u", c);
		meta(p, "thread_name", c, "name", tname, 0);
		meta(p, "thread_sort_index", c, "sort_index", NULL, c);
	}
	return p;
}

void perfetto_set_symbolizer(struct perfetto *p, bbm_symbolize_fn fn, void *arg)
{
	p->sym = fn;
	p->sym_arg = arg;
}

uint64_t perfetto_windows(const struct perfetto *p)
{
	return p->opened;
}

/* ---- open windows: open addressing, linear probing ---- */

static size_t wslot(const struct perfetto *p, unsigned table, int level, uint64_t va)
{
	uint64_t h = (va >> 12) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)table << 4 | (unsigned)(level + 1));
	size_t i = (size_t)(h >> 20) & (p->cap - 1);

	while (p->w[i].id &&
	       !(p->w[i].va == va && p->w[i].table == table && p->w[i].level == level))
		i = (i + 1) & (p->cap - 1);
	return i;
}

static bool wgrow(struct perfetto *p)
{
	struct win *old = p->w;
	size_t n = p->cap;

	if ((p->nw + 1) * 2 < p->cap)
		return true;
	p->w = calloc(n * 2, sizeof(*p->w));
	if (!p->w) {
		p->w = old;
		return false;
	}
	p->cap = n * 2;
	for (size_t i = 0; i < n; i++)
		if (old[i].id)
			p->w[wslot(p, old[i].table, old[i].level, old[i].va)] = old[i];
	free(old);
	return true;
}

static void wdelete(struct perfetto *p, size_t i)
{
	/* backward-shift deletion keeps the probe chains whole */
	size_t j = i, m = p->cap - 1;

	p->w[i].id = 0;
	for (;;) {
		j = (j + 1) & m;
		if (!p->w[j].id)
			break;
		struct win e = p->w[j];
		p->w[j].id = 0;
		p->w[wslot(p, e.table, e.level, e.va)] = e;
	}
	p->nw--;
}

/* ---- events ---- */

static void arg_hex(struct perfetto *p, const char *key, uint64_t v)
{
	fprintf(p->f, ",\"%s\":\"0x%" PRIx64 "\"", key, v);
}

static void span(struct perfetto *p, char ph, const struct win *w, uint64_t ts, unsigned cpu,
		 const char *extra)
{
	sep(p);
	fprintf(p->f,
		"{\"ph\":\"%c\",\"cat\":\"bbm\",\"id\":\"0x%" PRIx64 "\",\"pid\":%d,\"tid\":%u,"
		"\"ts\":%" PRIu64 ",\"name\":\"bbm va=0x%" PRIx64 " L%d\",\"args\":{\"va\":\"0x%" PRIx64
		"\",\"level\":%d,\"table\":",
		ph, w->id, PID, cpu, ts, w->va, w->level, w->va, w->level);
	str(p, w->table < p->ctx->ntables ? p->ctx->tables[w->table].name : "default");
	fprintf(p->f, "%s}}", extra ? extra : "");
}

/* Opens or closes the entry's window at a store (break: open; make: close). */
static void window_at_store(struct perfetto *p, uint64_t ts, const struct fm_event *ev, bool ov,
			    bool nv)
{
	size_t i;

	if (ov == nv || !wgrow(p))
		return;
	i = wslot(p, ev->table, ev->level, ev->va);
	if (ov && !nv && !p->w[i].id) {
		p->w[i] = (struct win){.va = ev->va, .id = ++p->next_id, .table = ev->table,
				       .level = ev->level, .cpu = ev->cpu};
		p->nw++;
		p->opened++;
		span(p, 'b', &p->w[i], ts, ev->cpu, NULL);
	} else if (!ov && nv && p->w[i].id) {
		span(p, 'e', &p->w[i], ts, p->w[i].cpu, NULL);
		wdelete(p, i);
	}
}

void perfetto_event(struct perfetto *p, uint64_t ts, const struct fm_event *ev)
{
	char name[96], bb[8], text[512], sym[160];
	const char *cat = "event";

	if (ev->type == FM_EV_TABLE || ev->type == FM_EV_CUT)
		return;
	p->last_ts = ts;
	switch (ev->type) {
	case FM_EV_PTE: {
		struct desc_fmt fmt = ev->table < p->ctx->ntables
					  ? desc_fmt_of_table(&p->ctx->tables[ev->table])
					  : desc_fmt_4k(FM_REGIME_EL2);
		bool ov = desc_fmt_is_valid(&fmt, ev->old, ev->level);
		bool nv = desc_fmt_is_valid(&fmt, ev->new, ev->level);
		snprintf(name, sizeof(name), "pte %s",
			 ov && nv ? "change" : ov ? "break" : nv ? "make" : "invalid");
		cat = "pte";
		window_at_store(p, ts, ev, ov, nv);
		break;
	}
	case FM_EV_DSB:
	case FM_EV_DMB:
		snprintf(name, sizeof(name), "%s %s", ev->type == FM_EV_DSB ? "dsb" : "dmb",
			 arm64_bar_name(ev->bar, bb));
		cat = "barrier";
		break;
	case FM_EV_ISB:
		snprintf(name, sizeof(name), "isb");
		cat = "barrier";
		break;
	case FM_EV_TLBI:
		snprintf(name, sizeof(name), "tlbi %s", arm64_tlbi_name(ev->tlbi));
		cat = "tlbi";
		break;
	default: {
		/* access, free, use, lost, unseen: the operation word of its trace line */
		char *sp;
		trace_text_format_event(p->ctx, ev, text, sizeof(text));
		sp = strchr(text, ' ');
		snprintf(name, sizeof(name), "%.*s", sp ? (int)strcspn(sp + 1, " ") : 0,
			 sp ? sp + 1 : "");
		break;
	}
	}
	sep(p);
	fprintf(p->f,
		"{\"ph\":\"X\",\"cat\":\"%s\",\"name\":\"%s\",\"pid\":%d,\"tid\":%u,\"ts\":%" PRIu64
		",\"dur\":1,\"args\":{\"seq\":%" PRIu64,
		cat, name, PID, ev->cpu, ts, ts);
	if (ev->line)
		fprintf(p->f, ",\"line\":%" PRIu32, ev->line);
	if (ev->flags & FM_EVF_PC) {
		arg_hex(p, "pc", ev->pc);
		if (p->sym && !p->sym(ev->pc, sym, sizeof(sym), p->sym_arg)) {
			fputs(",\"symbol\":", p->f);
			str(p, sym);
		}
	}
	switch (ev->type) {
	case FM_EV_PTE:
	case FM_EV_UNSEEN:
		arg_hex(p, "va", ev->va);
		fprintf(p->f, ",\"level\":%d", ev->level);
		if (ev->type == FM_EV_PTE)
			arg_hex(p, "old", ev->old);
		arg_hex(p, "new", ev->new);
		fputs(",\"table\":", p->f);
		str(p, ev->table < p->ctx->ntables ? p->ctx->tables[ev->table].name : "default");
		if (ev->flags & FM_EVF_PTEP)
			arg_hex(p, "ptep", ev->ptep);
		break;
	case FM_EV_TLBI:
		arg_hex(p, "operand", ev->arg);
		if (arm64_tlbi_flags(ev->tlbi) & (TLBI_F_VA | TLBI_F_IPA))
			arg_hex(p, "va", arm64_tlbi_addr(ev->tlbi, ev->arg));
		break;
	case FM_EV_ACCESS:
		arg_hex(p, "va", ev->va);
		break;
	case FM_EV_FREE:
		arg_hex(p, "pa", ev->ptep);
		break;
	default:
		break;
	}
	if (ev->type != FM_EV_PTE && ev->type != FM_EV_DSB && ev->type != FM_EV_DMB &&
	    ev->type != FM_EV_ISB && ev->type != FM_EV_TLBI) {
		fputs(",\"event\":", p->f);
		str(p, text);
	}
	fputs("}}", p->f);
	if (ferror(p->f))
		p->failed = true;
}

void perfetto_finding(struct perfetto *p, const struct bbm_finding *f)
{
	sep(p);
	fprintf(p->f,
		"{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"finding\",\"name\":\"%s\",\"pid\":%d,\"tid\":%u,"
		"\"ts\":%" PRIu64 ",\"args\":{\"severity\":\"%s\",\"rule\":\"%s\",\"line\":%" PRIu32,
		f->rule, PID, f->cpu, f->seq, f->severity == BBM_WARNING ? "warning" : "error",
		f->rule, f->line);
	arg_hex(p, "va", f->va);
	fprintf(p->f, ",\"level\":%u,\"table\":", f->level);
	str(p, f->table ? f->table : "");
	if (f->has_pc) {
		arg_hex(p, "pc", f->pc);
		if (f->sym[0]) {
			fputs(",\"symbol\":", p->f);
			str(p, f->sym);
		}
	}
	fputs(",\"message\":", p->f);
	str(p, f->message);
	if (f->ex.missing[0]) {
		fputs(",\"missing\":", p->f);
		str(p, f->ex.missing);
	}
	if (f->ex.fix[0]) {
		fputs(",\"fix\":", p->f);
		str(p, f->ex.fix);
	}
	fputs("}}", p->f);
}

int perfetto_close(struct perfetto *p)
{
	int rc;

	/* Windows still open: closed at the end, and said so. */
	for (size_t i = 0; i < p->cap; i++)
		if (p->w[i].id)
			span(p, 'e', &p->w[i], p->last_ts + 1, p->w[i].cpu, ",\"open_at_end\":true");
	fputs("\n]}\n", p->f);
	rc = fflush(p->f) || ferror(p->f) || p->failed ? -1 : 0;
	free(p->w);
	free(p);
	return rc;
}
