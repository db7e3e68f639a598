"""The runtimes the comparison runs, as configurations of a child process.

Each configuration names the runtime's adapter (how to load a module and call
``run``), the environment it needs (tier, cache directory) and whether its first
calls compile (then the harness warms it up before timing the steady state).
Adapters import their runtime lazily: a child process only loads the one it measures.
"""

from __future__ import annotations

import io
import platform
from typing import Callable, Dict, NamedTuple, Optional

Run = Callable[[int], int]
MASK = 0xFFFFFFFF


class Config(NamedTuple):
    name: str
    adapter: str
    env: Dict[str, str]
    cache_var: Optional[str]  # the variable naming its disk cache (None: it has none)
    warmup: int  # untimed calls before its steady state (its first calls compile)
    mode: str = ""
    src: str = ""  # another wasmlite source tree to run instead (before/after comparisons)
    python: str = ""  # the interpreter that runs the child (empty: the harness's own)


CONFIGS = [
    Config("wasmlite-t0", "wasmlite", {"WASMLITE_TIER": "0"}, "WASMLITE_CACHE_DIR", 0),
    Config("wasmlite-t1", "wasmlite", {"WASMLITE_TIER": "1"}, "WASMLITE_CACHE_DIR", 1),
    Config("wasmlite-auto", "wasmlite", {"WASMLITE_TIER": "auto"}, "WASMLITE_CACHE_DIR", 1),
    Config("pwasm-interp", "pwasm", {}, "PWASM_CACHE_DIR", 0, "interpret"),
    Config("pwasm-compile", "pwasm", {}, "PWASM_CACHE_DIR", 1, "compile"),
    Config("pwasm-auto", "pwasm", {}, "PWASM_CACHE_DIR", 1, "auto"),  # pwasm's default
    Config("pywasm", "pywasm", {}, None, 0),
    Config("wasmtime", "wasmtime", {}, None, 1),
]
BY_NAME = {c.name: c for c in CONFIGS}


def baseline_configs(src: str) -> list:
    """wasmlite's configurations again, running the tree at ``src`` (``base-...``)."""
    return [c._replace(name="base-" + c.name.split("-", 1)[1], src=src)
            for c in CONFIGS if c.adapter == "wasmlite"]


PYPY_WARMUP = 10
"""Untimed calls before PyPy's steady state: its JIT keeps compiling bridges over
the first calls (sort's settled after about ten, 2026-12-07)."""


def pypy_configs(python: str) -> list:
    """wasmlite's configurations run by the PyPy at ``python`` (``pypy-t0`` ...), warmed up for its JIT."""
    return [c._replace(name="pypy-" + c.name.split("-", 1)[1], python=python, warmup=PYPY_WARMUP)
            for c in CONFIGS if c.adapter == "wasmlite"]


def unavailable(c: Config) -> Optional[str]:
    """Why ``c`` cannot run in this interpreter, or None."""
    if c.python:
        import shutil

        return None if shutil.which(c.python) else f"{c.python} not found"
    if c.adapter == "wasmlite":
        return None
    if c.adapter == "pwasm" and platform.python_implementation() == "PyPy":
        return "pwasm needs Python >= 3.10 (not on this PyPy)"
    import importlib.util

    if importlib.util.find_spec(c.adapter) is None:
        return f"{c.adapter} is not installed here"
    return None


# Modules each runtime imports lazily on its first call: imported up front by the
# child, so that start-up times compare the work, and imports are timed apart.
PREPARE = {
    "wasmlite": ("wasmlite", "wasmlite.engine", "wasmlite.engine.codegen", "wasmlite.runtime.instantiate"),
    "pwasm": ("pwasm", "pwasm.compiler", "pwasm.codegen"),
    "pywasm": ("pywasm",),
    "wasmtime": ("wasmtime",),
}


def prepare(c: Config) -> None:
    for name in PREPARE[c.adapter]:
        __import__(name)


def load(c: Config, data: bytes, kind: str = "kernel", name: str = "") -> Run:
    """Decode, validate (where the runtime does) and instantiate; the ``run`` export
    (for a real program ``name``, the harness of ``guests``: start it, ``run(size)``)."""
    if kind == "program":
        from . import guests

        return guests.loader(name, c.adapter, c.mode)(data)
    return _LOADERS[c.adapter](c, data)


def _wasmlite(c: Config, data: bytes) -> Run:
    from wasmlite import Module
    from wasmlite.engine import call
    from wasmlite.runtime.instantiate import instantiate

    module = Module(data)
    func = instantiate(module.syntax, [], call).exports["run"]
    return lambda n: call(func, [n])[0] & MASK


def _pwasm(c: Config, data: bytes) -> Run:
    import pwasm

    fn = pwasm.instantiate(pwasm.decode_module(data), mode=c.mode).exports.run
    return lambda n: fn(n) & MASK


def _pywasm(c: Config, data: bytes) -> Run:
    import pywasm

    runtime = pywasm.core.Runtime()
    inst = runtime.instance(pywasm.core.ModuleDesc.from_reader(io.BytesIO(data)))
    return lambda n: runtime.invocate(inst, "run", [n])[0] & MASK


def _wasmtime(c: Config, data: bytes) -> Run:
    import wasmtime

    store = wasmtime.Store()
    fn = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)["run"]
    return lambda n: fn(store, n) & MASK  # type: ignore[operator]


_LOADERS = {"wasmlite": _wasmlite, "pwasm": _pwasm, "pywasm": _pywasm, "wasmtime": _wasmtime}
