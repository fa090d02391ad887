/* SPDX-License-Identifier: MIT */
/*
 * The workload's configuration: from the kernel command line at boot
 * (fixmap.mode=, fixmap.iters=, fixmap.pool=, fixmap.granule=, fixmap.lpa2=,
 * fixmap.vhe=) and from the control block at
 * run time. Pure functions: unit-tested on the host.
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "fixmap_proto.h"

#define CONFIG_DEFAULT_POOL 64u

struct agent_cfg {
	uint32_t mode;  /* enum fixmap_mode */
	uint32_t pause; /* 0 run, 1 pause */
	uint64_t iters; /* per CPU, 0 = forever */
	uint32_t pool_pages;
	uint32_t fault; /* fixmap.fault=abort: CPU 0 touches an unmapped address (tests the vectors) */
	/* The shared table's format, boot only: fixmap.granule=4k|16k|64k, fixmap.lpa2=0|1,
	 * fixmap.vhe=0|1 (HCR_EL2.E2H = 1, the EL2&0 regime). */
	uint32_t page_shift; /* 12, 14, 16 */
	uint32_t lpa2;
	uint32_t vhe;
};

/* Where parsing stopped: the offending word and why. */
struct config_err {
	const char *word;
	size_t len;
	const char *why;
};

void config_defaults(struct agent_cfg *cfg);

/* Mode by name ("no-break" and "no_break" both); -1 if unknown. */
int config_mode_lookup(const char *name, size_t len);
/* Name with dashes ("no-break"), or "?" */
const char *config_mode_name(unsigned mode);

/*
 * Parses a command line (len bytes, need not be NUL-terminated). Words not
 * starting with "fixmap." belong to someone else and are skipped; an unknown
 * fixmap.* option or a malformed value is an error, and so is LPA2 with the 64K
 * granule (LPA2 is defined for 4K and 16K). cfg changes only on success. 0 or
 * -1 with *err filled.
 */
int config_parse_cmdline(const char *s, size_t len, unsigned ncpus_max, struct agent_cfg *cfg,
			 struct config_err *err);

/*
 * Validates a control-block request against the running system (ncpus CPUs
 * online). Returns FIXMAP_CTRL_OK with *out filled, or the FIXMAP_CTRL_E*
 * code of the first bad field (then *out is untouched).
 */
unsigned config_check_ctrl(const struct fixmap_ctrl *req, unsigned ncpus, struct agent_cfg *out);

#endif
