#!/usr/bin/env python3
"""Check the architecture the code promises (README, "Layout"):

  1. tools/, bench/ and examples/ use only the public headers: a quoted
     #include there names include/pipc.h, include/pipc_apr.h or a file of
     the same directory, and their CMake targets get no private include
     directory (no src/ path in their CMakeLists.txt);
  2. no backend file chooses a platform variant with #if: the variant
     macros of the build (PIPC_POSIX_GENERIC, PIPC_MUTEX_FLOCK, ...) and OS
     tests (__linux__, __APPLE__, ...) never appear in an #if inside
     src/posix/*.c - CMake picks the file;
  3. shared code (src/*.c, and src/net/*.c: the network transport, nng's
     or none, picked by CMake) has no OS #if either;
  4. with --library LIB (a shared libpipc): it exports pipc_ names only and
     no test hook (pipc__*), read with nm -D.

  scripts/check-structure.py [--library build/linux/libpipc.so]
Exit 0 when all hold, 1 with a line per breach."""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = {"pipc.h", "pipc_apr.h"}
VARIANT_MACROS = re.compile(
    r"\b(PIPC_POSIX_GENERIC|PIPC_MUTEX_FLOCK|PIPC_USE_LINUX|PIPC_FLOCK_MUTEX|"
    r"PIPC_HAVE_ROBUST|__linux__|__APPLE__|__OpenBSD__|__FreeBSD__|_WIN32)\b")
OS_MACROS = re.compile(r"\b(__linux__|__APPLE__|__OpenBSD__|__FreeBSD__|_WIN32|_MSC_VER)\b")


def rel(p):
    return os.path.relpath(p, ROOT)


def if_lines(path):
    """(line number, text) of every #if / #ifdef / #ifndef / #elif."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if re.match(r"\s*#\s*(if|ifdef|ifndef|elif)\b", line):
                yield n, line.strip()


def main():
    errors = []
    for d in ("tools", "bench", "examples"):
        for path in glob.glob(os.path.join(ROOT, d, "*.[ch]")) + glob.glob(
                os.path.join(ROOT, d, "*.cpp")):
            here = os.path.dirname(path)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if m and m.group(1) not in PUBLIC and not os.path.exists(
                            os.path.join(here, m.group(1))):
                        errors.append(f"{rel(path)}:{n}: includes a private header: {m.group(1)}")
        cm = os.path.join(ROOT, d, "CMakeLists.txt")
        if os.path.exists(cm):
            with open(cm, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if re.search(r"include_directories.*(/src\b|\bsrc/)", line):
                        errors.append(f"{rel(cm)}:{n}: a private include directory")
    for path in glob.glob(os.path.join(ROOT, "src", "posix", "*.c")):
        for n, line in if_lines(path):
            if VARIANT_MACROS.search(line):
                errors.append(f"{rel(path)}:{n}: chooses a platform variant: {line}")
    for path in glob.glob(os.path.join(ROOT, "src", "*.c")) + glob.glob(
            os.path.join(ROOT, "src", "net", "*.c")):
        for n, line in if_lines(path):
            if OS_MACROS.search(line):
                errors.append(f"{rel(path)}:{n}: an OS #if in shared code: {line}")
    args = sys.argv[1:]
    if args[:1] == ["--library"] and len(args) == 2:
        out = subprocess.run(["nm", "-D", "--defined-only", args[1]], check=True,
                             capture_output=True, text=True).stdout
        syms = [l.split()[-1] for l in out.splitlines() if l.split()[1:2] == ["T"]]
        if not any(s.startswith("pipc_") for s in syms):
            errors.append(f"{args[1]}: exports no pipc_ function (wrong file?)")
        for s in syms:
            if not s.startswith("pipc_") or s.startswith("pipc__"):
                errors.append(f"{args[1]}: exports {s}")
    for e in errors:
        print(e)
    if not errors:
        print("structure: public headers only outside src/, variants chosen by CMake, "
              "no OS #if in shared code" + (", exports clean" if args else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
