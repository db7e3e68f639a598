"""The binary decoder: sections, lazy bodies, instructions, errors and hostile input."""

from __future__ import annotations

import random
import time

import pytest

from wasmlite import encode, opcodes, syntax
from wasmlite.decode import decode_module, read_instr, read_locals
from wasmlite.decode.body import MAX_LOCALS
from wasmlite.encode import name, uleb, vec
from wasmlite.errors import DecodeError
from wasmlite.syntax import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128

HEADER = b"\x00asm\x01\x00\x00\x00"
OP = opcodes.BY_NAME


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


def module_bytes(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def code(*instrs) -> bytes:
    """Encode instructions given as names or (name, immediate) pairs."""
    out = b""
    for item in instrs:
        if isinstance(item, str):
            out += encode.instr(OP[item])
        else:
            out += encode.instr(OP[item[0]], item[1])
    return out


def const(*instrs) -> syntax.Expr:
    return syntax.Expr(code(*instrs, "end"))


def malformed(data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode_module(data)
    assert info.value.offset is not None
    return info.value


def walk(m: syntax.Module) -> None:
    """Read every body completely, as the validator does."""
    for body in m.codes:
        _, pos = read_locals(body)
        while pos < body.end:
            _, _, pos = read_instr(body.source, pos, body.end)


T0 = section(1, vec([encode.func_type(syntax.FuncType((), ()))]))
F0 = section(3, vec([uleb(0)]))
EMPTY_BODY = section(10, vec([b"\x02\x00\x0b"]))


# -- a module with every section, built as syntax and round-tripped -------------------


def rich_module() -> syntax.Module:
    m = syntax.Module()
    m.types = [
        syntax.FuncType((), ()),
        syntax.FuncType((I32, I64, F32, F64, V128, FUNCREF, EXTERNREF), (I32, I64)),
    ]
    m.imports = [
        syntax.Import("env", "f", syntax.EXTERN_FUNC, 1),
        syntax.Import("env", "t", syntax.EXTERN_TABLE, syntax.TableType(EXTERNREF, syntax.Limits(1, 10))),
        syntax.Import("env", "m", syntax.EXTERN_MEMORY, syntax.MemoryType(syntax.Limits(1))),
        syntax.Import("\u00e9t\u00e9", "g", syntax.EXTERN_GLOBAL, syntax.GlobalType(I64, True)),
    ]
    m.funcs = [0, 1, 0]
    m.tables = [syntax.TableType(FUNCREF, syntax.Limits(2)), syntax.TableType(FUNCREF, syntax.Limits(0, 2**32 - 1))]
    m.globals = [
        syntax.Global(syntax.GlobalType(I32, False), const(("i32.const", -(2**31)))),
        syntax.Global(syntax.GlobalType(F64, True), const(("f64.const", 0x7FF8000000000001))),
        syntax.Global(syntax.GlobalType(FUNCREF, False), const(("ref.func", 2))),
        syntax.Global(syntax.GlobalType(V128, False), const(("v128.const", 2**128 - 1))),
    ]
    m.exports = [
        syntax.Export("run", syntax.EXTERN_FUNC, 3),
        syntax.Export("", syntax.EXTERN_TABLE, 1),
        syntax.Export("mem", syntax.EXTERN_MEMORY, 0),
        syntax.Export("g", syntax.EXTERN_GLOBAL, 1),
    ]
    m.start = 1
    m.elems = [
        syntax.Elem(FUNCREF, (const(("ref.func", 1)), const(("ref.null", FUNCREF))), syntax.ACTIVE, 0,
                    const(("i32.const", 0))),
        syntax.Elem(FUNCREF, (const(("ref.func", 2)),), syntax.ACTIVE, 2, const(("global.get", 0))),
        syntax.Elem(EXTERNREF, (const(("ref.null", EXTERNREF)),), syntax.PASSIVE),
        syntax.Elem(FUNCREF, (), syntax.DECLARATIVE),
    ]
    m.datas = [
        syntax.Data(b"hello", syntax.ACTIVE, 0, const(("i32.const", 16))),
        syntax.Data(bytes(range(256)), syntax.PASSIVE),
        syntax.Data(b"", syntax.ACTIVE, 1, const(("i32.const", 0))),
    ]
    m.data_count = 3
    bodies = [
        encode.func_body([], code("end")),
        encode.func_body([I32, I32, F64, EXTERNREF], code(("local.get", 0), "drop", "unreachable", "end")),
        encode.func_body([V128], code(("block", syntax.BLOCK_EMPTY), ("br", 0), "end", "end")),
    ]
    m.codes = [syntax.FuncBody(b, 0, len(b)) for b in bodies]
    m.names = syntax.Names("rich", {0: "imported", 3: "run"}, {1: {0: "a", 1: "b"}, 2: {}})
    m.customs = [("producers", b"\x00\x01\x02"), ("", b""), ("name", b"\xff")]
    return m


def test_round_trip_rich_module():
    m = rich_module()
    data = encode.module(m)
    decoded = decode_module(data)
    assert decoded == m
    walk(decoded)
    assert encode.module(decoded) == data


def test_expr_offsets_point_into_the_binary():
    data = encode.module(rich_module())
    m = decode_module(data)
    exprs = [g.init for g in m.globals] + [d.offset for d in m.datas if d.offset is not None]
    exprs += [e for seg in m.elems for e in seg.init] + [s.offset for s in m.elems if s.offset is not None]
    assert exprs
    for e in exprs:
        assert data[e.offset : e.offset + len(e.code)] == e.code


def test_round_trip_empty_and_minimal():
    assert decode_module(HEADER) == syntax.Module()
    for data in (HEADER, module_bytes(T0, F0, EMPTY_BODY)):
        m = decode_module(data)
        assert decode_module(encode.module(m)) == m


def test_accepts_bytes_like_input():
    data = module_bytes(T0, F0, EMPTY_BODY)
    assert decode_module(bytearray(data)) == decode_module(memoryview(data)) == decode_module(data)


# -- handwritten binaries ------------------------------------------------------------


def test_handwritten_binary_round_trips_through_the_encoder():
    data = module_bytes(
        section(0, name("first") + b"payload"),
        section(1, b"\x01\x60\x01\x7f\x01\x7e"),
        section(2, vec([name("m") + name("f") + b"\x00\x00"])),
        section(3, b"\x01\x00"),
        section(5, b"\x01\x01\x01\x02"),
        section(6, b"\x01\x7f\x00\x41\xc0\x00\x0b"),
        section(7, vec([name("f") + b"\x00\x01"])),
        section(9, b"\x01\x00\x41\x00\x0b\x02\x00\x01"),  # flag 0: function indices
        section(12, b"\x01"),
        section(10, vec([uleb(6) + b"\x01\x02\x7e\x42\x7f\x0b"])),
        section(11, b"\x01\x01\x03abc"),
        section(0, name("last")),
    )
    m = decode_module(data)
    assert m.types == [syntax.FuncType((I32,), (I64,))]
    assert m.imports == [syntax.Import("m", "f", syntax.EXTERN_FUNC, 0)]
    assert m.mems == [syntax.MemoryType(syntax.Limits(1, 2))]
    assert m.globals[0].init == syntax.Expr(b"\x41\xc0\x00\x0b")
    assert m.elems[0] == syntax.Elem(
        FUNCREF, (syntax.Expr(b"\xd2\x00\x0b"), syntax.Expr(b"\xd2\x01\x0b")), syntax.ACTIVE, 0,
        syntax.Expr(b"\x41\x00\x0b"),
    )
    assert m.data_count == 1 and m.datas == [syntax.Data(b"abc", syntax.PASSIVE)]
    assert m.customs == [("first", b"payload"), ("last", b"")]
    assert read_locals(m.codes[0])[0] == (I64, I64)
    assert decode_module(encode.module(m)) == m


def test_non_canonical_leb_is_normalised_but_equal():
    # Function index 1 written in five bytes.
    data = module_bytes(T0, section(3, b"\x02\x00\x00"), section(9, b"\x01\x00\x41\x00\x0b\x01\x81\x80\x80\x80\x00"),
                        section(10, vec([b"\x02\x00\x0b"] * 2)))
    m = decode_module(data)
    assert m.elems[0].init == (syntax.Expr(b"\xd2\x01\x0b"),)
    assert decode_module(encode.module(m)) == m


# -- element and data segment encodings ----------------------------------------------

OFFSET = b"\x41\x05\x0b"
REF_FUNC_3 = syntax.Expr(b"\xd2\x03\x0b")


@pytest.mark.parametrize(
    "payload, expected",
    [
        (b"\x00" + OFFSET + b"\x01\x03", syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.ACTIVE, 0, syntax.Expr(OFFSET))),
        (b"\x01\x00\x01\x03", syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.PASSIVE)),
        (b"\x02\x01" + OFFSET + b"\x00\x01\x03",
         syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.ACTIVE, 1, syntax.Expr(OFFSET))),
        (b"\x03\x00\x01\x03", syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.DECLARATIVE)),
        (b"\x04" + OFFSET + b"\x01\xd2\x03\x0b",
         syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.ACTIVE, 0, syntax.Expr(OFFSET))),
        (b"\x05\x6f\x02\xd0\x6f\x0b\xd0\x6f\x0b",
         syntax.Elem(EXTERNREF, (syntax.Expr(b"\xd0\x6f\x0b"),) * 2, syntax.PASSIVE)),
        (b"\x06\x02" + OFFSET + b"\x70\x01\xd2\x03\x0b",
         syntax.Elem(FUNCREF, (REF_FUNC_3,), syntax.ACTIVE, 2, syntax.Expr(OFFSET))),
        (b"\x07\x70\x00", syntax.Elem(FUNCREF, (), syntax.DECLARATIVE)),
    ],
)
def test_element_segment_encodings(payload, expected):
    m = decode_module(module_bytes(section(9, b"\x01" + payload)))
    assert m.elems == [expected]
    assert decode_module(encode.module(m)) == m


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x08\x70\x00", "malformed elements segment kind"),
        (b"\x01\x01\x00", "malformed element kind"),
        (b"\x05\x7f\x00", "malformed reference type"),
        (b"\x05\x70\x01\xf3\x00\x0b", "illegal opcode"),
    ],
)
def test_element_segment_errors(payload, message):
    assert malformed(module_bytes(section(9, b"\x01" + payload))).message.startswith(message)


