"""Guest path resolution: the sandbox.

A guest path is resolved against a directory descriptor one component at a time,
in our own code: ``..`` may not climb above that directory, absolute paths and
absolute symlink targets are refused, and every symlink met on the way is read
and spliced in (at most ``MAX_SYMLINKS`` of them, then ELOOP), so what reaches the
backend is a path with no ``.``, ``..`` or symlink in it except, when the caller
asked not to follow it, the last component. Escapes get EPERM, as wasmtime
(cap-std) reports them.
"""

from __future__ import annotations

from typing import List, NamedTuple

from .constants import (
    EILSEQ,
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
    the guest path ended in ``/`` or ``.`` (the target must be a directory);
    ``last`` the guest path's last component as written ("" after a final ``/``),
    which operations on names (rmdir, mkdir, rename) look at."""

    path: Path
    must_be_dir: bool
    last: str

    @property
    def plain(self) -> bool:
        """The guest path ends in a name (not ``/``, ``.`` or ``..``)."""
        return self.last not in ("", ".", "..")

    @property
    def dotted(self) -> bool:
        return self.last in (".", "..")


def decode(raw: bytes) -> str:
    """A guest path as text: WASI paths are UTF-8 (EILSEQ otherwise, as wasmtime says)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WasiErrno(EILSEQ) from None
    if "\0" in text:
        raise WasiErrno(EILSEQ)
    return text


def resolve(fs: FileSystem, base: Path, path: str, follow: bool) -> Resolved:
    """Resolve guest ``path`` against directory ``base``; follow a final symlink if
    ``follow`` (or if the path ends in ``/``). The result may not exist yet."""
    if not path:
        raise WasiErrno(ENOENT)
    if path.startswith("/"):
        raise WasiErrno(ESCAPE)
    pending: List[str] = path.split("/")[::-1]  # stack, next component last
    here: List[str] = []  # below base
    must_be_dir = False
    links = 0
    while pending:
        name = pending.pop()
        last = not any(c not in ("", ".") for c in pending)
        if last and pending:  # only "" / "." left: the path ends in "/" or "/."
            must_be_dir = True
            pending.clear()
        if name in ("", "."):
            if not pending and name == ".":
                must_be_dir = True
            continue
        if name == "..":
            if not here:
                raise WasiErrno(ESCAPE)
            here.pop()
            continue
        full = base + tuple(here) + (name,)
        if last and not (follow or must_be_dir):
            here.append(name)
            break
        try:
            kind = fs.lstat(full).filetype
        except WasiErrno as exc:
            if exc.errno == ENOENT and last:
                here.append(name)
                break
            raise
        if kind == FILETYPE_SYMBOLIC_LINK:
            links += 1
            if links > MAX_SYMLINKS:
                raise WasiErrno(ELOOP)
            target = fs.readlink(full)
            if target.startswith("/"):
                raise WasiErrno(ESCAPE)
            if not target:
                raise WasiErrno(ENOENT)
            tail = target.split("/")[::-1]
            if last and must_be_dir:
                tail.insert(0, "")
            pending.extend(tail)
            continue
        if not last and kind != FILETYPE_DIRECTORY:
            raise WasiErrno(ENOTDIR)
        here.append(name)
    return Resolved(base + tuple(here), must_be_dir, path.rsplit("/", 1)[-1])
