/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the gdb target (target_gdb.c): opens HOST:PORT and runs the
 * operations named on the command line in order, one output line each.
 *
 *   gdbprobe [--stay-stopped] HOST:PORT OP...
 *     describe | ncpus | stop | resume | stats | sleep MS
 *     moves PA SECS        resumes the VM until the u64 at PA changes (each read
 *                          stops it again), at most SECS; prints the new value
 *     read PA LEN FILE     physical read (one batch) into FILE ("-": discard)
 *     readv PA LEN N FILE  the same, as N pieces of one batch
 *     virt CPU VA LEN FILE virtual read through CPU's translation
 *     u64 PA               one physical u64, printed in hex
 *     write PA HEX         physical write of the bytes in HEX
 *     sysreg CPU NAME      a register by name, printed in hex
 *
 *   gdbprobe --raw HOST:PORT PKT...
 *     sends each packet as it is and prints its reply (no target set-up, no
 *     resume at the end)
 *
 * Exits 0, or 2 after printing the error (the target is still closed, so the VM
 * is resumed as fixmapctl would).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "rsp.h"
#include "target.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int num(const char *s, uint64_t *v, struct fm_err *err)
{
	char *e;

	errno = 0;
	*v = strtoull(s, &e, 0);
	if (!*s || *e || errno)
		return fm_err_set(err, "bad number '%s'", s);
	return 0;
}

