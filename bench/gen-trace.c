/* SPDX-License-Identifier: MIT */
/*
 * Synthetic traces for bench/check.sh, 8 CPUs sharing one EL2 table,
 * interleaved round-robin so every CPU has a sequence in flight:
 *   gen-trace [EVENTS] > FILE        the per-CPU fixmap workload (default 10
 *       million events): each cycle of a CPU is the merged Linux sequence with
 *       an access (8 events); one cycle in 100000 uses the seed's local TLBI,
 *       so the checker also reports some findings.
 *   gen-trace --bbm [EVENTS] > FILE  full broadcast BBM sequences, no access
 *       (make: pte, dsb ishst, isb; break: pte, dsb ishst, tlbi vale2is, dsb
 *       ish, isb), about 25 bytes an event: clean.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 20];
static size_t used;

static void put(const char *s, size_t n)
{
	if (used + n > sizeof(out)) {
		fwrite(out, 1, used, stdout);
		used = 0;
	}
	memcpy(out + used, s, n);
	used += n;
}

static void puts_(const char *s) { put(s, strlen(s)); }

static void hex(uint64_t v)
{
	char b[20];
	int i = 20;

	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	put(b + i, (size_t)(20 - i));
}

static const char *const bbm_steps[] = {"pte+", "dsb ishst", "isb", "pte-", "dsb ishst",
					 "tlbi",  "dsb ish",   "isb"};

static int gen_bbm(uint64_t events)
{
	const unsigned ncpus = 8;
	uint64_t n = 0;
	char c[8];

	puts_("fixmap-trace 1\n# synthetic: broadcast BBM sequences on one shared EL2 table\n"
	      "cpus 8\ntable hyp regime=el2 shared\n");
	for (uint64_t cycle = 0; n < events; cycle++) {
		for (unsigned step = 0; step < 8 && n < events; step++) {
			for (unsigned cpu = 0; cpu < ncpus && n < events; cpu++, n++) {
				uint64_t va = 0x80000000ull + cpu * 0x1000ull;
				uint64_t pa =
				    0x41000743ull + (((cycle * ncpus + cpu) & 0xffff) << 12);
				const char *s = bbm_steps[step];
				snprintf(c, sizeof(c), "c%u ", cpu);
				puts_(c);
				if (!strcmp(s, "pte+") || !strcmp(s, "pte-")) {
					puts_("pte va=");
					hex(va);
					puts_(" level=3 old=");
					if (s[3] == '+') {
						puts_("0x0 new=");
						hex(pa);
					} else {
						hex(pa);
						puts_(" new=0x0");
					}
				} else if (!strcmp(s, "tlbi")) {
					puts_("tlbi vale2is va=");
					hex(va);
				} else {
					puts_(s);
				}
				put("\n", 1);
			}
		}
	}
	fwrite(out, 1, used, stdout);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t events, n = 0;
	const unsigned ncpus = 8, steps = 8;
	char c[8];

	if (argc > 1 && !strcmp(argv[1], "--bbm"))
		return gen_bbm(argc > 2 ? strtoull(argv[2], NULL, 0) : 2000000ull);
	events = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000ull;

	puts_("fixmap-trace 1\n# synthetic: per-CPU fixmap slots on one shared EL2 table\n"
	      "cpus 8\ntable hyp regime=el2 shared\n");
	for (uint64_t cycle = 0; n < events; cycle++) {
		for (unsigned step = 0; step < steps && n < events; step++) {
			for (unsigned cpu = 0; cpu < ncpus && n < events; cpu++, n++) {
				uint64_t va = 0x80000000ull + cpu * 0x1000ull;
				uint64_t pa =
				    0x41000743ull + (((cycle * ncpus + cpu) & 0xffff) << 12);
				int bug = cycle % 100000 == 99999 && cpu == 3;
				snprintf(c, sizeof(c), "c%u ", cpu);
				puts_(c);
				switch (step) {
				case 0:
					puts_("pte va=");
					hex(va);
					puts_(" level=3 old=0x0 new=");
					hex(pa);
					break;
				case 1:
					puts_("dsb ishst");
					break;
				case 2:
					puts_("isb");
					break;
				case 3:
					puts_("access va=");
					hex(va + 8);
					break;
				case 4:
					puts_("pte va=");
					hex(va);
					puts_(" level=3 old=");
					hex(pa);
					puts_(" new=0x0");
					break;
				case 5:
					puts_(bug ? "dsb nshst" : "dsb ishst");
					break;
				case 6:
					puts_(bug ? "tlbi vale2 va=" : "tlbi vale2is va=");
					hex(va);
					break;
				default:
					puts_(bug ? "dsb nsh" : "dsb ish");
				}
				put("\n", 1);
			}
		}
	}
	fwrite(out, 1, used, stdout);
	return fflush(stdout) ? 1 : 0;
}
