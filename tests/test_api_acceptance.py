"""Issue 6's acceptance script, verbatim, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPT = """import wasmlite

wat = '''(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call 1 (i32.sub (local.get 0) (i32.const 1)))
                     (call 1 (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "greet") (call $log (i32.const 16) (i32.const 5)))
  (func (export "spin") (loop $l (br $l))))'''

store = wasmlite.Store()
module = wasmlite.Module(wat)
linker = wasmlite.Linker()
def log(caller, ptr, n):
    print(caller.exports.memory.read(ptr, n).decode())
linker.define_func("env", "log", wasmlite.FuncType([wasmlite.ValType.i32(), wasmlite.ValType.i32()], []), log, access_caller=True)
instance = linker.instantiate(store, module)
print(instance.exports.fib(10))
instance.exports.greet()
limited = wasmlite.Store(fuel=100_000)
spinner = linker.instantiate(limited, module)
try:
    spinner.exports.spin()
except wasmlite.Trap as trap:
    print("out of fuel" if trap.code == wasmlite.TrapCode.OUT_OF_FUEL else trap)
print("ok")
"""


@pytest.mark.parametrize("tier", ["auto", "0", "1"])
def test_acceptance_script(tier: str, tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"), WASMLITE_TIER=tier,
               WASMLITE_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.stderr == ""
    assert out.stdout == "55\nhello\nout of fuel\nok\n"
