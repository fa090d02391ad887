/* SPDX-License-Identifier: MIT */
/*
 * Symbols and bytes of an AArch64 image, by address: an ELF file read with
 * libelf (the agent, a kernel's vmlinux), a Linux kernel without a symbol
 * table (a raw arm64 Image such as Debian's vmlinuz, a stripped vmlinux)
 * named by its own kallsyms tables (kallsyms.h), or a raw image loaded at a
 * base address with an optional System.map-style symbol file. Every offset
 * and size taken from the file is checked against the file before use, so a
 * truncated or corrupt file is an error with a reason, never a read out of
 * bounds.
 *
 * Naming the PCs of a running Linux kernel (e.g. a recorder's events):
 *
 *   struct elfsym *e = elfsym_open("vmlinuz", &err);   // Image, vmlinux, ...
 *   elfsym_set_slide(e, kaslr_offset, &err);           // 0 under nokaslr
 *   char buf[160];
 *   elfsym_format(e, pc, buf, sizeof(buf));            // "__pkvm_host_share_hyp+0x48"
 *   ...
 *   elfsym_close(e);
 *
 * The KASLR offset is the run-time address of any symbol minus its link
 * address (elfsym_slide_for() computes it from one known symbol, e.g. the
 * vector table VBAR_EL1 points to: see tgtopt_symbols()); arm64 moves the
 * whole image by one offset.
 */
#ifndef FIXMAP_ELFSYM_H
#define FIXMAP_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum elfsym_kind {
	ELFSYM_FUNC = 1, /* STT_FUNC; System.map t/T/w/W */
	ELFSYM_LABEL,	 /* STT_NOTYPE in executable code: an assembler entry point */
	ELFSYM_OBJECT,	 /* STT_OBJECT/STT_TLS; System.map d/D/b/B/r/R ... */
};

struct elfsym_sym {
	uint64_t addr;
	uint64_t size; /* st_size, or up to the next symbol / end of region when unsized */
	const char *name;
	uint8_t kind; /* enum elfsym_kind */
	bool global;
	bool sized; /* size came from the file, not derived */
	char type;  /* as nm and /proc/kallsyms print it: T t D d B b R r W w ... */
	uint32_t rank; /* kallsyms: 1 + position in the kernel's table (its preferred alias first); else 0 */
};

#define ELFSYM_R_EXEC 0x1 /* executable code (SHF_EXECINSTR, PF_X, a raw image) */
#define ELFSYM_R_WRITE 0x2
#define ELFSYM_R_ZERO 0x4 /* no file bytes (SHT_NOBITS): reads as zeros */

/* A range of addresses backed by the file (a section, a segment, a raw image). */
struct elfsym_region {
	uint64_t addr, size;
	uint64_t off;	/* file offset of addr; unused with ELFSYM_R_ZERO */
	unsigned flags; /* ELFSYM_R_* */
	char name[32];
};

struct elfsym;

/*
 * Opens an AArch64 ELF (ET_EXEC or ET_DYN, little-endian, 64-bit) with its
 * symbol table, or, when it has none, with the kallsyms tables of the Linux
 * kernel it is (a stripped vmlinux); or an arm64 Linux Image, named by its
 * kallsyms and placed at its link address (_text; the regions are its text,
 * its data and, to the header's image size, its bss). Fails with a reason for
 * anything else: another machine or architecture, a relocatable object,
 * truncated headers, sections or segments outside the file, a corrupt symbol
 * table, a compressed kernel (says how to unpack it), or no symbols at all.
 */
struct elfsym *elfsym_open(const char *path, struct fm_err *err);
/* A raw image (no headers): the whole file is executable code at base. */
struct elfsym *elfsym_open_raw(const char *path, uint64_t base, struct fm_err *err);
/*
 * Adds symbols from a System.map-style file ("ADDR TYPE NAME" per line, as
 * `nm` prints). Errors name the line. Absolute and undefined symbols are skipped.
 */
int elfsym_load_map(struct elfsym *e, const char *path, struct fm_err *err);
void elfsym_close(struct elfsym *e);

/* Address and size of a symbol by name: 0, or -1 if there is none. size may be NULL. */
int elfsym_lookup(struct elfsym *e, const char *name, uint64_t *addr, uint64_t *size);
/* Name of the symbol that contains addr (functions preferred), *off = addr - start; NULL if none.
 */
const char *elfsym_symbolize(struct elfsym *e, uint64_t addr, uint64_t *off);
/* The symbol that contains addr, as elfsym_symbolize; NULL if none. */
const struct elfsym_sym *elfsym_find(struct elfsym *e, uint64_t addr);
/* "func+0x2c", or "0x40201234" when no symbol contains addr. Returns the snprintf length. */
size_t elfsym_format(struct elfsym *e, uint64_t addr, char *buf, size_t n);

/* Copies len bytes at addr: 0, or -1 if any byte is outside the file's regions. */
int elfsym_read(struct elfsym *e, uint64_t addr, void *buf, size_t len);
/* Pointer to len file bytes at addr (all in one region, not zero-fill), or NULL. */
const uint8_t *elfsym_bytes(struct elfsym *e, uint64_t addr, size_t len);

/*
 * Symbols sorted by address; at one address kallsyms symbols keep the
 * kernel's order (the alias it prints first), others come functions first.
 */
size_t elfsym_count(const struct elfsym *e);
const struct elfsym_sym *elfsym_get(const struct elfsym *e, size_t i);
size_t elfsym_nregions(const struct elfsym *e);
const struct elfsym_region *elfsym_region(const struct elfsym *e, size_t i);
/* True for a raw image (elfsym_open_raw, or an Image opened by elfsym_open). */
bool elfsym_is_raw(const struct elfsym *e);
/* True when the symbols came from the kernel's kallsyms tables. */
bool elfsym_from_kallsyms(const struct elfsym *e);
/*
 * Where the symbols came from, for people: "ELF symbol table (.symtab)", or
 * "kallsyms: 50336 symbols, offsets first (up to 6.3), relative base from
 * .rela.dyn, linked at 0xffff800008000000", then "+ System.map" if one was
 * loaded.
 */
const char *elfsym_source(const struct elfsym *e);
/* The link address of the file's first byte, for a raw image or an Image; 0 for an ELF. */
uint64_t elfsym_image_base(const struct elfsym *e);

/*
 * Moves every symbol and region by slide (mod 2^64: a KASLR offset, run-time
 * minus link address), replacing the slide set before; from then on every
 * address the functions above take or return is a run-time address. -1 (and
 * nothing moved) if an address would wrap around.
 */
int elfsym_set_slide(struct elfsym *e, uint64_t slide, struct fm_err *err);
uint64_t elfsym_slide(const struct elfsym *e);
/*
 * The slide that puts symbol name at runtime, given that the run-time image
 * keeps the link address modulo align (a power of two; 0x10000 for arm64
 * Linux, whose KASLR offsets keep its 64 KiB segment alignment): 0, or -1
 * if there is no such symbol or runtime is not name's address plus a multiple
 * of align.
 */
int elfsym_slide_for(struct elfsym *e, const char *name, uint64_t runtime, uint64_t align,
		     uint64_t *slide);

#endif
