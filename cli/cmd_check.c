/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl check [--policy P] [--explain] [-j] FILE|-: run a trace file
 * (format v1) through the BBM checker, streaming: one event in memory at a
 * time (with --explain, a bounded window of recent events per CPU).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bbm.h"
#include "check.h"
#include "cmds.h"
#include "elfsym.h"
#include "err.h"
#include "explain.h"
#include "export.h"
#include "print.h"
#include "rules.h"
#include "trace_text.h"

struct check_counts {
	uint64_t errors, warnings;
	uint64_t per_rule[BBM_NRULES];
	struct explain_window *win; /* --explain */
	struct explain_style style;
	struct perfetto *pf; /* check_opts.perfetto */
};

static void on_finding(const struct bbm_finding *f, void *arg)
{
	struct check_counts *c = arg;
	int i = bbm_rule_index(f->rule);

	if (f->severity == BBM_WARNING)
		c->warnings++;
	else
		c->errors++;
	if (i >= 0)
		c->per_rule[i]++;
	if (c->win)
		explain_finding_print(f, c->win, &c->style);
	else
		bbm_finding_print(f);
	if (c->pf)
		perfetto_finding(c->pf, f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl check [--policy arm|linux|strict] [--explain] [--color WHEN]\n"
		"                       [--window N] [--elf FILE] [-j] FILE|-\n"
		"\n"
		"Check a trace (format v1, see fixmap-trace(5)) for break-before-make and TLB\n"
		"maintenance errors. FILE - reads standard input.\n"
		"\n"
		"  -p, --policy P   which valid-to-valid changes need BBM: arm (default, the Arm\n"
		"                   ARM's rule), linux (arm64 pgattr_change_is_safe), strict\n"
		"                   (any change outside the software bits)\n"
		"  --elf FILE       symbols for the PCs of findings (the image the trace ran)\n"
		"  --explain        under each finding, a lane diagram: one column per CPU, the\n"
		"                   steps in order, where the old translation may still be\n"
		"                   cached, the wrong or missing step (at most 100 columns)\n"
		"  --window N       --explain keeps the last N events of each CPU (default %u)\n"
		"  --color WHEN     colour the diagram: auto (default: a terminal), always, never\n"
		"  -j, --json       JSON Lines: one object per finding, then a summary object\n"
		"                   (with --explain, each finding has an \"explain\" object)\n"
		"  -h, --help       this text\n"
		"\n"
		"Exit status: 0 no error findings, 1 error findings, 2 bad input or usage.\n",
		EXPLAIN_PER_CPU);
	rules_usage(f);
}

static void print_summary(const struct check_counts *c, const struct bbm_stats *st,
			  enum bbm_policy p)
{
	print_obj_begin(NULL);
	print_obj_begin("summary");
	print_uint("events", "%" PRIu64 " events, ", st->events);
	if (st->lost)
		print_uint("lost", "%" PRIu64 " lost, ", st->lost);
	print_uint("errors", "%" PRIu64 " errors, ", c->errors);
	print_uint("warnings", "%" PRIu64 " warnings", c->warnings);
	print_str("policy", " (policy %s)", bbm_policy_name(p));
	print_obj_begin("rules");
	for (int i = 0; i < BBM_NRULES; i++)
		if (c->per_rule[i]) {
			print_text("\n  %-24s", bbm_rules[i]);
			print_uint(bbm_rules[i], "%" PRIu64, c->per_rule[i]);
		}
	if (print_is_json())
		print_obj_end();
	if (print_is_json())
		print_obj_end();
	print_obj_end();
}

/* bbm_symbolize_fn over an ELF image's symbols. */
static int elf_symbolize(uint64_t pc, char *buf, size_t n, void *arg)
{
	uint64_t off;
	const char *name = elfsym_symbolize(arg, pc, &off);

	if (!name)
		return -1;
	snprintf(buf, n, "%s+%#" PRIx64, name, off);
	return 0;
}

