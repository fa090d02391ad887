/* SPDX-License-Identifier: MIT */
#include "tgtopt.h"

#include "agent.h"
#include "elfsym.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char tgtopt_usage_short[] =
	"  --gdb HOST:PORT        read the target through a GDB remote protocol server\n"
	"  --mem FILE[@PHYSBASE]  read a file of guest physical memory (base 0x40000000)\n"
	"  --elf FILE             agent or kernel image, for symbols: an ELF, or a Linux\n"
	"                         arm64 Image or stripped vmlinux (named by its kallsyms)\n"
	"  --kaslr-offset OFF     the kernel's KASLR offset (default: from VBAR_EL1)\n"
	"  --cpu N                CPU whose registers are used (default 0)\n"
	"  --stay-stopped         leave the VM stopped when done (--gdb)\n"
	"  --agent PA             the agent's shared header is at PA (default: the --elf\n"
	"                         symbol fixmap_shared, else a scan of RAM for its magic)\n"
	"  --wait S               wait up to S seconds for an agent still booting (default 5)\n";

const char tgtopt_usage[] =
	"  --gdb HOST:PORT        read the target through a GDB remote protocol server\n"
	"  --mem FILE[@PHYSBASE]  read a file of guest physical memory (base 0x40000000)\n"
	"  --elf FILE             agent or kernel image, for symbols: an ELF, or a Linux\n"
	"                         arm64 Image or stripped vmlinux (named by its kallsyms)\n"
	"  --kaslr-offset OFF     the kernel's KASLR offset (default: from VBAR_EL1)\n"
	"  --cpu N                CPU whose registers are used (default 0)\n"
	"  --stay-stopped         leave the VM stopped when done (--gdb)\n"
	"  --agent PA             the agent's shared header is at PA (default: the --elf\n"
	"                         symbol fixmap_shared, else a scan of RAM for its magic)\n"
	"  --wait S               wait up to S seconds for an agent still booting (default 5)\n"
	"  --ttbr V, --ttbr1 V, --tcr V, --mair V, --vttbr V, --vtcr V\n"
	"                         register values, for targets without system registers\n"
	"                         (--mem) or to override the target's: --ttbr, --tcr and\n"
	"                         --mair are those of the regime (TTBR0_EL2 or TTBR0_EL1)\n";

static const char *const reg_opt[TGTOPT_NREGS] = {
	[TGTOPT_TTBR] = "--ttbr", [TGTOPT_TTBR1] = "--ttbr1", [TGTOPT_TCR] = "--tcr",
	[TGTOPT_MAIR] = "--mair", [TGTOPT_VTTBR] = "--vttbr", [TGTOPT_VTCR] = "--vtcr",
};

void tgtopt_init(struct tgtopt *o)
{
	memset(o, 0, sizeof(*o));
	o->wait = TGTOPT_DEFAULT_WAIT;
}

int tgtopt_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

int tgtopt_parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *sep = strchr(s, '-');
	char buf[64];
	uint64_t size;
	int plus = 0;

	if (!sep) {
		sep = strchr(s, '+');
		plus = 1;
	}
	if (!sep || (size_t)(sep - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(sep - s));
	buf[sep - s] = '\0';
	if (tgtopt_parse_u64(buf, lo))
		return -1;
	if (plus) {
		if (tgtopt_parse_u64(sep + 1, &size) || size == 0 || *lo + (size - 1) < *lo)
			return -1;
		*hi = *lo + (size - 1);
	} else if (tgtopt_parse_u64(sep + 1, hi)) {
		return -1;
	}
	return *hi < *lo ? -1 : 0;
}

