/* SPDX-License-Identifier: MIT */
/*
 * SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) through the
 * one printer (print.h, JSON mode): one log with one run of fixmapctl, the
 * rule metadata of cli/rules.h, one artifact (the analysed image) and a result
 * per finding, written as the findings come. Binary locations: the artifact
 * and the instruction's bytes in it (region byteOffset/byteLength), its
 * address (physicalLocation.address) and its function (logicalLocations).
 */
#ifndef FIXMAP_SARIF_H
#define FIXMAP_SARIF_H

#include <stdbool.h>
#include <stdint.h>

struct sarif_loc {
	uint64_t addr;	      /* of the instruction */
	uint64_t file_off;    /* its offset in the artifact (has_off) */
	bool has_off;
	const char *func;     /* function name, or NULL */
	uint64_t func_off;    /* addr - function start */
	const char *message;  /* for a related location, or NULL */
};

/* Opens the log: the tool (its version, every rule) and the artifact (a path). */
void sarif_begin(const char *version, const char *artifact);
/* One result: rule ID, error or warning, the message, where, and optionally a related place. */
void sarif_result(const char *rule, bool warning, const char *message, const struct sarif_loc *at,
		  const struct sarif_loc *related);
/* Closes the log; ok: the analysis ran to its end. */
void sarif_end(bool ok);

#endif
