/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "arm64.h"
#include "trace_text.h"
#include "unit.h"

static struct fm_trace_ctx ctx;
static struct fm_err err;

/* Parses text fully; returns the number of events, or -1 with err set. */
static int parse_n(const char *text, size_t len, struct fm_event *evs, int max)
{
	FILE *f = fmemopen((void *)text, len, "r");
	struct trace_reader *r;
	struct fm_event ev;
	int n = 0, rc;

	err.msg[0] = '\0';
	fm_ctx_free(&ctx);
	if (!len)
		f = fopen("/dev/null", "r");
	r = trace_text_open(f, "t.trace", &ctx, &err);
	if (!r) {
		fclose(f);
		return -1;
	}
	while ((rc = trace_text_next(r, &ev, &err)) == 1) {
		if (n < max)
			evs[n] = ev;
		n++;
	}
	trace_text_close(r);
	fclose(f);
	return rc < 0 ? -1 : n;
}

static int parse(const char *text, struct fm_event *evs, int max)
{
	return parse_n(text, strlen(text), evs, max);
}

/* The input must fail with a message starting with want. */
static int fails_with(const char *text, const char *want)
{
	struct fm_event ev[4];

	if (parse(text, ev, 4) != -1) {
		printf("  accepted: %s\n", text);
		return 0;
	}
	if (strncmp(err.msg, want, strlen(want))) {
		printf("  message: %s\n  wanted:  %s\n", err.msg, want);
		return 0;
	}
	return 1;
}

#define H "fixmap-trace 1\ncpus 4\n"

static void seed_example(void)
{
	struct fm_event ev[16];
	const char *t = "# the seed\n"
			"fixmap-trace 1\n"
			"cpus 4\n"
			"table hyp regime=el2 shared\n"
			"c1 pte table=hyp va=0x80001000 level=3 old=0x0 new=0x41000743\n"
			"c1 dsb ishst   # comment\n"
			"\n"
			"c1 isb\n"
			"c1 tlbi vale2 va=0x80001000\n"
			"c1 tlbi vale2is va=0x80001000 ttl=7\n"
			"c2 access va=0x80001008 exec\n"
			"c3 free pa=4096\n";

	CHECK(parse(t, ev, 16) == 7);
	CHECK(ctx.ncpus == 4 && ctx.ntables == 1);
	CHECK(ctx.tables[0].regime == FM_REGIME_EL2 && ctx.tables[0].shared);
	CHECK(ctx.tables[0].cpus[0] == 0xf);
	CHECK(ev[0].type == FM_EV_PTE && ev[0].cpu == 1 && ev[0].level == 3);
	CHECK_EQ_U64(ev[0].va, 0x80001000);
	CHECK_EQ_U64(ev[0].new, 0x41000743);
	CHECK(ev[0].line == 5 && ev[0].seq == 1);
	CHECK(ev[1].type == FM_EV_DSB && ev[1].bar == BAR_ISHST && ev[1].line == 6);
	CHECK(ev[2].type == FM_EV_ISB && ev[2].line == 8);
	CHECK(ev[3].type == FM_EV_TLBI && ev[3].tlbi == TLBI_vale2);
	CHECK_EQ_U64(ev[3].arg, 0x80001);
	CHECK_EQ_U64(ev[4].arg, 0x700000080001ull);
	CHECK_EQ_U64(ev[4].va, 0x80001000);
	CHECK(ev[5].type == FM_EV_ACCESS && (ev[5].flags & FM_EVF_EXEC));
	CHECK(ev[6].type == FM_EV_FREE && ev[6].ptep == 4096);
}

