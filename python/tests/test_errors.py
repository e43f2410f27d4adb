"""Finding the library, and pipc's errors as Python exceptions."""
import errno
import multiprocessing
import os
import pickle
import queue
import shutil
import tempfile
import unittest

import pipc
from pipc import _errors
from support import TestCase, name, python


class LibraryTest(TestCase):
    def test_found_by_env(self):
        self.assertEqual(os.path.realpath(pipc.library_path()),
                         os.path.realpath(os.environ["PIPC_LIBRARY"]))

    def test_missing_library_is_a_clear_oserror(self):
        env = dict(os.environ, PIPC_LIBRARY="/nonexistent/libpipc.so")
        r = python("import pipc\n"            # the import itself never fails for it
                   "try:\n"
                   "    pipc.Queue()\n"
                   "except pipc.LibraryNotFound as e:\n"
                   "    assert isinstance(e, OSError)\n"
                   "    print(e)\n", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("/nonexistent/libpipc.so", r.stdout.decode())
        self.assertIn("PIPC_LIBRARY", r.stdout.decode())

    def test_not_a_pipc_library(self):
        libc = "libc.so.6"
        env = dict(os.environ, PIPC_LIBRARY=libc)
        r = python("import pipc\n"
                   "try:\n"
                   "    pipc.load_library()\n"
                   "except pipc.LibraryNotFound as e:\n"
                   "    print(e)\n", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not a libpipc", r.stdout.decode())

    def test_next_to_the_package(self):
        # an installed package with its own copy of the library
        with tempfile.TemporaryDirectory() as tmp:
            pkg = os.path.join(tmp, "pipc")
            shutil.copytree(os.path.dirname(pipc.__file__), pkg,
                            ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(os.environ["PIPC_LIBRARY"], os.path.join(pkg, "libpipc.so.0"))
            env = dict(os.environ, PYTHONPATH=tmp)
            del env["PIPC_LIBRARY"]
            env.pop("LD_LIBRARY_PATH", None)
            r = python("import pipc; q = pipc.Queue(); q.close(); print(pipc.library_path())",
                       env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.decode().strip(), os.path.join(pkg, "libpipc.so.0"))

    def test_loader_path(self):
        # without PIPC_LIBRARY: LD_LIBRARY_PATH (the loader path) finds it
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(os.environ["PIPC_LIBRARY"]))
        del env["PIPC_LIBRARY"]
        r = python("import pipc; pipc.load_library(); print(pipc.library_path())", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.decode().strip().startswith("libpipc"), r.stdout)


class ErrorTest(TestCase):
    def test_every_code_has_a_class(self):
        std = {
            -1: ValueError, -3: FileExistsError, -4: FileNotFoundError, -5: PermissionError,
            -6: BlockingIOError, -7: TimeoutError, -8: ValueError, -9: EOFError,
            -10: ValueError, -13: NotImplementedError,
        }
        for code, (cname, _) in _errors.CODES.items():
            cls = _errors._BY_CODE[code]
            self.assertTrue(issubclass(cls, pipc.PipcError))
            self.assertTrue(issubclass(cls, OSError))
            if code in std:
                self.assertTrue(issubclass(cls, std[code]), (cname, cls))
            self.assertIn(cls.__name__, pipc.__all__)
        self.assertTrue(issubclass(pipc.Closed, BrokenPipeError))
        self.assertTrue(issubclass(pipc.AuthenticationError, multiprocessing.AuthenticationError))

    def test_attributes_and_message(self):
        with self.assertRaises(pipc.NotFound) as cm:
            pipc.Queue("no-such-queue-" + name(), create=False)
        e = cm.exception
        self.assertEqual(e.code, -4)
        self.assertEqual(e.name, "PIPC_ENOENT")
        self.assertEqual(e.strerror, "no such name")  # pipc_strerror's
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertTrue(e.filename.startswith("no-such-queue-"))
        self.assertIn("[PIPC_ENOENT] no such name", str(e))
        e2 = pickle.loads(pickle.dumps(e))
        self.assertIs(type(e2), pipc.NotFound)
        self.assertEqual((e2.code, e2.strerror, e2.filename), (e.code, e.strerror, e.filename))

    def test_bad_names(self):
        for bad in ("", ".hidden", "a/b", "x" * 65, "sp ace", "é"):
            for make in (lambda n: pipc.Queue(n), lambda n: pipc.Lock(n),
                         lambda n: pipc.Semaphore(1, n), lambda n: pipc.Listener(n),
                         lambda n: pipc.SharedMemory(n, create=True, size=8)):
                with self.assertRaises(pipc.InvalidArgument, msg=repr(bad)):
                    make(bad)
        with self.assertRaises(TypeError):
            pipc.Lock(b"bytes-name")
        with self.assertRaises(pipc.InvalidArgument):
            pipc.Queue.unlink("a/b")

    def test_exists(self):
        n = name()
        with pipc.Queue(n, maxsize=1) as q:
            try:
                with self.assertRaises(pipc.Exists):
                    pipc.Queue(n)
                with self.assertRaises(FileExistsError):
                    pipc.Lock(n)  # one name is one object, whatever its kind
            finally:
                q.unlink()

    def test_invalid_sizes(self):
        with self.assertRaises(pipc.InvalidArgument):
            pipc.Queue(name(), maxsize=1, max_msg_size=0)
        with self.assertRaises(ValueError):
            pipc.SharedMemory(name(), create=True, size=0)
        with self.assertRaises(ValueError):
            pipc.Semaphore(-1)
        # the standard exceptions a timeout turns into
        q = pipc.Queue(maxsize=1)
        self.assertRaises(queue.Empty, q.get_nowait)
        q.close()


if __name__ == "__main__":
    unittest.main()
