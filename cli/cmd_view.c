/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl view: a live full-screen view of the agent's fixmap slots.
 *
 * One loop owns everything: it drains the rings (cli/live.h: stop/resume over
 * the gdbstub, no stop over a memory file), feeds the merged events to the
 * data model and the checker, redraws the panels and reads keys. Signals
 * (SIGINT, SIGTERM, SIGHUP) only set a flag and write to a self-pipe that
 * wakes the loop, so the terminal is restored by the one exit path, as it is
 * after q and after errors. A lost target does not end the view: it says so
 * and keeps the last state on screen until q.
 *
 * Batch mode (--iterations N, --dump-screen FILE) draws on a curses screen
 * whose output goes to /dev/null, so it needs no terminal, and writes the
 * final screen as text.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "agent.h"
#include "bbm.h"
#include "cmds.h"
#include "desc.h"
#include "elfsym.h"
#include "err.h"
#include "explain.h"
#include "live.h"
#include "merge.h"
#include "print.h"
#include "ring.h"
#include "target.h"
#include "tgtopt.h"
#include "view_model.h"
#include "view_ui.h"
#include "walk.h"

#define DEFAULT_INTERVAL_GDB_MS 100
#define DEFAULT_INTERVAL_MEM_MS 5
#define DRAW_EVERY 0.1 /* seconds between redraws when no key asks for one */
#define DEFAULT_EVENTS 4096
#define BATCH_COLS 132
#define BATCH_ROWS 40
#define WALK_EVERY 1.0 /* seconds between walks of the selected slot */

static volatile sig_atomic_t view_signal;
static int view_wake_fd = -1; /* write end of the self-pipe */

static void on_signal(int sig)
{
	int saved = errno;

	view_signal = sig;
	if (view_wake_fd >= 0 && write(view_wake_fd, "", 1) < 0) {
		/* the flag alone still ends the loop at its next turn */
	}
	errno = saved;
}

struct view_run {
	struct tgtopt to;
	bool json, lossy;
	unsigned interval_ms;
	uint32_t wait_ms; /* the rings' wait while we drain (0: lossy) */
	uint64_t iterations; /* batch: refreshes to draw */
	const char *dump;    /* batch: where the final screen goes ("-": stdout) */
	const char *keys;    /* batch: one key per refresh */
	int cols, rows;      /* batch screen size */
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
	struct view_model vm;
	struct view_ui ui;
	unsigned walked_cpu;
	double walked_at;
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
		"usage: fixmapctl view (--gdb HOST:PORT | --mem FILE[@PHYSBASE]) [--elf agent.elf]\n"
		"                      [--interval MS] [--policy P] [--lossy] [--agent PA] [--wait S]\n"
		"                      [--iterations N [--dump-screen FILE] [--keys KEYS]\n"
		"                       [--size COLSxROWS] [-j]]\n"
		"\n"
		"A live full-screen view of the agent's per-CPU fixmap slots: one row per CPU\n"
		"(slot VA, descriptor, output address, memory type, permissions, maps and unmaps\n"
		"per second, last maintenance sequence, findings), the merged event stream with\n"
		"findings marked by rule, details of the selected slot (descriptor fields, the\n"
		"walk from the root, disassembly around the last store and TLBI), and a status\n"
		"line. Keys: arrows or j/k select, Enter details, p pause, c CPU filter, f rule\n"
		"filter, / search, r raw/decoded, e explain the selected CPU's finding ([ and ]\n"
		"older and newer), ? help, q quit.\n"
		"\n"
		"%s"
		"  --interval MS          time between drains (default %u ms over --gdb, %u ms\n"
		"                         over --mem)\n"
		"  --policy P             checker policy: arm (default), linux, strict\n"
		"  --lossy                let the agent drop events when a ring is full rather than\n"
		"                         wait for the view to drain it (the agent at full speed)\n"
		"  --iterations N         batch mode: draw N refreshes without a terminal, then\n"
		"                         write the final screen as text\n"
		"  --dump-screen FILE     batch mode: where the screen goes (default: stdout)\n"
		"  --keys KEYS            batch mode: press one key of KEYS per refresh\n"
		"  --size COLSxROWS       batch mode: screen size (default %dx%d)\n"
		"  -j, --json             batch mode: print the slot table as JSON Lines\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 after q or the last batch refresh, 2 bad usage or target failure.\n",
		tgtopt_usage_short, DEFAULT_INTERVAL_GDB_MS, DEFAULT_INTERVAL_MEM_MS, BATCH_COLS,
		BATCH_ROWS);
}

