#!/usr/bin/env python3
"""pipc's authkey handshake against this Python's own multiprocessing.

usage: python_auth.py PIPC_PEER

With Debian bookworm's Python 3.11 its Listener challenges in the legacy
format (20 bytes, answered by a bare HMAC-MD5) and its Client answers
pipc's 3.12-format challenge with a bare HMAC-MD5; a Python 3.12+ here
speaks the {sha256} format both ways (tests/test_auth.c replays recorded
3.12 transcripts on every platform).

1. Python Listener(authkey=K), pipc client with K: 0 B, 1 KiB, 1 MiB both
   ways; with a wrong key pipc's connect is PIPC_EACCES (pipc-peer exits 3)
   and Python's accept raises AuthenticationError.
2. pipc listener with K, Python Client(authkey=K): messages both ways; with
   a wrong key Python raises AuthenticationError and pipc's accept is
   PIPC_EACCES (exit 3).
3. A multiprocessing.managers.BaseManager server at the path pipc gives for
   a name, authkey K: a pipc client with K completes the handshake and gets
   the server's answer to a request (a pickled "dummy" call, sent as bytes);
   with a wrong key it is refused (exit 3); Python's own manager client
   still works after both.
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import os
import pickle
import subprocess
import sys

from interop_check import Checks
from multiprocessing.connection import AuthenticationError, Client, Listener
from multiprocessing.managers import BaseManager

peer = sys.argv[1]
checks = Checks(peer)
check, path_of = checks.check, checks.path_of
KEY = b"pipc-interop-key"
SIZES = (0, 1024, 1 << 20)
print(f"Python {sys.version.split()[0]}")


def exits_with(proc, code, what):
    """check that proc (its stderr a pipe) exits with code; else show why."""
    try:
        err = proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        err = proc.communicate()[1]
    check(what, proc.returncode == code)
    if proc.returncode != code:
        print(f"       exit {proc.returncode}; its stderr: {err.strip()!r}")




def pattern_ok(msg, size):
    """What pipc-peer client sends: byte j of message i is j*7+i."""
    i = SIZES.index(size)
    return len(msg) == size and all(b == (j * 7 + i) & 0xFF for j, b in enumerate(msg[:4096]))


# 1. pipc client -> Python Listener(authkey=KEY)
name = f"pya-{os.getpid()}-a"
listener = Listener(path_of(name), authkey=KEY)
cli = subprocess.Popen([peer, "client", name, KEY.decode()])
conn = listener.accept()  # Python's deliver_challenge, then answer_challenge
for size in SIZES:
    msg = conn.recv_bytes()
    check(f"handshake done; pipc -> python, {size} bytes", pattern_ok(msg, size))
    conn.send_bytes(msg)
conn.close()
check("pipc client with the right key finished", cli.wait(30) == 0)

cli = subprocess.Popen([peer, "client", name, "wrong-key"], stderr=subprocess.PIPE, text=True)
try:
    listener.accept()
    check("Python Listener refuses a wrong key (AuthenticationError)", False)
except AuthenticationError:
    check("Python Listener refuses a wrong key (AuthenticationError)", True)
exits_with(cli, 3, "pipc client with a wrong key gets PIPC_EACCES (exit 3)")
listener.close()

# 2. Python Client(authkey=KEY) -> pipc listener
name = f"pya-{os.getpid()}-b"
srv = subprocess.Popen([peer, "serve", name, KEY.decode()], stdout=subprocess.PIPE, text=True)
check("pipc listener is ready", srv.stdout.readline().strip() == "ready")
conn = Client(path_of(name), authkey=KEY)  # answer_challenge, then deliver_challenge
for size in SIZES:
    data = os.urandom(size)
    conn.send_bytes(data)
    check(f"handshake done; python -> pipc -> python, {size} bytes", conn.recv_bytes() == data)
conn.close()
check("pipc listener saw Python close (end of stream)", srv.wait(30) == 0)

srv = subprocess.Popen([peer, "serve", name, KEY.decode()], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
srv.stdout.readline()
try:
    Client(path_of(name), authkey=b"wrong-key")
    check("Python Client with a wrong key is refused (AuthenticationError)", False)
except AuthenticationError:
    check("Python Client with a wrong key is refused (AuthenticationError)", True)
exits_with(srv, 3, "pipc listener's accept is PIPC_EACCES (exit 3)")

# 3. pipc client -> a BaseManager server
name = f"pya-{os.getpid()}-c"
manager = BaseManager(address=path_of(name), authkey=KEY)
manager.start()  # a server process: Listener(authkey=KEY) and Server.handle_request
request = pickle.dumps((None, "dummy", (), {}))  # what a manager client sends first
out = subprocess.run([peer, "request", name, KEY.decode(), request.hex()],
                     capture_output=True, text=True, timeout=60)
check("pipc client completes the Manager's handshake", out.returncode == 0)
reply = pickle.loads(bytes.fromhex(out.stdout.strip())) if out.returncode == 0 else None
check("the Manager answers pipc's request: ('#RETURN', None)", reply == ("#RETURN", None))
out = subprocess.run([peer, "request", name, "wrong-key", request.hex()],
                     capture_output=True, text=True, timeout=60)
check("the Manager refuses pipc with a wrong key (exit 3)", out.returncode == 3)
try:
    BaseManager(address=path_of(name), authkey=KEY).connect()  # handshake + a "dummy" call
    check("the Manager still serves Python's client", True)
except Exception as e:  # noqa: BLE001 - any failure is the check's
    check(f"the Manager still serves Python's client ({e!r})", False)
manager.shutdown()

checks.finish()
