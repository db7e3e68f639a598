"""The text-format lexer and numeric literals."""

from __future__ import annotations

import struct

import pytest

from wasmlite.errors import ParseError
from wasmlite.text import lexer, numbers
from wasmlite.text.lexer import ID, KEYWORD, LPAREN, RPAREN, STRING, SExpr


def kinds(source):
    return [(t.kind, t.value) for t in lexer.tokenize(source)]


def test_tokens():
    assert kinds('(func $f "a" i32.const -0x1_0)') == [
        (LPAREN, "("),
        (KEYWORD, "func"),
        (ID, "f"),
        (STRING, b"a"),
        (KEYWORD, "i32.const"),
        (KEYWORD, "-0x1_0"),
        (RPAREN, ")"),
    ]


def test_parentheses_delimit_tokens():
    assert kinds("(nop)nop(nop)") == [
        (LPAREN, "("), (KEYWORD, "nop"), (RPAREN, ")"), (KEYWORD, "nop"),
        (LPAREN, "("), (KEYWORD, "nop"), (RPAREN, ")"),
    ]


def test_comments():
    source = "a ;; line\nb (; block (; nested ;) still ;) c;;x\rd"
    assert [t.value for t in lexer.tokenize(source)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize("source", ["(; open", "(; (; ;)", "a ; b"])
def test_bad_comments(source):
    with pytest.raises(ParseError):
        list(lexer.tokenize(source))


def test_string_escapes():
    (tok,) = lexer.tokenize(r'"\t\n\r\"\'\\\00\ff\u{41}\u{10FFFF}é"')
    assert tok.value == b"\t\n\r\"'\\\x00\xffA" + "\U0010ffff".encode() + "é".encode()


@pytest.mark.parametrize("source", [r'"\u{D800}"', r'"\u{110000}"', r'"\x"', '"a\tb"', '"open', '"a"b', "$"])
def test_bad_strings(source):
    with pytest.raises(ParseError):
        list(lexer.tokenize(source))


def test_glued_tokens_are_unknown_operators():
    with pytest.raises(ParseError, match="unknown operator"):
        list(lexer.tokenize('(data $l"a")'))


def test_read_nests_and_records_spans():
    source = "(a (b c) ())"
    (node,) = lexer.read(source)
    assert isinstance(node, SExpr) and node.head() == "a"
    inner = node.items[1]
    assert source[inner.start : inner.end] == "(b c)"
    assert node.items[2].items == []


def test_read_deep_nesting():
    depth = 100000
    (node,) = lexer.read("(" * depth + ")" * depth)
    for _ in range(depth - 1):
        node = node.items[0]
    assert node.items == []


@pytest.mark.parametrize("source", ["(a", "a)", "(a))"])
def test_unbalanced(source):
    with pytest.raises(ParseError):
        lexer.read(source)


def test_error_position():
    with pytest.raises(ParseError) as info:
        lexer.read('(a\n  "open')
    assert (info.value.line, info.value.column) == (2, 3)


# -- numbers -------------------------------------------------------------------------


def f32(bits):
    return numbers.parse_float(bits, numbers.F32)


def f64(bits):
    return numbers.parse_float(bits, numbers.F64)


def test_integers():
    assert numbers.parse_int("0x7fff_ffff", 32) == 0x7FFFFFFF
    assert numbers.parse_int("0xffffffff", 32) == -1
    assert numbers.parse_int("-2147483648", 32) == -(2**31)
    assert numbers.parse_int("+1_000", 64) == 1000
    assert numbers.parse_uint("4294967295", 32) == 4294967295
    for bad in ("1__0", "_1", "1_", "0x", "0x_1", "1.0", "", "-", "0b1"):
        assert numbers.parse_int(bad, 32) is None
    assert numbers.parse_uint("+1", 32) is None


@pytest.mark.parametrize("text,bits", [("4294967296", 32), ("-2147483649", 32), ("0x1_0000_0000_0000_0000", 64)])
def test_integer_out_of_range(text, bits):
    with pytest.raises(numbers.OutOfRange):
        numbers.parse_int(text, bits)


def test_float_basics():
    assert f32("1") == 0x3F800000
    assert f32("-0") == 0x80000000
    assert f32("0x1p-149") == 0x00000001  # smallest subnormal
    assert f32("0x1.fffffep127") == 0x7F7FFFFF
    assert f32("inf") == 0x7F800000
    assert f32("-inf") == 0xFF800000
    assert f64("1.5e300") == struct.unpack("<Q", struct.pack("<d", 1.5e300))[0]
    assert f64("0x1.921fb54442d18p+1") == struct.unpack("<Q", struct.pack("<d", 3.141592653589793))[0]
    assert f64("1_000.000_1") == struct.unpack("<Q", struct.pack("<d", 1000.0001))[0]
    assert f32("1.e1") == f32("10")
    assert f32("0x1.p1") == f32("2")


def test_nan_payloads():
    assert f32("nan") == 0x7FC00000
    assert f32("-nan") == 0xFFC00000
    assert f32("nan:0x1") == 0x7F800001
    assert f32("+nan:0x7f_ffff") == 0x7FFFFFFF
    assert f64("nan:0x8000000000000") == 0x7FF8000000000000
    assert f64("-nan:0x1") == 0xFFF0000000000001
    for bad in ("nan:0x0", "nan:0x800000"):
        with pytest.raises(numbers.OutOfRange):
            f32(bad)
    with pytest.raises(numbers.OutOfRange):
        f64("nan:0x10000000000000")


def test_f32_rounding_halfway_ties_to_even():
    # 1 + 2**-24 lies halfway between 1 and the next f32: ties go to the even 1.
    assert f32("0x1.000001p0") == 0x3F800000
    assert f32("1.000000059604644775390625") == 0x3F800000
    # halfway between the next two f32s: rounds up to the even one
    assert f32("0x1.000003p0") == 0x3F800002
    # just above halfway rounds up
    assert f32("1.00000005960464477539062500001") == 0x3F800001
    assert f32("0x1.00000100000000001p0") == 0x3F800001


def test_f32_no_double_rounding():
    # This decimal is just above an f32 midpoint, but so close that rounding it to
    # f64 first lands exactly on the midpoint, and f64 -> f32 would then round down.
    text = "1.0000000596046447753906250000000001"
    assert f32(text) == 0x3F800001


def test_f64_rounding_halfway():
    assert f64("0x1.00000000000008p0") == 0x3FF0000000000000  # tie to even
    assert f64("0x1.00000000000018p0") == 0x3FF0000000000002
    assert f64("0x1.000000000000080001p0") == 0x3FF0000000000001


def test_subnormals():
    assert f32("1e-45") == 0x00000001
    assert f32("0x1p-150") == 0  # halfway to the smallest subnormal: even is zero
    assert f32("0x1.000002p-150") == 1
    assert f32("0x1.fffffcp-127") == 0x007FFFFF
    assert f64("4.9406564584124654e-324") == 1
    assert f64("2.4703282292062327e-324") == 0
    assert f64("2.4703282292062328e-324") == 1
    assert f64("0x1p-1074") == 1
    assert f64("1e-400") == 0
    assert f64("-1e-100000000") == 0x8000000000000000


@pytest.mark.parametrize(
    "text,fmt",
    [
        ("1e39", numbers.F32),
        ("0x1p128", numbers.F32),
        ("0x1.ffffffp127", numbers.F32),  # rounds up to infinity
        ("3.4028236e38", numbers.F32),
        ("1e309", numbers.F64),
        ("0x1p1024", numbers.F64),
        ("1e1000000000", numbers.F64),
    ],
)
def test_float_out_of_range(text, fmt):
    with pytest.raises(numbers.OutOfRange):
        numbers.parse_float(text, fmt)


def test_largest_values_that_round_down():
    assert f32("0x1.fffffefffp127") == 0x7F7FFFFF
    assert f32("3.4028235e38") == 0x7F7FFFFF
    assert f64("1.7976931348623158e308") == 0x7FEFFFFFFFFFFFFF


def test_float_syntax():
    for bad in ("1e", ".5", "0x.8", "1._5", "0x1p", "nan:1", "infinity", "e5"):
        assert f32(bad) is None