int check_stream(FILE *f, const char *name, const struct check_opts *o)
{
	struct check_counts counts;
	struct fm_trace_ctx ctx;
	struct fm_event ev;
	struct fm_err err;
	struct trace_reader *r;
	struct bbm *b;
	int rc;

	r = trace_text_open(f, name, &ctx, &err);
	if (!r) {
		fm_warn("check: %s", err.msg);
		return EXIT_BAD;
	}
	memset(&counts, 0, sizeof(counts));
	b = bbm_new(&ctx, o->policy, on_finding, &counts);
	if (o->explain)
		counts.win = explain_window_new(ctx.ncpus, o->window);
	counts.style = (struct explain_style){.color = o->color, .ctx = &ctx};
	if (o->elf) {
		counts.style.sym = elf_symbolize;
		counts.style.sym_arg = o->elf;
	}
	if (o->perfetto && !(counts.pf = perfetto_open(o->perfetto, &ctx, name, &err))) {
		fm_warn("check: %s", err.msg);
		rc = -1;
		goto out;
	}
	if (counts.pf && o->elf)
		perfetto_set_symbolizer(counts.pf, elf_symbolize, o->elf);
	if (!b || (o->explain && !counts.win)) {
		fm_warn("check: out of memory");
		rc = -1;
		goto out;
	}
	bbm_set_source(b, name);
	if (o->elf)
		bbm_set_symbolizer(b, elf_symbolize, o->elf);
	while ((rc = trace_text_next(r, &ev, &err)) == 1) {
		uint64_t seq = bbm_seq(b);

		explain_feed(counts.win, b, &ev);
		if (counts.pf && bbm_seq(b) != seq) /* the checker's number is the time */
			perfetto_event(counts.pf, bbm_seq(b), &ev);
	}
	if (rc == 0) {
		struct bbm_stats st;
		bbm_finish(b);
		bbm_get_stats(b, &st);
		if (o->before_summary)
			o->before_summary(o->arg);
		print_summary(&counts, &st, o->policy);
	} else {
		fm_warn("check: %s", err.msg);
	}
out:
	if (counts.pf && perfetto_close(counts.pf)) {
		fm_warn("check: writing the trace-event JSON failed");
		rc = -1;
	}
	bbm_free(b);
	explain_window_free(counts.win);
	trace_text_close(r);
	fm_ctx_free(&ctx);
	if (rc < 0)
		return EXIT_BAD;
	return counts.errors ? EXIT_FINDINGS : EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	enum { O_EXPLAIN = 0x100, O_COLOR, O_WINDOW };
	static const struct option opts[] = {{"policy", required_argument, NULL, 'p'},
					     {"elf", required_argument, NULL, 'e'},
					     {"explain", no_argument, NULL, O_EXPLAIN},
					     {"color", required_argument, NULL, O_COLOR},
					     {"window", required_argument, NULL, O_WINDOW},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct check_opts o = {.policy = BBM_POLICY_ARM};
	const char *path, *name, *elf = NULL, *color = NULL;
	unsigned long window;
	char *end;
	bool json = false;
	struct fm_err err;
	FILE *f;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (bbm_policy_parse(optarg, &o.policy)) {
				fm_warn("check: --policy %s: expected arm, linux or strict",
					optarg);
				return EXIT_BAD;
			}
			break;
		case 'e':
			elf = optarg;
			break;
		case O_EXPLAIN:
			o.explain = true;
			break;
		case O_COLOR:
			color = optarg;
			break;
		case O_WINDOW:
			window = strtoul(optarg, &end, 0);
			if (*end || !window || window > (1ul << 24) || *optarg == '-') {
				fm_warn("check: --window %s: expected 1 to 16777216 events", optarg);
				return EXIT_BAD;
			}
			o.window = window;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt == 'p')
				fm_warn("check: --policy needs a value (arm, linux or strict)");
			else if (optopt == 'e')
				fm_warn("check: --elf needs a FILE");
			else if (optopt == O_COLOR || optopt == O_WINDOW)
				fm_warn("check: %s needs a value", argv[optind - 1]);
			else
				fm_warn("check: %s: unknown option (try fixmapctl check -h)",
					argv[optind - 1]);
			return EXIT_BAD;
		}
	}
	if (optind != argc - 1) {
		fm_warn("check: %s (try fixmapctl check -h)",
			optind >= argc ? "expected a trace FILE or - for standard input"
				       : "expected exactly one trace FILE");
		return EXIT_BAD;
	}
	if (explain_color_parse(color, &o.color)) {
		fm_warn("check: --color %s: expected auto, always or never", color);
		return EXIT_BAD;
	}
	if (elf && !(o.elf = elfsym_open(elf, &err))) {
		fm_warn("check: --elf %s", err.msg);
		return EXIT_BAD;
	}
	path = argv[optind];
	if (!strcmp(path, "-")) {
		f = stdin;
		name = "<stdin>";
	} else {
		f = fopen(path, "r");
		name = path;
		if (!f) {
			fm_warn("check: %s: %s", path, strerror(errno));
			elfsym_close(o.elf);
			return EXIT_BAD;
		}
	}
	print_init(stdout, json);
	rc = check_stream(f, name, &o);
	if (f != stdin)
		fclose(f);
	elfsym_close(o.elf);
	if (print_finish()) {
		fm_warn("check: writing the output failed");
		return EXIT_BAD;
	}
	return rc;
}
