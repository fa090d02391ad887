/* SPDX-License-Identifier: MIT */
/* GDB remote serial protocol client: transport, framing, packets (see rsp.h). */
#include "rsp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ======================================================================== */
/* Framing                                                                  */
/* ======================================================================== */

enum { FR_IDLE, FR_DATA, FR_ESC, FR_RLE, FR_CSUM1, FR_CSUM2 };

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t rsp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

void rsp_framer_init(struct rsp_framer *f, char *buf, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->cap = cap;
	f->state = FR_IDLE;
}

static void fr_put(struct rsp_framer *f, char c)
{
	/* Keep one byte for the terminating NUL. */
	if (f->len + 1 < f->cap)
		f->buf[f->len++] = c;
	else
		f->overflow = true;
}

static void fr_start(struct rsp_framer *f, bool notify)
{
	f->state = FR_DATA;
	f->notify = notify;
	f->len = 0;
	f->sum = 0;
	f->overflow = false;
	f->bad = false;
}

enum rsp_frame_ev rsp_framer_feed(struct rsp_framer *f, uint8_t c)
{
	int v;

	switch (f->state) {
	case FR_IDLE:
		switch (c) {
		case '$':
		case '%':
			fr_start(f, c == '%');
			return RSP_FR_NONE;
		case '+':
			return RSP_FR_ACK;
		case '-':
			return RSP_FR_NAK;
		default:
			f->stray++;
			return RSP_FR_NONE;
		}
	case FR_DATA:
		if (c == '#') {
			f->state = FR_CSUM1;
			return RSP_FR_NONE;
		}
		if (c == '$') {
			/* Unescaped `$` cannot be data: the previous packet was cut short. */
			fr_start(f, false);
			return RSP_FR_TRUNCATED;
		}
		f->sum += c;
		if (c == '}')
			f->state = FR_ESC;
		else if (c == '*')
			f->state = FR_RLE;
		else
			fr_put(f, (char)c);
		return RSP_FR_NONE;
	case FR_ESC:
		f->sum += c;
		fr_put(f, (char)(c ^ 0x20));
		f->state = FR_DATA;
		return RSP_FR_NONE;
	case FR_RLE:
		/* `X*n` repeats X n-29 more times; n is printable (so at least 3). */
		f->sum += c;
		f->state = FR_DATA;
		if (f->len == 0 || c < ' ' || c > '~') {
			f->bad = true;
			return RSP_FR_NONE;
		}
		for (int i = c - 29; i > 0; i--)
			fr_put(f, f->buf[f->len - 1]);
		return RSP_FR_NONE;
	case FR_CSUM1:
		v = hexval(c);
		f->csum = (uint8_t)((v < 0 ? 0 : v) << 4);
		if (v < 0)
			f->bad = true, f->csum = 0, f->sum ^= 0xff; /* forces BADSUM */
		f->state = FR_CSUM2;
		return RSP_FR_NONE;
	case FR_CSUM2:
		f->state = FR_IDLE;
		v = hexval(c);
		if (v < 0 || (uint8_t)(f->csum | v) != f->sum)
			return RSP_FR_BADSUM;
		if (f->overflow)
			return RSP_FR_OVERSIZE;
		if (f->bad)
			return RSP_FR_MALFORMED;
		f->buf[f->len] = '\0';
		return f->notify ? RSP_FR_NOTIFY : RSP_FR_PACKET;
	}
	f->state = FR_IDLE;
	return RSP_FR_NONE;
}

size_t rsp_framer_feed_buf(struct rsp_framer *f, const uint8_t *p, size_t n,
			   enum rsp_frame_ev *ev)
{
	size_t i = 0;

	*ev = RSP_FR_NONE;
	while (i < n) {
		if (f->state == FR_DATA) {
			/* Fast path: plain data bytes go straight to the buffer. */
			size_t room = f->cap - 1 - f->len, j = i;
			uint8_t sum = f->sum;
			char *out = f->buf + f->len;

			while (j < n && j - i < room) {
				uint8_t c = p[j];

				if (c == '#' || c == '$' || c == '}' || c == '*')
					break;
				sum += c;
				*out++ = (char)c;
				j++;
			}
			f->sum = sum;
			f->len += j - i;
			i = j;
			if (i == n)
				break;
		}
		*ev = rsp_framer_feed(f, p[i++]);
		if (*ev != RSP_FR_NONE)
			break;
	}
	return i;
}

size_t rsp_frame_encode(const void *data, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t n = 0, need = 4;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		need += (p[i] == '$' || p[i] == '#' || p[i] == '}' || p[i] == '*') ? 2 : 1;
	if (need > cap)
		return need;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c == '$' || c == '#' || c == '}' || c == '*') {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

long rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t outmax)
{
	static int8_t tab[256];
	uint8_t *o = out;
	int bad = 0;

	if (!tab['f']) /* built once; idempotent if two threads race */
		for (int c = 0; c < 256; c++)
			tab[c] = (int8_t)hexval(c);
	if (hexlen % 2 || hexlen / 2 > outmax)
		return -1;
	for (size_t i = 0; i < hexlen; i += 2) {
		int hi = tab[(unsigned char)hex[i]], lo = tab[(unsigned char)hex[i + 1]];

		bad |= hi | lo; /* negative if either is not a hex digit */
		o[i / 2] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	return bad < 0 ? -1 : (long)(hexlen / 2);
}

bool rsp_is_stop_reply(const char *pkt, size_t len)
{
	if (len >= 3 && (pkt[0] == 'S' || pkt[0] == 'T') && hexval((unsigned char)pkt[1]) >= 0 &&
	    hexval((unsigned char)pkt[2]) >= 0)
		return pkt[0] == 'T' || len == 3;
	if (len >= 3 && (pkt[0] == 'W' || pkt[0] == 'X') && hexval((unsigned char)pkt[1]) >= 0 &&
	    hexval((unsigned char)pkt[2]) >= 0)
		return true;
	return false;
}

/* ======================================================================== */
/* Target description XML                                                   */
/* ======================================================================== */

#define TDESC_MAX_REGS 8192
#define TDESC_MAX_DEPTH 4
#define TDESC_MAX_FILES 64

/* Finds attribute `name` in the tag text [p, end): copies its value into val. */
static bool xml_attr(const char *p, const char *end, const char *name, char *val, size_t n)
{
	size_t nl = strlen(name);

	while (p < end) {
		/* attribute name */
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		const char *an = p;
		while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r' && *p != '/')
			p++;
		size_t al = (size_t)(p - an);
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || *p != '=') {
			if (p < end)
				p++;
			continue;
		}
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			return false;
		char q = *p++;
		const char *vs = p;
		while (p < end && *p != q)
			p++;
		if (p >= end)
			return false;
		if (al == nl && !memcmp(an, name, nl)) {
			size_t vl = (size_t)(p - vs);

			if (vl >= n)
				return false;
			memcpy(val, vs, vl);
			val[vl] = '\0';
			return true;
		}
		p++;
	}
	return false;
}

