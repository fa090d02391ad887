/* SPDX-License-Identifier: MIT */
/* Command-line options and control-block validation (agent/config.c). */
#include "config.h"
#include "unit.h"

static int parse(const char *s, struct agent_cfg *cfg, struct config_err *err)
{
	config_defaults(cfg);
	return config_parse_cmdline(s, strlen(s) + 1, 1, cfg, err);
}

static void test_defaults_and_others_words(void)
{
	struct agent_cfg c;
	struct config_err e;

	CHECK(parse("", &c, &e) == 0);
	CHECK_EQ_U64(c.mode, FIXMAP_MODE_broadcast);
	CHECK_EQ_U64(c.iters, 0);
	CHECK_EQ_U64(c.pool_pages, CONFIG_DEFAULT_POOL);
	CHECK(parse("console=ttyAMA0  earlycon\tquiet fixmapx=1", &c, &e) == 0);
}

static void test_options(void)
{
	struct agent_cfg c;
	struct config_err e;

	CHECK(parse("fixmap.mode=local fixmap.iters=1000 fixmap.pool=0x10", &c, &e) == 0);
	CHECK_EQ_U64(c.mode, FIXMAP_MODE_local);
	CHECK_EQ_U64(c.iters, 1000);
	CHECK_EQ_U64(c.pool_pages, 16);
	CHECK(parse("fixmap.mode=no_break", &c, &e) == 0);
	CHECK_EQ_U64(c.mode, FIXMAP_MODE_no_break);
	CHECK(parse("fixmap.mode=bad-ttl fixmap.mode=no-isb", &c, &e) == 0);
	CHECK_EQ_U64(c.mode, FIXMAP_MODE_no_isb);
	CHECK(parse("fixmap.iters=1099511627776", &c, &e) == 0);
	CHECK_EQ_U64(c.iters, FIXMAP_MAX_ITERS);
	CHECK_EQ_U64(c.fault, 0);
	CHECK(parse("fixmap.fault=abort", &c, &e) == 0);
	CHECK_EQ_U64(c.fault, 1);
	CHECK_EQ_U64(c.page_shift, 12);
	CHECK(parse("fixmap.granule=16k fixmap.lpa2=1 fixmap.vhe=1", &c, &e) == 0);
	CHECK(c.page_shift == 14 && c.lpa2 == 1 && c.vhe == 1);
	CHECK(parse("fixmap.granule=64k fixmap.lpa2=0", &c, &e) == 0);
	CHECK(c.page_shift == 16 && c.lpa2 == 0);
	for (unsigned m = 0; m < FIXMAP_NR_MODES; m++) {
		const char *n = config_mode_name(m);

		CHECK(config_mode_lookup(n, strlen(n)) == (int)m);
	}
	CHECK_STR(config_mode_name(FIXMAP_NR_MODES), "?");
}

static void check_bad(const char *line, const char *word)
{
	struct agent_cfg c;
	struct config_err e;

	config_defaults(&c);
	c.iters = 77;
	CHECK(config_parse_cmdline(line, strlen(line), 1, &c, &e) == -1);
	CHECK(e.len == strlen(word) && !memcmp(e.word, word, e.len));
	CHECK(e.why && *e.why);
	CHECK_EQ_U64(c.iters, 77); /* all or nothing */
}

static void test_bad_options(void)
{
	check_bad("fixmap.iters=5 fixmap.mode=bogus", "fixmap.mode=bogus");
	check_bad("fixmap.mode=", "fixmap.mode=");
	check_bad("fixmap.mode=local2", "fixmap.mode=local2");
	check_bad("fixmap.mode=loca", "fixmap.mode=loca");
	check_bad("fixmap.iters=12x", "fixmap.iters=12x");
	check_bad("fixmap.iters=-1", "fixmap.iters=-1");
	check_bad("fixmap.iters=0x", "fixmap.iters=0x");
	check_bad("fixmap.iters=1099511627777", "fixmap.iters=1099511627777");
	check_bad("fixmap.iters=99999999999999999999999", "fixmap.iters=99999999999999999999999");
	check_bad("fixmap.pool=0", "fixmap.pool=0");
	check_bad("fixmap.pool=1025", "fixmap.pool=1025");
	check_bad("fixmap.speed=3", "fixmap.speed=3");
	check_bad("fixmap.fault=yes", "fixmap.fault=yes");
	check_bad("fixmap.granule=8k", "fixmap.granule=8k");
	check_bad("fixmap.lpa2=2", "fixmap.lpa2=2");
	check_bad("fixmap.vhe=yes", "fixmap.vhe=yes");
	/* LPA2 with 64K contradicts itself, in either order */
	check_bad("fixmap.lpa2=1 fixmap.granule=64k", "fixmap.lpa2=1");
	check_bad("a fixmap.iters", "fixmap.iters");
	check_bad("fixmap.", "fixmap.");
}

static void test_ctrl(void)
{
	struct fixmap_ctrl r = {.mode = FIXMAP_MODE_no_tlbi, .iters = 5, .pause = 1, .pool_pages = 8};
	struct agent_cfg out = {0};

	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_OK);
	CHECK_EQ_U64(out.mode, FIXMAP_MODE_no_tlbi);
	CHECK_EQ_U64(out.iters, 5);
	CHECK_EQ_U64(out.pause, 1);
	CHECK_EQ_U64(out.pool_pages, 8);
	out.mode = 99;
	r.mode = FIXMAP_NR_MODES;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_EMODE);
	CHECK_EQ_U64(out.mode, 99); /* untouched */
	r.mode = 0;
	r.iters = FIXMAP_MAX_ITERS + 1;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_EITERS);
	r.iters = 0;
	r.pause = 2;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_EPAUSE);
	r.pause = 0;
	r.pool_pages = 3;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_EPOOL);
	r.pool_pages = FIXMAP_MAX_POOL_PAGES + 1;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_EPOOL);
	r.pool_pages = 4;
	r.reserved[3] = 1;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_ERESERVED);
	r.reserved[3] = 0;
	CHECK_EQ_U64(config_check_ctrl(&r, 4, &out), FIXMAP_CTRL_OK);
}

int main(void)
{
	RUN(test_defaults_and_others_words);
	RUN(test_options);
	RUN(test_bad_options);
	RUN(test_ctrl);
	return UNIT_EXIT();
}
