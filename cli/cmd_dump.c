/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl dump: the agent's per-CPU fixmap slot table (the default), or a
 * whole translation table of a regime (--regime), as coalesced ranges in the
 * Linux ptdump style:
 *
 *   0xffff800008010000-0xffff800008c00000     12224K L3  0x40210000  ro SHD AF UXN MEM/NORMAL
 *
 * Adjacent leaves merge into one range when they have the same level, the same
 * attribute bits (the descriptor without its output address), the same
 * inherited table attributes and contiguous output addresses.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "cmds.h"
#include "desc.h"
#include "elfsym.h"
#include "err.h"
#include "print.h"
#include "tgtopt.h"
#include "walk.h"

struct dump_opts {
	struct tgtopt to;
	enum fm_regime regime;
	bool regime_given;
	bool merge;
	bool json;
	bool range_given;
	bool stats;
	uint64_t lo, hi;
};

/* Totals over the walks of one command, for --stats. */
static struct walk_stats dump_totals;

/* One coalesced range being built. */
struct dump_range {
	bool open;
	uint64_t va, last; /* inclusive */
	uint64_t pa;
	uint64_t attrbits; /* raw without the output address */
	uint64_t raw;      /* first entry, decoded when the range is printed */
	int level;
	uint64_t entries;
	struct walk_tattr inherit;
};

struct dump_state {
	enum fm_regime regime;
	const struct walk_cfg *c;
	struct desc_fmt fmt;
	uint64_t mair;
	struct elfsym *sym; /* --elf: ranges that start in the image are named */
	bool merge;
	struct dump_range cur;
	uint64_t ranges, leaves, faults;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl dump (--gdb HOST:PORT | --mem FILE[@PHYSBASE]) [options]\n"
		"       fixmapctl dump ... --regime el2|el20|el1|s2 [--no-merge] [--range VA-VA]\n"
		"\n"
		"Without --regime: the agent's per-CPU fixmap slot table (the agent is found\n"
		"by the symbol fixmap_shared of --elf, or by its magic in RAM): slot VA,\n"
		"entry PA, descriptor, output address, events and lost per ring, maps/unmaps\n"
		"and attributes (memory type through the CPU's MAIR_EL2).\n"
		"With --regime: the whole translation table of the regime, from the\n"
		"registers of --cpu (TTBR0_EL2; TTBR0_EL2 and TTBR1_EL2; TTBR0_EL1 and\n"
		"TTBR1_EL1; VTTBR_EL2), walked in physical memory in the granule and\n"
		"descriptor format the TCR selects (4K, 16K, 64K; LPA2), printed as\n"
		"coalesced ranges.\n"
		"\n"
		"options:\n"
		"  --regime R             el2 (TTBR0_EL2; el20 when HCR_EL2.E2H = 1), el20\n"
		"                         (EL2&0: TTBR0/1_EL2), el1 (TTBR0/1_EL1) or s2 (VTTBR_EL2)\n"
		"  --no-merge             one line per leaf entry\n"
		"  --range LO-HI|LO+SIZE  only this input address range\n"
		"  --stats                print time, bytes, packets and tables read on stderr\n"
		"With --elf (and --regime), ranges that start inside the image are named by\n"
		"the symbol there (<_stext+0x0>); a Linux Image is moved by its KASLR offset.\n"
		"  -j, --json             one JSON object per range (JSON Lines)\n"
		"  -h, --help             this help\n"
		"%s",
		tgtopt_usage);
}

static size_t tattr_format(const struct walk_tattr *a, enum fm_regime r, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (a->ap_table)
		len += (size_t)snprintf(buf + len, n - len, "%sAPT=%u", len ? " " : "", a->ap_table);
	if (a->pxn_table && len < n)
		len += (size_t)snprintf(buf + len, n - len, "%sPXNT", len ? " " : "");
	if (a->xn_table && len < n)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "",
					r == FM_REGIME_EL1 || r == FM_REGIME_EL20 ? "UXNT" : "XNT");
	if (a->ns_table && len < n)
		len += (size_t)snprintf(buf + len, n - len, "%sNST", len ? " " : "");
	return len;
}

