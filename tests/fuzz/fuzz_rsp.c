/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the GDB remote protocol client (rsp.c) and the gdb target on it
 * (target_gdb.c), against a stub that answers with arbitrary bytes.
 *
 * Input: [0] mode, then:
 *   mode % 3 == 0  framing: [1] buffer size; the rest is fed to the framer byte
 *                  by byte, and also framed with rsp_frame_encode and read
 *                  back, which must give the same bytes;
 *   mode % 3 == 1  every packet function in turn, over a loopback TCP socket
 *                  whose other end sends [17..] and then closes; [1..16] are
 *                  the addresses and lengths of the memory requests;
 *   mode % 3 == 2  target_gdb_open() and reads through the target, the same way.
 *
 * Promises checked: no crash, no hang (the stub's end of stream must end
 * every exchange), bounded buffers, every failure has a reason, values
 * returned fit their types.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "print.h"
#include "rsp.h"
#include "target.h"

static int lfd = -1;
static int debug; /* FUZZ_DEBUG=1: print each step's result (to replay an input by hand) */

static void step(const char *what, int rc, const struct fm_err *err)
{
	if (debug)
		fprintf(stderr, "%-14s %d %s\n", what, rc, rc ? err->msg : "");
}
static char port[16];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	(void)argc;
	(void)argv;
	print_init(fopen("/dev/null", "w"), false);
	debug = getenv("FUZZ_DEBUG") != NULL;
	/* Short deadlines: a client that waits for bytes after the end of stream hangs. */
	setenv("FIXMAP_GDB_TIMEOUT", "2", 1);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al))
		abort();
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	return 0;
}

/* ---- framing ---- */

static void check_packet(const struct rsp_framer *f, size_t cap)
{
	if (f->len >= cap || f->buf[f->len] != '\0')
		abort();
}

static void fuzz_framing(const uint8_t *data, size_t size)
{
	size_t cap = size ? 2 + data[0] : 2;
	char *buf = malloc(cap), *enc, *out;
	struct rsp_framer f;
	size_t elen;
	long hn;

	if (size)
		data++, size--;
	/* byte by byte, and through the buffer fast path: the same events, the same packets */
	{
		char *buf2 = malloc(cap);
		struct rsp_framer g;
		size_t j = 0;

		rsp_framer_init(&f, buf, cap);
		rsp_framer_init(&g, buf2, cap);
		for (size_t i = 0; i < size; i++) {
			enum rsp_frame_ev ev = rsp_framer_feed(&f, data[i]), ev2 = RSP_FR_NONE;

			if (ev == RSP_FR_PACKET || ev == RSP_FR_NOTIFY)
				check_packet(&f, cap);
			if (ev == RSP_FR_PACKET)
				(void)rsp_is_stop_reply(f.buf, f.len);
			if (ev == RSP_FR_NONE)
				continue;
			/* the fast path must stop at the same byte with the same event */
			while (j <= i) {
				size_t used = rsp_framer_feed_buf(&g, data + j, i + 1 - j, &ev2);

				if (used == 0 || used > i + 1 - j)
					abort();
				j += used;
				if (ev2 != RSP_FR_NONE)
					break;
			}
			if (ev2 != ev || j != i + 1)
				abort();
			if ((ev == RSP_FR_PACKET || ev == RSP_FR_NOTIFY) &&
			    (g.len != f.len || memcmp(g.buf, f.buf, f.len + 1)))
				abort();
		}
		free(buf2);
	}
	free(buf);

	/* encode, then frame: the same bytes back, as one packet */
	elen = rsp_frame_encode(data, size, NULL, 0);
	if (elen < size + 4 || elen > 2 * size + 4)
		abort();
	enc = malloc(elen);
	out = malloc(size + 1);
	if (rsp_frame_encode(data, size, enc, elen) != elen || enc[0] != '$' ||
	    enc[elen - 3] != '#')
		abort();
	rsp_framer_init(&f, out, size + 1);
	for (size_t i = 0; i < elen; i++) {
		enum rsp_frame_ev ev = rsp_framer_feed(&f, (uint8_t)enc[i]);

		if (ev != (i + 1 == elen ? RSP_FR_PACKET : RSP_FR_NONE))
			abort();
	}
	if (f.len != size || memcmp(out, data, size))
		abort();
	free(enc);

	/* hex: at most outmax bytes, -1 for odd or non-hex text */
	hn = rsp_hex_decode((const char *)data, size, out, size / 2);
	if (hn > (long)(size / 2) || (hn >= 0 && (size_t)hn * 2 != size))
		abort();
	free(out);
}

/* ---- a stub that sends data, then closes ---- */

