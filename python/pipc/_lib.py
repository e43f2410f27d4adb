"""Finding libpipc and declaring its C calls for ctypes.

Where the library is looked for, in this order (the first that loads wins):

1. the path in the environment variable PIPC_LIBRARY - if it is set, it
   must load: nothing else is tried (an explicit choice never falls back
   to another copy silently);
2. next to the package: a libpipc.so* / libpipc*.dylib / pipc.dll /
   libpipc.dll file in the pipc package directory (where an install may
   put a copy);
   then where `cmake --install` put the library beside this package
   (pipc/_installed.py, written by the install: a path relative to here);
3. the loader path: ctypes.util.find_library("pipc"), then the names
   libpipc.so.0, libpipc.so, libpipc.0.dylib, libpipc.dylib, pipc.dll,
   libpipc.dll as the system loader finds them (LD_LIBRARY_PATH,
   ld.so.conf, PATH on Windows).

Nothing is loaded at import: the first object made (or pipc.load_library())
loads it, and a failure is pipc.LibraryNotFound - an OSError that lists
every place tried and why each failed.
"""
import ctypes
import ctypes.util
import glob
import os
import sys
import threading

from ._errors import LibraryNotFound

c_int = ctypes.c_int
c_uint = ctypes.c_uint
c_size_t = ctypes.c_size_t
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_long = ctypes.c_long
POINTER = ctypes.POINTER
byref = ctypes.byref


class Attr(ctypes.Structure):
    """struct pipc_attr (include/pipc.h, "sharing")."""
    _fields_ = [
        ("access", c_int),        # pipc_access (an enum: int)
        ("group", c_char_p),
        ("sddl", c_char_p),
        ("flags", c_uint),
        ("dir", c_char_p),
        ("authkey", c_void_p),
        ("authkey_len", c_size_t),
    ]


class QueueStat(ctypes.Structure):
    """struct pipc_queue_stat_t."""
    _fields_ = [
        ("capacity", c_size_t),
        ("max_msg_size", c_size_t),
        ("depth", c_size_t),
        ("closed", c_int),
        ("poisoned", c_int),
    ]


class Peer(ctypes.Structure):
    """struct pipc_peer."""
    _fields_ = [
        ("pid", c_long),
        ("uid", c_long),
        ("gid", c_long),
        ("sid", ctypes.c_char * 192),
    ]


class Waitable(ctypes.Structure):
    """struct pipc_waitable (include/pipc.h, "waiting"); obj is a union of
    pointers, declared here as the one pointer it is."""
    _fields_ = [
        ("kind", c_int),          # pipc_wait_kind
        ("obj", c_void_p),
        ("events", c_uint),
        ("revents", c_uint),
        ("error", c_int),
        ("user", c_void_p),
    ]


# pipc_wait_kind and the events of pipc_waitable
WAIT_QUEUE, WAIT_PIPE, WAIT_LISTENER, WAIT_SEM, WAIT_LOCK, WAIT_PROCESS = 1, 2, 3, 4, 5, 6
WAIT_IN, WAIT_OUT, WAIT_ERR = 1, 2, 4
FOREVER = -1
PATH_SHM, PATH_SHM_FILE, PATH_PIPE = 1, 2, 3
PATH_MAX = 256

_P = c_void_p            # every opaque handle
_PP = POINTER(c_void_p)  # handle out-pointer
_SZ = POINTER(c_size_t)

