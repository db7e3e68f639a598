"""WASI programs run under wasmlite and under wasmtime must behave the same.

Each program in tests/wasi/programs (C, built by build.sh; the .wasm files are
committed) prints one line per WASI call with the errno it got. Each runs on its
own copy of a test tree, preopened as "/", once under wasmtime-py and once under
``wasmlite run`` (tiers 0 and 1) or in process on an in-memory copy of the tree;
stdout, stderr, exit status and the resulting tree must be equal. A directory
``outside`` next to the preopen must come out untouched.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Any, Dict, List, NamedTuple, Tuple

import pytest

from conftest import REPO, build_tree

wasmtime = pytest.importorskip("wasmtime")

from wasmlite.engine import call  # noqa: E402
from wasmlite.errors import ExitError, Trap  # noqa: E402
from wasmlite.module import Module  # noqa: E402
from wasmlite.runtime.instantiate import instantiate  # noqa: E402
from wasmlite.wasi import CAPTURE, MemoryFS, Symlink, Wasi, WasiConfig  # noqa: E402

PROGRAMS = os.path.join(REPO, "tests", "wasi", "programs")
TRAPPED = "trap"


class Case(NamedTuple):
    args: List[str] = []
    env: List[Tuple[str, str]] = []
    stdin: bytes = b""


PATH_NAMES = ["a", "b", "d", "hello.txt", "sub", "empty", "link_to_sub", "link_to_hello", "dangling", "loop1",
              "self", "esc_rel", "esc_dir", "esc_mid", "nested", "a.txt", ".", "..", "", "esc_up"]


def pathops_script(seed: int, count: int = 150) -> str:
    """Random path operations for pathops.wasm over the test tree's names, with
    trailing slashes, "/.", absolute paths and escapes (how wasmlite's ordering of
    path errors was matched to wasmtime's; other seeds make a fuzzer)."""
    r = random.Random(seed)

    def path() -> str:
        p = "/".join(r.choice(PATH_NAMES) for _ in range(r.choice([1, 1, 2, 2, 3])))
        x = r.random()
        p += "/" if x < 0.1 else "/." if x < 0.15 else ""
        return ("/" + p if 0.15 <= x < 0.18 else p) or "a"

    def op() -> str:
        kind = r.choice(["open", "open", "mkdir", "rmdir", "unlink", "rename", "link", "symlink",
                         "readlink", "stat", "stat", "write", "cd", "cd-"])
        if kind == "open":
            return f"open {path()} {r.choice([0, 1])} {r.choice([0, 0, 1, 2, 4, 5, 8, 9, 3])} {r.choice([0, 1])}"
        if kind in ("rename", "link", "symlink"):
            return f"{kind} {path()} {path()}"
        if kind == "stat":
            return f"stat {path()} {r.choice([0, 1])}"
        if kind == "write":
            return f"write {path()} x{r.randint(0, 99)}"
        return "cd-" if kind == "cd-" else f"{kind} {path()}"

    return "".join(op() + "\n" for _ in range(count))


def fileops_script(seed: int, count: int = 150) -> str:
    """Random operations on one open file at a time for pathops.wasm: opens with
    random flags and rights, reads, writes, seeks, positional I/O, truncation and
    append mode."""
    r = random.Random(seed)
    names = ["hello.txt", "data.bin", "new", "sub", "link_to_hello", "dangling", "empty", "sub/a.txt"]
    rights = ["2", "40", "42", "0", "3fffffff", "4002"]

    def op() -> str:
        kind = r.choice(["fopen", "fread", "fread", "fwrite", "fwrite", "fseek", "fseek", "fpread", "fpwrite",
                         "ftrunc", "fflags", "fstat", "fclose"])
        if kind == "fopen":
            return (f"fopen {r.choice(names)} {r.choice([0, 0, 1, 5, 8, 9, 2])} {r.choice(rights)} "
                    f"{r.choice([0, 0, 1, 4])}")
        if kind in ("fread", "fpread"):
            return f"{kind} {r.randint(0, 20)} {r.randint(0, 300)}"
        if kind in ("fwrite", "fpwrite"):
            return f"{kind} {r.choice(['x', 'abc', 'hello-there'])}{r.randint(0, 9)} {r.randint(0, 300)}"
        if kind == "fseek":
            return f"fseek {r.randint(-300, 300)} {r.randint(0, 2)}"
        if kind == "ftrunc":
            return f"ftrunc {r.randint(0, 300)}"
        if kind == "fflags":
            return f"fflags {r.choice([0, 1, 4, 5, 2])}"
        return kind

    return "".join(op() + "\n" for _ in range(count))


CASES: Dict[str, Case] = {
    "args_env": Case(["one", "two words", "\u00fcn\u00efcode", ""], [("GREETING", "hi there"), ("EMPTY", ""),
                                                                     ("EQ", "a=b")]),
    "clocks_random": Case(),
    "fd_table": Case(),
    "file_io": Case(),
    "dirs": Case(),
    "links": Case(),
    "poll": Case(),
    "sockets": Case(),
    "stdio": Case(stdin=b"first line\nsecond line\n" + bytes(range(65, 91)) * 10),
    "exit_deep": Case(["3"]),
    "trap": Case(),
    "trap_pointer": Case(),
    "edges": Case(),
    "pathops": Case(stdin="".join(pathops_script(seed) + fileops_script(seed) for seed in range(4)).encode()),
    "escape": Case(),
}


def test_every_program_has_a_case() -> None:
    sources = sorted(f[:-2] for f in os.listdir(PROGRAMS) if f.endswith(".c"))
    assert sources == sorted(CASES)
    for name in sources:
        assert os.path.exists(os.path.join(PROGRAMS, name + ".wasm")), f"{name}.wasm not built (build.sh)"


def test_programs_cover_every_function() -> None:
    """Together the programs import (and call) all 46 preview1 functions."""
    from wasmlite.wasi.preview1 import SIGNATURES

    used = set()
    for name in CASES:
        module = Module.from_file(os.path.join(PROGRAMS, name + ".wasm")).syntax
        used |= {imp.name for imp in module.imports if imp.module == "wasi_snapshot_preview1"}
    assert used == set(SIGNATURES) and len(used) == 46


# -- the test tree --------------------------------------------------------------------

TREE: Dict[str, Any] = {
    "hello.txt": b"Hello, WASI!\n",
    "data.bin": bytes(range(256)),
    "sub": {"a.txt": b"aaa", "b.txt": b"bbbb", "nested": {"c.txt": b"c"}},
    "empty": {},
    "link_to_hello": Symlink("hello.txt"),
    "link_to_sub": Symlink("sub"),
    "dangling": Symlink("nowhere"),
    "loop1": Symlink("loop2"),
    "loop2": Symlink("loop1"),
    "self": Symlink("self"),
    "esc_rel": Symlink("../outside/secret.txt"),
    "esc_dir": Symlink("../outside"),
    "esc_mid": Symlink(".."),
    "esc_dangling": Symlink("../outside/none.txt"),
}
"""The preopen's contents; sub also gets esc_up -> .. and esc_up2 -> ../.., and
esc_abs is an absolute link to the secret (both made in ``make_tree``)."""


def memory_tree() -> dict:
    tree = dict(TREE)
    tree["sub"] = dict(TREE["sub"], esc_up=Symlink(".."), esc_up2=Symlink("../.."))
    tree["esc_abs"] = Symlink("/outside/secret.txt")
    return tree


def make_tree(base: str) -> str:
    """base/root (the preopen) and base/outside/secret.txt; returns the root."""
    root = os.path.join(base, "root")
    outside = os.path.join(base, "outside")
    build_tree(outside, {"secret.txt": b"top secret\n", "deeper": {"x": b"x"}})
    tree = memory_tree()
    tree["esc_abs"] = Symlink(os.path.join(outside, "secret.txt"))
    build_tree(root, tree)
    return root


def snapshot(path: str, times: bool = False) -> dict:
    """A directory tree as data: files' bytes, symlinks' targets, subdirectories."""
    out: dict = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        st = os.lstat(full)
        if os.path.islink(full):
            target = os.readlink(full)
            out[name] = ("link", "<outside>" if target.startswith("/") else target)
        elif os.path.isdir(full):
            out[name] = snapshot(full, times)
        else:
            with open(full, "rb") as f:
                out[name] = ("file", f.read())
        if times:
            out[name] = (out[name], st.st_mtime_ns, st.st_ctime_ns)
    return out


def memory_snapshot(tree: dict) -> dict:
    out: dict = {}
    for name, value in sorted(tree.items()):
        if isinstance(value, Symlink):
            out[name] = ("link", "<outside>" if value.target.startswith("/") else value.target)
        elif isinstance(value, dict):
            out[name] = memory_snapshot(value)
        else:
            out[name] = ("file", bytes(value))
    return out


# -- running ----------------------------------------------------------------------------

class Result(NamedTuple):
    status: object  # exit code, or TRAPPED
    stdout: bytes
    stderr: bytes


def run_wasmtime(name: str, case: Case, root: str, work: str) -> Result:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    config = wasmtime.WasiConfig()
    config.argv = [name + ".wasm"] + case.args
    config.env = case.env
    config.preopen_dir(root, "/")
    paths = {s: os.path.join(work, f"wasmtime.{s}") for s in ("stdin", "stdout", "stderr")}
    with open(paths["stdin"], "wb") as f:
        f.write(case.stdin)
    config.stdin_file = paths["stdin"]
    config.stdout_file = paths["stdout"]
    config.stderr_file = paths["stderr"]
    store.set_wasi(config)
    module = wasmtime.Module.from_file(engine, os.path.join(PROGRAMS, name + ".wasm"))
    instance = linker.instantiate(store, module)
    status: object = 0
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exc:
        status = exc.code
    except (wasmtime.Trap, wasmtime.WasmtimeError):
        status = TRAPPED
    with open(paths["stdout"], "rb") as f, open(paths["stderr"], "rb") as g:
        return Result(status, f.read(), g.read())


def run_cli(name: str, case: Case, root: str, tier: str) -> Result:
    cmd = [sys.executable, "-m", "wasmlite", "run", "--dir", root + "::/"]
    for k, v in case.env:
        cmd += ["--env", f"{k}={v}"]
    cmd += [name + ".wasm", *case.args]  # argv[0] as wasmtime-py is given it
    env = dict(os.environ, WASMLITE_TIER=tier, WASMLITE_CACHE_DIR="")
    r = subprocess.run(cmd, input=case.stdin, capture_output=True, timeout=300, env=env, cwd=PROGRAMS)
    stderr = r.stderr
    status: object = r.returncode
    if b"wasmlite: trap:" in stderr:
        assert r.returncode == 134, r.returncode
        status = TRAPPED
        stderr = stderr[:stderr.index(b"wasmlite: trap:")]
    assert b"Traceback" not in stderr, stderr.decode()
    return Result(status, r.stdout, stderr)


def run_in_memory(name: str, case: Case, fs: MemoryFS) -> Result:
    config = WasiConfig(argv=[name + ".wasm"] + case.args, env=case.env, preopens=[("/", fs)],
                        stdin=case.stdin, stdout=CAPTURE, stderr=CAPTURE)
    wasi = Wasi(config)
    module = Module.from_file(os.path.join(PROGRAMS, name + ".wasm")).syntax
    instance = instantiate(module, [wasi.imports()[imp.name] for imp in module.imports], call)
    wasi.bind(instance)
    status: object = 0
    try:
        call(instance.exports["_start"], [])
    except ExitError as exc:
        status = exc.code
    except Trap:
        status = TRAPPED
    finally:
        wasi.close()
    return Result(status, wasi.stdout_bytes(), wasi.stderr_bytes())


def _compare(ours: Result, theirs: Result) -> None:
    assert ours.stdout.decode(errors="replace").splitlines() == theirs.stdout.decode(errors="replace").splitlines()
    assert ours.stderr == theirs.stderr
    assert ours.status == theirs.status


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[Result, dict, dict]]:
    """Each program's wasmtime run: result, resulting tree, and the untouched outside."""
    out = {}
    for name, case in CASES.items():
        work = str(tmp_path_factory.mktemp(f"wasmtime-{name}"))
        root = make_tree(work)
        outside_before = snapshot(os.path.join(work, "outside"), times=True)
        result = run_wasmtime(name, case, root, work)
        assert snapshot(os.path.join(work, "outside"), times=True) == outside_before
        out[name] = (result, snapshot(root), outside_before)
    return out