int tgtopt_option(struct tgtopt *o, int code, const char *arg, struct fm_err *err)
{
	uint64_t v;

	switch (code) {
	case TGTOPT_O_GDB:
		if (!*arg || !strchr(arg, ':'))
			return fm_err_set(err, "--gdb '%s': expected HOST:PORT", arg);
		o->gdb = arg;
		return 1;
	case TGTOPT_O_MEM:
		if (!*arg)
			return fm_err_set(err, "--mem: expected FILE[@PHYSBASE]");
		o->mem = arg;
		return 1;
	case TGTOPT_O_ELF:
		o->elf = arg;
		return 1;
	case TGTOPT_O_KASLR:
		/* A negative offset is an offset mod 2^64. */
		if (tgtopt_parse_u64(arg[0] == '-' ? arg + 1 : arg, &v))
			return fm_err_set(err, "--kaslr-offset '%s': expected a number", arg);
		o->kaslr_offset = arg[0] == '-' ? 0 - v : v;
		o->kaslr_given = true;
		return 1;
	case TGTOPT_O_CPU:
		if (tgtopt_parse_u64(arg, &v) || v >= 4096)
			return fm_err_set(err, "--cpu '%s': expected a CPU number", arg);
		o->cpu = (unsigned)v;
		o->cpu_given = true;
		return 1;
	case TGTOPT_O_STAY:
		o->stay_stopped = true;
		return 1;
	case TGTOPT_O_AGENT:
		if (tgtopt_parse_u64(arg, &o->agent_pa) || o->agent_pa % 8)
			return fm_err_set(err, "--agent '%s': expected an 8-byte aligned address", arg);
		o->agent_pa_given = true;
		return 1;
	case TGTOPT_O_WAIT: {
		char *end;

		errno = 0;
		o->wait = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(o->wait) || o->wait < 0 ||
		    o->wait > TGTOPT_MAX_WAIT)
			return fm_err_set(err, "--wait '%s': expected seconds (0 to %.0f)", arg,
					  TGTOPT_MAX_WAIT);
		return 1;
	}
	default:
		if (code >= TGTOPT_O_REG0 && code < TGTOPT_O_REG0 + TGTOPT_NREGS) {
			int r = code - TGTOPT_O_REG0;

			if (tgtopt_parse_u64(arg, &v))
				return fm_err_set(err, "%s '%s': expected a number", reg_opt[r], arg);
			o->reg[r] = v;
			o->reg_given[r] = true;
			return 1;
		}
		return 0;
	}
}

struct target *tgtopt_open(const struct tgtopt *o, struct fm_err *err)
{
	struct target *t;

	if (o->gdb && o->mem) {
		fm_err_set(err, "give one target: --gdb or --mem, not both");
		return NULL;
	}
	if (!o->gdb && !o->mem) {
		fm_err_set(err, "no target: give --gdb HOST:PORT or --mem FILE[@PHYSBASE]");
		return NULL;
	}
	t = o->mem ? target_mem_open(o->mem, err)
		   : target_gdb_open(o->gdb, o->stay_stopped ? TARGET_GDB_STAY_STOPPED : 0, err);
	if (t && target_ncpus(t) && o->cpu >= target_ncpus(t)) {
		fm_err_set(err, "--cpu %u: the target has %u CPUs", o->cpu, target_ncpus(t));
		target_close(t);
		return NULL;
	}
	return t;
}

int tgtopt_sysreg(const struct tgtopt *o, struct target *t, int which, const char *name,
		  uint64_t *val, struct fm_err *err)
{
	if (which >= 0 && which < TGTOPT_NREGS && o->reg_given[which]) {
		*val = o->reg[which];
		return 0;
	}
	if (!t->ops->sysreg) {
		if (which >= 0)
			return fm_err_set(err, "%s: the %s target has no system registers; give %s",
					  name, t->ops->kind, reg_opt[which]);
		return fm_err_set(err, "%s: the %s target has no system registers", name,
				  t->ops->kind);
	}
	if (target_sysreg(t, o->cpu, name, val, err))
		return fm_err_prefix(err, "%s of CPU %u", name, o->cpu);
	return 0;
}

int tgtopt_el2_vhe(const struct tgtopt *o, struct target *t, const char *who)
{
	struct agent_state *st;
	struct fm_err e2;
	uint64_t hcr = 0;

	if (o->reg_given[TGTOPT_TCR])
		return 0;
	if (t->ops->sysreg) {
		if (target_sysreg(t, o->cpu, "HCR_EL2", &hcr, &e2))
			return 0;
	} else {
		/* Targets without system registers: what the agent recorded for --cpu. */
		st = calloc(1, sizeof(*st));
		if (!st)
			return 0;
		if (!tgtopt_find_agent(o, t, NULL, who, st, &e2) && o->cpu < st->max_cpus &&
		    st->cpu[o->cpu].present)
			hcr = st->cpu[o->cpu].c.hcr_el2;
		free(st);
	}
	/* HCR_EL2.E2H, bit 34 (D19.2): TCR_EL2 then has two ranges, like TCR_EL1. */
	return (hcr >> 34) & 1;
}

