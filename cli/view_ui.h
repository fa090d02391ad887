/* SPDX-License-Identifier: MIT */
/*
 * The viewer's panels (after htop and tig): a title line, the slot table, an
 * optional detail pane for the selected slot, the event pane and a status
 * line, drawn from the data model (view_model.h) onto the curses screen in
 * one pass. The panels own no data; keys only change what is shown.
 *
 * Everything drawn is ASCII, so a dump of the screen (view_ui_dump) reads the
 * same as what a person sees, and every highlight also has a text mark (`!`
 * on a row with findings, `<< rule` on an event) for monochrome terminals.
 */
#ifndef FIXMAP_VIEW_UI_H
#define FIXMAP_VIEW_UI_H

#include <stdbool.h>
#include <stdio.h>

#include "view_model.h"

#define VIEW_MIN_COLS 80
#define VIEW_MIN_ROWS 16

enum view_rule_filter { VIEW_RULES_ALL = -1, VIEW_RULES_FINDINGS = -2 };

struct view_ui {
	struct view_model *m;
	unsigned sel;     /* selected CPU row */
	bool detail;      /* detail pane open */
	bool explain;     /* explain pane open (the selected CPU's finding as a lane diagram) */
	unsigned fsel;    /* explain: which of the CPU's findings, 0 = the newest */
	bool paused;      /* no drains: the screen holds still */
	bool raw;         /* event pane: trace v1 lines instead of decoded text */
	bool help;        /* help overlay shown */
	bool quit;
	int cpu_filter;   /* -1: all CPUs */
	int rule_filter;  /* VIEW_RULES_ALL, VIEW_RULES_FINDINGS or an index into m->rules */
	char search[64];  /* event pane shows only events whose text holds this */
	bool typing;      /* reading a search string */
	char input[64];
	bool color;
	char note[96];    /* one-shot message for the status line */
};

/* After the curses screen is set up: colours by role (color false: monochrome attributes). */
void view_ui_init(struct view_ui *u, struct view_model *m, bool color);
/* Draws every panel for the current screen size and updates the terminal. */
void view_ui_draw(struct view_ui *u);
/* One key (a curses key code). */
void view_ui_key(struct view_ui *u, int ch);
/* Writes the screen as text, one line per row, trailing blanks dropped. */
int view_ui_dump(FILE *f);

#endif
