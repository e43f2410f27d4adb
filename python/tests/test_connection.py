"""pipc.Pipe, pipc.Listener, pipc.Client and Connection, against each
other, the standard library's multiprocessing.connection (both ways, with
and without authkey) and a C peer."""
import array
import os
import pickle
import socket
import subprocess
import threading
import time
import unittest
from multiprocessing import BufferTooShort
from multiprocessing import connection as mpc

import pipc
from support import TestCase, name, python, tool


class PipeTest(TestCase):
    def setUp(self):
        super().setUp()
        self.a, self.b = pipc.Pipe()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def test_objects_both_ways(self):
        self.a.send({"x": [1, 2]})
        self.assertEqual(self.b.recv(), {"x": [1, 2]})
        self.b.send(("back", None))
        self.assertEqual(self.a.recv(), ("back", None))

    def test_bytes(self):
        a, b = self.a, self.b
        a.send_bytes(b"")
        a.send_bytes(b"abcdef", 2)
        a.send_bytes(b"abcdef", 1, 3)
        a.send_bytes(bytearray(b"ba"))
        a.send_bytes(array.array("i", [1, 2]))  # itemsize 4: counted in bytes
        big = os.urandom(3 << 20)
        # more than the OS buffer: send returns once the peer has read it
        # (as Python's), so a reader must be running
        sender = threading.Thread(target=a.send_bytes, args=(big,))
        sender.start()
        self.assertEqual(b.recv_bytes(), b"")
        self.assertEqual(b.recv_bytes(), b"cdef")
        self.assertEqual(b.recv_bytes(), b"bcd")
        self.assertEqual(b.recv_bytes(), b"ba")
        self.assertEqual(b.recv_bytes(), array.array("i", [1, 2]).tobytes())
        self.assertEqual(b.recv_bytes(), big)
        sender.join(10)
        for bad in ((-1, None), (7, None), (0, -1), (2, 5)):
            self.assertRaises(ValueError, a.send_bytes, b"abcdef", *bad)

    def test_big_receive_buffer_is_not_kept(self):
        # a buffer grown for one big message is dropped after it (what is
        # kept between receives stays at most 1 MiB)
        big = os.urandom(3 << 20)
        sender = threading.Thread(target=self.a.send_bytes, args=(big,), daemon=True)
        sender.start()
        self.assertTrue(self.b.poll(30))
        self.assertEqual(self.b.recv_bytes(), big)
        sender.join(30)
        self.assertLessEqual(len(self.b._rbuf or b""), 1 << 20)
        self.a.send_bytes(b"small")
        self.assertEqual(self.b.recv_bytes(), b"small")

    def test_recv_bytes_maxlength(self):
        self.a.send_bytes(b"x" * 100)
        self.assertRaises(ValueError, self.b.recv_bytes, -1)
        with self.assertRaises(OSError) as cm:
            self.b.recv_bytes(10)
        self.assertIn("bad message length", str(cm.exception))
        self.assertTrue(self.b.closed)  # as Python's: the connection is closed

    def test_recv_bytes_into(self):
        a, b = self.a, self.b
        a.send_bytes(b"12345")
        buf = bytearray(10)
        self.assertEqual(b.recv_bytes_into(buf, 2), 5)
        self.assertEqual(buf, b"\0\x0012345\0\0\0")
        a.send_bytes(b"toolongforit")
        with self.assertRaises(BufferTooShort) as cm:
            b.recv_bytes_into(bytearray(4))
        self.assertEqual(cm.exception.args[0], b"toolongforit")
        arr = array.array("i", [0, 0])
        a.send_bytes(array.array("i", [7, 8]))
        self.assertEqual(b.recv_bytes_into(arr), 8)
        self.assertEqual(list(arr), [7, 8])
        self.assertRaises(ValueError, b.recv_bytes_into, bytearray(4), -1)
        self.assertRaises(ValueError, b.recv_bytes_into, bytearray(4), 5)

    def test_poll(self):
        self.assertFalse(self.b.poll())
        t0 = time.monotonic()
        self.assertFalse(self.b.poll(0.25))
        self.assertGreaterEqual(time.monotonic() - t0, 0.24)
        self.a.send(1)
        self.assertTrue(self.b.poll(10))
        threading.Timer(0.15, self.b.send, (2,)).start()
        self.assertTrue(self.a.poll(None))
        self.assertEqual(self.a.recv(), 2)

    def test_eof_and_broken_pipe(self):
        self.a.send("last")
        self.a.close()
        self.assertTrue(self.a.closed)
        self.assertEqual(self.b.recv(), "last")  # what was sent comes first
        self.assertTrue(self.b.poll())  # the end is "something to receive"
        with self.assertRaises(EOFError):
            self.b.recv()
        with self.assertRaises(EOFError):
            self.b.recv_bytes()
        with self.assertRaises(BrokenPipeError):
            self.b.send("nobody")
        with self.assertRaises(OSError) as cm:
            self.a.send(1)
        self.assertEqual(str(cm.exception), "handle is closed")
        self.assertRaises(OSError, self.a.recv)
        self.assertRaises(OSError, self.a.poll)
        self.a.close()  # again: nothing

    def test_simplex(self):
        r, w = pipc.Pipe(duplex=False)
        self.assertEqual((r.readable, r.writable, w.readable, w.writable),
                         (True, False, False, True))
        w.send("one way")
        self.assertEqual(r.recv(), "one way")
        self.assertRaises(OSError, r.send, 1)
        self.assertRaises(OSError, w.recv)
        with r, w:
            pass
        self.assertTrue(r.closed and w.closed)

    def test_fileno(self):
        fd = self.a.fileno()
        self.assertIsInstance(fd, int)
        self.assertGreaterEqual(fd, 0)

    def test_not_picklable(self):
        # a clear TypeError, not an AttributeError from ctypes' insides
        for obj in (self.a, pipc.Listener()):
            with self.subTest(type(obj).__name__):
                with self.assertRaises(TypeError) as cm:
                    pickle.dumps(obj)
                self.assertIn(f"pipc.{type(obj).__name__}", str(cm.exception))
                if isinstance(obj, pipc.Listener):
                    obj.close()

    def test_blocked_recv_ended_by_peer_close(self):
        threading.Timer(0.15, self.a.close).start()
        self.assertRaises(EOFError, self.b.recv)


