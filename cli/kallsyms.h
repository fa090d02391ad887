/* SPDX-License-Identifier: MIT */
/*
 * The symbol table a Linux kernel carries for itself (kallsyms: what
 * /proc/kallsyms prints), recovered from the kernel's image when the image
 * has no other: a raw arm64 Image (Debian's vmlinuz), or a vmlinux without a
 * .symtab. Most callers want elfsym.h, which opens such files through this
 * module; this is the table reader underneath.
 *
 * scripts/kallsyms.c writes the tables into .rodata at build time, each label
 * aligned to 8 (kernel/kallsyms.c reads them at run time):
 *
 *   kallsyms_num_syms       u32 N
 *   kallsyms_names          N entries: a length (one byte; from 6.1 two bytes,
 *                           ULEB128, above 127), then that many token numbers;
 *                           expanded, the first character is the type letter
 *   kallsyms_markers        u32 per 256 entries: where entry 256*i starts
 *   kallsyms_seqs_of_names  (6.2+, and 6.1 stable) 3 bytes per entry
 *   kallsyms_token_table    256 NUL-terminated strings
 *   kallsyms_token_index    256 u16: where each token starts in the table
 *   kallsyms_offsets        u32 per entry: address - relative base, sorted
 *   kallsyms_relative_base  u64: the lowest symbol's address
 *
 * Up to 6.3 the offsets and the base come first and seqs_of_names sits
 * before the token table; from 6.4 ("scripts/kallsyms: change the output
 * order") they follow the token index. The base is a pointer the kernel
 * relocates: with RELR relocations (Debian's 6.12) the image holds its
 * link-time value; with RELA and --no-apply-dynamic-relocs (Debian's 6.1) it
 * holds 0 and the value is the addend of the R_AARCH64_RELATIVE entry of
 * .rela.dyn that targets it.
 *
 * The tables are found by their structure, never by symbols or guessed
 * addresses, and validated before they are trusted: a token index (256
 * increasing u16 from 0) that the token table before it fills exactly;
 * names that decode to a type letter and printable characters, whose count
 * before them and markers after them agree; offsets non-decreasing from 0;
 * the image's link address fixed by the entry point of the Image header
 * (primary_entry, or stext before 5.8) or by _text at the image's first
 * byte, and checked against _text, _end and the header's image size.
 * Anything else is an error that says what was found and what was wrong.
 */
#ifndef FIXMAP_KALLSYMS_H
#define FIXMAP_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The arm64 Image header (Documentation/arch/arm64/booting.rst). */
struct kallsyms_hdr {
	uint64_t text_offset;
	uint64_t image_size; /* from _text to _end, bss included; 0 before 3.17 */
	uint64_t flags;
	bool have_entry; /* code0 or code1 is a B to the kernel's entry point */
	uint64_t entry;	 /* its offset in the image */
};

/*
 * Is data an arm64 Linux Image? 0 with the header; -1 with what the file is
 * instead: compressed (gzip, zstd, xz, bzip2, an EFI zboot vmlinuz.efi, with
 * how to unpack it), a kernel of another architecture (x86 bzImage, arm
 * zImage, RISC-V Image), a PE file; -2 when it is none of these (no Image
 * magic). name is used in the messages.
 */
int kallsyms_image_header(const char *name, const uint8_t *data, size_t len, struct kallsyms_hdr *h,
			  struct fm_err *err);

enum kallsyms_layout {
	KALLSYMS_LAYOUT_OFFSETS_FIRST = 1, /* up to 6.3 */
	KALLSYMS_LAYOUT_OFFSETS_LAST,	   /* 6.4 on */
};

struct kallsyms_sym {
	uint64_t addr;
	uint32_t name; /* offset of the name in kallsyms.names */
	char type;     /* as /proc/kallsyms prints it: T t D d B b R r W V ... */
};

struct kallsyms {
	struct kallsyms_sym *syms; /* the table's order: by address */
	size_t n;
	char *names;
	uint64_t base;		/* link address of data[0] (the raw Image's _text) */
	uint64_t relative_base; /* the lowest symbol's address */
	bool base_from_rela;	/* the base was 0 in the image: taken from .rela.dyn */
	bool long_names;	/* a name used a two-byte length (6.1+) */
	enum kallsyms_layout layout;
	unsigned seq_bytes; /* bytes per kallsyms_seqs_of_names entry, 0: none */
	/* offsets in data of the tables, for messages and tests */
	size_t off_names, off_markers, off_token_table, off_token_index, off_offsets,
	    off_relative_base;
};

static inline const char *kallsyms_name(const struct kallsyms *k, size_t i)
{
	return k->names + k->syms[i].name;
}

/*
 * Finds, decodes and validates the kallsyms tables in data[0, len), the
 * kernel image's bytes from _text on as the boot loader sees them (a raw
 * Image, or a vmlinux's loaded sections laid out by address). With va_known,
 * va is the link address of data[0] and memsz the image's size in memory,
 * bss included (an ELF says both); without, the address comes from the
 * tables and the Image header, and the size from the header. name is used in
 * messages. 0 and *k filled (kallsyms_free it), or -1 with the reason.
 */
int kallsyms_read(const char *name, const uint8_t *data, size_t len, bool va_known, uint64_t va,
		  uint64_t memsz, struct kallsyms *k, struct fm_err *err);
void kallsyms_free(struct kallsyms *k);

/* "offsets first (up to 6.3)" or "offsets last (6.4+)". */
const char *kallsyms_layout_name(enum kallsyms_layout l);

#endif
