"""The execution engine: ``call(func, args) -> results``.

Functions are translated to the register IR (``wasmlite.translate``) and loaded
into tier 0 (``interp``) lazily, on their first call; hot ones are compiled to
Python (``codegen``, tier 1, with the disk cache of ``cache``), and
``WASMLITE_TIER`` forces either tier (see ``interp``). Deep wasm recursion is
Python recursion: ``call`` raises the interpreter's recursion limit as far as
``interp.MAX_CALL_DEPTH`` needs, and where every Python call also takes C stack
(CPython before 3.11, PyPy: measured to crash near 18,000 wasm frames on the
default 8 MiB stack) gives the outermost call a large C stack (``stack``: the
initial thread's, grown, or a new thread's).
Whatever the guest does, only ``WasmError`` subclasses come out; what a host
function raises comes out unchanged (carried through the wasm frames as a
``HostError``).

Call the engine from one thread at a time: the call depth and the per-instance
validators used for translation are shared state.
"""

from __future__ import annotations

import sys
from typing import Any, List

from ..errors import HostError, Trap
from ..runtime.objects import Function, HostFunction, WasmFunction
from . import interp, stack
from .codegen import Tier1

__all__ = ["call", "call_carrying", "ensure_recursion_limit", "needs_big_stack"]

_FRAMES_PER_CALL = 3  # Python frames one wasm call costs, with room for helpers
needs_big_stack = sys.implementation.name != "cpython" or sys.version_info < (3, 11)
"""Whether outermost calls must go through ``call`` (which gives them a large C
stack, see ``stack``) rather than straight into tier-1 code."""


def _call(func: Function, args: List[Any]) -> List[Any]:
    try:
        if isinstance(func, WasmFunction):
            if interp._depth == 0 and interp.TIER == "auto":
                return _from_host(func, args)
            return _enter(func, args)
        if isinstance(func, HostFunction):
            return interp.call_host(func, list(args))
        raise TypeError(f"not a function: {func!r}")
    except RecursionError:
        pass
    # Raised outside the handler: there PyPy records the RecursionError as the trap's
    # context, which can itself fail this close to the stack's limit (a TypeError).
    # If even the trap cannot be made here, the RecursionError goes up to a caller
    # with more room (a host function's caller turns it into this trap too).
    raise Trap(interp.EXHAUSTED)


def _enter(func: WasmFunction, args: List[Any]) -> List[Any]:
    c = interp.compiled(func)
    if c.__class__ is Tier1:  # straight in, without tier 0's frame
        r = c.fn(*args, interp._depth)  # type: ignore[attr-defined]  # (mypy < 2 does not narrow on __class__)
        return [r] if c.hi - c.lo == 1 else list(r or ())
    return interp._run(c, list(args))


def _from_host(func: WasmFunction, args: List[Any]) -> List[Any]:
    """An outermost call, in ``auto`` mode: tier-up counts what the host repeats."""
    interp.host_call_begins(func)
    try:
        return _enter(func, args)
    finally:
        interp.host_call_ends(func)


def call(func: Function, args: List[Any]) -> List[Any]:
    """Call ``func`` with run-time values ``args``; the list of its results.

    Raises ``Trap`` (with the spec's message) when execution traps, and what a host
    function raised, unchanged.
    """
    try:
        return call_carrying(func, args)
    except HostError as carrier:
        error = carrier.error
    raise error  # outside the handler: the host's exception, its context untouched


def call_carrying(func: Function, args: List[Any]) -> List[Any]:
    """``call``, but with a host function's exception still in its ``HostError``.

    A call from a host function that wasm called (depth above 0) finds the
    recursion limit and the C stack set up by the outermost call, and goes straight
    into tier-1 code when the callee has some: programs that call back into wasm
    for every ``invoke_*`` or ``qsort`` comparison make tens of thousands of these."""
    if interp._depth:
        if func.__class__ is WasmFunction:
            c = func.compiled  # type: ignore[attr-defined]  # (mypy < 2 does not narrow on __class__)
            if c.__class__ is Tier1:
                try:
                    r = c.fn(*args, interp._depth)
                except RecursionError:
                    pass  # the trap is raised below, outside the handler (see ``_call``)
                else:
                    return [r] if c.hi - c.lo == 1 else list(r or ())
                raise Trap(interp.EXHAUSTED)
        return _call(func, args)
    ensure_recursion_limit()
    try:
        if needs_big_stack:
            return stack.run_outermost(_call, func, args)
        return _call(func, args)
    finally:
        # The outermost call leaves no depth behind, whatever escaped it: in full test
        # runs PyPy, unwinding from its stack's limit, has been seen to leave 1 here
        # (every later call then passed for a nested one).
        interp._depth = 0


def ensure_recursion_limit() -> None:
    """Let Python recurse as deep as ``interp.MAX_CALL_DEPTH`` wasm calls need."""
    needed = interp.MAX_CALL_DEPTH * _FRAMES_PER_CALL + 1000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)
