"""Differential execution: one module run in wasmtime and in wasmlite (tier 0 and
tier 1), every exported function called with the same arguments, and what each
side saw reduced to comparable plain data.

A run is the instantiation outcome, one outcome per call (results as bit
patterns, or the trap's kind), and the final state of every exported memory,
global and table. Values are compared as bits: i32/i64 unsigned, floats by
their IEEE bits, v128 as a 128-bit int, references only as null or not (a
function reference's identity has no common name on both sides).

wasmtime-py converts floats through C ``float``/``double``, which quiets
signalling NaNs, so arguments, results and globals go through the raw C API
here (``wasmtime_val_t`` read and written by its integer view).

NaNs: the spec lets a float operation return any NaN of the right kind
(canonical or arithmetic) and lets that choice leak into memory and integers
(reinterpret, stores, copysign). Modules made with smith's
``--canonicalize-nans`` are deterministic and compared bit for bit; for the
others a float result that is a NaN on both sides agrees, and a difference
elsewhere is reported as ``nan-divergence``, kept apart from mismatches.
"""

from __future__ import annotations

import ctypes
import os
import random
import struct
import time
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import wasmlite
from wasmlite import syntax
from wasmlite.numeric import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits, i64_of

from wasmlite.decode import decode_module
from wasmlite.encode import name, sleb, uleb

from .mutate import join_sections, read_uleb, split_sections
from .oracle import Timeout, _wasmtime_engine, deadline

TIME_LIMIT = 10.0
"""Seconds wasmlite may spend on one module in one tier (instantiation and every
call); past it the module is reported as slow, not compared. smith's fuel
bounds the work, so only a very slow path gets near it."""

# Compiled tier-1 code must not pile up on disk for thousands of throwaway modules.
os.environ.setdefault("WASMLITE_CACHE_DIR", "")

TYPE_NAMES = {
    syntax.I32: "i32", syntax.I64: "i64", syntax.F32: "f32", syntax.F64: "f64",
    syntax.V128: "v128", syntax.FUNCREF: "funcref", syntax.EXTERNREF: "externref",
}  # fmt: skip

# Our trap messages and wasmtime's trap codes, each mapped to one kind.
OUR_TRAPS = {
    "unreachable": "unreachable",
    "integer divide by zero": "div-by-zero",
    "integer overflow": "int-overflow",
    "invalid conversion to integer": "bad-conversion",
    "out of bounds memory access": "memory-oob",
    "out of bounds table access": "table-oob",
    "undefined element": "table-oob",
    "uninitialized element": "null-call",
    "indirect call type mismatch": "bad-signature",
    "call stack exhausted": "stack-overflow",
}
WASMTIME_TRAPS = {
    "UNREACHABLE": "unreachable",
    "INTEGER_DIVISION_BY_ZERO": "div-by-zero",
    "INTEGER_OVERFLOW": "int-overflow",
    "BAD_CONVERSION_TO_INTEGER": "bad-conversion",
    "MEMORY_OUT_OF_BOUNDS": "memory-oob",
    "TABLE_OUT_OF_BOUNDS": "table-oob",
    "INDIRECT_CALL_TO_NULL": "null-call",
    "BAD_SIGNATURE": "bad-signature",
    "STACK_OVERFLOW": "stack-overflow",
}

_MASKS = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF, "f32": 0xFFFFFFFF, "f64": 0xFFFFFFFFFFFFFFFF,
          "v128": (1 << 128) - 1}
_EDGES = {
    "i32": [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 2, 31, 32, 65536],
    "i64": [0, 1, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 63, 64, 0xFFFFFFFF],
    # 0, -0, 1, -1, inf, -inf, canonical NaN, -NaN, NaN with payload, signalling NaN,
    # smallest subnormal, largest finite, 2**31 and 2**63 (conversion edges), 0.5
    "f32": [0, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
            0x7FC12345, 0x7F812345, 1, 0x7F7FFFFF, 0x4F000000, 0x5F000000, 0x3F000000],
    "f64": [0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
            0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000012345, 0x7FF0000000012345, 1,
            0x7FEFFFFFFFFFFFFF, 0x41E0000000000000, 0x43E0000000000000, 0x3FE0000000000000],
    "v128": [0, (1 << 128) - 1, 0x7FC00000_7F800000_80000000_3F800000],
}


class Call(NamedTuple):
    name: str
    args: Tuple[Tuple[str, int], ...]  # (type name, bits)


