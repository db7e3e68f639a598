"""Start-up in ``auto`` mode: what tier 0 ran is compiled into the disk cache at exit
(``engine.prefill``), within its budget, and the next process starts in tier 1; a
small module's functions that loop go to tier 1 on their first call."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, List

import pytest

from wasmlite import engine
from wasmlite.engine import cache, codegen, interp, prefill
from wasmlite.runtime import ModuleInstance
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WAT = """(module
  (func $sq (param i32) (result i32)  ;; (it branches: called, not inlined into f)
    (if (result i32) (local.get 0) (then (i32.mul (local.get 0) (local.get 0))) (else (i32.const 0))))
  (func $never (result i32) (i32.const 7))
  (func (export "f") (param i32) (result i32) (i32.add (call $sq (local.get 0)) (i32.const 1)))
  (func (export "sum") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))"""


@pytest.fixture(autouse=True)
def auto_tier(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "auto")
    monkeypatch.setattr(prefill, "_ran", {})
    cache.clear_memory()


def load() -> ModuleInstance:
    module = parse_module(WAT)
    validate_module(module)
    return instantiate(module, [], engine.call)


def cache_files(d: Any) -> List[str]:
    return sorted(f for _, _, fs in os.walk(str(d)) for f in fs)


def test_ran_functions_compiled_at_exit(tmp_path: Any) -> None:
    inst = load()
    assert engine.call(inst.exports["f"], [5]) == [26]
    assert isinstance(inst.exports["f"].compiled, interp.Compiled)  # not hot: tier 0
    assert cache_files(tmp_path) == []
    prefill.fill()
    files = cache_files(tmp_path)  # f and $sq ($never never ran), and their pack
    assert len(files) == 3 and len([f for f in files if "-pack-" in f]) == 1

    cache.clear_memory()  # as in a new process: the disk only
    inst = load()
    assert engine.call(inst.exports["f"], [6]) == [37]
    assert isinstance(inst.exports["f"].compiled, codegen.Tier1)
    assert isinstance(inst.funcs[0].compiled, codegen.Tier1)
    assert inst.funcs[1].compiled is None


def test_budget_bounds_the_exit_work(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefill, "EXIT_MAX_SECONDS", -1.0)
    engine.call(load().exports["f"], [5])
    prefill.fill()
    assert cache_files(tmp_path) == []


def test_loading_times_itself_without_the_cpu_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tier-0 loading in auto mode adds up its time (``interp.load_seconds``, the exit
    work's budget) by ``perf_counter``: reading the CPU clock is a system call, and a
    big program's start loads thousands of segments and runs, each timed."""
    import time

    readings: List[str] = []
    monkeypatch.setattr(time, "process_time", lambda: readings.append("cpu") or 0.0)
    monkeypatch.setattr(interp, "process_time", time.process_time, raising=False)
    monkeypatch.setattr(interp, "load_seconds", 0.0)
    inst = load()
    assert engine.call(inst.exports["f"], [5]) == [26] and engine.call(inst.exports["sum"], [30]) == [465]
    assert readings == [] and interp.load_seconds > 0


def test_exit_work_stops_when_the_disk_refuses(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache directory that cannot be created (as read-only or full: under a file)
    costs one compile at exit, not the whole budget."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(blocker / "cache"))
    engine.call(load().exports["f"], [5])
    compiled: List[int] = []
    monkeypatch.setattr(codegen, "compile_source", lambda gen, real=codegen.compile_source: (
        compiled.append(1), real(gen))[1])
    prefill.fill()
    assert len(compiled) == 1  # f's; $sq, also noted, is not tried
    assert not cache.writable()


def test_nothing_noted_without_disk_cache_or_outside_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    engine.call(load().exports["f"], [5])
    assert prefill._ran == {}
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "x")
    monkeypatch.setattr(interp, "TIER", "0")
    engine.call(load().exports["f"], [5])
    assert prefill._ran == {}


def test_each_function_noted_once() -> None:
    for _ in range(3):
        engine.call(load().exports["f"], [5])
    ((_, _, indices),) = prefill._ran.values()
    assert list(indices) == [2, 0]  # f, then $sq


def test_modules_held_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefill, "MAX_MODULES", 2)
    for k in range(4):
        module = parse_module(WAT.replace("i32.const 1", f"i32.const {k}"))
        validate_module(module)
        engine.call(instantiate(module, [], engine.call).exports["f"], [1])
    assert len(prefill._ran) == 2


SCRIPT = f"""
import wasmlite
from wasmlite.engine import codegen
inst = wasmlite.Linker().instantiate(wasmlite.Store(), {WAT!r})
print(inst.exports.f(4), type(inst.exports.f._function.compiled) is codegen.Tier1)
"""


