/* SPDX-License-Identifier: MIT */
/*
 * kallsyms.c and its use by elfsym.c: tables written the way
 * scripts/kallsyms.c writes them, in each layout the kernels since 5.10 use
 * (offsets first, with and without kallsyms_seqs_of_names; offsets last),
 * with the relative base stored (RELR) or left 0 for a RELA relocation, into
 * small synthetic arm64 Images; then the ways such an image can be wrong.
 */
#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include "elfsym.h"
#include "kallsyms.h"
#include "target.h"
#include "tgtopt.h"
#include "unit.h"

#define BASE ((uint64_t)0xffff800008000000ull)
#define FILE_SIZE 0x40000u
#define IMAGE_SIZE 0x50000u /* the header's: the file, then bss */
#define TABLES_AT 0x10000u
#define RELA_AT 0x30000u
#define NFUNC 520 /* over two markers' worth */
#define NOBJ 100

struct gsym {
	uint64_t addr;
	char type;
	char name[260];
};

struct gen {
	int layout; /* KALLSYMS_LAYOUT_* */
	unsigned seq_bytes;
	bool rela;   /* the base reads 0; a RELA entry has it */
	bool header; /* an Image header whose code1 branches to primary_entry */
	bool text;   /* a _text symbol (KALLSYMS_ALL kernels have it) */
	bool long_name;
	bool dup_text; /* a second _text, where func_100 is */
	/* results */
	uint8_t *img;
	size_t off_names, off_markers, off_offsets, off_relbase, off_tt, off_ti;
	struct gsym *syms;
	size_t n;
};

/* Multi-character tokens in codes no name character uses. */
static const char *const multi[] = {NULL, "kvm_", "_text", "func_", "obj_"};

static const char *token(unsigned c)
{
	static char one[2];

	if (c < sizeof(multi) / sizeof(multi[0]) && multi[c])
		return multi[c];
	if (c > 0x20 && c < 0x7f) {
		one[0] = (char)c;
		one[1] = 0;
		return one;
	}
	return "__";
}

/* Greedy encoding of "Tname" into token codes; returns the count. */
static size_t encode(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		unsigned best = 0;

		for (unsigned c = 1; c < sizeof(multi) / sizeof(multi[0]); c++)
			if (!strncmp(s, multi[c], strlen(multi[c])))
				best = c;
		if (best) {
			out[n++] = (uint8_t)best;
			s += strlen(multi[best]);
		} else {
			out[n++] = (uint8_t)*s++;
		}
	}
	return n;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}
static size_t al8(size_t v) { return (v + 7) & ~(size_t)7; }