class Run(NamedTuple):
    """What one runtime did with a module; ``instantiated`` is "ok" or why not."""

    instantiated: str
    calls: List[Tuple[str, Any]]  # ("ok", results) or ("trap", kind)
    state: Dict[str, Any]


def plan(module: syntax.Module, rng: random.Random, calls_per_func: int = 2) -> List[Call]:
    """The calls to make: every exported function ``calls_per_func`` times, with
    arguments from ``rng``, about half of them edge values."""
    imported = [imp.desc for imp in module.imports if imp.kind == syntax.EXTERN_FUNC]
    types = [module.types[t] for t in imported + list(module.funcs)]  # type: ignore[index]
    out = []
    for e in module.exports:
        if e.kind != syntax.EXTERN_FUNC:
            continue
        for _ in range(calls_per_func):
            args = tuple((TYPE_NAMES[t], _arg(rng, TYPE_NAMES[t])) for t in types[e.index].params)
            out.append(Call(e.name, args))
    return out


def _arg(rng: random.Random, t: str) -> int:
    if t in ("funcref", "externref"):
        return 0  # null: the only reference both sides can be handed
    r = rng.random()
    if r < 0.5:
        return rng.choice(_EDGES[t])
    if r < 0.7 and t[0] == "i":  # small magnitudes: loop bounds, addresses, shift counts
        return rng.randint(-64, 64) & _MASKS[t]
    return rng.getrandbits(128) & _MASKS[t]


FUEL_EXPORT = "fuzz:fuel"


def expose_fuel(data: bytes, fuel: int) -> bytes:
    """``data`` with smith's fuel counter (``--ensure-termination``: the last global,
    a mutable i32 starting at ``fuel``) exported as ``FUEL_EXPORT``, so that both
    runtimes can refill it before each call: otherwise the first call to run out
    leaves every later one trapping at once. Unchanged if there is no such global."""
    try:
        m = decode_module(data)
    except wasmlite.WasmError:
        return data
    sections = split_sections(data)
    if not m.globals or sections is None or any(e.name == FUEL_EXPORT for e in m.exports):
        return data
    g = m.globals[-1]
    if g.type != syntax.GlobalType(syntax.I32, True) or not g.init.code.startswith(b"\x41" + sleb(fuel) + b"\x0b"):
        return data
    index = sum(imp.kind == syntax.EXTERN_GLOBAL for imp in m.imports) + len(m.globals) - 1
    entry = name(FUEL_EXPORT) + bytes([syntax.EXTERN_GLOBAL]) + uleb(index)
    ids = [sid for sid, _ in sections]
    if 7 in ids:
        payload = sections[ids.index(7)][1]
        count, pos = read_uleb(payload, 0)  # type: ignore[misc]
        sections[ids.index(7)] = (7, uleb(count + 1) + payload[pos:] + entry)
    else:
        sections.insert(ids.index(6) + 1, (7, uleb(1) + entry))
    return join_sections(sections)


# --- wasmtime -------------------------------------------------------------------

def _wasmtime_kinds() -> Dict[str, int]:
    from wasmtime import _ffi as ffi

    return {"i32": ffi.WASMTIME_I32.value, "i64": ffi.WASMTIME_I64.value, "f32": ffi.WASMTIME_F32.value,
            "f64": ffi.WASMTIME_F64.value, "v128": ffi.WASMTIME_V128.value,
            "funcref": ffi.WASMTIME_FUNCREF.value, "externref": ffi.WASMTIME_EXTERNREF.value}


def _to_raw(t: str, bits: int, raw: Any) -> None:
    """Fill a ``wasmtime_val_t`` with ``bits`` of type ``t`` (references: null)."""
    raw.kind = _wasmtime_kinds()[t]
    if t in ("i32", "f32"):
        raw.of.i32 = struct.unpack("<i", struct.pack("<I", bits))[0]
    elif t in ("i64", "f64"):
        raw.of.i64 = struct.unpack("<q", struct.pack("<Q", bits))[0]
    elif t == "v128":
        for i in range(16):
            raw.of.v128[i] = (bits >> (8 * i)) & 0xFF
    else:
        ctypes.memset(ctypes.byref(raw.of), 0, ctypes.sizeof(raw.of))


