/* SPDX-License-Identifier: MIT */
#include "kallsyms.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* booting.rst: the magic "ARM\x64" at offset 0x38 of the 64-byte header. */
#define IMAGE_MAGIC_OFF 0x38
#define IMAGE_MAGIC 0x644d5241u
#define IMAGE_HDR_SIZE 64

/* R_AARCH64_RELATIVE (ELF for the Arm 64-bit Architecture, 5.7.10): r_info 1027, no symbol. */
#define R_AARCH64_RELATIVE 1027u
#define RELA_SIZE 24

/* Bounds on what a kernel's tables can be (scripts/kallsyms.c). */
#define KSYM_NAME_MAX 512	 /* KSYM_NAME_LEN since 6.1 (128 before) */
#define TOKEN_MAX 256		 /* a token never expands beyond a name */
#define SYMS_MAX (1u << 23)	 /* 8M symbols: far above any kernel */
#define NAMES_REACH (256u << 20) /* names start at most this far before the token table */
#define SEGMENT_ALIGN 0x10000u	 /* arm64 vmlinux.lds.S: the kernel image's alignment */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static size_t align8(size_t v) { return (v + 7) & ~(size_t)7; }

/* ---- what the file is ---- */

/* A B instruction (C6.2.26: 0b000101 imm26): its target, relative to itself. */
static bool branch_target(uint32_t insn, int64_t *rel)
{
	int64_t imm;

	if ((insn & 0xfc000000u) != 0x14000000u)
		return false;
	imm = insn & 0x03ffffff;
	if (imm & 0x02000000)
		imm -= 0x04000000;
	*rel = imm * 4;
	return true;
}

int kallsyms_image_header(const char *name, const uint8_t *d, size_t len, struct kallsyms_hdr *h,
			  struct fm_err *err)
{
	int64_t rel;

	memset(h, 0, sizeof(*h));
	if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return fm_err_set(err, "%s: gzip-compressed: unpack it first (gzip -dc %s > Image)",
				  name, name);
	if (len >= 4 && !memcmp(d, "\x28\xb5\x2f\xfd", 4))
		return fm_err_set(err, "%s: zstd-compressed: unpack it first (zstd -dc)", name);
	if (len >= 6 && !memcmp(d, "\xfd\x37\x7a\x58\x5a\x00", 6))
		return fm_err_set(err, "%s: xz-compressed: unpack it first (xz -dc)", name);
	if (len >= 3 && !memcmp(d, "BZh", 3))
		return fm_err_set(err, "%s: bzip2-compressed: unpack it first (bzip2 -dc)", name);
	/* drivers/firmware/efi/libstub/zboot-header.S: "MZ", "zimg", payload offset, size, type. */
	if (len >= 0x20 && d[0] == 'M' && d[1] == 'Z' && !memcmp(d + 4, "zimg", 4)) {
		char type[9] = {0};

		for (unsigned i = 0; i < 8 && isalnum(d[0x18 + i]); i++)
			type[i] = (char)d[0x18 + i];
		return fm_err_set(err,
				  "%s: a compressed EFI zboot image (vmlinuz.efi): its %s payload "
				  "is %" PRIu32 " bytes at offset %#" PRIx32
				  "; unpack it first (dd if=%s bs=1 skip=%" PRIu32 " count=%" PRIu32
				  " | %s -dc > Image)",
				  name, type[0] ? type : "compressed", rd32(d + 12), rd32(d + 8),
				  name, rd32(d + 8), rd32(d + 12), type[0] ? type : "gzip");
	}
	if (len >= 0x206 && !memcmp(d + 0x202, "HdrS", 4))
		return fm_err_set(err, "%s: an x86 Linux kernel (bzImage), not arm64", name);
	if (len >= 0x28 && rd32(d + 0x24) == 0x016f2818u)
		return fm_err_set(err, "%s: a 32-bit arm Linux kernel (zImage), not arm64", name);
	if (len >= IMAGE_HDR_SIZE &&
	    (!memcmp(d + 0x38, "RSC\x05", 4) || !memcmp(d + 0x30, "RISCV\0\0\0", 8)))
		return fm_err_set(err, "%s: a RISC-V Linux Image, not arm64", name);
	if (len < IMAGE_HDR_SIZE || rd32(d + IMAGE_MAGIC_OFF) != IMAGE_MAGIC) {
		if (len >= 2 && d[0] == 'M' && d[1] == 'Z')
			return fm_err_set(err, "%s: a PE/COFF file, not an arm64 Linux Image",
					  name);
		fm_err_set(err,
			   "%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)",
			   name);
		return -2;
	}
	h->text_offset = rd64(d + 8);
	h->image_size = rd64(d + 16);
	h->flags = rd64(d + 24);
	/* With the EFI stub, code0 is the "MZ" no-op and code1 branches to the entry. */
	if (branch_target(rd32(d), &rel) && rel >= 0) {
		h->have_entry = true;
		h->entry = (uint64_t)rel;
	} else if (branch_target(rd32(d + 4), &rel) && rel >= -4) {
		h->have_entry = true;
		h->entry = (uint64_t)(4 + rel);
	}
	return 0;
}

