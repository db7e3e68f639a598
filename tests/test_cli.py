"""The command line: exit codes and messages, never tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

from wasmlite.cli import TRAP_STATUS

EXAMPLE = os.path.join(REPO, "examples", "fib.wat")


def wasmlite(*args: str, cwd: str = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasmlite", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_validate_example() -> None:
    r = wasmlite("validate", EXAMPLE)
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout


def test_wat2wasm_then_validate(tmp_path) -> None:
    out = tmp_path / "fib.wasm"
    r = wasmlite("wat2wasm", EXAMPLE, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:4] == b"\0asm"
    r = wasmlite("validate", str(out))
    assert r.returncode == 0, r.stderr


def test_validate_reports_invalid_module(tmp_path) -> None:
    bad = tmp_path / "bad.wat"
    bad.write_text("(module (func (result i32) (i64.const 1)))")
    r = wasmlite("validate", str(bad))
    assert r.returncode == 1
    assert "type mismatch" in r.stderr
    assert "in function 0" in r.stderr
    assert "Traceback" not in r.stderr


def test_validate_reports_malformed_binary(tmp_path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x05\x01")
    r = wasmlite("validate", str(bad))
    assert r.returncode == 1
    assert "DecodeError" in r.stderr and "offset" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_file_is_reported() -> None:
    r = wasmlite("validate", "no-such-file.wasm")
    assert r.returncode == 1
    assert "no-such-file.wasm" in r.stderr and "Traceback" not in r.stderr


def test_wast_closing_line(tmp_path) -> None:
    script = tmp_path / "t.wast"
    script.write_text(
        '(module (func (export "f") (result i32) (i32.const 1)))\n'
        '(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")\n'
        '(assert_malformed (module quote "(func (i32.const nonsense))") "unexpected token")\n'
    )
    r = wasmlite("wast", str(script))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "3 passed, 0 failed, 0 skipped"


def test_no_command_prints_help() -> None:
    r = wasmlite()
    assert r.returncode == 2
    assert "usage" in r.stderr


def test_run_invoke_prints_results() -> None:
    r = wasmlite("run", "--invoke", "fib", EXAMPLE, "20")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "6765\n"


def test_run_reports_wrong_arguments() -> None:
    r = wasmlite("run", "--invoke", "fib", EXAMPLE)
    assert r.returncode == 2
    assert "takes 1 argument" in r.stderr
    r = wasmlite("run", "--invoke", "fib", EXAMPLE, "x")
    assert r.returncode == 2 and "bad argument" in r.stderr
    r = wasmlite("run", "--invoke", "nope", EXAMPLE)
    assert r.returncode == 1 and "no function named 'nope'" in r.stderr


def test_run_trap_is_reported(tmp_path) -> None:
    wat = tmp_path / "trap.wat"
    wat.write_text('(module (func (export "f") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))')
    r = wasmlite("run", "--invoke", "f", str(wat), "0")
    assert r.returncode == TRAP_STATUS
    assert "integer divide by zero" in r.stderr and "Traceback" not in r.stderr
    r = wasmlite("run", "--invoke", "f", str(wat), "-1")
    assert r.returncode == 0 and r.stdout == "0\n"


def test_run_passes_and_prints_v128(tmp_path) -> None:
    wat = tmp_path / "simd.wat"
    wat.write_text('(module (func (export "f") (param v128 i32) (result v128 i32)'
                   ' (i32x4.add (local.get 0) (i32x4.splat (local.get 1)))'
                   ' (i32x4.extract_lane 3 (local.get 0))))')
    r = wasmlite("run", "--invoke", "f", str(wat), "0x00000004000000030000000200000001", "16")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "0x00000014000000130000001200000011\n4\n"
    r = wasmlite("run", "--invoke", "f", str(wat), str(1 << 128), "0")
    assert r.returncode == 2 and "does not fit in v128" in r.stderr


BACKTRACE_WAT = """(module $m
  (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func $outer (export "outer") (param i32) (result i32) (call $middle (local.get 0)))
  (func $deep (export "deep") (call $deep)))"""


@pytest.mark.parametrize("tier", ["0", "1"])
def test_trap_backtrace_names_functions(tmp_path, tier) -> None:
    wat = tmp_path / "bt.wat"
    wat.write_text(BACKTRACE_WAT)
    env = dict(os.environ, WASMLITE_TIER=tier, WASMLITE_CACHE_DIR="")
    r = subprocess.run([sys.executable, "-m", "wasmlite", "run", "--invoke", "outer", str(wat), "0"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == TRAP_STATUS
    assert "trap: integer divide by zero" in r.stderr
    lines = r.stderr.splitlines()
    at = lines.index("wasm backtrace:")
    assert lines[at + 1:at + 4] == ["  0: m!inner (function 0)", "  1: m!middle (function 1)",
                                    "  2: m!outer (function 2)"]
    r = subprocess.run([sys.executable, "-m", "wasmlite", "run", "--invoke", "deep", str(wat)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == TRAP_STATUS and "call stack exhausted" in r.stderr
    assert "more frames" in r.stderr and "Traceback" not in r.stderr


def test_run_ignores_a_non_function_initialize_export(tmp_path) -> None:
    """A WASI module whose ``_initialize`` export is not a function is no reactor: the
    invoked function runs (this used to end in a TypeError traceback)."""
    wat = tmp_path / "g.wat"
    wat.write_text('(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))'
                   ' (global (export "_initialize") i32 (i32.const 0))'
                   ' (func (export "f") (result i32) i32.const 7))')
    r = wasmlite("run", "--invoke", "f", str(wat))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["7"]
