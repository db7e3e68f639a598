"""Real programs from PyPI wheels: the QuickJS build in the ``pwasm`` wheel.

wasmlite's WASI is not on ``main`` yet, so this harness gives the guest the five
WASI functions it imports as minimal stand-ins (a clock, writes to a buffer,
"bad descriptor" for the rest) and pwasm's ``env.host_*`` conventions
(results and exceptions written to descriptors 3 and 4), as pwasm's own
``pwasm.guests.quickjs`` does. Enough to evaluate scripts; not a WASI.
"""

from __future__ import annotations

import json
import os
import struct
import time
from typing import Any, Callable, Dict, List

EBADF = 8


def quickjs_path() -> str:
    import pwasm.guests

    return os.path.join(os.path.dirname(pwasm.guests.__file__), "quickjs.wasm")


class WasmliteQuickJS:
    """QuickJS on wasmlite: ``eval(code)`` returns the completion value (JSON-decoded)."""

    def __init__(self, data: bytes) -> None:
        from wasmlite import Module
        from wasmlite.engine import call
        from wasmlite.runtime.instantiate import instantiate
        from wasmlite.runtime.objects import HostFunction

        self.call = call
        module = Module(data).syntax
        self.streams: Dict[int, bytearray] = {}
        host: Dict[str, Callable[..., Any]] = {
            "host_interrupt": lambda: 0,
            "host_call": lambda *a: 0,
            "host_take": lambda ptr, n: None,
            "host_write": self._host_write,
            "clock_time_get": self._clock_time_get,
            "fd_close": lambda fd: EBADF,
            "fd_fdstat_get": lambda fd, ptr: EBADF,
            "fd_seek": lambda fd, off, whence, ptr: EBADF,
            "fd_write": self._fd_write,
        }
        imports = [HostFunction(module.types[imp.desc], host[imp.name], imp.name)  # type: ignore[index]
                   for imp in module.imports]
        self.inst = instantiate(module, imports, call)
        self.mem = self.inst.mems[0].data
        status = self._invoke("qjs_init", 0, 512 * 1024)
        if status != 0:
            raise RuntimeError(f"qjs_init returned {status}")

    def _invoke(self, name: str, *args: int) -> Any:
        r = self.call(self.inst.exports[name], list(args))
        return r[0] if r else None

    def _host_write(self, fd: int, ptr: int, n: int) -> None:
        self.streams.setdefault(fd, bytearray()).extend(self.mem[ptr:ptr + n])

    def _fd_write(self, fd: int, iovs: int, count: int, out: int) -> int:
        total = 0
        for k in range(count):
            base, n = struct.unpack_from("<II", self.mem, iovs + 8 * k)
            self.streams.setdefault(fd, bytearray()).extend(self.mem[base:base + n])
            total += n
        struct.pack_into("<I", self.mem, out, total)
        return 0

    def _clock_time_get(self, clock: int, precision: int, out: int) -> int:
        struct.pack_into("<Q", self.mem, out, time.time_ns())
        return 0

    def eval(self, code: str) -> Any:
        source = code.encode() + b"\0"
        ptr = self._invoke("malloc", len(source))
        self.mem[ptr:ptr + len(source)] = source
        self.streams.pop(3, None)
        self.streams.pop(4, None)
        status = self._invoke("qjs_eval", ptr, len(source) - 1)
        self._invoke("free", ptr)
        if status != 0:
            raise RuntimeError(bytes(self.streams.get(4, b"")).decode("utf-8", "replace"))
        return json.loads(bytes(self.streams.get(3, b"null")))


def pwasm_quickjs(mode: str) -> Any:
    from pwasm.guests.quickjs import QuickJS

    return QuickJS(mode=mode)


LOOP = "(function () { let s = 0; for (let i = 0; i < 100000; i++) { s = (s + i * 7) % 1000003; } return s; })()"


def loop_expected() -> int:
    s = 0
    for i in range(100000):
        s = (s + i * 7) % 1000003
    return s


SCRIPTS = {0: ("1+1", 2), 1: (LOOP, loop_expected())}
"""Size -> (script, its value computed in Python)."""


def loader(adapter: str, mode: str) -> Callable[[bytes], Callable[[int], Any]]:
    """For ``runtimes``: start QuickJS on the runtime, return ``run(size)``."""
    def load(data: bytes) -> Callable[[int], Any]:
        js = WasmliteQuickJS(data) if adapter == "wasmlite" else pwasm_quickjs(mode)
        return lambda n: js.eval(SCRIPTS[n][0])

    if adapter not in ("wasmlite", "pwasm"):
        raise NotImplementedError(f"no QuickJS harness for {adapter}")
    return load