def test_data_segment_encodings():
    payload = vec([b"\x00" + OFFSET + b"\x02hi", b"\x01\x00", b"\x02\x01" + OFFSET + b"\x01!"])
    m = decode_module(module_bytes(section(11, payload)))
    assert m.datas == [
        syntax.Data(b"hi", syntax.ACTIVE, 0, syntax.Expr(OFFSET)),
        syntax.Data(b"", syntax.PASSIVE),
        syntax.Data(b"!", syntax.ACTIVE, 1, syntax.Expr(OFFSET)),
    ]
    assert malformed(module_bytes(section(11, b"\x01\x03\x00"))).message == "malformed data segment kind"


def test_const_expr_ends_at_matching_end():
    init = b"\x02\x40\x0b\x41\x01\x0b"  # (block end) (i32.const 1) end: not constant, but well formed
    m = decode_module(module_bytes(section(6, b"\x01\x7f\x00" + init)))
    assert m.globals[0].init.code == init


# -- the name section ----------------------------------------------------------------


def names_section(*subsections: bytes) -> bytes:
    return section(0, name("name") + b"".join(subsections))


def test_name_section():
    data = module_bytes(
        names_section(
            section(0, name("mod")),
            section(1, vec([uleb(0) + name("f0"), uleb(5) + name("f5")])),
            section(2, vec([uleb(0) + vec([uleb(1) + name("x")])])),
            section(7, b"\x01\x02\x03"),  # a later extension's subsection: skipped
        )
    )
    m = decode_module(data)
    assert m.names == syntax.Names("mod", {0: "f0", 5: "f5"}, {0: {1: "x"}})
    assert m.customs == []


