/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for QEMU's gdbstub that misbehaves on purpose, for
 * tests/e2e/gdb-faults.sh. It speaks enough of the protocol for the gdb target
 * to open (qSupported, ?, thread list, Qqemu.PhyMemMode, target description,
 * Hg, p, m, M, c, D, ^C) and injects one fault, on `m` requests unless the mode
 * says otherwise:
 *
 *   ok            behaves (replies use run-length encoding)
 *   noqemu        no Qqemu.PhyMemMode: the client must fall back to virtual reads
 *   noack         never sends `+` (replies only)
 *   e22           refuses reads over 0x400 bytes with E22 (PacketSize says more)
 *   e14           every read fails with E14
 *   badsum        every read reply has a wrong checksum, resent ones too
 *   badsum-once   the first read reply has a wrong checksum
 *   nak           answers `-` to every read request
 *   truncated     each read reply is cut short, then sent whole
 *   oversize      a 300 KiB reply
 *   silence       acks reads but never answers
 *   silence-open  never answers anything, not even qSupported
 *   disconnect    closes the connection in the middle of a read reply
 *   reset         resets the connection (RST) on a read
 *   garbage       64 KiB of random bytes instead of a reply
 *   trickle       one stray byte every 50 ms instead of a reply, forever
 *
 * Usage: faultstub MODE PORTFILE    listens on 127.0.0.1 (a port the kernel
 *        picks, written to PORTFILE), serves one connection, then exits and
 *        prints "phymem=N" (QEMU's physical-memory flag at the end) on stdout.
 *        faultstub --pattern ADDR LEN FILE   writes the memory the stub serves.
 * It exits by itself after 30 s whatever happens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fd = -1;
static const char *mode;
static int phymem;
static char last[400 * 1024]; /* last packet sent, for `-` */
static size_t last_len;
static bool faulted_once;

static uint8_t mem_byte(uint64_t addr)
{
	/* runs of 16 equal bytes, so replies have something to run-length encode */
	return (uint8_t)((addr >> 4) * 37 + 11);
}

static bool is(const char *m)
{
	return !strcmp(mode, m);
}

static void put_raw(const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			exit(0); /* the client went away */
		}
		c += w;
		n -= (size_t)w;
	}
}

