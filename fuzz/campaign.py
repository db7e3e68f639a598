"""The fuzzing loops behind ``python -m fuzz`` and the CI test: seeded, so any
run (and any finding) is reproducible from its seed."""

from __future__ import annotations

import glob
import os
import random
import sys
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from wasmlite.text.wast import parse_script

from . import execute, generate, mutate, oracle

TESTSUITE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "wasm-testsuite"
)


class Stats:
    """Counters and a throttled progress line."""

    def __init__(self, progress: bool, unit: str = "inputs",
                 headline: Tuple[str, ...] = ("disagreement", "crash")) -> None:
        self.counts: Dict[str, int] = {}
        self.progress = progress
        self.unit = unit  # the counter the rate is given for
        self.headline = headline  # counters always shown first, even at zero
        self.start = time.perf_counter()
        self._last = 0.0

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        total = self.counts.get(self.unit, 0)
        parts = [f"{total} {self.unit}", f"{total / max(elapsed, 1e-9):.1f}/s"]
        parts += [f"{k} {self.counts.get(k, 0)}" for k in self.headline]
        shown = (self.unit,) + self.headline
        parts += [f"{k} {v}" for k, v in sorted(self.counts.items()) if k not in shown]
        return f"[{elapsed:7.1f}s] " + ", ".join(parts)

    def tick(self) -> None:
        now = time.perf_counter()
        if self.progress and now - self._last >= 1.0:
            self._last = now
            sys.stderr.write("\r" + self.line())
            sys.stderr.flush()

    def done(self) -> None:
        if self.progress:
            sys.stderr.write("\r" + self.line() + "\n")


Report = Callable[[str, object, oracle.Finding], None]


def _record(stats: Stats, report: Optional[Report], name: str, data, finding: Optional[oracle.Finding]) -> None:
    if finding is None:
        return
    stats.add(finding.kind)
    if report is not None:
        report(name, data, finding)


def validate_campaign(
    seed: int,
    count: Optional[int],
    mutations_per_module: int = 10,
    report: Optional[Report] = None,
    progress: bool = False,
    limit: float = oracle.TIME_LIMIT,
    text: bool = True,
) -> Stats:
    """``count`` smith modules (None: forever), each compared with the reference
    (and with ``text``, its printed text through the text parser), then mutated
    ``mutations_per_module`` times (one in ten of those by ``wasm-tools mutate``),
    every mutant compared too."""
    rng = random.Random(seed)
    stats = Stats(progress)
    pool: List[bytes] = []  # recent modules, donors for splicing
    i = 0
    while count is None or stats.counts.get("smith", 0) < count:
        i += 1
        module = generate.random_module(rng)
        if module is None:
            stats.add("smith-failures")
            continue
        stats.add("inputs")
        stats.add("smith")
        _record(stats, report, f"s{seed}-{i}", module, oracle.compare(module, limit))
        if text:
            stats.add("text-roundtrips")
            _record(stats, report, f"s{seed}-{i}-text", module, oracle.compare_text(module, limit))
        pool = (pool + [module])[-32:]
        for j in range(mutations_per_module):
            from_wasm_mutate = rng.random() < 0.1
            if from_wasm_mutate:
                mutant = generate.wasm_mutate(module, rng.getrandbits(32))
                if mutant is None:
                    continue
                stats.add("wasm-mutate")
            else:
                mutant = mutate.mutate_module(rng, module, rng.choice(pool))
            stats.add("inputs")
            stats.add("mutated")
            _record(stats, report, f"s{seed}-{i}-m{j}", mutant, oracle.compare(mutant, limit))
            if text and from_wasm_mutate:  # its mutants are mostly valid: worth printing
                stats.add("text-roundtrips")
                _record(stats, report, f"s{seed}-{i}-m{j}-text", mutant, oracle.compare_text(mutant, limit))
        stats.tick()
    stats.done()
    return stats


