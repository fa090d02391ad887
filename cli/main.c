/* SPDX-License-Identifier: MIT */
/* fixmapctl: command table and dispatch (after bpftool's main.c). */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "err.h"

const char *fixmapctl_version = FIXMAP_VERSION;

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{"check", cmd_check, "check a trace file for break-before-make and TLB maintenance bugs"},
	{"dump", cmd_dump, "show fixmap slots, or a whole translation table, of a target"},
	{"walk", cmd_walk, "show the table walk of one address, level by level"},
	{"trace", cmd_trace, "drain the agent's event rings live and check them"},
	{"view", cmd_view, "live full-screen slot viewer"},
	{"lint", cmd_lint, "find wrong TLB maintenance sequences in AArch64 code"},
	{"symbols", cmd_symbols, "list an image's symbols (a Linux Image's from its kallsyms)"},
	{"record", cmd_record, "run a guest under QEMU with the TCG plugin and check it live"},
	{"export", cmd_export, "write a trace as Perfetto/Chrome trace-event JSON"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: fixmapctl COMMAND [OPTIONS] [ARGS]\n"
		   "       fixmapctl COMMAND -h\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nEvery command takes -j/--json for JSON output and -h/--help.\n"
		   "Exit status: 0 clean, 1 error findings, 2 bad input or failure.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("fixmapctl %s\n", fixmapctl_version);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fm_warn("%s: unknown command (try fixmapctl -h)", argv[1]);
	return EXIT_BAD;
}