@pytest.mark.parametrize(
    "payload",
    [
        section(1, b"\x05\x00"),  # truncated map
        section(1, b"\x01\x00\x02\xff\xfe"),  # bad UTF-8 in a function name
        section(1, vec([])) + section(0, name("m")),  # out of order
        section(0, name("m") + b"\x00"),  # subsection size mismatch
        b"\x01\x80\x80\x80\x80\x80",  # bad LEB128
        b"\x00",  # truncated subsection header
    ],
)
def test_malformed_name_section_is_ignored(payload):
    data = module_bytes(T0, section(0, name("name") + payload))
    m = decode_module(data)
    assert m.names == syntax.Names()
    assert m.customs == [("name", payload)]
    assert decode_module(encode.module(m)) == m


def test_malformed_custom_section_name_is_malformed():
    assert malformed(module_bytes(section(0, b"\x02\xff\xfe"))).message == "malformed UTF-8 encoding"
    assert malformed(module_bytes(section(0, b"\x05ab"))).message == "length out of bounds"
    err = malformed(HEADER + b"\x00\x00\x00\x05\x01\x00\x07\x00\x00")
    assert err.message.startswith("unexpected end")


# -- lazy bodies and read_locals -----------------------------------------------------


def test_code_section_does_not_parse_bodies():
    bodies = [b"\xff\xff\xff", b"", b"\x01\x05\x7f"]  # nonsense, empty, no code
    data = module_bytes(T0, section(3, vec([uleb(0)] * 3)), section(10, vec([uleb(len(b)) + b for b in bodies])))
    m = decode_module(data)
    assert [c.body_bytes() for c in m.codes] == bodies
    for body in m.codes:
        assert body.source is m.codes[0].source
        assert data[body.start : body.end] == body.body_bytes()
    with pytest.raises(DecodeError):
        read_locals(m.codes[0])
    with pytest.raises(DecodeError, match="unexpected end"):
        read_locals(m.codes[1])
    locals_, pos = read_locals(m.codes[2])
    assert locals_ == (I32,) * 5 and pos == m.codes[2].end


