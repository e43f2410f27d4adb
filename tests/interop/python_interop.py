#!/usr/bin/env python3
"""pipc pipes against Python's multiprocessing.connection (no authkey).

usage: python_interop.py PIPC_PEER

1. pipc listens, Python's Client connects: 0 B, 1 KiB, 1 MiB echoed; Python
   closes, pipc sees the end of stream (pipc-peer exits 0).
2. Python's Listener listens at the path pipc gives for a name, pipc's client
   connects: the same messages both ways; pipc closes, Python gets EOFError.
3. A Python Listener holds a pipc name: pipc's listener of the name is
   refused, and the Python server still serves it (not even probed).
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import os
import subprocess
import sys

from interop_check import Checks
from multiprocessing.connection import Client, Listener

peer = sys.argv[1]
checks = Checks(peer)
check, path_of = checks.check, checks.path_of




# 1. Python client -> pipc listener
name = f"pyi-{os.getpid()}-a"
srv = subprocess.Popen([peer, "serve", name], stdout=subprocess.PIPE, text=True)
check("pipc listener is ready", srv.stdout.readline().strip() == "ready")
conn = Client(path_of(name))
for size in (0, 1024, 1 << 20):
    data = os.urandom(size)
    conn.send_bytes(data)
    check(f"python -> pipc -> python, {size} bytes", conn.recv_bytes() == data)
conn.close()
check("pipc saw Python close (end of stream)", srv.wait(30) == 0)

# 2. pipc client -> Python listener
name = f"pyi-{os.getpid()}-b"
listener = Listener(path_of(name))
cli = subprocess.Popen([peer, "client", name])
conn = listener.accept()
for size in (0, 1024, 1 << 20):
    msg = conn.recv_bytes()
    check(f"pipc -> python, {size} bytes", len(msg) == size
          and all(b == (i * 7 + (0, 1024, 1 << 20).index(size)) & 0xFF
                  for i, b in enumerate(msg[:4096])))
    conn.send_bytes(msg)
try:
    conn.recv_bytes()
    check("Python gets EOFError when pipc closes", False)
except EOFError:
    check("Python gets EOFError when pipc closes", True)
conn.close()
listener.close()
check("pipc client finished", cli.wait(30) == 0)

# 3. no stolen names: a Python Listener holds a pipc name; pipc's listener
#    of that name fails (PIPC_EEXIST) and the Python server still takes its
#    clients.  On Linux it was undisturbed - its first client is a real
#    one; on macOS (no table of sockets to read) pipc connected once to
#    learn that it serves, and closed at once: an EOF to the server.
macos = sys.platform == "darwin" or os.environ.get("PIPC_TEST_MACOS") == "1"
name = f"pyi-{os.getpid()}-c"
listener = Listener(path_of(name))
srv = subprocess.run([peer, "serve", name], capture_output=True, text=True, timeout=30)
check("pipc listener refused a name a Python Listener holds",
      srv.returncode == 1 and "exists" in srv.stderr)
if macos:
    probe = listener.accept()
    try:
        probe.recv_bytes()
        check("pipc's probe sent nothing and closed", False)
    except EOFError:
        check("pipc's probe sent nothing and closed", True)
    probe.close()
cli = Client(path_of(name))
conn = listener.accept()
cli.send_bytes(b"still mine")
check("the Python server still serves its name", conn.recv_bytes() == b"still mine")
conn.close()
cli.close()
listener.close()
check("Python's close removed its own socket",
      not os.path.exists(path_of(name)))

checks.finish()