/* ---- the tables ---- */

struct tokens {
	const uint8_t *str[256];
	uint16_t len[256];
};

/* 256 u16 from 0, increasing (an unused token is empty: +1). */
static bool token_index_at(const uint8_t *d, size_t len, size_t o)
{
	uint16_t prev = 0;

	if (len < 512 || o > len - 512 || d[o] || d[o + 1])
		return false;
	for (unsigned i = 1; i < 256; i++) {
		uint16_t v = rd16(d + o + 2 * i);

		if (v <= prev)
			return false;
		prev = v;
	}
	return true;
}

static bool symbol_char(uint8_t c) { return c > 0x20 && c < 0x7f; }

/* Does the table at t, ending (8-aligned) at o, hold exactly the tokens of the index at o? */
static bool token_table_at(const uint8_t *d, size_t t, size_t o, struct tokens *tk)
{
	for (unsigned i = 0; i < 256; i++) {
		size_t s = t + rd16(d + o + 2 * i), e;

		if (s >= o)
			return false;
		if (i < 255) {
			e = t + rd16(d + o + 2 * i + 2) - 1;
			if (e >= o || d[e])
				return false;
		} else {
			e = s;
			while (e < o && d[e])
				e++;
			if (e >= o || align8(e + 1 - t) != o - t)
				return false;
			for (size_t p = e + 1; p < o; p++)
				if (d[p]) /* the label's alignment pads with zeros */
					return false;
		}
		for (size_t p = s; p < e; p++)
			if (!symbol_char(d[p]))
				return false;
		tk->str[i] = d + s;
		tk->len[i] = (uint16_t)(e - s);
	}
	return true;
}

static bool token_table_before(const uint8_t *d, size_t o, struct tokens *tk, size_t *tt)
{
	size_t last = rd16(d + o + 510);

	for (size_t span = align8(last + 2); span <= align8(last + 2 + TOKEN_MAX); span += 8) {
		if (span > o)
			return false;
		if (token_table_at(d, o - span, o, tk)) {
			*tt = o - span;
			return true;
		}
	}
	return false;
}

/* One name entry at p (below limit): its length and where its tokens start. */
static bool name_entry(const uint8_t *d, size_t limit, size_t p, bool big, size_t *tokens,
		       size_t *ntok)
{
	size_t l;

	if (p >= limit)
		return false;
	l = d[p++];
	if (big && (l & 0x80)) {
		if (p >= limit)
			return false;
		l = (l & 0x7f) | (size_t)d[p++] << 7;
	}
	if (!l || l > limit - p)
		return false;
	*tokens = p;
	*ntok = l;
	return true;
}

/* Expands one name into out (KSYM_NAME_MAX + 2 bytes): its length, or 0 if it is no name. */
static size_t expand_name(const uint8_t *d, size_t p, size_t ntok, const struct tokens *tk,
			  char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ntok; i++) {
		uint8_t c = d[p + i];

		if (!tk->len[c] || n + tk->len[c] > KSYM_NAME_MAX + 1)
			return 0;
		memcpy(out + n, tk->str[c], tk->len[c]);
		n += tk->len[c];
	}
	out[n] = '\0';
	/* a type letter, then a name of at least one character (printable by the table) */
	return n >= 2 && (isalpha((unsigned char)out[0]) || out[0] == '?') ? n : 0;
}

