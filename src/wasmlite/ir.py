"""The register IR: what the translator produces and the engine tiers consume.

A function's frame is one flat list of registers, ``regs``, built per call::

    index:  0 .. P-1   P .. L-1      L .. L+T-1          ... -2   -1
           +---------+------------+--------------------+-----------------+
           | params  | locals     | temporaries        | constants       |
           | (args)  | (zeroed)   | (one per stack     | (reversed:      |
           |         |            |  height, 0..T-1)   |  c0 is regs[-1])|
           +---------+------------+--------------------+-----------------+

Every operand is a plain register index. A local is its own index; the value at
operand stack height ``h`` lives in ``L + h``; constant ``k`` is ``-1 - k``, so
Python's negative indexing reaches the constant tail without knowing ``T`` while
translating (that is the one place negative indices are meant). Results of the
function end in ``L .. L+R-1`` (the function frame's label slots).

An instruction is an ``Instr``: ``op`` (a wasm instruction name, or one of the IR's
own: ``copy``, ``br``, ``br_if``, ``br_unless``, ``br_if.<compare>``,
``br_unless.<compare>``, ``br_table``), ``d`` (destination register or ``None``),
``a`` (source registers), ``imm`` (immediate), and for branches ``target`` (an
instruction index; -1 ends the function) and ``copies`` (``(dst, src)`` pairs run
only when the branch is taken, in order: the translator orders them so none
clobbers a later source).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .numeric import f32_to_bits, f64_to_bits

Copies = Tuple[Tuple[int, int], ...]

OPERANDS: Dict[Tuple[int, ...], Tuple[int, ...]] = {}
"""Operand tuples (``Instr.a``) made so far, each kept once: the translator shares
them between instructions and functions, as the IR of every function loaded in tier
0 stays alive with its closures (graphviz: 51,770 tuples, 6,553 distinct). Register
indices are ints, so an equal tuple is the same one. The translator empties it when
it holds ``OPERANDS_MAX``."""

OPERANDS_MAX = 1 << 16


class Instr:
    __slots__ = ("op", "d", "a", "imm", "target", "copies")

    def __init__(self, op: str, d: Optional[int] = None, a: Tuple[int, ...] = (), imm: Any = None,
                 target: int = -1, copies: Copies = ()) -> None:
        self.op = op
        self.d = d
        self.a = a
        self.imm = imm
        self.target = target
        self.copies = copies

    @property
    def dst(self) -> int:
        """``d``, for the ops that always have a destination."""
        assert self.d is not None, self.op
        return self.d

    def is_branch(self) -> bool:
        return self.op.startswith("br")

    def arms(self) -> List[Tuple[int, Copies]]:
        """``(target, copies)`` of each way a branch may leave: a ``br_table``'s arms,
        another branch's one target; none for any other instruction."""
        if self.op == "br_table":
            return self.imm  # type: ignore[no-any-return]
        return [(self.target, self.copies)] if self.is_branch() else []

    def targets(self) -> List[int]:
        """The instruction indexes a branch may go to (-1: the function's end)."""
        return [t for t, _ in self.arms()]

    def __repr__(self) -> str:
        return f"<Instr {self.op} d={self.d} a={self.a} imm={self.imm!r} -> {self.target}>"


class RefFunc:
    """A ``ref.func`` constant: resolved to the instance's function when the code is loaded."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RefFunc) and other.index == self.index

    def __hash__(self) -> int:
        return hash(("ref.func", self.index))


class IRFunction:
    """One translated function; ``local_types`` are the declared locals (params excluded)."""

    __slots__ = ("func_index", "type", "local_types", "nlocals", "ntemps", "consts", "code", "nresults")

    def __init__(self, func_index: int, type: Any, local_types: Tuple[int, ...], ntemps: int,
                 consts: List[Any], code: List[Instr]) -> None:
        self.func_index = func_index
        self.type = type
        self.local_types = local_types
        self.nlocals = len(type.params) + len(local_types)
        self.ntemps = ntemps
        self.consts = consts
        self.code = code
        self.nresults = len(type.results)

    @property
    def results_start(self) -> int:
        return self.nlocals


def _const_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value!r}"
    if isinstance(value, RefFunc):
        return f"ref.func {value.index}"
    if value is None:
        return "null"
    return str(value)


def reg_name(fn: IRFunction, r: int) -> str:
    """``l3`` (param or local), ``t0`` (temporary at stack height 0) or ``c2=1.5`` (constant)."""
    if r < 0:
        return f"c{-1 - r}={_const_text(fn.consts[-1 - r])}"
    if r < fn.nlocals:
        return f"l{r}"
    return f"t{r - fn.nlocals}"


def _imm_text(imm: Any) -> str:
    if isinstance(imm, tuple):
        return " ".join(map(str, imm))
    return str(imm)


def _target_text(fn: IRFunction, target: int) -> str:
    return "end" if target < 0 or target >= len(fn.code) else str(target)


def format_instr(fn: IRFunction, i: int, ins: Instr) -> str:
    r = lambda x: reg_name(fn, x)  # noqa: E731
    parts = [f"{i:4}: {ins.op}"]
    if ins.d is not None:
        parts.append(f" {r(ins.d)} <-")
    if ins.a:
        parts.append(" " + ", ".join(map(r, ins.a)))
    if ins.imm is not None and ins.op != "br_table":
        parts.append(f" [{_imm_text(ins.imm)}]")
    if ins.op == "br_table":
        arms = [_target_text(fn, t) + (" (" + ", ".join(f"{r(d)} <- {r(s)}" for d, s in c) + ")" if c else "")
                for t, c in ins.imm]
        parts.append(" -> " + " | ".join(arms))
    elif ins.is_branch():
        parts.append(" -> " + _target_text(fn, ins.target))
    if ins.copies:
        parts.append("  with " + ", ".join(f"{r(d)} <- {r(s)}" for d, s in ins.copies))
    return "".join(parts)


def format_function(fn: IRFunction, name: str = "") -> str:
    """The printable IR of a function (what ``wasmlite explore`` shows)."""
    head = f"func {fn.func_index}{' ' + name if name else ''} {fn.type}: " \
           f"{len(fn.type.params)} params, {len(fn.local_types)} locals, " \
           f"{fn.ntemps} temps, {len(fn.consts)} consts"
    lines = [head]
    lines.extend(format_instr(fn, i, ins) for i, ins in enumerate(fn.code))
    return "\n".join(lines)


def const_key(value: Any, kind: str) -> Any:
    """A key telling constants apart exactly: by bits for floats (so -0.0 and NaNs differ);
    an integer (i32, i64, v128) is its own key, as the translator's walk looks i32
    constants up without calling this."""
    if kind == "f32":
        return ("f32", f32_to_bits(value))
    if kind == "f64":
        return ("f64", f64_to_bits(value))
    if value is None or isinstance(value, RefFunc):
        return ("ref", value)
    return value
