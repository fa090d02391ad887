/* SPDX-License-Identifier: MIT */
#include "merge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void merge_init(struct merge *m)
{
	memset(m, 0, sizeof(*m));
}

void merge_free(struct merge *m)
{
	free(m->heap);
	memset(m, 0, sizeof(*m));
}

static bool before(const struct fm_event *a, const struct fm_event *b)
{
	if (a->seq != b->seq)
		return a->seq < b->seq;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	/* A gap placed after an event takes that event's number. */
	return a->type != FM_EV_LOST && b->type == FM_EV_LOST;
}

static void sift_up(struct merge *m, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct fm_event tmp;

		if (!before(&m->heap[i], &m->heap[p]))
			break;
		tmp = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = tmp;
		i = p;
	}
}

static void sift_down(struct merge *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		struct fm_event tmp;

		if (l < m->n && before(&m->heap[l], &m->heap[s]))
			s = l;
		if (r < m->n && before(&m->heap[r], &m->heap[s]))
			s = r;
		if (s == i)
			return;
		tmp = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = tmp;
		i = s;
	}
}

int merge_push(struct merge *m, const struct fm_event *ev, struct fm_err *err)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct fm_event *h = realloc(m->heap, cap * sizeof(*h));

		if (!h)
			return fm_err_set(err, "out of memory merging %zu events", m->n);
		m->heap = h;
		m->cap = cap;
	}
	m->heap[m->n++] = *ev;
	sift_up(m, m->n - 1);
	return 0;
}

size_t merge_emit(struct merge *m, uint64_t below, size_t max, merge_event_fn fn, void *arg)
{
	size_t done = 0;

	while (m->n && m->heap[0].seq < below && (!max || done < max)) {
		struct fm_event ev = m->heap[0];

		m->heap[0] = m->heap[--m->n];
		sift_down(m, 0);
		if (m->emitted && ev.seq < m->last_seq)
			m->late++;
		else
			m->last_seq = ev.seq;
		m->emitted++;
		done++;
		fn(arg, &ev);
	}
	return done;
}

size_t merge_trim_unfinished(struct merge *m)
{
	uint64_t cut[FM_MAX_CPUS];
	bool have[FM_MAX_CPUS] = {false};
	size_t w = 0, dropped;

	for (size_t i = 0; i < m->n; i++) {
		const struct fm_event *e = &m->heap[i];

		if (e->cpu < FM_MAX_CPUS && e->type == FM_EV_PTE && (e->new & 1) &&
		    (!have[e->cpu] || e->seq > cut[e->cpu])) {
			have[e->cpu] = true;
			cut[e->cpu] = e->seq;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct fm_event *e = &m->heap[i];

		if (e->cpu < FM_MAX_CPUS && have[e->cpu] && e->seq > cut[e->cpu])
			continue;
		m->heap[w++] = *e;
	}
	dropped = m->n - w;
	m->n = w;
	/* Filtering keeps a subset, not the heap order: rebuild it. */
	for (size_t i = m->n / 2; i-- > 0;)
		sift_down(m, i);
	m->trimmed += dropped;
	return dropped;
}