/*
 * The KASLR offset of a running Linux kernel: VBAR_EL1 points to `vectors`,
 * or to one 2 KiB slot of `__bp_harden_el1_vectors` (arch/arm64/kernel/entry.S,
 * the Spectre-BHB mitigations), and the kernel moves by multiples of its
 * 64 KiB segment alignment (arm64 vmlinux.lds.S SEGMENT_ALIGN).
 */
static int find_kaslr(const struct tgtopt *o, struct target *t, struct elfsym *e, uint64_t *slide,
		      struct fm_err *err)
{
	static const struct {
		const char *name;
		unsigned slots;
	} tables[] = {{"vectors", 1}, {"__bp_harden_el1_vectors", 4}};
	uint64_t vbar, s;
	uint8_t live[64], image[64];
	struct fm_err e2;

	/* QEMU's gdbstub names VBAR_EL1 "VBAR" (one register for AArch32 and AArch64). */
	if (tgtopt_sysreg(o, t, -1, "VBAR_EL1", &vbar, &e2) &&
	    tgtopt_sysreg(o, t, -1, "VBAR", &vbar, err))
		return fm_err_prefix(err, "finding the KASLR offset (give --kaslr-offset)");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		for (unsigned slot = 0; slot < tables[i].slots; slot++) {
			if (elfsym_slide_for(e, tables[i].name, vbar - slot * 0x800ull, 0x10000, &s))
				continue;
			/*
			 * The bytes the CPU would take exceptions to are the image's,
			 * where the CPU's current regime can read them (a CPU stopped
			 * in the hypervisor may not map them: no evidence either way).
			 */
			if (t->ops->read_virt &&
			    !t->ops->read_virt(t, o->cpu, vbar, live, sizeof(live), &e2) &&
			    (elfsym_read(e, vbar - s, image, sizeof(image)) ||
			     memcmp(live, image, sizeof(live))))
				continue;
			*slide = s;
			return 0;
		}
	}
	return fm_err_set(err,
			  "VBAR_EL1 of CPU %u is %#" PRIx64 ", at no EL1 vector table of %s: not "
			  "the kernel running there, or it is still booting (give --kaslr-offset)",
			  o->cpu, vbar, o->elf);
}

int tgtopt_symbols(const struct tgtopt *o, struct target *t, struct elfsym **out,
		   struct fm_err *err)
{
	struct elfsym *e;
	uint64_t slide = 0, a;

	*out = NULL;
	if (!o->elf)
		return 0;
	e = elfsym_open(o->elf, err);
	if (!e)
		return -1;
	if (o->kaslr_given)
		slide = o->kaslr_offset;
	else if (t && t->ops->sysreg && !elfsym_lookup(e, "vectors", &a, NULL) &&
		 find_kaslr(o, t, e, &slide, err)) {
		elfsym_close(e);
		return -1;
	}
	if (elfsym_set_slide(e, slide, err)) {
		elfsym_close(e);
		return -1;
	}
	*out = e;
	return 0;
}

