/* SPDX-License-Identifier: MIT */
/*
 * fixmap-plugin.so: a QEMU TCG plugin (API version 4, QEMU 10) that records an
 * unmodified AArch64 guest's translation-table maintenance as a trace in the
 * format of man/fixmap-trace.5 (DESIGN.md sections 3 and 3a), for
 * `fixmapctl check`, or live through `fixmapctl record`.
 *
 *   -plugin fixmap-plugin.so,out=FILE[,mem=PATH[@BASE]][,barriers=pending|all]
 *           [,access=store|fetch|all|off][,stores=wide|all][,audit=MS]
 *
 * What it records, per vCPU, in one global order (one lock):
 *  - every TLBI (operand from Xt, read before the instruction runs) and, for
 *    EL1/stage-2 operations, the VMID from VTTBR_EL2;
 *  - DSB and ISB (and ERET, as isb: both synchronize context) while
 *    page-table work is pending on that CPU (a scoreboard flag tested inline:
 *    the callback costs nothing elsewhere), DMB while a table store awaits its
 *    DSB; or all of them (barriers=all);
 *  - every root load (MSR to TTBR0/1_EL2, TTBR0/1_EL1, VTTBR_EL2, and the
 *    TCR/VTCR/SCTLR/HCR writes that change a root's geometry or use, taken at
 *    the next ISB or ERET) as `use` of a `dynamic` table named by regime and
 *    root, with the ASID and VMID it is loaded under and the root it
 *    replaces; a guest's EL1&0 roots (stage 2 on) through that stage 2, also
 *    when a world switch loads them at EL2 and ERETs into them; a root no
 *    vCPU can hold any more (a whole-regime TLBI completed on every vCPU that
 *    loaded it while it walked it no longer, or ran with translation off) is
 *    retired until it is loaded again;
 *  - every store of 8 bytes or more into a tracked table page as a `pte` event
 *    (ptrack.c: the old value from the shadow copy, the new one from RAM after
 *    the store); narrower ones only with stores=all (see tb_trans);
 *  - changes no store showed (dc zva, hardware AF/DBM updates, DMA, narrow
 *    stores), found by an audit of the shadow against RAM every audit=
 *    milliseconds, as `unseen`;
 *  - the first access of each CPU to a VA whose entry changed and whose
 *    maintenance the changing CPU has not finished: its stores, and the
 *    fetches of the instructions whose callbacks run meanwhile (access=store,
 *    the default); every fetch (access=fetch: a check in every executed
 *    block); loads too (access=all);
 *  - `cut` at the end (QEMU stopped, or the guest powered off: no TLB survives).
 *
 * Guest RAM is read from the file behind QEMU's memory-backend-file (API v4
 * has no physical reads): mem= names it, or the plugin finds the shared
 * backend on QEMU's own command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qemu-plugin.h>

#include "arm64.h"
#include "event.h"
#include "ptrack.h"
#include "trace_text.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define PFX "fixmap-plugin: "
#define VIRT_RAM_BASE 0x40000000ull /* QEMU virt: guest RAM starts here */
#define MAX_WINDOWS 256

/* Registers read with QEMU_PLUGIN_CB_R_REGS (names of QEMU's gdb XML). */
enum {
	R_CPSR,
	R_HCR,
	R_TCR_EL1,
	R_TCR_EL2,
	R_VTCR,
	R_TTBR0_EL1,
	R_TTBR1_EL1,
	R_TTBR0_EL2,
	R_TTBR1_EL2,
	R_VTTBR,
	R_SCTLR_EL2,
	R_SCTLR_EL1,
	R_SPSR_EL2,
	R_NR
};
static const char *const reg_names[R_NR] = {
    "cpsr",      "HCR_EL2",   "TCR_EL1",   "TCR_EL2",   "VTCR_EL2",  "TTBR0_EL1",
    "TTBR1_EL1", "TTBR0_EL2", "TTBR1_EL2", "VTTBR_EL2", "SCTLR_EL2", "SCTLR_EL1",
    "SPSR_EL2",
};

/* The root slots a CPU walks from; a root load replaces one. */
enum { S_TTBR0_EL2, S_TTBR1_EL2, S_TTBR0_EL1, S_TTBR1_EL1, S_VTTBR, S_NR };

/* A page translation QEMU's TLB gave for a store (see store_pa()). */
struct xlat {
	uint64_t tag; /* VA page | XC_VALID | MMU index, 0: empty */
	uint64_t pa;  /* physical page */
	uint32_t epoch;
};
#define XC_BITS 8 /* per vCPU, direct-mapped: 256 entries */
#define XC_N (1u << XC_BITS)
#define XC_VALID 0x800

/* A whole-regime TLBI waiting for the DSB that completes it (see holders_flush()). */
struct flush {
	uint16_t op;   /* enum tlbi_op */
	uint16_t vmid; /* EL1 and stage-2 ops: the VMID current at the TLBI */
	bool has_vmid;
};
#define MAX_FLUSHES 8

struct vcpu {
	struct qemu_plugin_register *x[31], *sp, *r[R_NR];
	GByteArray *buf;
	int root[S_NR]; /* ptrack root index in each slot, -1 none */
	/* Maintenance state for the barrier filter (see pending_update()). */
	bool store_open, tlbi_open, breaks;
	struct flush flushes[MAX_FLUSHES];
	unsigned nflushes;
	/* Translation on, per enum pt_regime: SCTLR_EL2.M (EL2, EL2&0), SCTLR_EL1.M, HCR_EL2.VM. */
	bool mmu[PT_NR_REGIMES];
	/* Store page translations (see store_pa()); only this vCPU's thread uses them. */
	struct xlat xc[XC_N];
	uint32_t xc_epoch;            /* entries of another epoch are empty */
	uint64_t xc_gen, xc_ctx;      /* P.xgen and ctx when the epoch began */
	uint64_t ctx;                 /* counts MSRs to registers that shape translation */
	bool tlbi_inflight;           /* a TLBI not yet followed by a DSB (counted in P.inflight) */
	unsigned long long xc_hits, xc_misses;
};

/* System registers an MSR may write that matter here: (op0, op1, CRn, CRm, op2). */
#define SYSREG(op0, op1, crn, crm, op2) ((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
enum {
	SR_TTBR0_EL1 = SYSREG(3, 0, 2, 0, 0),
	SR_TTBR1_EL1 = SYSREG(3, 0, 2, 0, 1),
	SR_TCR_EL1 = SYSREG(3, 0, 2, 0, 2),
	SR_TTBR0_EL12 = SYSREG(3, 5, 2, 0, 0),
	SR_TTBR1_EL12 = SYSREG(3, 5, 2, 0, 1),
	SR_TCR_EL12 = SYSREG(3, 5, 2, 0, 2),
	SR_TTBR0_EL2 = SYSREG(3, 4, 2, 0, 0),
	SR_TTBR1_EL2 = SYSREG(3, 4, 2, 0, 1),
	SR_TCR_EL2 = SYSREG(3, 4, 2, 0, 2),
	SR_VTTBR_EL2 = SYSREG(3, 4, 2, 1, 0),
	SR_VTCR_EL2 = SYSREG(3, 4, 2, 1, 2),
	SR_SCTLR_EL1 = SYSREG(3, 0, 1, 0, 0),
	SR_SCTLR_EL12 = SYSREG(3, 5, 1, 0, 0),
	SR_SCTLR_EL2 = SYSREG(3, 4, 1, 0, 0),
	SR_HCR_EL2 = SYSREG(3, 4, 1, 1, 0),
	SR_SCR_EL3 = SYSREG(3, 6, 1, 1, 0), /* NS: which world's tables (QEMU flushes its TLB) */
};

enum insn_kind { K_NONE, K_BAR, K_TLBI, K_NARROW };

/* One decoded instruction, interned by PC (the userdata of its callbacks). */
struct insn {
	uint64_t pc;
	uint32_t word;
	uint8_t kind;  /* enum insn_kind */
	uint8_t ev;    /* K_BAR: FM_EV_DSB/DMB/ISB */
	uint8_t rt;    /* Xt (31: XZR) */
	uint16_t op;   /* K_BAR: CRm; K_TLBI: enum tlbi_op; K_NARROW: size in bytes */
	struct arm64_addr addr; /* K_NARROW: how its address is formed */
};

/* What the plugin keeps per root (index = ptrack root = table of the trace). */
#define CPUW (FM_MAX_CPUS / 64)
struct root_state {
	uint64_t hold[CPUW];     /* vCPUs whose TLB may hold its entries */
	bool has_vmid, has_asid; /* the tags it was loaded with last */
	uint16_t vmid, asid;
};

/* A VA whose entry changed while its maintenance is not finished (access=). */
struct window {
	unsigned root, owner;
	uint64_t lo, hi;
	uint64_t reported; /* CPUs whose first access was recorded */
};

