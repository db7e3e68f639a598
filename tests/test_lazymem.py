"""Linear memory backed by an anonymous mmap (lazily zero-filled) or a bytearray:
the same module, host calls and WASI calls give the same results and the same
bytes in both, in both tiers; growth keeps the object and fails without a change."""
from __future__ import annotations

import array
import mmap
import sys
from typing import Any, List

import pytest

from conftest import to_tier1
from wasmlite import Memory, MemoryType, Store, WasmError, engine, syntax
from wasmlite.engine import cache, interp
from wasmlite.errors import Trap
from wasmlite.runtime import objects
from wasmlite.runtime.instantiate import instantiate
from wasmlite.runtime.objects import PAGE_SIZE, MemoryInstance
from wasmlite.text import parse_module
from wasmlite.validate import validate_module
from wasmlite.wasi import CAPTURE, Wasi, WasiConfig

MMAP_HERE = sys.implementation.name == "cpython" and sys.platform.startswith("linux")
BACKINGS = ["bytearray", "mmap"]


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "0")
    cache.clear_memory()


def backing(monkeypatch: pytest.MonkeyPatch, kind: str) -> type:
    """Make new memories of at least a byte ``kind``-backed; the type they get."""
    if kind == "mmap" and not MMAP_HERE:
        pytest.skip("anonymous maps grow in place only on CPython/Linux")
    monkeypatch.setattr(objects, "MMAP_MIN_BYTES", 1 if kind == "mmap" else 1 << 62)
    return mmap.mmap if kind == "mmap" else bytearray


def test_the_gate_is_cpython_on_linux() -> None:
    assert objects._mmap_grows() == MMAP_HERE
    big, small = objects.zeroed(objects.MMAP_MIN_BYTES), objects.zeroed(max(objects.MMAP_MIN_BYTES - PAGE_SIZE, 0))
    assert type(big) is (mmap.mmap if MMAP_HERE else bytearray) and type(small) is bytearray
    assert len(big) == objects.MMAP_MIN_BYTES and not any(bytes(big))


WAT = """(module
  (memory (export "mem") 17 30)
  (data (i32.const 70000) "hello\\00world")
  (data $p "passive-segment")
  (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load offset=2 (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load8s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "strlen") (param $p i32) (result i32) (local $q i32) (local $s i32)
    (local.set $s (local.get $p))
    (loop $l
      (local.set $q (local.get $p))
      (local.set $p (i32.add (local.get $q) (i32.const 1)))
      (br_if $l (i32.load8_u (local.get $q))))
    (i32.sub (local.get $q) (local.get $s))))"""

END = 17 * PAGE_SIZE
CALLS: List[Any] = [
    ("load", [70000]), ("strlen", [70000]), ("strlen", [70006]), ("strlen", [5]),
    ("store", [8, 0x0102030405060708]), ("load", [8]), ("load32", [7]), ("store", [END - 8, 0xFFFFFFFFFFFFFFFF]),
    ("load", [END - 8]), ("load", [END - 7]), ("store", [END - 4, 1]), ("store8", [END - 1, 0x1FF]),
    ("load8s", [END - 1]), ("load8s", [END]), ("strlen", [END - 8]),
    ("fill", [100, 0xAB, 50]), ("fill", [END - 10, 7, 11]), ("copy", [110, 70000, 11]), ("copy", [105, 100, 40]),
    ("copy", [END - 4, 0, 5]), ("init", [300, 3, 7]), ("init", [END - 2, 0, 3]), ("init", [0, 10, 6]),
    ("size", []), ("grow", [3]), ("size", []), ("load", [END + 100]), ("store", [END + 3 * PAGE_SIZE - 8, 5]),
    ("load", [END + 3 * PAGE_SIZE - 8]), ("strlen", [END - 8]), ("grow", [11]), ("size", []),
    ("fill", [END + 5, 9, 2 * PAGE_SIZE]), ("strlen", [END + 5]), ("strlen", [END + 2 * PAGE_SIZE]),
]


def run_calls(tier: int) -> Any:
    module = parse_module(WAT)
    validate_module(module)
    inst = instantiate(module, [], engine.call)
    if tier:
        to_tier1(inst)
        assert 'M0.find(b"\\0", a)' in inst.exports["strlen"].compiled.gen.source
    data = inst.mems[0].data
    out: List[Any] = []
    for name, args in CALLS:
        try:
            out.append(engine.call(inst.exports[name], list(args)))
        except Trap as t:
            out.append(str(t))
    assert inst.mems[0].data is data  # grown in place
    return type(data), out, bytes(data)


