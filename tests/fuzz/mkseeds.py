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


SEEDS = {"walk": walk_seeds}
for name in sys.argv[1:] or SEEDS:
    SEEDS[name]()
