"""pipc.Semaphore, pipc.BoundedSemaphore and pipc.Lock over pipc_sem_* and
pipc_lock_*."""
import ctypes
import os

from . import _lib
from ._core import Closing, Guard, call_in_slices, check, closed_value_error, decode, encode_name, error, unlinker
from ._errors import (PIPC_EAGAIN, PIPC_EINVAL, PIPC_ENOENT, PIPC_EOVERFLOW, PIPC_EOWNERDEAD, PIPC_ETIMEDOUT,
                      Overflow)


class _Named(Closing):
    """What Semaphore and Lock share: a handle, a name, close/unlink."""
    _kind = ""
    _close_fn = ""
    _unlink_fn = ""
    _wait_kind = 0

    def _setup(self, L, h, name_fn, create, name, unlink_on_close):
        self._L = L
        self._name = decode(getattr(L, name_fn)(h))
        self._unlink = (create and name is None) if unlink_on_close is None else unlink_on_close
        self._pid = os.getpid()  # only this process unlinks at close (not a fork child)
        close_fn = getattr(L, self._close_fn)
        self._g = Guard(h.value, close_fn, self._name,
                        closed_value_error(f"{self._kind} {self._name!r}"))

    @property
    def name(self):
        """The pipc name (made up at create for name=None)."""
        return self._name

    @property
    def closed(self):
        return self._g.closed

    def close(self):
        """Close this handle; the object lives on for other handles until
        its name is unlinked (see unlink_on_close).  Only the process that
        made the handle unlinks (a fork child's copy never does).
        Idempotent."""
        if self._g.close() and self._unlink and os.getpid() == self._pid:
            rc = getattr(self._L, self._unlink_fn)(encode_name(self._name))
            if rc not in (0, PIPC_ENOENT):
                check(rc, self._name)

    def _waitable(self):
        return self._wait_kind, self._g, _lib.WAIT_IN

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        return f"<pipc.{type(self).__name__} {self._name!r}{' closed' if self._g.closed else ''}>"


class Semaphore(_Named):
    """A named counting semaphore (multiprocessing.Semaphore) any process
    may open by name.

    Semaphore(value=1, name=None, create=True, unlink_on_close=None)

    value   -- the initial count (create only)
    name    -- pipc name; None makes a unique one (.name)
    create  -- True: create (pipc.Exists if taken); False: open by name
    unlink_on_close -- remove the name at close(); default: only for one
               this handle created under a made-up name (and only in the
               process that made it: never a fork child's copy)

    acquire(block=True, timeout=None) -> bool, release(), get_value(), and
    `with sem:`.  Like Python's, a process killed between acquire and
    release takes its unit with it (pipc_sem_create_ex's PIPC_SEM_UNDO is
    the robust kind; not offered here yet)."""

    _kind = "Semaphore"
    _close_fn = "pipc_sem_close"
    _unlink_fn = "pipc_sem_unlink"
    _wait_kind = _lib.WAIT_SEM
    _bounded = False

    def __init__(self, value=1, name=None, create=True, unlink_on_close=None):
        L = _lib.load()
        h = ctypes.c_void_p()
        if create:
            if not 0 <= value <= 0x7fffffff:
                raise ValueError("semaphore initial value must be 0..2**31-1")
            if self._bounded and value == 0:
                raise ValueError("a pipc BoundedSemaphore needs value >= 1 (its maximum)")
            maxv = value if self._bounded else 0
            check(L.pipc_sem_create(encode_name(name), value, maxv, ctypes.byref(h)), name)
        else:
            if name is None:
                raise ValueError(f"{self._kind}(create=False) opens one by name: name is needed")
            check(L.pipc_sem_open(encode_name(name), ctypes.byref(h)), name)
        self._setup(L, h, "pipc_sem_name", create, name, unlink_on_close)

    def acquire(self, block=True, timeout=None):
        """Take a unit: True, or False if none came (block=False, or by the
        timeout, in seconds)."""
        g = self._g
        h = g.enter()
        try:
            rc = call_in_slices(g, block, timeout, self._L.pipc_sem_wait, h)
        finally:
            g.leave()
        if rc == 0:
            return True
        if rc == PIPC_ETIMEDOUT or rc == PIPC_EAGAIN:
            return False
        raise error(rc, self._name)

    def release(self):
        """Give a unit back.  Past the maximum (a BoundedSemaphore's value,
        else 2**31-1): pipc.Overflow, a ValueError, count unchanged."""
        h = self._g.enter()
        try:
            rc = self._L.pipc_sem_post(h)
        finally:
            self._g.leave()
        if rc == PIPC_EOVERFLOW:
            raise error(rc, self._name, Overflow, "semaphore or lock released too many times")
        check(rc, self._name)

    def get_value(self):
        """The count now (a snapshot)."""
        v = ctypes.c_uint()
        h = self._g.enter()
        try:
            rc = self._L.pipc_sem_value(h, ctypes.byref(v))
        finally:
            self._g.leave()
        check(rc, self._name)
        return v.value

    unlink = unlinker("pipc_sem_unlink")

    def __enter__(self):
        return self.acquire()

    def __reduce__(self):
        return (_open_sem, (type(self), self._name))


