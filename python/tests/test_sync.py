"""pipc.Semaphore, pipc.BoundedSemaphore and pipc.Lock, across processes,
with a Lock holder killed."""
import os
import pickle
import signal
import subprocess
import threading
import time
import unittest

import pipc
from support import TestCase, name, python


class SemaphoreTest(TestCase):
    def test_acquire_release_value(self):
        with_name = name()
        s = pipc.Semaphore(2, with_name)
        self.addCleanup(s.close)
        self.addCleanup(pipc.Semaphore.unlink, with_name)
        self.assertEqual(s.name, with_name)
        self.assertEqual(s.get_value(), 2)
        self.assertTrue(s.acquire())
        self.assertTrue(s.acquire(timeout=1))
        self.assertEqual(s.get_value(), 0)
        self.assertFalse(s.acquire(False))
        self.assertFalse(s.acquire(timeout=0))
        t0 = time.monotonic()
        self.assertFalse(s.acquire(timeout=0.25))
        self.assertGreaterEqual(time.monotonic() - t0, 0.24)
        s.release()
        s.release()
        s.release()  # unbounded: past the initial value
        self.assertEqual(s.get_value(), 3)

    def test_context_manager(self):
        s = pipc.Semaphore(1)
        with s as got:
            self.assertTrue(got)
            self.assertEqual(s.get_value(), 0)
        self.assertEqual(s.get_value(), 1)
        s.close()
        self.assertRaises(ValueError, s.acquire)
        self.assertRaises(ValueError, s.release)

    def test_woken_by_release(self):
        s = pipc.Semaphore(0)
        self.addCleanup(s.close)
        threading.Timer(0.15, s.release).start()
        self.assertTrue(s.acquire(timeout=10))
        threading.Timer(0.15, s.release).start()
        self.assertTrue(s.acquire())  # timeout None, across slices

    def test_bounded(self):
        b = pipc.BoundedSemaphore(2)
        self.addCleanup(b.close)
        with self.assertRaises(ValueError) as cm:
            b.release()  # as Python's BoundedSemaphore: ValueError
        self.assertIsInstance(cm.exception, pipc.Overflow)
        self.assertEqual(b.get_value(), 2)  # unchanged
        b.acquire()
        b.release()
        self.assertRaises(ValueError, pipc.BoundedSemaphore, 0)
        self.assertRaises(ValueError, pipc.Semaphore, 1 << 31)
        # opened by name, the bound is the creator's
        other = pipc.Semaphore(name=b.name, create=False)
        self.assertRaises(pipc.Overflow, other.release)
        other.close()

    def test_open_by_name_and_pickle(self):
        s = pipc.Semaphore(0)
        self.addCleanup(s.close)
        t = pickle.loads(pickle.dumps(s))
        t.release()
        self.assertEqual(s.get_value(), 1)
        t.close()
        self.assertRaises(pipc.NotFound, pipc.Semaphore, name=name(), create=False)
        self.assertRaises(ValueError, pipc.Semaphore, create=False)

    def test_another_process(self):
        s = pipc.Semaphore(0)
        self.addCleanup(s.close)
        r = python("import sys, pipc\n"
                   "s = pipc.Semaphore(name=sys.argv[1], create=False)\n"
                   "s.release(); s.release()\n", s.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s.get_value(), 2)


class LockTest(TestCase):
    def test_acquire_release(self):
        n = name()
        lock = pipc.Lock(n)
        self.addCleanup(lock.close)
        self.addCleanup(pipc.Lock.unlink, n)
        self.assertTrue(lock.acquire())
        with self.assertRaises(pipc.InvalidArgument):
            lock.acquire()  # this thread holds it: an error, not a deadlock
        lock.release()
        with self.assertRaises(ValueError):
            lock.release()  # not held, as multiprocessing.Lock's ValueError
        with lock as got:
            self.assertTrue(got)
        self.assertTrue(lock.acquire(False))
        lock.release()

    def test_held_by_another_thread(self):
        lock = pipc.Lock()
        self.addCleanup(lock.close)
        held, done = threading.Event(), threading.Event()

        def holder():
            with lock:
                held.set()
                done.wait(10)
        t = threading.Thread(target=holder)
        t.start()
        held.wait(10)
        self.assertFalse(lock.acquire(False))
        self.assertFalse(lock.acquire(timeout=0.15))
        threading.Timer(0.15, done.set).start()
        self.assertTrue(lock.acquire(timeout=10))
        lock.release()
        t.join(10)

    def test_holder_killed_owner_dead(self):
        lock = pipc.Lock()
        self.addCleanup(lock.close)
        victim = self.python_popen("import sys, time, pipc\n"
                                   "l = pipc.Lock(sys.argv[1], create=False)\n"
                                   "l.acquire(); print('held', flush=True); time.sleep(60)\n",
                                   lock.name, stdout=subprocess.PIPE, text=True)
        self.assertEqual(self.readline(victim).strip(), "held")
        self.assertFalse(lock.acquire(False))
        os.kill(victim.pid, signal.SIGKILL)
        self.assertEqual(self.wait_proc(victim, 30), -signal.SIGKILL)
        with self.assertRaises(pipc.OwnerDeadError) as cm:
            lock.acquire(timeout=10)
        # ... with the lock held: repair, then release as usual
        self.assertIs(cm.exception.lock, lock)
        self.assertEqual(cm.exception.name, "PIPC_EOWNERDEAD")
        cm.exception.lock.release()
        self.assertTrue(lock.acquire(timeout=10))  # normal again
        lock.release()

    def test_owner_dead_through_with(self):
        lock = pipc.Lock()
        self.addCleanup(lock.close)
        r = python("import sys, os, pipc\n"
                   "l = pipc.Lock(sys.argv[1], create=False)\n"
                   "l.acquire(); os._exit(0)\n", lock.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        repaired = False
        try:
            with lock:
                self.fail("the with body runs only with a healthy lock")
        except pipc.OwnerDeadError as e:
            try:
                repaired = True
            finally:
                e.lock.release()
        self.assertTrue(repaired)
        with lock:
            pass

    def test_open_by_name(self):
        lock = pipc.Lock()
        self.addCleanup(lock.close)
        other = pipc.Lock(lock.name, create=False)
        self.addCleanup(other.close)
        lock.acquire()
        r = python("import sys, pipc\n"
                   "l = pipc.Lock(sys.argv[1], create=False)\n"
                   "print(l.acquire(timeout=0.1))\n", lock.name)
        self.assertEqual(r.stdout.strip(), b"False", r.stderr)
        lock.release()
        r = python("import sys, pipc\n"
                   "l = pipc.Lock(sys.argv[1], create=False)\n"
                   "print(l.acquire(timeout=5)); l.release()\n", lock.name)
        self.assertEqual(r.stdout.strip(), b"True", r.stderr)
        l2 = pickle.loads(pickle.dumps(lock))
        self.assertEqual(l2.name, lock.name)
        l2.close()


if __name__ == "__main__":
    unittest.main()
