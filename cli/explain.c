/* SPDX-License-Identifier: MIT */
#include "explain.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"
#include "print.h"
#include "trace_text.h"

int explain_symbolize(uint64_t pc, char *buf, size_t n, void *elfsym)
{
	uint64_t off;
	const char *name = elfsym ? elfsym_symbolize(elfsym, pc, &off) : NULL;

	if (!name)
		return -1;
	snprintf(buf, n, "%s+%#" PRIx64, name, off);
	return 0;
}

/* ---- the window of recent events ---- */

struct kept {
	uint64_t key; /* base + the checker's number */
	struct fm_event ev; /* as it came (its own seq: what a live view shows) */
};

struct cpuwin {
	struct kept *ev; /* ring of per events, keys ascending */
	uint64_t n;	 /* events ever kept */
};

struct explain_window {
	unsigned ncpus;
	size_t per;
	struct cpuwin *c;
	uint64_t base, last; /* explain_window_restart(); the last number kept */
};

struct explain_window *explain_window_new(unsigned ncpus, size_t per_cpu)
{
	struct explain_window *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->ncpus = ncpus ? ncpus : 1;
	w->per = per_cpu ? per_cpu : EXPLAIN_PER_CPU;
	w->c = calloc(w->ncpus, sizeof(*w->c));
	if (!w->c) {
		free(w);
		return NULL;
	}
	return w;
}

void explain_window_free(struct explain_window *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < w->ncpus; i++)
		free(w->c[i].ev);
	free(w->c);
	free(w);
}

void explain_window_reset(struct explain_window *w)
{
	for (unsigned i = 0; w && i < w->ncpus; i++)
		w->c[i].n = 0;
	if (w)
		w->base = w->last = 0;
}

void explain_window_restart(struct explain_window *w)
{
	if (w)
		w->base = w->last;
}

uint64_t explain_window_base(const struct explain_window *w)
{
	return w ? w->base : 0;
}

size_t explain_window_per_cpu(const struct explain_window *w)
{
	return w ? w->per : 0;
}

void explain_window_add(struct explain_window *w, uint64_t seq, const struct fm_event *ev)
{
	struct cpuwin *c;

	if (!w || ev->cpu >= w->ncpus)
		return;
	c = &w->c[ev->cpu];
	if (!c->ev) {
		c->ev = malloc(w->per * sizeof(*c->ev));
		if (!c->ev)
			return; /* this CPU's steps are then named without their text */
	}
	c->ev[c->n % w->per].ev = *ev;
	c->ev[c->n % w->per].key = w->base + seq;
	c->n++;
	w->last = w->base + seq;
}

void explain_feed(struct explain_window *w, struct bbm *b, const struct fm_event *ev)
{
	uint64_t seq = bbm_seq(b) + 1;
	bool keep = w && ev->type != FM_EV_TABLE && ev->type != FM_EV_CUT && ev->cpu < w->ncpus;

	/* Kept before the checker sees it: a finding on this very event names it. */
	if (keep)
		explain_window_add(w, seq, ev);
	bbm_event(b, ev);
	if (keep && bbm_seq(b) != seq && w->c[ev->cpu].n) {
		w->c[ev->cpu].n--; /* the checker did not take it (no number) */
		w->last = w->base + bbm_seq(b);
	}
}

