/* SPDX-License-Identifier: MIT */
/*
 * A shared area built in a buffer behind a tiny in-test target, and a producer
 * that writes records the way the agent does (proto/fixmap_proto.h), for the
 * tests of agent.c and ring.c.
 */
#ifndef FIXMAP_FAKE_AGENT_H
#define FIXMAP_FAKE_AGENT_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fixmap_proto.h"
#include "target.h"

#define FAKE_BASE 0x40000000ull /* PA of buf[0] */
#define FAKE_SIZE (1u << 20)
#define FAKE_HDR_OFF 0x2000u /* the header's offset in buf */
#define FAKE_RING 4096u      /* ring bytes per CPU in the tests */

struct fake_target {
	struct target t;
	uint8_t *mem;
	size_t size;
	unsigned reads, batches, writes;
	int fail_reads; /* > 0: the next read fails */
	void (*on_batch)(struct fake_target *f); /* before each batch of reads: the agent moves on */
};

static int fake_read(struct target *t, struct target_iov *iov, size_t n, struct fm_err *err)
{
	struct fake_target *f = (struct fake_target *)t;

	f->batches++;
	if (f->on_batch)
		f->on_batch(f);
	if (f->fail_reads > 0) {
		f->fail_reads--;
		return fm_err_set(err, "fake read failure");
	}
	for (size_t i = 0; i < n; i++) {
		if (iov[i].pa < FAKE_BASE || iov[i].pa - FAKE_BASE > f->size ||
		    iov[i].len > f->size - (iov[i].pa - FAKE_BASE))
			return fm_err_set(err, "fake: %#llx+%zu outside memory",
					  (unsigned long long)iov[i].pa, iov[i].len);
		memcpy(iov[i].buf, f->mem + (iov[i].pa - FAKE_BASE), iov[i].len);
		f->reads++;
	}
	return 0;
}

static int fake_write(struct target *t, uint64_t pa, const void *buf, size_t len,
		      struct fm_err *err)
{
	struct fake_target *f = (struct fake_target *)t;

	if (pa < FAKE_BASE || pa - FAKE_BASE > f->size || len > f->size - (pa - FAKE_BASE))
		return fm_err_set(err, "fake: write outside memory");
	memcpy(f->mem + (pa - FAKE_BASE), buf, len);
	f->writes++;
	return 0;
}

static void fake_close(struct target *t)
{
	(void)t;
}

static const struct target_ops fake_ops = {
	.kind = "fake", .read_phys = fake_read, .write_phys = fake_write, .close = fake_close};

static inline struct fixmap_shared_hdr *fake_hdr(struct fake_target *f)
{
	return (struct fixmap_shared_hdr *)(void *)(f->mem + FAKE_HDR_OFF);
}

static inline struct fixmap_cpu *fake_cpu(struct fake_target *f, unsigned i)
{
	struct fixmap_shared_hdr *h = fake_hdr(f);

	return (struct fixmap_cpu *)(void *)((uint8_t *)h + h->cpu_offset +
					     (size_t)i * h->cpu_size);
}

/* A valid area for ncpus CPUs: header, control block, per-CPU areas each followed by its ring. */
static inline void fake_init(struct fake_target *f, unsigned ncpus)
{
	struct fixmap_shared_hdr *h;

	memset(f, 0, sizeof(*f));
	f->t.ops = &fake_ops;
	f->size = FAKE_SIZE;
	f->mem = calloc(1, FAKE_SIZE);
	h = fake_hdr(f);
	h->major = FIXMAP_PROTO_MAJOR;
	h->minor = FIXMAP_PROTO_MINOR;
	h->hdr_size = sizeof(*h);
	h->ncpus = ncpus;
	h->max_cpus = ncpus;
	h->ctrl_offset = 256;
	h->ctrl_size = sizeof(struct fixmap_ctrl);
	h->cpu_offset = 512;
	h->cpu_size = sizeof(struct fixmap_cpu) + FAKE_RING;
	h->total_size = h->cpu_offset + (uint64_t)ncpus * h->cpu_size;
	h->shared_pa = FAKE_BASE + FAKE_HDR_OFF;
	h->state = FIXMAP_STATE_RUNNING;
	h->mode = 1;
	h->fixmap_va = 0x80000000;
	for (unsigned i = 0; i < ncpus; i++) {
		struct fixmap_cpu *c = fake_cpu(f, i);

		c->cpu = i;
		c->online = 1;
		c->slot_va = 0x80000000 + i * 4096ull;
		c->ring_offset = sizeof(struct fixmap_cpu);
		c->ring_size = FAKE_RING;
		c->id_aa64mmfr2 = 1ull << 48; /* TTL */
		c->ttbr0_el2 = 0x40100000;
	}
	h->magic = FIXMAP_MAGIC;
}

