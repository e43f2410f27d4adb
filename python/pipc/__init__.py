"""pipc for Python: Queue, Pipe / Listener / Client, SharedMemory, Semaphore
and a robust Lock that any process - Python or C - opens by name.

Pure Python over libpipc with ctypes (standard library only).  The names
follow multiprocessing's, so most programs change only their import:

    from pipc import Queue                     # was: from multiprocessing import Queue
    q = Queue(name="jobs", maxsize=64)         # any process: Queue("jobs", create=False)
    q.put({"file": "a.png"}); q.get(timeout=1.0)

Objects and their C calls (docs/python.md has the whole table):

    Queue(name=None, maxsize=0, max_msg_size=8192, create=True, protocol=...)
                                         pipc_queue_*
    Semaphore(value=1, name=None, create=True), BoundedSemaphore(...)
                                         pipc_sem_*
    Lock(name=None, create=True)         pipc_lock_* (robust: OwnerDeadError)
    SharedMemory(name=None, create=False, size=0)
                                         pipc_shm_*
    Pipe(duplex=True), Listener(name=None, authkey=None),
    Client(name, authkey=None, timeout=0) -> Connection
                                         pipc_pipe_*, pipc_listener_*
    wait(object_list, timeout=None)      pipc_wait
    pipe_path(name)                      pipc_pipe_path (stdlib Listener/Client address)

Conventions
  - Timeouts are seconds (float); None waits for ever; block=False, or a
    timeout <= 0, never waits.  Long waits are made in 100 ms slices, so
    Ctrl-C (KeyboardInterrupt) ends them, and a close() of the object from
    another thread ends the waits on it (Client's wait for a listener has
    only its timeout).
  - name=None makes a unique name (.name); such an object is unlinked when
    the handle that made it is closed (unlink_on_close=... to choose) in
    the process that made it (a fork child's copy never unlinks).
    Named objects live until unlink() (obj.unlink(), or Class.unlink(name)).
  - create=True is exclusive (pipc.Exists), create=False only opens
    (pipc.NotFound).  Objects are owner-only (this user's processes).
  - Every object is a context manager (Queue, SharedMemory, Connection,
    Listener: close on exit; Lock, Semaphore: acquire / release).
  - Objects pickle by name: unpickling (multiprocessing's spawn, another
    process) opens the same object.

Errors
  Every pipc error code is one exception class, a PipcError - an OSError
  with .code (the negative PIPC_E* value), .name ("PIPC_ENOENT"),
  .strerror (pipc_strerror's message), .filename (the pipc name) and a
  matching .errno - that also derives from the standard exception code
  already catches for that trouble:

    PIPC_EINVAL     InvalidArgument   ValueError (bad name or argument;
                                      releasing a Lock not held)
    PIPC_ENOMEM     OutOfMemory
    PIPC_EEXIST     Exists            FileExistsError
    PIPC_ENOENT     NotFound          FileNotFoundError
    PIPC_EACCES     PermissionDenied  PermissionError
                    AuthenticationError (a handshake) also
                                      multiprocessing.AuthenticationError
    PIPC_EAGAIN     WouldBlock        BlockingIOError (a Queue with 64
                                      users; "not now" is queue.Empty/Full)
    PIPC_ETIMEDOUT  TimedOut          TimeoutError (connect, accept)
    PIPC_EMSGSIZE   MessageTooLong    ValueError (message > max_msg_size,
                                      raised before any wait)
    PIPC_ECLOSED    Closed            EOFError and BrokenPipeError
    PIPC_EOVERFLOW  Overflow          ValueError (BoundedSemaphore released
                                      too many times)
    PIPC_EOWNERDEAD OwnerDeadError    - (Lock: held, repair then release)
    PIPC_ECORRUPT   Corrupt
    PIPC_ENOTSUP    NotSupported      NotImplementedError
    PIPC_ESYS       SysError          (.errno is the OS's error)

  Where Python's own API says otherwise, Python's way wins: a Queue that is
  full or empty raises queue.Full / queue.Empty; Semaphore and Lock
  acquire return False on a timeout; recv on a too-small buffer raises
  multiprocessing.BufferTooShort; a closed handle raises ValueError
  (Queue, Semaphore, Lock) or OSError("handle is closed") (Connection,
  Listener), as multiprocessing does.

Queue shutdown
  q.shutdown() (any process) closes the queue for everyone: put raises
  pipc.Closed at once, get returns what is left, then raises pipc.Closed -
  an EOFError, as a Connection's recv at the end does.  So a consumer loop
  is `try: while True: handle(q.get())  except EOFError: pass`.

Lock and a dead holder
  If a Lock's holder died holding it, the next acquire() raises
  pipc.OwnerDeadError *with the lock held*: repair the shared state, then
  release().  See pipc.Lock for the pattern.

Finding libpipc (the first that loads wins; none: pipc.LibraryNotFound,
an OSError listing every place tried, raised by the first object made -
`import pipc` itself never fails for it):
  1. $PIPC_LIBRARY, a path (if set, only it is tried);
  2. a libpipc.so* / .dylib / pipc.dll next to this package, then the
     library `cmake --install` put beside it (pipc/_installed.py);
  3. the loader path (ctypes.util.find_library("pipc"), libpipc.so.0, ...).
"""
from ._errors import (AuthenticationError, Closed, Corrupt, Exists, InvalidArgument, LibraryNotFound,
                      MessageTooLong, NotFound, NotSupported, OutOfMemory, Overflow, OwnerDeadError,
                      PermissionDenied, PipcError, SysError, TimedOut, WouldBlock)
from ._lib import library_path, load as load_library
from ._queue import Queue
from ._sync import BoundedSemaphore, Lock, Semaphore
from ._shm import SharedMemory
from ._connection import Client, Connection, Listener, Pipe, pipe_path
from ._wait import wait

__version__ = "0.1.0"

__all__ = [
    "Queue", "Semaphore", "BoundedSemaphore", "Lock", "SharedMemory",
    "Pipe", "Listener", "Client", "Connection", "wait", "pipe_path",
    "PipcError", "InvalidArgument", "OutOfMemory", "Exists", "NotFound", "PermissionDenied",
    "AuthenticationError", "WouldBlock", "TimedOut", "MessageTooLong", "Closed", "Overflow",
    "OwnerDeadError", "Corrupt", "NotSupported", "SysError", "LibraryNotFound",
    "load_library", "library_path",
]
