"""What every pipc object shares: errors from codes, names, timeouts in
slices, and a guard that keeps a handle alive while a call uses it."""
import math
import sys
import threading
import time

from . import _lib
from ._errors import _BY_CODE, PipcError, PIPC_EAGAIN, PIPC_ESYS, PIPC_ETIMEDOUT

# Blocking calls wait in slices of this many milliseconds, so that a signal
# (Ctrl-C: KeyboardInterrupt) is seen within one slice and a close() from
# another thread ends the wait.  A message, unit or lock that comes during a
# slice ends it at once: slices cost nothing but one wake-up per slice of
# idle waiting.
SLICE_MS = 100


def error(code, objname=None, cls=None, message=None):
    """The exception for pipc code `code` (not raised)."""
    L = _lib.load()
    if message is None:
        message = L.pipc_strerror(code).decode("utf-8", "replace")
    os_error = L.pipc_last_os_error() if code == PIPC_ESYS else None
    return (cls or _BY_CODE.get(code, PipcError))(code, message, objname, os_error)


def check(rc, objname=None):
    """Raise the exception of a negative result; return rc otherwise."""
    if rc < 0:
        raise error(rc, objname)
    return rc


def encode_name(name):
    """A pipc name as the C calls take it (None stays None: "make one up").
    pipc itself checks it (PIPC_EINVAL: InvalidArgument)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"a pipc name is a str, not {type(name).__name__}")
    return name.encode("utf-8", "surrogateescape")


def decode(b):
    return None if b is None else b.decode("utf-8", "surrogateescape")


def call_in_slices(guard, block, timeout, fn, *args):
    """fn(*args, ms) -> pipc result, for a call that waits per a timeout:
    block=False or timeout <= 0 is one try (ms 0); timeout None waits for
    ever; else at most `timeout` seconds.  Waits in SLICE_MS slices (see
    there); returns the last result - PIPC_ETIMEDOUT or PIPC_EAGAIN when
    the time is up.  PIPC_EAGAIN from a call that was allowed to wait is
    not "not yet" (a Queue with 64 users): raised as WouldBlock."""
    if not block or (timeout is not None and not timeout > 0):
        return fn(*args, 0)
    if timeout is None:
        while True:
            rc = fn(*args, SLICE_MS)
            if rc != PIPC_ETIMEDOUT:
                break
            guard.check()
    else:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            ms = math.ceil(left * 1000) if left > 0 else 0
            if ms <= SLICE_MS:
                rc = fn(*args, ms)
                break
            rc = fn(*args, SLICE_MS)
            if rc != PIPC_ETIMEDOUT:
                break
            guard.check()
        if ms == 0:
            return rc
    if rc == PIPC_EAGAIN:
        raise error(rc, guard.objname)
    return rc


# With the GIL (every CPython but the free-threaded 3.13t builds) the
# Guard counts its users without a lock; see Guard.
GIL = not (hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled())


class Guard:
    """The C handle of one object, and who is using it.

    Every call takes the handle with enter() and gives it back with
    leave(); close() marks the object closed and frees the handle at once
    if nobody uses it, else the last call out frees it (a wait in another
    thread notices the close within a slice and raises).  So closing from
    one thread while another waits is never a use of freed memory.

    With the GIL the users are counted by list.append / list.pop, each one
    step no other thread splits, and no lock is taken on a call: an enter
    counts itself *before* it reads `closed`, and close() sets `closed`
    before it looks at the count, and the GIL orders the two - so an enter
    is either counted in time or sees `closed` and backs out.  Free-
    threaded builds give no such order between one thread's write and its
    next read: there enter and leave take the lock (GIL False)."""

    __slots__ = ("handle", "objname", "_free", "_mu", "_users", "closed", "_closed_error")

    def __init__(self, handle, free, objname, closed_error):
        self.handle = handle
        self.objname = objname
        self._free = free
        self._mu = threading.Lock()  # close(), the taking of the handle; enter/leave without a GIL
        self._users = []
        self.closed = False
        self._closed_error = closed_error

    if GIL:
        def enter(self):
            self._users.append(None)
            if self.closed:
                self.leave()
                raise self._closed_error()
            return self.handle

        def leave(self):
            users = self._users
            users.pop()
            if self.closed and not users:
                self._take_and_free()
    else:
        def enter(self):
            with self._mu:
                if self.closed:
                    raise self._closed_error()
                self._users.append(None)
                return self.handle

        def leave(self):
            with self._mu:
                self._users.pop()
                if self.closed and not self._users:
                    h, self.handle = self.handle, None
                else:
                    h = None
            if h is not None:
                self._free(h)

    def _take_and_free(self):
        with self._mu:  # once, whoever comes first (close or a last leave)
            h, self.handle = self.handle, None
        if h is not None:
            self._free(h)

    def check(self):
        """Raise if closed meanwhile (called between slices)."""
        if self.closed:
            raise self._closed_error()

    def close(self):
        """True the first time (the handle is or will be freed)."""
        with self._mu:
            if self.closed:
                return False
            self.closed = True
            if self._users:
                return True  # the last leave frees it
            h, self.handle = self.handle, None
        if h is not None:
            self._free(h)
        return True


def next_slice(end):
    """Milliseconds of the next wait towards `end` (time.monotonic(); None:
    none): at most SLICE_MS, rounded up so a wait never ends early."""
    if end is None:
        return SLICE_MS
    left = end - time.monotonic()
    return min(SLICE_MS, max(0, int(left * 1000 + 0.999)))


class Closing:
    """close() when a `with` block ends and when the object is collected
    (never raising there).  Semaphore and Lock keep close() for the
    collector only: their `with` acquires and releases."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class unlinker:
    """obj.unlink() removes obj's name; Class.unlink(name) removes `name`.
    Objects already open keep working (see pipc_*_unlink)."""

    def __init__(self, cfunc_name):
        self.cfunc_name = cfunc_name
        self.__doc__ = (f"Remove the name ({cfunc_name}): obj.unlink() for this object's "
                        "name, Class.unlink(name) for any.  Open handles keep working.")

    def __get__(self, obj, cls=None):
        fn = self.cfunc_name
        if obj is None:
            def unlink(name):
                check(getattr(_lib.load(), fn)(encode_name(name)), name)
            return unlink

        def unlink_self():
            check(getattr(_lib.load(), fn)(encode_name(obj.name)), obj.name)
        return unlink_self


def closed_value_error(what):
    def make():
        return ValueError(f"{what} is closed")
    return make
