"""Where an outermost call runs: on a C stack with ``STACK_BYTES`` of room.

Where every Python call also takes C stack (CPython before 3.11, PyPy), wasm
recursion ``interp.MAX_CALL_DEPTH`` deep needs more than the usual 8 MiB
(measured for 12,000 frames: 5-7 MiB when wasm calls wasm; 11-25 MiB when every
other frame is a host function calling back into wasm, on PyPy 7.3 and CPython
3.9). So every outermost call gets ``STACK_BYTES`` of fresh stack, and the
trap "call stack exhausted" comes from the depth count, at the same depth,
wherever the call runs:

* on the process's initial thread (Linux), in place: the kernel grows that stack
  on demand up to the soft ``RLIMIT_STACK`` as it stands at each fault, so the
  call raises the soft limit by ``STACK_BYTES`` and puts it back when it returns
  (2-4 us a call). Only when the hard limit allows, and the address space below
  the stack is free that far (``/proc/self/maps``, read once). The pages the
  stack grew into stay with the process.
* anywhere else, on a new thread with a ``STACK_BYTES`` stack: 180-240 us a call.

The initial thread is known by its ``threading.get_ident()`` when this module is
imported there (its native id is the process id). A child forked from another
thread runs on that thread's stack, so it forgets the initial thread (the hook
of ``os.register_at_fork``). Not covered: a process forked from a thread other
than the initial one that imports wasmlite only afterwards; on Linux its forking
thread looks like an initial thread but runs on its own, fixed stack.
"""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["STACK_BYTES", "free_below_stack", "run_outermost"]

Call = Callable[[Any, List[Any]], List[Any]]
Limits = Tuple[int, int]

STACK_BYTES = 512 * 1024 * 1024

_GUARD_BYTES = 1 << 20
"""The gap Linux keeps between a growing stack and the mapping below it (``stack_guard_gap``)."""

_initial_ident: Optional[int] = None
"""``threading.get_ident()`` of the thread that runs on the process's initial stack, when known."""

_free_below: Optional[int] = None
"""Bytes between the initial stack and the mapping below it, less the guard gap (None: not read yet)."""

if sys.platform.startswith("linux") and threading.get_native_id() == os.getpid():
    _initial_ident = threading.get_ident()

_resource: Optional[ModuleType] = None
"""The ``resource`` module, imported on the first call that may run in place (21 ms on PyPy)."""


def _forget_initial_thread() -> None:
    """After a fork: the child's thread is the initial one's only if it forked from it."""
    global _initial_ident
    if threading.get_ident() != _initial_ident:
        _initial_ident = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_initial_thread)


def free_below_stack(maps: str) -> int:
    """Bytes free between the ``[stack]`` mapping of ``maps`` (``/proc/self/maps``'s
    text) and the mapping below it; 0 when there is no ``[stack]``."""
    below = 0
    for line in maps.splitlines():
        start, _, rest = line.partition("-")
        if line.endswith("[stack]"):
            return int(start, 16) - below
        below = int(rest.split(None, 1)[0], 16)
    return 0


def _growth_allowed() -> int:
    """Bytes the initial stack may grow by (looked up once, with ``resource``'s import)."""
    global _free_below, _resource
    if _free_below is None:
        import resource

        _resource = resource
        try:
            with open("/proc/self/maps", encoding="ascii") as f:
                _free_below = free_below_stack(f.read()) - _GUARD_BYTES
        except OSError:
            _free_below = 0
    return _free_below


def _limits_in_place() -> Optional[Tuple[Limits, Limits]]:
    """The stack limits now and those to run with, if this thread's stack can have
    ``STACK_BYTES`` more room; else None."""
    if threading.get_ident() != _initial_ident:
        return None
    free = _growth_allowed()
    assert _resource is not None
    soft, hard = _resource.getrlimit(_resource.RLIMIT_STACK)
    if soft == _resource.RLIM_INFINITY:
        raised = soft
        needed = STACK_BYTES
    else:
        raised = needed = soft + STACK_BYTES
        if hard != _resource.RLIM_INFINITY and hard < raised:
            return None
    if free < needed:
        return None
    return (soft, hard), (raised, hard)


def _on_new_thread(call: Call, func: Any, args: List[Any]) -> List[Any]:
    """``call(func, args)`` on a thread with a ``STACK_BYTES`` stack (on this one if none can be made)."""
    box: List[Any] = []

    def target() -> None:
        try:
            box.append((True, call(func, args)))
        except BaseException as exc:  # handed over to the calling thread
            box.append((False, exc))

    old = threading.stack_size()
    try:
        threading.stack_size(STACK_BYTES)
        t = threading.Thread(target=target, name="wasmlite-call")
        t.start()
    except (ValueError, RuntimeError):  # no room for such a stack: run in place
        return call(func, args)
    finally:
        threading.stack_size(old)
    t.join()
    ok, value = box[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def run_outermost(call: Call, func: Any, args: List[Any]) -> List[Any]:
    """``call(func, args)`` with ``STACK_BYTES`` of C stack: in place where this
    thread's stack can grow that far, else on a new thread."""
    limits = _limits_in_place()
    if limits is None:
        return _on_new_thread(call, func, args)
    now, raised = limits
    if raised == now:
        return call(func, args)
    assert _resource is not None
    try:
        _resource.setrlimit(_resource.RLIMIT_STACK, raised)
    except (ValueError, OSError):
        return _on_new_thread(call, func, args)
    try:
        return call(func, args)
    finally:
        _resource.setrlimit(_resource.RLIMIT_STACK, now)
