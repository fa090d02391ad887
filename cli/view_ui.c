/* SPDX-License-Identifier: MIT */
#include "view_ui.h"

#include <curses.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "explain.h"

enum role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_HEADER,
	ROLE_SELECTED,
	ROLE_FINDING,
	ROLE_WARNING,
	ROLE_INVALID,
	ROLE_STATUS,
	ROLE_PAUSED,
	ROLE_ERROR,
	ROLE_N
};

static attr_t role_attr[ROLE_N];

void view_ui_init(struct view_ui *u, struct view_model *m, bool color)
{
	/* Monochrome: the roles still differ by attribute (and by text marks). */
	static const attr_t mono[ROLE_N] = {
		[ROLE_TITLE] = A_REVERSE,	     [ROLE_HEADER] = A_BOLD | A_UNDERLINE,
		[ROLE_SELECTED] = A_REVERSE,	     [ROLE_FINDING] = A_BOLD, [ROLE_WARNING] = A_UNDERLINE,
		[ROLE_INVALID] = A_DIM,		     [ROLE_STATUS] = A_REVERSE,
		[ROLE_PAUSED] = A_REVERSE | A_BOLD, [ROLE_ERROR] = A_REVERSE | A_BOLD,
	};
	static const short pairs[ROLE_N][2] = {
		[ROLE_TITLE] = {COLOR_WHITE, COLOR_BLUE},   [ROLE_HEADER] = {COLOR_CYAN, -1},
		[ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN}, [ROLE_FINDING] = {COLOR_RED, -1},
		[ROLE_WARNING] = {COLOR_YELLOW, -1},	     [ROLE_INVALID] = {COLOR_BLUE, -1},	     [ROLE_STATUS] = {COLOR_BLACK, COLOR_WHITE},
		[ROLE_PAUSED] = {COLOR_BLACK, COLOR_YELLOW}, [ROLE_ERROR] = {COLOR_WHITE, COLOR_RED},
	};

	memset(u, 0, sizeof(*u));
	u->m = m;
	u->cpu_filter = -1;
	u->rule_filter = VIEW_RULES_ALL;
	u->color = color && has_colors();
	if (u->color && start_color() == OK) {
		use_default_colors();
		for (int r = 1; r < ROLE_N; r++) {
			init_pair((short)r, pairs[r][0], pairs[r][1]);
			role_attr[r] = COLOR_PAIR(r);
		}
		role_attr[ROLE_HEADER] |= A_BOLD;
		role_attr[ROLE_FINDING] |= A_BOLD;
		role_attr[ROLE_ERROR] |= A_BOLD;
		role_attr[ROLE_PAUSED] |= A_BOLD;
	} else {
		u->color = false;
		memcpy(role_attr, mono, sizeof(role_attr));
	}
}

/* Text at (y, x) in a role, cut at the right edge; returns the column after it. */
static int put(int y, int x, enum role r, const char *s)
{
	int room = COLS - x;

	if (y < 0 || y >= LINES || room <= 0)
		return x;
	attrset(role_attr[r]);
	mvaddnstr(y, x, s, room);
	attrset(A_NORMAL);
	return x + ((int)strlen(s) < room ? (int)strlen(s) : room);
}

static int __attribute__((format(printf, 4, 5))) putf(int y, int x, enum role r, const char *fmt,
						      ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(y, x, r, buf);
}

/* A whole row in a role (the background runs to the right edge). */
static void bar(int y, enum role r, const char *s)
{
	attrset(role_attr[r]);
	mvhline(y, 0, ' ', COLS);
	attrset(A_NORMAL);
	put(y, 0, r, s);
}

/* ---- slot table ---- */

enum col { C_CPU, C_VA, C_DESC, C_V, C_OA, C_MEM, C_PERM, C_MAPS, C_UNMAPS, C_FIND, C_SEQ, C_N };