struct names {
	size_t start;
	uint32_t n;
	bool big;
	size_t markers;
	unsigned seq_bytes;
};

/*
 * Are there N names at st (N in the u32 before them), then their markers,
 * then nothing or kallsyms_seqs_of_names up to the token table at tt?
 */
static bool names_at(const uint8_t *d, size_t st, size_t tt, const struct tokens *tk, bool big,
		     struct names *nm)
{
	uint32_t n = rd32(d + st - 8), m;
	size_t p = st, ntok = 0, tokp = 0, mk, gap;
	char buf[KSYM_NAME_MAX + 2];

	if (!n || n > SYMS_MAX || rd32(d + st - 4) || (size_t)n * 2 > tt - st)
		return false;
	/* The first few names decode: a cheap test before the walk over all of them. */
	for (uint32_t i = 0; i < n && i < 8; i++) {
		if (!name_entry(d, tt, p, big, &tokp, &ntok) ||
		    !expand_name(d, tokp, ntok, tk, buf))
			return false;
		p = tokp + ntok;
	}
	p = st;
	for (uint32_t i = 0; i < n; i++) {
		if (!name_entry(d, tt, p, big, &tokp, &ntok))
			return false;
		p = tokp + ntok;
	}
	m = (n + 255) / 256;
	mk = align8(p);
	if (mk > tt || (size_t)m * 4 > tt - mk)
		return false;
	/* Each marker is where its entry starts. */
	p = st;
	for (uint32_t i = 0; i < n; i++) {
		if (!(i & 255) && rd32(d + mk + 4 * (i >> 8)) != p - st)
			return false;
		if (!name_entry(d, tt, p, big, &tokp, &ntok))
			return false;
		p = tokp + ntok;
	}
	gap = tt - align8(mk + (size_t)m * 4);
	if (gap == 0)
		nm->seq_bytes = 0;
	else if (gap == align8((size_t)n * 3))
		nm->seq_bytes = 3;
	else if (gap == align8((size_t)n * 4))
		nm->seq_bytes = 4;
	else
		return false;
	nm->start = st;
	nm->n = n;
	nm->big = big;
	nm->markers = mk;
	return true;
}

static bool names_before(const uint8_t *d, size_t tt, const struct tokens *tk, struct names *nm)
{
	size_t lo = tt > NAMES_REACH ? tt - NAMES_REACH : 0;

	for (size_t st = tt & ~(size_t)7; st >= lo + 8 && st >= 16; st -= 8) {
		/* Two-byte lengths (6.1+) first; a kernel before them never set the top bit. */
		if (names_at(d, st, tt, tk, true, nm) || names_at(d, st, tt, tk, false, nm))
			return true;
	}
	return false;
}

/* N offsets from 0, non-decreasing, most of them distinct (not a run of zeros). */
static bool offsets_at(const uint8_t *d, size_t len, size_t a, uint32_t n)
{
	uint32_t prev = 0, distinct = 1;

	if (a > len || (size_t)n * 4 > len - a || rd32(d + a))
		return false;
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = rd32(d + a + 4 * (size_t)i);

		if (v < prev)
			return false;
		distinct += v != prev;
		prev = v;
	}
	return n < 4 || distinct > n / 2;
}

/*
 * The R_AARCH64_RELATIVE entry (r_offset, r_info, r_addend: 24 bytes, 8-aligned,
 * as .rela.dyn holds them) whose r_offset is key (by_offset), or whose
 * r_offset - r_addend is key: 0 with it, -1 if there is none, -2 if several
 * disagree.
 */
