/* SPDX-License-Identifier: MIT */
#include "live.h"

#include "tgtopt.h"

#include <inttypes.h>

static void on_ring_event(void *arg, const struct fm_event *ev)
{
	struct live_drain *d = arg;

	if (!d->push_failed && merge_push(d->m, ev, &d->push_err))
		d->push_failed = true;
}

int live_drain(struct live_drain *d, live_stopped_fn fn, void *arg, struct fm_err *err)
{
	struct fm_err e2;
	int r;

	if (d->stop && target_stop(d->t, err))
		return fm_err_prefix(err, "stopping the target");
	r = ring_set_drain(d->rs, d->t, on_ring_event, d, err);
	if (!r && fn)
		r = fn(arg, d->t, err);
	if (d->stop && target_resume(d->t, r ? &e2 : err)) {
		if (!r)
			return fm_err_prefix(err, "resuming the target");
		fm_warn("resuming the target: %s", e2.msg);
	}
	if (r)
		return -1;
	if (d->push_failed) {
		*err = d->push_err;
		return -1;
	}
	d->drains++;
	return 0;
}

void live_end(struct live_drain *d)
{
	ring_set_end(d->rs, on_ring_event, d);
}

int live_release(struct live_drain *d, struct fm_err *err)
{
	struct fm_err e2;
	int r;

	if (d->stop && target_stop(d->t, err))
		return fm_err_prefix(err, "stopping the target");
	r = ring_set_release(d->rs, d->t, err);
	if (d->stop && target_resume(d->t, r ? &e2 : err) && !r)
		return fm_err_prefix(err, "resuming the target");
	return r;
}

uint32_t live_wait_ms(unsigned interval_ms)
{
	/*
	 * Longer than any pause between two drains (over the gdbstub the guest
	 * runs a whole interval between them) with room for a slow host; a
	 * consumer that went away costs the agent one such wait per CPU.
	 */
	return 10000u + 2u * interval_ms;
}

int live_parse_interval(const char *arg, unsigned *ms, struct fm_err *err)
{
	uint64_t v;

	if (tgtopt_parse_u64(arg, &v) || !v || v > 3600000)
		return fm_err_set(err, "--interval '%s': expected milliseconds (1 to 3600000)", arg);
	*ms = (unsigned)v;
	return 0;
}