static void add(struct gen *g, uint64_t off, char type, const char *name)
{
	struct gsym *s = &g->syms[g->n++];

	s->addr = BASE + off;
	s->type = type;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

/* The symbols of a small kernel, in kallsyms order (by address). */
static void symbols(struct gen *g)
{
	char name[260];

	g->syms = calloc(NFUNC + NOBJ + 16, sizeof(*g->syms));
	g->n = 0;
	if (g->text)
		add(g, 0, 'T', "_text");
	add(g, 0x800, 't', "primary_entry");
	add(g, 0x1000, 'T', "_stext");
	for (unsigned i = 0; i < NFUNC; i++) {
		snprintf(name, sizeof(name), i % 7 ? "func_%u" : "kvm_hyp_%u", i);
		if (i == 64) /* at 0x1800: 2 KiB aligned, as the kernel's vector table */
			snprintf(name, sizeof(name), "vectors");
		if (i == 100 && g->dup_text)
			snprintf(name, sizeof(name), "_text");
		add(g, 0x1000 + 0x20 * i, i % 3 ? 't' : 'T', name);
	}
	if (g->long_name) { /* 200 characters: a two-byte length (6.1+) */
		memset(name, 'L', 200);
		name[200] = 0;
		add(g, 0x1000 + 0x20 * NFUNC, 'T', name);
	}
	add(g, 0x9000, 'D', "_etext");
	for (unsigned i = 0; i < NOBJ; i++) {
		snprintf(name, sizeof(name), "obj_%u", i);
		add(g, 0x9000 + 0x20 * i, "dDrR"[i % 4], name);
	}
	add(g, 0x48000, 'b', "bss_obj");
	add(g, IMAGE_SIZE, 'B', "_end");
}

/* Writes the tables as scripts/kallsyms.c does (each label aligned to 8) and the image around them.
 */
static void generate(struct gen *g)
{
	uint8_t *d = calloc(1, FILE_SIZE), code[600];
	uint64_t rb;
	size_t p = TABLES_AT, markers[64], nm = 0, names_len = 0;
	uint16_t idx[256];
	size_t tl = 0;

	symbols(g);
	g->img = d;
	rb = g->syms[0].addr;
	if (g->header) {
		put32(d, 0xfa405a4d);					    /* "MZ" */
		put32(d + 4, 0x14000000 | (((0x800 - 4) / 4) & 0x3ffffff)); /* b primary_entry */
		put64(d + 16, IMAGE_SIZE);
		put64(d + 24, 0xa);
		put32(d + 0x38, 0x644d5241);
	}
	/* offsets first (up to 6.3): offsets, relative_base, num_syms, names ... */
	if (g->layout == KALLSYMS_LAYOUT_OFFSETS_FIRST) {
		g->off_offsets = p;
		for (size_t i = 0; i < g->n; i++, p += 4)
			put32(d + p, (uint32_t)(g->syms[i].addr - rb));
		p = al8(p);
		g->off_relbase = p;
		put64(d + p, g->rela ? 0 : rb);
		p += 8;
	}
	put32(d + p, (uint32_t)g->n);
	p = al8(p + 4);
	g->off_names = p;
	for (size_t i = 0; i < g->n; i++) {
		char full[270];
		size_t l;

		if (!(i & 255))
			markers[nm++] = p - g->off_names;
		snprintf(full, sizeof(full), "%c%s", g->syms[i].type, g->syms[i].name);
		l = encode(full, code);
		if (l > 0x7f) {
			d[p++] = (uint8_t)((l & 0x7f) | 0x80);
			d[p++] = (uint8_t)(l >> 7);
		} else {
			d[p++] = (uint8_t)l;
		}
		memcpy(d + p, code, l);
		p += l;
	}
	names_len = p - g->off_names;
	(void)names_len;
	p = al8(p);
	g->off_markers = p;
	for (size_t i = 0; i < nm; i++, p += 4)
		put32(d + p, (uint32_t)markers[i]);
	p = al8(p);
	if (g->layout == KALLSYMS_LAYOUT_OFFSETS_FIRST && g->seq_bytes) {
		for (size_t i = 0; i < g->n; i++, p += g->seq_bytes)
			put32(d + p, (uint32_t)i); /* 3 bytes: the next entry overwrites the 4th */
		p = al8(p);
	}
	g->off_tt = p;
	for (unsigned c = 0; c < 256; c++) {
		const char *t = token(c);

		idx[c] = (uint16_t)tl;
		memcpy(d + p + tl, t, strlen(t) + 1);
		tl += strlen(t) + 1;
	}
	p = al8(p + tl);
	g->off_ti = p;
	for (unsigned c = 0; c < 256; c++, p += 2)
		put16(d + p, idx[c]);
	if (g->layout == KALLSYMS_LAYOUT_OFFSETS_LAST) {
		p = al8(p);
		g->off_offsets = p;
		for (size_t i = 0; i < g->n; i++, p += 4)
			put32(d + p, (uint32_t)(g->syms[i].addr - rb));
		p = al8(p);
		g->off_relbase = p;
		put64(d + p, g->rela ? 0 : rb);
		p += 8;
		for (size_t i = 0; i < g->n; i++, p += 3) /* seqs_of_names */
			put32(d + p, (uint32_t)i);
	}
	/* .rela.dyn: a few other relocations around the one of the base */
	for (unsigned i = 0; i < 4; i++) {
		uint8_t *r = d + RELA_AT + 24 * i;

		put64(r, BASE + 0x9000 + 8 * i);
		put64(r + 8, 1027);
		put64(r + 16, BASE + 0x1000 + 0x20 * i);
	}
	if (g->rela) {
		uint8_t *r = d + RELA_AT + 24 * 4;

		put64(r, BASE + g->off_relbase);
		put64(r + 8, 1027);
		put64(r + 16, rb);
	}
}

static void gen_free(struct gen *g)
{
	free(g->img);
	free(g->syms);
}

/* Every symbol back with its name, type and address. */
static bool same_symbols(const struct gen *g, const struct kallsyms *k)
{
	if (k->n != g->n) {
		printf("  %zu symbols, expected %zu\n", k->n, g->n);
		return false;
	}
	for (size_t i = 0; i < g->n; i++)
		if (k->syms[i].addr != g->syms[i].addr || k->syms[i].type != g->syms[i].type ||
		    strcmp(kallsyms_name(k, i), g->syms[i].name)) {
			printf("  symbol %zu: %#" PRIx64 " %c %s, expected %#" PRIx64 " %c %s\n", i,
			       k->syms[i].addr, k->syms[i].type, kallsyms_name(k, i),
			       g->syms[i].addr, g->syms[i].type, g->syms[i].name);
			return false;
		}
	return true;
}

static void check_layout(int layout, unsigned seq, bool rela, bool text)
{
	struct gen g = {
	    .layout = layout, .seq_bytes = seq, .rela = rela, .header = true, .text = text};
	struct kallsyms k;
	struct fm_err err = {{0}};
	int r;

	generate(&g);
	r = kallsyms_read("img", g.img, FILE_SIZE, false, 0, 0, &k, &err);
	if (r)
		printf("  %s\n", err.msg);
	CHECK(r == 0);
	CHECK(same_symbols(&g, &k));
	CHECK_EQ_U64(k.base, BASE);
	CHECK_EQ_U64(k.relative_base, g.syms[0].addr);
	CHECK(k.base_from_rela == rela);
	CHECK(k.layout == (enum kallsyms_layout)layout);
	CHECK_EQ_U64(k.seq_bytes, layout == KALLSYMS_LAYOUT_OFFSETS_FIRST ? seq : 0);
	CHECK_EQ_U64(k.off_names, g.off_names);
	CHECK_EQ_U64(k.off_markers, g.off_markers);
	CHECK_EQ_U64(k.off_token_table, g.off_tt);
	CHECK_EQ_U64(k.off_token_index, g.off_ti);
	CHECK_EQ_U64(k.off_offsets, g.off_offsets);
	CHECK_EQ_U64(k.off_relative_base, g.off_relbase);
	kallsyms_free(&k);
	gen_free(&g);
}

/* 5.10: offsets first, no seqs_of_names; the base relocated by RELA (0 in the image). */
static void layout_5_10(void) { check_layout(KALLSYMS_LAYOUT_OFFSETS_FIRST, 0, true, false); }
/* Debian's 6.1: as 5.10 with 3-byte seqs_of_names between the markers and the tokens. */
static void layout_6_1(void) { check_layout(KALLSYMS_LAYOUT_OFFSETS_FIRST, 3, true, false); }
/* 6.2 as first merged: 4-byte seqs_of_names; a stored base (RELR). */
static void layout_6_2(void) { check_layout(KALLSYMS_LAYOUT_OFFSETS_FIRST, 4, false, true); }
/* 6.4+ (Debian's 6.12): offsets, base and seqs after the token index; RELR. */
static void layout_6_12(void) { check_layout(KALLSYMS_LAYOUT_OFFSETS_LAST, 0, false, true); }
/* 6.4+ with RELA relocations. */
static void layout_6_4_rela(void) { check_layout(KALLSYMS_LAYOUT_OFFSETS_LAST, 0, true, true); }

/* A name of more than 127 tokens has a two-byte length (6.1+). */
static void long_names(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_LAST,
			.header = true,
			.text = true,
			.long_name = true};
	struct kallsyms k;
	struct fm_err err = {{0}};

	generate(&g);
	CHECK(kallsyms_read("img", g.img, FILE_SIZE, false, 0, 0, &k, &err) == 0);
	CHECK(k.long_names);
	CHECK(same_symbols(&g, &k));
	kallsyms_free(&k);
	gen_free(&g);
}

