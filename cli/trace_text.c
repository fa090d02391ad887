/* SPDX-License-Identifier: MIT */
#include "trace_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "desc.h"

#define READ_CHUNK 65536
#define MAX_TOKENS 16

struct tok {
	const char *p;
	size_t n;
};

struct trace_reader {
	FILE *f;
	const char *name;
	struct fm_trace_ctx *ctx;
	char *buf;
	size_t cap, start, end;
	bool eof;
	unsigned long line;
	uint64_t nevents;
	bool have_first; /* the first event, read while looking for the end of declarations */
	bool in_decls;   /* still before the first event */
	struct fm_event first;
	/* per header table: its line, and whether it is shared without cpus= (every CPU) */
	unsigned long *table_line;
	bool *table_all;
	unsigned table_meta_cap;
	/* table names -> index + 1, open addressing (rebuilt as tables are added) */
	uint32_t *thash;
	unsigned thash_n, thash_tables;
};

struct fm_table_decl *fm_ctx_add_table(struct fm_trace_ctx *ctx)
{
	if (ctx->ntables >= FM_MAX_TABLES)
		return NULL;
	if (ctx->ntables == ctx->tables_cap) {
		unsigned nc = ctx->tables_cap ? ctx->tables_cap * 2 : 8;
		struct fm_table_decl *nt = realloc(ctx->tables, nc * sizeof(*nt));
		if (!nt)
			return NULL;
		ctx->tables = nt;
		ctx->tables_cap = nc;
	}
	struct fm_table_decl *d = &ctx->tables[ctx->ntables++];
	memset(d, 0, sizeof(*d));
	return d;
}

void fm_ctx_free(struct fm_trace_ctx *ctx)
{
	free(ctx->tables);
	ctx->tables = NULL;
	ctx->ntables = ctx->tables_cap = 0;
}

static int perr(const struct trace_reader *r, struct fm_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(const struct trace_reader *r, struct fm_err *err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fm_err_set(err, "%s:%lu: %s", r->name, r->line ? r->line : 1, msg);
}

/* A token for a message: at most 40 bytes, non-printable bytes as \xNN. */
static const char *q(struct tok t, char out[176])
{
	size_t o = 0;

	for (size_t i = 0; i < t.n && i < 40; i++) {
		unsigned char c = (unsigned char)t.p[i];
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", c);
	}
	if (t.n > 40) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static bool tok_eq(struct tok t, const char *s)
{
	size_t n = strlen(s);

	return t.n == n && !memcmp(t.p, s, n);
}

/* Next physical line (without the newline) into s and len: 1, 0 at EOF, -1 on error. */
static int next_line(struct trace_reader *r, const char **s, size_t *len, struct fm_err *err)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl || (r->eof && r->start < r->end)) {
			size_t n = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
			r->line++;
			if (n > TRACE_TEXT_MAX_LINE)
				return perr(r, err, "line longer than %d bytes",
					    TRACE_TEXT_MAX_LINE);
			*s = r->buf + r->start;
			*len = n;
			r->start += n + (nl ? 1 : 0);
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->end - r->start > TRACE_TEXT_MAX_LINE) {
			r->line++;
			return perr(r, err, "line longer than %d bytes", TRACE_TEXT_MAX_LINE);
		}
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
		if (got == 0) {
			if (ferror(r->f))
				return fm_err_set(err, "%s: read error after line %lu", r->name,
						  r->line);
			r->eof = true;
		}
		r->end += got;
		r->buf[r->end] = '\n'; /* a sentinel after the data: see fast_hex() */
	}
}

/* Split a line into words; comments removed. Returns the count or -1. */
static int tokenize(struct trace_reader *r, const char *s, size_t len, struct tok *t,
		    struct fm_err *err)
{
	const char *hash = memchr(s, '#', len);
	int n = 0;
	size_t i = 0;

	if (hash)
		len = (size_t)(hash - s);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r') {
			i++;
			continue;
		}
		size_t b = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
			c = (unsigned char)s[i];
			if (c < 0x21 || c > 0x7e)
				return perr(
				    r, err,
				    "unexpected byte 0x%02x: expected text (a trace line is "
				    "ASCII outside comments)",
				    c);
			i++;
		}
		if (n == MAX_TOKENS)
			return perr(r, err, "too many words (more than %d)", MAX_TOKENS);
		t[n].p = s + b;
		t[n].n = i - b;
		n++;
	}
	return n;
}

/* Decimal or 0x hexadecimal, 64 bits, overflow checked. */
static int parse_u64(struct tok t, uint64_t *v)
{
	uint64_t x = 0;
	size_t i = 0;

	if (t.n == 0)
		return -1;
	if (t.n > 2 && t.p[0] == '0' && t.p[1] == 'x') {
		for (i = 2; i < t.n; i++) {
			char c = t.p[i];
			unsigned d;
			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return -1;
			if (x >> 60)
				return -2;
			x = x << 4 | d;
		}
		*v = x;
		return 0;
	}
	for (i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (c < '0' || c > '9')
			return -1;
		if (x > (UINT64_MAX - (unsigned)(c - '0')) / 10)
			return -2;
		x = x * 10 + (unsigned)(c - '0');
	}
	*v = x;
	return 0;
}

static int num(struct trace_reader *r, struct tok t, const char *what, uint64_t max, uint64_t *v,
	       struct fm_err *err)
{
	char b[176];
	int rc = parse_u64(t, v);

	if (rc == -1)
		return perr(r, err, "expected a number (decimal or 0x hex) for %s, found '%s'",
			    what, q(t, b));
	if (rc == -2 || *v > max)
		return perr(r, err, "%s %s is out of range (at most 0x%" PRIx64 ")", what, q(t, b),
			    max);
	return 0;
}

/* key=value words: splits and checks the key against a list; duplicates are errors. */
struct kv {
	const char *key;
	bool seen;
	struct tok val;
};

static int parse_kvs(struct trace_reader *r, struct tok *t, int n, struct kv *kv, size_t nkv,
		     const char *ctxname, const char *flag, bool *flagset, struct fm_err *err)
{
	char b[176];

	for (int i = 0; i < n; i++) {
		const char *eq = memchr(t[i].p, '=', t[i].n);
		if (!eq) {
			if (flag && tok_eq(t[i], flag) && !*flagset) {
				*flagset = true;
				continue;
			}
			return perr(r, err, "%s: expected key=value, found '%s'", ctxname,
				    q(t[i], b));
		}
		struct tok k = {t[i].p, (size_t)(eq - t[i].p)};
		size_t j;
		for (j = 0; j < nkv; j++)
			if (tok_eq(k, kv[j].key))
				break;
		if (j == nkv)
			return perr(r, err, "%s: unknown key '%s'", ctxname, q(k, b));
		if (kv[j].seen)
			return perr(r, err, "%s: %s= given twice", ctxname, kv[j].key);
		kv[j].seen = true;
		kv[j].val.p = eq + 1;
		kv[j].val.n = t[i].n - k.n - 1;
	}
	return 0;
}

int trace_text_table(const struct fm_trace_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->ntables; i++)
		if (!strcmp(ctx->tables[i].name, name))
			return (int)i;
	return -1;
}