def run_script(script: str, cache_dir: Any) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"), WASMLITE_TIER="auto",
               WASMLITE_CACHE_DIR=str(cache_dir))
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)


def test_next_process_starts_in_tier1(tmp_path: Any) -> None:
    """The exit hook itself: a second process finds every function it runs compiled."""
    runs = [run_script(SCRIPT, tmp_path) for _ in range(2)]
    assert [(r.stdout, r.stderr) for r in runs] == [("17 False\n", ""), ("17 True\n", "")]


def test_nothing_compiled_after_an_interrupt(tmp_path: Any) -> None:
    out = run_script(SCRIPT + "raise KeyboardInterrupt\n", tmp_path)
    assert out.stdout == "17 False\n" and out.stderr.endswith("KeyboardInterrupt\n")
    assert cache_files(tmp_path) == []


def test_small_module_loops_start_in_tier1(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = load()
    assert engine.call(inst.exports["sum"], [4]) == [10]
    assert engine.call(inst.exports["f"], [2]) == [5]
    assert isinstance(inst.exports["sum"].compiled, codegen.Tier1)  # loops: at once
    assert isinstance(inst.exports["f"].compiled, interp.Compiled)  # no loop: tier 0
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    cache.clear_memory()  # (the first instance's code is there)
    inst = load()
    assert engine.call(inst.exports["sum"], [4]) == [10]
    assert isinstance(inst.exports["sum"].compiled, interp.Compiled)  # a big module's: tier 0 first


def test_small_module_functions_translated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tier 1 compiles a small module's looping function from the translation that
    decided it (tier 0's IR is the same): once, not once per tier."""
    seen: List[int] = []
    for mod, name in ((codegen, "translate"), (interp, "translate_function")):
        real = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda m, i, v=None, real=real: seen.append(i) or real(m, i, v))
    inst = load()
    assert engine.call(inst.exports["sum"], [4]) == [10]
    assert engine.call(inst.exports["f"], [2]) == [5]
    assert isinstance(inst.exports["sum"].compiled, codegen.Tier1)
    assert sorted(seen) == [0, 2, 3]  # $sq, f (tier 0) and sum (tier 1), once each


CALLER = """(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $dec)
  (func $sq (param i32) (result i32)  ;; (it branches: called, not inlined)
    (if (result i32) (local.get 0) (then (i32.mul (local.get 0) (local.get 0))) (else (i32.const 0))))
  (func $dec (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.sub (local.get 0) (i32.const 1))) (else (i32.const 0))))
  (func $once (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "sum") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (call $sq (local.get 0))))
      (br_if $l (local.tee 0 (call_indirect (type $t) (local.get 0) (i32.const 0)))))
    (local.get 1))
  (func (export "host") (param i32) (result i32) (call $once (local.get 0))))"""


@pytest.mark.parametrize("small", [True, False])
def test_small_module_callees_of_tier1_code_start_in_tier1(monkeypatch: pytest.MonkeyPatch, small: bool) -> None:
    """In a small module, what tier-1 code calls (directly or through a table) goes to
    tier 1 at its first call; a big module's callees, and what tier 0 calls, start
    in tier 0."""
    if not small:
        monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)
    module = parse_module(CALLER)
    validate_module(module)
    inst = instantiate(module, [], engine.call)
    assert engine.call(inst.exports["sum"], [3]) == [14]
    assert engine.call(inst.exports["host"], [3]) == [1]
    kinds = [type(f.compiled) for f in inst.funcs]
    want = codegen.Tier1 if small else interp.Compiled
    assert kinds[:3] == [want, want, interp.Compiled]  # $sq, $dec; $once is tier 0's callee
    assert kinds[3] is (codegen.Tier1 if small else interp.Compiled)  # sum loops