/* A vmlinux's bytes: the address comes from the ELF; a RELA base by its r_offset. */
static void va_known(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_FIRST, .seq_bytes = 3, .rela = true};
	struct kallsyms k;
	struct fm_err err = {{0}};

	generate(&g); /* no Image header, no _text: only the ELF knows the address */
	CHECK(kallsyms_read("img", g.img, FILE_SIZE, false, 0, 0, &k, &err) < 0);
	CHECK(strstr(err.msg, "no symbol tells where the image is linked"));
	CHECK(kallsyms_read("img", g.img, FILE_SIZE, true, BASE, IMAGE_SIZE, &k, &err) == 0);
	CHECK(same_symbols(&g, &k));
	CHECK(k.base_from_rela);
	kallsyms_free(&k);
	gen_free(&g);
}

static void expect_fail(const uint8_t *d, size_t len, const char *needle)
{
	struct kallsyms k;
	struct fm_err err = {{0}};
	int r = kallsyms_read("img", d, len, false, 0, 0, &k, &err);

	if (r == 0 || !strstr(err.msg, needle))
		printf("  expected an error with \"%s\", got %s\n", needle,
		       r ? err.msg : "success");
	unit_cur_failed |= r == 0 || !strstr(err.msg, needle);
	if (!r)
		kallsyms_free(&k);
}

