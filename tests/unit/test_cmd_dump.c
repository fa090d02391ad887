/* SPDX-License-Identifier: MIT */
/*
 * fixmapctl dump over a memory file holding a fake agent's shared area
 * (tests/unit/fake_agent.h) and its EL2 table: the slot table, the agent's
 * recorded registers standing in for system registers, and the errors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmds.h"
#include "fake_agent.h"
#include "unit.h"

static char path[64], out[1 << 16];

#define ROOT 0x40010000ull /* level 1 (T0SZ 25) */
#define L2 0x40011000ull
#define L3 0x40012000ull
#define TCR 0x80853519ull

static void put(struct fake_target *f, uint64_t pa, uint64_t v)
{
	memcpy(f->mem + (pa - FAKE_BASE), &v, 8);
}

/* Two CPUs: CPU 0's slot maps 0x40020000, CPU 1's is unmapped but the agent's copy lags. */
static void make_image(void)
{
	struct fake_target f;
	int fd;

	fake_init(&f, 2);
	put(&f, ROOT + 2 * 8, L2 | 3); /* VA 0x80000000 */
	put(&f, L2, L3 | 3);
	put(&f, L3, 0x40020000ull | 0x747);
	for (unsigned i = 0; i < 2; i++) {
		struct fixmap_cpu *c = fake_cpu(&f, i);

		c->pte_pa = L3 + i * 8;
		c->pte = i == 0 ? 0x40020747 : 0x40021747;
		c->mair_el2 = 0xff00;
		c->tcr_el2 = TCR;
		c->ttbr0_el2 = ROOT;
		c->maps = 10 + i;
		c->unmaps = 9 + i;
		c->produced = 100 + i;
		c->lost = i;
	}
	strcpy(path, "/tmp/fixmap-unit-dump-XXXXXX");
	fd = mkstemp(path);
	if (write(fd, f.mem, f.size) != (ssize_t)f.size)
		abort();
	close(fd);
	fake_free(&f);
}

/* Runs fixmapctl dump with args; stdout into out[]. */
static int run(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[8] = {"dump", "--mem", path};
	int argc = 3, saved, fd, rc;
	ssize_t n;

	if (a1)
		argv[argc++] = (char *)a1;
	if (a2)
		argv[argc++] = (char *)a2;
	if (a3)
		argv[argc++] = (char *)a3;
	if (a4)
		argv[argc++] = (char *)a4;
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	dup2(fd, 1);
	rc = cmd_dump(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static void slot_table_json(void)
{
	CHECK(run("-j", NULL, NULL, NULL) == 0);
	CHECK(strstr(out, "{\"cpu\":0,\"online\":true,\"slot_va\":\"0x80000000\",\"pte_pa\":\"0x40012000\","
			  "\"pte\":\"0x40020747\",\"valid\":true,\"oa\":\"0x40020000\",\"memtype\":\"Normal WB\","
			  "\"events\":100,\"lost\":0,\"maps\":10,\"unmaps\":9,\"pending\":0,\"attrs\":\"RW SHD AF"));
	/* CPU 1: the live entry is invalid; the agent's copy is shown beside it */
	CHECK(strstr(out, "{\"cpu\":1,\"online\":true,\"slot_va\":\"0x80001000\",\"pte_pa\":\"0x40012008\","
			  "\"pte\":\"0x0\",\"recorded_pte\":\"0x40021747\",\"valid\":false,\"oa\":null"));
	CHECK(strstr(out, "\"lost\":1"));
	CHECK(strstr(out, "\"desc\":{\"raw\":\"0x40020747\",\"kind\":\"page\""));
}

static void slot_table_text(void)
{
	CHECK(run(NULL, NULL, NULL, NULL) == 0);
	CHECK(strstr(out, "# agent at 0x40002000: protocol 1.2, running, mode local, 2 of 2 CPUs"));
	CHECK(strstr(out, "  0  0x0000000080000000  0x40012000    0x0000000040020747  0x40020000  "));
	CHECK(strstr(out, "(agent recorded 0x40021747)"));
	/* --cpu picks one row */
	CHECK(run("--cpu", "1", NULL, NULL) == 0);
	CHECK(!strstr(out, "0x0000000080000000"));
	CHECK(strstr(out, "0x0000000080001000"));
}

static void el2_table_from_agent_registers(void)
{
	CHECK(run("--regime", "el2", NULL, NULL) == 0);
	CHECK(strstr(out, "# el2 TTBR0_EL2=0x40010000 TCR_EL2=0x80853519 MAIR=0xff00: 4k granule, 39-bit"));
	CHECK(strstr(out, "0x0000000080000000-0x0000000080001000         4K L3  0x40020000   RW SHD AF "
			  "MEM/NORMAL"));
	/* a command-line value wins over the agent's */
	CHECK(run("--regime", "el2", "--mair", "0") == 0);
	CHECK(strstr(out, "MAIR=0:"));
	CHECK(run("--regime", "el2", "--cpu", "5") == 2);
}

static void no_agent(void)
{
	char *argv[] = {"dump", "--mem", "/dev/null", NULL};

	CHECK(cmd_dump(3, argv) == 2);
}

int main(void)
{
	make_image();
	RUN(slot_table_json);
	RUN(slot_table_text);
	RUN(el2_table_from_agent_registers);
	RUN(no_agent);
	unlink(path);
	return UNIT_EXIT();
}