static uint32_t name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* Index of the table named t, or -1: hashed, since a recorder declares one per root. */
static int find_table_r(struct trace_reader *r, struct tok t)
{
	const struct fm_trace_ctx *ctx = r->ctx;

	if (ctx->ntables <= 4 || !r->thash || r->thash_tables != ctx->ntables) {
		if (ctx->ntables > 4 && r->thash_tables != ctx->ntables) {
			unsigned n = 16;
			while (n < ctx->ntables * 2)
				n *= 2;
			uint32_t *h = n == r->thash_n ? r->thash : calloc(n, sizeof(*h));
			if (h) {
				if (h == r->thash)
					memset(h, 0, n * sizeof(*h));
				else
					free(r->thash);
				r->thash = h;
				r->thash_n = n;
				for (unsigned i = 0; i < ctx->ntables; i++) {
					const char *nm = ctx->tables[i].name;
					uint32_t j = name_hash(nm, strlen(nm)) & (n - 1);
					while (h[j])
						j = (j + 1) & (n - 1);
					h[j] = i + 1;
				}
				r->thash_tables = ctx->ntables;
			}
		}
		if (!r->thash || r->thash_tables != ctx->ntables) {
			for (unsigned i = 0; i < ctx->ntables; i++)
				if (tok_eq(t, ctx->tables[i].name))
					return (int)i;
			return -1;
		}
	}
	for (uint32_t j = name_hash(t.p, t.n) & (r->thash_n - 1);; j = (j + 1) & (r->thash_n - 1)) {
		uint32_t x = r->thash[j];
		if (!x)
			return -1;
		if (tok_eq(t, ctx->tables[x - 1].name))
			return (int)(x - 1);
	}
}

static void set_cpu(uint64_t *m, unsigned c) { m[c / 64] |= 1ull << (c % 64); }

/* LIST: comma-separated CPU numbers and ranges ("0,2-3"). */
static int parse_cpu_list(struct trace_reader *r, struct tok t, uint64_t *mask, struct fm_err *err)
{
	char b[176];
	size_t i = 0;

	if (t.n == 0)
		return perr(r, err, "cpus=: expected a list of CPU numbers such as 0,2-3");
	while (i <= t.n) {
		size_t e = i;
		while (e < t.n && t.p[e] != ',')
			e++;
		struct tok item = {t.p + i, e - i};
		const char *dash = memchr(item.p, '-', item.n);
		uint64_t lo, hi;
		struct tok a = item, z = item;
		if (dash) {
			a.n = (size_t)(dash - item.p);
			z.p = dash + 1;
			z.n = item.n - a.n - 1;
		}
		if (parse_u64(a, &lo) || parse_u64(z, &hi) || lo > hi)
			return perr(r, err, "cpus=: expected a CPU number or range N-M, found '%s'",
				    q(item, b));
		if (hi >= FM_MAX_CPUS)
			return perr(r, err, "cpus=: CPU %" PRIu64 " is out of range (at most %d)",
				    hi, FM_MAX_CPUS - 1);
		for (uint64_t c = lo; c <= hi; c++)
			set_cpu(mask, (unsigned)c);
		i = e + 1;
	}
	return 0;
}

