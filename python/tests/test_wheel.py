"""The wheel (python/pyproject.toml, python/pipc_wheel.py): the package with
the library inside, built with no download; installed anywhere, it loads
its own library with no PIPC_LIBRARY and no LD_LIBRARY_PATH."""
import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

from support import TestCase

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WheelTest(TestCase):
    def setUp(self):
        super().setUp()
        self.lib = os.environ.get("PIPC_LIBRARY")
        if not self.lib:
            self.skipTest("PIPC_LIBRARY is not set to a built libpipc")
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def built_wheel(self):
        out = subprocess.run([sys.executable, os.path.join(PYTHON_DIR, "pipc_wheel.py"),
                              os.path.join(self.tmp.name, "dist")],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        path = out.stdout.strip().splitlines()[-1]
        self.assertTrue(os.path.isfile(path), path)
        return path

    def test_wheel_holds_the_package_and_the_library(self):
        path = self.built_wheel()
        self.assertRegex(os.path.basename(path), r"^pipc-0\.1\.0-py3-none-[a-z0-9_]+\.whl$")
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for n in ("pipc/__init__.py", "pipc/_queue.py", "pipc/multiprocessing.py",
                      "pipc-0.1.0.dist-info/METADATA", "pipc-0.1.0.dist-info/WHEEL",
                      "pipc-0.1.0.dist-info/RECORD"):
                self.assertIn(n, names)
            self.assertNotIn("pipc/_installed.py", names)
            libs = [n for n in names if n.startswith("pipc/libpipc") or n.endswith(".dll")]
            self.assertEqual(len(libs), 1, names)
            with open(self.lib, "rb") as f:
                self.assertEqual(z.read(libs[0]), f.read())  # the library PIPC_LIBRARY named
            # RECORD: every other file, with its sha256 and size
            rows = [r.split(",") for r in z.read("pipc-0.1.0.dist-info/RECORD").decode().split()]
            recorded = {r[0]: r for r in rows}
            self.assertEqual(set(recorded), names)
            for n in names - {"pipc-0.1.0.dist-info/RECORD"}:
                data = z.read(n)
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual(recorded[n][1:], [f"sha256={digest}", str(len(data))], n)
            self.assertIn("Root-Is-Purelib: false", z.read("pipc-0.1.0.dist-info/WHEEL").decode())

    def test_installed_wheel_loads_its_own_library(self):
        path = self.built_wheel()
        site = os.path.join(self.tmp.name, "site")
        with zipfile.ZipFile(path) as z:  # what an installer does with a wheel
            z.extractall(site)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PIPC_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
        env["PYTHONPATH"] = site
        code = ("import pipc\nq = pipc.Queue()\nq.put({'a': 1})\nassert q.get() == {'a': 1}\n"
                "q.close()\nprint(pipc.library_path())")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, cwd=self.tmp.name, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(os.path.dirname(os.path.realpath(out.stdout.strip())),
                         os.path.realpath(os.path.join(site, "pipc")))

    def test_pip_builds_it_without_a_download(self):
        if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
            self.skipTest("no pip for this Python (the backend itself is tested above)")
        out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation",
                              "--no-deps", "--no-index", "-w", os.path.join(self.tmp.name, "pw"),
                              PYTHON_DIR], capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(os.listdir(os.path.join(self.tmp.name, "pw"))), 1)


if __name__ == "__main__":
    unittest.main()
