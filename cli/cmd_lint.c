/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl lint FILE: finds every TLBI in the executable code of an AArch64
 * image and checks the maintenance sequence around it (lintseq.c) without
 * running it. The image is an ELF (symbols and sections from libelf), a Linux
 * kernel named by its kallsyms (elfsym.c opens both), or a raw image at a base
 * address with optional System.map symbols.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "bbm.h"
#include "cmds.h"
#include "disasm.h"
#include "elfsym.h"
#include "err.h"
#include "event.h"
#include "lintseq.h"
#include "print.h"
#include "rules.h"
#include "sarif.h"
#include "tgtopt.h"

/* Code no symbol bounds: analysed this far on each side of a site. */
#define PSEUDO_REACH (16u * 1024)
/* Larger "functions" (a derived size over a data area) are treated as unbounded code. */
#define MAX_FUNC_SIZE (1u << 20)

struct lint_opts {
	const char *file;
	const char *symbols;
	bool raw, base_given, json, sites, sarif;
	uint64_t base;
	unsigned seq_opts;
	const char **funcs, **privs;
	size_t nfuncs, nprivs;
};

struct lint_state {
	const struct lint_opts *o;
	struct elfsym *e;
	unsigned functions, sites, errors, warnings;
	/* findings of the current site, printed after its site line */
	struct lintseq_finding *pend;
	size_t npend, cappend;
	bool oom;
	/* callees already judged by call_transparent() */
	struct callee {
		uint64_t addr;
		uint8_t state; /* CALLEE_* */
	} * callees;
	size_t ncallees, capcallees;
};

enum { CALLEE_BUSY, CALLEE_PLAIN, CALLEE_MAINT };
/* How far call_transparent() follows calls, and the largest callee it reads. */
#define CALLEE_DEPTH 4
#define CALLEE_MAX_SIZE (64u * 1024)

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: fixmapctl lint [options] FILE\n"
	       "\n"
	       "Finds every TLBI in the executable code of an AArch64 ELF file (or raw\n"
	       "image) and checks the maintenance sequence around it within its function:\n"
	       "broadcast, DSB before and after, the DSB's domain, ISB, and stage-1\n"
	       "invalidation after a stage-2 one. A Linux kernel without a symbol table\n"
	       "(an arm64 Image such as Debian's vmlinuz, a stripped vmlinux) is named by\n"
	       "its own kallsyms: every site in its function.\n"
	       "\n"
	       "options:\n"
	       "  --func SYM             check only this function (repeatable)\n"
	       "  --private SYM          SYM maintains a table only its own CPU walks: local\n"
	       "                         TLBIs and NSH barriers are right there (repeatable)\n"
	       "  --raw --base ADDR      FILE is raw bytes loaded at ADDR (no symbols recovered)\n"
	       "  --symbols FILE         System.map-style symbols (\"ADDR TYPE NAME\" lines)\n"
	       "  --policy P             arm (default), linux, or strict: with strict, a DSB a\n"
	       "                         caller or callee may provide is an error, not a warning\n"
	       "  --sites                list every TLBI site, with or without findings\n"
	       "  -j, --json             JSON Lines: one object per finding (and site), then a\n"
	       "                         summary object\n"
	       "  --sarif                a SARIF 2.1.0 log instead (for code-scanning tools and\n"
	       "                         IDEs): the rules below, one result per finding\n"
	       "  -h, --help             this help\n"
	       "\n"
	       "Exit status: 0 no error findings, 1 error findings, 2 bad input.\n");
	rules_usage(f);
}

static int add_name(const char ***list, size_t *n, const char *name, struct fm_err *err)
{
	const char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l)
		return fm_err_set(err, "out of memory");
	l[(*n)++] = name;
	*list = l;
	return 0;
}

