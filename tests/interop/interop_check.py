"""What the interop scripts share: pass/fail counting and the pipc-peer
they drive (python_interop.py, python_auth.py, python_shm.py)."""
import subprocess
import sys


class Checks:
    def __init__(self, peer):
        self.peer = peer
        self.passed = self.failed = 0

    def check(self, what, ok):
        if ok:
            self.passed += 1
            print(f"  ok   {what}")
        else:
            self.failed += 1
            print(f"  FAIL {what}")

    def path_of(self, name):
        """The OS path of pipe NAME, as pipc gives it."""
        return subprocess.check_output([self.peer, "path", name], text=True).strip()

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
