/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl record [--save FILE] [--policy P] [--elf FILE] [--plugin FILE]
 *                  [--access WHAT] [--quiet] [-j] -- QEMU-COMMAND...
 *
 * Runs an unmodified guest under QEMU 10 with fixmap-plugin.so and checks its
 * translation-table maintenance live: the command line gets guest RAM in a
 * shared /dev/shm file (the plugin reads tables there) and the plugin, whose
 * trace comes back through a pipe into the checker of `check` (and, with
 * --save, into a file that `check` reads to the same findings).
 *
 * Ending: when the guest powers off, QEMU exits and the stream ends. Ctrl-C
 * reaches QEMU too (same process group); a SIGINT or SIGTERM to fixmapctl alone
 * is passed on as SIGTERM. Either way QEMU's exit runs the plugin's end, which
 * writes `cut`; the stream is read to its end, then the summary is printed.
 * A second signal kills QEMU; a stream that ends without the plugin's end is
 * marked `cut` here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bbm.h"
#include "check.h"
#include "cmds.h"
#include "elfsym.h"
#include "err.h"
#include "explain.h"
#include "print.h"

#define DEFAULT_RAM (128ull << 20) /* QEMU's default -m */
#define STATS_PREFIX "# fixmap-plugin:"

static volatile sig_atomic_t rec_signal;

/* What a recording stopped before the plugin wrote anything reads as. */
static const char empty_trace[] = "fixmap-trace 1\ncpus 1\ncut\n";

static void on_signal(int sig) { rec_signal = sig; }

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl record [--save FILE] [--policy P] [--elf FILE] [--plugin FILE]\n"
		"                        [--access WHAT] [--explain] [--color WHEN] [--perfetto FILE.json]\n"
		"                        [--quiet] [-j] -- QEMU-COMMAND...\n"
		"\n"
		"Run an AArch64 guest under QEMU 10 (or later) with fixmap-plugin.so and check its\n"
		"translation-table maintenance live: every TLBI, barrier, root load and store into\n"
		"a translation table, with the checker of `fixmapctl check`. The QEMU command gets\n"
		"guest RAM in a shared /dev/shm file and the plugin added; it must not have a\n"
		"memory backend or -plugin of its own. Ctrl-C stops the guest and ends cleanly.\n"
		"\n"
		"  --save FILE      also write the trace to FILE (fixmapctl check FILE reads it to\n"
		"                   the same findings)\n"
		"  -p, --policy P   arm (default), linux or strict, as for check\n"
		"  --elf FILE       symbols for the PCs of findings (the guest's ELF image)\n"
		"  --plugin FILE    fixmap-plugin.so to load (default: $FIXMAP_PLUGIN, or the one\n"
		"                   beside fixmapctl)\n"
		"  --access WHAT    which accesses to a VA whose maintenance is pending are\n"
		"                   recorded (for stale-tlb and missing-isb): store (default:\n"
		"                   stores, and the fetches of instructions the plugin sees),\n"
		"                   fetch (also every instruction fetch: a check in every\n"
		"                   executed block, slower), all (loads too), off\n"
		"  --explain        under each finding, a lane diagram of its steps, as for check\n"
		"  --color WHEN     colour the diagram: auto (a terminal), always, never\n"
		"  --perfetto FILE  also write the events and findings as Chrome/Perfetto\n"
		"                   trace-event JSON, as fixmapctl export does\n"
		"  -q, --quiet      do not show QEMU's standard output (the guest's console)\n"
		"  -j, --json       JSON Lines: one object per finding, then a summary object\n"
		"  -h, --help       this text\n"
		"\n"
		"vCPUs run in parallel threads (QEMU's default); the plugin puts their events in\n"
		"one global order. -accel tcg,thread=single is refused with more than one vCPU:\n"
		"QEMU 10.0 then tells plugins vCPU 0 for every vCPU.\n"
		"\n"
		"Exit status: 0 no error findings, 1 error findings, 2 bad usage or QEMU failed.\n");
}

