"""WASI below the programs: the sandbox route by route on both backends, the
in-memory file system, WasiConfig, ExitError through both tiers, and the CLI.

The WASI functions are called directly here, on a bare 1-page memory, so every
escape route gets its own test with the exact errno wasmtime gives (measured with
the C programs of test_wasi_programs, which run the same routes under wasmtime).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest

from conftest import REPO, build_tree

from wasmlite import syntax
from wasmlite.cli import TRAP_STATUS
from wasmlite.engine import call, interp
from wasmlite.errors import ExitError, Trap, WasmError
from wasmlite.module import Module
from wasmlite.runtime.instantiate import instantiate
from wasmlite.runtime.objects import MemoryInstance
from wasmlite.wasi import CAPTURE, MemoryFS, Symlink, Wasi, WasiConfig
from wasmlite.wasi.constants import (
    EBADF,
    EEXIST,
    EINVAL,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    EPERM,
    RIGHTS_ALL,
)

ROOT = 3
FOLLOW = 1
CREAT, DIRECTORY, EXCL, TRUNC = 1, 2, 4, 8

TREE: Dict[str, Any] = {
    "hello.txt": b"hello\n",
    "sub": {"a.txt": b"aaa", "esc_up": Symlink("..")},
    "esc_abs": Symlink("/etc/passwd"),
    "esc_rel": Symlink("../outside/secret.txt"),
    "esc_dir": Symlink("../outside"),
    "esc_mid": Symlink(".."),
    "esc_dangling": Symlink("../outside/none.txt"),
    "loop1": Symlink("loop2"),
    "loop2": Symlink("loop1"),
}


def listing(path: str) -> List[Tuple[str, int, int]]:
    """Every entry under ``path`` with its size and mtime (what a write would change)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(path):
        for name in sorted(dirnames + filenames):
            st = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), path), st.st_size, st.st_mtime_ns))
    return sorted(out)


class Guest:
    """A WASI instance driven from Python: strings go into a scratch memory."""

    def __init__(self, config: WasiConfig) -> None:
        self.wasi = Wasi(config)
        self.mem = MemoryInstance(syntax.MemoryType(syntax.Limits(1)))
        self.wasi.bind_memory(self.mem)
        self.fn = {name: f.callable for name, f in self.wasi.imports().items()}
        self.top = 4096

    def bytes_at(self, data: bytes) -> Tuple[int, int]:
        at = self.top
        self.mem.data[at:at + len(data)] = data
        self.top += len(data) + 8
        return at, len(data)

    def s(self, text: str) -> Tuple[int, int]:
        return self.bytes_at(text.encode())

    def u32(self, at: int) -> int:
        return int.from_bytes(self.mem.data[at:at + 4], "little")

    def open(self, path: str, follow: int = 0, oflags: int = 0, rights: int = RIGHTS_ALL,
             fd: int = ROOT) -> Tuple[int, int]:
        errno = self.fn["path_open"](fd, follow, *self.s(path), oflags, rights, rights, 0, 0)
        return errno, self.u32(0)

    def read_all(self, fd: int) -> bytes:
        out = b""
        while True:
            self.mem.data[16:24] = (1024).to_bytes(4, "little") + (1024).to_bytes(4, "little")
            assert self.fn["fd_read"](fd, 16, 1, 8) == 0
            n = self.u32(8)
            if not n:
                return out
            out += bytes(self.mem.data[1024:1024 + n])


@pytest.fixture(params=["host", "memory"])
def sandbox(request: Any, tmp_path: Any) -> Any:
    """A guest with the tree preopened as "/", and (host) a directory outside it."""
    if request.param == "host":
        build_tree(str(tmp_path / "outside"), {"secret.txt": b"top secret\n"})
        build_tree(str(tmp_path / "root"), TREE)
        guest = Guest(WasiConfig(preopens=[("/", str(tmp_path / "root"))]))
        before = listing(str(tmp_path / "outside"))
        yield guest
        assert listing(str(tmp_path / "outside")) == before, "the guest changed something outside"
        assert sorted(os.listdir(str(tmp_path))) == ["outside", "root"]
    else:
        yield Guest(WasiConfig(preopens=[("/", MemoryFS(TREE))]))


# -- one test per escape route ----------------------------------------------------------

