/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl walk VA: the table walk of one address, level by level, as the
 * MMU does it (Arm ARM D8.2): each level's table, index, entry address, raw
 * descriptor and its decoding, then the output address or the fault.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "desc.h"
#include "elfsym.h"
#include "err.h"
#include "print.h"
#include "tgtopt.h"
#include "walk.h"

struct walk_opts {
	struct tgtopt to;
	enum fm_regime regime;
	bool json;
	uint64_t va;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fixmapctl walk (--gdb HOST:PORT | --mem FILE[@PHYSBASE]) [options] VA\n"
		"\n"
		"The table walk of one address (an IPA for s2), level by level: each\n"
		"level's table, index, entry address, raw descriptor and its decoding.\n"
		"With --elf, the address is named by its symbol (func+0x48; a Linux Image\n"
		"is moved by its KASLR offset).\n"
		"\n"
		"options:\n"
		"  --regime R             el2 (default; TTBR0_EL2; el20 when HCR_EL2.E2H = 1),\n"
		"                         el20 (EL2&0: TTBR0_EL2 or TTBR1_EL2, by the address),\n"
		"                         el1 (TTBR0_EL1 or TTBR1_EL1, by the address) or s2\n"
		"                         (VTTBR_EL2)\n"
		"  -j, --json             one JSON object\n"
		"  -h, --help             this help\n"
		"%s",
		tgtopt_usage);
}

static int parse(int argc, char **argv, struct walk_opts *o, struct fm_err *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {"regime", required_argument, NULL, 'r'},
					     TGTOPT_LONGOPTS,
					     {NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	tgtopt_init(&o->to);
	o->regime = FM_REGIME_EL2;
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
			break;
		case '?':
		case ':':
			return tgtopt_bad_option(argv, optind, optopt, err);
		default:
			if (tgtopt_option(&o->to, c, optarg, err) != 1)
				return -1;
		}
	}
	if (optind >= argc)
		return fm_err_set(err, "missing VA");
	if (tgtopt_parse_u64(argv[optind], &o->va))
		return fm_err_set(err, "'%s': expected an address", argv[optind]);
	if (optind + 1 < argc)
		return fm_err_set(err, "'%s': unexpected argument", argv[optind + 1]);
	return 0;
}

/*
 * The regime's registers for va: el1 and el20 pick TTBR1 when VA bit 55 is set
 * (D8.2); el2 becomes el20 on a CPU with HCR_EL2.E2H = 1 (*regime says which).
 */
static int regs_for(const struct walk_opts *o, struct target *t, enum fm_regime *regime,
		    struct walk_cfg *c, const char **base_name, uint64_t *base,
		    const char **ctl_name, uint64_t *ctl, struct fm_err *err)
{
	const struct tgtopt *to = &o->to;
	uint64_t mair = 0;
	int ttbr1 = 0;

	*regime = o->regime;
	if (*regime == FM_REGIME_EL2 && tgtopt_el2_vhe(to, t, "walk"))
		*regime = FM_REGIME_EL20;
	switch (*regime) {
	case FM_REGIME_EL2:
		*base_name = "TTBR0_EL2";
		*ctl_name = "TCR_EL2";
		if (tgtopt_el2_regs(to, t, "walk", base, ctl, &mair, err))
			return -1;
		break;
	case FM_REGIME_EL20:
		ttbr1 = (o->va >> 55) & 1;
		*base_name = ttbr1 ? "TTBR1_EL2" : "TTBR0_EL2";
		*ctl_name = "TCR_EL2";
		if (tgtopt_el2_regs(to, t, "walk", base, ctl, &mair, err) ||
		    (ttbr1 && tgtopt_sysreg(to, t, TGTOPT_TTBR1, "TTBR1_EL2", base, err)))
			return -1;
		break;
	case FM_REGIME_EL1:
		ttbr1 = (o->va >> 55) & 1;
		*base_name = ttbr1 ? "TTBR1_EL1" : "TTBR0_EL1";
		*ctl_name = "TCR_EL1";
		if (tgtopt_sysreg(to, t, ttbr1 ? TGTOPT_TTBR1 : TGTOPT_TTBR, *base_name, base, err) ||
		    tgtopt_sysreg(to, t, TGTOPT_TCR, "TCR_EL1", ctl, err) ||
		    tgtopt_sysreg(to, t, TGTOPT_MAIR, "MAIR_EL1", &mair, err))
			return -1;
		break;
	default:
		*base_name = "VTTBR_EL2";
		*ctl_name = "VTCR_EL2";
		if (tgtopt_sysreg(to, t, TGTOPT_VTTBR, "VTTBR_EL2", base, err) ||
		    tgtopt_sysreg(to, t, TGTOPT_VTCR, "VTCR_EL2", ctl, err))
			return -1;
		break;
	}
	if (walk_cfg_from_regs(*regime, *base, *ctl, mair, ttbr1, c, err))
		return fm_err_prefix(err, "%s=%#" PRIx64 " %s=%#" PRIx64, *base_name, *base,
				     *ctl_name, *ctl);
	return 0;
}

