"""Guest path resolution: the sandbox.

A guest path is resolved against a directory descriptor one component at a time,
in our own code: ``..`` may not climb above that directory, absolute paths and
absolute symlink targets are refused, and every symlink met on the way is read
and spliced in (at most ``MAX_SYMLINKS`` of them, then ELOOP), so what reaches the
backend is a path with no ``.``, ``..`` or symlink in it except, when the caller
asked not to follow it, the last component. Escapes get EPERM, as wasmtime
(cap-std) reports them. As in cap-std, the way to the last component is walked
first (``parent``) and the last component resolved after (``finish``): operations
on two paths walk both before looking at either name, which fixes which errno wins.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from .constants import (
    EILSEQ,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    EPERM,
    FILETYPE_DIRECTORY,
    FILETYPE_SYMBOLIC_LINK,
    WasiErrno,
)
from .fs import FileSystem, Path

MAX_SYMLINKS = 40
ESCAPE = EPERM


class Resolved(NamedTuple):
    """Where a guest path led: ``path`` from the backend's root; ``must_be_dir`` when
    the target must be a directory (a trailing ``/``); ``named`` when the guest path
    ends in a name rather than ``.`` or ``..``, and ``slash`` when it ends in ``/``
    (operations on names, rmdir, mkdir and rename, look at these)."""

    path: Path
    must_be_dir: bool
    named: bool
    slash: bool

    @property
    def plain(self) -> bool:
        """The guest path ends in a name, without a ``/``."""
        return self.named and not self.slash

    @property
    def dotted(self) -> bool:
        """The guest path ends in ``.`` or ``..`` (maybe followed by ``/``)."""
        return not self.named


def decode(raw: bytes) -> str:
    """A guest path as text: WASI paths are UTF-8 (EILSEQ otherwise, as wasmtime says)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WasiErrno(EILSEQ) from None
    if "\0" in text:
        raise WasiErrno(EILSEQ)
    return text


class Parent(NamedTuple):
    """A guest path walked up to its last component: the directory ``here`` (below
    the base) and the last component ``name``, or None when the path ends in ``.``
    or ``..`` and so names ``here`` itself."""

    here: Tuple[str, ...]
    name: Optional[str]
    must_be_dir: bool
    links: int


def _split(path: str) -> Tuple[List[str], Optional[str]]:
    parts = [c for c in path.split("/") if c]
    name = parts.pop() if parts and parts[-1] not in (".", "..") else None
    return parts, name


def _walk(fs: FileSystem, base: Path, here: List[str], parts: List[str], links: int) -> int:
    """Walk ``parts`` from ``here`` (in place): every one must be a directory, or a
    symlink leading to one inside the base. The symlinks followed so far."""
    pending = parts[::-1]  # a stack, next component last
    while pending:
        name = pending.pop()
        if name == ".":
            continue
        if name == "..":
            if not here:
                raise WasiErrno(ESCAPE)
            here.pop()
            continue
        full = base + tuple(here) + (name,)
        kind = fs.lstat(full).filetype
        if kind == FILETYPE_SYMBOLIC_LINK:
            links += 1
            target = _link_target(fs, full, links)
            pending.extend([c for c in target.split("/") if c][::-1])
            continue
        if kind != FILETYPE_DIRECTORY:
            raise WasiErrno(ENOTDIR)
        here.append(name)
    return links


def _link_target(fs: FileSystem, full: Path, links: int) -> str:
    if links > MAX_SYMLINKS:
        raise WasiErrno(ELOOP)
    target = fs.readlink(full)
    if target.startswith("/"):
        raise WasiErrno(ESCAPE)
    if not target:
        raise WasiErrno(ENOENT)
    return target


def parent(fs: FileSystem, base: Path, path: str) -> Parent:
    """Walk guest ``path`` against directory ``base`` up to its last component: the
    errors of the way there (ENOENT, ENOTDIR, ELOOP, escapes) come out here, before
    anything is done with the last component, as cap-std (wasmtime) orders them."""
    if not path:
        raise WasiErrno(ENOENT)
    if path.startswith("/"):
        raise WasiErrno(ESCAPE)
    parts, name = _split(path)
    here: List[str] = []
    links = _walk(fs, base, here, parts, 0)
    return Parent(tuple(here), name, path.endswith("/"), links)


def finish(fs: FileSystem, base: Path, p: Parent, follow: bool, follow_slash: bool = True,
           creating: bool = False) -> Resolved:
    """Resolve the last component of a walked path; follow it if it is a symlink and
    ``follow``, or if the path ends in ``/`` and ``follow_slash`` (mkdir and rename
    do not; the target must then exist). Otherwise the result may not exist yet.
    ``creating`` (O_CREAT): a name reached through a link target ending in ``/`` is
    EISDIR, as wasmtime says, whatever it is."""
    here, name, must_be_dir, links = list(p.here), p.name, p.must_be_dir, p.links
    slash = must_be_dir and follow_slash  # a trailing "/" to follow: it must exist
    if name is not None and (follow or slash):
        while name is not None:
            full = base + tuple(here) + (name,)
            try:
                kind = fs.lstat(full).filetype
            except WasiErrno as exc:
                if exc.errno == ENOENT and not slash:
                    break
                raise
            if kind != FILETYPE_SYMBOLIC_LINK:
                if slash and kind != FILETYPE_DIRECTORY:
                    raise WasiErrno(ENOTDIR)  # "file/"
                break
            links += 1
            target = _link_target(fs, full, links)
            must_be_dir = must_be_dir or target.endswith("/")
            parts, name = _split(target)
            links = _walk(fs, base, here, parts, links)
            if creating and must_be_dir and name is not None:
                raise WasiErrno(EISDIR)
    path = base + tuple(here) + ((name,) if name is not None else ())
    return Resolved(path, must_be_dir, p.name is not None, p.must_be_dir)


def resolve(fs: FileSystem, base: Path, path: str, follow: bool, follow_slash: bool = True,
            creating: bool = False) -> Resolved:
    """``parent`` and ``finish`` in one go."""
    return finish(fs, base, parent(fs, base, path), follow, follow_slash, creating)
