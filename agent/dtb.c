/* SPDX-License-Identifier: MIT */
/* Flattened device tree lookup (see dtb.h). */
#include "dtb.h"

#include <stdbool.h>

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

uint32_t dtb_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t dtb_be64(const void *p)
{
	return (uint64_t)dtb_be32(p) << 32 | dtb_be32((const uint8_t *)p + 4);
}

size_t dtb_check(const void *p, size_t max)
{
	const uint8_t *b = p;
	uint32_t total, off_struct, size_struct, off_strings, size_strings;

	if (max < 40 || dtb_be32(b) != FDT_MAGIC)
		return 0;
	total = dtb_be32(b + 4);
	off_struct = dtb_be32(b + 8);
	off_strings = dtb_be32(b + 12);
	size_strings = dtb_be32(b + 32);
	size_struct = dtb_be32(b + 36);
	/* version >= 17 carries size_dt_struct; last_comp_version must be <= 16. */
	if (dtb_be32(b + 20) < 17 || dtb_be32(b + 24) > 16)
		return 0;
	if (total > max || total < 40 || off_struct > total || size_struct > total - off_struct ||
	    off_strings > total || size_strings > total - off_strings || off_struct % 4)
		return 0;
	return total;
}

/* Length of the NUL-terminated string at s within n bytes, or n if none. */
static size_t dtb_strnlen(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i])
		i++;
	return i;
}

static bool dtb_node_is(const char *name, size_t len, const char *want)
{
	size_t i = 0;

	while (want[i] && i < len && name[i] == want[i])
		i++;
	return !want[i] && (i == len || name[i] == '@');
}

int dtb_find(const void *blob, size_t size, const char *node, const char *prop, const void **val,
	     uint32_t *len)
{
	const uint8_t *b = blob;
	uint32_t off, end, strings, nstrings;
	int depth = 0;
	bool in_node = false;

	if (!dtb_check(blob, size))
		return -1;
	off = dtb_be32(b + 8);
	end = off + dtb_be32(b + 36);
	strings = dtb_be32(b + 12);
	nstrings = dtb_be32(b + 32);
	while (off + 4 <= end) {
		uint32_t tok = dtb_be32(b + off);

		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)b + off;
			size_t n = dtb_strnlen(name, end - off);

			if (n == end - off)
				return -1;
			depth++;
			in_node = depth == 2 && dtb_node_is(name, n, node);
			off += (uint32_t)((n + 1 + 3) & ~(size_t)3);
			break;
		}
		case FDT_END_NODE:
			if (depth-- <= 0)
				return -1;
			in_node = false;
			break;
		case FDT_PROP: {
			uint32_t plen, nameoff;
			const char *pname;

			if (end - off < 8)
				return -1;
			plen = dtb_be32(b + off);
			nameoff = dtb_be32(b + off + 4);
			off += 8;
			if (plen > end - off || nameoff >= nstrings)
				return -1;
			pname = (const char *)b + strings + nameoff;
			if (in_node && dtb_strnlen(pname, nstrings - nameoff) < nstrings - nameoff) {
				const char *p = prop;
				size_t i = 0;

				while (p[i] && pname[i] == p[i])
					i++;
				if (!p[i] && !pname[i]) {
					*val = b + off;
					*len = plen;
					return 0;
				}
			}
			off += (plen + 3) & ~3u;
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return -1;
		default:
			return -1;
		}
	}
	return -1;
}
