"""The embedding API: modules' types, instances, calls and value conversion, host
functions and their exceptions, memories, tables, globals, the linker."""

from __future__ import annotations

import struct
from typing import Tuple

import pytest

import wasmlite
from wasmlite import (
    F32Bits, F64Bits, Func, FuncType, Global, GlobalType, Instance, LinkError, Linker, Memory,
    MemoryType, Module, Store, Table, TableType, Trap, TrapCode, ValType, WasmError,
)
from wasmlite.engine import interp

I32, I64, F32, F64 = ValType.i32(), ValType.i64(), ValType.f32(), ValType.f64()


def instance(wat: str, *imports, store=None) -> Instance:
    return Instance(store or Store(), Module(wat), list(imports))


@pytest.fixture(params=["0", "1"])
def tier(request, monkeypatch):
    """Run the test with every function in tier 0, then in tier 1."""
    monkeypatch.setattr(interp, "TIER", request.param)
    return request.param


# -- modules and types ---------------------------------------------------------------------

def test_module_types() -> None:
    m = Module("""(module (import "env" "f" (func (param i32) (result i64)))
        (import "env" "m" (memory 1 2)) (import "env" "g" (global (mut f32)))
        (table (export "t") 3 funcref) (func (export "h") (param f64)) (global (export "c") i32 (i32.const 1))
        (export "mem" (memory 0)) (export "f" (func 0)))""")
    imports = [(i.module, i.name, i.type) for i in m.imports]
    assert imports == [("env", "f", FuncType([I32], [I64])), ("env", "m", MemoryType(1, 2)),
                       ("env", "g", GlobalType(F32, True))]
    exports = {e.name: e.type for e in m.exports}
    assert exports == {"t": TableType(ValType.funcref(), 3), "h": FuncType([F64], []),
                       "c": GlobalType(I32, False), "mem": MemoryType(1, 2), "f": FuncType([I32], [I64])}


def test_module_validate_and_from_file(tmp_path) -> None:
    assert Module.validate("(module)") is None
    with pytest.raises(wasmlite.ValidationError):
        Module.validate("(module (func (result i32)))")
    with pytest.raises(wasmlite.DecodeError):
        Module.validate(b"\0asm\x02\0\0\0")
    p = tmp_path / "m.wat"
    p.write_text('(module (func (export "one") (result i32) i32.const 1))')
    assert Instance(Store(), Module.from_file(str(p)), []).exports.one() == 1


def test_valtype_and_functype() -> None:
    assert ValType.i32() == ValType.from_name("i32") and str(ValType.externref()) == "externref"
    assert FuncType(["i32", "f64"], []) == FuncType([I32, F64], [])
    assert repr(ValType.v128()) == "ValType.v128()"
    with pytest.raises(ValueError):
        ValType.from_name("i16")
    with pytest.raises(TypeError):
        FuncType([int], [])  # type: ignore[list-item]


# -- instances and calls -------------------------------------------------------------------

def test_exports_by_attribute_and_name() -> None:
    inst = instance('(module (func (export "a-b") (result i32) i32.const 7) (func (export "x")))')
    assert inst.exports["a-b"]() == 7
    assert inst.exports.x() is None
    assert "x" in inst.exports and list(inst.exports) == ["a-b", "x"] and len(inst.exports) == 2
    with pytest.raises(AttributeError):
        inst.exports.nope
    with pytest.raises(KeyError):
        inst.exports["nope"]


def test_integers_in_signed_or_unsigned_out_signed(tier) -> None:
    inst = instance("""(module
        (func (export "id32") (param i32) (result i32) local.get 0)
        (func (export "id64") (param i64) (result i64) local.get 0))""")
    id32, id64 = inst.exports.id32, inst.exports.id64
    assert [id32(x) for x in (0, 1, -1, 0xFFFFFFFF, 0x80000000, -0x80000000, 0x7FFFFFFF)] == \
        [0, 1, -1, -1, -0x80000000, -0x80000000, 0x7FFFFFFF]
    assert id64(2**64 - 1) == -1 and id64(-2**63) == -2**63 and id64(2**63 - 1) == 2**63 - 1
    assert id32(True) == 1  # bool is an int
    for bad in (2**32, -2**31 - 1):
        with pytest.raises(ValueError):
            id32(bad)
    with pytest.raises(ValueError):
        id64(2**64)
    with pytest.raises(TypeError):
        id32(1.0)
    with pytest.raises(TypeError):
        id32("1")


