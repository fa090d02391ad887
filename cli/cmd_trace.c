/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl trace: drain the agent's event rings live, merge the CPUs by
 * sequence number, print the events with symbolized PCs, run every event
 * through the BBM checker as it arrives, and optionally save the stream in
 * trace format v1.
 *
 * Over the gdbstub each drain is stop, read (two batched reads), write the
 * tails back, resume; the guest is resumed on every path out, errors and
 * signals included. Over a memory file the guest is never stopped: the
 * ring's acquire/release contract alone keeps the reads safe.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "arm64.h"
#include "bbm.h"
#include "cmds.h"
#include "disasm.h"
#include "elfsym.h"
#include "err.h"
#include "event.h"
#include "explain.h"
#include "live.h"
#include "merge.h"
#include "print.h"
#include "ring.h"
#include "target.h"
#include "tgtopt.h"
#include "trace_text.h"

#define DEFAULT_INTERVAL_GDB_MS 100
#define DEFAULT_INTERVAL_MEM_MS 5
#define MAX_RULES 32

static volatile sig_atomic_t trace_signal;

static void on_signal(int sig)
{
	trace_signal = sig;
}

struct trace_run {
	struct tgtopt to;
	bool json, quiet, follow, no_trim, disasm, lossy, explain;
	const char *color;
	struct explain_window *win; /* --explain */
	struct explain_style style;
	uint64_t count;   /* 0: no limit */
	double duration;  /* seconds; 0: none */
	unsigned interval_ms;
	const char *save;
	enum bbm_policy policy;

	struct target *t;
	bool gdb;
	struct elfsym *elf;
	struct agent_state st;
	struct fm_trace_ctx ctx;
	struct ring_set rs;
	struct merge m;
	struct live_drain ld;
	struct bbm *bbm;
	FILE *savef;
	uint64_t line_base; /* header lines of the saved file */
	uint64_t lines;     /* event and gap lines written (or that would be): the next is line_base + lines + 1 */
	bool save_failed;

	uint64_t events, cpu_events[FIXMAP_MAX_CPUS];
	uint64_t lost, cpu_lost[FIXMAP_MAX_CPUS]; /* events missing from the stream, in its gaps */
	uint64_t errors, warnings, gaps;
	struct {
		const char *rule;
		uint64_t n;
	} rules[MAX_RULES];
	unsigned nrules;
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl trace (--gdb HOST:PORT | --mem FILE[@PHYSBASE]) [--elf agent.elf]\n"
		"                       [--follow | --count N | --duration S] [--interval MS]\n"
		"                       [--save FILE] [--policy arm|linux|strict] [--lossy]\n"
		"                       [--explain] [--color WHEN] [-q] [-j]\n"
		"\n"
		"Drains the agent's per-CPU event rings, merges the CPUs by sequence number,\n"
		"prints every event with its symbolized PC and checks it for break-before-make\n"
		"and TLB maintenance errors as it arrives. Without --follow, --count or\n"
		"--duration it drains once (what the rings hold now) and ends.\n"
		"\n"
		"%s"
		"  --follow               keep draining until Ctrl-C (SIGINT) or SIGTERM\n"
		"  --count N              end after N events\n"
		"  --duration S           end after S seconds\n"
		"  --interval MS          time between drains (default %u ms over --gdb, %u ms over\n"
		"                         --mem)\n"
		"  --save FILE            write the merged events to FILE in trace format v1\n"
		"  --lossy                let the agent drop events when a ring is full rather than\n"
		"                         wait for this trace to drain it (the agent at full speed;\n"
		"                         the gaps are counted and saved as `cN lost count=C`)\n"
		"  --policy P             checker policy: arm (default), linux, strict\n"
		"  --no-trim              keep the events of sequences still unfinished at the end\n"
		"  --disasm               show the instruction at each event's PC (needs --elf)\n"
		"  --explain              under each finding, a lane diagram of its steps (the\n"
		"                         last %u events of each CPU are kept for it)\n"
		"  --color WHEN           colour the diagram: auto (a terminal), always, never\n"
		"  -q, --quiet            print only findings and the summary\n"
		"  -j, --json             JSON Lines: events, findings, then a summary object\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 no error findings, 1 error findings, 2 bad usage or target failure.\n",
		tgtopt_usage_short, DEFAULT_INTERVAL_GDB_MS, DEFAULT_INTERVAL_MEM_MS, EXPLAIN_PER_CPU);
}

