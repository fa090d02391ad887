/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl symbols FILE: the symbols the other commands name addresses
 * with, one "ADDRESS TYPE NAME" line each, the format of System.map and
 * /proc/kallsyms: an ELF's symbol table, or the kallsyms tables of a Linux
 * kernel that has no other (a raw arm64 Image, a stripped vmlinux). Makes
 * the System.map that Debian's arm64 kernel packages do not ship.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmds.h"
#include "elfsym.h"
#include "err.h"
#include "print.h"
#include "tgtopt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl symbols [--kaslr-offset OFF] [--stats] [-j] FILE\n"
		"\n"
		"Prints the symbols of FILE in address order as \"ADDRESS TYPE NAME\" lines\n"
		"(System.map and /proc/kallsyms format): an ELF's symbol table, or for a\n"
		"Linux kernel without one (a raw arm64 Image, a stripped vmlinux) the\n"
		"kernel's own kallsyms tables, at its link address.\n"
		"\n"
		"options:\n"
		"  --kaslr-offset OFF     add the running kernel's KASLR offset to every address\n"
		"  --stats                on stderr: where the symbols came from, and the time\n"
		"  -j, --json             one JSON object per symbol (JSON Lines)\n"
		"  -h, --help             this help\n");
}

int cmd_symbols(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {"kaslr-offset", required_argument, NULL, 'k'},
					     {"stats", no_argument, NULL, 's'},
					     {NULL, 0, NULL, 0}};
	struct fm_err err = {{0}};
	struct timespec t0, t1;
	struct elfsym *e;
	uint64_t slide = 0;
	bool json = false, stats = false, neg;
	int c, rc = EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'k':
			neg = optarg[0] == '-';
			if (tgtopt_parse_u64(optarg + neg, &slide)) {
				fm_warn("symbols: --kaslr-offset '%s': expected a number", optarg);
				return EXIT_BAD;
			}
			slide = neg ? 0 - slide : slide;
			break;
		case 's':
			stats = true;
			break;
		default:
			tgtopt_bad_option(argv, optind, optopt, &err);
			fm_warn("symbols: %s", err.msg);
			usage(stderr);
			return EXIT_BAD;
		}
	}
	if (optind + 1 != argc) {
		fm_warn("symbols: %s", optind >= argc ? "missing FILE" : "more than one FILE");
		usage(stderr);
		return EXIT_BAD;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = elfsym_open(argv[optind], &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!e || elfsym_set_slide(e, slide, &err)) {
		fm_warn("symbols: %s", err.msg);
		elfsym_close(e);
		return EXIT_BAD;
	}
	if (stats)
		fm_warn("symbols: %s: %s; loaded in %.3f s", argv[optind], elfsym_source(e),
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	print_init(stdout, json);
	for (size_t i = 0; i < elfsym_count(e); i++) {
		const struct elfsym_sym *s = elfsym_get(e, i);
		char type[2] = {s->type ? s->type : '?', 0};

		print_obj_begin(NULL);
		print_hex("addr", "%016" PRIx64, s->addr);
		print_str("type", " %s", type);
		print_str("name", " %s", s->name);
		if (s->sized)
			print_uint("size", NULL, s->size);
		print_obj_end();
	}
	if (print_finish()) {
		fm_warn("symbols: write error on standard output");
		rc = EXIT_BAD;
	}
	elfsym_close(e);
	return rc;
}
