"""The ``wasmlite`` command line: ``run``, ``validate``, ``wat2wasm``, ``wast``, ``explore``.

Usage errors and bad input are reported as one line on stderr with a non-zero exit
status, never as a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, List, Optional

from . import __version__
from .errors import Trap, WasmError

if TYPE_CHECKING:
    from .api import Linker
    from .module import Module
    from .wasi import WasiConfig


def cmd_validate(args: argparse.Namespace) -> int:
    from .module import Module

    status = 0
    for path in args.files:
        try:
            Module.from_file(path)
        except WasmError as exc:
            print(f"{path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
        else:
            if not args.quiet:
                print(f"{path}: valid")
    return status


def cmd_wat2wasm(args: argparse.Namespace) -> int:
    from .text import wat2wasm

    with open(args.input, "r", encoding="utf-8") as f:
        source = f.read()
    binary = wat2wasm(source)
    if args.validate:
        from .module import Module

        Module(binary)
    output = args.output or (args.input.rsplit(".", 1)[0] + ".wasm")
    with open(output, "wb") as f:
        f.write(binary)
    return 0


def cmd_wast(args: argparse.Namespace) -> int:
    from .wast_runner import run_files

    passed, failed, skipped = run_files(args.files, verbose=args.verbose)
    return 1 if failed else 0


def cmd_explore(args: argparse.Namespace) -> int:
    from . import syntax
    from .ir import format_function
    from .module import Module
    from .translate import translate_function
    from .validate.code import FuncValidator

    module = Module.from_file(args.file).syntax
    first = len(module.imports_of(syntax.EXTERN_FUNC))
    indices = range(first, first + len(module.funcs))
    if args.func_index is not None:
        if args.func_index not in indices:
            print(f"wasmlite: no defined function {args.func_index} (defined: {first}..{indices.stop - 1})",
                  file=sys.stderr)
            return 1
        indices = range(args.func_index, args.func_index + 1)
    validator = FuncValidator(module)
    for n, index in enumerate(indices):
        if args.python:
            from .engine import codegen

            ir, root, skip = codegen.translate(module, index, validator)
            gen = codegen.generate(ir, root, skip, module)
            text = f"# func {index} ({gen.scheme})\n{gen.source}"
        else:
            ir = translate_function(module, index, validator)
            text = format_function(ir, module.names.funcs.get(index, ""))
        print(("\n" if n else "") + text)
    return 0


def _parse_arg(text: str, t: int) -> object:
    """A command-line argument as a run-time value of type ``t`` (ints may be signed)."""
    from . import numeric, syntax

    if t in (syntax.I32, syntax.I64):
        bits = 32 if t == syntax.I32 else 64
        value = int(text, 0)
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise ValueError(f"{text} does not fit in {syntax.valtype_name(t)}")
        return value & 0xFFFFFFFF if bits == 32 else numeric.i64_of(value)
    if t == syntax.F32:
        return numeric.f32_round(float(text))
    if t == syntax.F64:
        return float(text)
    if t == syntax.V128:  # the 128 bits as one integer, lane 0 lowest (e.g. 0x...)
        value = int(text, 0)
        if not 0 <= value < (1 << 128):
            raise ValueError(f"{text} does not fit in v128")
        return value
    raise ValueError(f"cannot pass a {syntax.valtype_name(t)} from the command line")


def _show_result(value: object, t: int) -> str:
    """Results print as the wasmtime CLI prints them: integers signed, floats as decimals;
    a v128 as 32 hex digits (lane 0 last)."""
    from . import syntax

    if t in (syntax.I32, syntax.I64) and isinstance(value, int):
        bits = 32 if t == syntax.I32 else 64
        value &= (1 << bits) - 1
        return str(value - (1 << bits) if value >> (bits - 1) else value)
    if t == syntax.V128 and isinstance(value, int):
        return f"0x{value:032x}"
    return repr(value)


TRAP_STATUS = 134 if os.name != "nt" else 3
"""The wasmtime CLI's exit status after a trap: an abort's (128 + SIGABRT) on Unix."""


def _wasi_config(args: argparse.Namespace) -> "WasiConfig":
    """The WASI setup of ``run``: --dir, --env, the guest's argv and inherited stdio."""
    from .wasi import INHERIT, WasiConfig

    env = []
    for item in args.env:
        name, eq, value = item.partition("=")
        if not name:
            raise UsageError(f"--env expects NAME=VALUE, got {item!r}")
        if not eq:  # --env NAME passes the host's value on, as wasmtime does
            if name not in os.environ:
                continue
            value = os.environ[name]
        env.append((name, value))
    config = WasiConfig(argv=[args.file] + args.args, env=env, stdin=INHERIT)
    for item in args.dir:
        host, sep, guest = item.partition("::")
        if not os.path.isdir(host):
            raise UsageError(f"--dir {item}: {host!r} is not a directory")
        config.preopen(host, guest if sep else host)
    return config


class UsageError(Exception):
    """A bad command line: reported in one line, exit status 2."""