def test_floats_and_multiple_results(tier) -> None:
    inst = instance("""(module (func (export "f") (param f32 f64) (result f64 f32)
        local.get 1 local.get 0))""")
    assert inst.exports.f(1.1, 2) == (2.0, struct.unpack("f", struct.pack("f", 1.1))[0])
    with pytest.raises(TypeError):
        inst.exports.f(1.0, "x")


@pytest.mark.parametrize("bits32,bits64", [(0x7FA00001, 0x7FF4000000000001), (0xFFC00000, 0xFFF8000000000000),
                                           (0x7F800001, 0x7FF0000000000001)])
def test_nan_payloads_survive_both_ways(tier, bits32: int, bits64: int) -> None:
    """Signalling NaNs in, through wasm locals, a store and a load, and back out."""
    seen = []

    def host(a, b):
        seen.append((a, b))
        return a, b

    linker = Linker()
    linker.define_func("env", "h", FuncType([F32, F64], [F32, F64]), host, raw=True)
    inst = linker.instantiate(Store(), """(module (import "env" "h" (func $h (param f32 f64) (result f32 f64)))
        (memory 1)
        (func (export "f") (param f32 f64) (result f32 f64)
          (f32.store (i32.const 0) (local.get 0)) (f64.store (i32.const 8) (local.get 1))
          (call $h (f32.load (i32.const 0)) (f64.load (i32.const 8)))))""")
    out = inst.exports.f.raw(F32Bits(bits32), F64Bits(bits64))
    assert out == (F32Bits(bits32), F64Bits(bits64))
    assert seen == [(F32Bits(bits32), F64Bits(bits64))]
    a, b = inst.exports.f(F32Bits(bits32), F64Bits(bits64))  # as floats: NaNs, f64 bits exact
    assert a != a and struct.pack("<d", b) == struct.pack("<Q", bits64)


def test_v128_and_references(tier) -> None:
    inst = instance("""(module
        (func (export "v") (param v128) (result v128) local.get 0)
        (func (export "r") (param externref funcref) (result funcref externref) local.get 1 local.get 0)
        (func (export "null") (param externref) (result i32) local.get 0 ref.is_null))""")
    assert inst.exports.v(2**128 - 1) == 2**128 - 1 and inst.exports.v(-1) == 2**128 - 1
    with pytest.raises(ValueError):
        inst.exports.v(2**128)
    token = object()
    f, e = inst.exports.r(token, inst.exports.v)
    assert e is token and f is inst.exports.v
    assert inst.exports.null(None) == 1 and inst.exports.null(0) == 0
    with pytest.raises(TypeError):
        inst.exports.r(None, len)
    with pytest.raises(ValueError):  # a Func of another store
        inst.exports.r(None, instance('(module (func (export "g")))').exports.g)


def test_wrong_argument_count_is_a_type_error() -> None:
    inst = instance('(module (func (export "f") (param i32)))')
    with pytest.raises(TypeError):
        inst.exports.f()
    with pytest.raises(TypeError):
        inst.exports.f(1, 2)


def test_trap_codes_and_frames(tier) -> None:
    inst = instance("""(module (memory 1) (table 1 funcref) (type $t (func))
        (func $inner (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
        (func $outer (export "outer") (result i32) (call $inner (i32.const 0)))
        (func (export "unreachable") unreachable)
        (func (export "oob") (result i32) (i32.load (i32.const 65536)))
        (func (export "null") (call_indirect (type $t) (i32.const 0)))
        (func $rec (export "rec") (call $rec))
        (func (export "ovf") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
        (func (export "conv") (result i32) (i32.trunc_f32_s (f32.const nan))))""")
    cases = {"unreachable": TrapCode.UNREACHABLE, "oob": TrapCode.MEMORY_OUT_OF_BOUNDS,
             "null": TrapCode.UNINITIALIZED_ELEMENT, "rec": TrapCode.STACK_OVERFLOW,
             "ovf": TrapCode.INT_OVERFLOW, "conv": TrapCode.BAD_CONVERSION_TO_INTEGER,
             "outer": TrapCode.INT_DIVIDE_BY_ZERO}
    for name, code in cases.items():
        with pytest.raises(Trap) as info:
            inst.exports[name]()
        assert info.value.code is code, name
    with pytest.raises(Trap) as info:
        inst.exports.outer()
    assert [f.name for f in info.value.frames] == ["inner", "outer"]