static bool valid_name(struct tok t)
{
	if (t.n == 0 || t.n >= sizeof(((struct fm_table_decl *)0)->name))
		return false;
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static int parse_regime(struct tok t, enum fm_regime *r)
{
	static const char *const names[FM_NREGIMES] = {"el2", "el1", "s2", "el20"};

	for (unsigned i = 0; i < FM_NREGIMES; i++)
		if (tok_eq(t, names[i])) {
			*r = (enum fm_regime)i;
			return 0;
		}
	return -1;
}

/*
 * table NAME regime=el2|el1|s2|el20 shared|private|dynamic [cpus=LIST] [asid=A] [vmid=V]
 *       [granule=4k|16k|64k] [lpa2]
 * In the header (cpus N may come later: CPU lists are checked by finish_decls) or
 * between events (checked here).
 */
static int parse_table(struct trace_reader *r, struct tok *t, int n, struct fm_err *err)
{
	struct fm_trace_ctx *ctx = r->ctx;
	struct fm_table_decl *d;
	enum { REGIME, CPUS, ASID, VMID, GRANULE };
	struct kv kv[] = {{"regime", false, {0}},
			  {"cpus", false, {0}},
			  {"asid", false, {0}},
			  {"vmid", false, {0}},
			  {"granule", false, {0}}};
	char b[176];
	unsigned kind = 0, nkind = 0; /* 1 shared, 2 private, 3 dynamic */
	bool lpa2 = false;
	enum fm_regime regime;
	uint64_t v;

	if (n < 2 || !valid_name(t[1]))
		return perr(r, err,
			    "expected 'table NAME regime=el2|el1|s2|el20 shared|private|dynamic "
			    "...' with NAME of letters, digits, _ - . (at most 63)%s%s%s",
			    n >= 2 ? ", found '" : "", n >= 2 ? q(t[1], b) : "", n >= 2 ? "'" : "");
	if (find_table_r(r, t[1]) >= 0)
		return perr(r, err, "table %s is declared twice", q(t[1], b));
	if (ctx->ntables >= FM_MAX_TABLES)
		return perr(r, err, "too many tables (at most %d)", FM_MAX_TABLES);
	for (int i = 2; i < n; i++) {
		unsigned k = tok_eq(t[i], "shared")    ? 1
			     : tok_eq(t[i], "private") ? 2
			     : tok_eq(t[i], "dynamic") ? 3
						       : 0;
		if (k) {
			kind = k;
			nkind++;
			t[i].n = 0; /* consumed */
		} else if (tok_eq(t[i], "lpa2")) {
			if (lpa2)
				return perr(r, err, "table: lpa2 given twice");
			lpa2 = true;
			t[i].n = 0;
		}
	}
	if (nkind > 1)
		return perr(r, err, "table: give one of shared, private or dynamic, once");
	for (int i = 2; i < n; i++) {
		if (!t[i].n)
			continue;
		if (parse_kvs(r, &t[i], 1, kv, 5, "table", NULL, NULL, err))
			return -1;
	}
	if (!kv[REGIME].seen)
		return perr(r, err, "table: expected regime=el2|el1|s2|el20");
	if (parse_regime(kv[REGIME].val, &regime))
		return perr(r, err, "table: expected regime=el2, el1, s2 or el20, found regime=%s",
			    q(kv[REGIME].val, b));
	if (!kind)
		return perr(r, err, "table: expected shared, private or dynamic");
	/* Append only once everything is known to be well formed. */
	struct fm_table_decl nd;
	memset(&nd, 0, sizeof(nd));
	memcpy(nd.name, t[1].p, t[1].n);
	nd.regime = (uint8_t)regime;
	nd.shared = kind == 1;
	nd.dynamic = kind == 3;
	nd.lpa2 = lpa2;
	if (kv[GRANULE].seen) {
		if (tok_eq(kv[GRANULE].val, "4k"))
			nd.granule = FM_GRANULE_4K;
		else if (tok_eq(kv[GRANULE].val, "16k"))
			nd.granule = FM_GRANULE_16K;
		else if (tok_eq(kv[GRANULE].val, "64k"))
			nd.granule = FM_GRANULE_64K;
		else
			return perr(r, err, "table: expected granule=4k, 16k or 64k, found granule=%s",
				    q(kv[GRANULE].val, b));
	}
	if (lpa2 && nd.granule == FM_GRANULE_64K)
		return perr(r, err,
			    "table: lpa2 (TCR.DS = 1) applies to the 4k and 16k granules only; "
			    "64k tables carry 52-bit addresses without it");
	if (kv[ASID].seen) {
		/* ASIDs tag the EL1&0 and EL2&0 regimes only (D8.15). */
		if (regime != FM_REGIME_EL1 && regime != FM_REGIME_EL20)
			return perr(r, err, "table: asid= applies to regime=el1 and el20 only");
		if (num(r, kv[ASID].val, "asid", 0xffff, &v, err))
			return -1;
		nd.has_asid = true;
		nd.asid = (uint16_t)v;
	}
	if (kv[VMID].seen) {
		/* VMIDs tag the EL1&0 stage 1 and stage 2 regimes only. */
		if (regime != FM_REGIME_EL1 && regime != FM_REGIME_S2)
			return perr(r, err, "table: vmid= applies to regime=el1 and s2 only");
		if (num(r, kv[VMID].val, "vmid", 0xffff, &v, err))
			return -1;
		nd.has_vmid = true;
		nd.vmid = (uint16_t)v;
	}
	bool all = false;
	if (kv[CPUS].seen) {
		if (kind == 3)
			return perr(r, err,
				    "table: a dynamic table takes no cpus= (its walkers are the CPUs "
				    "that `use` it)");
		if (parse_cpu_list(r, kv[CPUS].val, nd.cpus, err))
			return -1;
	} else if (kind == 2) {
		return perr(r, err,
			    "table: a private table needs cpus=LIST (the CPUs that walk it)");
	} else if (kind == 1) {
		all = true; /* every CPU, once cpus N is known */
	}
	if (!r->in_decls) {
		/* Between events: cpus N is known, check the list now. */
		bool any = false;
		if (all)
			for (unsigned c = 0; c < ctx->ncpus; c++)
				set_cpu(nd.cpus, c);
		for (unsigned c = 0; c < FM_MAX_CPUS; c++)
			if ((nd.cpus[c / 64] >> (c % 64)) & 1) {
				if (c >= ctx->ncpus)
					return perr(r, err, "table %s: cpus= names a CPU beyond cpus %u",
						    nd.name, ctx->ncpus);
				any = true;
			}
		if (!any && !nd.dynamic)
			return perr(r, err, "table %s walked by no CPU", nd.name);
		all = false;
	}
	if (ctx->ntables >= r->table_meta_cap) {
		unsigned nc = r->table_meta_cap ? r->table_meta_cap * 2 : 8;
		unsigned long *nl = realloc(r->table_line, nc * sizeof(*nl));
		if (nl)
			r->table_line = nl;
		bool *na = nl ? realloc(r->table_all, nc * sizeof(*na)) : NULL;
		if (na)
			r->table_all = na;
		if (!nl || !na)
			return perr(r, err, "out of memory");
		r->table_meta_cap = nc;
	}
	r->table_line[ctx->ntables] = r->line;
	r->table_all[ctx->ntables] = all;
	d = fm_ctx_add_table(ctx);
	if (!d)
		return perr(r, err, "out of memory");
	*d = nd;
	return 0;
}

static int parse_feature(struct trace_reader *r, struct tok *t, int n, struct fm_err *err)
{
	struct fm_trace_ctx *ctx = r->ctx;
	char b[176];
	struct tok name, val = {NULL, 0};
	uint64_t v = 1;

	if (n != 2)
		return perr(r, err, "expected 'feature NAME[=VALUE]'");
	name = t[1];
	const char *eq = memchr(name.p, '=', name.n);
	if (eq) {
		val.p = eq + 1;
		val.n = name.n - (size_t)(eq - name.p) - 1;
		name.n = (size_t)(eq - name.p);
	}
	if (tok_eq(name, "bbm")) {
		if (!eq)
			return perr(r, err, "feature bbm: expected bbm=0, bbm=1 or bbm=2");
		if (num(r, val, "feature bbm", 2, &v, err))
			return -1;
		ctx->bbm_level = (unsigned)v;
		return 0;
	}
	unsigned flag = tok_eq(name, "ttl")    ? FM_FEAT_TTL
			: tok_eq(name, "ets2") ? FM_FEAT_ETS2
			: tok_eq(name, "cnp")  ? FM_FEAT_CNP
					       : 0;
	if (!flag)
		return perr(r, err, "unknown feature '%s': expected ttl, bbm=N, ets2 or cnp",
			    q(name, b));
	if (eq && num(r, val, "feature value", 1, &v, err))
		return -1;
	if (v)
		ctx->features |= flag;
	else
		ctx->features &= ~flag;
	return 0;
}

/* End of declarations: default table, CPU lists checked against cpus N. */
static int finish_decls(struct trace_reader *r, struct fm_err *err)
{
	struct fm_trace_ctx *ctx = r->ctx;
	uint64_t all[FM_MAX_CPUS / 64] = {0};

	r->in_decls = false;
	if (!ctx->ncpus)
		return perr(r, err, "expected 'cpus N' before the first event");
	for (unsigned c = 0; c < ctx->ncpus; c++)
		set_cpu(all, c);
	if (ctx->ntables == 0) {
		struct fm_table_decl *d = fm_ctx_add_table(ctx);
		if (!d)
			return perr(r, err, "out of memory");
		strcpy(d->name, "default");
		d->regime = FM_REGIME_EL2;
		d->shared = true;
		memcpy(d->cpus, all, sizeof(all));
		return 0;
	}
	for (unsigned i = 0; i < ctx->ntables; i++) {
		struct fm_table_decl *d = &ctx->tables[i];
		bool any = false;
		if (r->table_all[i])
			memcpy(d->cpus, all, sizeof(all));
		for (unsigned w = 0; w < FM_MAX_CPUS / 64; w++) {
			if (d->cpus[w] & ~all[w]) {
				unsigned long save = r->line;
				r->line = r->table_line[i];
				perr(r, err, "table %s: cpus= names a CPU beyond cpus %u", d->name,
				     ctx->ncpus);
				r->line = save;
				return -1;
			}
			any |= d->cpus[w] != 0;
		}
		if (!any && !d->dynamic)
			return perr(r, err, "table %s walked by no CPU", d->name);
	}
	return 0;
}

static int parse_event(struct trace_reader *r, struct tok *t, int n, struct fm_event *ev,
		       struct fm_err *err);


/*
 * The fast path for the lines a recorder writes most (pte, dsb, dmb, isb,
 * tlbi): canonical key order, single spaces, no comment, hexadecimal numbers.
 * It builds exactly the event parse_event() would and returns 1, or returns 0
 * for anything else, which then takes the general path (and its messages).
 */
static int tlbi_by_name(struct tok t);

bool trace_text_fast_path = true;

static const uint8_t hexval[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,  ['6'] = 7,
    ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16,
};

/*
 * "0x" hex up to a space or the end: the value and the position after it, or
 * NULL. The digits loop needs no bound: every line in the buffer is followed
 * by a newline or by the sentinel next_line()'s reads put after the data.
 */
static const char *fast_hex(const char *p, const char *end, uint64_t *v)
{
	uint64_t x = 0;
	const char *b;
	unsigned d;

	if (end - p < 3 || p[0] != '0' || p[1] != 'x')
		return NULL;
	for (b = p += 2; (d = hexval[(unsigned char)*p]) != 0; p++)
		x = x << 4 | (d - 1);
	if (p == b || p - b > 16 || p > end || (p < end && *p != ' '))
		return NULL;
	*v = x;
	return p;
}

/* "KEY=" at p: the position after it, or NULL. */
static const char *fast_key(const char *p, const char *end, const char *key, size_t n)
{
	if ((size_t)(end - p) <= n || memcmp(p, key, n))
		return NULL;
	return p + n;
}

/* A barrier domain name (include/arm64/barrier.h) without a table scan: CRm or -1. */
static int fast_bar(const char *d, size_t n)
{
	int dom, type;

	if (n == 2)
		return !memcmp(d, "sy", 2)   ? BAR_SY
		       : !memcmp(d, "st", 2) ? BAR_ST
		       : !memcmp(d, "ld", 2) ? BAR_LD
					     : -1;
	if ((n != 3 && n != 5) || d[1] != 's' || d[2] != 'h')
		return -1;
	dom = d[0] == 'i' ? BAR_DOM_ISH : d[0] == 'n' ? BAR_DOM_NSH : d[0] == 'o' ? BAR_DOM_OSH : -1;
	if (dom < 0)
		return -1;
	if (n == 3)
		type = BAR_TYPE_ALL;
	else if (d[3] == 's' && d[4] == 't')
		type = BAR_TYPE_ST;
	else if (d[3] == 'l' && d[4] == 'd')
		type = BAR_TYPE_LD;
	else
		return -1;
	return dom << 2 | type;
}

static int fast_event(struct trace_reader *r, const char *s, size_t len, struct fm_event *ev)
{
	const char *p = s + 1, *end = s + len;
	const struct fm_trace_ctx *ctx = r->ctx;
	unsigned cpu = 0, nd = 0;

	/* cN: no leading zero (the general path words that error) */
	for (; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		cpu = cpu * 10 + (unsigned)(*p - '0');
		if (nd > 4)
			return 0;
	}
	if (!nd || (nd > 1 && s[1] == '0') || cpu >= ctx->ncpus || p == end || *p != ' ')
		return 0;
	p++;
	memset(ev, 0, sizeof(*ev));
	ev->cpu = (uint16_t)cpu;
	if (end - p >= 4 && !memcmp(p, "pte ", 4)) {
		uint64_t level;
		const struct fm_table_decl *d;
		if (!(p = fast_key(p + 4, end, "va=", 3)) || !(p = fast_hex(p, end, &ev->va)) ||
		    !(p = fast_key(p, end, " level=", 7)) || p == end || *p < '0' || *p > '3')
			return 0;
		level = (uint64_t)(*p++ - '0');
		if (!(p = fast_key(p, end, " old=", 5)) || !(p = fast_hex(p, end, &ev->old)) ||
		    !(p = fast_key(p, end, " new=", 5)) || !(p = fast_hex(p, end, &ev->new)))
			return 0;
		if (p < end && (p = fast_key(p, end, " table=", 7))) {
			const char *b = p;
			while (p < end && *p != ' ')
				p++;
			struct tok tn = {b, (size_t)(p - b)};
			int ti = find_table_r(r, tn);
			if (ti < 0)
				return 0;
			ev->table = (uint16_t)ti;
		} else if (!p || ctx->ntables > 1) {
			return 0;
		}
		if (p < end && end - p > 6 && !memcmp(p, " ptep=", 6)) {
			if (!(p = fast_hex(p + 6, end, &ev->ptep)))
				return 0;
			ev->flags |= FM_EVF_PTEP;
		}
		if (p < end) {
			if (end - p < 4 || memcmp(p, " pc=", 4) || !(p = fast_hex(p + 4, end, &ev->pc)) ||
			    p != end)
				return 0;
			ev->flags |= FM_EVF_PC;
		}
		d = &ctx->tables[ev->table];
		struct desc_fmt f = desc_fmt_of_table(d);
		uint64_t sz = desc_fmt_level_size(&f, (int)level);
		if (!sz || (ev->va & (sz - 1)))
			return 0;
		ev->type = FM_EV_PTE;
		ev->level = (int8_t)level;
		return 1;
	}
	if (end - p >= 3 && p[0] == 'd' && (p[1] == 's' || p[1] == 'm') && p[2] == 'b') {
		char dom[8] = {0};
		const char *b = p + 4;
		if (end - p < 5 || p[3] != ' ')
			return 0;
		for (p = b; p < end && *p != ' '; p++)
			if (p - b >= 7)
				return 0;
		memcpy(dom, b, (size_t)(p - b));
		int crm = fast_bar(dom, (size_t)(p - b));
		if (crm < 0)
			return 0;
		ev->type = b[-3] == 's' ? FM_EV_DSB : FM_EV_DMB;
		ev->bar = (uint8_t)crm;
	} else if (end - p > 10 && !memcmp(p, "access va=", 10)) {
		if (!(p = fast_hex(p + 10, end, &ev->va)))
			return 0;
		if (end - p >= 5 && !memcmp(p, " exec", 5) && (p + 5 == end || p[5] == ' ')) {
			p += 5;
			ev->flags |= FM_EVF_EXEC;
		}
		ev->type = FM_EV_ACCESS;
	} else if (end - p >= 3 && !memcmp(p, "isb", 3)) {
		p += 3;
		ev->type = FM_EV_ISB;
		ev->bar = BAR_SY;
	} else if (end - p > 5 && !memcmp(p, "tlbi ", 5)) {
		const char *b = p + 5;
		for (p = b; p < end && *p != ' '; p++)
			;
		struct tok on = {b, (size_t)(p - b)};
		int op = tlbi_by_name(on);
		if (op < 0)
			return 0;
		unsigned f = arm64_tlbi_flags((unsigned)op);
		if (f & (TLBI_F_VA | TLBI_F_IPA)) {
			uint64_t va;
			if (f & TLBI_F_RANGE)
				return 0;
			if (!(p = fast_key(p, end, " va=", 4)) || !(p = fast_hex(p, end, &va)))
				return 0;
			ev->arg = arm64_tlbi_encode((unsigned)op, va, 0, 0);
		} else if (f & (TLBI_F_ASID | TLBI_F_RANGE)) {
			return 0;
		}
		ev->type = FM_EV_TLBI;
		ev->tlbi = (uint16_t)op;
		ev->va = arm64_tlbi_addr((unsigned)op, ev->arg);
	} else {
		return 0;
	}
	if (p < end) {
		if (end - p < 4 || memcmp(p, " pc=", 4) || !(p = fast_hex(p + 4, end, &ev->pc)) ||
		    p != end)
			return 0;
		ev->flags |= FM_EVF_PC;
	}
	return 1;
}

/* A declaration between events, handed to the consumer like an event. */
static void decl_event(struct trace_reader *r, struct fm_event *ev, enum fm_ev_type type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	ev->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
	ev->seq = r->nevents;
	if (type == FM_EV_TABLE)
		ev->table = (uint16_t)(r->ctx->ntables - 1);
}

/* Reads lines; returns 1 with an event, 0 at EOF, -1 on error. */
static int read_item(struct trace_reader *r, struct fm_event *ev, struct fm_err *err)
{
	struct tok t[MAX_TOKENS];
	const char *s;
	size_t len;
	char b[176];
	int rc, n;

	while ((rc = next_line(r, &s, &len, err)) == 1) {
		if (trace_text_fast_path && !r->in_decls && len > 4 && s[0] == 'c' &&
		    fast_event(r, s, len, ev)) {
			ev->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
			ev->seq = ++r->nevents;
			return 1;
		}
		if ((n = tokenize(r, s, len, t, err)) < 0)
			return -1;
		if (n == 0)
			continue;
		if (t[0].p[0] == 'c' && t[0].n > 1 && t[0].p[1] >= '0' && t[0].p[1] <= '9') {
			if (r->in_decls && finish_decls(r, err))
				return -1;
			return parse_event(r, t, n, ev, err) ? -1 : 1;
		}
		if (tok_eq(t[0], "table")) {
			if (parse_table(r, t, n, err))
				return -1;
			if (!r->in_decls) {
				decl_event(r, ev, FM_EV_TABLE);
				return 1;
			}
			continue;
		}
		if (tok_eq(t[0], "cut")) {
			if (n != 1)
				return perr(r, err, "cut: expected nothing after cut, found '%s'",
					    q(t[1], b));
			if (r->ctx->cut)
				return perr(r, err, "cut is declared twice");
			r->ctx->cut = true;
			if (!r->in_decls) {
				decl_event(r, ev, FM_EV_CUT);
				return 1;
			}
			continue;
		}
		if (!r->in_decls) {
			if (tok_eq(t[0], "cpus") || tok_eq(t[0], "feature"))
				return perr(r, err,
					    "'%s' declarations must come before the first event",
					    q(t[0], b));
			return perr(r, err, "expected an event 'cN OP ...', found '%s'",
				    q(t[0], b));
		}
		if (tok_eq(t[0], "cpus")) {
			uint64_t v;
			if (n != 2)
				return perr(r, err, "expected 'cpus N'");
			if (r->ctx->ncpus)
				return perr(r, err, "cpus is declared twice");
			if (num(r, t[1], "cpus", FM_MAX_CPUS, &v, err))
				return -1;
			if (v == 0)
				return perr(r, err, "cpus 0: expected at least one CPU");
			r->ctx->ncpus = (unsigned)v;
		} else if (tok_eq(t[0], "feature")) {
			if (parse_feature(r, t, n, err))
				return -1;
		} else if (tok_eq(t[0], "fixmap-trace")) {
			return perr(r, err, "'fixmap-trace' header given twice");
		} else {
			return perr(r, err,
				    "expected a declaration (cpus, table, feature, cut) or an event "
				    "'cN OP ...', found '%s'",
				    q(t[0], b));
		}
	}
	if (rc < 0)
		return -1;
	if (r->in_decls && finish_decls(r, err))
		return -1;
	return 0;
}

struct trace_reader *trace_text_open(FILE *f, const char *name, struct fm_trace_ctx *ctx,
				     struct fm_err *err)
{
	struct trace_reader *r;
	struct tok t[MAX_TOKENS];
	const char *s;
	size_t len;
	char b[176];
	int rc, n = 0;

	memset(ctx, 0, sizeof(*ctx));
	r = calloc(1, sizeof(*r));
	if (!r) {
		fm_err_set(err, "%s: out of memory", name);
		return NULL;
	}
	r->f = f;
	r->name = name;
	r->ctx = ctx;
	r->in_decls = true;
	r->cap = READ_CHUNK + TRACE_TEXT_MAX_LINE + 1;
	r->buf = malloc(r->cap + 1); /* + the sentinel after the data */
	if (!r->buf) {
		fm_err_set(err, "%s: out of memory", name);
		goto fail;
	}
	/* Header: the first non-comment line is "fixmap-trace 1". */
	while ((rc = next_line(r, &s, &len, err)) == 1) {
		if ((n = tokenize(r, s, len, t, err)) < 0)
			goto fail;
		if (n)
			break;
	}
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		if (r->line == 0)
			r->line = 1;
		perr(r, err, "%s: expected 'fixmap-trace 1'",
		     r->line == 1 && r->end == 0 ? "empty file" : "no header before end of file");
		goto fail;
	}
	if (!tok_eq(t[0], "fixmap-trace") || n != 2) {
		perr(r, err, "expected 'fixmap-trace 1' as the first line, found '%s'", q(t[0], b));
		goto fail;
	}
	if (!tok_eq(t[1], "1")) {
		perr(r, err, "trace format version '%s' is not supported (expected 1)", q(t[1], b));
		goto fail;
	}
	rc = read_item(r, &r->first, err);
	if (rc < 0)
		goto fail;
	r->have_first = rc == 1;
	return r;
fail:
	trace_text_close(r);
	fm_ctx_free(ctx);
	return NULL;
}

