"""pipc.Queue: every call, its errors, and other processes - Python and C -
on one queue, one of them killed mid-stream."""
import os
import pickle
import queue
import signal
import subprocess
import threading
import time
import unittest

import pipc
from support import TestCase, name, tool, wait_until


class QueueTest(TestCase):
    def setUp(self):
        super().setUp()
        self.q = pipc.Queue(name(), maxsize=4, max_msg_size=1024)
        self.addCleanup(self._drop)

    def _drop(self):
        try:
            pipc.Queue.unlink(self.q.name)
        except pipc.NotFound:
            pass
        self.q.close()

    def test_objects_in_order(self):
        items = [1, "two", {"three": [3.0]}, None]
        for x in items:
            self.q.put(x)
        self.assertEqual([self.q.get() for _ in items], items)

    def test_bytes_as_they_are(self):
        self.q.put_bytes(b"")
        self.q.put_bytes(bytearray(b"ba"))
        self.q.put_bytes(memoryview(b"xmvx")[1:3])
        self.assertEqual(self.q.get_bytes(), b"")
        self.assertEqual(self.q.get_bytes(), b"ba")
        self.assertEqual(self.q.get_bytes(), b"mv")
        # a pickled object is the bytes get_bytes sees
        self.q.put([1, 2])
        self.assertEqual(pickle.loads(self.q.get_bytes()), [1, 2])
        with self.assertRaises(TypeError):
            self.q.put_bytes("a str is not bytes")

    def test_properties_and_sizes(self):
        q = self.q
        self.assertEqual((q.maxsize, q.max_msg_size), (4, 1024))
        self.assertTrue(q.empty())
        self.assertFalse(q.full())
        for i in range(4):
            q.put_nowait(i)
        self.assertEqual(q.qsize(), 4)
        self.assertTrue(q.full())
        self.assertEqual(q.stat(), {"capacity": 4, "max_msg_size": 1024, "depth": 4,
                                    "closed": False, "poisoned": False})
        self.assertEqual(q.get_nowait(), 0)
        self.assertEqual(q.qsize(), 3)
        self.assertIn(q.name, repr(q))

    def test_full_and_empty(self):
        q = self.q
        self.assertRaises(queue.Empty, q.get, False)
        self.assertRaises(queue.Empty, q.get_nowait)
        self.assertRaises(queue.Empty, q.get_bytes, block=False)
        t0 = time.monotonic()
        self.assertRaises(queue.Empty, q.get, timeout=0.2)
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)
        self.assertRaises(queue.Empty, q.get, True, 0)     # timeout 0: one look
        self.assertRaises(queue.Empty, q.get, True, -1.0)  # negative: as 0
        for i in range(4):
            q.put(i)
        self.assertRaises(queue.Full, q.put, 9, False)
        self.assertRaises(queue.Full, q.put_nowait, 9)
        t0 = time.monotonic()
        self.assertRaises(queue.Full, q.put, 9, timeout=0.25)  # more than a slice
        self.assertGreaterEqual(time.monotonic() - t0, 0.24)
        self.assertEqual(q.qsize(), 4)

    def test_blocking_get_woken_by_put(self):
        q = self.q
        threading.Timer(0.15, q.put, ("late",)).start()
        self.assertEqual(q.get(timeout=10), "late")
        threading.Timer(0.15, q.put, ("later",)).start()
        self.assertEqual(q.get(), "later")  # timeout None: across slices

    def test_blocking_put_woken_by_get(self):
        for i in range(4):
            self.q.put(i)
        threading.Timer(0.15, self.q.get).start()
        self.q.put(4, timeout=10)
        self.assertEqual([self.q.get() for _ in range(4)], [1, 2, 3, 4])

    def test_oversize_is_valueerror_before_any_wait(self):
        q = self.q
        for i in range(4):
            q.put(i)  # full: a put would wait
        t0 = time.monotonic()
        with self.assertRaises(pipc.MessageTooLong) as cm:
            q.put("x" * 2000)
        self.assertIsInstance(cm.exception, ValueError)
        self.assertLess(time.monotonic() - t0, 1.0)
        with self.assertRaises(ValueError):
            q.put_bytes(b"x" * 1025)
        q.get()
        q.put_bytes(b"x" * 1024)  # exactly max_msg_size fits

    def test_big_messages_grow_the_buffer(self):
        n = name()
        with pipc.Queue(n, maxsize=2, max_msg_size=2 << 20) as q:
            self.addCleanup(pipc.Queue.unlink, n)
            big = os.urandom(1100 << 10)  # more than a get's first buffer, and 1 MiB
            q.put_bytes(big)
            q.put_bytes(b"small")
            self.assertEqual(q.get_bytes(), big)
            # the buffer grown for it is not kept (at most 1 MiB is)
            st = getattr(q._tls, "st", None)  # [buffer, its size, ...] or None
            self.assertTrue(st is None or st[1].value <= 1 << 20, st and st[1].value)
            self.assertEqual(q.get_bytes(), b"small")

    def test_shutdown(self):
        q = self.q
        q.put("left")
        q.shutdown()
        with self.assertRaises(pipc.Closed) as cm:
            q.put("more")
        self.assertIn("shut down", str(cm.exception))
        self.assertEqual(q.get(), "left")  # gets drain first
        with self.assertRaises(EOFError):
            q.get()
        with self.assertRaises(EOFError):
            q.get_nowait()
        self.assertTrue(q.stat()["closed"])
        # any process's shutdown: another handle sees it
        with pipc.Queue(q.name, create=False) as other:
            self.assertRaises(EOFError, other.get_bytes)

    def test_shutdown_releases_a_blocked_get(self):
        threading.Timer(0.15, self.q.shutdown).start()
        with self.assertRaises(EOFError):
            self.q.get(timeout=10)

    def test_open_by_name_and_unlink(self):
        n = name()
        a = pipc.Queue(n, 8, 64)
        b = pipc.Queue(n, create=False)
        self.assertEqual((b.maxsize, b.max_msg_size), (8, 64))  # the creator's
        a.put("via a")
        self.assertEqual(b.get(), "via a")
        a.unlink()
        self.assertRaises(pipc.NotFound, pipc.Queue, n, create=False)
        b.put("still works")  # open handles keep working after unlink
        self.assertEqual(a.get(), "still works")
        self.assertRaises(pipc.NotFound, pipc.Queue.unlink, n)
        a.close()
        b.close()
        self.assertRaises(ValueError, pipc.Queue, create=False)  # no name to open

    def test_made_up_name_is_unlinked_at_close(self):
        q = pipc.Queue()  # name=None: a unique name, removed with the handle
        n = q.name
        other = pipc.Queue(n, create=False)
        q.close()
        self.assertRaises(pipc.NotFound, pipc.Queue, n, create=False)
        other.put(1)
        self.assertEqual(other.get(), 1)
        other.close()
        kept = pipc.Queue(unlink_on_close=False)
        kept.close()
        pipc.Queue.unlink(kept.name)

    def test_multiprocessing_signature(self):
        q = pipc.Queue(3)  # Queue(maxsize), as multiprocessing.Queue(3)
        self.assertEqual(q.maxsize, 3)
        q.join_thread()
        q.cancel_join_thread()
        q.close()
        q = pipc.Queue()
        self.assertEqual(q.maxsize, 1024)  # maxsize <= 0: pipc's default
        q.close()

    def test_close_and_context_manager(self):
        with pipc.Queue() as q:
            q.put(1)
        self.assertTrue(q.closed)
        self.assertRaises(ValueError, q.get)
        self.assertRaises(ValueError, q.put, 1)
        self.assertRaises(ValueError, q.qsize)
        q.close()  # again: nothing

    def test_close_from_another_thread_ends_a_wait(self):
        q = pipc.Queue()
        threading.Timer(0.15, q.close).start()
        with self.assertRaises(ValueError):
            q.get()

    def test_protocol_and_pickling_by_name(self):
        q2 = pickle.loads(pickle.dumps(self.q))
        self.assertEqual(q2.name, self.q.name)
        q2.put("by name")
        self.assertEqual(self.q.get(), "by name")
        q2.close()
        with pipc.Queue(protocol=2) as q:
            q.put(("t",))
            self.assertEqual(q.get_bytes()[:2], b"\x80\x02")

    def test_threads_share_a_handle(self):
        n = name()
        q = pipc.Queue(n, maxsize=16, max_msg_size=64)
        self.addCleanup(q.close)
        self.addCleanup(pipc.Queue.unlink, n)
        got = []

        def consume():
            while True:
                x = q.get(timeout=10)
                if x is None:
                    return
                got.append(x)
        ts = [threading.Thread(target=consume) for _ in range(3)]
        for t in ts:
            t.start()
        for i in range(300):
            q.put(i)
        for _ in ts:
            q.put(None)
        for t in ts:
            t.join(30)
        self.assertEqual(sorted(got), list(range(300)))


