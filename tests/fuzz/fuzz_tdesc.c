/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the target-description XML reader (rsp_tdesc_parse in rsp.c).
 *
 * Input: documents separated by NUL bytes; the first is target.xml, and an
 * <xi:include href=H> gets document (sum of H's bytes) mod the number of
 * documents, so documents can include themselves or each other.
 *
 * Promises checked: parsing ends (includes that loop are cut by the nesting
 * and file limits), fails only with a reason, and every register it keeps
 * has a NUL-terminated name, a bit size of 1-4096, a register number below
 * 2^20, and is found again by name.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rsp.h"

struct docs {
	const char *p[64];
	size_t len[64];
	unsigned n;
	unsigned calls;
};

static int include(void *arg, struct rsp_tdesc *d, const char *href, struct fm_err *err)
{
	struct docs *ds = arg;
	unsigned sum = 0, k;

	if (strnlen(href, 128) >= 128)
		abort();
	for (const char *c = href; *c; c++)
		sum += (unsigned char)*c;
	k = sum % ds->n;
	if (++ds->calls > 10000)
		abort(); /* the file limit did not hold */
	return rsp_tdesc_parse(d, ds->p[k], ds->len[k], include, ds, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docs ds = {.n = 0};
	struct rsp_tdesc d = {0};
	struct fm_err err = {{0}};
	const char *p = (const char *)data, *end = p + size;
	char *copy;
	int rc;

	/* a copy, so a read past the end of a document is past the end of a heap block */
	while (ds.n < 64) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t l = z ? (size_t)(z - p) : (size_t)(end - p);

		copy = malloc(l ? l : 1);
		memcpy(copy, p, l);
		ds.p[ds.n] = copy;
		ds.len[ds.n++] = l;
		if (!z)
			break;
		p = z + 1;
	}
	rc = rsp_tdesc_parse(&d, ds.p[0], ds.len[0], include, &ds, &err);
	if (rc && !err.msg[0])
		abort();
	for (size_t i = 0; i < d.n; i++) {
		const struct rsp_reg *r = &d.regs[i], *f;

		if (strnlen(r->name, sizeof(r->name)) >= sizeof(r->name) || !r->name[0] ||
		    r->bitsize < 1 || r->bitsize > 4096 || r->regnum >= 1u << 20)
			abort();
		f = rsp_tdesc_find(&d, r->name);
		if (!f || strcasecmp(f->name, r->name))
			abort();
	}
	if (!rc && rsp_tdesc_find(&d, "") != NULL)
		abort();
	rsp_tdesc_free(&d);
	for (unsigned i = 0; i < ds.n; i++)
		free((void *)ds.p[i]);
	return 0;
}
