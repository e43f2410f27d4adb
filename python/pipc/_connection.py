"""pipc.Listener, pipc.Client, pipc.Pipe and their Connection objects:
multiprocessing.connection over pipc_pipe_* and pipc_listener_*."""
import ctypes
import os
import pickle
import time
from multiprocessing import BufferTooShort

from . import _lib
from ._core import Closing, SLICE_MS, next_slice, Guard, call_in_slices, check, decode, encode_name, error
from ._errors import (PIPC_EACCES, PIPC_EAGAIN, PIPC_ECLOSED, PIPC_EMSGSIZE, PIPC_ENOENT, PIPC_ETIMEDOUT,
                      AuthenticationError, NotFound, TimedOut)

_FIRST_BUFFER = 64 << 10
_KEEP_MAX = 1 << 20  # a receive buffer grown past this is dropped after use


def _closed_handle():
    return OSError("handle is closed")


def _free_pipe(h):
    # A send that returned left nothing behind (_send pushes it all out), so
    # something is left only when a send did not return (Ctrl-C in it, a
    # close() from another thread during it): that message is dropped here
    # (pipc_pipe_close_flush with timeout 0), so close() - and __del__ -
    # never wait for the peer.  The peer then reads what was already sent
    # and sees the cut message: pipc.Corrupt.
    _lib.load().pipc_pipe_close_flush(h, 0)


def _free_listener(h):
    _lib.load().pipc_listener_close(h)


def pipe_path(name):
    """The OS address of pipe name `name` (pipc_pipe_path): the socket file
    on POSIX, \\\\.\\pipe\\pipc.NAME on Windows - what the standard
    library's Listener / Client take as address."""
    buf = ctypes.create_string_buffer(_lib.PATH_MAX)
    check(_lib.load().pipc_pipe_path(encode_name(name), buf, len(buf)), name)
    return decode(buf.value)


def _attr(authkey):
    """(pipc_attr or None, what keeps its key alive).  An empty key is no
    key, as Python's Listener has it (pipc itself refuses a 0-byte key)."""
    if authkey is None:
        return None, None
    if not isinstance(authkey, bytes):
        raise TypeError("authkey should be a byte string")
    if not authkey:
        return None, None
    key = ctypes.create_string_buffer(authkey, len(authkey))
    a = _lib.Attr()
    a.authkey = ctypes.cast(key, ctypes.c_void_p)
    a.authkey_len = len(authkey)
    return a, key


def _auth_error(rc, name, keyed):
    if rc == PIPC_EACCES and keyed:
        return error(rc, name, AuthenticationError,
                     "authkey handshake failed (wrong key, or a peer without one)")
    return error(rc, name)


