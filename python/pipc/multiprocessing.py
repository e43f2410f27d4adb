"""multiprocessing, with pipc's Queue, Pipe, Lock and Semaphores.

A program written for multiprocessing changes one import line:

    from multiprocessing import Process, Queue           # before
    from pipc.multiprocessing import Process, Queue      # after

    import multiprocessing                               # before
    import pipc.multiprocessing as multiprocessing       # after

Queue, Pipe, Lock, Semaphore and BoundedSemaphore are pipc's (any process
may open them by name; a consumer killed in a get never blocks the others;
a dead Lock holder is reported to the next one, see pipc.Lock); every other
name - Process, current_process, Pool, Value, Array, Manager, Event,
SimpleQueue, JoinableQueue, RLock, Condition, get_context, ... - is
multiprocessing's own, unchanged.  Objects reach children as
multiprocessing's do: inherited by a fork child, or pickled by name for the
spawn and forkserver start methods.
"""
import importlib as _importlib
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403 (every other name, unchanged)

from ._connection import Pipe
from ._queue import Queue
from ._sync import BoundedSemaphore, Lock, Semaphore

__all__ = sorted(set(getattr(_mp, "__all__", [])) |
                 {"Queue", "Pipe", "Lock", "Semaphore", "BoundedSemaphore"})


def __getattr__(name):
    """multiprocessing's names that `import *` does not carry: its
    submodules (multiprocessing.connection, .shared_memory, ...) and
    private helpers.  Never dunders: this module is not a package, and
    `import pipc.multiprocessing.connection` must not make a second copy
    of multiprocessing.connection."""
    if name.startswith("__"):
        raise AttributeError(f"module 'pipc.multiprocessing' has no attribute {name!r}")
    try:
        return getattr(_mp, name)
    except AttributeError:
        pass
    try:
        return _importlib.import_module(f"multiprocessing.{name}")
    except ImportError:
        raise AttributeError(f"module 'pipc.multiprocessing' has no attribute {name!r}") from None