static bool parse_uint(const char *s, unsigned *v)
{
	char *e;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &e, 0);
	if (!*s || *e || errno || x > 0xffffffffUL)
		return false;
	*v = (unsigned)x;
	return true;
}

static int tdesc_add(struct rsp_tdesc *d, const char *name, unsigned regnum, unsigned bits,
		     struct fm_err *err)
{
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 256;
		struct rsp_reg *nr;

		if (nc > TDESC_MAX_REGS)
			return fm_err_set(err, "target description has more than %d registers",
					  TDESC_MAX_REGS);
		nr = realloc(d->regs, nc * sizeof(*nr));
		if (!nr)
			return fm_err_set(err, "out of memory");
		d->regs = nr;
		d->cap = nc;
	}
	memcpy(d->regs[d->n].name, name, strnlen(name, sizeof(d->regs->name) - 1));
	d->regs[d->n].name[strnlen(name, sizeof(d->regs->name) - 1)] = 0;
	d->regs[d->n].regnum = regnum;
	d->regs[d->n].bitsize = bits;
	d->n++;
	return 0;
}

static size_t line_of(const char *xml, const char *p)
{
	size_t l = 1;

	for (const char *q = xml; q < p; q++)
		l += *q == '\n';
	return l;
}

int rsp_tdesc_parse(struct rsp_tdesc *d, const char *xml, size_t len, rsp_tdesc_include_fn inc,
		    void *arg, struct fm_err *err)
{
	const char *p = xml, *end = xml + len;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *te, *name;
		size_t nl;

		if (!lt)
			break;
		p = lt + 1;
		if (end - p >= 3 && !memcmp(p, "!--", 3)) {
			const char *c = p + 3;

			for (; c + 3 <= end && memcmp(c, "-->", 3); c++)
				;
			if (c + 3 > end)
				return fm_err_set(err, "line %zu: unterminated comment",
						  line_of(xml, lt));
			p = c + 3;
			continue;
		}
		te = memchr(p, '>', (size_t)(end - p));
		if (!te)
			return fm_err_set(err, "line %zu: unterminated tag", line_of(xml, lt));
		name = p;
		while (p < te && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '/')
			p++;
		nl = (size_t)(p - name);
		if (nl == 3 && !memcmp(name, "reg", 3)) {
			char rname[sizeof(d->regs->name)], num[32];
			unsigned regnum = d->next_regnum, bits = 0;

			if (!xml_attr(p, te, "name", rname, sizeof(rname)) || !rname[0])
				return fm_err_set(err, "line %zu: <reg> without a usable name",
						  line_of(xml, lt));
			if (!xml_attr(p, te, "bitsize", num, sizeof(num)) ||
			    !parse_uint(num, &bits) || bits == 0 || bits > 4096)
				return fm_err_set(err, "line %zu: register %s: bad bitsize",
						  line_of(xml, lt), rname);
			if (xml_attr(p, te, "regnum", num, sizeof(num)) &&
			    !parse_uint(num, &regnum))
				return fm_err_set(err, "line %zu: register %s: bad regnum '%s'",
						  line_of(xml, lt), rname, num);
			if (regnum >= 1u << 20)
				return fm_err_set(err, "line %zu: register %s: regnum %u too big",
						  line_of(xml, lt), rname, regnum);
			if (tdesc_add(d, rname, regnum, bits, err))
				return -1;
			d->next_regnum = regnum + 1;
		} else if (nl == 10 && !memcmp(name, "xi:include", 10)) {
			char href[128];

			if (!xml_attr(p, te, "href", href, sizeof(href)) || !href[0])
				return fm_err_set(err, "line %zu: <xi:include> without href",
						  line_of(xml, lt));
			if (!inc)
				return fm_err_set(err, "line %zu: cannot include %s here",
						  line_of(xml, lt), href);
			if (d->depth >= TDESC_MAX_DEPTH || d->files >= TDESC_MAX_FILES)
				return fm_err_set(err, "line %zu: includes nest too deep or too "
						       "many (%s)",
						  line_of(xml, lt), href);
			d->depth++;
			d->files++;
			int rc = inc(arg, d, href, err);
			d->depth--;
			if (rc)
				return -1;
		}
		p = te + 1;
	}
	return 0;
}

const struct rsp_reg *rsp_tdesc_find(const struct rsp_tdesc *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcasecmp(d->regs[i].name, name))
			return &d->regs[i];
	return NULL;
}

void rsp_tdesc_free(struct rsp_tdesc *d)
{
	free(d->regs);
	memset(d, 0, sizeof(*d));
}

/* ======================================================================== */
/* Transport                                                                */
/* ======================================================================== */

struct rsp {
	int fd;
	int timeout_ms;
	unsigned depth;
	enum rsp_status status;
	bool broken;
	char name[160]; /* "host:port" for messages */

	struct rsp_framer fr;
	char rx[RSP_MAX_PACKET];
	uint8_t rbuf[65536];
	size_t rpos, rlen;

	char *wbuf; /* pending output: requests and acks, written before blocking */
	size_t wlen, wcap;
	bool wreq;      /* wbuf holds more than acks */
	bool lazy_acks; /* the stub does not wait for our acks: send them with requests */
	char *req;  /* one request being formatted */
	size_t reqcap;

	size_t packet_size;
	size_t mchunk;   /* bytes per `m` */
	bool mchunk_ok;  /* an `m` of mchunk bytes succeeded */
	char stop[128];  /* last unsolicited stop reply */
	bool have_stop;
	struct rsp_stats st;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct rsp *r, enum rsp_status s, struct fm_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct rsp *r, enum rsp_status s, struct fm_err *err, const char *fmt, ...)
{
	va_list ap;