def _linker(module: "Module", config: "Optional[WasiConfig]") -> "Linker":
    """A linker for ``module``: the WASI functions when ``config`` is given, nothing else."""
    from . import syntax
    from .api import Linker
    from .errors import LinkError
    from .wasi import MODULE

    linker = Linker()
    if config is not None:
        linker.define_wasi(config)
    for imp in module.syntax.imports:
        if config is None or imp.module != MODULE or imp.kind != syntax.EXTERN_FUNC:
            what = ("function", "table", "memory", "global")[imp.kind]
            raise LinkError(f"unknown import: {imp.module}::{imp.name} ({what}) is not defined; "
                            f"wasmlite run provides only {MODULE} functions")
    return linker


def cmd_run(args: argparse.Namespace) -> int:
    from .api import Func, Store
    from .errors import ExitError
    from .module import Module
    from .wasi import MODULE

    try:
        store = Store(fuel=args.fuel, max_memory=args.max_memory, timeout=args.timeout)
        wasm = Module.from_file(args.file)
        uses_wasi = any(imp.module == MODULE for imp in wasm.syntax.imports)
        config = _wasi_config(args) if uses_wasi or args.dir or args.env else None
    except (UsageError, ValueError) as exc:
        print(f"wasmlite: {exc}", file=sys.stderr)
        return 2
    try:
        instance = _linker(wasm, config).instantiate(store, wasm)
        exports = instance.exports
        initialize = exports["_initialize"] if "_initialize" in exports else None
        if config is not None and args.invoke and isinstance(initialize, Func):  # a WASI reactor
            initialize()
        name = args.invoke or ("_start" if "_start" in exports else None)
        if name is None:
            if args.args:
                print("wasmlite: arguments given but nothing to invoke (use --invoke NAME)", file=sys.stderr)
                return 2
            return 0
        func = exports[name] if name in exports else None
        if not isinstance(func, Func):
            print(f"wasmlite: {args.file} exports no function named {name!r}", file=sys.stderr)
            return 1
        if args.invoke is None and config is not None:  # a WASI command: ARGS went to argv
            func()
            return 0
        ftype = func.type.syntax
        if len(args.args) != len(ftype.params):
            print(f"wasmlite: {name} takes {len(ftype.params)} argument(s) {ftype}, got {len(args.args)}",
                  file=sys.stderr)
            return 2
        try:
            values = [_parse_arg(a, t) for a, t in zip(args.args, ftype.params)]
        except ValueError as exc:
            print(f"wasmlite: bad argument for {name}: {exc}", file=sys.stderr)
            return 2
        out = func(*values)
        sys.stdout.flush()
        results = out if len(ftype.results) > 1 else [out]
        for value, t in zip(results, ftype.results):
            print(_show_result(value, t))
        return 0
    except ExitError as exc:
        return exc.code
    except Trap as trap:
        sys.stdout.flush()
        print(f"wasmlite: trap: {trap}", file=sys.stderr)
        if trap.frames:
            print("wasm backtrace:\n" + trap.backtrace(), file=sys.stderr)
        return TRAP_STATUS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wasmlite", description="A WebAssembly runtime in pure Python.")
    parser.add_argument("-V", "--version", action="version", version=f"wasmlite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run a WebAssembly module, or call one of its exports")
    p.add_argument("--invoke", metavar="NAME", help="the exported function to call (default: _start)")
    p.add_argument("--fuel", type=int, metavar="N",
                   help="run out of fuel (trap) after N units: one per wasm call and loop iteration")
    p.add_argument("--max-memory", type=int, metavar="BYTES", help="cap the module's memory at BYTES")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="interrupt (trap) after SECONDS")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                   help="give a WASI guest the host directory HOST, as GUEST (default: HOST)")
    p.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                   help="set a WASI guest's environment variable (NAME alone: the host's value)")
    p.add_argument("file", metavar="FILE.wasm|FILE.wat")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="arguments for the invoked function, parsed by its parameter types")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check that WebAssembly modules (.wasm or .wat) are valid")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("wat2wasm", help="translate WebAssembly text to the binary format")
    p.add_argument("input", metavar="IN.wat")
    p.add_argument("-o", "--output", metavar="OUT.wasm", help="where to write (default: IN.wasm)")
    p.add_argument("--no-validate", dest="validate", action="store_false", help="skip validation")
    p.set_defaults(func=cmd_wat2wasm)

    p = sub.add_parser("wast", help="run WAST scripts (the spec test suite's format)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-v", "--verbose", action="store_true", help="also list errors worded unlike the suite")
    p.set_defaults(func=cmd_wast)

    p = sub.add_parser("explore", help="print the register IR of a module's functions")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--func", dest="func_index", type=int, metavar="N",
                   help="only function N (in the function index space)")
    p.add_argument("--python", action="store_true",
                   help="print the Python source tier 1 generates instead of the IR")
    p.set_defaults(func=cmd_explore)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except Trap as trap:
        print(f"wasmlite: trap: {trap}", file=sys.stderr)
        if trap.frames:
            print("wasm backtrace:\n" + trap.backtrace(), file=sys.stderr)
        return 1
    except WasmError as exc:
        print(f"wasmlite: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"wasmlite: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
