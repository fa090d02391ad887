/* SPDX-License-Identifier: MIT */
/*
 * Ring producer (agent/ring.c): framing, sequence numbers, full ring, lost
 * count, the LOST record that places drops, waiting for the host's room.
 */
#include <stdlib.h>

#include "arch.h"
#include "ring.h"
#include "shared.h"
#include "unit.h"

#define NREC (FIXMAP_RING_SIZE / sizeof(struct fixmap_rec_event))

static struct fixmap_cpu *setup(unsigned cpu)
{
	memset(&fixmap_shared, 0, sizeof(fixmap_shared));
	shared_init(&fixmap_shared);
	fake_reset();
	arch_set_cpu_shared(&fixmap_shared.cpu[cpu].c);
	return &fixmap_shared.cpu[cpu].c;
}

static const struct fixmap_rec_event *rec_at(struct fixmap_cpu *c, uint64_t off)
{
	return (const void *)((const uint8_t *)c + c->ring_offset + (off & (c->ring_size - 1)));
}

static void test_record_layout(void)
{
	struct fixmap_cpu *c = setup(3);
	const struct fixmap_rec_event *r;

	ring_put(FIXMAP_REC_PTE, 0x40201234, 0x40300008, 0x80003000, 0, 0x41000743, 3);
	ring_put2(FIXMAP_REC_DSB, 0x40201238, BAR_ISHST, 0);
	CHECK_EQ_U64(c->head, 128);
	CHECK_EQ_U64(c->produced, 2);
	CHECK_EQ_U64(c->lost, 0);
	CHECK_EQ_U64(fixmap_shared.hdr.seq, 2);
	r = rec_at(c, 0);
	CHECK_EQ_U64(r->hdr.type, FIXMAP_REC_PTE);
	CHECK_EQ_U64(r->hdr.size, 64);
	CHECK_EQ_U64(r->hdr.cpu, 3);
	CHECK_EQ_U64(r->hdr.flags, 0);
	CHECK_EQ_U64(r->seq, 0);
	CHECK_EQ_U64(r->pc, 0x40201234);
	CHECK_EQ_U64(r->a[0], 0x40300008);
	CHECK_EQ_U64(r->a[1], 0x80003000);
	CHECK_EQ_U64(r->a[2], 0);
	CHECK_EQ_U64(r->a[3], 0x41000743);
	CHECK_EQ_U64(r->a[4], 3);
	r = rec_at(c, 64);
	CHECK_EQ_U64(r->hdr.type, FIXMAP_REC_DSB);
	CHECK_EQ_U64(r->seq, 1);
	CHECK_EQ_U64(r->a[0], BAR_ISHST);
	CHECK_EQ_U64(r->a[1] | r->a[2] | r->a[3] | r->a[4], 0);
}

static void test_not_recording_without_cpu(void)
{
	setup(0);
	arch_set_cpu_shared(NULL);
	ring_put2(FIXMAP_REC_ISB, 1, 0, 0);
	CHECK_EQ_U64(fixmap_shared.hdr.seq, 0);
	CHECK_EQ_U64(fixmap_shared.cpu[0].c.head, 0);
}

/* A full ring drops and counts exactly, and never touches unconsumed records. */
static void test_full_ring_counts_lost(void)
{
	struct fixmap_cpu *c = setup(1);
	uint8_t *snap = malloc(FIXMAP_RING_SIZE);

	CHECK(snap);
	for (uint64_t i = 0; i < NREC; i++)
		ring_put2(FIXMAP_REC_ISB, i, 0, 0);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE);
	CHECK_EQ_U64(c->lost, 0);
	memcpy(snap, fixmap_shared.cpu[1].ring, FIXMAP_RING_SIZE);
	for (uint64_t i = 0; i < 123; i++)
		ring_put2(FIXMAP_REC_ISB, 0xdead, 0, 0);
	CHECK_EQ_U64(c->lost, 123);
	CHECK_EQ_U64(c->produced, NREC);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE);
	CHECK_EQ_U64(c->unmarked, 123);
	CHECK(!memcmp(snap, fixmap_shared.cpu[1].ring, FIXMAP_RING_SIZE));
	/* A dropped event takes no sequence number: the LOST record says where it was. */
	CHECK_EQ_U64(fixmap_shared.hdr.seq, NREC);
	free(snap);
}

/* After the consumer advances tail, the producer reuses exactly that space. */
static void test_consumer_frees_space(void)
{
	struct fixmap_cpu *c = setup(0);

	for (uint64_t i = 0; i < NREC; i++)
		ring_put2(FIXMAP_REC_ISB, i, 0, 0);
	c->tail = 2 * 64;
	ring_put2(FIXMAP_REC_DMB, 7, BAR_ISH, 0);
	ring_put2(FIXMAP_REC_DMB, 8, BAR_ISH, 0);
	ring_put2(FIXMAP_REC_DMB, 9, BAR_ISH, 0);
	CHECK_EQ_U64(c->lost, 1);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE + 128);
	CHECK_EQ_U64(rec_at(c, 0)->pc, 7);
	CHECK_EQ_U64(rec_at(c, 64)->pc, 8);
	CHECK_EQ_U64(rec_at(c, 128)->pc, 2); /* unconsumed record kept */
	/* Free-running counters: wrap of the offset, not of head. The drop is placed first. */
	c->tail = c->head;
	for (int i = 0; i < 10; i++)
		ring_put2(FIXMAP_REC_ISB, 100 + (uint64_t)i, 0, 0);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE + 128 + 64 + 640);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE + 128)->hdr.type, FIXMAP_REC_LOST);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE + 192)->pc, 100);
}

