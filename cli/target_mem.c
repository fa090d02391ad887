/* SPDX-License-Identifier: MIT */
/*
 * Memory-file target: a file whose byte at offset X is guest physical address
 * PHYSBASE + X. A regular file (QEMU's memory-backend-file with share=on) is
 * mapped whole, so reads cost no system call and never stop the guest; a
 * character device (/dev/mem) is read with pread at the physical offset.
 *
 * The guest keeps running while we read: aligned 8-byte words are copied with
 * single 64-bit loads, so a descriptor is never seen half old and half new.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"

#define TARGET_MEM_DEFAULT_PHYSBASE 0x40000000ull

struct target_mem {
	struct target t;
	int fd;
	bool mapped;  /* regular file: map is valid */
	uint8_t *map; /* size bytes */
	uint64_t size; /* 0 = unknown (device): reads are bounded by pread */
	uint64_t base;
	char desc[512];
};

static struct target_mem *to_mem(struct target *t)
{
	return (struct target_mem *)t;
}

/* Offset of [pa, pa+len) in the file, or -1 with the reason. */
static int mem_offset(struct target_mem *m, uint64_t pa, size_t len, uint64_t *off,
		      struct fm_err *err)
{
	if (pa < m->base)
		return fm_err_set(err, "physical address %#" PRIx64 " is below the file's base %#" PRIx64,
				  pa, m->base);
	*off = pa - m->base;
	if (m->size && (*off > m->size || len > m->size - *off))
		return fm_err_set(err,
				  "physical range %#" PRIx64 "+%#zx is outside the file (%#" PRIx64
				  "-%#" PRIx64 ")",
				  pa, len, m->base, m->base + m->size - 1);
	if (!m->size && *off + len < *off)
		return fm_err_set(err, "physical range %#" PRIx64 "+%#zx wraps", pa, len);
	return 0;
}

/* Copies guest memory that may change under us: whole aligned words at once. */
static void copy_in(void *dst, const uint8_t *src, size_t len)
{
	if ((((uintptr_t)src | (uintptr_t)dst | len) & 7) == 0) {
		const volatile uint64_t *s = (const volatile uint64_t *)(const void *)src;
		uint64_t *d = dst;

		for (size_t i = 0; i < len / 8; i++)
			d[i] = s[i];
		return;
	}
	memcpy(dst, src, len);
}

static void copy_out(uint8_t *dst, const void *src, size_t len)
{
	if ((((uintptr_t)src | (uintptr_t)dst | len) & 7) == 0) {
		volatile uint64_t *d = (volatile uint64_t *)(void *)dst;
		const uint64_t *s = src;

		for (size_t i = 0; i < len / 8; i++)
			d[i] = s[i];
	} else if ((((uintptr_t)src | (uintptr_t)dst | len) & 3) == 0) {
		volatile uint32_t *d = (volatile uint32_t *)(void *)dst;
		const uint32_t *s = src;

		for (size_t i = 0; i < len / 4; i++)
			d[i] = s[i];
	} else {
		memcpy(dst, src, len);
	}
}

static int mem_read_phys(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	struct target_mem *m = to_mem(t);

	t->round_trips++;
	for (size_t i = 0; i < n; i++) {
		uint64_t off;

		if (mem_offset(m, iov[i].pa, iov[i].len, &off, err))
			return -1;
		if (m->mapped) {
			copy_in(iov[i].buf, m->map + off, iov[i].len);
		} else {
			ssize_t r = pread(m->fd, iov[i].buf, iov[i].len, (off_t)off);

			if (r < 0)
				return fm_err_set(err, "reading %#zx bytes at %#" PRIx64 ": %s",
						  iov[i].len, iov[i].pa, strerror(errno));
			if ((size_t)r != iov[i].len)
				return fm_err_set(err,
						  "physical range %#" PRIx64 "+%#zx is past the end of "
						  "the file",
						  iov[i].pa, iov[i].len);
		}
		t->bytes_read += iov[i].len;
	}
	return 0;
}

static int mem_write_phys(struct target *t, uint64_t pa, const void *buf, size_t len,
			  struct fm_err *err)
{
	struct target_mem *m = to_mem(t);
	uint64_t off;

	if (mem_offset(m, pa, len, &off, err))
		return -1;
	if (m->mapped) {
		/* The agent reads these with acquire semantics: order our stores first. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		copy_out(m->map + off, buf, len);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return 0;
	}
	ssize_t r = pwrite(m->fd, buf, len, (off_t)off);
	if (r < 0 || (size_t)r != len)
		return fm_err_set(err, "writing %#zx bytes at %#" PRIx64 ": %s", len, pa,
				  r < 0 ? strerror(errno) : "short write");
	return 0;
}

static const char *mem_describe(struct target *t)
{
	return to_mem(t)->desc;
}

static void mem_close(struct target *t)
{
	struct target_mem *m = to_mem(t);

	if (m->mapped)
		munmap(m->map, m->size);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

static const struct target_ops mem_ops = {
	.kind = "mem",
	.read_phys = mem_read_phys,
	.write_phys = mem_write_phys,
	.describe = mem_describe,
	.close = mem_close,
};

/* "0x40000000", "1073741824", "0x4000_0000" is not accepted: one number, fully used. */
static int parse_base(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

struct target *target_mem_open(const char *spec, struct fm_err *err)
{
	struct target_mem *m;
	const char *at = strrchr(spec, '@');
	uint64_t base = TARGET_MEM_DEFAULT_PHYSBASE;
	char *path;
	struct stat st;

	if (at) {
		if (parse_base(at + 1, &base)) {
			fm_err_set(err, "--mem %s: '%s' is not a physical base address", spec, at + 1);
			return NULL;
		}
		path = strndup(spec, (size_t)(at - spec));
	} else {
		path = strdup(spec);
	}
	if (!path) {
		fm_err_set(err, "out of memory");
		return NULL;
	}
	if (!*path) {
		fm_err_set(err, "--mem %s: no file name", spec);
		free(path);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		free(path);
		fm_err_set(err, "out of memory");
		return NULL;
	}
	m->t.ops = &mem_ops;
	m->base = base;
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	if (m->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		fm_err_set(err, "--mem %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(m->fd, &st)) {
		fm_err_set(err, "--mem %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		int prot = PROT_READ;

		if (st.st_size <= 0) {
			fm_err_set(err, "--mem %s: the file is empty", path);
			goto fail;
		}
		if ((fcntl(m->fd, F_GETFL) & O_ACCMODE) == O_RDWR)
			prot |= PROT_WRITE;
		m->size = (uint64_t)st.st_size;
		if (base + m->size < base) {
			fm_err_set(err, "--mem %s: base %#" PRIx64 " plus the file size wraps", spec,
				   base);
			goto fail;
		}
		m->map = mmap(NULL, m->size, prot, MAP_SHARED, m->fd, 0);
		if (m->map == MAP_FAILED) {
			fm_err_set(err, "--mem %s: mmap: %s", path, strerror(errno));
			goto fail;
		}
		m->mapped = true;
		snprintf(m->desc, sizeof(m->desc),
			 "mem %s, physical %#" PRIx64 "-%#" PRIx64 ", read while running", path,
			 base, base + m->size - 1);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		snprintf(m->desc, sizeof(m->desc),
			 "mem %s, physical from %#" PRIx64 ", read while running", path, base);
	} else {
		fm_err_set(err, "--mem %s: not a regular file or device", path);
		goto fail;
	}
	free(path);
	return &m->t;
fail:
	free(path);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	return NULL;
}
