/* SPDX-License-Identifier: MIT */
/* rsp.c framing, hex, stop replies and target-description parsing, on byte buffers. */
#include <stdlib.h>

#include "rsp.h"
#include "unit.h"

/* Feeds a whole string; returns the last non-NONE event and how many there were. */
static enum rsp_frame_ev feed(struct rsp_framer *f, const char *s, size_t n, int *events)
{
	enum rsp_frame_ev last = RSP_FR_NONE, e;

	*events = 0;
	for (size_t i = 0; i < n; i++) {
		e = rsp_framer_feed(f, (uint8_t)s[i]);
		if (e != RSP_FR_NONE) {
			last = e;
			(*events)++;
		}
	}
	return last;
}

#define FEED(f, s, ev) feed(f, s, sizeof(s) - 1, ev)

static void checksum_of_known_packets(void)
{
	CHECK_EQ_U64(rsp_checksum("OK", 2), 0x9a);
	CHECK_EQ_U64(rsp_checksum("qSupported", 10), 0x37);
	CHECK_EQ_U64(rsp_checksum("", 0), 0);
}

static void plain_packet(void)
{
	char buf[64];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(FEED(&f, "$OK#9a", &n), RSP_FR_PACKET);
	CHECK_EQ_U64(n, 1);
	CHECK_STR(buf, "OK");
	CHECK_EQ_U64(f.len, 2);
	/* upper-case checksum digits are accepted too */
	CHECK_EQ_U64(FEED(&f, "$OK#9A", &n), RSP_FR_PACKET);
	/* empty packet (the "unsupported" answer) */
	CHECK_EQ_U64(FEED(&f, "$#00", &n), RSP_FR_PACKET);
	CHECK_EQ_U64(f.len, 0);
}

static void acks_and_stray_bytes(void)
{
	char buf[64];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(rsp_framer_feed(&f, '+'), RSP_FR_ACK);
	CHECK_EQ_U64(rsp_framer_feed(&f, '-'), RSP_FR_NAK);
	/* garbage between packets is skipped and counted */
	CHECK_EQ_U64(FEED(&f, "xyz\r\n\x03" "$OK#9a", &n), RSP_FR_PACKET);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_U64(f.stray, 6);
	CHECK_STR(buf, "OK");
	/* `+`/`-` inside a packet are data, not acks */
	CHECK_EQ_U64(FEED(&f, "$+-#58", &n), RSP_FR_PACKET);
	CHECK_EQ_U64(n, 1);
	CHECK_STR(buf, "+-");
}

static void bad_checksum(void)
{
	char buf[64];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(FEED(&f, "$OK#9b", &n), RSP_FR_BADSUM);
	/* non-hex checksum digits */
	CHECK_EQ_U64(FEED(&f, "$OK#zz", &n), RSP_FR_BADSUM);
	CHECK_EQ_U64(FEED(&f, "$OK#9z", &n), RSP_FR_BADSUM);
	/* the framer recovers for the next packet */
	CHECK_EQ_U64(FEED(&f, "$OK#9a", &n), RSP_FR_PACKET);
	CHECK_STR(buf, "OK");
}

static void escapes(void)
{
	char buf[64], out[64];
	struct rsp_framer f;
	const char data[] = "a$b#c}d*e";
	size_t len;
	int n;

	/* `}` escapes the next byte XOR 0x20; the checksum covers the raw bytes */
	len = rsp_frame_encode(data, sizeof(data) - 1, out, sizeof(out));
	CHECK_EQ_U64(len, 1 + 9 + 4 + 3);
	out[len] = '\0';
	CHECK_STR(out, "$a}\x04" "b}\x03" "c}]d}\x0a" "e#" "51");
	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(feed(&f, out, len, &n), RSP_FR_PACKET);
	CHECK_EQ_U64(f.len, 9);
	CHECK(!memcmp(buf, data, 9));
	/* encode reports the size it needs without writing past cap */
	CHECK_EQ_U64(rsp_frame_encode(data, sizeof(data) - 1, out, 4), 17);
}

