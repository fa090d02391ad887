/* SPDX-License-Identifier: MIT */
/*
 * The agent: CPU 0 reads the command line, builds the shared EL2 table, turns
 * its MMU on, publishes the shared area and brings up the other CPUs; then
 * every CPU runs the fixmap workload (map a pool page into its slot, write and
 * verify a pattern, unmap) with the maintenance mode in force. With a finite
 * iteration count CPU 0 waits for all CPUs and exits QEMU through
 * semihosting: 0 if every check passed, 1 on a self-check failure, 2 on a bad
 * command line or setup failure, 3 on an exception.
 */
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cpu.h"
#include "dtb.h"
#include "ev.h"
#include "fixmap.h"
#include "layout.h"
#include "mmu.h"
#include "shared.h"
#include "uart.h"

#define EXIT_OK 0
#define EXIT_SELFCHECK 1
#define EXIT_SETUP 2
#define EXIT_EXCEPTION 3

#define RAM_MAX (1ull << 30) /* one level-1 entry of 2 MiB blocks */
#define TABLE_PAGES 8        /* of the largest granule: 64 KiB each */
#define TABLE_GRANULE_MAX 65536
#define DTB_MAX (2u << 20)

/* Read by start.S (secondaries) with their MMU off: written by CPU 0 before its MMU is on. */
struct agent_mmu_regs {
	uint64_t mair, tcr, ttbr, sctlr, hcr; /* offsets 0, 8, 16, 24, 32 (start.S) */
} agent_mmu_regs;

struct agent_cpu {
	struct fixmap_slot slot;
	unsigned cpu;
	uint32_t done; /* store-release when the CPU finished its iterations */
};

void agent_main(uint64_t dtb);
void agent_secondary(unsigned cpu);
void exc_report(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr);
void mmu_on(const struct agent_mmu_regs *r);
void secondary_entry(void);

extern uint8_t __image_end[];

static uint8_t table_pages[TABLE_PAGES * TABLE_GRANULE_MAX]
	__attribute__((aligned(TABLE_GRANULE_MAX)));
static uint8_t pool[FIXMAP_MAX_POOL_PAGES * PAGE_SIZE]
	__attribute__((aligned(4096), section(".pool")));
static struct mmu mmu;
static uint64_t *slot_pteps[FIXMAP_MAX_CPUS];
static struct agent_cpu cpus[FIXMAP_MAX_CPUS];
static unsigned ncpus;
static bool has_ttl;
static uint32_t go;

/*
 * The configuration in force, packed in one word so every CPU reads a
 * consistent set with one load (no lock, no barrier events):
 * mode [2:0], pause [3], pool_pages [14:4], iters [63:15].
 */
static uint64_t cfg_word;
_Static_assert(FIXMAP_NR_MODES <= 8 && FIXMAP_MAX_POOL_PAGES < 2048 &&
		       FIXMAP_MAX_ITERS < (1ull << 49),
	       "configuration fits the packed word");

static void cfg_publish(const struct agent_cfg *c)
{
	uint64_t w = c->mode | (uint64_t)c->pause << 3 | (uint64_t)c->pool_pages << 4 |
		     c->iters << 15;

	__atomic_store_n(&cfg_word, w, __ATOMIC_RELEASE);
	fixmap_shared.hdr.mode = c->mode;
	fixmap_shared.hdr.iters = c->iters;
	fixmap_shared.hdr.pool_pages = c->pool_pages;
}

static void cfg_get(struct agent_cfg *c)
{
	uint64_t w = __atomic_load_n(&cfg_word, __ATOMIC_ACQUIRE);

	c->mode = w & 7;
	c->pause = (w >> 3) & 1;
	c->pool_pages = (w >> 4) & 2047;
	c->iters = w >> 15;
}

static void say(const char *s)
{
	uart_lock();
	uart_puts("fixmap: ");
	uart_puts(s);
	uart_puts("\n");
	uart_unlock();
}

static __attribute__((noreturn)) void agent_exit(unsigned code)
{
	struct fixmap_shared_hdr *h = &fixmap_shared.hdr;

	__atomic_store_n(&h->state, code ? FIXMAP_STATE_FAILED : FIXMAP_STATE_DONE,
			 __ATOMIC_RELEASE);
	uart_lock();
	uart_puts("fixmap: exit ");
	uart_dec(code);
	uart_puts("\n");
	uart_unlock();
	semihost_exit(code);
	for (;;)
		cpu_wfi();
}

