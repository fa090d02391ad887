#!/usr/bin/env python3
# Writes the hand-made seed inputs of the fuzz targets (run by hand after a
# change of an input layout; the seeds are committed): mkseeds.py [NAME...]
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- walk: 48-byte configuration, then memory from PA 0 (or 0x1000) ----
def walk_cfg(regime, txsz, sl0=0, ttbr=0, mair=0xFF00, lo=0, hi=2**64 - 1, ttbr1=False,
             raw_tcr=None, base=False, caps=False):
    b0 = (3 if regime == "el2" else {"el1": 1, "s2": 2}[regime]) | (4 if ttbr1 else 0)
    b0 |= (8 if raw_tcr is not None else 0) | (16 if base else 0) | (32 if caps else 0)
    tcr = raw_tcr if raw_tcr is not None else txsz | (sl0 << 8)
    return bytes([b0]) + struct.pack("<QQQQQ", tcr, ttbr, mair, lo, hi) + bytes(7)


def pages(n, entries):
    mem = bytearray(4096 * n)
    for (p, i), v in entries.items():
        struct.pack_into("<Q", mem, p * 4096 + i * 8, v)
    return bytes(mem)


AF = 1 << 10
T = lambda p: p * 4096 | 3
BLK = lambda pa, a=0: pa | AF | a | 1
PG = lambda pa, a=0: pa | AF | a | 3


def walk_seeds():
    basic = {(0, 1): T(1) | (1 << 60), (0, 2): BLK(0x80000000), (1, 0): BLK(0x40200000, 4 | 128),
             (1, 1): T(2), (2, 0): PG(0x41000000, 4), (2, 2): PG(0x41005000, 4 | (1 << 52)),
             (2, 3): 0x41006000 | 1}
    put("walk", "el2-39bit", walk_cfg("el2", 25) + pages(3, basic))
    put("walk", "el2-48bit", walk_cfg("el2", 16) + pages(4, {(0, 0): T(1), (1, 0): T(2), (2, 0): T(3),
                                                                (3, 5): PG(0x1000), (0, 3): BLK(0)}))
    put("walk", "el2-range", walk_cfg("el2", 25, lo=0x40000000, hi=0x40203fff) + pages(3, basic))
    put("walk", "self-loop", walk_cfg("el2", 16) + pages(1, {(0, i): T(0) for i in range(512)}))
    put("walk", "mutual", walk_cfg("el2", 16) + pages(3, {**{(0, i): T(1 + i % 2) for i in range(64)},
                                                         **{(1, i): T(2) for i in range(64)},
                                                         **{(2, i): T(0) for i in range(64)}}))
    put("walk", "outside", walk_cfg("el2", 25) + pages(1, {(0, 0): 0x7000000000 | 3, (0, 1): (1 << 47) | 3,
                                                          (0, 2): T(5), (0, 3): 0xfff | 3}))
    put("walk", "s2-concat", walk_cfg("s2", 24, sl0=1) + pages(3, {(1, 0): BLK(0x80000000, 0x3C | 0xC0),
                                                                   (0, 1): T(2), (2, 0): BLK(0, 0x3C)}))
    put("walk", "el1-ttbr1", walk_cfg("el1", 16, ttbr1=True, ttbr=0xA5 << 48) +
        pages(2, {(0, 511): T(1) | (1 << 62), (1, 511): BLK(0x40000000), (0, 256): T(1)}))
    put("walk", "el1-ttbr0", walk_cfg("el1", 25, mair=0x04FF44) + pages(2, {(0, 0): T(1), (1, 1): PG(0, 8 | 64)}))
    put("walk", "base-1000", walk_cfg("el2", 25, ttbr=0x1000, base=True) + pages(2, {(0, 0): T(1), (1, 0): T(0)}))
    put("walk", "raw-tcr", walk_cfg("el2", 0, raw_tcr=0x80853519) + pages(2, {(0, 0): T(1), (1, 0): BLK(0)}))
    put("walk", "raw-tcr-64k", walk_cfg("el2", 0, raw_tcr=0x80857519) + pages(1, {}))


# ---- rsp: [0] mode, then per mode (fuzz_rsp.c) ----
def pkt(data):
    if isinstance(data, str):
        data = data.encode()
    return b"+$" + data + b"#%02x" % (sum(data) & 0xFF)


TDESC_TARGET = ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
                '<target><architecture>aarch64</architecture>'
                '<xi:include href="aarch64-core.xml"/>'
                '<xi:include href="system-registers.xml"/></target>')
