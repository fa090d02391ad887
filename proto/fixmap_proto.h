/* SPDX-License-Identifier: MIT */
/*
 * fixmap shared-memory protocol: the one definition of the memory the EL2 agent
 * writes and fixmapctl reads. Both sides compile this header; every offset is
 * pinned with _Static_assert so a change that moves a field fails to build.
 *
 * Layout (all little-endian, naturally aligned):
 *
 *   struct fixmap_shared_hdr      at the symbol `fixmap_shared` (or found by magic)
 *   struct fixmap_ctrl            at hdr.ctrl_offset (host writes, agent validates)
 *   struct fixmap_cpu[ncpus]      at hdr.cpu_offset + i * hdr.cpu_size
 *     .ring data                  at cpu + cpu.ring_offset, cpu.ring_size bytes
 *
 * Compatibility: readers check magic, then major (refuse a different major),
 * then use min(hdr_size, sizeof(their header)). Minor versions only add fields
 * at the end of a struct (into reserved space) and add record types; readers
 * skip record types they do not know, using the record's size.
 *
 * Minor 2 adds: struct fixmap_image_note (where the header will be, findable
 * before the agent has booted), FIXMAP_REC_LOST (where in a CPU's stream its
 * dropped events were), fixmap_cpu.unmarked (drops no LOST record reports yet)
 * and fixmap_cpu.wait_ms (the consumer asks the producer to wait for room
 * instead of dropping). An older agent leaves these zero and never writes a
 * LOST record: readers then place gaps by the lost counter alone.
 */
#ifndef FIXMAP_PROTO_H
#define FIXMAP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define FIXMAP_MAGIC 0x314d485350414d46ull /* "FMAPSHM1" */
#define FIXMAP_PROTO_MAJOR 1
#define FIXMAP_PROTO_MINOR 2 /* 1.1: pte records' level is signed (-1); 1.2: lossless rings */
#define FIXMAP_MAX_CPUS 8
/*
 * Bytes per CPU ring, power of two: 4096 event records, enough for a run of
 * about 500 iterations of the workload (8 records per iteration in the
 * broadcast mode) without loss when nobody drains the ring.
 */
#define FIXMAP_RING_SIZE 262144u
#define FIXMAP_SYM "fixmap_shared"

/*
 * In the agent's image (read-only data, 16-byte aligned): where its shared
 * header is. The loader puts the image in RAM before the agent runs, so a scan
 * of RAM that finds this note but no header knows an agent is there, still
 * booting, and where its header will appear. (Minor 2.)
 */
#define FIXMAP_NOTE_MAGIC 0x45544f4e50414d46ull /* "FMAPNOTE" */
struct fixmap_image_note {
	uint64_t magic;     /* FIXMAP_NOTE_MAGIC */
	uint64_t shared_pa; /* physical address of struct fixmap_shared_hdr */
};

/* hdr.state */
enum fixmap_state {
	FIXMAP_STATE_BOOT = 0,
	FIXMAP_STATE_RUNNING = 1,
	FIXMAP_STATE_DONE = 2,
	FIXMAP_STATE_FAILED = 3,
};

/* Maintenance modes (hdr.mode, ctrl.mode, fixmap.mode= on the command line). */
#define FIXMAP_MODES(X)                                                                            \
	X(broadcast, 0)                                                                            \
	X(local, 1)                                                                                \
	X(no_break, 2)                                                                             \
	X(no_tlbi, 3)                                                                              \
	X(no_dsb, 4)                                                                               \
	X(bad_ttl, 5)                                                                              \
	X(no_isb, 6)
enum fixmap_mode {
#define FIXMAP_MODE_ENUM(name, val) FIXMAP_MODE_##name = val,
	FIXMAP_MODES(FIXMAP_MODE_ENUM)
#undef FIXMAP_MODE_ENUM
	FIXMAP_NR_MODES
};

struct fixmap_shared_hdr {
	uint64_t magic;       /* FIXMAP_MAGIC, written last at boot (release) */
	uint16_t major;       /* FIXMAP_PROTO_MAJOR */
	uint16_t minor;       /* FIXMAP_PROTO_MINOR */
	uint32_t hdr_size;    /* sizeof(struct fixmap_shared_hdr) of the writer */
	uint32_t ncpus;       /* CPUs brought up (<= max_cpus) */
	uint32_t max_cpus;    /* per-CPU areas present */
	uint32_t cpu_offset;  /* from the header to fixmap_cpu[0] */
	uint32_t cpu_size;    /* stride of the per-CPU areas */
	uint32_t ctrl_offset; /* from the header to struct fixmap_ctrl */
	uint32_t ctrl_size;
	uint64_t total_size; /* bytes from the header to the end of the last area */
	uint64_t shared_pa;  /* physical address of this header */
	uint64_t seq;        /* global event sequence counter (atomic add) */
	uint32_t state;      /* enum fixmap_state */
	uint32_t mode;       /* enum fixmap_mode in force */
	uint64_t iters;      /* iterations per CPU, 0 = forever */
	uint64_t fixmap_va;  /* VA of CPU 0's slot; CPU n's is fixmap_va + n * 4096 */
	uint64_t root_pa;    /* the shared EL2 stage-1 root (TTBR0_EL2 BADDR) */
	uint64_t pool_pa;    /* physical pages the workload maps */
	uint32_t pool_pages;
	uint32_t failures; /* self-check failures, all CPUs */
	/* minor 0 additions (from the reserved space): */
	uint64_t stale; /* stale translations observed in fault-injection modes, all CPUs */
	uint64_t reserved[15];
};

