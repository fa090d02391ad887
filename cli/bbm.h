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

#endif
