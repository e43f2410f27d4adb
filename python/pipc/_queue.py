"""pipc.Queue: multiprocessing.Queue over pipc_queue_*."""
import ctypes
import os
import pickle
import queue as _stdqueue
import threading
import time

from . import _lib
from ._core import GIL, Closing, Guard, call_in_slices, check, closed_value_error, decode, encode_name, error, unlinker
from ._errors import PIPC_EAGAIN, PIPC_ECLOSED, PIPC_EMSGSIZE, PIPC_ENOENT, PIPC_ETIMEDOUT, MessageTooLong

_SHUT = "the queue is shut down"

DEFAULT_MAXSIZE = 1024       # messages, when maxsize <= 0 ("unbounded" in Python)
DEFAULT_MAX_MSG_SIZE = 8192  # bytes per message
_FIRST_BUFFER = 256 << 10    # a get's buffer starts at most this big, then grows
_KEEP_MAX = 1 << 20          # a buffer grown past this is dropped after the get


def _free(h):
    _lib.load().pipc_queue_close(h)


class Queue(Closing):
    """A bounded queue of messages in shared memory, found by name by any
    process (multiprocessing.Queue, but any process may open it, and a
    process killed at any instruction never costs the others a message or a
    hang - see docs/queue.md).

    Queue(name=None, maxsize=0, max_msg_size=8192, create=True,
          protocol=pickle.HIGHEST_PROTOCOL, unlink_on_close=None)

    name       -- the pipc name (1-64 of [A-Za-z0-9._-]); None makes a unique
                  one (read it from .name, hand it to other processes).
                  An int as the first argument is maxsize, as in
                  multiprocessing.Queue(5).
    maxsize    -- capacity in messages; <= 0 (Python's "unbounded") is 1024:
                  a pipc queue is always bounded.
    max_msg_size -- largest message in bytes (a pickled object included);
                  memory taken is about maxsize * (max_msg_size + 16).
    create     -- True: create it (pipc.Exists if the name is taken);
                  False: open an existing queue (its sizes are the creator's).
    protocol   -- the pickle protocol of put().
    unlink_on_close -- remove the name at close(); default: only for a queue
                  this handle created under a made-up name (name=None).
                  Only the process that made the handle unlinks: a fork
                  child's copy (os.fork, multiprocessing's fork) never does.

    put/get pickle objects; put_bytes/get_bytes carry bytes as they are (what
    a C program's pipc_queue_put/get see).  Timeouts are seconds; block=False
    never waits.  Full: queue.Full; empty: queue.Empty.  After shutdown()
    (by any process): put raises pipc.Closed, get returns what is left and
    then raises pipc.Closed - an EOFError, as a Connection at its end does.
    """

    def __init__(self, name=None, maxsize=0, max_msg_size=DEFAULT_MAX_MSG_SIZE, create=True,
                 protocol=pickle.HIGHEST_PROTOCOL, unlink_on_close=None):
        if isinstance(name, int) and not isinstance(name, bool):
            name, maxsize = None, name  # Queue(5), as multiprocessing.Queue(5)
        L = _lib.load()
        h = ctypes.c_void_p()
        if create:
            cap = maxsize if maxsize > 0 else DEFAULT_MAXSIZE
            check(L.pipc_queue_create(encode_name(name), cap, max_msg_size, ctypes.byref(h)), name)
        else:
            if name is None:
                raise ValueError("Queue(create=False) opens a queue by name: name is needed")
            check(L.pipc_queue_open(encode_name(name), ctypes.byref(h)), name)
        self._name = decode(L.pipc_queue_name(h))
        st = _lib.QueueStat()
        L.pipc_queue_stat(h, ctypes.byref(st))
        self._maxsize = st.capacity
        self._max_msg_size = st.max_msg_size
        self._protocol = protocol
        self._unlink = (create and name is None) if unlink_on_close is None else unlink_on_close
        self._pid = os.getpid()  # only this process unlinks at close (not a fork child)
        self._tls = threading.local()
        self._L = L
        # every message's calls: undeclared (see _lib.fast), with exact types
        self._put, self._get = _lib.fast("pipc_queue_put"), _lib.fast("pipc_queue_get")
        self._hp = ctypes.c_void_p(h.value)  # valid while the guard is entered
        self._g = Guard(h.value, _free, self._name,
                        closed_value_error(f"Queue {self._name!r}"))

    # --- properties
    @property
    def name(self):
        """The queue's pipc name (made up at create for name=None)."""
        return self._name

    @property
    def maxsize(self):
        """Capacity in messages."""
        return self._maxsize

    @property
    def max_msg_size(self):
        """Largest message in bytes."""
        return self._max_msg_size

    @property
    def closed(self):
        """True once close() was called on this handle."""
        return self._g.closed

    # --- bytes
    def put_bytes(self, data, block=True, timeout=None):
        """Put `data` (bytes-like) as one message.  Raises queue.Full when
        there is no room (block=False, or by the timeout), pipc.MessageTooLong
        (a ValueError) at once for more than max_msg_size bytes, pipc.Closed
        after shutdown()."""
        if type(data) is not bytes:
            data = bytes(memoryview(data))
        n = len(data)
        if n > self._max_msg_size:
            raise error(PIPC_EMSGSIZE, self._name, MessageTooLong,
                        f"message of {n} bytes, larger than max_msg_size {self._max_msg_size}")
        g = self._g
        if GIL:
            g._users.append(None)  # g.enter(), written out: this is every put's path
            if g.closed:
                g.leave()
                g.check()
        else:
            g.enter()
        try:
            h, n = self._hp, ctypes.c_size_t(n)
            rc = self._put(h, data, n, 0)  # one try first: most puts find room
            if rc != 0 and (rc == PIPC_EAGAIN or rc == PIPC_ETIMEDOUT) and block:
                rc = call_in_slices(g, block, timeout, self._put, h, data, n)
        finally:
            g.leave()
        if rc == 0:
            return
        if rc == PIPC_ETIMEDOUT or rc == PIPC_EAGAIN:
            raise _stdqueue.Full
        raise error(rc, self._name, message=_SHUT if rc == PIPC_ECLOSED else None)

    def _state(self, need=0):
        """This thread's receive state [buffer, its size, c_size_t, byref of
        it, a memoryview of the buffer] (one per thread: two threads may get
        at once), grown to `need`."""
        st = getattr(self._tls, "st", None)
        if st is None or st[1].value < need:
            size = max(need, min(self._max_msg_size, _FIRST_BUFFER), 1)
            n = ctypes.c_size_t() if st is None else st[2]
            buf = ctypes.create_string_buffer(size)
            st = self._tls.st = [buf, ctypes.c_size_t(size), n, ctypes.byref(n),
                                 memoryview(buf).cast("B")]
        return st

    def get_bytes(self, block=True, timeout=None):
        """Take the oldest message, as bytes.  Raises queue.Empty when there
        is none (block=False, or by the timeout), pipc.Closed once the queue
        is shut down and drained."""
        st = getattr(self._tls, "st", None) or self._state()
        buf, size, n, nref, view = st
        g = self._g
        if GIL:
            g._users.append(None)  # g.enter(), written out: this is every get's path
            if g.closed:
                g.leave()
                g.check()
        else:
            g.enter()
        try:
            h, end = self._hp, None
            rc = self._get(h, buf, size, nref, 0)  # one try first: the common case
            while rc != 0:
                if rc == PIPC_EMSGSIZE:  # the message stays at the head: a bigger buffer, again
                    buf, size, _, _, view = self._state(n.value)
                    rc = self._get(h, buf, size, nref, 0)
                elif (rc == PIPC_EAGAIN or rc == PIPC_ETIMEDOUT) and block:
                    if timeout is not None and timeout > 0:  # one deadline, across a grow
                        if end is None:
                            end = time.monotonic() + timeout
                        left = max(end - time.monotonic(), 0.0)
                    else:
                        left = timeout
                    rc = call_in_slices(g, block, left, self._get, h, buf, size, nref)
                    if rc == PIPC_EAGAIN or rc == PIPC_ETIMEDOUT:
                        break  # the time is up
                else:
                    break
        finally:
            g.leave()
            if size.value > _KEEP_MAX:
                self._tls.st = None  # copied out below; not kept for the next get
        if rc == 0:
            return view[:n.value].tobytes()
        if rc == PIPC_ETIMEDOUT or rc == PIPC_EAGAIN:
            raise _stdqueue.Empty
        raise error(rc, self._name,
                    message="the queue is shut down and drained" if rc == PIPC_ECLOSED else None)

    # --- objects
    def put(self, obj, block=True, timeout=None):
        """Put a picklable object (see put_bytes for the errors)."""
        self.put_bytes(pickle.dumps(obj, self._protocol), block, timeout)

    def get(self, block=True, timeout=None):
        """Take the oldest object (see get_bytes for the errors)."""
        return pickle.loads(self.get_bytes(block, timeout))

    def put_nowait(self, obj):
        return self.put(obj, False)

    def get_nowait(self):
        return self.get(False)

    # --- state
    def qsize(self):
        """Messages in the queue now (exact when nobody puts or gets)."""
        n = ctypes.c_size_t()
        h = self._g.enter()
        try:
            rc = self._L.pipc_queue_size(h, ctypes.byref(n))
        finally:
            self._g.leave()
        check(rc, self._name)
        return n.value

    def empty(self):
        return self.qsize() == 0

    def full(self):
        return self.qsize() >= self._maxsize

    def stat(self):
        """dict(capacity, max_msg_size, depth, closed, poisoned) - `pipc info`."""
        st = _lib.QueueStat()
        h = self._g.enter()
        try:
            rc = self._L.pipc_queue_stat(h, ctypes.byref(st))
        finally:
            self._g.leave()
        check(rc, self._name)
        return {"capacity": st.capacity, "max_msg_size": st.max_msg_size, "depth": st.depth,
                "closed": bool(st.closed), "poisoned": bool(st.poisoned)}

    def shutdown(self):
        """Shut the queue down for every process: puts fail at once
        (pipc.Closed), gets drain what is left, then raise pipc.Closed;
        blocked callers are released.  Cannot be undone."""
        h = self._g.enter()
        try:
            rc = self._L.pipc_queue_shutdown(h)
        finally:
            self._g.leave()
        check(rc, self._name)

    def close(self):
        """Close this handle (the queue lives on for other handles until its
        name is unlinked; see unlink_on_close).  Idempotent."""
        if self._g.close() and self._unlink and os.getpid() == self._pid:
            rc = self._L.pipc_queue_unlink(encode_name(self._name))
            if rc not in (0, PIPC_ENOENT):
                check(rc, self._name)

    unlink = unlinker("pipc_queue_unlink")

    # multiprocessing.Queue's, for programs that call them: nothing to do
    # (no feeder thread: a put is in the queue when it returns)
    def join_thread(self):
        pass

    def cancel_join_thread(self):
        pass

    # --- plumbing
    def _waitable(self):
        return _lib.WAIT_QUEUE, self._g, _lib.WAIT_IN

    def __reduce__(self):
        # another process (multiprocessing's spawn, a pickle) opens it by name
        return (_open, (self._name, self._protocol))

    def __repr__(self):
        state = "closed" if self._g.closed else f"maxsize={self._maxsize}"
        return f"<pipc.Queue {self._name!r} {state}>"


def _open(name, protocol):
    return Queue(name, create=False, protocol=protocol)
