/* SPDX-License-Identifier: MIT */
/* Command-line and control-block configuration (see config.h). */
#include "config.h"

#include <stdbool.h>

static const char *const mode_names[FIXMAP_NR_MODES] = {
	[FIXMAP_MODE_broadcast] = "broadcast", [FIXMAP_MODE_local] = "local",
	[FIXMAP_MODE_no_break] = "no-break",   [FIXMAP_MODE_no_tlbi] = "no-tlbi",
	[FIXMAP_MODE_no_dsb] = "no-dsb",       [FIXMAP_MODE_bad_ttl] = "bad-ttl",
	[FIXMAP_MODE_no_isb] = "no-isb",
};

void config_defaults(struct agent_cfg *cfg)
{
	cfg->mode = FIXMAP_MODE_broadcast;
	cfg->pause = 0;
	cfg->iters = 0;
	cfg->pool_pages = CONFIG_DEFAULT_POOL;
	cfg->fault = 0;
	cfg->page_shift = 12;
	cfg->lpa2 = 0;
	cfg->vhe = 0;
}

const char *config_mode_name(unsigned mode)
{
	return mode < FIXMAP_NR_MODES ? mode_names[mode] : "?";
}

int config_mode_lookup(const char *name, size_t len)
{
	for (unsigned m = 0; m < FIXMAP_NR_MODES; m++) {
		const char *n = mode_names[m];
		size_t i;

		for (i = 0; i < len && n[i]; i++)
			if (name[i] != n[i] && !(name[i] == '_' && n[i] == '-'))
				break;
		if (i == len && !n[i])
			return (int)m;
	}
	return -1;
}

/* Decimal or 0x hexadecimal, no sign, no overflow, whole string. */
static bool parse_u64(const char *s, size_t len, uint64_t *v)
{
	unsigned base = 10;
	uint64_t x = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (x > (UINT64_MAX - d) / base)
			return false;
		x = x * base + d;
	}
	*v = x;
	return true;
}

static bool word_is(const char *w, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len && lit[i]; i++)
		if (w[i] != lit[i])
			return false;
	return i == len && !lit[i];
}

static int config_word(const char *w, size_t len, unsigned ncpus_max, struct agent_cfg *cfg,
		       struct config_err *err)
{
	size_t eq, klen;
	const char *val;
	size_t vlen;
	uint64_t v;

	err->word = w;
	err->len = len;
	for (eq = 0; eq < len && w[eq] != '='; eq++)
		;
	if (eq == len) {
		err->why = "expected fixmap.NAME=VALUE";
		return -1;
	}
	klen = eq;
	val = w + eq + 1;
	vlen = len - eq - 1;
	if (word_is(w, klen, "fixmap.mode")) {
		int m = config_mode_lookup(val, vlen);

		if (m < 0) {
			err->why = "unknown mode (broadcast, local, no-break, no-tlbi, no-dsb, "
				   "bad-ttl, no-isb)";
			return -1;
		}
		cfg->mode = (uint32_t)m;
	} else if (word_is(w, klen, "fixmap.iters")) {
		if (!parse_u64(val, vlen, &v) || v > FIXMAP_MAX_ITERS) {
			err->why = "iterations must be a number from 0 (forever) to 2^40";
			return -1;
		}
		cfg->iters = v;
	} else if (word_is(w, klen, "fixmap.pool")) {
		if (!parse_u64(val, vlen, &v) || v < ncpus_max || v > FIXMAP_MAX_POOL_PAGES) {
			err->why = "pool must be a number of pages from the CPU count to 1024";
			return -1;
		}
		cfg->pool_pages = (uint32_t)v;
	} else if (word_is(w, klen, "fixmap.fault")) {
		if (!word_is(val, vlen, "abort")) {
			err->why = "the only fault is abort";
			return -1;
		}
		cfg->fault = 1;
	} else if (word_is(w, klen, "fixmap.granule")) {
		if (word_is(val, vlen, "4k"))
			cfg->page_shift = 12;
		else if (word_is(val, vlen, "16k"))
			cfg->page_shift = 14;
		else if (word_is(val, vlen, "64k"))
			cfg->page_shift = 16;
		else {
			err->why = "the granule is 4k, 16k or 64k";
			return -1;
		}
	} else if (word_is(w, klen, "fixmap.lpa2") || word_is(w, klen, "fixmap.vhe")) {
		if (!parse_u64(val, vlen, &v) || v > 1) {
			err->why = "expected 0 or 1";
			return -1;
		}
		if (klen == 11)
			cfg->lpa2 = (uint32_t)v;
		else
			cfg->vhe = (uint32_t)v;
	} else {
		err->why = "unknown option (fixmap.mode, fixmap.iters, fixmap.pool, fixmap.fault, "
			   "fixmap.granule, fixmap.lpa2, fixmap.vhe)";
		return -1;
	}
	return 0;
}

int config_parse_cmdline(const char *s, size_t len, unsigned ncpus_max, struct agent_cfg *cfg,
			 struct config_err *err)
{
	struct agent_cfg tmp = *cfg;
	size_t i = 0;

	while (i < len && s[i]) {
		size_t start, wl;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		start = i;
		while (i < len && s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
			i++;
		wl = i - start;
		if (wl < 7 || !word_is(s + start, 7, "fixmap."))
			continue;
		if (config_word(s + start, wl, ncpus_max, &tmp, err))
			return -1;
	}
	if (tmp.lpa2 && tmp.page_shift == 16) {
		/* The whole line is the culprit: point at fixmap.lpa2's word. */
		err->why = "LPA2 (fixmap.lpa2=1) is defined for the 4k and 16k granules only";
		err->word = "fixmap.lpa2=1";
		err->len = 13;
		return -1;
	}
	*cfg = tmp;
	return 0;
}

unsigned config_check_ctrl(const struct fixmap_ctrl *req, unsigned ncpus, struct agent_cfg *out)
{
	/* One read of each field: the host may be writing while we look. */
	uint32_t mode = *(const volatile uint32_t *)&req->mode;
	uint64_t iters = *(const volatile uint64_t *)&req->iters;
	uint32_t pause = *(const volatile uint32_t *)&req->pause;
	uint32_t pool = *(const volatile uint32_t *)&req->pool_pages;

	if (mode >= FIXMAP_NR_MODES)
		return FIXMAP_CTRL_EMODE;
	if (iters > FIXMAP_MAX_ITERS)
		return FIXMAP_CTRL_EITERS;
	if (pause > 1)
		return FIXMAP_CTRL_EPAUSE;
	if (pool < ncpus || pool > FIXMAP_MAX_POOL_PAGES)
		return FIXMAP_CTRL_EPOOL;
	for (unsigned i = 0; i < sizeof(req->reserved) / sizeof(req->reserved[0]); i++)
		if (((const volatile uint64_t *)req->reserved)[i])
			return FIXMAP_CTRL_ERESERVED;
	out->mode = mode;
	out->iters = iters;
	out->pause = pause;
	out->pool_pages = pool;
	return FIXMAP_CTRL_OK;
}