static struct {
	/* options */
	char *out_path;
	char *mem_path;
	uint64_t ram_base;
	bool barriers_all;
	bool stores_all; /* stores=all: also follow stores narrower than a descriptor */
	enum { ACCESS_OFF, ACCESS_STORE, ACCESS_FETCH, ACCESS_ALL } access;
	unsigned audit_ms;
	/* state */
	GMutex lock;
	FILE *out;
	int ram_fd;
	const uint8_t *ram;
	uint64_t ram_size;
	struct ptrack *pt;
	unsigned nvcpus;
	bool has_el2; /* ID_AA64PFR0_EL1.EL2 of vCPU 0: VTTBR_EL2.VMID tags EL1&0 entries */
	int loading;  /* the root load_root() is walking (its notes are news), -1 */
	struct vcpu *vcpus;
	GHashTable *insns;
	struct qemu_plugin_scoreboard *sb_pending, *sb_window, *sb_dirty, *sb_ttbr0w, *sb_ttbr1w;
	qemu_plugin_u64 pending, window_open, dirty;
	qemu_plugin_u64 ttbr0_written, ttbr1_written; /* since the last sync */
	struct window windows[MAX_WINDOWS];
	unsigned nwindows;
	/* the event being handled (for ptrack's callbacks) */
	unsigned cur_cpu;
	uint64_t cur_pc;
	bool cur_break;
	uint64_t last_audit_ns, last_flush_ns;
	bool write_failed;
	unsigned long long n_events, n_pte, n_tlbi, n_bar, n_use, n_unseen, n_access, n_guest_roots;
	unsigned long long n_windows_dropped, n_retired;
	/* Store translation caches (store_pa()): a change anywhere empties all. */
	uint64_t xgen;     /* bumped by every TLBI and table store that changes a valid entry */
	unsigned inflight; /* vCPUs with a TLBI not yet followed by a DSB: no caching */
	bool xc_off;       /* the meminfo layout is not the one assumed: no caching */
	struct root_state *root_state;
	unsigned nroot_state;
} P;

static struct fm_trace_ctx P_ctx; /* for trace_text_format_event: cpus only */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- output (callers hold P.lock) --- */

static void out_line(const char *line)
{
	if (P.write_failed)
		return;
	if (fputs_unlocked(line, P.out) < 0 || fputc_unlocked('\n', P.out) < 0) {
		P.write_failed = true;
		fprintf(stderr, PFX "writing %s: %s: recording stopped\n", P.out_path,
			strerror(errno));
	}
}

static void out_flush(void)
{
	if (!P.write_failed && fflush(P.out) != 0) {
		P.write_failed = true;
		fprintf(stderr, PFX "writing %s: %s: recording stopped\n", P.out_path,
			strerror(errno));
	}
	P.last_flush_ns = now_ns();
}

/* One event line, from the one formatter (cli/trace_text.c). */
static void out_event(struct fm_event *ev)
{
	char line[1400];

	if (ev->pc)
		ev->flags |= FM_EVF_PC;
	trace_text_format_event(&P_ctx, ev, line, sizeof(line));
	out_line(line);
	if (ev->type != FM_EV_TABLE && ev->type != FM_EV_CUT)
		P.n_events++;
}

/*
 * Declares the table of a new root (ptrack root i is table i of the context).
 * Without tags: a root keeps its table for life but not its tag (Linux 6.1
 * loads a guest's stage 2 under VMID 0 first, then under the VMID it
 * allocates; ASIDs are given out again at rollover): each `use` says the tag
 * it is loaded with.
 */
static int declare_table(unsigned root)
{
	static const uint8_t regime[PT_NR_REGIMES] = {FM_REGIME_EL2, FM_REGIME_EL20, FM_REGIME_EL1,
						      FM_REGIME_S2};
	const struct pt_geom *g = ptrack_root_geom(P.pt, root);
	struct fm_table_decl *d;

	if (root != P_ctx.ntables || !(d = fm_ctx_add_table(&P_ctx)))
		return -1;
	snprintf(d->name, sizeof(d->name), "%s", ptrack_root_name(P.pt, root));
	d->regime = regime[g->regime];
	d->granule = FM_GRANULE_4K;
	d->lpa2 = g->lpa2;
	d->dynamic = true;
	out_event(&(struct fm_event){.type = FM_EV_TABLE, .table = (uint16_t)root});
	return 0;
}

/* --- the barrier filter and access windows --- */

/*
 * Page-table work is pending on a CPU from its first table store or TLBI until
 * an ISB that follows a DSB after its last store, with every break covered by
 * a TLBI of its own completed by a full DSB. While pending, all its barriers
 * are recorded; after that, none orders or completes anything the checker
 * looks at (a break never followed by a TLBI keeps the CPU pending).
 */
/*
 * The access windows a CPU opened close at its ISB after a DSB that followed
 * its last table store: from then on its own accesses use the new entries
 * (missing-isb is about the accesses before that ISB), and a break it never
 * invalidates is reported by the checker at the make or the free, not here.
 */
static void windows_close(unsigned cpu)
{
	for (unsigned i = 0; i < P.nwindows;)
		if (P.windows[i].owner == cpu)
			P.windows[i] = P.windows[--P.nwindows];
		else
			i++;
	if (!P.nwindows)
		for (unsigned c = 0; c < P.nvcpus; c++)
			qemu_plugin_u64_set(P.window_open, c, 0);
}

static void pending_set(unsigned cpu, bool on)
{
	qemu_plugin_u64_set(P.pending, cpu, on);
	if (!on)
		windows_close(cpu);
}

static void window_open(unsigned root, unsigned cpu, uint64_t va, int level)
{
	const struct pt_geom *g = ptrack_root_geom(P.pt, root);
	uint64_t size = 1ull << (12 + 9 * (3 - level));

	if (!P.access || g->regime == PT_S2) /* accesses are VAs, not IPAs */
		return;
	for (unsigned i = 0; i < P.nwindows; i++)
		if (P.windows[i].root == root && P.windows[i].lo == va) {
			P.windows[i].reported = 0;
			P.windows[i].owner = cpu;
			return;
		}
	if (P.nwindows == MAX_WINDOWS) {
		P.n_windows_dropped++;
		return;
	}
	P.windows[P.nwindows++] = (struct window){root, cpu, va, va + size - 1, 0};
	for (unsigned c = 0; c < P.nvcpus; c++)
		qemu_plugin_u64_set(P.window_open, c, 1);
}

/* --- ptrack callbacks --- */

static void on_pte(void *ctx, unsigned root, uint64_t va, int level, uint64_t old, uint64_t new,
		   uint64_t ptep, bool unseen)
{
	struct fm_event ev = {
	    .type = unseen ? FM_EV_UNSEEN : FM_EV_PTE,
	    .cpu = (uint16_t)P.cur_cpu,
	    .level = (int8_t)level,
	    .table = (uint16_t)root,
	    .flags = unseen ? 0 : FM_EVF_PTEP,
	    .pc = unseen ? 0 : P.cur_pc,
	    .va = va,
	    .old = old,
	    .new = new,
	    .ptep = ptep,
	};

	(void)ctx;
	out_event(&ev);
	/* QEMU may walk again at any time: its TLB may hold either entry. */
	if ((old & 1) && old != new)
		__atomic_add_fetch(&P.xgen, 1, __ATOMIC_RELEASE);
	if (unseen) {
		P.n_unseen++;
		return;
	}
	P.n_pte++;
	if ((old & 1) && old != new)
		P.cur_break = true;
	window_open(root, P.cur_cpu, va, level);
}

static bool cpu_loaded(unsigned cpu, unsigned r);

/*
 * A note goes into the trace; on standard error only while some vCPU has the
 * root loaded: the pages of a root nobody has loaded may have become anything
 * (a dead VM's stage 2 given back to its host), and garbage there is no news.
 */
static void on_note(void *ctx, unsigned root, const char *msg)
{
	char line[400];
	bool live = (int)root == P.loading;

	(void)ctx;
	snprintf(line, sizeof(line), "# %s: %s", ptrack_root_name(P.pt, root), msg);
	out_line(line);
	for (unsigned c = 0; c < P.nvcpus; c++)
		live |= cpu_loaded(c, root);
	if (live)
		fprintf(stderr, PFX "table %s: %s\n", ptrack_root_name(P.pt, root), msg);
}

static const struct ptrack_ops ops = {.pte = on_pte, .note = on_note};

/* Housekeeping at an event: the periodic audit and the flush of a live stream. */
static void tick(unsigned cpu)
{
	uint64_t t = now_ns();

	if (P.audit_ms && t - P.last_audit_ns >= P.audit_ms * 1000000ull) {
		P.last_audit_ns = t;
		P.cur_cpu = cpu;
		P.cur_pc = 0;
		ptrack_audit(P.pt, true);
	}
	if (t - P.last_flush_ns >= 100000000ull)
		out_flush();
}

/* --- registers --- */