static const char *const exc_kinds[4] = {"synchronous", "IRQ", "FIQ", "SError"};

void exc_report(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr)
{
	static uint32_t nested;

	if (__atomic_fetch_add(&nested, 1, __ATOMIC_RELAXED) > 2)
		for (;;)
			cpu_wfi();
	uart_lock();
	uart_puts("fixmap: exception: ");
	uart_puts(exc_kinds[kind & 3]);
	uart_puts(" (vector ");
	uart_dec(kind);
	uart_puts(") on MPIDR ");
	uart_hex(read_sysreg(mpidr_el1) & 0xffffff);
	uart_puts("\nfixmap:   ESR_EL2=");
	uart_hex(esr);
	uart_puts(" ELR_EL2=");
	uart_hex(elr);
	uart_puts(" FAR_EL2=");
	uart_hex(far);
	uart_puts(" SPSR_EL2=");
	uart_hex(spsr);
	uart_puts("\n");
	uart_unlock();
	agent_exit(EXIT_EXCEPTION);
}

static const void *find_dtb(uint64_t x0, size_t *size)
{
	/* QEMU passes it in x0; older versions leave x0 = 0 for ELF images: look at RAM base. */
	const uint64_t cand[2] = {x0, RAM_BASE};

	for (int i = 0; i < 2; i++) {
		if (cand[i] < RAM_BASE || cand[i] >= (uint64_t)(uintptr_t)__image_end)
			continue;
		*size = dtb_check((const void *)(uintptr_t)cand[i], DTB_MAX);
		if (*size)
			return (const void *)(uintptr_t)cand[i];
	}
	return NULL;
}

/* Boot configuration and RAM size from the device tree. Ends the run on a bad option. */
static void read_dtb(uint64_t x0, struct agent_cfg *cfg, uint64_t *ram_size)
{
	size_t size;
	const void *blob = find_dtb(x0, &size);
	const void *val;
	uint32_t len;
	struct config_err err;

	if (!blob) {
		say("no device tree found: defaults, 128 MiB of RAM assumed");
		return;
	}
	if (!dtb_find(blob, size, "memory", "reg", &val, &len) && len >= 16)
		*ram_size = dtb_be64((const uint8_t *)val + 8);
	if (dtb_find(blob, size, "chosen", "bootargs", &val, &len))
		return;
	if (config_parse_cmdline(val, len, 1, cfg, &err)) {
		uart_puts("fixmap: bad option '");
		uart_putsn(err.word, err.len);
		uart_puts("': ");
		uart_puts(err.why);
		uart_puts("\n");
		agent_exit(EXIT_SETUP);
	}
}

/*
 * The table's format from the command line, if this CPU has it (ID_AA64MMFR0_EL1
 * TGran4 [31:28], TGran64 [27:24], TGran16 [23:20]; ID_AA64MMFR1_EL1.VH [11:8], D19).
 * Ends the run otherwise.
 */
static struct mmu_fmt table_format(const struct agent_cfg *cfg)
{
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	unsigned t4 = (mmfr0 >> 28) & 0xf, t64 = (mmfr0 >> 24) & 0xf, t16 = (mmfr0 >> 20) & 0xf;
	struct mmu_fmt f = {.page_shift = cfg->page_shift, .lpa2 = cfg->lpa2, .vhe = cfg->vhe};
	bool ok;

	switch (f.page_shift) {
	case 14:
		ok = t16 != 0 && (!f.lpa2 || t16 == 2);
		break;
	case 16:
		ok = t64 != 0xf;
		break;
	default:
		ok = t4 != 0xf && (!f.lpa2 || t4 == 1);
		break;
	}
	if (!ok) {
		say("this CPU does not have the granule (or LPA2) fixmap.granule/fixmap.lpa2 ask for");
		agent_exit(EXIT_SETUP);
	}
	if (f.vhe && !((mmfr1 >> 8) & 0xf)) {
		say("this CPU has no VHE (fixmap.vhe=1)");
		agent_exit(EXIT_SETUP);
	}
	return f;
}