def suite_modules(names: Optional[List[str]] = None) -> Tuple[List[str], List[bytes]]:
    """Text and binary modules from the 2.0 spec suite's ``.wast`` scripts (``names``
    picks some scripts by base name): seeds for the malformed-input mutators."""
    directory = os.environ.get("WASMLITE_TESTSUITE") or TESTSUITE
    paths = sorted(glob.glob(os.path.join(directory, "wasm-2.0", "*.wast")))
    if names is not None:
        paths = [p for p in paths if os.path.basename(p)[:-5] in names]
    if not paths:
        raise RuntimeError(f"no spec test scripts under {directory}")
    texts: List[str] = []
    binaries: List[bytes] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            commands = parse_script(f.read(), path)
        for cmd in commands:
            source = getattr(cmd, "source", None)
            payload = getattr(source, "payload", None)
            if isinstance(payload, str):
                texts.append(payload)
            elif isinstance(payload, bytes):
                binaries.append(payload)
    return texts, binaries


def _malformed_inputs(rng: random.Random, texts: List[str], binaries: List[bytes]) -> Iterator[Tuple[str, object]]:
    """An endless stream of (kind, input): mutated module text, mutated binaries,
    and mutated whole scripts."""
    while True:
        r = rng.random()
        if r < 0.6:
            yield "text", mutate.mutate_text(rng, rng.choice(texts), rng.choice(texts))
        elif r < 0.9:
            yield "binary", mutate.mutate_module(rng, rng.choice(binaries), rng.choice(binaries))
        else:
            script = "\n".join(f"(module {t})" if rng.random() < 0.5 else t for t in rng.sample(texts, 2))
            yield "script", mutate.mutate_text(rng, script)


def _run_malformed(kind: str, data, limit: float) -> Optional[oracle.Finding]:
    if kind == "script":
        outcome = oracle.run_bounded(lambda: parse_script(data), limit, len(data))
    elif kind == "text":
        finding = oracle.compare_wat(data, limit)
        if finding is not None:
            return finding
        outcome = oracle.wasmlite_outcome(data, limit)
    else:
        outcome = oracle.wasmlite_outcome(data, limit)
    if outcome.crash is not None:
        return oracle.Finding("crash", outcome.crash)
    return None


def malformed_campaign(
    seed: int,
    count: Optional[int],
    report: Optional[Report] = None,
    progress: bool = False,
    limit: float = oracle.TIME_LIMIT,
    scripts: Optional[List[str]] = None,
) -> Stats:
    """``count`` mutated inputs (None: forever) through the text parser, the WAST
    parser and decode + validate: only ``WasmError`` may escape, within ``limit``;
    text the parser accepts must also mean the same module to ``wasm-tools parse``."""
    rng = random.Random(seed)
    texts, binaries = suite_modules(scripts)
    stats = Stats(progress)
    inputs = _malformed_inputs(rng, texts, binaries)
    i = 0
    while count is None or i < count:
        i += 1
        kind, data = next(inputs)
        stats.add("inputs")
        stats.add(kind)
        _record(stats, report, f"m{seed}-{i}-{kind}", data, _run_malformed(kind, data, limit))
        stats.tick()
    stats.done()
    return stats


def exec_campaign(
    seed: int,
    count: Optional[int],
    simd: bool = False,
    report: Optional[Report] = None,
    progress: bool = False,
    limit: float = execute.TIME_LIMIT,
    tiers: Tuple[str, ...] = ("0", "1"),
) -> Stats:
    """``count`` smith modules (None: forever) run in wasmtime and in wasmlite's
    ``tiers``, compared by ``execute.compare``; mismatches and crashes are
    findings, and so (counted apart) are modules over ``limit`` seconds in a tier
    and NaN-lenient runs whose differences may be the spec's NaN freedom."""
    rng = random.Random(seed)
    stats = Stats(progress, unit="modules", headline=("mismatch", "crash", "slow"))
    i = 0
    while count is None or stats.counts.get("modules", 0) < count:
        i += 1
        made = generate.random_exec_module(rng, simd)
        if made.data is None:
            stats.add("smith-failures")
            continue
        module = execute.expose_fuel(made.data, made.fuel)
        fuel = made.fuel if module is not made.data else None
        verdict = execute.compare(module, random.Random(rng.getrandbits(32)), made.exact, tiers, limit, fuel=fuel)
        stats.add("modules")
        stats.add("exact" if made.exact else "nan-lenient")
        stats.add("calls", verdict.calls)
        if verdict.kind != "agree":
            refill = f"fuel {fuel} refilled before each call" if fuel else "fuel not refilled"
            description = f"{verdict.detail}\n{refill}; smith {' '.join(made.args)}"
            _record(stats, report, f"x{seed}-{i}", module, oracle.Finding(verdict.kind, description))
        stats.tick()
    stats.done()
    return stats