static void bad_tables(void)
{
	struct gen g = {
	    .layout = KALLSYMS_LAYOUT_OFFSETS_FIRST, .seq_bytes = 3, .rela = true, .header = true};
	uint8_t *save = malloc(FILE_SIZE);

	generate(&g);
	memcpy(save, g.img, FILE_SIZE);
	/* no tables at all: a header and zeros, or random bytes behind a plausible header */
	{
		uint8_t *z = calloc(1, FILE_SIZE);

		memcpy(z, g.img, 64);
		expect_fail(z, FILE_SIZE, "no kallsyms tables");
		srand(7);
		for (size_t i = 64; i < FILE_SIZE; i++)
			z[i] = (uint8_t)rand();
		expect_fail(z, FILE_SIZE, "no kallsyms tables");
		free(z);
	}
	/* truncated in the names, in the token table, before the RELA entry */
	expect_fail(g.img, g.off_names + 100, "no kallsyms tables");
	expect_fail(g.img, g.off_ti + 100, "no kallsyms tables");
	expect_fail(g.img, RELA_AT + 8, "no R_AARCH64_RELATIVE relocation");
	/* a marker that is not where its entry starts */
	g.img[g.off_markers + 4]++;
	expect_fail(g.img, FILE_SIZE, "no symbol names before it decode");
	memcpy(g.img, save, FILE_SIZE);
	/* offsets out of order */
	put32(g.img + g.off_offsets + 4 * 10, 0xffffff);
	expect_fail(g.img, FILE_SIZE, "no kallsyms_offsets table");
	memcpy(g.img, save, FILE_SIZE);
	/* a name with a character no symbol has: the token of 'A' becomes a space */
	g.img[g.off_tt + 'A' * 2 - 1] = ' ';
	expect_fail(g.img, FILE_SIZE, "no kallsyms token table");
	memcpy(g.img, save, FILE_SIZE);
	/* the header's entry point is not at primary_entry: no relocation fits */
	put32(g.img + 4, 0x14000000 | ((0x900 - 4) / 4));
	expect_fail(g.img, FILE_SIZE,
		    "no R_AARCH64_RELATIVE relocation gives its value (with "
		    "primary_entry at offset 0x900)");
	memcpy(g.img, save, FILE_SIZE);
	/* two relocations that disagree about the base */
	put64(g.img + RELA_AT + 24 * 5, BASE + 0x10000 + g.off_relbase);
	put64(g.img + RELA_AT + 24 * 5 + 8, 1027);
	put64(g.img + RELA_AT + 24 * 5 + 16, g.syms[0].addr + 0x10000);
	expect_fail(g.img, FILE_SIZE, "more than one");
	memcpy(g.img, save, FILE_SIZE);
	/* a second _text elsewhere (found by fuzz-kallsyms): every _text is checked */
	{
		struct gen g2 = {.layout = KALLSYMS_LAYOUT_OFFSETS_LAST, .header = true,
				 .text = true, .dup_text = true};

		generate(&g2);
		expect_fail(g2.img, FILE_SIZE, "kallsyms put _text at 0xffff800008001c80, not at "
					       "the image's start 0xffff800008000000");
		gen_free(&g2);
	}
	/* _end where the header's image size does not end */
	put64(g.img + 16, IMAGE_SIZE + 0x1000);
	expect_fail(g.img, FILE_SIZE, "the Image header's size");
	free(save);
	gen_free(&g);
}