static int parse_args(struct view_run *vr, int argc, char **argv, struct fm_err *err)
{
	enum { O_INTERVAL = 0x2000, O_POLICY, O_ITER, O_DUMP, O_KEYS, O_SIZE, O_LOSSY };
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"policy", required_argument, NULL, O_POLICY},
		{"iterations", required_argument, NULL, O_ITER},
		{"dump-screen", required_argument, NULL, O_DUMP},
		{"keys", required_argument, NULL, O_KEYS},
		{"size", required_argument, NULL, O_SIZE},
		{"lossy", no_argument, NULL, O_LOSSY},
		TGTOPT_LONGOPTS,
		{0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		uint64_t v;
		int r, n;
		char extra;

		switch (c) {
		case 'j':
			vr->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case O_INTERVAL:
			if (live_parse_interval(optarg, &vr->interval_ms, err))
				return -1;
			break;
		case O_POLICY:
			if (bbm_policy_parse(optarg, &vr->policy))
				return fm_err_set(err, "--policy '%s': expected arm, linux or strict",
						  optarg);
			break;
		case O_ITER:
			if (tgtopt_parse_u64(optarg, &v) || !v || v > 1000000)
				return fm_err_set(err, "--iterations '%s': expected 1 to 1000000",
						  optarg);
			vr->iterations = v;
			break;
		case O_DUMP:
			vr->dump = optarg;
			break;
		case O_KEYS:
			vr->keys = optarg;
			break;
		case O_SIZE:
			n = sscanf(optarg, "%dx%d%c", &vr->cols, &vr->rows, &extra);
			if (n != 2 || vr->cols < 20 || vr->cols > 1000 || vr->rows < 5 ||
			    vr->rows > 1000)
				return fm_err_set(err, "--size '%s': expected COLSxROWS, e.g. 132x40",
						  optarg);
			break;
		case O_LOSSY:
			vr->lossy = true;
			break;
		case '?':
		case ':':
			return tgtopt_bad_option(argv, optind, optopt, err);
		default:
			r = tgtopt_option(&vr->to, c, optarg, err);
			if (r < 0)
				return -1;
			if (r == 0)
				return tgtopt_bad_option(argv, optind, optopt, err);
		}
	}
	if (optind < argc)
		return fm_err_set(err, "%s: unexpected argument", argv[optind]);
	if ((vr->dump || vr->keys || vr->cols) && !vr->iterations)
		vr->iterations = 1;
	if (vr->json && !vr->iterations)
		return fm_err_set(err, "-j: the JSON slot table needs batch mode (--iterations N)");
	if (!vr->to.gdb && !vr->to.mem)
		return fm_err_set(err, "no target: give --gdb HOST:PORT or --mem FILE[@PHYSBASE]");
	return 0;
}

/* ---- the live side ---- */

static void on_finding(const struct bbm_finding *f, void *arg)
{
	struct view_run *vr = arg;

	view_model_finding(&vr->vm, f->rule, f->severity == BBM_ERROR, f->cpu, f->seq);
	view_model_keep_finding(&vr->vm, f);
}

static void on_merged(void *arg, const struct fm_event *ev)
{
	struct view_run *vr = arg;

	/* Events of a CPU were lost here: the checker forgets what they could have changed. */
	if (ev->type == FM_EV_LOST)
		view_model_gap(&vr->vm, ev->seq);
	else
		view_model_event(&vr->vm, ev); /* the model first: a finding on ev finds it there */
	if (vr->bbm)
		explain_feed(vr->vm.win, vr->bbm, ev);
}

static void on_ring_diag(void *arg, unsigned cpu, const char *msg)
{
	struct view_run *vr = arg;

	snprintf(vr->ui.note, sizeof(vr->ui.note), "cpu %u ring: %s", cpu, msg);
}

/* The walk from the root to the selected slot, if its details are shown. */
static void walk_selected(struct view_run *vr, struct target *t)
{
	unsigned cpu = vr->ui.sel;
	struct view_slot *s = &vr->vm.slot[cpu];
	struct walk_cfg cfg;
	struct fm_err err;
	double tnow = now();

	if (!vr->ui.detail || cpu >= vr->st.max_cpus)
		return;
	if (s->walked && cpu == vr->walked_cpu && tnow - vr->walked_at < WALK_EVERY)
		return;
	vr->walked_cpu = cpu;
	vr->walked_at = tnow;
	s->nsteps = 0;
	s->walked = false;
	/* The agent's table: EL2, or EL2&0 when it runs with HCR_EL2.E2H = 1. */
	if (walk_cfg_from_regs((s->c.hcr_el2 >> 34) & 1 ? FM_REGIME_EL20 : FM_REGIME_EL2,
			       s->c.ttbr0_el2, s->c.tcr_el2, s->c.mair_el2, 0, &cfg, &err) ||
	    walk_va(t, &cfg, s->c.slot_va, s->steps, &s->nsteps, &err)) {
		snprintf(s->walk_err, sizeof(s->walk_err), "walk failed: %.180s", err.msg);
		return;
	}
	s->walked = true;
}