/* JSON only: the translation format every range of the table is in. */
static void print_fmt(const struct desc_fmt *f)
{
	print_str("regime", NULL, desc_regime_name(f->regime));
	print_str("granule", NULL, desc_granule_name(f->granule));
	print_bool("lpa2", NULL, f->lpa2);
}

/* Linux ptdump's size: K, promoted while it divides evenly. */
static void print_size(uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	uint64_t v = bytes >> 10;
	unsigned u = 0;

	while (v && !(v & 1023) && units[u + 1]) {
		v >>= 10;
		u++;
	}
	print_uint("size", NULL, bytes);
	print_text(" %9" PRIu64 "%c", v, units[u]);
}

static const char *fault_name(enum walk_fault f)
{
	switch (f) {
	case WALK_FAULT_ADDRSIZE:
		return "address-size-fault";
	case WALK_FAULT_UNREADABLE:
		return "unreadable";
	default:
		return "";
	}
}

static void flush(struct dump_state *s)
{
	struct dump_range *r = &s->cur;
	char attrs[200], ta[64], mt[48];
	struct desc d;

	if (!r->open)
		return;
	r->open = false;
	s->ranges++;
	walk_decode(s->c, r->raw, r->level, &d);
	desc_format(&d, s->mair, attrs, sizeof(attrs));
	desc_leaf_memtype(&d, s->mair, mt, sizeof(mt));
	tattr_format(&r->inherit, s->regime, ta, sizeof(ta));
	print_obj_begin(NULL);
	print_hex("va", "0x%016" PRIx64, r->va);
	/* ptdump prints the exclusive end; the top of the address space has none */
	print_hex("last", r->last == ~0ull ? "-0x%016" PRIx64 : NULL, r->last);
	if (r->last != ~0ull)
		print_text("-0x%016" PRIx64, r->last + 1);
	print_size(r->last - r->va + 1);
	print_int("level", " L%" PRId64, r->level);
	print_hex("pa", "  %#-12" PRIx64, r->pa);
	print_str("attrs", " %s", attrs);
	if (ta[0])
		print_str("table_attrs", " [%s]", ta);
	if (s->sym && elfsym_find(s->sym, r->va)) {
		char name[160];

		elfsym_format(s->sym, r->va, name, sizeof(name));
		print_str("sym", "  <%s>", name);
	}
	print_uint("entries", NULL, r->entries);
	print_hex("raw", NULL, r->raw);
	print_str("memtype", NULL, mt);
	print_fmt(&s->fmt);
	print_obj_end();
}

static int on_leaf(const struct walk_entry *e, void *arg)
{
	struct dump_state *s = arg;
	struct dump_range *r = &s->cur;
	uint64_t attrbits = e->raw & ~desc_fmt_oa_bits(&s->fmt);

	s->leaves++;
	if (e->fault) {
		char attrs[200];
		struct desc d;

		flush(s);
		s->faults++;
		walk_decode(s->c, e->raw, e->level, &d);
		desc_format(&d, s->mair, attrs, sizeof(attrs));
		print_obj_begin(NULL);
		print_hex("va", "0x%016" PRIx64, e->va);
		print_hex("last", NULL, e->va + e->size - 1);
		print_text("-0x%016" PRIx64, e->va + e->size);
		print_size(e->size);
		print_int("level", " L%" PRId64, e->level);
		print_hex("pa", "  %#-12" PRIx64, e->oa);
		print_str("attrs", " %s", attrs);
		print_str("fault", "  <%s>", fault_name(e->fault));
		print_hex("raw", NULL, e->raw);
		print_fmt(&s->fmt);
		print_obj_end();
		return 0;
	}
	if (s->merge && r->open && r->level == e->level && r->attrbits == attrbits &&
	    r->last + 1 == e->va && r->pa + (r->last - r->va + 1) == e->oa &&
	    !memcmp(&r->inherit, &e->inherit, sizeof(r->inherit))) {
		r->last = e->va + e->size - 1;
		r->entries++;
		return 0;
	}
	flush(s);
	r->open = true;
	r->va = e->va;
	r->last = e->va + e->size - 1;
	r->pa = e->oa;
	r->attrbits = attrbits;
	r->raw = e->raw;
	r->level = e->level;
	r->entries = 1;
	r->inherit = e->inherit;
	return 0;
}

