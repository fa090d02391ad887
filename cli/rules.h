/* SPDX-License-Identifier: MIT */
/*
 * What each finding rule means, in one table (DESIGN.md section 4): the rule
 * lists of `check -h` and `lint -h`, the man pages' rule summaries and the
 * rule metadata of `lint --sarif` all come from here, and tests compare them.
 * The IDs are the checker's (bbm_rules[]); a unit test keeps the two in step.
 */
#ifndef FIXMAP_RULES_H
#define FIXMAP_RULES_H

#include <stdbool.h>
#include <stdio.h>

struct rule_info {
	const char *id;	     /* stable rule ID */
	const char *name;    /* the ID in CamelCase (SARIF reportingDescriptor.name) */
	bool warning;	     /* default severity: warning (else error) */
	const char *summary; /* one line: what is wrong */
	const char *fires;   /* when it fires, in full */
};

#define RULES_N 12
extern const struct rule_info rules[RULES_N];

/* The rule with this ID, or NULL. */
const struct rule_info *rules_find(const char *id);
/* Index in rules[], or -1. */
int rules_index(const char *id);
/* "rules:" and one line per rule (ID, summary), for -h. */
void rules_usage(FILE *f);

#endif
