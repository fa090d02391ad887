/* SPDX-License-Identifier: MIT */
/*
 * The checker over a trace stream, as `fixmapctl check` runs it: findings as
 * they are found, then the summary; shared by check (a file) and record (the
 * plugin's live stream).
 */
#ifndef FIXMAP_CHECK_H
#define FIXMAP_CHECK_H

#include <stdio.h>

#include "bbm.h"

struct elfsym;

struct check_opts {
	enum bbm_policy policy;
	struct elfsym *elf; /* symbols for the PCs of findings (text output); NULL: none */
	/* --explain: a lane diagram under each finding (cli/explain.h), the events of
	 * each CPU kept for it (0: the default), colour. */
	bool explain, color;
	size_t window;
	/* Also writes the events and findings as trace-event JSON here (cli/export.h); NULL: not. */
	FILE *perfetto;
	/* Called at the end of the stream before the summary is printed; may be NULL. */
	void (*before_summary)(void *arg);
	void *arg;
};

/*
 * Reads the trace in f (name in messages), checks every event, prints each
 * finding (with its symbolized PC when o->elf knows it) and the summary.
 * Returns the exit status of check: 0, 1 (error findings) or 2 (bad input,
 * with the message printed).
 */
int check_stream(FILE *f, const char *name, const struct check_opts *o);

#endif