static void run_length(void)
{
	char buf[64], pkt[32];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	/* "0* " is "0000": ' ' (32) - 29 = 3 more copies */
	snprintf(pkt, sizeof(pkt), "$0* #%02x", rsp_checksum("0* ", 3));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt), &n), RSP_FR_PACKET);
	CHECK_STR(buf, "0000");
	/* several runs, the last at the end */
	snprintf(pkt, sizeof(pkt), "$a*!bc*\"#%02x", rsp_checksum("a*!bc*\"", 7));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt), &n), RSP_FR_PACKET);
	CHECK_STR(buf, "aaaaabcccccc");
	/* a run with nothing before it is malformed */
	snprintf(pkt, sizeof(pkt), "$* #%02x", rsp_checksum("* ", 2));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt), &n), RSP_FR_MALFORMED);
	/* a non-printable count is malformed */
	snprintf(pkt, sizeof(pkt), "$a*\x01#%02x", rsp_checksum("a*\x01", 3));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt), &n), RSP_FR_MALFORMED);
}

static void truncated_and_oversized(void)
{
	char buf[8], big[64];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	/* a `$` inside a packet: the first was cut short, the second is fine */
	CHECK_EQ_U64(FEED(&f, "$O$OK#9a", &n), RSP_FR_PACKET);
	CHECK_EQ_U64(n, 2);
	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(rsp_framer_feed(&f, '$'), RSP_FR_NONE);
	CHECK_EQ_U64(rsp_framer_feed(&f, 'x'), RSP_FR_NONE);
	CHECK_EQ_U64(rsp_framer_feed(&f, '$'), RSP_FR_TRUNCATED);
	/* longer than the buffer (7 bytes + NUL): reported, never written past */
	memset(big, 'a', 20);
	snprintf(big + 20, sizeof(big) - 20, "#%02x", rsp_checksum(big, 20));
	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(rsp_framer_feed(&f, '$'), RSP_FR_NONE);
	CHECK_EQ_U64(feed(&f, big, strlen(big), &n), RSP_FR_OVERSIZE);
	CHECK_EQ_U64(f.len, 7);
	/* a run-length expansion past the buffer too */
	snprintf(big, sizeof(big), "$a*~#%02x", rsp_checksum("a*~", 3));
	CHECK_EQ_U64(feed(&f, big, strlen(big), &n), RSP_FR_OVERSIZE);
	/* and the framer works afterwards */
	CHECK_EQ_U64(FEED(&f, "$OK#9a", &n), RSP_FR_PACKET);
	CHECK_STR(buf, "OK");
}

static void notifications(void)
{
	char buf[64], pkt[64];
	struct rsp_framer f;
	int n;

	rsp_framer_init(&f, buf, sizeof(buf));
	snprintf(pkt, sizeof(pkt), "%%Stop:T05#%02x$OK#9a", rsp_checksum("Stop:T05", 8));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt), &n), RSP_FR_PACKET);
	CHECK_EQ_U64(n, 2);
	rsp_framer_init(&f, buf, sizeof(buf));
	CHECK_EQ_U64(feed(&f, pkt, strlen(pkt) - 6, &n), RSP_FR_NOTIFY);
}