static int on_table(const struct walk_entry *e, void *arg)
{
	struct dump_state *s = arg;

	if (!e->fault)
		return 0;
	flush(s);
	s->faults++;
	print_obj_begin(NULL);
	print_hex("va", "0x%016" PRIx64, e->va);
	print_hex("last", NULL, e->va + e->size - 1);
	print_text("-0x%016" PRIx64, e->va + e->size);
	print_size(e->size);
	print_int("level", " L%" PRId64, e->level);
	print_str("kind", " table", "table");
	print_hex("table", " -> %#" PRIx64, e->oa);
	print_str("fault", "  <%s>", fault_name(e->fault));
	print_hex("raw", NULL, e->raw);
	print_fmt(&s->fmt);
	print_obj_end();
	return 0;
}

static int on_invalid(const struct walk_entry *e, void *arg)
{
	(void)e;
	flush(arg);
	return 0;
}

static const struct walk_visitor dump_visitor = {
	.lazy = true, .leaf = on_leaf, .table = on_table, .invalid = on_invalid};

/* Walks one table (one TTBR) and prints its ranges. */
static int dump_one(struct target *t, const struct dump_opts *o, enum fm_regime regime,
		    struct elfsym *sym, const char *ttbr_name, uint64_t ttbr, const char *tcr_name, uint64_t tcr,
		    uint64_t mair, int ttbr1, struct fm_err *err)
{
	struct dump_state s;
	struct walk_cfg c;
	struct walk_stats st;
	uint64_t lo = o->range_given ? o->lo : 0, hi = o->range_given ? o->hi : ~0ull;

	if (walk_cfg_from_regs(regime, ttbr, tcr, mair, ttbr1, &c, err))
		return fm_err_prefix(err, "%s=%#" PRIx64 " %s=%#" PRIx64, ttbr_name, ttbr, tcr_name,
				     tcr);
	print_text("# %s %s=%#" PRIx64 " %s=%#" PRIx64, desc_regime_name(regime), ttbr_name, ttbr,
		   tcr_name, tcr);
	if (regime != FM_REGIME_S2)
		print_text(" MAIR=%#" PRIx64, mair);
	print_text(": %s granule%s, %u-bit, start level %d", desc_granule_name(c.fmt.granule),
		   c.fmt.lpa2 ? " LPA2" : "", c.ia_bits, c.start_level);
	if (c.nentries > desc_fmt_entries(&c.fmt))
		print_text(" (%u concatenated tables)", c.nentries / desc_fmt_entries(&c.fmt));
	print_text(" at %#" PRIx64 "\n", c.root);
	if (c.disabled) {
		print_text("# walks disabled (%s.EPD%d)\n", tcr_name, ttbr1);
		return 0;
	}
	if (hi < c.va_lo || lo > c.va_hi)
		return 0;
	memset(&s, 0, sizeof(s));
	s.regime = regime;
	s.c = &c;
	s.fmt = c.fmt;
	s.mair = mair;
	s.merge = o->merge;
	s.sym = sym;
	if (walk_range(t, &c, lo, hi, &dump_visitor, &s, err))
		return -1;
	flush(&s);
	walk_last_stats(&st);
	dump_totals.tables += st.tables;
	dump_totals.batches += st.batches;
	dump_totals.entries += st.entries;
	print_text("# %" PRIu64 " ranges, %" PRIu64 " leaf entries, %" PRIu64 " tables read\n",
		   s.ranges, s.leaves, st.tables);
	return 0;
}