static void bad_stored_base(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_LAST, .header = true, .text = true};

	generate(&g);
	/* a stored base that puts primary_entry where _text is not the image start */
	put64(g.img + g.off_relbase, BASE + 0x20000);
	put32(g.img + 4, 0x14000000 | ((0x800 - 4) / 4));
	{
		struct kallsyms k;
		struct fm_err err = {{0}};

		/* T follows from primary_entry: the same shift, so _text is at T: consistent */
		if (kallsyms_read("img", g.img, FILE_SIZE, false, 0, 0, &k, &err))
			printf("  %s\n", err.msg);
		CHECK(k.n);
		CHECK_EQ_U64(k.base, BASE + 0x20000);
		kallsyms_free(&k);
	}
	/* a base that is not a kernel address */
	put64(g.img + g.off_relbase, 0x1234);
	expect_fail(g.img, FILE_SIZE, "not a kernel address");
	gen_free(&g);
}

static void expect_header(const uint8_t *d, size_t len, int want, const char *needle)
{
	struct kallsyms_hdr h;
	struct fm_err err = {{0}};
	int r = kallsyms_image_header("f", d, len, &h, &err);

	if (r != want || (needle && !strstr(err.msg, needle)))
		printf("  expected %d \"%s\", got %d \"%s\"\n", want, needle ? needle : "", r,
		       err.msg);
	unit_cur_failed |= r != want || (needle && !strstr(err.msg, needle));
}

static void identify(void)
{
	uint8_t b[0x400] = {0};

	expect_header(b, sizeof(b), -2, "not an arm64 Linux Image");
	expect_header(b, 10, -2, "not an arm64 Linux Image");
	b[0] = 0x1f, b[1] = 0x8b;
	expect_header(b, sizeof(b), -1, "gzip-compressed");
	memcpy(b, "\x28\xb5\x2f\xfd", 4);
	expect_header(b, sizeof(b), -1, "zstd");
	memcpy(b, "\xfd\x37\x7a\x58\x5a\x00", 6);
	expect_header(b, sizeof(b), -1, "xz");
	memset(b, 0, 8);
	memcpy(b, "MZ\0\0zimg", 8);
	put32(b + 8, 0x1000);
	put32(b + 12, 0x123456);
	memcpy(b + 0x18, "zstd22\0\0", 8);
	expect_header(b, sizeof(b), -1, "EFI zboot image (vmlinuz.efi): its zstd22 payload");
	memset(b, 0, sizeof(b));
	memcpy(b, "MZ", 2);
	expect_header(b, sizeof(b), -1, "a PE/COFF file");
	memset(b, 0, sizeof(b));
	memcpy(b + 0x202, "HdrS", 4);
	expect_header(b, sizeof(b), -1, "x86");
	memset(b, 0, sizeof(b));
	put32(b + 0x24, 0x016f2818);
	expect_header(b, sizeof(b), -1, "32-bit arm");
	memset(b, 0, sizeof(b));
	memcpy(b + 0x38, "RSC\x05", 4);
	expect_header(b, sizeof(b), -1, "RISC-V");
	memset(b, 0, sizeof(b));
	put32(b + 0x38, 0x644d5241);
	put32(b + 4, 0x14000000 | 0x100);
	{
		struct kallsyms_hdr h;
		struct fm_err err = {{0}};

		CHECK(kallsyms_image_header("f", b, 64, &h, &err) == 0);
		CHECK(h.have_entry);
		CHECK_EQ_U64(h.entry, 4 + 0x400);
		/* without the EFI stub, code0 is the branch */
		put32(b, 0x14000000 | 0x10);
		CHECK(kallsyms_image_header("f", b, 64, &h, &err) == 0);
		CHECK_EQ_U64(h.entry, 0x40);
	}
}

