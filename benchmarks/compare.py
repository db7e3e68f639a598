"""wasmlite against its peers, every workload in one run: ``python -m benchmarks.compare``.

Each (workload, runtime configuration) is measured in fresh child processes
(``benchmarks.child``), so peak RSS is per runtime and start-up is really cold:

- import: importing the runtime's modules (all it would import lazily too), with
  bytecode compiled as an installed package has it;
- cold start: decode + validate + instantiate + first call at the tiny size, in a
  new process (runtime already imported) with an empty disk-cache directory;
- steady state: best call time at the measured size after warm-up (runtimes that
  compile get one untimed call first), in the same process;
- warm start: the cold-start measurement again in a new process, with the disk cache
  the first process filled (runtimes with a disk cache only);
- peak RSS: ``ru_maxrss`` of the first process.

Every result is checked against wasmtime's checksum (``expected.json``) before its
time counts. pywasm is about 200x slower than pwasm: it runs a smaller size (quick
in a full run, tiny with ``--quick``) and its steady time is scaled linearly to the
measured size (marked ``~``); a child over its time budget is reported as skipped.
Results go to ``benchmarks/results/compare-<impl>-<date>.json``.
Ratios are wasmlite time / peer time: below 1 means wasmlite is faster; with
``--pypy EXE``, wasmlite's tiers also run under that PyPy (``pypy-t0`` ...,
warmed up for its JIT) and the ``/pypy`` columns are CPython time / PyPy time
(above 1: PyPy is faster), measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

from . import expected as expected_mod
from .runtimes import CONFIGS, Config, baseline_configs, pypy_configs, unavailable
from . import guests
from .workloads import HERE, WORKLOADS, Workload, programs

ROOT = os.path.dirname(HERE)
CR = "\r"

# (label, wasmlite configuration, peer configuration) of the ratio columns
RATIOS = [
    ("auto/pwc", "wasmlite-auto", "pwasm-compile"),
    ("t1/pwc", "wasmlite-t1", "pwasm-compile"),
    ("t0/pwi", "wasmlite-t0", "pwasm-interp"),
    ("auto/pwa", "wasmlite-auto", "pwasm-auto"),
    ("auto/wt", "wasmlite-auto", "wasmtime"),
    ("t0/base", "wasmlite-t0", "base-t0"),
    ("t1/base", "wasmlite-t1", "base-t1"),
    ("auto/base", "wasmlite-auto", "base-auto"),
    ("t0/pypy", "wasmlite-t0", "pypy-t0"),
    ("t1/pypy", "wasmlite-t1", "pypy-t1"),
    ("auto/pypy", "wasmlite-auto", "pypy-auto"),
]


def machine() -> Dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"machine": platform.machine(), "cpu": model, "cpus": os.cpu_count(),
            "system": platform.system(), "python": sys.version.split()[0],
            "implementation": platform.python_implementation(), "executable": sys.executable}


def _run_child(args: Dict[str, Any], env: Dict[str, str], timeout: float, python: str) -> Dict[str, Any]:
    """Run one child under ``python``; its JSON result plus ``rss_kb``, or ``{"error": ...}``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([python, "-m", "benchmarks.child", json.dumps(args)],
                                cwd=ROOT, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                return {"error": f"over the {timeout:.0f} s budget", "skipped": True}
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            return {"error": f"exit {proc.returncode}: {tail[0]}"}
        result: Dict[str, Any] = json.loads(out.read().decode().strip().splitlines()[-1])
        result["rss_kb"] = usage.ru_maxrss
        return result


def _check(result: Dict[str, Any], want: Dict[int, int], n_start: int, n: Optional[int]) -> None:
    """Turn a wrong checksum into an error: a wrong answer has no time."""
    checks = [("start_value", n_start)]
    if n is not None:
        checks += [("first_value", n), ("value", n)]
    for key, size in checks:
        if key in result and result[key] != want[size]:
            result["error"] = f"wrong {key} at n={size}: {result[key]} (expected: {want[size]!r})"


def measure(w: Workload, c: Config, wasm: str, want: Dict[int, int], opts: argparse.Namespace,
            ) -> Dict[str, Any]:
    size = "quick" if opts.quick else "full"
    n = w.sizes[size]
    if c.name == "pywasm":  # far slower: a smaller size, scaled afterwards
        n = w.sizes["tiny" if opts.quick else "quick"]
    src = os.path.join(c.src or ROOT, "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + ROOT, **c.env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed packages have their bytecode
    cache = tempfile.mkdtemp(prefix="wasmlite-bench-")
    try:
        if c.cache_var:
            env[c.cache_var] = cache  # empty: nothing cached yet for the cold start
        if w.kind == "program" and c.adapter not in guests.HARNESSES[w.name]:
            return {"error": f"no {w.name} harness for {c.adapter}", "skipped": True}
        args = {"config": list(c), "workload": w.name, "kind": w.kind, "wasm": wasm, "n_start": w.sizes["tiny"],
                "n": n, "reps": opts.reps, "budget": opts.budget / 2}
        python = c.python or sys.executable
        result = _run_child(args, env, opts.budget, python)
        result["n"] = n
        if "error" in result:
            return result
        _check(result, want, w.sizes["tiny"], n)
        if "error" in result:
            return result
        result["best"] = min(result["steady"])
        if n != w.sizes[size]:
            result["scaled_from"] = n
            result["best"] *= w.sizes[size] / n
        if c.cache_var and not opts.no_warm:
            warm = _run_child(dict(args, start_only=True), env, opts.budget, python)
            if "error" not in warm:
                _check(warm, want, w.sizes["tiny"], None)
            if "error" in warm:
                result["warm_error"] = warm["error"]
            else:
                result["warm_start"] = warm["start"]
        return result
    finally:
        shutil.rmtree(cache, ignore_errors=True)


# -- the report ----------------------------------------------------------------------

def _fmt_time(t: Optional[float]) -> str:
    if t is None:
        return "-"
    return f"{t * 1000:.0f}ms" if t >= 0.1 else f"{t * 1000:.1f}ms"


def _geomean(xs: List[float]) -> Optional[float]:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def _table(title: str, rows: List[List[str]], header: List[str]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([f"\n{title}", line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def report(results: Dict[str, Dict[str, Dict[str, Any]]], configs: List[Config]) -> str:
    names = [c.name for c in configs]
    ratios = [r for r in RATIOS if r[1] in names and r[2] in names]
    parts = []
    for title, key in (("steady state (best call)", "best"), ("import", "import"), ("cold start (decode+validate+instantiate+first call, tiny size)", "start"),
                       ("warm start (disk cache filled by a previous process)", "warm_start"),
                       ("peak RSS (MB)", "rss_kb")):
        rows, columns = [], {r[0]: [] for r in ratios}
        for wname, per in results.items():
            def get(cname: str) -> Optional[float]:
                v = per.get(cname, {}).get(key)
                return v / 1024 if (v is not None and key == "rss_kb") else v
            row = [wname]
            for cname in names:
                r = per.get(cname, {})
                v = get(cname)
                if v is None:
                    row.append("skip" if r.get("skipped") else ("ERR" if "error" in r else "-"))
                elif key == "rss_kb":
                    row.append(f"{v:.0f}")
                else:
                    row.append(("~" if key == "best" and "scaled_from" in r else "") + _fmt_time(v))
            for label, mine, peer in ratios:
                a, b = get(mine), get(peer)
                ratio = a / b if a and b else None
                columns[label].append(ratio)
                row.append(f"{ratio:.2f}" if ratio else "-")
            rows.append(row)
        mean = ["geomean"] + [""] * len(names) + [
            (lambda g: f"{g:.2f}" if g else "-")(_geomean([x for x in columns[r[0]] if x])) for r in ratios]
        parts.append(_table(title, rows + [mean], ["workload"] + names + [r[0] for r in ratios]))
    errors = [f"  {w} / {c}: {r['error']}" for w, per in results.items() for c, r in per.items() if "error" in r]
    errors += [f"  {w} / {c}: warm start: {r['warm_error']}" for w, per in results.items() for c, r in per.items()
               if "warm_error" in r]
    if errors:
        parts.append("\nnot measured:\n" + "\n".join(errors))
    return "\n".join(parts)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="quick sizes, one timed call each")
    ap.add_argument("--reps", type=int, default=None, help="timed calls per measurement (best is kept)")
    ap.add_argument("--budget", type=float, default=None, help="seconds allowed per child process")
    ap.add_argument("--only", default="", help="comma-separated workloads to run")
    ap.add_argument("--configs", default="", help="comma-separated runtime configurations to run")
    ap.add_argument("--baseline", metavar="DIR",
                    help="also run the wasmlite tree at DIR (base-t0, base-t1, base-auto), for before/after ratios")
    ap.add_argument("--pypy", metavar="EXE",
                    help="also run wasmlite's tiers under this PyPy (pypy-t0, pypy-t1, pypy-auto), side by side")
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-start measurements")
    ap.add_argument("--out", default=None, help="JSON file to write (default under benchmarks/results/)")
    opts = ap.parse_args(argv)
    sys.path.insert(0, os.path.join(ROOT, "src"))  # this tree's wasmlite assembles the WAT workloads
    opts.reps = opts.reps or (1 if opts.quick else 3)
    opts.budget = opts.budget or (30.0 if opts.quick else 90.0)

    workloads = [w for w in WORKLOADS + programs() if not opts.only or w.name in opts.only.split(",")]
    everything = CONFIGS + (baseline_configs(os.path.abspath(opts.baseline)) if opts.baseline else [])
    everything += pypy_configs(opts.pypy) if opts.pypy else []
    wanted = [c for c in everything if not opts.configs or c.name in opts.configs.split(",")]
    notes, configs = [], []
    for c in wanted:
        why = unavailable(c)
        if why:
            notes.append(f"{c.name}: skipped, {why}")
        else:
            configs.append(c)
    want = expected_mod.load()
    for w in workloads:  # a real program's values are computed in Python (guests.expected)
        if w.kind == "program":
            want[w.name] = {n: guests.expected(w.name, n) for n in set(w.sizes.values())}
    # as an installed wasmlite would have, and as the peers' wheels have
    for c in {c.src or ROOT for c in configs}:
        compileall.compile_dir(os.path.join(c, "src"), quiet=1)
    for python in {c.python for c in configs if c.python}:
        subprocess.run([python, "-m", "compileall", "-q", os.path.join(ROOT, "src")], check=True)
    info = machine()
    info["load_before"] = _load()
    print(f"{info['implementation']} {info['python']} on {info['machine']} ({info['cpu']}, {info['cpus']} cpus), "
          f"load {info['load_before']}", file=sys.stderr)
    for note in notes:
        print(note, file=sys.stderr)

    results: Dict[str, Dict[str, Dict[str, Any]]] = {}
    total, done, started = len(workloads) * len(configs), 0, time.monotonic()
    tty = sys.stderr.isatty()
    tmp = tempfile.mkdtemp(prefix="wasmlite-bench-bin-")
    try:
        for w in workloads:
            wasm = os.path.join(tmp, w.name + ".wasm")
            with open(wasm, "wb") as f:
                f.write(w.binary())
            results[w.name] = {}
            for c in configs:
                done += 1
                if tty:
                    print(f"\r[{done}/{total}] {w.name} on {c.name} ...".ljust(70), end="", file=sys.stderr, flush=True)
                r = results[w.name][c.name] = measure(w, c, wasm, want[w.name], opts)
                status = r.get("error") or f"{_fmt_time(r.get('best'))}, start {_fmt_time(r.get('start'))}"
                print(f"{CR if tty else ''}[{done}/{total}] {w.name} on {c.name}: {status}".ljust(70),
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    info["load_after"] = _load()
    info["seconds"] = round(time.monotonic() - started, 1)

    text = report(results, configs)
    header = (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {info['implementation']} {info['python']}, "
              f"{info['machine']} {info['cpus']} cpus, load {info['load_before']} -> {info['load_after']}, "
              f"{'quick' if opts.quick else 'full'} sizes, best of {opts.reps}")
    print("\n" + header + text + ("\n\n" + "\n".join(notes) if notes else ""))
    if "pywasm" in [c.name for c in configs]:
        print("~: pywasm ran a smaller size, scaled linearly to the measured one")

    out = opts.out or os.path.join(HERE, "results", f"compare-{info['implementation'].lower()}"
                                   f"{'-quick' if opts.quick else ''}-{datetime.date.today()}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"info": info, "quick": opts.quick, "reps": opts.reps, "notes": notes,
                   "sizes": {w.name: w.sizes for w in workloads}, "results": results}, f, indent=1)
        f.write("\n")
    print(f"results: {os.path.relpath(out, ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