def test_dotdot_cannot_leave_the_preopen(sandbox: Guest) -> None:
    for path in ["..", "../outside/secret.txt", "sub/../..", "sub/../../outside/secret.txt", "./.."]:
        assert sandbox.open(path)[0] == EPERM, path
        assert sandbox.open(path, FOLLOW)[0] == EPERM, path
    assert sandbox.open("sub/..", oflags=DIRECTORY, rights=0)[0] == 0  # inside is fine


def test_absolute_paths_are_refused(sandbox: Guest) -> None:
    for path in ["/", "/hello.txt", "/outside/secret.txt", "/etc/passwd"]:
        assert sandbox.open(path)[0] == EPERM, path
        assert sandbox.fn["path_create_directory"](ROOT, *sandbox.s(path + "x")) == EPERM


def test_symlink_to_an_absolute_path_is_not_followed(sandbox: Guest) -> None:
    assert sandbox.open("esc_abs", FOLLOW, rights=2)[0] == EPERM
    assert sandbox.open("esc_abs", 0, rights=2)[0] == ELOOP  # O_NOFOLLOW on a symlink
    assert sandbox.fn["path_filestat_get"](ROOT, FOLLOW, *sandbox.s("esc_abs"), 64) == EPERM
    assert sandbox.fn["path_filestat_get"](ROOT, 0, *sandbox.s("esc_abs"), 64) == 0  # the link itself


def test_symlink_climbing_out_is_not_followed(sandbox: Guest) -> None:
    assert sandbox.open("esc_rel", FOLLOW, rights=2)[0] == EPERM
    assert sandbox.open("esc_rel", FOLLOW, oflags=CREAT | TRUNC)[0] == EPERM


def test_dangling_symlink_out_creates_nothing(sandbox: Guest) -> None:
    assert sandbox.open("esc_dangling", FOLLOW, oflags=CREAT)[0] == EPERM
    assert sandbox.open("esc_dangling", 0, oflags=CREAT)[0] == ELOOP


def test_intermediate_symlink_components_out(sandbox: Guest) -> None:
    for path in ["esc_dir/secret.txt", "esc_mid/outside/secret.txt", "esc_dir/new.txt", "sub/esc_up/esc_mid/x"]:
        assert sandbox.open(path, rights=2)[0] == EPERM, path
        assert sandbox.open(path, oflags=CREAT)[0] == EPERM, path
    assert sandbox.fn["path_create_directory"](ROOT, *sandbox.s("esc_dir/newdir")) == EPERM
    assert sandbox.fn["path_unlink_file"](ROOT, *sandbox.s("esc_dir/secret.txt")) == EPERM
    assert sandbox.fn["path_symlink"](*sandbox.s("x"), ROOT, *sandbox.s("esc_dir/newlink")) == EPERM
    assert sandbox.open("sub/esc_up/hello.txt", rights=2)[0] == 0  # back inside: allowed


def test_symlink_loops(sandbox: Guest) -> None:
    assert sandbox.open("loop1", FOLLOW, rights=2)[0] == ELOOP
    assert sandbox.open("loop1/x", 0, rights=2)[0] == ELOOP
    assert sandbox.fn["path_filestat_get"](ROOT, FOLLOW, *sandbox.s("loop2"), 64) == ELOOP


def test_hard_links_across_the_boundary(sandbox: Guest) -> None:
    link = sandbox.fn["path_link"]
    assert link(ROOT, 0, *sandbox.s("../outside/secret.txt"), ROOT, *sandbox.s("got.txt")) == EPERM
    assert link(ROOT, 0, *sandbox.s("esc_dir/secret.txt"), ROOT, *sandbox.s("got.txt")) == EPERM
    assert link(ROOT, FOLLOW, *sandbox.s("esc_rel"), ROOT, *sandbox.s("got.txt")) == EINVAL
    assert link(ROOT, 0, *sandbox.s("hello.txt"), ROOT, *sandbox.s("../outside/h.txt")) == EPERM
    assert link(ROOT, 0, *sandbox.s("hello.txt"), ROOT, *sandbox.s("esc_dir/h.txt")) == EPERM
    assert sandbox.open("got.txt", rights=2)[0] == ENOENT


