"""WAST script parsing: commands, actions and values."""

from __future__ import annotations

import pytest

from wasmlite.errors import ParseError
from wasmlite.text import parse_module
from wasmlite.text.wast import (
    Action,
    AssertExhaustion,
    AssertInvalid,
    AssertMalformed,
    AssertReturn,
    AssertTrap,
    AssertUnlinkable,
    Get,
    Invoke,
    ModuleCmd,
    ModuleSource,
    Register,
    Value,
    parse_script,
)

SCRIPT = r"""
(module $M (func (export "f") (param i32) (result i32) (local.get 0)))
(register "m" $M)
(module binary "\00asm" "\01\00\00\00")
(module $Q quote "(func" " $f)")
(invoke "f" (i32.const -1))
(get $M "g")
(assert_return (invoke $M "f" (i32.const 7)) (i32.const 7))
(assert_return (invoke "h" (f32.const -0x1p-149) (f64.const nan:0x1))
  (f32.const nan:canonical) (f64.const nan:arithmetic) (i64.const -1))
(assert_return (invoke "v" (v128.const i16x8 -1 0 0 0 0 0 0 1))
  (v128.const f32x4 nan:canonical 1 -0 nan:arithmetic))
(assert_return (invoke "r" (ref.null extern) (ref.extern 3))
  (ref.null func) (ref.extern 3) (ref.extern) (ref.func))
(assert_trap (invoke "t") "unreachable")
(assert_trap (module (func $start unreachable) (start $start)) "unreachable")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func" " bad)") "unknown operator")
(assert_malformed (module binary "") "unexpected end")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
"""


def test_commands():
    cmds = parse_script(SCRIPT)
    assert [type(c) for c in cmds] == [
        ModuleCmd, Register, ModuleCmd, ModuleCmd, Action, Action, AssertReturn, AssertReturn,
        AssertReturn, AssertReturn, AssertTrap, AssertTrap, AssertExhaustion, AssertInvalid,
        AssertMalformed, AssertMalformed, AssertUnlinkable,
    ]
    assert [c.line for c in cmds[:5]] == [2, 3, 4, 5, 6]

    module = cmds[0]
    assert module.name == "M" and module.source.kind == "text"
    assert module.source.payload.startswith("(module $M (func") and module.source.payload.endswith("(local.get 0)))")
    assert parse_module(module.source.payload).names.module == "M"

    assert cmds[1] == Register(3, "m", "M")
    assert cmds[2].source == ModuleSource("binary", b"\x00asm\x01\x00\x00\x00")
    assert cmds[3].name == "Q" and cmds[3].source == ModuleSource("quote", "(func $f)")
    assert cmds[4].action == Invoke(None, "f", (Value("i32", 0xFFFFFFFF),))
    assert cmds[5].action == Get("M", "g")


def test_values():
    cmds = parse_script(SCRIPT)
    assert cmds[6].action == Invoke("M", "f", (Value("i32", 7),))
    assert cmds[6].expected == (Value("i32", 7),)
    assert cmds[7].action.args == (Value("f32", 0x80000001), Value("f64", 0x7FF0000000000001))
    assert cmds[7].expected == (
        Value("f32", "nan:canonical"),
        Value("f64", "nan:arithmetic"),
        Value("i64", 0xFFFFFFFFFFFFFFFF),
    )
    assert cmds[8].action.args == (Value("v128", ("i16x8", (0xFFFF, 0, 0, 0, 0, 0, 0, 1))),)
    assert cmds[8].expected == (Value("v128", ("f32x4", ("nan:canonical", 0x3F800000, 0x80000000, "nan:arithmetic"))),)
    assert cmds[9].action.args == (Value("ref.null", "extern"), Value("ref.extern", 3))
    assert cmds[9].expected == (
        Value("ref.null", "func"),
        Value("ref.extern", 3),
        Value("ref.extern", None),
        Value("ref.func", None),
    )


def test_assertions():
    cmds = parse_script(SCRIPT)
    assert cmds[10].action_or_module == Invoke(None, "t", ())
    assert cmds[10].message == "unreachable"
    assert isinstance(cmds[11].action_or_module, ModuleSource)
    assert cmds[11].action_or_module.kind == "text"
    assert cmds[12] == AssertExhaustion(cmds[12].line, Invoke(None, "loop", ()), "call stack exhausted")
    assert cmds[13].source.kind == "text" and cmds[13].message == "type mismatch"
    assert cmds[14].source == ModuleSource("quote", "(func bad)")
    assert cmds[15].source == ModuleSource("binary", b"")
    assert cmds[16].message == "unknown import"


def test_nan_patterns_only_in_expected_results():
    with pytest.raises(ParseError):
        parse_script('(invoke "f" (f32.const nan:canonical))')


def test_inline_module_script():
    (cmd,) = parse_script("(func) (memory 0)")
    assert isinstance(cmd, ModuleCmd) and cmd.source == ModuleSource("text", "(func) (memory 0)")


@pytest.mark.parametrize(
    "source",
    [
        "(assert_return (invoke \"f\") (i32.const 0x1_0000_0000))",
        "(assert_return (invoke \"f\") (v128.const i32x4 0 0))",
        "(assert_bogus)",
        "(module",
        "foo",
        "(assert_invalid (invoke \"f\") \"x\")",
    ],
)
def test_script_errors(source):
    with pytest.raises(ParseError) as info:
        parse_script(source, "x.wast")
    assert info.value.line == 1
    assert info.value.message.startswith("x.wast: ")


def test_error_line_numbers():
    with pytest.raises(ParseError) as info:
        parse_script('(module)\n\n(invoke "f" (i32.const x))\n')
    assert info.value.line == 3