@pytest.mark.parametrize("tier", ["0", "1"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_program_matches_wasmtime(name: str, tier: str, reference, tmp_path) -> None:
    theirs, their_tree, _ = reference[name]
    root = make_tree(str(tmp_path))
    outside = os.path.join(str(tmp_path), "outside")
    before = snapshot(outside, times=True)
    ours = run_cli(name, CASES[name], root, tier)
    _compare(ours, theirs)
    assert snapshot(root) == their_tree
    assert snapshot(outside, times=True) == before, "something outside the preopen changed"
    assert sorted(os.listdir(str(tmp_path))) == ["outside", "root"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_program_on_memory_fs_matches_wasmtime(name: str, reference) -> None:
    theirs, their_tree, _ = reference[name]
    fs = MemoryFS(memory_tree())
    ours = run_in_memory(name, CASES[name], fs)
    _compare(ours, theirs)
    assert memory_snapshot(fs.to_dict()) == their_tree


def test_escape_program_refuses_every_route(reference) -> None:
    """Not only equal to wasmtime: the escape program reads nothing from outside."""
    result, tree, _ = reference["escape"]
    assert b"top secret" not in result.stdout
    assert result.stdout.count(b"-> 63") >= 30  # EPERM, wasmtime's escape errno
    assert "stolen.txt" not in str(tree) and "hard.txt" not in str(tree)
