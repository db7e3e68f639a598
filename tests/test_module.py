"""``wasmlite.Module``: text or binary in, a validated module out, errors named."""

from __future__ import annotations

import os
from typing import Any, List

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


def test_validated_binaries_are_remembered(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A binary that validated once is not walked again (the disk cache keeps a
    marker); an invalid one never gets a marker; text is always validated."""
    import wasmlite.module as module_mod
    from wasmlite import Module, ValidationError

    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    walked: List[Any] = []
    real = module_mod.validate_module
    monkeypatch.setattr(module_mod, "validate_module", lambda m: (walked.append(m), real(m)))
    good = wat2wasm('(module (func (export "f") (result i32) (i32.const 1)))')
    Module(good)
    Module(good)
    assert len(walked) == 1
    Module(good + b"\x00\x03\x01\x00\x00")  # other bytes (a custom section): validated again
    assert len(walked) == 2
    invalid = wat2wasm('(module (func (export "f") (result i32) (i64.const 1)))')
    for _ in range(2):
        with pytest.raises(ValidationError):
            Module(invalid)
    assert len(walked) == 4
    Module('(module (func (export "f") (result i32) (i32.const 1)))')
    Module('(module (func (export "f") (result i32) (i32.const 1)))')
    assert len(walked) == 6
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    Module(good)
    assert len(walked) == 7
