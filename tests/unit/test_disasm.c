/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <unistd.h>

#include "arm64.h"
#include "disasm.h"
#include "elfsym.h"
#include "unit.h"

static const char *text(uint64_t pc, uint32_t w)
{
	static char buf[96];
	uint8_t b[4] = {(uint8_t)w, (uint8_t)(w >> 8), (uint8_t)(w >> 16), (uint8_t)(w >> 24)};

	if (disasm_insn(pc, b, 4, buf, sizeof(buf)) != 4)
		return "(short)";
	return buf;
}

static void insn_text(void)
{
	uint8_t b[4] = {0};
	char buf[32];

	CHECK_STR(text(0, 0xd50c83a0), "tlbi vale2is, x0");
	CHECK_STR(text(0, 0xd50c87a1), "tlbi vale2, x1");
	CHECK_STR(text(0, 0xd508831f), "tlbi vmalle1is");
	/* Capstone 4 prints TLBI ALLE2OS and the range ops as SYS: ours names them. */
	CHECK_STR(text(0, 0xd50c811f), "tlbi alle2os");
	CHECK_STR(text(0, 0xd50c82a3), "tlbi rvale2is, x3");
	CHECK_STR(text(0, 0xd50c83bf), "tlbi vale2is, xzr");
	CHECK_STR(text(0, 0xd5033a9f), "dsb ishst");
	CHECK_STR(text(0, 0xd503379f), "dsb nsh");
	CHECK_STR(text(0, 0xd5033bbf), "dmb ish");
	CHECK_STR(text(0, 0xd5033fdf), "isb");
	CHECK_STR(text(0, 0xd65f03c0), "ret");
	CHECK_STR(text(0, 0xf9000001), "str x1, [x0]");
	CHECK_STR(text(0x40200000, 0x94000010), "bl #0x40200040");
	CHECK_STR(text(0, 0x00000000), ".inst 0x00000000");
	/* Words capstone 4 does not know, named by what their encoding does. */
	CHECK_STR(text(0, 0xb8200020), ".inst 0xb8200020  // store");  /* ldadd */
	CHECK_STR(text(0, 0xd65f0bff), ".inst 0xd65f0bff  // return"); /* retaa */
	CHECK(disasm_insn(0, b, 3, buf, sizeof(buf)) == 0);
	/* Truncation is safe. */
	CHECK(disasm_insn(0, (const uint8_t *)"\xa0\x83\x0c\xd5", 4, buf, 6) == 4);
	CHECK_STR(buf, "tlbi ");
}

static enum disasm_kind kind(uint32_t w)
{
	struct disasm_class c;

	disasm_classify(0x1000, w, &c);
	return c.kind;
}

static void classify_branches(void)
{
	struct disasm_class c;

	disasm_classify(0x1000, 0x14000010, &c); /* b #0x1040 */
	CHECK(c.kind == DISASM_BRANCH);
	CHECK_EQ_U64(c.target, 0x1040);
	disasm_classify(0x1000, 0x17ffffff, &c); /* b #0xffc */
	CHECK(c.kind == DISASM_BRANCH);
	CHECK_EQ_U64(c.target, 0xffc);
	disasm_classify(0x1000, 0x94000010, &c); /* bl */
	CHECK(c.kind == DISASM_CALL);
	CHECK_EQ_U64(c.target, 0x1040);
	disasm_classify(0x1000, 0x54000041, &c); /* b.ne #0x1008 */
	CHECK(c.kind == DISASM_CBRANCH);
	CHECK_EQ_U64(c.target, 0x1008);
	disasm_classify(0x1000, 0x54ffffe1, &c); /* b.ne #0xffc */
	CHECK(c.kind == DISASM_CBRANCH);
	CHECK_EQ_U64(c.target, 0xffc);
	disasm_classify(0x1000, 0x5400004e, &c); /* b.al: unconditional */
	CHECK(c.kind == DISASM_BRANCH);
	disasm_classify(0x1000, 0xb4000040, &c); /* cbz x0, #0x1008 */
	CHECK(c.kind == DISASM_CBRANCH);
	CHECK_EQ_U64(c.target, 0x1008);
	disasm_classify(0x1000, 0x3607ffe0, &c); /* tbz w0, #0, #0xffc */
	CHECK(c.kind == DISASM_CBRANCH);
	CHECK_EQ_U64(c.target, 0xffc);
	CHECK(kind(0xd65f03c0) == DISASM_RET);	   /* ret */
	CHECK(kind(0xd65f0bff) == DISASM_RET);	   /* retaa */
	CHECK(kind(0xd69f03e0) == DISASM_RET);	   /* eret */
	CHECK(kind(0xd61f0000) == DISASM_IBRANCH); /* br x0 */
	CHECK(kind(0xd63f0000) == DISASM_ICALL);   /* blr x0 */
	CHECK(kind(0xd4000002) == DISASM_ICALL);   /* hvc #0 */
	CHECK(kind(0xd4000003) == DISASM_ICALL);   /* smc #0 */
	CHECK(kind(0xd4200000) == DISASM_OTHER);   /* brk #0 */
}

