#!/usr/bin/env python3
"""Python multiprocessing peers for pipc-bench, measured the same way:
two processes, every message checked, time from the first message.

  py_peers.py queue|pipe SIZE N   -> prints messages per second
  py_peers.py queue-rt|pipe-rt N  -> prints median and p99 round trip, us
"""
import multiprocessing as mp
import statistics
import struct
import sys
import time


def produce(kind, end, size, n):
    pad = b"x" * (size - 8)
    put = end.put if kind == "queue" else end.send_bytes
    for i in range(n):
        put(struct.pack("<Q", i) + pad)


def echo(kind, rx, tx, n):
    for _ in range(n):
        if kind == "queue":
            tx.put(rx.get())
        else:
            tx.send_bytes(tx.recv_bytes())


def throughput(kind, size, n):
    if kind == "queue":
        q = mp.Queue(256)
        get, end = q.get, q
    else:
        a, b = mp.Pipe()
        get, end = a.recv_bytes, b
    p = mp.Process(target=produce, args=(kind, end, size, n))
    p.start()
    t0 = None
    for i in range(n):
        m = get()
        if t0 is None:
            t0 = time.perf_counter()
        if len(m) != size or struct.unpack_from("<Q", m)[0] != i:
            sys.exit(f"py_peers: message {i} damaged")
    dt = time.perf_counter() - t0
    p.join()
    return (n - 1) / dt


def round_trip(kind, n):
    warm = n // 10
    if kind == "queue":
        to, back = mp.Queue(), mp.Queue()
        p = mp.Process(target=echo, args=(kind, to, back, n + warm))
        send, recv = to.put, back.get
    else:
        a, b = mp.Pipe()
        p = mp.Process(target=echo, args=(kind, None, b, n + warm))
        send, recv = a.send_bytes, a.recv_bytes
    p.start()
    rts = []
    for i in range(n + warm):
        t0 = time.perf_counter()
        send(struct.pack("<Q", i))
        recv()
        if i >= warm:
            rts.append((time.perf_counter() - t0) * 1e6)
    p.join()
    rts.sort()
    return statistics.median(rts), rts[int(len(rts) * 0.99)]


if __name__ == "__main__":
    what = sys.argv[1]
    if what.endswith("-rt"):
        med, p99 = round_trip(what[:-3], int(sys.argv[2]))
        print(f"{med:.3f} {p99:.3f}")
    else:
        print(f"{throughput(what, int(sys.argv[2]), int(sys.argv[3])):.0f}")