static int rela_find(const uint8_t *d, size_t len, bool by_offset, uint64_t key, uint64_t *roff,
		     uint64_t *addend)
{
	int found = 0;

	for (size_t p = 0; len >= RELA_SIZE && p <= len - RELA_SIZE; p += 8) {
		uint64_t o, a;

		if (rd64(d + p + 8) != R_AARCH64_RELATIVE)
			continue;
		o = rd64(d + p);
		a = rd64(d + p + 16);
		if (by_offset ? o != key : o - a != key)
			continue;
		if (found && (o != *roff || a != *addend))
			return -2; /* two different answers: no answer */
		*roff = o;
		*addend = a;
		found = 1;
	}
	return found ? 0 : -1;
}

static ptrdiff_t find_sym(const struct kallsyms *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(kallsyms_name(k, i), name))
			return (ptrdiff_t)i;
	return -1;
}

/* Decodes every name into k (syms[].name, .type; addresses come later). */
static int decode_all(const char *fname, const uint8_t *d, const struct names *nm,
		      const struct tokens *tk, size_t tt, struct kallsyms *k, struct fm_err *err)
{
	size_t cap = (size_t)nm->n * 24 + 4096, used = 0, p = nm->start, tokp = 0, ntok = 0, l;
	char buf[KSYM_NAME_MAX + 2];

	k->syms = calloc(nm->n, sizeof(*k->syms));
	k->names = malloc(cap);
	if (!k->syms || !k->names)
		return fm_err_set(err, "%s: out of memory", fname);
	k->n = nm->n;
	for (uint32_t i = 0; i < nm->n; i++) {
		if (!name_entry(d, tt, p, nm->big, &tokp, &ntok)) /* names_at walked them */
			return fm_err_set(err, "%s: kallsyms name %" PRIu32 " is cut", fname, i);
		if (d[p] & 0x80 && nm->big)
			k->long_names = true;
		p = tokp + ntok;
		l = expand_name(d, tokp, ntok, tk, buf);
		if (!l)
			return fm_err_set(err,
					  "%s: kallsyms name %" PRIu32
					  " (at %#zx) does not decode to "
					  "a type letter and a name",
					  fname, i, tokp);
		if (used + l > cap) {
			char *n2;

			cap = cap * 2 + l;
			n2 = realloc(k->names, cap);
			if (!n2)
				return fm_err_set(err, "%s: out of memory", fname);
			k->names = n2;
		}
		k->syms[i].type = buf[0];
		k->syms[i].name = (uint32_t)used;
		memcpy(k->names + used, buf + 1, l); /* the name and its NUL */
		used += l;
	}
	return 0;
}

/*
 * The link address of data[0]: from va (an ELF), else from an anchor, a
 * symbol whose offset in the image is known (the header's entry point;
 * _text at offset 0). The relative base is the stored value, or with RELA
 * relocations (stored 0) the addend of the relocation of its field.
 */
static int resolve_base(const char *fname, const uint8_t *d, size_t len, bool va_known, uint64_t va,
			const struct kallsyms_hdr *h, bool have_hdr, const uint32_t *offs,
			struct kallsyms *k, struct fm_err *err)
{
	static const char *const entries[] = {"primary_entry", "stext"};
	uint64_t rb = rd64(d + k->off_relative_base), roff = 0, T = 0;
	ptrdiff_t anchor = -1;
	uint64_t anchor_off = 0;
	const char *anchor_what = NULL;
	int r;

