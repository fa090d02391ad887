/* SPDX-License-Identifier: MIT */
/*
 * GDB remote serial protocol client, in three layers:
 *
 *   transport  a TCP socket (connect with a timeout, TCP_NODELAY); every read has
 *              a deadline; end of stream and connection resets are told apart.
 *   framing    a byte-at-a-time state machine (rsp_framer): `$data#xx` and
 *              `%notification#xx`, checksum, `}` escapes, `*` run-length
 *              decoding, `+`/`-` acks, stray bytes skipped, packets bounded.
 *   packets    one small function per request (qSupported, ?, Hg, m, M, p,
 *              qXfer:features:read, Qqemu.PhyMemMode, qfThreadInfo, c, D, ^C),
 *              each failing with a sentence that names the packet.
 *
 * Requests may be pipelined (rsp_transact): QEMU answers in order and does not
 * wait for our acks, so many `m` requests are sent before the first reply is
 * read. Replies are matched to requests by the order of the stub's `+` acks,
 * which precede each reply; unsolicited stop replies (QEMU sends one when a
 * client connects) are recognised and kept aside, never taken as an answer.
 */
#ifndef FIXMAP_RSP_H
#define FIXMAP_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- framing (pure; unit-tested on byte buffers) ---- */

enum rsp_frame_ev {
	RSP_FR_NONE = 0,  /* byte consumed, nothing complete yet */
	RSP_FR_PACKET,    /* a `$` packet is complete and valid: f->buf[0..len) */
	RSP_FR_NOTIFY,    /* a `%` notification is complete (never acked) */
	RSP_FR_ACK,       /* `+` */
	RSP_FR_NAK,       /* `-`: resend the last packet */
	RSP_FR_BADSUM,    /* a packet ended with a wrong or non-hex checksum */
	RSP_FR_TRUNCATED, /* a `$` started a new packet inside an unfinished one */
	RSP_FR_OVERSIZE,  /* checksum right, but the decoded packet exceeds the buffer */
	RSP_FR_MALFORMED, /* checksum right, but a `*` run length is invalid */
};

struct rsp_framer {
	int state;
	uint8_t sum;  /* running checksum of the raw bytes between `$` and `#` */
	uint8_t csum; /* received checksum */
	bool notify, overflow, bad;
	char *buf; /* decoded data, NUL-terminated when complete */
	size_t len, cap;
	uint64_t stray; /* bytes outside any packet, ignored */
};

void rsp_framer_init(struct rsp_framer *f, char *buf, size_t cap);
enum rsp_frame_ev rsp_framer_feed(struct rsp_framer *f, uint8_t c);
/* The same over a buffer: consumes bytes up to and including the first event (in
 * *ev, RSP_FR_NONE if none) and returns how many it consumed. */
size_t rsp_framer_feed_buf(struct rsp_framer *f, const uint8_t *p, size_t n,
			   enum rsp_frame_ev *ev);
uint8_t rsp_checksum(const void *data, size_t len);
/* Frames data as `$...#xx`, escaping `$ # } *`. Returns the framed length; writes
 * only if it fits in cap. */
size_t rsp_frame_encode(const void *data, size_t len, char *out, size_t cap);
/* Hex text to bytes: returns the byte count, or -1 (odd length, non-hex, too long). */
long rsp_hex_decode(const char *hex, size_t hexlen, void *out, size_t outmax);
/* True for a stop reply (`S` or `T` + 2 hex digits, `W`/`X` exit). */
bool rsp_is_stop_reply(const char *pkt, size_t len);

/* ---- target description XML (qXfer:features:read) ---- */

struct rsp_reg {
	char name[48];
	unsigned regnum;
	unsigned bitsize;
};

struct rsp_tdesc {
	struct rsp_reg *regs;
	size_t n, cap;
	unsigned next_regnum; /* a <reg> without regnum= takes the previous one + 1 */
	unsigned depth;       /* include nesting */
	unsigned files;
};

/* Called for each <xi:include href=...>, in document order. */
typedef int (*rsp_tdesc_include_fn)(void *arg, struct rsp_tdesc *d, const char *href,
				    struct fm_err *err);
/* Adds the registers of one document; `inc` may be NULL (includes are errors then). */
int rsp_tdesc_parse(struct rsp_tdesc *d, const char *xml, size_t len, rsp_tdesc_include_fn inc,
		    void *arg, struct fm_err *err);
/* Case-insensitive lookup by name; NULL if absent. */
const struct rsp_reg *rsp_tdesc_find(const struct rsp_tdesc *d, const char *name);
void rsp_tdesc_free(struct rsp_tdesc *d);

/* ---- connection ---- */

enum rsp_status {
	RSP_OK = 0,
	RSP_ETIMEOUT,     /* no reply before the deadline */
	RSP_EEOF,         /* the stub closed the connection */
	RSP_ERESET,       /* connection reset */
	RSP_EIO,          /* other socket error (or connect failure) */
	RSP_EPROTO,       /* framing: bad checksums past the retry limit, oversized or
			     malformed packets, a reply that makes no sense */
	RSP_ESTUB,        /* the stub answered `Exx` */
	RSP_EUNSUPPORTED, /* the stub answered with an empty packet */
};

struct rsp_stats {
	uint64_t packets_sent, packets_received;
	uint64_t bytes_sent, bytes_received;
	uint64_t exchanges;   /* rsp_transact calls: pipelined batches */
	uint64_t retransmits; /* requests sent again after `-` or a corrupt reply */
};

struct rsp;

#define RSP_DEFAULT_TIMEOUT_MS 5000
#define RSP_DEFAULT_DEPTH 64
#define RSP_MAX_PACKET (256 * 1024) /* largest decoded packet accepted */
#define RSP_MAX_RETRIES 4