static void classify_memory(void)
{
	struct disasm_class c;

	CHECK(kind(0xf9000001) == DISASM_STORE); /* str x1, [x0] */
	CHECK(kind(0xf9400001) == DISASM_OTHER); /* ldr x1, [x0] */
	CHECK(kind(0xb8000001) == DISASM_STORE); /* stur w1, [x0] */
	CHECK(kind(0xf8008401) == DISASM_STORE); /* str x1, [x0], #8 */
	CHECK(kind(0xf8226801) == DISASM_STORE); /* str x1, [x0, x2] */
	CHECK(kind(0xf8626801) == DISASM_OTHER); /* ldr x1, [x0, x2] */
	CHECK(kind(0x39000001) == DISASM_STORE); /* strb w1, [x0] */
	CHECK(kind(0x3d800001) == DISASM_STORE); /* str q1, [x0] */
	CHECK(kind(0x3dc00001) == DISASM_OTHER); /* ldr q1, [x0] */
	CHECK(kind(0xf9800000) == DISASM_OTHER); /* prfm pldl1keep, [x0] */
	CHECK(kind(0xa9007c1f) == DISASM_STORE); /* stp xzr, xzr, [x0] */
	CHECK(kind(0xa9407c1f) == DISASM_OTHER); /* ldp */
	CHECK(kind(0x88007c20) == DISASM_STORE); /* stxr w0, w0, [x1] */
	CHECK(kind(0x885f7c20) == DISASM_OTHER); /* ldxr w0, [x1] */
	CHECK(kind(0xc89ffc20) == DISASM_STORE); /* stlr x0, [x1] */
	CHECK(kind(0xc8dffc20) == DISASM_OTHER); /* ldar x0, [x1] */
	CHECK(kind(0xc8a07c41) == DISASM_STORE); /* cas x0, x1, [x2] */
	CHECK(kind(0xc8e07c41) == DISASM_STORE); /* casa x0, x1, [x2] */
	CHECK(kind(0x48207c82) == DISASM_STORE); /* casp x0, x1, x2, x3, [x4] */
	CHECK(kind(0xc87f0440) == DISASM_OTHER); /* ldxp x0, x1, [x2] */
	CHECK(kind(0xb8200020) == DISASM_STORE); /* ldadd w0, w0, [x1] */
	CHECK(kind(0xf8208020) == DISASM_STORE); /* swp x0, x0, [x1] */
	CHECK(kind(0xf8bfc020) == DISASM_OTHER); /* ldapr x0, [x1] */
	CHECK(kind(0x4c007000) == DISASM_STORE); /* st1 {v0.16b}, [x0] */
	CHECK(kind(0x4c407000) == DISASM_OTHER); /* ld1 {v0.16b}, [x0] */
	CHECK(kind(0xd50b7420) == DISASM_STORE); /* dc zva, x0 */
	CHECK(kind(0xd50b7e20) == DISASM_OTHER); /* dc civac, x0 */
	CHECK(kind(0xd503201f) == DISASM_OTHER); /* nop */
	CHECK(kind(0x58000040) == DISASM_OTHER); /* ldr x0, literal */
	disasm_classify(0, 0xd50c83a2, &c);
	CHECK(c.kind == DISASM_TLBI && c.opt == TLBI_vale2is && c.rt == 2);
	disasm_classify(0, 0xd5033a9f, &c);
	CHECK(c.kind == DISASM_DSB && c.opt == BAR_ISHST);
	disasm_classify(0, 0xd50339bf, &c);
	CHECK(c.kind == DISASM_DMB && c.opt == BAR_ISHLD);
	CHECK(kind(0xd5033fdf) == DISASM_ISB);
}

static void insn_at_address(void)
{
	static const uint8_t code[] = {0xa0, 0x83, 0x0c, 0xd5, 0x9f, 0x3b, 0x03, 0xd5, 0xc0};
	char path[] = "/tmp/fixmap-disasm-XXXXXX", buf[64];
	struct fm_err err;
	struct elfsym *e;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, code, sizeof(code)) == (ssize_t)sizeof(code));
	close(fd);
	e = elfsym_open_raw(path, 0x40200000, &err);
	unlink(path);
	CHECK(e);
	CHECK(disasm_at(e, 0x40200000, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "tlbi vale2is, x0");
	CHECK(disasm_at(e, 0x40200004, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "dsb ish");
	CHECK(disasm_at(e, 0x40200008, buf, sizeof(buf)) == -1); /* only 1 byte there */
	CHECK_STR(buf, "?");
	CHECK(disasm_at(e, 0x3ffffffc, buf, sizeof(buf)) == -1);
	CHECK(disasm_at(NULL, 0x40200000, buf, sizeof(buf)) == -1);
	elfsym_close(e);
}

int main(void)
{
	RUN(insn_text);
	RUN(classify_branches);
	RUN(classify_memory);
	RUN(insn_at_address);
	disasm_cleanup();
	return UNIT_EXIT();
}
