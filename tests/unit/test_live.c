/* SPDX-License-Identifier: MIT */
/* live.c: one drain into the merge, with gaps marked. */
#include "arm64/barrier.h"
#include "fake_agent.h"
#include "live.h"
#include "unit.h"

static struct fake_target f;
static struct agent_state st;
static struct ring_set rs;
static struct merge m;
static struct fm_err err;
static struct fm_event out[128];
static unsigned nout, ngaps, nhook;

static void on_event(void *arg, const struct fm_event *ev)
{
	(void)arg;
	if (ev->type == FM_EV_LOST)
		ngaps++;
	if (nout < 128)
		out[nout++] = *ev;
}

static int hook(void *arg, struct target *t, struct fm_err *e)
{
	(void)t;
	nhook++;
	return *(int *)arg ? fm_err_set(e, "hook failed") : 0;
}

static void drains_in_order_and_marks_gaps(void)
{
	struct live_drain d;
	int fail = 0;

	fake_init(&f, 2);
	CHECK(agent_read(&f.t, FAKE_BASE + FAKE_HDR_OFF, &st, &err) == 0);
	CHECK(ring_set_init(&rs, &st, &err) == 0);
	merge_init(&m);
	d = (struct live_drain){.t = &f.t, .rs = &rs, .m = &m};
	fake_produce(&f, 1, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0);
	fake_produce(&f, 1, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK(live_drain(&d, hook, &fail, &err) == 0);
	CHECK_EQ_U64(nhook, 1);
	CHECK_EQ_U64(d.drains, 1);
	nout = 0;
	merge_emit(&m, UINT64_MAX, 0, on_event, NULL);
	CHECK_EQ_U64(nout, 3);
	CHECK_EQ_U64(out[0].cpu, 1);
	CHECK_EQ_U64(out[1].cpu, 0);
	CHECK_EQ_U64(out[2].seq, 3);
	CHECK_EQ_U64(ngaps, 0);
	/* CPU 0 loses events: the merge gets a gap event where they were. */
	for (unsigned i = 0; i < FAKE_RING / 64 + 5; i++)
		fake_produce(&f, 0, FIXMAP_REC_ISB, 0, 0, 0, 0, 0);
	CHECK_EQ_U64(fake_cpu(&f, 0)->lost, 5);
	CHECK(live_drain(&d, NULL, NULL, &err) == 0);
	fake_produce(&f, 0, FIXMAP_REC_DSB, BAR_ISH, 0, 0, 0, 0);
	CHECK(live_drain(&d, NULL, NULL, &err) == 0);
	nout = 0;
	merge_emit(&m, UINT64_MAX, 0, on_event, NULL);
	CHECK_EQ_U64(ngaps, 1);
	CHECK_EQ_U64(nout, FAKE_RING / 64 + 2); /* the ring's records, the gap, the DSB */
	CHECK_EQ_U64(out[nout - 2].type, FM_EV_LOST);
	CHECK_EQ_U64(out[nout - 2].arg, 5);
	CHECK_EQ_U64(out[nout - 2].cpu, 0);
	CHECK_EQ_U64(out[nout - 1].type, FM_EV_DSB);
	/* Drops still unplaced when the stream ends come after the ring's last record. */
	fake_cpu(&f, 1)->lost = fake_cpu(&f, 1)->unmarked = 2;
	CHECK(live_drain(&d, NULL, NULL, &err) == 0);
	live_end(&d);
	nout = ngaps = 0;
	merge_emit(&m, UINT64_MAX, 0, on_event, NULL);
	CHECK_EQ_U64(ngaps, 1);
	CHECK_EQ_U64(out[0].cpu, 1);
	CHECK_EQ_U64(out[0].arg, 2);
	CHECK_EQ_U64(out[0].seq, 3); /* after cpu1's last record */
	/* A failing hook fails the drain with its reason. */
	fail = 1;
	CHECK(live_drain(&d, hook, &fail, &err) == -1);
	CHECK(strstr(err.msg, "hook failed") != NULL);
	/* A failing target read fails it too. */
	f.fail_reads = 1;
	CHECK(live_drain(&d, NULL, NULL, &err) == -1);
	merge_free(&m);
	ring_set_free(&rs);
	fake_free(&f);
}

int main(void)
{
	RUN(drains_in_order_and_marks_gaps);
	return unit_failed != 0;
}
