"""pipc.wait over Connections, Listeners, Queues, Semaphores and Locks."""
import threading
import time
import unittest

import pipc
from support import TestCase, name, python


class WaitTest(TestCase):
    def setUp(self):
        super().setUp()
        self.q = pipc.Queue(maxsize=2)
        self.sem = pipc.Semaphore(0)
        self.lock = pipc.Lock()
        self.a, self.b = pipc.Pipe()
        self.lst = pipc.Listener()
        for o in (self.q, self.sem, self.lock, self.a, self.b, self.lst):
            self.addCleanup(o.close)

    def test_nothing_ready_times_out(self):
        self.lock.acquire()
        self.addCleanup(self.lock.release)
        t0 = time.monotonic()
        self.assertEqual(pipc.wait([self.q, self.sem, self.lock, self.b, self.lst], 0.25), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.24)
        self.assertEqual(pipc.wait([self.q, self.b], 0), [])

    def test_each_kind_ready(self):
        objs = [self.q, self.sem, self.b, self.lst]
        self.assertEqual(pipc.wait([self.lock], 0), [self.lock])  # free
        self.q.put("m")
        self.assertEqual(pipc.wait(objs, 5), [self.q])
        self.q.get()
        self.sem.release()
        self.assertEqual(pipc.wait(objs, 5), [self.sem])
        self.assertTrue(self.sem.acquire(False))
        self.a.send("x")
        self.assertEqual(pipc.wait(objs, 5), [self.b])
        self.b.recv()
        c = pipc.Client(self.lst.name, timeout=10)
        self.addCleanup(c.close)
        self.assertEqual(pipc.wait(objs, 5), [self.lst])
        self.lst.accept().close()
        # several at once, in the order given
        self.q.put(1)
        self.sem.release()
        self.assertEqual(pipc.wait(objs + [self.lock], 5), [self.q, self.sem, self.lock])

    def test_woken_across_slices(self):
        threading.Timer(0.3, self.q.put, ("late",)).start()
        self.assertEqual(pipc.wait([self.sem, self.q]), [self.q])
        self.q.get()
        threading.Timer(0.15, self.a.close).start()
        self.assertEqual(pipc.wait([self.b], 10), [self.b])  # the end is ready
        self.assertRaises(EOFError, self.b.recv)

    def test_shut_down_queue_is_ready(self):
        self.q.shutdown()
        self.assertEqual(pipc.wait([self.q], 5), [self.q])
        self.assertRaises(EOFError, self.q.get_nowait)

    def test_another_process_wakes_it(self):
        n = name()
        s = pipc.Semaphore(0, n)
        self.addCleanup(s.close)
        self.addCleanup(pipc.Semaphore.unlink, n)
        t = threading.Thread(target=python, args=(
            "import sys, time, pipc\n"
            "time.sleep(0.2)\n"
            "pipc.Semaphore(name=sys.argv[1], create=False).release()\n", n))
        t.start()
        self.assertEqual(pipc.wait([s, self.q], 30), [s])
        t.join(60)

    def test_bad_lists(self):
        self.assertRaises(TypeError, pipc.wait, [object()], 0)
        self.assertEqual(pipc.wait([], 0.01), [])
        self.assertRaises(pipc.InvalidArgument, pipc.wait, [])  # for ever, on nothing
        q = pipc.Queue()
        q.close()
        self.assertRaises(ValueError, pipc.wait, [q], 0)


if __name__ == "__main__":
    unittest.main()