def test_cache_writes_make_their_directory_and_leave_no_temporary(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry goes to a temporary named after the process, then to its place; a
    name already taken (a process of the same id in another PID namespace) falls
    back to a random one."""
    import itertools

    monkeypatch.setattr(cache, "_serial", itertools.count(7))
    cache.put(("ab" * 8, 1), ("entry", 1))
    sub = tmp_path / "ab"
    (sub / f".tmp-{os.getpid()}-8").write_bytes(b"someone else's")
    cache.put(("ab" * 8, 2), ("entry", 2))
    names = sorted(os.listdir(str(sub)))
    assert names[0] == f".tmp-{os.getpid()}-8" and len(names) == 3
    cache.clear_memory()
    assert [cache.get(("ab" * 8, i), lambda e: True) for i in (1, 2)] == [("entry", 1), ("entry", 2)]
    assert cache.writable()


def test_a_fresh_cache_opens_nothing_missing_and_makes_one_directory(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small module's first call on an empty cache directory: ``known`` lists the
    module's directory, and nothing absent from that listing is opened after it (a
    pack and an entry file were, each a failed open). The validated marker sits in
    that same directory, so the whole cold start makes one directory (three
    before: a ``mkdir`` costs about what validating a small module does)."""
    import wasmlite
    from wasmlite.text import wat2wasm

    opened: List[str] = []

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(path)
        return open(path, *args, **kwargs)

    monkeypatch.setattr(cache, "open", counting, raising=False)
    module = wasmlite.Module(wat2wasm(WAT)).syntax
    inst = instantiate(module, [], engine.call)
    assert engine.call(inst.exports["sum"], [3]) == [6]
    assert isinstance(inst.exports["sum"].compiled, codegen.Tier1)  # compiled, so its entry written
    assert opened == []
    assert os.listdir(str(tmp_path)) == [module.digest[:2]]
    names = os.listdir(str(tmp_path / module.digest[:2]))
    assert len(names) == 2 and any("-valid-" in n for n in names)


def entry_files(d: Any) -> List[str]:
    return [os.path.join(r, f) for r, _, fs in os.walk(str(d)) for f in fs if "-pack-" not in f]


def pack_file(d: Any) -> str:
    (path,) = [os.path.join(r, f) for r, _, fs in os.walk(str(d)) for f in fs if "-pack-" in f]
    return path


def test_next_process_reads_the_pack(tmp_path: Any) -> None:
    """The exit fill gathers a module's entries into one pack: a new process finds
    them there (here: their files are gone), and opens no file per function."""
    engine.call(load().exports["f"], [5])
    prefill.fill()
    for path in entry_files(tmp_path):
        os.unlink(path)
    cache.clear_memory()  # as in a new process
    inst = load()
    assert engine.call(inst.exports["f"], [6]) == [37]
    assert isinstance(inst.exports["f"].compiled, codegen.Tier1)
    assert isinstance(inst.funcs[0].compiled, codegen.Tier1)
    assert inst.funcs[1].compiled is None


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x7b\x00"])  # (a truncated dict)
def test_a_damaged_pack_is_ignored(tmp_path: Any, damage: bytes) -> None:
    engine.call(load().exports["f"], [5])
    prefill.fill()
    with open(pack_file(tmp_path), "wb") as f:
        f.write(damage)
    cache.clear_memory()
    inst = load()
    assert engine.call(inst.exports["f"], [6]) == [37]
    assert isinstance(inst.exports["f"].compiled, codegen.Tier1)  # from its own file


def test_a_damaged_entry_in_the_pack_falls_back_to_its_file(tmp_path: Any) -> None:
    import marshal

    engine.call(load().exports["f"], [5])
    prefill.fill()
    path = pack_file(tmp_path)
    with open(path, "rb") as f:
        blobs = marshal.load(f)
    with open(path, "wb") as f:
        marshal.dump({i: b"\xff" + b[1:] for i, b in blobs.items()}, f)
    cache.clear_memory()
    inst = load()
    assert engine.call(inst.exports["f"], [6]) == [37]
    assert isinstance(inst.exports["f"].compiled, codegen.Tier1)


def test_a_pack_of_other_sources_is_not_read(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.call(load().exports["f"], [5])
    prefill.fill()
    for path in entry_files(tmp_path):
        os.unlink(path)
    cache.clear_memory()
    monkeypatch.setattr(cache, "_stamp", ["other"])  # code generated from other sources
    inst = load()
    assert engine.call(inst.exports["f"], [6]) == [37]
    assert isinstance(inst.exports["f"].compiled, interp.Compiled)


def test_pack_rewritten_only_for_new_entries(tmp_path: Any) -> None:
    """A process whose pack holds every entry on disk leaves it alone; one that
    finds more entries (its own, or another process's) writes a pack of all."""
    inst = load()
    engine.call(inst.exports["f"], [5])
    prefill.fill()
    first = os.stat(pack_file(tmp_path)).st_ino
    cache.clear_memory()
    inst = load()
    engine.call(inst.exports["f"], [5])  # all in the pack: tier 1, nothing noted
    prefill.fill()
    assert os.stat(pack_file(tmp_path)).st_ino == first
    cache.clear_memory()
    engine.call(load().exports["sum"], [3])  # (a loop: tier 1 at once, its entry written)
    key = codegen._key(inst.funcs[0])[0]
    cache.pack(key)
    second = os.stat(pack_file(tmp_path)).st_ino
    assert second != first
    cache.pack(key)  # (what it wrote, it holds)
    assert os.stat(pack_file(tmp_path)).st_ino == second
    for path in entry_files(tmp_path):
        os.unlink(path)
    cache.clear_memory()
    assert [cache.known((key, i)) for i in range(4)] == [True, False, True, True]