/*
 * After drops, the next record that fits is preceded by one LOST record with
 * the count (and the lost total), in sequence order; then the fast path again.
 */
static void test_lost_record_places_the_gap(void)
{
	struct fixmap_cpu *c = setup(2);
	const struct fixmap_rec_event *r;

	for (uint64_t i = 0; i < NREC; i++)
		ring_put2(FIXMAP_REC_ISB, i, 0, 0);
	for (int i = 0; i < 5; i++)
		ring_put2(FIXMAP_REC_DSB, 0xdead, BAR_ISH, 0);
	CHECK_EQ_U64(c->lost, 5);
	CHECK_EQ_U64(agent_ring_priv(c)->limit, 0);
	/* Room for exactly one record: not enough for the LOST record too. */
	c->tail = 64;
	ring_put2(FIXMAP_REC_DSB, 0xdead, BAR_ISH, 0);
	CHECK_EQ_U64(c->lost, 6);
	CHECK_EQ_U64(c->unmarked, 6);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE);
	c->tail = c->head;
	ring_put2(FIXMAP_REC_TLBI, 0x4242, 7, 0x80000);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE + 128);
	CHECK_EQ_U64(c->unmarked, 0);
	CHECK_EQ_U64(agent_ring_priv(c)->limit, AGENT_RING_LIMIT);
	r = rec_at(c, FIXMAP_RING_SIZE);
	CHECK_EQ_U64(r->hdr.type, FIXMAP_REC_LOST);
	CHECK_EQ_U64(r->hdr.size, 64);
	CHECK_EQ_U64(r->hdr.cpu, 2);
	CHECK_EQ_U64(r->seq, NREC);
	CHECK_EQ_U64(r->pc, 0);
	CHECK_EQ_U64(r->a[0], 6);
	CHECK_EQ_U64(r->a[1], 6);
	r = rec_at(c, FIXMAP_RING_SIZE + 64);
	CHECK_EQ_U64(r->hdr.type, FIXMAP_REC_TLBI);
	CHECK_EQ_U64(r->seq, NREC + 1);
	CHECK_EQ_U64(r->pc, 0x4242);
	ring_put2(FIXMAP_REC_ISB, 1, 0, 0);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE + 192);
	CHECK_EQ_U64(c->lost, 6);
}

/* The host's consumer, run by the fake arch_relax() while the producer waits. */
static unsigned relax_calls;
static void consume_on_third_relax(void)
{
	struct fixmap_cpu *c = &fixmap_shared.cpu[0].c;

	if (++relax_calls == 3)
		__atomic_store_n(&c->tail, c->head, __ATOMIC_RELEASE);
}

/* With wait_ms set a full ring waits for the host instead of dropping. */
static void test_waits_for_room(void)
{
	struct fixmap_cpu *c = setup(0);

	for (uint64_t i = 0; i < NREC; i++)
		ring_put2(FIXMAP_REC_ISB, i, 0, 0);
	c->wait_ms = 1000;
	relax_calls = 0;
	fake_relax_hook = consume_on_third_relax;
	ring_put2(FIXMAP_REC_ACCESS, 77, 0x80000000, 0);
	CHECK_EQ_U64(relax_calls, 3);
	CHECK_EQ_U64(c->lost, 0);
	CHECK_EQ_U64(c->head, FIXMAP_RING_SIZE + 64);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE)->pc, 77);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE)->seq, NREC);
}

/*
 * A host that stops draining costs one wait of wait_ms: the record is dropped
 * when it times out, and later ones drop at once until there is room again.
 */
static void test_wait_times_out_once(void)
{
	struct fixmap_cpu *c = setup(1);
	uint64_t t;

	for (uint64_t i = 0; i < NREC; i++)
		ring_put2(FIXMAP_REC_ISB, i, 0, 0);
	c->wait_ms = 5; /* 5 ticks of the fake 1 kHz timer */
	ring_put2(FIXMAP_REC_ISB, 1, 0, 0);
	CHECK_EQ_U64(c->lost, 1);
	CHECK(fake_ticks > 5 && fake_ticks < 10);
	CHECK_EQ_U64(agent_ring_priv(c)->nowait, 1);
	t = fake_ticks;
	ring_put2(FIXMAP_REC_ISB, 2, 0, 0);
	CHECK_EQ_U64(c->lost, 2);
	CHECK_EQ_U64(fake_ticks, t);
	/* Room again: the drops are placed and waiting is back on. */
	c->tail = c->head;
	ring_put2(FIXMAP_REC_ISB, 3, 0, 0);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE)->hdr.type, FIXMAP_REC_LOST);
	CHECK_EQ_U64(rec_at(c, FIXMAP_RING_SIZE)->a[0], 2);
	CHECK_EQ_U64(agent_ring_priv(c)->nowait, 0);
}

/* A host that writes a tail beyond head gets nothing overwritten, only lost counts. */
static void test_bogus_tail(void)
{
	struct fixmap_cpu *c = setup(2);

	ring_put2(FIXMAP_REC_ISB, 1, 0, 0);
	c->tail = 4096;
	ring_put2(FIXMAP_REC_ISB, 2, 0, 0);
	CHECK_EQ_U64(c->head, 64);
	CHECK_EQ_U64(c->lost, 1);
}

int main(void)
{
	RUN(test_record_layout);
	RUN(test_not_recording_without_cpu);
	RUN(test_full_ring_counts_lost);
	RUN(test_consumer_frees_space);
	RUN(test_bogus_tail);
	RUN(test_lost_record_places_the_gap);
	RUN(test_waits_for_room);
	RUN(test_wait_times_out_once);
	return UNIT_EXIT();
}
