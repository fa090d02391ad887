/* SPDX-License-Identifier: MIT */
/*
 * The gdb target: a system behind a GDB remote-protocol stub (QEMU's gdbstub,
 * OpenOCD ...), spoken to through rsp.c.
 *
 * - Physical reads use QEMU's `Qqemu.PhyMemMode:1`, sent in the same pipeline as
 *   the `m` requests and switched back to 0 at its end (also when a read fails),
 *   so the stub is never left in physical mode between calls. A stub without the
 *   extension offers virtual reads only, and describe() says so.
 * - CPU n is the n-th thread of qfThreadInfo (QEMU: one per vCPU, `p1.N`);
 *   system registers are found by name in the target description (their numbers
 *   differ per CPU model) and read with `Hg` + `p N`, pipelined.
 * - Connecting stops the VM. Reads while it runs stop it first (it stays
 *   stopped until resume()). close() resumes it (`D`, else `c`) unless
 *   TARGET_GDB_STAY_STOPPED.
 *
 * Environment: FIXMAP_GDB_TIMEOUT (seconds per reply, default 5),
 * FIXMAP_GDB_PIPELINE (requests in flight, default 64; 1 = none).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp.h"
#include "target.h"

#define GDB_MAX_THREADS 1024

struct gdb_target {
	struct target t;
	struct rsp *r;
	unsigned flags;
	char where[160]; /* "gdb HOST:PORT", prefix of every message */
	char desc[224];
	bool qemu_phys; /* Qqemu.PhyMemMode works */
	bool running;
	unsigned nthreads;
	char (*tids)[24];
	char pid[24]; /* for `D;pid` (multiprocess) */
	bool multiprocess;
	struct rsp_tdesc td;
	bool td_loaded;
};

static struct gdb_target *gt(struct target *t)
{
	return (struct gdb_target *)t;
}

static int gdb_fail(struct gdb_target *g, struct fm_err *err)
{
	return fm_err_prefix(err, "%s", g->where);
}

static void account(struct gdb_target *g, uint64_t packets_before, uint64_t bytes)
{
	g->t.bytes_read += bytes;
	g->t.round_trips++;
	g->t.packets += rsp_stats(g->r)->packets_sent - packets_before;
}

static int ensure_stopped(struct gdb_target *g, struct fm_err *err)
{
	char stop[128];

	if (!g->running)
		return 0;
	if (rsp_interrupt(g->r, stop, sizeof(stop), err))
		return gdb_fail(g, err);
	g->running = false;
	return 0;
}

/* After a failed exchange the pipelined `Qqemu.PhyMemMode:0` may not have been
 * sent: say it again so a debugger attached later reads virtual addresses. */
static void restore_virtual(struct gdb_target *g)
{
	struct fm_err ignored;

	if (rsp_broken(g->r))
		rsp_post(g->r, "Qqemu.PhyMemMode:0", &ignored);
	else
		rsp_phymem_mode(g->r, 0, &ignored);
}

static int gdb_read_phys(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	struct gdb_target *g = gt(t);
	struct rsp_mem one, *v = &one;
	uint64_t p0 = rsp_stats(g->r)->packets_sent, bytes = 0;
	int rc;

	if (!g->qemu_phys)
		return fm_err_set(err,
				  "%s: physical reads need QEMU's Qqemu.PhyMemMode extension, "
				  "which this stub lacks (virtual reads only)",
				  g->where);
	if (ensure_stopped(g, err))
		return -1;
	if (n > 1) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return fm_err_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = (struct rsp_mem){.addr = iov[i].pa, .buf = iov[i].buf, .len = iov[i].len};
		bytes += iov[i].len;
	}
	rc = rsp_read_mem_v(g->r, v, n, "Qqemu.PhyMemMode:1", "Qqemu.PhyMemMode:0", err);
	if (v != &one)
		free(v);
	account(g, p0, rc ? 0 : bytes);
	if (rc) {
		restore_virtual(g);
		return gdb_fail(g, err);
	}
	return 0;
}

static int gdb_write_phys(struct target *t, uint64_t pa, const void *buf, size_t len,
			  struct fm_err *err)
{
	struct gdb_target *g = gt(t);

	if (!g->qemu_phys)
		return fm_err_set(err,
				  "%s: physical writes need QEMU's Qqemu.PhyMemMode extension, "
				  "which this stub lacks (virtual reads only)",
				  g->where);
	if (ensure_stopped(g, err))
		return -1;
	if (rsp_write_mem(g->r, pa, buf, len, "Qqemu.PhyMemMode:1", "Qqemu.PhyMemMode:0", err)) {
		restore_virtual(g);
		return gdb_fail(g, err);
	}
	return 0;
}