int trace_text_next(struct trace_reader *r, struct fm_event *ev, struct fm_err *err)
{
	if (r->have_first) {
		*ev = r->first;
		r->have_first = false;
		return 1;
	}
	return read_item(r, ev, err);
}

unsigned long trace_text_line(const struct trace_reader *r) { return r->line; }

void trace_text_close(struct trace_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->table_line);
	free(r->table_all);
	free(r->thash);
	free(r);
}

/* TLBI names by hash: the parser looks one up per tlbi line. */
static int tlbi_by_name(struct tok t)
{
	static int16_t slots[256];
	static bool built;

	if (!built) {
		for (unsigned i = 0; i < 256; i++)
			slots[i] = -1;
		for (unsigned op = 0; op < TLBI_NR_OPS; op++) {
			const char *nm = arm64_tlbi_name(op);
			unsigned h = 0;
			for (const char *p = nm; *p; p++)
				h = h * 31 + (unsigned char)*p;
			while (slots[h & 255] >= 0)
				h++;
			slots[h & 255] = (int16_t)op;
		}
		built = true;
	}
	unsigned h = 0;
	for (size_t i = 0; i < t.n; i++)
		h = h * 31 + (unsigned char)t.p[i];
	for (;; h++) {
		int op = slots[h & 255];
		if (op < 0)
			return -1;
		if (tok_eq(t, arm64_tlbi_name((unsigned)op)))
			return op;
	}
}