/* "-m 256M", "-m size=1G,maxmem=..", "-m 1024" (MiB): bytes, or 0 if unparsable. */
static uint64_t parse_mem(const char *s)
{
	const char *p = strstr(s, "size=");
	char *end;
	unsigned long long v;

	if (p)
		s = p + 5;
	else if (strchr(s, '='))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': case ',': case 0: v <<= 20; if (*end && *end != ',') end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	default: return 0;
	}
	if (*end && *end != ',' && *end != 'B' && *end != 'b')
		return 0;
	return v;
}

/* Major version of QEMU from `argv0 --version`, -1 if it does not run. */
static int qemu_major(const char *argv0, char *line, size_t n)
{
	int fds[2], status, major = -1;
	pid_t pid;
	FILE *f;

	line[0] = 0;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execlp(argv0, argv0, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (f) {
		char buf[256];
		while (fgets(buf, sizeof(buf), f))
			if (sscanf(buf, "QEMU emulator version %d.", &major) == 1) {
				buf[strcspn(buf, "\n")] = 0;
				snprintf(line, n, "%s", buf);
				break;
			}
		while (fgets(buf, sizeof(buf), f))
			;
		fclose(f);
	} else {
		close(fds[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return major;
}

/* fixmap-plugin.so: --plugin, $FIXMAP_PLUGIN, beside fixmapctl, or ../lib/fixmap. */
static int find_plugin(const char *given, char *out, size_t n)
{
	char exe[PATH_MAX - 64];
	ssize_t len;

	if (given || (given = getenv("FIXMAP_PLUGIN"))) {
		snprintf(out, n, "%s", given);
		return access(out, R_OK) ? -1 : 0;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return -1;
	exe[len] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(out, n, "%s/fixmap-plugin.so", exe);
	if (!access(out, R_OK))
		return 0;
	snprintf(out, n, "%s/../lib/fixmap/fixmap-plugin.so", exe);
	return access(out, R_OK) ? -1 : 0;
}

/* The stream from the plugin: read from the pipe, copied to --save, `cut` added if it ends early. */
struct tee {
	int fd;
	FILE *save;
	pid_t qemu;
	int forwarded;
	bool eof, saw_end, save_failed;
	uint64_t bytes;
	char first[4096]; /* read before the checker starts, to tell a QEMU that failed */
	size_t first_len, first_off;
	char stats[512];
	char partial[512];
	size_t plen;
	const char *save_path;
};

static void tee_scan(struct tee *t, const char *buf, size_t n)
{
	/* Watch for the plugin's closing statistics line (it comes after `cut`). */
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			t->partial[t->plen < sizeof(t->partial) ? t->plen : sizeof(t->partial) - 1] = 0;
			if (!strncmp(t->partial, STATS_PREFIX, strlen(STATS_PREFIX)) && !t->stats[0]) {
				snprintf(t->stats, sizeof(t->stats), "%s", t->partial + 2);
				t->saw_end = true;
			}
			t->plen = 0;
		} else if (t->plen < sizeof(t->partial) - 1) {
			t->partial[t->plen++] = buf[i];
		}
	}
}

static void tee_forward_signal(struct tee *t)
{
	if (!rec_signal || t->qemu <= 0)
		return;
	/* The first: QEMU's orderly exit (the plugin writes its end); the next: kill it. */
	kill(t->qemu, t->forwarded == 0 ? SIGTERM : SIGKILL);
	t->forwarded++;
	rec_signal = 0;
}

/* read() from the pipe, passing signals on to QEMU; 0 at the end. */
static ssize_t tee_raw(struct tee *t, char *buf, size_t size)
{
	ssize_t n;

	for (;;) {
		tee_forward_signal(t);
		n = read(t->fd, buf, size);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? 0 : n;
	}
}

static ssize_t tee_read(void *cookie, char *buf, size_t size)
{
	struct tee *t = cookie;
	bool from_first = false;
	ssize_t n;

	if (t->first_off < t->first_len) {
		from_first = true; /* counted and scanned when it was read */
		n = (ssize_t)(t->first_len - t->first_off < size ? t->first_len - t->first_off : size);
		memcpy(buf, t->first + t->first_off, (size_t)n);
		t->first_off += (size_t)n;
	} else if (t->eof) {
		return 0;
	} else {
		n = tee_raw(t, buf, size);
	}
	if (n == 0) {
		t->eof = true;
		if (!t->bytes) {
			/* Stopped before the plugin wrote anything: an empty, cut trace. */
			fm_warn("record: interrupted before the guest started");
			n = (ssize_t)(strlen(empty_trace) < size ? strlen(empty_trace) : size);
			memcpy(buf, empty_trace, (size_t)n);
		} else if (!t->saw_end) {
			/* QEMU died without the plugin's end (killed): the trace is cut. */
			static const char cut[] = "\ncut\n";
			n = (ssize_t)(sizeof(cut) - 1 < size ? sizeof(cut) - 1 : size);
			memcpy(buf, cut, (size_t)n);
		} else {
			return 0;
		}
	} else if (!from_first) {
		t->bytes += (uint64_t)n;
		tee_scan(t, buf, (size_t)n);
	}
	if (t->save && !t->save_failed && fwrite(buf, 1, (size_t)n, t->save) != (size_t)n) {
		t->save_failed = true;
		fm_warn("record: --save %s: %s", t->save_path, strerror(errno));
	}
	return n;
}

static int tee_close(void *cookie)
{
	(void)cookie;
	return 0;
}

static void print_recorder(void *arg)
{
	struct tee *t = arg;

	if (t->stats[0] && !print_is_json())
		fm_warn("record: %s", t->stats);
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {{"save", required_argument, NULL, 's'},
					     {"policy", required_argument, NULL, 'p'},
					     {"elf", required_argument, NULL, 'e'},
					     {"plugin", required_argument, NULL, 'P'},
					     {"access", required_argument, NULL, 'A'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"json", no_argument, NULL, 'j'},
					     {"explain", no_argument, NULL, 'X'},
					     {"color", required_argument, NULL, 'C'},
					     {"perfetto", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct check_opts co = {.policy = BBM_POLICY_ARM};
	const char *save = NULL, *elf_path = NULL, *plugin_arg = NULL, *color = NULL;
	const char *perfetto = NULL, *access = NULL;
	char plugin[PATH_MAX], shm[128] = "", version[256];
	char obj[PATH_MAX + 128], plg[2 * PATH_MAX + 64];
	struct sigaction sa, old_int, old_term;
	struct tee tee = {.fd = -1};
	bool quiet = false, json = false, signals_set = false;
	uint64_t ram = DEFAULT_RAM;
	int c, rc = EXIT_BAD, qargc, fds[2] = {-1, -1}, status = 0, major;
	char **qargv, **cmd;
	FILE *in = NULL;
	pid_t pid = -1;
	struct fm_err err;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 's': save = optarg; break;
		case 'e': elf_path = optarg; break;
		case 'P': plugin_arg = optarg; break;
		case 'A':
			if (strcmp(optarg, "store") && strcmp(optarg, "fetch") && strcmp(optarg, "all") &&
			    strcmp(optarg, "off")) {
				fm_warn("record: --access %s: expected store, fetch, all or off", optarg);
				return EXIT_BAD;
			}
			access = optarg;
			break;
		case 'q': quiet = true; break;
		case 'j': json = true; break;
		case 'X': co.explain = true; break;
		case 'C': color = optarg; break;
		case 'F': perfetto = optarg; break;
		case 'p':
			if (bbm_policy_parse(optarg, &co.policy)) {
				fm_warn("record: --policy %s: expected arm, linux or strict", optarg);
				return EXIT_BAD;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt && strchr("pCFsePA", optopt))
				fm_warn("record: %s needs a value", argv[optind - 1]);
			else
				fm_warn("record: %s: unknown option (try fixmapctl record -h)",
					argv[optind - 1]);
			return EXIT_BAD;
		}
	}
	if (explain_color_parse(color, &co.color)) {
		fm_warn("record: --color %s: expected auto, always or never", color);
		return EXIT_BAD;
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		fm_warn("record: expected a QEMU command after -- (try fixmapctl record -h)");
		return EXIT_BAD;
	}
	cmd = argv + optind;
	qargc = argc - optind;

	/* The command line: what record adds must not be there already. */
	for (int i = 0; i < qargc; i++) {
		if (!strcmp(cmd[i], "-plugin") || !strncmp(cmd[i], "-plugin=", 8)) {
			fm_warn("record: the QEMU command already loads a plugin (%s): record adds "
				"fixmap-plugin.so itself; to use your own, run QEMU with -plugin "
				"fixmap-plugin.so,out=FILE and fixmapctl check FILE",
				cmd[i]);
			return EXIT_BAD;
		}
		if (strstr(cmd[i], "memory-backend")) {
			fm_warn("record: the QEMU command already has a memory backend (%s): record "
				"adds a shared one for the plugin; remove it, or load the plugin "
				"yourself (-plugin fixmap-plugin.so,out=FILE,mem=PATH)",
				cmd[i]);
			return EXIT_BAD;
		}
		if ((!strcmp(cmd[i], "-m") || !strcmp(cmd[i], "--m")) && i + 1 < qargc) {
			ram = parse_mem(cmd[i + 1]);
			if (!ram) {
				fm_warn("record: -m %s: expected a size such as 256M or 1G", cmd[i + 1]);
				return EXIT_BAD;
			}
		}
	}
	/* From here on a signal ends the recording cleanly (summary, no files left). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
	sigemptyset(&sa.sa_mask);
	rec_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signals_set = true;
	major = qemu_major(cmd[0], version, sizeof(version));
	if (rec_signal)
		goto interrupted;
	if (major < 0) {
		fm_warn("record: %s: cannot run it (%s --version failed)", cmd[0], cmd[0]);
		goto out;
	}
	if (major < 10) {
		fm_warn("record: %s is %s: the plugin needs QEMU 10 or later (plugin API 4: "
			"register reads and stored values); scripts/qemu10.sh bin prints one",
			cmd[0], version);
		goto out;
	}
	if (find_plugin(plugin_arg, plugin, sizeof(plugin))) {
		fm_warn("record: %s: no fixmap-plugin.so (build it with make, or give --plugin)",
			plugin_arg ? plugin_arg : "beside fixmapctl");
		goto out;
	}
	if (elf_path && !(co.elf = elfsym_open(elf_path, &err))) {
		fm_warn("record: --elf %s", err.msg);
		goto out;
	}
	if (perfetto && !(co.perfetto = fopen(perfetto, "w"))) {
		fm_warn("record: --perfetto %s: %s", perfetto, strerror(errno));
		goto out;
	}
	if (save && !(tee.save = fopen(save, "w"))) {
		fm_warn("record: --save %s: %s", save, strerror(errno));
		goto out;
	}
	tee.save_path = save;

	snprintf(shm, sizeof(shm), "/dev/shm/fixmap-record-%u-%d", (unsigned)getuid(), (int)getpid());
	unlink(shm);
	if (pipe(fds)) {
		fm_warn("record: pipe: %s", strerror(errno));
		goto out;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	/* A larger pipe: a vCPU that writes the trace waits less for the checker. */
	fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=fixmap-ram,size=%" PRIu64 ",mem-path=%s,share=on",
		 ram, shm);
	snprintf(plg, sizeof(plg), "%s,out=/dev/fd/%d,mem=%s%s%s", plugin, fds[1], shm,
		 access ? ",access=" : "", access ? access : "");
	qargv = calloc((size_t)qargc + 8, sizeof(*qargv));
	if (!qargv) {
		fm_warn("record: out of memory");
		goto out;
	}
	{
		int k = 0;
		for (int i = 0; i < qargc; i++)
			qargv[k++] = cmd[i];
		qargv[k++] = "-object";
		qargv[k++] = obj;
		qargv[k++] = "-machine";
		qargv[k++] = "memory-backend=fixmap-ram";
		qargv[k++] = "-plugin";
		qargv[k++] = plg;
		qargv[k] = NULL;
	}

	fflush(NULL);
	if (rec_signal) {
		free(qargv);
		goto interrupted;
	}
	pid = fork();
	if (pid < 0) {
		fm_warn("record: fork: %s", strerror(errno));
		free(qargv);
		goto restore;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		if (quiet) {
			int nul = open("/dev/null", O_WRONLY);
			if (nul >= 0)
				dup2(nul, 1);
		}
		execvp(qargv[0], qargv);
		fprintf(stderr, "fixmapctl: record: %s: %s\n", qargv[0], strerror(errno));
		_exit(127);
	}
	free(qargv);
	close(fds[1]);
	fds[1] = -1;
	tee.fd = fds[0];
	tee.qemu = pid;
	/* Nothing at all from the plugin and no signal: QEMU failed to start. */
	tee.first_len = (size_t)tee_raw(&tee, tee.first, sizeof(tee.first));
	if (tee.first_len) {
		tee.bytes = tee.first_len;
		tee_scan(&tee, tee.first, tee.first_len);
	} else if (!tee.forwarded && !rec_signal) {
		tee.eof = true;
		goto restore;
	}
	in = fopencookie(&tee, "r", (cookie_io_functions_t){.read = tee_read, .close = tee_close});
	if (!in) {
		fm_warn("record: out of memory");
		goto restore;
	}
	co.before_summary = print_recorder;
	co.arg = &tee;
	print_init(stdout, json);
	rc = check_stream(in, save ? save : "<record>", &co);
	/* A bad stream (rc 2) stops reading: end QEMU rather than wait for it. */
	if (!tee.eof && pid > 0)
		kill(pid, SIGTERM);
	if (print_finish()) {
		fm_warn("record: writing the output failed");
		rc = EXIT_BAD;
	}

	goto restore;
interrupted:
	/* Interrupted before QEMU started: nothing recorded, the summary of nothing. */
	fm_warn("record: interrupted before QEMU started");
	in = fmemopen((void *)empty_trace, strlen(empty_trace), "r");
	print_init(stdout, json);
	rc = in ? check_stream(in, "<record>", &co) : EXIT_BAD;
	print_finish();
restore:
	if (in)
		fclose(in);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			if (rec_signal)
				kill(pid, SIGKILL);
		unsigned long long events = 0;
		if (tee.saw_end)
			sscanf(tee.stats, "fixmap-plugin: %llu events", &events);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !events) {
			/* QEMU failed (bad arguments, no kernel): nothing was recorded. */
			fm_warn("record: QEMU exited with status %d before the guest ran (QEMU's "
				"message is above)",
				WEXITSTATUS(status));
			rc = EXIT_BAD;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			fm_warn("record: QEMU exited with status %d", WEXITSTATUS(status));
		} else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
			   WTERMSIG(status) != SIGINT && WTERMSIG(status) != SIGKILL) {
			fm_warn("record: QEMU was killed by signal %d", WTERMSIG(status));
		}
	}
out:
	if (signals_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (shm[0])
		unlink(shm);
	if (tee.save && fclose(tee.save) && !tee.save_failed) {
		fm_warn("record: --save %s: %s", save, strerror(errno));
		rc = EXIT_BAD;
	}
	if (tee.save_failed)
		rc = EXIT_BAD;
	if (co.perfetto && fclose(co.perfetto)) {
		fm_warn("record: --perfetto %s: %s", perfetto, strerror(errno));
		rc = EXIT_BAD;
	}
	elfsym_close(co.elf);
	return rc;
}
