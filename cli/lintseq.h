/* SPDX-License-Identifier: MIT */
/*
 * The sequence analysis behind `fixmapctl lint`: given the decoded
 * instructions of one function, reconstructs the TLB maintenance sequence
 * around a TLBI (the DSB that orders the table store before it, the DSB that
 * completes it, the ISB after, and for a stage-2 invalidation the stage-1
 * invalidation that must follow) and reports what is missing, with the rule IDs
 * of DESIGN.md section 4.
 *
 * The analysis follows the function's control flow from the TLBI: straight
 * lines, direct branches and conditional branches (every path must be right;
 * a path that loops back is decided by its other exits). It does not follow
 * indirect branches or other functions: a call ends a path with a warning
 * where the callee may supply the missing step (unless call_transparent says
 * the callee does no maintenance), and the function's entry ends the backward
 * search with a warning (a caller may supply the DSB).
 */
#ifndef FIXMAP_LINTSEQ_H
#define FIXMAP_LINTSEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disasm.h"

struct lintseq_insn {
	uint64_t addr;
	uint32_t word;
	struct disasm_class c;
};

/* One function (or, without symbols, a stretch of code between returns). */
struct lintseq_func {
	const char *name; /* NULL when no symbol names the code */
	uint64_t start;	  /* address of insns[0] */
	const struct lintseq_insn *insns;
	size_t n;
	bool private_table; /* --private: maintains a table only its own CPU walks */
	/*
	 * Direct calls: true if the callee at target does no TLB maintenance and has
	 * no DSB or ISB (e.g. an event logger), so the analysis steps over the call
	 * as over any other instruction; the callee's own stores are not counted.
	 * NULL: every call ends a path.
	 */
	bool (*call_transparent)(uint64_t target, void *arg);
	void *call_arg;
};

enum lintseq_severity { LINTSEQ_ERROR, LINTSEQ_WARNING };

struct lintseq_finding {
	const char *rule; /* DESIGN.md section 4 rule ID */
	enum lintseq_severity severity;
	size_t site;   /* index of the TLBI */
	size_t at;     /* index of the instruction the message points at (== site if none) */
	size_t lo, hi; /* window: insns[lo..hi] */
	char message[512];
};

/* Analysis options. */
#define LINTSEQ_STRICT 0x1 /* a step a caller or callee may provide is an error, not a warning */

typedef void (*lintseq_report_fn)(const struct lintseq_func *f, const struct lintseq_finding *fd,
				  void *arg);

struct lintseq;

/* Prepares a function for analysis (builds its predecessor lists); NULL on allocation failure. */
struct lintseq *lintseq_new(const struct lintseq_func *f, unsigned opts);
/*
 * Reports every finding for the TLBI at insns[site] (in a fixed order, each rule
 * at most once). Returns the number of findings, or -1 if site is not a TLBI.
 */
int lintseq_site(struct lintseq *s, size_t site, lintseq_report_fn fn, void *arg);
void lintseq_free(struct lintseq *s);

/* The window (lo..hi) that shows the sequence around a site, a few instructions each side. */
void lintseq_window(const struct lintseq_func *f, size_t site, size_t *lo, size_t *hi);

#endif
