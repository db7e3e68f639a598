"""The 46 functions of ``wasi_snapshot_preview1``, with wasmtime's observable behaviour.

Each function takes the guest's integer arguments (i32/i64 as unsigned ints) and
returns an errno; a ``WasiErrno`` raised anywhere inside becomes that return value.
Where wasmtime traps, so do we: arguments outside their enum or flags type (checked
from ``CHECKS`` before the call) and guest pointers out of bounds. ``proc_exit``
raises ``ExitError``. Every behaviour here was measured against wasmtime 50 with
the programs of tests/wasi/programs.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Dict, List, Optional, Tuple

from ..errors import ExitError
from . import paths
from .config import CAPTURE, INHERIT, WasiConfig
from .constants import (
    ADVICE,
    CLOCKID,
    DIRENT_SIZE,
    FDFLAGS,
    FSTFLAGS,
    LOOKUPFLAGS,
    OFLAGS,
    RIFLAGS,
    RIGHTS,
    SDFLAGS,
    SIFLAGS,
    SIGNAL,
    WHENCE,
    Kind,
    EBADF,
    EBUSY,
    EEXIST,
    EINVAL,
    EISDIR,
    ELOOP,
    ENAMETOOLONG,
    ENOENT,
    ENOTDIR,
    ENOTSOCK,
    ENOTSUP,
    EPERM,
    ESPIPE,
    EXDEV,
    EVENT_SIZE,
    EVENTTYPE_CLOCK,
    EVENTTYPE_FD_READ,
    EVENTTYPE_FD_WRITE,
    FDFLAGS_APPEND,
    FDFLAGS_DSYNC,
    FDFLAGS_NONBLOCK,
    FDFLAGS_RSYNC,
    FDFLAGS_SYNC,
    FILETYPE_DIRECTORY,
    FILETYPE_SYMBOLIC_LINK,
    FSTFLAGS_ATIM,
    FSTFLAGS_ATIM_NOW,
    FSTFLAGS_MTIM,
    FSTFLAGS_MTIM_NOW,
    LOOKUP_SYMLINK_FOLLOW,
    OFLAGS_CREAT,
    OFLAGS_DIRECTORY,
    OFLAGS_EXCL,
    OFLAGS_TRUNC,
    RIGHT,
    SUBCLOCKFLAGS_ABSTIME,
    SUBSCRIPTION_SIZE,
    WasiErrno,
)
from .fdtable import (
    Descriptor,
    DirDescriptor,
    FdTable,
    FileDescriptor,
    StdioDescriptor,
    inherited,
)
from .fs import Path, Stat, Time
from .guestmem import GuestMemory

SIGNATURES: Dict[str, str] = {}
"""Function name -> parameter types ("i" i32, "I" i64); every result is one i32
(errno) except proc_exit's, which has none."""

CHECKS: Dict[str, Dict[int, Kind]] = {}
"""Function name -> {parameter index: its enum or flags type}: values outside the
type trap before the call, as wasmtime's argument conversion does."""

_SYNC_FLAGS = FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC
_WRITE_RIGHTS = RIGHT["fd_write"]
_READ_RIGHTS = RIGHT["fd_read"] | RIGHT["fd_readdir"]
_NS = 1_000_000_000
_CLOCKS = (time.time_ns, time.monotonic_ns)


