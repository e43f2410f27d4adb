#!/usr/bin/env python3
"""Python multiprocessing peers for pipc-bench, measured the same way:
two processes, every message checked, time from the first message.

  py_peers.py queue|pipe SIZE N   -> prints messages per second
  py_peers.py queue-rt|pipe-rt N  -> prints median and p99 round trip, us

pipc for Python against multiprocessing.Queue, both ends Python (pipc
found by PIPC_LIBRARY and PYTHONPATH, as python/tests do):

  py_peers.py pyq WHO WHAT N      -> messages per second
  py_peers.py pyq-rt WHO WHAT N   -> median and p99 round trip, us

WHO is mp (multiprocessing.Queue) or pipc (pipc.Queue); WHAT is obj, a
small object pickled (the tuple (i, "job-name", 3.5)), or bytes, 64 bytes
as they are (pipc: put_bytes / get_bytes; multiprocessing has no bytes
path, so its put / get pickle the bytes object).
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


def timed_consume(p, get, n, ok, label):
    """Start the producer p, take its n messages with get() - each checked
    by ok(message, i) - and return messages per second from the first one."""
    p.start()
    t0 = None
    for i in range(n):
        m = get()
        if t0 is None:
            t0 = time.perf_counter()
        if not ok(m, i):
            sys.exit(f"py_peers: {label}: message {i} damaged")
    dt = time.perf_counter() - t0
    p.join()
    return (n - 1) / dt


def timed_pings(p, send, recv, n, warm, make, index, label):
    """Start the echo process p, send make(i) and wait for its echo n + warm
    times (each echo checked by index(echo) == i); the median and p99 round
    trip of the last n, microseconds."""
    p.start()
    rts = []
    for i in range(n + warm):
        m = make(i)
        t0 = time.perf_counter()
        send(m)
        if index(recv()) != i:
            sys.exit(f"py_peers: {label}: echo {i} damaged")
        if i >= warm:
            rts.append((time.perf_counter() - t0) * 1e6)
    p.join()
    rts.sort()
    return statistics.median(rts), rts[int(len(rts) * 0.99)]


def seq_of(m):
    return struct.unpack_from("<Q", m)[0]


def throughput(kind, size, n):
    if kind == "queue":
        q = mp.Queue(256)
        get, end = q.get, q
    else:
        a, b = mp.Pipe()
        get, end = a.recv_bytes, b
    p = mp.Process(target=produce, args=(kind, end, size, n))
    return timed_consume(p, get, n, lambda m, i: len(m) == size and seq_of(m) == i, kind)


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
    return timed_pings(p, send, recv, n, warm, lambda i: struct.pack("<Q", i), seq_of, kind)


def py_ends(who, what, maxsize=256):
    """A queue of `who`, and its (put, get) for `what`."""
    if who == "pipc":
        import pipc
        q = pipc.Queue(maxsize=maxsize)
        return q, ((q.put_bytes, q.get_bytes) if what == "bytes" else (q.put, q.get))
    q = mp.Queue(maxsize)
    return q, (q.put, q.get)


def py_message(what, i):
    return struct.pack("<Q", i) + b"x" * 56 if what == "bytes" else (i, "job-name", 3.5)


def py_index(what, m):
    return struct.unpack_from("<Q", m)[0] if what == "bytes" else m[0]


def py_produce(who, what, q, n):
    put = (q.put_bytes if who == "pipc" and what == "bytes" else q.put)
    for i in range(n):
        put(py_message(what, i))


def py_echo(who, what, to, back, n):
    get = to.get_bytes if who == "pipc" and what == "bytes" else to.get
    put = back.put_bytes if who == "pipc" and what == "bytes" else back.put
    for _ in range(n):
        put(get())


def py_throughput(who, what, n):
    q, (_, get) = py_ends(who, what)
    p = mp.Process(target=py_produce, args=(who, what, q, n))
    return timed_consume(p, get, n, lambda m, i: py_index(what, m) == i, f"{who} {what}")


def py_round_trip(who, what, n):
    warm = n // 10
    to, (send, _) = py_ends(who, what)
    back, (_, recv) = py_ends(who, what)
    p = mp.Process(target=py_echo, args=(who, what, to, back, n + warm))
    return timed_pings(p, send, recv, n, warm, lambda i: py_message(what, i),
                       lambda m: py_index(what, m), f"{who} {what}")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "pyq":
        print(f"{py_throughput(sys.argv[2], sys.argv[3], int(sys.argv[4])):.0f}")
        sys.exit(0)
    if what == "pyq-rt":
        med, p99 = py_round_trip(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        print(f"{med:.3f} {p99:.3f}")
        sys.exit(0)
    if what.endswith("-rt"):
        med, p99 = round_trip(what[:-3], int(sys.argv[2]))
        print(f"{med:.3f} {p99:.3f}")
    else:
        print(f"{throughput(what, int(sys.argv[2]), int(sys.argv[3])):.0f}")