static uint64_t reg(struct vcpu *c, struct qemu_plugin_register *h)
{
	uint64_t v = 0;
	int n;

	if (!h)
		return 0;
	g_byte_array_set_size(c->buf, 0);
	n = qemu_plugin_read_register(h, c->buf);
	if (n > 0)
		memcpy(&v, c->buf->data, n > 8 ? 8 : (size_t)n);
	return v;
}

static uint64_t xreg(struct vcpu *c, unsigned rt) { return rt >= 31 ? 0 : reg(c, c->x[rt]); }

static uint64_t reg_by_name(struct vcpu *c, GArray *regs, const char *name, bool *ok)
{
	for (guint i = 0; i < regs->len; i++) {
		qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
		if (!strcmp(d->name, name)) {
			g_byte_array_set_size(c->buf, 0);
			if (qemu_plugin_read_register(d->handle, c->buf) > 0) {
				uint64_t v = 0;
				memcpy(&v, c->buf->data, c->buf->len > 8 ? 8 : c->buf->len);
				*ok = true;
				return v;
			}
		}
	}
	*ok = false;
	return 0;
}

/* The header, with the features the checker's rules depend on from vCPU 0's ID registers. */
static void write_header(struct vcpu *c, GArray *regs)
{
	bool ok2, ok1;
	uint64_t mmfr2 = reg_by_name(c, regs, "ID_AA64MMFR2_EL1", &ok2);
	uint64_t mmfr1 = reg_by_name(c, regs, "ID_AA64MMFR1_EL1", &ok1);

	/* ID_AA64MMFR2_EL1: TTL [51:48], BBM [55:52]; ID_AA64MMFR1_EL1: ETS [39:36] (D19.2). */
	if (ok2 && ((mmfr2 >> 48) & 0xf))
		P_ctx.features |= FM_FEAT_TTL;
	if (ok2)
		P_ctx.bbm_level = ((mmfr2 >> 52) & 0xf) > 2 ? 2 : (mmfr2 >> 52) & 0xf;
	if (ok1 && ((mmfr1 >> 36) & 0xf) >= 2)
		P_ctx.features |= FM_FEAT_ETS2;
	/* ID_AA64PFR0_EL1.EL2 [11:8]: EL2 implemented (an unreadable register: taken as yes). */
	{
		bool okp;
		uint64_t pfr0 = reg_by_name(c, regs, "ID_AA64PFR0_EL1", &okp);
		P.has_el2 = !okp || ((pfr0 >> 8) & 0xf) != 0;
	}
	g_mutex_lock(&P.lock);
	trace_text_write_header(P.out, &P_ctx);
	if (!ok2 || !ok1)
		out_line("# the ID registers could not be read: no features declared");
	g_mutex_unlock(&P.lock);
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int idx)
{
	struct vcpu *c;
	GArray *regs;

	(void)id;
	if (idx >= P.nvcpus)
		return;
	c = &P.vcpus[idx];
	c->buf = g_byte_array_new();
	for (unsigned s = 0; s < S_NR; s++)
		c->root[s] = -1;
	regs = qemu_plugin_get_registers();
	for (guint i = 0; i < regs->len; i++) {
		qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
		unsigned x;
		char end;
		if (sscanf(d->name, "x%u%c", &x, &end) == 1 && x < 31)
			c->x[x] = d->handle;
		if (!strcmp(d->name, "sp"))
			c->sp = d->handle;
		for (unsigned r = 0; r < R_NR; r++)
			if (!strcmp(d->name, reg_names[r]))
				c->r[r] = d->handle;
		/* QEMU names the register of both execution states after the AArch32 one */
		if (!strcmp(d->name, "SCTLR") && !c->r[R_SCTLR_EL1])
			c->r[R_SCTLR_EL1] = d->handle;
	}
	if (idx == 0)
		write_header(c, regs);
	g_array_free(regs, TRUE);
	for (unsigned r = 0; r < R_NR; r++)
		if (!c->r[r] && r != R_TTBR1_EL2)
			fprintf(stderr, PFX "vCPU %u has no register %s: its root loads are not followed\n",
				idx, reg_names[r]);
}

/* --- root loads --- */

static struct root_state *root_state(unsigned r)
{
	if (r >= P.nroot_state) {
		unsigned n = r + 64;
		struct root_state *rs = g_renew(struct root_state, P.root_state, n);
		memset(rs + P.nroot_state, 0, (n - P.nroot_state) * sizeof(*rs));
		P.root_state = rs;
		P.nroot_state = n;
	}
	return &P.root_state[r];
}

static bool cpu_loaded(unsigned cpu, unsigned r)
{
	for (unsigned s = 0; s < S_NR; s++)
		if (P.vcpus[cpu].root[s] == (int)r)
			return true;
	return false;
}

/* Whether cpu may walk root r now: loaded, and translation on for its regime. */
static bool cpu_walks(unsigned cpu, unsigned r)
{
	return cpu_loaded(cpu, r) && P.vcpus[cpu].mmu[ptrack_root_geom(P.pt, r)->regime];
}

/*
 * Retiring roots: no longer following a root (its pages may be freed and
 * reused: a dead VM's stage 2, Linux's init_pg_dir after boot) once no TLB can
 * hold its entries, until some vCPU loads it again. The checker decides who
 * holds what from the trace itself (use, and whole-regime TLBIs completed on
 * vCPUs that no longer have the root loaded); the plugin keeps the same
 * per-vCPU account only to stop tracking pages nobody can hold any more, so
 * it never drops a store the checker could judge.
 */
static void retire_if_done(unsigned r, const char *why)
{
	const struct root_state *rs;
	char line[200];

	if (r >= P.nroot_state || !ptrack_root_walked(P.pt, r))
		return;
	rs = &P.root_state[r];
	for (unsigned i = 0; i < CPUW; i++)
		if (rs->hold[i])
			return;
	ptrack_retire(P.pt, r);
	snprintf(line, sizeof(line), "# %s: retired (%s): not followed until it is loaded again",
		 ptrack_root_name(P.pt, r), why);
	out_line(line);
	P.n_retired++;
}

/*
 * A stage-2 root loaded with the VMID of another one that no vCPU has loaded:
 * the hypervisor gave that VM's VMID to a new one, so the old root is dead
 * (its pages may already be another VM's tables). Its entries may still be in
 * TLBs under that VMID (KVM frees a dead VM's stage 2 without a TLBI and
 * flushes the VMID before it reuses it); which ones is the checker's account.
 */
static void vmid_taken(unsigned root, uint16_t vmid)
{
	for (unsigned r = 0; r < P.nroot_state; r++) {
		struct root_state *rs = &P.root_state[r];
		bool loaded = false;
		if (r == root || !rs->has_vmid || rs->vmid != vmid ||
		    ptrack_root_geom(P.pt, r)->regime != PT_S2)
			continue;
		for (unsigned c = 0; c < P.nvcpus; c++)
			loaded |= cpu_loaded(c, r);
		if (loaded)
			continue;
		rs->has_vmid = false;
		memset(rs->hold, 0, sizeof(rs->hold));
		retire_if_done(r, "its VMID now belongs to another stage 2");
	}
}

/*
 * cpu loaded root (tags asid, vmid: -1 none) into slot: `use`, with the tags
 * it was loaded with and the root it replaces in that register (the checker
 * keeps the replaced root's entries in cpu's TLB until a TLBI removes them).
 * A root loaded again with another tag is used again.
 */
static void use_root(unsigned cpu, struct vcpu *c, unsigned slot, int root, int asid, int vmid,
		     uint64_t pc)
{
	struct fm_event ev = {.type = FM_EV_USE, .cpu = (uint16_t)cpu, .pc = pc};
	struct root_state *rs;
	int old = c->root[slot];
	bool held;

	if (root < 0)
		return;
	rs = root_state((unsigned)root);
	/* (not held: a TLBI completed while this vCPU did not walk it: loaded anew) */
	held = cpu < FM_MAX_CPUS && ((rs->hold[cpu / 64] >> (cpu % 64)) & 1);
	if (cpu < FM_MAX_CPUS)
		rs->hold[cpu / 64] |= 1ull << (cpu % 64);
	if (old == root && held && (asid < 0 || (rs->has_asid && rs->asid == asid)) &&
	    (vmid < 0 || (rs->has_vmid && rs->vmid == vmid)))
		return;
	c->root[slot] = root;
	if (asid >= 0) {
		rs->has_asid = true;
		rs->asid = (uint16_t)asid;
		ev.flags |= FM_EVF_ASID;
		ev.arg = (uint64_t)asid << 48;
	}
	if (vmid >= 0) {
		rs->has_vmid = true;
		rs->vmid = (uint16_t)vmid;
		ev.flags |= FM_EVF_VMID;
		ev.vmid = (uint16_t)vmid;
	}
	/* replaces= names a root of the same regime (the same register's). */
	if (old >= 0 && old != root &&
	    ptrack_root_geom(P.pt, (unsigned)old)->regime ==
		ptrack_root_geom(P.pt, (unsigned)root)->regime) {
		ev.flags |= FM_EVF_REPLACES;
		ev.ptep = (uint64_t)old;
	}
	ev.table = (uint16_t)root;
	out_event(&ev);
	P.n_use++;
}