/* One row of the slot table: the entry as it is in memory now, decoded with the CPU's MAIR_EL2. */
static void slot_row(const struct agent_cpu *ac, uint64_t pte, bool pte_read)
{
	const struct fixmap_cpu *c = &ac->c;
	struct desc_fmt f;
	struct desc d;
	char attrs[200], mt[48];
	bool valid;

	/* The agent's table format: its HCR_EL2.E2H and TCR_EL2 (granule, LPA2). */
	desc_fmt_el2(c->hcr_el2, c->tcr_el2, &f);
	desc_decode_fmt(&f, pte, 3, &d);
	valid = d.kind == DESC_PAGE;
	desc_format(&d, c->mair_el2, attrs, sizeof(attrs));
	print_obj_begin(NULL);
	print_uint("cpu", "%3" PRIu64, c->cpu);
	print_bool("online", NULL, c->online);
	print_hex("slot_va", "  0x%016" PRIx64, c->slot_va);
	print_hex("pte_pa", "  %#-12" PRIx64, c->pte_pa);
	print_hex("pte", "  0x%016" PRIx64, pte);
	if (!pte_read || pte != c->pte)
		print_hex("recorded_pte", NULL, c->pte);
	print_bool("valid", NULL, valid);
	if (valid) {
		desc_leaf_memtype(&d, c->mair_el2, mt, sizeof(mt));
		print_hex("oa", "  %#-12" PRIx64, d.oa);
		print_str("memtype", NULL, mt);
	} else {
		print_null("oa", "  -           ");
	}
	print_uint("events", " %10" PRIu64, c->produced);
	print_uint("lost", " %6" PRIu64, c->lost);
	print_uint("maps", " %10" PRIu64, c->maps);
	print_uint("unmaps", "/%-10" PRIu64, c->unmaps);
	print_uint("pending", NULL, c->head - c->tail);
	print_str("attrs", " %s", attrs);
	if (!pte_read)
		print_str("note", "  (entry unreadable: the agent's copy)", "entry unreadable");
	else if (pte != c->pte)
		print_text("  (agent recorded %#" PRIx64 ")", c->pte);
	if (!ac->usable && ac->why[0])
		print_str("ring_error", "  [ring: %s]", ac->why);
	if (print_is_json()) {
		print_obj_begin("desc");
		desc_print(&d, c->mair_el2);
		print_obj_end();
	}
	print_obj_end();
}

/* The per-CPU slot table. */
static int dump_slots(struct target *t, const struct dump_opts *o, struct fm_err *err)
{
	struct agent_state *st = calloc(1, sizeof(*st));
	struct target_iov iov[FIXMAP_MAX_CPUS];
	uint64_t pte[FIXMAP_MAX_CPUS] = {0};
	bool read_ok[FIXMAP_MAX_CPUS] = {false};
	unsigned idx[FIXMAP_MAX_CPUS], n = 0;
	struct fm_err e2;

	if (!st)
		return fm_err_set(err, "out of memory");
	if (tgtopt_find_agent(&o->to, t, NULL, "dump", st, err)) {
		free(st);
		return fm_err_prefix(err, "no agent found (give --regime el2|el20|el1|s2 to dump "
					  "a table)");
	}
	/* The live entries, in one batch (the agent's own copy may lag). */
	for (unsigned i = 0; i < st->max_cpus; i++) {
		if (!st->cpu[i].present || !st->cpu[i].c.pte_pa)
			continue;
		iov[n].pa = st->cpu[i].c.pte_pa;
		iov[n].buf = &pte[i];
		iov[n].len = 8;
		idx[n++] = i;
	}
	if (n && target_read_phys_v(t, iov, n, &e2) == 0) {
		for (unsigned k = 0; k < n; k++)
			read_ok[idx[k]] = true;
	} else {
		for (unsigned k = 0; k < n; k++)
			read_ok[idx[k]] = target_read_phys_v(t, &iov[k], 1, &e2) == 0;
	}
	print_text("# agent at %#" PRIx64 ": protocol %u.%u, %s, mode %s, %u of %u CPUs, "
		   "iterations %" PRIu64 "%s\n",
		   st->pa, st->hdr.major, st->hdr.minor, agent_state_name(st->hdr.state),
		   agent_mode_name(st->hdr.mode), st->ncpus, st->max_cpus, st->hdr.iters,
		   st->hdr.iters ? "" : " (forever)");
	print_text("%3s  %-18s  %-12s  %-18s  %-12s %10s %6s %10s/%-10s %s\n", "CPU", "SLOT VA",
		   "ENTRY PA", "DESCRIPTOR", "OA", "EVENTS", "LOST", "MAPS", "UNMAPS", "ATTRS");
	for (unsigned i = 0; i < st->max_cpus; i++) {
		/* Areas of CPUs never brought up carry nothing to show. */
		if (!st->cpu[i].present || (!st->cpu[i].c.online && !st->cpu[i].c.slot_va))
			continue;
		if (o->to.cpu_given && i != o->to.cpu)
			continue;
		slot_row(&st->cpu[i], read_ok[i] ? pte[i] : st->cpu[i].c.pte, read_ok[i]);
	}
	free(st);
	return 0;
}