# -- host functions ------------------------------------------------------------------------

def test_host_functions_typed_by_annotations() -> None:
    def add(a: int, b: int) -> int:
        return a + b

    def pair(x: "f64") -> Tuple[float, "i64"]:  # noqa: F821 (a wasm type name)
        return x * 2, -1

    def nothing(x: ValType.i64()) -> None:  # type: ignore[valid-type]
        seen.append(x)

    seen = []
    linker = Linker()
    linker.define_func("env", "add", None, add)
    linker.define_func("env", "pair", None, pair)
    linker.define_func("env", "nothing", None, nothing)
    inst = linker.instantiate(Store(), """(module
        (import "env" "add" (func $add (param i32 i32) (result i32)))
        (import "env" "pair" (func $pair (param f64) (result f64 i64)))
        (import "env" "nothing" (func $nothing (param i64)))
        (func (export "f") (result i32) (call $add (i32.const -5) (i32.const 3)))
        (func (export "g") (result f64 i64) (call $pair (f64.const 1.5)))
        (func (export "h") (call $nothing (i64.const -1))))""")
    assert inst.exports.f() == -2 and inst.exports.g() == (3.0, -1)
    inst.exports.h()
    assert seen == [-1]
    with pytest.raises(TypeError):
        linker.define_func("env", "bad", None, lambda x: x)


def test_host_results_are_checked(tier) -> None:
    linker = Linker()
    linker.define_func("env", "one", FuncType([], [I32]), lambda: "x")
    linker.define_func("env", "two", FuncType([], [I32, I32]), lambda: 1)
    linker.define_func("env", "none", FuncType([], []), lambda: 1)
    linker.define_func("env", "big", FuncType([], [I32]), lambda: 2**32)
    inst = linker.instantiate(Store(), """(module
        (import "env" "one" (func $one (result i32))) (import "env" "two" (func $two (result i32 i32)))
        (import "env" "none" (func $none)) (import "env" "big" (func $big (result i32)))
        (func (export "one") (result i32) call $one) (func (export "two") (result i32 i32) call $two)
        (func (export "none") call $none) (func (export "big") (result i32) call $big))""")
    for name, error in (("one", TypeError), ("two", TypeError), ("none", TypeError), ("big", ValueError)):
        with pytest.raises(error):
            inst.exports[name]()


class Boom(Exception):
    pass


@pytest.mark.parametrize("raised", [Boom("boom"), struct.error("not a memory access"), RecursionError("deep"),
                                    KeyError("k"), WasmError("a wasm error of the host")])
def test_host_exceptions_propagate_unchanged(tier, raised: BaseException) -> None:
    """The very object, through wasm frames, nested host -> wasm -> host calls included."""
    def fail(x: int) -> int:
        raise raised

    linker = Linker()
    linker.define_func("env", "fail", None, fail)
    inst = linker.instantiate(Store(), """(module (import "env" "fail" (func $fail (param i32) (result i32)))
        (memory 1)
        (func (export "f") (param i32) (result i32) (i32.load (call $fail (local.get 0)))))""")
    for _ in range(3):
        with pytest.raises(type(raised)) as info:
            inst.exports.f(1)
        assert info.value is raised
        assert info.value.__context__ is None

    def outer(x: int) -> int:
        return inst.exports.f(x)  # raises, goes through this host function and wasm again

    linker2 = Linker()
    linker2.define_func("env", "fail", None, outer)
    inst2 = linker2.instantiate(Store(), """(module (import "env" "fail" (func $f (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) (call $f (local.get 0))))""")
    with pytest.raises(type(raised)) as info:
        inst2.exports.f(1)
    assert info.value is raised


def test_host_trap_gets_wasm_frames(tier) -> None:
    def fail() -> None:
        raise Trap("my trap")

    linker = Linker()
    linker.define_func("env", "fail", None, fail)
    inst = linker.instantiate(Store(), """(module (import "env" "fail" (func $fail))
        (func $w (export "w") call $fail))""")
    with pytest.raises(Trap) as info:
        inst.exports.w()
    assert info.value.code is TrapCode.HOST and [f.name for f in info.value.frames] == ["w"]


