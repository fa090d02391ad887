/* SPDX-License-Identifier: MIT */
/*
 * elfsym: builds small AArch64 ELF files in memory (then breaks them) so every
 * header path, bounds check and lookup is exercised without a toolchain.
 */
#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include "elfsym.h"
#include "unit.h"

#define TEXT_ADDR 0x40200000ull
#define DATA_ADDR 0x40210000ull
#define BSS_ADDR 0x40220000ull

enum { S_NULL, S_TEXT, S_DATA, S_BSS, S_SYMTAB, S_STRTAB, S_SHSTRTAB, S_NUM };

struct img {
	uint8_t buf[4096];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
};

static const char shstr[] = "\0.text\0.data\0.bss\0.symtab\0.strtab\0.shstrtab";
static const char str[] = "\0func_a\0func_b\0fixmap_shared\0$x\0entry\0helper";
/* offsets into str */
#define N_FUNC_A 1
#define N_FUNC_B 8
#define N_SHARED 15
#define N_MAPX 29
#define N_ENTRY 32
#define N_HELPER 38

static size_t put(struct img *m, const void *p, size_t n, size_t align)
{
	size_t off = (m->len + align - 1) & ~(align - 1);

	memcpy(m->buf + off, p, n);
	m->len = off + n;
	return off;
}

static Elf64_Sym sym(unsigned name, unsigned type, unsigned bind, unsigned shndx, uint64_t v,
		     uint64_t size)
{
	Elf64_Sym s = {.st_name = name,
		       .st_info = (unsigned char)ELF64_ST_INFO(bind, type),
		       .st_shndx = (uint16_t)shndx,
		       .st_value = v,
		       .st_size = size};
	return s;
}

/* .text: func_a (8 bytes, sized), entry (label), func_b (unsized, up to helper), helper. */
static void build(struct img *m)
{
	static const uint32_t text[] = {
	    0xd5033a9f, /* 0x00 func_a: dsb ishst */
	    0xd65f03c0, /* 0x04         ret */
	    0xd503201f, /* 0x08 entry:  nop */
	    0xd50c83a0, /* 0x0c func_b: tlbi vale2is, x0 */
	    0xd5033b9f, /* 0x10         dsb ish */
	    0xd65f03c0, /* 0x14         ret */
	    0xd65f03c0, /* 0x18 helper: ret (local, sized) */
	};
	static const uint64_t data[2] = {0x1122334455667788ull, 0};
	Elf64_Sym syms[] = {
	    sym(0, 0, 0, 0, 0, 0),
	    sym(N_MAPX, STT_NOTYPE, STB_LOCAL, S_TEXT, TEXT_ADDR, 0),
	    sym(N_HELPER, STT_FUNC, STB_LOCAL, S_TEXT, TEXT_ADDR + 0x18, 4),
	    sym(N_FUNC_A, STT_FUNC, STB_GLOBAL, S_TEXT, TEXT_ADDR, 8),
	    sym(N_ENTRY, STT_NOTYPE, STB_GLOBAL, S_TEXT, TEXT_ADDR + 8, 0),
	    sym(N_FUNC_B, STT_FUNC, STB_GLOBAL, S_TEXT, TEXT_ADDR + 0xc, 0),
	    sym(N_SHARED, STT_OBJECT, STB_GLOBAL, S_DATA, DATA_ADDR, 16),
	};
	Elf64_Shdr sh[S_NUM] = {{0}};
	Elf64_Ehdr eh = {0};
	size_t shoff;

	memset(m, 0, sizeof(*m));
	m->len = sizeof(Elf64_Ehdr);
	sh[S_TEXT] = (Elf64_Shdr){.sh_name = 1,
				  .sh_type = SHT_PROGBITS,
				  .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				  .sh_addr = TEXT_ADDR,
				  .sh_offset = put(m, text, sizeof(text), 16),
				  .sh_size = sizeof(text)};
	sh[S_DATA] = (Elf64_Shdr){.sh_name = 7,
				  .sh_type = SHT_PROGBITS,
				  .sh_flags = SHF_ALLOC | SHF_WRITE,
				  .sh_addr = DATA_ADDR,
				  .sh_offset = put(m, data, sizeof(data), 16),
				  .sh_size = sizeof(data)};
	sh[S_BSS] = (Elf64_Shdr){.sh_name = 13,
				 .sh_type = SHT_NOBITS,
				 .sh_flags = SHF_ALLOC | SHF_WRITE,
				 .sh_addr = BSS_ADDR,
				 .sh_offset = m->len,
				 .sh_size = 0x100};
	sh[S_SYMTAB] = (Elf64_Shdr){.sh_name = 18,
				    .sh_type = SHT_SYMTAB,
				    .sh_offset = put(m, syms, sizeof(syms), 8),
				    .sh_size = sizeof(syms),
				    .sh_link = S_STRTAB,
				    .sh_info = 3,
				    .sh_entsize = sizeof(Elf64_Sym),
				    .sh_addralign = 8};
	sh[S_STRTAB] = (Elf64_Shdr){.sh_name = 26,
				    .sh_type = SHT_STRTAB,
				    .sh_offset = put(m, str, sizeof(str), 1),
				    .sh_size = sizeof(str)};
	sh[S_SHSTRTAB] = (Elf64_Shdr){.sh_name = 34,
				      .sh_type = SHT_STRTAB,
				      .sh_offset = put(m, shstr, sizeof(shstr), 1),
				      .sh_size = sizeof(shstr)};
	shoff = put(m, sh, sizeof(sh), 8);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_AARCH64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = TEXT_ADDR;
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = S_NUM;
	eh.e_shstrndx = S_SHSTRTAB;
	memcpy(m->buf, &eh, sizeof(eh));
	m->eh = (Elf64_Ehdr *)m->buf;
	m->sh = (Elf64_Shdr *)(m->buf + shoff);
}