static void build_tables(uint64_t ram_size, const struct agent_cfg *cfg)
{
	uint64_t ram = ram_size & ~((2ull << 20) - 1);
	struct mmu_fmt f = table_format(cfg);

	if (ram > RAM_MAX)
		ram = RAM_MAX;
	if ((uint64_t)(uintptr_t)__image_end > RAM_BASE + ram) {
		say("the image does not fit in RAM");
		agent_exit(EXIT_SETUP);
	}
	if (mmu_init_fmt(&mmu, table_pages, sizeof(table_pages), &f) ||
	    mmu_map(&mmu, UART_BASE, UART_BASE, 2ull << 20, PTE_ATTR_DEVICE) ||
	    mmu_map(&mmu, RAM_BASE, RAM_BASE, ram, PTE_ATTR_NORMAL) ||
	    fixmap_setup(&mmu, FIXMAP_MAX_CPUS, slot_pteps)) {
		say("cannot build the EL2 stage-1 table");
		agent_exit(EXIT_SETUP);
	}
}

static uint64_t tcr_value(void)
{
	/* PS [18:16] (IPS with E2H = 1) from the PA range, capped at 48 bits by mmu_tcr. */
	return mmu_tcr(&mmu, MMFR0_PARANGE(read_sysreg(id_aa64mmfr0_el1)));
}

/* Per-CPU part of the shared area, then start recording on this CPU. */
static void cpu_online(unsigned n)
{
	struct fixmap_cpu *c = &fixmap_shared.cpu[n].c;
	struct agent_cpu *me = &cpus[n];

	me->cpu = n;
	me->slot.ptep = slot_pteps[n];
	me->slot.va = FIXMAP_VA + n * mmu.page_size;
	me->slot.pub = c;
	me->slot.has_ttl = has_ttl;
	me->slot.page_shift = mmu.fmt.page_shift;
	me->slot.attr = mmu_leaf_attr(&mmu, FIXMAP_PTE_ATTR);
	c->slot_va = me->slot.va;
	c->pte_pa = (uint64_t)(uintptr_t)slot_pteps[n];
	c->pte = *slot_pteps[n];
	c->mpidr = read_sysreg(mpidr_el1);
	c->ttbr0_el2 = read_sysreg(ttbr0_el2);
	c->tcr_el2 = read_sysreg(tcr_el2);
	c->mair_el2 = read_sysreg(mair_el2);
	c->sctlr_el2 = read_sysreg(sctlr_el2);
	c->hcr_el2 = read_sysreg(hcr_el2);
	c->id_aa64mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	c->id_aa64mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	c->id_aa64mmfr2 = read_sysreg(id_aa64mmfr2_el1);
	arch_set_cpu_shared(c);
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
}

static void ctrl_poll(void)
{
	static uint32_t last_gen;
	struct fixmap_ctrl *c = &fixmap_shared.ctrl;
	uint32_t gen = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
	struct agent_cfg n;
	unsigned st;

	if (gen == last_gen)
		return;
	last_gen = gen;
	st = config_check_ctrl(c, ncpus, &n);
	if (st == FIXMAP_CTRL_OK)
		cfg_publish(&n);
	*(volatile uint32_t *)&c->status = st;
	__atomic_store_n(&c->ack_gen, gen, __ATOMIC_RELEASE);
	uart_lock();
	uart_puts("fixmap: control gen ");
	uart_dec(gen);
	if (st == FIXMAP_CTRL_OK) {
		uart_puts(": applied, mode ");
		uart_puts(config_mode_name(n.mode));
	} else {
		uart_puts(": rejected, status ");
		uart_dec(st);
	}
	uart_puts("\n");
	uart_unlock();
}

/* Reports the first few problems of a CPU on the UART, counts all of them. */
static void report(struct agent_cpu *me, const char *what, uint64_t n)
{
	if (n > 3)
		return;
	uart_lock();
	uart_puts("fixmap: cpu ");
	uart_dec(me->cpu);
	uart_puts(": ");
	uart_puts(what);
	if (n == 3)
		uart_puts(" (further ones only counted)");
	uart_puts("\n");
	uart_unlock();
}

static void self_check_failed(struct agent_cpu *me, const char *what)
{
	uint64_t n = ++me->slot.pub->failures;

	__atomic_fetch_add(&fixmap_shared.hdr.failures, 1, __ATOMIC_RELAXED);
	report(me, what, n);
}

