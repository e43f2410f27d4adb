"""A fork child's copy of an object made with name=None never removes the
name the parent still uses: only the process that made the handle unlinks
at close()."""
import gc
import multiprocessing
import os
import signal
import time
import unittest

import pipc
from support import TestCase


def _close_it(obj):
    obj.close()


def _reap(pid, timeout=30):
    """The exit code of child `pid`, killing it if it is not done by the
    deadline (a test never waits for ever, nor leaves a process)."""
    end = time.monotonic() + timeout
    while True:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} still running after {timeout} s: killed")
        time.sleep(0.01)


# kind: (make an unnamed one, open it by name)
KINDS = {
    "Queue": (lambda: pipc.Queue(), lambda n: pipc.Queue(n, create=False)),
    "SharedMemory": (lambda: pipc.SharedMemory(create=True, size=64), lambda n: pipc.SharedMemory(n)),
    "Lock": (lambda: pipc.Lock(), lambda n: pipc.Lock(n, create=False)),
    "Semaphore": (lambda: pipc.Semaphore(0), lambda n: pipc.Semaphore(name=n, create=False)),
}


@unittest.skipUnless(hasattr(os, "fork"), "os.fork")
class ForkTest(TestCase):
    def check_parent_keeps_it(self, obj, open_by_name):
        n = obj.name
        open_by_name(n).close()  # the child left the name alone
        obj.close()  # the maker's close still unlinks
        self.assertRaises(pipc.NotFound, open_by_name, n)

    def test_os_fork_child_close(self):
        for kind, (make, open_by_name) in KINDS.items():
            with self.subTest(kind):
                obj = make()
                self.addCleanup(obj.close)
                pid = os.fork()
                if pid == 0:  # the child: close its copy, leave at once
                    code = 1
                    try:
                        obj.close()
                        code = 0
                    finally:
                        os._exit(code)
                self.assertEqual(_reap(pid), 0)
                self.check_parent_keeps_it(obj, open_by_name)

    def test_os_fork_child_drops_it(self):
        # __del__ in the child (the last reference gone) is a close too
        for kind, (make, open_by_name) in KINDS.items():
            with self.subTest(kind):
                obj = make()  # the only reference (no cleanup holds it yet)
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        del obj
                        gc.collect()
                        code = 0
                    finally:
                        os._exit(code)
                self.addCleanup(obj.close)
                self.assertEqual(_reap(pid), 0)
                self.check_parent_keeps_it(obj, open_by_name)

    def test_multiprocessing_fork_worker_closes(self):
        ctx = multiprocessing.get_context("fork")
        for kind, (make, open_by_name) in KINDS.items():
            with self.subTest(kind):
                obj = make()
                self.addCleanup(obj.close)
                p = ctx.Process(target=_close_it, args=(obj,))
                p.start()
                p.join(30)
                if p.is_alive():
                    p.kill()
                    p.join()
                    self.fail("the worker did not end")
                self.assertEqual(p.exitcode, 0)
                self.check_parent_keeps_it(obj, open_by_name)


if __name__ == "__main__":
    unittest.main()