# A send the peer never reads, interrupted by Ctrl-C; then the end is
# closed (close(), or __del__ for "del"), or - "resend" - another send is
# made that cannot fit beside what is left, and a close from another
# thread ends it.  Neither may hang; the peer sees the cut message.
STUCK_SEND = """
import gc, os, signal, sys, threading, pipc
a, b = pipc.Pipe()
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    a.send_bytes(b"x" * (8 << 20))
    print("sent", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
how = sys.argv[1]
if how == "resend":
    threading.Timer(0.3, a.close).start()
    try:
        a.send_bytes(b"y" * (9 << 20))
    except OSError as e:
        print("send ended:", e, flush=True)
elif how == "del":
    del a
    gc.collect()
else:
    a.close()
print("closed", flush=True)
try:
    b.recv_bytes()
except pipc.Corrupt:
    print("cut", flush=True)
"""


class CloseTest(TestCase):
    """close() never waits for a peer that does not read."""

    def test_close_from_another_thread_ends_a_stuck_send(self):
        a, b = pipc.Pipe()
        self.addCleanup(b.close)
        self.addCleanup(a.close)
        errors = []

        def send():
            try:
                a.send_bytes(b"x" * (8 << 20))  # b never reads
            except Exception as e:
                errors.append(e)
        t = threading.Thread(target=send, daemon=True)
        t.start()
        time.sleep(0.3)
        self.assertTrue(t.is_alive(), "the send did not wait for the peer")
        closer = threading.Thread(target=a.close, daemon=True)
        closer.start()
        closer.join(10)
        self.assertFalse(closer.is_alive(), "close() blocked")
        t.join(10)
        self.assertFalse(t.is_alive(), "the send never ended")
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual(str(errors[0]), "handle is closed")
        with self.assertRaises(pipc.Corrupt):  # the message was cut
            b.recv_bytes()

    def test_close_after_ctrl_c_in_a_send(self):
        for how in ("close", "del", "resend"):
            with self.subTest(how):
                r = python(STUCK_SEND, how, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                lines = r.stdout.decode().splitlines()
                want = ["interrupted", "closed", "cut"]
                if how == "resend":
                    want[1:1] = ["send ended: handle is closed"]
                self.assertEqual(lines, want, r.stderr)


class ListenerTest(TestCase):
    def serve_one(self, listener, fn):
        """Accept one connection in a thread and run fn(conn).  The accept
        ends when the listener is closed (the test's `with`), so the thread
        never outlives a failed test by more than a slice."""
        errors = []

        def run():
            try:
                with listener.accept() as c:
                    fn(c)
            except Exception as e:  # reported by the test
                errors.append(e)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.addCleanup(t.join, 10)
        self.addCleanup(listener.close)
        return t, errors

    def test_pipc_both_sides(self):
        with pipc.Listener(name()) as lst:
            self.assertTrue(lst.address.endswith(lst.name))
            self.assertEqual(lst.address, pipc.pipe_path(lst.name))
            t, errors = self.serve_one(lst, lambda c: c.send(c.recv() * 2))
            with pipc.Client(lst.name, timeout=10) as c:
                c.send(21)
                self.assertEqual(c.recv(), 42)
            t.join(10)
            self.assertEqual(errors, [])

    def test_listener_names(self):
        n = name()
        with pipc.Listener(n) as lst:
            self.assertEqual(lst.name, n)
            self.assertRaises(pipc.Exists, pipc.Listener, n)
        with pipc.Listener(n):  # closing freed the name
            pass
        with pipc.Listener() as lst:  # a made-up name
            self.assertTrue(lst.name)
        self.assertRaises(OSError, lst.accept)

    def test_accept_timeout_and_client_waiting(self):
        with pipc.Listener() as lst:
            t0 = time.monotonic()
            with self.assertRaises(pipc.TimedOut):
                lst.accept(timeout=0.25)
            self.assertGreaterEqual(time.monotonic() - t0, 0.24)
        n = name()
        t0 = time.monotonic()
        with self.assertRaises(FileNotFoundError):
            pipc.Client(n, timeout=0.2)  # nobody listens
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)
        self.assertRaises(pipc.NotFound, pipc.Client, n, timeout=0)
        # no timeout given: as the standard library's Client, at once (in a
        # child, so that a Client that waited could not hang the test)
        r = python("import sys, time, pipc\n"
                   "t0 = time.monotonic()\n"
                   "try:\n"
                   "    pipc.Client(sys.argv[1])\n"
                   "except FileNotFoundError as e:\n"
                   "    print(type(e).__name__, time.monotonic() - t0 < 1.0)\n", n, timeout=20)
        self.assertEqual(r.stdout.split(), [b"NotFound", b"True"], r.stderr)
        # a client that starts first waits for its listener
        got = []
        t = threading.Thread(target=lambda: got.append(pipc.Client(n, timeout=10)))
        t.start()
        time.sleep(0.2)
        with pipc.Listener(n) as lst:
            c = lst.accept(timeout=10)
            t.join(10)
            got[0].send("hi")
            self.assertEqual(c.recv(), "hi")
            c.close()
            got[0].close()

    def test_pipc_authkey(self):
        with pipc.Listener(authkey=b"secret") as lst:
            t, errors = self.serve_one(lst, lambda c: c.send(c.recv()))
            with pipc.Client(lst.name, authkey=b"secret", timeout=10) as c:
                c.send("authenticated")
                self.assertEqual(c.recv(), "authenticated")
            t.join(10)
            self.assertEqual(errors, [])
            # a wrong key: both sides raise AuthenticationError
            t, errors = self.serve_one(lst, lambda c: None)
            with self.assertRaises(pipc.AuthenticationError):
                pipc.Client(lst.name, authkey=b"wrong", timeout=10)
            t.join(15)
            self.assertEqual(len(errors), 1)
            self.assertIsInstance(errors[0], pipc.AuthenticationError)
        self.assertRaises(TypeError, pipc.Listener, authkey="not bytes")

    def test_last_accepted_is_the_peer_pid(self):
        with pipc.Listener() as lst:
            self.assertIsNone(lst.last_accepted)
            child = self.python_popen("import sys, pipc\n"
                                      "with pipc.Client(sys.argv[1], timeout=30) as c:\n"
                                      "    c.send('hi'); c.poll(30)\n", lst.name)
            with lst.accept(timeout=30) as c:
                self.assertEqual(lst.last_accepted, child.pid)
                self.assertTrue(c.poll(30))
                self.assertEqual(c.recv(), "hi")
            self.assertEqual(self.wait_proc(child, 30), 0)

    def test_empty_authkey_is_none(self):
        # as Python's Listener: authkey=b"" authenticates nothing
        with pipc.Listener(authkey=b"") as lst:
            for key in (b"", None):
                with self.subTest(client_key=key):
                    t, errors = self.serve_one(lst, lambda c: c.send(c.recv()))
                    with pipc.Client(lst.name, authkey=key, timeout=10) as c:
                        c.send("no handshake")
                        self.assertTrue(c.poll(30))
                        self.assertEqual(c.recv(), "no handshake")
                    t.join(10)
                    self.assertEqual(errors, [])
            t, errors = self.serve_one(lst, lambda c: c.send("to stdlib"))
            c = mpc.Client(lst.address)  # no key
            self.addCleanup(c.close)
            self.assertTrue(c.poll(30))
            self.assertEqual(c.recv(), "to stdlib")
            t.join(10)
            self.assertEqual(errors, [])

    # --- the standard library at the other end
    def test_stdlib_client_to_pipc_listener(self):
        for key in (None, b"k3y"):
            with self.subTest(authkey=key), pipc.Listener(authkey=key) as lst:
                t, errors = self.serve_one(lst, lambda c: c.send(("echo", c.recv(),
                                                                  c.recv_bytes())))
                c = mpc.Client(lst.address, authkey=key)
                self.addCleanup(c.close)
                c.send({"from": "stdlib"})
                c.send_bytes(b"raw")
                self.assertTrue(c.poll(30))
                self.assertEqual(c.recv(), ("echo", {"from": "stdlib"}, b"raw"))
                self.assertTrue(c.poll(30))
                with self.assertRaises(EOFError):
                    c.recv()  # pipc closed its end
                c.close()
                t.join(10)
                self.assertEqual(errors, [])

    def test_pipc_client_to_stdlib_listener(self):
        for key in (None, b"k3y"):
            with self.subTest(authkey=key):
                n = name()
                lst = mpc.Listener(pipc.pipe_path(n), authkey=key)
                result = []

                def serve():
                    try:
                        with lst.accept() as c:
                            if not c.poll(30):
                                return
                            result.append(c.recv())
                            c.send_bytes(b"x" * (1 << 20))
                            c.send(("done", 1))
                    except (OSError, EOFError, mpc.AuthenticationError) as e:
                        result.append(e)
                t = threading.Thread(target=serve, daemon=True)
                t.start()
                self.addCleanup(self.stop_stdlib_listener, lst, t)
                with pipc.Client(n, authkey=key, timeout=10) as c:
                    c.send(["from", "pipc"])
                    self.assertTrue(c.poll(30))
                    self.assertEqual(c.recv_bytes(), b"x" * (1 << 20))
                    self.assertEqual(c.recv(), ("done", 1))
                    self.assertTrue(c.poll(30))
                    self.assertRaises(EOFError, c.recv)
                t.join(10)
                self.assertFalse(t.is_alive())
                self.assertEqual(result, [["from", "pipc"]])

    @staticmethod
    def stop_stdlib_listener(lst, t):
        """Close a standard-library Listener whose accept() may still wait
        in thread t (if the pipc side failed): closing the socket does not
        end an accept() in another thread on Linux, so connect to it once
        first - the accept (or its handshake) then returns or raises."""
        if t.is_alive():
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(5)
                    s.connect(lst.address)
            except OSError:
                pass
            t.join(10)
        lst.close()

    def test_stdlib_wrong_key(self):
        with pipc.Listener(authkey=b"right") as lst:
            t, errors = self.serve_one(lst, lambda c: None)
            with self.assertRaises(mpc.AuthenticationError):
                mpc.Client(lst.address, authkey=b"wrong")
            t.join(15)
            self.assertEqual(len(errors), 1)
            self.assertIsInstance(errors[0], mpc.AuthenticationError)

    def test_c_peer(self):
        peer = tool("PIPC_PEER")
        n = name()
        srv = self.popen([peer, "serve", n], stdout=subprocess.PIPE, text=True)
        self.assertEqual(self.readline(srv).strip(), "ready")
        with pipc.Client(n, timeout=10) as c:
            for size in (0, 1000, 1 << 20):
                data = os.urandom(size)
                c.send_bytes(data)
                self.assertTrue(c.poll(30))
                self.assertEqual(c.recv_bytes(), data)
        self.assertEqual(self.wait_proc(srv, 30), 0)  # it saw the end of stream
        with pipc.Listener(n) as lst:
            cli = self.popen([peer, "client", n])
            with lst.accept(timeout=30) as c:
                for _ in range(3):
                    self.assertTrue(c.poll(30))
                    c.send_bytes(c.recv_bytes())
                self.assertTrue(c.poll(30))
                self.assertRaises(EOFError, c.recv_bytes)
            self.assertEqual(self.wait_proc(cli, 30), 0)


