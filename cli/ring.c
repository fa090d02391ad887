/* SPDX-License-Identifier: MIT */
#include "ring.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"

/* The producer line of struct fixmap_cpu, read in one piece. */
struct prod_line {
	uint64_t head;
	uint64_t lost;
	uint32_t ring_offset;
	uint32_t ring_size;
	uint64_t produced;
	uint64_t unmarked; /* minor 2; an older agent leaves it 0 */
	uint64_t pad0[3];
};
_Static_assert(sizeof(struct prod_line) == 64, "producer line");
_Static_assert(offsetof(struct fixmap_cpu, lost) == offsetof(struct fixmap_cpu, head) + 8, "lost");
_Static_assert(offsetof(struct fixmap_cpu, ring_size) ==
		       offsetof(struct fixmap_cpu, head) + offsetof(struct prod_line, ring_size),
	       "ring_size");
_Static_assert(offsetof(struct fixmap_cpu, produced) ==
		       offsetof(struct fixmap_cpu, head) + offsetof(struct prod_line, produced),
	       "produced");
_Static_assert(offsetof(struct fixmap_cpu, unmarked) ==
		       offsetof(struct fixmap_cpu, head) + offsetof(struct prod_line, unmarked),
	       "unmarked");

static void diag(struct ring_set *rs, struct ring *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag(struct ring_set *rs, struct ring *r, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	r->st.bad++;
	if (r->ndiag > RING_MAX_DIAG)
		return;
	if (r->ndiag++ == RING_MAX_DIAG) {
		snprintf(msg, sizeof(msg), "further ring problems are only counted");
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (rs->diag)
		rs->diag(rs->diag_arg, r->cpu, msg);
	else
		fm_warn("trace: cpu %u: %s", r->cpu, msg);
}

int ring_set_init(struct ring_set *rs, const struct agent_state *st, struct fm_err *err)
{
	size_t total = 0;

	memset(rs, 0, sizeof(*rs));
	rs->consume = true;
	rs->lost_records = st->hdr.minor >= 2;
	rs->fmt = agent_table_fmt(st);
	rs->have_fmt = true;
	rs->seq_pa = st->pa + offsetof(struct fixmap_shared_hdr, seq);
	rs->n = st->max_cpus;
	unsigned ncpus = agent_trace_ncpus(st);
	for (unsigned i = 0; i < st->max_cpus; i++) {
		const struct agent_cpu *ac = &st->cpu[i];
		struct ring *r = &rs->r[i];

		r->cpu = i;
		/* Only the CPUs the trace declares (agent_trace_ctx()): a ring of any
		 * other holds nothing a trace can carry. */
		r->usable = ac->usable && i < ncpus;
		r->ctl_pa = ac->pa;
		r->data_pa = ac->ring_pa;
		r->offset = ac->c.ring_offset;
		r->size = ac->c.ring_size;
		r->tail = ac->c.tail;
		r->head = ac->c.head;
		r->wait_ms = rs->lost_records ? ac->c.wait_ms : 0;
		if (r->usable)
			total += r->size;
	}
	rs->buf = malloc(total ? total : 1);
	if (!rs->buf)
		return fm_err_set(err, "out of memory for %zu bytes of ring buffers", total);
	return 0;
}

void ring_set_free(struct ring_set *rs)
{
	free(rs->buf);
	rs->buf = NULL;
}

int ring_record_to_event(const struct fixmap_rec_event *rec, unsigned cpu, struct fm_event *ev,
			 char *why, size_t n)
{
	const uint64_t *a = rec->a;

	memset(ev, 0, sizeof(*ev));
	ev->cpu = (uint16_t)cpu;
	ev->seq = rec->seq;
	ev->pc = rec->pc;
	if (rec->pc) /* the agent records the PC of every event (event.h) */
		ev->flags |= FM_EVF_PC;
	switch (rec->hdr.type) {
	case FIXMAP_REC_PTE: {
		/* a4 is the level as a signed 64-bit value, -1..3 (level -1: 4K with LPA2). */
		int64_t level = (int64_t)a[4];

		if (level < -1 || level > 3) {
			snprintf(why, n, "pte record with level %" PRId64, level);
			return -1;
		}
		/*
		 * The VA starts the range the entry translates (the trace format insists):
		 * at least the 4K granule's size at that level, the smallest of any
		 * granule's (16K and 64K entries translate more at the same level).
		 */
		if (a[1] & ((1ull << (12 + 9 * (3 - level))) - 1)) {
			snprintf(why, n,
				 "pte record with va %#" PRIx64 " not aligned to what a level %" PRId64
				 " entry translates",
				 a[1], level);
			return -1;
		}
		ev->type = FM_EV_PTE;
		ev->ptep = a[0];
		ev->va = a[1];
		ev->old = a[2];
		ev->new = a[3];
		ev->level = (int8_t)level;
		ev->flags |= FM_EVF_PTEP;
		ev->table = 0; /* the agent's one shared EL2 table (agent_trace_ctx) */
		return 0;
	}
	case FIXMAP_REC_DSB:
	case FIXMAP_REC_DMB: {
		char bb[8];

		if (a[0] > 15) {
			snprintf(why, n, "barrier record with option %#" PRIx64 " (CRm is 4 bits)",
				 a[0]);
			return -1;
		}
		/*
		 * Only the twelve named domains (include/arm64/barrier.h): the trace format
		 * has no word for the reserved options, so `check` could not read them back.
		 */
		if (arm64_bar_lookup(arm64_bar_name((unsigned)a[0], bb)) < 0) {
			snprintf(why, n, "barrier record with reserved option %" PRIu64, a[0]);
			return -1;
		}
		ev->type = rec->hdr.type == FIXMAP_REC_DSB ? FM_EV_DSB : FM_EV_DMB;
		ev->bar = (uint8_t)a[0];
		return 0;
	}
	case FIXMAP_REC_ISB:
		ev->type = FM_EV_ISB;
		return 0;
	case FIXMAP_REC_TLBI: {
		unsigned f;

		if (a[0] >= TLBI_NR_OPS) {
			snprintf(why, n, "tlbi record with op %" PRIu64 " (%u known)", a[0],
				 TLBI_NR_OPS);
			return -1;
		}
		f = arm64_tlbi_flags((unsigned)a[0]);
		ev->type = FM_EV_TLBI;
		ev->tlbi = (uint16_t)a[0];
		ev->arg = a[1];
		/* The one operand decoder (D8.17.1 by VA/IPA, D8.17.4 range), as the
		 * trace reader uses, so a saved trace reads back the same events. */
		ev->va = arm64_tlbi_addr((unsigned)a[0], a[1]);
		/* EL1&0 ops by VA (not VAA) or by ASID carry an ASID in [63:48]. */
		if ((f & TLBI_F_EL1) && (f & (TLBI_F_ASID | TLBI_F_VA | TLBI_F_RANGE)) &&
		    !(f & TLBI_F_AA))
			ev->flags |= FM_EVF_ASID;
		return 0;
	}
	case FIXMAP_REC_ACCESS:
		ev->type = FM_EV_ACCESS;
		ev->va = a[0];
		if (a[1] & 1)
			ev->flags |= FM_EVF_EXEC;
		return 0;
	case FIXMAP_REC_FREE:
		ev->type = FM_EV_FREE;
		ev->ptep = a[0];
		return 0;
	case FIXMAP_REC_LOST:
		if (!a[0]) {
			snprintf(why, n, "lost record with a count of 0");
			return -1;
		}
		ev->type = FM_EV_LOST;
		ev->arg = a[0];
		return 0;
	}
	snprintf(why, n, "record type %u", rec->hdr.type);
	return -1;
}

/* A PTE event the agent's table format cannot have (see ring_set.fmt); why says so. */
static bool pte_outside_format(const struct ring_set *rs, const struct fm_event *ev, char *why,
			       size_t n)
{
	const char *g = rs->fmt.granule == FM_GRANULE_16K   ? "16K"
			: rs->fmt.granule == FM_GRANULE_64K ? "64K"
							    : "4K";

	if (!rs->have_fmt || ev->type != FM_EV_PTE)
		return false;
	if (ev->level < desc_fmt_min_level(&rs->fmt)) {
		snprintf(why, n, "pte record with level %d, which the agent's %s%s table has not",
			 ev->level, g, rs->fmt.lpa2 ? " LPA2" : "");
		return true;
	}
	if (ev->va & (desc_fmt_level_size(&rs->fmt, ev->level) - 1)) {
		snprintf(why, n,
			 "pte record with va %#" PRIx64 " not aligned to what a level %d entry of the "
			 "agent's %s table translates",
			 ev->va, ev->level, g);
		return true;
	}
	return false;
}

/* A gap event: count events of ring r lost after sequence number `after`. */
static void gap(struct ring *r, uint64_t after, uint64_t count, ring_event_fn fn, void *arg)
{
	struct fm_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = FM_EV_LOST;
	ev.cpu = (uint16_t)r->cpu;
	ev.seq = after;
	ev.arg = count;
	fn(arg, &ev);
}

static bool known_type(unsigned type)
{
	return type >= FIXMAP_REC_PTE && type <= FIXMAP_REC_LOST;
}

/* A record header whose size is whole and fits before head and the ring's end. */
static bool rec_fits(const struct fixmap_rec_hdr *h, uint64_t left, uint64_t room)
{
	return h->size >= sizeof(*h) && !(h->size % 8) && h->size <= left && h->size <= room;
}

/*
 * The cumulative lost count of the last LOST record in [pos, pos + len), or 0
 * for none (the walk stops where ring_decode would find the ring torn).
 */
static uint64_t last_lost(const struct ring *r, const uint8_t *buf, uint64_t pos, uint64_t len)
{
	uint64_t mask = (uint64_t)r->size - 1, off = 0, lost = 0;

	while (len - off >= sizeof(struct fixmap_rec_hdr)) {
		uint64_t room = r->size - ((pos + off) & mask);
		struct fixmap_rec_hdr h;
		struct fixmap_rec_event rec;

		memcpy(&h, buf + off, sizeof(h));
		if (!rec_fits(&h, len - off, room))
			break;
		if (h.type == FIXMAP_REC_LOST && h.size >= sizeof(rec)) {
			memcpy(&rec, buf + off, sizeof(rec));
			lost = rec.a[1];
		}
		off += h.size;
	}
	return lost;
}

uint64_t ring_decode(struct ring_set *rs, struct ring *r, const uint8_t *buf, uint64_t pos,
		     uint64_t len, ring_event_fn fn, void *arg)
{
	uint64_t mask = (uint64_t)r->size - 1, off = 0;

	while (off < len) {
		uint64_t p = (pos + off) & mask, room = r->size - p, left = len - off;
		struct fixmap_rec_hdr h;

		if (left < sizeof(h)) {
			diag(rs, r, "%" PRIu64 " bytes at ring byte %#" PRIx64
				    " before head are too few for a record header; skipped",
			     left, pos + off);
			r->st.skipped += left;
			break;
		}
		memcpy(&h, buf + off, sizeof(h));
		if (!rec_fits(&h, left, room)) {
			const char *what = h.size < sizeof(h) ? "is smaller than a record header"
					   : h.size % 8	     ? "is not a multiple of 8"
					   : h.size > room   ? "runs past the end of the ring"
							     : "runs past head";

			diag(rs, r,
			     "record at ring byte %#" PRIx64 " (type %u) has size %u, which %s: "
			     "torn or corrupt ring; skipping the %" PRIu64 " bytes up to head",
			     pos + off, h.type, h.size, what, left);
			r->st.skipped += left;
			break;
		}
		if (h.type == FIXMAP_REC_PAD) {
			r->st.pads++;
		} else if (!known_type(h.type)) {
			r->st.unknown++;
			if (h.type >= 64 || !(r->unknown_types & (1ull << h.type))) {
				if (h.type < 64)
					r->unknown_types |= 1ull << h.type;
				/* Not a problem: a newer agent's record type. */
				if (r->ndiag < RING_MAX_DIAG) {
					char msg[160];

					r->ndiag++;
					snprintf(msg, sizeof(msg),
						 "skipping records of unknown type %u (newer agent?)",
						 h.type);
					if (rs->diag)
						rs->diag(rs->diag_arg, r->cpu, msg);
					else
						fm_warn("trace: cpu %u: %s", r->cpu, msg);
				}
			}
		} else if (h.size < sizeof(struct fixmap_rec_event)) {
			diag(rs, r, "record at ring byte %#" PRIx64 " (type %u) has size %u, too short "
				    "for its %zu bytes; skipped",
			     pos + off, h.type, h.size, sizeof(struct fixmap_rec_event));
			r->st.skipped += h.size;
		} else {
			struct fixmap_rec_event rec;
			struct fm_event ev;
			char why[128];

			memcpy(&rec, buf + off, sizeof(rec));
			if (ring_record_to_event(&rec, r->cpu, &ev, why, sizeof(why)) ||
			    pte_outside_format(rs, &ev, why, sizeof(why))) {
				diag(rs, r, "record at ring byte %#" PRIx64 ": %s; skipped",
				     pos + off, why);
				r->st.skipped += h.size;
			} else {
				if (h.cpu != r->cpu)
					diag(rs, r, "record at ring byte %#" PRIx64
						    " says it is from cpu %u",
					     pos + off, h.cpu);
				if (r->last_seq && ev.seq <= r->last_seq)
					diag(rs, r, "sequence number went backwards (%" PRIu64
						    " after %" PRIu64 ")",
					     ev.seq, r->last_seq);
				r->last_seq = ev.seq;
				/*
				 * What the ring held from before the drops we started in is
				 * not ours, nor are those drops: the LOST record that reports
				 * them (the first that counts up to the lost counter we first
				 * read) comes before the first record of our stream.
				 */
				if (r->stale) {
					if (ev.type != FM_EV_LOST)
						r->st.stale++;
					else if (rec.a[1] >= r->stale_lost)
						r->stale = false;
				} else {
					if (!r->batch_events++)
						r->batch_first_seq = ev.seq;
					r->batch_last_seq = ev.seq;
					r->st.events++;
					fn(arg, &ev);
				}
			}
		}
		off += h.size;
	}
	r->st.bytes += len;
	return len;
}

int ring_set_drain(struct ring_set *rs, struct target *t, ring_event_fn fn, void *arg,
		   struct fm_err *err)
{
	struct target_iov iov[1 + 2 * FIXMAP_MAX_CPUS];
	struct prod_line prod[FIXMAP_MAX_CPUS];
	uint64_t avail[FIXMAP_MAX_CPUS] = {0}, base[FIXMAP_MAX_CPUS] = {0};
	bool wtail[FIXMAP_MAX_CPUS] = {false};
	size_t n = 0, bufoff = 0;

	/*
	 * 0: a new wait_ms before anything is read, so that from the heads we read on
	 * a full ring waits for us (or stops waiting) instead of dropping.
	 */
	for (unsigned i = 0; i < rs->n && rs->consume && rs->lost_records; i++) {
		struct ring *r = &rs->r[i];

		if (!r->usable || r->wait_ms == rs->wait_ms)
			continue;
		if (target_write_phys(t, r->ctl_pa + offsetof(struct fixmap_cpu, wait_ms),
				      &rs->wait_ms, sizeof(rs->wait_ms), err))
			return fm_err_prefix(err, "writing cpu %u's ring wait", r->cpu);
		r->wait_ms = rs->wait_ms;
		n = 1;
	}
	/* The request is visible before we read what it governs (a store, then loads). */
	if (n)
		atomic_thread_fence(memory_order_seq_cst);
	n = 0;

	/* 1: hdr.seq first (so every event below it was allocated before the heads we read). */
	iov[n++] = (struct target_iov){.pa = rs->seq_pa, .buf = &rs->seq, .len = sizeof(rs->seq)};
	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];

		r->batch_events = r->batch_lost = 0;
		r->batch_first_seq = r->batch_last_seq = 0;
		if (!r->usable)
			continue;
		iov[n++] = (struct target_iov){.pa = r->ctl_pa + offsetof(struct fixmap_cpu, head),
					       .buf = &prod[i],
					       .len = sizeof(prod[i])};
	}
	if (target_read_phys_v(t, iov, n, err))
		return fm_err_prefix(err, "reading the ring heads");
	/* Pairs with the agent's store-release of head: (2) in the protocol. */
	atomic_thread_fence(memory_order_acquire);

	/* 2: plan the reads of [tail, head). */
	n = 0;
	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];
		uint64_t a, p, first;

		if (!r->usable)
			continue;
		if (prod[i].ring_offset != r->offset || prod[i].ring_size != r->size) {
			diag(rs, r,
			     "ring geometry changed under us (offset %u size %u, was %u %u): "
			     "no longer read",
			     prod[i].ring_offset, prod[i].ring_size, r->offset, r->size);
			r->usable = false;
			continue;
		}
		if (!r->started) {
			r->started = true;
			r->st.lost_start = r->st.lost = prod[i].lost;
			/* The ring's content ends in drops: it is from before them, not live. */
			if (rs->skip_stale && rs->lost_records && prod[i].unmarked) {
				r->stale = true;
				r->stale_lost = prod[i].lost;
			}
			/* An agent without LOST records: drops before now, before what we read. */
			if (!rs->lost_records)
				r->batch_lost = prod[i].lost;
		}
		if (prod[i].lost < r->st.lost)
			diag(rs, r, "lost counter went backwards (%" PRIu64 " after %" PRIu64 ")",
			     prod[i].lost, r->st.lost);
		else
			r->batch_lost += prod[i].lost - r->st.lost;
		r->st.lost = prod[i].lost;
		r->unmarked = rs->lost_records ? prod[i].unmarked : 0;
		r->head = prod[i].head;
		a = r->head - r->tail;
		if (a > r->size) {
			if ((int64_t)a < 0)
				diag(rs, r,
				     "head %#" PRIx64 " is behind tail %#" PRIx64
				     " (agent restarted, or a corrupt ring): restarting at head",
				     r->head, r->tail);
			else
				diag(rs, r,
				     "head %#" PRIx64 " is %" PRIu64 " bytes ahead of tail %#" PRIx64
				     ", more than the ring's %u: corrupt ring; skipping to head",
				     r->head, a, r->tail, r->size);
			if ((int64_t)a > 0)
				r->st.skipped += a;
			r->tail = r->head;
			wtail[i] = true;
			continue;
		}
		if (!a)
			continue;
		avail[i] = a;
		base[i] = bufoff;
		p = r->tail & (r->size - 1);
		first = a < r->size - p ? a : r->size - p;
		iov[n++] = (struct target_iov){
			.pa = r->data_pa + p, .buf = rs->buf + bufoff, .len = first};
		if (a > first)
			iov[n++] = (struct target_iov){
				.pa = r->data_pa, .buf = rs->buf + bufoff + first, .len = a - first};
		bufoff += r->size;
	}
	if (n && target_read_phys_v(t, iov, n, err))
		return fm_err_prefix(err, "reading the rings");

	/* 3: decode. */
	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];
		bool first = !r->last_seq;

		/*
		 * What a live stream's first read holds up to a LOST record is from before
		 * drops that came before the stream (a full ring drops until someone
		 * drains it): not contiguous with what follows, so not ours, nor are those
		 * drops. The stream starts after the last LOST record of the first read.
		 */
		if (avail[i] && first && !r->stale && rs->skip_stale && rs->lost_records) {
			uint64_t lost = last_lost(r, rs->buf + base[i], r->tail, avail[i]);
			if (lost) {
				r->stale = true;
				r->stale_lost = lost;
			}
		}
		if (avail[i]) {
			r->tail += ring_decode(rs, r, rs->buf + base[i], r->tail, avail[i], fn, arg);
			wtail[i] = true;
		}
		/*
		 * An agent without LOST records (minor < 2) drops the newest events: place
		 * its drops after this batch's last record (before the first one at the
		 * first drain, for those before we started).
		 */
		if (!rs->lost_records && r->usable && r->batch_lost) {
			uint64_t at = r->last_seq;

			if (first && r->batch_events && r->batch_first_seq)
				at = r->batch_first_seq - 1;
			gap(r, at, r->batch_lost, fn, arg);
		}
	}

	/* 4: give the space back. Pairs with the agent's load-acquire of tail: (1). */
	if (!rs->consume)
		return 0;
	atomic_thread_fence(memory_order_release);
	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];

		if (wtail[i] &&
		    target_write_phys(t, r->ctl_pa + offsetof(struct fixmap_cpu, tail), &r->tail,
				      sizeof(r->tail), err))
			return fm_err_prefix(err, "writing cpu %u's ring tail", r->cpu);
	}
	return 0;
}

void ring_set_end(struct ring_set *rs, ring_event_fn fn, void *arg)
{
	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];

		if (r->usable && r->unmarked)
			gap(r, r->last_seq, r->unmarked, fn, arg);
		r->unmarked = 0;
	}
}

int ring_set_release(struct ring_set *rs, struct target *t, struct fm_err *err)
{
	const uint32_t zero = 0;
	int rc = 0;

	for (unsigned i = 0; i < rs->n; i++) {
		struct ring *r = &rs->r[i];

		if (!r->wait_ms)
			continue;
		/* Every ring, even after a failure: none must stay waiting for us. */
		if (target_write_phys(t, r->ctl_pa + offsetof(struct fixmap_cpu, wait_ms), &zero,
				      sizeof(zero), rc ? NULL : err))
			rc = fm_err_prefix(rc ? NULL : err, "writing cpu %u's ring wait", r->cpu);
		else
			r->wait_ms = 0;
	}
	return rc;
}