/* ---- through elfsym: files ---- */

static char *write_tmp(const void *d, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fixmap-test-kallsyms-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, d, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

static void elfsym_image(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_LAST, .header = true, .text = true};
	struct fm_err err = {{0}};
	struct elfsym *e;
	const struct elfsym_region *r;
	char buf[128], *path;
	uint64_t a, slide;

	generate(&g);
	path = write_tmp(g.img, FILE_SIZE);
	e = elfsym_open(path, &err);
	unlink(path);
	if (!e)
		printf("  %s\n", err.msg);
	CHECK(e);
	CHECK(elfsym_from_kallsyms(e));
	CHECK(elfsym_is_raw(e));
	CHECK_EQ_U64(elfsym_image_base(e), BASE);
	CHECK_EQ_U64(elfsym_count(e), g.n);
	snprintf(buf, sizeof(buf), "kallsyms: %zu symbols, offsets last (6.4+)", g.n);
	CHECK(strstr(elfsym_source(e), buf));
	/* functions by name and address; data and bss objects; end markers name only themselves */
	elfsym_format(e, BASE + 0x1000 + 0x20 * 5 + 0x10, buf, sizeof(buf));
	CHECK_STR(buf, "func_5+0x10");
	elfsym_format(e, BASE + 0x1000 + 0x20 * 7 + 4, buf, sizeof(buf));
	CHECK_STR(buf, "kvm_hyp_7+0x4");
	elfsym_format(e, BASE + 0x9000 + 0x20 * 3 + 8, buf, sizeof(buf));
	CHECK_STR(buf, "obj_3+0x8");
	elfsym_format(e, BASE + 0x48010, buf, sizeof(buf));
	CHECK_STR(buf, "bss_obj+0x10");
	elfsym_format(e, BASE + IMAGE_SIZE, buf, sizeof(buf));
	CHECK_STR(buf, "_end+0x0");
	elfsym_format(e, BASE + IMAGE_SIZE + 4, buf, sizeof(buf));
	CHECK_STR(buf, "0xffff800008050004");
	/* at one address the kernel's first alias: _text, not primary_entry's neighbours */
	elfsym_format(e, BASE, buf, sizeof(buf));
	CHECK_STR(buf, "_text+0x0");
	CHECK(elfsym_get(e, 0)->type == 'T');
	CHECK(elfsym_lookup(e, "kvm_hyp_14", &a, NULL) == 0);
	CHECK_EQ_U64(a, BASE + 0x1000 + 0x20 * 14);
	/* regions: code where text symbols run, data, then the bss to the header's size */
	r = elfsym_region(e, 0);
	CHECK(r && r->addr == BASE && r->size == 0x9000 && (r->flags & ELFSYM_R_EXEC));
	r = elfsym_region(e, 1);
	CHECK(r && r->addr == BASE + 0x9000 && r->size == FILE_SIZE - 0x9000 && !r->flags);
	r = elfsym_region(e, 2);
	CHECK(r && r->addr == BASE + FILE_SIZE && r->size == IMAGE_SIZE - FILE_SIZE &&
	      (r->flags & ELFSYM_R_ZERO));
	CHECK(elfsym_read(e, BASE + 0x38, buf, 4) == 0 && !memcmp(buf, "ARM\x64", 4));
	/* KASLR: move it, name run-time addresses, find the offset from one symbol */
	CHECK(elfsym_set_slide(e, 0x1234560000ull, &err) == 0);
	elfsym_format(e, BASE + 0x1234560000ull + 0x1000 + 0x20 * 5 + 0x10, buf, sizeof(buf));
	CHECK_STR(buf, "func_5+0x10");
	CHECK(elfsym_read(e, BASE + 0x1234560000ull + 0x38, buf, 4) == 0);
	CHECK(elfsym_slide_for(e, "func_5", BASE + 0x777770000ull + 0x10a0, 0x10000, &slide) == 0);
	CHECK_EQ_U64(slide, 0x777770000ull);
	CHECK(elfsym_slide_for(e, "func_5", BASE + 0x10a8, 0x10000, &slide) < 0);
	CHECK(elfsym_set_slide(e, 0, &err) == 0);
	elfsym_format(e, BASE + 0x1000 + 0x20 * 5 + 0x10, buf, sizeof(buf));
	CHECK_STR(buf, "func_5+0x10");
	/* an offset that would carry the image across the top of the address space */
	CHECK(elfsym_set_slide(e, 0 - BASE - 0x10000, &err) < 0);
	CHECK(strstr(err.msg, "across the top"));
	elfsym_close(e);
	gen_free(&g);
}

