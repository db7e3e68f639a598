"""One measurement in a fresh process: ``python -m benchmarks.child JSON-ARGS``.

The parent (``benchmarks.compare``) sets the environment (tier, cache directory) and
reads one JSON line back: import time, start-up time (decode + validate +
instantiate + first call at the tiny size) and, unless asked for start-up only,
the steady-state call times at the measured size. Peak RSS is taken by the parent
from the process's resource usage.
"""

from __future__ import annotations

import json
import sys
import time


def measure(args: dict) -> dict:
    t0 = time.perf_counter()
    from . import runtimes

    config = runtimes.Config(*args["config"])
    with open(args["wasm"], "rb") as f:
        data = f.read()
    runtimes.prepare(config)
    t1 = time.perf_counter()
    run = runtimes.load(config, data, args.get("kind", "kernel"), args.get("workload", ""))
    value = run(args["n_start"])
    t2 = time.perf_counter()
    out = {"import": t1 - t0, "start": t2 - t1, "start_value": value}
    if args.get("start_only"):
        return out
    n, times = args["n"], []
    deadline = time.perf_counter() + args["budget"]
    for _ in range(config.warmup):
        t = time.perf_counter()
        out["first_value"] = run(n)
        out.setdefault("first", time.perf_counter() - t)
    for _ in range(args["reps"]):
        t = time.perf_counter()
        out["value"] = run(n)
        times.append(time.perf_counter() - t)
        if time.perf_counter() > deadline:
            break
    out["steady"] = times
    return out


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))
