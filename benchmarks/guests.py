"""Real programs from PyPI wheels, each with a harness per runtime: ``loader(name, ...)``.

- ``quickjs`` (pwasm wheel): wasmlite's WASI for its five WASI imports, and pwasm's
  ``env.host_*`` conventions (results and exceptions written to descriptors 3
  and 4), as pwasm's own ``pwasm.guests.quickjs`` does with pwasm's WASI.
- ``micropython``, ``mquickjs`` (pwasm wheel): emscripten-style setjmp/longjmp
  (``invoke_*`` trampolines, ``_emscripten_throw_longjmp``) done on the host, as
  ``pwasm.emscripten`` does; wasmlite and pwasm (its own guest classes) only.
- ``qjs_reactor`` (``qjs-wasi-reactor.wasm``): real WASI preview1, wasmlite's
  ``wasmlite.wasi``, wasmtime's, pwasm's; each run is ``qjs_init_argv(qjs -e
  SCRIPT)`` (which prints with ``console.log``) and ``qjs_destroy``.

Every script's output is checked against a value computed here in Python.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Callable, Dict, List, Tuple


def quickjs_path() -> str:
    import pwasm.guests

    return os.path.join(os.path.dirname(pwasm.guests.__file__), "quickjs.wasm")


class WasmliteQuickJS:
    """QuickJS on wasmlite: ``eval(code)`` returns the completion value (JSON-decoded)."""

    def __init__(self, data: bytes) -> None:
        from wasmlite.engine import call
        from wasmlite.wasi import CAPTURE, Wasi, WasiConfig

        self.call = call
        self.streams: Dict[int, bytearray] = {}
        wasi = Wasi(WasiConfig(stdout=CAPTURE, stderr=CAPTURE))
        host: Dict[str, Any] = {
            "host_interrupt": lambda: 0,
            "host_call": lambda *a: 0,
            "host_take": lambda ptr, n: None,
            "host_write": self._host_write,
            **wasi.imports(),
        }
        _, self.inst = _wasmlite_instance(data, host)
        wasi.bind(self.inst)
        self.mem = self.inst.mems[0].data
        status = self._invoke("qjs_init", 0, 512 * 1024)
        if status != 0:
            raise RuntimeError(f"qjs_init returned {status}")

    def _invoke(self, name: str, *args: int) -> Any:
        r = self.call(self.inst.exports[name], list(args))
        return r[0] if r else None

    def _host_write(self, fd: int, ptr: int, n: int) -> None:
        self.streams.setdefault(fd, bytearray()).extend(self.mem[ptr:ptr + n])

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


def _loop_value(n: int) -> int:
    s = 0
    for i in range(n):
        s = (s + i * 7) % 1000003
    return s


LOOP = "(function () { let s = 0; for (let i = 0; i < 100000; i++) { s = (s + i * 7) % 1000003; } return s; })()"
PY_LOOP = "s = 0\nfor i in range(%d):\n    s = (s + i * 7) %% 1000003\nprint(s)\n"
ES5_LOOP = "(function () { var s = 0; for (var i = 0; i < %d; i++) { s = (s + i * 7) %% 1000003; } return s; })()"
LOG_LOOP = "let s = 0; for (let i = 0; i < %d; i++) { s = (s + i * 7) %% 1000003; } console.log(s)"


def loop_expected() -> int:
    return _loop_value(100000)


SCRIPTS = {0: ("1+1", 2), 1: (LOOP, loop_expected())}
"""QuickJS: size -> (script, its value computed in Python)."""

PROGRAM_SIZES = {
    "micropython": {"tiny": 0, "check": 100, "quick": 1000, "full": 4000},
    "mquickjs": {"tiny": 0, "check": 100, "quick": 5000, "full": 30000},
    "qjs_reactor": {"tiny": 0, "check": 100, "quick": 2000, "full": 10000},
}
"""Sizes of the other programs: iterations of the loop (tiny = 0: start-up only,
prints 0; full: about 0.3 s a call on pwasm's compile mode, CPython 3.11)."""


def script(name: str, n: int) -> str:
    """The source a program runs at size ``n`` (a loop of ``n`` iterations)."""
    return {"micropython": PY_LOOP, "mquickjs": ES5_LOOP, "qjs_reactor": LOG_LOOP}[name] % n


def expected(name: str, n: int) -> Any:
    """What the program's harness returns at size ``n``, computed in Python."""
    if name == "quickjs":
        return SCRIPTS[n][1]
    value = _loop_value(n)
    return f"{value}\n" if name in ("micropython", "qjs_reactor") else value


# -- emscripten setjmp/longjmp on wasmlite -------------------------------------------

class _Longjmp(Exception):
    """Raised by ``_emscripten_throw_longjmp``; caught by the nearest ``invoke_*``."""


class WasmliteSjLj:
    """``invoke_<sig>(index, args...)`` calls table entry ``index``; a longjmp raised
    under it restores the stack pointer and calls the guest's ``setThrew(1, 0)``."""

    def __init__(self, call: Callable[..., List[Any]]) -> None:
        self.call = call
        self.inst: Any = None

    def imports(self, module: Any) -> Dict[str, Callable[..., Any]]:
        out: Dict[str, Callable[..., Any]] = {"_emscripten_throw_longjmp": self._throw}
        for imp in module.imports:
            if imp.name.startswith("invoke_"):
                out[imp.name] = self._invoke_maker(bool(module.types[imp.desc].results))  # type: ignore[index]
        return out

    def bind(self, inst: Any) -> None:
        ex = inst.exports
        self.table = ex["__indirect_function_table"].elements
        self.set_threw = ex["setThrew"]
        sp = ex.get("__stack_pointer")
        if sp is not None:
            self.save = lambda: sp.value
            self.restore = lambda v: setattr(sp, "value", v)
        else:
            save, restore = ex["stackSave"], ex["stackRestore"]
            self.save = lambda: self.call(save, [])[0]
            self.restore = lambda v: self.call(restore, [v])

    @staticmethod
    def _throw() -> None:
        raise _Longjmp()

    def _invoke_maker(self, has_result: bool) -> Callable[..., Any]:
        def invoke(index: int, *args: int) -> Any:
            saved = self.save()
            try:
                r = self.call(self.table[index], list(args))
                return r[0] if has_result else None
            except _Longjmp:
                self.restore(saved)
                self.call(self.set_threw, [1, 0])
                return 0 if has_result else None
        return invoke


def _wasmlite_instance(data: bytes, host: Dict[str, Any]) -> Any:
    """Decode, validate and instantiate ``data`` on wasmlite, imports by name from ``host``."""
    from wasmlite import Module
    from wasmlite.engine import call
    from wasmlite.runtime.instantiate import instantiate
    from wasmlite.runtime.objects import HostFunction

    module = Module(data).syntax
    imports = [f if isinstance(f, HostFunction) else
               HostFunction(module.types[imp.desc], f, imp.name)  # type: ignore[index]
               for imp in module.imports for f in [host[imp.name]]]
    return module, instantiate(module, imports, call)


class WasmliteMicroPython:
    """pwasm's MicroPython on wasmlite: ``exec(code)`` returns what it printed."""

    def __init__(self, data: bytes) -> None:
        from wasmlite.engine import call

        self.call = call
        self.output = bytearray()
        self.errors = bytearray()
        from wasmlite import Module

        self.sjlj = WasmliteSjLj(call)
        host = {"host_write": self._host_write, "host_call": lambda *a: 0,
                "host_take": lambda ptr, n: None, **self.sjlj.imports(Module(data).syntax)}
        _, self.inst = _wasmlite_instance(data, host)
        self.sjlj.bind(self.inst)
        self.mem = self.inst.mems[0]
        ex = self.inst.exports
        call(ex["_initialize"], [])
        if call(ex["mp_sandbox_init"], [256 * 1024])[0] != 0:
            raise RuntimeError("mp_sandbox_init failed")

    def _host_write(self, fd: int, ptr: int, n: int) -> None:
        (self.output if fd == 1 else self.errors).extend(self.mem.data[ptr:ptr + n])

    def exec(self, code: str) -> str:
        ex, call = self.inst.exports, self.call
        source = code.encode() + b"\0"
        ptr = call(ex["malloc"], [len(source)])[0]
        self.mem.data[ptr:ptr + len(source)] = source
        self.output.clear()
        self.errors.clear()
        status = call(ex["mp_sandbox_exec"], [ptr, len(source) - 1])[0]
        call(ex["free"], [ptr])
        if status != 0:
            raise RuntimeError(bytes(self.errors).decode("utf-8", "replace"))
        return bytes(self.output).decode()


class WasmliteMQuickJS:
    """pwasm's Micro QuickJS on wasmlite: ``eval(code)`` returns the completion value
    (the guest's string of it, parsed as pwasm's ``MQuickJS`` does)."""

    def __init__(self, data: bytes) -> None:
        from wasmlite import Module
        from wasmlite.engine import call

        self.call = call
        self.sjlj = WasmliteSjLj(call)
        self.temp = 0
        host = {"abort": self._abort, "__assert_fail": self._abort,
                "setTempRet0": self._set_temp, "getTempRet0": lambda: self.temp,
                "emscripten_resize_heap": self._resize, "emscripten_memcpy_big": self._memcpy,
                **self.sjlj.imports(Module(data).syntax)}
        _, self.inst = _wasmlite_instance(data, host)
        self.sjlj.bind(self.inst)
        self.mem = self.inst.mems[0]
        ex = self.inst.exports
        call(ex["__wasm_call_ctors"], [])
        if not call(ex["sandbox_init"], [1024 * 1024])[0]:
            raise RuntimeError("sandbox_init failed")

    @staticmethod
    def _abort(*args: int) -> None:
        raise RuntimeError(f"the guest aborted {args}")

    def _set_temp(self, v: int) -> None:
        self.temp = v

    def _resize(self, requested: int) -> int:
        from wasmlite.runtime.objects import PAGE_SIZE

        have = len(self.mem.data)
        if requested <= have:
            return 1
        return int(self.mem.grow((requested - have + PAGE_SIZE - 1) // PAGE_SIZE) != -1)

    def _memcpy(self, dest: int, src: int, n: int) -> int:
        d = self.mem.data
        d[dest:dest + n] = d[src:src + n]
        return dest

    def _cstr(self, ptr: int) -> str:
        d = self.mem.data
        return bytes(d[ptr:d.index(0, ptr)]).decode("utf-8", "replace")

    def eval(self, code: str) -> Any:
        ex, call = self.inst.exports, self.call
        source = code.encode() + b"\0"
        ptr = call(ex["malloc"], [len(source)])[0]
        self.mem.data[ptr:ptr + len(source)] = source
        result = call(ex["sandbox_eval"], [ptr])[0]
        call(ex["free"], [ptr])
        if result == 0:
            raise RuntimeError(self._cstr(call(ex["sandbox_get_error"], [])[0]))
        return _parse(self._cstr(result))


def _parse(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


# -- qjs-wasi-reactor.wasm: real WASI --------------------------------------------------

def _argv_block(args: List[str], base: int) -> Tuple[bytes, int]:
    """``argv`` pointers then the NUL-terminated strings, laid out from ``base``;
    (the bytes, the address of the pointer array)."""
    strings = [a.encode() + b"\0" for a in args]
    at = base + 4 * (len(args) + 1)
    ptrs = []
    for s in strings:
        ptrs.append(at)
        at += len(s)
    return struct.pack(f"<{len(args) + 1}I", *ptrs, 0) + b"".join(strings), base


class WasmliteQjsReactor:
    """``qjs-wasi-reactor.wasm`` on wasmlite's WASI: ``run(script)`` returns its stdout."""

    def __init__(self, data: bytes) -> None:
        from wasmlite.engine import call
        from wasmlite.wasi import CAPTURE, Wasi, WasiConfig

        self.call = call
        self.wasi = Wasi(WasiConfig(argv=["qjs"], stdout=CAPTURE, stderr=CAPTURE))
        _, self.inst = _wasmlite_instance(data, self.wasi.imports())
        self.wasi.bind(self.inst)
        self.mem = self.inst.mems[0]
        call(self.inst.exports["_initialize"], [])

    def run(self, source: str) -> str:
        ex, call = self.inst.exports, self.call
        args = ["qjs", "-e", source]
        size = sum(len(a.encode()) + 1 for a in args) + 4 * (len(args) + 1)
        block, argv = _argv_block(args, call(ex["malloc"], [size])[0])
        self.mem.data[argv:argv + len(block)] = block
        before = len(self.wasi.stdout_bytes())
        status = call(ex["qjs_init_argv"], [len(args), argv])[0]
        call(ex["qjs_destroy"], [])
        call(ex["free"], [argv])
        if status != 0:
            raise RuntimeError(f"qjs_init_argv returned {status}: {self.wasi.stderr_bytes()!r}")
        return self.wasi.stdout_bytes()[before:].decode()


class WasmtimeQjsReactor:
    """The same on wasmtime-py with its WASI (stdout to a temporary file)."""

    def __init__(self, data: bytes) -> None:
        import tempfile

        import wasmtime

        self.out = tempfile.NamedTemporaryFile(prefix="qjs-out-")
        engine = wasmtime.Engine()
        self.store = wasmtime.Store(engine)
        config = wasmtime.WasiConfig()
        config.argv = ["qjs"]
        config.stdout_file = self.out.name
        self.store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self.ex = linker.instantiate(self.store, wasmtime.Module(engine, data)).exports(self.store)
        self.ex["_initialize"](self.store)

    def run(self, source: str) -> str:
        ex, store = self.ex, self.store
        args = ["qjs", "-e", source]
        size = sum(len(a.encode()) + 1 for a in args) + 4 * (len(args) + 1)
        block, argv = _argv_block(args, ex["malloc"](store, size))
        ex["memory"].write(store, block, argv)
        before = os.path.getsize(self.out.name)
        status = ex["qjs_init_argv"](store, len(args), argv)
        ex["qjs_destroy"](store)
        ex["free"](store, argv)
        if status != 0:
            raise RuntimeError(f"qjs_init_argv returned {status}")
        with open(self.out.name, "rb") as f:
            f.seek(before)
            return f.read().decode()


class PwasmQjsReactor:
    """The same on pwasm's ``Sandbox`` (its own WASI, stdout captured)."""

    def __init__(self, data: bytes, mode: str) -> None:
        from pwasm.sandbox import Sandbox

        self.sb = Sandbox(data, args=("qjs",), mode=mode)

    def run(self, source: str) -> str:
        sb = self.sb
        args = ["qjs", "-e", source]
        size = sum(len(a.encode()) + 1 for a in args) + 4 * (len(args) + 1)
        block, argv = _argv_block(args, sb.call("malloc", size))
        sb.write(argv, block)
        before = len(sb.wasi.stdout)
        status = sb.call("qjs_init_argv", len(args), argv)
        sb.call("qjs_destroy")
        sb.call("free", argv)
        if status != 0:
            raise RuntimeError(f"qjs_init_argv returned {status}: {sb.stderr}")
        return bytes(sb.wasi.stdout[before:]).decode()


def _pwasm_program(name: str, data: bytes, mode: str) -> Callable[[int], Any]:
    if name == "quickjs":
        js = pwasm_quickjs(mode)
        return lambda n: js.eval(SCRIPTS[n][0])
    if name == "micropython":
        from pwasm.guests.micropython import MicroPython

        mp = MicroPython(mode=mode)
        return lambda n: mp.exec(script(name, n))
    if name == "mquickjs":
        from pwasm.guests.mquickjs import MQuickJS

        mq = MQuickJS(mode=mode)
        return lambda n: mq.eval(script(name, n))
    qjs = PwasmQjsReactor(data, mode)
    return lambda n: qjs.run(script(name, n))


def _wasmlite_program(name: str, data: bytes) -> Callable[[int], Any]:
    if name == "quickjs":
        js = WasmliteQuickJS(data)
        return lambda n: js.eval(SCRIPTS[n][0])
    if name == "micropython":
        mp = WasmliteMicroPython(data)
        return lambda n: mp.exec(script(name, n))
    if name == "mquickjs":
        mq = WasmliteMQuickJS(data)
        return lambda n: mq.eval(script(name, n))
    qjs = WasmliteQjsReactor(data)
    return lambda n: qjs.run(script(name, n))


HARNESSES = {"quickjs": ("wasmlite", "pwasm"), "micropython": ("wasmlite", "pwasm"),
             "mquickjs": ("wasmlite", "pwasm"), "qjs_reactor": ("wasmlite", "pwasm", "wasmtime")}
"""Program -> the runtimes it has a harness for."""


def loader(name: str, adapter: str, mode: str) -> Callable[[bytes], Callable[[int], Any]]:
    """For ``runtimes``: start program ``name`` on the runtime, return ``run(size)``."""
    if adapter not in HARNESSES[name]:
        raise NotImplementedError(f"no {name} harness for {adapter}")

    def load(data: bytes) -> Callable[[int], Any]:
        if adapter == "wasmlite":
            return _wasmlite_program(name, data)
        if adapter == "pwasm":
            return _pwasm_program(name, data, mode)
        qjs = WasmtimeQjsReactor(data)
        return lambda n: qjs.run(script(name, n))

    return load