static int save(const char *file, const void *buf, size_t len, struct fm_err *err)
{
	FILE *f;

	if (!strcmp(file, "-"))
		return 0;
	f = fopen(file, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		return fm_err_set(err, "%s: %s", file, strerror(errno));
	return 0;
}

static int need(int i, int n, int argc, const char *op, struct fm_err *err)
{
	if (i + n >= argc)
		return fm_err_set(err, "%s needs %d arguments", op, n);
	return 0;
}

static int run(struct target *t, int i, int argc, char **argv, struct fm_err *err)
{
	for (; i < argc; i++) {
		const char *op = argv[i];
		uint64_t a, b, c;

		if (!strcmp(op, "describe")) {
			printf("%s\n", target_describe(t));
		} else if (!strcmp(op, "ncpus")) {
			printf("%u\n", target_ncpus(t));
		} else if (!strcmp(op, "stop")) {
			if (target_stop(t, err))
				return -1;
			printf("stopped\n");
		} else if (!strcmp(op, "resume")) {
			if (target_resume(t, err))
				return -1;
			printf("resumed\n");
		} else if (!strcmp(op, "stats")) {
			printf("bytes=%" PRIu64 " packets=%" PRIu64 " round_trips=%" PRIu64 "\n",
			       t->bytes_read, t->packets, t->round_trips);
		} else if (!strcmp(op, "sleep")) {
			if (need(i, 1, argc, op, err) || num(argv[i + 1], &a, err))
				return -1;
			usleep((useconds_t)(a * 1000));
			i += 1;
		} else if (!strcmp(op, "moves")) {
			double end;

			if (need(i, 2, argc, op, err) || num(argv[i + 1], &a, err) ||
			    num(argv[i + 2], &b, err) || target_read_u64(t, a, &c, err))
				return -1;
			end = now() + (double)b;
			for (;;) {
				uint64_t v;

				if (target_resume(t, err))
					return -1;
				usleep(20000);
				if (target_read_u64(t, a, &v, err)) /* stops the VM first */
					return -1;
				if (v != c) {
					printf("%#" PRIx64 "\n", v);
					break;
				}
				if (now() > end)
					return fm_err_set(err,
							  "the u64 at %#" PRIx64 " stayed %#" PRIx64
							  " for %" PRIu64 " s of running",
							  a, c, b);
			}
			i += 2;
		} else if (!strcmp(op, "read") || !strcmp(op, "readv")) {
			bool vec = op[4] == 'v';
			struct target_iov *iov;
			uint8_t *buf;
			double t0;
			int rc;

			if (need(i, vec ? 4 : 3, argc, op, err) || num(argv[i + 1], &a, err) ||
			    num(argv[i + 2], &b, err))
				return -1;
			c = 1;
			if (vec && (num(argv[i + 3], &c, err) || c == 0 || c > b))
				return fm_err_set(err, "readv: bad piece count");
			buf = malloc(b ? b : 1);
			iov = calloc(c, sizeof(*iov));
			if (!buf || !iov)
				return fm_err_set(err, "out of memory");
			for (uint64_t k = 0, off = 0; k < c; k++) {
				uint64_t len = b / c + (k < b % c);

				iov[k] = (struct target_iov){a + off, buf + off, len};
				off += len;
			}
			uint64_t p0 = t->packets;
			t0 = now();
			rc = target_read_phys_v(t, iov, c, err);
			if (!rc) {
				printf("read %#" PRIx64 " %" PRIu64 " bytes in %.4f s, %" PRIu64
				       " packets\n",
				       a, b, now() - t0, t->packets - p0);
				rc = save(argv[i + (vec ? 4 : 3)], buf, b, err);
			}
			free(buf);
			free(iov);
			if (rc)
				return -1;
			i += vec ? 4 : 3;
		} else if (!strcmp(op, "virt")) {
			uint8_t *buf;
			int rc;

			if (need(i, 4, argc, op, err) || num(argv[i + 1], &a, err) ||
			    num(argv[i + 2], &b, err) || num(argv[i + 3], &c, err))
				return -1;
			buf = malloc(c ? c : 1);
			if (!buf)
				return fm_err_set(err, "out of memory");
			rc = t->ops->read_virt(t, (unsigned)a, b, buf, c, err);
			if (!rc) {
				printf("virt %" PRIu64 " %#" PRIx64 " %" PRIu64 " bytes\n", a, b, c);
				rc = save(argv[i + 4], buf, c, err);
			}
			free(buf);
			if (rc)
				return -1;
			i += 4;
		} else if (!strcmp(op, "u64")) {
			if (need(i, 1, argc, op, err) || num(argv[i + 1], &a, err) ||
			    target_read_u64(t, a, &b, err))
				return -1;
			printf("0x%" PRIx64 "\n", b);
			i += 1;
		} else if (!strcmp(op, "write")) {
			uint8_t buf[256];
			size_t n = 0;
			const char *h;

			if (need(i, 2, argc, op, err) || num(argv[i + 1], &a, err))
				return -1;
			for (h = argv[i + 2]; h[0] && h[1] && n < sizeof(buf); h += 2) {
				unsigned v;

				if (sscanf(h, "%2x", &v) != 1)
					return fm_err_set(err, "bad hex '%s'", argv[i + 2]);
				buf[n++] = (uint8_t)v;
			}
			if (target_write_phys(t, a, buf, n, err))
				return -1;
			printf("wrote %zu bytes\n", n);
			i += 2;
		} else if (!strcmp(op, "sysreg")) {
			if (need(i, 2, argc, op, err) || num(argv[i + 1], &a, err) ||
			    target_sysreg(t, (unsigned)a, argv[i + 2], &b, err))
				return -1;
			printf("%s=0x%" PRIx64 "\n", argv[i + 2], b);
			i += 2;
		} else {
			return fm_err_set(err, "unknown operation '%s'", op);
		}
		fflush(stdout);
	}
	return 0;
}

static int raw(int argc, char **argv, struct fm_err *err)
{
	char host[128];
	const char *colon = strrchr(argv[0], ':');
	struct rsp *r;
	int rc = 0;

	if (!colon || (size_t)(colon - argv[0]) >= sizeof(host))
		return fm_err_set(err, "expected HOST:PORT");
	snprintf(host, sizeof(host), "%.*s", (int)(colon - argv[0]), argv[0]);
	r = rsp_connect(host, colon + 1, RSP_DEFAULT_TIMEOUT_MS, err);
	if (!r)
		return -1;
	for (int i = 1; i < argc && !rc; i++) {
		const char *rep;
		size_t len;

		rc = rsp_request(r, argv[i], &rep, &len, err);
		if (!rc)
			printf("%.*s\n", (int)len, rep);
	}
	rsp_close(r);
	return rc;
}

int main(int argc, char **argv)
{
	struct fm_err err = {{0}};
	unsigned flags = 0;
	struct target *t;
	int i = 1, rc;

	if (argc > 2 && !strcmp(argv[1], "--raw")) {
		rc = raw(argc - 2, argv + 2, &err);
		if (rc)
			fm_warn("%s", err.msg);
		return rc ? 2 : 0;
	}
	if (i < argc && !strcmp(argv[i], "--stay-stopped")) {
		flags |= TARGET_GDB_STAY_STOPPED;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: gdbprobe [--stay-stopped] HOST:PORT OP...\n");
		return 2;
	}
	t = target_gdb_open(argv[i], flags, &err);
	if (!t) {
		fm_warn("%s", err.msg);
		return 2;
	}
	rc = run(t, i + 1, argc, argv, &err);
	if (rc)
		fm_warn("%s", err.msg);
	target_close(t);
	return rc ? 2 : 0;
}
