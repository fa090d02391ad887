/* SPDX-License-Identifier: MIT */
/* Common target options: getopt_long integration, values, errors naming the word. */
#include "tgtopt.h"
#include "unit.h"

static int parse(struct tgtopt *o, int argc, char **argv, struct fm_err *err)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, TGTOPT_LONGOPTS, {0}};
	int c;

	tgtopt_init(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		int r;

		if (c == 'j')
			continue;
		if (c == '?' || c == ':')
			return tgtopt_bad_option(argv, optind, optopt, err);
		r = tgtopt_option(o, c, optarg, err);
		if (r <= 0)
			return -1;
	}
	return 0;
}

static void all_options(void)
{
	char *argv[] = {"dump", "--gdb", "localhost:1234", "--elf", "a.elf", "--cpu", "3",
			"--stay-stopped", "--ttbr=0x40001000", "--tcr", "0x80853519", "--mair",
			"0xff00", "--vttbr", "1", "--vtcr", "2", "--ttbr1", "3", "-j", NULL};
	struct tgtopt o;
	struct fm_err err;

	CHECK(parse(&o, 20, argv, &err) == 0);
	CHECK_STR(o.gdb, "localhost:1234");
	CHECK_STR(o.elf, "a.elf");
	CHECK_EQ_U64(o.cpu, 3);
	CHECK(o.cpu_given && o.stay_stopped);
	CHECK(o.reg_given[TGTOPT_TTBR] && o.reg_given[TGTOPT_TCR] && o.reg_given[TGTOPT_MAIR]);
	CHECK_EQ_U64(o.reg[TGTOPT_TTBR], 0x40001000);
	CHECK_EQ_U64(o.reg[TGTOPT_TCR], 0x80853519);
	CHECK_EQ_U64(o.reg[TGTOPT_VTTBR], 1);
	CHECK_EQ_U64(o.reg[TGTOPT_VTCR], 2);
	CHECK_EQ_U64(o.reg[TGTOPT_TTBR1], 3);
}

static void bad_values_name_the_word(void)
{
	struct tgtopt o;
	struct fm_err err;
	char *a1[] = {"dump", "--cpu", "x1", NULL};
	char *a2[] = {"dump", "--tcr", "0x1g", NULL};
	char *a3[] = {"dump", "--gdb", "1234", NULL};
	char *a4[] = {"dump", "--bogus", NULL};
	char *a5[] = {"dump", "--mem", NULL};

	CHECK(parse(&o, 3, a1, &err) < 0);
	CHECK(strstr(err.msg, "--cpu 'x1'"));
	CHECK(parse(&o, 3, a2, &err) < 0);
	CHECK(strstr(err.msg, "--tcr '0x1g'"));
	CHECK(parse(&o, 3, a3, &err) < 0);
	CHECK(strstr(err.msg, "HOST:PORT"));
	CHECK(parse(&o, 2, a4, &err) < 0);
	CHECK(strstr(err.msg, "--bogus"));
	CHECK(parse(&o, 2, a5, &err) < 0);
	CHECK(strstr(err.msg, "--mem"));
}

static void open_needs_one_target(void)
{
	struct tgtopt o;
	struct fm_err err;

	tgtopt_init(&o);
	CHECK(!tgtopt_open(&o, &err));
	CHECK(strstr(err.msg, "no target"));
	o.gdb = "h:1";
	o.mem = "f";
	CHECK(!tgtopt_open(&o, &err));
	CHECK(strstr(err.msg, "not both"));
}

static void numbers_and_ranges(void)
{
	uint64_t lo, hi;

	CHECK(tgtopt_parse_u64("0x10", &lo) == 0 && lo == 16);
	CHECK(tgtopt_parse_u64("", &lo) < 0);
	CHECK(tgtopt_parse_u64("-1", &lo) < 0);
	CHECK(tgtopt_parse_u64("0x1ffffffffffffffff", &lo) < 0);
	CHECK(tgtopt_parse_range("0x1000-0x1fff", &lo, &hi) == 0);
	CHECK_EQ_U64(lo, 0x1000);
	CHECK_EQ_U64(hi, 0x1fff);
	CHECK(tgtopt_parse_range("0x1000+0x1000", &lo, &hi) == 0);
	CHECK_EQ_U64(hi, 0x1fff);
	CHECK(tgtopt_parse_range("0xffff800008000000-0xffffffffffffffff", &lo, &hi) == 0);
	CHECK_EQ_U64(hi, ~0ull);
	CHECK(tgtopt_parse_range("0x2000-0x1000", &lo, &hi) < 0);
	CHECK(tgtopt_parse_range("0x2000", &lo, &hi) < 0);
	CHECK(tgtopt_parse_range("0xffffffffffffffff+2", &lo, &hi) < 0);
	CHECK(tgtopt_parse_range("1+0", &lo, &hi) < 0);
}

/* A target whose only system register is HCR_EL2. */
static uint64_t hcr_value;
static int hcr_sysreg(struct target *t, unsigned cpu, const char *name, uint64_t *val,
		      struct fm_err *err)
{
	(void)t;
	(void)cpu;
	if (strcmp(name, "HCR_EL2"))
		return fm_err_set(err, "no %s", name);
	*val = hcr_value;
	return 0;
}
static const struct target_ops hcr_ops = {.kind = "hcr", .sysreg = hcr_sysreg};

static void kaslr_offset(void)
{
	struct tgtopt o;
	struct fm_err err = {{0}};
	char *a1[] = {"walk", "--kaslr-offset", "0x2ac07f400000", NULL};
	char *a2[] = {"walk", "--kaslr-offset=-0x10000", NULL};
	char *a3[] = {"walk", "--kaslr-offset", "1k", NULL};

	CHECK(parse(&o, 3, a1, &err) == 0);
	CHECK(o.kaslr_given);
	CHECK_EQ_U64(o.kaslr_offset, 0x2ac07f400000ull);
	CHECK(parse(&o, 2, a2, &err) == 0);
	CHECK_EQ_U64(o.kaslr_offset, 0 - 0x10000ull);
	CHECK(parse(&o, 3, a3, &err) < 0);
	CHECK(strstr(err.msg, "--kaslr-offset '1k'"));
}

static void detects_vhe(void)
{
	struct target t = {.ops = &hcr_ops};
	struct tgtopt o;

	tgtopt_init(&o);
	hcr_value = 0x30080080001ull; /* pKVM's host: E2H clear */
	CHECK(tgtopt_el2_vhe(&o, &t) == 0);
	hcr_value |= 1ull << 34; /* HCR_EL2.E2H */
	CHECK(tgtopt_el2_vhe(&o, &t) == 1);
	/* a TCR given on the command line is the user's word */
	o.reg_given[TGTOPT_TCR] = true;
	CHECK(tgtopt_el2_vhe(&o, &t) == 0);
}

int main(void)
{
	RUN(all_options);
	RUN(bad_values_name_the_word);
	RUN(open_needs_one_target);
	RUN(numbers_and_ranges);
	RUN(detects_vhe);
	RUN(kaslr_offset);
	return UNIT_EXIT();
}
