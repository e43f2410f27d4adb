"""pipc.wait: multiprocessing.connection.wait over pipc_wait, for every
kind of pipc object."""
import time

from . import _lib
from ._core import SLICE_MS, check, next_slice


def wait(object_list, timeout=None):
    """Wait until at least one object of object_list is ready, or
    `timeout` seconds (None: for ever); return the list of those that are
    (empty at the timeout), in the order given.

    Ready means the taking call would not wait now: a Connection has a
    message or its end (recv), a Listener a client (accept), a Queue a
    message or it is shut down and drained (get), a Semaphore a unit
    (acquire), a Lock is free or its holder died (acquire).  An object that
    is broken (a poisoned Queue) is ready too: its call says why.  Readiness
    is a hint: another process may take the message first - act with
    block=False (get_nowait, acquire(False)) or poll() first.

    An empty list with timeout None is pipc.InvalidArgument (nothing could
    ever end the wait)."""
    objs = list(object_list)
    n = len(objs)
    if n == 0:
        if timeout is None:
            check(_lib.load().pipc_wait(None, 0, _lib.FOREVER))
        elif timeout > 0:
            time.sleep(timeout)
        return []
    L = _lib.load()
    items = (_lib.Waitable * n)()
    guards = []
    try:
        for i, o in enumerate(objs):
            try:
                kind, g, events = o._waitable()
            except AttributeError:
                raise TypeError(f"pipc.wait takes pipc objects, not {type(o).__name__}") from None
            items[i].kind = kind
            items[i].obj = g.enter()
            guards.append(g)
            items[i].events = events
        end = None if timeout is None else time.monotonic() + max(timeout, 0)
        while True:
            ms = next_slice(end)
            rc = check(L.pipc_wait(items, n, ms))
            if rc > 0 or (end is not None and ms < SLICE_MS):
                break
            for g in guards:
                g.check()
    finally:
        for g in guards:
            g.leave()
    return [o for o, it in zip(objs, items) if it.revents]