static int check_cpu(struct gdb_target *g, unsigned cpu, struct fm_err *err)
{
	if (cpu >= g->nthreads)
		return fm_err_set(err, "%s: no CPU %u (the stub has %u)", g->where, cpu,
				  g->nthreads);
	return 0;
}

/* `Hg` for CPU cpu, or NULL when the stub has no thread list (one CPU). */
static const char *tid_of(struct gdb_target *g, unsigned cpu)
{
	return g->tids ? g->tids[cpu] : NULL;
}

static int gdb_read_virt(struct target *t, unsigned cpu, uint64_t va, void *buf, size_t len,
			 struct fm_err *err)
{
	struct gdb_target *g = gt(t);
	struct rsp_mem m = {.addr = va, .buf = buf, .len = len};
	uint64_t p0 = rsp_stats(g->r)->packets_sent;
	char hg[40];
	int rc;

	if (check_cpu(g, cpu, err) || ensure_stopped(g, err))
		return -1;
	if (tid_of(g, cpu))
		snprintf(hg, sizeof(hg), "Hg%s", tid_of(g, cpu));
	rc = rsp_read_mem_v(g->r, &m, 1, tid_of(g, cpu) ? hg : NULL, NULL, err);
	account(g, p0, rc ? 0 : len);
	if (rc)
		return fm_err_prefix(err, "%s: virtual read at %#" PRIx64 " on CPU %u", g->where,
				     va, cpu);
	return 0;
}

static int load_tdesc(struct gdb_target *g, struct fm_err *err)
{
	if (g->td_loaded)
		return 0;
	if (rsp_read_tdesc(g->r, &g->td, err)) {
		rsp_tdesc_free(&g->td);
		return fm_err_prefix(err, "%s: reading the target description", g->where);
	}
	g->td_loaded = true;
	return 0;
}

static int gdb_sysreg(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		      struct fm_err *err)
{
	struct gdb_target *g = gt(t);
	const struct rsp_reg *reg;
	unsigned bits;

	if (check_cpu(g, cpu, err) || ensure_stopped(g, err) || load_tdesc(g, err))
		return -1;
	reg = rsp_tdesc_find(&g->td, name);
	if (!reg)
		return fm_err_set(err, "%s: no register %s in the target description (%zu "
				       "registers)",
				  g->where, name, g->td.n);
	if (reg->bitsize > 64)
		return fm_err_set(err, "%s: register %s is %u bits wide, not a system register",
				  g->where, name, reg->bitsize);
	if (rsp_read_reg(g->r, tid_of(g, cpu), reg->regnum, val, &bits, err))
		return fm_err_prefix(err, "%s: %s (register %u) of CPU %u", g->where, name,
				     reg->regnum, cpu);
	g->t.round_trips++;
	return 0;
}

static unsigned gdb_ncpus(struct target *t)
{
	return gt(t)->nthreads;
}

static int gdb_stop(struct target *t, struct fm_err *err)
{
	return ensure_stopped(gt(t), err);
}

static int gdb_resume(struct target *t, struct fm_err *err)
{
	struct gdb_target *g = gt(t);

	if (g->running)
		return 0;
	if (rsp_continue(g->r, err))
		return gdb_fail(g, err);
	g->running = true;
	return 0;
}

static const char *gdb_describe(struct target *t)
{
	return gt(t)->desc;
}

static void gdb_free(struct gdb_target *g)
{
	rsp_close(g->r);
	rsp_tdesc_free(&g->td);
	free(g->tids);
	free(g);
}

static void gdb_close(struct target *t)
{
	struct gdb_target *g = gt(t);
	struct fm_err err;

	if (rsp_broken(g->r)) {
		/* Out of step: replies cannot be trusted, but a stub that still
		 * listens resumes on `D` (QEMU handles packets in order). */
		if (!(g->flags & TARGET_GDB_STAY_STOPPED) && !g->running) {
			char d[40];

			snprintf(d, sizeof(d), g->multiprocess ? "D;%s" : "D",
				 g->pid[0] ? g->pid : "1");
			rsp_post(g->r, d, &err);
		}
	} else {
		if (g->flags & TARGET_GDB_STAY_STOPPED) {
			if (g->running && ensure_stopped(g, &err))
				fm_warn("%s", err.msg);
		} else if (!g->running) {
			/* `D` resumes the VM and ends the session; `c` if D is refused. */
			if (rsp_detach(g->r, g->multiprocess ? g->pid : NULL, &err) &&
			    rsp_status(g->r) != RSP_EEOF && rsp_status(g->r) != RSP_ERESET &&
			    rsp_continue(g->r, &err))
				fm_warn("%s: could not resume the target: %s", g->where, err.msg);
		}
	}
	gdb_free(g);
}

static const struct target_ops gdb_ops = {
	.kind = "gdb",
	.read_phys = gdb_read_phys,
	.write_phys = gdb_write_phys,
	.read_virt = gdb_read_virt,
	.sysreg = gdb_sysreg,
	.ncpus = gdb_ncpus,
	.stop = gdb_stop,
	.resume = gdb_resume,
	.describe = gdb_describe,
	.close = gdb_close,
};

