"""Runs WAST scripts (the spec test suite's format) and counts what passed.

Each assertion of a script is one result: passed or failed (with a line saying
what was expected and what happened); the summary keeps a count of skipped ones
for commands the runner cannot attempt, of which there are none today. A
``module`` command counts as an assertion too: the module must decode, validate,
link and instantiate; so does a bare action: it must not fail. An instruction the
engine lacks makes the command fail (the engine raises), never the run.

Imports resolve by ``(module, name)`` through the instances ``register`` named
and the built-in ``spectest`` module; a missing one is a ``LinkError("unknown
import")``, as in the reference interpreter.

Error messages are compared with the suite's wording by prefix; a right error
class with other wording still passes, and is counted in ``wording_differs`` so
that the difference stays visible.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, List, NamedTuple, Optional, TextIO, Tuple, Type, cast

from . import syntax
from .decode import decode_module
from .errors import DecodeError, LinkError, ParseError, Trap, ValidationError, WasmError
from .numeric import f32_from_bits, f32_round, f32_to_bits, f64_from_bits, f64_to_bits, i64_of
from .runtime import (
    ExternRef,
    Function,
    GlobalInstance,
    HostFunction,
    MemoryInstance,
    ModuleInstance,
    TableInstance,
)
from .runtime.instantiate import instantiate
from .text import parse_module
from .text import wast
from .text.reader import SHAPES, pack_lanes
from .validate import validate_module


class Outcome(NamedTuple):
    status: str  # "passed", "failed" or "skipped"
    line: int
    detail: str = ""


class FileResult:
    """What running one script gave."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.outcomes: List[Outcome] = []
        self.wording_differs: List[Tuple[int, str, str]] = []  # (line, expected, got)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> List[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


class _Failed(Exception):
    """The command failed in a way already described by its message."""


def _call(func: Function, args: List[Any]) -> List[Any]:
    """The engine's ``call``, imported late: the engine imports the run-time objects."""
    from .engine import call

    return call(func, args)


def load_source(source: "wast.ModuleSource") -> syntax.Module:
    """Decode or parse, then validate, a script's module; raises what the module deserves."""
    payload = source.payload  # bytes for a binary module, text otherwise
    module = decode_module(payload) if isinstance(payload, bytes) else parse_module(payload)
    validate_module(module)
    return module


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def spectest() -> ModuleInstance:
    """The ``spectest`` module the suite imports from: printing functions that print
    nothing, constant globals, a table and a memory."""
    inst = ModuleInstance(syntax.Module())
    i32, i64, f32, f64 = syntax.I32, syntax.I64, syntax.F32, syntax.F64
    for name, params in (
        ("print", ()), ("print_i32", (i32,)), ("print_i64", (i64,)), ("print_f32", (f32,)),
        ("print_f64", (f64,)), ("print_i32_f32", (i32, f32)), ("print_f64_f64", (f64, f64)),
    ):
        inst.exports[name] = HostFunction(syntax.FuncType(params, ()), lambda *args: None, name)
    for name, t, value in (
        ("global_i32", i32, 666), ("global_i64", i64, 666),
        ("global_f32", f32, f32_round(666.6)), ("global_f64", f64, 666.6),
    ):
        inst.exports[name] = GlobalInstance(syntax.GlobalType(t, False), value)
    inst.exports["table"] = TableInstance(syntax.TableType(syntax.FUNCREF, syntax.Limits(10, 20)))
    inst.exports["memory"] = MemoryInstance(syntax.MemoryType(syntax.Limits(1, 2)))
    return inst


# -- values ---------------------------------------------------------------------------

_NAN_QUIET = {"f32": 0x7FC00000, "f64": 0x7FF8000000000000}
_SIGN_OFF = {"f32": 0x7FFFFFFF, "f64": 0x7FFFFFFFFFFFFFFF}


def to_runtime(v: "wast.Value") -> Any:
    """An argument, in the run-time representation."""
    if v.type == "f32":
        return f32_from_bits(v.value)  # type: ignore[arg-type]
    if v.type == "f64":
        return f64_from_bits(v.value)  # type: ignore[arg-type]
    if v.type == "v128":
        shape, lanes = cast(Tuple[str, tuple], v.value)
        return pack_lanes(shape, list(lanes))
    if v.type == "ref.null":
        return None
    if v.type == "ref.extern":
        return ExternRef(v.value)
    if v.type == "i64":
        return i64_of(v.value)  # type: ignore[arg-type]
    return v.value  # i32


def _float_matches(kind: str, bits: int, expected: object) -> bool:
    if expected == "nan:canonical":
        return bits & _SIGN_OFF[kind] == _NAN_QUIET[kind]
    if expected == "nan:arithmetic":
        return bits & _NAN_QUIET[kind] == _NAN_QUIET[kind]
    return bits == expected


def _float_bits(kind: str, r: Any) -> Optional[int]:
    """The bits of a float result, or None if it is no value of type ``kind``."""
    if not isinstance(r, float):
        return None
    if kind == "f64":
        return f64_to_bits(r)
    if r == r and f32_round(r) != r:  # a double that no f32 equals
        return None
    return f32_to_bits(r)