def _from_raw(raw: Any) -> Tuple[str, Any]:
    t = {v: k for k, v in _wasmtime_kinds().items()}[raw.kind]
    if t in ("i32", "f32"):
        return (t, raw.of.i32 & 0xFFFFFFFF)
    if t in ("i64", "f64"):
        return (t, raw.of.i64 & 0xFFFFFFFFFFFFFFFF)
    if t == "v128":
        return (t, int.from_bytes(bytes(raw.of.v128), "little"))
    if t == "funcref":
        return (t, "null" if raw.of.funcref.store_id == 0 else "func")
    return (t, "extern" if raw.of.externref.store_id else "null")


def _wasmtime_trap(exc: BaseException) -> str:
    import wasmtime

    if isinstance(exc, wasmtime.Trap) and exc.trap_code is not None:
        return WASMTIME_TRAPS.get(exc.trap_code.name, exc.trap_code.name)
    return f"error: {exc}"


def run_wasmtime(data: bytes, calls: List[Call], fuel: Optional[int] = None) -> Run:
    """Instantiate and call; with ``fuel``, refill ``FUEL_EXPORT`` before each call."""
    import wasmtime
    from wasmtime import _ffi as ffi

    engine = _wasmtime_engine()
    try:
        module = wasmtime.Module(engine, data)
    except wasmtime.WasmtimeError:
        return Run("invalid", [], {})
    store = wasmtime.Store(engine)
    try:
        instance = wasmtime.Instance(store, module, [])
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        return Run(_wasmtime_trap(exc), [], {})
    exports = instance.exports(store)
    ctx = store._context()
    outcomes: List[Tuple[str, Any]] = []
    refill = exports.get(FUEL_EXPORT) if fuel is not None else None
    for call in calls:
        if refill is not None:
            raw = ffi.wasmtime_val_t()
            _to_raw("i32", fuel, raw)
            ffi.wasmtime_global_set(ctx, ctypes.byref(refill._global), ctypes.byref(raw))
        func = exports[call.name]
        nres = len(func.type(store).results)
        params = (ffi.wasmtime_val_t * max(len(call.args), 1))()
        for i, (t, bits) in enumerate(call.args):
            _to_raw(t, bits, params[i])
        results = (ffi.wasmtime_val_t * max(nres, 1))()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_func_call(ctx, ctypes.byref(func._func), params, len(call.args), results, nres,
                                       ctypes.byref(trap))
        if error:
            outcomes.append(("trap", f"error: {wasmtime.WasmtimeError._from_ptr(error)}"))
        elif trap:
            outcomes.append(("trap", _wasmtime_trap(wasmtime.Trap._from_ptr(trap))))
        else:
            outcomes.append(("ok", tuple(_from_raw(results[i]) for i in range(nres))))
            for i in range(nres):
                ffi.wasmtime_val_unroot(ctypes.byref(results[i]))
    state: Dict[str, Any] = {}
    for name, ext in exports.items():
        if isinstance(ext, wasmtime.Memory):
            size = ffi.wasmtime_memory_data_size(ctx, ctypes.byref(ext._memory))
            ptr = ffi.wasmtime_memory_data(ctx, ctypes.byref(ext._memory))
            state[name] = ("memory", ctypes.string_at(ptr, size) if size else b"")
        elif isinstance(ext, wasmtime.Global):
            raw = ffi.wasmtime_val_t()
            ffi.wasmtime_global_get(ctx, ctypes.byref(ext._global), ctypes.byref(raw))
            state[name] = ("global", _from_raw(raw))
            ffi.wasmtime_val_unroot(ctypes.byref(raw))
        elif isinstance(ext, wasmtime.Table):
            n = ffi.wasmtime_table_size(ctx, ctypes.byref(ext._table))
            cells = []
            for i in range(n):
                raw = ffi.wasmtime_val_t()
                ffi.wasmtime_table_get(ctx, ctypes.byref(ext._table), i, ctypes.byref(raw))
                cells.append(_from_raw(raw)[1])
                ffi.wasmtime_val_unroot(ctypes.byref(raw))
            state[name] = ("table", _runs(cells))
    return Run("ok", outcomes, state)


def _runs(cells: List[str]) -> Tuple[Tuple[str, int], ...]:
    """Run-length form of a table's null/non-null cells (tables may be large)."""
    out: List[List[Any]] = []
    for c in cells:
        if out and out[-1][0] == c:
            out[-1][1] += 1
        else:
            out.append([c, 1])
    return tuple((c, n) for c, n in out)


# --- wasmlite -------------------------------------------------------------------