/*
 * The pattern went to another page than the slot now maps: the CPU used the
 * slot's old translation. In the modes that inject a maintenance fault this
 * is the fault's expected effect (QEMU's own TLB keeps a translation until a
 * TLBI removes it) and is counted as `stale`, not as a failure of the agent.
 */
static void stale_seen(struct agent_cpu *me, enum fixmap_mode mode)
{
	uint64_t n = ++me->slot.pub->stale;

	__atomic_fetch_add(&fixmap_shared.hdr.stale, 1, __ATOMIC_RELAXED);
	report(me, mode == FIXMAP_MODE_no_break ? "stale translation used (no-break)"
						: "stale translation used (fault mode)",
	       n);
}

/* One map / use / unmap of a pool page. Pages of different CPUs never overlap. */
static void iteration(struct agent_cpu *me, const struct agent_cfg *cfg, uint64_t i)
{
	static const unsigned offs[4] = {0, 170, 341, 511};
	uint64_t per = cfg->pool_pages / ncpus;
	uint64_t pa = (uint64_t)(uintptr_t)pool + ((i % per) * ncpus + me->cpu) * PAGE_SIZE;
	/* 16K/64K slots map the granule page holding this CPU's 4 KiB page. */
	uint64_t base = pa & ~(mmu.page_size - 1);
	enum fixmap_mode mode = cfg->mode;
	volatile uint64_t *v, *p = (volatile uint64_t *)(uintptr_t)pa;
	uint64_t va;

	/* Leaving no-break mode: its last mapping is still there. */
	if (mode != FIXMAP_MODE_no_break && fixmap_mapped(&me->slot))
		fixmap_unmap(&me->slot, FIXMAP_MODE_broadcast);
	va = fixmap_map(&me->slot, base, mode);
	if (!va) {
		self_check_failed(me, "fixmap_map refused");
		return;
	}
	va += pa - base;
	v = (volatile uint64_t *)(uintptr_t)va;
	ev_access(va, 0);
	for (unsigned k = 0; k < 4; k++)
		v[offs[k]] = (uint64_t)me->cpu << 56 | i << 8 | k;
	/* Through the slot and through the identity map: the slot must reach pa. */
	for (unsigned k = 0; k < 4; k++) {
		uint64_t want = (uint64_t)me->cpu << 56 | i << 8 | k;

		if (v[offs[k]] != want || p[offs[k]] != want) {
			if (mode == FIXMAP_MODE_broadcast || mode == FIXMAP_MODE_local)
				self_check_failed(me, "pattern mismatch through the fixmap slot");
			else
				stale_seen(me, mode);
			break;
		}
	}
	if (mode != FIXMAP_MODE_no_break && fixmap_unmap(&me->slot, mode))
		self_check_failed(me, "fixmap_unmap found the slot unmapped");
}

static void workload(struct agent_cpu *me)
{
	struct fixmap_cpu *pub = me->slot.pub;
	uint64_t done = 0;
	struct agent_cfg cfg;

	for (;;) {
		if (me->cpu == 0)
			ctrl_poll();
		cfg_get(&cfg);
		if (cfg.pause) {
			cpu_relax();
			continue;
		}
		if (cfg.iters && done >= cfg.iters)
			break;
		iteration(me, &cfg, done);
		done++;
		__atomic_store_n(&pub->iters, done, __ATOMIC_RELAXED);
	}
	if (fixmap_mapped(&me->slot))
		fixmap_unmap(&me->slot, FIXMAP_MODE_broadcast);
}

void agent_secondary(unsigned cpu)
{
	cpu_online(cpu);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		cpu_relax();
	workload(&cpus[cpu]);
	__atomic_store_n(&cpus[cpu].done, 1, __ATOMIC_RELEASE);
	for (;;)
		cpu_wfi();
}

