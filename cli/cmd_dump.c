/* SPDX-License-Identifier: MIT */
#include "cmds.h"
#include "err.h"

int cmd_dump(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fm_warn("dump: not available in this build");
	return EXIT_BAD;
}