TDESC_CORE = ('<feature name="org.gnu.gdb.aarch64.core"><reg name="x0" bitsize="64"/>'
              '<reg name="x1" bitsize="64"/><reg name="sp" bitsize="64" type="data_ptr"/>'
              '<reg name="pc" bitsize="64" regnum="32"/><reg name="cpsr" bitsize="32"/></feature>')
TDESC_SYS = ('<feature name="org.qemu.gdb.arm.sys.regs">'
             '<reg name="TTBR0_EL2" bitsize="64" regnum="100" group="system"/>'
             '<reg name="TCR_EL2" bitsize="64"/><reg name="MAIR_EL2" bitsize="64"/>'
             '<!-- a comment --><reg name="SCTLR_EL2" bitsize="64"/></feature>')


def xfer(doc):
    return pkt("l" + doc)


def rsp_seeds():
    # framing
    put("rsp", "frame-plain", b"\x00\x40" + b"+$OK#9a-$T05thread:01;#07%Stop:T05#00$0*}#00")
    put("rsp", "frame-escapes", b"\x00\x08" + b"$a}\x04b}\x03c}]d}\x0ae#51$" + b"x" * 20 + b"#00")
    put("rsp", "frame-hex", b"\x00\x10" + b"0123456789abcdefABCDEF")
    sup = pkt("PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+")
    stop = pkt("T05thread:p01.01;")
    threads = pkt("mp01.01,p01.02,p01.03,p01.04") + pkt("l")
    head = struct.pack("<QQ", 0x40001000, 15)  # addr, len - 1
    mem = pkt("00" * 16)
    api = (sup + stop + threads + pkt("OK") + xfer(TDESC_TARGET) + xfer(TDESC_TARGET) +
           xfer(TDESC_CORE) + xfer(TDESC_SYS) + pkt("OK") + pkt("0010004000000000") + pkt("OK") +
           pkt("OK") + mem + mem + mem + pkt("OK") + mem + pkt("OK") + stop + pkt("OK"))
    put("rsp", "api-qemu", b"\x01" + head + api)
    put("rsp", "api-errors", b"\x01" + head + sup + pkt("E01") + pkt("") + pkt("E22") +
        pkt("m<reg") + pkt("") + pkt("E0a") * 8)
    put("rsp", "api-runlength", b"\x01" + head + sup + stop + threads + pkt("OK") +
        xfer("<target>" + "<reg name=\"r\" bitsize=\"64\"/>" * 3 + "</target>") + pkt("0*}"))
    # target_gdb_open, then reads: qSupported ? qfThreadInfo qsThreadInfo PhyMemMode:0,
    # then stop (already stopped), m reads, p ...
    tgt = (sup + stop + threads + pkt("OK") + pkt("OK") + mem + mem + mem + pkt("OK") +
           xfer(TDESC_TARGET) + xfer(TDESC_CORE) + xfer(TDESC_SYS) + pkt("OK") +
           pkt("0010004000000000") + pkt("OK"))
    put("rsp", "target-qemu", b"\x02" + struct.pack("<QQ", 0x40001000, 0x0f0f0f) + tgt)
    put("rsp", "target-nothreads", b"\x02" + struct.pack("<QQ", 0x1000, 0) + sup + stop + pkt("") +
        pkt("") + pkt("E01") + pkt("E01") * 4)
    put("rsp", "target-eof", b"\x02" + struct.pack("<QQ", 0, 0) + b"+$PacketSize=1")


# ---- ring: 8-byte control, mutations, then memory at 0x40000000 (fuzz_ring.c) ----
MAGIC = 0x314D485350414D46
RING_BASE = 0x40000000
HDR_SIZE, CPU_SIZE, REC = 240, 384, 64
CTRL_OFF, CPU_OFF, RING = 256, 512, 4096
PTE, DSB, DMB, ISB, TLBI, ACCESS, FREE, LOST = 1, 2, 3, 4, 5, 6, 7, 8
NOTE_MAGIC = 0x45544F4E50414D46


def rec(rtype, cpu, seq, a=(0, 0, 0, 0, 0), size=REC):
    a = tuple(a) + (0,) * (5 - len(a))
    b = struct.pack("<HHHHQQ5Q", rtype, size, cpu, 0, seq, 0x40201000, *a)
    return (b + b"\xee" * size)[:size]