static int parse_tlbi(struct trace_reader *r, struct tok *t, int n, struct fm_event *ev,
		      struct fm_err *err)
{
	struct kv kv[] = {{"va", false, {0}},
			  {"ttl", false, {0}},
			  {"asid", false, {0}},
			  {"vmid", false, {0}},
			  {"arg", false, {0}}};
	enum { VA, TTL, ASID, VMID, ARG };
	char b[176];
	uint64_t va = 0, ttl = 0, asid = 0, vmid = 0, arg = 0;
	int op;
	unsigned f;

	if (n < 3)
		return perr(r, err,
			    "tlbi: expected 'cN tlbi OP [va=VA] [ttl=T] [asid=A] [vmid=V] "
			    "[arg=RAW]'");
	op = tlbi_by_name(t[2]);
	if (op < 0)
		return perr(r, err,
			    "unknown TLBI operation '%s' (expected a lower-case name such "
			    "as vale2is)",
			    q(t[2], b));
	f = arm64_tlbi_flags((unsigned)op);
	if (parse_kvs(r, t + 3, n - 3, kv, 5, "tlbi", NULL, NULL, err))
		return -1;
	if ((kv[VA].seen && num(r, kv[VA].val, "va", UINT64_MAX, &va, err)) ||
	    (kv[TTL].seen && num(r, kv[TTL].val, "ttl", 15, &ttl, err)) ||
	    (kv[ASID].seen && num(r, kv[ASID].val, "asid", 0xffff, &asid, err)) ||
	    (kv[VMID].seen && num(r, kv[VMID].val, "vmid", 0xffff, &vmid, err)) ||
	    (kv[ARG].seen && num(r, kv[ARG].val, "arg", UINT64_MAX, &arg, err)))
		return -1;
	const char *nm = arm64_tlbi_name((unsigned)op);
	if (kv[ARG].seen && (kv[VA].seen || kv[TTL].seen || kv[ASID].seen))
		return perr(r, err,
			    "tlbi %s: give either arg= (the raw operand) or va=/ttl=/asid=, "
			    "not both",
			    nm);
	if (f & TLBI_F_RANGE) {
		if (!kv[ARG].seen)
			return perr(r, err,
				    "tlbi %s: a range operation needs arg= (TG, SCALE, NUM, "
				    "TTL and BaseADDR)",
				    nm);
	} else if (f & (TLBI_F_VA | TLBI_F_IPA)) {
		if (!kv[ARG].seen && !kv[VA].seen)
			return perr(r, err, "tlbi %s: expected va=ADDRESS or arg=RAW", nm);
		if (kv[ASID].seen && (f & (TLBI_F_IPA | TLBI_F_AA)))
			return perr(r, err, "tlbi %s: asid= does not apply to this operation", nm);
		if (!kv[ARG].seen)
			arg = arm64_tlbi_encode((unsigned)op, va, (unsigned)ttl, (unsigned)asid);
	} else if (f & TLBI_F_ASID) {
		if (kv[VA].seen || kv[TTL].seen)
			return perr(r, err, "tlbi %s: takes asid= (or arg=), not an address", nm);
		if (!kv[ARG].seen && !kv[ASID].seen)
			return perr(r, err, "tlbi %s: expected asid=N or arg=RAW", nm);
		if (!kv[ARG].seen)
			arg = arm64_tlbi_encode((unsigned)op, 0, 0, (unsigned)asid);
	} else if (kv[VA].seen || kv[TTL].seen || kv[ASID].seen) {
		return perr(r, err, "tlbi %s: takes no address, TTL or ASID", nm);
	}
	if (kv[VMID].seen) {
		if (!(f & (TLBI_F_EL1 | TLBI_F_S2)))
			return perr(r, err,
				    "tlbi %s: vmid= applies only to EL1&0 and stage-2 "
				    "operations",
				    nm);
		ev->vmid = (uint16_t)vmid;
		ev->flags |= FM_EVF_VMID;
	}
	if (kv[ASID].seen || (kv[ARG].seen && (f & TLBI_F_ASID)))
		ev->flags |= FM_EVF_ASID;
	ev->tlbi = (uint16_t)op;
	ev->arg = arg;
	ev->va = arm64_tlbi_addr((unsigned)op, arg);
	return 0;
}