# name: (restype, argtypes)
_PROTOTYPES = {
    "pipc_strerror": (c_char_p, [c_int]),
    "pipc_last_os_error": (c_int, []),
    "pipc_name_check": (c_int, [c_char_p]),
    "pipc_path": (c_int, [c_char_p, c_int, c_char_p, c_size_t]),
    "pipc_pipe_path": (c_int, [c_char_p, c_char_p, c_size_t]),
    # queue
    "pipc_queue_create": (c_int, [c_char_p, c_size_t, c_size_t, _PP]),
    "pipc_queue_open": (c_int, [c_char_p, _PP]),
    "pipc_queue_put": (c_int, [_P, c_void_p, c_size_t, c_int]),
    "pipc_queue_get": (c_int, [_P, c_void_p, c_size_t, _SZ, c_int]),
    "pipc_queue_size": (c_int, [_P, _SZ]),
    "pipc_queue_stat": (c_int, [_P, POINTER(QueueStat)]),
    "pipc_queue_shutdown": (c_int, [_P]),
    "pipc_queue_name": (c_char_p, [_P]),
    "pipc_queue_close": (c_int, [_P]),
    "pipc_queue_unlink": (c_int, [c_char_p]),
    # pipe
    "pipc_pipe_pair": (c_int, [_PP, _PP]),
    "pipc_listener_create_ex": (c_int, [c_char_p, POINTER(Attr), _PP]),
    "pipc_listener_accept": (c_int, [_P, _PP, c_int]),
    "pipc_listener_name": (c_char_p, [_P]),
    "pipc_listener_close": (c_int, [_P]),
    "pipc_pipe_connect_ex": (c_int, [c_char_p, POINTER(Attr), _PP, c_int]),
    "pipc_pipe_send": (c_int, [_P, c_void_p, c_size_t, c_int]),
    "pipc_pipe_recv": (c_int, [_P, c_void_p, c_size_t, _SZ, c_int]),
    "pipc_pipe_poll": (c_int, [_P, c_int]),
    "pipc_pipe_flush": (c_int, [_P, c_int]),
    "pipc_pipe_os_handle": (c_int, [_P, POINTER(ctypes.c_ssize_t)]),
    "pipc_pipe_peer": (c_int, [_P, POINTER(Peer)]),
    "pipc_pipe_close": (c_int, [_P]),
    "pipc_pipe_close_flush": (c_int, [_P, c_int]),
    # shm
    "pipc_shm_create": (c_int, [c_char_p, c_size_t, _PP]),
    "pipc_shm_open": (c_int, [c_char_p, _PP]),
    "pipc_shm_addr": (c_void_p, [_P]),
    "pipc_shm_size": (c_size_t, [_P]),
    "pipc_shm_name": (c_char_p, [_P]),
    "pipc_shm_close": (c_int, [_P]),
    "pipc_shm_unlink": (c_int, [c_char_p]),
    # semaphore
    "pipc_sem_create": (c_int, [c_char_p, c_uint, c_uint, _PP]),
    "pipc_sem_open": (c_int, [c_char_p, _PP]),
    "pipc_sem_wait": (c_int, [_P, c_int]),
    "pipc_sem_post": (c_int, [_P]),
    "pipc_sem_value": (c_int, [_P, POINTER(c_uint)]),
    "pipc_sem_name": (c_char_p, [_P]),
    "pipc_sem_close": (c_int, [_P]),
    "pipc_sem_unlink": (c_int, [c_char_p]),
    # lock
    "pipc_lock_create": (c_int, [c_char_p, _PP]),
    "pipc_lock_open": (c_int, [c_char_p, _PP]),
    "pipc_lock_acquire": (c_int, [_P, c_int]),
    "pipc_lock_release": (c_int, [_P]),
    "pipc_lock_name": (c_char_p, [_P]),
    "pipc_lock_close": (c_int, [_P]),
    "pipc_lock_unlink": (c_int, [c_char_p]),
    # waiting
    "pipc_wait": (c_int, [POINTER(Waitable), c_size_t, c_int]),
}

_here = os.path.dirname(os.path.abspath(__file__))
_lock = threading.Lock()
_loaded = None  # the CDLL once loaded


def _candidates():
    """(how it was found, what to pass to CDLL) in the order tried."""
    env = os.environ.get("PIPC_LIBRARY")
    if env:
        return [("PIPC_LIBRARY", env)], True
    out = []
    beside = []
    for pattern in ("libpipc.so*", "libpipc*.dylib", "pipc.dll", "libpipc.dll"):
        beside += sorted(glob.glob(os.path.join(_here, pattern)))
    out += [("next to the package", p) for p in beside]
    try:  # written by cmake --install: the library installed with the package
        from ._installed import LIBRARY
        out.append(("where cmake --install put it", os.path.normpath(os.path.join(_here, LIBRARY))))
    except ImportError:
        pass
    found = ctypes.util.find_library("pipc")
    if found:
        out.append(("ctypes.util.find_library('pipc')", found))
    if sys.platform == "win32":
        names = ["pipc.dll", "libpipc.dll"]
    elif sys.platform == "darwin":
        names = ["libpipc.0.dylib", "libpipc.dylib"]
    else:
        names = ["libpipc.so.0", "libpipc.so"]
    out += [("the loader path", n) for n in names]
    return out, False


def _declare(lib):
    missing = []
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    return missing


def load():
    """The loaded libpipc (a ctypes.CDLL), loading it on the first call.
    Raises LibraryNotFound (an OSError) naming every place tried."""
    global _loaded
    lib = _loaded
    if lib is not None:
        return lib
    with _lock:
        if _loaded is not None:
            return _loaded
        tried = []
        candidates, explicit = _candidates()
        for how, what in candidates:
            try:
                lib = ctypes.CDLL(what)
            except OSError as e:
                tried.append(f"{what} ({how}): {e}")
                continue
            missing = _declare(lib)
            if missing:
                tried.append(f"{what} ({how}): not a libpipc this package can use "
                             f"(missing {', '.join(missing[:3])}"
                             f"{' ...' if len(missing) > 3 else ''})")
                continue
            _loaded = lib
            return lib
        hint = ("" if explicit else
                "; set PIPC_LIBRARY to the path of libpipc (build/linux/libpipc.so "
                "after `cmake --build build/linux`), or install pipc")
        raise LibraryNotFound("libpipc not found: tried " + "; ".join(tried) + hint)


def library_path():
    """The file name the loaded library was opened by (loads it)."""
    return load()._name


def fast(name):
    """An undeclared function pointer to `name` for a call on every
    message's path: ctypes converts declared arguments (argtypes) through
    their from_param, about 0.3 us a call - a third of a put.  The caller
    passes every argument as its exact C type: pointers as c_void_p, bytes
    or a ctypes buffer or byref(); size_t as c_size_t; a Python int only
    for a C int.  The result is a C int."""
    return load()[name]