/*
 * Control block: the host writes fields, then increments `gen` (release).
 * The agent polls `gen` (acquire), validates every field, applies them only if
 * all are valid, and answers with ack_gen = gen and status (0 = applied, else a
 * FIXMAP_CTRL_E* code). Invalid requests change nothing. At boot the agent
 * fills mode/iters/pause/pool_pages with the values in force, so a host can
 * read, change one field and write back. Reserved fields must be zero.
 */
#define FIXMAP_CTRL_OK 0
#define FIXMAP_CTRL_EMODE 1
#define FIXMAP_CTRL_EITERS 2
#define FIXMAP_CTRL_EPAUSE 3
#define FIXMAP_CTRL_EPOOL 4
#define FIXMAP_CTRL_ERESERVED 5 /* a reserved field is not zero */
#define FIXMAP_MAX_ITERS (1ull << 40)
#define FIXMAP_MAX_POOL_PAGES 1024u /* pool_pages must be in [ncpus, this] */
struct fixmap_ctrl {
	uint32_t gen;
	uint32_t mode;
	uint64_t iters;
	uint32_t pause; /* 0 run, 1 pause */
	uint32_t pool_pages;
	uint32_t ack_gen;
	uint32_t status;
	uint64_t reserved[4];
};

/*
 * Per-CPU area. The ring control words sit on their own 64-byte lines so the
 * producer (the CPU) and the consumer (the host) never write the same line.
 */
struct fixmap_cpu {
	/* Slot state */
	uint64_t slot_va;  /* this CPU's fixmap slot */
	uint64_t pte_pa;   /* physical address of the slot's level-3 entry */
	uint64_t pte;      /* current descriptor */
	uint64_t maps;     /* fixmap_map() calls */
	uint64_t unmaps;   /* fixmap_unmap() calls */
	uint64_t iters;    /* workload iterations done */
	uint64_t failures; /* pattern check failures */
	uint32_t cpu;      /* logical CPU number */
	uint32_t online;   /* 1 once the CPU runs with its MMU on */
	uint64_t mpidr;
	/* System registers, as the CPU set them */
	uint64_t ttbr0_el2;
	uint64_t tcr_el2;
	uint64_t mair_el2;
	uint64_t sctlr_el2;
	uint64_t hcr_el2;
	uint64_t id_aa64mmfr0;
	uint64_t id_aa64mmfr1;
	uint64_t id_aa64mmfr2;
	/* minor 0 additions (from the reserved space): */
	uint64_t stale; /* pattern read back from another page: the slot's old translation */
	uint64_t reserved[14];
	/* Ring control: producer line */
	uint64_t head; /* bytes ever written (free-running), store-release by the CPU */
	uint64_t lost; /* records dropped because the ring was full */
	uint32_t ring_offset; /* from this struct to the ring data */
	uint32_t ring_size;   /* bytes, power of two */
	uint64_t produced;    /* records written (not counting lost) */
	/* minor 2: */
	uint64_t unmarked; /* of `lost`, drops that no FIXMAP_REC_LOST record reports yet */
	uint64_t pad0[3];
	/* Ring control: consumer line */
	uint64_t tail; /* bytes consumed (free-running), store-release by the host */
	/*
	 * minor 2, written by the consumer: 0, the producer drops a record that
	 * does not fit (and counts it: lossy, the agent at full speed); N > 0, it
	 * first waits up to N ms of its own timer for the consumer to make room.
	 * A wait that times out drops, and the producer then stops waiting until it
	 * finds room again, so a consumer that went away costs one wait, not one
	 * per record.
	 */
	uint32_t wait_ms;
	uint32_t pad2;
	uint64_t pad1[6];
};