/* Loads the root in ttbr with geometry g (err: why g could not be made) into slot. */
static void load_root(unsigned cpu, struct vcpu *c, unsigned slot, uint64_t ttbr, int err,
		      const struct pt_geom *g, const char *why, int asid, int vmid, int s2,
		      uint64_t pc)
{
	uint64_t base;
	bool is_new;
	int root;

	if (!(ttbr & 0x0000fffffffffffeull)) /* BADDR 0: nothing loaded (reset value, a parked CPU) */
		return;
	if (err) {
		/* Once per root value: a guest may load it again and again. */
		static uint64_t last_refused = ~0ull;
		char line[256];
		if (ttbr == last_refused)
			return;
		last_refused = ttbr;
		snprintf(line, sizeof(line), "# c%u root 0x%" PRIx64 " at pc 0x%" PRIx64 " not followed: %s",
			 cpu, ttbr, pc, why);
		out_line(line);
		/* A TxSZ out of range may be a transient state between two MSRs (Linux
		 * sets T1SZ for LPA2 before TCR.DS); a granule is a guest's choice. */
		if (strstr(why, "not supported"))
			fprintf(stderr, PFX "cpu %u root 0x%" PRIx64 " (pc 0x%" PRIx64 ") is not followed: %s\n",
				cpu, ttbr, pc, why);
		return;
	}
	base = ptrack_ttbr_base(ttbr, g);
	if (s2 >= 0 && !ptrack_s2_translate(P.pt, (unsigned)s2, base, &base)) {
		/* A guest's root at an IPA its stage 2 does not map (yet): once per value. */
		static uint64_t last_unmapped = ~0ull;
		char line[256];
		P.n_guest_roots++;
		if (ttbr == last_unmapped)
			return;
		last_unmapped = ttbr;
		snprintf(line, sizeof(line),
			 "# c%u root IPA 0x%" PRIx64 " at pc 0x%" PRIx64
			 " not followed: not mapped at stage 2 (%s)",
			 cpu, base, pc, ptrack_root_name(P.pt, (unsigned)s2));
		out_line(line);
		return;
	}
	P.loading = ptrack_root_find(P.pt, base, g);
	if (P.loading < 0)
		P.loading = (int)ptrack_nroots(P.pt); /* the index a new root gets */
	root = ptrack_root_s2(P.pt, base, g, s2, &is_new);
	P.loading = -1;
	if (root < 0) {
		out_line("# too many translation-table roots: no more are followed");
		return;
	}
	if (is_new && declare_table((unsigned)root)) {
		out_line("# too many translation-table roots: no more are followed");
		return;
	}
	if (vmid >= 0 && g->regime == PT_S2)
		vmid_taken((unsigned)root, (uint16_t)vmid);
	use_root(cpu, c, slot, root, asid, vmid, pc);
}

static int vttbr_vmid(struct vcpu *c, uint64_t vttbr)
{
	/* VMID [55:48], or [63:48] with VTCR_EL2.VS = 1 (16-bit VMIDs). */
	return (reg(c, c->r[R_VTCR]) >> 19) & 1 ? (int)(vttbr >> 48) : (int)((vttbr >> 48) & 0xff);
}

/* The ASID of a regime with two ranges: TCR.A1 selects the TTBR that holds it, TCR.AS its width. */
static int tcr_asid(uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1)
{
	int asid = (int)((((tcr >> 22) & 1) ? ttbr1 : ttbr0) >> 48);

	return (tcr >> 36) & 1 ? asid : asid & 0xff;
}

/* The EL2 (E2H = 0) or EL2&0 roots; ttbrs: bit 0 TTBR0_EL2, bit 1 TTBR1_EL2 may be taken. */
static void load_el2(unsigned cpu, struct vcpu *c, bool e2h, uint64_t tcr, unsigned ttbrs,
		     uint64_t pc)
{
	struct pt_geom g;
	char why[128];
	int err;

	if (e2h) { /* EL2&0: TTBR0_EL2 and TTBR1_EL2, TCR_EL2 in the EL1 layout, ASIDs */
		uint64_t t0 = reg(c, c->r[R_TTBR0_EL2]), t1 = reg(c, c->r[R_TTBR1_EL2]);
		int asid = tcr_asid(tcr, t0, t1);
		err = ptrack_geom_el1(tcr, false, PT_EL20, &g, why, sizeof(why));
		if (!((tcr >> 7) & 1) && (ttbrs & 1)) /* EPD0: no walks from TTBR0 */
			load_root(cpu, c, S_TTBR0_EL2, t0, err, &g, why, asid, -1, -1, pc);
		err = ptrack_geom_el1(tcr, true, PT_EL20, &g, why, sizeof(why));
		if (!((tcr >> 23) & 1) && (ttbrs & 2)) /* EPD1 */
			load_root(cpu, c, S_TTBR1_EL2, t1, err, &g, why, asid, -1, -1, pc);
	} else if (ttbrs & 1) {
		err = ptrack_geom_el2(tcr, &g, why, sizeof(why));
		load_root(cpu, c, S_TTBR0_EL2, reg(c, c->r[R_TTBR0_EL2]), err, &g, why, -1, -1, -1,
			  pc);
	}
}

/*
 * EL1&0 roots: tagged with the ASID, and, where EL2 is implemented, with the
 * VMID of VTTBR_EL2, which tags the EL1&0 regime's entries whether stage 2 is
 * on or not (that is why KVM gives the host VMID 0). With stage 2 on (s2: its
 * root), the TTBRs and the tables hold IPAs, translated through it.
 */
static void load_el1(unsigned cpu, struct vcpu *c, uint64_t tcr, int s2, uint64_t pc)
{
	uint64_t t0 = reg(c, c->r[R_TTBR0_EL1]), t1 = reg(c, c->r[R_TTBR1_EL1]);
	int asid = tcr_asid(tcr, t0, t1);
	int vmid = P.has_el2 ? vttbr_vmid(c, reg(c, c->r[R_VTTBR])) : -1;
	struct pt_geom g;
	char why[128];
	int err;

	err = ptrack_geom_el1(tcr, false, PT_EL1, &g, why, sizeof(why));
	if (!((tcr >> 7) & 1)) /* EPD0: no walks from TTBR0 */
		load_root(cpu, c, S_TTBR0_EL1, t0, err, &g, why, asid, vmid, s2, pc);
	err = ptrack_geom_el1(tcr, true, PT_EL1, &g, why, sizeof(why));
	if (!((tcr >> 23) & 1)) /* EPD1 */
		load_root(cpu, c, S_TTBR1_EL1, t1, err, &g, why, asid, vmid, s2, pc);
}

static void load_s2(unsigned cpu, struct vcpu *c, uint64_t vtcr, uint64_t vttbr, uint64_t pc)
{
	struct pt_geom g;
	char why[128];
	int err = ptrack_geom_s2(vtcr, &g, why, sizeof(why));

	load_root(cpu, c, S_VTTBR, vttbr, err, &g, why, -1, vttbr_vmid(c, vttbr), -1, pc);
}

/*
 * Context synchronization (ISB, ERET): a write to TTBRn_ELx, TCR_ELx, VTTBR_EL2,
 * VTCR_EL2, SCTLR_ELx or HCR_EL2 is only guaranteed to affect translation
 * after one (Arm ARM D24.1.2 "synchronization of changes to system
 * registers"). An MSR to any of them (or to SCR_EL3) stores its PC into the
 * vCPU's `dirty` scoreboard entry (an inline store; its callback, ctx_cb(),
 * only starts a new epoch of store_pa()'s cache); the next ISB or ERET of
 * that vCPU then evaluates its roots from the registers themselves. So the
 * order of TTBR and TCR writes (pKVM writes TTBR0_EL2 first) does not matter,
 * and what an MSR really wrote (with HCR_EL2.E2H = 1 the _EL1 names at EL2
 * reach the _EL2 registers, the _EL12 names the _EL1 ones: D13.2.3
 * "redirection") is read, not guessed.
 *
 * EL2 roots are taken with SCTLR_EL2.M set, or, with it clear, when their
 * TTBR was written since the last synchronization: with the MMU off TTBR0_EL2 may hold
 * whatever the previous software left there (U-Boot's table when Linux
 * starts and switches HCR_EL2.E2H), while firmware loads its tables before
 * it turns its MMU on.
 *
 * EL1&0 roots are those the vCPU runs at EL1 with: taken at a synchronization
 * at EL1, or at an ERET from EL2 to EL1 or EL0 (SPSR_EL2.M: a hypervisor's
 * world switch writes the EL1 registers at EL2, then returns into them), and
 * only with SCTLR_EL1.M set (a guest with its MMU off holds no roots). With
 * HCR_EL2.VM set they are a guest's (or a stage-2-confined host's): their
 * TTBRs and table descriptors hold IPAs, translated through the stage 2 the
 * vCPU has loaded (ptrack_root_s2()).
 */