/* "HOST:PORT" or "[V6ADDR]:PORT" */
static int split_hostport(const char *s, char *host, size_t hn, char *port, size_t pn,
			  struct fm_err *err)
{
	const char *colon, *h = s;
	size_t hl;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return fm_err_set(err, "--gdb %s: expected HOST:PORT", s);
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return fm_err_set(err, "--gdb %s: expected HOST:PORT", s);
		hl = (size_t)(colon - s);
	}
	if (hl == 0)
		h = "127.0.0.1", hl = 9;
	if (hl >= hn || strlen(colon + 1) >= pn || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535 ||
	    atol(colon + 1) == 0)
		return fm_err_set(err, "--gdb %s: expected HOST:PORT with a port 1-65535", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pn, "%s", colon + 1);
	return 0;
}

static int env_number(const char *name, double lo, double hi, double def, double *out,
		      struct fm_err *err)
{
	const char *s = getenv(name);
	char *e;
	double v;

	*out = def;
	if (!s || !*s)
		return 0;
	v = strtod(s, &e);
	if (*e || v < lo || v > hi)
		return fm_err_set(err, "%s=%s: expected a number from %g to %g", name, s, lo, hi);
	*out = v;
	return 0;
}

struct target *target_gdb_open(const char *hostport, unsigned flags, struct fm_err *err)
{
	char host[128], port[16], stop[128];
	struct rsp_features f;
	struct gdb_target *g;
	double tmo, depth;
	struct fm_err e2;

	if (split_hostport(hostport, host, sizeof(host), port, sizeof(port), err) ||
	    env_number("FIXMAP_GDB_TIMEOUT", 0.01, 3600, RSP_DEFAULT_TIMEOUT_MS / 1000.0, &tmo,
		       err) ||
	    env_number("FIXMAP_GDB_PIPELINE", 1, 1024, RSP_DEFAULT_DEPTH, &depth, err))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return fm_err_set(err, "out of memory"), NULL;
	g->t.ops = &gdb_ops;
	g->flags = flags;
	snprintf(g->where, sizeof(g->where), "gdb %s:%s", host, port);
	g->r = rsp_connect(host, port, (int)(tmo * 1000), err);
	if (!g->r) {
		free(g);
		return fm_err_prefix(err, "gdb"), NULL;
	}
	rsp_set_depth(g->r, (unsigned)depth);
	if (rsp_qsupported(g->r, &f, err) || rsp_halt_reason(g->r, stop, sizeof(stop), err))
		goto fail;
	g->multiprocess = f.multiprocess;

	/* One thread per CPU; a stub without a thread list has one. */
	g->tids = calloc(GDB_MAX_THREADS, sizeof(*g->tids));
	if (!g->tids) {
		fm_err_set(err, "out of memory");
		goto fail;
	}
	if (rsp_thread_list(g->r, g->tids, GDB_MAX_THREADS, &g->nthreads, err)) {
		if (rsp_status(g->r) != RSP_EUNSUPPORTED)
			goto fail;
		g->nthreads = 0;
	}
	if (g->nthreads == 0) {
		free(g->tids);
		g->tids = NULL;
		g->nthreads = 1;
	} else if (g->tids[0][0] == 'p') {
		/* "p1.2": the process id for `D;pid` */
		size_t pl = strcspn(g->tids[0] + 1, ".");

		snprintf(g->pid, sizeof(g->pid), "%.*s", (int)pl, g->tids[0] + 1);
	}

	/* QEMU's physical-memory switch: OK means the stub has it (0 is its default). */
	if (rsp_phymem_mode(g->r, 0, &e2) == 0) {
		g->qemu_phys = true;
		/* QEMU's system-mode stub sends without waiting for acks */
		if (!getenv("FIXMAP_GDB_STRICT_ACKS"))
			rsp_set_lazy_acks(g->r, true);
	}
	else if (rsp_status(g->r) != RSP_EUNSUPPORTED && rsp_status(g->r) != RSP_ESTUB) {
		*err = e2;
		goto fail;
	}
	snprintf(g->desc, sizeof(g->desc), "%s (%s)", g->where,
		 g->qemu_phys ? "QEMU, physical reads" : "virtual reads only");
	return &g->t;
fail:
	fm_err_prefix(err, "%s", g->where);
	/* Do not leave a VM we stopped by connecting stopped because we failed. */
	if (!rsp_broken(g->r) && !(flags & TARGET_GDB_STAY_STOPPED))
		rsp_detach(g->r, g->pid[0] ? g->pid : g->multiprocess ? "1" : NULL, &e2);
	gdb_free(g);
	return NULL;
}
