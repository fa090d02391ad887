/* SPDX-License-Identifier: MIT */
#include "cmds.h"
#include "err.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fm_warn("check: not available in this build");
	return EXIT_BAD;
}
