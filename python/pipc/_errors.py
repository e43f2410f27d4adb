"""pipc's error codes as Python exceptions.

Every PIPC_E* code has one class.  Each is a PipcError (an OSError) with
.code (the negative PIPC_E* value), .name ("PIPC_ENOENT"), .strerror (the
message of pipc_strerror) and .filename (the pipc name concerned, if any),
and also derives from the standard exception that Python code already
catches for the same trouble (FileNotFoundError, TimeoutError, ValueError,
EOFError, ...).  .errno is the matching errno value (PIPC_ESYS: the OS error
itself, pipc_last_os_error()).
"""
import errno as _errno

import multiprocessing as _mp

# (code, name, message) as include/pipc.h's PIPC_ERRNO_MAP has them; the
# messages are read from the library when it is loaded (pipc_strerror), these
# are only for errors made before that.
CODES = {
    -1: ("PIPC_EINVAL", "invalid argument"),
    -2: ("PIPC_ENOMEM", "out of memory or address space"),
    -3: ("PIPC_EEXIST", "name already exists"),
    -4: ("PIPC_ENOENT", "no such name"),
    -5: ("PIPC_EACCES", "permission denied"),
    -6: ("PIPC_EAGAIN", "would block"),
    -7: ("PIPC_ETIMEDOUT", "timed out"),
    -8: ("PIPC_EMSGSIZE", "message too long"),
    -9: ("PIPC_ECLOSED", "closed"),
    -10: ("PIPC_EOVERFLOW", "value would exceed its maximum"),
    -11: ("PIPC_EOWNERDEAD", "previous owner died; lock acquired"),
    -12: ("PIPC_ECORRUPT", "shared state is corrupt"),
    -13: ("PIPC_ENOTSUP", "not supported"),
    -14: ("PIPC_ESYS", "system error (see pipc_last_os_error)"),
}
for _code, (_name, _msg) in CODES.items():
    globals()[_name] = _code
PIPC_OK = 0

_ERRNO = {
    -1: _errno.EINVAL, -2: _errno.ENOMEM, -3: _errno.EEXIST, -4: _errno.ENOENT,
    -5: _errno.EACCES, -6: _errno.EAGAIN, -7: _errno.ETIMEDOUT, -8: _errno.EMSGSIZE,
    -9: _errno.EPIPE, -10: _errno.EOVERFLOW,
    -11: getattr(_errno, "EOWNERDEAD", None), -12: getattr(_errno, "EBADMSG", None),
    -13: getattr(_errno, "ENOTSUP", None),
}


class LibraryNotFound(OSError):
    """libpipc could not be loaded; the message lists what was tried."""


class PipcError(OSError):
    """An error returned by libpipc.

    code     -- the negative PIPC_E* value
    name     -- its name, "PIPC_ENOENT"
    strerror -- pipc_strerror(code)
    filename -- the pipc name of the object concerned, or None
    errno    -- the matching errno value (PIPC_ESYS: the OS's own error)
    """

    def __init__(self, code, message=None, objname=None, os_error=None):
        name, default = CODES.get(code, ("PIPC_E%d" % -code, "unknown error"))
        self.code = code
        self.name = name
        self.os_error = os_error
        err = os_error if code == PIPC_ESYS and os_error else _ERRNO.get(code)
        super().__init__(err, message or default, objname)

    def __str__(self):
        s = f"[{self.name}] {self.strerror}"
        if self.code == PIPC_ESYS and self.os_error:
            s += f" (OS error {self.os_error})"
        if self.filename is not None:
            s += f": {self.filename!r}"
        return s

    def __reduce__(self):
        return (_rebuild, (type(self), self.code, self.strerror, self.filename, self.os_error))


def _rebuild(cls, code, message, objname, os_error):
    return cls(code, message, objname, os_error)


class InvalidArgument(PipcError, ValueError):
    """PIPC_EINVAL: a bad name or argument, or a call that makes no sense
    now (releasing a Lock this thread does not hold, ...)."""


class OutOfMemory(PipcError):
    """PIPC_ENOMEM: out of memory, address space or shared-memory space."""


class Exists(PipcError, FileExistsError):
    """PIPC_EEXIST: a create of a name that exists (creates are exclusive)."""


class NotFound(PipcError, FileNotFoundError):
    """PIPC_ENOENT: no such name (an open, an unlink; a connect that found
    no listener in time)."""


class PermissionDenied(PipcError, PermissionError):
    """PIPC_EACCES: another user's object, or a directory not private."""


class AuthenticationError(PermissionDenied, _mp.AuthenticationError):
    """PIPC_EACCES from an authkey handshake: also the standard library's
    multiprocessing.AuthenticationError."""


class WouldBlock(PipcError, BlockingIOError):
    """PIPC_EAGAIN where it is not a plain "not now" (a Queue used by 64
    threads at once).  Timeouts of Queue, Semaphore and Lock calls are
    queue.Empty / queue.Full / False instead."""


class TimedOut(PipcError, TimeoutError):
    """PIPC_ETIMEDOUT where a call has no other way to say it (a connect,
    an authkey handshake)."""


class MessageTooLong(PipcError, ValueError):
    """PIPC_EMSGSIZE: a message larger than the Queue's max_msg_size (said
    before any wait)."""


class Closed(PipcError, BrokenPipeError, EOFError):
    """PIPC_ECLOSED: a Queue shut down (get once drained, any put), or a
    Connection whose peer has gone (recv after the last message, send).
    An EOFError - what Connection.recv raises at the end - and a
    BrokenPipeError - what a send to a gone peer raises in Python."""


class Overflow(PipcError, ValueError):
    """PIPC_EOVERFLOW: a BoundedSemaphore released past its maximum."""


class OwnerDeadError(PipcError):
    """PIPC_EOWNERDEAD: the Lock's previous holder died holding it.  The
    lock IS now held by this thread: repair what it guards, then release
    it (.lock is the Lock)."""

    lock = None


class Corrupt(PipcError):
    """PIPC_ECORRUPT: a damaged or foreign shared segment, or a peer that
    closed in the middle of a message."""


class NotSupported(PipcError, NotImplementedError):
    """PIPC_ENOTSUP: not on this platform or in this build."""


class SysError(PipcError):
    """PIPC_ESYS: an OS error with no closer pipc code (.errno / .os_error
    is the OS's)."""


_BY_CODE = {
    -1: InvalidArgument, -2: OutOfMemory, -3: Exists, -4: NotFound, -5: PermissionDenied,
    -6: WouldBlock, -7: TimedOut, -8: MessageTooLong, -9: Closed, -10: Overflow,
    -11: OwnerDeadError, -12: Corrupt, -13: NotSupported, -14: SysError,
}