class Connection(Closing):
    """One end of a pipc pipe, with multiprocessing.connection.Connection's
    API: send/recv (pickled objects), send_bytes/recv_bytes/recv_bytes_into,
    poll, close, closed/readable/writable, fileno, `with`.

    recv* raise EOFError (pipc.Closed) once the peer has closed and every
    message it sent was read; send* to a gone peer raise pipc.Closed (also
    a BrokenPipeError); a closed end raises OSError("handle is closed")."""

    def __init__(self, handle, readable=True, writable=True, name=None):
        if not readable and not writable:
            raise ValueError("at least one of `readable` and `writable` must be True")
        self._L = _lib.load()
        self._g = Guard(handle, _free_pipe, name, _closed_handle)
        self._readable = readable
        self._writable = writable
        self._name = name
        self._rbuf = None

    @property
    def closed(self):
        return self._g.closed

    @property
    def readable(self):
        return self._readable

    @property
    def writable(self):
        return self._writable

    def fileno(self):
        """The end's OS handle (pipc_pipe_os_handle: the socket on POSIX),
        for an event loop to wait on - never to read or write.  pipc reads
        ahead, so a readable handle may bring several messages and messages
        already read ahead do not make it readable again: after it fires,
        recv while poll() says True.  pipc.wait() needs none of this."""
        out = ctypes.c_ssize_t(-1)
        h = self._g.enter()
        try:
            check(self._L.pipc_pipe_os_handle(h, ctypes.byref(out)), self._name)
        finally:
            self._g.leave()
        return out.value

    def close(self):
        """Close this end; the peer gets EOFError after the last message.
        Every message whose send returned is already with the OS, so close
        never waits for the peer.  A send that did not return (Ctrl-C in
        it, or a close() from another thread while it waited for the peer)
        has its rest dropped - the peer sees a cut message, pipc.Corrupt.
        A close() from
        another thread ends that thread's waiting call within a slice (it
        raises OSError("handle is closed")).  Idempotent."""
        self._g.close()

    def _check_readable(self):
        if not self._readable:
            raise OSError("connection is write-only")

    def _check_writable(self):
        if not self._writable:
            raise OSError("connection is read-only")

    # --- sending
    def send_bytes(self, buf, offset=0, size=None):
        """Send bytes of a bytes-like object as one message."""
        self._check_writable()
        m = memoryview(buf)
        if m.itemsize > 1:
            m = m.cast("B")
        n = m.nbytes
        if offset < 0:
            raise ValueError("offset is negative")
        if n < offset:
            raise ValueError("buffer length < offset")
        if size is None:
            size = n - offset
        elif size < 0:
            raise ValueError("size is negative")
        elif offset + size > n:
            raise ValueError("buffer length < offset + size")
        if type(buf) is bytes and offset == 0 and size == n:
            data = buf
        else:
            data = m[offset:offset + size].tobytes()
        self._send(data)

    def _send(self, data):
        # Returns once the whole message is with the OS, as Python's send
        # does: what pipc_pipe_send left in the end's own buffer (a peer not
        # reading yet) is pushed out here, waiting for the peer to read it,
        # so the program may then wait on anything else.  Both waits go in
        # slices (a send waits only when the end's buffer is full, left so
        # by a send that was interrupted): Ctrl-C and close() end them.
        g = self._g
        h = g.enter()
        try:
            rc = call_in_slices(g, True, None, self._L.pipc_pipe_send, h, data, len(data))
            if rc == 0:
                rc = call_in_slices(g, True, None, self._L.pipc_pipe_flush, h)
        finally:
            g.leave()
        if rc == PIPC_ECLOSED:
            raise error(rc, self._name, message="the other end has closed the connection")
        check(rc, self._name)

    def send(self, obj):
        """Send a picklable object (the standard library's recv() reads it)."""
        self._check_writable()
        self._send(pickle.dumps(obj, pickle.DEFAULT_PROTOCOL))

    # --- receiving
    def _recv(self, maxlength=None):
        self._check_readable()
        n = ctypes.c_size_t()
        g = self._g
        buf = None
        h = g.enter()
        try:
            buf = self._rbuf
            if buf is None:
                buf = self._rbuf = ctypes.create_string_buffer(_FIRST_BUFFER)
            while True:
                rc = call_in_slices(g, True, None, self._L.pipc_pipe_recv, h, buf, len(buf),
                                    ctypes.byref(n))
                if rc != PIPC_EMSGSIZE:
                    break
                if maxlength is not None and n.value > maxlength:
                    break
                buf = self._rbuf = ctypes.create_string_buffer(n.value)
        finally:
            g.leave()
            if buf is not None and len(buf) > _KEEP_MAX:
                self._rbuf = None  # the caller copies out of `buf`; not kept after
        if rc == PIPC_EMSGSIZE or (rc == 0 and maxlength is not None and n.value > maxlength):
            self.close()
            raise OSError("bad message length")
        if rc == PIPC_ECLOSED:
            raise error(rc, self._name, message="the other end has closed the connection")
        check(rc, self._name)
        return buf, n.value

    def recv_bytes(self, maxlength=None):
        """Receive one message as bytes.  Longer than maxlength: OSError
        ("bad message length") and the connection is closed, as Python's."""
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        buf, n = self._recv(maxlength)
        return ctypes.string_at(buf, n)

    def recv_bytes_into(self, buf, offset=0):
        """Receive one message into a writable bytes-like object at byte
        `offset`; return its size.  Too small: multiprocessing's
        BufferTooShort, with the whole message as args[0]."""
        with memoryview(buf) as m:
            itemsize = m.itemsize
            bytesize = itemsize * len(m)
            if offset < 0:
                raise ValueError("negative offset")
            elif offset > bytesize:
                raise ValueError("offset too large")
            cbuf, size = self._recv()
            if bytesize < offset + size:
                raise BufferTooShort(ctypes.string_at(cbuf, size))
            with m.cast("B") as b:
                b[offset:offset + size] = ctypes.string_at(cbuf, size)
            return size

    def recv(self):
        """Receive one pickled object."""
        buf, n = self._recv()
        return pickle.loads(ctypes.string_at(buf, n))

    def poll(self, timeout=0.0):
        """Whether a message (or the end) is there to receive, waiting up
        to `timeout` seconds (None: for ever)."""
        self._check_readable()
        g = self._g
        h = g.enter()
        try:
            if timeout is not None and not timeout > 0:
                rc = self._L.pipc_pipe_poll(h, 0)
            else:
                end = None if timeout is None else time.monotonic() + timeout
                while True:
                    ms = next_slice(end)
                    rc = self._L.pipc_pipe_poll(h, ms)
                    if rc != 0 or (end is not None and ms < SLICE_MS):
                        break
                    g.check()
        finally:
            g.leave()
        return check(rc, self._name) > 0

    def _waitable(self):
        return _lib.WAIT_PIPE, self._g, _lib.WAIT_IN

    def __reduce__(self):
        raise TypeError("a pipc.Connection cannot be pickled (its end belongs to this "
                        "process): give the other process the name of a pipc.Listener "
                        "to connect to with pipc.Client")

    def __repr__(self):
        return f"<pipc.Connection{' ' + repr(self._name) if self._name else ''}" \
               f"{' closed' if self.closed else ''}>"