static const struct {
	const char *head;
	int width;
} cols[C_N] = {
	[C_CPU] = {"CPU", 4},	    [C_VA] = {"SLOT VA", 10},	 [C_DESC] = {"DESCRIPTOR", 18},
	[C_V] = {"V", 1},	    [C_OA] = {"OA", 10},	 [C_MEM] = {"MEMTYPE", 9},
	[C_PERM] = {"PERM", 4},	    [C_MAPS] = {"MAPS/s", 6},	 [C_UNMAPS] = {"UNMAPS/s", 8},
	[C_FIND] = {"FINDINGS", 8}, [C_SEQ] = {"LAST SEQUENCE", 20},
};

static void slot_cell(const struct view_model *m, unsigned cpu, enum col c, char *buf, size_t n)
{
	const struct view_slot *s = &m->slot[cpu];
	char mt[48], perms[8];
	struct desc d;

	view_model_slot_decode(m, cpu, &d, mt, sizeof(mt), perms, sizeof(perms));
	switch (c) {
	case C_CPU:
		snprintf(buf, n, "cpu%u", cpu);
		break;
	case C_VA:
		snprintf(buf, n, "%#" PRIx64, s->c.slot_va);
		break;
	case C_DESC:
		snprintf(buf, n, "0x%016" PRIx64, s->c.pte);
		break;
	case C_V:
		snprintf(buf, n, "%s", desc_is_valid(s->c.pte, 3) ? "V" : "-");
		break;
	case C_OA:
		if (d.kind == DESC_PAGE)
			snprintf(buf, n, "%#" PRIx64, d.oa);
		else
			snprintf(buf, n, "-");
		break;
	case C_MEM:
		snprintf(buf, n, "%s", mt);
		break;
	case C_PERM:
		snprintf(buf, n, "%s", perms);
		break;
	case C_MAPS:
		snprintf(buf, n, "%6.0f", s->maps_rate);
		break;
	case C_UNMAPS:
		snprintf(buf, n, "%8.0f", s->unmaps_rate);
		break;
	case C_FIND:
		snprintf(buf, n, "%8" PRIu64, s->findings);
		break;
	case C_SEQ:
		snprintf(buf, n, "%s", s->last_seq[0] ? s->last_seq : "-");
		break;
	default:
		buf[0] = '\0';
	}
}

/*
 * Column widths from what the rows hold (at least the heading), and which
 * columns fit: the least needed go first when the screen is narrow.
 */
static void slot_columns(const struct view_model *m, bool show[C_N], int width[C_N])
{
	static const enum col drop[] = {C_OA, C_UNMAPS, C_MEM, C_MAPS, C_PERM};
	char cell[160];
	int w = 2;

	for (int c = 0; c < C_N; c++) {
		show[c] = true;
		width[c] = (int)strlen(cols[c].head);
		if (width[c] < cols[c].width && c != C_SEQ)
			width[c] = cols[c].width;
		for (unsigned i = 0; i < m->ncpus && c != C_SEQ; i++) {
			int len;

			slot_cell(m, i, (enum col)c, cell, sizeof(cell));
			len = (int)strlen(cell);
			if (len > width[c])
				width[c] = len;
		}
		w += width[c] + 1;
	}
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]) && w > COLS; i++) {
		show[drop[i]] = false;
		w -= width[drop[i]] + 1;
	}
}