@unittest.skipUnless(os.name == "posix", "the pipc-fd:N token is POSIX's (Windows: pipc-handle:N)")
class HandOverTest(TestCase):
    """A Python parent hands one end of its own Pipe() - the standard
    library's or pipc's - to a C child as the token pipc_pipe_import takes:
    "pipc-fd:N", N the end's descriptor, passed to the child (pass_fds)."""

    def check_hand_over(self, make):
        peer = tool("PIPC_PEER")
        mine, theirs = make()
        fd = theirs.fileno()
        child = self.popen([peer, "import", f"pipc-fd:{fd}"], pass_fds=[fd])
        theirs.close()  # the child has its own copy
        for size in (0, 1000, 1 << 20):
            data = os.urandom(size)
            mine.send_bytes(data)
            self.assertTrue(mine.poll(30))
            self.assertEqual(mine.recv_bytes(), data)
        mine.send({"job": [1, 2.5, "x"]})  # pickles, echoed as they are
        self.assertTrue(mine.poll(30))
        self.assertEqual(mine.recv(), {"job": [1, 2.5, "x"]})
        mine.close()
        self.assertEqual(self.wait_proc(child, 30), 0)  # it saw the end of stream

    def test_stdlib_pipe_end_to_a_c_child(self):
        import multiprocessing
        self.check_hand_over(multiprocessing.Pipe)

    def test_pipc_pipe_end_to_a_c_child(self):
        self.check_hand_over(pipc.Pipe)

    def test_not_a_socket_is_refused(self):
        import multiprocessing
        peer = tool("PIPC_PEER")
        reader, writer = multiprocessing.Pipe(duplex=False)  # os.pipe(): not a socket
        fd = reader.fileno()
        child = self.popen([peer, "import", f"pipc-fd:{fd}"], pass_fds=[fd],
                           stderr=subprocess.PIPE)
        self.assertEqual(self.wait_proc(child, 30), 3)  # PIPC_EINVAL
        reader.close()
        writer.close()
        mine, theirs = multiprocessing.Pipe()  # a real end, its token bent
        fd = theirs.fileno()
        for bad in (f"pipc-fd: {fd}", f"pipc-fd:+{fd}", f"pipc-fd:{fd} ", f"fd:{fd}", "pipc-fd:"):
            child = self.popen([peer, "import", bad], pass_fds=[fd], stderr=subprocess.PIPE)
            self.assertEqual(self.wait_proc(child, 30), 3, bad)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp, \
                socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dgram:
            for s in (tcp, dgram):  # sockets, but not a pipe end
                child = self.popen([peer, "import", f"pipc-fd:{s.fileno()}"], pass_fds=[s.fileno()],
                                   stderr=subprocess.PIPE)
                self.assertEqual(self.wait_proc(child, 30), 3, s)
        mine.close()
        theirs.close()


if __name__ == "__main__":
    unittest.main()