def test_caller_gives_the_calling_instance(tier) -> None:
    def peek(caller, ptr: int) -> int:
        assert caller.exports.mem is caller.memory
        caller.memory.write(ptr + 1, caller.memory.read(ptr, 1))
        return caller.exports.base.value + ptr

    linker = Linker()
    linker.define_func("env", "peek", None, peek, access_caller=True)
    wat = """(module (import "env" "peek" (func $p (param i32) (result i32)))
        (memory (export "mem") 1) (global (export "base") i32 (i32.const {base}))
        (data (i32.const 8) "A")
        (func (export "f") (result i32) (call $p (i32.const 8))))"""
    store = Store()
    a = linker.instantiate(store, wat.format(base=100))
    b = linker.instantiate(store, wat.format(base=200))
    assert a.exports.f() == 108 and b.exports.f() == 208
    assert a.exports.mem.read(8, 2) == b"AA"


def test_standalone_funcs() -> None:
    store = Store()
    double = Func(store, FuncType([I64], [I64]), lambda x: x * 2)
    assert double(-4) == -8 and double.type == FuncType([I64], [I64])
    linker = Linker()
    linker.define("env", "double", double)
    inst = linker.instantiate(store, """(module (import "env" "double" (func $d (param i64) (result i64)))
        (func (export "f") (param i64) (result i64) (call $d (local.get 0))))""")
    assert inst.exports.f(21) == 42
    with pytest.raises(LinkError):  # another store's
        linker.instantiate(Store(), """(module (import "env" "double" (func (param i64) (result i64))))""")
    half = Func(store, FuncType([F32], [F32]), lambda x: x, raw=True)
    assert half.raw(F32Bits(0x7F800001)) == F32Bits(0x7F800001)


# -- memories, tables, globals -------------------------------------------------------------

def test_memory_read_write_grow_view(tier) -> None:
    store = Store()
    mem = Memory(store, MemoryType(1, 3))
    linker = Linker()
    linker.define("env", "mem", mem)
    inst = linker.instantiate(store, """(module (import "env" "mem" (memory 1))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "get") (param i32) (result i32) (i32.load8_u (local.get 0))))""")
    mem.write(10, b"\x07\x08")
    assert inst.exports.get(11) == 8 and mem.read(10, 2) == b"\x07\x08"
    assert mem.size() == 1 and mem.data_len() == 65536
    with pytest.raises(Trap):
        mem.read(65535, 2)
    with pytest.raises(Trap):
        mem.write(-1, b"x")
    view = mem.view()
    view[12] = 9
    assert inst.exports.get(12) == 9
    assert inst.exports.grow(1) == -1  # a view is held: growing would move the buffer
    with pytest.raises(WasmError):
        mem.grow(1)
    view.release()
    assert inst.exports.grow(1) == 1 and mem.grow(1) == 2 and mem.size() == 3
    with pytest.raises(WasmError):  # past the maximum
        mem.grow(1)
    with mem.view() as v:
        assert len(v) == 3 * 65536


def test_tables_and_globals(tier) -> None:
    store = Store()
    inst = instance("""(module (table (export "t") 2 funcref) (table (export "e") 1 externref)
        (global (export "g") (mut i64) (i64.const -2)) (global (export "c") f32 (f32.const 1.5))
        (func $f (export "f") (result i32) i32.const 5) (elem (i32.const 0) $f)
        (type $t (func (result i32)))
        (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
        (func (export "getg") (result i64) global.get 0))""", store=store)
    t, e, g, c = inst.exports.t, inst.exports.e, inst.exports.g, inst.exports.c
    assert t.size() == 2 and t.get(0) is inst.exports.f and t.get(1) is None
    t.set(1, inst.exports.f)
    assert inst.exports.call(1) == 5
    assert t.grow(2, None) == 2 and t.size() == 4
    with pytest.raises(Trap):
        t.get(4)
    e.set(0, "anything")
    assert e.get(0) == "anything" and e.type == TableType(ValType.externref(), 1)
    assert g.value == -2
    g.value = 2**64 - 1
    assert inst.exports.getg() == -1 and g.type == GlobalType(I64, True)
    assert c.value == 1.5 and c.raw_value == F32Bits(0x3FC00000)
    with pytest.raises(WasmError):
        c.value = 2.0
    mine = Global(store, GlobalType(I32, False), 3)
    table = Table(store, TableType(ValType.funcref(), 1, 1), inst.exports.f)
    linker = Linker()
    linker.define("env", "g", mine)
    linker.define("env", "t", table)
    other = linker.instantiate(store, """(module (import "env" "g" (global i32))
        (import "env" "t" (table 1 1 funcref)) (type $t (func (result i32)))
        (func (export "f") (result i32) (i32.add (global.get 0) (call_indirect (type $t) (i32.const 0)))))""")
    assert other.exports.f() == 8