/* Index in c->ev of the first kept event with seq >= s (kept count if none). */
static uint64_t lower_bound(const struct explain_window *w, const struct cpuwin *c, uint64_t s)
{
	uint64_t kept = c->n < w->per ? c->n : w->per, lo = 0, hi = kept, first = c->n - kept;

	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (c->ev[(first + mid) % w->per].key < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct kept *kept_at(const struct explain_window *w, const struct cpuwin *c,
				  uint64_t i)
{
	uint64_t kept = c->n < w->per ? c->n : w->per;

	return i < kept ? &c->ev[(c->n - kept + i) % w->per] : NULL;
}

static const struct fm_event *find_on(const struct explain_window *w, unsigned cpu, uint64_t seq)
{
	const struct cpuwin *c;
	const struct kept *k;

	if (cpu >= w->ncpus || !w->c[cpu].ev || !w->c[cpu].n)
		return NULL;
	c = &w->c[cpu];
	k = kept_at(w, c, lower_bound(w, c, seq));
	return k && k->key == seq ? &k->ev : NULL;
}

const struct fm_event *explain_window_get(const struct explain_window *w, unsigned cpu,
					  uint64_t seq)
{
	const struct fm_event *e;

	if (!w || !seq)
		return NULL;
	if ((e = find_on(w, cpu, seq)))
		return e;
	for (unsigned i = 0; i < w->ncpus; i++)
		if (i != cpu && (e = find_on(w, i, seq)))
			return e;
	return NULL;
}

/* ---- colour ---- */

int explain_color_parse(const char *when, bool *color)
{
	if (!when || !strcmp(when, "auto")) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
		*color = isatty(STDOUT_FILENO) && !(nc && *nc) && term && *term &&
			 strcmp(term, "dumb");
	} else if (!strcmp(when, "always")) {
		*color = true;
	} else if (!strcmp(when, "never")) {
		*color = false;
	} else {
		return -1;
	}
	return 0;
}

enum tint { T_NONE, T_WRONG, T_MISSING, T_AT, T_DIM };

static const char *sgr(enum tint t)
{
	switch (t) {
	case T_WRONG:
		return "\033[1;31m";
	case T_MISSING:
		return "\033[1;33m";
	case T_AT:
		return "\033[1m";
	case T_DIM:
		return "\033[2m";
	default:
		return "";
	}
}

/* ---- the diagram ---- */

#define MAX_ROWS 64	 /* rows shown, elision marks included */
#define MAX_LANES 8	 /* CPU columns; more CPUs share one "other" column */
#define CONTEXT 2	 /* other events shown on each side of a step */
#define SCAN_MAX 4096	 /* events looked at per CPU for context */

enum mark { M_STEP = 'o', M_WRONG = 'x', M_AT = '*', M_MISSING = '+', M_OTHER = '.' };

struct row {
	uint64_t seq;	  /* the event; for the missing row, the event it goes before (0: end) */
	uint32_t line;
	uint64_t shown;	  /* without lines (live): the number shown, the event's own seq */
	uint16_t cpu;
	char mark;	  /* enum mark, or 0 for an elision row */
	int step;	  /* index into ex.steps, -1 for none */
	uint64_t hidden;  /* elision row: events left out */
};

struct lanes {
	unsigned n;		 /* columns */
	int cpu[MAX_LANES + 1];	 /* CPU of each column, -1 for "other" */
	uint64_t other[FM_MAX_CPUS / 64];
	bool has_other;
	unsigned width; /* of one column, the space after it included */
};

static bool in(const uint64_t *set, unsigned c)
{
	return c < FM_MAX_CPUS && ((set[c / 64] >> (c % 64)) & 1);
}

static void add(uint64_t *set, unsigned c)
{
	if (c < FM_MAX_CPUS)
		set[c / 64] |= 1ull << (c % 64);
}

/* "cpu 1" / "cpus 0,2-3" */
static void cpus_text(const uint64_t *set, char *buf, size_t n)
{
	size_t o = 0;
	unsigned cnt = 0;

	for (unsigned c = 0; c < FM_MAX_CPUS; c++)
		cnt += in(set, c);
	o = (size_t)snprintf(buf, n, "%s", cnt == 1 ? "cpu " : "cpus ");
	for (unsigned c = 0; c < FM_MAX_CPUS && o < n; c++) {
		unsigned e = c;
		if (!in(set, c))
			continue;
		while (e + 1 < FM_MAX_CPUS && in(set, e + 1))
			e++;
		o += (size_t)(e > c ? snprintf(buf + o, n - o, "%s%u-%u", o > 5 ? "," : "", c, e)
				    : snprintf(buf + o, n - o, "%s%u", o > 5 ? "," : "", c));
		c = e;
	}
	if (!cnt)
		snprintf(buf, n, "no CPU");
}

/* May CPU c hold the old translation at (just after, if after) event seq? */
static bool holds(const struct bbm_explain *x, unsigned c, uint64_t seq, bool after)
{
	if (!in(x->holders, c) || !x->win_start || seq < x->win_start)
		return false;
	if (x->win_end && (seq > x->win_end || (after && seq == x->win_end)))
		return false;
	if (in(x->done, c) && x->done_seq && (seq > x->done_seq || (after && seq == x->done_seq)))
		return false;
	return true;
}

static bool lane_holds(const struct lanes *ln, unsigned col, const struct bbm_explain *x,
		       uint64_t seq, bool after)
{
	if (ln->cpu[col] >= 0)
		return holds(x, (unsigned)ln->cpu[col], seq, after);
	for (unsigned c = 0; c < FM_MAX_CPUS; c++)
		if (in(ln->other, c) && holds(x, c, seq, after))
			return true;
	return false;
}

static int lane_of(const struct lanes *ln, unsigned cpu)
{
	for (unsigned i = 0; i < ln->n; i++)
		if (ln->cpu[i] == (int)cpu)
			return (int)i;
	return ln->has_other && in(ln->other, cpu) ? (int)ln->n - 1 : -1;
}

/* A line being built: bytes, and the columns they take (escapes take none). */
struct lbuf {
	char s[1024];
	size_t len;
	unsigned cols;
	bool color;
	bool text; /* a word is on this line after the lanes */
};

static void lb_put(struct lbuf *b, enum tint t, const char *s)
{
	size_t n = strlen(s);

	if (b->color && t != T_NONE && n) {
		const char *on = sgr(t);
		if (b->len + strlen(on) < sizeof(b->s)) {
			memcpy(b->s + b->len, on, strlen(on));
			b->len += strlen(on);
		}
	}
	if (b->len + n >= sizeof(b->s))
		n = sizeof(b->s) - 1 - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->cols += (unsigned)n;
	if (b->color && t != T_NONE && n && b->len + 4 < sizeof(b->s)) {
		memcpy(b->s + b->len, "\033[0m", 4);
		b->len += 4;
	}
	b->s[b->len] = '\0';
}

static void lb_pad(struct lbuf *b, unsigned col)
{
	while (b->cols < col && b->len + 1 < sizeof(b->s))
		lb_put(b, T_NONE, " ");
}

struct render {
	const struct bbm_finding *f;
	const struct bbm_explain *x;
	const struct explain_window *w;
	const struct explain_style *st;
	explain_line_fn fn;
	void *arg;
	unsigned width, numw, lanes_at, text_at, nlines;
	bool use_seq; /* no line numbers (live): number rows by sequence */
	struct lanes ln;
	struct row rows[MAX_ROWS];
	unsigned nrows;
	unsigned missing_steps; /* steps whose event fell out of the window */
	bool drawn[128];	/* marks drawn, for the key */
};

static void emit(struct render *r, struct lbuf *b)
{
	r->fn(b->s, r->arg);
	r->nlines++;
}

/*
 * The start of a line: the number column and the lanes. An event's own line
 * has its mark on its CPU's lane and the window as it is at the event; its
 * continuation lines show the window just after it. Elided events draw the
 * window dotted.
 */
static void lb_prefix(struct render *r, struct lbuf *b, const struct row *row, bool cont)
{
	char num[24] = "";
	int col = row->mark && !cont ? lane_of(&r->ln, row->cpu) : -1;
	uint64_t s = row->seq;
	bool after = cont || !row->mark;

	memset(b, 0, sizeof(*b));
	b->color = r->st->color;
	if (row->mark == M_MISSING) {
		/* just before the event it belongs before; at the end, at the window's end */
		after = false;
		if (!s)
			s = r->x->win_end ? r->x->win_end : UINT64_MAX - 1;
	}
	if (!cont && row->mark && row->mark != M_MISSING)
		snprintf(num, sizeof(num), "%" PRIu64, r->use_seq ? row->shown : (uint64_t)row->line);
	lb_pad(b, 2 + r->numw - (unsigned)strlen(num));
	lb_put(b, T_NONE, num);
	for (unsigned i = 0; i < r->ln.n; i++) {
		char m[2] = {' ', 0};
		enum tint t = T_NONE;

		lb_pad(b, r->lanes_at + i * r->ln.width + 1);
		if ((int)i == col) {
			m[0] = row->mark;
			r->drawn[(unsigned char)m[0] & 127] = true;
			t = row->mark == M_WRONG     ? T_WRONG
			    : row->mark == M_MISSING ? T_MISSING
			    : row->mark == M_AT	     ? T_AT
						     : T_NONE;
		} else if ((row->mark != M_MISSING || s > r->x->win_start) &&
			   lane_holds(&r->ln, i, r->x, s, after)) {
			/* (a missing step before the store that opens the window: none yet) */
			m[0] = row->mark ? '|' : ':';
			r->drawn['|'] = true;
		}
		lb_put(b, t, m);
	}
	lb_pad(b, r->text_at);
}

/* Appends words of s to the row's lines, wrapping at the width; t tints them. */
static void put_words(struct render *r, struct lbuf *b, const struct row *row, enum tint t,
		      const char *s, unsigned indent)
{
	char word[256];

	while (*s) {
		size_t n = strcspn(s, " ");
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		while (*s == ' ')
			s++;
		if (!n)
			continue;
		if (b->text && b->cols + 1 + n > r->width) {
			emit(r, b);
			lb_prefix(r, b, row, true);
			lb_pad(b, r->text_at + indent);
		}
		if (b->text)
			lb_put(b, T_NONE, " ");
		if (b->cols + n > r->width && n > 3) { /* a word longer than the room: cut */
			word[r->width > b->cols + 3 ? r->width - b->cols - 3 : 0] = '\0';
			strcat(word, "...");
		}
		lb_put(b, t, word);
		b->text = true;
	}
}

/* A chunk (sym, note) goes on the same line when it fits, else on a new one. */
static void put_chunk(struct render *r, struct lbuf *b, const struct row *row, enum tint t,
		      const char *s)
{
	unsigned n = (unsigned)strlen(s);

	if (!n)
		return;
	if (b->text && b->cols + 2 + n > r->width) {
		emit(r, b);
		lb_prefix(r, b, row, true);
		lb_pad(b, r->text_at + 2);
	} else if (b->text) {
		lb_put(b, T_NONE, " ");
	}
	put_words(r, b, row, t, s, 2);
}

/* The event's trace line without its CPU (the lane shows it) and its pc= (shown apart). */
static void event_text(const struct render *r, const struct fm_event *ev, char *buf, size_t n)
{
	char tmp[512], *p = tmp, *pc;

	trace_text_format_event(r->st->ctx, ev, tmp, sizeof(tmp));
	if (*p == 'c') {
		char *sp = strchr(p, ' ');
		if (sp)
			p = sp + 1;
	}
	if ((pc = strstr(p, " pc=0x")) && !strchr(pc + 1, ' '))
		*pc = '\0';
	snprintf(buf, n, "%s", p);
}

static void pc_text(const struct render *r, uint64_t pc, bool has, char *buf, size_t n)
{
	char s[160];

	buf[0] = '\0';
	if (!has)
		return;
	if (r->st->sym && !r->st->sym(pc, s, sizeof(s), r->st->sym_arg))
		snprintf(buf, n, "<%s>", s);
	else
		snprintf(buf, n, "pc=%#" PRIx64, pc);
}

static const struct bbm_step *step_by_seq(const struct bbm_explain *x, uint64_t seq)
{
	for (unsigned i = 0; i < x->nsteps; i++)
		if (x->steps[i].seq == seq)
			return &x->steps[i];
	return NULL;
}

/* The holders that may still hold the old translation at seq, as text; false if none. */
static bool still_held(const struct bbm_explain *x, uint64_t seq, char *buf, size_t n)
{
	uint64_t set[FM_MAX_CPUS / 64] = {0};
	bool any = false;

	for (unsigned c = 0; c < FM_MAX_CPUS; c++)
		if (holds(x, c, seq, false)) {
			add(set, c);
			any = true;
		}
	cpus_text(set, buf, n);
	return any;
}

/* The note after a step: its part in the finding. */
static void step_note(const struct render *r, const struct bbm_step *s, const struct fm_event *ev,
		      char *buf, size_t n)
{
	const struct bbm_explain *x = r->x;
	char who[128];

	buf[0] = '\0';
	if (s->flags & BBM_STEPF_WRONG) {
		snprintf(buf, n, "<- wrong%s%s", x->fix[0] ? ": use " : "", x->fix);
		return;
	}
	switch (s->kind) {
	case BBM_STEP_BREAK:
	case BBM_STEP_STORE: {
		bool change = ev && ev->type == FM_EV_PTE && desc_fmt_is_valid(&r->f->fmt, ev->new,
									     ev->level);
		if (!x->win_start || s->seq != x->win_start)
			break;
		cpus_text(x->holders, who, sizeof(who));
		snprintf(buf, n, "<- %s: %s may hold the old translation from here",
			 change ? "changed live" : "break", who);
		return;
	}
	case BBM_STEP_DSB:
		if (!x->win_start && r->f->rule && !strcmp(r->f->rule, "missing-isb")) {
			snprintf(buf, n, "<- completes the maintenance");
			return;
		}
		if (s->seq == x->done_seq) {
			cpus_text(x->done, who, sizeof(who));
			snprintf(buf, n, "<- completes the TLBI: %s clean", who);
			return;
		}
		break;
	case BBM_STEP_MAKE:
		if (x->win_start && s->seq == x->win_end) {
			if (still_held(x, s->seq, who, sizeof(who)))
				snprintf(buf, n, "<- made valid again while %s may hold the old "
						 "translation", who);
			else
				snprintf(buf, n, "<- made valid again");
			return;
		}
		if (!x->win_start && r->f->rule && !strcmp(r->f->rule, "missing-isb")) {
			snprintf(buf, n, "<- made valid");
			return;
		}
		break;
	case BBM_STEP_ACCESS:
		if (holds(x, s->cpu, s->seq, false))
			snprintf(buf, n, "<- used while its TLB may hold the old translation");
		else
			snprintf(buf, n, "<- used");
		return;
	case BBM_STEP_FREE:
		if (still_held(x, s->seq, who, sizeof(who)))
			snprintf(buf, n, "<- page freed while %s may hold the old translation", who);
		return;
	default:
		break;
	}
	if (s->flags & BBM_STEPF_AT)
		snprintf(buf, n, "<- reported here");
}

static void draw_row(struct render *r, const struct row *row)
{
	struct lbuf b;
	char text[512], pc[192], note[320];
	const struct bbm_step *s = row->step >= 0 ? &r->x->steps[row->step] : NULL;
	const struct fm_event *ev = NULL;

	lb_prefix(r, &b, row, false);
	if (!row->mark) {
		snprintf(text, sizeof(text), "... %" PRIu64 " other event%s", row->hidden,
			 row->hidden == 1 ? "" : "s");
		lb_put(&b, T_DIM, text);
		emit(r, &b);
		return;
	}
	if (row->mark == M_MISSING) {
		put_words(r, &b, row, T_MISSING, r->x->missing, 2);
		put_chunk(r, &b, row, T_MISSING, "<- missing");
		emit(r, &b);
		return;
	}
	ev = explain_window_get(r->w, row->cpu, r->st->seq_base + row->seq);
	if (ev)
		event_text(r, ev, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "(a %s, no longer kept)",
			 s && s->type == FM_EV_TLBI  ? "tlbi"
			 : s && s->type == FM_EV_DSB ? "dsb"
			 : s && s->type == FM_EV_PTE ? "store"
						     : "event");
	put_words(r, &b, row, row->mark == M_WRONG ? T_WRONG : T_NONE, text, 2);
	if (s)
		pc_text(r, s->pc, s->has_pc, pc, sizeof(pc));
	else
		pc_text(r, ev ? ev->pc : 0, ev && (ev->flags & FM_EVF_PC), pc, sizeof(pc));
	put_chunk(r, &b, row, T_NONE, pc);
	if (s) {
		step_note(r, s, ev, note, sizeof(note));
		put_chunk(r, &b, row, row->mark == M_WRONG ? T_WRONG : T_NONE, note);
	}
	emit(r, &b);
}

/* Is ev an event that helps to read the finding (a barrier of a lane, the same entry)? */
static bool context_event(const struct render *r, const struct fm_event *ev, const uint64_t *steps)
{
	const struct bbm_finding *f = r->f;

	switch (ev->type) {
	case FM_EV_DSB:
	case FM_EV_DMB:
	case FM_EV_ISB:
	case FM_EV_TLBI:
		return in(steps, ev->cpu);
	case FM_EV_PTE:
	case FM_EV_UNSEEN:
		return ev->va == f->va && ev->level == (int8_t)f->level;
	case FM_EV_ACCESS:
		return ev->va >= f->va && ev->va - f->va < (1ull << 12);
	case FM_EV_FREE:
	case FM_EV_LOST:
		return true;
	default:
		return false;
	}
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	/* the missing row goes just before the event it belongs before (seq 0: last) */
	uint64_t sx = x->mark == M_MISSING ? (x->seq ? x->seq : UINT64_MAX) : x->seq;
	uint64_t sy = y->mark == M_MISSING ? (y->seq ? y->seq : UINT64_MAX) : y->seq;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return (x->mark == M_MISSING) ? -1 : (y->mark == M_MISSING) ? 1 : 0;
}

/* The rows: every step, the other events around them, the missing step. */
static void collect_rows(struct render *r)
{
	const struct bbm_explain *x = r->x;
	uint64_t steps[FM_MAX_CPUS / 64] = {0}, lo = UINT64_MAX, hi = 0;
	static struct row cand[MAX_LANES * SCAN_MAX + BBM_EXPLAIN_STEPS + 1];
	size_t nc = 0;
	bool keep[sizeof(cand) / sizeof(cand[0])];

	for (unsigned i = 0; i < x->nsteps; i++) {
		const struct bbm_step *s = &x->steps[i];
		char m = (s->flags & BBM_STEPF_WRONG) ? M_WRONG : (s->flags & BBM_STEPF_AT) ? M_AT : M_STEP;
		const struct fm_event *ev = explain_window_get(r->w, s->cpu, r->st->seq_base + s->seq);
		add(steps, s->cpu);
		cand[nc++] = (struct row){.seq = s->seq,
					  .line = s->line ? s->line : ev ? ev->line : 0,
					  .shown = ev ? ev->seq : s->seq,
					  .cpu = s->cpu,
					  .mark = m,
					  .step = (int)i};
		if (!ev)
			r->missing_steps++;
		if (s->seq < lo)
			lo = s->seq;
		if (s->seq > hi)
			hi = s->seq;
	}
	if (x->win_end > hi)
		hi = x->win_end;
	/* Other events between the first and the last step, on the lanes' CPUs and the entry. */
	for (unsigned c = 0; r->w && c < r->w->ncpus && lo <= hi; c++) {
		const struct cpuwin *cw = &r->w->c[c];
		unsigned looked = 0;
		if (!cw->ev || !cw->n)
			continue;
		uint64_t base = r->st->seq_base;
		for (uint64_t i = lower_bound(r->w, cw, base + lo); looked < SCAN_MAX; i++, looked++) {
			const struct kept *k = kept_at(r->w, cw, i);
			const struct fm_event *ev = k ? &k->ev : NULL;
			if (!k || k->key > base + hi)
				break;
			if (step_by_seq(x, k->key - base) || !context_event(r, ev, steps))
				continue;
			if (nc + 2 >= sizeof(cand) / sizeof(cand[0]))
				break;
			cand[nc++] = (struct row){.seq = k->key - base, .line = ev->line, .shown = ev->seq,
						  .cpu = ev->cpu,
						  .mark = M_OTHER, .step = -1};
		}
	}
	if (x->missing[0])
		cand[nc++] = (struct row){.seq = x->missing_before, .cpu = x->missing_cpu,
					  .mark = M_MISSING, .step = -1};
	qsort(cand, nc, sizeof(cand[0]), cmp_row);
	/* Keep steps, the missing row, and CONTEXT other events on each side of them. */
	for (size_t i = 0; i < nc; i++)
		keep[i] = cand[i].mark != M_OTHER;
	for (size_t i = 0; i < nc; i++) {
		if (cand[i].mark == M_OTHER)
			continue;
		for (size_t k = 1, n = 0; k <= i && n < CONTEXT && cand[i - k].mark == M_OTHER; k++, n++)
			keep[i - k] = true;
		for (size_t k = 1, n = 0; i + k < nc && n < CONTEXT && cand[i + k].mark == M_OTHER;
		     k++, n++)
			keep[i + k] = true;
	}
	r->nrows = 0;
	for (size_t i = 0; i < nc && r->nrows < MAX_ROWS - 1; i++) {
		if (keep[i]) {
			r->rows[r->nrows++] = cand[i];
			continue;
		}
		uint64_t hidden = 0, seq = cand[i].seq;
		while (i < nc && !keep[i]) {
			hidden++;
			i++;
		}
		i--;
		r->rows[r->nrows++] = (struct row){.seq = seq, .mark = 0, .hidden = hidden, .step = -1};
	}
}

static void choose_lanes(struct render *r)
{
	const struct bbm_explain *x = r->x;
	uint64_t inv[FM_MAX_CPUS / 64] = {0}, rowcpu[FM_MAX_CPUS / 64] = {0};
	unsigned n = 0, maxc = 0;

	for (unsigned i = 0; i < r->nrows; i++)
		if (r->rows[i].mark)
			add(rowcpu, r->rows[i].cpu);
	for (unsigned i = 0; i < FM_MAX_CPUS / 64; i++)
		inv[i] = rowcpu[i] | x->holders[i];
	for (unsigned c = 0; c < FM_MAX_CPUS; c++)
		n += in(inv, c);
	memset(&r->ln, 0, sizeof(r->ln));
	for (unsigned c = 0; c < FM_MAX_CPUS; c++) {
		if (!in(inv, c))
			continue;
		if (n <= MAX_LANES || (in(rowcpu, c) && r->ln.n < MAX_LANES - 1)) {
			r->ln.cpu[r->ln.n++] = (int)c;
			maxc = c;
		} else {
			add(r->ln.other, c);
			r->ln.has_other = true;
		}
	}
	if (r->ln.has_other)
		r->ln.cpu[r->ln.n++] = -1;
	r->ln.width = maxc >= 100 ? 7 : maxc >= 10 ? 6 : 5;
}

unsigned explain_render(const struct bbm_finding *f, const struct explain_window *w,
			const struct explain_style *st, explain_line_fn fn, void *arg)
{
	static struct render r; /* large; one diagram at a time */
	struct lbuf b;
	char head[64], who[160];
	uint32_t maxline = 0;

	if (!f->ex.nsteps)
		return 0;
	memset(&r, 0, sizeof(r));
	r.f = f;
	r.x = &f->ex;
	r.w = w;
	r.st = st;
	r.fn = fn;
	r.arg = arg;
	r.width = st->width ? st->width : EXPLAIN_WIDTH;
	if (r.width < 60)
		r.width = 60;
	r.use_seq = !f->line;
	collect_rows(&r);
	choose_lanes(&r);
	for (unsigned i = 0; i < r.nrows; i++) {
		uint64_t v = r.use_seq ? r.rows[i].shown : r.rows[i].line;
		if (r.rows[i].mark && v > maxline)
			maxline = (uint32_t)(v > UINT32_MAX ? UINT32_MAX : v);
	}
	snprintf(head, sizeof(head), "%" PRIu32, maxline);
	r.numw = (unsigned)strlen(head) < 4 ? 4 : (unsigned)strlen(head);
	r.lanes_at = 2 + r.numw + 1;
	r.text_at = r.lanes_at + r.ln.n * r.ln.width + 2;

	/* Header: the lanes by CPU. */
	memset(&b, 0, sizeof(b));
	b.color = st->color;
	lb_pad(&b, 2 + r.numw - 4);
	lb_put(&b, T_NONE, r.use_seq ? " seq" : "line");
	for (unsigned i = 0; i < r.ln.n; i++) {
		lb_pad(&b, r.lanes_at + i * r.ln.width);
		if (r.ln.cpu[i] >= 0)
			snprintf(head, sizeof(head), "cpu%d", r.ln.cpu[i]);
		else
			snprintf(head, sizeof(head), "other");
		lb_put(&b, T_NONE, head);
	}
	emit(&r, &b);
	for (unsigned i = 0; i < r.nrows; i++)
		draw_row(&r, &r.rows[i]);

	/* Key, and what the lanes cannot show. */
	memset(&b, 0, sizeof(b));
	b.color = st->color;
	{
		static const struct {
			char mark;
			enum tint t;
			const char *what;
		} key[] = {{'|', T_NONE, "may hold the old translation"},
			   {M_STEP, T_NONE, "step"},
			   {M_WRONG, T_WRONG, "wrong"},
			   {M_MISSING, T_MISSING, "missing"},
			   {M_AT, T_AT, "reported here"},
			   {M_OTHER, T_NONE, "other event"}};
		char m[2] = {0, 0};
		lb_pad(&b, 2);
		for (size_t i = 0; i < sizeof(key) / sizeof(key[0]); i++) {
			if (!r.drawn[(unsigned char)key[i].mark])
				continue;
			if (b.cols > 2)
				lb_put(&b, T_NONE, "  ");
			m[0] = key[i].mark;
			lb_put(&b, key[i].t, m);
			lb_put(&b, T_NONE, " ");
			lb_put(&b, T_NONE, key[i].what);
		}
		emit(&r, &b);
	}
	if (r.ln.has_other) {
		char line[256];
		cpus_text(r.ln.other, who, sizeof(who));
		snprintf(line, sizeof(line), "  other: %s (no step of this finding there)", who);
		explain_wrap(line, r.width - 2, 4, fn, arg);
		r.nlines++;
	}
	if (r.missing_steps) {
		char line[256];
		if (w)
			snprintf(line, sizeof(line),
				 "%u step%s no longer kept: only the last %zu events of each CPU are",
				 r.missing_steps, r.missing_steps == 1 ? " is" : "s are",
				 explain_window_per_cpu(w));
		else
			snprintf(line, sizeof(line), "%u step%s not kept: no events are", r.missing_steps,
				 r.missing_steps == 1 ? " is" : "s are");
		memset(&b, 0, sizeof(b));
		lb_pad(&b, 2);
		lb_put(&b, T_NONE, line);
		emit(&r, &b);
	}
	return r.nlines;
}

/* ---- wrapping and printing ---- */

void explain_wrap(const char *text, unsigned width, unsigned indent, explain_line_fn fn,
		  void *arg)
{
	char line[1024];
	size_t len = 0, start = 0; /* start: where this line's words begin */

	line[0] = '\0';
	while (*text) {
		size_t n = strcspn(text, " ");
		if (n) {
			if (len > start && len + 1 + n > width) {
				fn(line, arg);
				len = start = indent < sizeof(line) / 2 ? indent : 0;
				memset(line, ' ', len);
			} else if (len > start) {
				line[len++] = ' ';
			}
			if (len + n >= sizeof(line))
				n = sizeof(line) - 1 - len;
			memcpy(line + len, text, n);
			len += n;
			line[len] = '\0';
		}
		text += n;
		while (*text == ' ')
			text++;
	}
	if (len > start)
		fn(line, arg);
}

static void text_line(const char *line, void *arg)
{
	(void)arg;
	print_text("%s\n", line);
}

static void json_line(const char *line, void *arg)
{
	(void)arg;
	print_str(NULL, NULL, line);
}

static const char *kind_name(unsigned k)
{
	static const char *const n[] = {
	    [BBM_STEP_BREAK] = "break", [BBM_STEP_DSB] = "dsb",	      [BBM_STEP_TLBI] = "tlbi",
	    [BBM_STEP_MAKE] = "make",	[BBM_STEP_ACCESS] = "access", [BBM_STEP_FREE] = "free",
	    [BBM_STEP_STORE] = "store", [BBM_STEP_EVENT] = "event",
	};
	return k < sizeof(n) / sizeof(n[0]) && n[k] ? n[k] : "event";
}

static void json_cpus(const char *key, const uint64_t *set)
{
	print_arr_begin(key);
	for (unsigned c = 0; c < FM_MAX_CPUS; c++)
		if (in(set, c))
			print_uint(NULL, NULL, c);
	print_arr_end();
}

static uint32_t line_of(const struct bbm_explain *x, uint64_t seq)
{
	const struct bbm_step *s = step_by_seq(x, seq);
	return s ? s->line : 0;
}

static void explain_json(const struct bbm_finding *f, const struct explain_window *w,
			 const struct explain_style *st)
{
	const struct bbm_explain *x = &f->ex;
	struct explain_style plain = *st;
	struct render rr = {.f = f, .x = x, .w = w, .st = st};

	plain.color = false;
	print_obj_begin("explain");
	json_cpus("holders", x->holders);
	json_cpus("done", x->done);
	print_obj_begin("window");
	print_uint("from_seq", NULL, x->win_start);
	print_uint("from_line", NULL, line_of(x, x->win_start));
	print_uint("to_seq", NULL, x->win_end);
	print_uint("to_line", NULL, line_of(x, x->win_end));
	print_obj_end();
	print_arr_begin("steps");
	for (unsigned i = 0; i < x->nsteps; i++) {
		const struct bbm_step *s = &x->steps[i];
		const struct fm_event *ev = explain_window_get(w, s->cpu, st->seq_base + s->seq);
		char text[512], pc[192];

		print_obj_begin(NULL);
		print_str("kind", NULL, kind_name(s->kind));
		print_uint("seq", NULL, s->seq);
		print_uint("line", NULL, s->line);
		print_uint("cpu", NULL, s->cpu);
		if (s->has_pc) {
			print_hex("pc", NULL, s->pc);
			pc_text(&rr, s->pc, true, pc, sizeof(pc));
			if (pc[0] == '<') {
				pc[strlen(pc) - 1] = '\0';
				print_str("symbol", NULL, pc + 1);
			}
		}
		if (ev) {
			event_text(&rr, ev, text, sizeof(text));
			print_str("event", NULL, text);
		} else {
			print_null("event", NULL);
		}
		print_bool("wrong", NULL, s->flags & BBM_STEPF_WRONG);
		print_bool("reported_here", NULL, s->flags & BBM_STEPF_AT);
		print_obj_end();
	}
	print_arr_end();
	if (x->missing[0]) {
		print_obj_begin("missing");
		print_str("step", NULL, x->missing);
		print_uint("cpu", NULL, x->missing_cpu);
		print_uint("before_seq", NULL, x->missing_before);
		print_uint("before_line", NULL, line_of(x, x->missing_before));
		print_obj_end();
	} else {
		print_null("missing", NULL);
	}
	if (x->fix[0])
		print_str("fix", NULL, x->fix);
	else
		print_null("fix", NULL);
	print_arr_begin("diagram");
	explain_render(f, w, &plain, json_line, NULL);
	print_arr_end();
	print_obj_end();
}

void explain_finding_print(const struct bbm_finding *f, const struct explain_window *w,
			   const struct explain_style *style)
{
	struct explain_style now = *style;
	const struct explain_style *st = &now;
	unsigned width = st->width ? st->width : EXPLAIN_WIDTH;

	now.seq_base = explain_window_base(w); /* the finding is of the checker's current run */

	if (print_is_json()) {
		print_obj_begin(NULL);
		bbm_finding_print_fields(f);
		if (f->ex.nsteps)
			explain_json(f, w, st);
		print_obj_end();
		return;
	}
	/* The finding's own line, wrapped: FILE:LINE: stays first for editors and grep. */
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (mem && !print_capture(mem)) {
		bbm_finding_print_fields(f);
		print_capture(NULL);
	}
	if (mem)
		fclose(mem);
	if (text) {
		explain_wrap(text, width, 4, text_line, NULL);
		free(text);
	}
	if (f->ex.nsteps) {
		print_text("\n");
		explain_render(f, w, st, text_line, NULL);
	}
	print_text("\n");
}