def test_renames_across_the_boundary(sandbox: Guest) -> None:
    rename = sandbox.fn["path_rename"]
    assert rename(ROOT, *sandbox.s("hello.txt"), ROOT, *sandbox.s("../outside/stolen")) == EPERM
    assert rename(ROOT, *sandbox.s("hello.txt"), ROOT, *sandbox.s("esc_dir/stolen")) == EPERM
    assert rename(ROOT, *sandbox.s("../outside/secret.txt"), ROOT, *sandbox.s("got")) == EPERM
    assert rename(ROOT, *sandbox.s("esc_mid/outside"), ROOT, *sandbox.s("got")) == EPERM


def test_a_directory_descriptor_is_its_own_sandbox(sandbox: Guest) -> None:
    errno, sub = sandbox.open("sub", oflags=DIRECTORY, rights=0)
    assert errno == 0
    assert sandbox.open("../hello.txt", fd=sub, rights=2)[0] == EPERM
    assert sandbox.open("esc_up/hello.txt", FOLLOW, fd=sub, rights=2)[0] == EPERM
    assert sandbox.open("a.txt", fd=sub, rights=2)[0] == 0


def test_symlinks_out_can_be_made_but_not_followed(sandbox: Guest) -> None:
    assert sandbox.fn["path_symlink"](*sandbox.s("../outside/secret.txt"), ROOT, *sandbox.s("mine")) == 0
    assert sandbox.fn["path_symlink"](*sandbox.s("/etc/passwd"), ROOT, *sandbox.s("mine2")) == EPERM
    assert sandbox.open("mine", FOLLOW, rights=2)[0] == EPERM


def test_guest_descriptors_are_its_own(tmp_path: Any) -> None:
    host_fd = os.open(str(tmp_path), os.O_RDONLY)  # a host descriptor the guest was not given
    try:
        guest = Guest(WasiConfig(preopens=[("/", str(tmp_path))]))
        for fd in list(range(4, 64)) + [host_fd]:
            assert guest.fn["fd_fdstat_get"](fd, 0) == EBADF
            assert guest.fn["fd_close"](fd) == EBADF
            assert guest.fn["fd_renumber"](ROOT, fd) == EBADF
        assert guest.fn["fd_close"](ROOT) == 0  # its own preopen: closed for it only
        os.fstat(host_fd)
        assert guest.open("x", oflags=CREAT)[0] == EBADF
    finally:
        os.close(host_fd)


def test_close_releases_host_files(tmp_path: Any) -> None:
    (tmp_path / "f").write_bytes(b"x")
    guest = Guest(WasiConfig(preopens=[("/", str(tmp_path))]))
    errno, fd = guest.open("f", rights=2)
    assert errno == 0
    host_fd = guest.wasi.state.table.fds[fd].handle.fd  # type: ignore[attr-defined]
    os.fstat(host_fd)
    guest.wasi.close()
    with pytest.raises(OSError):
        os.fstat(host_fd)
    assert guest.fn["fd_fdstat_get"](fd, 0) == EBADF


def test_bad_guest_pointers_trap(sandbox: Guest) -> None:
    """wasmtime traps on a guest pointer out of bounds (it does not return EFAULT)."""
    for name, args in [("path_open", (ROOT, 0, 65530, 100, 0, 0, 0, 0, 0)),
                       ("fd_fdstat_get", (ROOT, 65536 - 8)), ("args_sizes_get", (0, 70000)),
                       ("random_get", (65000, 1000)), ("fd_write", (1, 65532, 1, 0))]:
        with pytest.raises(Trap, match="pointer out of bounds"):
            sandbox.fn[name](*args)


def test_values_outside_enum_and_flags_types_trap(sandbox: Guest) -> None:
    for name, args, what in [("fd_seek", (ROOT, 0, 3, 0), "enum value Whence"),
                             ("clock_time_get", (4, 0, 0), "enum value Clockid"),
                             ("fd_advise", (ROOT, 0, 0, 6), "enum value Advice"),
                             ("path_open", (ROOT, 2, 0, 1, 0, 0, 0, 0, 0), "flag value Lookupflags"),
                             ("path_open", (ROOT, 0, 0, 1, 16, 0, 0, 0, 0), "flag value Oflags"),
                             ("path_open", (ROOT, 0, 0, 1, 0, 1 << 30, 0, 0, 0), "flag value Rights"),
                             ("fd_fdstat_set_flags", (ROOT, 32), "flag value Fdflags"),
                             ("fd_filestat_set_times", (ROOT, 0, 0, 16), "flag value Fstflags")]:
        with pytest.raises(Trap, match="invalid " + what):
            sandbox.fn[name](*args)