class BoundedSemaphore(Semaphore):
    """A Semaphore whose count never exceeds its initial value
    (multiprocessing.BoundedSemaphore): release() past it raises
    pipc.Overflow, a ValueError, as Python's raises ValueError.  value must
    be >= 1.  Opened by name (create=False), the bound is the creator's."""

    _kind = "BoundedSemaphore"
    _bounded = True


def _open_sem(cls, name):
    return cls(name=name, create=False)


class Lock(_Named):
    """A named, robust lock (multiprocessing.Lock) any process may open by
    name.  The thread that acquired it releases it.

    Lock(name=None, create=True, unlink_on_close=None)

    acquire(block=True, timeout=None) -> bool, release(), `with lock:`.
    Acquiring a lock this thread holds, or releasing one it does not hold,
    raises pipc.InvalidArgument (a ValueError) - never a deadlock.

    A holder that died: if the previous holder died holding it, acquire()
    raises pipc.OwnerDeadError *with the lock held by this thread*.  The
    data it guards may be half-updated: repair it, then release as usual;
    the lock then works normally.  (An exception, not a flag, so that no
    program reads half-written data without knowing.)  The pattern:

        try:
            lock.acquire()
        except pipc.OwnerDeadError:
            repair()            # we hold the lock; the dead holder's work is ours
        try:
            update()
        finally:
            lock.release()

    `with lock:` raises OwnerDeadError out of the with statement with the
    lock held: catch it around the with and release (e.lock is the lock):

        try:
            with lock:
                update()
        except pipc.OwnerDeadError as e:
            try:
                repair()
            finally:
                e.lock.release()
    """

    _kind = "Lock"
    _close_fn = "pipc_lock_close"
    _unlink_fn = "pipc_lock_unlink"
    _wait_kind = _lib.WAIT_LOCK

    def __init__(self, name=None, create=True, unlink_on_close=None):
        L = _lib.load()
        h = ctypes.c_void_p()
        if create:
            check(L.pipc_lock_create(encode_name(name), ctypes.byref(h)), name)
        else:
            if name is None:
                raise ValueError("Lock(create=False) opens a lock by name: name is needed")
            check(L.pipc_lock_open(encode_name(name), ctypes.byref(h)), name)
        self._setup(L, h, "pipc_lock_name", create, name, unlink_on_close)

    def acquire(self, block=True, timeout=None):
        """Take the lock: True, or False if it stayed held (block=False, or
        by the timeout, in seconds).  Raises pipc.OwnerDeadError holding the
        lock when the previous holder died (see the class)."""
        g = self._g
        h = g.enter()
        try:
            rc = call_in_slices(g, block, timeout, self._L.pipc_lock_acquire, h)
        finally:
            g.leave()
        if rc == 0:
            return True
        if rc == PIPC_ETIMEDOUT or rc == PIPC_EAGAIN:
            return False
        e = error(rc, self._name,
                  message="this thread already holds the lock" if rc == PIPC_EINVAL else None)
        if rc == PIPC_EOWNERDEAD:
            e.lock = self
        raise e

    def release(self):
        """Release the lock (this thread must hold it: else
        pipc.InvalidArgument, a ValueError)."""
        h = self._g.enter()
        try:
            rc = self._L.pipc_lock_release(h)
        finally:
            self._g.leave()
        if rc == PIPC_EINVAL:
            raise error(rc, self._name, message="release of a lock this thread does not hold")
        check(rc, self._name)

    unlink = unlinker("pipc_lock_unlink")

    def __enter__(self):
        return self.acquire()

    def __reduce__(self):
        return (_open_lock, (self._name,))


def _open_lock(name):
    return Lock(name=name, create=False)