	if (have_hdr && h->have_entry) {
		for (unsigned i = 0; i < 2 && anchor < 0; i++) {
			anchor = find_sym(k, entries[i]);
			anchor_what = entries[i];
		}
		anchor_off = h->entry;
	}
	if (anchor < 0 && (anchor = find_sym(k, "_text")) >= 0) {
		anchor_off = 0;
		anchor_what = "_text";
	}
	if (va_known) {
		T = va;
		if (!rb) {
			r = rela_find(d, len, true, va + k->off_relative_base, &roff, &rb);
			if (r)
				return fm_err_set(err,
						  "%s: kallsyms_relative_base at %#" PRIx64
						  " is 0 and %s relocation gives its value",
						  fname, va + k->off_relative_base,
						  r == -2 ? "more than one" : "no");
			k->base_from_rela = true;
		}
	} else {
		if (anchor < 0)
			return fm_err_set(
			    err,
			    "%s: kallsyms found, but no symbol tells where the image is "
			    "linked (no _text, and no primary_entry or stext where the "
			    "Image header's branch leads)",
			    fname);
		if (rb) {
			T = rb + offs[anchor] - anchor_off;
		} else {
			/* r_offset = T + field, r_addend = rb = T + anchor_off - offs[anchor] */
			r = rela_find(d, len, false,
				      k->off_relative_base - anchor_off + offs[anchor], &roff, &rb);
			if (r)
				return fm_err_set(
				    err,
				    "%s: kallsyms_relative_base (at offset %#zx) is 0 and %s "
				    "R_AARCH64_RELATIVE relocation gives its value (with %s at "
				    "offset %#" PRIx64 ")",
				    fname, k->off_relative_base, r == -2 ? "more than one" : "no",
				    anchor_what, anchor_off);
			T = roff - k->off_relative_base;
			k->base_from_rela = true;
		}
		if (T % SEGMENT_ALIGN || !(T >> 63))
			return fm_err_set(err,
					  "%s: kallsyms put %s at %#" PRIx64
					  ", so the image would be linked at %#" PRIx64
					  ", not a kernel address aligned to %#x",
					  fname, anchor_what, rb + offs[anchor], T, SEGMENT_ALIGN);
	}
	k->base = T;
	k->relative_base = rb;
	if (anchor >= 0 && rb + offs[anchor] != T + anchor_off)
		return fm_err_set(
		    err, "%s: kallsyms put %s at %#" PRIx64 ", but the image says %#" PRIx64, fname,
		    anchor_what, rb + offs[anchor], T + anchor_off);
	return 0;
}

/* Every address inside the image, every _text at its start, every _end at the header's size. */
static int validate(const char *fname, const struct kallsyms_hdr *h, bool have_hdr, size_t len,
		    uint64_t memsz, struct kallsyms *k, struct fm_err *err)
{
	uint64_t span = len > memsz ? len : memsz, last = 0;

	if (have_hdr && h->image_size > span)
		span = h->image_size;
	for (size_t j = 0; j < k->n; j++) {
		uint64_t a = k->syms[j].addr;
		const char *n = kallsyms_name(k, j);

		if (a < k->base || a - k->base > span)
			return fm_err_set(err,
					  "%s: kallsyms symbol %s at %#" PRIx64
					  " lies outside the image [%#" PRIx64 ", %#" PRIx64 "]",
					  fname, n, a, k->base, k->base + span);
		if (a < last) /* offsets were checked; this catches a wrapping base */
			return fm_err_set(err, "%s: kallsyms addresses are not sorted at %s", fname,
					  n);
		last = a;
		if (!strcmp(n, "_text") && a != k->base)
			return fm_err_set(err,
					  "%s: kallsyms put _text at %#" PRIx64
					  ", not at the image's start %#" PRIx64,
					  fname, a, k->base);
		if (have_hdr && h->image_size && !strcmp(n, "_end") &&
		    a - k->base != h->image_size)
			return fm_err_set(err,
					  "%s: kallsyms put _end at %#" PRIx64
					  ", but the Image header's size %#" PRIx64
					  " ends it at %#" PRIx64,
					  fname, a, h->image_size, k->base + h->image_size);
	}
	return 0;
}

/*
 * Reads the tables of one token index candidate; -1 with the reason if they
 * are not kallsyms, and in *stage how far they got (1: no token table, 2: no
 * names, 3: names but no addresses).
 */
