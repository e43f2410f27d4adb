"""The seed notes' programs (../shared/seeds 001-004), run unchanged but for
their import: `from multiprocessing import ...` becomes
`from pipc.multiprocessing import ...`, `import multiprocessing` becomes
`import pipc.multiprocessing as multiprocessing` - so their Queue, Pipe and
Semaphore are pipc's, and every other name (Process) multiprocessing's.

python/tests/seeds/ holds each program as its note prints it (seed 003's
fragments joined in order, with the `import random, time` its note leaves
out; seed 002's Value and Array programs use nothing pipc replaces and are
not here).  Each program runs twice, with multiprocessing and with pipc,
and both runs must show the behaviour its note describes (checked from
the output: what was sent arrives once, in order; at most 3 holders of
the Semaphore) and end the same way - seed 002's Queue program has bugs
(randint((1, 34)), join before start) and fails the same way on both.
The pipc run leaves no pipc object behind: it runs under a small runner
(RUNNER) that notes the name of every pipc object the program makes, and
each name must be gone once the program has ended.
"""
import collections
import os
import re
import subprocess
import sys
import tempfile
import unittest

from support import TestCase, tool

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

# python -c RUNNER NOTES PROGRAM: run PROGRAM as __main__ (its text as it
# is), writing a line to NOTES for each pipc object made - in it or in its
# children - as it is made: its name, or "-" for one without (a Pipe end).
RUNNER = """
import os, runpy, sys
import pipc._core as core
notes, program = sys.argv[1], sys.argv[2]
made = core.Guard.__init__
def noting(self, handle, free, objname, closed_error):
    made(self, handle, free, objname, closed_error)
    with open(notes, "a") as f:
        f.write((objname or "-") + "\\n")
core.Guard.__init__ = noting
sys.argv = [program]
runpy.run_path(program, run_name="__main__")
"""


def pipc_variant(source):
    """source with its multiprocessing imports turned into pipc's; the
    number of lines changed."""
    out, changed = [], 0
    for line in source.split("\n"):
        new = re.sub(r"^from\s+multiprocessing\s+import\b", "from pipc.multiprocessing import", line)
        new = re.sub(r"^import\s+multiprocessing\s*$", "import pipc.multiprocessing as multiprocessing", new)
        changed += new != line
        out.append(new)
    return "\n".join(out), changed


def tokens(text, pattern):
    """Every match of pattern in text, in order (output written by several
    processes: each print's text is one write, its newline may come later)."""
    return re.findall(pattern, text)


class FacadeTest(TestCase):
    def test_pipc_objects_and_multiprocessing_for_the_rest(self):
        import multiprocessing

        import pipc
        import pipc.multiprocessing as mp
        for n in ("Queue", "Pipe", "Lock", "Semaphore", "BoundedSemaphore"):
            self.assertIs(getattr(mp, n), getattr(pipc, n))
            self.assertIn(n, mp.__all__)
        for n in ("Process", "current_process", "Value", "Array", "Manager", "Event", "get_context"):
            self.assertIs(getattr(mp, n), getattr(multiprocessing, n))
        self.assertIs(mp.connection, multiprocessing.connection)  # through __getattr__
        self.assertFalse(hasattr(mp, "__path__"))  # a module, not a package: no second copy
        with self.assertRaises(ModuleNotFoundError):
            __import__("pipc.multiprocessing.connection")
        ns = {}
        exec("from pipc.multiprocessing import *", ns)
        self.assertIs(ns["Queue"], pipc.Queue)
        self.assertIs(ns["Process"], multiprocessing.Process)