def matches(expected: "wast.Value", r: Any) -> bool:
    """Whether run-time result ``r`` is what ``expected`` asks for."""
    t, want = expected
    if t == "i32":
        return type(r) is int and r == want
    if t == "i64":
        return type(r) is int and r == i64_of(want)  # type: ignore[arg-type]
    if t in ("f32", "f64"):
        bits = _float_bits(t, r)
        return bits is not None and _float_matches(t, bits, want)
    if t == "v128":
        if type(r) is not int:
            return False
        shape, lanes = cast(Tuple[str, tuple], want)
        width = SHAPES[shape][1]
        mask = (1 << width) - 1
        kind = "f32" if width == 32 else "f64"
        for i, lane in enumerate(lanes):
            got = (r >> (i * width)) & mask
            ok = _float_matches(kind, got, lane) if shape[0] == "f" else got == lane
            if not ok:
                return False
        return True
    if t == "ref.null":
        return r is None
    if t == "ref.extern":
        return isinstance(r, ExternRef) and (want is None or r == ExternRef(want))
    return isinstance(r, Function)  # ref.func


def show(r: Any, t: str = "") -> str:
    """A result for a failure message, floats as bits of the expected type ``t``."""
    bits = _float_bits(t, r) if t in ("f32", "f64") else None
    if bits is not None:
        return f"{t}:{bits:#x} ({r!r})"
    if type(r) is int:
        return hex(r)
    return repr(r)


def _show_expected(v: "wast.Value") -> str:
    if isinstance(v.value, int) and v.type in ("i32", "i64", "f32", "f64"):
        return f"{v.type}:{v.value:#x}"
    return f"{v.type}:{v.value}"


# -- the runner ----------------------------------------------------------------------