static void count_rule(struct trace_run *tr, const char *rule)
{
	for (unsigned i = 0; i < tr->nrules; i++)
		if (!strcmp(tr->rules[i].rule, rule)) {
			tr->rules[i].n++;
			return;
		}
	if (tr->nrules < MAX_RULES) {
		tr->rules[tr->nrules].rule = rule;
		tr->rules[tr->nrules++].n = 1;
	}
}

static void on_finding(const struct bbm_finding *f, void *arg)
{
	struct trace_run *tr = arg;

	if (f->severity == BBM_ERROR)
		tr->errors++;
	else
		tr->warnings++;
	count_rule(tr, f->rule);
	if (tr->win)
		explain_finding_print(f, tr->win, &tr->style);
	else
		bbm_finding_print(f);
}

static void print_event(struct trace_run *tr, const struct fm_event *ev)
{
	char text[256], sym[192] = "";
	const char *name = NULL;
	uint64_t off = 0;

	trace_text_format_event(&tr->ctx, ev, text, sizeof(text));
	if (tr->elf && ev->pc)
		name = elfsym_symbolize(tr->elf, ev->pc, &off);
	if (name)
		snprintf(sym, sizeof(sym), "%s+%#" PRIx64, name, off);
	print_obj_begin(NULL);
	print_uint("seq", "%10" PRIu64 "  ", ev->seq);
	print_uint("cpu", NULL, ev->cpu);
	print_str("event", ev->pc ? "%-60s" : "%s", text);
	if (ev->pc)
		print_hex("pc", name ? NULL : "  %#" PRIx64, ev->pc);
	if (name)
		print_str("sym", "  <%s>", sym);
	if (tr->disasm && ev->pc) {
		char insn[96];

		if (!disasm_at(tr->elf, ev->pc, insn, sizeof(insn)))
			print_str("insn", "  %s", insn);
	}
	print_obj_end();
}

/*
 * Writes the saved file's header and counts its lines, so that every live event
 * gets the line number it has in the saved file: findings then name the same
 * lines live and when the file is checked later (and no event has line 0).
 */
static int save_header(struct trace_run *tr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f,
		     "# fixmapctl trace of %s\n# agent at %#" PRIx64
		     ", protocol %u.%u, mode %s, %u CPUs\n",
		     target_describe(tr->t), tr->st.pa, tr->st.hdr.major, tr->st.hdr.minor,
		     agent_mode_name(tr->st.hdr.mode), tr->st.ncpus) < 0 ||
	     trace_text_write_header(f, &tr->ctx);
	if (fclose(f) || rc) {
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		tr->line_base += buf[i] == '\n';
	rc = fwrite(buf, 1, len, tr->savef) == len ? 0 : -1;
	free(buf);
	return rc;
}

static void on_merged(void *arg, const struct fm_event *merged)
{
	struct trace_run *tr = arg;
	struct fm_event line_ev = *merged;
	const struct fm_event *ev = &line_ev;

	tr->lines++;
	line_ev.line = (uint32_t)(tr->line_base + tr->lines);
	if (ev->type == FM_EV_LOST) {
		/* A gap: the checker forgets what the lost events could have changed. */
		tr->gaps++;
		tr->lost += ev->arg;
		if (ev->cpu < FIXMAP_MAX_CPUS)
			tr->cpu_lost[ev->cpu] += ev->arg;
	} else {
		tr->events++;
		if (ev->cpu < FIXMAP_MAX_CPUS)
			tr->cpu_events[ev->cpu]++;
	}
	if (!tr->quiet)
		print_event(tr, ev);
	if (tr->savef && !tr->save_failed && trace_text_write_event(tr->savef, &tr->ctx, ev))
		tr->save_failed = true;
	if (tr->bbm)
		explain_feed(tr->win, tr->bbm, ev);
}