def area(ncpus=2, records=None, hdr_over=None, cpu_over=None, at=0, major=1, hdr_size=HDR_SIZE,
         magic=MAGIC, tails=None):
    stride = CPU_SIZE + RING
    total = CPU_OFF + ncpus * stride
    mem = bytearray(at + total)
    pa = RING_BASE + at
    h = dict(magic=magic, major=major, minor=0, hdr_size=hdr_size, ncpus=ncpus, max_cpus=ncpus,
             cpu_offset=CPU_OFF, cpu_size=stride, ctrl_offset=CTRL_OFF, ctrl_size=64,
             total_size=total, shared_pa=pa, seq=100, state=1, mode=1)
    h.update(hdr_over or {})
    struct.pack_into("<QHHIIIIIIIQQQII", mem, at, h["magic"], h["major"], h["minor"], h["hdr_size"],
                     h["ncpus"], h["max_cpus"], h["cpu_offset"], h["cpu_size"], h["ctrl_offset"],
                     h["ctrl_size"], h["total_size"], h["shared_pa"], h["seq"], h["state"], h["mode"])
    for i in range(ncpus):
        c = at + CPU_OFF + i * stride
        recs = b"".join((records or {}).get(i, []))
        head = len(recs)
        tail = (tails or {}).get(i, 0)
        cv = dict(cpu=i, online=1, head=head, tail=tail, lost=0, ring_offset=CPU_SIZE, ring_size=RING,
                  unmarked=0)
        cv.update((cpu_over or {}).get(i, {}))
        struct.pack_into("<Q", mem, c, 0x80000000 + i * 4096)
        struct.pack_into("<II", mem, c + 56, cv["cpu"], cv["online"])
        struct.pack_into("<QQQ", mem, c + 72, 0x40100000, 0x80853519, 0xFF00)
        struct.pack_into("<Q", mem, c + 128, 1 << 48)
        struct.pack_into("<QQII", mem, c + 256, cv["head"], cv["lost"], cv["ring_offset"], cv["ring_size"])
        if cv["unmarked"]:
            struct.pack_into("<Q", mem, c + 288, cv["unmarked"])
        struct.pack_into("<Q", mem, c + 320, cv["tail"])
        mem[c + CPU_SIZE:c + CPU_SIZE + len(recs)] = recs[:RING]
    return bytes(mem)


def ctl(mode=0, muts=()):
    b = bytes([mode, len(muts)]) + bytes(6)
    for batch, off, val in muts:
        b += struct.pack("<IIQ", batch, off, val)
    return b


def ring_seeds():
    seq = iter(range(1, 10000))
    cpu0 = [rec(PTE, 0, next(seq), (0x40101008, 0x80000000, 0, 0x41000743, 3)),
            rec(DSB, 0, next(seq), (10,)), rec(TLBI, 0, next(seq), (44, 0x80000)),
            rec(DSB, 0, next(seq), (11,)), rec(ISB, 0, next(seq)), rec(DMB, 0, next(seq), (9,)),
            rec(ACCESS, 0, next(seq), (0x80000000, 1)), rec(FREE, 0, next(seq), (0x41000000,)),
            rec(99, 0, next(seq), size=24), rec(0, 0, 0, size=16)]
    cpu1 = [rec(PTE, 1, next(seq), (0x40101010, 0x80001000, 0x41000743, 0, 3)),
            rec(TLBI, 1, next(seq), (30, 0x80000 | (6 << 44))), rec(DSB, 1, next(seq), (7,))]
    recs = {0: cpu0, 1: cpu1}
    base = area(records=recs)
    put("ring", "two-cpus", ctl() + base)
    put("ring", "read-only", ctl(4) + base)
    # a record wrapping: tail near the end, PAD to the end, records from 0
    wrap = bytearray(area(records={0: cpu0[:3]}, cpu_over={0: dict(head=RING + 3 * REC, tail=RING - 128)}))
    c0 = CPU_OFF + CPU_SIZE
    wrap[c0 + RING - 128:c0 + RING] = rec(0, 0, 0, size=128)
    put("ring", "wrap-pad", ctl() + bytes(wrap))
    # the agent moves while we read: head jumps, a record is torn, geometry changes
    head0 = CPU_OFF + 256
    size_of_rec2 = CPU_OFF + CPU_SIZE + 2 * REC + 2
    put("ring", "mutating-head", ctl(0, [(2, head0, 5 * REC), (3, head0, 1 << 40), (5, head0, 0)]) + base)
    put("ring", "torn-record", ctl(0, [(2, size_of_rec2 - 2, 0x0000000000050003)]) + base)
    put("ring", "geometry-change", ctl(0, [(3, head0 + 16, (4096 << 32) | 200)]) + base)
    put("ring", "head-behind", ctl() + area(records=recs, tails={0: 5 * REC + 8}))
    put("ring", "lost", ctl() + area(records=recs, cpu_over={1: dict(lost=7)}))
    put("ring", "bad-magic", ctl() + area(records=recs, magic=MAGIC ^ 1))
    put("ring", "major-2", ctl() + area(records=recs, major=2))
    put("ring", "small-header", ctl() + area(records=recs, hdr_size=16))
    put("ring", "large-header", ctl() + area(records=recs, hdr_size=480))
    put("ring", "too-many-cpus", ctl() + area(records=recs, hdr_over=dict(max_cpus=9, ncpus=9)))
    put("ring", "bad-ring-size", ctl() + area(records=recs, cpu_over={1: dict(ring_size=3000)}))
    put("ring", "scan", ctl(2) + area(records=recs, at=0x1000))
    # protocol 1.2: a LOST record placing drops, drops not placed yet, an image note
    lost_recs = {0: cpu0[:3], 1: [rec(LOST, 1, next(seq), (5, 5))] + cpu1 + [rec(LOST, 1, next(seq), (0, 5))]}
    put("ring", "lost-record", ctl(8) + area(records=lost_recs, hdr_over=dict(minor=2),
                                            cpu_over={0: dict(lost=3, unmarked=3)}))
    note = bytearray(area(records=recs, at=0x1000, magic=0, hdr_over=dict(minor=2)))
    struct.pack_into("<QQ", note, 0x10, NOTE_MAGIC, RING_BASE + 0x1000)
    put("ring", "note-booting", ctl(2) + bytes(note))
    put("ring", "decode-only", bytes([1, 9, 1, 0, 0, 0, 0, 0]) + b"".join(cpu0 + cpu1))
    put("ring", "decode-garbage", bytes([1, 4, 0, 0, 0x10, 0, 0, 0]) +
        struct.pack("<HHHH", PTE, 0, 0, 0) + struct.pack("<HHHH", PTE, 12, 0, 0) + rec(PTE, 0, 1, size=32))


