/* SPDX-License-Identifier: MIT */
/* Subcommands: each takes argv starting at its own name and returns the exit status. */
#ifndef FIXMAP_CMDS_H
#define FIXMAP_CMDS_H

/* Exit statuses shared by every command (DESIGN.md section 5). */
#define EXIT_OK 0
#define EXIT_FINDINGS 1 /* at least one error finding */
#define EXIT_BAD 2      /* bad input, bad command line, or the target failed */

int cmd_check(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_walk(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_symbols(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_export(int argc, char **argv);

#define FIXMAP_VERSION "0.1"
extern const char *fixmapctl_version; /* FIXMAP_VERSION (main.c: not in the unit tests) */

#endif