/* Frames data with run-length encoding of runs of 4 or more characters. */
static size_t frame(const char *data, size_t len, char *out, bool bad_sum)
{
	size_t n = 0;
	uint8_t sum = 0;

	out[n++] = '$';
	for (size_t i = 0; i < len;) {
		size_t run = 1;
		char c = data[i];

		while (i + run < len && data[i + run] == c && run < 98)
			run++;
		/* count char = run - 1 + 29; avoid '#' and '$' (6 and 7 repeats) */
		if (run >= 4 && run - 1 != 6 && run - 1 != 7 && c != '$' && c != '#' &&
		    c != '}' && c != '*') {
			out[n++] = c;
			out[n++] = '*';
			out[n++] = (char)(run - 1 + 29);
			sum += (uint8_t)c + '*' + (uint8_t)(run - 1 + 29);
			i += run;
			continue;
		}
		if (c == '$' || c == '#' || c == '}' || c == '*') {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = c;
		sum += (uint8_t)c;
		i++;
	}
	if (bad_sum)
		sum ^= 0x55;
	n += (size_t)sprintf(out + n, "#%02x", sum);
	return n;
}

static void put_packet(const char *data, size_t len, bool bad_sum)
{
	last_len = frame(data, len, last, bad_sum);
	put_raw(last, last_len);
}

static void put_str(const char *s)
{
	put_packet(s, strlen(s), false);
}

static void ack(void)
{
	if (!is("noack"))
		put_raw("+", 1);
}

static const char target_xml[] =
	"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target><architecture>aarch64</architecture>"
	"<xi:include href=\"core.xml\"/><xi:include href=\"system-registers.xml\"/></target>";
static const char core_xml[] = "<feature name=\"org.gnu.gdb.aarch64.core\">"
			       "<reg name=\"x0\" bitsize=\"64\"/><reg name=\"pc\" bitsize=\"64\"/>"
			       "</feature>";
static const char sys_xml[] = "<feature name=\"org.qemu.gdb.arm.sys.regs\">"
			      "<reg name=\"TTBR0_EL2\" bitsize=\"64\" regnum=\"42\"/>"
			      "<reg name=\"TCR_EL2\" bitsize=\"64\"/></feature>";

static void xfer(const char *annex, unsigned long off, unsigned long len)
{
	const char *doc = !strcmp(annex, "target.xml")		  ? target_xml
			  : !strcmp(annex, "core.xml")		  ? core_xml
			  : !strcmp(annex, "system-registers.xml") ? sys_xml
								  : NULL;
	static char buf[8192];
	size_t dl;

	if (!doc) {
		put_str("E00");
		return;
	}
	dl = strlen(doc);
	if (off >= dl) {
		put_str("l");
		return;
	}
	if (len > dl - off)
		len = dl - off;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[0] = off + len >= dl ? 'l' : 'm';
	memcpy(buf + 1, doc + off, len);
	put_packet(buf, len + 1, false);
}

static void read_mem(uint64_t addr, unsigned long len)
{
	static char hex[2 * 0x10000 + 1];
	static char big[300 * 1024];

	if (is("e14")) {
		put_str("E14");
		return;
	}
	if (is("e22") && len > 0x400) {
		put_str("E22");
		return;
	}
	if (len > 0x10000) {
		put_str("E22");
		return;
	}
	for (unsigned long i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", mem_byte(addr + i));
	if (is("silence"))
		return;
	if (is("oversize")) {
		memset(big, 'a', sizeof(big));
		put_packet(big, sizeof(big), false);
		return;
	}
	if (is("disconnect")) {
		char out[2 * 0x10000 + 16];
		size_t n = frame(hex, 2 * len, out, false);

		put_raw(out, n / 2);
		usleep(100000);
		close(fd); /* now, not after the sanitizers' exit-time checks */
		exit(0);
	}
	if (is("reset")) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
		exit(0);
	}
	if (is("garbage")) {
		static uint8_t g[65536];

		for (size_t i = 0; i < sizeof(g); i++)
			g[i] = (uint8_t)rand();
		put_raw(g, sizeof(g));
		return;
	}
	if (is("trickle")) {
		for (;;) {
			put_raw("x", 1);
			usleep(50000);
		}
	}
	if (is("truncated")) {
		char cut[16];

		put_raw(cut, (size_t)snprintf(cut, sizeof(cut), "$%.8s", hex));
	}
	put_packet(hex, 2 * len, is("badsum") || (is("badsum-once") && !faulted_once));
	faulted_once = true;
}

static void write_mem(const char *args)
{
	uint64_t addr;
	unsigned long len;
	int pos = 0;

	if (sscanf(args, "%" SCNx64 ",%lx:%n", &addr, &len, &pos) != 2 || !pos ||
	    strlen(args + pos) != 2 * len)
		put_str("E01");
	else
		put_str("OK");
}

static void handle(char *pkt)
{
	char annex[64];
	unsigned long a, b;
	uint64_t addr;

	if (!strncmp(pkt, "qSupported", 10)) {
		put_str("PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+");
	} else if (!strcmp(pkt, "?")) {
		put_str("T05thread:p01.01;");
	} else if (!strcmp(pkt, "qfThreadInfo")) {
		put_str("mp01.01,p01.02");
	} else if (!strcmp(pkt, "qsThreadInfo")) {
		put_str("l");
	} else if (!strncmp(pkt, "Qqemu.PhyMemMode:", 17)) {
		if (is("noqemu")) {
			put_str("");
		} else {
			phymem = atoi(pkt + 17);
			put_str("OK");
		}
	} else if (!strncmp(pkt, "Hg", 2) || !strncmp(pkt, "Hc", 2)) {
		put_str(strcmp(pkt + 2, "p1.1") && strcmp(pkt + 2, "p01.01") &&
				strcmp(pkt + 2, "p1.2") && strcmp(pkt + 2, "p01.02")
			? "E22"
			: "OK");
	} else if (sscanf(pkt, "qXfer:features:read:%63[^:]:%lx,%lx", annex, &a, &b) == 3) {
		xfer(annex, a, b);
	} else if (pkt[0] == 'p' && sscanf(pkt + 1, "%lx", &a) == 1) {
		char v[17];
		uint64_t val = a * 0x1111;

		for (int i = 0; i < 8; i++)
			sprintf(v + 2 * i, "%02x", (unsigned)(val >> (8 * i)) & 0xff);
		put_str(v);
	} else if (pkt[0] == 'm' && sscanf(pkt + 1, "%" SCNx64 ",%lx", &addr, &a) == 2) {
		read_mem(addr, a);
	} else if (pkt[0] == 'M') {
		write_mem(pkt + 1);
	} else if (!strcmp(pkt, "c")) {
		/* running: the reply comes at the next stop */
	} else if (pkt[0] == 'D') {
		put_str("OK");
	} else {
		put_str("");
	}
}

/* How the client left QEMU's physical-memory flag, whichever way the session ended. */
static void report(void)
{
	printf("phymem=%d\n", phymem);
	fflush(stdout);
}

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int serve(void)
{
	static char pkt[64 * 1024];
	size_t len = 0;
	int state = 0; /* 0 idle, 1 data, 2 csum1, 3 csum2 */
	uint8_t sum = 0, csum = 0;
	uint8_t buf[4096];

	put_str("T02thread:p01.01;"); /* as QEMU: a stop reply when a client connects */
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return 0;
		for (ssize_t i = 0; i < n; i++) {
			uint8_t c = buf[i];

			switch (state) {
			case 0:
				if (c == '$')
					state = 1, len = 0, sum = 0;
				else if (c == 0x03)
					put_str("T02thread:p01.01;");
				else if (c == '-' && last_len)
					put_raw(last, last_len); /* resend, faults included */
				break;
			case 1:
				if (c == '#')
					state = 2;
				else if (len < sizeof(pkt) - 1)
					pkt[len++] = (char)c, sum += c;
				break;
			case 2:
				csum = (uint8_t)(hexv(c) << 4);
				state = 3;
				break;
			case 3:
				state = 0;
				csum |= (uint8_t)hexv(c);
				pkt[len] = '\0';
				if (csum != sum) {
					put_raw("-", 1);
					break;
				}
				if (is("silence-open"))
					break;
				if (is("nak") && pkt[0] == 'm') {
					put_raw("-", 1);
					break;
				}
				ack();
				handle(pkt);
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int ls, one = 1;
	FILE *f;

	if (argc == 5 && !strcmp(argv[1], "--pattern")) {
		uint64_t addr = strtoull(argv[2], NULL, 0), len = strtoull(argv[3], NULL, 0);

		f = fopen(argv[4], "wb");
		if (!f)
			return 1;
		for (uint64_t i = 0; i < len; i++)
			fputc(mem_byte(addr + i), f);
		return fclose(f) ? 1 : 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: faultstub MODE PORTFILE | --pattern ADDR LEN FILE\n");
		return 2;
	}
	mode = argv[1];
	alarm(30);
	srand(1);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) || listen(ls, 1)) {
		perror("faultstub");
		return 1;
	}
	f = fopen(argv[2], "w");
	if (!f || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("accept");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	atexit(report);
	serve();
	return 0;
}
