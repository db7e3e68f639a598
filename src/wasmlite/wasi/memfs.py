"""A preopen backed by a directory tree in memory, given from Python.

Build one from nested dicts: ``MemoryFS({"a.txt": b"hello", "sub": {"b": "text"},
"ln": Symlink("a.txt")})`` (bytes or str are files, dicts directories). Semantics
follow POSIX as the host backend's do (same errnos), so a guest cannot tell them
apart except by ``dev``/``ino`` numbers; paths arrive already resolved by
``wasi.paths``, like the host backend's.
"""

from __future__ import annotations

import itertools
import time
from typing import Dict, List, Mapping, Optional, Union

from .constants import (
    EBUSY,
    EEXIST,
    EFBIG,
    EINVAL,
    EISDIR,
    ENOENT,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
    FILETYPE_DIRECTORY,
    FILETYPE_REGULAR_FILE,
    FILETYPE_SYMBOLIC_LINK,
    WasiErrno,
)
from .fs import DirEntry, FileSystem, OpenFile, Path, Stat, Time

_DEV = 0x7A5E  # the device number every in-memory file reports
MAX_FILE_SIZE = 1 << 32
"""Writes or sizes past this fail with EFBIG rather than exhausting the host's memory."""
_inodes = itertools.count(1)


class Symlink:
    """A symbolic link in a tree given to ``MemoryFS``."""

    def __init__(self, target: str) -> None:
        self.target = target


Tree = Mapping[str, Union[bytes, str, Symlink, "Tree"]]


class Node:
    filetype = 0

    def __init__(self) -> None:
        self.ino = next(_inodes)
        self.nlink = 1
        self.atim = self.mtim = self.ctim = time.time_ns()

    def size(self) -> int:
        return 0

    def stat(self) -> Stat:
        return Stat(_DEV, self.ino, self.filetype, self.nlink, self.size(),
                    self.atim, self.mtim, self.ctim)

    def touch(self) -> None:
        self.mtim = self.ctim = time.time_ns()

    def set_times(self, atime: Time, mtime: Time) -> None:
        now = time.time_ns()
        if atime is not None:
            self.atim = now if atime == "now" else int(atime)
        if mtime is not None:
            self.mtim = now if mtime == "now" else int(mtime)
        self.ctim = now


class File(Node):
    filetype = FILETYPE_REGULAR_FILE

    def __init__(self, data: bytes = b"") -> None:
        super().__init__()
        self.data = bytearray(data)

    def size(self) -> int:
        return len(self.data)


class Link(Node):
    filetype = FILETYPE_SYMBOLIC_LINK

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def size(self) -> int:
        return len(self.target.encode("utf-8", "surrogateescape"))


class Dir(Node):
    filetype = FILETYPE_DIRECTORY

    def __init__(self) -> None:
        super().__init__()
        self.entries: Dict[str, Node] = {}
        self.nlink = 2

    def size(self) -> int:
        return 4096


class MemoryFile(OpenFile):
    """An open in-memory file with its own position."""

    def __init__(self, node: File, append: bool) -> None:
        self.node = node
        self.append = append

    def read(self, n: int) -> bytes:
        out = self.pread(n, self.pos)
        self.pos += len(out)
        return bytes(out)

    def write(self, data: bytes) -> int:
        if self.append:
            self.pos = len(self.node.data)
        n = self.pwrite(data, self.pos)
        self.pos += n
        return n

    def pread(self, n: int, offset: int) -> bytes:
        self.node.atim = time.time_ns()
        return bytes(self.node.data[offset:offset + n])

    def pwrite(self, data: bytes, offset: int) -> int:
        buf = self.node.data
        if self.append:  # as Linux does for O_APPEND: at the end, the position unmoved
            offset = len(buf)
        if offset + len(data) > MAX_FILE_SIZE:
            raise WasiErrno(EFBIG)
        if offset > len(buf):
            buf.extend(bytes(offset - len(buf)))
        buf[offset:offset + len(data)] = data
        self.node.touch()
        return len(data)

    def stat(self) -> Stat:
        return self.node.stat()

    def truncate(self, size: int) -> None:
        if size >= 1 << 63:
            raise WasiErrno(EINVAL)  # a negative off_t, to the host
        if size > MAX_FILE_SIZE:
            raise WasiErrno(EFBIG)
        buf = self.node.data
        if size < len(buf):
            del buf[size:]
        else:
            buf.extend(bytes(size - len(buf)))
        self.node.touch()

    def allocate(self, offset: int, length: int) -> None:
        if len(self.node.data) < offset + length:
            self.truncate(offset + length)

    def set_times(self, atime: Time, mtime: Time) -> None:
        self.node.set_times(atime, mtime)

    def sync(self) -> None:
        pass

    def set_append(self, append: bool) -> None:
        self.append = append

    def close(self) -> None:
        pass