static int draw_slots(struct view_ui *u, int y)
{
	const struct view_model *m = u->m;
	bool show[C_N];
	int width[C_N];
	char line[512], cell[160];

	slot_columns(m, show, width);
	attrset(role_attr[ROLE_HEADER]);
	mvhline(y, 0, ' ', COLS);
	{
		size_t len = 0;

		len += (size_t)snprintf(line, sizeof(line), "  ");
		for (int c = 0; c < C_N; c++)
			if (show[c] && len < sizeof(line))
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%-*s ",
							width[c], cols[c].head);
		put(y++, 0, ROLE_HEADER, line);
	}
	for (unsigned i = 0; i < m->ncpus && y < LINES - 1; i++, y++) {
		const struct view_slot *s = &m->slot[i];
		enum role r = u->sel == i ? ROLE_SELECTED
			      : s->errors ? ROLE_FINDING
			      : s->findings ? ROLE_WARNING
			      : !desc_is_valid(s->c.pte, 3) ? ROLE_INVALID
							    : ROLE_NORMAL;
		size_t len = (size_t)snprintf(line, sizeof(line), "%c%c", u->sel == i ? '>' : ' ',
					      s->findings ? '!' : ' ');

		if (!s->present) {
			snprintf(line + len, sizeof(line) - len, "cpu%u  (not brought up)", i);
		} else {
			for (int c = 0; c < C_N; c++) {
				if (!show[c] || len >= sizeof(line))
					continue;
				slot_cell(m, i, (enum col)c, cell, sizeof(cell));
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%-*s ",
							width[c], cell);
			}
		}
		if (r == ROLE_SELECTED) {
			bar(y, r, line);
		} else {
			put(y, 0, r, line);
		}
	}
	return y;
}

/* ---- detail pane ---- */

#define DETAIL_MAX 48

static int draw_detail(struct view_ui *u, int y, int height)
{
	static char lines[DETAIL_MAX][VIEW_LINE];
	size_t n = view_model_detail(u->m, u->sel, lines, DETAIL_MAX), split = n;
	int per = height - 1, w = COLS;

	bar(y, ROLE_HEADER, "");
	putf(y++, 0, ROLE_HEADER, "DETAIL cpu%u  (Enter closes)", u->sel);
	if (per <= 0)
		return y;
	/* Wide screens: the disassembly in a column of its own, beside the descriptor and walk. */
	if (COLS >= 140 || (int)n > per)
		for (size_t i = 0; i < n; i++)
			if (!strncmp(lines[i], "last store", 10)) {
				split = i;
				break;
			}
	if (split < n)
		w = COLS * 11 / 20;
	for (size_t i = 0; i < n; i++) {
		bool right = i >= split;
		int row = (int)(right ? i - split : i), x = right ? w : 0;
		int room = right ? COLS - w : w - 1;

		if (row >= per || y + row >= LINES - 1)
			continue;
		attrset(role_attr[ROLE_NORMAL]);
		mvaddnstr(y + row, x, lines[i], room);
	}
	return y + per;
}

/* ---- explain pane: the selected CPU's finding as a lane diagram ---- */

#define EXPLAIN_MAX 80

struct pane_lines {
	char (*l)[VIEW_LINE];
	size_t n;
};

static void pane_line(const char *line, void *arg)
{
	struct pane_lines *p = arg;

	if (p->n < EXPLAIN_MAX)
		snprintf(p->l[p->n++], VIEW_LINE, "%s", line);
}

