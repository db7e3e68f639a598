"""The guest's descriptor table: numbers the guest sees, mapped to what they name.

The table is the guest's own: stdio is 0-2, preopens follow, and a new descriptor
takes the highest freed number, else one past the highest in use (as wasmtime
does); a guest can only name what is here, and
closing one never closes a host descriptor it was not given by ``path_open``.
Rights are reported the way wasmtime reports them (it does not enforce them beyond
a descriptor's read/write mode).
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO, Dict, Optional, Set

from .constants import (
    EBADF,
    FILETYPE_CHARACTER_DEVICE,
    FILETYPE_DIRECTORY,
    FILETYPE_UNKNOWN,
    RIGHT,
    RIGHTS_ALL,
    WasiErrno,
)
from .fs import FileSystem, OpenFile, Path

DIR_RIGHTS = RIGHTS_ALL & ~(RIGHT["fd_seek"] | RIGHT["fd_write"] | RIGHT["path_filestat_set_size"]
                            | RIGHT["fd_filestat_set_size"])
PREOPEN_RIGHTS_BASE = 0x7B7FE00
PREOPEN_RIGHTS_INHERITING = 0xFF7FFFF
"""What wasmtime reports for a preopened directory (measured: its fixed masks)."""


def file_rights(readable: bool, writable: bool) -> int:
    rights = RIGHTS_ALL
    if not readable:
        rights &= ~(RIGHT["fd_read"] | RIGHT["fd_readdir"])
    if not writable:
        rights &= ~RIGHT["fd_write"]
    return rights


class Descriptor:
    filetype = FILETYPE_UNKNOWN
    fdflags = 0

    def rights(self) -> "tuple[int, int]":
        raise NotImplementedError

    def close(self) -> None:
        pass


class DirDescriptor(Descriptor):
    """A directory: a backend and a path in it. ``preopen`` is the guest name of a preopen."""

    filetype = FILETYPE_DIRECTORY

    def __init__(self, fs: FileSystem, path: Path, preopen: Optional[str] = None) -> None:
        self.fs = fs
        self.path = path
        self.preopen = preopen

    def rights(self) -> "tuple[int, int]":
        if self.preopen is not None:
            return PREOPEN_RIGHTS_BASE, PREOPEN_RIGHTS_INHERITING
        return DIR_RIGHTS, DIR_RIGHTS


class FileDescriptor(Descriptor):
    """An open file of a backend, opened for reading and/or writing."""

    def __init__(self, fs: FileSystem, path: Path, handle: OpenFile, filetype: int,
                 readable: bool, writable: bool, fdflags: int) -> None:
        self.fs = fs
        self.path = path
        self.handle = handle
        self.filetype = filetype
        self.readable = readable
        self.writable = writable
        self.fdflags = fdflags

    def rights(self) -> "tuple[int, int]":
        r = file_rights(self.readable, self.writable)
        return r, r

    def close(self) -> None:
        self.handle.close()


class StdioDescriptor(Descriptor):
    """Standard input, output or error: inherited, given bytes, captured or discarded."""

    def __init__(self, fileno: int, source: Optional[bytes] = None,
                 stream: Optional[BinaryIO] = None, capture: Optional[bytearray] = None) -> None:
        self.fileno = fileno
        self.source = source
        self.pos = 0
        self.stream = stream
        self.capture = capture
        self.readable = fileno == 0
        self.writable = fileno != 0
        try:
            tty = stream is not None and os.isatty(stream.fileno())
        except (OSError, ValueError, AttributeError):
            tty = False
        self.filetype = FILETYPE_CHARACTER_DEVICE if tty else FILETYPE_UNKNOWN

    def rights(self) -> "tuple[int, int]":
        r = RIGHT["fd_read"] if self.readable else RIGHT["fd_write"]
        return r, r

    def read(self, n: int) -> bytes:
        if self.stream is not None:
            read1 = getattr(self.stream, "read1", None)
            return read1(n) if read1 else self.stream.read(n)
        if self.source is None:
            return b""
        out = self.source[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def write(self, data: bytes) -> int:
        if self.capture is not None:
            self.capture += data
        elif self.stream is not None:
            self.stream.write(data)
            self.stream.flush()
        return len(data)


def inherited(fileno: int) -> Optional[BinaryIO]:
    """The host process's binary stream ``fileno`` (None if it has none)."""
    stream = (sys.stdin, sys.stdout, sys.stderr)[fileno]
    return getattr(stream, "buffer", None)


class FdTable:
    """Guest descriptor numbers to descriptors."""

    def __init__(self) -> None:
        self.fds: Dict[int, Descriptor] = {}
        self.free: Set[int] = set()  # freed numbers, the highest reused first

    def get(self, fd: int) -> Descriptor:
        d = self.fds.get(fd)
        if d is None:
            raise WasiErrno(EBADF)
        return d

    def add(self, d: Descriptor) -> int:
        if self.free:
            fd = max(self.free)
            self.free.remove(fd)
        else:
            fd = max(self.fds, default=-1) + 1
        self.fds[fd] = d
        return fd

    def remove(self, fd: int) -> Descriptor:
        self.free.add(fd)
        return self.fds.pop(fd)

    def replace(self, fd: int, to: int) -> Descriptor:
        """Move ``fd`` to number ``to`` (in use); the descriptor that was there."""
        old = self.fds[to]
        self.fds[to] = self.remove(fd)
        return old