/* table=NAME of a pte/unseen/use event; may be left out when one table is declared. */
static int event_table(struct trace_reader *r, const struct kv *kv, const char *what,
		       struct fm_event *ev, struct fm_err *err)
{
	char b[176];

	if (kv->seen) {
		int ti = find_table_r(r, kv->val);
		if (ti < 0)
			return perr(r, err, "%s: table=%s is not declared", what, q(kv->val, b));
		ev->table = (uint16_t)ti;
	} else if (r->ctx->ntables > 1) {
		return perr(r, err, "%s: expected table=NAME (%u tables are declared)", what,
			    r->ctx->ntables);
	}
	return 0;
}

/* level=L (-1..3) and va=VA of an entry, checked against the table's format. */
static int entry_addr(struct trace_reader *r, const struct kv *kva, const struct kv *klevel,
		      const char *what, struct fm_event *ev, struct fm_err *err)
{
	const struct fm_table_decl *d = &r->ctx->tables[ev->table];
	struct desc_fmt f = desc_fmt_of_table(d);
	uint64_t level;
	bool neg = klevel->val.n > 0 && klevel->val.p[0] == '-';
	struct tok lv = klevel->val;
	char b[176];

	if (num(r, kva->val, "va", UINT64_MAX, &ev->va, err))
		return -1;
	if (neg) {
		lv.p++;
		lv.n--;
	}
	if (parse_u64(lv, &level) || level > 3 || (neg && level != 1))
		return perr(r, err, "%s: expected level=-1, 0, 1, 2 or 3, found level=%s", what,
			    q(klevel->val, b));
	int l = neg ? -1 : (int)level;
	if (l < desc_fmt_min_level(&f))
		return perr(r, err,
			    "%s: table %s (%s granule%s) has no level %d: its levels start at %d",
			    what, d->name, desc_granule_name(f.granule), f.lpa2 ? ", lpa2" : "", l,
			    desc_fmt_min_level(&f));
	ev->level = (int8_t)l;
	uint64_t sz = desc_fmt_level_size(&f, l);
	if (ev->va & (sz - 1)) {
		static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
		unsigned u = 0;
		uint64_t v = sz;
		while (v >= 1024 && u < 5) {
			v >>= 10;
			u++;
		}
		return perr(r, err,
			    "%s: va=0x%" PRIx64 " is not aligned to the %" PRIu64
			    " %s an entry at level %d of table %s translates",
			    what, ev->va, v, unit[u], l, d->name);
	}
	return 0;
}

static int parse_event(struct trace_reader *r, struct tok *t, int n, struct fm_event *ev,
		       struct fm_err *err)
{
	const struct fm_trace_ctx *ctx = r->ctx;
	char b[176];
	uint64_t cpu = 0;

	memset(ev, 0, sizeof(*ev));
	struct tok cn = {t[0].p + 1, t[0].n - 1};
	int rc = parse_u64(cn, &cpu);
	if (rc == -1 || (cn.n > 1 && cn.p[0] == '0'))
		return perr(r, err, "expected an event 'cN OP ...' with N a CPU number, found '%s'",
			    q(t[0], b));
	if (rc == -2 || cpu >= ctx->ncpus)
		return perr(r, err, "CPU %s does not exist (cpus %u: c0 to c%u)", q(t[0], b),
			    ctx->ncpus, ctx->ncpus - 1);
	if (n < 2)
		return perr(r, err,
			    "expected an operation after %s (pte, dsb, dmb, isb, tlbi, "
			    "access, free, use, lost, unseen)",
			    q(t[0], b));
	ev->cpu = (uint16_t)cpu;
	ev->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
	ev->seq = ++r->nevents;
	/* pc=ADDR may follow any event (section 3a): take it out before the operation's own keys. */
	for (int i = 2; i < n; i++) {
		if (t[i].n < 3 || memcmp(t[i].p, "pc=", 3))
			continue;
		if (ev->flags & FM_EVF_PC)
			return perr(r, err, "pc= given twice");
		struct tok v = {t[i].p + 3, t[i].n - 3};
		if (num(r, v, "pc", UINT64_MAX, &ev->pc, err))
			return -1;
		ev->flags |= FM_EVF_PC;
		memmove(&t[i], &t[i + 1], (size_t)(n - i - 1) * sizeof(*t));
		n--;
		i--;
	}
	struct tok op = t[1];
	if (tok_eq(op, "pte")) {
		enum { VA, LEVEL, OLD, NEW, TABLE, PTEP };
		struct kv kv[] = {{"va", false, {0}},  {"level", false, {0}}, {"old", false, {0}},
				  {"new", false, {0}}, {"table", false, {0}}, {"ptep", false, {0}}};
		ev->type = FM_EV_PTE;
		if (parse_kvs(r, t + 2, n - 2, kv, 6, "pte", NULL, NULL, err))
			return -1;
		for (int i = 0; i < 4; i++)
			if (!kv[i].seen)
				return perr(r, err,
					    "pte: expected %s= (pte va=VA level=L old=DESC "
					    "new=DESC [table=NAME] [ptep=PA])",
					    kv[i].key);
		if (event_table(r, &kv[TABLE], "pte", ev, err) ||
		    entry_addr(r, &kv[VA], &kv[LEVEL], "pte", ev, err) ||
		    num(r, kv[OLD].val, "old", UINT64_MAX, &ev->old, err) ||
		    num(r, kv[NEW].val, "new", UINT64_MAX, &ev->new, err) ||
		    (kv[PTEP].seen && num(r, kv[PTEP].val, "ptep", UINT64_MAX, &ev->ptep, err)))
			return -1;
		if (kv[PTEP].seen)
			ev->flags |= FM_EVF_PTEP;
		return 0;
	}
	if (tok_eq(op, "unseen")) {
		enum { VA, LEVEL, NEW, TABLE };
		struct kv kv[] = {{"va", false, {0}},
				  {"level", false, {0}},
				  {"new", false, {0}},
				  {"table", false, {0}}};
		ev->type = FM_EV_UNSEEN;
		if (parse_kvs(r, t + 2, n - 2, kv, 4, "unseen", NULL, NULL, err))
			return -1;
		for (int i = 0; i < 3; i++)
			if (!kv[i].seen)
				return perr(r, err,
					    "unseen: expected %s= (unseen va=VA level=L "
					    "table=NAME new=DESC)",
					    kv[i].key);
		if (event_table(r, &kv[TABLE], "unseen", ev, err) ||
		    entry_addr(r, &kv[VA], &kv[LEVEL], "unseen", ev, err) ||
		    num(r, kv[NEW].val, "new", UINT64_MAX, &ev->new, err))
			return -1;
		return 0;
	}
	if (tok_eq(op, "use")) {
		enum { TABLE, ASID, VMID, REPL };
		struct kv kv[] = {{"table", false, {0}},
				  {"asid", false, {0}},
				  {"vmid", false, {0}},
				  {"replaces", false, {0}}};
		uint64_t v;
		ev->type = FM_EV_USE;
		if (parse_kvs(r, t + 2, n - 2, kv, 4, "use", NULL, NULL, err))
			return -1;
		if (!kv[TABLE].seen)
			return perr(r, err, "use: expected table=NAME");
		if (event_table(r, &kv[TABLE], "use", ev, err))
			return -1;
		const struct fm_table_decl *d = &ctx->tables[ev->table];
		if (!d->dynamic)
			return perr(r, err,
				    "use: table %s is not dynamic (its walkers are declared with "
				    "shared/private); declare it 'dynamic' to name them with use",
				    d->name);
		if (kv[ASID].seen) {
			if (d->regime != FM_REGIME_EL1 && d->regime != FM_REGIME_EL20)
				return perr(r, err, "use: asid= applies to regime=el1 and el20 only");
			if (num(r, kv[ASID].val, "asid", 0xffff, &v, err))
				return -1;
			ev->arg = v << 48;
			ev->flags |= FM_EVF_ASID;
		}
		if (kv[VMID].seen) {
			if (d->regime != FM_REGIME_EL1 && d->regime != FM_REGIME_S2)
				return perr(r, err, "use: vmid= applies to regime=el1 and s2 only");
			if (num(r, kv[VMID].val, "vmid", 0xffff, &v, err))
				return -1;
			ev->vmid = (uint16_t)v;
			ev->flags |= FM_EVF_VMID;
		}
		if (kv[REPL].seen) {
			int ti = find_table_r(r, kv[REPL].val);
			if (ti < 0)
				return perr(r, err, "use: replaces=%s is not declared", q(kv[REPL].val, b));
			if (ctx->tables[ti].regime != d->regime)
				return perr(r, err,
					    "use: replaces=%s is a table of another regime than %s",
					    q(kv[REPL].val, b), d->name);
			ev->ptep = (uint64_t)ti;
			ev->flags |= FM_EVF_REPLACES;
		}
		return 0;
	}
	if (tok_eq(op, "lost")) {
		struct kv kv[] = {{"count", false, {0}}};
		ev->type = FM_EV_LOST;
		if (parse_kvs(r, t + 2, n - 2, kv, 1, "lost", NULL, NULL, err))
			return -1;
		if (!kv[0].seen)
			return perr(r, err, "lost: expected count=C");
		if (num(r, kv[0].val, "count", UINT64_MAX, &ev->arg, err))
			return -1;
		if (!ev->arg)
			return perr(r, err, "lost: count=0 (nothing was lost: leave the line out)");
		return 0;
	}
	if (tok_eq(op, "dsb") || tok_eq(op, "dmb")) {
		ev->type = op.p[1] == 's' ? FM_EV_DSB : FM_EV_DMB;
		int crm = -1;
		if (n == 3) {
			char dom[8] = {0};
			if (t[2].n < sizeof(dom)) {
				memcpy(dom, t[2].p, t[2].n);
				crm = arm64_bar_lookup(dom);
			}
		}
		if (crm < 0)
			return perr(r, err,
				    "%s: expected one domain of sy st ld ish ishst ishld nsh "
				    "nshst nshld osh oshst oshld%s%s%s",
				    ev->type == FM_EV_DSB ? "dsb" : "dmb",
				    n >= 3 ? ", found '" : "", n >= 3 ? q(t[2], b) : "",
				    n >= 3 ? "'" : "");
		ev->bar = (uint8_t)crm;
		return 0;
	}
	if (tok_eq(op, "isb")) {
		if (n != 2)
			return perr(r, err, "isb: expected nothing after isb, found '%s'",
				    q(t[2], b));
		ev->type = FM_EV_ISB;
		ev->bar = BAR_SY;
		return 0;
	}
	if (tok_eq(op, "tlbi")) {
		ev->type = FM_EV_TLBI;
		return parse_tlbi(r, t, n, ev, err);
	}
	if (tok_eq(op, "access")) {
		struct kv kv[] = {{"va", false, {0}}, {"table", false, {0}}};
		bool exec = false;
		ev->type = FM_EV_ACCESS;
		if (parse_kvs(r, t + 2, n - 2, kv, 2, "access", "exec", &exec, err))
			return -1;
		if (!kv[0].seen)
			return perr(r, err, "access: expected va=VA [exec] [table=NAME]");
		if (num(r, kv[0].val, "va", UINT64_MAX, &ev->va, err))
			return -1;
		if (exec)
			ev->flags |= FM_EVF_EXEC;
		if (kv[1].seen) {
			if (event_table(r, &kv[1], "access", ev, err))
				return -1;
			ev->flags |= FM_EVF_TABLE;
		}
		return 0;
	}
	if (tok_eq(op, "free")) {
		struct kv kv[] = {{"pa", false, {0}}};
		ev->type = FM_EV_FREE;
		if (parse_kvs(r, t + 2, n - 2, kv, 1, "free", NULL, NULL, err))
			return -1;
		if (!kv[0].seen)
			return perr(r, err, "free: expected pa=PA");
		if (num(r, kv[0].val, "pa", UINT64_MAX, &ev->ptep, err))
			return -1;
		return 0;
	}
	return perr(r, err,
		    "unknown operation '%s' (expected pte, dsb, dmb, isb, tlbi, access, free, use, "
		    "lost or unseen)",
		    q(op, b));
}