static void on_ring_diag(void *arg, unsigned cpu, const char *msg)
{
	(void)arg;
	fm_warn("trace: cpu %u ring: %s", cpu, msg);
}

/* Whether the agent is still mid-workload decides if the end of the stream gets trimmed. */
static int read_state(void *arg, struct target *t, struct fm_err *err)
{
	struct trace_run *tr = arg;
	struct fm_err e2;
	uint32_t state;

	(void)err; /* not knowing the state only means the end is not trimmed */
	if (!target_read_phys(t, tr->st.pa + offsetof(struct fixmap_shared_hdr, state), &state,
			      sizeof(state), &e2))
		tr->st.hdr.state = state;
	return 0;
}

/* One drain: stop (gdb), read every ring, mark gaps, resume. */
static int drain(struct trace_run *tr, bool final, struct fm_err *err)
{
	return live_drain(&tr->ld, final ? read_state : NULL, tr, err);
}

static void emit(struct trace_run *tr, uint64_t below)
{
	if (!tr->count) {
		merge_emit(&tr->m, below, 0, on_merged, tr);
		return;
	}
	/* --count counts events; gaps come on top. */
	while (tr->events < tr->count &&
	       merge_emit(&tr->m, below, (size_t)(tr->count - tr->events), on_merged, tr))
		;
}

/* Tells the agent's rings to stop waiting for our drains (once; on every way out). */
static void release(struct trace_run *tr)
{
	struct fm_err e;

	if (!tr->rs.wait_ms)
		return;
	tr->rs.wait_ms = 0;
	if (live_release(&tr->ld, &e))
		fm_warn("trace: telling the agent to stop waiting for the host: %s", e.msg);
}

static bool print_broken(void)
{
	return ferror(print_file()) != 0;
}

static void print_summary(struct trace_run *tr)
{
	double secs = now() - tr->t0;
	uint64_t bad = 0, stale = 0;

	for (unsigned i = 0; i < tr->rs.n; i++) {
		bad += tr->rs.r[i].st.bad;
		stale += tr->rs.r[i].st.stale;
	}
	print_obj_begin(NULL);
	print_obj_begin("summary");
	print_uint("events", "summary: %" PRIu64 " events", tr->events);
	print_double("seconds", " in %.1f s", secs);
	print_uint("drains", " (%" PRIu64 " drains)", tr->ld.drains);
	print_uint("interval_ms", NULL, tr->interval_ms);
	print_uint("errors", ", %" PRIu64 " errors", tr->errors);
	print_uint("warnings", ", %" PRIu64 " warnings", tr->warnings);
	print_uint("lost", ", %" PRIu64 " events lost", tr->lost);
	print_uint("gaps", tr->gaps ? ", %" PRIu64 " gaps in the stream" : NULL, tr->gaps);
	print_uint("trimmed", tr->m.trimmed ? ", %" PRIu64 " trimmed at the end" : NULL,
		   tr->m.trimmed);
	print_uint("late", tr->m.late ? ", %" PRIu64 " out of order" : NULL, tr->m.late);
	print_uint("stale", stale ? ", %" PRIu64 " older events skipped (kept from before the rings "
				    "dropped some)"
				  : NULL,
		   stale);
	print_uint("ring_problems", bad ? ", %" PRIu64 " ring problems" : NULL, bad);
	print_arr_begin("cpus");
	for (unsigned i = 0; i < tr->rs.n; i++) {
		const struct ring *rg = &tr->rs.r[i];

		/* CPUs the agent never brought up have nothing to say. */
		if (i >= tr->ctx.ncpus && !tr->cpu_events[i] && !rg->st.lost && !rg->st.bad)
			continue;
		print_obj_begin(NULL);
		print_uint("cpu", "\n  cpu%-3" PRIu64, i);
		print_uint("events", " %10" PRIu64 " events", tr->cpu_events[i]);
		print_uint("lost", ", %" PRIu64 " lost", tr->cpu_lost[i]);
		print_uint("lost_total", " (%" PRIu64 " since boot)", rg->st.lost);
		print_uint("ring_problems", rg->st.bad ? ", %" PRIu64 " ring problems" : NULL,
			   rg->st.bad);
		print_bool("read", rg->usable ? NULL : ", ring not read", rg->usable);
		if (print_is_json())
			print_obj_end(); /* in text, the line goes on */
	}
	print_arr_end();
	print_text("\n  findings:%s", tr->nrules ? "" : " none");
	print_obj_begin("rules");
	for (unsigned i = 0; i < tr->nrules; i++) {
		print_text("%s %s", i ? "," : "", tr->rules[i].rule);
		print_uint(tr->rules[i].rule, " %" PRIu64, tr->rules[i].n);
	}
	if (print_is_json()) {
		print_obj_end(); /* rules */
		print_obj_end(); /* summary */
	}
	print_obj_end();
}

