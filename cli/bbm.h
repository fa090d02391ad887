/* SPDX-License-Identifier: MIT */
/*
 * The break-before-make checker: a model of which CPUs may hold which
 * translation in their TLBs, fed one event at a time (from a trace file or the
 * agent's rings), reporting the rules of DESIGN.md section 4 (man page
 * fixmap-trace(5) gives the exact semantics of each rule).
 *
 * Memory is bounded by the number of live or pending entries (a hash map),
 * never by the length of the stream.
 */
#ifndef FIXMAP_BBM_H
#define FIXMAP_BBM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "desc.h"
#include "event.h"

enum bbm_policy { BBM_POLICY_ARM, BBM_POLICY_LINUX, BBM_POLICY_STRICT };
enum bbm_severity { BBM_ERROR, BBM_WARNING };

/*
 * What a finding is made of, for a renderer (--explain, cli/explain.h): the
 * events of the maintenance sequence that matter to it, which CPUs may hold
 * the old translation and from when to when, and the step that is wrong or
 * missing. Sequence numbers are the checker's own (bbm_seq()).
 */
enum bbm_step_kind {
	BBM_STEP_BREAK = 1, /* the store that removed or changed the translation */
	BBM_STEP_DSB,	    /* a DSB of the sequence */
	BBM_STEP_TLBI,	    /* a TLBI meant for the entry */
	BBM_STEP_MAKE,	    /* the store that made the entry valid again */
	BBM_STEP_ACCESS,    /* a use of the address */
	BBM_STEP_FREE,	    /* the page was freed */
	BBM_STEP_STORE,	    /* another store the finding is about (a live change) */
	BBM_STEP_EVENT,	    /* any other event the finding is reported at */
};
#define BBM_STEPF_WRONG 0x01 /* this step is the wrong one */
#define BBM_STEPF_AT 0x02    /* the finding is reported at this step */

struct bbm_step {
	uint64_t seq; /* the checker's sequence number of the event */
	uint64_t pc;
	uint32_t line; /* 0 when live */
	uint16_t cpu;
	uint8_t kind;  /* enum bbm_step_kind */
	uint8_t flags; /* BBM_STEPF_* */
	uint8_t type;  /* the event's enum fm_ev_type */
	bool has_pc;
};

#define BBM_EXPLAIN_STEPS 12
struct bbm_explain {
	unsigned nsteps;
	struct bbm_step steps[BBM_EXPLAIN_STEPS]; /* in sequence order, no duplicates */
	/* CPUs that may hold the old translation (none when nothing is cached, as
	 * for missing-isb), and those of them a completed TLBI has cleaned, at done_seq. */
	uint64_t holders[FM_MAX_CPUS / 64];
	uint64_t done[FM_MAX_CPUS / 64];
	uint64_t done_seq;
	/* The window: from the break (win_start) to the event that judged it
	 * (win_end); win_end 0: still open at the last step (the trace ended, or
	 * the finding is reported at the store that opened it). */
	uint64_t win_start, win_end;
	/* The missing step, as the instructions that belong there ("dsb ish"), on
	 * missing_cpu just before the event missing_before (0: at the end). */
	char missing[80];
	uint64_t missing_before;
	uint16_t missing_cpu;
	/* What the wrong step (BBM_STEPF_WRONG) should have been ("tlbi vale2is"). */
	char fix[80];
};

struct bbm_finding {
	const char *rule; /* one of bbm_rules[] */
	enum bbm_severity severity;
	unsigned cpu;
	uint32_t line; /* line of the event in the trace; 0 when live */
	uint64_t seq;  /* the event's sequence number */
	uint64_t va;   /* the entry's VA (IPA for stage 2) */
	unsigned level;
	uint64_t old,
	    new; /* the entry's descriptors: the removed/changed one and the current one */
	char message[512]; /* one plain sentence naming the missing or wrong step */
	/* Added after the first API (append only): */
	enum fm_regime regime;
	const char *table;  /* table name */
	const char *source; /* trace file name, NULL if none (bbm_set_source) */
	uint64_t pc;	    /* PC of the instruction at line (has_pc) */
	bool has_pc;
	char sym[128];	    /* pc as "function+0xoff" (bbm_set_symbolizer), "" if unknown */
	struct desc_fmt fmt; /* the table's format: how old and new decode */
	struct bbm_explain ex; /* the steps behind the finding, for --explain (ex.nsteps 0: none) */
};

typedef void (*bbm_report_fn)(const struct bbm_finding *f, void *arg);

#define BBM_NRULES 12
/* Stable rule IDs, in the order of DESIGN.md section 4. */
extern const char *const bbm_rules[BBM_NRULES];
/* Index of a rule ID in bbm_rules, or -1. */
int bbm_rule_index(const char *rule);

int bbm_policy_parse(const char *s, enum bbm_policy *p);
const char *bbm_policy_name(enum bbm_policy p);

/*
 * ctx is borrowed: it must outlive the checker, and may grow (tables declared
 * between events, then an FM_EV_TABLE event). Returns NULL only when out of memory.
 */
struct bbm *bbm_new(const struct fm_trace_ctx *ctx, enum bbm_policy p, bbm_report_fn fn, void *arg);
/* Name of the trace, put into findings (text output prints FILE:LINE). */
void bbm_set_source(struct bbm *b, const char *name);
/*
 * Names a finding's PC: fn writes "function+0xoff" for pc into buf and returns
 * 0, or -1 when it knows no symbol there. Without one, findings show the bare PC.
 */
typedef int (*bbm_symbolize_fn)(uint64_t pc, char *buf, size_t n, void *arg);
void bbm_set_symbolizer(struct bbm *b, bbm_symbolize_fn fn, void *arg);
void bbm_event(struct bbm *b, const struct fm_event *ev);
/*
 * The sequence number the checker gave the last event it took (0 before the
 * first): findings and their steps name events by it. Declarations between
 * events, and events of CPUs beyond the trace's count, take none.
 */
uint64_t bbm_seq(const struct bbm *b);
/* End of stream: reports what is still pending (stale-tlb and friends). */
void bbm_finish(struct bbm *b);
void bbm_free(struct bbm *b);

struct bbm_stats {
	uint64_t events;
	uint64_t entries;      /* entries held now (live or pending) */
	uint64_t peak_entries; /* most entries held at once */
	uint64_t lost;	       /* events the trace says were lost (`lost count=`) */
};
void bbm_get_stats(const struct bbm *b, struct bbm_stats *s);

/*
 * Prints one finding through print.h: in text one line
 *   FILE:LINE: error: RULE: cpuN TABLE LEVEL va=VA: MESSAGE [old ..., new ...]
 * and in JSON one object (rule, severity, cpu, line, seq, va, level, table,
 * pc and symbol when known, old, new, old_attrs, new_attrs, message).
 */
void bbm_finding_print(const struct bbm_finding *f);
/* The same inside an object the caller opened and closes (to add members). */
void bbm_finding_print_fields(const struct bbm_finding *f);

#endif