# ---- kallsyms: [0] mode (bit 0: through elfsym_open; bit 1: address known), then an image ----
KBASE = 0xffff800008000000


def al8(v):
    return (v + 7) & ~7


def kimage(order="first", seq=0, rela=False, header=True, text=True, long_name=False, nsyms=300,
           image_size=0x20000, at=0x100):
    syms = ([(0, "T", "_text")] if text else []) + [(0x800, "t", "primary_entry"), (0x1000, "T", "_stext")]
    syms += [(0x1000 + 0x10 * i, "tT"[i % 2], ("kvm_f%d" if i % 5 else "func_%d") % i) for i in range(nsyms)]
    if long_name:
        syms.append((0x1000 + 0x10 * nsyms, "T", "L" * 150))
    syms += [(0x9000, "D", "_etext"), (0x9000, "d", "obj_1"), (0x18000, "b", "bss_1"), (image_size, "B", "_end")]
    toks = {1: b"kvm_", 2: b"func_", 3: b"_text"}

    def tok(c):
        return toks.get(c, bytes([c]) if 0x20 < c < 0x7f else b"__")

    def enc(name):
        out, i = [], 0
        while i < len(name):
            for c, t in toks.items():
                if name.startswith(t, i):
                    out.append(c)
                    i += len(t)
                    break
            else:
                out.append(name[i])
                i += 1
        return bytes(out)

    rb = KBASE + syms[0][0]
    d = bytearray(at)
    if header:
        struct.pack_into("<IIQQQ", d, 0, 0xFA405A4D, 0x14000000 | ((0x800 - 4) // 4), 0, image_size, 0xA)
        struct.pack_into("<I", d, 0x38, 0x644D5241)

    def pad():
        d.extend(bytes(al8(len(d)) - len(d)))

    def offsets():
        pad()
        o = len(d)
        for a, _, _ in syms:
            d.extend(struct.pack("<I", KBASE + a - rb))
        pad()
        r = len(d)
        d.extend(struct.pack("<Q", 0 if rela else rb))
        return r

    relb = offsets() if order == "first" else None
    pad()
    d.extend(struct.pack("<I", len(syms)))
    pad()
    names, marks = len(d), []
    for i, (_, t, n) in enumerate(syms):
        if i % 256 == 0:
            marks.append(len(d) - names)
        e = enc((t + n).encode())
        d.extend(bytes([len(e)]) if len(e) < 0x80 else bytes([(len(e) & 0x7F) | 0x80, len(e) >> 7]))
        d.extend(e)
    pad()
    for m in marks:
        d.extend(struct.pack("<I", m))
    pad()
    if order == "first" and seq:
        for i in range(len(syms)):
            d.extend(struct.pack("<I", i)[:seq])
        pad()
    tt, idx = len(d), []
    for c in range(256):
        idx.append(len(d) - tt)
        d.extend(tok(c) + b"\0")
    pad()
    for v in idx:
        d.extend(struct.pack("<H", v))
    if order == "last":
        relb = offsets()
        for i in range(len(syms)):
            d.extend(struct.pack("<I", i)[:3])
    pad()
    d.extend(struct.pack("<QQQ", KBASE + 0x9000, 1027, KBASE + 0x1000))
    if rela:
        d.extend(struct.pack("<QQQ", KBASE + relb, 1027, rb))
    return bytes(d)


def kallsyms_seeds():
    put("kallsyms", "5.10-rela", bytes([0]) + kimage(rela=True, text=False))
    put("kallsyms", "6.1-seqs-rela", bytes([0]) + kimage(seq=3, rela=True, text=False))
    put("kallsyms", "6.2-seqs4", bytes([0]) + kimage(seq=4))
    put("kallsyms", "6.12-relr", bytes([0]) + kimage(order="last"))
    put("kallsyms", "6.4-rela", bytes([0]) + kimage(order="last", rela=True))
    put("kallsyms", "long-name", bytes([0]) + kimage(order="last", long_name=True))
    put("kallsyms", "elfsym-image", bytes([1]) + kimage(order="last"))
    put("kallsyms", "va-known", bytes([2]) + kimage(seq=3, rela=True, header=False, text=False))
    put("kallsyms", "no-anchor", bytes([0]) + kimage(rela=True, header=False, text=False))
    put("kallsyms", "zboot", bytes([1]) + b"MZ\0\0zimg" + struct.pack("<II", 0x100, 0x1000) + bytes(8) + b"gzip\0\0\0\0")
    put("kallsyms", "header-only", bytes([1]) + kimage(nsyms=0)[:64] + bytes(512))


SEEDS = {"walk": walk_seeds, "rsp": rsp_seeds, "ring": ring_seeds, "kallsyms": kallsyms_seeds}
def ptrack_hdr(kind, txsz, flags=0, root_page=0, root_off=0):
    """fuzz_ptrack's header: geometry kind 0 el2, 1 el1, 2 el1 TTBR1, 3 s2."""
    return struct.pack("<BBBBI", kind, txsz, flags, root_page, root_off)


def ptrack_op(kind, entry=0, value=0, size=0):
    return struct.pack("<BBH", kind, size, entry) + struct.pack("<Q", value)[:6]


def ptrack_seeds():
    T = lambda p: 0x40000000 + p * 4096 | 3
    PG = lambda p: 0x40000000 + p * 4096 | 0x743
    basic = {(0, 2): T(1), (1, 0): T(2), (2, 1): PG(40)}
    # The agent's shape (T0SZ 25: start level 1): unmap, remap, link, unlink, audit.
    ops = (ptrack_op(0, 2 * 512 + 1, PG(40) & ~1) + ptrack_op(0, 2 * 512 + 1, PG(41)) +
           ptrack_op(0, 512 + 3, T(3)) + ptrack_op(0, 512 + 3, 0) + ptrack_op(2) +
           ptrack_op(1, 2 * 512 + 4, PG(42)) + ptrack_op(3) + ptrack_op(4) + ptrack_op(5))
    put("ptrack", "el2-agent", ptrack_hdr(0, 25 - 16) + pages(4, basic) + ops)
    put("ptrack", "self-loop", ptrack_hdr(0, 0) + pages(1, {(0, i): T(0) for i in range(512)}) +
        ptrack_op(0, 7, T(0) | 0x400) + ptrack_op(2))
    put("ptrack", "outside", ptrack_hdr(0, 9) + pages(2, {(0, 0): 0x7000000000 | 3, (0, 1): T(1)}) +
        ptrack_op(0, 512, 0x10003))
    put("ptrack", "s2-concat", ptrack_hdr(3, 24, 1) + pages(4, {(1, 0): T(2), (2, 3): PG(9)}) +
        ptrack_op(0, 2 * 512 + 3, 0) + ptrack_op(6, 2 * 512 + 4, PG(8), 3))
    put("ptrack", "el1-ttbr1-lpa2", ptrack_hdr(2, 0, 1) + pages(3, {(0, 5): T(1), (1, 9): T(2)}) +
        ptrack_op(0, 512 + 9, 0) + ptrack_op(5))
    put("ptrack", "small-root", ptrack_hdr(0, 32 - 16, 0, 0, 0x40) + pages(2, {(0, 9): T(1)}) +
        ptrack_op(0, 9, 0) + ptrack_op(0, 30, 5))


SEEDS = {"walk": walk_seeds, "rsp": rsp_seeds, "ring": ring_seeds, "ptrack": ptrack_seeds}
for name in sys.argv[1:] or SEEDS:
    SEEDS[name]()
