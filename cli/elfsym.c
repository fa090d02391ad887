/* SPDX-License-Identifier: MIT */
#include "elfsym.h"

#include "kallsyms.h"

#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif

struct elfsym {
	char *path;
	uint8_t *data; /* the whole file */
	size_t len;
	bool mapped; /* data is a private mapping of the file, not a heap copy */
	bool raw;
	bool kallsyms;	     /* symbols from the kernel's kallsyms tables */
	bool regions_sorted; /* regions in address order, disjoint: binary search */
	uint64_t image_base; /* link address of data[0] for raw images */
	uint64_t slide;	     /* added to every address (elfsym_set_slide) */
	struct elfsym_region *regions;
	size_t nregions;
	struct elfsym_sym *syms;
	size_t nsyms, capsyms;
	char **names; /* owned name strings, one per symbol ever added */
	size_t nnames, capnames;
	char *pool; /* kallsyms names, referenced by syms[].name */
	char source[200];
};

/* Files from this size on are mapped, not copied: a kernel Image loads in half the time. */
#define MAP_MIN (4u << 20)

/*
 * Reads the whole file; files are images of at most a few tens of MiB. A
 * small file is copied into a heap block of its exact size (so a read past its
 * end is an ASan error in the fuzz targets), a large one mapped privately.
 */
static int read_file(const char *path, uint8_t **out, size_t *outlen, bool *mapped,
		     struct fm_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t got;

	*mapped = false;
	if (!f)
		return fm_err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fm_err_set(err, "%s: not a regular file", path);
	}
	if (st.st_size == 0) {
		fclose(f);
		return fm_err_set(err, "%s: empty file", path);
	}
	if ((uint64_t)st.st_size > (1ull << 32)) {
		fclose(f);
		return fm_err_set(err, "%s: too large (%lld bytes)", path, (long long)st.st_size);
	}
	if ((uint64_t)st.st_size >= MAP_MIN) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       fileno(f), 0);

		fclose(f);
		if (m == MAP_FAILED)
			return fm_err_set(err, "%s: %s", path, strerror(errno));
		*out = m;
		*outlen = (size_t)st.st_size;
		*mapped = true;
		return 0;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		fclose(f);
		return fm_err_set(err, "%s: out of memory", path);
	}
	got = fread(buf, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size || ferror(f)) {
		fclose(f);
		free(buf);
		return fm_err_set(err, "%s: read error", path);
	}
	fclose(f);
	*out = buf;
	*outlen = got;
	return 0;
}

static struct elfsym *elfsym_alloc(const char *path)
{
	struct elfsym *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->path = strdup(path);
	if (!e->path) {
		free(e);
		return NULL;
	}
	return e;
}

void elfsym_close(struct elfsym *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nnames; i++)
		free(e->names[i]);
	free(e->names);
	free(e->pool);
	free(e->syms);
	free(e->regions);
	if (e->mapped)
		munmap(e->data, e->len);
	else
		free(e->data);
	free(e->path);
	free(e);
}

static int add_region(struct elfsym *e, const struct elfsym_region *r, struct fm_err *err)
{
	struct elfsym_region *n = realloc(e->regions, (e->nregions + 1) * sizeof(*n));

	if (!n)
		return fm_err_set(err, "%s: out of memory", e->path);
	e->regions = n;
	e->regions[e->nregions++] = *r;
	return 0;
}

/* Appends a symbol whose name is owned elsewhere (copied by add_sym, or in e->pool). */
static int push_sym(struct elfsym *e, const char *name, uint64_t addr, uint64_t size,
		    enum elfsym_kind kind, bool global, bool sized, char type, struct fm_err *err)
{
	if (e->nsyms == e->capsyms) {
		size_t cap = e->capsyms ? e->capsyms * 2 : 256;
		struct elfsym_sym *s = realloc(e->syms, cap * sizeof(*s));

		if (!s)
			return fm_err_set(err, "%s: out of memory", e->path);
		e->syms = s;
		e->capsyms = cap;
	}
	e->syms[e->nsyms++] = (struct elfsym_sym){.addr = addr,
						  .size = size,
						  .name = name,
						  .kind = (uint8_t)kind,
						  .global = global,
						  .sized = sized,
						  .type = type};
	return 0;
}

