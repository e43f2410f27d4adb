"""What the pipc Python tests share.

The tests run from ctest (python/CMakeLists.txt) with PIPC_LIBRARY at the
built libpipc, PYTHONPATH at python/, PIPC_CLI at the `pipc` tool and
PIPC_PEER at tests/pipc-peer.  By hand:

    PIPC_LIBRARY=build/linux/libpipc.so PYTHONPATH=python \\
    PIPC_CLI=build/linux/tools/pipc PIPC_PEER=build/linux/tests/pipc-peer \\
        python3 -m unittest discover -s python/tests -v

No test waits for ever or leaves a process behind: every child is started
by TestCase.popen / python_popen (killed and reaped by a cleanup, and on
Linux killed by the kernel if the test process dies first), every read of
a child's output, wait for a child and polling loop has a deadline - on
which the child is killed and the test fails.
"""
import ctypes
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import unittest

import pipc

# The library is macOS's (or plays it: the posix-darwin configuration).
MACOS = sys.platform == "darwin" or os.environ.get("PIPC_TEST_MACOS") == "1"

_count = itertools.count()
_tag = os.urandom(3).hex()


def name(what="t"):
    """A pipc name no other test (or test run) uses."""
    return f"pyt-{what}-{os.getpid()}-{_tag}-{next(_count)}"


def tool(var):
    """The path of a helper program from the environment, or skip."""
    path = os.environ.get(var)
    if not path or not os.path.exists(path):
        raise unittest.SkipTest(f"{var} is not set to a built program")
    return path


_PR_SET_PDEATHSIG = 1
try:  # looked up here, so that the forked child only makes the call
    _prctl = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the test process dies (Linux
    PR_SET_PDEATHSIG), so a test killed by ctest's timeout leaves no child."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PREEXEC = _die_with_parent if _prctl is not None else None


def python(code, *args, **kw):
    """Run `code` in a new Python interpreter (an unrelated process: it
    finds pipc by the same environment), return the CompletedProcess.
    subprocess.run kills the child at the timeout (TimeoutExpired)."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 60)
    kw.setdefault("preexec_fn", _PREEXEC)
    return subprocess.run([sys.executable, "-c", code, *args], **kw)


def wait_until(cond, timeout=60, what="the condition"):
    """Poll cond() until true; AssertionError after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.01)


class TestCase(unittest.TestCase):
    def setUp(self):
        pipc.load_library()  # a missing library fails every test clearly

    # --- children: started here, always killed and reaped
    def popen(self, argv, **kw):
        kw.setdefault("preexec_fn", _PREEXEC)
        p = subprocess.Popen(argv, **kw)
        self.addCleanup(self._reap, p)
        return p

    def python_popen(self, code, *args, **kw):
        """A new Python interpreter running `code` (see python())."""
        return self.popen([sys.executable, "-c", code, *args], **kw)

    @staticmethod
    def _reap(p):
        if p.poll() is None:
            p.kill()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            pass
        pump = getattr(p, "_pump", None)
        if pump is not None:
            pump.join(10)
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None:
                f.close()

    def wait_proc(self, p, timeout=60):
        """The child's exit code; killed and a failure after `timeout`."""
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(30)
            self.fail(f"child {p.args[:2]} still running after {timeout} s: killed")

    # --- a child's stdout (stdout=subprocess.PIPE), read with deadlines
    @staticmethod
    def _lines(p):
        lines = getattr(p, "_lines", None)
        if lines is None:
            lines = p._lines = queue.Queue()

            def pump():
                try:
                    for line in p.stdout:
                        lines.put(line)
                except (OSError, ValueError):
                    pass
                finally:
                    lines.put(None)  # the end
            p._pump = threading.Thread(target=pump, daemon=True)
            p._pump.start()
        return lines

    def readline(self, p, timeout=30):
        """The child's next line ("" at its end); the child is killed and
        the test fails if none comes within `timeout` seconds."""
        lines = self._lines(p)
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            p.kill()
            self.fail(f"no line from child {p.args[:2]} in {timeout} s: killed")
        if line is None:
            lines.put(None)  # the end stays the end
            return "" if p.text_mode else b""
        return line

    def rest(self, p, timeout=60):
        """Everything the child still writes, up to its end (it is then
        reaped); killed and a failure if it has not ended by `timeout`."""
        end = time.monotonic() + timeout
        lines = self._lines(p)
        out = []
        while True:
            try:
                line = lines.get(timeout=max(end - time.monotonic(), 0))
            except queue.Empty:
                p.kill()
                self.fail(f"child {p.args[:2]} did not end in {timeout} s: killed")
            if line is None:
                lines.put(None)
                break
            out.append(line)
        self.wait_proc(p, max(end - time.monotonic(), 1))
        return ("" if p.text_mode else b"").join(out)