static void sync_cb(unsigned int cpu, void *udata)
{
	struct vcpu *c = &P.vcpus[cpu];
	uint64_t pc, hcr, vttbr;
	unsigned el, target, written;
	bool vm;

	if (cpu >= P.nvcpus)
		return;
	pc = qemu_plugin_u64_get(P.dirty, cpu);
	qemu_plugin_u64_set(P.dirty, cpu, 0);
	written = (qemu_plugin_u64_get(P.ttbr0_written, cpu) ? 1u : 0) |
		  (qemu_plugin_u64_get(P.ttbr1_written, cpu) ? 2u : 0);
	qemu_plugin_u64_set(P.ttbr0_written, cpu, 0);
	qemu_plugin_u64_set(P.ttbr1_written, cpu, 0);
	el = (unsigned)(reg(c, c->r[R_CPSR]) >> 2) & 3;
	target = el;
	if (udata && el == 2 && c->r[R_SPSR_EL2]) /* an ERET: the EL it returns to */
		target = (unsigned)(reg(c, c->r[R_SPSR_EL2]) >> 2) & 3;
	hcr = reg(c, c->r[R_HCR]);
	vttbr = reg(c, c->r[R_VTTBR]);
	vm = hcr & 1;
	g_mutex_lock(&P.lock);
	/*
	 * Translation on or off (SCTLR_ELx.M, HCR_EL2.VM for stage 2): a vCPU with
	 * it off walks nothing, so a whole-regime TLBI completed then leaves it
	 * holding nothing of the root it still has in its TTBR (a hypervisor that
	 * turns its MMU off to switch tables; firmware that hands over to an OS).
	 */
	if (c->r[R_SCTLR_EL2])
		c->mmu[PT_EL2] = c->mmu[PT_EL20] = reg(c, c->r[R_SCTLR_EL2]) & 1;
	else
		c->mmu[PT_EL2] = c->mmu[PT_EL20] = true;
	c->mmu[PT_EL1] = c->r[R_SCTLR_EL1] ? reg(c, c->r[R_SCTLR_EL1]) & 1 : true;
	c->mmu[PT_S2] = vm;
	if (el == 2) {
		/* With its MMU off, only a root just written (firmware loads its
		 * tables, then turns its MMU on): a TTBR left as it was holds
		 * whatever the software before left there (U-Boot's, for Linux). */
		load_el2(cpu, c, (hcr >> 34) & 1, reg(c, c->r[R_TCR_EL2]), c->mmu[PT_EL2] ? 3 : written,
			 pc);
		if (vm)
			load_s2(cpu, c, reg(c, c->r[R_VTCR]), vttbr, pc);
	}
	if (target <= 1 && c->mmu[PT_EL1]) {
		if (!vm)
			load_el1(cpu, c, reg(c, c->r[R_TCR_EL1]), -1, pc);
		else if (c->root[S_VTTBR] >= 0)
			load_el1(cpu, c, reg(c, c->r[R_TCR_EL1]), c->root[S_VTTBR], pc);
		else
			P.n_guest_roots++;
	}
	tick(cpu);
	g_mutex_unlock(&P.lock);
}

/*
 * The whole-regime TLBIs of cpu that a DSB (CRm crm) completes (D8.17.4): the
 * vCPUs they reached hold nothing more of the roots of their regime (of
 * their VMID for EL1&0 and stage 2) that they no longer have loaded. The
 * checker's account (allop_done() in cli/bbm.c) without ASID operations:
 * what the plugin keeps following is never less than what the checker judges.
 */
static void holders_flush(unsigned cpu, unsigned crm)
{
	static const uint8_t fm_regime[PT_NR_REGIMES] = {FM_REGIME_EL2, FM_REGIME_EL20, FM_REGIME_EL1,
							 FM_REGIME_S2};
	struct vcpu *c = &P.vcpus[cpu];
	unsigned k = 0;

	for (unsigned i = 0; i < c->nflushes; i++) {
		const struct flush *fl = &c->flushes[i];
		unsigned f = arm64_tlbi_flags(fl->op);
		if (!arm64_dsb_completes(crm, f)) {
			c->flushes[k++] = *fl;
			continue;
		}
		for (unsigned r = 0; r < P.nroot_state && r < ptrack_nroots(P.pt); r++) {
			struct root_state *rs = &P.root_state[r];
			uint8_t regime = ptrack_root_geom(P.pt, r)->regime;
			if (!arm64_tlbi_reaches_regime(f, fm_regime[regime]))
				continue;
			if (regime == PT_S2 && !(f & TLBI_F_S2))
				continue; /* vmalle1*: combined entries, not the stage-2 ones */
			if ((regime == PT_EL1 || regime == PT_S2) && !(f & TLBI_F_ALLVMID) &&
			    fl->has_vmid && rs->has_vmid && fl->vmid != rs->vmid)
				continue;
			for (unsigned v = 0; v < P.nvcpus && v < FM_MAX_CPUS; v++)
				if (((f & (TLBI_F_IS | TLBI_F_OS)) || v == cpu) && !cpu_walks(v, r))
					rs->hold[v / 64] &= ~(1ull << (v % 64));
			retire_if_done(r, arm64_tlbi_name(fl->op));
		}
	}
	c->nflushes = k;
}

/* A TLBI of cpu: a whole-regime one waits for its DSB (a full list forgets the
 * oldest: what it would have retired stays followed). */
static void tlbi_flushes(unsigned cpu, const struct fm_event *ev)
{
	struct vcpu *c = &P.vcpus[cpu];
	unsigned f = arm64_tlbi_flags(ev->tlbi);

	if (!(f & TLBI_F_ALL))
		return;
	if (c->nflushes == MAX_FLUSHES)
		memmove(c->flushes, c->flushes + 1, (MAX_FLUSHES - 1) * sizeof(*c->flushes));
	else
		c->nflushes++;
	c->flushes[c->nflushes - 1] = (struct flush){
	    .op = ev->tlbi, .vmid = ev->vmid, .has_vmid = (ev->flags & FM_EVF_VMID) != 0};
}

/* --- access checks --- */

/*
 * Whether va may be in an open window: a scan without the lock (windows change
 * under it; a stale answer only costs or saves one locked check, which decides).
 */