static int read_at(const char *fname, const uint8_t *d, size_t len, size_t o, bool va_known,
		   uint64_t va, uint64_t memsz, struct kallsyms *k, int *stage, struct fm_err *err)
{
	struct kallsyms_hdr h;
	struct fm_err e2;
	struct tokens tk;
	struct names nm;
	size_t tt, cand[2];
	enum kallsyms_layout lay[2];
	uint32_t *offs = NULL;
	bool have_hdr = kallsyms_image_header(fname, d, len, &h, &e2) == 0;
	int r = -1;

	*stage = 1;
	if (!token_table_before(d, o, &tk, &tt))
		return fm_err_set(
		    err, "%s: no kallsyms token table ends at the token index at %#zx", fname, o);
	*stage = 2;
	if (!names_before(d, tt, &tk, &nm))
		return fm_err_set(err,
				  "%s: kallsyms token table at %#zx, but no symbol names before it "
				  "decode with it (count before them, markers after them)",
				  fname, tt);
	/* 6.4+: the offsets follow the token index; before: they precede the base and count. */
	cand[0] = o + 512;
	lay[0] = KALLSYMS_LAYOUT_OFFSETS_LAST;
	cand[1] = nm.start >= 16 + align8((size_t)nm.n * 4)
		      ? nm.start - 16 - align8((size_t)nm.n * 4)
		      : (size_t)-1;
	lay[1] = KALLSYMS_LAYOUT_OFFSETS_FIRST;
	*stage = 3;
	memset(k, 0, sizeof(*k));
	k->off_names = nm.start;
	k->off_markers = nm.markers;
	k->off_token_table = tt;
	k->off_token_index = o;
	k->seq_bytes = nm.seq_bytes;
	if (decode_all(fname, d, &nm, &tk, tt, k, err))
		goto out;
	offs = malloc((size_t)nm.n * sizeof(*offs));
	if (!offs) {
		r = fm_err_set(err, "%s: out of memory", fname);
		goto out;
	}
	fm_err_set(err,
		   "%s: %" PRIu32 " kallsyms names at %#zx, but no kallsyms_offsets table "
		   "(from 0, non-decreasing) before or after them (a kernel without "
		   "CONFIG_KALLSYMS_BASE_RELATIVE?)",
		   fname, nm.n, nm.start);
	for (unsigned c = 0; c < 2; c++) {
		size_t rbo = cand[c] + align8((size_t)nm.n * 4);

		if (cand[c] == (size_t)-1 || rbo > len || len - rbo < 8 ||
		    !offsets_at(d, len, cand[c], nm.n))
			continue;
		k->layout = lay[c];
		k->off_offsets = cand[c];
		k->off_relative_base = rbo;
		for (uint32_t i = 0; i < nm.n; i++)
			offs[i] = rd32(d + cand[c] + 4 * (size_t)i);
		if (resolve_base(fname, d, len, va_known, va, &h, have_hdr, offs, k, err))
			continue;
		for (uint32_t i = 0; i < nm.n; i++)
			k->syms[i].addr = k->relative_base + offs[i];
		if (validate(fname, &h, have_hdr, len, memsz, k, err))
			continue;
		r = 0;
		break;
	}
out:
	free(offs);
	if (r)
		kallsyms_free(k);
	return r;
}

int kallsyms_read(const char *name, const uint8_t *data, size_t len, bool va_known, uint64_t va,
		  uint64_t memsz, struct kallsyms *k, struct fm_err *err)
{
	int best = 0, stage;

	memset(k, 0, sizeof(*k));
	/*
	 * Every token index candidate, until one holds valid tables; of the
	 * failures, the one that got furthest is told.
	 */
	for (size_t o = 0; len >= 512 && o <= len - 512; o += 8) {
		struct fm_err e2;

		if (!token_index_at(data, len, o))
			continue;
		if (!read_at(name, data, len, o, va_known, va, va_known ? memsz : 0, k, &stage,
			     &e2))
			return 0;
		if (stage > best) {
			best = stage;
			*err = e2;
		}
	}
	if (!best)
		return fm_err_set(err,
				  "%s: no kallsyms tables (no token index: a kernel built without "
				  "CONFIG_KALLSYMS, or not a kernel)",
				  name);
	return -1;
}

void kallsyms_free(struct kallsyms *k)
{
	free(k->syms);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

const char *kallsyms_layout_name(enum kallsyms_layout l)
{
	return l == KALLSYMS_LAYOUT_OFFSETS_LAST ? "offsets last (6.4+)"
						 : "offsets first (up to 6.3)";
}
