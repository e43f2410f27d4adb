#!/usr/bin/env python3
"""pipc shared memory and Python's resource tracker (docs/shm.md).

usage: python_shm.py PIPC_PEER

Python's SharedMemory(name=...) registers a segment it merely attaches to
with the resource tracker (3.8 - 3.12; 3.13+ unless track=False), which
unlinks it when the Python program ends - a pipc segment included.
1. The recipe of docs/shm.md (track=False, else resource_tracker.unregister):
   a pipc segment survives the Python peer's exit, with what Python wrote.
2. The control, without the recipe: the same peer's exit removes it - so
   case 1 proves the recipe, not a tracker that did nothing.
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import os
import subprocess
import sys

from interop_check import Checks

peer = sys.argv[1]
checks = Checks(peer)
check, path_of = checks.check, checks.path_of

RECIPE = r'''
import os
import sys
from multiprocessing import resource_tracker, shared_memory

def attach(name):
    """Attach to a segment that another program (pipc) owns."""
    try:
        return shared_memory.SharedMemory(name=name, track=False)  # 3.13+
    except TypeError:  # 3.8 - 3.12: attach, then tell the tracker to forget it
        shm = shared_memory.SharedMemory(name=name)
        if os.name == "posix":  # Windows has no tracker for it
            resource_tracker.unregister(shm._name, "shared_memory")
        return shm
'''

PLAIN = r'''
import sys
from multiprocessing import shared_memory

def attach(name):
    return shared_memory.SharedMemory(name=name)
'''

BODY = r'''
shm = attach("pipc." + sys.argv[1])
got = bytes(shm.buf[:16]).split(b"\0")[0].decode()
shm.buf[:8] = b"python\0\0"
shm.close()
print(got)
'''



def python_peer(prelude, name):
    r = subprocess.run([sys.executable, "-c", prelude + BODY, name],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.strip(), r.stderr


def pipc_read(name):
    r = subprocess.run([peer, "shm-read", name], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.strip()


# 1. the recipe: the segment survives the Python peer
name = f"pyshm-{os.getpid()}-a"
check("pipc made the segment", subprocess.run([peer, "shm-make", name, "from-pipc"]).returncode == 0)
rc, out, err = python_peer(RECIPE, name)
check("Python (recipe) read what pipc wrote", rc == 0 and out == "from-pipc")
check("no leak warning from the tracker", "leaked" not in err)
rc, out = pipc_read(name)
check("the segment survives the Python peer's exit", rc == 0)
check("... with what Python wrote", out == "python")
subprocess.run([peer, "shm-rm", name])

# 2. the control: without the recipe the tracker removes pipc's segment
name = f"pyshm-{os.getpid()}-b"
check("pipc made the control segment",
      subprocess.run([peer, "shm-make", name, "from-pipc"]).returncode == 0)
rc, out, err = python_peer(PLAIN, name)
check("Python (plain attach) read what pipc wrote", rc == 0 and out == "from-pipc")
rc, out = pipc_read(name)
check("without the recipe the tracker unlinked it (what docs/shm.md warns of)", rc == 3)
if rc != 3:
    subprocess.run([peer, "shm-rm", name])

checks.finish()