/* While the target is stopped: the slot state, and the selected slot's walk. */
static int on_stopped(void *arg, struct target *t, struct fm_err *err)
{
	struct view_run *vr = arg;

	if (agent_refresh(t, &vr->st, err))
		return -1;
	view_model_slots(&vr->vm, &vr->st, now());
	walk_selected(vr, t);
	return 0;
}

/* One refresh of the data: drain, merge, check, rates. */
static int refresh_data(struct view_run *vr, struct fm_err *err)
{
	uint64_t watermark = vr->rs.seq, lost = 0;

	if (live_drain(&vr->ld, on_stopped, vr, err))
		return -1;
	/* Events below the previous drain's hdr.seq have all had an interval to land. */
	merge_emit(&vr->m, watermark, 0, on_merged, vr);
	for (unsigned i = 0; i < vr->rs.n; i++)
		lost += vr->rs.r[i].st.lost - vr->rs.r[i].st.lost_start;
	view_model_rates(&vr->vm, lost, now());
	return 0;
}

/* ---- batch output ---- */

static void print_slots(struct view_run *vr)
{
	const struct view_model *m = &vr->vm;

	for (unsigned i = 0; i < m->ncpus; i++) {
		const struct view_slot *s = &m->slot[i];
		char mt[48], perms[8];
		struct desc d;

		if (!s->present)
			continue;
		view_model_slot_decode(m, i, &d, mt, sizeof(mt), perms, sizeof(perms));
		print_obj_begin(NULL);
		print_uint("cpu", "cpu%-3" PRIu64, i);
		print_hex("slot_va", " %#" PRIx64, s->c.slot_va);
		print_hex("pte", " 0x%016" PRIx64, s->c.pte);
		print_bool("valid", NULL, desc_is_valid(s->c.pte, 3));
		if (d.kind == DESC_PAGE)
			print_hex("oa", " oa=%#" PRIx64, d.oa);
		else
			print_null("oa", " invalid");
		print_str("memtype", " %s", mt);
		print_str("perms", " %s", perms);
		print_double("maps_per_s", " %.0f maps/s", s->maps_rate);
		print_double("unmaps_per_s", " %.0f unmaps/s", s->unmaps_rate);
		print_str("last_sequence", " [%s]", s->last_seq);
		print_uint("findings", " %" PRIu64 " findings", s->findings);
		print_obj_end();
	}
	print_obj_begin(NULL);
	print_obj_begin("summary");
	print_uint("events", "summary: %" PRIu64 " events", m->events);
	print_uint("errors", ", %" PRIu64 " errors", m->errors);
	print_uint("warnings", ", %" PRIu64 " warnings", m->warnings);
	print_uint("lost", ", %" PRIu64 " lost", m->lost);
	if (m->error[0])
		print_str("target_error", ", target lost: %s", m->error);
	print_obj_begin("rules");
	for (unsigned i = 0; i < m->nrules; i++)
		print_uint(m->rules[i].name, NULL, m->rules[i].n);
	print_obj_end();
	print_obj_end();
	print_obj_end();
}

/* ---- the terminal ---- */

static SCREEN *screen_open(struct view_run *vr, bool batch, FILE **out, FILE **in,
			   struct fm_err *err)
{
	SCREEN *scr;

	*out = *in = NULL;
	if (batch) {
		/* A real screen whose output is thrown away: the dump reads it back. */
		*out = fopen("/dev/null", "w");
		*in = fopen("/dev/null", "r");
		if (!*out || !*in) {
			fm_err_set(err, "/dev/null: %s", strerror(errno));
			goto fail;
		}
		scr = newterm("vt100", *out, *in);
	} else {
		const char *term = getenv("TERM");

		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fm_err_set(err, "not a terminal: run it in one, or use batch mode "
					"(--iterations N --dump-screen FILE)");
			return NULL;
		}
		if (!term || !*term) {
			fm_err_set(err, "TERM is not set");
			return NULL;
		}
		scr = newterm(term, stdout, stdin);
	}
	if (!scr) {
		fm_err_set(err, "cannot set up the terminal (TERM=%s)",
			   batch ? "vt100" : getenv("TERM"));
		goto fail;
	}
	set_term(scr);
	if (batch)
		resize_term(vr->rows ? vr->rows : BATCH_ROWS, vr->cols ? vr->cols : BATCH_COLS);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	return scr;