def _ours_in(t: str, bits: int) -> Any:
    if t == "f32":
        return f32_from_bits(bits)
    if t == "f64":
        return f64_from_bits(bits)
    if t in ("funcref", "externref"):
        return None
    return i64_of(bits) if t == "i64" else bits


def _ours_out(t: int, v: Any) -> Tuple[str, Any]:
    name = TYPE_NAMES[t]
    if name == "f32":
        return (name, f32_to_bits(v))
    if name == "f64":
        return (name, f64_to_bits(v))
    if name in ("funcref", "externref"):
        return (name, "null" if v is None else ("func" if name == "funcref" else "extern"))
    return (name, v & 0xFFFFFFFFFFFFFFFF if name == "i64" else v)


def _our_trap(exc: wasmlite.WasmError) -> str:
    if isinstance(exc, wasmlite.Trap):
        return OUR_TRAPS.get(exc.message, exc.message)
    return f"error: {type(exc).__name__}: {exc}"


def run_wasmlite(data: bytes, calls: List[Call], tier: str, fuel: Optional[int] = None) -> Run:
    """The same as ``run_wasmtime`` in wasmlite with ``tier`` ("0" or "1") forced.
    Anything but a WasmError escapes (the caller reports it as a crash)."""
    from wasmlite.engine import call as engine_call
    from wasmlite.engine import interp
    from wasmlite.runtime.instantiate import instantiate
    from wasmlite.runtime.objects import GlobalInstance, MemoryInstance, TableInstance

    old_tier, interp.TIER = interp.TIER, tier
    try:
        try:
            module = wasmlite.Module(data)
        except wasmlite.WasmError:
            return Run("invalid", [], {})
        try:
            inst = instantiate(module.syntax, [], engine_call)
        except wasmlite.WasmError as exc:
            return Run(_our_trap(exc), [], {})
        outcomes: List[Tuple[str, Any]] = []
        refill = inst.exports.get(FUEL_EXPORT) if fuel is not None else None
        for call in calls:
            if refill is not None:
                refill.value = fuel
            func = inst.exports[call.name]
            try:
                results = engine_call(func, [_ours_in(t, b) for t, b in call.args])
            except wasmlite.WasmError as exc:
                outcomes.append(("trap", _our_trap(exc)))
                continue
            outcomes.append(("ok", tuple(_ours_out(t, v) for t, v in zip(func.type.results, results))))
        state: Dict[str, Any] = {}
        for name, ext in inst.exports.items():
            if isinstance(ext, MemoryInstance):
                state[name] = ("memory", bytes(ext.data))
            elif isinstance(ext, GlobalInstance):
                state[name] = ("global", _ours_out(ext.type.valtype, ext.value))
            elif isinstance(ext, TableInstance):
                state[name] = ("table", _runs([_ours_out(ext.type.elem, v)[1] for v in ext.elements]))
        return Run("ok", outcomes, state)
    finally:
        interp.TIER = old_tier


# --- comparison ----------------------------------------------------------------

def _is_nan(t: str, bits: Any) -> bool:
    if t == "f32":
        return (bits & 0x7F800000) == 0x7F800000 and bits & 0x7FFFFF != 0
    if t == "f64":
        return (bits & 0x7FF0000000000000) == 0x7FF0000000000000 and bits & 0xFFFFFFFFFFFFF != 0
    return False


def _value_differs(a: Tuple[str, Any], b: Tuple[str, Any], exact: bool) -> bool:
    if a == b:
        return False
    return exact or not (a[0] == b[0] and _is_nan(*a) and _is_nan(*b))


def differences(ref: Run, ours: Run, exact: bool) -> List[str]:
    """How ``ours`` differs from the reference run ``ref``; empty if they agree.

    The depth at which a stack runs out is the implementation's choice, so a call
    that overflowed on either side agrees with whatever the other side did, and
    nothing after it (later calls, final state) is compared: it may all depend
    on how far the call got. The same holds for a start function."""
    if "stack-overflow" in (ref.instantiated, ours.instantiated):
        return []
    if ref.instantiated != ours.instantiated:
        return [f"instantiation: wasmtime {ref.instantiated}, wasmlite {ours.instantiated}"]
    out = []
    for i, (r, o) in enumerate(zip(ref.calls, ours.calls)):
        if ("trap", "stack-overflow") in (r, o):
            return out
        if r[0] != o[0] or len(r[1]) != len(o[1]) or (
            r[0] == "ok" and any(_value_differs(x, y, exact) for x, y in zip(r[1], o[1]))
        ) or (r[0] == "trap" and r[1] != o[1]):
            out.append(f"call {i}: wasmtime {r}, wasmlite {o}")
    for name in sorted(set(ref.state) | set(ours.state)):
        a, b = ref.state.get(name), ours.state.get(name)
        if a == b:
            continue
        if a is not None and b is not None and a[0] == b[0] == "global" and not _value_differs(a[1], b[1], exact):
            continue
        out.append(f"export {name!r}: {_brief(a)} vs {_brief(b)}")
    return out