def test_poll_rejects_bad_subscriptions_with_einval(sandbox: Guest) -> None:
    """Subscriptions are read from memory: there wasmtime answers EINVAL, not a trap."""
    poll = sandbox.fn["poll_oneoff"]
    assert poll(1024, 2048, 0, 0) == EINVAL
    for tag, clock_id, flags in [(3, 0, 0), (0, 2, 0), (0, 7, 0), (0, 1, 2)]:
        sub = bytearray(48)
        sub[8] = tag
        sub[16:20] = clock_id.to_bytes(4, "little")
        sub[40:42] = flags.to_bytes(2, "little")
        sandbox.mem.data[1024:1072] = sub
        assert poll(1024, 2048, 1, 0) == EINVAL, (tag, clock_id, flags)


def test_invalid_utf8_path(sandbox: Guest) -> None:
    errno = sandbox.fn["path_open"](ROOT, 0, *sandbox.bytes_at(b"\xff\xfe"), 0, 0, 0, 0, 0)
    assert errno == 25  # EILSEQ


# -- the in-memory file system ------------------------------------------------------------

def test_memory_fs_round_trip_and_semantics() -> None:
    fs = MemoryFS({"a": "text", "d": {"b": b"\x00\x01"}, "l": Symlink("a")})
    guest = Guest(WasiConfig(preopens=[("/data", fs)]))
    errno, fd = guest.open("l", FOLLOW, rights=2)
    assert errno == 0 and guest.read_all(fd) == b"text"
    assert guest.open("d", oflags=CREAT | EXCL)[0] == EEXIST
    assert guest.open("d")[0] == EISDIR  # opened for writing
    assert guest.open("a", oflags=DIRECTORY)[0] == ENOTDIR
    assert guest.fn["path_rename"](ROOT, *guest.s("d"), ROOT, *guest.s("d/inside")) == EINVAL
    assert guest.fn["path_remove_directory"](ROOT, *guest.s("d")) == 55  # ENOTEMPTY
    assert guest.fn["path_link"](ROOT, 0, *guest.s("a"), ROOT, *guest.s("d/a2")) == 0
    errno, w = guest.open("new", oflags=CREAT)
    assert errno == 0
    guest.mem.data[16:24] = (2048).to_bytes(4, "little") + (3).to_bytes(4, "little")
    guest.mem.data[2048:2051] = b"xyz"
    assert guest.fn["fd_write"](w, 16, 1, 8) == 0 and guest.u32(8) == 3
    tree = fs.to_dict()
    assert tree["new"] == b"xyz" and tree["d"] == {"b": b"\x00\x01", "a2": b"text"}
    assert isinstance(tree["l"], Symlink) and tree["l"].target == "a"
    prestat = guest.fn["fd_prestat_get"](ROOT, 64)
    assert prestat == 0 and guest.u32(68) == len("/data")


def test_memory_fs_rejects_bad_names() -> None:
    for bad in ["", ".", "..", "a/b"]:
        with pytest.raises(ValueError):
            MemoryFS({bad: b""})


# -- WasiConfig ----------------------------------------------------------------------------

def test_config_stdio_capture_and_stdin_bytes() -> None:
    guest = Guest(WasiConfig(stdin=b"input!", stdout=CAPTURE, stderr=CAPTURE))
    assert guest.read_all(0) == b"input!"
    guest.mem.data[16:24] = (2048).to_bytes(4, "little") + (5).to_bytes(4, "little")
    guest.mem.data[2048:2053] = b"out\n!"
    assert guest.fn["fd_write"](1, 16, 1, 8) == 0
    assert guest.fn["fd_write"](2, 16, 1, 8) == 0
    assert guest.wasi.stdout_bytes() == b"out\n!" and guest.wasi.stderr_bytes() == b"out\n!"


def test_config_errors() -> None:
    with pytest.raises(WasmError):
        Wasi(WasiConfig(stdout=None)).stdout_bytes()
    with pytest.raises(ValueError):
        WasiConfig(stdout="file")
    with pytest.raises(ValueError):
        WasiConfig(stdin=123)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WasiConfig(preopens=[("/", "/no/such/dir")])
    with pytest.raises(TypeError):
        WasiConfig(preopens=[("/", 42)])  # type: ignore[list-item]


