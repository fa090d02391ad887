/* SPDX-License-Identifier: MIT */
/*
 * Symbols and bytes of an AArch64 image, by address: an ELF file read with
 * libelf (the agent, a kernel's vmlinux), or a raw image (a kernel's Image)
 * loaded at a base address with an optional System.map-style symbol file.
 * Every offset and size taken from the file is checked against the file before
 * use, so a truncated or corrupt file is an error with a reason, never a read
 * out of bounds.
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
 * symbol table. Fails with a reason for anything else: not ELF, another
 * machine, a relocatable object, truncated headers, sections or segments
 * outside the file, a corrupt symbol table, or no symbols at all (stripped).
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

/* Symbols sorted by address (then functions first). */
size_t elfsym_count(const struct elfsym *e);
const struct elfsym_sym *elfsym_get(const struct elfsym *e, size_t i);
size_t elfsym_nregions(const struct elfsym *e);
const struct elfsym_region *elfsym_region(const struct elfsym *e, size_t i);
/* True for a raw image (elfsym_open_raw). */
bool elfsym_is_raw(const struct elfsym *e);

#endif