static bool window_hit(uint64_t va)
{
	unsigned n = __atomic_load_n(&P.nwindows, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < n && i < MAX_WINDOWS; i++)
		if (va >= __atomic_load_n(&P.windows[i].lo, __ATOMIC_RELAXED) &&
		    va <= __atomic_load_n(&P.windows[i].hi, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* (callers hold P.lock) */
static void access_check_locked(unsigned cpu, uint64_t va, bool exec, uint64_t pc)
{
	struct vcpu *c = &P.vcpus[cpu];

	for (unsigned i = 0; i < P.nwindows; i++) {
		struct window *w = &P.windows[i];
		bool walks = false;
		if (va < w->lo || va > w->hi || (cpu < 64 && (w->reported >> cpu) & 1))
			continue;
		for (unsigned s = 0; s < S_NR; s++)
			walks |= c->root[s] == (int)w->root;
		if (!walks)
			continue;
		if (cpu < 64)
			w->reported |= 1ull << cpu;
		struct fm_event ev = {.type = FM_EV_ACCESS, .cpu = (uint16_t)cpu, .va = va, .pc = pc,
				      .table = (uint16_t)w->root,
				      .flags = (exec ? FM_EVF_EXEC : 0) | FM_EVF_TABLE};
		out_event(&ev);
		P.n_access++;
	}
}

static void access_check(unsigned cpu, uint64_t va, bool exec, uint64_t pc)
{
	g_mutex_lock(&P.lock);
	access_check_locked(cpu, va, exec, pc);
	g_mutex_unlock(&P.lock);
}

/* An instruction at pc that accesses va, while a window is open: its fetch, then its access. */
static void insn_access_check(unsigned cpu, uint64_t pc, uint64_t va)
{
	if (window_hit(pc))
		access_check(cpu, pc, true, pc);
	if (window_hit(va))
		access_check(cpu, va, false, pc);
}

/*
 * The fetch of an instruction whose callback runs (a table store, a barrier or
 * TLBI recorded, a store while a window is open): checked for every access=
 * but off, at no cost elsewhere. It catches maintenance code that runs in the
 * VA range it changes (splitting the block that maps it, as EDK2's
 * ArmReplaceLiveTranslationEntry() callers do); a fetch elsewhere needs
 * access=fetch, a check in every executed block (see `make bench`). Callers
 * hold P.lock.
 */
static void fetch_seen(unsigned cpu, uint64_t pc)
{
	if (P.access && P.nwindows && window_hit(pc))
		access_check_locked(cpu, pc, true, pc);
}

/* --- maintenance instructions --- */

static void maint_cb(unsigned int cpu, void *udata)
{
	const struct insn *in = udata;
	struct vcpu *c = &P.vcpus[cpu];
	struct fm_event ev = {.cpu = (uint16_t)cpu, .pc = in->pc, .type = in->ev};

	if (cpu >= P.nvcpus)
		return;
	if (in->kind == K_TLBI) {
		unsigned f = arm64_tlbi_flags(in->op);
		ev.tlbi = in->op;
		ev.arg = xreg(c, in->rt);
		ev.va = arm64_tlbi_addr(in->op, ev.arg);
		/* EL1 and stage-2 operations act on the current VMID (VTTBR_EL2.VMID). */
		if ((f & (TLBI_F_EL1 | TLBI_F_S2)) && !(f & TLBI_F_ALLVMID) && c->r[R_VTTBR]) {
			ev.flags |= FM_EVF_VMID;
			ev.vmid = (uint16_t)vttbr_vmid(c, reg(c, c->r[R_VTTBR]));
		}
	} else {
		ev.bar = (uint8_t)in->op;
	}
	g_mutex_lock(&P.lock);
	fetch_seen(cpu, in->pc);
	/*
	 * A DMB neither orders nor completes TLB maintenance (only a DSB does);
	 * the checker names one between a break and its TLBI, so DMBs are kept
	 * while a table store of this CPU awaits its DSB (or with barriers=all).
	 */
	if (in->ev == FM_EV_DMB && !c->store_open && !P.barriers_all) {
		g_mutex_unlock(&P.lock);
		return;
	}
	out_event(&ev);
	switch (in->ev) {
	case FM_EV_TLBI:
		P.n_tlbi++;
		/* (before the TLBI runs: no store translation is cached until its DSB) */
		if (!c->tlbi_inflight) {
			c->tlbi_inflight = true;
			__atomic_add_fetch(&P.inflight, 1, __ATOMIC_RELEASE);
		}
		__atomic_add_fetch(&P.xgen, 1, __ATOMIC_RELEASE);
		tlbi_flushes(cpu, &ev);
		c->breaks = false;
		c->tlbi_open = true;
		pending_set(cpu, true);
		break;
	case FM_EV_DSB:
		P.n_bar++;
		if (c->tlbi_inflight) {
			c->tlbi_inflight = false;
			__atomic_sub_fetch(&P.inflight, 1, __ATOMIC_RELEASE);
		}
		c->store_open = false;
		if (c->nflushes)
			holders_flush(cpu, ev.bar);
		if (BAR_TYPE(in->op) == BAR_TYPE_ALL)
			c->tlbi_open = false;
		break;
	case FM_EV_DMB:
		P.n_bar++;
		break;
	case FM_EV_ISB:
		P.n_bar++;
		if (!c->store_open && !c->tlbi_open && !c->breaks && !P.barriers_all)
			pending_set(cpu, false);
		else if (!c->store_open)
			windows_close(cpu);
		break;
	}
	tick(cpu);
	g_mutex_unlock(&P.lock);
}

/* --- memory accesses --- */

/*
 * The physical address of a store: QEMU's TLB (qemu_plugin_get_hwaddr()),
 * behind a per-vCPU cache of page translations, since the lookup is a third of
 * what a store costs. An entry is keyed by VA page and MMU index (the
 * regime, EL and PAN state QEMU translated with: bits [3:0] of the meminfo,
 * QEMU's MemOpIdx, checked against the API's own view of the size and
 * direction before it is used) and holds what QEMU's TLB gave. A new epoch
 * empties a vCPU's cache whenever QEMU's TLB may have changed:
 *  - this vCPU wrote a register that selects or shapes its tables (TTBRs,
 *    TCRs, SCTLRs, HCR_EL2, VTTBR/VTCR_EL2, SCR_EL3: ctx_cb() before the MSR;
 *    QEMU applies it, and flushes what it must, at once);
 *  - any vCPU ran a TLBI (before it runs; and nothing is cached until that
 *    vCPU's next DSB, by which time QEMU has flushed every vCPU it reaches:
 *    a broadcast one is synced before the issuing vCPU goes on);
 *  - a table store changed a valid entry (QEMU may walk again at any time).
 * What this cannot see is a valid entry changed without a TLBI in tables the
 * plugin does not follow; a store it then places on the old page, if the new
 * one is a table page, comes back from the audit as unseen.
 */
static bool store_pa(struct vcpu *c, qemu_plugin_meminfo_t info, uint64_t vaddr, uint64_t *pa)
{
	uint64_t gen = __atomic_load_n(&P.xgen, __ATOMIC_ACQUIRE);
	uint64_t tag = (vaddr & ~0xfffull) | XC_VALID | (info & 0xf);
	/* (a multiplicative hash: pages a block apart, such as an alias, do not collide) */
	unsigned i = (unsigned)(((vaddr >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - XC_BITS));
	struct xlat *e = &c->xc[(i ^ (info & 0xf)) & (XC_N - 1)];
	struct qemu_plugin_hwaddr *hw;

	if (gen != c->xc_gen || c->ctx != c->xc_ctx) {
		c->xc_gen = gen;
		c->xc_ctx = c->ctx;
		c->xc_epoch++;
	}
	if (e->tag == tag && e->epoch == c->xc_epoch) {
		c->xc_hits++;
		*pa = e->pa | (vaddr & 0xfff);
		return true;
	}
	c->xc_misses++;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw || qemu_plugin_hwaddr_is_io(hw))
		return false;
	*pa = qemu_plugin_hwaddr_phys_addr(hw);
	if (P.xc_off || __atomic_load_n(&P.inflight, __ATOMIC_ACQUIRE))
		return true;
	/* MemOpIdx: MemOp << 4 | MMU index, the direction at bit 16 (QEMU's plugin.h) */
	if (((info >> 4) & 7) != qemu_plugin_mem_size_shift(info) ||
	    !((info >> 16) & QEMU_PLUGIN_MEM_W) != !qemu_plugin_mem_is_store(info)) {
		P.xc_off = true;
		return true;
	}
	*e = (struct xlat){tag, *pa & ~0xfffull, c->xc_epoch};
	return true;
}

static void mem_cb(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	uint64_t pa;
	unsigned n;

	if (cpu >= P.nvcpus)
		return;
	if (P.access && __atomic_load_n(&P.nwindows, __ATOMIC_RELAXED))
		insn_access_check(cpu, (uint64_t)(uintptr_t)udata, vaddr);
	/* (loads have callbacks only with access=all) */
	if ((P.access == ACCESS_ALL && !qemu_plugin_mem_is_store(info)) ||
	    !store_pa(&P.vcpus[cpu], info, vaddr, &pa) ||
	    !ptrack_is_table(P.pt, pa))
		return;
	g_mutex_lock(&P.lock);
	fetch_seen(cpu, (uint64_t)(uintptr_t)udata);
	P.cur_cpu = cpu;
	P.cur_pc = (uint64_t)(uintptr_t)udata;
	P.cur_break = false;
	n = ptrack_store(P.pt, pa, 1u << qemu_plugin_mem_size_shift(info));
	if (n) {
		struct vcpu *c = &P.vcpus[cpu];
		c->store_open = true;
		c->breaks |= P.cur_break;
		pending_set(cpu, true);
		tick(cpu);
	}
	g_mutex_unlock(&P.lock);
}

/* Before an MSR that may change translation: a new epoch of store_pa()'s cache. */
static void ctx_cb(unsigned int cpu, void *udata)
{
	(void)udata;
	if (cpu < P.nvcpus)
		P.vcpus[cpu].ctx++;
}

static void fetch_cb(unsigned int cpu, void *udata)
{
	if (cpu < P.nvcpus && __atomic_load_n(&P.nwindows, __ATOMIC_RELAXED) &&
	    window_hit((uint64_t)(uintptr_t)udata))
		access_check(cpu, (uint64_t)(uintptr_t)udata, true, (uint64_t)(uintptr_t)udata);
}

/*
 * A store narrower than a descriptor (access=store): no memory callback (see
 * tb_trans), so while a window is open its address is computed from the
 * registers before it runs.
 */
static void narrow_cb(unsigned int cpu, void *udata)
{
	const struct insn *in = udata;
	struct vcpu *c = &P.vcpus[cpu];
	uint64_t va;

	if (cpu >= P.nvcpus || !__atomic_load_n(&P.nwindows, __ATOMIC_RELAXED))
		return;
	va = arm64_addr_eval(&in->addr, in->addr.rn == 31 ? reg(c, c->sp) : xreg(c, in->addr.rn),
			     in->addr.mode == ARM64_ADDR_REG ? xreg(c, in->addr.rm) : 0);
	insn_access_check(cpu, in->pc, va);
}

/* --- translation --- */

static const struct insn *intern_addr(uint64_t pc, uint32_t word, uint8_t kind, uint8_t ev,
				      unsigned op, unsigned rt, const struct arm64_addr *addr)
{
	struct insn *in;

	g_mutex_lock(&P.lock);
	in = g_hash_table_lookup(P.insns, &pc);
	if (!in || in->word != word) {
		/* A replaced entry stays allocated: old translations may still use it. */
		in = g_new0(struct insn, 1);
		*in = (struct insn){pc, word, kind, ev, (uint8_t)rt, (uint16_t)op, {0}};
		if (addr)
			in->addr = *addr;
		g_hash_table_insert(P.insns, &in->pc, in);
	}
	g_mutex_unlock(&P.lock);
	return in;
}

static const struct insn *intern(uint64_t pc, uint32_t word, uint8_t kind, uint8_t ev,
				 unsigned op, unsigned rt)
{
	return intern_addr(pc, word, kind, ev, op, rt, NULL);
}

/* MSR <sysreg>, Xt (C6.2.250): 1101 0101 0001 o0 op1 CRn CRm op2 Rt, op0 = 2 + o0. */
static int decode_msr(uint32_t w, unsigned *sr, unsigned *rt)
{
	if ((w & 0xfff00000u) != 0xd5100000u)
		return 0;
	*sr = SYSREG(2 + ((w >> 19) & 1), (w >> 16) & 7, (w >> 12) & 0xf, (w >> 8) & 0xf, (w >> 5) & 7);
	*rt = w & 31;
	switch (*sr) {
	case SR_TTBR0_EL1: case SR_TTBR1_EL1: case SR_TCR_EL1:
	case SR_TTBR0_EL12: case SR_TTBR1_EL12: case SR_TCR_EL12:
	case SR_TTBR0_EL2: case SR_TTBR1_EL2: case SR_TCR_EL2:
	case SR_VTTBR_EL2: case SR_VTCR_EL2:
	case SR_SCTLR_EL1: case SR_SCTLR_EL12: case SR_SCTLR_EL2: case SR_HCR_EL2: case SR_SCR_EL3:
		return 1;
	}
	return 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	/*
	 * access=fetch: a check at the start of every executed block, inline
	 * until a window is open; most of the cost of access checks, so only on
	 * request (fetch_seen() covers the instructions that have callbacks).
	 */
	if (P.access >= ACCESS_FETCH)
		qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, fetch_cb, QEMU_PLUGIN_CB_NO_REGS,
							  QEMU_PLUGIN_COND_NE, P.window_open, 0,
							  (void *)(uintptr_t)qemu_plugin_tb_vaddr(tb));
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		uint32_t w = 0;
		unsigned op, rt, narrow;
		struct arm64_addr addr;
		int ev;

		if (qemu_plugin_insn_data(insn, &w, sizeof(w)) != sizeof(w))
			continue;
		/*
		 * A table walk reads a descriptor as one 64-bit single-copy-atomic
		 * access (B2.2.1, D8.2.1): a store of 1, 2 or 4 bytes can never
		 * write a whole descriptor, and real table code never uses one. A
		 * memory callback on every store is most of the plugin's cost, so
		 * those get none (unless stores=all or access=all): a change one
		 * makes to a table reaches the trace as `unseen` at the next audit,
		 * and while a window is open narrow_cb finds its address for the
		 * access check.
		 */
		narrow = P.stores_all || P.access == ACCESS_ALL ? 0 : arm64_narrow_store(w, &addr);
		if (!narrow)
			qemu_plugin_register_vcpu_mem_cb(insn, mem_cb, QEMU_PLUGIN_CB_NO_REGS,
							 P.access == ACCESS_ALL ? QEMU_PLUGIN_MEM_RW
										: QEMU_PLUGIN_MEM_W,
							 (void *)(uintptr_t)pc);
		else if (P.access)
			qemu_plugin_register_vcpu_insn_exec_cond_cb(
			    insn, narrow_cb, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_NE, P.window_open, 0,
			    (void *)intern_addr(pc, w, K_NARROW, 0, narrow, 31, &addr));
		ev = arm64_decode_maint(w, &op, &rt);
		if (ev == FM_EV_TLBI) {
			qemu_plugin_register_vcpu_insn_exec_cb(
			    insn, maint_cb, QEMU_PLUGIN_CB_R_REGS,
			    (void *)intern(pc, w, K_TLBI, (uint8_t)ev, op, rt));
		} else if (ev) {
			void *u = (void *)intern(pc, w, K_BAR, (uint8_t)ev, op, rt);
			if (ev == FM_EV_ISB)
				qemu_plugin_register_vcpu_insn_exec_cond_cb(
				    insn, sync_cb, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_COND_NE, P.dirty, 0,
				    NULL);
			if (P.barriers_all)
				qemu_plugin_register_vcpu_insn_exec_cb(insn, maint_cb,
								       QEMU_PLUGIN_CB_NO_REGS, u);
			else
				qemu_plugin_register_vcpu_insn_exec_cond_cb(
				    insn, maint_cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_NE,
				    P.pending, 0, u);
		} else if (decode_msr(w, &op, &rt)) {
			/* Evaluated at the next context synchronization (sync_cb). */
			qemu_plugin_register_vcpu_insn_exec_cb(insn, ctx_cb, QEMU_PLUGIN_CB_NO_REGS, NULL);
			qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
			    insn, QEMU_PLUGIN_INLINE_STORE_U64, P.dirty, pc ? pc : 1);
			/* (the _EL1 names reach the _EL2 registers at EL2 with E2H = 1) */
			if (op == SR_TTBR0_EL2 || op == SR_TTBR0_EL1)
				qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
				    insn, QEMU_PLUGIN_INLINE_STORE_U64, P.ttbr0_written, 1);
			if (op == SR_TTBR1_EL2 || op == SR_TTBR1_EL1)
				qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
				    insn, QEMU_PLUGIN_INLINE_STORE_U64, P.ttbr1_written, 1);
		} else if (w == 0xd69f03e0u /* ERET */) {
			/*
			 * An exception return is a context synchronization event like
			 * ISB (Arm ARM glossary, "Context synchronization event"):
			 * recorded as isb for the checker's missing-isb rule.
			 */
			void *u = (void *)intern(pc, w, K_BAR, FM_EV_ISB, 0, 31);
			qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, sync_cb, QEMU_PLUGIN_CB_R_REGS,
								    QEMU_PLUGIN_COND_NE, P.dirty, 0,
								    u); /* an ERET: udata set */
			if (P.barriers_all)
				qemu_plugin_register_vcpu_insn_exec_cb(insn, maint_cb,
								       QEMU_PLUGIN_CB_NO_REGS, u);
			else
				qemu_plugin_register_vcpu_insn_exec_cond_cb(
				    insn, maint_cb, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_NE,
				    P.pending, 0, u);
		}
	}
}