def test_config_args_and_env() -> None:
    guest = Guest(WasiConfig(argv=["prog", "x y"], env={"A": "1", "B": "="}))
    assert guest.fn["args_sizes_get"](0, 4) == 0 and (guest.u32(0), guest.u32(4)) == (2, 9)
    assert guest.fn["environ_sizes_get"](0, 4) == 0 and (guest.u32(0), guest.u32(4)) == (2, 8)
    assert guest.fn["environ_get"](100, 200) == 0
    assert bytes(guest.mem.data[200:208]) == b"A=1\0B==\0"


# -- proc_exit through wasm frames, both tiers -----------------------------------------------

EXIT_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $down (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (call $exit (i32.const 42))))
    (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "_start") (drop (call $down (i32.const 300)))))"""


@pytest.mark.parametrize("tier", ["0", "1"])
def test_exit_unwinds_every_frame(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", tier)
    module = Module(EXIT_WAT).syntax
    wasi = Wasi(WasiConfig())
    instance = instantiate(module, [wasi.imports()["proc_exit"]], call)
    wasi.bind(instance)
    with pytest.raises(ExitError) as info:
        call(instance.exports["_start"], [])
    assert info.value.code == 42
    assert interp._depth == 0


# -- the command line -----------------------------------------------------------------------

def run(*args: str, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wasmlite", "run", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_cli_exit_status_is_proc_exit_code(tmp_path: Any) -> None:
    wat = tmp_path / "exit.wat"
    wat.write_text(EXIT_WAT)
    r = run(str(wat))
    assert r.returncode == 42 and r.stderr == ""


def test_cli_dir_env_and_args(tmp_path: Any) -> None:
    prog = os.path.join(REPO, "tests", "wasi", "programs", "args_env.wasm")
    r = run("--env", "GREETING=hello", "--dir", str(tmp_path) + "::/", prog, "a", "--b")
    assert r.returncode == 0, r.stderr
    assert "argv[1]=a\nargv[2]=--b\n" in r.stdout and "getenv(GREETING)=hello" in r.stdout


def test_cli_dir_without_guest_path_uses_the_host_path(tmp_path: Any) -> None:
    prog = os.path.join(REPO, "tests", "wasi", "programs", "fd_table.wasm")
    (tmp_path / "hello.txt").write_text("hi")
    (tmp_path / "sub").mkdir()
    r = run("--dir", ".", prog, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "prestat 3 -> 0 tag=0 len=1 small=37 name=0:." in r.stdout


def test_cli_usage_errors(tmp_path: Any) -> None:
    prog = os.path.join(REPO, "tests", "wasi", "programs", "args_env.wasm")
    r = run("--dir", str(tmp_path / "nope"), prog)
    assert r.returncode == 2 and "is not a directory" in r.stderr and "Traceback" not in r.stderr
    r = run("--env", "=x", prog)
    assert r.returncode == 2 and "--env expects NAME=VALUE" in r.stderr
    r = run("--dir")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_cli_unknown_imports_are_a_link_error(tmp_path: Any) -> None:
    wat = tmp_path / "env.wat"
    wat.write_text('(module (import "env" "f" (func)) (func (export "_start")))')
    r = run(str(wat))
    assert r.returncode == 1 and "LinkError" in r.stderr and "env::f" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_invoke_on_a_wasi_reactor_initializes_it(tmp_path: Any) -> None:
    wat = tmp_path / "reactor.wat"
    wat.write_text("""(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global $ready (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $ready (i32.const 40)))
      (func (export "get") (param i32) (result i32) (i32.add (global.get $ready) (local.get 0))))""")
    r = run("--invoke", "get", str(wat), "2")
    assert r.returncode == 0 and r.stdout == "42\n", r.stderr


def test_cli_trap_in_wasi_program(tmp_path: Any) -> None:
    prog = os.path.join(REPO, "tests", "wasi", "programs", "trap.wasm")
    r = run(prog)
    assert r.returncode == TRAP_STATUS
    assert r.stdout == "before the trap\n"
    assert "wasmlite: trap: unreachable" in r.stderr and "wasm backtrace:" in r.stderr
    assert "boom" in r.stderr  # named from the name section