/* The buffer fast path must give the same events and data as byte-at-a-time. */
static void feed_buf_matches_bytes(void)
{
	static const char stream[] = "+$OK#9a-junk$a}\x04b*\"#00$0123456789abcdef0* #f2$x$OK#9a%n#6e"
				     "$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa#ff";
	char b1[16], b2[16];
	struct rsp_framer f1, f2;
	size_t n = sizeof(stream) - 1;
	int events = 0;

	for (size_t split = 1; split <= n; split++) {
		size_t i = 0, k = 0;

		rsp_framer_init(&f1, b1, sizeof(b1));
		rsp_framer_init(&f2, b2, sizeof(b2));
		while (k < n) {
			enum rsp_frame_ev e1 = RSP_FR_NONE, e2;
			size_t len = n - k < split ? n - k : split;
			size_t used = rsp_framer_feed_buf(&f2, (const uint8_t *)stream + k, len, &e2);

			CHECK(used >= 1 && used <= len);
			k += used;
			while (i < k && e1 == RSP_FR_NONE)
				e1 = rsp_framer_feed(&f1, (uint8_t)stream[i++]);
			CHECK_EQ_U64(i, k);
			CHECK_EQ_U64(e1, e2);
			if (e1 != RSP_FR_NONE)
				events++;
			if (e1 == RSP_FR_PACKET || e1 == RSP_FR_NOTIFY) {
				CHECK_EQ_U64(f1.len, f2.len);
				CHECK(!memcmp(b1, b2, f1.len));
			}
		}
	}
	CHECK(events > 0);
}

static void hex_decode(void)
{
	uint8_t out[4];

	CHECK_EQ_U64(rsp_hex_decode("00ff7A", 6, out, sizeof(out)), 3);
	CHECK_EQ_U64(out[0], 0);
	CHECK_EQ_U64(out[1], 0xff);
	CHECK_EQ_U64(out[2], 0x7a);
	CHECK_EQ_U64(rsp_hex_decode("0", 1, out, sizeof(out)), (uint64_t)-1);
	CHECK_EQ_U64(rsp_hex_decode("0g", 2, out, sizeof(out)), (uint64_t)-1);
	CHECK_EQ_U64(rsp_hex_decode("0011223344", 10, out, sizeof(out)), (uint64_t)-1);
	CHECK_EQ_U64(rsp_hex_decode("", 0, out, sizeof(out)), 0);
}

static void stop_replies(void)
{
	CHECK(rsp_is_stop_reply("T02thread:p01.01;", 17));
	CHECK(rsp_is_stop_reply("S05", 3));
	CHECK(rsp_is_stop_reply("W00", 3));
	CHECK(!rsp_is_stop_reply("S05x", 4));
	CHECK(!rsp_is_stop_reply("OK", 2));
	CHECK(!rsp_is_stop_reply("E22", 3));
	CHECK(!rsp_is_stop_reply("", 0));
	CHECK(!rsp_is_stop_reply("0102", 4)); /* an `m` reply never looks like one */
	CHECK(!rsp_is_stop_reply("Tx1", 3));
}

static const char core_xml[] =
	"<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
	"<feature name=\"org.gnu.gdb.aarch64.core\">\n"
	"  <!-- <reg name=\"commented\" bitsize=\"64\"/> -->\n"
	"  <reg name=\"x0\" bitsize=\"64\"/>\n"
	"  <reg name='x1' bitsize='64' type=\"uint64\"/>\n"
	"  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"</feature>\n";

static const char sys_xml[] = "<feature name=\"org.qemu.gdb.arm.sys.regs\">"
			      "<reg name=\"SCTLR_EL2\" bitsize=\"64\" regnum=\"200\" "
			      "group=\"cp_regs\"/>"
			      "<reg name=\"TTBR0_EL2\" bitsize=\"64\" regnum=\"0x1f0\"/>"
			      "<reg name=\"NEXT\" bitsize=\"32\"/></feature>";

static int include_fake(void *arg, struct rsp_tdesc *d, const char *href, struct fm_err *err)
{
	int *calls = arg;

	(*calls)++;
	if (!strcmp(href, "core.xml"))
		return rsp_tdesc_parse(d, core_xml, sizeof(core_xml) - 1, include_fake, arg, err);
	if (!strcmp(href, "system-registers.xml"))
		return rsp_tdesc_parse(d, sys_xml, sizeof(sys_xml) - 1, include_fake, arg, err);
	if (!strcmp(href, "self.xml")) {
		static const char self[] = "<xi:include href=\"self.xml\"/>";
		return rsp_tdesc_parse(d, self, sizeof(self) - 1, include_fake, arg, err);
	}
	return fm_err_set(err, "no %s", href);
}