class ScriptRunner:
    """Runs the commands of one script in order, keeping its instances.

    ``instances`` maps a module name (and None, the latest module) to its instance,
    or to None when that module failed, so that later commands naming it fail
    instead of acting on another one. ``registered`` is what imports resolve from.
    """

    def __init__(self, path: str) -> None:
        self.result = FileResult(path)
        self.instances: Dict[Optional[str], Optional[ModuleInstance]] = {}
        self.registered: Dict[str, ModuleInstance] = {"spectest": spectest()}

    def run(self, source: str) -> FileResult:
        try:
            commands = wast.parse_script(source, self.result.path)
        except ParseError as exc:
            self.result.outcomes.append(Outcome("failed", exc.line, f"script does not parse: {exc}"))
            return self.result
        for cmd in commands:
            handler = self._handlers.get(type(cmd).__name__)
            if handler is None:
                self._outcome("failed", cmd.line, f"unknown command {type(cmd).__name__}")
                continue
            try:
                handler(self, cmd)
            except _Failed as why:
                self._outcome("failed", cmd.line, str(why))
            except WasmError as exc:
                self._outcome("failed", cmd.line, f"unexpected {_describe(exc)}")
            except Exception as exc:  # a wasmlite bug or a missing feature: report it, keep going
                self._outcome("failed", cmd.line, f"internal error {_describe(exc)}")
        return self.result

    def _outcome(self, status: str, line: int, detail: str = "") -> None:
        self.result.outcomes.append(Outcome(status, line, detail))

    def _check_message(self, line: int, expected: str, exc: WasmError) -> None:
        if not exc.message.startswith(expected):
            self.result.wording_differs.append((line, expected, exc.message))
        self._outcome("passed", line)

    def _resolve(self, module: syntax.Module) -> List[Any]:
        """The extern each import names, from the registered instances."""
        out = []
        for imp in module.imports:
            inst = self.registered.get(imp.module)
            ext = inst.exports.get(imp.name) if inst is not None else None
            if ext is None:
                raise LinkError(f"unknown import {imp.module!r} {imp.name!r}")
            out.append(ext)
        return out

    def _instantiate(self, source: "wast.ModuleSource") -> ModuleInstance:
        module = load_source(source)
        return instantiate(module, self._resolve(module), _call)

    def _instance(self, name: Optional[str]) -> ModuleInstance:
        if name not in self.instances:
            raise _Failed(f"no module {name or '(current)'}")
        inst = self.instances[name]
        if inst is None:
            raise _Failed(f"module {name or '(current)'} failed to instantiate")
        return inst

    def _act(self, action: "wast.ActionT") -> List[Any]:
        """Perform an invoke or get; its results in the run-time representation."""
        inst = self._instance(action.module_name)
        ext = inst.exports.get(action.field)
        if isinstance(action, wast.Get):
            if not isinstance(ext, GlobalInstance):
                raise _Failed(f"no exported global {action.field!r}")
            return [ext.value]
        if not isinstance(ext, Function):
            raise _Failed(f"no exported function {action.field!r}")
        return list(_call(ext, [to_runtime(a) for a in action.args]))

    # -- commands ---------------------------------------------------------------------

    def _module(self, cmd: "wast.ModuleCmd") -> None:
        self.instances[None] = None
        if cmd.name is not None:
            self.instances[cmd.name] = None
        try:
            inst = self._instantiate(cmd.source)
        except WasmError as exc:
            self._outcome("failed", cmd.line, f"module: {_describe(exc)}")
            return
        self.instances[None] = inst
        if cmd.name is not None:
            self.instances[cmd.name] = inst
        self._outcome("passed", cmd.line)

    def _malformed(self, cmd: "wast.AssertMalformed") -> None:
        self._expect_failure(cmd.line, "assert_malformed", lambda: load_source(cmd.source),
                             (DecodeError, ParseError), cmd.message)

    def _invalid(self, cmd: "wast.AssertInvalid") -> None:
        self._expect_failure(cmd.line, "assert_invalid", lambda: load_source(cmd.source),
                             (ValidationError,), cmd.message)

    def _register(self, cmd: "wast.Register") -> None:
        """Only a failure counts: a register that works asserts nothing by itself."""
        self.registered[cmd.as_name] = self._instance(cmd.module_name)

    def _action(self, cmd: "wast.Action") -> None:
        self._act(cmd.action)
        self._outcome("passed", cmd.line)

    def _assert_return(self, cmd: "wast.AssertReturn") -> None:
        results = self._act(cmd.action)
        if len(results) == len(cmd.expected) and all(map(matches, cmd.expected, results)):
            self._outcome("passed", cmd.line)
            return
        want = ", ".join(_show_expected(v) for v in cmd.expected)
        types = [v.type for v in cmd.expected] + [""] * len(results)
        got = ", ".join(show(r, t) for r, t in zip(results, types))
        self._outcome("failed", cmd.line, f"assert_return: expected [{want}], got [{got}]")

    def _expect_failure(self, line: int, what: str, run: Callable[[], Any],
                        classes: Tuple[Type[WasmError], ...], message: str) -> None:
        """Pass if ``run`` raises one of ``classes`` (wording compared by ``_check_message``)."""
        try:
            run()
        except classes as exc:
            self._check_message(line, message, exc)
            return
        except WasmError as exc:
            self._outcome("failed", line, f"{what}: expected {message!r}, got {_describe(exc)}")
            return
        self._outcome("failed", line, f"{what}: expected {message!r}, but nothing failed")

    def _assert_trap(self, cmd: "wast.AssertTrap") -> None:
        target = cmd.action_or_module
        if isinstance(target, wast.ModuleSource):
            self._expect_failure(cmd.line, "assert_trap", lambda: self._instantiate(target), (Trap,), cmd.message)
        else:
            self._expect_failure(cmd.line, "assert_trap", lambda: self._act(target), (Trap,), cmd.message)

    def _assert_exhaustion(self, cmd: "wast.AssertExhaustion") -> None:
        self._expect_failure(cmd.line, "assert_exhaustion", lambda: self._act(cmd.action), (Trap,), cmd.message)

    def _assert_unlinkable(self, cmd: "wast.AssertUnlinkable") -> None:
        self._expect_failure(
            cmd.line, "assert_unlinkable", lambda: self._instantiate(cmd.source), (LinkError,), cmd.message
        )

    def _assert_uninstantiable(self, cmd: "wast.AssertUninstantiable") -> None:
        self._expect_failure(
            cmd.line, "assert_uninstantiable", lambda: self._instantiate(cmd.source), (Trap,), cmd.message
        )

    _handlers: Dict[str, Callable[["ScriptRunner", Any], None]] = {
        "ModuleCmd": _module,
        "AssertMalformed": _malformed,
        "AssertInvalid": _invalid,
        "Register": _register,
        "Action": _action,
        "AssertReturn": _assert_return,
        "AssertTrap": _assert_trap,
        "AssertExhaustion": _assert_exhaustion,
        "AssertUnlinkable": _assert_unlinkable,
        "AssertUninstantiable": _assert_uninstantiable,
    }


def run_file(path: str) -> FileResult:
    """Run one WAST script from disk."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        result = FileResult(path)
        result.outcomes.append(Outcome("failed", 0, f"script is not UTF-8: {exc}"))
        return result
    return ScriptRunner(path).run(text)


def run_files(paths: List[str], out: TextIO = sys.stdout, verbose: bool = False) -> Tuple[int, int, int]:
    """Run scripts, print failures and a summary per file; returns (passed, failed, skipped)."""
    totals = [0, 0, 0]
    width = len(str(len(paths)))
    for n, path in enumerate(paths, 1):
        result = run_file(path)
        name = os.path.basename(path)
        for o in result.failures:
            print(f"{path}:{o.line}: {o.detail}", file=out)
        if verbose:
            for line, expected, got in result.wording_differs:
                print(f"{path}:{line}: wording differs: expected {expected!r}, got {got!r}", file=out)
        counts = [result.count("passed"), result.count("failed"), result.count("skipped")]
        for i in range(3):
            totals[i] += counts[i]
        extra = f", {len(result.wording_differs)} worded differently" if result.wording_differs else ""
        print(
            f"[{n:>{width}}/{len(paths)}] {name}: {counts[0]} passed, {counts[1]} failed, "
            f"{counts[2]} skipped{extra}",
            file=out,
            flush=True,
        )
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped", file=out)
    return totals[0], totals[1], totals[2]