static int do_walk(const struct walk_opts *o, struct target *t, struct elfsym *sym,
		   bool *translated, struct fm_err *err)
{
	struct walk_cfg c;
	struct walk_step s[WALK_MAX_LEVELS];
	enum fm_regime regime;
	const char *bn, *cn;
	uint64_t base, ctl;
	unsigned n;
	const struct walk_entry *last;

	if (regs_for(o, t, &regime, &c, &bn, &base, &cn, &ctl, err))
		return -1;
	if (walk_va(t, &c, o->va, s, &n, err))
		return -1;
	if (regime != o->regime)
		print_text("# HCR_EL2.E2H = 1 on CPU %u (VHE or hVHE): walking the EL2&0 regime "
			   "(--regime el20)\n",
			   o->to.cpu);
	print_obj_begin(NULL);
	print_hex("va", "%#" PRIx64, o->va);
	if (sym && elfsym_find(sym, o->va)) {
		char name[160];

		elfsym_format(sym, o->va, name, sizeof(name));
		print_str("sym", " <%s>", name);
	}
	print_str("regime", " (%s", desc_regime_name(regime));
	print_text(" %s=", bn);
	print_hex("base", "%#" PRIx64, base);
	print_text(" %s=", cn);
	print_hex("ctl", "%#" PRIx64, ctl);
	print_str("granule", ", %s granule", desc_granule_name(c.fmt.granule));
	print_bool("lpa2", c.fmt.lpa2 ? " LPA2" : NULL, c.fmt.lpa2);
	print_uint("ia_bits", ", %" PRIu64 "-bit", c.ia_bits);
	print_int("start_level", ", start level %" PRId64 ")\n", c.start_level);
	print_arr_begin("steps");
	for (unsigned i = 0; i < n; i++) {
		const struct walk_entry *e = &s[i].e;
		char attrs[200];

		desc_format(&e->d, c.mair, attrs, sizeof(attrs));
		print_obj_begin(NULL);
		print_int("level", "  L%" PRId64, e->level);
		print_hex("table", " table %#" PRIx64, e->table_pa);
		print_uint("index", "[%3" PRIu64 "]", e->index);
		print_hex("ptep", " entry %#" PRIx64, e->ptep);
		print_hex("raw", " = 0x%016" PRIx64, e->raw);
		print_str("kind", " %-8s", desc_kind_name(e->kind));
		if (e->kind == DESC_TABLE)
			print_hex("next", " -> %#" PRIx64, e->oa);
		else if (e->kind == DESC_BLOCK || e->kind == DESC_PAGE)
			print_hex("oa", " -> %#" PRIx64, e->oa);
		print_str("attrs", "  %s", attrs);
		if (e->fault)
			print_str("fault", "  <%s>",
				  e->fault == WALK_FAULT_ADDRSIZE ? "address-size-fault"
								  : "unreadable");
		print_obj_end();
	}
	print_arr_end();
	last = &s[n - 1].e;
	*translated = (last->kind == DESC_BLOCK || last->kind == DESC_PAGE) && !last->fault;
	if (*translated) {
		char attrs[200], mt[48];

		desc_format(&last->d, c.mair, attrs, sizeof(attrs));
		desc_leaf_memtype(&last->d, c.mair, mt, sizeof(mt));
		print_hex("pa", "  => PA %#" PRIx64, last->oa + (o->va - last->va));
		print_uint("size", NULL, last->size);
		print_str("memtype", NULL, mt);
		print_bool("read", NULL, last->d.rd);
		print_bool("write", NULL, last->d.wr);
		print_bool("exec", NULL, last->d.x);
		print_str("attrs", "  %s", attrs);
	} else {
		print_null("pa", "  => ");
		print_str("fault", "%s",
			  last->fault == WALK_FAULT_ADDRSIZE	? "address size fault"
			  : last->kind == DESC_TABLE		? "table unreadable"
			  : last->kind == DESC_RESERVED		? "translation fault (reserved encoding)"
								: "translation fault (invalid entry)");
		print_int("fault_level", " at level %" PRId64, last->level);
	}
	print_obj_end();
	return 0;
}

int cmd_walk(int argc, char **argv)
{
	struct walk_opts o;
	struct fm_err err = {{0}};
	struct target *t;
	struct elfsym *sym = NULL;
	bool translated = false;
	int r, rc = EXIT_OK;

	r = parse(argc, argv, &o, &err);
	if (r > 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (r < 0) {
		fm_warn("walk: %s", err.msg);
		usage(stderr);
		return EXIT_BAD;
	}
	t = tgtopt_open(&o.to, &err);
	if (!t) {
		fm_warn("walk: %s", err.msg);
		return EXIT_BAD;
	}
	print_init(stdout, o.json);
	if (target_stop(t, &err) || tgtopt_symbols(&o.to, t, &sym, &err) ||
	    do_walk(&o, t, sym, &translated, &err)) {
		fm_warn("walk: %s", err.msg);
		rc = EXIT_BAD;
	}
	if (target_resume(t, &err) && rc == EXIT_OK) {
		fm_warn("walk: %s", err.msg);
		rc = EXIT_BAD;
	}
	target_close(t);
	elfsym_close(sym);
	if (print_finish()) {
		fm_warn("walk: writing the output failed");
		rc = EXIT_BAD;
	}
	return rc;
}
