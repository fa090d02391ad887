/* SPDX-License-Identifier: MIT */
/*
 * The target options every live command takes (DESIGN.md section 5):
 *
 *   --gdb HOST:PORT       GDB remote protocol server (QEMU's gdbstub)
 *   --mem FILE[@PHYSBASE] file of guest physical memory (default base 0x40000000)
 *   --elf FILE            agent or kernel image, for symbols (an ELF, or a
 *                         Linux kernel without a symbol table: a raw arm64
 *                         Image or a stripped vmlinux, named by its kallsyms)
 *   --kaslr-offset OFF    the kernel's KASLR offset (default: found from the target)
 *   --cpu N               CPU whose system registers are used (default 0)
 *   --stay-stopped        leave the VM stopped when done (gdb)
 *   --agent PA            the agent's shared header is at PA
 *   --wait S              wait up to S seconds for an agent that is still booting
 *   --ttbr V --ttbr1 V --tcr V --mair V --vttbr V --vtcr V
 *                         register values for targets without system registers
 *                         (--mem), or to override the target's
 *
 * Use with getopt_long: put TGTOPT_LONGOPTS in the command's option array, and
 * hand every option code to tgtopt_option(); it returns 1 for its own codes.
 *
 *   static const struct option opts[] = { {"json", no_argument, NULL, 'j'},
 *                                         TGTOPT_LONGOPTS, {0} };
 *   ...
 *   default: r = tgtopt_option(&to, c, optarg, &err); if (r < 0) fail; if (r == 0) usage
 */
#ifndef FIXMAP_TGTOPT_H
#define FIXMAP_TGTOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "target.h"

enum tgtopt_reg {
	TGTOPT_TTBR,  /* TTBR0 of the regime (TTBR0_EL2 or TTBR0_EL1) */
	TGTOPT_TTBR1, /* TTBR1_EL1 */
	TGTOPT_TCR,   /* TCR of the regime */
	TGTOPT_MAIR,  /* MAIR of the regime */
	TGTOPT_VTTBR,
	TGTOPT_VTCR,
	TGTOPT_NREGS
};

struct tgtopt {
	const char *gdb; /* HOST:PORT */
	const char *mem; /* FILE[@PHYSBASE] */
	const char *elf;
	uint64_t kaslr_offset;
	bool kaslr_given;
	unsigned cpu;
	bool cpu_given;
	bool stay_stopped;
	uint64_t agent_pa; /* --agent */
	bool agent_pa_given;
	double wait; /* --wait: seconds (TGTOPT_DEFAULT_WAIT unless given) */
	bool reg_given[TGTOPT_NREGS];
	uint64_t reg[TGTOPT_NREGS];
};

/* Option codes, out of the range of short options. */
enum {
	TGTOPT_O_GDB = 0x1000,
	TGTOPT_O_MEM,
	TGTOPT_O_ELF,
	TGTOPT_O_CPU,
	TGTOPT_O_STAY,
	TGTOPT_O_AGENT,
	TGTOPT_O_WAIT,
	TGTOPT_O_KASLR,
	TGTOPT_O_REG0, /* + enum tgtopt_reg */
};

/* Seconds a command waits for an agent still booting, unless --wait says otherwise. */
#define TGTOPT_DEFAULT_WAIT 5.0
#define TGTOPT_MAX_WAIT 86400.0

#define TGTOPT_LONGOPTS                                                                            \
	{"gdb", required_argument, NULL, TGTOPT_O_GDB},                                            \
	    {"mem", required_argument, NULL, TGTOPT_O_MEM},                                        \
	    {"elf", required_argument, NULL, TGTOPT_O_ELF},                                        \
	    {"kaslr-offset", required_argument, NULL, TGTOPT_O_KASLR},                             \
	    {"cpu", required_argument, NULL, TGTOPT_O_CPU},                                        \
	    {"stay-stopped", no_argument, NULL, TGTOPT_O_STAY},                                    \
	    {"agent", required_argument, NULL, TGTOPT_O_AGENT},                                    \
	    {"wait", required_argument, NULL, TGTOPT_O_WAIT},                                      \
	    {"ttbr", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_TTBR},                        \
	    {"ttbr0", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_TTBR},                       \
	    {"ttbr1", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_TTBR1},                      \
	    {"tcr", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_TCR},                          \
	    {"mair", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_MAIR},                        \
	    {"vttbr", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_VTTBR},                      \
	{                                                                                          \
		"vtcr", required_argument, NULL, TGTOPT_O_REG0 + TGTOPT_VTCR                       \
	}