static char path[64];

static void write_img(const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(p, 1, n, f);
	fclose(f);
}

static struct elfsym *open_img(const struct img *m, size_t len, struct fm_err *err)
{
	write_img(m->buf, len);
	return elfsym_open(path, err);
}

static void symbols_and_lookup(void)
{
	struct img m;
	struct fm_err err = {{0}};
	struct elfsym *e;
	uint64_t a, s, off;

	build(&m);
	e = open_img(&m, m.len, &err);
	if (!e)
		printf("  %s\n", err.msg);
	CHECK(e);
	CHECK(elfsym_lookup(e, "fixmap_shared", &a, &s) == 0);
	CHECK_EQ_U64(a, DATA_ADDR);
	CHECK_EQ_U64(s, 16);
	CHECK(elfsym_lookup(e, "func_a", &a, NULL) == 0);
	CHECK_EQ_U64(a, TEXT_ADDR);
	/* func_b has no size: it extends to the next symbol (helper). */
	CHECK(elfsym_lookup(e, "func_b", &a, &s) == 0);
	CHECK_EQ_U64(s, 0xc);
	CHECK(elfsym_lookup(e, "$x", &a, NULL) == -1);
	CHECK(elfsym_lookup(e, "nope", &a, NULL) == -1);
	CHECK_STR(elfsym_symbolize(e, TEXT_ADDR + 4, &off), "func_a");
	CHECK_EQ_U64(off, 4);
	CHECK_STR(elfsym_symbolize(e, TEXT_ADDR + 8, &off), "entry");
	CHECK_STR(elfsym_symbolize(e, TEXT_ADDR + 0x14, &off), "func_b");
	CHECK_EQ_U64(off, 8);
	CHECK_STR(elfsym_symbolize(e, TEXT_ADDR + 0x18, &off), "helper");
	CHECK_STR(elfsym_symbolize(e, DATA_ADDR + 8, &off), "fixmap_shared");
	CHECK(elfsym_symbolize(e, DATA_ADDR + 16, &off) == NULL); /* past the sized object */
	CHECK(elfsym_symbolize(e, TEXT_ADDR - 4, &off) == NULL);
	CHECK(elfsym_find(e, TEXT_ADDR + 0x10)->kind == ELFSYM_FUNC);
	CHECK(elfsym_find(e, TEXT_ADDR + 8)->kind == ELFSYM_LABEL);
	CHECK(elfsym_find(e, DATA_ADDR)->kind == ELFSYM_OBJECT);
	elfsym_close(e);
}

