#!/usr/bin/env python3
"""Check .github/workflows/*.yml: YAML that parses, and the shape GitHub
Actions needs (a trigger, jobs with runs-on and steps, each step one of
run / uses, every ${{ matrix.X }} defined by the job's matrix).  The
workflows cannot run here; this is what can be checked without GitHub."""
import glob
import re
import sys

import yaml


def fail(path, msg):
    print(f"{path}: {msg}")
    return 1


def matrix_keys(job):
    m = (job.get("strategy") or {}).get("matrix") or {}
    keys = set()
    for k, v in m.items():
        if k in ("include", "exclude"):
            continue
        keys.add(k)
        if isinstance(v, list):
            for item in v:
                if isinstance(item, dict):
                    keys.update(f"{k}.{sub}" for sub in item)
    return keys


def check(path):
    errors = 0
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        return fail(path, "not a mapping")
    if "on" not in doc and True not in doc:  # YAML 1.1 reads `on` as true
        errors += fail(path, "no trigger (on:)")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return errors + fail(path, "no jobs")
    for name, job in jobs.items():
        if not isinstance(job, dict):
            errors += fail(path, f"job {name}: not a mapping")
            continue
        if "runs-on" not in job:
            errors += fail(path, f"job {name}: no runs-on")
        steps = job.get("steps")
        if not isinstance(steps, list) or not steps:
            errors += fail(path, f"job {name}: no steps")
            continue
        keys = matrix_keys(job)
        for i, step in enumerate(steps):
            if not isinstance(step, dict) or (("run" in step) == ("uses" in step)):
                errors += fail(path, f"job {name}, step {i + 1}: needs exactly one of run / uses")
        for ref in re.findall(r"\$\{\{\s*matrix\.([A-Za-z0-9_.-]+)\s*\}\}", yaml.safe_dump(job)):
            if ref not in keys:
                errors += fail(path, f"job {name}: matrix.{ref} is not in its matrix")
    return errors


def main():
    paths = sorted(glob.glob(".github/workflows/*.yml") + glob.glob(".github/workflows/*.yaml"))
    if not paths:
        print("no workflows")
        return 1
    errors = 0
    for p in paths:
        try:
            e = check(p)
        except yaml.YAMLError as ex:
            e = fail(p, f"YAML: {ex}")
        errors += e
        if not e:
            print(f"{p}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
