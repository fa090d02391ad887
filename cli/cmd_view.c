/* SPDX-License-Identifier: MIT */
#include "cmds.h"
#include "err.h"

int cmd_view(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fm_warn("view: not available in this build");
	return EXIT_BAD;
}
