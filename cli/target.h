/* SPDX-License-Identifier: MIT */
/*
 * The one read interface every command uses. A target is a running (or saved)
 * system: QEMU's gdbstub (target_gdb.c), a file of guest physical memory
 * (target_mem.c). Commands never know which one they talk to.
 */
#ifndef FIXMAP_TARGET_H
#define FIXMAP_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct target;

/* One piece of a batched physical read. */
struct target_iov {
	uint64_t pa;
	void *buf;
	size_t len;
};

struct target_ops {
	const char *kind; /* "gdb", "mem" */
	/* Physical reads; a target reads a whole batch in as few round trips as it can. */
	int (*read_phys)(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err);
	int (*write_phys)(struct target *t, uint64_t pa, const void *buf, size_t len,
			  struct fm_err *err);
	/* Virtual read through CPU cpu's current translation; NULL if unsupported. */
	int (*read_virt)(struct target *t, unsigned cpu, uint64_t va, void *buf, size_t len,
			 struct fm_err *err);
	/* System register by architectural name ("TTBR0_EL2"); -1 with a reason if unknown. */
	int (*sysreg)(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		      struct fm_err *err);
	/* Number of CPUs the target knows (gdb threads); 0 if unknown. */
	unsigned (*ncpus)(struct target *t);
	/* Stop / resume the whole system; no-ops for targets that need no stop. */
	int (*stop)(struct target *t, struct fm_err *err);
	int (*resume)(struct target *t, struct fm_err *err);
	/* One line describing the target and its mode (e.g. "gdb 127.0.0.1:1234, physical reads"). */
	const char *(*describe)(struct target *t);
	void (*close)(struct target *t);
};

struct target {
	const struct target_ops *ops;
	/* statistics for bench and -v */
	uint64_t bytes_read;
	uint64_t round_trips;
	uint64_t packets; /* requests sent (gdb); 0 for targets without packets */
};

/* Open from a command-line spec: gdb "HOST:PORT", mem "FILE[@PHYSBASE]". */
struct target *target_gdb_open(const char *hostport, unsigned flags, struct fm_err *err);
#define TARGET_GDB_STAY_STOPPED 0x1 /* leave the VM stopped on close */
struct target *target_mem_open(const char *spec, struct fm_err *err);

/* Convenience wrappers (target.c). */
int target_read_phys(struct target *t, uint64_t pa, void *buf, size_t len, struct fm_err *err);
int target_read_phys_v(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err);
int target_read_u64(struct target *t, uint64_t pa, uint64_t *val, struct fm_err *err);
int target_write_phys(struct target *t, uint64_t pa, const void *buf, size_t len,
		      struct fm_err *err);
int target_sysreg(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		  struct fm_err *err);
unsigned target_ncpus(struct target *t);
int target_stop(struct target *t, struct fm_err *err);
int target_resume(struct target *t, struct fm_err *err);
const char *target_describe(struct target *t);
void target_close(struct target *t);

#endif