/* Usage lines for the options above, for a command's -h. */
extern const char tgtopt_usage[];
/* The same, without the register overrides (commands that need no tables). */
extern const char tgtopt_usage_short[];

void tgtopt_init(struct tgtopt *o);
/* 1: code was a target option (stored); 0: not ours; -1: bad value (err names the word). */
int tgtopt_option(struct tgtopt *o, int code, const char *arg, struct fm_err *err);
/* Opens the one target given (--gdb or --mem) and checks --cpu against its CPUs;
 * NULL with err set if none, both, or it fails. */
struct target *tgtopt_open(const struct tgtopt *o, struct fm_err *err);

/*
 * A register for the regime: the command-line value if given, else the
 * target's system register `name` of --cpu. which is the TGTOPT_* override that
 * stands for it, or -1 if none does.
 */
int tgtopt_sysreg(const struct tgtopt *o, struct target *t, int which, const char *name,
		  uint64_t *val, struct fm_err *err);

/*
 * 1 if --cpu runs EL2 with HCR_EL2.E2H = 1 (a VHE host, or pKVM in hVHE
 * mode): TCR_EL2 then has the TCR_EL1 layout and TTBR1_EL2 is in use, so
 * --regime el2 walks the EL2&0 regime (el20). HCR_EL2 comes from the target's
 * system registers, else from the agent's record (--mem). 0 when it cannot be
 * read or TCR_EL2 was given on the command line (the user chose the layout).
 */
int tgtopt_el2_vhe(const struct tgtopt *o, struct target *t, const char *who);

struct elfsym;
/*
 * The symbols of --elf for addresses of the running target (*out NULL when
 * no --elf was given): with --kaslr-offset, moved by it; else, for a Linux
 * kernel image (it has the symbol `vectors`) on a target with system
 * registers, moved by the KASLR offset found from VBAR_EL1 of --cpu, which
 * points to one of the kernel's EL1 vector tables (`vectors`, or a slot of
 * `__bp_harden_el1_vectors`), checked against the bytes there when the
 * target reads virtual memory. -1 with the reason (the file, or a VBAR_EL1
 * that is at no vector table of the image: another kernel, or one still
 * booting; --kaslr-offset 0 overrides).
 */
int tgtopt_symbols(const struct tgtopt *o, struct target *t, struct elfsym **out,
		   struct fm_err *err);

struct agent_state;
/*
 * The one way every command finds the agent's shared area (cli/agent.h): at
 * --agent PA, else at the symbol fixmap_shared of --elf (the agent maps itself
 * VA == PA; elf is that image if the caller has it open, or NULL to open
 * --elf here), else by a scan of guest RAM for its magic. An agent that is
 * there but has not published its header yet (still booting) is waited for,
 * up to --wait seconds; `who` (the command's name) tells the user so once, on
 * stderr. A target that stops (gdb) is stopped for each look and left stopped
 * after the last; it runs while we wait.
 */
int tgtopt_find_agent(const struct tgtopt *o, struct target *t, struct elfsym *elf,
		      const char *who, struct agent_state *st, struct fm_err *err);
/*
 * TTBR0_EL2, TCR_EL2 and MAIR_EL2 of --cpu: the command-line values, else the
 * target's system registers, else (targets without them, --mem) the values the
 * agent recorded for the CPU.
 */
int tgtopt_el2_regs(const struct tgtopt *o, struct target *t, const char *who, uint64_t *ttbr,
		    uint64_t *tcr, uint64_t *mair, struct fm_err *err);

/* Parses a number (decimal or 0x hex) that must use the whole word. */
int tgtopt_parse_u64(const char *s, uint64_t *v);
/* Parses "LO-HI" (inclusive HI) or "LO+SIZE" into an inclusive range. */
int tgtopt_parse_range(const char *s, uint64_t *lo, uint64_t *hi);

/* Handles a getopt_long failure ('?' or ':'): names the offending word in err. */
int tgtopt_bad_option(char **argv, int optind_after, int optopt_code, struct fm_err *err);

#endif
