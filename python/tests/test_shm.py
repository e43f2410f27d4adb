"""pipc.SharedMemory: Python's SharedMemory API over a pipc segment, with
no resource tracker, and the standard library attached to it."""
import gc
import mmap
import os
import pickle
import struct
import unittest

import pipc
from support import MACOS, TestCase, name, python


class SharedMemoryTest(TestCase):
    def test_create_open_buf(self):
        n = name()
        a = pipc.SharedMemory(n, create=True, size=100)
        self.addCleanup(pipc.SharedMemory.unlink, n)
        self.assertEqual((a.name, a.size), (n, 100))
        self.assertEqual(bytes(a.buf), bytes(100))  # zero-filled
        self.assertEqual(a.buf.format, "B")
        a.buf[0:5] = b"hello"
        struct.pack_into("<i", a.buf, 8, -42)
        b = pipc.SharedMemory(n)
        # learnt; macOS keeps only the page-rounded size
        self.assertEqual(b.size, mmap.PAGESIZE if MACOS else 100)
        self.assertEqual(bytes(b.buf[:5]), b"hello")
        self.assertEqual(struct.unpack_from("<i", b.buf, 8)[0], -42)
        b.close()
        a.close()
        self.assertIsNone(a.buf)
        a.close()  # again: nothing

    def test_arguments(self):
        self.assertRaises(ValueError, pipc.SharedMemory, create=True, size=0)
        self.assertRaises(ValueError, pipc.SharedMemory, name(), True, -1)
        self.assertRaises(ValueError, pipc.SharedMemory)  # no name to open
        self.assertRaises(pipc.NotFound, pipc.SharedMemory, name())
        n = name()
        with pipc.SharedMemory(n, create=True, size=8):
            self.assertRaises(pipc.Exists, pipc.SharedMemory, n, True, 8)
            pipc.SharedMemory.unlink(n)
        self.assertRaises(pipc.NotFound, pipc.SharedMemory.unlink, n)

    def test_close_refused_while_views_live(self):
        s = pipc.SharedMemory(create=True, size=16)
        view = s.buf[4:8]
        with self.assertRaises(BufferError):
            s.close()  # as Python's SharedMemory (its mmap refuses)
        view[0] = 7  # still mapped: no crash
        view.release()
        s.close()
        s2 = pipc.SharedMemory(create=True, size=16)
        exported = memoryview(s2.buf)
        self.assertRaises(BufferError, s2.close)
        del exported
        s2.close()

    def test_refused_close_still_unlinks_a_made_up_name(self):
        # the name goes at the first close(), even one refused for a live
        # view, so nothing is left in /dev/shm; the mapping stays valid
        s = pipc.SharedMemory(create=True, size=16)
        n = s.name
        view = s.buf[4:8]
        self.assertRaises(BufferError, s.close)
        self.assertRaises(pipc.NotFound, pipc.SharedMemory, n)
        view[0] = 7
        self.assertEqual(s.buf, None)  # released: only the view is left
        view.release()
        s.close()
        # the same through __del__, which swallows the BufferError
        s = pipc.SharedMemory(create=True, size=16)
        n = s.name
        view = s.buf[:4]
        del s
        gc.collect()
        self.assertRaises(pipc.NotFound, pipc.SharedMemory, n)
        view[1] = 8
        view.release()
        # a named one keeps its name (unlink_on_close is false)
        n = name()
        s = pipc.SharedMemory(n, create=True, size=16)
        self.addCleanup(pipc.SharedMemory.unlink, n)
        view = s.buf[:4]
        self.assertRaises(BufferError, s.close)
        pipc.SharedMemory(n).close()
        view.release()
        s.close()

    def test_made_up_name_is_unlinked_at_close(self):
        s = pipc.SharedMemory(create=True, size=8)
        n = s.name
        s.close()
        self.assertRaises(pipc.NotFound, pipc.SharedMemory, n)
        s = pipc.SharedMemory(create=True, size=8, unlink_on_close=False)
        s.close()
        pipc.SharedMemory(s.name).unlink()

    def test_no_resource_tracker(self):
        # a Python process that opens the segment and exits leaves it alone
        n = name()
        with pipc.SharedMemory(n, create=True, size=32) as s:
            self.addCleanup(pipc.SharedMemory.unlink, n)
            r = python("import sys, pipc\n"
                       "s = pipc.SharedMemory(sys.argv[1])\n"
                       "s.buf[:6] = b'child!'\n", n)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, b"")  # no "leaked shared_memory" warning
            self.assertEqual(bytes(s.buf[:6]), b"child!")
            with pipc.SharedMemory(n) as again:  # the name is still there
                self.assertEqual(bytes(again.buf[:6]), b"child!")

    @unittest.skipUnless(os.name == "posix", "POSIX names")
    def test_stdlib_attaches(self):
        n = name()
        with pipc.SharedMemory(n, create=True, size=64) as s:
            self.addCleanup(pipc.SharedMemory.unlink, n)
            s.buf[:4] = b"pipc"
            r = python("import sys\n"
                       "from multiprocessing import shared_memory, resource_tracker\n"
                       "m = shared_memory.SharedMemory(name='pipc.' + sys.argv[1])\n"
                       "resource_tracker.unregister(m._name, 'shared_memory')\n"
                       "sys.stdout.write(bytes(m.buf[:4]).decode()); m.buf[4:6] = b'py'\n"
                       "m.close()\n", n)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"pipc")
            self.assertEqual(bytes(s.buf[:6]), b"pipcpy")

    def test_pickle_by_name(self):
        with pipc.SharedMemory(create=True, size=8) as s:
            s.buf[0] = 9
            t = pickle.loads(pickle.dumps(s))
            self.assertEqual(t.buf[0], 9)
            t.close()


if __name__ == "__main__":
    unittest.main()
