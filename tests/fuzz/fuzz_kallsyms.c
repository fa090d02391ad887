/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the kallsyms reader (kallsyms.c) and the Linux kernel images
 * elfsym.c opens with it.
 *
 * Input: [0] mode, then the bytes of an image:
 *   bit 0  open it as a file with elfsym_open (an Image, a stripped ELF ...),
 *          then name addresses, move it by a KASLR offset, read it;
 *   bit 1  read the tables with the link address known (BASE, as an ELF
 *          gives it) instead of from the Image header.
 *
 * Promises checked: failure only with a reason; on success the symbols are in
 * address order inside the image (from its base, at most the larger of the
 * file and the header's image size), every name is a type letter and
 * printable characters; _text is the base. Reads past the input are caught
 * by ASan (kallsyms_read gets a heap copy of its exact size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"
#include "kallsyms.h"

#define BASE 0xffff800008000000ull

static int fd_img = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd_img = memfd_create("fuzz-kallsyms", MFD_CLOEXEC);
	if (fd_img < 0)
		abort();
	return 0;
}

static void check_table(const struct kallsyms *k, const uint8_t *d, size_t len)
{
	struct kallsyms_hdr h;
	uint64_t prev = 0, span = len;

	if (!kallsyms_image_header("fuzz", d, len, &h, NULL) && h.image_size > span)
		span = h.image_size;
	if (!k->n || !k->syms || !k->names)
		abort();
	for (size_t i = 0; i < k->n; i++) {
		const char *n = kallsyms_name(k, i);

		if (k->syms[i].addr < prev || k->syms[i].addr < k->base ||
		    k->syms[i].addr - k->base > span || !*n)
			abort();
		prev = k->syms[i].addr;
		for (const char *p = n; *p; p++)
			if (*p <= 0x20 || *p >= 0x7f)
				abort();
		if (!strcmp(n, "_text") && k->syms[i].addr != k->base)
			abort();
	}
}

static void exercise(struct elfsym *e)
{
	char buf[160];
	uint8_t b[16];
	uint64_t a, s;
	size_t n = elfsym_count(e);

	for (size_t i = 0; i < n && i < 2048; i++) {
		const struct elfsym_sym *x = elfsym_get(e, i);

		elfsym_format(e, x->addr + x->size / 2, buf, sizeof(buf));
		if (strlen(buf) >= sizeof(buf) || elfsym_lookup(e, x->name, &a, NULL))
			abort();
		(void)elfsym_read(e, x->addr, b, sizeof(b));
	}
	if (n && !elfsym_set_slide(e, 0x12340000, NULL)) {
		const struct elfsym_sym *x = elfsym_get(e, 0);

		if (elfsym_slide_for(e, x->name, x->addr, 0x10000, &s) || s != 0x12340000)
			abort();
		elfsym_format(e, x->addr, buf, sizeof(buf));
		(void)elfsym_set_slide(e, 0, NULL);
	}
	(void)elfsym_source(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_err err = {{0}};
	struct kallsyms k;
	uint8_t *copy;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++, size--;
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (kallsyms_read("fuzz", copy, size, mode & 2, BASE, 0, &k, &err) == 0) {
		check_table(&k, copy, size);
		kallsyms_free(&k);
	} else if (!err.msg[0]) {
		abort();
	}
	free(copy);
	if (mode & 1) {
		char path[64];
		struct elfsym *e;

		if (ftruncate(fd_img, 0) ||
		    (size && pwrite(fd_img, data, size, 0) != (ssize_t)size))
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_img);
		err.msg[0] = 0;
		e = elfsym_open(path, &err);
		if (!e) {
			if (!err.msg[0])
				abort();
			return 0;
		}
		exercise(e);
		elfsym_close(e);
	}
	return 0;
}