def Pipe(duplex=True):
    """Two connected ends (multiprocessing.Pipe): duplex, or with
    duplex=False (reader, writer) - the first end only receives, the
    second only sends."""
    L = _lib.load()
    a, b = ctypes.c_void_p(), ctypes.c_void_p()
    check(L.pipc_pipe_pair(ctypes.byref(a), ctypes.byref(b)))
    if duplex:
        return Connection(a.value), Connection(b.value)
    return Connection(a.value, writable=False), Connection(b.value, readable=False)


class Listener(Closing):
    """A named listener (multiprocessing.connection.Listener) that any
    process of this user - pipc.Client, a C pipc_pipe_connect, or the
    standard library's Client(listener.address) - connects to.

    Listener(name=None, authkey=None)

    name    -- pipc name; None makes a unique one (.name)
    authkey -- bytes: every connection passes Python's authkey handshake
               (pipc.AuthenticationError otherwise); None or b"" (as in
               Python's Listener): no handshake

    accept(timeout=None) -> Connection, close(), .address (the OS path),
    .name, .last_accepted, `with`.  A second listener on a live name:
    pipc.Exists."""

    def __init__(self, name=None, authkey=None):
        L = _lib.load()
        attr, key = _attr(authkey)
        h = ctypes.c_void_p()
        check(L.pipc_listener_create_ex(encode_name(name), ctypes.byref(attr) if attr else None,
                                        ctypes.byref(h)), name)
        self._L = L
        self._keyed = bool(authkey)
        self._name = decode(L.pipc_listener_name(h))
        self._g = Guard(h.value, _free_listener, self._name, _closed_handle)
        try:
            self._address = pipe_path(self._name)
        except OSError:
            self._address = None
        # the process id of the last accepted client (pipc_pipe_peer: the
        # OS says who connected), or None (none yet, or the OS would not
        # say - the BSDs); Python's has the client's socket address, which
        # for a Unix socket client is an empty string
        self.last_accepted = None

    @property
    def name(self):
        return self._name

    @property
    def address(self):
        """The OS path of the listener (pipc_pipe_path of its name)."""
        return self._address

    def accept(self, timeout=None):
        """The next connection (the authkey handshake done, if any).
        Waits for ever, or `timeout` seconds: then pipc.TimedOut.
        A failed handshake raises (pipc.AuthenticationError, pipc.TimedOut,
        EOFError) and the listener goes on."""
        g = self._g
        h = g.enter()
        try:
            out = ctypes.c_void_p()
            items = (_lib.Waitable * 1)()
            items[0].kind = _lib.WAIT_LISTENER
            items[0].obj = h
            items[0].events = _lib.WAIT_IN
            end = None if timeout is None else time.monotonic() + max(timeout, 0)
            while True:
                # timeout 0: a handshake gets its full PIPC_AUTH_TIMEOUT_MS
                rc = self._L.pipc_listener_accept(h, ctypes.byref(out), 0)
                if rc != PIPC_EAGAIN:
                    break
                if end is None:
                    ms = SLICE_MS
                else:
                    left = end - time.monotonic()
                    if left <= 0:
                        raise error(PIPC_ETIMEDOUT, self._name, TimedOut, "no connection in time")
                    ms = min(SLICE_MS, int(left * 1000 + 0.999))
                check(self._L.pipc_wait(items, 1, ms), self._name)
                g.check()
        finally:
            g.leave()
        if rc != 0:
            raise _auth_error(rc, self._name, self._keyed)
        peer = _lib.Peer()
        if self._L.pipc_pipe_peer(out, ctypes.byref(peer)) == 0 and peer.pid > 0:
            self.last_accepted = peer.pid
        else:
            self.last_accepted = None
        return Connection(out.value, name=self._name)

    def close(self):
        """Stop listening and remove the name; accepted connections stay."""
        self._g.close()

    def _waitable(self):
        return _lib.WAIT_LISTENER, self._g, _lib.WAIT_IN

    def __reduce__(self):
        raise TypeError("a pipc.Listener cannot be pickled (it listens in this "
                        "process): give the other process its name to connect to "
                        "with pipc.Client")

    def __repr__(self):
        return f"<pipc.Listener {self._name!r}{' closed' if self._g.closed else ''}>"