static void defaults_and_declarations(void)
{
	struct fm_event ev[4];

	CHECK(parse(H "c3 isb\n", ev, 4) == 1);
	CHECK(ctx.ntables == 1);
	CHECK_STR(ctx.tables[0].name, "default");
	CHECK(ctx.tables[0].cpus[0] == 0xf);
	CHECK(parse(H "table a regime=s2 private cpus=1,3\ntable b shared regime=el1 cpus=0-2\n"
		      "feature ttl\nfeature bbm=2\nfeature ets2\nfeature cnp=0\n"
		      "c0 pte table=b va=0 level=0 old=0 new=3\n",
		    ev, 4) == 1);
	CHECK(ctx.ntables == 2 && ev[0].table == 1);
	CHECK(ctx.tables[0].cpus[0] == 0xa && !ctx.tables[0].shared);
	CHECK(ctx.tables[1].cpus[0] == 0x7 && ctx.tables[1].regime == FM_REGIME_EL1);
	CHECK(ctx.features == (FM_FEAT_TTL | FM_FEAT_ETS2) && ctx.bbm_level == 2);
	/* A header with declarations and no events is a valid, empty trace. */
	CHECK(parse(H, ev, 4) == 0);
}

static void tlbi_operands(void)
{
	struct fm_event ev[8];

	CHECK(parse(H "c0 tlbi alle2is\n"
		      "c0 tlbi rvae2is arg=0x0000400000080001\n"
		      "c0 tlbi ipas2e1is va=0x40000000 vmid=3\n"
		      "c0 tlbi vae1is va=0xffff800008010000 asid=5\n"
		      "c0 tlbi aside1is asid=7\n"
		      "c0 tlbi vale2is arg=0x700000080001\n",
		    ev, 8) == 6);
	CHECK(ev[0].tlbi == TLBI_alle2is && ev[0].arg == 0);
	CHECK_EQ_U64(ev[1].va, 0x80001000);
	CHECK_EQ_U64(arm64_tlbi_range_bytes(ev[1].arg), 2 * 4096);
	CHECK(ev[2].vmid == 3 && (ev[2].flags & FM_EVF_VMID));
	CHECK_EQ_U64(ev[2].arg, 0x40000);
	CHECK_EQ_U64(ev[3].va, 0xffff800008010000ull);
	CHECK_EQ_U64(TLBI_ASID(ev[3].arg), 5);
	CHECK_EQ_U64(ev[4].arg, 7ull << 48);
	CHECK(arm64_tlbi_ttl_level(ev[5].tlbi, ev[5].arg) == 3);
}

static void writer_round_trip(void)
{
	const char *t =
	    "fixmap-trace 1\ncpus 3\n"
	    "table hyp regime=el2 shared cpus=0-2\n"
	    "table g regime=s2 private cpus=1\n"
	    "feature ttl\n"
	    "c1 pte va=0x80001000 level=3 old=0x0 new=0x41000743 table=hyp ptep=0x40003008\n"
	    "c1 dsb ishst\nc1 dmb ld\nc1 isb\n"
	    "c1 tlbi vale2is va=0x80001000 ttl=7\n"
	    "c0 tlbi ipas2e1is va=0x40000000 vmid=2\n"
	    "c0 tlbi rvale2is arg=0x400000080001\n"
	    "c0 tlbi vmalls12e1is\n"
	    "c2 access va=0x80001000 exec\nc2 free pa=0x41000000\n";
	struct fm_event ev[16];
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int n = parse(t, ev, 16);

	CHECK(n == 10);
	f = open_memstream(&out, &len);
	trace_text_write_header(f, &ctx);
	for (int i = 0; i < n; i++)
		trace_text_write_event(f, &ctx, &ev[i]);
	fclose(f);
	CHECK_STR(out, t);
	free(out);
}