static int draw_explain(struct view_ui *u, int y, int height)
{
	static char lines[EXPLAIN_MAX][VIEW_LINE];
	struct pane_lines pl = {.l = lines};
	uint64_t base;
	unsigned n;
	const struct bbm_finding *f = view_model_cpu_finding(u->m, u->sel, u->fsel, &n, &base);
	struct explain_style st = {.width = COLS - 1 < EXPLAIN_WIDTH ? (unsigned)COLS - 1
								   : EXPLAIN_WIDTH,
				   .ctx = u->m->ctx,
				   .sym = u->m->elf ? explain_symbolize : NULL,
				   .sym_arg = u->m->elf};
	char head[800];
	uint64_t seqno;

	if (n && u->fsel >= n)
		f = view_model_cpu_finding(u->m, u->sel, u->fsel = n - 1, &n, &base);
	st.seq_base = base;
	bar(y, ROLE_HEADER, "");
	if (!f) {
		putf(y++, 0, ROLE_HEADER, "EXPLAIN cpu%u  (e closes)", u->sel);
		put(y, 2, ROLE_NORMAL, "no finding of this CPU yet");
		return y + height - 1;
	}
	putf(y++, 0, ROLE_HEADER, "EXPLAIN cpu%u  finding %u of %u kept%s  ([ older, ] newer, e closes)",
	     u->sel, u->fsel + 1, n, u->fsel ? "" : " (the newest)");
	{
		/* live events have no line: the event's own seq, as the event pane shows it */
		const struct fm_event *ev = explain_window_get(u->m->win, f->cpu, base + f->seq);
		seqno = ev ? ev->seq : f->seq;
	}
	snprintf(head, sizeof(head), "%s %" PRIu64 ": %s: %s: %s", f->line ? "line" : "seq",
		 f->line ? (uint64_t)f->line : seqno,
		 f->severity == BBM_WARNING ? "warning" : "error", f->rule, f->message);
	explain_wrap(head, st.width, 4, pane_line, &pl);
	if (pl.n > 3)
		pl.n = 3; /* the diagram matters more than the whole message here */
	explain_render(f, u->m->win, &st, pane_line, &pl);
	if ((int)pl.n < height - 1)
		height = (int)pl.n + 1; /* the events get the rows the diagram does not need */
	for (size_t i = 0; i < pl.n && (int)i < height - 1 && y + (int)i < LINES - 1; i++) {
		enum role r = i < 3 && !strncmp(lines[i], "line", 4) ? ROLE_FINDING : ROLE_NORMAL;
		/* the wrong step's row in the finding's colour */
		if (strstr(lines[i], "<- wrong") || strstr(lines[i], "<- missing"))
			r = ROLE_FINDING;
		put(y + (int)i, 0, r, lines[i]);
	}
	return y + height - 1;
}

/* ---- event pane ---- */

static bool event_shown(const struct view_ui *u, const struct view_event *ve, const char *text)
{
	if (u->cpu_filter >= 0 && ve->ev.cpu != (unsigned)u->cpu_filter)
		return false;
	if (u->rule_filter == VIEW_RULES_FINDINGS && !ve->rule)
		return false;
	if (u->rule_filter >= 0 &&
	    (!ve->rule || strcmp(ve->rule, u->m->rules[u->rule_filter].name)))
		return false;
	if (u->search[0] && !strstr(text, u->search) && !(ve->rule && strstr(ve->rule, u->search)))
		return false;
	return true;
}

static const char *rule_filter_name(const struct view_ui *u)
{
	if (u->rule_filter == VIEW_RULES_ALL)
		return "all";
	if (u->rule_filter == VIEW_RULES_FINDINGS)
		return "findings";
	return u->m->rules[u->rule_filter].name;
}

static void draw_events(struct view_ui *u, int y, int y_end)
{
	const struct view_model *m = u->m;
	int rows = y_end - y - 1, nshow = 0;
	size_t kept = view_model_kept(m);
	size_t idx[256];
	char text[300], cpu[16];

	if (u->cpu_filter >= 0)
		snprintf(cpu, sizeof(cpu), "cpu%d", u->cpu_filter);
	else
		snprintf(cpu, sizeof(cpu), "all");
	bar(y, ROLE_HEADER, "");
	putf(y++, 0, ROLE_HEADER, "EVENTS  cpu:%s  rule:%s  search:%s  (%s)", cpu,
	     rule_filter_name(u), u->search[0] ? u->search : "-", u->raw ? "raw" : "decoded");
	if (rows <= 0)
		return;
	if (rows > 256)
		rows = 256;
	/* Newest first, until the pane is full; a gap mark takes a row of its own. */
	for (size_t i = kept; i-- > 0 && nshow < rows;) {
		const struct view_event *ve = view_model_get(m, i);

		view_model_event_text(m, &ve->ev, u->raw, text, sizeof(text));
		if (!event_shown(u, ve, text))
			continue;
		idx[nshow++] = i;
		if (ve->gap && nshow < rows)
			idx[nshow++] = i | ((size_t)1 << (sizeof(size_t) * 8 - 1));
	}
	for (int k = nshow - 1; k >= 0; k--, y++) {
		size_t i = idx[k] & ~((size_t)1 << (sizeof(size_t) * 8 - 1));
		const struct view_event *ve = view_model_get(m, i);
		enum role r;
		int x;

		if (idx[k] != i) {
			put(y, 0, ROLE_INVALID, "           ---- events lost here: the checker restarts ----");
			continue;
		}
		view_model_event_text(m, &ve->ev, u->raw, text, sizeof(text));
		r = !ve->rule ? ROLE_NORMAL : ve->error ? ROLE_FINDING : ROLE_WARNING;
		x = putf(y, 0, r, "%10" PRIu64 " %s", ve->ev.seq, text);
		if (ve->rule)
			putf(y, x, r, "  << %s", ve->rule);
	}
}

