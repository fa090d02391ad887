/* SPDX-License-Identifier: MIT */
/*
 * The event ring producer. This is the fast path every recorded step pays:
 * keep it to straight-line code (its instruction count is stated in the
 * README, measured with objdump). Everything that happens only when the ring
 * is full (waiting for the host, dropping, the LOST record) is in ring_slow().
 *
 * Ordering, as the table in proto/fixmap_proto.h states it:
 *   - tail is read with load-acquire: it pairs with the host's store-release of
 *     tail, so the host's reads of the bytes it consumed are complete before
 *     this CPU reuses them;
 *   - head is published with store-release after the record's bytes: it pairs
 *     with the host's load-acquire of head, so a record is never seen before
 *     its contents.
 * head is written only by this CPU, so its plain load is exact. The global
 * sequence number is one relaxed atomic add on the header, taken once the
 * record is sure to be written: the order of the numbers is the order in which
 * the CPUs took them, which follows each CPU's program order (the add comes
 * after the recorded instruction), and a number is never held by a CPU that
 * waits for room (the host would see later numbers first).
 */
#include "ring.h"

#include "arch.h"
#include "shared.h"

#define REC_SIZE AGENT_REC_SIZE

/* Writes one record at head and publishes it (the caller made sure it fits). */
static inline __attribute__((always_inline)) void ring_write(struct fixmap_cpu *c, uint64_t head,
							       uint64_t type, uint64_t pc,
							       uint64_t a0, uint64_t a1,
							       uint64_t a2, uint64_t a3,
							       uint64_t a4)
{
	struct fixmap_rec_event *r;
	uint64_t seq, h;

	seq = __atomic_fetch_add(&fixmap_shared.hdr.seq, 1, __ATOMIC_RELAXED);
	/* Records are all REC_SIZE and the ring a multiple of it: no wrap inside one. */
	r = __builtin_assume_aligned((uint8_t *)c + AGENT_RING_OFFSET + (head & (FIXMAP_RING_SIZE - 1)),
				     REC_SIZE);
	/* The framing header as one doubleword (little-endian): type, size, cpu, flags = 0. */
	h = type | REC_SIZE << 16 | (uint64_t)(uint16_t)c->cpu << 32;
	__builtin_memcpy(&r->hdr, &h, sizeof(h));
	r->seq = seq;
	r->pc = pc;
	r->a[0] = a0;
	r->a[1] = a1;
	r->a[2] = a2;
	r->a[3] = a3;
	r->a[4] = a4;
	head += REC_SIZE;
	__atomic_store_n(&c->head, head, __ATOMIC_RELEASE);
	c->produced = head / REC_SIZE;
}

/*
 * The ring had no room for the record (or drops are waiting for their LOST
 * record): the whole slow path, reached by a tail call so the fast path needs
 * no stack frame. Waits for room if the host asked for it (wait_ms), writes the
 * LOST record that places earlier drops, then the record; or drops it,
 * counted in lost and unmarked. A tail ahead of head (only a misbehaving host
 * writes one) makes the unsigned difference huge: no room, never an overwrite.
 */
static __attribute__((noinline, cold)) void ring_slow(struct fixmap_cpu *c, uint64_t type,
							uint64_t pc, uint64_t a0, uint64_t a1,
							uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct agent_ring_priv *p = agent_ring_priv(c);
	uint64_t head = c->head, start = 0, ticks = 0;

	for (;;) {
		uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
		uint64_t need = (c->unmarked ? 2 : 1) * REC_SIZE;
		uint32_t wait_ms;

		if (head - tail <= FIXMAP_RING_SIZE - need)
			break;
		wait_ms = *(volatile uint32_t *)&c->wait_ms;
		if (!wait_ms || p->nowait)
			goto drop;
		if (!ticks) {
			start = arch_counter();
			ticks = (uint64_t)wait_ms * (arch_counter_freq() / 1000);
			if (!ticks)
				ticks = 1;
		} else if (arch_counter() - start > ticks) {
			p->nowait = 1; /* the host went away: one wait, not one per record */
			goto drop;
		}
		arch_relax();
	}
	p->nowait = 0;
	if (c->unmarked) {
		uint64_t n = c->unmarked;

		/* Cleared before the store-release of head that publishes the record. */
		c->unmarked = 0;
		ring_write(c, head, FIXMAP_REC_LOST, 0, n, c->lost, 0, 0, 0);
		head += REC_SIZE;
	}
	p->limit = AGENT_RING_LIMIT;
	ring_write(c, head, type, pc, a0, a1, a2, a3, a4);
	return;
drop:
	c->lost++;
	c->unmarked++;
	p->limit = 0; /* the next record comes here, to write the LOST record first */
}

/* The body of both entry points; folded into each so the short form stores zeros. */
static inline __attribute__((always_inline)) void ring_rec(uint64_t type, uint64_t pc, uint64_t a0,
							      uint64_t a1, uint64_t a2, uint64_t a3,
							      uint64_t a4)
{
	struct fixmap_cpu *c = arch_cpu_shared();
	uint64_t head, tail;

	if (!c)
		return;
	head = c->head;
	tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
	if (__builtin_expect(head - tail >= agent_ring_priv(c)->limit, 0)) {
		ring_slow(c, type, pc, a0, a1, a2, a3, a4);
		return;
	}
	ring_write(c, head, type, pc, a0, a1, a2, a3, a4);
}

void ring_put(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	      uint64_t a4)
{
	ring_rec(type, pc, a0, a1, a2, a3, a4);
}

void ring_put2(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1)
{
	ring_rec(type, pc, a0, a1, 0, 0, 0);
}
