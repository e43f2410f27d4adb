"""A PEP 517 build backend for the pipc wheel: the Python package with the
shared library inside, made with the standard library alone (no download,
no setuptools):

    pip wheel --no-build-isolation --no-deps python/     # or, without pip:
    python3 python/pipc_wheel.py [OUT_DIR]

The library is the one PIPC_LIBRARY names (a libpipc.so.0 / .dylib /
pipc.dll already built), else this backend builds it from the repository
around python/ with CMake (Release, no tests, no examples, a scratch build
directory).  The wheel holds pipc/ with the library beside its modules -
the first place the package looks - so an installed wheel needs no
PIPC_LIBRARY and no LD_LIBRARY_PATH.  It is tagged py3-none-PLATFORM: pure
Python, but carrying this machine's binary.
"""
import base64
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAME, VERSION = "pipc", "0.1.0"
SUMMARY = ("Queue, Pipe, shared memory, Semaphore and a robust Lock that any process - "
           "Python or C - opens by name (pipc over ctypes)")


def _library():
    """The shared library to put in the wheel: PIPC_LIBRARY, or built here."""
    given = os.environ.get("PIPC_LIBRARY")
    if given:
        if not os.path.isfile(given):
            raise RuntimeError(f"PIPC_LIBRARY={given}: no such file")
        return os.path.realpath(given), None
    cmake = shutil.which("cmake")
    if cmake is None:
        raise RuntimeError("building the wheel needs cmake (or PIPC_LIBRARY set to a built libpipc)")
    build = tempfile.mkdtemp(prefix="pipc-wheel-build-")
    subprocess.run([cmake, "-S", os.path.dirname(HERE), "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    "-DPIPC_BUILD_TESTS=OFF", "-DPIPC_BUILD_EXAMPLES=OFF", "-DPIPC_INSTALL=OFF"],
                   check=True, stdout=sys.stderr)
    subprocess.run([cmake, "--build", build, "--target", "pipc"], check=True, stdout=sys.stderr)
    for pattern in ("libpipc.so.[0-9]", "libpipc.[0-9].dylib", "pipc.dll", "libpipc.dll",
                    "*/pipc.dll"):
        found = sorted(glob.glob(os.path.join(build, pattern)))
        if found:
            return os.path.realpath(found[0]), build
    raise RuntimeError(f"cmake built no shared libpipc in {build}")


def _tag():
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{plat}"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.8\nLicense: see the repository\n")


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 517: write the wheel into wheel_directory, return its file name."""
    lib, scratch = _library()
    tag = _tag()
    dist = f"{NAME}-{VERSION}.dist-info"
    files = []  # (arcname, bytes)
    for path in sorted(glob.glob(os.path.join(HERE, "pipc", "*.py"))):
        if os.path.basename(path) == "_installed.py":
            continue  # an install's note, never a wheel's
        with open(path, "rb") as f:
            files.append((f"pipc/{os.path.basename(path)}", f.read()))
    lib_name = os.path.basename(lib)
    if lib_name.startswith("libpipc.so."):
        lib_name = "libpipc.so.0"  # the SONAME, whatever the file's full version
    with open(lib, "rb") as f:
        files.append((f"pipc/{lib_name}", f.read()))
    files.append((f"{dist}/METADATA", _metadata().encode()))
    files.append((f"{dist}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: pipc_wheel\n"
                                    f"Root-Is-Purelib: false\nTag: {tag}\n").encode()))
    files.append((f"{dist}/top_level.txt", b"pipc\n"))
    record = "\n".join(_record_line(a, d) for a, d in files) + f"\n{dist}/RECORD,,\n"
    name = f"{NAME}-{VERSION}-{tag}.whl"
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            info = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if arcname.endswith(lib_name) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
        z.writestr(f"{dist}/RECORD", record)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("pipc has no sdist: the source distribution is the repository "
                       "(build the wheel from it)")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.getcwd(), "dist")
    print(os.path.join(out, build_wheel(out)))