_NAP_MAX = 0.02  # as pipc_pipe_connect's own retries


def Client(name, authkey=None, timeout=0):
    """Connect to the listener of pipc name `name` - a pipc Listener, or a
    standard-library Listener at pipe_path(name) - and return a Connection.

    timeout -- how long to wait for a listener to appear and take the
               connection.  0, the default, as the standard library's
               Client: no wait - nobody listening is pipc.NotFound (a
               FileNotFoundError) at once, a listener whose backlog is full
               pipc.WouldBlock (a BlockingIOError; Python's blocking connect
               would wait there: pass a timeout).  Seconds: wait up to that,
               then pipc.NotFound, or pipc.TimedOut for a listener that took
               no more connections.  None: wait for ever (Ctrl-C ends it).
    authkey -- bytes: Python's handshake (pipc.AuthenticationError on a
               wrong key); None or b"": none (b"" is "no key" for a pipc
               Listener, as for Python's; Python's own Client would still
               try a handshake with it)."""
    L = _lib.load()
    attr, key = _attr(authkey)
    pattr = ctypes.byref(attr) if attr else None
    bname = encode_name(name)
    out = ctypes.c_void_p()
    end = None if timeout is None else time.monotonic() + max(timeout, 0)
    nap = 0.001
    while True:
        # timeout 0, again and again: a listener found at once gives its
        # handshake the full PIPC_AUTH_TIMEOUT_MS; sleeping here (not in C)
        # lets Ctrl-C through
        rc = L.pipc_pipe_connect_ex(bname, pattr, ctypes.byref(out), 0)
        if rc not in (PIPC_ENOENT, PIPC_EAGAIN):
            break
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            if rc == PIPC_ENOENT:
                raise error(rc, name, NotFound, "no listener")
            if not timeout or timeout <= 0:
                raise error(rc, name, message="the listener takes no more connections now")
            raise error(PIPC_ETIMEDOUT, name, TimedOut, "the listener takes no more connections")
        time.sleep(nap if left is None else min(nap, left))
        nap = min(nap * 2, _NAP_MAX)
    del key
    if rc != 0:
        raise _auth_error(rc, name, bool(authkey))
    return Connection(out.value, name=name)