static int stub_accept(const uint8_t *data, size_t size)
{
	int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), bufsz = 1 << 20;
	ssize_t w;

	if (s < 0)
		abort();
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	fcntl(s, F_SETFL, O_NONBLOCK);
	/* what does not fit in the socket buffer is left out (never block) */
	while (size && (w = write(s, data, size)) > 0)
		data += w, size -= (size_t)w;
	shutdown(s, SHUT_WR);
	return s;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void fuzz_packets(const uint8_t *data, size_t size)
{
	struct fm_err err = {{0}};
	struct rsp_features feat;
	struct rsp_tdesc td = {0};
	char text[128], ids[8][24];
	uint8_t mem[3][600];
	struct rsp_mem v[3];
	uint64_t addr, val;
	unsigned n = 0, bits;
	size_t len, mlen;
	char *xml;
	struct rsp *r;
	int s, rc;

	if (size < 16)
		return;
	addr = get64(data);
	mlen = (size_t)(get64(data + 8) % sizeof(mem[0])) + 1;
	data += 16, size -= 16;
	r = rsp_connect("127.0.0.1", port, 2000, &err);
	if (!r)
		abort();
	s = stub_accept(data, size);
	rsp_set_depth(r, 1 + (unsigned)(addr & 7));
	rc = rsp_qsupported(r, &feat, &err);
	step("qSupported", rc, &err);
	if (rc == 0 && feat.packet_size > (1u << 30))
		abort();
	step("?", rsp_halt_reason(r, text, sizeof(text), &err), &err);
	rc = rsp_thread_list(r, ids, 8, &n, &err);
	step("threads", rc, &err);
	if (rc == 0) {
		if (n > 8)
			abort();
		for (unsigned i = 0; i < n; i++)
			if (strnlen(ids[i], sizeof(ids[i])) == sizeof(ids[i]))
				abort();
	}
	step("Hg", rsp_set_thread(r, 'g', n ? ids[0] : "p1.1", &err), &err);
	rc = rsp_read_features(r, "target.xml", &xml, &len, &err);
	step("qXfer", rc, &err);
	if (rc == 0) {
		if (strlen(xml) > len)
			abort();
		free(xml);
	}
	rc = rsp_read_tdesc(r, &td, &err);
	step("tdesc", rc, &err);
	if (rc == 0)
		for (size_t i = 0; i < td.n; i++)
			if (rsp_tdesc_find(&td, td.regs[i].name) == NULL)
				abort();
	rsp_tdesc_free(&td);
	step("p", rsp_read_reg(r, n ? ids[0] : NULL, 5, &val, &bits, &err), &err);
	step("PhyMemMode", rsp_phymem_mode(r, 1, &err), &err);
	for (int i = 0; i < 3; i++) {
		v[i].addr = addr + (uint64_t)i * 0x1000;
		v[i].buf = mem[i];
		v[i].len = mlen;
	}
	step("m vector", rsp_read_mem_v(r, v, 3, "Qqemu.PhyMemMode:1", "Qqemu.PhyMemMode:0", &err), &err);
	step("m", rsp_read_mem(r, addr, mem[0], mlen, &err), &err);
	step("M", rsp_write_mem(r, addr, mem[1], mlen > 64 ? 64 : mlen, NULL, NULL, &err), &err);
	step("^C", rsp_interrupt(r, text, sizeof(text), &err), &err);
	(void)rsp_take_stop(r, text, sizeof(text));
	step("c", rsp_continue(r, &err), &err);
	step("D", rsp_detach(r, NULL, &err), &err);
	if (rsp_status(r) != RSP_OK && !err.msg[0])
		abort();
	rsp_close(r);
	close(s);
}

struct stub_job {
	const uint8_t *data;
	size_t size;
	int fd;
};

static void *stub_thread(void *arg)
{
	struct stub_job *j = arg;

	j->fd = stub_accept(j->data, j->size);
	return NULL;
}

static void fuzz_target(const uint8_t *data, size_t size)
{
	struct fm_err err = {{0}};
	struct stub_job job;
	pthread_t th;
	char spec[32];
	struct target *t;
	uint8_t buf[3][256];
	struct target_iov iov[3];
	uint64_t addr, lens, val;
	unsigned ncpus;
	int rc;

	if (size < 16)
		return;
	addr = get64(data);
	lens = get64(data + 8);
	data += 16, size -= 16;
	job.data = data;
	job.size = size;
	job.fd = -1;
	/* open() connects and talks at once: the stub accepts and sends on its own thread */
	if (pthread_create(&th, NULL, stub_thread, &job))
		abort();
	snprintf(spec, sizeof(spec), "127.0.0.1:%s", port);
	t = target_gdb_open(spec, (addr & 1) ? TARGET_GDB_STAY_STOPPED : 0, &err);
	pthread_join(th, NULL);
	step("open", t ? 0 : -1, &err);
	if (!t) {
		if (!err.msg[0])
			abort();
		close(job.fd);
		return;
	}
	ncpus = target_ncpus(t);
	if (ncpus == 0 || ncpus > 4096)
		abort();
	(void)target_describe(t);
	target_stop(t, &err);
	for (int i = 0; i < 3; i++) {
		iov[i].pa = addr + (uint64_t)i * 0x10000;
		iov[i].buf = buf[i];
		iov[i].len = 1 + (size_t)((lens >> (8 * i)) & 0xff);
	}
	rc = target_read_phys_v(t, iov, 3, &err);
	step("read_phys", rc, &err);
	if (rc && !err.msg[0])
		abort();
	memset(&err, 0, sizeof(err));
	rc = target_sysreg(t, ncpus - 1, "TTBR0_EL2", &val, &err);
	step("sysreg", rc, &err);
	if (rc && !err.msg[0])
		abort();
	target_sysreg(t, ncpus, "TCR_EL2", &val, &err); /* a CPU that does not exist */
	if (t->ops->read_virt)
		t->ops->read_virt(t, 0, addr, buf[0], 16, &err);
	target_write_phys(t, addr, buf[1], 8, &err);
	target_resume(t, &err);
	target_close(t);
	close(job.fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_framing(data + 1, size - 1);
		break;
	case 1:
		fuzz_packets(data + 1, size - 1);
		break;
	default:
		fuzz_target(data + 1, size - 1);
		break;
	}
	return 0;
}