static void format_and_read(void)
{
	struct img m;
	struct fm_err err = {{0}};
	struct elfsym *e;
	char buf[64];
	uint8_t b[16];
	uint64_t v;

	build(&m);
	e = open_img(&m, m.len, &err);
	CHECK(e);
	elfsym_format(e, TEXT_ADDR + 0x10, buf, sizeof(buf));
	CHECK_STR(buf, "func_b+0x4");
	elfsym_format(e, TEXT_ADDR, buf, sizeof(buf));
	CHECK_STR(buf, "func_a+0x0");
	elfsym_format(e, 0x1000, buf, sizeof(buf));
	CHECK_STR(buf, "0x1000");
	CHECK(elfsym_read(e, DATA_ADDR, &v, 8) == 0);
	CHECK_EQ_U64(v, 0x1122334455667788ull);
	CHECK(elfsym_read(e, BSS_ADDR + 0xf8, &v, 8) == 0);
	CHECK_EQ_U64(v, 0);
	CHECK(elfsym_read(e, BSS_ADDR + 0xfc, &v, 8) == -1); /* runs off the end of .bss */
	CHECK(elfsym_read(e, DATA_ADDR + 8, b, 16) == -1);
	CHECK(elfsym_bytes(e, TEXT_ADDR + 0xc, 4) != NULL);
	CHECK(elfsym_bytes(e, TEXT_ADDR + 0x18, 8) == NULL);
	CHECK(elfsym_bytes(e, BSS_ADDR, 4) == NULL);
	CHECK(elfsym_nregions(e) == 3);
	CHECK(elfsym_region(e, 0)->flags & ELFSYM_R_EXEC);
	CHECK(!elfsym_is_raw(e));
	elfsym_close(e);
}

static void expect_error(const struct img *m, size_t len, const char *needle)
{
	struct fm_err err = {{0}};
	struct elfsym *e = open_img(m, len, &err);

	if (e || !strstr(err.msg, needle))
		printf("  expected error containing \"%s\", got \"%s\"\n", needle,
		       e ? "(success)" : err.msg);
	if (e)
		elfsym_close(e);
	unit_cur_failed |= e != NULL || !strstr(err.msg, needle);
}

static void malformed(void)
{
	struct img m;

	build(&m);
	/* Truncated: the section headers are at the end. */
	expect_error(&m, m.len - 10, "truncated");
	expect_error(&m, 40, "truncated");
	expect_error(&m, 3, "not an ELF file");
	/* A section whose bytes lie outside the file. */
	build(&m);
	m.sh[S_TEXT].sh_offset = 0x100000;
	expect_error(&m, m.len, "section 1 (.text) at offset 0x100000");
	build(&m);
	m.sh[S_DATA].sh_size = ~0ull;
	expect_error(&m, m.len, "runs past the end of the file");
	/* Stripped: no symbol table. */
	build(&m);
	m.sh[S_SYMTAB].sh_type = SHT_PROGBITS;
	expect_error(&m, m.len, "no symbol table");
	/* A symbol table that names only mapping symbols. */
	build(&m);
	m.sh[S_SYMTAB].sh_size = 2 * sizeof(Elf64_Sym);
	expect_error(&m, m.len, "names no function or object");
	/* Symbol table linked to a non-string section, bad entry size, bad name offset. */
	build(&m);
	m.sh[S_SYMTAB].sh_link = S_TEXT;
	expect_error(&m, m.len, "not a string table");
	build(&m);
	m.sh[S_SYMTAB].sh_entsize = 16;
	expect_error(&m, m.len, "entry size");
	build(&m);
	((Elf64_Sym *)(m.buf + m.sh[S_SYMTAB].sh_offset))[3].st_name = 5000;
	expect_error(&m, m.len, "outside the string table");
	/* Other machines and object kinds. */
	build(&m);
	m.eh->e_machine = EM_X86_64;
	expect_error(&m, m.len, "not an AArch64 ELF");
	build(&m);
	m.eh->e_type = ET_REL;
	expect_error(&m, m.len, "relocatable");
	build(&m);
	m.buf[EI_CLASS] = ELFCLASS32;
	expect_error(&m, m.len, "64-bit");
	build(&m);
	m.eh->e_shoff = 0x7fffffff;
	expect_error(&m, m.len, "section headers at 0x7fffffff");
	build(&m);
	m.eh->e_shentsize = 40;
	expect_error(&m, m.len, "section header size");
	build(&m);
	m.eh->e_phnum = 4;
	m.eh->e_phentsize = sizeof(Elf64_Phdr);
	m.eh->e_phoff = m.len - 8;
	expect_error(&m, m.len, "program headers");
	/* Every truncation point fails cleanly (or, at the very end, succeeds). */
	build(&m);
	for (size_t len = 1; len < m.len; len += 5) {
		struct fm_err err = {{0}};
		struct elfsym *e = open_img(&m, len, &err);

		CHECK(!e);
		CHECK(err.msg[0]);
	}
}