static void start_secondaries(void)
{
	uint64_t self = read_sysreg(mpidr_el1) & 0xff00ffffffull;

	ncpus = 1;
	/* QEMU virt numbers CPUs by Aff0 within clusters of 8: try Aff0 = 0..7. */
	for (uint64_t aff = 0; aff < FIXMAP_MAX_CPUS && ncpus < FIXMAP_MAX_CPUS; aff++) {
		uint64_t mpidr = (self & ~0xffull) | aff;

		if (mpidr == self)
			continue;
		if (psci_cpu_on(mpidr, (uint64_t)(uintptr_t)secondary_entry, ncpus) == PSCI_SUCCESS)
			ncpus++;
	}
	for (unsigned n = 1; n < ncpus; n++) {
		unsigned long spins = 0;

		while (!__atomic_load_n(&fixmap_shared.cpu[n].c.online, __ATOMIC_ACQUIRE)) {
			if (++spins > 200000000ul) {
				say("a secondary CPU did not come up");
				agent_exit(EXIT_SETUP);
			}
			cpu_relax();
		}
	}
}

void agent_main(uint64_t dtb)
{
	struct fixmap_shared_hdr *h = &fixmap_shared.hdr;
	struct fixmap_ctrl *ctrl = &fixmap_shared.ctrl;
	uint64_t ram_size = 128ull << 20;
	struct agent_cfg cfg;

	say("EL2 agent starting");
	config_defaults(&cfg);
	read_dtb(dtb, &cfg, &ram_size);
	has_ttl = MMFR2_TTL(read_sysreg(id_aa64mmfr2_el1)) != 0;
	build_tables(ram_size, &cfg);
	agent_mmu_regs.hcr = cfg.vhe ? 1ull << 34 : 0; /* HCR_EL2.E2H: the EL2&0 regime */
	agent_mmu_regs.mair = MAIR_EL2_VALUE;
	agent_mmu_regs.tcr = tcr_value();
	agent_mmu_regs.ttbr = (uint64_t)(uintptr_t)mmu.root;
	agent_mmu_regs.sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_SA | SCTLR_EL2_I;
	mmu_on(&agent_mmu_regs);
	uart_enable_lock();

	shared_init(&fixmap_shared);
	h->fixmap_va = FIXMAP_VA;
	h->root_pa = (uint64_t)(uintptr_t)mmu.root;
	h->pool_pa = (uint64_t)(uintptr_t)pool;
	cpu_online(0);
	start_secondaries();
	if (cfg.pool_pages < ncpus) {
		say("fixmap.pool must be at least the number of CPUs");
		agent_exit(EXIT_SETUP);
	}
	h->ncpus = ncpus;
	cfg_publish(&cfg);
	ctrl->mode = cfg.mode;
	ctrl->iters = cfg.iters;
	ctrl->pause = cfg.pause;
	ctrl->pool_pages = cfg.pool_pages;
	/* The header is complete: the magic, written last, tells readers so. */
	__atomic_store_n(&h->magic, FIXMAP_MAGIC, __ATOMIC_RELEASE);
	__atomic_store_n(&h->state, FIXMAP_STATE_RUNNING, __ATOMIC_RELEASE);

	uart_lock();
	uart_puts("fixmap: running mode=");
	uart_puts(config_mode_name(cfg.mode));
	uart_puts(" iters=");
	uart_dec(cfg.iters);
	uart_puts(" pool=");
	uart_dec(cfg.pool_pages);
	uart_puts(" cpus=");
	uart_dec(ncpus);
	uart_puts(" ttl=");
	uart_dec(has_ttl);
	uart_puts(" shared=");
	uart_hex((uint64_t)(uintptr_t)&fixmap_shared);
	uart_puts("\n");
	uart_unlock();

	if (cfg.fault) {
		/* Nothing is mapped at 4 GiB: a translation fault, reported by the vectors. */
		say("fixmap.fault=abort: reading 0x100000000");
		(void)*(volatile uint64_t *)0x100000000ull;
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	workload(&cpus[0]);
	for (unsigned n = 1; n < ncpus; n++)
		while (!__atomic_load_n(&cpus[n].done, __ATOMIC_ACQUIRE)) {
			ctrl_poll();
			cpu_relax();
		}
	uart_lock();
	uart_puts("fixmap: done: ");
	uart_dec(ncpus);
	uart_puts(" CPUs, ");
	uart_dec(__atomic_load_n(&h->seq, __ATOMIC_RELAXED));
	uart_puts(" events, ");
	uart_dec(h->failures);
	uart_puts(" self-check failures, ");
	uart_dec(h->stale);
	uart_puts(" stale translations seen\n");
	uart_unlock();
	agent_exit(h->failures ? EXIT_SELFCHECK : EXIT_OK);
}