/* --- start and end --- */

static void vcpu_idle(qemu_plugin_id_t id, unsigned int cpu)
{
	(void)id;
	g_mutex_lock(&P.lock);
	tick(cpu);
	g_mutex_unlock(&P.lock);
}

static void at_exit(qemu_plugin_id_t id, void *u)
{
	struct ptrack_stats st;
	char line[512];

	(void)id;
	(void)u;
	g_mutex_lock(&P.lock);
	P.cur_cpu = 0;
	P.cur_pc = 0;
	ptrack_audit(P.pt, false);
	ptrack_stats(P.pt, &st);
	/*
	 * Always cut: a recording ends because QEMU was stopped while the guest
	 * ran, or because the guest powered off or reset, which empties every TLB:
	 * either way maintenance still pending at the end is no finding.
	 */
	out_event(&(struct fm_event){.type = FM_EV_CUT});
	snprintf(line, sizeof(line),
		 "# fixmap-plugin: %llu events: %llu pte, %llu tlbi, %llu barriers, %llu use, %llu "
		 "access, %llu unseen; %u roots, %" PRIu64 " table pages, %" PRIu64
		 " tables outside RAM, %llu retired, %llu EL1 roots not followed (stage 2 unknown "
		 "or not mapping them)%s",
		 P.n_events, P.n_pte, P.n_tlbi, P.n_bar, P.n_use, P.n_access, P.n_unseen,
		 ptrack_nroots(P.pt), st.pages, st.outside, P.n_retired, P.n_guest_roots,
		 ptrack_nroots(P.pt) ? "" : "; no translation-table root was loaded (MMU never enabled?)");
	out_line(line);
	{
		unsigned long long hits = 0, misses = 0;
		for (unsigned c = 0; c < P.nvcpus; c++) {
			hits += P.vcpus[c].xc_hits;
			misses += P.vcpus[c].xc_misses;
		}
		snprintf(line, sizeof(line),
			 "# fixmap-plugin: store addresses: %llu from the translation cache, %llu from "
			 "QEMU's TLB%s",
			 hits, misses, P.xc_off ? " (no cache: unknown meminfo layout)" : "");
		out_line(line);
	}
	if (P.n_windows_dropped) {
		snprintf(line, sizeof(line), "# fixmap-plugin: %llu access windows not kept (more than %d open)",
			 P.n_windows_dropped, MAX_WINDOWS);
		out_line(line);
	}
	out_flush();
	if (P.out != stdout && P.out != stderr)
		fclose(P.out);
	P.out = NULL;
	P.write_failed = true;
	g_mutex_unlock(&P.lock);
}