fail:
	if (*out)
		fclose(*out);
	if (*in)
		fclose(*in);
	*out = *in = NULL;
	return NULL;
}

static void screen_close(SCREEN *scr, FILE *out, FILE *in)
{
	if (!scr)
		return;
	endwin();
	delscreen(scr);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
}

static void sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	nanosleep(&ts, NULL); /* a signal ends it early: the loop checks */
}

/*
 * Waits for a key, a signal or the next refresh; then reads every key waiting.
 * Returns whether there was a key.
 */
static bool wait_input(struct view_run *vr, int wake_rd, double timeout_ms)
{
	struct pollfd pfd[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				{.fd = wake_rd, .events = POLLIN}};
	char junk[16];
	bool keyed = false;
	int ch;

	if (timeout_ms < 0)
		timeout_ms = 0;
	/* EINTR (a resize, a signal) just ends the wait early. */
	if (poll(pfd, 2, (int)timeout_ms) > 0 && (pfd[1].revents & POLLIN)) {
		while (read(wake_rd, junk, sizeof(junk)) > 0) {
		}
	}
	while (!vr->ui.quit && (ch = getch()) != ERR) {
		view_ui_key(&vr->ui, ch);
		keyed = true;
	}
	return keyed;
}

static int run(struct view_run *vr, int wake_rd, struct fm_err *err)
{
	bool batch = vr->iterations > 0, failed = false, keyed;
	double interval = vr->interval_ms / 1000.0, next_drain = now(), next_draw = 0, t;
	const char *keys = vr->keys ? vr->keys : "";
	FILE *out, *in, *dumpf = NULL;
	uint64_t it = 0;
	SCREEN *scr;
	int status = EXIT_OK;
	const char *nc = getenv("NO_COLOR");

	scr = screen_open(vr, batch, &out, &in, err);
	if (!scr)
		return -1;
	view_ui_init(&vr->ui, &vr->vm, !(nc && *nc));
	for (;;) {
		if (view_signal)
			break;
		if (batch && *keys)
			view_ui_key(&vr->ui, (unsigned char)*keys++);
		if (vr->ui.quit)
			break;
		/* Paused, nothing drains: the agent must not wait for us meanwhile. */
		if (vr->wait_ms && vr->ui.paused == !!vr->rs.wait_ms) {
			struct fm_err e;

			vr->rs.wait_ms = vr->ui.paused ? 0 : vr->wait_ms; /* set by the next drain */
			if (vr->ui.paused && !vr->vm.error[0] && live_release(&vr->ld, &e))
				snprintf(vr->ui.note, sizeof(vr->ui.note), "%.90s", e.msg);
		}
		t = now();
		/* Drains run often (the rings are small); redraws at most every DRAW_EVERY. */
		if (!vr->ui.paused && !vr->vm.error[0] && t >= next_drain) {
			struct fm_err e;

			if (refresh_data(vr, &e)) {
				/* The target is gone: say so, keep the last state on screen. */
				snprintf(vr->vm.error, sizeof(vr->vm.error), "%s", e.msg);
				failed = true;
				next_draw = 0;
			}
			next_drain = t + interval;
		}
		if (batch || t >= next_draw) {
			view_ui_draw(&vr->ui);
			next_draw = t + DRAW_EVERY;
		}
		if (batch) {
			if (++it >= vr->iterations || failed)
				break;
			sleep_ms((next_drain - now()) * 1000);
			continue;
		}
		t = next_draw < next_drain || vr->ui.paused || vr->vm.error[0] ? next_draw : next_drain;
		keyed = wait_input(vr, wake_rd, (t - now()) * 1000);
		if (keyed)
			next_draw = 0; /* show what the key did at once */
	}
	if (batch && vr->dump) {
		dumpf = strcmp(vr->dump, "-") ? fopen(vr->dump, "w") : stdout;
		if (!dumpf || view_ui_dump(dumpf) || (dumpf != stdout && fclose(dumpf))) {
			fm_err_set(err, "%s: %s", vr->dump, dumpf ? "write failed" : strerror(errno));
			status = -1;
		}
	} else if (batch && !vr->json) {
		if (view_ui_dump(stdout))
			status = -1;
	}
	screen_close(scr, out, in);
	if (status)
		return status;
	if (failed) {
		fm_err_set(err, "target lost: %s", vr->vm.error);
		return -1;
	}
	return 0;
}