PRODUCER = """
import sys, pipc
q = pipc.Queue(sys.argv[1], create=False)
for i in range(int(sys.argv[2])):
    q.put({"n": i, "from": "child"})
q.close()
"""

CONSUMER = """
import sys, pipc
q = pipc.Queue(sys.argv[1], create=False)
try:
    while True:
        x = q.get()
        print(x["n"] if isinstance(x, dict) else x, flush=True)
except EOFError:
    print("eof", flush=True)
"""


class ProcessesTest(TestCase):
    def test_two_unrelated_python_processes(self):
        n = name()
        with pipc.Queue(n, maxsize=8, max_msg_size=256) as q:
            self.addCleanup(pipc.Queue.unlink, n)
            prod = self.python_popen(PRODUCER, n, "200")
            cons = self.python_popen(CONSUMER, n, stdout=subprocess.PIPE, text=True)
            self.assertEqual(self.wait_proc(prod, 60), 0)
            wait_until(lambda: q.qsize() == 0, 60, "the consumer drains the queue")
            q.shutdown()  # the consumer drains, then sees EOFError
            lines = self.rest(cons, 60).split()
            self.assertEqual(lines[-1], "eof")
            self.assertEqual([int(x) for x in lines[:-1]], list(range(200)))

    def test_c_process_on_the_same_queue(self):
        cli = tool("PIPC_CLI")
        n = name()
        with pipc.Queue(n, maxsize=4, max_msg_size=256) as q:
            self.addCleanup(pipc.Queue.unlink, n)
            # C puts, Python gets the bytes
            r = subprocess.run([cli, "send", n, "from C"], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(q.get_bytes(timeout=10), b"from C")
            # Python puts, C gets them
            q.put_bytes(b"from Python \x00\xff")
            r = subprocess.run([cli, "recv", n, "-t", "10000"], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"from Python \x00\xff")

    def test_c_and_python_pickle_protocol_0(self):
        # a pickled object is bytes to C; protocol 0 has no NUL, so the CLI
        # can carry it back as an argument
        cli = tool("PIPC_CLI")
        n = name()
        with pipc.Queue(n, maxsize=4, max_msg_size=256, protocol=0) as q:
            self.addCleanup(pipc.Queue.unlink, n)
            q.put({"k": 1})
            r = subprocess.run([cli, "recv", n, "-t", "10000"], capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = subprocess.run([cli, "send", n, r.stdout.decode("ascii")], timeout=30)
            self.assertEqual(r.returncode, 0)
            self.assertEqual(q.get(timeout=10), {"k": 1})

    def test_consumer_killed_mid_stream(self):
        """A consumer SIGKILLed while it gets: every other message is still
        delivered exactly once, in order, and the queue keeps working -
        at most the one message the killed consumer had claimed is gone,
        and the slot it held is given back."""
        n = name()
        total = 3000
        q = pipc.Queue(n, maxsize=32, max_msg_size=64)
        self.addCleanup(q.close)
        self.addCleanup(pipc.Queue.unlink, n)

        def produce():
            try:
                for i in range(total):
                    q.put(i, timeout=60)
            except (pipc.Closed, ValueError):
                pass  # stopped by the cleanup below
        prod = threading.Thread(target=produce, daemon=True)
        prod.start()

        def stop_producer():  # a test that fails leaves no put blocked
            if prod.is_alive():
                q.shutdown()
                prod.join(10)
        self.addCleanup(stop_producer)
        victim = self.python_popen(CONSUMER, n, stdout=subprocess.PIPE, text=True)
        seen_a = []
        while len(seen_a) < 300:
            line = self.readline(victim, 30)
            self.assertTrue(line, "the consumer ended early")
            seen_a.append(int(line))
        os.kill(victim.pid, signal.SIGKILL)
        self.assertEqual(self.wait_proc(victim, 30), -signal.SIGKILL)
        seen_a += [int(x) for x in self.rest(victim, 30).split()]
        # another consumer process takes over
        heir = self.python_popen(CONSUMER, n, stdout=subprocess.PIPE, text=True)
        prod.join(60)
        self.assertFalse(prod.is_alive(), "the producer is stuck")
        wait_until(lambda: q.qsize() == 0, 60, "the heir drains the queue")
        # the queue still works for the survivors: round its ring three
        # times more, past the slot the victim held - it was given back
        # (a slot still held would stop a put here: queue.Full)
        extra = list(range(total, total + 3 * q.maxsize))
        for i in extra:
            q.put(i, timeout=30)
        wait_until(lambda: q.qsize() == 0, 60, "the heir drains the queue again")
        self.assertFalse(q.stat()["poisoned"])
        q.shutdown()
        lines = self.rest(heir, 60).split()
        self.assertEqual(lines[-1], "eof")
        seen_b = [int(x) for x in lines[:-1]]
        self.assertEqual(seen_a, sorted(seen_a))
        self.assertEqual(seen_b, sorted(seen_b))
        both = seen_a + seen_b
        self.assertEqual(len(both), len(set(both)), "a message delivered twice")
        self.assertEqual(seen_b[-len(extra):], extra)
        missing = set(range(total)) - set(both)
        self.assertLessEqual(len(missing), 1, missing)

    def test_ctrl_c_ends_a_blocking_get(self):
        # waits go in slices: SIGINT is KeyboardInterrupt within one
        with pipc.Queue() as q:
            child = self.python_popen("import sys, time, pipc\n"
                                      "q = pipc.Queue(sys.argv[1], create=False)\n"
                                      "print('waiting', flush=True)\n"
                                      "t0 = time.monotonic()\n"
                                      "try:\n"
                                      "    q.get()\n"
                                      "except KeyboardInterrupt:\n"
                                      "    print('interrupted', flush=True)\n",
                                      q.name, stdout=subprocess.PIPE, text=True)
            self.assertEqual(self.readline(child).strip(), "waiting")
            time.sleep(0.3)
            child.send_signal(signal.SIGINT)
            self.assertEqual(self.rest(child, 10).strip(), "interrupted")
            self.assertEqual(child.returncode, 0)

    def test_killed_consumer_never_blocks_the_others(self):
        n = name()
        with pipc.Queue(n, maxsize=4, max_msg_size=64) as q:
            self.addCleanup(pipc.Queue.unlink, n)
            victim = self.python_popen(CONSUMER, n, stdout=subprocess.PIPE, text=True)
            q.put(0)
            self.assertEqual(self.readline(victim).strip(), "0")
            os.kill(victim.pid, signal.SIGKILL)  # killed while blocked in get
            self.wait_proc(victim, 30)
            for i in range(20):  # round the ring several times
                q.put(i, timeout=10)
                self.assertEqual(q.get(timeout=10), i)


if __name__ == "__main__":
    unittest.main()