/* QEMU's own command line, NUL-separated words; returns the length (0 if unreadable). */
static size_t qemu_cmdline(char *buf, size_t n)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, n - 1);

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	return (size_t)len;
}

/*
 * QEMU 10.0 with -accel tcg,thread=single and more than one vCPU passes every
 * callback vCPU 0 and indexes scoreboards with it (accel/tcg/plugin-gen.c,
 * gen_cpu_index(): without CF_PARALLEL the translating vCPU's index is made a
 * constant, but round-robin TCG shares translations between vCPUs).
 */
static bool single_threaded(void)
{
	char buf[65536], *p, *end;
	size_t len = qemu_cmdline(buf, sizeof(buf));

	for (p = buf, end = buf + len; p < end; p += strlen(p) + 1)
		if (strstr(p, "thread=single"))
			return true;
	return false;
}

/*
 * The shared RAM file from QEMU's own command line: the memory-backend-file
 * object with share=on (API v4 cannot read guest memory by physical address).
 */
static char *find_backend(char *why, size_t n)
{
	char buf[65536], *p, *end, *found = NULL;
	size_t len = qemu_cmdline(buf, sizeof(buf));

	if (!len) {
		snprintf(why, n, "cannot read /proc/self/cmdline");
		return NULL;
	}
	for (p = buf, end = buf + len; p < end; p += strlen(p) + 1) {
		char *mp;
		if (strncmp(p, "memory-backend-file,", 20) && !strstr(p, "qom-type=memory-backend-file"))
			continue;
		if (!strstr(p, "share=on")) {
			snprintf(why, n, "the memory backend (%.200s) needs share=on", p);
			return NULL;
		}
		mp = strstr(p, "mem-path=");
		if (!mp)
			continue;
		mp += 9;
		found = g_strndup(mp, strcspn(mp, ","));
		break;
	}
	if (!found)
		snprintf(why, n, "no shared guest RAM: give mem=FILE, or add -object "
				 "memory-backend-file,id=mem,size=SIZE,mem-path=/dev/shm/NAME,share=on "
				 "-machine memory-backend=mem");
	return found;
}

static int parse_args(int argc, char **argv)
{
	P.ram_base = VIRT_RAM_BASE;
	P.audit_ms = 100;
	P.loading = -1;
	P.access = ACCESS_STORE;
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *k = argv[i], *v = eq ? eq + 1 : "";
		size_t kl = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		bool b;

		if (kl == 3 && !strncmp(k, "out", 3)) {
			P.out_path = g_strdup(v);
		} else if (kl == 3 && !strncmp(k, "mem", 3)) {
			char *at = strrchr(v, '@');
			P.mem_path = at ? g_strndup(v, (size_t)(at - v)) : g_strdup(v);
			if (at) {
				char *e;
				errno = 0;
				P.ram_base = strtoull(at + 1, &e, 0);
				if (errno || *e || e == at + 1) {
					fprintf(stderr, PFX "mem=%s: bad base address '%s'\n", v, at + 1);
					return -1;
				}
			}
		} else if (kl == 8 && !strncmp(k, "barriers", 8)) {
			if (strcmp(v, "all") && strcmp(v, "pending")) {
				fprintf(stderr, PFX "barriers=%s: expected all or pending\n", v);
				return -1;
			}
			P.barriers_all = !strcmp(v, "all");
		} else if (kl == 6 && !strncmp(k, "access", 6)) {
			if (!strcmp(v, "store"))
				P.access = ACCESS_STORE;
			else if (!strcmp(v, "fetch"))
				P.access = ACCESS_FETCH;
			else if (!strcmp(v, "all"))
				P.access = ACCESS_ALL;
			else if (qemu_plugin_bool_parse("access", v, &b) && !b)
				P.access = ACCESS_OFF;
			else {
				fprintf(stderr, PFX "access=%s: expected store, fetch, all or off\n", v);
				return -1;
			}
		} else if (kl == 6 && !strncmp(k, "stores", 6)) {
			if (strcmp(v, "all") && strcmp(v, "wide")) {
				fprintf(stderr, PFX "stores=%s: expected wide or all\n", v);
				return -1;
			}
			P.stores_all = !strcmp(v, "all");
		} else if (kl == 5 && !strncmp(k, "audit", 5)) {
			char *e;
			unsigned long ms = strtoul(v, &e, 10);
			if (!*v || *e || ms > 3600000) {
				fprintf(stderr, PFX "audit=%s: expected milliseconds (0: only at exit)\n", v);
				return -1;
			}
			P.audit_ms = (unsigned)ms;
		} else {
			fprintf(stderr, PFX "unknown argument '%s' (out=FILE, mem=PATH[@BASE], "
					"barriers=pending|all, access=store|fetch|all|off, stores=wide|all, "
					"audit=MS)\n",
				argv[i]);
			return -1;
		}
	}
	if (!P.out_path || !*P.out_path) {
		fprintf(stderr, PFX "out=FILE is required (the trace to write)\n");
		return -1;
	}
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	struct stat st;
	char why[512];
	void *ram;

	if (!info->system_emulation || strcmp(info->target_name, "aarch64")) {
		fprintf(stderr, PFX "needs qemu-system-aarch64 (this is %s%s)\n", info->target_name,
			info->system_emulation ? "" : " user mode");
		return -1;
	}
	if (parse_args(argc, argv))
		return -1;
	if (info->system.max_vcpus > 1 && single_threaded()) {
		fprintf(stderr, PFX "-accel tcg,thread=single with %d vCPUs: QEMU 10.0 then gives "
				"plugins vCPU 0 for every vCPU; use the default (multi-threaded) TCG\n",
			info->system.max_vcpus);
		return -1;
	}
	if (!P.mem_path && !(P.mem_path = find_backend(why, sizeof(why)))) {
		fprintf(stderr, PFX "%s\n", why);
		return -1;
	}
	P.ram_fd = open(P.mem_path, O_RDONLY | O_CLOEXEC);
	if (P.ram_fd < 0 || fstat(P.ram_fd, &st) || st.st_size < 4096) {
		fprintf(stderr, PFX "guest RAM %s: %s\n", P.mem_path,
			P.ram_fd < 0 ? strerror(errno) : "empty or unreadable");
		return -1;
	}
	ram = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, P.ram_fd, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, PFX "mapping guest RAM %s: %s\n", P.mem_path, strerror(errno));
		return -1;
	}
	P.ram = ram;
	P.ram_size = (uint64_t)st.st_size;
	P.out = fopen(P.out_path, "w");
	if (!P.out) {
		fprintf(stderr, PFX "out=%s: %s\n", P.out_path, strerror(errno));
		return -1;
	}
	setvbuf(P.out, NULL, _IOFBF, 1 << 20);
	P.nvcpus = (unsigned)(info->system.max_vcpus > 0 ? info->system.max_vcpus : 1);
	if (P.nvcpus > FM_MAX_CPUS) {
		fprintf(stderr, PFX "%u vCPUs: the trace format has at most %d\n", P.nvcpus, FM_MAX_CPUS);
		return -1;
	}
	P.vcpus = g_new0(struct vcpu, P.nvcpus);
	P.pt = ptrack_new(P.ram, P.ram_base, P.ram_size, &ops, NULL);
	P.insns = g_hash_table_new(g_int64_hash, g_int64_equal);
	P.sb_pending = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	P.pending = qemu_plugin_scoreboard_u64(P.sb_pending);
	P.sb_window = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	P.window_open = qemu_plugin_scoreboard_u64(P.sb_window);
	P.sb_dirty = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	P.dirty = qemu_plugin_scoreboard_u64(P.sb_dirty);
	P.sb_ttbr0w = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	P.ttbr0_written = qemu_plugin_scoreboard_u64(P.sb_ttbr0w);
	P.sb_ttbr1w = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	P.ttbr1_written = qemu_plugin_scoreboard_u64(P.sb_ttbr1w);
	g_mutex_init(&P.lock);
	P_ctx.ncpus = (unsigned)info->system.smp_vcpus;
	P.last_audit_ns = P.last_flush_ns = now_ns();

	/* The header follows at vCPU 0's start (its features come from its ID registers). */
	fprintf(P.out, "# recorded by fixmap-plugin: QEMU plugin API %d, guest RAM %s at 0x%" PRIx64 "%s\n",
		info->version.cur, P.mem_path, P.ram_base,
		P.barriers_all ? "" : ", barriers while page-table work is pending");
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_vcpu_idle_cb(id, vcpu_idle);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