def body_of(payload: bytes) -> syntax.FuncBody:
    source = b"\xaa\xbb" + payload + b"\x0b\x0b"  # bytes around the body must not be read
    return syntax.FuncBody(source, 2, 2 + len(payload))


def test_read_locals():
    body = body_of(b"\x03\x00\x7f\x02\x7e\x01\x70\x0b")
    assert read_locals(body) == ((I64, I64, FUNCREF), 9)
    assert read_locals(body_of(b"\x00\x0b")) == ((), 3)


def test_too_many_locals():
    err = read_locals_error(b"\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b")
    assert (err.message, err.offset) == ("too many locals", 2)
    quarter = b"\x80\x80\x80\x80\x04"
    err = read_locals_error(b"\x04" + quarter + b"\x7f" + quarter + b"\x7e" + quarter + b"\x7d" + quarter + b"\x7c\x0b")
    assert err.message == "too many locals"


def test_legal_but_huge_local_count_hits_the_implementation_limit_quickly():
    start = time.perf_counter()
    err = read_locals_error(b"\x01\xff\xff\xff\xff\x0f\x7f\x0b")  # 2**32 - 1: legal
    assert "implementation limit" in err.message
    assert time.perf_counter() - start < 1
    assert len(read_locals(body_of(b"\x01" + uleb(MAX_LOCALS) + b"\x7f\x0b"))[0]) == MAX_LOCALS


def test_many_local_runs_are_linear():
    payload = uleb(20000) + b"\x01\x7f\x01\x7e" * 10000 + b"\x0b"
    start = time.perf_counter()
    assert len(read_locals(body_of(payload))[0]) == 20000
    assert time.perf_counter() - start < 1