	r->status = s;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct rsp *rsp_connect(const char *host, const char *port, int timeout_ms, struct fm_err *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
	int rc, fd = -1, one = 1, last = 0;
	struct rsp *r;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc)
		return fm_err_set(err, "%s:%s: %s", host, port, gai_strerror(rc)), NULL;
	for (a = ai; a; a = a->ai_next) {
		int64_t deadline = now_ms() + timeout_ms;
		struct pollfd pfd;
		socklen_t sl = sizeof(last);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		last = errno;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			for (;;) {
				int left = (int)(deadline - now_ms());

				rc = left > 0 ? poll(&pfd, 1, left) : 0;
				if (rc < 0 && errno == EINTR)
					continue;
				break;
			}
			if (rc == 0)
				last = ETIMEDOUT;
			else if (rc > 0 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &sl) &&
				 last == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return fm_err_set(err, "%s:%s: cannot connect: %s", host, port,
				  last == ETIMEDOUT ? "timed out" : strerror(last)),
		       NULL;
	/* Small packets both ways: without TCP_NODELAY every request waits for a delayed
	 * ack (REFERENCE.md: 1 MiB of reads took 22.8 s instead of 0.3 s). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return fm_err_set(err, "out of memory"), NULL;
	}
	r->fd = fd;
	r->timeout_ms = timeout_ms;
	r->depth = RSP_DEFAULT_DEPTH;
	r->reqcap = 4096 + 64;
	r->req = malloc(r->reqcap);
	r->wcap = 65536;
	r->wbuf = malloc(r->wcap);
	if (!r->req || !r->wbuf) {
		rsp_close(r);
		return fm_err_set(err, "out of memory"), NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s:%s", host, port);
	rsp_framer_init(&r->fr, r->rx, sizeof(r->rx));
	r->mchunk = 0x100; /* until qSupported tells the packet size */
	return r;
}

void rsp_close(struct rsp *r)
{
	if (!r)
		return;
	if (r->fd >= 0) {
		/* Half-close and read until the stub closes too (briefly): closing with
		 * its replies unread would reset the connection, and the stub could
		 * lose our last packets (e.g. `D`) before acting on them. */
		int64_t deadline = now_ms() + (r->timeout_ms < 1000 ? r->timeout_ms : 1000);

		shutdown(r->fd, SHUT_WR);
		for (;;) {
			struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
			int left = (int)(deadline - now_ms());

			if (left <= 0 || poll(&pfd, 1, left) <= 0 ||
			    recv(r->fd, r->rbuf, sizeof(r->rbuf), 0) <= 0)
				break;
		}
		close(r->fd);
	}
	free(r->req);
	free(r->wbuf);
	free(r);
}

void rsp_set_timeout(struct rsp *r, int ms)
{
	r->timeout_ms = ms > 0 ? ms : 1;
}

void rsp_set_lazy_acks(struct rsp *r, bool lazy)
{
	r->lazy_acks = lazy;
}

void rsp_set_depth(struct rsp *r, unsigned depth)
{
	r->depth = depth ? (depth > 1024 ? 1024 : depth) : 1;
}

enum rsp_status rsp_status(const struct rsp *r)
{
	return r->status;
}

const struct rsp_stats *rsp_stats(const struct rsp *r)
{
	return &r->st;
}

bool rsp_broken(const struct rsp *r)
{
	return r->broken;
}

size_t rsp_mem_chunk(const struct rsp *r)
{
	return r->mchunk;
}

static int out_reserve(struct rsp *r, size_t n, struct fm_err *err)
{
	if (r->wlen + n > r->wcap) {
		size_t nc = r->wcap;
		char *nb;

		while (r->wlen + n > nc)
			nc *= 2;
		nb = realloc(r->wbuf, nc);
		if (!nb)
			return fail(r, RSP_EIO, err, "out of memory");
		r->wbuf = nb;
		r->wcap = nc;
	}
	return 0;
}

static int out_byte(struct rsp *r, char c, struct fm_err *err)
{
	if (out_reserve(r, 1, err))
		return -1;
	r->wbuf[r->wlen++] = c;
	return 0;
}

static int out_packet(struct rsp *r, const char *data, size_t len, struct fm_err *err)
{
	size_t need = rsp_frame_encode(data, len, NULL, 0);

	if (out_reserve(r, need, err))
		return -1;
	r->wlen += rsp_frame_encode(data, len, r->wbuf + r->wlen, r->wcap - r->wlen);
	r->wreq = true;
	r->st.packets_sent++;
	return 0;
}

static int sock_error(struct rsp *r, int e, const char *what, struct fm_err *err)
{
	if (e == ECONNRESET)
		return fail(r, RSP_ERESET, err, "connection reset by the stub while %s", what);
	if (e == EPIPE)
		return fail(r, RSP_EEOF, err, "the stub closed the connection while %s", what);
	return fail(r, RSP_EIO, err, "%s: %s", what, strerror(e));
}

/* Writes all pending output before the deadline. */
static int flush(struct rsp *r, int64_t deadline, struct fm_err *err)
{
	size_t off = 0;

	while (off < r->wlen) {
		ssize_t n = send(r->fd, r->wbuf + off, r->wlen - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			r->st.bytes_sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = r->fd, .events = POLLOUT};
			int left = (int)(deadline - now_ms());

			if (left <= 0 || poll(&pfd, 1, left) == 0) {
				r->broken = true;
				return fail(r, RSP_ETIMEOUT, err,
					    "timed out after %.1f s: the stub takes no more data",
					    r->timeout_ms / 1000.0);
			}
			continue;
		}
		r->broken = true;
		return sock_error(r, n < 0 ? errno : EIO, "sending", err);
	}
	r->wlen = 0;
	r->wreq = false;
	return 0;
}

/* Reads more bytes (flushing pending output first) before the deadline. */
static int fill(struct rsp *r, int64_t deadline, struct fm_err *err)
{
	if (r->wlen && (r->wreq || !r->lazy_acks) && flush(r, deadline, err))
		return -1;
	for (;;) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		int left = (int)(deadline - now_ms()), rc;
		ssize_t n;

		rc = left > 0 ? poll(&pfd, 1, left) : 0;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return fail(r, RSP_ETIMEOUT, err, "timed out after %.1f s waiting for the stub%s",
				    r->timeout_ms / 1000.0,
				    r->fr.state == FR_IDLE ? "" : " (in the middle of a packet)");
		n = recv(r->fd, r->rbuf, sizeof(r->rbuf), 0);
		if (n > 0) {
			r->rpos = 0;
			r->rlen = (size_t)n;
			r->st.bytes_received += (uint64_t)n;
			return 0;
		}
		if (n == 0)
			return fail(r, RSP_EEOF, err, "the stub closed the connection");
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return sock_error(r, errno, "receiving", err);
	}
}

/* Next framing event; stray bytes are skipped by the framer. */
static int next_event(struct rsp *r, int64_t deadline, enum rsp_frame_ev *ev, struct fm_err *err)
{
	for (;;) {
		if (r->rpos < r->rlen) {
			r->rpos += rsp_framer_feed_buf(&r->fr, r->rbuf + r->rpos, r->rlen - r->rpos, ev);
			if (*ev != RSP_FR_NONE)
				return 0;
			continue;
		}
		if (fill(r, deadline, err))
			return -1;
	}
}

static void keep_stop(struct rsp *r, const char *pkt, size_t len)
{
	if (len >= sizeof(r->stop))
		len = sizeof(r->stop) - 1;
	memcpy(r->stop, pkt, len);
	r->stop[len] = '\0';
	r->have_stop = true;
}

