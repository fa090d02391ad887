/* SPDX-License-Identifier: MIT */
/* The fake arch layer's log (see arch_impl.h). */
#include "arch.h"

struct fake_rec fake_log[FAKE_LOG_MAX];
size_t fake_nlog;
struct fixmap_cpu *fake_cpu;
uint64_t fake_ticks;
void (*fake_relax_hook)(void);

void fake_reset(void)
{
	fake_nlog = 0;
	fake_cpu = NULL;
	fake_ticks = 0;
	fake_relax_hook = NULL;
}

uint64_t fake_record(enum fake_op op, unsigned opt, uint64_t a, uint64_t b)
{
	if (fake_nlog < FAKE_LOG_MAX)
		fake_log[fake_nlog++] = (struct fake_rec){.op = op, .opt = opt, .a = a, .b = b};
	/* Distinct, recognisable PCs: base + 0x10 * kind. */
	return FAKE_PC_BASE + 0x10u * (unsigned)op;
}