/* Connects to host:port within timeout_ms. */
struct rsp *rsp_connect(const char *host, const char *port, int timeout_ms, struct fm_err *err);
void rsp_close(struct rsp *r);
void rsp_set_timeout(struct rsp *r, int ms);
void rsp_set_depth(struct rsp *r, unsigned depth); /* 1 = no pipelining */
/* For stubs that never wait for our `+` (QEMU in system mode): acks then go out
 * with the next requests instead of as a write of their own per reply. */
void rsp_set_lazy_acks(struct rsp *r, bool lazy);
enum rsp_status rsp_status(const struct rsp *r);    /* of the last failure */
const struct rsp_stats *rsp_stats(const struct rsp *r);
/* True once the stream is out of step (timeout mid-exchange): later calls fail. */
bool rsp_broken(const struct rsp *r);
size_t rsp_mem_chunk(const struct rsp *r); /* bytes per `m` request */

/*
 * Generic exchange: sends requests 0..n-1 (req() formats request idx into buf,
 * returns its length or -1 if it does not fit), at most `depth` outstanding, and
 * passes each reply to rep() in request order. A failing rep() keeps the first
 * error; the exchange still drains every outstanding reply so the stream stays
 * in step. Returns 0, or -1 with err set and rsp_status() telling the kind.
 */
typedef int (*rsp_req_fn)(void *arg, size_t idx, char *buf, size_t cap);
typedef int (*rsp_reply_fn)(void *arg, size_t idx, const char *data, size_t len,
			    struct fm_err *err);
int rsp_transact(struct rsp *r, size_t n, unsigned depth, rsp_req_fn req, rsp_reply_fn rep,
		 void *arg, struct fm_err *err);

/* One request, one reply: *reply points into the connection's buffer until the next call. */
int rsp_request(struct rsp *r, const char *pkt, const char **reply, size_t *len,
		struct fm_err *err);

/* ---- packets ---- */

struct rsp_features {
	size_t packet_size; /* PacketSize=, 0 if not given */
	bool xfer_features; /* qXfer:features:read+ */
	bool multiprocess;  /* multiprocess+ */
};

int rsp_qsupported(struct rsp *r, struct rsp_features *f, struct fm_err *err);
/* `?`: the stop reason text into buf. */
int rsp_halt_reason(struct rsp *r, char *buf, size_t n, struct fm_err *err);
/* qfThreadInfo/qsThreadInfo: thread ids as the stub spells them ("p1.2"), at most max. */
int rsp_thread_list(struct rsp *r, char (*ids)[24], unsigned max, unsigned *n,
		    struct fm_err *err);
/* `Hg<tid>` (op 'g') or `Hc<tid>`. */
int rsp_set_thread(struct rsp *r, char op, const char *tid, struct fm_err *err);
/* qXfer:features:read:ANNEX: the whole object, malloc'd and NUL-terminated. */
int rsp_read_features(struct rsp *r, const char *annex, char **out, size_t *len,
		      struct fm_err *err);
/* target.xml and every file it includes, parsed into d. */
int rsp_read_tdesc(struct rsp *r, struct rsp_tdesc *d, struct fm_err *err);
/* `p N` of thread tid (NULL: the current one; else `Hg` is pipelined before it).
 * The value is little-endian in the reply; *bits gets its width. */
int rsp_read_reg(struct rsp *r, const char *tid, unsigned regnum, uint64_t *val,
		 unsigned *bits, struct fm_err *err);
/* `Qqemu.PhyMemMode:on`: RSP_EUNSUPPORTED from a stub without QEMU's extension. */
int rsp_phymem_mode(struct rsp *r, int on, struct fm_err *err);

/* One piece of a memory read. */
struct rsp_mem {
	uint64_t addr;
	void *buf;
	size_t len;
};

/*
 * Reads every piece with `m` requests split to the stub's limit and pipelined.
 * `pre` and `post` (NULL for none) are requests sent before and after them in the
 * same pipeline, each expected to answer OK (e.g. "Qqemu.PhyMemMode:1" and ":0",
 * or "Hgp1.2"): `post` is sent even when a read fails. The first `m` replies
 * decide the chunk size: an error from a chunk larger than 64 bytes before any
 * succeeded halves it (QEMU 7.2 refuses more than 0x800 bytes with E22).
 */
int rsp_read_mem_v(struct rsp *r, const struct rsp_mem *v, size_t n, const char *pre,
		   const char *post, struct fm_err *err);
int rsp_read_mem(struct rsp *r, uint64_t addr, void *buf, size_t len, struct fm_err *err);
/* `M addr,len:hex`, split and pipelined the same way. */
int rsp_write_mem(struct rsp *r, uint64_t addr, const void *buf, size_t len, const char *pre,
		  const char *post, struct fm_err *err);

/* Sends one packet and waits for nothing: a last word on a connection that is out
 * of step (e.g. `D` so the VM does not stay stopped). */
int rsp_post(struct rsp *r, const char *pkt, struct fm_err *err);
/* `c`: resumes; no reply until the target stops again. */
int rsp_continue(struct rsp *r, struct fm_err *err);
/* `D` or `D;pid`: detaches (the stub resumes the target). */
int rsp_detach(struct rsp *r, const char *pid, struct fm_err *err);
/* Sends ^C (0x03) and waits for the stop reply (its text into buf). */
int rsp_interrupt(struct rsp *r, char *buf, size_t n, struct fm_err *err);
/* Takes the last unsolicited stop reply seen, if any (text into buf). */
bool rsp_take_stop(struct rsp *r, char *buf, size_t n);

#endif
