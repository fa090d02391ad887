/* SPDX-License-Identifier: MIT */
/*
 * Just enough of a flattened device tree reader (Devicetree Specification
 * v0.4, chapter 5) to find /chosen/bootargs and the RAM size. Every offset and
 * length is checked against the blob's size: a damaged blob is an error, not
 * a wild read.
 */
#ifndef AGENT_DTB_H
#define AGENT_DTB_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu

/* Size of the blob at p if it looks like a device tree (magic, version, sane sizes), else 0. */
size_t dtb_check(const void *p, size_t max);

/*
 * Finds property `prop` of the node at depth 1 whose name is `node` or starts
 * with `node@` ("chosen", "memory"). Returns 0 with *val and *len pointing into
 * the blob, or -1.
 */
int dtb_find(const void *blob, size_t size, const char *node, const char *prop, const void **val,
	     uint32_t *len);

/* Big-endian cell reads. */
uint32_t dtb_be32(const void *p);
uint64_t dtb_be64(const void *p);

#endif
