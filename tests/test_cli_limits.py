"""``wasmlite run --fuel / --max-memory / --timeout``: the store's limits from the command line."""

from __future__ import annotations

import os

from test_cli import EXAMPLE, wasmlite

from wasmlite.cli import TRAP_STATUS

SPIN = '(module (func (export "spin") (loop $l (br $l))) (memory (export "m") 2))'


def test_fuel_enough_and_too_little() -> None:
    r = wasmlite("run", "--fuel", "100000", "--invoke", "fib", EXAMPLE, "10")
    assert r.returncode == 0 and r.stdout == "55\n", r.stderr
    r = wasmlite("run", "--fuel", "10", "--invoke", "fib", EXAMPLE, "20")
    assert r.returncode == TRAP_STATUS and "all fuel consumed" in r.stderr and "Traceback" not in r.stderr


def test_timeout_interrupts(tmp_path) -> None:
    path = os.path.join(tmp_path, "spin.wat")
    with open(path, "w") as f:
        f.write(SPIN)
    r = wasmlite("run", "--timeout", "0.2", "--invoke", "spin", path)
    assert r.returncode == TRAP_STATUS and "interrupted" in r.stderr and "timeout" in r.stderr


def test_max_memory(tmp_path) -> None:
    path = os.path.join(tmp_path, "spin.wat")
    with open(path, "w") as f:
        f.write(SPIN)
    r = wasmlite("run", "--max-memory", "65536", path)
    assert r.returncode == 1 and "LinkError" in r.stderr and "max_memory" in r.stderr
    assert wasmlite("run", "--max-memory", "131072", path).returncode == 0
    r = wasmlite("run", "--fuel", "-1", path)
    assert r.returncode == 2 and "fuel" in r.stderr and "Traceback" not in r.stderr
