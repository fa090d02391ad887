/* SPDX-License-Identifier: MIT */
/*
 * The event ring producer. This is the fast path every recorded step pays:
 * keep it to straight-line code (its instruction count is stated in the
 * README, measured with objdump).
 *
 * Ordering, as the table in proto/fixmap_proto.h states it:
 *   - tail is read with load-acquire: it pairs with the host's store-release of
 *     tail, so the host's reads of the bytes it consumed are complete before
 *     this CPU reuses them;
 *   - head is published with store-release after the record's bytes: it pairs
 *     with the host's load-acquire of head, so a record is never seen before
 *     its contents.
 * head is written only by this CPU, so its plain load is exact. The global
 * sequence number is one relaxed atomic add on the header: the order of the
 * numbers is the order in which the CPUs took them, which follows each CPU's
 * program order (the add comes after the recorded instruction).
 */
#include "ring.h"

#include "arch.h"
#include "shared.h"

#define REC_SIZE ((uint64_t)sizeof(struct fixmap_rec_event))

/* The body of both entry points; folded into each so the short form stores zeros. */
static inline __attribute__((always_inline)) void ring_rec(uint64_t type, uint64_t pc, uint64_t a0,
							      uint64_t a1, uint64_t a2, uint64_t a3,
							      uint64_t a4)
{
	struct fixmap_cpu *c = arch_cpu_shared();
	struct fixmap_rec_event *r;
	uint64_t seq, head, tail, h;

	if (!c)
		return;
	seq = __atomic_fetch_add(&fixmap_shared.hdr.seq, 1, __ATOMIC_RELAXED);
	head = c->head;
	tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
	/*
	 * Full (or a tail ahead of head, which only a misbehaving host writes:
	 * the unsigned difference is then huge): drop and count, never overwrite.
	 */
	if (head - tail > FIXMAP_RING_SIZE - REC_SIZE) {
		c->lost++;
		return;
	}
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

void ring_put(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	      uint64_t a4)
{
	ring_rec(type, pc, a0, a1, a2, a3, a4);
}

void ring_put2(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1)
{
	ring_rec(type, pc, a0, a1, 0, 0, 0);
}
