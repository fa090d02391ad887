/* SPDX-License-Identifier: MIT */
#include "target.h"

int target_read_phys_v(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	return t->ops->read_phys(t, iov, n, err);
}

int target_read_phys(struct target *t, uint64_t pa, void *buf, size_t len, struct fm_err *err)
{
	struct target_iov iov = {.pa = pa, .buf = buf, .len = len};

	return t->ops->read_phys(t, &iov, 1, err);
}

int target_read_u64(struct target *t, uint64_t pa, uint64_t *val, struct fm_err *err)
{
	return target_read_phys(t, pa, val, sizeof(*val), err);
}

int target_write_phys(struct target *t, uint64_t pa, const void *buf, size_t len,
		      struct fm_err *err)
{
	if (!t->ops->write_phys)
		return fm_err_set(err, "%s target cannot write memory", t->ops->kind);
	return t->ops->write_phys(t, pa, buf, len, err);
}

int target_sysreg(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		  struct fm_err *err)
{
	if (!t->ops->sysreg)
		return fm_err_set(err, "%s target has no system registers (give them on the "
				       "command line)",
				  t->ops->kind);
	return t->ops->sysreg(t, cpu, name, val, err);
}

unsigned target_ncpus(struct target *t)
{
	return t->ops->ncpus ? t->ops->ncpus(t) : 0;
}

int target_stop(struct target *t, struct fm_err *err)
{
	return t->ops->stop ? t->ops->stop(t, err) : 0;
}

int target_resume(struct target *t, struct fm_err *err)
{
	return t->ops->resume ? t->ops->resume(t, err) : 0;
}

const char *target_describe(struct target *t)
{
	return t->ops->describe ? t->ops->describe(t) : t->ops->kind;
}

void target_close(struct target *t)
{
	if (t)
		t->ops->close(t);
}