static int add_sym(struct elfsym *e, const char *name, uint64_t addr, uint64_t size,
		   enum elfsym_kind kind, bool global, bool sized, char type, struct fm_err *err)
{
	char *copy;

	if (e->nnames == e->capnames) {
		size_t cap = e->capnames ? e->capnames * 2 : 256;
		char **p = realloc(e->names, cap * sizeof(*p));

		if (!p)
			return fm_err_set(err, "%s: out of memory", e->path);
		e->names = p;
		e->capnames = cap;
	}
	copy = strdup(name);
	if (!copy)
		return fm_err_set(err, "%s: out of memory", e->path);
	e->names[e->nnames++] = copy;
	return push_sym(e, copy, addr, size, kind, global, sized, type, err);
}

static const struct elfsym_region *region_of(const struct elfsym *e, uint64_t addr)
{
	if (e->regions_sorted) {
		size_t lo = 0, hi = e->nregions;

		while (lo < hi) { /* the first region that starts above addr */
			size_t mid = lo + (hi - lo) / 2;

			if (e->regions[mid].addr <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && addr - e->regions[lo - 1].addr < e->regions[lo - 1].size)
			return &e->regions[lo - 1];
		return NULL;
	}
	for (size_t i = 0; i < e->nregions; i++)
		if (addr >= e->regions[i].addr && addr - e->regions[i].addr < e->regions[i].size)
			return &e->regions[i];
	return NULL;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct elfsym_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1; /* functions first */
	if (x->global != y->global)
		return x->global ? -1 : 1;
	if (x->sized != y->sized)
		return x->sized ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sorts the symbols and gives unsized ones the extent up to the next symbol. */
static void finalize(struct elfsym *e)
{
	if (!e->nsyms)
		return;
	qsort(e->syms, e->nsyms, sizeof(*e->syms), sym_cmp);
	for (size_t i = 0; i < e->nsyms; i++) {
		struct elfsym_sym *s = &e->syms[i];
		const struct elfsym_region *r;
		uint64_t end = 0;

		if (s->sized)
			continue;
		r = region_of(e, s->addr);
		if (r)
			end = r->addr + r->size;
		for (size_t j = i + 1; j < e->nsyms; j++) {
			if (e->syms[j].addr > s->addr) {
				if (!end || e->syms[j].addr < end)
					end = e->syms[j].addr;
				break;
			}
		}
		s->size = end > s->addr ? end - s->addr : 0;
	}
}

/* ---- ELF ---- */

static bool range_ok(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* Checks the header tables against the file before libelf reads them. */
static int check_headers(const char *path, const uint8_t *d, size_t len, struct fm_err *err)
{
	Elf64_Ehdr eh;
	uint64_t shnum;

	if (len < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
		return fm_err_set(
		    err, "%s: not an ELF file (use --raw --base ADDR for a raw image)", path);
	if (d[EI_CLASS] != ELFCLASS64)
		return fm_err_set(err, "%s: not a 64-bit ELF file", path);
	if (d[EI_DATA] != ELFDATA2LSB)
		return fm_err_set(err, "%s: not a little-endian ELF file", path);
	if (len < sizeof(eh))
		return fm_err_set(err, "%s: truncated: %zu bytes, shorter than the ELF header",
				  path, len);
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_machine != EM_AARCH64)
		return fm_err_set(err, "%s: not an AArch64 ELF file (e_machine %u)", path,
				  eh.e_machine);
	if (eh.e_type == ET_REL)
		return fm_err_set(err, "%s: a relocatable object has no addresses: link it first",
				  path);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return fm_err_set(err, "%s: not an executable ELF file (e_type %u)", path,
				  eh.e_type);
	if (eh.e_phnum) {
		if (eh.e_phentsize != sizeof(Elf64_Phdr))
			return fm_err_set(err, "%s: bad program header size %u", path,
					  eh.e_phentsize);
		if (!range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
			return fm_err_set(err,
					  "%s: truncated: program headers at %#" PRIx64
					  " (%u entries) run past the end of the file (%zu bytes)",
					  path, (uint64_t)eh.e_phoff, eh.e_phnum, len);
	}
	if (!eh.e_shoff)
		return 0;
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return fm_err_set(err, "%s: bad section header size %u", path, eh.e_shentsize);
	shnum = eh.e_shnum;
	if (!range_ok(eh.e_shoff, sizeof(Elf64_Shdr), len))
		return fm_err_set(err,
				  "%s: truncated: section headers at %#" PRIx64
				  " lie past the end of the file (%zu bytes)",
				  path, (uint64_t)eh.e_shoff, len);
	if (shnum == 0) { /* extended numbering: the count is in section 0's sh_size */
		Elf64_Shdr s0;

		memcpy(&s0, d + eh.e_shoff, sizeof(s0));
		shnum = s0.sh_size;
	}
	if (!range_ok(eh.e_shoff, shnum * sizeof(Elf64_Shdr), len) || shnum > (1u << 20))
		return fm_err_set(err,
				  "%s: truncated: section headers at %#" PRIx64 " (%" PRIu64
				  " entries) run past the end of the file (%zu bytes)",
				  path, (uint64_t)eh.e_shoff, shnum, len);
	return 0;
}

static const char *sec_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *n = shstrndx ? elf_strptr(elf, shstrndx, sh->sh_name) : NULL;

	return n ? n : "?";
}

/* Sections (or, without any allocated section, PT_LOAD segments) become regions. */
static int load_regions(struct elfsym *e, Elf *elf, size_t shstrndx, struct fm_err *err)
{
	Elf_Scn *scn = NULL;
	size_t phnum = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		struct elfsym_region r = {0};
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return fm_err_set(err, "%s: section %zu: %s", e->path, elf_ndxscn(scn),
					  elf_errmsg(-1));
		name = sec_name(elf, shstrndx, &sh);
		if (sh.sh_type != SHT_NOBITS && !range_ok(sh.sh_offset, sh.sh_size, e->len))
			return fm_err_set(err,
					  "%s: section %zu (%s) at offset %#" PRIx64
					  " size %#" PRIx64
					  " runs past the end of the file (%zu bytes)",
					  e->path, elf_ndxscn(scn), name, (uint64_t)sh.sh_offset,
					  (uint64_t)sh.sh_size, e->len);
		if (!(sh.sh_flags & SHF_ALLOC) || !sh.sh_size)
			continue;
		if (sh.sh_addr + sh.sh_size < sh.sh_addr)
			return fm_err_set(err, "%s: section %zu (%s): address range wraps", e->path,
					  elf_ndxscn(scn), name);
		r.addr = sh.sh_addr;
		r.size = sh.sh_size;
		r.off = sh.sh_offset;
		r.flags = (sh.sh_flags & SHF_EXECINSTR ? ELFSYM_R_EXEC : 0) |
			  (sh.sh_flags & SHF_WRITE ? ELFSYM_R_WRITE : 0) |
			  (sh.sh_type == SHT_NOBITS ? ELFSYM_R_ZERO : 0);
		snprintf(r.name, sizeof(r.name), "%s", name);
		if (add_region(e, &r, err) < 0)
			return -1;
	}
	if (e->nregions)
		return 0;
	if (elf_getphdrnum(elf, &phnum) < 0)
		return fm_err_set(err, "%s: program headers: %s", e->path, elf_errmsg(-1));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct elfsym_region r = {0};

		if (!gelf_getphdr(elf, (int)i, &ph))
			return fm_err_set(err, "%s: program header %zu: %s", e->path, i,
					  elf_errmsg(-1));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (!range_ok(ph.p_offset, ph.p_filesz, e->len) || ph.p_filesz > ph.p_memsz)
			return fm_err_set(err,
					  "%s: segment %zu at offset %#" PRIx64 " size %#" PRIx64
					  " runs past the end of the file (%zu bytes)",
					  e->path, i, (uint64_t)ph.p_offset, (uint64_t)ph.p_filesz,
					  e->len);
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			return fm_err_set(err, "%s: segment %zu: address range wraps", e->path, i);
		r.addr = ph.p_vaddr;
		r.off = ph.p_offset;
		r.flags = (ph.p_flags & PF_X ? ELFSYM_R_EXEC : 0) |
			  (ph.p_flags & PF_W ? ELFSYM_R_WRITE : 0);
		snprintf(r.name, sizeof(r.name), "segment%zu", i);
		if (ph.p_filesz) {
			r.size = ph.p_filesz;
			if (add_region(e, &r, err) < 0)
				return -1;
		}
		if (ph.p_memsz > ph.p_filesz) {
			r.addr += ph.p_filesz;
			r.size = ph.p_memsz - ph.p_filesz;
			r.flags |= ELFSYM_R_ZERO;
			if (add_region(e, &r, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int load_symtab(struct elfsym *e, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, size_t shnum,
		       struct fm_err *err)
{
	Elf_Scn *strscn;
	GElf_Shdr strsh;
	Elf_Data *data;
	size_t n;

	if (sh->sh_entsize != sizeof(Elf64_Sym))
		return fm_err_set(err, "%s: symbol table entry size %" PRIu64 ", expected %zu",
				  e->path, (uint64_t)sh->sh_entsize, sizeof(Elf64_Sym));
	if (sh->sh_link == 0 || sh->sh_link >= shnum || !(strscn = elf_getscn(elf, sh->sh_link)) ||
	    !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
		return fm_err_set(err, "%s: symbol table links to section %u, not a string table",
				  e->path, sh->sh_link);
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return fm_err_set(err, "%s: symbol table: %s", e->path,
				  data ? "no data" : elf_errmsg(-1));
	n = data->d_size / sizeof(Elf64_Sym);
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		const char *name;
		unsigned type;
		enum elfsym_kind kind;
		const struct elfsym_region *r;
		char letter;

		if (!gelf_getsym(data, (int)i, &s))
			return fm_err_set(err, "%s: symbol %zu: %s", e->path, i, elf_errmsg(-1));
		type = GELF_ST_TYPE(s.st_info);
		if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS ||
		    (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS &&
		     type != STT_NOTYPE && type != STT_GNU_IFUNC))
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name)
			return fm_err_set(err,
					  "%s: symbol %zu: name offset %u is outside the string "
					  "table",
					  e->path, i, s.st_name);
		/* Mapping symbols ($x, $d) and local labels name no entity. */
		if (!*name || name[0] == '$' || !strncmp(name, ".L", 2))
			continue;
		r = region_of(e, s.st_value);
		if (type == STT_FUNC || type == STT_GNU_IFUNC)
			kind = ELFSYM_FUNC;
		else if (type == STT_NOTYPE)
			kind = r && (r->flags & ELFSYM_R_EXEC) ? ELFSYM_LABEL : ELFSYM_OBJECT;
		else
			kind = ELFSYM_OBJECT;
		/* nm's letters: code, bss, writable data, read-only data; upper case if global */
		letter = kind != ELFSYM_OBJECT		     ? 't'
			 : r && (r->flags & ELFSYM_R_ZERO)  ? 'b'
			 : r && (r->flags & ELFSYM_R_WRITE) ? 'd'
							    : 'r';
		if (GELF_ST_BIND(s.st_info) == STB_WEAK)
			letter = kind == ELFSYM_OBJECT ? 'v' : 'w';
		if (GELF_ST_BIND(s.st_info) != STB_LOCAL)
			letter = (char)toupper((unsigned char)letter);
		if (add_sym(e, name, s.st_value, s.st_size, kind,
			    GELF_ST_BIND(s.st_info) != STB_LOCAL, s.st_size != 0, letter, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- Linux kernels without a symbol table: their kallsyms ---- */

/* The types /proc/kallsyms gives code: functions (t, T) and weak symbols (w, W). */
static bool kallsyms_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* Adds k's symbols; e takes k's names. */
static int add_kallsyms(struct elfsym *e, struct kallsyms *k, struct fm_err *err)
{
	for (size_t i = 0; i < k->n; i++) {
		char t = k->syms[i].type;
		bool end;

		if (strchr("aAuUnN", t)) /* absolute, undefined, debugging: no place in the image */
			continue;
		/*
		 * The ends of the ranges the kernel names (kernel/kallsyms.c
		 * get_symbol_pos) name only their own address.
		 */
		end = !strcmp(kallsyms_name(k, i), "_etext") ||
		      !strcmp(kallsyms_name(k, i), "_einittext") ||
		      !strcmp(kallsyms_name(k, i), "_end");
		if (push_sym(e, kallsyms_name(k, i), k->syms[i].addr, 0,
			     kallsyms_text(t) ? ELFSYM_FUNC : ELFSYM_OBJECT, isupper((unsigned char)t),
			     end, t, err) < 0)
			return -1;
		e->syms[e->nsyms - 1].rank = (uint32_t)i + 1;
	}
	snprintf(e->source, sizeof(e->source),
		 "kallsyms: %zu symbols, %s%s, relative base %s, linked at %#" PRIx64, k->n,
		 kallsyms_layout_name(k->layout), k->seq_bytes ? " with seqs_of_names" : "",
		 k->base_from_rela ? "from .rela.dyn" : "stored", k->base);
	e->pool = k->names;
	k->names = NULL;
	e->kallsyms = true;
	return 0;
}

static int add_span(struct elfsym *e, uint64_t lo, uint64_t hi, bool text, struct fm_err *err)
{
	struct elfsym_region r = {.addr = lo,
				  .size = hi - lo,
				  .off = lo - e->image_base,
				  .flags = text ? ELFSYM_R_EXEC : 0};

	snprintf(r.name, sizeof(r.name), "%s", text ? "text" : "data");
	return hi > lo ? add_region(e, &r, err) : 0;
}

/*
 * An Image's regions, in address order: runs of text symbols are code, the
 * rest is data; past the file's end, up to the header's image size, the bss.
 * kallsyms' text ranges end with a marker (_etext, _einittext): a run of text
 * symbols that ends the table ends at its last symbol.
 */
static int image_regions(struct elfsym *e, const struct kallsyms *k, uint64_t image_size,
			 struct fm_err *err)
{
	uint64_t end = e->image_base + e->len, start = e->image_base, last = start;
	bool text = false;

	for (size_t i = 0; i < k->n;) {
		uint64_t a = k->syms[i].addr;
		bool t = false;

		for (; i < k->n && k->syms[i].addr == a; i++)
			t |= kallsyms_text(k->syms[i].type);
		if (a >= end)
			break;
		last = a;
		if (t != text) {
			if (add_span(e, start, a, text, err) < 0)
				return -1;
			start = a;
			text = t;
		}
	}
	if (text && last > start) {
		if (add_span(e, start, last, true, err) < 0)
			return -1;
		start = last;
	}
	if (add_span(e, start, end, false, err) < 0)
		return -1;
	if (image_size > e->len) {
		struct elfsym_region r = {.addr = end,
					  .size = image_size - e->len,
					  .flags = ELFSYM_R_WRITE | ELFSYM_R_ZERO,
					  .name = "bss"};

		if (add_region(e, &r, err) < 0)
			return -1;
	}
	e->regions_sorted = true;
	return 0;
}

/* A file that is not ELF: an arm64 Linux Image, named by its kallsyms. */
static int open_image(struct elfsym *e, struct fm_err *err)
{
	struct kallsyms_hdr h;
	struct kallsyms k;
	int r = kallsyms_image_header(e->path, e->data, e->len, &h, err);

	if (r == -2)
		return fm_err_set(err,
				  "%s: not an ELF file (use --raw --base ADDR for a raw image), nor "
				  "an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)",
				  e->path);
	if (r < 0 || kallsyms_read(e->path, e->data, e->len, false, 0, 0, &k, err) < 0)
		return -1;
	e->raw = true;
	e->image_base = k.base;
	if (k.base + (e->len - 1) < k.base) {
		kallsyms_free(&k);
		return fm_err_set(err, "%s: linked at %#" PRIx64 ", its %zu bytes wrap around",
				  e->path, k.base, e->len);
	}
	r = image_regions(e, &k, h.image_size, err) < 0 || add_kallsyms(e, &k, err) < 0 ? -1 : 0;
	kallsyms_free(&k);
	if (!r)
		finalize(e);
	return r;
}

/* A vmlinux without .symtab: its loaded bytes laid out by address, read for kallsyms. */
static int elf_kallsyms(struct elfsym *e, struct fm_err *err)
{
	uint64_t lo = UINT64_MAX, hi = 0, top = 0;
	struct kallsyms k;
	uint8_t *flat;
	int r;

	for (size_t i = 0; i < e->nregions; i++) {
		const struct elfsym_region *x = &e->regions[i];

		top = x->addr + x->size > top ? x->addr + x->size : top;
		if (x->flags & ELFSYM_R_ZERO)
			continue;
		lo = x->addr < lo ? x->addr : lo;
		hi = x->addr + x->size > hi ? x->addr + x->size : hi;
	}
	if (lo >= hi)
		return fm_err_set(err, "%s: no loaded bytes to search", e->path);
	lo &= ~7ull; /* the tables are 8-aligned by address */
	/* A kernel's loaded sections lie close together, as in its file. */
	if (hi - lo > 2 * (uint64_t)e->len + (1u << 20))
		return fm_err_set(err,
				  "%s: the loaded sections span %#" PRIx64
				  " bytes, over twice the file: not a kernel laid out as linked",
				  e->path, hi - lo);
	flat = calloc(1, (size_t)(hi - lo));
	if (!flat)
		return fm_err_set(err, "%s: out of memory", e->path);
	for (size_t i = 0; i < e->nregions; i++) {
		const struct elfsym_region *x = &e->regions[i];

		if (!(x->flags & ELFSYM_R_ZERO))
			memcpy(flat + (x->addr - lo), e->data + x->off, (size_t)x->size);
	}
	r = kallsyms_read(e->path, flat, (size_t)(hi - lo), true, lo, top - lo, &k, err);
	free(flat);
	if (r < 0)
		return -1;
	r = add_kallsyms(e, &k, err);
	kallsyms_free(&k);
	return r;
}

struct elfsym *elfsym_open(const char *path, struct fm_err *err)
{
	struct elfsym *e = elfsym_alloc(path);
	Elf *elf = NULL;
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr symsh = {0};
	size_t shnum = 0, shstrndx = 0;

	if (!e) {
		fm_err_set(err, "%s: out of memory", path);
		return NULL;
	}
	if (read_file(path, &e->data, &e->len, &e->mapped, err) < 0)
		goto fail;
	if (e->len < SELFMAG || memcmp(e->data, ELFMAG, SELFMAG)) {
		if (open_image(e, err) < 0)
			goto fail;
		return e;
	}
	if (check_headers(path, e->data, e->len, err) < 0)
		goto fail;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fm_err_set(err, "libelf: %s", elf_errmsg(-1));
		goto fail;
	}
	elf = elf_memory((char *)e->data, e->len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		fm_err_set(err, "%s: %s", path, elf ? "not an ELF file" : elf_errmsg(-1));
		goto fail;
	}
	if (elf_getshdrnum(elf, &shnum) < 0 || elf_getshdrstrndx(elf, &shstrndx) < 0) {
		fm_err_set(err, "%s: section headers: %s", path, elf_errmsg(-1));
		goto fail;
	}
	if (shstrndx >= shnum)
		shstrndx = 0;
	if (load_regions(e, elf, shstrndx, err) < 0)
		goto fail;
	/* The full symbol table if there is one, else the dynamic one. */
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !symscn)) {
			symscn = scn;
			symsh = sh;
		}
	}
	if (!symscn) {
		struct fm_err e2;
		const char *why = e2.msg;

		/* A Linux kernel carries its own symbols. */
		if (!elf_kallsyms(e, &e2))
			goto done;
		if (!strncmp(why, path, strlen(path)) && !strncmp(why + strlen(path), ": ", 2))
			why += strlen(path) + 2;
		fm_err_set(err, "%s: no symbol table (the file is stripped), and no kallsyms: %s",
			   path, why);
		goto fail;
	}
	if (load_symtab(e, elf, symscn, &symsh, shnum, err) < 0)
		goto fail;
	snprintf(e->source, sizeof(e->source), "ELF symbol table (%s)",
		 symsh.sh_type == SHT_SYMTAB ? ".symtab" : ".dynsym");
	if (!e->nsyms) {
		fm_err_set(err, "%s: the symbol table names no function or object", path);
		goto fail;
	}
done:
	elf_end(elf);
	finalize(e);
	return e;
fail:
	if (elf)
		elf_end(elf);
	elfsym_close(e);
	return NULL;
}

/* ---- raw images and System.map ---- */

struct elfsym *elfsym_open_raw(const char *path, uint64_t base, struct fm_err *err)
{
	struct elfsym *e = elfsym_alloc(path);
	struct elfsym_region r = {.addr = base, .flags = ELFSYM_R_EXEC, .name = "image"};

	if (!e) {
		fm_err_set(err, "%s: out of memory", path);
		return NULL;
	}
	if (read_file(path, &e->data, &e->len, &e->mapped, err) < 0)
		goto fail;
	if (base + e->len - 1 < base) {
		fm_err_set(err, "%s: %zu bytes at base %#" PRIx64 " wrap around the address space",
			   path, e->len, base);
		goto fail;
	}
	e->raw = true;
	r.size = e->len;
	if (add_region(e, &r, err) < 0)
		goto fail;
	return e;
fail:
	elfsym_close(e);
	return NULL;
}

int elfsym_load_map(struct elfsym *e, const char *path, struct fm_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, added = 0;
	ssize_t got;
	int rc = 0;

	if (!f)
		return fm_err_set(err, "%s: %s", path, strerror(errno));
	while ((got = getline(&line, &cap, f)) >= 0) {
		char *p = line, *end, *name;
		uint64_t addr;
		char type;
		enum elfsym_kind kind;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\0' || *p == '#')
			continue;
		if (!isxdigit((unsigned char)*p)) {
			rc = fm_err_set(err, "%s:%zu: expected 'ADDRESS TYPE NAME'", path, lineno);
			break;
		}
		errno = 0;
		addr = strtoull(p, &end, 16);
		if (errno || (*end != ' ' && *end != '\t')) {
			rc = fm_err_set(err, "%s:%zu: bad address", path, lineno);
			break;
		}
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		type = *p;
		if (!isalpha((unsigned char)type) || (p[1] != ' ' && p[1] != '\t')) {
			rc = fm_err_set(
			    err, "%s:%zu: expected a one-letter symbol type after the address",
			    path, lineno);
			break;
		}
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		p += strcspn(p, " \t\r\n");
		*p = '\0';
		if (!*name) {
			rc = fm_err_set(err, "%s:%zu: missing symbol name", path, lineno);
			break;
		}
		switch (type) {
		case 't':
		case 'T':
		case 'w':
		case 'W':
		case 'i':
			kind = ELFSYM_FUNC;
			break;
		case 'd':
		case 'D':
		case 'b':
		case 'B':
		case 'r':
		case 'R':
		case 'g':
		case 'G':
		case 's':
		case 'S':
		case 'v':
		case 'V':
			kind = ELFSYM_OBJECT;
			break;
		default: /* absolute, undefined, debugging ... */
			continue;
		}
		if (name[0] == '$')
			continue;
		if (add_sym(e, name, addr, 0, kind, isupper((unsigned char)type), false, type, err) <
		    0) {
			rc = -1;
			break;
		}
		added++;
	}
	if (!rc && ferror(f))
		rc = fm_err_set(err, "%s: read error", path);
	if (!rc && !added)
		rc = fm_err_set(err, "%s: no symbols", path);
	if (!rc) {
		size_t l = strlen(e->source);

		snprintf(e->source + l, sizeof(e->source) - l, "%sSystem.map (%zu symbols)",
			 l ? " + " : "", added);
	}
	free(line);
	fclose(f);
	finalize(e);
	return rc;
}

/* ---- queries ---- */

int elfsym_lookup(struct elfsym *e, const char *name, uint64_t *addr, uint64_t *size)
{
	const struct elfsym_sym *best = NULL;

	for (size_t i = 0; i < e->nsyms; i++) {
		const struct elfsym_sym *s = &e->syms[i];

		if (strcmp(s->name, name))
			continue;
		if (!best || (s->global && !best->global))
			best = s;
	}
	if (!best)
		return -1;
	*addr = best->addr;
	if (size)
		*size = best->size;
	return 0;
}

static bool contains(const struct elfsym_sym *s, uint64_t addr)
{
	return addr == s->addr || addr - s->addr < s->size;
}

const struct elfsym_sym *elfsym_find(struct elfsym *e, uint64_t addr)
{
	size_t lo = 0, hi = e->nsyms;

	/* First symbol above addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Walk back over a few address groups: the closest symbol that contains addr. */
	for (unsigned groups = 0; lo > 0 && groups < 64; groups++) {
		size_t end = lo, first = lo - 1;

		while (first > 0 && e->syms[first - 1].addr == e->syms[end - 1].addr)
			first--;
		for (size_t i = first; i < end; i++)
			if (contains(&e->syms[i], addr))
				return &e->syms[i];
		lo = first;
	}
	return NULL;
}

const char *elfsym_symbolize(struct elfsym *e, uint64_t addr, uint64_t *off)
{
	const struct elfsym_sym *s = elfsym_find(e, addr);

	if (!s)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return s->name;
}

size_t elfsym_format(struct elfsym *e, uint64_t addr, char *buf, size_t n)
{
	uint64_t off;
	const char *name = e ? elfsym_symbolize(e, addr, &off) : NULL;
	int r;

	if (name)
		r = snprintf(buf, n, "%s+0x%" PRIx64, name, off);
	else
		r = snprintf(buf, n, "%#" PRIx64, addr);
	return r < 0 ? 0 : (size_t)r;
}

const uint8_t *elfsym_bytes(struct elfsym *e, uint64_t addr, size_t len)
{
	const struct elfsym_region *r = region_of(e, addr);

	if (!r || (r->flags & ELFSYM_R_ZERO) || len > r->size - (addr - r->addr))
		return NULL;
	return e->data + r->off + (addr - r->addr);
}

int elfsym_read(struct elfsym *e, uint64_t addr, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		const struct elfsym_region *r = region_of(e, addr);
		uint64_t in, chunk;

		if (!r)
			return -1;
		in = addr - r->addr;
		chunk = r->size - in < len ? r->size - in : len;
		if (r->flags & ELFSYM_R_ZERO)
			memset(out, 0, chunk);
		else
			memcpy(out, e->data + r->off + in, chunk);
		out += chunk;
		addr += chunk;
		len -= chunk;
	}
	return 0;
}

size_t elfsym_count(const struct elfsym *e) { return e->nsyms; }

const struct elfsym_sym *elfsym_get(const struct elfsym *e, size_t i)
{
	return i < e->nsyms ? &e->syms[i] : NULL;
}

size_t elfsym_nregions(const struct elfsym *e) { return e->nregions; }

const struct elfsym_region *elfsym_region(const struct elfsym *e, size_t i)
{
	return i < e->nregions ? &e->regions[i] : NULL;
}

bool elfsym_is_raw(const struct elfsym *e) { return e->raw; }

bool elfsym_from_kallsyms(const struct elfsym *e) { return e->kallsyms; }

const char *elfsym_source(const struct elfsym *e) { return e->source[0] ? e->source : "no symbols"; }

uint64_t elfsym_image_base(const struct elfsym *e) { return e->raw ? e->image_base : 0; }

uint64_t elfsym_slide(const struct elfsym *e) { return e->slide; }

int elfsym_set_slide(struct elfsym *e, uint64_t slide, struct fm_err *err)
{
	uint64_t d = slide - e->slide, lo = UINT64_MAX, hi = 0;

	/* Everything moves as one span: it must not cross the top of the address space. */
	for (size_t i = 0; i < e->nregions; i++) {
		lo = e->regions[i].addr < lo ? e->regions[i].addr : lo;
		if (e->regions[i].size && e->regions[i].addr + (e->regions[i].size - 1) > hi)
			hi = e->regions[i].addr + (e->regions[i].size - 1);
	}
	if (e->nsyms) {
		lo = e->syms[0].addr < lo ? e->syms[0].addr : lo;
		hi = e->syms[e->nsyms - 1].addr > hi ? e->syms[e->nsyms - 1].addr : hi;
	}
	if (lo <= hi && lo + d > hi + d)
		return fm_err_set(err,
				  "%s: an offset of %#" PRIx64 " moves [%#" PRIx64 ", %#" PRIx64
				  "] across the top of the address space",
				  e->path, slide, lo - e->slide, hi - e->slide);
	for (size_t i = 0; i < e->nregions; i++)
		e->regions[i].addr += d;
	for (size_t i = 0; i < e->nsyms; i++)
		e->syms[i].addr += d;
	e->slide = slide;
	return 0;
}

int elfsym_slide_for(struct elfsym *e, const char *name, uint64_t runtime, uint64_t align,
		     uint64_t *slide)
{
	uint64_t addr, s;

	if (elfsym_lookup(e, name, &addr, NULL))
		return -1;
	s = runtime - (addr - e->slide);
	if (align && (s & (align - 1)))
		return -1;
	*slide = s;
	return 0;
}