def read_locals_error(payload: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        read_locals(body_of(payload))
    return info.value


@pytest.mark.parametrize("payload", [b"\x01\x01\x40\x0b", b"\x01\x01\x00\x0b", b"\x05\x01"])
def test_read_locals_malformed(payload):
    with pytest.raises(DecodeError):
        read_locals(body_of(payload))


# -- read_instr ----------------------------------------------------------------------

SAMPLE_IMMEDIATES = {
    "": [None],
    "blocktype": [syntax.BLOCK_EMPTY, I32 - 0x80, EXTERNREF - 0x80, V128 - 0x80, 0, 63, 64, 300, 2**32 - 1],
    "label": [0, 127, 128, 2**32 - 1],
    "br_table": [((), 0), ((0, 1, 200), 2), (tuple(range(300)), 70000)],
    "func": [0, 130, 2**32 - 1],
    "local": [5],
    "global": [200],
    "table": [1],
    "elem": [1000],
    "data": [3],
    "call_indirect": [(0, 0), (300, 2)],
    "memarg": [(0, 0), (2, 70000), (31, 2**32 - 1), (3, 127), (3, 128)],
    "memory": [0],
    "i32": [0, -1, 63, -64, 64, -65, 2**31 - 1, -(2**31), 123456],
    "i64": [0, -1, 2**63 - 1, -(2**63), 2**40],
    "f32": [0, 0x7FC00001, 0xFFFFFFFF],
    "f64": [0, 0x7FF8000000000001, 2**64 - 1],
    "v128": [0, 2**128 - 1, 0x0102030405060708090A0B0C0D0E0F10],
    "lane": [0, 15, 255],
    "shuffle": [tuple(range(16)), (31,) * 16],
    "memarg_lane": [(0, 0, 0), (3, 300, 1)],
    "select_types": [(I32,), (), (F64, EXTERNREF)],
    "reftype": [FUNCREF, EXTERNREF],
    "table_init": [(2, 1)],
    "table_copy": [(1, 2)],
    "memory_init": [(3, 0), (300, 0)],
    "memory_copy": [(0, 0)],
}


@pytest.mark.parametrize("op", opcodes.all_ops(), ids=lambda op: op.name)
def test_read_instr_mirrors_the_encoder(op):
    for imm in SAMPLE_IMMEDIATES[op.imm]:
        encoded = encode.instr(op, imm)
        source = b"\x01" + encoded + b"\x0b\x00"
        got = read_instr(source, 1, 1 + len(encoded))
        assert got == (op, imm, 1 + len(encoded))
        assert got[0] is op
        # Cut short anywhere, it reports the end rather than reading past it.
        for cut in range(1, len(encoded)):
            with pytest.raises(DecodeError) as info:
                read_instr(source, 1, 1 + cut)
            assert info.value.offset is not None and info.value.offset <= 1 + cut


def test_read_instr_at_end():
    with pytest.raises(DecodeError, match="unexpected end") as info:
        read_instr(b"\x01\x0b", 1, 1)
    assert info.value.offset == 1


def test_read_instr_accepts_over_long_sub_opcodes():
    op, imm, pos = read_instr(b"\xfc\x80\x80\x00", 0, 4)
    assert op is opcodes.PREFIXED_FC[0] and pos == 4


@pytest.mark.parametrize(
    "source",
    [b"\x06", b"\x27", b"\xc5", b"\xd3", b"\xff", b"\xfc\x12", b"\xfc\x80\x01", b"\xfd\x9a\x01", b"\xfd\xff\x0f"],
)
def test_illegal_opcodes(source):
    with pytest.raises(DecodeError) as info:
        read_instr(b"\x01" + source, 1, 1 + len(source))
    assert info.value.message.startswith("illegal opcode")
    assert info.value.offset == 1


@pytest.mark.parametrize(
    "source, message, offset",
    [
        (b"\x3f\x01", "zero byte expected", 1),
        (b"\x40\x80\x00", "zero byte expected", 1),
        (b"\xfc\x08\x00\x01", "zero byte expected", 3),
        (b"\xfc\x0a\x00\x01", "zero byte expected", 3),
        (b"\xfc\x0b\x01", "zero byte expected", 2),  # over-long 0 is accepted, as by wasmtime
        (b"\x28\x20\x00", "malformed memop flags", 1),
        (b"\x28\x40\x00", "malformed memop flags", 1),
        (b"\x28\x82\x80\x80\x80\x80\x00\x00", "integer representation too long", 6),
        (b"\x28\x02\x80\x80\x80\x80\x10", "integer too large", 6),
        (b"\xd0\x7f", "malformed reference type", 1),
        (b"\x1c\x01\x40", "malformed value type", 2),
        (b"\x02\x41", "malformed value type", 1),
        (b"\x02\xc0\x7f", "malformed block type", 1),
        (b"\x41\x80\x80\x80\x80\x08", "integer too large", 5),
        (b"\x41\xff\xff\xff\xff\xff\x7f", "integer representation too long", 6),
        (b"\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", "integer too large", 10),
        (b"\x0e\xff\xff\xff\xff\x0f", "length out of bounds", 1),
        (b"\x1c\xff\xff\xff\xff\x0f", "length out of bounds", 1),
        (b"\x20\x80\x80\x80\x80\x10", "integer too large", 5),
    ],
)
def test_malformed_instructions(source, message, offset):
    with pytest.raises(DecodeError) as info:
        read_instr(source, 0, len(source))
    assert (info.value.message, info.value.offset) == (message, offset)


def test_read_instr_reads_a_whole_body():
    payload = code(("i32.const", 1), ("if", I32 - 0x80), ("i32.const", 2), "else", ("i32.const", 3), "end",
                   ("br_table", ((0,), 0)), "end")
    body = body_of(b"\x00" + payload)
    _, pos = read_locals(body)
    names = []
    while pos < body.end:
        op, _, pos = read_instr(body.source, pos, body.end)
        names.append(op.name)
    assert names == ["i32.const", "if", "i32.const", "else", "i32.const", "end", "br_table", "end"]
    assert pos == body.end


# -- structural errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message, offset",
    [
        (b"", "unexpected end", 0),
        (b"\x00as", "unexpected end", 3),
        (b"\x00asm", "unexpected end", 4),
        (b"asm\x00\x01\x00\x00\x00", "magic header not detected", 0),
        (b"\x00asm\x02\x00\x00\x00", "unknown binary version", 4),
        (HEADER + b"\x0d\x00", "malformed section id", 8),
        (HEADER + b"\x80\x00", "malformed section id", 8),
        (HEADER + b"\x01\x01\x00\x01\x01\x00", "unexpected content after last section", 11),
        (HEADER + b"\x03\x01\x00\x02\x01\x00", "unexpected content after last section", 11),
        (HEADER + b"\x0a\x01\x00\x0c\x01\x00", "unexpected content after last section", 11),
        (HEADER + b"\x01\x07\x01\x60\x00\x00\x60\x00\x00", "section size mismatch", 10),
        (HEADER + b"\x01\x07\x02\x60\x00\x00", "length out of bounds", 9),
        (HEADER + b"\x00", "unexpected end", 9),
        (HEADER + b"\x00\x26\x10", "length out of bounds", 9),
        (module_bytes(T0, section(3, b"\x02\x00\x00"), EMPTY_BODY),
         "function and code section have inconsistent lengths", None),
        (module_bytes(section(10, b"\x01\x02\x00\x0b")), "function and code section have inconsistent lengths", None),
        (module_bytes(section(12, b"\x01")), "data count and data section have inconsistent lengths", None),
        (module_bytes(section(12, b"\x01"), section(11, b"\x02\x01\x00\x01\x00")),
         "data count and data section have inconsistent lengths", None),
        (module_bytes(section(2, b"\x01\x00\x00\x04")), "malformed import kind", 13),
        (module_bytes(section(2, b"\x01\x00\x00\x80\x00")), "malformed import kind", 13),
        (module_bytes(section(7, b"\x01\x00\x04\x00")), "malformed export kind", 12),
        (module_bytes(section(6, b"\x01\x7f\x02\x41\x00\x0b")), "malformed mutability", 12),
        (module_bytes(section(6, b"\x01\x40\x00\x41\x00\x0b")), "malformed value type", 11),
        (module_bytes(section(4, b"\x01\x7f\x00\x00")), "malformed reference type", 11),
        (module_bytes(section(4, b"\x01\x70\x02\x00")), "integer too large", 12),
        (module_bytes(section(5, b"\x01\x81\x00\x00\x00")), "integer representation too long", 12),
        (module_bytes(section(1, b"\x01\x61\x00\x00")), "malformed function type", 11),
        (module_bytes(section(1, b"\x01\xe0\x7f\x00\x00")), "integer representation too long", 12),
        (module_bytes(section(2, b"\x01\x02\xc0\x80\x00\x00\x00")), "malformed UTF-8 encoding", 12),
        (HEADER + b"\x06\x05\x01\x7f\x00\x41\x00\x0a\x04\x01\x02\x00\x0b", "illegal opcode", 15),
        (module_bytes(section(11, b"\x01\x01\x07abcdef")), "unexpected end", 19),
        (module_bytes(section(11, b"\x02\x01\x00")), "unexpected end", 13),
        (HEADER + HEADER, "length out of bounds", 9),
    ],
)
def test_structural_errors(data, message, offset):
    err = malformed(data)
    assert err.message.startswith(message), err.message
    if offset is not None:
        assert err.offset == offset


