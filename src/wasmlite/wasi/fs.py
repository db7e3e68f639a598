"""What a preopened directory tree must offer, whether it lives on the host or in
memory: the ``FileSystem`` and ``OpenFile`` interfaces and the ``Stat`` record.

Paths reaching a ``FileSystem`` are tuples of components relative to its root,
already resolved by ``wasi.paths`` (no ``.``, ``..``, empty parts, or symlinks except
possibly the last component), so a backend never resolves a guest path itself:
that is where the sandbox lives, once, for both backends. Errors are ``WasiErrno``.
"""

from __future__ import annotations

from typing import List, NamedTuple, Tuple, Union

Path = Tuple[str, ...]

Time = Union[None, str, int]
"""A time to set: None leaves it, ``"now"`` is the current time, an int is ns since the epoch."""


class Stat(NamedTuple):
    """A file's attributes as WASI's ``filestat`` has them (times in ns)."""

    dev: int
    ino: int
    filetype: int
    nlink: int
    size: int
    atim: int
    mtim: int
    ctim: int


class DirEntry(NamedTuple):
    name: str
    ino: int
    filetype: int


class OpenFile:
    """An open regular file (or other non-directory). ``pos`` is its position, kept
    here rather than by the host (as wasmtime keeps it): any u64 is a position, and
    reads and writes go to it."""

    pos = 0

    def read(self, n: int) -> bytes:
        raise NotImplementedError

    def write(self, data: bytes) -> int:
        raise NotImplementedError

    def pread(self, n: int, offset: int) -> bytes:
        raise NotImplementedError

    def pwrite(self, data: bytes, offset: int) -> int:
        raise NotImplementedError

    def stat(self) -> Stat:
        raise NotImplementedError

    def truncate(self, size: int) -> None:
        raise NotImplementedError

    def allocate(self, offset: int, length: int) -> None:
        raise NotImplementedError

    def set_times(self, atime: Time, mtime: Time) -> None:
        raise NotImplementedError

    def sync(self) -> None:
        raise NotImplementedError

    def set_append(self, append: bool) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class FileSystem:
    """A directory tree a preopen gives access to."""

    def lstat(self, path: Path) -> Stat:
        """The attributes of ``path`` without following a final symlink (ENOENT, ENOTDIR)."""
        raise NotImplementedError

    def stat(self, path: Path) -> Stat:
        """Like ``lstat`` on a path the resolver has already followed."""
        return self.lstat(path)

    def readlink(self, path: Path) -> str:
        raise NotImplementedError

    def listdir(self, path: Path) -> List[DirEntry]:
        """The entries of a directory, without ``.`` and ``..``."""
        raise NotImplementedError

    def open(self, path: Path, read: bool, write: bool, create: bool, exclusive: bool,
             truncate: bool, append: bool) -> OpenFile:
        """Open a non-directory (the caller has checked it is not a directory or symlink)."""
        raise NotImplementedError

    def mkdir(self, path: Path) -> None:
        raise NotImplementedError

    def rmdir(self, path: Path) -> None:
        raise NotImplementedError

    def unlink(self, path: Path) -> None:
        raise NotImplementedError

    def rename(self, old: Path, to: "FileSystem", new: Path) -> None:
        """Move ``old`` here to ``new`` in ``to`` (for which ``reaches(to)`` holds)."""
        raise NotImplementedError

    def link(self, old: Path, to: "FileSystem", new: Path) -> None:
        raise NotImplementedError

    def symlink(self, target: str, path: Path) -> None:
        raise NotImplementedError

    def set_times(self, path: Path, atime: Time, mtime: Time, follow: bool) -> None:
        raise NotImplementedError

    def reaches(self, other: "FileSystem") -> bool:
        """Whether rename/link from here into ``other`` is possible (else EXDEV)."""
        return other is self