/* ---- status line and help ---- */

static void draw_status(struct view_ui *u)
{
	const struct view_model *m = u->m;
	char buf[640];
	size_t len = 0;
	int y = LINES - 1, x;

	if (m->error[0]) {
		snprintf(buf, sizeof(buf), "TARGET LOST: %s -- last state kept; q quits", m->error);
		bar(y, ROLE_ERROR, buf);
		return;
	}
	if (u->typing) {
		snprintf(buf, sizeof(buf), "search: %s_   (Enter applies, Esc cancels)", u->input);
		bar(y, ROLE_STATUS, buf);
		return;
	}
	bar(y, ROLE_STATUS, "");
	x = put(y, 0, u->paused ? ROLE_PAUSED : ROLE_STATUS, u->paused ? " PAUSED " : " LIVE ");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %.0f ev/s  lost %" PRIu64 "  findings:",
				m->ev_rate, m->lost);
	if (!m->nrules)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " none");
	for (unsigned i = 0; i < m->nrules && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %s %" PRIu64, m->rules[i].name,
					m->rules[i].n);
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "  |  %s  ? help  q quit",
			 u->note[0] ? u->note : m->target);
	put(y, x, ROLE_STATUS, buf);
}

static void draw_help(void)
{
	static const char *const text[] = {
		"fixmapctl view: keys",
		"",
		"  Up/Down, j/k   select a slot (CPU)",
		"  Enter          open or close the slot's details",
		"  e              explain the CPU's newest finding: a lane diagram",
		"  [ ]            explain: an older / a newer finding of the CPU",
		"  p              pause / resume (paused: rings not drained)",
		"  c              event pane: next CPU filter (all, cpu0 ...)",
		"  f              event pane: next rule filter (all, findings, each rule)",
		"  /              search events (empty search clears)",
		"  r              raw trace lines / decoded events",
		"  ?              this help (any key closes it)",
		"  q              quit",
		"",
		"  Rows marked ! have findings; events marked << RULE broke it.",
	};
	int n = (int)(sizeof(text) / sizeof(text[0])), w = 76, h = n + 2;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;

	if (y0 < 0)
		y0 = 0;
	if (x0 < 0)
		x0 = 0;
	for (int i = 0; i < h && y0 + i < LINES; i++) {
		char row[128];

		if (i == 0 || i == h - 1)
			snprintf(row, sizeof(row), "+%.*s+", w - 2,
				 "------------------------------------------------------------------"
				 "--------------------------------------");
		else
			snprintf(row, sizeof(row), "| %-*.*s |", w - 4, w - 4, text[i - 1]);
		put(y0 + i, x0, i == 1 ? ROLE_HEADER : ROLE_STATUS, row);
	}
}

