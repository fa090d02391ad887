/* SPDX-License-Identifier: MIT */
/*
 * --explain: a finding as a lane diagram (after `git log --graph` and perf's
 * --stdio annotations): one column per CPU involved, the events that matter
 * in order with their trace line and symbolized PC, the window in which the
 * old translation may still be cached drawn on the lanes of the CPUs that may
 * hold it, and the missing or wrong step named where it belongs. Plain ASCII,
 * at most 100 columns, colour only when asked for, so it pastes into email.
 *
 *      line  cpu0 cpu1 cpu2 cpu3
 *        10   |    o    |    |    pte va=0x80001000 level=3 old=0x41000743 new=0x0
 *             |    |    |    |      <- break: cpus 0-3 may hold the old translation from here
 *        12   |    x    |    |    tlbi vale2 va=0x80001000  <- wrong: use tlbi vale2is
 *
 * The checker names the steps by its own sequence numbers; the text of each
 * step comes from the event itself. Events are kept in a bounded window per
 * CPU of the stream (struct explain_window), not re-read from a file: check
 * reads standard input as well as files, trace and view are live and record is
 * one long stream, and a window serves them all with memory that does not
 * grow with the stream. A step that fell out of the window is still named by
 * its line, CPU and PC, with a note that its text is no longer kept.
 */
#ifndef FIXMAP_EXPLAIN_H
#define FIXMAP_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bbm.h"
#include "event.h"

#define EXPLAIN_WIDTH 100	/* columns, at most */
#define EXPLAIN_PER_CPU 8192	/* events kept per CPU by default */

struct explain_window;

/* Keeps the last per_cpu events of each CPU (0: EXPLAIN_PER_CPU). NULL when out of memory. */
struct explain_window *explain_window_new(unsigned ncpus, size_t per_cpu);
void explain_window_free(struct explain_window *w);
/* Forgets every event. */
void explain_window_reset(struct explain_window *w);
/*
 * The checker was restarted (events were lost) and numbers from 1 again: the
 * events kept so far stay, and later ones are kept under base + the new
 * numbers. A finding's numbers are found at the base of its time (seq_base).
 */
void explain_window_restart(struct explain_window *w);
uint64_t explain_window_base(const struct explain_window *w);
/* Runs ev through the checker b and keeps it under the number b gave it. */
void explain_feed(struct explain_window *w, struct bbm *b, const struct fm_event *ev);
/* Keeps ev as the checker's event seq (explain_feed does this). */
void explain_window_add(struct explain_window *w, uint64_t seq, const struct fm_event *ev);
/* The event kept as seq (base + the checker's number), looked for on cpu first; NULL if none. */
const struct fm_event *explain_window_get(const struct explain_window *w, unsigned cpu,
					  uint64_t seq);
size_t explain_window_per_cpu(const struct explain_window *w);

struct explain_style {
	unsigned width;			/* 0: EXPLAIN_WIDTH */
	bool color;			/* ANSI colours (see explain_color_parse) */
	const struct fm_trace_ctx *ctx; /* how events are written (table names) */
	bbm_symbolize_fn sym;		/* names PCs; NULL: bare addresses */
	void *sym_arg;
	uint64_t seq_base; /* explain_window_base() when the finding was made (explain_render) */
};

/* One line of a diagram, without newline; it may hold colour escapes if style->color. */
typedef void (*explain_line_fn)(const char *line, void *arg);

/*
 * The lane diagram of f (nothing when the finding has no steps), one line at
 * a time, each at most style->width columns wide. Returns the number of lines.
 */
unsigned explain_render(const struct bbm_finding *f, const struct explain_window *w,
			const struct explain_style *style, explain_line_fn fn, void *arg);

/*
 * Prints f, found just now, through print.h with its explanation. Text: the finding's line
 * wrapped to the width (FILE:LINE: first, continuation lines indented), the
 * diagram, a blank line. JSON: the finding's object with an "explain" member
 * (holders, window, steps with their event text, missing, fix, diagram).
 */
void explain_finding_print(const struct bbm_finding *f, const struct explain_window *w,
			   const struct explain_style *style);

/*
 * --color=WHEN: always, never or auto (the default: colour when stdout is a
 * terminal, TERM is not "dumb" and NO_COLOR is unset). -1 for another word.
 */
int explain_color_parse(const char *when, bool *color);

/* A bbm_symbolize_fn over an elfsym (arg): "function+0xoff", -1 when no symbol holds pc. */
int explain_symbolize(uint64_t pc, char *buf, size_t n, void *elfsym);

/* Word wraps text into lines of at most width columns, the later ones indented. */
void explain_wrap(const char *text, unsigned width, unsigned indent, explain_line_fn fn,
		  void *arg);

#endif
