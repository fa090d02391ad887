/* SPDX-License-Identifier: MIT */
#include "cmds.h"
#include "err.h"

int cmd_lint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fm_warn("lint: not available in this build");
	return EXIT_BAD;
}