# -- linking -------------------------------------------------------------------------------

def test_linker_errors_and_define_instance() -> None:
    store = Store()
    linker = Linker()
    with pytest.raises(LinkError):
        linker.instantiate(store, '(module (import "env" "f" (func)))')
    linker.define_func("env", "f", FuncType([], []), lambda: None)
    with pytest.raises(LinkError):
        linker.define_func("env", "f", FuncType([], []), lambda: None)
    linker.allow_shadowing = True
    linker.define_func("env", "f", FuncType([I32], []), lambda x: None)
    with pytest.raises(LinkError):  # wrong type
        linker.instantiate(store, '(module (import "env" "f" (func)))')
    lib = linker.instantiate(store, '(module (func (export "seven") (result i32) i32.const 7) (memory (export "m") 1))')
    linker.define_instance("lib", lib)
    user = linker.instantiate(store, """(module (import "lib" "seven" (func $s (result i32)))
        (import "lib" "m" (memory 1)) (func (export "f") (result i32) call $s))""")
    assert user.exports.f() == 7 and store.instances == [lib, user]
    with pytest.raises(TypeError):
        linker.define("env", "x", 5)  # type: ignore[arg-type]
    with pytest.raises(LinkError):
        Instance(store, Module('(module (import "a" "b" (func)))'), [])
    with pytest.raises(LinkError):
        Instance(store, Module('(module (import "a" "b" (func)))'), [5])  # type: ignore[list-item]


def test_start_function_may_call_a_caller_taking_host() -> None:
    seen = []
    linker = Linker()

    def f(caller) -> None:
        seen.append(caller.memory.read(0, 2))
    linker.define_func("env", "f", None, f, access_caller=True)
    linker.instantiate(Store(), """(module (import "env" "f" (func $f)) (memory 1) (data (i32.const 0) "hi")
        (start $f))""")
    assert seen == [b"hi"]


# -- WASI ------------------------------------------------------------------------------------

WASI_HELLO = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func $main
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $main)
  (func (export "_start") (call $main) (call $proc_exit (i32.const 7))))"""


def test_define_wasi(tier) -> None:
    """Each instance its own WASI state, bound before the start function runs;
    proc_exit comes out as ExitError; a limited store limits WASI programs too."""
    linker = Linker()
    linker.define_wasi(wasmlite.WasiConfig(stdout="capture"))
    store = Store()
    a = linker.instantiate(store, WASI_HELLO)
    b = linker.instantiate(store, WASI_HELLO)
    with pytest.raises(wasmlite.ExitError) as info:
        a.exports._start()
    assert info.value.code == 7
    assert a.wasi.stdout_bytes() == b"hi\nhi\n" and b.wasi.stdout_bytes() == b"hi\n"
    assert instance('(module)').wasi is None
    linker.define_func("wasi_snapshot_preview1", "proc_exit", FuncType([I32], []), lambda code: None)
    c = linker.instantiate(store, WASI_HELLO)  # a definition of its own wins
    assert c.exports._start() is None
    with pytest.raises(LinkError):
        linker.instantiate(store, '(module (import "wasi_snapshot_preview1" "no_such" (func)))')
    limited = Store(fuel=3)
    d = Linker()
    d.define_wasi(wasmlite.WasiConfig(stdout="capture"))
    with pytest.raises(Trap) as trap:
        d.instantiate(limited, WASI_HELLO.replace("(start $main)", "(start $spin) (func $spin (loop $l (br $l)))"))
    assert trap.value.code is TrapCode.OUT_OF_FUEL


def test_memory_over_the_implementation_limit_is_a_wasm_error() -> None:
    """A host-made memory past ``MAX_PAGES`` fails with a WasmError naming the limit,
    not a bare MemoryError (the module path reports a LinkError)."""
    from wasmlite.runtime.objects import MAX_PAGES

    with pytest.raises(WasmError, match="implementation limit"):
        Memory(Store(), MemoryType(MAX_PAGES + 1))