bool rsp_take_stop(struct rsp *r, char *buf, size_t n)
{
	if (!r->have_stop)
		return false;
	if (buf && n)
		snprintf(buf, n, "%s", r->stop);
	r->have_stop = false;
	return true;
}

/* ======================================================================== */
/* Exchanges                                                                */
/* ======================================================================== */

/* A small FIFO of request indices. */
struct idxq {
	size_t *v;
	size_t cap, head, n;
};

static void q_push(struct idxq *q, size_t x)
{
	q->v[(q->head + q->n++) % q->cap] = x;
}

static size_t q_pop(struct idxq *q)
{
	size_t x = q->v[q->head];

	q->head = (q->head + 1) % q->cap;
	q->n--;
	return x;
}

/* The text of request idx, shortened for messages. */
static const char *req_name(char *buf, size_t n, rsp_req_fn req, void *arg, size_t idx)
{
	char tmp[4096 + 64];
	int len = req(arg, idx, tmp, sizeof(tmp));

	if (len < 0)
		len = 0;
	if ((size_t)len > 48) {
		snprintf(buf, n, "%.40s...", tmp);
		return buf;
	}
	snprintf(buf, n, "%.*s", len, tmp);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = '?';
	return buf;
}

int rsp_transact(struct rsp *r, size_t n, unsigned depth, rsp_req_fn req, rsp_reply_fn rep,
		 void *arg, struct fm_err *err)
{
	struct idxq unacked = {0}, awaiting = {0}, redo = {0};
	uint8_t *tries = NULL;
	size_t next = 0, outstanding = 0;
	bool failed = false;
	int rc = -1;
	char name[64];
	int64_t deadline;

	if (r->broken)
		return fail(r, RSP_EPROTO, err,
			    "the connection is out of step after an earlier error");
	if (n == 0)
		return 0;
	r->st.exchanges++;
	if (depth == 0)
		depth = 1;
	if (depth > n)
		depth = (unsigned)n;
	unacked.cap = awaiting.cap = redo.cap = depth;
	unacked.v = malloc(depth * sizeof(size_t));
	awaiting.v = malloc(depth * sizeof(size_t));
	redo.v = malloc(depth * sizeof(size_t));
	tries = calloc(n, 1);
	if (!unacked.v || !awaiting.v || !redo.v || !tries) {
		fail(r, RSP_EIO, err, "out of memory");
		goto out;
	}

	/* After a failure nothing new is sent, but every outstanding reply is still
	 * read, so the stream stays in step for the next exchange. The deadline moves
	 * only when a reply arrives, so stray bytes or acks cannot hold us forever. */
	deadline = now_ms() + r->timeout_ms;
	while (outstanding || (!failed && (redo.n || next < n))) {
		enum rsp_frame_ev ev;
		size_t idx;

		/* Refill the window once it is half empty (one write for many requests). */
		if (!failed && outstanding <= depth / 2) {
			while (outstanding < depth && (redo.n || next < n)) {
				int len;

				idx = redo.n ? q_pop(&redo) : next++;
				len = req(arg, idx, r->req, r->reqcap);
				if (len < 0 || (size_t)len >= r->reqcap) {
					fail(r, RSP_EPROTO, err, "request %zu does not fit a packet",
					     idx);
					failed = true;
					break;
				}
				if (out_packet(r, r->req, (size_t)len, err))
					goto out;
				q_push(&unacked, idx);
				outstanding++;
			}
			if (!outstanding)
				break;
		}
		if (next_event(r, deadline, &ev, err)) {
			/* A timeout leaves replies in flight: the stream is out of step. */
			if (r->status == RSP_ETIMEOUT)
				r->broken = true;
			idx = awaiting.n ? awaiting.v[awaiting.head] : unacked.v[unacked.head];
			fm_err_prefix(err, "'%s'", req_name(name, sizeof(name), req, arg, idx));
			goto out;
		}
		switch (ev) {
		case RSP_FR_ACK:
			if (unacked.n)
				q_push(&awaiting, q_pop(&unacked));
			break;
		case RSP_FR_NAK:
			/* The stub got our oldest unacked packet corrupted: send it again. */
			if (!unacked.n)
				break;
			idx = q_pop(&unacked);
			outstanding--;
			r->st.retransmits++;
			if (failed)
				break;
			if (++tries[idx] > RSP_MAX_RETRIES) {
				fail(r, RSP_EPROTO, err,
				     "'%s': the stub rejected the packet %d times (checksum errors)",
				     req_name(name, sizeof(name), req, arg, idx), RSP_MAX_RETRIES + 1);
				failed = true;
				break;
			}
			q_push(&redo, idx);
			break;
		case RSP_FR_NOTIFY:
			break;
		case RSP_FR_PACKET: {
			const char *data = r->fr.buf;
			size_t len = r->fr.len;

			r->st.packets_received++;
			if (out_byte(r, '+', err))
				goto out;
			/* The request this reply answers: the oldest acked one, or, from a
			 * stub that does not ack, the oldest sent. */
			if (awaiting.n)
				idx = awaiting.v[awaiting.head];
			else if (unacked.n)
				idx = unacked.v[unacked.head];
			else
				break; /* nothing asked: stray */
			if (rsp_is_stop_reply(data, len)) {
				int rl = req(arg, idx, r->req, r->reqcap);

				if (rl < 1 || r->req[0] != '?') {
					keep_stop(r, data, len);
					break;
				}
			}
			if (awaiting.n)
				q_pop(&awaiting);
			else
				q_pop(&unacked);
			outstanding--;
			deadline = now_ms() + r->timeout_ms;
			if (!failed && rep(arg, idx, data, len, err)) {
				fm_err_prefix(err, "'%s'",
					      req_name(name, sizeof(name), req, arg, idx));
				if (r->status == RSP_OK)
					r->status = RSP_EPROTO;
				failed = true;
			}
			break;
		}
		case RSP_FR_TRUNCATED:
			if (outstanding == 1 && awaiting.n == 1 && ++tries[awaiting.v[awaiting.head]] <= RSP_MAX_RETRIES) {
				/* Only one reply can come: the packet that just began. */
				r->st.retransmits++;
				break;
			}
			if (outstanding > 1) {
				/* Whether the packet that began is the cut one again or the
				 * next reply cannot be known: stop before data goes astray. */
				idx = awaiting.n ? awaiting.v[awaiting.head] : unacked.v[unacked.head];
				fail(r, RSP_EPROTO, err,
				     "'%s': the reply was cut short by the start of another packet",
				     req_name(name, sizeof(name), req, arg, idx));
				r->broken = true;
				goto out;
			}
			/* fall through */
		case RSP_FR_BADSUM:
			if (!awaiting.n) {
				/* Corrupt, before the ack of anything outstanding: if it was a
				 * reply, the ack-less stub resends it on `-`. */
				if (unacked.n && out_byte(r, '-', err))
					goto out;
				break;
			}
			idx = awaiting.v[awaiting.head];
			r->st.retransmits++;
			if (++tries[idx] > RSP_MAX_RETRIES) {
				q_pop(&awaiting);
				outstanding--;
				if (out_byte(r, '+', err))
					goto out;
				if (!failed)
					fail(r, RSP_EPROTO, err,
					     "'%s': %d corrupt replies in a row (%s)",
					     req_name(name, sizeof(name), req, arg, idx),
					     RSP_MAX_RETRIES + 1,
					     ev == RSP_FR_BADSUM ? "bad checksum" : "truncated");
				failed = true;
				break;
			}
			if (outstanding == 1) {
				/* The stub resends its last packet on `-`: ours. */
				if (out_byte(r, '-', err))
					goto out;
			} else {
				/* Later replies are already on their way, so `-` would fetch
				 * the wrong one: accept the frame and ask again. */
				if (out_byte(r, '+', err))
					goto out;
				q_pop(&awaiting);
				outstanding--;
				if (!failed)
					q_push(&redo, idx);
			}
			break;
		case RSP_FR_OVERSIZE:
		case RSP_FR_MALFORMED:
			if (out_byte(r, '+', err))
				goto out;
			if (!awaiting.n)
				break;
			idx = q_pop(&awaiting);
			outstanding--;
			if (!failed)
				fail(r, RSP_EPROTO, err, "'%s': %s",
				     req_name(name, sizeof(name), req, arg, idx),
				     ev == RSP_FR_OVERSIZE
					     ? "the reply is longer than the packet limit"
					     : "the reply has an invalid run-length count");
			failed = true;
			break;
		case RSP_FR_NONE:
			break;
		}
	}
	/* Acks a lazy-ack stub does not wait for go out with the next requests. */
	if (r->wlen && (r->wreq || !r->lazy_acks) && flush(r, now_ms() + r->timeout_ms, err))
		goto out;
	rc = failed ? -1 : 0;
	if (!failed)
		r->status = RSP_OK;
out:
	if (rc) {
		r->wlen = 0;
		r->wreq = false;
	}
	free(unacked.v);
	free(awaiting.v);
	free(redo.v);
	free(tries);
	return rc;
}

