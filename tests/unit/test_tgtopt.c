/* SPDX-License-Identifier: MIT */
/*
 * Common target options: getopt_long integration, values, errors naming the
 * word; the one way to find the agent, and waiting for one still booting.
 */
#include "agent.h"
#include "fake_agent.h"
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
			"0xff00", "--vttbr", "1", "--vtcr", "2", "--ttbr1", "3", "-j",
			"--agent", "0x40232000", "--wait", "2.5", NULL};
	struct tgtopt o;
	struct fm_err err;

	CHECK(parse(&o, 24, argv, &err) == 0);
	CHECK(o.agent_pa_given);
	CHECK_EQ_U64(o.agent_pa, 0x40232000);
	CHECK(o.wait == 2.5);
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
	char *a6[] = {"dump", "--agent", "0x40232004", NULL};
	char *a7[] = {"dump", "--wait", "-1", NULL};
	char *a8[] = {"dump", "--wait", "5s", NULL};

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
	CHECK(parse(&o, 3, a6, &err) < 0);
	CHECK(strstr(err.msg, "--agent '0x40232004'"));
	CHECK(parse(&o, 3, a7, &err) < 0);
	CHECK(strstr(err.msg, "--wait '-1'"));
	CHECK(parse(&o, 3, a8, &err) < 0);
	CHECK(strstr(err.msg, "--wait '5s'"));
	tgtopt_init(&o);
	CHECK(o.wait == TGTOPT_DEFAULT_WAIT);
}

static struct fake_target f;
static struct agent_state st;

/* By --agent, and by a scan of RAM; a wrong address is an error at once. */
static void finds_agent_by_pa_and_by_scan(void)
{
	struct tgtopt o;
	struct fm_err err;

	fake_init(&f, 2);
	tgtopt_init(&o);
	o.agent_pa = FAKE_BASE + FAKE_HDR_OFF;
	o.agent_pa_given = true;
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == 0);
	CHECK_EQ_U64(st.ncpus, 2);
	tgtopt_init(&o);
	memset(&st, 0, sizeof(st));
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == 0);
	CHECK_EQ_U64(st.pa, FAKE_BASE + FAKE_HDR_OFF);
	o.agent_pa = FAKE_BASE + 8;
	o.agent_pa_given = true;
	memset(f.mem + 8, 0xaa, 8);
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == -1);
	CHECK(strstr(err.msg, "magic is 0xaaaaaaaaaaaaaaaa"));
	/* No header and no agent image: no agent, said at once. */
	fake_hdr(&f)->magic = 0;
	tgtopt_init(&o);
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == -1);
	CHECK(strstr(err.msg, "no agent header"));
	fake_free(&f);
}

/* The agent publishes its header (magic last) after a few looks. */
static unsigned publish_after;
static void publish_late(struct fake_target *ft)
{
	if (publish_after && !--publish_after)
		fake_hdr(ft)->magic = FIXMAP_MAGIC;
}

static void waits_for_a_booting_agent(void)
{
	struct fixmap_image_note note = {FIXMAP_NOTE_MAGIC, FAKE_BASE + FAKE_HDR_OFF};
	struct tgtopt o;
	struct fm_err err;

	fake_init(&f, 2);
	fake_hdr(&f)->magic = 0;
	f.on_batch = publish_late;
	/* At a known address (--agent, or --elf's symbol). */
	tgtopt_init(&o);
	o.agent_pa = FAKE_BASE + FAKE_HDR_OFF;
	o.agent_pa_given = true;
	o.wait = 30;
	publish_after = 10;
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == 0);
	CHECK_EQ_U64(st.ncpus, 2);
	/* Found by a scan: the image's note says where the header will be. */
	fake_hdr(&f)->magic = 0;
	memcpy(f.mem + 0x100, &note, sizeof(note));
	tgtopt_init(&o);
	o.wait = 30;
	publish_after = 10;
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == 0);
	CHECK_EQ_U64(st.pa, FAKE_BASE + FAKE_HDR_OFF);
	/* Never published: the deadline, and what to do about it. */
	fake_hdr(&f)->magic = 0;
	publish_after = 0;
	o.wait = 0.1;
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == -1);
	CHECK(strstr(err.msg, "did not publish its header within 0.1 s"));
	CHECK(strstr(err.msg, "--wait"));
	/* --wait 0: one look only. */
	o.wait = 0;
	publish_after = 100;
	CHECK(tgtopt_find_agent(&o, &f.t, NULL, "test", &st, &err) == -1);
	CHECK(publish_after > 90);
	fake_free(&f);
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
	CHECK(tgtopt_el2_vhe(&o, &t, "test") == 0);
	hcr_value |= 1ull << 34; /* HCR_EL2.E2H */
	CHECK(tgtopt_el2_vhe(&o, &t, "test") == 1);
	/* a TCR given on the command line is the user's word */
	o.reg_given[TGTOPT_TCR] = true;
	CHECK(tgtopt_el2_vhe(&o, &t, "test") == 0);
}

int main(void)
{
	RUN(all_options);
	RUN(bad_values_name_the_word);
	RUN(open_needs_one_target);
	RUN(numbers_and_ranges);
	RUN(detects_vhe);
	RUN(finds_agent_by_pa_and_by_scan);
	RUN(waits_for_a_booting_agent);
	RUN(kaslr_offset);
	return UNIT_EXIT();
}