int cmd_view(int argc, char **argv)
{
	struct view_run *vr = calloc(1, sizeof(*vr));
	struct sigaction sa, old_int, old_term, old_hup;
	struct fm_err err = {{0}};
	int status = EXIT_OK, r, pipefd[2] = {-1, -1};

	if (!vr) {
		fm_warn("view: out of memory");
		return EXIT_BAD;
	}
	tgtopt_init(&vr->to);
	merge_init(&vr->m);
	r = parse_args(vr, argc, argv, &err);
	if (r) {
		free(vr);
		if (r > 0)
			return EXIT_OK;
		fm_warn("view: %s", err.msg);
		return EXIT_BAD;
	}
	vr->gdb = vr->to.gdb != NULL;
	if (!vr->interval_ms)
		vr->interval_ms = vr->gdb ? DEFAULT_INTERVAL_GDB_MS : DEFAULT_INTERVAL_MEM_MS;
	vr->t = tgtopt_open(&vr->to, &err);
	if (!vr->t) {
		fm_warn("view: %s", err.msg);
		free(vr);
		return EXIT_BAD;
	}
	if (tgtopt_symbols(&vr->to, vr->t, &vr->elf, &err)) {
		fm_warn("view: %s", err.msg);
		status = EXIT_BAD;
		goto out_target;
	}
	if (tgtopt_find_agent(&vr->to, vr->t, vr->elf, "view", &vr->st, &err)) {
		fm_warn("view: %s", err.msg);
		status = EXIT_BAD;
		goto out_target;
	}
	if (agent_trace_ctx(&vr->st, &vr->ctx) || ring_set_init(&vr->rs, &vr->st, &err) ||
	    view_model_init(&vr->vm, DEFAULT_EVENTS, &vr->ctx)) {
		fm_warn("view: %s", err.msg[0] ? err.msg : "out of memory");
		status = EXIT_BAD;
		goto out_rings;
	}
	vr->rs.diag = on_ring_diag;
	/* What a ring kept from before it dropped events is not live: start after it. */
	vr->rs.skip_stale = vr->st.hdr.state == FIXMAP_STATE_RUNNING;
	vr->rs.diag_arg = vr;
	vr->ld = (struct live_drain){.t = vr->t, .stop = vr->gdb, .rs = &vr->rs, .m = &vr->m};
	/* Lossless unless asked: a full ring waits for our next drain (the ring's wait_ms). */
	if (!vr->lossy && vr->rs.lost_records)
		vr->rs.wait_ms = vr->wait_ms = live_wait_ms(vr->interval_ms);
	vr->bbm = bbm_new(&vr->ctx, vr->policy, on_finding, vr);
	if (vr->bbm && vr->elf)
		bbm_set_symbolizer(vr->bbm, explain_symbolize, vr->elf);
	vr->vm.win = explain_window_new(vr->ctx.ncpus, 0); /* NULL: findings without event text */
	vr->vm.elf = vr->elf;
	snprintf(vr->vm.target, sizeof(vr->vm.target), "%s", target_describe(vr->t));
	view_model_slots(&vr->vm, &vr->st, now());

	/* Signals only set a flag and wake the loop; the loop restores the terminal. */
	if (pipe(pipefd) == 0) {
		fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
		fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
		view_wake_fd = pipefd[1];
	}
	view_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	print_init(stdout, vr->json);
	if (run(vr, pipefd[0], &err)) {
		fm_warn("view: %s", err.msg);
		status = EXIT_BAD;
	}
	/* The agent must not wait for drains that will not come (not after a lost target). */
	if (vr->rs.wait_ms && !vr->vm.error[0] && live_release(&vr->ld, &err))
		fm_warn("view: telling the agent to stop waiting for the host: %s", err.msg);
	if (vr->json) {
		print_slots(vr);
		if (print_finish()) {
			fm_warn("view: writing the output failed");
			status = EXIT_BAD;
		}
	}

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	view_wake_fd = -1;
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	bbm_free(vr->bbm);
	explain_window_free(vr->vm.win);
	view_model_free(&vr->vm);
out_rings:
	ring_set_free(&vr->rs);
out_target:
	target_close(vr->t); /* a gdb target resumes the guest unless --stay-stopped */
	elfsym_close(vr->elf);
	merge_free(&vr->m);
	fm_ctx_free(&vr->ctx);
	free(vr);
	return status;
}