static int dump_regime(struct target *t, const struct dump_opts *o, struct elfsym *sym,
		       struct fm_err *err)
{
	const struct tgtopt *to = &o->to;
	uint64_t ttbr, ttbr1, tcr, mair = 0;

	enum fm_regime regime = o->regime;

	if (regime == FM_REGIME_EL2 && tgtopt_el2_vhe(to, t, "dump")) {
		/* TCR_EL2 has the TCR_EL1 layout and TTBR1_EL2 is live: el2 would misdecode. */
		print_text("# HCR_EL2.E2H = 1 on CPU %u (VHE or hVHE): walking the EL2&0 regime "
			   "(--regime el20)\n",
			   to->cpu);
		regime = FM_REGIME_EL20;
	}
	switch (regime) {
	case FM_REGIME_EL2:
		if (tgtopt_el2_regs(to, t, "dump", &ttbr, &tcr, &mair, err))
			return -1;
		return dump_one(t, o, regime, sym, "TTBR0_EL2", ttbr, "TCR_EL2", tcr, mair, 0, err);
	case FM_REGIME_EL20: {
		struct fm_err e1;
		bool have1;

		if (tgtopt_el2_regs(to, t, "dump", &ttbr, &tcr, &mair, err))
			return -1;
		/* TTBR1_EL2 where the target has it (or --ttbr1 gives it). */
		have1 = !tgtopt_sysreg(to, t, TGTOPT_TTBR1, "TTBR1_EL2", &ttbr1, &e1);
		if (dump_one(t, o, regime, sym, "TTBR0_EL2", ttbr, "TCR_EL2", tcr, mair, 0, err))
			return -1;
		if (have1)
			return dump_one(t, o, regime, sym, "TTBR1_EL2", ttbr1, "TCR_EL2", tcr, mair, 1,
					err);
		/* Without TTBR1_EL2 only a disabled upper range (EPD1) is complete. */
		if (!((tcr >> 23) & 1))
			return fm_err_set(err, "TTBR1_EL2: %s", e1.msg);
		return 0;
	}
	case FM_REGIME_EL1: {
		bool have0, have1;
		struct fm_err e0;

		if (tgtopt_sysreg(to, t, TGTOPT_TCR, "TCR_EL1", &tcr, err) ||
		    tgtopt_sysreg(to, t, TGTOPT_MAIR, "MAIR_EL1", &mair, err))
			return -1;
		/* Without system registers, walk the ranges whose TTBR was given. */
		have0 = !tgtopt_sysreg(to, t, TGTOPT_TTBR, "TTBR0_EL1", &ttbr, &e0);
		have1 = !tgtopt_sysreg(to, t, TGTOPT_TTBR1, "TTBR1_EL1", &ttbr1, err);
		if (!have0 && !have1)
			return -1;
		if (have0 &&
		    dump_one(t, o, regime, sym, "TTBR0_EL1", ttbr, "TCR_EL1", tcr, mair, 0, err))
			return -1;
		if (have1 &&
		    dump_one(t, o, regime, sym, "TTBR1_EL1", ttbr1, "TCR_EL1", tcr, mair, 1, err))
			return -1;
		return 0;
	}
	default:
		if (tgtopt_sysreg(to, t, TGTOPT_VTTBR, "VTTBR_EL2", &ttbr, err) ||
		    tgtopt_sysreg(to, t, TGTOPT_VTCR, "VTCR_EL2", &tcr, err))
			return -1;
		return dump_one(t, o, regime, sym, "VTTBR_EL2", ttbr, "VTCR_EL2", tcr, 0, 0, err);
	}
}

