/* SPDX-License-Identifier: MIT */
/* The memory-file target: FILE[@PHYSBASE] parsing, bounds, batched reads, writes. */
#include <stdlib.h>
#include <unistd.h>

#include "target.h"
#include "unit.h"

static char path[64];
static char spec[128];

/* A 3-page file whose 64-bit word i holds 0x1000 * page + i. */
static void make_file(void)
{
	uint64_t w[3 * 512];
	int fd;

	strcpy(path, "/tmp/fixmap-unit-mem-XXXXXX");
	fd = mkstemp(path);
	for (unsigned i = 0; i < 3 * 512; i++)
		w[i] = 0x1000ull * (i / 512) + i % 512;
	if (write(fd, w, sizeof(w)) != (ssize_t)sizeof(w))
		abort();
	close(fd);
}

static void default_base_and_reads(void)
{
	struct fm_err err;
	struct target *t = target_mem_open(path, &err);
	uint64_t v = 0, a[2], b[3];
	struct target_iov iov[2] = {{0x40001008, a, sizeof(a)}, {0x40002000, b, sizeof(b)}};

	CHECK(t);
	CHECK(target_read_u64(t, 0x40000010, &v, &err) == 0);
	CHECK_EQ_U64(v, 2);
	CHECK(target_read_phys_v(t, iov, 2, &err) == 0);
	CHECK_EQ_U64(a[0], 0x1001);
	CHECK_EQ_U64(a[1], 0x1002);
	CHECK_EQ_U64(b[2], 0x2002);
	CHECK_EQ_U64(t->bytes_read, 8 + 16 + 24);
	CHECK(strstr(target_describe(t), "0x40000000-0x40002fff"));
	/* last word, then one byte past the end, below the base, wrapping */
	CHECK(target_read_u64(t, 0x40002ff8, &v, &err) == 0);
	CHECK_EQ_U64(v, 0x21ff);
	CHECK(target_read_phys(t, 0x40002ff9, a, 8, &err) < 0);
	CHECK(strstr(err.msg, "outside the file"));
	CHECK(target_read_u64(t, 0x3ffffff8, &v, &err) < 0);
	CHECK(strstr(err.msg, "below"));
	CHECK(target_read_phys(t, ~0ull - 3, a, 8, &err) < 0);
	/* no system registers */
	CHECK(target_sysreg(t, 0, "TTBR0_EL2", &v, &err) < 0);
	target_close(t);
}

static void physbase_and_write(void)
{
	struct fm_err err;
	struct target *t;
	uint64_t v = 0x1122334455667788ull, r = 0;
	uint32_t h = 0xabcd;

	snprintf(spec, sizeof(spec), "%s@0x80000000", path);
	t = target_mem_open(spec, &err);
	CHECK(t);
	CHECK(target_read_u64(t, 0x80001000, &r, &err) == 0);
	CHECK_EQ_U64(r, 0x1000);
	CHECK(target_write_phys(t, 0x80000008, &v, 8, &err) == 0);
	CHECK(target_write_phys(t, 0x80000010, &h, 4, &err) == 0);
	CHECK(target_write_phys(t, 0x80003000, &v, 8, &err) < 0);
	target_close(t);
	/* the writes reached the file */
	snprintf(spec, sizeof(spec), "%s@0", path);
	t = target_mem_open(spec, &err);
	CHECK(t);
	CHECK(target_read_u64(t, 8, &r, &err) == 0);
	CHECK_EQ_U64(r, v);
	CHECK(target_read_u64(t, 16, &r, &err) == 0);
	CHECK_EQ_U64(r, 0xabcd);
	target_close(t);
}

static void bad_specs(void)
{
	struct fm_err err;

	snprintf(spec, sizeof(spec), "%s@zzz", path);
	CHECK(!target_mem_open(spec, &err));
	CHECK(strstr(err.msg, "'zzz' is not a physical base address"));
	snprintf(spec, sizeof(spec), "%s@", path);
	CHECK(!target_mem_open(spec, &err));
	CHECK(!target_mem_open("/nonexistent/fixmap-mem", &err));
	CHECK(strstr(err.msg, "No such file"));
	CHECK(!target_mem_open("@0x40000000", &err));
	CHECK(strstr(err.msg, "no file name"));
	CHECK(!target_mem_open("/tmp", &err));
	snprintf(spec, sizeof(spec), "%s@0xfffffffffffff000", path);
	CHECK(!target_mem_open(spec, &err));
	CHECK(strstr(err.msg, "wraps"));
}

int main(void)
{
	make_file();
	RUN(default_base_and_reads);
	RUN(physbase_and_write);
	RUN(bad_specs);
	unlink(path);
	return UNIT_EXIT();
}
