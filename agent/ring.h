/* SPDX-License-Identifier: MIT */
/*
 * Producer side of the per-CPU event rings (proto/fixmap_proto.h, the
 * memory-ordering table beside struct fixmap_rec_event).
 */
#ifndef AGENT_RING_H
#define AGENT_RING_H

#include <stdint.h>

/*
 * Appends one event record to the running CPU's ring, with the next global
 * sequence number. Never overwrites unconsumed bytes. When the ring is full it
 * waits for the host to make room if the host asked for that (the ring's
 * wait_ms, at most that long), else drops the record and counts it in `lost`;
 * the next record written is then preceded by a LOST record that says how many
 * were dropped there. Does nothing while the CPU has no shared area (before its
 * MMU is on).
 */
void ring_put(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	      uint64_t a4);
/* The same for records with two operands or fewer (a2..a4 = 0): less work at call sites. */
void ring_put2(uint64_t type, uint64_t pc, uint64_t a0, uint64_t a1);

#endif
