"""Tier 1 writes fewer parentheses than the templates' convention ("every operand
an atom, every rendering an atom") would: a rendering is typed ``Atom`` or
``Wrapped`` so it is not parenthesised again as an operand, and loses its own
parentheses as an assignment's right-hand side. Parentheses change what
``compile()`` parses, never the tree: checked here against every operand
parenthesised (the convention's rule) on the benchmarks' modules and spec modules."""

from __future__ import annotations

import ast
import glob
import os
from typing import Any, List

import pytest

from conftest import REPO, TESTSUITE
from wasmlite.engine import codegen
from wasmlite.numeric import NUMERIC, UNWRAPPED, Atom, Wrapped, ranges, render_unwrapped, templates, unwrapped
from wasmlite.text import parse_module, wast
from wasmlite.validate.code import FuncValidator
from wasmlite.wast_runner import load_source

BENCHMARKS = sorted(glob.glob(os.path.join(REPO, "benchmarks", "kernels", "*.wasm"))
                    + glob.glob(os.path.join(REPO, "benchmarks", "micro", "*.wat")))
SPEC = ["i32", "i64", "f32", "f64", "conversions", "int_exprs", "float_exprs", "memory", "address",
        "br_table", "loop", "select", "left-to-right", "simd_lane"]


def _read(path: str) -> Any:
    if path.endswith(".wat"):
        with open(path, encoding="utf-8") as f:
            return parse_module(f.read())
    with open(path, "rb") as f:
        return load_source(wast.ModuleSource("binary", f.read()))


def _spec_modules(name: str) -> List[Any]:
    path = os.path.join(TESTSUITE, "wasm-2.0", name + ".wast")
    with open(path, encoding="utf-8") as f:
        commands = wast.parse_script(f.read(), path)
    return [load_source(c.source) for c in commands if isinstance(c, wast.ModuleCmd)]


def _sources(module: Any) -> List[str]:
    v = FuncValidator(module)
    inliner = codegen.Inliner(module, v)
    out = []
    for i in range(len(module.funcs)):
        ir, root, skip = codegen.translate(module, i, v)
        out.append(codegen.generate(ir, root, skip, module, inliner=inliner).source)
    return out


def _every_operand_parenthesised(operand: str, attribute: bool) -> str:
    return operand if templates._IDENT.match(operand) else "(" + operand + ")"


def _trees_alike(modules: List[Any], monkeypatch: pytest.MonkeyPatch) -> int:
    """Checks each function's source against the one with the convention's
    parentheses (lengths of text decide nothing: the longest spliced expression
    and small addend's text are unbounded in both); returns how many functions."""
    monkeypatch.setattr(codegen, "MAX_EXPR", 10 ** 9)
    monkeypatch.setattr(ranges, "SMALL_ADDEND_TEXT", 10 ** 9)
    fewer = [s for m in modules for s in _sources(m)]
    with monkeypatch.context() as full:
        full.setattr(templates, "_place", _every_operand_parenthesised)
        full.setattr(codegen, "unwrapped", lambda expr: expr)
        more = [s for m in modules for s in _sources(m)]
    for a, b in zip(fewer, more):
        assert ast.dump(ast.parse(a)) == ast.dump(ast.parse(b)), a
    assert sum(s.count("(") for s in fewer) < sum(s.count("(") for s in more)
    return len(fewer)


@pytest.mark.parametrize("path", BENCHMARKS, ids=os.path.basename)
def test_benchmark_functions_parse_as_with_every_parenthesis(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _trees_alike([_read(path)], monkeypatch) >= 1


@pytest.mark.parametrize("name", SPEC)
def test_spec_functions_parse_as_with_every_parenthesis(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _trees_alike(_spec_modules(name), monkeypatch) >= 1


def test_fewer_parentheses_on_i64_arith() -> None:
    """No operand wrapped twice, no literal wrapped (``((((l2 * (6364136223846793005)))
    + ...`` in the convention's), no right-hand side of an assignment wrapped whole."""
    (source,) = _sources(_read(os.path.join(REPO, "benchmarks", "micro", "i64_arith.wat")))
    assert "((((" not in source and "(6364136223846793005)" not in source
    assert "l1 = l1 + 1\n" in source


OPERANDS: List[str] = ["x", "7", Wrapped("(x + y)"), Atom("f(x)"), Wrapped("(x if c else y)"), Atom("M0[x]")]


def _same(a: str, b: str) -> None:
    assert ast.dump(ast.parse(a)) == ast.dump(ast.parse(b)), (a, b)


def test_every_template_rendering_is_an_atom_and_unwraps() -> None:
    """Every template (not only those the modules above use): a rendering, with
    operands of each kind, is an atom (an attribute of it negated parses as
    with it parenthesised), and ``unwrapped`` parses as it does; a condition
    under ``not`` as well."""
    for name, t in NUMERIC.items():
        for x in OPERANDS:
            ops = [x] * t.arity
            renderings = [t.render(*ops, **{f: "3" for f in t.fields})]
            if name in UNWRAPPED:
                renderings.append(render_unwrapped(name, *ops))
            for s in renderings:
                _same(f"-{s}.y", f"-({s}).y")
                _same(unwrapped(s), s)
            if t.cond is not None:
                _same(f"not {t.render_cond(*ops)}", f"not ({t.render_cond(*ops)})")