/* ---- single requests ---- */

struct one {
	const char *pkt;
	char *reply;
	size_t len;
};

static int one_req(void *arg, size_t idx, char *buf, size_t cap)
{
	struct one *o = arg;
	size_t n = strlen(o->pkt);

	(void)idx;
	if (n + 1 > cap)
		return -1;
	memcpy(buf, o->pkt, n + 1);
	return (int)n;
}

static int one_rep(void *arg, size_t idx, const char *data, size_t len, struct fm_err *err)
{
	struct one *o = arg;

	(void)idx;
	(void)err;
	o->reply = (char *)data;
	o->len = len;
	return 0;
}

int rsp_request(struct rsp *r, const char *pkt, const char **reply, size_t *len,
		struct fm_err *err)
{
	struct one o = {.pkt = pkt};

	if (rsp_transact(r, 1, 1, one_req, one_rep, &o, err))
		return -1;
	*reply = o.reply;
	*len = o.len;
	return 0;
}

/* Checks an "OK" reply; names Exx and empty replies. */
static int want_ok(struct rsp *r, const char *data, size_t len, struct fm_err *err)
{
	if (len == 2 && !memcmp(data, "OK", 2))
		return 0;
	if (len == 0)
		return fail(r, RSP_EUNSUPPORTED, err, "not supported by the stub");
	if (data[0] == 'E')
		return fail(r, RSP_ESTUB, err, "stub error %.*s", (int)(len > 8 ? 8 : len), data);
	return fail(r, RSP_EPROTO, err, "unexpected reply '%.*s'", (int)(len > 32 ? 32 : len),
		    data);
}

static int request_ok(struct rsp *r, const char *pkt, struct fm_err *err)
{
	const char *rep;
	size_t len;

	if (rsp_request(r, pkt, &rep, &len, err))
		return -1;
	if (want_ok(r, rep, len, err))
		return fm_err_prefix(err, "'%s'", pkt);
	return 0;
}

/* ======================================================================== */
/* Packets                                                                  */
/* ======================================================================== */

int rsp_qsupported(struct rsp *r, struct rsp_features *f, struct fm_err *err)
{
	static const char pkt[] = "qSupported:multiprocess+;xmlRegisters=aarch64";
	const char *rep, *p;
	size_t len;

	memset(f, 0, sizeof(*f));
	if (rsp_request(r, pkt, &rep, &len, err))
		return -1;
	if (len && rep[0] == 'E')
		return fail(r, RSP_ESTUB, err, "'qSupported': stub error %.8s", rep);
	for (p = rep; p < rep + len;) {
		const char *e = memchr(p, ';', (size_t)(rep + len - p));
		size_t fl = e ? (size_t)(e - p) : (size_t)(rep + len - p);

		if (fl > 11 && !memcmp(p, "PacketSize=", 11)) {
			char num[24];
			size_t nl = fl - 11 < sizeof(num) - 1 ? fl - 11 : sizeof(num) - 1;
			unsigned long long v;
			char *end;

			memcpy(num, p + 11, nl);
			num[nl] = '\0';
			v = strtoull(num, &end, 16);
			if (*end || v < 16)
				return fail(r, RSP_EPROTO, err,
					    "'qSupported': bad PacketSize '%s'", num);
			f->packet_size = v > (1u << 20) ? (1u << 20) : (size_t)v;
		} else if (fl == 21 && !memcmp(p, "qXfer:features:read+", 21)) {
			f->xfer_features = true;
		} else if (fl == 13 && !memcmp(p, "multiprocess+", 13)) {
			f->multiprocess = true;
		}
		p += fl + 1;
	}
	r->packet_size = f->packet_size;
	/* An `m` reply is 2 hex digits per byte and must fit PacketSize (QEMU 7.2:
	 * 0x1000, and it refuses more than 0x800 bytes with E22). */
	if (f->packet_size) {
		size_t c = f->packet_size / 2;

		if (c > 0x10000)
			c = 0x10000;
		/* a power of two, so chunks never straddle a page */
		size_t p2 = 64;
		while (p2 * 2 <= c)
			p2 *= 2;
		r->mchunk = p2;
	}
	r->mchunk_ok = false;
	return 0;
}

int rsp_halt_reason(struct rsp *r, char *buf, size_t n, struct fm_err *err)
{
	const char *rep;
	size_t len;

	if (rsp_request(r, "?", &rep, &len, err))
		return -1;
	if (!rsp_is_stop_reply(rep, len))
		return fail(r, RSP_EPROTO, err, "'?': not a stop reply: '%.*s'",
			    (int)(len > 32 ? 32 : len), rep);
	snprintf(buf, n, "%.*s", (int)len, rep);
	return 0;
}