class MemoryFS(FileSystem):
    """A directory tree in memory; ``tree`` gives its initial contents."""

    def __init__(self, tree: Optional[Tree] = None) -> None:
        self.root = Dir()
        if tree:
            self._fill(self.root, tree)

    def _fill(self, d: Dir, tree: Tree) -> None:
        for name, value in tree.items():
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"bad file name in an in-memory tree: {name!r}")
            if isinstance(value, Symlink):
                d.entries[name] = Link(value.target)
            elif isinstance(value, (bytes, bytearray, str)):
                d.entries[name] = File(value.encode() if isinstance(value, str) else bytes(value))
            else:
                sub = Dir()
                d.entries[name] = sub
                d.nlink += 1
                self._fill(sub, value)

    def to_dict(self, d: Optional[Dir] = None) -> Dict[str, object]:
        """The tree as nested dicts (files as bytes, symlinks as ``Symlink``), for embedders."""
        out: Dict[str, object] = {}
        for name, node in (d or self.root).entries.items():
            if isinstance(node, Dir):
                out[name] = self.to_dict(node)
            elif isinstance(node, File):
                out[name] = bytes(node.data)
            elif isinstance(node, Link):
                out[name] = Symlink(node.target)
        return out

    def _node(self, path: Path) -> Node:
        node: Node = self.root
        for name in path:
            if not isinstance(node, Dir):
                raise WasiErrno(ENOTDIR)
            child = node.entries.get(name)
            if child is None:
                raise WasiErrno(ENOENT)
            node = child
        return node

    def _parent(self, path: Path) -> Dir:
        if not path:
            raise WasiErrno(EBUSY)
        parent = self._node(path[:-1])
        if not isinstance(parent, Dir):
            raise WasiErrno(ENOTDIR)
        return parent

    def lstat(self, path: Path) -> Stat:
        return self._node(path).stat()

    def readlink(self, path: Path) -> str:
        node = self._node(path)
        if not isinstance(node, Link):
            raise WasiErrno(EINVAL)
        return node.target

    def listdir(self, path: Path) -> List[DirEntry]:
        node = self._node(path)
        if not isinstance(node, Dir):
            raise WasiErrno(ENOTDIR)
        return [DirEntry(name, n.ino, n.filetype) for name, n in node.entries.items()]

    def open(self, path: Path, read: bool, write: bool, create: bool, exclusive: bool,
             truncate: bool, append: bool) -> OpenFile:
        parent = self._parent(path)
        node = parent.entries.get(path[-1])
        if node is None:
            if not create:
                raise WasiErrno(ENOENT)
            node = parent.entries[path[-1]] = File()
            parent.touch()
        elif create and exclusive:
            raise WasiErrno(EEXIST)
        if isinstance(node, Dir):
            raise WasiErrno(EISDIR)
        assert isinstance(node, File)  # symlinks were resolved or refused by the caller
        f = MemoryFile(node, append)
        if truncate and node.data:
            f.truncate(0)
        return f

    def _add(self, path: Path, node: Node) -> None:
        parent = self._parent(path)
        if path[-1] in parent.entries:
            raise WasiErrno(EEXIST)
        parent.entries[path[-1]] = node
        if isinstance(node, Dir):
            parent.nlink += 1
        parent.touch()

    def mkdir(self, path: Path) -> None:
        if not path:
            raise WasiErrno(EEXIST)
        self._add(path, Dir())

    def symlink(self, target: str, path: Path) -> None:
        if not path:
            raise WasiErrno(EEXIST)
        self._add(path, Link(target))

    def rmdir(self, path: Path) -> None:
        parent = self._parent(path)
        node = self._node(path)
        if not isinstance(node, Dir):
            raise WasiErrno(ENOTDIR)
        if node.entries:
            raise WasiErrno(ENOTEMPTY)
        del parent.entries[path[-1]]
        parent.nlink -= 1
        parent.touch()

    def unlink(self, path: Path) -> None:
        parent = self._parent(path)
        node = self._node(path)
        if isinstance(node, Dir):
            raise WasiErrno(EISDIR)
        del parent.entries[path[-1]]
        node.nlink -= 1
        node.ctim = time.time_ns()
        parent.touch()

    def reaches(self, other: FileSystem) -> bool:
        return other is self

    def rename(self, old: Path, to: FileSystem, new: Path) -> None:
        src_parent = self._parent(old)
        node = self._node(old)
        dst_parent = self._parent(new)
        if isinstance(node, Dir) and new[:len(old)] == old and len(new) > len(old):
            raise WasiErrno(EINVAL)  # into its own subtree
        if old[:len(new)] == new and len(old) > len(new):
            raise WasiErrno(ENOTEMPTY)  # onto a directory holding it, as Linux says
        existing = dst_parent.entries.get(new[-1])
        if existing is node:
            return
        if existing is not None:
            if isinstance(node, Dir):
                if not isinstance(existing, Dir):
                    raise WasiErrno(ENOTDIR)
                if existing.entries:
                    raise WasiErrno(ENOTEMPTY)
                dst_parent.nlink -= 1
            elif isinstance(existing, Dir):
                raise WasiErrno(EISDIR)
            existing.nlink -= 1
        del src_parent.entries[old[-1]]
        dst_parent.entries[new[-1]] = node
        if isinstance(node, Dir):
            src_parent.nlink -= 1
            dst_parent.nlink += 1
        src_parent.touch()
        dst_parent.touch()
        node.ctim = time.time_ns()

    def link(self, old: Path, to: FileSystem, new: Path) -> None:
        node = self._node(old)
        if isinstance(node, Dir):
            raise WasiErrno(EPERM)
        self._add(new, node)
        node.nlink += 1
        node.ctim = time.time_ns()

    def set_times(self, path: Path, atime: Time, mtime: Time, follow: bool) -> None:
        self._node(path).set_times(atime, mtime)
