/* SPDX-License-Identifier: MIT */
/*
 * The viewer's data model (no curses here): one slot row per CPU, the recent
 * merged events with the findings attached to them, rates and counters. The
 * live loop (cmd_view.c) feeds it; the panels (view_ui.c) only read it.
 */
#ifndef FIXMAP_VIEW_MODEL_H
#define FIXMAP_VIEW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "bbm.h"
#include "elfsym.h"
#include "event.h"
#include "explain.h"
#include "walk.h"

#define VIEW_SEQ_LEN 96     /* "dsb ishst; tlbi vale2is; dsb ish; isb" and more */
#define VIEW_MAX_RULES 16
#define VIEW_RULE_LEN 32
#define VIEW_LINE 160       /* one line of the detail pane */
#define VIEW_FINDINGS 16    /* findings kept whole per CPU, for the explain pane */

struct view_event {
	struct fm_event ev;
	const char *rule; /* first finding on this event (interned), or NULL */
	bool error;       /* that finding is an error (not a warning) */
	bool gap;         /* events were lost before this one */
};

struct view_slot {
	bool present;
	struct fixmap_cpu c;         /* the agent's per-CPU area, last refresh */
	double maps_rate, unmaps_rate;
	uint64_t rate_maps, rate_unmaps; /* counters at rate_t */
	double rate_t;
	bool rate_started;
	char cur_seq[VIEW_SEQ_LEN];  /* maintenance since the last break, so far */
	char last_seq[VIEW_SEQ_LEN]; /* between the last break and its make */
	bool in_break;               /* a break was seen and no make yet */
	uint64_t store_pc, tlbi_pc;  /* PCs of the last PTE store and TLBI */
	uint64_t events;
	uint64_t findings, errors; /* findings, and how many of them are errors */
	const char *last_rule;
	/* The walk from the root to the slot (filled while the target is stopped). */
	struct walk_step steps[WALK_MAX_LEVELS];
	unsigned nsteps;
	bool walked;
	char walk_err[200];
};

/* A finding kept for the explain pane, and where its checker's numbers start in the window. */
struct view_finding {
	struct bbm_finding f;
	uint64_t seq_base; /* explain_window_base() when it was found */
};

struct view_rule {
	char name[VIEW_RULE_LEN];
	uint64_t n;
	bool error;
};

struct view_model {
	unsigned ncpus;
	struct view_slot slot[FIXMAP_MAX_CPUS];
	struct view_event *ev; /* ring of the last cap events */
	size_t cap;
	uint64_t nev;          /* events ever added; ev[i % cap] for i in [nev - kept, nev) */
	uint64_t events, errors, warnings, gaps, lost;
	bool pending_gap;      /* the next event follows lost ones */
	double ev_rate;
	uint64_t rate_events;
	double rate_t;
	struct view_rule rules[VIEW_MAX_RULES];
	unsigned nrules;
	const struct fm_trace_ctx *ctx;
	struct elfsym *elf;    /* may be NULL */
	/* Each CPU's last VIEW_FINDINGS findings, whole; the checker's events behind them. */
	struct view_finding *found; /* [FIXMAP_MAX_CPUS][VIEW_FINDINGS] */
	uint64_t nfound[FIXMAP_MAX_CPUS]; /* kept ever: found[cpu][i % VIEW_FINDINGS] */
	struct explain_window *win; /* may be NULL; owned by the caller */
	uint64_t mair;         /* for decoding: CPU 0's MAIR_EL2 */
	char target[160];      /* "gdb 127.0.0.1:1234 ..." */
	char mode[32];         /* agent mode: "broadcast" ... */
	char state[16];
	char error[512];       /* the target was lost: why */
};

int view_model_init(struct view_model *m, size_t cap, const struct fm_trace_ctx *ctx);
void view_model_free(struct view_model *m);

/* A merged event, in order. */
void view_model_event(struct view_model *m, const struct fm_event *ev);
/* Events were lost before seq: the next event added is marked. */
void view_model_gap(struct view_model *m, uint64_t seq);
/*
 * A finding by the checker: counted per rule and per CPU and attached to the
 * event with seq (if still kept; else to the newest event of cpu).
 */
void view_model_finding(struct view_model *m, const char *rule, bool error, unsigned cpu,
			uint64_t seq);
/* Keeps a finding whole for the explain pane (the newest VIEW_FINDINGS of its CPU). */
void view_model_keep_finding(struct view_model *m, const struct bbm_finding *f);
/*
 * The k-th newest kept finding of cpu (k = 0: the newest), or NULL; *n: how
 * many of cpu's findings are kept; *seq_base: where its numbers start in m->win.
 */
const struct bbm_finding *view_model_cpu_finding(const struct view_model *m, unsigned cpu,
						 unsigned k, unsigned *n, uint64_t *seq_base);
/* Slot state and rates from a refreshed agent area, at time now (seconds). */
void view_model_slots(struct view_model *m, const struct agent_state *st, double now);
/* Events per second and lost events, at time now; lost is the total since the start. */
void view_model_rates(struct view_model *m, uint64_t lost, double now);

/* Events kept (at most cap) and the i-th oldest of them. */
size_t view_model_kept(const struct view_model *m);
const struct view_event *view_model_get(const struct view_model *m, size_t i);
/* Index of rule name in m->rules, or -1. */
int view_model_rule(const struct view_model *m, const char *name);

/*
 * One event as text: the trace v1 line (raw), or decoded (descriptors as
 * attributes, the PC symbolized).
 */
size_t view_model_event_text(const struct view_model *m, const struct fm_event *ev, bool raw,
			     char *buf, size_t n);

/* The slot's descriptor decoded, with its memory type and EL2 permissions ("RW-", "R-X"). */
void view_model_slot_decode(const struct view_model *m, unsigned cpu, struct desc *d,
			    char *memtype, size_t mn, char *perms, size_t pn);

/*
 * The detail of CPU cpu's slot as lines of text: every descriptor field, the
 * walk from the root, the disassembly around the last store and TLBI.
 * Returns the number of lines written (at most max).
 */
size_t view_model_detail(const struct view_model *m, unsigned cpu, char (*lines)[VIEW_LINE],
			 size_t max);

#endif
