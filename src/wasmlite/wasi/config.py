"""``WasiConfig``: what a WASI guest is given (arguments, environment, preopened
directories, standard streams)."""

from __future__ import annotations

import os
from typing import Iterable, List, Mapping, Optional, Tuple, Union

from .fs import FileSystem
from .hostfs import HostFileSystem
from .memfs import MemoryFS, Tree

INHERIT = "inherit"
CAPTURE = "capture"

Stdin = Union[None, bytes, str]
"""``None``: empty input; bytes: that input; ``"inherit"``: the host process's stdin."""
Output = Optional[str]
"""``None``: discarded; ``"inherit"``: the host's stream; ``"capture"``: kept as bytes."""


class WasiConfig:
    """Arguments, environment, preopens and stdio for one WASI instance.

    ``argv[0]`` is the program name, as the guest sees it. ``preopens`` pairs a guest
    path with a host directory (a ``str``) or an in-memory tree (a ``MemoryFS`` or
    the nested dict to build one from); they become descriptors 3, 4, ... in order.
    """

    def __init__(self, argv: Iterable[str] = (), env: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None,
                 preopens: Iterable[Tuple[str, Union[str, FileSystem, Tree]]] = (),
                 stdin: Stdin = None, stdout: Output = INHERIT, stderr: Output = INHERIT) -> None:
        self.argv: List[str] = list(argv)
        items = env.items() if isinstance(env, Mapping) else (env or ())
        self.env: List[Tuple[str, str]] = [(str(k), str(v)) for k, v in items]
        self.preopens: List[Tuple[str, FileSystem]] = []
        for guest, where in preopens:
            self.preopen(where, guest)
        if not (stdin is None or stdin == INHERIT or isinstance(stdin, (bytes, bytearray))):
            raise ValueError(f"stdin must be None, bytes or {INHERIT!r}, not {stdin!r}")
        for name, out in (("stdout", stdout), ("stderr", stderr)):
            if out not in (None, INHERIT, CAPTURE):
                raise ValueError(f"{name} must be None, {INHERIT!r} or {CAPTURE!r}, not {out!r}")
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr

    def preopen(self, where: Union[str, FileSystem, Tree], guest: str) -> "WasiConfig":
        """Give the guest ``where`` (host directory path, ``MemoryFS`` or dict tree) as ``guest``."""
        if isinstance(where, (str, os.PathLike)):
            path = os.fspath(where)
            if not os.path.isdir(path):
                raise ValueError(f"preopen {path!r} is not a directory")
            fs: FileSystem = HostFileSystem(path)
        elif isinstance(where, FileSystem):
            fs = where
        elif isinstance(where, Mapping):
            fs = MemoryFS(where)
        else:
            raise TypeError(f"a preopen is a host directory path, a MemoryFS or a dict, not {where!r}")
        self.preopens.append((guest, fs))
        return self
