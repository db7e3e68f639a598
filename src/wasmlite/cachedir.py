"""Where wasmlite keeps what it caches on disk, and stamps of the sources it depends on.

``WASMLITE_CACHE_DIR`` relocates the directory (default ``$XDG_CACHE_HOME/wasmlite``
or ``~/.cache/wasmlite``); set to an empty string it disables every disk cache.
Two things are cached: tier-1 code (``engine.cache``) and which module binaries
passed validation (``module``). A cached fact names the sources that produced it
(``source_stamp``), so a changed validator or code generator never meets a stale one.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional, Tuple, Union

# The interpreter's built-in BLAKE2b, as random.py takes its sha512 from a built-in
# module: importing hashlib loads OpenSSL, ~3.7 MB of peak RSS and ~2 ms on every
# import of wasmlite. BLAKE2b rather than sha256: a module's bytes are hashed when it
# is loaded (QuickJS's 1.1 MB: 1.35 ms against sha256's 4.2 ms, CPython 3.11).
try:
    from _blake2 import blake2b as _blake2b  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from hashlib import blake2b as _blake2b  # type: ignore[assignment,unused-ignore]


def hasher(data: Union[bytes, bytearray, memoryview] = b"") -> Any:
    """A 256-bit hash object (``update``, ``hexdigest``) fed ``data``."""
    return _blake2b(data, digest_size=32)


def directory() -> Optional[str]:
    """The disk cache's directory, or None when disabled."""
    d = os.environ.get("WASMLITE_CACHE_DIR")
    if d is not None:
        return d or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "wasmlite")


_stamps: Dict[Tuple[str, ...], str] = {}


def source_stamp(modules: Tuple[str, ...]) -> str:
    """A hash of wasmlite's version and of the size and modification time of each
    source of ``modules`` (imported ones; computed once per process). The files'
    metadata, as CPython's own bytecode cache checks it, not their contents:
    hashing the ~200 KB of sources cost ~1.5 ms of every cold start."""
    stamp = _stamps.get(modules)
    if stamp is None:
        from . import __version__  # (read late: the package imports its parts first)

        h = hasher(__version__.encode())
        for name in modules:
            path = getattr(sys.modules.get(name), "__file__", None)
            try:
                st = os.stat(path)  # type: ignore[arg-type]
                h.update(b"%s:%d:%d;" % (name.encode(), st.st_size, st.st_mtime_ns))
            except (OSError, TypeError):  # no source at hand: the version alone
                h.update(name.encode())
        stamp = _stamps[modules] = h.hexdigest()[:16]
    return stamp


def create(path: str, flags: int, mode: int) -> int:
    """``os.open(path, O_WRONLY | O_CREAT | flags, mode)`` (binary on Windows), making
    its directory when it is missing (each is made once; trying first saves a
    ``makedirs`` per file)."""
    flags |= os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, mode)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return os.open(path, flags, mode)
