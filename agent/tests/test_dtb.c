/* SPDX-License-Identifier: MIT */
/* Device tree lookup (agent/dtb.c) on blobs built here, and damaged ones. */
#include <stdlib.h>

#include "dtb.h"
#include "unit.h"

struct fdt_builder {
	uint8_t s[1024], str[256];
	size_t ns, nstr;
};

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void tok(struct fdt_builder *b, uint32_t t)
{
	be32(b->s + b->ns, t);
	b->ns += 4;
}

static void bytes(struct fdt_builder *b, const void *p, size_t n)
{
	memcpy(b->s + b->ns, p, n);
	b->ns += n;
	while (b->ns % 4)
		b->s[b->ns++] = 0;
}

static void node(struct fdt_builder *b, const char *name)
{
	tok(b, 1);
	bytes(b, name, strlen(name) + 1);
}

static void prop(struct fdt_builder *b, const char *name, const void *v, uint32_t n)
{
	uint32_t off = (uint32_t)b->nstr;

	memcpy(b->str + b->nstr, name, strlen(name) + 1);
	b->nstr += strlen(name) + 1;
	tok(b, 3);
	tok(b, n);
	tok(b, off);
	bytes(b, v, n);
}

/* /{ #address-cells; memory@40000000 { reg }; chosen { bootargs }; cpus { chosen-like child } } */
static size_t build(uint8_t *out, const char *bootargs)
{
	struct fdt_builder b = {.ns = 0};
	uint8_t reg[16] = {0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0};
	uint8_t two[4] = {0, 0, 0, 2};
	size_t off_struct = 40, total;

	node(&b, "");
	prop(&b, "#address-cells", two, 4);
	node(&b, "memory@40000000");
	prop(&b, "reg", reg, 16);
	tok(&b, 2);
	node(&b, "cpus");
	node(&b, "chosen"); /* depth 2: must not match */
	prop(&b, "bootargs", "wrong", 6);
	tok(&b, 2);
	tok(&b, 2);
	node(&b, "chosen");
	tok(&b, 4); /* NOP */
	prop(&b, "stdout-path", "/pl011", 7);
	prop(&b, "bootargs", bootargs, (uint32_t)strlen(bootargs) + 1);
	tok(&b, 2);
	tok(&b, 2);
	tok(&b, 9);
	total = off_struct + b.ns + b.nstr;
	memset(out, 0, total);
	be32(out, FDT_MAGIC);
	be32(out + 4, (uint32_t)total);
	be32(out + 8, (uint32_t)off_struct);
	be32(out + 12, (uint32_t)(off_struct + b.ns));
	be32(out + 16, 40); /* mem_rsvmap: unused here */
	be32(out + 20, 17);
	be32(out + 24, 16);
	be32(out + 32, (uint32_t)b.nstr);
	be32(out + 36, (uint32_t)b.ns);
	memcpy(out + off_struct, b.s, b.ns);
	memcpy(out + off_struct + b.ns, b.str, b.nstr);
	return total;
}

static void test_find(void)
{
	uint8_t blob[2048];
	size_t n = build(blob, "fixmap.mode=local");
	const void *v;
	uint32_t len;

	CHECK_EQ_U64(dtb_check(blob, sizeof(blob)), n);
	CHECK(dtb_find(blob, n, "chosen", "bootargs", &v, &len) == 0);
	CHECK_EQ_U64(len, 18);
	CHECK_STR((const char *)v, "fixmap.mode=local");
	CHECK(dtb_find(blob, n, "memory", "reg", &v, &len) == 0);
	CHECK_EQ_U64(len, 16);
	CHECK_EQ_U64(dtb_be64((const uint8_t *)v + 8), 0x10000000);
	CHECK_EQ_U64(dtb_be64(v), 0x40000000);
	CHECK(dtb_find(blob, n, "chosen", "linux,initrd-start", &v, &len) == -1);
	CHECK(dtb_find(blob, n, "chose", "bootargs", &v, &len) == -1);
	CHECK(dtb_find(blob, n, "memory@4", "reg", &v, &len) == -1);
}

static void test_damaged(void)
{
	uint8_t blob[2048], bad[2048];
	size_t n = build(blob, "x");
	const void *v;
	uint32_t len;

	CHECK_EQ_U64(dtb_check(blob, n - 1), 0); /* larger than the buffer */
	CHECK_EQ_U64(dtb_check(blob, 39), 0);
	memcpy(bad, blob, n);
	bad[0] ^= 1;
	CHECK_EQ_U64(dtb_check(bad, n), 0);
	memcpy(bad, blob, n);
	be32(bad + 36, 0xffff0000u); /* struct block past the end */
	CHECK_EQ_U64(dtb_check(bad, n), 0);
	memcpy(bad, blob, n);
	be32(bad + 20, 16); /* too old */
	CHECK_EQ_U64(dtb_check(bad, n), 0);
	/* Truncate the struct block mid-property at every length: never a wild read (ASan). */
	for (uint32_t cut = 0; cut < dtb_be32(blob + 36); cut += 4) {
		memcpy(bad, blob, n);
		be32(bad + 36, cut);
		(void)dtb_find(bad, n, "chosen", "bootargs", &v, &len);
	}
	/* A property length beyond the block, a string offset beyond the strings. */
	for (size_t i = 40; i + 4 <= 40 + dtb_be32(blob + 36); i += 4) {
		memcpy(bad, blob, n);
		be32(bad + i, 0x7ffffff0u);
		(void)dtb_find(bad, n, "chosen", "bootargs", &v, &len);
	}
	memcpy(bad, blob, n);
	be32(bad + 40, 7); /* unknown token */
	CHECK(dtb_find(bad, n, "chosen", "bootargs", &v, &len) == -1);
}

int main(void)
{
	RUN(test_find);
	RUN(test_damaged);
	return UNIT_EXIT();
}