static int parse_args(struct trace_run *tr, int argc, char **argv, struct fm_err *err)
{
	enum { O_FOLLOW = 0x2000, O_COUNT, O_DURATION, O_INTERVAL, O_SAVE, O_POLICY,
	       O_NOTRIM, O_DISASM, O_LOSSY, O_EXPLAIN, O_COLOR };
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"quiet", no_argument, NULL, 'q'},
		{"follow", no_argument, NULL, O_FOLLOW},
		{"count", required_argument, NULL, O_COUNT},
		{"duration", required_argument, NULL, O_DURATION},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"save", required_argument, NULL, O_SAVE},
		{"policy", required_argument, NULL, O_POLICY},
		{"no-trim", no_argument, NULL, O_NOTRIM},
		{"disasm", no_argument, NULL, O_DISASM},
		{"lossy", no_argument, NULL, O_LOSSY},
		{"explain", no_argument, NULL, O_EXPLAIN},
		{"color", required_argument, NULL, O_COLOR},
		TGTOPT_LONGOPTS,
		{0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jhq", opts, NULL)) != -1) {
		uint64_t v;
		char *end;
		int r;

		switch (c) {
		case 'j':
			tr->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'q':
			tr->quiet = true;
			break;
		case O_FOLLOW:
			tr->follow = true;
			break;
		case O_COUNT:
			if (tgtopt_parse_u64(optarg, &v) || !v)
				return fm_err_set(err, "--count '%s': expected a positive number",
						  optarg);
			tr->count = v;
			break;
		case O_DURATION:
			errno = 0;
			tr->duration = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(tr->duration > 0) ||
			    !isfinite(tr->duration))
				return fm_err_set(err, "--duration '%s': expected seconds > 0", optarg);
			break;
		case O_INTERVAL:
			if (live_parse_interval(optarg, &tr->interval_ms, err))
				return -1;
			break;
		case O_SAVE:
			tr->save = optarg;
			break;
		case O_POLICY:
			if (bbm_policy_parse(optarg, &tr->policy))
				return fm_err_set(err, "--policy '%s': expected arm, linux or strict",
						  optarg);
			break;
		case O_NOTRIM:
			tr->no_trim = true;
			break;
		case O_DISASM:
			tr->disasm = true;
			break;
		case O_EXPLAIN:
			tr->explain = true;
			break;
		case O_COLOR:
			if (explain_color_parse(optarg, &tr->style.color))
				return fm_err_set(err, "--color '%s': expected auto, always or never",
						  optarg);
			tr->color = optarg;
			break;
		case O_LOSSY:
			tr->lossy = true;
			break;
		case '?':
		case ':':
			return tgtopt_bad_option(argv, optind, optopt, err);
		default:
			r = tgtopt_option(&tr->to, c, optarg, err);
			if (r < 0)
				return -1;
			if (r == 0)
				return tgtopt_bad_option(argv, optind, optopt, err);
		}
	}
	if (optind < argc)
		return fm_err_set(err, "%s: unexpected argument", argv[optind]);
	if (!tr->to.gdb && !tr->to.mem)
		return fm_err_set(err, "no target: give --gdb HOST:PORT or --mem FILE[@PHYSBASE]");
	if (tr->disasm && !tr->to.elf)
		return fm_err_set(err, "--disasm needs --elf (the image the PCs are in)");
	if (!tr->color)
		explain_color_parse(NULL, &tr->style.color);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL); /* a signal ends it early: the loop checks */
}