def _brief(s: Any) -> str:
    if s is not None and s[0] == "memory":
        return f"memory of {len(s[1])} bytes, sha {hash(s[1]) & 0xFFFFFFFF:08x}"
    return repr(s)


def memory_diff(ref: Run, ours: Run) -> List[str]:
    """First differing byte of each exported memory (for findings)."""
    out = []
    for name, r in ref.state.items():
        o = ours.state.get(name)
        if r[0] == "memory" and o is not None and r != o:
            a, b = r[1], o[1]
            first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
            out.append(f"memory {name!r}: sizes {len(a)}/{len(b)}, first difference at {first}: "
                       f"{a[first:first + 16].hex()} vs {b[first:first + 16].hex()}")
    return out


class Verdict(NamedTuple):
    kind: str  # "agree", "mismatch", "nan-divergence", "slow", "crash"
    detail: str
    calls: int


def bounded(fn: Any, limit: float) -> Tuple[str, Any]:
    """``("ok", fn())``, ``("slow", seconds)`` past ``limit`` seconds (SIGALRM, main
    thread only), or ``("crash", traceback)`` when anything escapes."""
    import traceback

    start = time.perf_counter()
    try:
        with deadline(limit):
            return ("ok", fn())
    except Timeout:
        return ("slow", time.perf_counter() - start)
    except KeyboardInterrupt:
        raise
    except BaseException:
        return ("crash", traceback.format_exc())


def compare(data: bytes, rng: random.Random, exact: bool, tiers: Tuple[str, ...] = ("0", "1"),
            limit: float = TIME_LIMIT, calls_per_func: int = 3, fuel: Optional[int] = None) -> Verdict:
    """Run ``data`` in wasmtime and in each of ``tiers``; the worst verdict. With
    ``fuel`` (``data`` from ``expose_fuel``) the fuel is refilled before each call."""
    try:
        calls = plan(wasmlite.Module(data).syntax, rng, calls_per_func)
    except wasmlite.WasmError:
        calls = []  # invalid to us: the instantiation outcomes will say if wasmtime disagrees
    ref = run_wasmtime(data, calls, fuel)
    verdicts = []
    for tier in tiers:
        status, value = bounded(lambda: run_wasmlite(data, calls, tier, fuel), limit)
        if status == "slow":
            verdicts.append(Verdict("slow", f"tier {tier}: over {limit:.0f} s ({value:.1f} s)", 0))
            continue
        if status == "crash":
            verdicts.append(Verdict("crash", f"tier {tier}:\n{value}", 0))
            continue
        diff = differences(ref, value, exact)
        n = len(value.calls)
        if not diff:
            verdicts.append(Verdict("agree", "", n))
            continue
        detail = f"tier {tier} ({'exact' if exact else 'NaN-lenient'}):\n" + "\n".join(diff + memory_diff(ref, value))
        # Only a difference in a float result can prove a lenient comparison wrong.
        kind = "mismatch" if exact or _proves(ref, value) else "nan-divergence"
        verdicts.append(Verdict(kind, detail, n))
    order = ["crash", "mismatch", "slow", "nan-divergence", "agree"]
    return min(verdicts, key=lambda v: order.index(v.kind))


def _proves(ref: Run, ours: Run) -> bool:
    """Whether a difference between runs of a module with free NaN bits is a real one.
    Only the first difference counts (NaN bits may steer everything after it): a
    different instantiation outcome, call outcome, trap kind or result count, or
    a float result that differs other than as NaN, is one; a difference in an
    integer result or in the final state may be NaN bits showing through."""
    if ref.instantiated != ours.instantiated:
        return True
    for r, o in zip(ref.calls, ours.calls):
        if r == o:
            continue
        if r[0] != o[0] or r[0] == "trap" or len(r[1]) != len(o[1]):
            return True
        return any(a != b and a[0] in ("f32", "f64") and _value_differs(a, b, False) for a, b in zip(r[1], o[1]))
    return False