/* Found by fuzz_trace_text: a range TLBI with a zero operand was written without arg=. */
static void writer_zero_range_operand(void)
{
	const char *t = "fixmap-trace 1\ncpus 1\nc0 tlbi rvae2is arg=0x0\nc0 tlbi vae2 arg=0x0\n";
	struct fm_event ev[4], back[4];
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(parse(t, ev, 4) == 2);
	f = open_memstream(&out, &len);
	trace_text_write_header(f, &ctx);
	for (int i = 0; i < 2; i++)
		trace_text_write_event(f, &ctx, &ev[i]);
	fclose(f);
	CHECK(strstr(out, "rvae2is arg=0x0\n"));
	CHECK(parse(out, back, 4) == 2);
	CHECK_EQ_U64(back[0].tlbi, ev[0].tlbi);
	CHECK_EQ_U64(back[0].arg, 0);
	CHECK_EQ_U64(back[1].arg, 0);
	free(out);
}

/* A raw operand with bits [63:48] set for an op that takes no ASID (all ASIDs, by
 * IPA) was written as asid=, which the reader refuses for those ops (found by
 * fuzz_bbm). */
static void writer_no_asid_ops(void)
{
	const char *t = "fixmap-trace 1\ncpus 1\nc0 tlbi vaae1is arg=0x0001000000080000\n"
			"c0 tlbi ipas2e1is arg=0x0002000000080000\nc0 tlbi vae1is arg=0x0003000000080000\n";
	struct fm_event ev[4], back[4];
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(parse(t, ev, 4) == 3);
	f = open_memstream(&out, &len);
	trace_text_write_header(f, &ctx);
	for (int i = 0; i < 3; i++)
		trace_text_write_event(f, &ctx, &ev[i]);
	fclose(f);
	CHECK(strstr(out, "c0 tlbi vaae1is arg=0x1000000080000\n"));
	CHECK(strstr(out, "c0 tlbi vae1is va=0x80000000 asid=3\n"));
	CHECK(parse(out, back, 4) == 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U64(back[i].arg, ev[i].arg);
	free(out);
}


/*
 * A recorder's context: events before its first table, one dynamic table
 * declared between events. A reader has the implicit table for those first
 * events, so the writer names the dynamic one on its pte and unseen lines
 * (EDK2's recording: a TLBI before the MMU was on, then one root).
 */
static void writer_names_a_late_table(void)
{
	struct fm_trace_ctx w = {.ncpus = 1};
	struct fm_table_decl *d;
	struct fm_event ev[4];
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	trace_text_write_header(f, &w);
	trace_text_write_event(f, &w, &(struct fm_event){.type = FM_EV_TLBI, .tlbi = TLBI_alle2});
	d = fm_ctx_add_table(&w);
	CHECK(d != NULL);
	snprintf(d->name, sizeof(d->name), "el2-0x47fff000");
	d->dynamic = true;
	trace_text_write_event(f, &w, &(struct fm_event){.type = FM_EV_TABLE, .table = 0});
	trace_text_write_event(f, &w, &(struct fm_event){.type = FM_EV_USE, .table = 0});
	trace_text_write_event(f, &w,
			       &(struct fm_event){.type = FM_EV_PTE, .table = 0, .level = 2,
						  .va = 0x47600000, .old = 0x4760070d});
	fclose(f);
	CHECK(strstr(out, "c0 pte va=0x47600000 level=2 old=0x4760070d new=0x0 table=el2-0x47fff000\n"));
	CHECK(parse(out, ev, 4) == 4);
	CHECK(ctx.ntables == 2 && ev[3].type == FM_EV_PTE && ev[3].table == 1);
	free(out);
	fm_ctx_free(&w);
}

/* DESIGN.md section 3a: every addition parsed, and written back as it was read. */
static void additions_3a(void)
{
	const char *t = "fixmap-trace 1\n"
			"cpus 2\n"
			"table host regime=el20 dynamic asid=1\n"
			"table big regime=el2 shared cpus=0-1 lpa2\n"
			"table g16 regime=el1 private cpus=1 granule=16k\n"
			"c0 use table=host pc=0xffff800008001000\n"
			"c0 pte va=0x0 level=-1 old=0x41000003 new=0x0 table=big pc=0x1234\n"
			"c1 lost count=7\n"
			"table s2-0x48000000 regime=s2 dynamic vmid=3\n"
			"c1 use table=s2-0x48000000 vmid=4\n"
			"c0 unseen va=0x80004000 level=3 new=0x41004743 table=g16\n"
			"c1 access va=0x400000 table=host\n"
			"c1 tlbi vale2is va=0x80004000 pc=0x40\n"
			"cut\n";
	struct fm_event ev[16];
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int n = parse(t, ev, 16);

	CHECK(n == 9);
	CHECK(ctx.ntables == 4 && ctx.cut);
	CHECK(ctx.tables[0].dynamic && ctx.tables[0].regime == FM_REGIME_EL20);
	CHECK(ctx.tables[0].has_asid && ctx.tables[0].asid == 1 && !ctx.tables[0].has_vmid);
	CHECK(ctx.tables[1].granule == FM_GRANULE_4K && ctx.tables[1].lpa2);
	CHECK(ctx.tables[2].granule == FM_GRANULE_16K && !ctx.tables[2].lpa2);
	CHECK(ctx.tables[3].has_vmid && ctx.tables[3].vmid == 3);
	CHECK(ev[0].type == FM_EV_USE && ev[0].table == 0 && (ev[0].flags & FM_EVF_PC));
	CHECK_EQ_U64(ev[0].pc, 0xffff800008001000ull);
	CHECK(ev[1].type == FM_EV_PTE && ev[1].level == -1 && ev[1].table == 1);
	CHECK(ev[2].type == FM_EV_LOST && ev[2].arg == 7 && ev[2].cpu == 1);
	CHECK(ev[3].type == FM_EV_TABLE && ev[3].table == 3 && ev[3].line == 9);
	CHECK(ev[4].type == FM_EV_USE && ev[4].table == 3 && (ev[4].flags & FM_EVF_VMID));
	CHECK(ev[4].vmid == 4);
	CHECK(ev[5].type == FM_EV_UNSEEN && ev[5].level == 3 && ev[5].new == 0x41004743);
	CHECK(ev[6].type == FM_EV_ACCESS && (ev[6].flags & FM_EVF_TABLE) && ev[6].table == 0);
	CHECK(ev[7].type == FM_EV_TLBI && ev[7].pc == 0x40);
	CHECK(ev[8].type == FM_EV_CUT);
	/* Written back: the header as it was before the first event, the rest in place. */
	struct fm_trace_ctx hdr = ctx;
	hdr.ntables = 3;
	hdr.cut = false;
	f = open_memstream(&out, &len);
	trace_text_write_header(f, &hdr);
	for (int i = 0; i < n; i++)
		trace_text_write_event(f, &ctx, &ev[i]);
	fclose(f);
	CHECK_STR(out, "fixmap-trace 1\n"
		       "cpus 2\n"
		       "table host regime=el20 dynamic asid=1\n"
		       "table big regime=el2 shared cpus=0-1 lpa2\n"
		       "table g16 regime=el1 private cpus=1 granule=16k\n"
		       "c0 use table=host pc=0xffff800008001000\n"
		       "c0 pte va=0x0 level=-1 old=0x41000003 new=0x0 table=big pc=0x1234\n"
		       "c1 lost count=7\n"
		       "table s2-0x48000000 regime=s2 dynamic vmid=3\n"
		       "c1 use table=s2-0x48000000 vmid=4\n"
		       "c0 unseen va=0x80004000 level=3 new=0x41004743 table=g16\n"
		       "c1 access va=0x400000 table=host\n"
		       "c1 tlbi vale2is va=0x80004000 pc=0x40\n"
		       "cut\n");
	free(out);
}

static void additions_3a_errors(void)
{
	CHECK(fails_with(H "table a regime=el2 dynamic cpus=0\n",
			 "t.trace:3: table: a dynamic table takes no cpus="));
	CHECK(fails_with(H "table a regime=el2 dynamic asid=1\n",
			 "t.trace:3: table: asid= applies to regime=el1 and el20 only"));
	CHECK(fails_with(H "table a regime=el20 dynamic vmid=1\n",
			 "t.trace:3: table: vmid= applies to regime=el1 and s2 only"));
	CHECK(fails_with(H "table a regime=el2 shared granule=64k lpa2\n",
			 "t.trace:3: table: lpa2 (TCR.DS = 1) applies to the 4k and 16k"));
	CHECK(fails_with(H "table a regime=el2 shared granule=8k\n",
			 "t.trace:3: table: expected granule=4k, 16k or 64k"));
	CHECK(fails_with(H "c0 pte va=0 level=-1 old=0 new=0\n",
			 "t.trace:3: pte: table default (4k granule) has no level -1"));
	CHECK(fails_with(H "table g regime=el2 shared granule=64k\nc0 pte va=0 level=0 old=0 new=0\n",
			 "t.trace:4: pte: table g (64k granule) has no level 0"));
	CHECK(fails_with(H "table g regime=el2 shared granule=16k\n"
			   "c0 pte va=0x1000 level=3 old=0 new=0\n",
			 "t.trace:4: pte: va=0x1000 is not aligned to the 16 KiB"));
	CHECK(fails_with(H "c0 pte va=0 level=-2 old=0 new=0\n", "t.trace:3: pte: expected level=-1"));
	CHECK(fails_with(H "c0 use table=default\n", "t.trace:3: use: table default is not dynamic"));
	CHECK(fails_with(H "table a regime=el2 dynamic\nc0 use table=a asid=1\n",
			 "t.trace:4: use: asid= applies to regime=el1 and el20 only"));
	CHECK(fails_with(H "table a regime=el1 dynamic\ntable s regime=s2 dynamic\n"
			   "c0 use table=a replaces=s\n",
			 "t.trace:5: use: replaces=s is a table of another regime than a"));
	CHECK(fails_with(H "table a regime=el1 dynamic\nc0 use table=a replaces=z\n",
			 "t.trace:4: use: replaces=z is not declared"));
	CHECK(fails_with(H "c0 use\n", "t.trace:3: use: expected table=NAME"));
	CHECK(fails_with(H "c0 lost\n", "t.trace:3: lost: expected count=C"));
	CHECK(fails_with(H "c0 lost count=0\n", "t.trace:3: lost: count=0"));
	CHECK(fails_with(H "c0 unseen va=0 level=3\n", "t.trace:3: unseen: expected new="));
	CHECK(fails_with(H "c0 isb pc=1 pc=2\n", "t.trace:3: pc= given twice"));
	CHECK(fails_with(H "c0 isb pc=x\n", "t.trace:3: expected a number (decimal or 0x hex) for pc"));
	CHECK(fails_with(H "cut x\n", "t.trace:3: cut: expected nothing after cut"));
	CHECK(fails_with(H "cut\nc0 isb\ncut\n", "t.trace:5: cut is declared twice"));
	CHECK(fails_with(H "c0 isb\nfeature ttl\n", "t.trace:4: 'feature' declarations must come"));
	CHECK(fails_with(H "c0 isb\ntable a regime=el2 shared\ntable a regime=el2 shared\n",
			 "t.trace:5: table a is declared twice"));
	CHECK(fails_with(H "c0 isb\ntable a regime=el2 shared cpus=7\n",
			 "t.trace:4: table a: cpus= names a CPU beyond cpus 4"));
	CHECK(fails_with(H "table a regime=el2 shared\ntable b regime=el2 shared\n"
			   "c0 access va=0 table=c\n",
			 "t.trace:5: access: table=c is not declared"));
}

static void header_errors(void)
{
	CHECK(fails_with("", "t.trace:1: empty file: expected 'fixmap-trace 1'"));
	CHECK(fails_with("# only\n\n", "t.trace:2: no header before end of file"));
	CHECK(fails_with("cpus 4\n", "t.trace:1: expected 'fixmap-trace 1' as the first line"));
	CHECK(fails_with("fixmap-trace 2\n", "t.trace:1: trace format version '2' is not"));
	CHECK(fails_with("fixmap-trace 1 x\n", "t.trace:1: expected 'fixmap-trace 1'"));
	CHECK(fails_with("fixmap-trace 1\n", "t.trace:1: expected 'cpus N'"));
	CHECK(fails_with("fixmap-trace 1\nc0 isb\n", "t.trace:2: expected 'cpus N' before"));
	CHECK(fails_with(H "fixmap-trace 1\n", "t.trace:3: 'fixmap-trace' header given twice"));
	CHECK(fails_with("\x7f\x45LF\x01\x02\n", "t.trace:1: unexpected byte 0x7f"));
	CHECK(fails_with("fixmap-trace 1\ncpus\t4\xff\n", "t.trace:2: unexpected byte 0xff"));
	struct fm_event ev[1];
	CHECK(parse_n("fixmap-trace 1\0\n", 16, ev, 1) == -1);
	CHECK_STR(err.msg, "t.trace:1: unexpected byte 0x00: expected text (a trace line is ASCII "
			   "outside comments)");
}

static void declaration_errors(void)
{
	CHECK(fails_with(H "cpus 2\n", "t.trace:3: cpus is declared twice"));
	CHECK(fails_with("fixmap-trace 1\ncpus 0\n", "t.trace:2: cpus 0: expected at least"));
	CHECK(fails_with("fixmap-trace 1\ncpus 257\n", "t.trace:2: cpus 257 is out of range"));
	CHECK(fails_with("fixmap-trace 1\ncpus x\n", "t.trace:2: expected a number"));
	CHECK(fails_with("fixmap-trace 1\ncpus\n", "t.trace:2: expected 'cpus N'"));
	CHECK(fails_with(H "table\n", "t.trace:3: expected 'table NAME"));
	CHECK(fails_with(H "table a/b regime=el2 shared\n", "t.trace:3: expected 'table NAME"));
	CHECK(fails_with(H "table a regime=el3 shared\n", "t.trace:3: table: expected regime=el2"));
	CHECK(fails_with(H "table a shared\n", "t.trace:3: table: expected regime="));
	CHECK(fails_with(H "table a regime=el2\n", "t.trace:3: table: expected shared, private or dynamic"));
	CHECK(fails_with(H "table a regime=el2 shared private\n", "t.trace:3: table: give one"));
	CHECK(fails_with(H "table a regime=el2 private\n", "t.trace:3: table: a private table"));
	CHECK(fails_with(H "table a regime=el2 shared cpus=0-9\nc0 isb\n",
			 "t.trace:3: table a: cpus= names a CPU beyond"));
	CHECK(fails_with(H "table a regime=el2 shared cpus=3-1\n", "t.trace:3: cpus=: expected"));
	CHECK(fails_with(H "table a regime=el2 shared cpus=1,\n", "t.trace:3: cpus=: expected"));
	CHECK(fails_with(H "table a regime=el2 shared cpus=999\n", "t.trace:3: cpus=: CPU 999"));
	CHECK(fails_with(H "table a regime=el2 shared foo=1\n", "t.trace:3: table: unknown key"));
	CHECK(fails_with(H "table a regime=el2 shared regime=el1\n",
			 "t.trace:3: table: regime= given twice"));
	CHECK(fails_with(H "table a regime=el2 shared\ntable a regime=el2 shared\n",
			 "t.trace:4: table a is declared twice"));
	CHECK(fails_with(H "feature lpa2\n", "t.trace:3: unknown feature 'lpa2'"));
	CHECK(fails_with(H "feature bbm\n", "t.trace:3: feature bbm: expected bbm=0"));
	CHECK(fails_with(H "feature bbm=3\n", "t.trace:3: feature bbm 3 is out of range"));
	CHECK(fails_with(H "feature ttl=2\n", "t.trace:3: feature value 2 is out of range"));
	CHECK(fails_with(H "feature\n", "t.trace:3: expected 'feature NAME[=VALUE]'"));
	CHECK(fails_with(H "bogus\n", "t.trace:3: expected a declaration"));
	CHECK(fails_with(H "c0 isb\ncpus 4\n", "t.trace:4: 'cpus' declarations must come"));
	CHECK(fails_with(H "c0 isb\nbogus\n", "t.trace:4: expected an event"));
}

static void event_errors(void)
{
	CHECK(fails_with(H "c4 isb\n", "t.trace:3: CPU c4 does not exist"));
	CHECK(fails_with(H "c99999999999999999999 isb\n", "t.trace:3: CPU c9999"));
	CHECK(fails_with(H "c01 isb\n", "t.trace:3: expected an event 'cN OP ...'"));
	CHECK(fails_with(H "c1x isb\n", "t.trace:3: expected an event 'cN OP ...'"));
	CHECK(fails_with(H "c1\n", "t.trace:3: expected an operation after c1"));
	CHECK(fails_with(H "c1 jump\n", "t.trace:3: unknown operation 'jump'"));
	CHECK(fails_with(H "c1 isb sy\n", "t.trace:3: isb: expected nothing"));
	CHECK(fails_with(H "c1 dsb\n", "t.trace:3: dsb: expected one domain"));
	CHECK(fails_with(H "c1 dsb ishh\n", "t.trace:3: dsb: expected one domain"));
	CHECK(fails_with(H "c1 dmb ish st\n", "t.trace:3: dmb: expected one domain"));
	CHECK(fails_with(H "c1 pte va=0 level=3 old=0\n", "t.trace:3: pte: expected new="));
	CHECK(fails_with(H "c1 pte va=0 level=4 old=0 new=0\n", "t.trace:3: pte: expected level=-1, 0, 1, 2 or 3, found level=4"));
	CHECK(fails_with(H "c1 pte va=0x1000 level=2 old=0 new=0\n",
			 "t.trace:3: pte: va=0x1000 is not aligned to the 2 MiB"));
	CHECK(fails_with(H "c1 pte va=0 level=3 old=0 new=0x10000000000000000\n",
			 "t.trace:3: new 0x10000000000000000 is out of range"));
	CHECK(fails_with(H "c1 pte va=18446744073709551616 level=3 old=0 new=0\n",
			 "t.trace:3: va 18446744073709551616 is out of range"));
	CHECK(fails_with(H "c1 pte va=0x level=3 old=0 new=0\n", "t.trace:3: expected a number"));
	CHECK(fails_with(H "c1 pte va=-1 level=3 old=0 new=0\n", "t.trace:3: expected a number"));
	CHECK(fails_with(H "c1 pte va=0 va=0 level=3 old=0 new=0\n", "t.trace:3: pte: va= given"));
	CHECK(fails_with(H "c1 pte va=0 level=3 old=0 new=0 color=red\n",
			 "t.trace:3: pte: unknown key 'color'"));
	CHECK(fails_with(H "c1 pte va=0 level=3 old=0 new=0 table=x\n",
			 "t.trace:3: pte: table=x is not declared"));
	CHECK(fails_with(H "table a regime=el2 shared\ntable b regime=el2 shared\n"
			   "c1 pte va=0 level=3 old=0 new=0\n",
			 "t.trace:5: pte: expected table=NAME"));
	CHECK(fails_with(H "c1 pte va=0 level=3 old=0 new=0 junk\n",
			 "t.trace:3: pte: expected key=value"));
	CHECK(fails_with(H "c1 access\n", "t.trace:3: access: expected va=VA"));
	CHECK(fails_with(H "c1 access va=0 exec exec\n", "t.trace:3: access: expected key=value"));
	CHECK(fails_with(H "c1 free\n", "t.trace:3: free: expected pa=PA"));
	CHECK(fails_with(H "c1 free pa=0x1 va=0\n", "t.trace:3: free: unknown key 'va'"));
}

static void tlbi_errors(void)
{
	CHECK(fails_with(H "c1 tlbi\n", "t.trace:3: tlbi: expected 'cN tlbi OP"));
	CHECK(
	    fails_with(H "c1 tlbi VALE2IS va=0\n", "t.trace:3: unknown TLBI operation 'VALE2IS'"));
	CHECK(fails_with(H "c1 tlbi vale9 va=0\n", "t.trace:3: unknown TLBI operation 'vale9'"));
	CHECK(fails_with(H "c1 tlbi vale2is\n", "t.trace:3: tlbi vale2is: expected va="));
	CHECK(fails_with(H "c1 tlbi vale2is va=0 arg=0\n", "t.trace:3: tlbi vale2is: give either"));
	CHECK(fails_with(H "c1 tlbi vale2is va=0 ttl=16\n", "t.trace:3: ttl 16 is out of range"));
	CHECK(fails_with(H "c1 tlbi vae1is va=0 asid=65536\n", "t.trace:3: asid 65536 is out"));
	CHECK(fails_with(H "c1 tlbi vaae1is va=0 asid=1\n", "t.trace:3: tlbi vaae1is: asid="));
	CHECK(fails_with(H "c1 tlbi ipas2e1is va=0 asid=1\n", "t.trace:3: tlbi ipas2e1is: asid="));
	CHECK(fails_with(H "c1 tlbi alle2is va=0\n", "t.trace:3: tlbi alle2is: takes no address"));
	CHECK(fails_with(H "c1 tlbi rvae2is va=0\n", "t.trace:3: tlbi rvae2is: a range operation"));
	CHECK(fails_with(H "c1 tlbi aside1is\n", "t.trace:3: tlbi aside1is: expected asid=N"));
	CHECK(fails_with(H "c1 tlbi aside1is va=0\n", "t.trace:3: tlbi aside1is: takes asid="));
	CHECK(fails_with(H "c1 tlbi vale2is va=0 vmid=1\n", "t.trace:3: tlbi vale2is: vmid="));
	CHECK(fails_with(H "c1 tlbi vale2is va=0 size=1\n", "t.trace:3: tlbi: unknown key 'size'"));
}

static void long_lines(void)
{
	size_t n = 10u << 20;
	char *big = malloc(n + 64);

	CHECK(big != NULL);
	strcpy(big, H "# ");
	memset(big + strlen(big), 'x', n);
	strcpy(big + strlen(H) + 2 + n, "\nc0 isb\n");
	if (!fails_with(big, "t.trace:3: line longer than 4096 bytes")) {
		free(big);
		CHECK(0);
	}
	/* A 4096-byte line is still fine; a last line without newline too. */
	memset(big, ' ', 4096);
	memcpy(big, H, strlen(H));
	memcpy(big + 4090, "c0 isb", 6);
	big[4096] = '\0';
	struct fm_event ev[2];
	int r = parse(big, ev, 2);
	free(big);
	CHECK(r == 0 || r == 1);
}

int main(void)
{
	RUN(seed_example);
	RUN(defaults_and_declarations);
	RUN(tlbi_operands);
	RUN(writer_round_trip);
	RUN(writer_zero_range_operand);
	RUN(writer_names_a_late_table);
	RUN(writer_no_asid_ops);
	RUN(header_errors);
	RUN(declaration_errors);
	RUN(event_errors);
	RUN(tlbi_errors);
	RUN(long_lines);
	RUN(additions_3a);
	RUN(additions_3a_errors);
	fm_ctx_free(&ctx);
	return UNIT_EXIT();
}
