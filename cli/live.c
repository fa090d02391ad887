/* SPDX-License-Identifier: MIT */
#include "live.h"

#include "tgtopt.h"

#include <inttypes.h>

int live_find_agent(struct target *t, bool stop, struct elfsym *elf, const char *elf_path,
		    bool pa_given, uint64_t pa, struct agent_state *st, struct fm_err *err)
{
	struct fm_err e2;
	uint64_t size;
	int r;

	if (stop && target_stop(t, err))
		return fm_err_prefix(err, "stopping the target");
	if (pa_given)
		r = 0;
	else if (elf && elfsym_from_kallsyms(elf) && elfsym_lookup(elf, FIXMAP_SYM, &pa, &size))
		/* --elf is a Linux kernel, for its names: the agent is elsewhere in RAM. */
		r = agent_scan(t, AGENT_SCAN_BASE, AGENT_SCAN_SIZE, &pa, err);
	else if (elf)
		r = elfsym_lookup(elf, FIXMAP_SYM, &pa, &size)
			? fm_err_set(err, "%s: no symbol %s (is it the agent's image?)",
				     elf_path ? elf_path : "the image", FIXMAP_SYM)
			: 0;
	else
		r = agent_scan(t, AGENT_SCAN_BASE, AGENT_SCAN_SIZE, &pa, err);
	/* The agent's EL2 mapping is the identity: the symbol's value is the PA. */
	if (!r)
		r = agent_read(t, pa, st, err);
	if (stop && target_resume(t, &e2) && !r)
		r = fm_err_set(err, "resuming the target: %s", e2.msg);
	return r;
}

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
	for (unsigned i = 0; i < d->rs->n; i++) {
		const struct ring *rg = &d->rs->r[i];

		if (!rg->batch_gap)
			continue;
		/*
		 * A full ring drops the newest events: the gap is after this batch's last
		 * record, or before its first if the drops raced with our previous drain.
		 */
		if (rg->batch_events) {
			if (rg->batch_first_seq)
				merge_gap(d->m, rg->batch_first_seq - 1);
			merge_gap(d->m, rg->batch_last_seq);
		} else {
			merge_gap(d->m, rg->last_seq);
		}
	}
	return 0;
}

int live_parse_interval(const char *arg, unsigned *ms, struct fm_err *err)
{
	uint64_t v;

	if (tgtopt_parse_u64(arg, &v) || !v || v > 3600000)
		return fm_err_set(err, "--interval '%s': expected milliseconds (1 to 3600000)", arg);
	*ms = (unsigned)v;
	return 0;
}

int live_parse_agent_pa(const char *arg, uint64_t *pa, struct fm_err *err)
{
	if (tgtopt_parse_u64(arg, pa) || *pa % 8)
		return fm_err_set(err, "--agent '%s': expected an 8-byte aligned address", arg);
	return 0;
}