int rsp_thread_list(struct rsp *r, char (*ids)[24], unsigned max, unsigned *n,
		    struct fm_err *err)
{
	const char *pkt = "qfThreadInfo";

	*n = 0;
	for (unsigned round = 0; round < 4096; round++) {
		const char *rep, *p, *end;
		size_t len;

		if (rsp_request(r, pkt, &rep, &len, err))
			return -1;
		if (len == 1 && rep[0] == 'l')
			return 0;
		if (len == 0)
			return fail(r, RSP_EUNSUPPORTED, err, "'%s': not supported by the stub",
				    pkt);
		if (rep[0] != 'm')
			return fail(r, RSP_EPROTO, err, "'%s': unexpected reply '%.*s'", pkt,
				    (int)(len > 32 ? 32 : len), rep);
		for (p = rep + 1, end = rep + len; p < end;) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			size_t tl = c ? (size_t)(c - p) : (size_t)(end - p);

			if (tl == 0 || tl >= sizeof(ids[0]))
				return fail(r, RSP_EPROTO, err, "'%s': bad thread id in '%.*s'",
					    pkt, (int)(len > 32 ? 32 : len), rep);
			if (*n >= max)
				return fail(r, RSP_EPROTO, err, "'%s': more than %u threads", pkt,
					    max);
			memcpy(ids[*n], p, tl);
			ids[*n][tl] = '\0';
			(*n)++;
			p += tl + 1;
		}
		pkt = "qsThreadInfo";
	}
	return fail(r, RSP_EPROTO, err, "'qsThreadInfo': the thread list never ends");
}

int rsp_set_thread(struct rsp *r, char op, const char *tid, struct fm_err *err)
{
	char pkt[48];

	snprintf(pkt, sizeof(pkt), "H%c%s", op, tid);
	return request_ok(r, pkt, err);
}

/* Reading one qXfer object: request idx asks for `step` bytes at base + idx*step. */
struct xfer {
	struct rsp *r;
	const char *annex;
	size_t base, step;
	char *buf;
	size_t len, cap;
	bool done;  /* the `l` (last) chunk came: later replies are past the end */
	bool ahead; /* a short `m` chunk: later replies are at the wrong offsets */
};

static int xfer_req(void *arg, size_t idx, char *buf, size_t cap)
{
	struct xfer *x = arg;

	return snprintf(buf, cap, "qXfer:features:read:%s:%zx,%zx", x->annex,
			x->base + idx * x->step, x->step);
}

static int xfer_rep(void *arg, size_t idx, const char *data, size_t len, struct fm_err *err)
{
	struct xfer *x = arg;

	if (x->done || x->ahead || x->base + idx * x->step != x->len)
		return 0;
	if (len == 0)
		return fail(x->r, RSP_EUNSUPPORTED, err, "not supported by the stub");
	if (data[0] == 'E')
		return fail(x->r, RSP_ESTUB, err, "stub error %.8s", data);
	if (data[0] != 'm' && data[0] != 'l')
		return fail(x->r, RSP_EPROTO, err, "unexpected reply '%.*s'",
			    (int)(len > 32 ? 32 : len), data);
	if (x->len + len > 8u << 20)
		return fail(x->r, RSP_EPROTO, err, "description larger than 8 MiB");
	if (x->len + len + 1 > x->cap) {
		size_t nc = x->cap;
		char *nb;

		while (x->len + len + 1 > nc)
			nc *= 2;
		nb = realloc(x->buf, nc);
		if (!nb)
			return fail(x->r, RSP_EIO, err, "out of memory");
		x->buf = nb;
		x->cap = nc;
	}
	memcpy(x->buf + x->len, data + 1, len - 1);
	x->len += len - 1;
	if (data[0] == 'l')
		x->done = true;
	else if (len == 1)
		return fail(x->r, RSP_EPROTO, err, "empty 'm' chunk");
	else if (len - 1 != x->step)
		x->ahead = true;
	return 0;
}

int rsp_read_features(struct rsp *r, const char *annex, char **out, size_t *outlen,
		      struct fm_err *err)
{
	struct xfer x = {.r = r, .annex = annex, .cap = 8192};

	for (const char *c = annex; *c; c++)
		if (*c == ':' || *c == '#' || *c == '$' || *c == '}' || *c == '*' ||
		    (unsigned char)*c < ' ')
			return fail(r, RSP_EPROTO, err, "bad annex name '%s'", annex);
	if (strlen(annex) > 100)
		return fail(r, RSP_EPROTO, err, "annex name too long");
	x.step = r->packet_size ? r->packet_size - 16 : 400;
	if (x.step > 0x4000)
		x.step = 0x4000;
	x.buf = malloc(x.cap);
	if (!x.buf)
		return fail(r, RSP_EIO, err, "out of memory");
	/* The first chunk tells how much the stub gives per request (QEMU: 2045
	 * bytes); then several chunks are asked for at once, and replies past the
	 * end or after a short chunk are dropped. */
	for (unsigned n = 1; !x.done; n = 16) {
		size_t before = x.len;

		x.base = x.len;
		x.ahead = false;
		if (rsp_transact(r, n, n, xfer_req, xfer_rep, &x, err)) {
			free(x.buf);
			return -1;
		}
		if (x.len == before && !x.done) {
			free(x.buf);
			return fail(r, RSP_EPROTO, err, "'qXfer:features:read:%s': no progress",
				    annex);
		}
		if (n == 1 && !x.done)
			x.step = x.len; /* the stub's chunk size */
	}
	x.buf[x.len] = '\0';
	*out = x.buf;
	*outlen = x.len;
	return 0;
}

struct tdesc_ctx {
	struct rsp *r;
};

static int tdesc_include(void *arg, struct rsp_tdesc *d, const char *href, struct fm_err *err)
{
	struct tdesc_ctx *c = arg;
	char *xml;
	size_t len;
	int rc;

	if (rsp_read_features(c->r, href, &xml, &len, err))
		return -1;
	rc = rsp_tdesc_parse(d, xml, len, tdesc_include, c, err);
	free(xml);
	if (rc)
		fm_err_prefix(err, "%s", href);
	return rc;
}

int rsp_read_tdesc(struct rsp *r, struct rsp_tdesc *d, struct fm_err *err)
{
	struct tdesc_ctx c = {.r = r};

	return tdesc_include(&c, d, "target.xml", err);
}

struct regread {
	const char *tid;
	unsigned regnum;
	uint64_t val;
	unsigned bits;
	struct rsp *r;
};