/* Writer. */

static bool is_default_ctx_table(const struct fm_trace_ctx *ctx)
{
	const struct fm_table_decl *d = &ctx->tables[0];

	if (ctx->ntables != 1 || strcmp(d->name, "default") || d->regime != FM_REGIME_EL2 ||
	    !d->shared)
		return false;
	for (unsigned c = 0; c < ctx->ncpus; c++)
		if (!trace_ctx_walks(ctx, 0, c))
			return false;
	return true;
}

/* "0,2-3" */
static void cpu_list(const struct fm_table_decl *d, unsigned ncpus, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < ncpus && c < FM_MAX_CPUS; c++) {
		if (!((d->cpus[c / 64] >> (c % 64)) & 1))
			continue;
		unsigned e = c;
		while (e + 1 < ncpus && ((d->cpus[(e + 1) / 64] >> ((e + 1) % 64)) & 1))
			e++;
		int w = e > c ? snprintf(buf + o, n - o, "%s%u-%u", o ? "," : "", c, e)
			      : snprintf(buf + o, n - o, "%s%u", o ? "," : "", c);
		if (w < 0 || (size_t)w >= n - o)
			return;
		o += (size_t)w;
		c = e;
	}
}

size_t trace_text_format_table(const struct fm_trace_ctx *ctx, unsigned i, char *buf, size_t n)
{
	static const char *const regime[FM_NREGIMES] = {"el2", "el1", "s2", "el20"};
	const struct fm_table_decl *d = &ctx->tables[i];
	char list[1024], extra[96] = "";
	int w;
	size_t o = 0;

	if (d->granule != FM_GRANULE_4K)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " granule=%s",
				      desc_granule_name((enum fm_granule)d->granule));
	if (d->lpa2)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " lpa2");
	if (d->has_asid)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " asid=%u", d->asid);
	if (d->has_vmid)
		snprintf(extra + o, sizeof(extra) - o, " vmid=%u", d->vmid);
	if (d->dynamic) {
		w = snprintf(buf, n, "table %s regime=%s dynamic%s", d->name,
			     regime[d->regime < FM_NREGIMES ? d->regime : 0], extra);
	} else {
		cpu_list(d, ctx->ncpus, list, sizeof(list));
		w = snprintf(buf, n, "table %s regime=%s %s cpus=%s%s", d->name,
			     regime[d->regime < FM_NREGIMES ? d->regime : 0],
			     d->shared ? "shared" : "private", list, extra);
	}
	return w < 0 ? 0 : (size_t)w;
}