/*
 * Ring records. Every record starts with fixmap_rec_hdr; size is a multiple of
 * 8 and includes the header. A record never straddles the end of the ring: the
 * producer fills the remainder with a FIXMAP_REC_PAD record instead.
 *
 * Memory-ordering contract (single producer = the CPU, single consumer = host):
 *
 *   producer (agent)                          consumer (host)
 *   t = load-acquire(tail)    <-- pairs -->   store-release(tail, t')   (1)
 *   while head - t + size > ring_size:        h = load-acquire(head)    (2)
 *       if wait_ms and not timed out:         read records [t, h)
 *           t = load-acquire(tail) (1), again store-release(tail, h)    (1)
 *       else: lost++, unmarked++, return
 *   if unmarked: write a LOST record first
 *   write record bytes
 *   store-release(head, head+size)  --> pairs with (2)
 *
 * (1) the producer never overwrites bytes the consumer has not finished
 * reading; (2) the consumer never reads a record before its bytes are visible.
 * After drops the producer writes a LOST record (count = unmarked) before its
 * next record, so the gap sits at its place in the CPU's stream; it clears
 * unmarked before the store-release of head that publishes the LOST record.
 * A host that reads while the guest runs (memory file) re-reads head after
 * copying and discards records the producer may have overwritten meanwhile
 * (possible only if the host does not own tail, e.g. a read-only observer).
 */
enum fixmap_rec_type {
	FIXMAP_REC_PAD = 0,
	FIXMAP_REC_PTE = 1,    /* a0 = entry PA, a1 = VA, a2 = old, a3 = new, a4 = level:
				  int64_t, -1..3 (-1 since 1.1: 4K granule with LPA2) */
	FIXMAP_REC_DSB = 2,    /* a0 = CRm option (include/arm64/barrier.h) */
	FIXMAP_REC_DMB = 3,    /* a0 = CRm option */
	FIXMAP_REC_ISB = 4,    /* no operands */
	FIXMAP_REC_TLBI = 5,   /* a0 = enum tlbi_op (include/arm64/tlbi.h), a1 = Xt */
	FIXMAP_REC_ACCESS = 6, /* a0 = VA used, a1 = 1 if instruction fetch */
	FIXMAP_REC_FREE = 7,   /* a0 = PA of the page freed or reused */
	/*
	 * minor 2: a0 events of this CPU were dropped (ring full) between its
	 * previous record and this one; a1 = its lost counter after them. pc = 0.
	 */
	FIXMAP_REC_LOST = 8,
};

struct fixmap_rec_hdr {
	uint16_t type; /* enum fixmap_rec_type */
	uint16_t size; /* bytes including this header, multiple of 8 */
	uint16_t cpu;
	uint16_t flags;
};

struct fixmap_rec_event {
	struct fixmap_rec_hdr hdr;
	uint64_t seq; /* from hdr.seq, orders events across CPUs */
	uint64_t pc;  /* caller's PC */
	uint64_t a[5];
};

#define FIXMAP_STATIC_ASSERT(c, m) _Static_assert(c, m)
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_shared_hdr) == 240, "header size");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, magic) == 0, "magic");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, major) == 8, "major");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, hdr_size) == 12, "hdr_size");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, ncpus) == 16, "ncpus");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, cpu_offset) == 24, "cpu_offset");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, ctrl_offset) == 32, "ctrl_offset");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, total_size) == 40, "total_size");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, shared_pa) == 48, "shared_pa");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, seq) == 56, "seq");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, state) == 64, "state");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, iters) == 72, "iters");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, fixmap_va) == 80, "fixmap_va");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, root_pa) == 88, "root_pa");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, pool_pa) == 96, "pool_pa");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, pool_pages) == 104, "pool_pages");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, failures) == 108, "failures");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, stale) == 112, "stale");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_shared_hdr, reserved) == 120, "reserved");
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_ctrl) == 64, "ctrl size");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_ctrl, iters) == 8, "ctrl iters");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_ctrl, ack_gen) == 24, "ctrl ack_gen");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, slot_va) == 0, "slot_va");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, cpu) == 56, "cpu");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, ttbr0_el2) == 72, "ttbr0_el2");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, id_aa64mmfr2) == 128, "mmfr2");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, stale) == 136, "stale");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, maps) == 24, "maps");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, iters) == 40, "iters");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, failures) == 48, "failures");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, lost) == 264, "lost");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, produced) == 280, "produced");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, head) == 256, "head");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, head) % 64 == 0, "head on its own line");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, unmarked) == 288, "unmarked");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, tail) == 320, "tail");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, wait_ms) == 328, "wait_ms");
FIXMAP_STATIC_ASSERT(offsetof(struct fixmap_cpu, tail) - offsetof(struct fixmap_cpu, head) >= 64,
		     "producer and consumer words on different lines");
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_cpu) == 384, "cpu area size");
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_rec_hdr) == 8, "record header");
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_rec_event) == 64, "event record");
FIXMAP_STATIC_ASSERT(sizeof(struct fixmap_image_note) == 16, "image note");
FIXMAP_STATIC_ASSERT((FIXMAP_RING_SIZE & (FIXMAP_RING_SIZE - 1)) == 0, "ring size power of 2");

#endif