static int parse(int argc, char **argv, struct dump_opts *o, struct fm_err *err)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},	 {"help", no_argument, NULL, 'h'},
		{"regime", required_argument, NULL, 'r'}, {"no-merge", no_argument, NULL, 'n'},
		{"range", required_argument, NULL, 'R'},  {"stats", no_argument, NULL, 's'},
		TGTOPT_LONGOPTS,
		{NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	tgtopt_init(&o->to);
	o->merge = true;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			return 1;
		case 'r':
			if (walk_regime_parse(optarg, &o->regime))
				return fm_err_set(err, "--regime '%s': expected el2, el20, el1 or s2",
						  optarg);
			o->regime_given = true;
			break;
		case 'n':
			o->merge = false;
			break;
		case 's':
			o->stats = true;
			break;
		case 'R':
			if (tgtopt_parse_range(optarg, &o->lo, &o->hi))
				return fm_err_set(err, "--range '%s': expected LO-HI or LO+SIZE", optarg);
			o->range_given = true;
			break;
		case '?':
		case ':':
			return tgtopt_bad_option(argv, optind, optopt, err);
		default:
			if (tgtopt_option(&o->to, c, optarg, err) != 1)
				return -1;
		}
	}
	if (optind < argc)
		return fm_err_set(err, "'%s': unexpected argument", argv[optind]);
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o;
	struct fm_err err = {{0}};
	struct target *t;
	struct timespec t0, t1, c0, c1;
	struct elfsym *sym = NULL;
	int r, rc = EXIT_OK;

	r = parse(argc, argv, &o, &err);
	if (r > 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (r < 0) {
		fm_warn("dump: %s", err.msg);
		usage(stderr);
		return EXIT_BAD;
	}
	t = tgtopt_open(&o.to, &err);
	if (!t) {
		fm_warn("dump: %s", err.msg);
		return EXIT_BAD;
	}
	print_init(stdout, o.json);
	memset(&dump_totals, 0, sizeof(dump_totals));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if (target_stop(t, &err) ||
	    (o.regime_given ? tgtopt_symbols(&o.to, t, &sym, &err) || dump_regime(t, &o, sym, &err)
			    : dump_slots(t, &o, &err))) {
		fm_warn("dump: %s", err.msg);
		rc = EXIT_BAD;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	if (o.stats)
		fm_warn("dump: stats: %.4f s (cpu %.4f s), %" PRIu64 " bytes in %" PRIu64 " round trips, %" PRIu64
			" packets; %" PRIu64 " tables in %" PRIu64 " batches, %" PRIu64 " entries (%s)",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			(double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9,
			t->bytes_read, t->round_trips, t->packets, dump_totals.tables,
			dump_totals.batches, dump_totals.entries, target_describe(t));
	if (target_resume(t, &err) && rc == EXIT_OK) {
		fm_warn("dump: %s", err.msg);
		rc = EXIT_BAD;
	}
	target_close(t);
	elfsym_close(sym);
	if (print_finish()) {
		fm_warn("dump: writing the output failed");
		rc = EXIT_BAD;
	}
	return rc;
}