static int reg_req(void *arg, size_t idx, char *buf, size_t cap)
{
	struct regread *g = arg;

	if (g->tid && idx == 0)
		return snprintf(buf, cap, "Hg%s", g->tid);
	return snprintf(buf, cap, "p%x", g->regnum);
}

static int reg_rep(void *arg, size_t idx, const char *data, size_t len, struct fm_err *err)
{
	struct regread *g = arg;
	uint8_t bytes[8];
	long nb;

	if (g->tid && idx == 0)
		return want_ok(g->r, data, len, err);
	if (len == 0)
		return fail(g->r, RSP_EUNSUPPORTED, err,
			    "the stub does not know register %u", g->regnum);
	if (data[0] == 'E' && len == 3)
		return fail(g->r, RSP_ESTUB, err, "stub error %.3s", data);
	/* `xx` digits are unavailable bytes */
	if (memchr(data, 'x', len))
		return fail(g->r, RSP_ESTUB, err, "register %u is unavailable", g->regnum);
	nb = rsp_hex_decode(data, len, bytes, sizeof(bytes));
	if (nb <= 0)
		return fail(g->r, RSP_EPROTO, err, "bad register value '%.*s'",
			    (int)(len > 32 ? 32 : len), data);
	g->val = 0;
	for (long i = nb - 1; i >= 0; i--)
		g->val = g->val << 8 | bytes[i];
	g->bits = (unsigned)nb * 8;
	return 0;
}

int rsp_read_reg(struct rsp *r, const char *tid, unsigned regnum, uint64_t *val,
		 unsigned *bits, struct fm_err *err)
{
	struct regread g = {.tid = tid, .regnum = regnum, .r = r};

	if (rsp_transact(r, tid ? 2 : 1, 2, reg_req, reg_rep, &g, err))
		return -1;
	*val = g.val;
	if (bits)
		*bits = g.bits;
	return 0;
}

