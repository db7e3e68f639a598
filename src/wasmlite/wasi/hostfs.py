"""A preopen backed by a host directory.

Every path given here was resolved component by component by ``wasi.paths`` and
contains no symlink except possibly its last component, so joining it under the
root and calling the OS (never following a final symlink unless asked) stays
inside the root. Host errors become WASI errnos.
"""

from __future__ import annotations

import os
import stat as st
import sys
import time
from typing import Callable, List, TypeVar

from .constants import (
    EBADF,
    FILETYPE_BLOCK_DEVICE,
    FILETYPE_CHARACTER_DEVICE,
    FILETYPE_DIRECTORY,
    FILETYPE_REGULAR_FILE,
    FILETYPE_SOCKET_STREAM,
    FILETYPE_SYMBOLIC_LINK,
    FILETYPE_UNKNOWN,
    WasiErrno,
    from_oserror,
)
from .fs import DirEntry, FileSystem, OpenFile, Path, Stat, Time

T = TypeVar("T")

_LINK_NOFOLLOW = {} if sys.implementation.name == "pypy" else {"follow_symlinks": False}
"""How to hard-link a symlink itself: PyPy's ``os.link`` refuses ``follow_symlinks=False``
(EINVAL) but its plain form does not follow; CPython's plain form follows. (``sys``, not
``platform``: importing that cost every WASI program's start 1.6 ms.)"""


def oscall(fn: Callable[..., T], *args: object, **kw: object) -> T:
    """Call an ``os`` function, turning its OSError into WasiErrno."""
    try:
        return fn(*args, **kw)
    except OSError as exc:
        raise WasiErrno(from_oserror(exc)) from None


def filetype_of(mode: int) -> int:
    if st.S_ISREG(mode):
        return FILETYPE_REGULAR_FILE
    if st.S_ISDIR(mode):
        return FILETYPE_DIRECTORY
    if st.S_ISLNK(mode):
        return FILETYPE_SYMBOLIC_LINK
    if st.S_ISCHR(mode):
        return FILETYPE_CHARACTER_DEVICE
    if st.S_ISBLK(mode):
        return FILETYPE_BLOCK_DEVICE
    if st.S_ISSOCK(mode):
        return FILETYPE_SOCKET_STREAM
    return FILETYPE_UNKNOWN


def stat_of(s: os.stat_result) -> Stat:
    return Stat(s.st_dev, s.st_ino, filetype_of(s.st_mode), s.st_nlink, s.st_size,
                s.st_atime_ns, s.st_mtime_ns, s.st_ctime_ns)


def _times(old: Stat, atime: Time, mtime: Time) -> "tuple[int, int]":
    now = time.time_ns()
    a = old.atim if atime is None else now if atime == "now" else int(atime)
    m = old.mtim if mtime is None else now if mtime == "now" else int(mtime)
    return a, m


class HostFile(OpenFile):
    """A host file descriptor, read and written at our own position; append mode is
    emulated so it can be switched at will."""

    def __init__(self, fd: int, append: bool) -> None:
        self.fd = fd
        self.append = append

    def read(self, n: int) -> bytes:
        data = oscall(os.pread, self.fd, n, self.pos)
        self.pos += len(data)
        return data

    def write(self, data: bytes) -> int:
        if self.append:
            self.pos = self.stat().size
        n = oscall(os.pwrite, self.fd, data, self.pos)
        self.pos += n
        return n

    def pread(self, n: int, offset: int) -> bytes:
        return oscall(os.pread, self.fd, n, offset)

    def pwrite(self, data: bytes, offset: int) -> int:
        if self.append:  # as Linux does for O_APPEND: at the end, the position unmoved
            offset = self.stat().size
        return oscall(os.pwrite, self.fd, data, offset)

    def stat(self) -> Stat:
        return stat_of(oscall(os.fstat, self.fd))

    def truncate(self, size: int) -> None:
        oscall(os.ftruncate, self.fd, size)

    def allocate(self, offset: int, length: int) -> None:
        if self.stat().size < offset + length:
            oscall(os.ftruncate, self.fd, offset + length)

    def set_times(self, atime: Time, mtime: Time) -> None:
        oscall(os.utime, self.fd, ns=_times(self.stat(), atime, mtime))

    def sync(self) -> None:
        oscall(os.fsync, self.fd)

    def set_append(self, append: bool) -> None:
        self.append = append

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            raise WasiErrno(EBADF) from None


class HostFileSystem(FileSystem):
    """The tree under the host directory ``root``."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def host(self, path: Path) -> str:
        return os.path.join(self.root, *path)

    def lstat(self, path: Path) -> Stat:
        return stat_of(oscall(os.lstat, self.host(path)))

    def stat(self, path: Path) -> Stat:
        return stat_of(oscall(os.stat, self.host(path)))

    def readlink(self, path: Path) -> str:
        return oscall(os.readlink, self.host(path))

    def listdir(self, path: Path) -> List[DirEntry]:
        out = []
        with oscall(os.scandir, self.host(path)) as it:
            for e in it:
                try:
                    mode = e.stat(follow_symlinks=False).st_mode
                except OSError:
                    mode = 0
                out.append(DirEntry(e.name, e.inode(), filetype_of(mode)))
        return out

    def open(self, path: Path, read: bool, write: bool, create: bool, exclusive: bool,
             truncate: bool, append: bool) -> OpenFile:
        flags = os.O_RDWR if (read and write) else os.O_WRONLY if write else os.O_RDONLY
        flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        if create:
            flags |= os.O_CREAT
        if exclusive:
            flags |= os.O_EXCL
        if truncate:
            flags |= os.O_TRUNC
        return HostFile(oscall(os.open, self.host(path), flags, 0o644), append)

    def mkdir(self, path: Path) -> None:
        oscall(os.mkdir, self.host(path), 0o755)

    def rmdir(self, path: Path) -> None:
        oscall(os.rmdir, self.host(path))

    def unlink(self, path: Path) -> None:
        oscall(os.unlink, self.host(path))

    def reaches(self, other: FileSystem) -> bool:
        return isinstance(other, HostFileSystem)

    def rename(self, old: Path, to: FileSystem, new: Path) -> None:
        assert isinstance(to, HostFileSystem)
        oscall(os.rename, self.host(old), to.host(new))

    def link(self, old: Path, to: FileSystem, new: Path) -> None:
        assert isinstance(to, HostFileSystem)
        oscall(os.link, self.host(old), to.host(new), **_LINK_NOFOLLOW)

    def symlink(self, target: str, path: Path) -> None:
        oscall(os.symlink, target, self.host(path))

    def set_times(self, path: Path, atime: Time, mtime: Time, follow: bool) -> None:
        old = self.stat(path) if follow else self.lstat(path)
        oscall(os.utime, self.host(path), ns=_times(old, atime, mtime), follow_symlinks=follow)