static bool in_list(const char **list, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

enum { O_FUNC = 0x100, O_PRIVATE, O_RAW, O_BASE, O_SYMBOLS, O_POLICY, O_SITES, O_SARIF };

static int parse(int argc, char **argv, struct lint_opts *o, struct fm_err *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {"func", required_argument, NULL, O_FUNC},
					     {"private", required_argument, NULL, O_PRIVATE},
					     {"raw", no_argument, NULL, O_RAW},
					     {"base", required_argument, NULL, O_BASE},
					     {"symbols", required_argument, NULL, O_SYMBOLS},
					     {"policy", required_argument, NULL, O_POLICY},
					     {"sites", no_argument, NULL, O_SITES},
					     {"sarif", no_argument, NULL, O_SARIF},
					     {NULL, 0, NULL, 0}};
	enum bbm_policy policy;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			return 1;
		case O_FUNC:
			if (add_name(&o->funcs, &o->nfuncs, optarg, err))
				return -1;
			break;
		case O_PRIVATE:
			if (add_name(&o->privs, &o->nprivs, optarg, err))
				return -1;
			break;
		case O_RAW:
			o->raw = true;
			break;
		case O_BASE:
			if (tgtopt_parse_u64(optarg, &o->base))
				return fm_err_set(err, "--base '%s': expected an address", optarg);
			o->base_given = true;
			break;
		case O_SYMBOLS:
			o->symbols = optarg;
			break;
		case O_POLICY:
			if (bbm_policy_parse(optarg, &policy))
				return fm_err_set(
				    err, "--policy '%s': expected arm, linux or strict", optarg);
			if (policy == BBM_POLICY_STRICT)
				o->seq_opts |= LINTSEQ_STRICT;
			break;
		case O_SITES:
			o->sites = true;
			break;
		case O_SARIF:
			o->sarif = true;
			break;
		case ':':
			return fm_err_set(err, "%s: missing argument", argv[optind - 1]);
		default:
			return fm_err_set(err, "%s: unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return fm_err_set(err, "missing FILE");
	o->file = argv[optind];
	if (optind + 1 < argc)
		return fm_err_set(err, "'%s': unexpected argument", argv[optind + 1]);
	if (o->raw && !o->base_given)
		return fm_err_set(err, "--raw needs --base ADDR (the image's load address)");
	if (o->base_given && !o->raw)
		return fm_err_set(err, "--base is only for a raw image (--raw)");
	if (o->sarif && (o->json || o->sites))
		return fm_err_set(err, "--sarif is a format of its own: not with -j or --sites");
	return 0;
}

/* ---- output ---- */

static void print_window(const struct lintseq_func *f, const struct lintseq_finding *fd)
{
	print_arr_begin("window");
	for (size_t i = fd->lo; i <= fd->hi && i < f->n; i++) {
		const struct lintseq_insn *in = &f->insns[i];
		uint8_t b[4] = {(uint8_t)in->word, (uint8_t)(in->word >> 8),
				(uint8_t)(in->word >> 16), (uint8_t)(in->word >> 24)};
		char text[96];

		disasm_insn(in->addr, b, 4, text, sizeof(text));
		print_obj_begin(NULL);
		print_text("   %s ", i == fd->site ? ">" : i == fd->at ? "*" : " ");
		print_hex("addr", "%#018" PRIx64, in->addr);
		if (f->name)
			print_hex("offset", "  +0x%-5" PRIx64, in->addr - f->start);
		print_hex("word", NULL, in->word);
		print_str("insn", "  %s", text);
		print_obj_end();
	}
	print_arr_end();
}

static void print_where(const struct lintseq_func *f, uint64_t addr, const char *sep)
{
	if (f->name) {
		print_str("func", "%s", f->name);
		print_hex("offset", "+0x%" PRIx64, addr - f->start);
		print_hex("addr", " (%#" PRIx64 ")", addr);
	} else {
		print_null("func", NULL);
		print_null("offset", NULL);
		print_hex("addr", "%#" PRIx64, addr);
	}
	print_text("%s", sep);
}

/* The file offset of the instruction at addr, when a region of the file holds it. */
static bool file_offset(struct elfsym *e, uint64_t addr, uint64_t *off)
{
	for (size_t r = 0; r < elfsym_nregions(e); r++) {
		const struct elfsym_region *x = elfsym_region(e, r);

		if (!(x->flags & ELFSYM_R_ZERO) && addr >= x->addr && addr - x->addr < x->size) {
			*off = x->off + (addr - x->addr);
			return true;
		}
	}
	return false;
}

static void sarif_finding(struct lint_state *st, const struct lintseq_func *f,
			  const struct lintseq_finding *fd)
{
	const struct lintseq_insn *site = &f->insns[fd->site], *at = &f->insns[fd->at];
	struct sarif_loc l = {.addr = site->addr, .func = f->name, .func_off = site->addr - f->start};
	struct sarif_loc rel = {.addr = at->addr, .func = f->name, .func_off = at->addr - f->start};
	uint8_t b[4] = {(uint8_t)at->word, (uint8_t)(at->word >> 8), (uint8_t)(at->word >> 16),
			(uint8_t)(at->word >> 24)};
	char text[96], msg[160];

	l.has_off = file_offset(st->e, l.addr, &l.file_off);
	rel.has_off = file_offset(st->e, rel.addr, &rel.file_off);
	disasm_insn(at->addr, b, 4, text, sizeof(text));
	snprintf(msg, sizeof(msg), "the instruction the finding points at: %s", text);
	rel.message = msg;
	sarif_result(fd->rule, fd->severity != LINTSEQ_ERROR, fd->message, &l,
		     fd->at != fd->site ? &rel : NULL);
}

static void print_finding(struct lint_state *st, const struct lintseq_func *f,
			  const struct lintseq_finding *fd)
{
	if (st->o->sarif) {
		sarif_finding(st, f, fd);
		if (fd->severity == LINTSEQ_ERROR)
			st->errors++;
		else
			st->warnings++;
		return;
	}
	{
	const struct lintseq_insn *site = &f->insns[fd->site];
	uint8_t b[4] = {(uint8_t)site->word, (uint8_t)(site->word >> 8),
			(uint8_t)(site->word >> 16), (uint8_t)(site->word >> 24)};
	char text[96];

	disasm_insn(site->addr, b, 4, text, sizeof(text));
	print_obj_begin(NULL);
	print_where(f, site->addr, ": ");
	print_str("severity", "%s: ", fd->severity == LINTSEQ_ERROR ? "error" : "warning");
	print_str("rule", "%s: ", fd->rule);
	print_str("insn", NULL, text);
	print_str("message", "%s\n", fd->message);
	print_window(f, fd);
	print_obj_end();
	if (fd->severity == LINTSEQ_ERROR)
		st->errors++;
	else
		st->warnings++;
	}
}

static void collect(const struct lintseq_func *f, const struct lintseq_finding *fd, void *arg)
{
	struct lint_state *st = arg;

	(void)f;
	if (st->npend == st->cappend) {
		size_t cap = st->cappend ? 2 * st->cappend : 8;
		struct lintseq_finding *p = realloc(st->pend, cap * sizeof(*p));

		if (!p) {
			st->oom = true;
			return;
		}
		st->pend = p;
		st->cappend = cap;
	}
	st->pend[st->npend++] = *fd;
}

static void print_site(const struct lintseq_func *f, size_t i, size_t nfindings)
{
	const struct lintseq_insn *in = &f->insns[i];
	uint8_t b[4] = {(uint8_t)in->word, (uint8_t)(in->word >> 8), (uint8_t)(in->word >> 16),
			(uint8_t)(in->word >> 24)};
	char text[96];

	disasm_insn(in->addr, b, 4, text, sizeof(text));
	print_obj_begin(NULL);
	print_where(f, in->addr, ": ");
	print_str("site", "%s", text);
	print_uint("findings", nfindings ? "  (%" PRIu64 " findings)" : NULL, nfindings);
	print_obj_end();
}

/* ---- code discovery ---- */

static uint32_t word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct site_list {
	uint64_t *addr;
	size_t n, cap;
};

/* Every TLBI word in the executable regions, in address order. */
static int find_sites(struct elfsym *e, struct site_list *sl, struct fm_err *err)
{
	for (size_t r = 0; r < elfsym_nregions(e); r++) {
		const struct elfsym_region *reg = elfsym_region(e, r);
		uint64_t a = (reg->addr + 3) & ~3ull, end = reg->addr + reg->size;
		const uint8_t *p;

		if (!(reg->flags & ELFSYM_R_EXEC) || (reg->flags & ELFSYM_R_ZERO) || end - a < 4)
			continue;
		p = elfsym_bytes(e, a, (size_t)((end - a) & ~3ull));
		if (!p)
			continue;
		for (uint64_t off = 0; off + 4 <= end - a; off += 4) {
			unsigned opt, rt;

			if (arm64_decode_maint(word_at(p + off), &opt, &rt) != FM_EV_TLBI)
				continue;
			if (sl->n == sl->cap) {
				size_t cap = sl->cap ? sl->cap * 2 : 64;
				uint64_t *n = realloc(sl->addr, cap * sizeof(*n));

				if (!n)
					return fm_err_set(err, "out of memory");
				sl->addr = n;
				sl->cap = cap;
			}
			sl->addr[sl->n++] = a + off;
		}
	}
	return 0;
}

/*
 * Without a symbol there are no function bounds: the code within PSEUDO_REACH
 * of the site stands for its function. Compilers put cold blocks after the
 * return and branch back, so stopping at returns would cut paths short; the
 * control flow itself ends paths at returns, and a function's entry is where
 * no instruction leads (the one before it returns or branches away).
 */
static void pseudo_bounds(struct elfsym *e, uint64_t site, uint64_t *start, uint64_t *end)
{
	*start = site;
	*end = site + 4;
	for (size_t r = 0; r < elfsym_nregions(e); r++) {
		const struct elfsym_region *x = elfsym_region(e, r);
		uint64_t lo = x->addr, hi = x->addr + x->size;

		if (site < lo || site - lo >= x->size)
			continue;
		if (site - lo > PSEUDO_REACH)
			lo = site - PSEUDO_REACH;
		if (hi - site > PSEUDO_REACH)
			hi = site + PSEUDO_REACH;
		/* Keep the site's alignment: instructions are 4-byte aligned. */
		*start = site - ((site - lo) & ~3ull);
		*end = site + ((hi - site) & ~3ull);
		return;
	}
}

/* The function that holds the site: bounds and name. Returns false for data (skip). */
static bool func_of(struct elfsym *e, uint64_t site, uint64_t *start, uint64_t *end,
		    const char **name)
{
	const struct elfsym_sym *s = elfsym_find(e, site);

	if (s && s->kind == ELFSYM_OBJECT && elfsym_is_raw(e))
		return false; /* a System.map data symbol: these bytes are not code */
	if (s && s->kind != ELFSYM_OBJECT && s->size >= 4 && s->size <= MAX_FUNC_SIZE) {
		*start = (s->addr + 3) & ~3ull;
		*end = (s->addr + s->size) & ~3ull;
		*name = s->name;
		if (site >= *start && site < *end)
			return true;
	}
	*name = NULL;
	pseudo_bounds(e, site, start, end);
	return true;
}

/* Decodes [start, end) into insns; the part the file does not back is cut off. */
static struct lintseq_insn *decode(struct elfsym *e, uint64_t start, uint64_t end, size_t *n)
{
	size_t cnt = (size_t)((end - start) / 4), i;
	struct lintseq_insn *in = calloc(cnt ? cnt : 1, sizeof(*in));

	if (!in)
		return NULL;
	for (i = 0; i < cnt; i++) {
		uint32_t w;

		if (elfsym_read(e, start + 4 * i, &w, 4))
			break;
		in[i].addr = start + 4 * i;
		in[i].word = w;
		disasm_classify(in[i].addr, w, &in[i].c);
	}
	*n = i;
	return in;
}

/*
 * Does the function at target (and what it calls, CALLEE_DEPTH deep) stay
 * clear of DSB, ISB, TLBI and calls or jumps it cannot follow? A function
 * being judged (recursion) counts as clear.
 */
static uint8_t callee_state(struct lint_state *st, uint64_t target, unsigned depth)
{
	const struct elfsym_sym *s;
	size_t slot;
	uint8_t res = CALLEE_PLAIN;
	uint64_t end;

	for (size_t i = 0; i < st->ncallees; i++)
		if (st->callees[i].addr == target)
			return st->callees[i].state == CALLEE_MAINT ? CALLEE_MAINT : CALLEE_PLAIN;
	if (st->ncallees == st->capcallees) {
		size_t cap = st->capcallees ? 2 * st->capcallees : 32;
		struct callee *n = realloc(st->callees, cap * sizeof(*n));

		if (!n)
			return CALLEE_MAINT;
		st->callees = n;
		st->capcallees = cap;
	}
	slot = st->ncallees++;
	st->callees[slot] = (struct callee){.addr = target, .state = CALLEE_BUSY};
	s = elfsym_find(st->e, target);
	if (!s || s->addr != target || s->kind == ELFSYM_OBJECT || s->size < 4 ||
	    s->size > CALLEE_MAX_SIZE)
		res = CALLEE_MAINT;
	end = s ? s->addr + s->size : target;
	for (uint64_t a = target; res == CALLEE_PLAIN && a + 4 <= end; a += 4) {
		struct disasm_class c;
		uint32_t w;

		if (elfsym_read(st->e, a, &w, 4)) {
			res = CALLEE_MAINT;
			break;
		}
		disasm_classify(a, w, &c);
		switch (c.kind) {
		case DISASM_DSB:
		case DISASM_ISB:
		case DISASM_TLBI:
		case DISASM_ICALL:
		case DISASM_IBRANCH:
			res = CALLEE_MAINT;
			break;
		case DISASM_CALL:
		case DISASM_BRANCH:
		case DISASM_CBRANCH:
			if (c.kind != DISASM_CALL && c.target >= target && c.target < end)
				break; /* a branch inside the callee */
			if (depth >= CALLEE_DEPTH ||
			    callee_state(st, c.target, depth + 1) != CALLEE_PLAIN)
				res = CALLEE_MAINT;
			break;
		default:
			break;
		}
	}
	st->callees[slot].state = res;
	return res;
}

static bool call_transparent(uint64_t target, void *arg)
{
	return callee_state(arg, target, 1) == CALLEE_PLAIN;
}

static int lint_file(const struct lint_opts *o, struct lint_state *st, struct fm_err *err)
{
	struct site_list sl = {0};
	struct lintseq_insn *insns = NULL;
	struct lintseq_func f = {0};
	struct lintseq *seq = NULL;
	uint64_t fstart = 0, fend = 0;
	int rc = 0;

	if (find_sites(st->e, &sl, err))
		return -1;
	for (size_t k = 0; k < sl.n; k++) {
		uint64_t site = sl.addr[k], start, end;
		const char *name;
		size_t idx;
		int nf;

		if (!func_of(st->e, site, &start, &end, &name))
			continue;
		if (o->nfuncs && !in_list(o->funcs, o->nfuncs, name))
			continue;
		/* A pseudo function serves the sites well inside it. */
		if (seq && !name && !f.name && site >= fstart + PSEUDO_REACH / 4 &&
		    site + PSEUDO_REACH / 4 < fend) {
			start = fstart;
			end = fend;
		}
		if (!seq || start != fstart || end != fend) {
			lintseq_free(seq);
			free(insns);
			seq = NULL;
			insns = decode(st->e, start, end, &f.n);
			if (!insns) {
				rc = fm_err_set(err, "out of memory");
				break;
			}
			f.name = name;
			f.start = start;
			f.insns = insns;
			f.private_table = in_list(o->privs, o->nprivs, name);
			f.call_transparent = call_transparent;
			f.call_arg = st;
			seq = lintseq_new(&f, o->seq_opts);
			if (!seq) {
				rc = fm_err_set(err, "out of memory");
				break;
			}
			fstart = start;
			fend = end;
			st->functions++;
		}
		idx = (size_t)((site - start) / 4);
		if (idx >= f.n)
			continue;
		st->sites++;
		st->npend = 0;
		nf = lintseq_site(seq, idx, collect, st);
		if (st->oom) {
			rc = fm_err_set(err, "out of memory");
			break;
		}
		if (o->sites)
			print_site(&f, idx, nf > 0 ? (size_t)nf : 0);
		for (size_t j = 0; j < st->npend; j++)
			print_finding(st, &f, &st->pend[j]);
	}
	lintseq_free(seq);
	free(insns);
	free(sl.addr);
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	struct lint_opts o = {0};
	struct lint_state st = {.o = &o};
	struct fm_err err = {{0}};
	int r, rc = EXIT_OK;

	r = parse(argc, argv, &o, &err);
	if (r > 0) {
		usage(stdout);
		goto out;
	}
	if (r < 0) {
		fm_warn("lint: %s", err.msg);
		usage(stderr);
		rc = EXIT_BAD;
		goto out;
	}
	st.e = o.raw ? elfsym_open_raw(o.file, o.base, &err) : elfsym_open(o.file, &err);
	if (!st.e || (o.symbols && elfsym_load_map(st.e, o.symbols, &err))) {
		fm_warn("lint: %s", err.msg);
		rc = EXIT_BAD;
		goto out;
	}
	for (size_t i = 0; i < o.nfuncs + o.nprivs; i++) {
		const char *n = i < o.nfuncs ? o.funcs[i] : o.privs[i - o.nfuncs];
		uint64_t a;

		if (elfsym_lookup(st.e, n, &a, NULL)) {
			fm_warn("lint: %s %s: no such symbol in %s",
				i < o.nfuncs ? "--func" : "--private", n, o.file);
			rc = EXIT_BAD;
			goto out;
		}
	}
	print_init(stdout, o.json || o.sarif);
	if (o.sarif)
		sarif_begin(FIXMAP_VERSION, o.file);
	if (lint_file(&o, &st, &err)) {
		if (o.sarif)
			sarif_end(false);
		fm_warn("lint: %s: %s", o.file, err.msg);
		rc = EXIT_BAD;
		goto out;
	}
	if (o.sarif) {
		sarif_end(true);
	} else if (print_is_json()) {
		print_obj_begin(NULL);
		print_obj_begin("summary");
		print_uint("sites", NULL, st.sites);
		print_uint("functions", NULL, st.functions);
		print_uint("errors", NULL, st.errors);
		print_uint("warnings", NULL, st.warnings);
		print_obj_end();
		print_obj_end();
	} else {
		print_text("%u TLBI sites in %u functions: %u errors, %u warnings\n", st.sites,
			   st.functions, st.errors, st.warnings);
	}
	if (print_finish()) {
		fm_warn("lint: write error on standard output");
		rc = EXIT_BAD;
		goto out;
	}
	rc = st.errors ? EXIT_FINDINGS : EXIT_OK;
out:
	elfsym_close(st.e);
	free(st.pend);
	free(st.callees);
	free(o.funcs);
	free(o.privs);
	disasm_cleanup();
	return rc;
}