static void tdesc_numbers_and_includes(void)
{
	static const char target[] = "<target><architecture>aarch64</architecture>"
				     "<xi:include href=\"core.xml\"/>"
				     "<xi:include href=\"system-registers.xml\"/></target>";
	struct rsp_tdesc d = {0};
	struct fm_err err = {{0}};
	const struct rsp_reg *r;
	int calls = 0;

	CHECK(rsp_tdesc_parse(&d, target, sizeof(target) - 1, include_fake, &calls, &err) == 0);
	CHECK_EQ_U64(calls, 2);
	CHECK_EQ_U64(d.n, 6);
	CHECK((r = rsp_tdesc_find(&d, "x0")) && r->regnum == 0);
	CHECK((r = rsp_tdesc_find(&d, "pc")) && r->regnum == 2 && r->bitsize == 64);
	CHECK(rsp_tdesc_find(&d, "commented") == NULL);
	CHECK((r = rsp_tdesc_find(&d, "sctlr_el2")) && r->regnum == 200);
	CHECK((r = rsp_tdesc_find(&d, "TTBR0_EL2")) && r->regnum == 0x1f0);
	/* a <reg> without regnum follows the previous one */
	CHECK((r = rsp_tdesc_find(&d, "NEXT")) && r->regnum == 0x1f1 && r->bitsize == 32);
	rsp_tdesc_free(&d);
}

static void tdesc_errors(void)
{
	struct rsp_tdesc d = {0};
	struct fm_err err = {{0}};
	int calls = 0;
	static const char loop[] = "<xi:include href=\"self.xml\"/>";
	static const char noname[] = "<feature>\n<reg bitsize=\"64\"/></feature>";
	static const char badbits[] = "<reg name=\"a\" bitsize=\"x\"/>";
	static const char unterminated[] = "<feature><reg name=\"a\" bitsize=\"64\"";
	static const char badquote[] = "<reg name=\"a bitsize=\"64\"/>";

	/* an include loop ends at the nesting limit */
	CHECK(rsp_tdesc_parse(&d, loop, sizeof(loop) - 1, include_fake, &calls, &err) == -1);
	CHECK(strstr(err.msg, "too deep"));
	rsp_tdesc_free(&d);
	CHECK(rsp_tdesc_parse(&d, noname, sizeof(noname) - 1, NULL, NULL, &err) == -1);
	CHECK(strstr(err.msg, "line 2"));
	CHECK(rsp_tdesc_parse(&d, badbits, sizeof(badbits) - 1, NULL, NULL, &err) == -1);
	CHECK(strstr(err.msg, "bitsize"));
	CHECK(rsp_tdesc_parse(&d, unterminated, sizeof(unterminated) - 1, NULL, NULL, &err) == -1);
	CHECK(strstr(err.msg, "unterminated"));
	CHECK(rsp_tdesc_parse(&d, badquote, sizeof(badquote) - 1, NULL, NULL, &err) == -1);
	/* includes without a resolver are refused */
	CHECK(rsp_tdesc_parse(&d, loop, sizeof(loop) - 1, NULL, NULL, &err) == -1);
	rsp_tdesc_free(&d);
}

int main(void)
{
	RUN(checksum_of_known_packets);
	RUN(plain_packet);
	RUN(acks_and_stray_bytes);
	RUN(bad_checksum);
	RUN(escapes);
	RUN(run_length);
	RUN(truncated_and_oversized);
	RUN(notifications);
	RUN(feed_buf_matches_bytes);
	RUN(hex_decode);
	RUN(stop_replies);
	RUN(tdesc_numbers_and_includes);
	RUN(tdesc_errors);
	return UNIT_EXIT();
}
