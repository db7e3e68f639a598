"""``wasmlite.Module``: text or binary in, a validated module out, errors named."""

from __future__ import annotations

import os

import pytest

import wasmlite
from conftest import REPO
from wasmlite.text import wat2wasm

FIB = os.path.join(REPO, "examples", "fib.wat")


def test_module_from_text_and_binary_agree() -> None:
    with open(FIB, encoding="utf-8") as f:
        text = f.read()
    from_text = wasmlite.Module(text)
    from_binary = wasmlite.Module(wat2wasm(text))
    assert from_text.syntax == from_binary.syntax
    assert [e.name for e in from_binary.exports] == ["fib"]
    assert from_binary.syntax.names.funcs == {0: "fib"}


def test_from_file_accepts_text_and_binary(tmp_path) -> None:
    wasm = tmp_path / "fib.wasm"
    with open(FIB, encoding="utf-8") as f:
        wasm.write_bytes(wat2wasm(f.read()))
    assert wasmlite.Module.from_file(FIB).syntax == wasmlite.Module.from_file(str(wasm)).syntax


@pytest.mark.parametrize(
    "source, error",
    [
        (b"\0asm\x02\0\0\0", wasmlite.DecodeError),
        (b"not wasm", wasmlite.DecodeError),
        ("(module (func (result i32)))", wasmlite.ValidationError),
        ("(module (func (i32.const)))", wasmlite.ParseError),
    ],
)
def test_errors_are_wasm_errors(source, error) -> None:
    with pytest.raises(error) as info:
        wasmlite.Module(source)
    assert isinstance(info.value, wasmlite.WasmError)
    with pytest.raises(error):
        wasmlite.Module.validate(source)


def test_validation_error_says_where() -> None:
    with pytest.raises(wasmlite.ValidationError) as info:
        wasmlite.Module('(module (func) (func (result i32) (i64.const 0)))')
    assert info.value.func_index == 1
    assert info.value.offset is not None
    assert "type mismatch" in str(info.value)