class SeedTest(TestCase):
    def run_seed(self, file, timeout=120):
        """Run the seed both ways; [(returncode, stdout, stderr)] for
        multiprocessing, then pipc."""
        with open(os.path.join(HERE, file), encoding="utf-8") as f:
            source = f.read()
        variant, changed = pipc_variant(source)
        self.assertEqual(changed, len(re.findall(r"(?m)^(from\s+multiprocessing\s|import\s+multiprocessing\s*$)",
                                                 source)))
        self.assertGreater(changed, 0, "the seed imports multiprocessing")
        cli = tool("PIPC_CLI")
        results, notes = [], None
        with tempfile.TemporaryDirectory() as d:
            procs = []  # both at once: the programs mostly sleep (a seed's own timeouts)
            for tag, text in (("mp", source), ("pipc", variant)):
                path = os.path.join(d, f"{tag}_{file}")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                argv = [sys.executable, "-u", path]
                if tag == "pipc":
                    notes = os.path.join(d, "made")
                    argv = [sys.executable, "-u", "-c", RUNNER, notes, path]
                procs.append((tag, self.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, cwd=d)))
            for tag, p in procs:  # (their output is small: no pipe fills meanwhile)
                try:
                    out, err = p.communicate(timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
                    self.fail(f"{tag} run of {file} still running after {timeout} s: killed\n{out}\n{err}")
                results.append((p.returncode, out, err))
            self.assertTrue(os.path.exists(notes), "the pipc run made no pipc object")
            with open(notes) as f:
                noted = f.read().split()
            made = sorted(set(noted) - {"-"})
            # a Pipe's ends have no name; a Queue or a Semaphore has one
            self.assertEqual("-" in noted, bool(re.search(r"\bPipe\(", source)), noted)
            self.assertEqual(bool(made), bool(re.search(r"\b(Queue|Semaphore)\(", source)), noted)
            for n in made:
                info = subprocess.run([cli, "info", n], capture_output=True, text=True, timeout=60)
                self.assertEqual(info.returncode, 1, f"{n} left behind: {info.stdout}")
                self.assertIn("no such name", info.stderr, info.stderr)
        self.assertEqual(results[0][0], results[1][0],
                         f"exit codes differ: multiprocessing {results[0]}, pipc {results[1]}")
        return results

    def each(self, file, check, code=0, timeout=120):
        for tag, (rc, out, err) in zip(("multiprocessing", "pipc"), self.run_seed(file, timeout)):
            with self.subTest(tag):
                self.assertEqual(rc, code, f"{tag}: {out}\n{err}")
                check(out, err)

    # 001: a Pipe, ten numbers, then EOFError when the sender closes
    def test_001_pipe(self):
        def check(out, err):
            self.assertEqual(tokens(out, r"out pipe : (\d+)"), [str(i) for i in range(10)])
            self.assertIn("主进程结束", out)
        self.each("seed001_pipe.py", check)

    # 001: Queue(2), one putter of 5 values, one getter until 10 s of nothing
    def test_001_queue(self):
        def check(out, err):
            put = tokens(out, r"putter : put value ([\d.]+)")
            self.assertEqual(len(put), 5)
            self.assertEqual(tokens(out, r"getter : get value ([\d.]+)"), put)
        self.each("seed001_queue.py", check)

    # 002: duplex Pipe, a request and its answer
    def test_002_pipe(self):
        def check(out, err):
            self.assertIn("app1 请求登陆", out)
            self.assertIn("登陆成功 ('Dave', '123')", out)
        self.each("seed002_pipe.py", check)

    # 002: the note's Queue program is broken; it breaks the same way
    def test_002_queue_as_broken_as_written(self):
        def check(out, err):
            self.assertIn("TypeError", err)  # randint((1,34)) in the child
            self.assertIn("can only join a started process", err)
        self.each("seed002_queue.py", check, code=1)

    # 002: Semaphore(3), ten processes that each hold it for 2 s
    def test_002_semaphore(self):
        def check(out, err):
            events = tokens(out, r"(\d+)执行任务(完毕)?")
            self.assertEqual(len(events), 20, out)
            holding, most = set(), 0
            for pid, done in events:
                if done:
                    self.assertIn(pid, holding)
                    holding.remove(pid)
                else:
                    holding.add(pid)
                    most = max(most, len(holding))
            self.assertEqual(holding, set())
            self.assertLessEqual(most, 3)
        self.each("seed002_semaphore.py", check)

    # 003: two writers, one reader terminated once the writers are done
    def test_003_queue(self):
        def check(out, err):
            self.assertEqual(sorted(tokens(out, r"put (url\d) to queue")),
                             ["url1", "url2", "url3", "url4", "url5"])
            got = tokens(out, r"Get (url\d) from queue")
            self.assertTrue(got, out)  # the reader took at least the first one
            self.assertEqual(len(got), len(set(got)))  # each once
            for writer in (["url1", "url2", "url3"], ["url4", "url5"]):  # each writer's in order
                mine = [u for u in got if u in writer]
                self.assertEqual(mine, writer[:len(mine)])
        self.each("seed003_queue.py", check)

    # 003: a Pipe, ten sends, a reader terminated after the sender is done
    def test_003_pipe(self):
        def check(out, err):
            sent = tokens(out, r"Process is send :(url_\d)")
            self.assertEqual(sent, [f"url_{i}" for i in range(10)])
            got = tokens(out, r"Process rev:(url_\d)")
            self.assertTrue(got, out)
            self.assertEqual(got, sent[:len(got)])
        self.each("seed003_pipe.py", check)

    # 004: a child puts, the parent gets after join
    def test_004_queue(self):
        def check(out, err):
            self.assertEqual(tokens(out, r"进程放数据 (\w+)"), ["python"])
            self.assertTrue(out.rstrip().endswith("python"), out)
        self.each("seed004_queue.py", check)

    # 004: a child sends on a Pipe, the parent receives after join
    def test_004_pipe(self):
        def check(out, err):
            self.assertEqual(tokens(out, r"进程发送数据 (\w+)"), ["python"])
            self.assertTrue(out.rstrip().endswith("python"), out)
        self.each("seed004_pipe.py", check)


if __name__ == "__main__":
    unittest.main()
