"""pipc.SharedMemory: multiprocessing.shared_memory.SharedMemory over
pipc_shm_*."""
import ctypes
import os
import sys

from . import _lib
from ._core import Closing, check, decode, encode_name, unlinker
from ._errors import PIPC_ENOENT


class SharedMemory(Closing):
    """A named segment of bytes, with Python's SharedMemory API.

    SharedMemory(name=None, create=False, size=0, unlink_on_close=None)

    name   -- pipc name; None (with create=True) makes a unique one
    create -- True: create a zero-filled segment of `size` bytes
              (pipc.Exists if the name is taken); False: open one, learning
              its size (`size` is then ignored, as Python does)
    unlink_on_close -- remove the name at close(); default: only for one
              this handle created under a made-up name (and only in the
              process that made it: never a fork child's copy)

    buf is a memoryview (format 'B') of the mapping; close() releases it
    and unmaps, and refuses (BufferError, as Python's does) while views
    derived from buf - slices, memoryviews of it, buf.obj - are still
    alive; the mapping then stays until a later close() succeeds.
    unlink() removes the name; no resource tracker is involved: nothing
    is unlinked behind your back when a process ends.

    On POSIX the segment is /dev/shm/pipc.NAME, so the standard library's
    SharedMemory(name="pipc.NAME") attaches to it (see docs/shm.md for its
    resource tracker)."""

    def __init__(self, name=None, create=False, size=0, unlink_on_close=None):
        if size < 0:
            raise ValueError("'size' must be a positive integer")
        if create and size == 0:
            raise ValueError("'size' must be a positive number different from zero")
        if not create and name is None:
            raise ValueError("'name' can only be None if create=True")
        L = _lib.load()
        h = ctypes.c_void_p()
        if create:
            check(L.pipc_shm_create(encode_name(name), size, ctypes.byref(h)), name)
        else:
            check(L.pipc_shm_open(encode_name(name), ctypes.byref(h)), name)
        self._L = L
        self._h = h.value
        self._name = decode(L.pipc_shm_name(h))
        self._size = L.pipc_shm_size(h)
        self._unlink = (create and name is None) if unlink_on_close is None else unlink_on_close
        self._pid = os.getpid()  # only this process unlinks at close (not a fork child)
        self._unlinked = False
        self._array = (ctypes.c_char * self._size).from_address(L.pipc_shm_addr(h))
        m = memoryview(self._array)
        self._buf = m.cast("B")
        m.release()

    @property
    def buf(self):
        """A memoryview of the segment's bytes (None once closed)."""
        return self._buf

    @property
    def name(self):
        return self._name

    @property
    def size(self):
        """Size in bytes."""
        return self._size

    def close(self):
        """Release buf and unmap.  BufferError while views derived from buf
        live on (release them, then close again).  Idempotent.

        A handle that unlinks at close (name=None, or unlink_on_close)
        removes the name first, even when the unmap is then refused: the
        mapping stays valid after an unlink, and nothing is left behind in
        /dev/shm by a close that raised (or by __del__, which swallows it)."""
        unlink_rc = 0
        if self._h is not None and self._unlink and not self._unlinked and os.getpid() == self._pid:
            self._unlinked = True
            unlink_rc = self._L.pipc_shm_unlink(encode_name(self._name))
        if self._buf is not None:
            self._buf.release()  # BufferError if buf itself is exported
            self._buf = None
        if self._array is not None:
            # the array is ours alone once every view of it is gone: a view
            # derived from buf (a slice, memoryview(buf), buf.obj) holds it
            if sys.getrefcount(self._array) > 2:
                raise BufferError("cannot close exported pointers exist")
            self._array = None
        if self._h is not None:
            h, self._h = self._h, None
            self._L.pipc_shm_close(h)
        if unlink_rc not in (0, PIPC_ENOENT):
            check(unlink_rc, self._name)

    unlink = unlinker("pipc_shm_unlink")

    def __reduce__(self):
        return (self.__class__, (self._name, False))

    def __repr__(self):
        return f"pipc.SharedMemory({self._name!r}, size={self._size})"