/* A vmlinux without .symtab: one PT_LOAD of the image at its link address. */
static void elfsym_stripped_vmlinux(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_FIRST, .seq_bytes = 3, .rela = true};
	size_t off = 0x10000, len = off + FILE_SIZE;
	uint8_t *f = calloc(1, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	struct fm_err err = {{0}};
	struct elfsym *e;
	char buf[64], *path;

	generate(&g);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_offset = off;
	ph->p_vaddr = ph->p_paddr = BASE;
	ph->p_filesz = FILE_SIZE;
	ph->p_memsz = IMAGE_SIZE;
	memcpy(f + off, g.img, FILE_SIZE);
	path = write_tmp(f, len);
	e = elfsym_open(path, &err);
	unlink(path);
	if (!e)
		printf("  %s\n", err.msg);
	CHECK(e);
	CHECK(elfsym_from_kallsyms(e));
	CHECK(!elfsym_is_raw(e));
	CHECK_EQ_U64(elfsym_count(e), g.n);
	elfsym_format(e, BASE + 0x1000 + 0x20 * 8 + 0xc, buf, sizeof(buf));
	CHECK_STR(buf, "func_8+0xc");
	elfsym_close(e);
	/* the same without the relocation: nothing gives the base */
	memset(f + off + RELA_AT + 24 * 4, 0, 24);
	path = write_tmp(f, len);
	e = elfsym_open(path, &err);
	unlink(path);
	CHECK(!e);
	snprintf(buf, sizeof(buf), "kallsyms_relative_base at %#" PRIx64 " is 0",
		 BASE + g.off_relbase);
	CHECK(strstr(err.msg, "no symbol table (the file is stripped), and no kallsyms: "));
	CHECK(strstr(err.msg, buf));
	free(f);
	gen_free(&g);
}

/* Loaded sections far apart in a small file (found by fuzz-elfsym): refused, not scanned. */
static void elfsym_sparse_sections(void)
{
	uint8_t f[0x400] = {0};
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	struct fm_err err = {{0}};
	struct elfsym *e;
	char *path;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	for (unsigned i = 0; i < 2; i++) {
		ph[i].p_type = PT_LOAD;
		ph[i].p_offset = 0x200;
		ph[i].p_vaddr = BASE + i * 0x30000000ull;
		ph[i].p_filesz = ph[i].p_memsz = 0x100;
	}
	path = write_tmp(f, sizeof(f));
	e = elfsym_open(path, &err);
	unlink(path);
	CHECK(!e);
	CHECK(strstr(err.msg, "over twice the file: not a kernel laid out as linked"));
}

static void elfsym_bad_files(void)
{
	static const uint8_t gz[64] = {0x1f, 0x8b, 8};
	uint8_t text[64] = "just some text, no kernel";
	struct fm_err err = {{0}};
	char *path;

	path = write_tmp(gz, sizeof(gz));
	CHECK(!elfsym_open(path, &err));
	unlink(path);
	CHECK(strstr(err.msg, "gzip-compressed: unpack it first"));
	path = write_tmp(text, sizeof(text));
	CHECK(!elfsym_open(path, &err));
	unlink(path);
	CHECK(strstr(err.msg, "not an ELF file (use --raw --base ADDR for a raw image), nor an "
			      "arm64 Linux Image"));
}

