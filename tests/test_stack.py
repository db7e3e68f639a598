"""Tests of where outermost calls run (``wasmlite.engine.stack``): in place on the
initial thread with its stack limit raised for the call, on a new thread with a big
stack anywhere else, and the same depth limit either way."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional

import pytest

from wasmlite import engine, syntax
from wasmlite.engine import interp, stack
from wasmlite.errors import Trap
from wasmlite.runtime import HostFunction, ModuleInstance
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module

resource = pytest.importorskip("resource")

WAT = """(module
 (import "env" "look" (func $look (param i32) (result i32)))
 (func $depth (export "depth") (param i32) (result i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (call $look (i32.const 0)))
     (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
 (func $forever (export "forever") (call $forever)))"""


class Seen:
    """What the host function saw while the wasm ran: thread and stack limits."""

    def __init__(self) -> None:
        self.thread: Optional[threading.Thread] = None
        self.limits: Any = None

    def look(self, x: int) -> int:
        self.thread = threading.current_thread()
        self.limits = resource.getrlimit(resource.RLIMIT_STACK)
        return x


@pytest.fixture
def prog(monkeypatch: pytest.MonkeyPatch) -> Dict[str, Any]:
    monkeypatch.setattr(engine, "needs_big_stack", True)  # as on PyPy and CPython < 3.11
    seen = Seen()
    module = parse_module(WAT)
    validate_module(module)
    i_i = syntax.FuncType((syntax.I32,), (syntax.I32,))
    inst: ModuleInstance = instantiate(module, [HostFunction(i_i, seen.look, "look")], engine.call)
    return {"inst": inst, "seen": seen}


def call(prog: Dict[str, Any], name: str, *args: int) -> List[Any]:
    return engine.call(prog["inst"].exports[name], list(args))


def in_thread(fn: Any) -> Any:
    """``fn()`` run on an ordinary new thread; its result, or what it raised, raised again."""
    box: List[Any] = []
    t = threading.Thread(target=lambda: box.append(_outcome(fn)))
    t.start()
    t.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _outcome(fn: Any) -> Any:
    try:
        return True, fn()
    except BaseException as exc:
        return False, exc


def test_free_below_stack() -> None:
    maps = ("55d0a0000000-55d0a0001000 r--p 00000000 08:01 1 /usr/bin/python3\n"
            "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
            "7ffd10000000-7ffd10021000 rw-p 00000000 00:00 0                          [stack]\n"
            "7ffd10100000-7ffd10102000 r-xp 00000000 00:00 0                          [vdso]\n")
    assert stack.free_below_stack(maps) == 0x7FFD10000000 - 0x7F0000100000
    assert stack.free_below_stack(maps.replace("[stack]", "")) == 0


needs_initial_thread = pytest.mark.skipif(
    stack._initial_ident != threading.get_ident() or stack._limits_in_place() is None,
    reason="not on the process's initial thread of a Linux process whose stack may grow")


@needs_initial_thread
def test_in_place_on_the_initial_thread(prog: Dict[str, Any]) -> None:
    before = resource.getrlimit(resource.RLIMIT_STACK)
    assert call(prog, "depth", 10000) == [10000]
    assert prog["seen"].thread is threading.current_thread()
    soft, hard = before
    if soft != resource.RLIM_INFINITY:
        assert prog["seen"].limits == (soft + stack.STACK_BYTES, hard)
    assert resource.getrlimit(resource.RLIMIT_STACK) == before  # put back
    with pytest.raises(Trap, match="call stack exhausted"):
        call(prog, "forever")
    assert resource.getrlimit(resource.RLIMIT_STACK) == before
    assert interp._depth == 0


def test_other_threads_use_a_new_thread(prog: Dict[str, Any]) -> None:
    assert in_thread(lambda: call(prog, "depth", 10000)) == [10000]
    assert prog["seen"].thread.name == "wasmlite-call"
    with pytest.raises(Trap, match="call stack exhausted"):
        in_thread(lambda: call(prog, "forever"))


@needs_initial_thread
def test_hard_limit_in_the_way(prog: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    small = (8 << 20, 8 << 20)
    monkeypatch.setattr(stack._resource, "getrlimit", lambda which: small)
    monkeypatch.setattr(stack._resource, "setrlimit", lambda which, limits: pytest.fail("limits changed"))
    assert call(prog, "depth", 100) == [100]
    assert prog["seen"].thread.name == "wasmlite-call"


@needs_initial_thread
def test_no_room_below_the_stack(prog: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "_free_below", stack.STACK_BYTES // 2)
    assert call(prog, "depth", 100) == [100]
    assert prog["seen"].thread.name == "wasmlite-call"


def test_same_depth_limit_wherever_the_call_runs(prog: Dict[str, Any]) -> None:
    limit = interp.MAX_CALL_DEPTH  # depth(n) takes n + 1 wasm frames and a host call
    here = [call(prog, "depth", limit - 1)]
    there = [in_thread(lambda: call(prog, "depth", limit - 1))]
    assert here == there == [[limit - 1]]
    for run in (lambda: call(prog, "depth", limit), lambda: in_thread(lambda: call(prog, "depth", limit))):
        with pytest.raises(Trap, match="call stack exhausted"):
            run()


def test_forked_child_forgets_the_initial_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook ``os.register_at_fork`` runs in a child: only a fork from the initial
    thread keeps it (a child of another thread runs on that thread's stack)."""
    monkeypatch.setattr(stack, "_initial_ident", threading.get_ident())
    in_thread(stack._forget_initial_thread)
    assert stack._initial_ident is None
    monkeypatch.setattr(stack, "_initial_ident", threading.get_ident())
    stack._forget_initial_thread()
    assert stack._initial_ident == threading.get_ident()