int tgtopt_bad_option(char **argv, int optind_after, int optopt_code, struct fm_err *err)
{
	const char *word = optind_after > 0 ? argv[optind_after - 1] : "?";

	if (optopt_code && optopt_code < 0x100 && word[0] == '-' && word[1] != '-')
		return fm_err_set(err, "-%c: unknown option or missing value", optopt_code);
	return fm_err_set(err, "%s: unknown option or missing value", word);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tgtopt_find_agent(const struct tgtopt *o, struct target *t, struct elfsym *elf,
		      const char *who, struct agent_state *st, struct fm_err *err)
{
	uint64_t pa = 0, size;
	bool known = false, told = false;
	double end = now() + o->wait;
	int r;

	if (o->agent_pa_given) {
		pa = o->agent_pa;
		known = true;
	} else if (o->elf) {
		struct elfsym *e = elf ? elf : elfsym_open(o->elf, err);

		if (!e)
			return -1;
		/* A Linux kernel given for its names (kallsyms): the agent is elsewhere in RAM. */
		bool kernel = elfsym_from_kallsyms(e) && elfsym_lookup(e, FIXMAP_SYM, &pa, &size);
		r = kernel ? 0 : elfsym_lookup(e, FIXMAP_SYM, &pa, &size);
		if (e != elf)
			elfsym_close(e);
		if (r)
			return fm_err_set(err, "%s: no symbol %s (is it the agent's image?)", o->elf,
					  FIXMAP_SYM);
		/* the agent maps itself with VA == PA: the symbol's value is the PA */
		known = !kernel;
	}
	for (;;) {
		struct fm_err e2;
		struct timespec ts = {0, 20 * 1000000L};

		if (target_stop(t, err))
			return fm_err_prefix(err, "stopping the target");
		r = AGENT_BOOTING;
		if (!known) {
			r = agent_scan(t, AGENT_SCAN_BASE, AGENT_SCAN_SIZE, &pa, err);
			/* Found, or the image's note says where the header will be. */
			known = r == 0 || r == AGENT_BOOTING;
		}
		if (known)
			r = agent_read(t, pa, st, err);
		if (r != AGENT_BOOTING)
			return r ? -1 : 0;
		if (now() >= end)
			return fm_err_set(err,
					  "the agent at %#" PRIx64 " did not publish its header within "
					  "%g s (its magic is still 0): still booting, or stopped? "
					  "(--wait S waits longer)",
					  pa, o->wait);
		if (!told) {
			fm_warn("%s: the agent at %#" PRIx64 " is still booting (no header yet): "
				"waiting up to %g s for it (--wait)",
				who, pa, o->wait);
			told = true;
		}
		/* It boots only while it runs. */
		if (target_resume(t, &e2))
			return fm_err_set(err, "resuming the target: %s", e2.msg);
		nanosleep(&ts, NULL);
	}
}

/*
 * EL2 registers for a target without system registers (--mem): what the
 * agent recorded for --cpu, unless given on the command line.
 */
int tgtopt_el2_regs(const struct tgtopt *to, struct target *t, const char *who, uint64_t *ttbr,
		    uint64_t *tcr, uint64_t *mair, struct fm_err *err)
{
	struct agent_state *st;
	const struct fixmap_cpu *c;
	struct fm_err e2;

	if (t->ops->sysreg || (to->reg_given[TGTOPT_TTBR] && to->reg_given[TGTOPT_TCR] &&
			       to->reg_given[TGTOPT_MAIR]))
		return tgtopt_sysreg(to, t, TGTOPT_TTBR, "TTBR0_EL2", ttbr, err) ||
			       tgtopt_sysreg(to, t, TGTOPT_TCR, "TCR_EL2", tcr, err) ||
			       tgtopt_sysreg(to, t, TGTOPT_MAIR, "MAIR_EL2", mair, err)
			   ? -1
			   : 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return fm_err_set(err, "out of memory");
	if (tgtopt_find_agent(to, t, NULL, who, st, &e2)) {
		free(st);
		return fm_err_set(err,
				  "the %s target has no system registers and no agent was found "
				  "(%s); give --ttbr, --tcr and --mair",
				  t->ops->kind, e2.msg);
	}
	if (to->cpu >= st->max_cpus || !st->cpu[to->cpu].present) {
		free(st);
		return fm_err_set(err, "--cpu %u: the agent has no such CPU", to->cpu);
	}
	c = &st->cpu[to->cpu].c;
	*ttbr = to->reg_given[TGTOPT_TTBR] ? to->reg[TGTOPT_TTBR] : c->ttbr0_el2;
	*tcr = to->reg_given[TGTOPT_TCR] ? to->reg[TGTOPT_TCR] : c->tcr_el2;
	*mair = to->reg_given[TGTOPT_MAIR] ? to->reg[TGTOPT_MAIR] : c->mair_el2;
	free(st);
	return 0;
}
