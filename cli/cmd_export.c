/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl export --perfetto FILE.json [--policy P] [--elf FILE] TRACE|-:
 * a trace (format v1) as Chrome/Perfetto trace-event JSON (cli/export.h),
 * with the checker's findings on the CPUs that erred. Streaming, like check.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bbm.h"
#include "cmds.h"
#include "elfsym.h"
#include "err.h"
#include "explain.h"
#include "export.h"
#include "print.h"
#include "trace_text.h"

struct export_run {
	struct perfetto *pf;
	uint64_t errors, warnings;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl export --perfetto FILE.json [--policy arm|linux|strict]\n"
		"                        [--elf FILE] [-j] TRACE|-\n"
		"\n"
		"Writes a trace (format v1, see fixmap-trace(5); - reads standard input) as\n"
		"Chrome/Perfetto trace-event JSON for the Perfetto UI or chrome://tracing: one\n"
		"track per CPU; page-table stores, barriers and TLBIs as slices with their\n"
		"arguments; findings as instant events on the CPU that erred; every\n"
		"break-before-make window as an async span of its entry. The trace has no\n"
		"clock: one microsecond is one event.\n"
		"\n"
		"  --perfetto FILE   where the JSON goes (- for standard output)\n"
		"  -p, --policy P    checker policy: arm (default), linux, strict\n"
		"  --elf FILE        name PCs by the symbols of an ELF image\n"
		"  -j, --json        the summary as JSON\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit status: 0 written (whatever the findings), 2 bad input, usage or a\n"
		"failed write.\n");
}

static void on_finding(const struct bbm_finding *f, void *arg)
{
	struct export_run *x = arg;

	if (f->severity == BBM_WARNING)
		x->warnings++;
	else
		x->errors++;
	perfetto_finding(x->pf, f);
}

int cmd_export(int argc, char **argv)
{
	enum { O_PERFETTO = 0x100, O_ELF };
	static const struct option opts[] = {{"perfetto", required_argument, NULL, O_PERFETTO},
					     {"policy", required_argument, NULL, 'p'},
					     {"elf", required_argument, NULL, O_ELF},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	enum bbm_policy policy = BBM_POLICY_ARM;
	const char *out = NULL, *elf = NULL, *path, *name;
	struct export_run x = {0};
	struct elfsym *es = NULL;
	struct fm_trace_ctx ctx;
	struct trace_reader *r = NULL;
	struct fm_event ev;
	struct fm_err err;
	struct bbm *b = NULL;
	FILE *in = NULL, *of = NULL;
	bool json = false;
	int c, rc = EXIT_BAD;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:jh", opts, NULL)) != -1) {
		switch (c) {
		case O_PERFETTO:
			out = optarg;
			break;
		case 'p':
			if (bbm_policy_parse(optarg, &policy)) {
				fm_warn("export: --policy %s: expected arm, linux or strict", optarg);
				return EXIT_BAD;
			}
			break;
		case O_ELF:
			elf = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt)
				fm_warn("export: %s needs a value", argv[optind - 1]);
			else
				fm_warn("export: %s: unknown option (try fixmapctl export -h)",
					argv[optind - 1]);
			return EXIT_BAD;
		}
	}
	if (!out) {
		fm_warn("export: give the output format and file: --perfetto FILE.json");
		return EXIT_BAD;
	}
	if (optind != argc - 1) {
		fm_warn("export: %s (try fixmapctl export -h)",
			optind >= argc ? "expected a trace FILE or - for standard input"
				       : "expected exactly one trace FILE");
		return EXIT_BAD;
	}
	path = argv[optind];
	if (elf && !(es = elfsym_open(elf, &err))) {
		fm_warn("export: %s", err.msg);
		return EXIT_BAD;
	}
	name = strcmp(path, "-") ? path : "<stdin>";
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		fm_warn("export: %s: %s", path, strerror(errno));
		goto out;
	}
	r = trace_text_open(in, name, &ctx, &err);
	if (!r) {
		fm_warn("export: %s", err.msg);
		goto out;
	}
	of = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!of) {
		fm_warn("export: %s: %s", out, strerror(errno));
		goto out_ctx;
	}
	x.pf = perfetto_open(of, &ctx, name, &err);
	b = x.pf ? bbm_new(&ctx, policy, on_finding, &x) : NULL;
	if (!b) {
		fm_warn("export: out of memory");
		goto out_ctx;
	}
	bbm_set_source(b, name);
	if (es) {
		bbm_set_symbolizer(b, explain_symbolize, es);
		perfetto_set_symbolizer(x.pf, explain_symbolize, es);
	}
	while ((c = trace_text_next(r, &ev, &err)) == 1) {
		uint64_t seq = bbm_seq(b);

		bbm_event(b, &ev);
		/* The checker's number is the time: findings sit on the event they name. */
		if (bbm_seq(b) != seq)
			perfetto_event(x.pf, bbm_seq(b), &ev);
	}
	if (c < 0) {
		fm_warn("export: %s", err.msg);
		perfetto_close(x.pf);
		x.pf = NULL;
		goto out_ctx;
	}
	bbm_finish(b);
	{
		struct bbm_stats st;
		uint64_t windows = perfetto_windows(x.pf);

		bbm_get_stats(b, &st);
		if (perfetto_close(x.pf)) {
			x.pf = NULL;
			fm_warn("export: %s: write failed", out);
			goto out_ctx;
		}
		x.pf = NULL;
		print_init(of == stdout ? stderr : stdout, json);
		print_obj_begin(NULL);
		print_obj_begin("summary");
		print_str("file", "%s: ", out);
		print_uint("events", "%" PRIu64 " events", st.events);
		print_uint("windows", ", %" PRIu64 " break-before-make windows", windows);
		print_uint("errors", ", %" PRIu64 " errors", x.errors);
		print_uint("warnings", ", %" PRIu64 " warnings", x.warnings);
		if (print_is_json())
			print_obj_end();
		print_obj_end();
		if (print_finish()) {
			fm_warn("export: writing the summary failed");
			goto out_ctx;
		}
	}
	rc = EXIT_OK;
out_ctx:
	if (x.pf)
		perfetto_close(x.pf);
	if (of && of != stdout && fclose(of) && rc == EXIT_OK) {
		fm_warn("export: %s: write failed", out);
		rc = EXIT_BAD;
	}
	bbm_free(b);
	trace_text_close(r);
	fm_ctx_free(&ctx);
out:
	if (in && in != stdin)
		fclose(in);
	elfsym_close(es);
	return rc;
}