def test_custom_sections_anywhere():
    custom = section(0, name("c") + b"x")
    m = decode_module(module_bytes(custom, T0, custom, F0, custom, EMPTY_BODY, custom))
    assert m.customs == [("c", b"x")] * 4


# -- hostile input -------------------------------------------------------------------

HUGE = b"\xff\xff\xff\x0f"  # 2**28 - 1


@pytest.mark.parametrize(
    "data",
    [
        module_bytes(section(1, HUGE)),
        module_bytes(section(1, b"\x01\x60" + HUGE)),
        module_bytes(section(2, HUGE)),
        module_bytes(section(2, b"\x01" + HUGE)),
        module_bytes(section(3, HUGE)),
        module_bytes(section(4, HUGE)),
        module_bytes(section(5, HUGE)),
        module_bytes(section(6, HUGE)),
        module_bytes(section(7, HUGE)),
        module_bytes(section(9, HUGE)),
        module_bytes(section(9, b"\x01\x01\x00" + HUGE)),
        module_bytes(section(9, b"\x01\x05\x70" + HUGE)),
        module_bytes(section(10, HUGE)),
        module_bytes(section(10, b"\x01" + HUGE)),
        module_bytes(section(11, HUGE)),
        module_bytes(section(11, b"\x01\x01" + HUGE)),
        HEADER + b"\x01\xff\xff\xff\xff\x0f",
        HEADER + b"\x00\xff\xff\xff\xff\x0f",
    ],
)
def test_huge_counts_fail_fast(data):
    start = time.perf_counter()
    malformed(data)
    assert time.perf_counter() - start < 0.5


def test_huge_count_in_name_section_is_ignored_fast():
    data = module_bytes(names_section(section(1, HUGE)))
    start = time.perf_counter()
    assert decode_module(data).names == syntax.Names()
    assert time.perf_counter() - start < 0.5


def decode_and_walk(data: bytes) -> None:
    """Decode and read every body; only DecodeError may escape."""
    try:
        walk(decode_module(data))
    except DecodeError as e:
        assert e.offset is not None and 0 <= e.offset <= len(data)


def test_every_truncation_raises_only_decode_error():
    data = encode.module(rich_module())
    for cut in range(len(data)):
        decode_and_walk(data[:cut])


def test_mutations_raise_only_decode_error():
    rng = random.Random(20240601)
    base = encode.module(rich_module())
    start = time.perf_counter()
    for _ in range(1500):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.6:
                data[i] = rng.choice((0x00, 0x01, 0x0B, 0x40, 0x7F, 0x80, 0xFC, 0xFD, 0xFF, rng.randrange(256)))
            elif choice < 0.8:
                del data[i : i + rng.randint(1, 4)]
            else:
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        decode_and_walk(bytes(data))
    assert time.perf_counter() - start < 30
