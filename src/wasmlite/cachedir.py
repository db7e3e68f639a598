"""Where wasmlite keeps what it caches on disk, and stamps of the sources it depends on.

``WASMLITE_CACHE_DIR`` relocates the directory (default ``$XDG_CACHE_HOME/wasmlite``
or ``~/.cache/wasmlite``); set to an empty string it disables every disk cache.
Two things are cached: tier-1 code (``engine.cache``) and which module binaries
passed validation (``module``). A cached fact names the sources that produced it
(``source_stamp``), so a changed validator or code generator never meets a stale one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from typing import Dict, Optional, Tuple


def directory() -> Optional[str]:
    """The disk cache's directory, or None when disabled."""
    d = os.environ.get("WASMLITE_CACHE_DIR")
    if d is not None:
        return d or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "wasmlite")


_stamps: Dict[Tuple[str, ...], str] = {}


def source_stamp(modules: Tuple[str, ...]) -> str:
    """A hash of wasmlite's version and the sources of ``modules`` (imported ones;
    computed once per process)."""
    stamp = _stamps.get(modules)
    if stamp is None:
        from . import __version__  # (read late: the package imports its parts first)

        h = hashlib.sha256(__version__.encode())
        for name in modules:
            path = getattr(sys.modules.get(name), "__file__", None)
            try:
                with open(path, "rb") as f:  # type: ignore[arg-type]
                    h.update(f.read())
            except (OSError, TypeError):  # no source at hand: the version alone
                h.update(name.encode())
        stamp = _stamps[modules] = h.hexdigest()[:16]
    return stamp