static inline void fake_free(struct fake_target *f)
{
	free(f->mem);
}

/* Bytes a record of `size` takes at head: with the PAD to the ring's end it may need. */
static inline uint64_t fake_need(const struct fixmap_cpu *c, uint64_t head, uint16_t size)
{
	uint64_t p = head & (c->ring_size - 1);

	return (p + size > c->ring_size ? c->ring_size - p : 0) + size;
}

/* Writes one record at head (the caller checked the room), with the next sequence number. */
static inline void fake_write_rec(struct fake_target *f, unsigned cpu, uint16_t type,
				  uint16_t size, const uint64_t a[5])
{
	struct fixmap_shared_hdr *h = fake_hdr(f);
	struct fixmap_cpu *c = fake_cpu(f, cpu);
	uint8_t *ring = (uint8_t *)c + c->ring_offset;
	uint64_t p = c->head & (c->ring_size - 1);
	struct fixmap_rec_event rec;

	if (p + size > c->ring_size) {
		struct fixmap_rec_hdr ph = {.type = FIXMAP_REC_PAD,
					    .size = (uint16_t)(c->ring_size - p),
					    .cpu = (uint16_t)cpu};

		memcpy(ring + p, &ph, sizeof(ph));
		c->head += c->ring_size - p;
		p = 0;
	}
	memset(&rec, 0, sizeof(rec));
	rec.hdr.type = type;
	rec.hdr.size = size;
	rec.hdr.cpu = (uint16_t)cpu;
	rec.seq = ++h->seq;
	rec.pc = type == FIXMAP_REC_LOST ? 0 : 0x40201000 + type * 4;
	if (a)
		memcpy(rec.a, a, sizeof(rec.a));
	memset(ring + p, 0xee, size);
	memcpy(ring + p, &rec, size < sizeof(rec) ? size : sizeof(rec));
	c->head += size;
	c->produced++;
}

/*
 * The agent's producer: one record of `size` bytes (>= 64 for known types),
 * padding to the ring's end first when it does not fit; when full it drops and
 * counts (lost, unmarked), and the next record that fits is preceded by a LOST
 * record (protocol minor >= 2; an older header gets none). Returns 0 written,
 * 1 lost.
 */
static inline int fake_produce_sized(struct fake_target *f, unsigned cpu, uint16_t type,
				     uint16_t size, const uint64_t a[5])
{
	struct fixmap_cpu *c = fake_cpu(f, cpu);
	bool mark = c->unmarked && fake_hdr(f)->minor >= 2;
	uint64_t need = 0;

	if (mark)
		need = fake_need(c, c->head, sizeof(struct fixmap_rec_event));
	need += fake_need(c, c->head + need, size);
	if (c->head + need - c->tail > c->ring_size) {
		c->lost++;
		c->unmarked++;
		return 1;
	}
	if (mark) {
		uint64_t la[5] = {c->unmarked, c->lost, 0, 0, 0};

		fake_write_rec(f, cpu, FIXMAP_REC_LOST, sizeof(struct fixmap_rec_event), la);
	}
	c->unmarked = 0;
	fake_write_rec(f, cpu, type, size, a);
	return 0;
}

static inline int fake_produce(struct fake_target *f, unsigned cpu, uint16_t type, uint64_t a0,
			       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t a[5] = {a0, a1, a2, a3, a4};

	return fake_produce_sized(f, cpu, type, sizeof(struct fixmap_rec_event), a);
}

#endif