static void raw_and_map(void)
{
	static const uint32_t code[] = {0xd503201f, 0xd50c83a0, 0xd5033b9f, 0xd65f03c0};
	struct fm_err err = {{0}};
	struct elfsym *e;
	char mpath[80];
	FILE *f;
	uint64_t a, s, off;
	uint32_t w;

	write_img(code, sizeof(code));
	e = elfsym_open_raw(path, 0xffff800008000000ull, &err);
	CHECK(e);
	CHECK(elfsym_is_raw(e));
	CHECK(elfsym_read(e, 0xffff800008000004ull, &w, 4) == 0);
	CHECK_EQ_U64(w, 0xd50c83a0);
	CHECK(elfsym_read(e, 0xffff800008000010ull, &w, 4) == -1);
	CHECK(elfsym_symbolize(e, 0xffff800008000004ull, &off) == NULL);
	snprintf(mpath, sizeof(mpath), "%s.map", path);
	f = fopen(mpath, "w");
	fprintf(f, "0000000000000000 A _kernel_size_le_lo32\n"
		   "ffff800008000000 T _text\n"
		   "ffff800008000004 t flush_one\n"
		   "ffff80000800000c T tail\n"
		   "ffff800009000000 D some_data\n");
	fclose(f);
	CHECK(elfsym_load_map(e, mpath, &err) == 0);
	CHECK_STR(elfsym_symbolize(e, 0xffff800008000008ull, &off), "flush_one");
	CHECK_EQ_U64(off, 4);
	CHECK(elfsym_lookup(e, "flush_one", &a, &s) == 0);
	CHECK_EQ_U64(s, 8);
	CHECK(elfsym_lookup(e, "tail", &a, &s) == 0);
	CHECK_EQ_U64(s, 4); /* to the end of the image */
	CHECK(elfsym_lookup(e, "_kernel_size_le_lo32", &a, &s) == -1);
	CHECK(elfsym_find(e, 0xffff800008000004ull)->kind == ELFSYM_FUNC);
	CHECK(elfsym_count(e) == 4);
	elfsym_close(e);

	/* Bad map lines name the line; a map that adds nothing leaves no symbols. */
	e = elfsym_open_raw(path, 0x40000000, &err);
	CHECK(e);
	f = fopen(mpath, "w");
	fprintf(f, "/* not a map */\n");
	fclose(f);
	CHECK(elfsym_load_map(e, mpath, &err) == -1);
	CHECK(strstr(err.msg, ".map:1:"));
	CHECK(elfsym_count(e) == 0);
	CHECK(elfsym_symbolize(e, 0x40000000, &off) == NULL);
	f = fopen(mpath, "w");
	fprintf(f, "ffff800008000000 T _text\nhello world\n");
	fclose(f);
	CHECK(elfsym_load_map(e, mpath, &err) == -1);
	CHECK(strstr(err.msg, ".map:2:"));
	f = fopen(mpath, "w");
	fprintf(f, "ffff800008000000 Tx _text\n");
	fclose(f);
	CHECK(elfsym_load_map(e, mpath, &err) == -1);
	CHECK(strstr(err.msg, ".map:1:"));
	f = fopen(mpath, "w");
	fclose(f);
	CHECK(elfsym_load_map(e, mpath, &err) == -1);
	CHECK(strstr(err.msg, "no symbols"));
	CHECK(elfsym_load_map(e, "/nonexistent/System.map", &err) == -1);
	elfsym_close(e);
	unlink(mpath);

	/* A raw image that would wrap the address space. */
	CHECK(elfsym_open_raw(path, ~0ull - 4, &err) == NULL);
	CHECK(strstr(err.msg, "wrap"));
	CHECK(elfsym_open_raw("/nonexistent", 0, &err) == NULL);
}

int main(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/fixmap-elfsym-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	RUN(symbols_and_lookup);
	RUN(format_and_read);
	RUN(malformed);
	RUN(raw_and_map);
	unlink(path);
	return UNIT_EXIT();
}