void view_ui_draw(struct view_ui *u)
{
	const struct view_model *m = u->m;
	int y, y_end = LINES - 1;
	char title[400];

	erase();
	if (COLS < VIEW_MIN_COLS || LINES < VIEW_MIN_ROWS) {
		mvprintw(0, 0, "fixmapctl view: terminal too small (%dx%d);", COLS, LINES);
		mvprintw(1, 0, "it needs at least %dx%d. q quits.", VIEW_MIN_COLS, VIEW_MIN_ROWS);
		refresh();
		return;
	}
	if (u->sel >= m->ncpus && m->ncpus)
		u->sel = m->ncpus - 1;
	snprintf(title, sizeof(title), " fixmapctl view  %s  agent %s, %u CPUs, %s", m->target,
		 m->mode, m->ncpus, m->state);
	bar(0, ROLE_TITLE, title);
	y = draw_slots(u, 1);
	if (u->explain) {
		/* The diagram wants room; the events keep at least a few rows. */
		int left = y_end - y, h = left - 5;

		if (h > 30)
			h = 30;
		if (h >= 4)
			y = draw_explain(u, y, h);
	} else if (u->detail) {
		/* The detail pane leaves the events at least a few rows. */
		int left = y_end - y, h = left - 6;

		if (h > 17)
			h = 17;
		if (h >= 3)
			y = draw_detail(u, y, h);
	}
	if (y < y_end)
		draw_events(u, y, y_end);
	draw_status(u);
	if (u->help)
		draw_help();
	refresh();
}

void view_ui_key(struct view_ui *u, int ch)
{
	struct view_model *m = u->m;

	u->note[0] = '\0';
	if (u->typing) {
		size_t len = strlen(u->input);

		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			snprintf(u->search, sizeof(u->search), "%s", u->input);
			u->typing = false;
		} else if (ch == 27) {
			u->typing = false;
		} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
			if (len)
				u->input[len - 1] = '\0';
		} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->input)) {
			u->input[len] = (char)ch;
			u->input[len + 1] = '\0';
		}
		return;
	}
	if (u->help) {
		u->help = false;
		if (ch != 'q')
			return;
	}
	switch (ch) {
	case 'q':
		u->quit = true;
		break;
	case KEY_UP:
	case 'k':
		if (u->sel > 0)
			u->sel--;
		u->fsel = 0;
		break;
	case KEY_DOWN:
	case 'j':
		if (u->sel + 1 < m->ncpus)
			u->sel++;
		u->fsel = 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		u->detail = !u->detail;
		u->explain = false;
		break;
	case 27:
		u->detail = false;
		u->explain = false;
		break;
	case 'e':
		u->explain = !u->explain;
		u->detail = false;
		u->fsel = 0;
		break;
	case '[':
		u->fsel++; /* draw_explain keeps it within the findings kept */
		break;
	case ']':
		if (u->fsel > 0)
			u->fsel--;
		break;
	case 'p':
		u->paused = !u->paused;
		break;
	case 'c':
		u->cpu_filter = u->cpu_filter + 1 >= (int)m->ncpus ? -1 : u->cpu_filter + 1;
		break;
	case 'f':
		if (u->rule_filter == VIEW_RULES_ALL)
			u->rule_filter = VIEW_RULES_FINDINGS;
		else if (u->rule_filter == VIEW_RULES_FINDINGS)
			u->rule_filter = m->nrules ? 0 : VIEW_RULES_ALL;
		else
			u->rule_filter =
				u->rule_filter + 1 < (int)m->nrules ? u->rule_filter + 1 : VIEW_RULES_ALL;
		break;
	case '/':
		u->typing = true;
		snprintf(u->input, sizeof(u->input), "%s", u->search);
		break;
	case 'r':
		u->raw = !u->raw;
		break;
	case '?':
	case 'h':
		u->help = true;
		break;
	case KEY_RESIZE:
		break; /* the next draw lays out for the new size */
	default:
		snprintf(u->note, sizeof(u->note), "unknown key; ? shows the keys");
	}
}

int view_ui_dump(FILE *f)
{
	char buf[1024];

	for (int y = 0; y < LINES; y++) {
		int n = COLS < (int)sizeof(buf) - 1 ? COLS : (int)sizeof(buf) - 1, len;

		buf[0] = '\0';
		if (mvinnstr(y, 0, buf, n) == ERR)
			buf[0] = '\0';
		len = (int)strlen(buf);
		while (len > 0 && buf[len - 1] == ' ')
			buf[--len] = '\0';
		fprintf(f, "%s\n", buf);
	}
	return ferror(f) ? -1 : 0;
}