def wasi(params: str, **checks: Kind) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Register a method as the WASI function of its name with these parameter types;
    ``checks`` names parameters (``p0``, ``p1``...) of enum or flags types."""

    def register(fn: Callable[..., int]) -> Callable[..., int]:
        SIGNATURES[fn.__name__] = params
        CHECKS[fn.__name__] = {int(k[1:]): kind for k, kind in checks.items()}
        return fn

    return register


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def _times(atim: int, mtim: int, fst: int) -> Tuple[Time, Time]:
    if (fst & FSTFLAGS_ATIM and fst & FSTFLAGS_ATIM_NOW) or (fst & FSTFLAGS_MTIM and fst & FSTFLAGS_MTIM_NOW):
        raise WasiErrno(EINVAL)
    a: Time = atim if fst & FSTFLAGS_ATIM else "now" if fst & FSTFLAGS_ATIM_NOW else None
    m: Time = mtim if fst & FSTFLAGS_MTIM else "now" if fst & FSTFLAGS_MTIM_NOW else None
    return a, m


class Preview1:
    """The WASI state of one instance: its descriptor table and streams."""

    def __init__(self, config: WasiConfig) -> None:
        self.config = config
        self.mem = GuestMemory(bytearray())
        self.table = FdTable()
        self.captured: Dict[int, bytearray] = {}
        self.table.add(self._stdin(config))
        for fileno, mode in ((1, config.stdout), (2, config.stderr)):
            if mode == CAPTURE:
                self.captured[fileno] = bytearray()
                self.table.add(StdioDescriptor(fileno, capture=self.captured[fileno]))
            else:
                self.table.add(StdioDescriptor(fileno, stream=inherited(fileno) if mode == INHERIT else None))
        for guest, fs in config.preopens:
            self.table.add(DirDescriptor(fs, (), preopen=guest))

    @staticmethod
    def _stdin(config: WasiConfig) -> StdioDescriptor:
        if isinstance(config.stdin, (bytes, bytearray)):
            return StdioDescriptor(0, source=bytes(config.stdin))
        if config.stdin == INHERIT:
            return StdioDescriptor(0, stream=inherited(0))
        return StdioDescriptor(0, source=b"")

    def close(self) -> None:
        """Close every descriptor the guest still holds (host files among them)."""
        for fd in list(self.table.fds):
            try:
                self.table.remove(fd).close()
            except WasiErrno:
                pass

    # -- descriptor lookups --------------------------------------------------------

    def _file(self, fd: int) -> FileDescriptor:
        d = self.table.get(fd)
        if not isinstance(d, FileDescriptor):
            raise WasiErrno(EBADF)
        return d

    def _dir(self, fd: int, not_dir: int = EBADF) -> DirDescriptor:
        d = self.table.get(fd)
        if isinstance(d, DirDescriptor):
            return d
        raise WasiErrno(not_dir if isinstance(d, FileDescriptor) else EBADF)

    def _path(self, ptr: int, length: int) -> str:
        return paths.decode(self.mem.read(ptr, length))

    def _resolve(self, fd: int, ptr: int, length: int, follow: bool,
                 follow_slash: bool = True) -> Tuple[DirDescriptor, paths.Resolved]:
        """Resolve a guest path against directory ``fd`` (a file there is EBADF)."""
        d = self._dir(fd)
        return d, paths.resolve(d.fs, d.path, self._path(ptr, length), follow, follow_slash)

    def _parent(self, fd: int, ptr: int, length: int) -> Tuple[DirDescriptor, paths.Parent]:
        """The first half of ``_resolve``: the walk up to the last component."""
        d = self._dir(fd)
        return d, paths.parent(d.fs, d.path, self._path(ptr, length))

    @staticmethod
    def _lstat(d: DirDescriptor, r: paths.Resolved) -> Stat:
        """The attributes where ``r`` led (ENOENT), a directory if the path said so (ENOTDIR)."""
        s = d.fs.lstat(r.path)
        if r.must_be_dir and s.filetype != FILETYPE_DIRECTORY:
            raise WasiErrno(ENOTDIR)
        return s

    def _write_filestat(self, ptr: int, s: Stat) -> None:
        m = self.mem
        m.check(ptr, 64)
        m.write(ptr, bytes(64))
        m.set_u64(ptr, s.dev)
        m.set_u64(ptr + 8, s.ino)
        m.set_u8(ptr + 16, s.filetype)
        m.set_u64(ptr + 24, s.nlink)
        m.set_u64(ptr + 32, s.size)
        m.set_u64(ptr + 40, s.atim)
        m.set_u64(ptr + 48, s.mtim)
        m.set_u64(ptr + 56, s.ctim)

    # -- arguments, environment, clocks, random ---------------------------------------

    def _strings(self, items: List[bytes], ptrs: int, buf: int) -> int:
        for i, s in enumerate(items):
            self.mem.set_u32(ptrs + 4 * i, buf)
            self.mem.write(buf, s + b"\0")
            buf += len(s) + 1
        return 0

    def _args(self) -> List[bytes]:
        return [a.encode("utf-8", "surrogateescape") for a in self.config.argv]

    def _environ(self) -> List[bytes]:
        return [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in self.config.env]

    def _sizes(self, items: List[bytes], count_ptr: int, size_ptr: int) -> int:
        self.mem.set_u32(count_ptr, len(items))
        self.mem.set_u32(size_ptr, sum(len(s) + 1 for s in items))
        return 0

    @wasi("ii")
    def args_get(self, argv: int, buf: int) -> int:
        return self._strings(self._args(), argv, buf)

    @wasi("ii")
    def args_sizes_get(self, argc: int, size: int) -> int:
        return self._sizes(self._args(), argc, size)

    @wasi("ii")
    def environ_get(self, environ: int, buf: int) -> int:
        return self._strings(self._environ(), environ, buf)

    @wasi("ii")
    def environ_sizes_get(self, count: int, size: int) -> int:
        return self._sizes(self._environ(), count, size)

    @staticmethod
    def _clock(clock_id: int) -> Callable[[], int]:
        """Clocks 0 (realtime) and 1 (monotonic); wasmtime offers no CPU-time clocks
        (2 and 3): EBADF."""
        if clock_id < len(_CLOCKS):
            return _CLOCKS[clock_id]
        raise WasiErrno(EBADF)

    @wasi("ii", p0=CLOCKID)
    def clock_res_get(self, clock_id: int, res: int) -> int:
        self._clock(clock_id)
        self.mem.set_u64(res, 1)
        return 0

    @wasi("iIi", p0=CLOCKID)
    def clock_time_get(self, clock_id: int, precision: int, out: int) -> int:
        self.mem.set_u64(out, self._clock(clock_id)())
        return 0

    @wasi("ii")
    def random_get(self, buf: int, length: int) -> int:
        self.mem.check(buf, length)
        self.mem.write(buf, os.urandom(length))
        return 0

    # -- process -------------------------------------------------------------------

    @wasi("i")
    def proc_exit(self, code: int) -> int:
        raise ExitError(code)

    @wasi("i", p0=SIGNAL)
    def proc_raise(self, sig: int) -> int:
        return ENOTSUP

    @wasi("")
    def sched_yield(self) -> int:
        return 0

    # -- descriptors ------------------------------------------------------------------

    @wasi("i")
    def fd_close(self, fd: int) -> int:
        self.table.get(fd)
        self.table.remove(fd).close()
        return 0

    @wasi("ii")
    def fd_renumber(self, fd: int, to: int) -> int:
        self.table.get(fd)
        self.table.get(to)
        if fd != to:
            self.table.replace(fd, to).close()
        return 0

    @wasi("ii")
    def fd_fdstat_get(self, fd: int, out: int) -> int:
        d = self.table.get(fd)
        base, inheriting = d.rights()
        self.mem.write(out, bytes(24))
        self.mem.set_u8(out, d.filetype)
        self.mem.set_u16(out + 2, d.fdflags)
        self.mem.set_u64(out + 8, base)
        self.mem.set_u64(out + 16, inheriting)
        return 0

    @wasi("ii", p1=FDFLAGS)
    def fd_fdstat_set_flags(self, fd: int, flags: int) -> int:
        f = self._file(fd)
        if flags & _SYNC_FLAGS:
            return EINVAL
        f.fdflags = flags & (FDFLAGS_APPEND | FDFLAGS_NONBLOCK)
        f.handle.set_append(bool(flags & FDFLAGS_APPEND))
        return 0

    @wasi("iII", p1=RIGHTS, p2=RIGHTS)
    def fd_fdstat_set_rights(self, fd: int, base: int, inheriting: int) -> int:
        self.table.get(fd)
        return ENOTSUP

    @wasi("ii")
    def fd_prestat_get(self, fd: int, out: int) -> int:
        d = self.table.get(fd)
        if not isinstance(d, DirDescriptor) or d.preopen is None:
            return EBADF
        self.mem.write(out, bytes(8))
        self.mem.set_u32(out + 4, len(d.preopen.encode("utf-8")))
        return 0

    @wasi("iii")
    def fd_prestat_dir_name(self, fd: int, buf: int, length: int) -> int:
        d = self.table.get(fd)
        if isinstance(d, FileDescriptor):
            return ENOTDIR  # (fd_prestat_get says EBADF: measured)
        if not isinstance(d, DirDescriptor) or d.preopen is None:
            return EBADF
        name = d.preopen.encode("utf-8")
        if length < len(name):
            return ENAMETOOLONG
        self.mem.write(buf, name)
        return 0

    # -- reading and writing --------------------------------------------------------

    def _first_iovec(self, iovs: int, count: int) -> Tuple[int, int]:
        """wasmtime reads into / writes from the first non-empty buffer only."""
        for buf, n in self.mem.iovecs(iovs, count):
            if n:
                return buf, n
        return 0, 0

    @wasi("iiii")
    def fd_read(self, fd: int, iovs: int, count: int, nread: int) -> int:
        d = self.table.get(fd)
        buf, n = self._first_iovec(iovs, count)
        if isinstance(d, FileDescriptor) and d.readable:
            data = d.handle.read(n) if n else b""
        elif isinstance(d, StdioDescriptor) and d.readable:
            data = d.read(n) if n else b""
        else:
            return EBADF
        self.mem.write(buf, data)
        self.mem.set_u32(nread, len(data))
        return 0

    @wasi("iiii")
    def fd_write(self, fd: int, iovs: int, count: int, nwritten: int) -> int:
        d = self.table.get(fd)
        buf, n = self._first_iovec(iovs, count)
        data = self.mem.read(buf, n)
        if isinstance(d, FileDescriptor) and d.writable:
            written = d.handle.write(data) if n else 0
        elif isinstance(d, StdioDescriptor) and d.writable:
            written = d.write(data) if n else 0
        else:
            return EBADF
        self.mem.set_u32(nwritten, written)
        return 0

    def _positional(self, fd: int, need_read: bool = False, need_write: bool = False) -> FileDescriptor:
        """A file descriptor that has a position (stdio has none: ESPIPE, once the
        descriptor is known to allow the access at all)."""
        d = self.table.get(fd)
        if isinstance(d, (StdioDescriptor, FileDescriptor)):
            if (need_read and not d.readable) or (need_write and not d.writable):
                raise WasiErrno(EBADF)
            if isinstance(d, FileDescriptor):
                return d
            raise WasiErrno(ESPIPE)
        raise WasiErrno(EBADF)

    @wasi("iiiIi")
    def fd_pread(self, fd: int, iovs: int, count: int, offset: int, nread: int) -> int:
        f = self._positional(fd, need_read=True)
        buf, n = self._first_iovec(iovs, count)
        data = f.handle.pread(n, offset) if n else b""
        self.mem.write(buf, data)
        self.mem.set_u32(nread, len(data))
        return 0

    @wasi("iiiIi")
    def fd_pwrite(self, fd: int, iovs: int, count: int, offset: int, nwritten: int) -> int:
        f = self._positional(fd, need_write=True)
        buf, n = self._first_iovec(iovs, count)
        written = f.handle.pwrite(self.mem.read(buf, n), offset) if n else 0
        self.mem.set_u32(nwritten, written)
        return 0

    @wasi("iIii", p2=WHENCE)
    def fd_seek(self, fd: int, offset: int, whence: int, out: int) -> int:
        f = self._positional(fd)
        base = (0, f.handle.pos, f.handle.stat().size)[whence]
        target = base + _signed64(offset)
        if not 0 <= target < 1 << 64:
            return EINVAL
        f.handle.pos = target
        self.mem.set_u64(out, target)
        return 0

    @wasi("ii")
    def fd_tell(self, fd: int, out: int) -> int:
        self.mem.set_u64(out, self._positional(fd).handle.pos)
        return 0

    @wasi("iIIi", p3=ADVICE)
    def fd_advise(self, fd: int, offset: int, length: int, advice: int) -> int:
        self._file(fd)
        return 0

    @wasi("iII")
    def fd_allocate(self, fd: int, offset: int, length: int) -> int:
        self._file(fd)
        return ENOTSUP

    @wasi("i")
    def fd_datasync(self, fd: int) -> int:
        self._file(fd).handle.sync()
        return 0

    @wasi("i")
    def fd_sync(self, fd: int) -> int:
        self._file(fd).handle.sync()
        return 0

    # -- attributes -----------------------------------------------------------------

    def _fd_stat(self, d: Descriptor) -> Stat:
        if isinstance(d, FileDescriptor):
            return d.handle.stat()
        if isinstance(d, DirDescriptor):
            return d.fs.stat(d.path)
        return Stat(0, 0, d.filetype, 0, 0, 0, 0, 0)

    @wasi("ii")
    def fd_filestat_get(self, fd: int, out: int) -> int:
        self._write_filestat(out, self._fd_stat(self.table.get(fd)))
        return 0

    @wasi("iI")
    def fd_filestat_set_size(self, fd: int, size: int) -> int:
        f = self._file(fd)
        if not f.writable:
            return EINVAL  # what ftruncate says on a read-only descriptor
        f.handle.truncate(size)
        return 0

    @wasi("iIIi", p3=FSTFLAGS)
    def fd_filestat_set_times(self, fd: int, atim: int, mtim: int, fst: int) -> int:
        d = self.table.get(fd)
        a, m = _times(atim, mtim, fst)
        if isinstance(d, FileDescriptor):
            d.handle.set_times(a, m)
        elif isinstance(d, DirDescriptor):
            d.fs.set_times(d.path, a, m, True)
        else:
            return EBADF
        return 0

    # -- directories ------------------------------------------------------------------

    @wasi("iiiIi")
    def fd_readdir(self, fd: int, buf: int, length: int, cookie: int, bufused: int) -> int:
        d = self.table.get(fd)
        if not isinstance(d, DirDescriptor):
            return EBADF
        here = d.fs.stat(d.path).ino  # wasmtime gives ".." the directory's own inode too
        entries = [(".", here, FILETYPE_DIRECTORY), ("..", here, FILETYPE_DIRECTORY)]
        entries += [(e.name, e.ino, e.filetype) for e in d.fs.listdir(d.path)]
        out = bytearray()
        for index in range(cookie, len(entries)):
            if len(out) >= length:
                break
            name, ino, filetype = entries[index]
            raw = name.encode("utf-8", "surrogateescape")
            head = bytearray(DIRENT_SIZE)
            head[0:8] = (index + 1).to_bytes(8, "little")
            head[8:16] = ino.to_bytes(8, "little")
            head[16:20] = len(raw).to_bytes(4, "little")
            head[20] = filetype
            out += head + raw
        out = out[:length]
        self.mem.write(buf, bytes(out))
        self.mem.set_u32(bufused, len(out))
        return 0

    @wasi("iii")
    def path_create_directory(self, fd: int, ptr: int, length: int) -> int:
        d, r = self._resolve(fd, ptr, length, False, follow_slash=False)
        if r.dotted or r.path == d.path:  # names an existing directory, or nothing
            return EEXIST if self._exists(d, r.path) else ENOENT
        d.fs.mkdir(r.path)
        return 0

    @wasi("iii")
    def path_remove_directory(self, fd: int, ptr: int, length: int) -> int:
        d, r = self._resolve(fd, ptr, length, False)
        if d.fs.lstat(r.path).filetype != FILETYPE_DIRECTORY:
            return ENOTDIR
        if r.dotted:  # wasmtime refuses "dir/." and ".." (and, before 51, "dir/" too)
            return EINVAL
        d.fs.rmdir(r.path)
        return 0

    @wasi("iii")
    def path_unlink_file(self, fd: int, ptr: int, length: int) -> int:
        d, r = self._resolve(fd, ptr, length, False)
        if r.path == d.path:
            return EISDIR
        kind = d.fs.lstat(r.path).filetype
        if kind == FILETYPE_DIRECTORY:
            return EISDIR
        if r.must_be_dir:
            return ENOTDIR
        d.fs.unlink(r.path)
        return 0

    @wasi("iiiii", p1=LOOKUPFLAGS)
    def path_filestat_get(self, fd: int, flags: int, ptr: int, length: int, out: int) -> int:
        d, r = self._resolve(fd, ptr, length, bool(flags & LOOKUP_SYMLINK_FOLLOW))
        self._write_filestat(out, self._lstat(d, r))
        return 0

    @wasi("iiiiIIi", p1=LOOKUPFLAGS, p6=FSTFLAGS)
    def path_filestat_set_times(self, fd: int, flags: int, ptr: int, length: int,
                                atim: int, mtim: int, fst: int) -> int:
        a, m = _times(atim, mtim, fst)
        d, r = self._resolve(fd, ptr, length, bool(flags & LOOKUP_SYMLINK_FOLLOW))
        self._lstat(d, r)
        d.fs.set_times(r.path, a, m, False)
        return 0

    @wasi("iiiiiii", p1=LOOKUPFLAGS)
    def path_link(self, old_fd: int, old_flags: int, old_ptr: int, old_len: int,
                  new_fd: int, new_ptr: int, new_len: int) -> int:
        if old_flags & LOOKUP_SYMLINK_FOLLOW:
            return EINVAL  # wasmtime links symlinks themselves only
        od, old = self._resolve(old_fd, old_ptr, old_len, False)
        nd, new = self._resolve(new_fd, new_ptr, new_len, False)
        s = self._lstat(od, old)
        if new.path == nd.path or self._exists(nd, new.path):
            self._lstat(nd, new)  # "file/" is ENOTDIR rather than EEXIST
            return EEXIST
        if s.filetype == FILETYPE_DIRECTORY:
            return EPERM
        if new.must_be_dir:
            return ENOENT
        if not od.fs.reaches(nd.fs):
            return EXDEV
        od.fs.link(old.path, nd.fs, new.path)
        return 0

    @staticmethod
    def _exists(d: DirDescriptor, path: Path) -> bool:
        try:
            d.fs.lstat(path)
            return True
        except WasiErrno:
            return False

    @wasi("iiiiii")
    def path_readlink(self, fd: int, ptr: int, length: int, buf: int, buf_len: int, bufused: int) -> int:
        d, r = self._resolve(fd, ptr, length, False)
        self._lstat(d, r)
        target = d.fs.readlink(r.path).encode("utf-8", "surrogateescape")
        if len(target) > buf_len:
            target = target[:buf_len]
        self.mem.write(buf, target)
        self.mem.set_u32(bufused, len(target))
        return 0

    @wasi("iiiiii")
    def path_rename(self, fd: int, old_ptr: int, old_len: int, new_fd: int, new_ptr: int, new_len: int) -> int:
        od, old_parent = self._parent(fd, old_ptr, old_len)
        nd, new_parent = self._parent(new_fd, new_ptr, new_len)
        old = paths.finish(od.fs, od.path, old_parent, False, follow_slash=False)
        new = paths.finish(nd.fs, nd.path, new_parent, False, follow_slash=False)
        if not od.fs.reaches(nd.fs):
            return EXDEV
        if old.dotted or new.dotted or old.path == od.path or new.path == nd.path:
            return EBUSY
        s = od.fs.lstat(old.path)
        if s.filetype != FILETYPE_DIRECTORY and (old.must_be_dir or new.must_be_dir):
            return ENOTDIR  # a symlink too: a trailing "/" does not follow it here
        od.fs.rename(old.path, nd.fs, new.path)
        return 0

    @wasi("iiiii")
    def path_symlink(self, old_ptr: int, old_len: int, fd: int, new_ptr: int, new_len: int) -> int:
        target = self._path(old_ptr, old_len)
        if not target:
            return ENOENT
        if target.startswith("/"):
            return paths.ESCAPE
        d, r = self._resolve(fd, new_ptr, new_len, False)
        if r.path == d.path:
            return EEXIST
        if r.must_be_dir:
            if not self._exists(d, r.path):
                return ENOENT
            return EEXIST if d.fs.lstat(r.path).filetype == FILETYPE_DIRECTORY else ENOTDIR
        d.fs.symlink(target, r.path)
        return 0

    @wasi("iiiiiIIii", p1=LOOKUPFLAGS, p4=OFLAGS, p5=RIGHTS, p6=RIGHTS, p7=FDFLAGS)
    def path_open(self, fd: int, dirflags: int, ptr: int, length: int, oflags: int,
                  base: int, inheriting: int, fdflags: int, out: int) -> int:
        d = self._dir(fd, ENOTDIR)
        if oflags & OFLAGS_DIRECTORY and oflags & (OFLAGS_CREAT | OFLAGS_TRUNC):
            return EINVAL
        if fdflags & _SYNC_FLAGS:
            return ENOTSUP
        text = self._path(ptr, length)
        if oflags & OFLAGS_CREAT and text.endswith("/") and paths.parent(d.fs, d.path, text).name:
            return EISDIR  # whatever the last component is, once the way there is walked
        exclusive = oflags & OFLAGS_CREAT and oflags & OFLAGS_EXCL  # never follows the last link
        r = paths.resolve(d.fs, d.path, text, bool(dirflags & LOOKUP_SYMLINK_FOLLOW) and not exclusive,
                          creating=bool(oflags & OFLAGS_CREAT))
        write = bool(base & _WRITE_RIGHTS or oflags & (OFLAGS_CREAT | OFLAGS_TRUNC))
        read = bool(base & _READ_RIGHTS) or not base & _WRITE_RIGHTS
        create = bool(oflags & OFLAGS_CREAT)
        try:
            s: Optional[Stat] = d.fs.lstat(r.path)
        except WasiErrno as exc:
            if exc.errno != ENOENT:
                raise
            s = None
        if s is None:
            if not create:
                return ENOENT
            if r.must_be_dir:
                return EISDIR
        elif create and oflags & OFLAGS_EXCL:
            return EEXIST
        elif s.filetype == FILETYPE_SYMBOLIC_LINK:
            return ELOOP
        elif s.filetype == FILETYPE_DIRECTORY:
            if write:
                return EISDIR
            self.mem.set_u32(out, self.table.add(DirDescriptor(d.fs, r.path)))
            return 0
        elif oflags & OFLAGS_DIRECTORY or r.must_be_dir:
            return ENOTDIR
        handle = d.fs.open(r.path, read, write, create, bool(oflags & OFLAGS_EXCL),
                           bool(oflags & OFLAGS_TRUNC), bool(fdflags & FDFLAGS_APPEND))
        filetype = handle.stat().filetype
        new = FileDescriptor(d.fs, r.path, handle, filetype, read, write,
                             fdflags & (FDFLAGS_APPEND | FDFLAGS_NONBLOCK))
        self.mem.set_u32(out, self.table.add(new))
        return 0

    # -- poll --------------------------------------------------------------------------

    @wasi("iiii")
    def poll_oneoff(self, subs: int, events: int, count: int, nevents: int) -> int:
        if count == 0:
            return EINVAL
        m = self.mem
        m.check(subs, count * SUBSCRIPTION_SIZE)
        now = time.monotonic_ns()
        ready: List[Tuple[int, int, int, int]] = []  # userdata, errno, type, nbytes
        deadline: Optional[int] = None
        clocks: List[Tuple[int, int]] = []  # userdata, deadline (monotonic ns)
        for i in range(count):
            at = subs + i * SUBSCRIPTION_SIZE
            userdata, tag = m.u64(at), m.u8(at + 8)
            if tag == EVENTTYPE_CLOCK:
                clock_id, timeout, flags = m.u32(at + 16), m.u64(at + 24), m.u16(at + 40)
                if clock_id >= len(_CLOCKS) or flags & ~SUBCLOCKFLAGS_ABSTIME:  # no CPU clocks here either
                    return EINVAL
                clock = self._clock(clock_id)
                if flags & SUBCLOCKFLAGS_ABSTIME:
                    wait = max(0, timeout - clock())
                else:
                    wait = timeout
                clocks.append((userdata, now + wait))
                deadline = now + wait if deadline is None else min(deadline, now + wait)
            elif tag in (EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE):
                fd = m.u32(at + 16)
                ready.append(self._fd_event(userdata, tag, fd))
            else:
                return EINVAL
        if not ready and deadline is not None:
            delay = deadline - time.monotonic_ns()
            if delay > 0:
                time.sleep(delay / _NS)
            after = time.monotonic_ns()
            ready = [(u, 0, EVENTTYPE_CLOCK, 0) for u, due in clocks if due <= after]
        m.check(events, len(ready) * EVENT_SIZE)
        for i, (userdata, errno, kind, nbytes) in enumerate(ready):
            at = events + i * EVENT_SIZE
            m.write(at, bytes(EVENT_SIZE))
            m.set_u64(at, userdata)
            m.set_u16(at + 8, errno)
            m.set_u8(at + 10, kind)
            m.set_u64(at + 16, nbytes)
        m.set_u32(nevents, len(ready))
        return 0

    def _fd_event(self, userdata: int, kind: int, fd: int) -> Tuple[int, int, int, int]:
        """Files and stdio are always ready; wasmtime reports 1 byte for them (a
        descriptor that is missing, a directory, or not open for that direction
        fails the whole call: EBADF)."""
        d = self.table.get(fd)
        if not isinstance(d, (FileDescriptor, StdioDescriptor)):
            raise WasiErrno(EBADF)
        if not (d.readable if kind == EVENTTYPE_FD_READ else d.writable):
            raise WasiErrno(EBADF)
        return userdata, 0, kind, 1

    # -- sockets: none can exist ---------------------------------------------------------

    def _no_socket(self, fd: int) -> int:
        self.table.get(fd)
        return ENOTSOCK

    @wasi("iii", p1=FDFLAGS)
    def sock_accept(self, fd: int, flags: int, out: int) -> int:
        return self._no_socket(fd)

    @wasi("iiiiii", p3=RIFLAGS)
    def sock_recv(self, fd: int, iovs: int, count: int, flags: int, nread: int, oflags: int) -> int:
        return self._no_socket(fd)

    @wasi("iiiii", p3=SIFLAGS)
    def sock_send(self, fd: int, iovs: int, count: int, flags: int, nwritten: int) -> int:
        return self._no_socket(fd)

    @wasi("ii", p1=SDFLAGS)
    def sock_shutdown(self, fd: int, how: int) -> int:
        return self._no_socket(fd)

