"""WASI preview1 (``wasi_snapshot_preview1``) for wasmlite: sandboxed, on a host
directory or an in-memory tree.

    wasi = Wasi(WasiConfig(argv=["prog"], preopens=[("/", "some/dir")]))
    instance = instantiate(module, [wasi.imports()[imp.name] for imp in module.imports], call)
    wasi.bind(instance)
    call(instance.exports["_start"], [])   # ExitError(code) if the guest calls proc_exit

Modules: ``constants`` (errnos, flags, layouts), ``config`` (``WasiConfig``),
``fs`` (the backend interface), ``hostfs`` / ``memfs`` (the two backends),
``paths`` (guest path resolution: the sandbox), ``fdtable`` (descriptors),
``guestmem`` (checked guest memory access), ``preview1`` (the functions).
"""

from __future__ import annotations

from typing import Any, Dict

from .. import syntax
from ..errors import WasmError
from ..numeric import I64_SIGNED
from ..runtime.objects import HostFunction, MemoryInstance, ModuleInstance
from .config import CAPTURE, INHERIT, WasiConfig
from .constants import WasiErrno, from_oserror
from .guestmem import GuestMemory
from .memfs import MemoryFS, Symlink
from .preview1 import CHECKS, SIGNATURES, Preview1

MODULE = "wasi_snapshot_preview1"

__all__ = ["CAPTURE", "INHERIT", "MODULE", "MemoryFS", "Symlink", "Wasi", "WasiConfig"]

_TYPES = {"i": syntax.I32, "I": syntax.I64}


def _host_function(state: Preview1, name: str, params: str) -> HostFunction:
    method = getattr(state, name)
    results = () if name == "proc_exit" else (syntax.I32,)
    ftype = syntax.FuncType(tuple(_TYPES[p] for p in params), results)
    checks = sorted(CHECKS[name].items())
    signed64 = [i for i, p in enumerate(params) if p == "I"] if I64_SIGNED else []

    def call(*args: int) -> Any:
        if signed64:  # preview1 takes i64 arguments unsigned
            args = tuple(a & 0xFFFFFFFFFFFFFFFF if i in signed64 else a for i, a in enumerate(args))
        for index, kind in checks:
            kind.check(args[index])
        try:
            return method(*args)
        except WasiErrno as exc:
            return exc.errno
        except OSError as exc:
            return from_oserror(exc)
        except (OverflowError, ValueError):  # out-of-range offsets and sizes from the guest
            return 28  # EINVAL

    call.__name__ = name
    return HostFunction(ftype, call, f"{MODULE}.{name}")


class Wasi:
    """The WASI imports of one instance, made from a ``WasiConfig``."""

    def __init__(self, config: WasiConfig) -> None:
        self.config = config
        self.state = Preview1(config)
        self._imports = {name: _host_function(self.state, name, params)
                         for name, params in SIGNATURES.items()}

    def imports(self) -> Dict[str, HostFunction]:
        """Function name -> host function, for the ``wasi_snapshot_preview1`` imports."""
        return dict(self._imports)

    def bind(self, instance: ModuleInstance) -> None:
        """Use the instance's exported ``memory`` (WASI functions read and write it;
        without one, every pointer a guest passes is out of bounds: a trap)."""
        mem = instance.exports.get("memory")
        if isinstance(mem, MemoryInstance):
            self.bind_memory(mem)

    def bind_memory(self, memory: MemoryInstance) -> None:
        self.state.mem = GuestMemory(memory.data)

    def close(self) -> None:
        """Close the host files the guest left open (the instance is done with WASI)."""
        self.state.close()

    def stdout_bytes(self) -> bytes:
        """What the guest wrote to stdout, when the config captures it."""
        return self._captured(1)

    def stderr_bytes(self) -> bytes:
        return self._captured(2)

    def _captured(self, fileno: int) -> bytes:
        buf = self.state.captured.get(fileno)
        if buf is None:
            raise WasmError(f"{('stdout', 'stderr')[fileno - 1]} is not captured (use \"capture\")")
        return bytes(buf)