int cmd_trace(int argc, char **argv)
{
	struct trace_run *tr = calloc(1, sizeof(*tr));
	struct sigaction sa, old_int, old_term, old_pipe;
	struct fm_err err = {{0}};
	int status = EXIT_OK, r;
	bool live, failed = false, cut = false, running;

	if (!tr) {
		fm_warn("trace: out of memory");
		return EXIT_BAD;
	}
	tgtopt_init(&tr->to);
	merge_init(&tr->m);
	r = parse_args(tr, argc, argv, &err);
	if (r) {
		free(tr);
		if (r > 0)
			return EXIT_OK;
		fm_warn("trace: %s", err.msg);
		return EXIT_BAD;
	}
	print_init(stdout, tr->json);
	live = tr->follow || tr->count || tr->duration > 0;
	tr->gdb = tr->to.gdb != NULL;
	if (!tr->interval_ms)
		tr->interval_ms = tr->gdb ? DEFAULT_INTERVAL_GDB_MS : DEFAULT_INTERVAL_MEM_MS;

	/* Signals end the loop; the code below still resumes, summarises and saves. */
	trace_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* target I/O restarts; nanosleep returns early */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe); /* a closed stdout is seen by ferror */

	tr->t = tgtopt_open(&tr->to, &err);
	if (!tr->t || tgtopt_symbols(&tr->to, tr->t, &tr->elf, &err)) {
		fm_warn("trace: %s", err.msg);
		status = EXIT_BAD;
		goto out_target;
	}

	if (tgtopt_find_agent(&tr->to, tr->t, tr->elf, "trace", &tr->st, &err)) {
		fm_warn("trace: %s", err.msg);
		status = EXIT_BAD;
		goto out_target;
	}
	for (unsigned i = 0; i < tr->st.max_cpus; i++)
		if (tr->st.cpu[i].present && !tr->st.cpu[i].usable)
			fm_warn("trace: cpu %u ring not read: %s", i, tr->st.cpu[i].why);
	if (agent_trace_ctx(&tr->st, &tr->ctx) || ring_set_init(&tr->rs, &tr->st, &err)) {
		fm_warn("trace: %s", err.msg[0] ? err.msg : "out of memory");
		status = EXIT_BAD;
		goto out_target;
	}
	tr->rs.diag = on_ring_diag;
	/* Live on a running agent: what a ring kept from before it dropped events is not live. */
	tr->rs.skip_stale = live && tr->st.hdr.state == FIXMAP_STATE_RUNNING;
	tr->ld = (struct live_drain){.t = tr->t, .stop = tr->gdb, .rs = &tr->rs, .m = &tr->m};
	/* Lossless: a full ring waits for our next drain (the ring's wait_ms). */
	if (live && !tr->lossy) {
		if (tr->rs.lost_records)
			tr->rs.wait_ms = live_wait_ms(tr->interval_ms);
		else
			fm_warn("trace: the agent speaks protocol %u.%u, whose rings cannot wait for "
				"the host: events may be lost",
				tr->st.hdr.major, tr->st.hdr.minor);
	}
	tr->bbm = bbm_new(&tr->ctx, tr->policy, on_finding, tr);
	if (tr->explain)
		tr->win = explain_window_new(tr->ctx.ncpus, 0);
	tr->style.ctx = &tr->ctx;
	if (tr->elf) {
		bbm_set_symbolizer(tr->bbm, explain_symbolize, tr->elf);
		tr->style.sym = explain_symbolize;
		tr->style.sym_arg = tr->elf;
	}
	if (!tr->bbm || (tr->explain && !tr->win)) {
		fm_warn("trace: out of memory");
		status = EXIT_BAD;
		goto out_rings;
	}
	if (tr->save) {
		tr->savef = fopen(tr->save, "w");
		if (!tr->savef) {
			fm_warn("trace: %s: %s", tr->save, strerror(errno));
			status = EXIT_BAD;
			goto out_rings;
		}
		if (save_header(tr))
			tr->save_failed = true;
	}
	print_text("# trace: %s; agent at %#" PRIx64 ", protocol %u.%u, mode %s, %u CPUs, %s%s\n",
		   target_describe(tr->t), tr->st.pa, tr->st.hdr.major, tr->st.hdr.minor,
		   agent_mode_name(tr->st.hdr.mode), tr->st.ncpus,
		   agent_state_name(tr->st.hdr.state),
		   !live		? ""
		   : tr->rs.wait_ms ? "; lossless (a full ring waits for the next drain)"
				    : "; lossy (a full ring drops events)");

	tr->t0 = now();
	for (;;) {
		uint64_t watermark = tr->rs.seq; /* hdr.seq at the previous drain */
		double left = tr->duration > 0 ? tr->duration - (now() - tr->t0) : 1e9;
		bool last = !live || trace_signal || left <= 0;

		if (drain(tr, last, &err)) {
			fm_warn("trace: %s", err.msg);
			failed = true;
			break;
		}
		if (last)
			break;
		/* Events below the previous drain's hdr.seq have all had an interval to land. */
		emit(tr, watermark);
		if ((tr->count && tr->events >= tr->count) || print_broken()) {
			cut = true;
			break;
		}
		sleep_ms(left * 1000 < tr->interval_ms ? (unsigned)(left * 1000) + 1
						       : tr->interval_ms);
	}
	/* Done draining: the agent must not wait for us any more. */
	release(tr);
	/* Drops no LOST record has placed yet follow each ring's last record. */
	if (!failed && !cut)
		live_end(&tr->ld);
	/* A stream cut while the agent runs ends inside sequences: end it between two. */
	running = tr->st.hdr.state == FIXMAP_STATE_RUNNING;
	if (!tr->no_trim && running)
		merge_trim_unfinished(&tr->m);
	emit(tr, UINT64_MAX);
	/*
	 * Cut at --count, or the agent goes on after the stream: maintenance still
	 * pending at the end may complete after it, so it is not judged, and the saved
	 * file says `cut` so that check reads it the same (fixmap-trace(5)). Trimming
	 * alone cannot promise that: a CPU the host did not run for a while may have
	 * its sequence's start already emitted and only its tail held.
	 */
	if (!failed && (cut || running)) {
		struct fm_event end = {.type = FM_EV_CUT};
		tr->ctx.cut = true;
		if (tr->savef && !tr->save_failed && trace_text_write_event(tr->savef, &tr->ctx, &end))
			tr->save_failed = true;
	}
	if (tr->bbm)
		bbm_finish(tr->bbm);
	print_summary(tr);
	if (tr->errors && status == EXIT_OK)
		status = EXIT_FINDINGS;
	if (failed)
		status = EXIT_BAD;

	if (tr->savef) {
		if (fclose(tr->savef) || tr->save_failed) {
			fm_warn("trace: %s: write failed", tr->save);
			status = EXIT_BAD;
		}
		tr->savef = NULL;
	}
	if (print_finish()) {
		fm_warn("trace: writing the output failed");
		status = EXIT_BAD;
	}
out_rings:
	release(tr);
	bbm_free(tr->bbm);
	explain_window_free(tr->win);
	ring_set_free(&tr->rs);
out_target:
	target_close(tr->t); /* a gdb target resumes the guest unless --stay-stopped */
	elfsym_close(tr->elf);
	merge_free(&tr->m);
	fm_ctx_free(&tr->ctx);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(tr);
	return status;
}
