"""Runs WAST scripts (the spec test suite's format) and counts what passed.

Each assertion of a script is one result: passed, failed (with a line saying what
was expected and what happened) or skipped (it needs something wasmlite does not
have yet: until the engine lands, everything that executes code). A ``module``
command counts as an assertion too: the module must decode and validate.

Error messages are compared with the suite's wording by prefix; a right error
class with other wording still passes, and is counted in ``wording_differs`` so
that the difference stays visible.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Dict, List, NamedTuple, Optional, TextIO, Tuple

from . import syntax
from .decode import decode_module
from .errors import DecodeError, ParseError, ValidationError, WasmError
from .text import parse_module
from .text import wast
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


class _Skip(Exception):
    """The command needs a part of wasmlite that does not exist yet."""


def load_source(source: "wast.ModuleSource") -> syntax.Module:
    """Decode or parse, then validate, a script's module; raises what the module deserves."""
    if source.kind == "binary":
        module = decode_module(source.payload)
    else:
        module = parse_module(source.payload)
    validate_module(module)
    return module


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class ScriptRunner:
    """Runs the commands of one script in order, keeping its named modules."""

    def __init__(self, path: str) -> None:
        self.result = FileResult(path)
        self.modules: Dict[Optional[str], syntax.Module] = {}

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
            except _Skip as why:
                self._outcome("skipped", cmd.line, str(why))
            except WasmError as exc:
                self._outcome("failed", cmd.line, f"unexpected {_describe(exc)}")
            except Exception as exc:  # a wasmlite bug: report it, keep going
                self._outcome("failed", cmd.line, f"internal error {_describe(exc)}")
        return self.result

    def _outcome(self, status: str, line: int, detail: str = "") -> None:
        self.result.outcomes.append(Outcome(status, line, detail))

    def _expect_error(
        self, line: int, what: str, source: "wast.ModuleSource", classes: Tuple[type, ...], message: str
    ) -> None:
        try:
            load_source(source)
        except classes as exc:
            if not exc.message.startswith(message):
                self.result.wording_differs.append((line, message, exc.message))
            self._outcome("passed", line)
            return
        except WasmError as exc:
            self._outcome("failed", line, f"{what}: expected {message!r}, got {_describe(exc)}")
            return
        self._outcome("failed", line, f"{what}: expected {message!r}, but the module is accepted")

    # -- commands ---------------------------------------------------------------------

    def _module(self, cmd: "wast.ModuleCmd") -> None:
        try:
            module = load_source(cmd.source)
        except WasmError as exc:
            self._outcome("failed", cmd.line, f"module: {_describe(exc)}")
            return
        self.modules[None] = module
        if cmd.name is not None:
            self.modules[cmd.name] = module
        self._outcome("passed", cmd.line)

    def _malformed(self, cmd: "wast.AssertMalformed") -> None:
        self._expect_error(cmd.line, "assert_malformed", cmd.source, (DecodeError, ParseError), cmd.message)

    def _invalid(self, cmd: "wast.AssertInvalid") -> None:
        self._expect_error(cmd.line, "assert_invalid", cmd.source, (ValidationError,), cmd.message)

    def _needs_engine(self, cmd: object) -> None:
        raise _Skip("needs the execution engine")

    def _register(self, cmd: "wast.Register") -> None:
        """Registering needs instances; until the engine lands there is nothing to count."""

    _handlers: Dict[str, Callable[["ScriptRunner", object], None]] = {
        "ModuleCmd": _module,
        "AssertMalformed": _malformed,
        "AssertInvalid": _invalid,
        "Register": _register,
        "Action": _needs_engine,
        "AssertReturn": _needs_engine,
        "AssertTrap": _needs_engine,
        "AssertExhaustion": _needs_engine,
        "AssertUnlinkable": _needs_engine,
        "AssertUninstantiable": _needs_engine,
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