int trace_text_write_header(FILE *f, const struct fm_trace_ctx *ctx)
{
	char line[1400];

	fprintf(f, "fixmap-trace 1\ncpus %u\n", ctx->ncpus);
	if (!is_default_ctx_table(ctx)) {
		for (unsigned i = 0; i < ctx->ntables; i++) {
			trace_text_format_table(ctx, i, line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
	}
	if (ctx->features & FM_FEAT_TTL)
		fputs("feature ttl\n", f);
	if (ctx->bbm_level)
		fprintf(f, "feature bbm=%u\n", ctx->bbm_level);
	if (ctx->features & FM_FEAT_ETS2)
		fputs("feature ets2\n", f);
	if (ctx->features & FM_FEAT_CNP)
		fputs("feature cnp\n", f);
	if (ctx->cut)
		fputs("cut\n", f);
	return ferror(f) ? -1 : 0;
}

/*
 * Whether pte/unseen events name their table. A reader requires table= once
 * two tables exist, and a trace with events before its first table line has
 * the implicit one too: a recorder that declares its first (dynamic) table
 * after events must name it.
 */
static bool names_tables(const struct fm_trace_ctx *ctx)
{
	return ctx->ntables > 1 || (ctx->ntables == 1 && ctx->tables[0].dynamic);
}

/*
 * An event line is written by hand rather than by snprintf: the recorder
 * formats every event of a guest under its lock, and printf's format parsing
 * was a third of that cost. snprintf's contract is kept: at most n - 1
 * characters and a NUL, and the length the whole line has.
 */
struct lw {
	char *buf;
	size_t n, len;
};

static void lw_ch(struct lw *w, char ch)
{
	if (w->len + 1 < w->n)
		w->buf[w->len] = ch;
	w->len++;
}

static void lw_str(struct lw *w, const char *s)
{
	while (*s)
		lw_ch(w, *s++);
}

static void lw_hex(struct lw *w, uint64_t v)
{
	char t[16];
	int i = 0;

	lw_str(w, "0x");
	do {
		t[i++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (i)
		lw_ch(w, t[--i]);
}

static void lw_dec(struct lw *w, uint64_t v)
{
	char t[20];
	int i = 0;

	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		lw_ch(w, t[--i]);
}

/* " key=value": hexadecimal, decimal, signed decimal, text */
static void lw_khex(struct lw *w, const char *key, uint64_t v)
{
	lw_str(w, key);
	lw_hex(w, v);
}

static void lw_kdec(struct lw *w, const char *key, uint64_t v)
{
	lw_str(w, key);
	lw_dec(w, v);
}

static void lw_kint(struct lw *w, const char *key, int v)
{
	lw_str(w, key);
	if (v < 0)
		lw_ch(w, '-');
	lw_dec(w, v < 0 ? (uint64_t)-(int64_t)v : (uint64_t)v);
}

static void lw_kstr(struct lw *w, const char *key, const char *s)
{
	lw_str(w, key);
	lw_str(w, s);
}

/* "cN verb" */
static void lw_head(struct lw *w, unsigned cpu, const char *verb)
{
	lw_kdec(w, "c", cpu);
	lw_ch(w, ' ');
	lw_str(w, verb);
}

static void lw_table(struct lw *w, const struct fm_trace_ctx *ctx, unsigned table)
{
	if (names_tables(ctx) && table < ctx->ntables)
		lw_kstr(w, " table=", ctx->tables[table].name);
}

size_t trace_text_format_event(const struct fm_trace_ctx *ctx, const struct fm_event *ev, char *buf,
			       size_t n)
{
	struct lw w = {buf, n, 0};
	char bb[8];

	switch (ev->type) {
	case FM_EV_PTE:
		lw_head(&w, ev->cpu, "pte");
		lw_khex(&w, " va=", ev->va);
		lw_kint(&w, " level=", ev->level);
		lw_khex(&w, " old=", ev->old);
		lw_khex(&w, " new=", ev->new);
		lw_table(&w, ctx, ev->table);
		if (ev->flags & FM_EVF_PTEP)
			lw_khex(&w, " ptep=", ev->ptep);
		break;
	case FM_EV_UNSEEN:
		lw_head(&w, ev->cpu, "unseen");
		lw_khex(&w, " va=", ev->va);
		lw_kint(&w, " level=", ev->level);
		lw_khex(&w, " new=", ev->new);
		lw_table(&w, ctx, ev->table);
		break;
	case FM_EV_USE:
		lw_head(&w, ev->cpu, "use");
		lw_kstr(&w, " table=", ev->table < ctx->ntables ? ctx->tables[ev->table].name : "?");
		if (ev->flags & FM_EVF_ASID)
			lw_kdec(&w, " asid=", TLBI_ASID(ev->arg));
		if (ev->flags & FM_EVF_VMID)
			lw_kdec(&w, " vmid=", ev->vmid);
		if ((ev->flags & FM_EVF_REPLACES) && ev->ptep < ctx->ntables)
			lw_kstr(&w, " replaces=", ctx->tables[ev->ptep].name);
		break;
	case FM_EV_LOST:
		lw_head(&w, ev->cpu, "lost");
		lw_kdec(&w, " count=", ev->arg);
		break;
	case FM_EV_TABLE:
		if (ev->table < ctx->ntables)
			return trace_text_format_table(ctx, ev->table, buf, n);
		lw_kdec(&w, "# table ", ev->table);
		lw_str(&w, " is not declared");
		break;
	case FM_EV_CUT:
		lw_str(&w, "cut");
		break;
	case FM_EV_DSB:
	case FM_EV_DMB:
		lw_head(&w, ev->cpu, ev->type == FM_EV_DSB ? "dsb " : "dmb ");
		lw_str(&w, arm64_bar_name(ev->bar, bb));
		break;
	case FM_EV_ISB:
		lw_head(&w, ev->cpu, "isb");
		break;
	case FM_EV_TLBI: {
		unsigned f = arm64_tlbi_flags(ev->tlbi);
		uint64_t addr = arm64_tlbi_addr(ev->tlbi, ev->arg);
		lw_head(&w, ev->cpu, "tlbi ");
		lw_str(&w, arm64_tlbi_name(ev->tlbi));
		/* va=/ttl=/asid= only where the reader takes them back: no asid= for the
		 * ops without an ASID (by IPA, all ASIDs), whose raw operand may still
		 * carry bits [63:48] */
		if ((f & (TLBI_F_VA | TLBI_F_IPA)) && !(f & TLBI_F_RANGE) &&
		    !(TLBI_ASID(ev->arg) && (f & (TLBI_F_IPA | TLBI_F_AA))) &&
		    arm64_tlbi_encode(ev->tlbi, addr, (unsigned)TLBI_TTL(ev->arg),
				      (unsigned)TLBI_ASID(ev->arg)) == ev->arg) {
			lw_khex(&w, " va=", addr);
			if (TLBI_TTL(ev->arg))
				lw_kdec(&w, " ttl=", TLBI_TTL(ev->arg));
			if (TLBI_ASID(ev->arg))
				lw_kdec(&w, " asid=", TLBI_ASID(ev->arg));
		} else if ((f & TLBI_F_ASID) && !(ev->arg & 0xffffffffffffull)) {
			lw_kdec(&w, " asid=", TLBI_ASID(ev->arg));
		} else if (ev->arg || (f & (TLBI_F_VA | TLBI_F_IPA | TLBI_F_ASID | TLBI_F_RANGE))) {
			/* operand ops always get one: the reader requires it (range ops: arg=) */
			lw_khex(&w, " arg=", ev->arg);
		}
		if (ev->flags & FM_EVF_VMID)
			lw_kdec(&w, " vmid=", ev->vmid);
		break;
	}
	case FM_EV_ACCESS:
		lw_head(&w, ev->cpu, "access");
		lw_khex(&w, " va=", ev->va);
		if (ev->flags & FM_EVF_EXEC)
			lw_str(&w, " exec");
		if ((ev->flags & FM_EVF_TABLE) && ev->table < ctx->ntables)
			lw_kstr(&w, " table=", ctx->tables[ev->table].name);
		break;
	case FM_EV_FREE:
		lw_head(&w, ev->cpu, "free");
		lw_khex(&w, " pa=", ev->ptep);
		break;
	default:
		lw_kdec(&w, "# c", ev->cpu);
		lw_kdec(&w, " unknown event type ", ev->type);
	}
	if ((ev->flags & FM_EVF_PC) && ev->type != FM_EV_TABLE && ev->type != FM_EV_CUT && w.len < n)
		lw_khex(&w, " pc=", ev->pc);
	if (n)
		buf[w.len < n ? w.len : n - 1] = '\0';
	return w.len;
}

int trace_text_write_event(FILE *f, const struct fm_trace_ctx *ctx, const struct fm_event *ev)
{
	char line[1400];

	trace_text_format_event(ctx, ev, line, sizeof(line));
	fputs(line, f);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}