/* ---- the KASLR offset of a live target (tgtopt_symbols) ---- */

static struct gen *live_img;
static uint64_t live_slide, live_vbar;

/* QEMU's gdbstub names VBAR_EL1 "VBAR". */
static int live_sysreg(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		       struct fm_err *err)
{
	(void)t, (void)cpu;
	if (strcmp(name, "VBAR"))
		return fm_err_set(err, "no register %s", name);
	*val = live_vbar;
	return 0;
}

/* Memory holds the image at its link address + live_slide. */
static int live_read_virt(struct target *t, unsigned cpu, uint64_t va, void *buf, size_t len,
			  struct fm_err *err)
{
	uint64_t off = va - live_slide - BASE;

	(void)t, (void)cpu;
	if (off >= FILE_SIZE || len > FILE_SIZE - off)
		return fm_err_set(err, "unmapped");
	memcpy(buf, live_img->img + off, len);
	return 0;
}

static const struct target_ops live_ops = {
    .kind = "live", .sysreg = live_sysreg, .read_virt = live_read_virt};

static void kaslr_from_target(void)
{
	struct gen g = {.layout = KALLSYMS_LAYOUT_OFFSETS_LAST, .header = true, .text = true};
	struct target t = {.ops = &live_ops};
	struct fm_err err = {{0}};
	struct tgtopt o;
	struct elfsym *e = NULL;
	char buf[64], path[64];

	generate(&g);
	live_img = &g;
	tgtopt_init(&o);
	snprintf(path, sizeof(path), "%s", write_tmp(g.img, FILE_SIZE));
	o.elf = path;
	/* VBAR_EL1 at `vectors` moved by the offset: found, and every name moves with it */
	live_slide = 0x2ac07f400000ull;
	live_vbar = BASE + live_slide + 0x1800;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) == 0);
	CHECK_EQ_U64(elfsym_slide(e), live_slide);
	elfsym_format(e, BASE + live_slide + 0x1000 + 0x20 * 5 + 4, buf, sizeof(buf));
	CHECK_STR(buf, "func_5+0x4");
	elfsym_close(e);
	/* at a vector table, but the bytes there are not the image's: another kernel */
	g.img[0x1800 + 5] ^= 0xff;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) < 0);
	CHECK(strstr(err.msg, "at no EL1 vector table of"));
	CHECK(strstr(err.msg, "give --kaslr-offset"));
	g.img[0x1800 + 5] ^= 0xff;
	/* bytes the CPU cannot read (stopped in the hypervisor) are no evidence against */
	live_slide += 0x10000;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) == 0);
	CHECK_EQ_U64(elfsym_slide(e), live_slide - 0x10000);
	elfsym_close(e);
	live_slide -= 0x10000;
	/* not at a vector table modulo 64 KiB */
	live_vbar += 0x800;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) < 0);
	/* --kaslr-offset is the user's word */
	o.kaslr_given = true;
	o.kaslr_offset = 0 - 0x10000ull;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) == 0);
	CHECK_EQ_U64(elfsym_slide(e), 0 - 0x10000ull);
	elfsym_close(e);
	/* no --elf: no symbols, no error */
	o.elf = NULL;
	CHECK(tgtopt_symbols(&o, &t, &e, &err) == 0 && !e);
	unlink(path);
	gen_free(&g);
}

int main(void)
{
	RUN(layout_5_10);
	RUN(layout_6_1);
	RUN(layout_6_2);
	RUN(layout_6_12);
	RUN(layout_6_4_rela);
	RUN(long_names);
	RUN(va_known);
	RUN(bad_tables);
	RUN(bad_stored_base);
	RUN(identify);
	RUN(elfsym_image);
	RUN(elfsym_stripped_vmlinux);
	RUN(elfsym_sparse_sections);
	RUN(elfsym_bad_files);
	RUN(kaslr_from_target);
	return UNIT_EXIT();
}