@pytest.mark.parametrize("tier", [0, 1])
def test_a_module_runs_the_same_in_both_backings(monkeypatch: pytest.MonkeyPatch, tier: int) -> None:
    got = []
    for kind in BACKINGS:
        expected_type = backing(monkeypatch, kind)
        cache.clear_memory()
        t, out, data = run_calls(tier)
        assert t is expected_type
        got.append((out, data))
    assert got[0] == got[1]
    out, data = got[0]
    oob = "out of bounds memory access"
    assert out[1:4] == [[5], [5], [0]] and out[14] == oob and out[24:26] == [[17], [20]] and out[29] == [8]
    assert out[30:34] == [[0xFFFFFFFF], [20], [], [2 * PAGE_SIZE]] and out[34] == [5]
    assert len(data) == 20 * PAGE_SIZE and data[70000:70011] == b"hello\0world" and any(data[END:])


@pytest.mark.parametrize("kind", BACKINGS)
def test_a_failed_grow_keeps_the_contents_and_the_views(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    backing(monkeypatch, kind)
    mem = MemoryInstance(syntax.MemoryType(syntax.Limits(2)))
    mem.data[PAGE_SIZE - 3:PAGE_SIZE + 3] = b"abcdef"
    cell = (lambda v: lambda: v)(mem.view("I")).__closure__[0]  # type: ignore[index]
    mem.watch("I", cell)
    if sys.implementation.name == "cpython":  # (PyPy's bytearray resizes under a view: the Store refuses there)
        held = memoryview(mem.data)  # a host's view: resizing must fail
        assert mem.grow(1) == -1 and mem.pages == 2 and bytes(mem.data[PAGE_SIZE - 3:PAGE_SIZE + 3]) == b"abcdef"
        assert cell.cell_contents[PAGE_SIZE // 4] == int.from_bytes(b"def\0", "little")
        held.release()
    data = mem.data
    assert mem.grow(2) == 2 and mem.data is data and mem.pages == 4 and not any(bytes(data[2 * PAGE_SIZE:]))
    assert len(cell.cell_contents) == PAGE_SIZE and cell.cell_contents[PAGE_SIZE // 4] == int.from_bytes(b"def\0", "little")


@pytest.mark.skipif(not MMAP_HERE, reason="anonymous maps grow in place only on CPython/Linux")
def test_a_map_that_cannot_resize_fails_the_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing(mmap.mmap):
        def resize(self, newsize: int) -> None:
            raise OSError(12, "Cannot allocate memory")

    mem = MemoryInstance(syntax.MemoryType(syntax.Limits(1)))
    mem.data = Refusing(-1, PAGE_SIZE, flags=mmap.MAP_PRIVATE)
    mem.data[10:13] = b"xyz"
    assert mem.grow(1) == -1 and mem.pages == 1 and bytes(mem.data[10:13]) == b"xyz"


@pytest.mark.parametrize("kind", BACKINGS)
def test_host_reads_writes_and_views(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    expected_type = backing(monkeypatch, kind)
    store = Store()
    memory = Memory(store, MemoryType(17))
    assert type(memory._memory.data) is expected_type
    memory.write(END - 3, b"xyz")
    memory.write(100, memoryview(array.array("I", [1, 2, 3])))  # its 12 bytes, not 3 items
    memory.write(200, bytearray(b"ba"))
    assert memory.data_len() == END and memory.read(END - 3, 3) == b"xyz"
    assert memory.read(100, 12) == array.array("I", [1, 2, 3]).tobytes() and memory.read(200, 2) == b"ba"
    with pytest.raises(Trap):
        memory.write(END - 2, b"xyz")
    with pytest.raises(Trap):
        memory.read(END - 2, 3)
    view = memory.view()
    view[5] = 42
    with pytest.raises(WasmError):
        memory.grow(1)
    view.release()
    assert memory.grow(1) == 17 and memory.read(5, 1) == b"*" and memory.read(END, PAGE_SIZE) == bytes(PAGE_SIZE)


@pytest.mark.parametrize("kind", BACKINGS)
def test_wasi_io_through_the_memory(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    expected_type = backing(monkeypatch, kind)
    wasi = Wasi(WasiConfig(stdin=b"input!", stdout=CAPTURE))
    mem = MemoryInstance(syntax.MemoryType(syntax.Limits(17)))
    assert type(mem.data) is expected_type
    wasi.bind_memory(mem)
    fn = {name: f.callable for name, f in wasi.imports().items()}
    iov = END - 16
    mem.data[iov:iov + 8] = (END - 100).to_bytes(4, "little") + (10).to_bytes(4, "little")
    assert fn["fd_read"](0, iov, 1, iov + 8) == 0 and mem.data[iov + 8] == 6
    assert bytes(mem.data[END - 100:END - 94]) == b"input!"
    mem.data[iov + 4:iov + 8] = (6).to_bytes(4, "little")
    assert fn["fd_write"](1, iov, 1, iov + 8) == 0 and wasi.stdout_bytes() == b"input!"
    with pytest.raises(Trap):  # the iovec array past the end: nothing written
        fn["fd_write"](1, END - 4, 1, 0)
    assert wasi.stdout_bytes() == b"input!"
