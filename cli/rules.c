/* SPDX-License-Identifier: MIT */
#include "rules.h"

#include <string.h>

const struct rule_info rules[RULES_N] = {
    {"bbm-valid-to-valid", "BbmValidToValid", false,
     "a live entry changed in place that needs BBM",
     "A valid entry is overwritten by a different valid entry and the change needs "
     "break-before-make under the policy (output address, memory type, shareability or "
     "cacheability, block or table size, contiguous bit, nG 1 to 0)."},
    {"bbm-no-tlbi", "BbmNoTlbi", false,
     "a broken entry made valid again with no TLBI",
     "An entry that was broken (valid to invalid) is made valid again, and no effective TLBI "
     "covering the old translation came in between."},
    {"bbm-local-tlbi", "BbmLocalTlbi", false,
     "a local TLBI where other CPUs walk the table",
     "The covering TLBI was non-broadcast (no is or os suffix) while the table is shared by "
     "more than one CPU."},
    {"bbm-no-dsb-before-tlbi", "BbmNoDsbBeforeTlbi", false,
     "no DSB between the table store and the TLBI",
     "The covering TLBI was not preceded, on the same CPU and after the break store, by a DSB "
     "of a domain wide enough for the table."},
    {"bbm-no-dsb-after-tlbi", "BbmNoDsbAfterTlbi", false,
     "no full DSB completes the TLBI before the make",
     "The covering TLBI was not completed by a full (not st or ld) DSB on the issuing CPU "
     "before the make."},
    {"bbm-dsb-domain", "BbmDsbDomain", false,
     "a DSB of the sequence with too narrow a domain",
     "A DSB in the sequence exists but its domain is too narrow (nsh for a shared table or "
     "around a broadcast TLBI, ish around an outer-shareable one)."},
    {"tlbi-ttl-mismatch", "TlbiTtlMismatch", false,
     "a TTL hint that names another level",
     "A TLBI's TTL hint names another level than the leaf entry it is meant to remove; when a "
     "table entry is removed only TTL = 0 (no hint) is right. With a wrong hint the "
     "architecture requires no invalidation at all."},
    {"tlbi-wrong-regime", "TlbiWrongRegime", false,
     "a TLBI for another translation regime or stage",
     "The TLBI targets another translation regime or stage than the table (an EL1 operation "
     "for an EL2 table, vmalle1is alone after a stage-2 change, a stage-2 invalidation not "
     "followed by a stage-1 one)."},
    {"tlbi-no-coverage", "TlbiNoCoverage", false, "a TLBI meant for the entry that does not cover it",
     "A TLBI meant for the entry does not cover it: another VA, ASID or VMID, a range that "
     "decodes short, a last-level operation for a table entry, or a table entry removed while "
     "leaves below it may still be cached and not all of them are covered."},
    {"stale-tlb", "StaleTlb", false,
     "a change never invalidated before it matters",
     "A valid entry was removed or changed and no effective covering TLBI completed before the "
     "trace ends, the page is freed, or a CPU uses the address."},
    {"bbm-contiguous", "BbmContiguous", false,
     "a live contiguous set changed without whole-set BBM",
     "The contiguous bit changes on a live entry, or the output address or memory attributes "
     "of entries in a live contiguous set change without break-before-make of the whole set."},
    {"missing-isb", "MissingIsb", true,
     "no ISB between maintenance and the next use",
     "No ISB on the issuing CPU between completing maintenance (or a make) and that CPU's "
     "next use of the address."},
};

int rules_index(const char *id)
{
	for (int i = 0; id && i < RULES_N; i++)
		if (!strcmp(rules[i].id, id))
			return i;
	return -1;
}

const struct rule_info *rules_find(const char *id)
{
	int i = rules_index(id);

	return i < 0 ? NULL : &rules[i];
}

void rules_usage(FILE *f)
{
	fprintf(f, "\nRules (fixmap-trace(5) gives each in full):\n");
	for (int i = 0; i < RULES_N; i++)
		fprintf(f, "  %-23s %s%s\n", rules[i].id, rules[i].summary,
			rules[i].warning ? " (warning)" : "");
}