int rsp_phymem_mode(struct rsp *r, int on, struct fm_err *err)
{
	return request_ok(r, on ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0", err);
}

/* ---- memory ---- */

struct chunk {
	uint64_t addr;
	uint8_t *buf;
	size_t len;
	size_t got; /* bytes a short reply delivered */
};

struct memx {
	struct rsp *r;
	const char *pre, *post;
	struct chunk *c;
	size_t nc;
	bool write;
	bool negotiate; /* an early error may mean the chunk is too large */
	bool too_big;   /* such an error came */
	bool short_any; /* some reply delivered fewer bytes */
	bool failed;
	struct fm_err first;
	enum rsp_status first_status;
};

static int mem_req(void *arg, size_t idx, char *buf, size_t cap)
{
	struct memx *m = arg;
	int n;

	if (m->pre) {
		if (idx == 0)
			return snprintf(buf, cap, "%s", m->pre);
		idx--;
	}
	if (idx == m->nc)
		return snprintf(buf, cap, "%s", m->post);
	const struct chunk *c = &m->c[idx];
	if (!m->write)
		return snprintf(buf, cap, "m%" PRIx64 ",%zx", c->addr, c->len);
	n = snprintf(buf, cap, "M%" PRIx64 ",%zx:", c->addr, c->len);
	if (n < 0 || (size_t)n + c->len * 2 + 1 > cap)
		return -1;
	for (size_t i = 0; i < c->len; i++)
		n += snprintf(buf + n, cap - (size_t)n, "%02x", c->buf[i]);
	return n;
}

/* Records the first error but lets the pipeline run on, so `post` is always sent. */
static int mem_rep(void *arg, size_t idx, const char *data, size_t len, struct fm_err *err)
{
	struct memx *m = arg;
	struct fm_err e;
	char name[64];

	(void)err;
	if (m->pre) {
		if (idx == 0) {
			if (!m->failed && want_ok(m->r, data, len, &e))
				goto failed_pre;
			return 0;
		}
		idx--;
	}
	if (idx == m->nc) {
		if (!m->failed && want_ok(m->r, data, len, &e)) {
			snprintf(name, sizeof(name), "%s", m->post);
			goto failed_named;
		}
		return 0;
	}
	struct chunk *c = &m->c[idx];
	if (m->failed || m->too_big)
		return 0;
	if (m->write) {
		if (want_ok(m->r, data, len, &e)) {
			snprintf(name, sizeof(name), "M%" PRIx64 ",%zx", c->addr, c->len);
			goto failed_named;
		}
		return 0;
	}
	if (len == 0) {
		fail(m->r, RSP_EUNSUPPORTED, &e, "memory reads are not supported by the stub");
		snprintf(name, sizeof(name), "m%" PRIx64 ",%zx", c->addr, c->len);
		goto failed_named;
	}
	if (data[0] == 'E' && len == 3) {
		/* E14 (EFAULT) is about the address, never the size */
		if (m->negotiate && c->len > 64 && memcmp(data, "E14", 3)) {
			m->too_big = true;
			return 0;
		}
		fail(m->r, RSP_ESTUB, &e, "stub error %.3s (address not readable?)", data);
		snprintf(name, sizeof(name), "m%" PRIx64 ",%zx", c->addr, c->len);
		goto failed_named;
	}
	long nb = rsp_hex_decode(data, len, c->buf, c->len);
	if (nb <= 0) {
		fail(m->r, RSP_EPROTO, &e, "bad reply '%.*s' (%zu bytes)", (int)(len > 24 ? 24 : len),
		     data, len);
		snprintf(name, sizeof(name), "m%" PRIx64 ",%zx", c->addr, c->len);
		goto failed_named;
	}
	c->got = (size_t)nb;
	if (c->got < c->len)
		m->short_any = true;
	if (c->len == m->r->mchunk)
		m->r->mchunk_ok = true;
	return 0;
failed_pre:
	snprintf(name, sizeof(name), "%s", m->pre);
failed_named:
	fm_err_prefix(&e, "'%s'", name);
	m->first = e;
	m->first_status = m->r->status;
	m->failed = true;
	return 0;
}

static int mem_v(struct rsp *r, const struct rsp_mem *v, size_t n, bool write, const char *pre,
		 const char *post, struct fm_err *err)
{
	struct memx m = {.r = r, .pre = pre, .post = post, .write = write};
	size_t orig = r->mchunk;
	int rc = -1;

	for (int pass = 0; pass < 12; pass++) {
		size_t chunk = r->mchunk, total = 0, k = 0;

		if (write) {
			/* `M` carries 2 hex digits per byte plus its header. */
			size_t ps = r->packet_size ? r->packet_size : 400;

			chunk = ps > 64 ? (ps - 32) / 2 : 16;
			if (chunk > 0x800)
				chunk = 0x800;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t a = v[i].addr, end = v[i].addr + v[i].len;

			/* chunk is a power of two for reads: align to it */
			while (a < end) {
				uint64_t lim = write ? a + chunk : (a | (chunk - 1)) + 1;

				if (lim > end || lim < a)
					lim = end;
				total++;
				a = lim;
			}
		}
		free(m.c);
		m.c = calloc(total ? total : 1, sizeof(*m.c));
		if (!m.c)
			return fail(r, RSP_EIO, err, "out of memory");
		for (size_t i = 0; i < n; i++) {
			uint64_t a = v[i].addr, end = v[i].addr + v[i].len;
			uint8_t *b = v[i].buf;

			while (a < end) {
				uint64_t lim = write ? a + chunk : (a | (chunk - 1)) + 1;

				if (lim > end || lim < a)
					lim = end;
				m.c[k].addr = a;
				m.c[k].buf = b;
				m.c[k].len = (size_t)(lim - a);
				b += lim - a;
				a = lim;
				k++;
			}
		}
		m.nc = total;
		m.too_big = m.short_any = m.failed = false;
		m.negotiate = !write && !r->mchunk_ok && r->mchunk > 64;
		if (rsp_transact(r, total + (pre ? 1 : 0) + (post ? 1 : 0), r->depth, mem_req,
				 mem_rep, &m, err))
			goto out;
		if (m.failed) {
			/* smaller reads did not help: the error was not about the size */
			if (!r->mchunk_ok)
				r->mchunk = orig;
			r->status = m.first_status;
			if (err)
				*err = m.first;
			goto out;
		}
		if (m.too_big) {
			r->mchunk /= 2; /* the next pass reports errors at 64 bytes */
			continue;
		}
		if (!m.short_any) {
			rc = 0;
			goto out;
		}
		/* Read what short replies left out: at most a few more passes. */
		{
			size_t ns = 0;
			struct rsp_mem *rest = malloc(total * sizeof(*rest));

			if (!rest) {
				fail(r, RSP_EIO, err, "out of memory");
				goto out;
			}
			for (size_t i = 0; i < total; i++)
				if (m.c[i].got < m.c[i].len)
					rest[ns++] = (struct rsp_mem){m.c[i].addr + m.c[i].got,
								      m.c[i].buf + m.c[i].got,
								      m.c[i].len - m.c[i].got};
			rc = pass < 8 ? mem_v(r, rest, ns, false, pre, post, err)
				      : fail(r, RSP_EPROTO, err, "the stub keeps answering short");
			free(rest);
			goto out;
		}
	}
	fail(r, RSP_EPROTO, err, "could not agree on a read size with the stub");
out:
	free(m.c);
	return rc;
}

int rsp_read_mem_v(struct rsp *r, const struct rsp_mem *v, size_t n, const char *pre,
		   const char *post, struct fm_err *err)
{
	return mem_v(r, v, n, false, pre, post, err);
}

int rsp_read_mem(struct rsp *r, uint64_t addr, void *buf, size_t len, struct fm_err *err)
{
	struct rsp_mem m = {.addr = addr, .buf = buf, .len = len};

	return mem_v(r, &m, 1, false, NULL, NULL, err);
}

int rsp_write_mem(struct rsp *r, uint64_t addr, const void *buf, size_t len, const char *pre,
		  const char *post, struct fm_err *err)
{
	struct rsp_mem m = {.addr = addr, .buf = (void *)buf, .len = len};

	return mem_v(r, &m, 1, true, pre, post, err);
}

/* ---- run control ---- */

/* Sends one packet that has no reply and waits for its ack. */
static int send_noreply(struct rsp *r, const char *pkt, struct fm_err *err)
{
	int64_t deadline = now_ms() + r->timeout_ms;

	if (r->broken)
		return fail(r, RSP_EPROTO, err,
			    "the connection is out of step after an earlier error");
	for (int tries = 0; tries <= RSP_MAX_RETRIES; tries++) {
		enum rsp_frame_ev ev;

		if (out_packet(r, pkt, strlen(pkt), err) || flush(r, deadline, err))
			return fm_err_prefix(err, "'%s'", pkt);
		r->st.exchanges++;
		for (;;) {
			if (next_event(r, deadline, &ev, err))
				return fm_err_prefix(err, "'%s'", pkt);
			if (ev == RSP_FR_ACK)
				return 0;
			if (ev == RSP_FR_NAK) {
				r->st.retransmits++;
				break;
			}
			if (ev == RSP_FR_PACKET) {
				/* e.g. an old stop reply: ack and keep it */
				r->st.packets_received++;
				if (rsp_is_stop_reply(r->fr.buf, r->fr.len))
					keep_stop(r, r->fr.buf, r->fr.len);
				if (out_byte(r, '+', err) || flush(r, deadline, err))
					return fm_err_prefix(err, "'%s'", pkt);
			}
		}
	}
	return fail(r, RSP_EPROTO, err, "'%s': the stub rejected the packet %d times", pkt,
		    RSP_MAX_RETRIES + 1);
}

int rsp_post(struct rsp *r, const char *pkt, struct fm_err *err)
{
	r->wlen = 0;
	if (out_packet(r, pkt, strlen(pkt), err))
		return -1;
	return flush(r, now_ms() + r->timeout_ms, err);
}

int rsp_continue(struct rsp *r, struct fm_err *err)
{
	r->have_stop = false;
	return send_noreply(r, "c", err);
}

int rsp_detach(struct rsp *r, const char *pid, struct fm_err *err)
{
	char pkt[32];

	if (pid)
		snprintf(pkt, sizeof(pkt), "D;%s", pid);
	else
		snprintf(pkt, sizeof(pkt), "D");
	return request_ok(r, pkt, err);
}

int rsp_interrupt(struct rsp *r, char *buf, size_t n, struct fm_err *err)
{
	int64_t deadline = now_ms() + r->timeout_ms;

	if (r->broken)
		return fail(r, RSP_EPROTO, err,
			    "the connection is out of step after an earlier error");
	if (rsp_take_stop(r, buf, n))
		return 0; /* it stopped on its own already */
	if (out_byte(r, 0x03, err) || flush(r, deadline, err))
		return fm_err_prefix(err, "'^C'");
	r->st.exchanges++;
	for (;;) {
		enum rsp_frame_ev ev;

		if (next_event(r, deadline, &ev, err)) {
			if (r->status == RSP_ETIMEOUT)
				r->broken = true;
			return fm_err_prefix(err, "'^C'");
		}
		if (ev != RSP_FR_PACKET)
			continue; /* a corrupt stop reply is resent on the next ^C anyway */
		r->st.packets_received++;
		if (out_byte(r, '+', err))
			return -1;
		if (rsp_is_stop_reply(r->fr.buf, r->fr.len)) {
			if (buf && n)
				snprintf(buf, n, "%s", r->fr.buf);
			return flush(r, deadline, err);
		}
	}
}
