/* SPDX-License-Identifier: MIT */
#include "merge.h"
#include "ring.h"
#include "unit.h"

static uint64_t out[64];
static uint8_t out_type[64];
static unsigned nout;

static void on_event(void *arg, const struct fm_event *ev)
{
	(void)arg;
	if (nout < 64) {
		out[nout] = ev->seq;
		out_type[nout] = ev->type;
	}
	nout++;
}

static void push(struct merge *m, unsigned cpu, uint64_t seq)
{
	struct fm_event ev = {.type = FM_EV_ISB, .cpu = (uint16_t)cpu, .seq = seq};

	merge_push(m, &ev, NULL);
}

static void push_pte(struct merge *m, unsigned cpu, uint64_t seq, uint64_t new)
{
	struct fm_event ev = {.type = FM_EV_PTE, .cpu = (uint16_t)cpu, .seq = seq, .new = new};

	merge_push(m, &ev, NULL);
}

static void orders_cpus_by_seq_below_watermark(void)
{
	struct merge m;

	merge_init(&m);
	nout = 0;
	/* Ring order per CPU, CPUs interleaved in seq. */
	push(&m, 0, 1), push(&m, 0, 4), push(&m, 0, 5), push(&m, 0, 9);
	push(&m, 1, 2), push(&m, 1, 3), push(&m, 1, 7);
	push(&m, 2, 6), push(&m, 2, 8);
	CHECK_EQ_U64(merge_emit(&m, 6, 0, on_event, NULL), 5);
	CHECK_EQ_U64(nout, 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ_U64(out[i], i + 1);
	/* A max bounds what is emitted (--count). */
	CHECK_EQ_U64(merge_emit(&m, UINT64_MAX, 2, on_event, NULL), 2);
	CHECK_EQ_U64(out[6], 7);
	CHECK_EQ_U64(merge_emit(&m, UINT64_MAX, 0, on_event, NULL), 2);
	CHECK_EQ_U64(out[8], 9);
	CHECK_EQ_U64(m.late, 0);
	/* A straggler below what was emitted still comes out, counted. */
	push(&m, 3, 3);
	CHECK_EQ_U64(merge_emit(&m, UINT64_MAX, 0, on_event, NULL), 1);
	CHECK_EQ_U64(m.late, 1);
	CHECK_EQ_U64(m.emitted, 10);
	merge_free(&m);
}

/* A gap placed after an event of its CPU has that event's number: it comes after it. */
static void gaps_follow_the_event_they_are_placed_after(void)
{
	struct merge m;
	struct fm_event lost = {.type = FM_EV_LOST, .cpu = 1, .seq = 5, .arg = 3};

	merge_init(&m);
	nout = 0;
	merge_push(&m, &lost, NULL);
	for (uint64_t s = 1; s <= 8; s++)
		push(&m, (unsigned)(s % 2), s);
	lost.seq = 0; /* before any event */
	lost.cpu = 0;
	merge_push(&m, &lost, NULL);
	merge_emit(&m, UINT64_MAX, 0, on_event, NULL);
	CHECK_EQ_U64(nout, 10);
	CHECK_EQ_U64(out_type[0], FM_EV_LOST);
	CHECK_EQ_U64(out[5], 5);
	CHECK_EQ_U64(out_type[5], FM_EV_ISB);
	CHECK_EQ_U64(out[6], 5);
	CHECK_EQ_U64(out_type[6], FM_EV_LOST);
	CHECK_EQ_U64(out[7], 6);
	CHECK_EQ_U64(m.late, 0);
	merge_free(&m);
}

static void trim_ends_each_cpu_after_its_last_make(void)
{
	struct merge m;

	merge_init(&m);
	nout = 0;
	push_pte(&m, 0, 1, 0x40000743); /* make */
	push(&m, 0, 3);
	push_pte(&m, 0, 5, 0);          /* break: cut here */
	push(&m, 0, 6);
	push_pte(&m, 1, 2, 0x40001743);
	push_pte(&m, 1, 4, 0x40001743); /* last make of cpu1 */
	push(&m, 2, 7);                 /* cpu2 has no make: kept */
	CHECK_EQ_U64(merge_trim_unfinished(&m), 3);
	merge_emit(&m, UINT64_MAX, 0, on_event, NULL);
	CHECK_EQ_U64(nout, 4);
	CHECK_EQ_U64(out[0], 1);
	CHECK_EQ_U64(out[1], 2);
	CHECK_EQ_U64(out[2], 4);
	CHECK_EQ_U64(out[3], 7);
	CHECK_EQ_U64(m.trimmed, 3);
	merge_free(&m);
}

static void heap_survives_many_events(void)
{
	struct merge m;
	uint64_t prev = 0;
	uint32_t x = 1;

	merge_init(&m);
	nout = 0;
	for (unsigned i = 0; i < 5000; i++) {
		x = x * 1103515245 + 12345;
		push(&m, i % 4, (x >> 8) + 1);
	}
	while (m.n) {
		struct fm_event top = m.heap[0];

		CHECK(top.seq >= prev);
		prev = top.seq;
		merge_emit(&m, UINT64_MAX, 1, on_event, NULL);
	}
	CHECK_EQ_U64(nout, 5000);
	merge_free(&m);
}

int main(void)
{
	RUN(orders_cpus_by_seq_below_watermark);
	RUN(gaps_follow_the_event_they_are_placed_after);
	RUN(trim_ends_each_cpu_after_its_last_make);
	RUN(heap_survives_many_events);
	return UNIT_EXIT();
}
