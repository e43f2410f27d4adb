"""What the pipc Python tests share.

The tests run from ctest (python/CMakeLists.txt) with PIPC_LIBRARY at the
built libpipc, PYTHONPATH at python/, PIPC_CLI at the `pipc` tool and
PIPC_PEER at tests/pipc-peer.  By hand:

    PIPC_LIBRARY=build/linux/libpipc.so PYTHONPATH=python \\
    PIPC_CLI=build/linux/tools/pipc PIPC_PEER=build/linux/tests/pipc-peer \\
        python3 -m unittest discover -s python/tests -v
"""
import itertools
import os
import subprocess
import sys
import unittest

import pipc

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


def python(code, *args, **kw):
    """Run `code` in a new Python interpreter (an unrelated process: it
    finds pipc by the same environment), return the CompletedProcess."""
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([sys.executable, "-c", code, *args], **kw)


def python_popen(code, *args, **kw):
    return subprocess.Popen([sys.executable, "-c", code, *args], **kw)


class TestCase(unittest.TestCase):
    def setUp(self):
        pipc.load_library()  # a missing library fails every test clearly
