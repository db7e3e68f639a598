"""Tier 1: the register IR compiled to Python source, then to a code object.

Every register is a Python local (``l3`` a param or local, ``t0`` the temporary at
stack height 0), constants are literals (``K<n>`` names bound once for NaNs and
infinities), numeric ops come from the ``numeric`` templates and loads/stores from
``memory_ops``' format and conversion tables. The source defines
``make(<bindings>)`` returning the function, so the code object holds nothing
instance-specific: memories, globals, tables, callees and helpers arrive as
``make``'s arguments (closure cells: the fastest non-local lookup) and are
described by ``Generated.bindings`` (marshalable, for the disk cache). ``make``
runs with ``interp``'s module dict as globals, so tier-1 code checks wasm call
depth against the same limit as tier 0; it counts depth in an argument of every
call (see ``Tier1``) and hands it to tier 0 and the host in the same ``_depth``.

Control flow, two schemes:

* Structured (the fast path). The translator's block/loop/if nesting, recorded
  by ``_Recorder`` alongside the IR, becomes Python: a wasm ``loop`` is
  ``while True:`` (a back edge is ``continue``, falling out is ``break``), an
  ``if`` is ``if:``/``else:``, and a ``block`` costs nothing unless a branch must
  leave it, in which case it is a one-iteration ``while True:`` left by
  ``break``; not when every such branch is in the block's own code (an if-arm's
  likewise): a ``br_if`` there puts the rest of that code under ``if not <cond>:``
  (C's ``if (likely(x)) {...}`` lowered to blocks costs no loop, and branches out
  of it cross one loop fewer). A forward branch breaks the innermost Python loop
  that ends at its target (``block (loop ... br_if 1 ...))`` needs no wrapper
  for the block). A branch that must leave several Python loops sets ``br`` to a
  code naming the target loop and breaks; after each loop such a branch crosses,
  one ``if br:`` test forwards it (only branches that can cross a loop pay for
  the test); a branch to a switch segment (below) sets the switch's variable and
  breaks, and after each loop it crosses ``if s != <this segment>:`` forwards it.
  A C ``switch`` (``SWITCH_BLOCKS`` or more nested blocks, each left by a branch,
  typically a ``br_table`` at the bottom) is laid out flat: its cases are the
  leaves of one ``while True:`` over a binary-search tree on a segment variable,
  so hundreds of cases nest no deeper than a few (QuickJS's interpreter loop
  fits the structured scheme this way). A wasm loop around such a switch shares
  its Python loop: the next opcode is ``s = 0; continue``. The ``br_table``
  closing segment 0 picks the case through a constant tuple (an arm the tuple
  cannot name, with copies or leaving the switch, gets a stub leaf of its own)
  and falls into the tree: one descent per dispatch. When most of its runs of
  equal arms go to cases nothing else enters, it is a tree on the index instead,
  with those cases' code at its leaves (the variable stays 0: the next opcode is
  ``continue``). A function nesting more
  loops than CPython allows lays out, from ``FLAT_FROM`` Python loops deep, every
  wasm loop and looping block it meets among a switch's code in that switch: the
  loops share one ``while True:``, a back edge selects its loop's first segment.
* Dispatch (the fallback), when the structured form is too deep for CPython
  (20 statically nested loops, 100 indentation levels): the IR cut into basic
  blocks, run by ``while True:`` over a binary-search ``if`` tree on ``pc``.

``br_table`` is a binary-search tree over runs of equal arms in both schemes. A
numeric result that only the next instruction reads is spliced into that
instruction's expression instead of stored. ``tier1`` is the way in: it uses
``cache`` (per process and on disk) and leaves functions of more than
``MAX_INSTRUCTIONS`` to tier 0. Traps keep tier 0's messages; ``struct.error``
(or ``IndexError``, from a byte access indexing the bytearray) raised by a load or
store in the function itself becomes "out of bounds memory access" at the
function's ``except``, so the accesses themselves need no ``try`` (a host
function's exceptions reach it wrapped in ``HostError`` anyway; a function
without accesses has no such ``except``). A metered
instance (``ModuleInstance.metered``) gets code that spends fuel at entry and at
loop heads (``interp.FUEL_CHECK``), cached under its own key; other code has no
check at all.
"""

from __future__ import annotations

import bisect
import operator
import re
import struct
import sys
import types
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from .. import syntax
from ..errors import Trap
from ..ir import Instr, IRFunction, RefFunc
from ..numeric import HELPERS, NUMERIC, ROTATES, ROUNDED, UNWRAPPED, Atom, Wrapped, f64_to_bits, ranges, render_rotate, unwrapped
from ..runtime.objects import Function, HostFunction, ModuleInstance, WasmFunction
from ..translate import Translator, translate_function
from ..validate.code import FUNC, IF, LOOP, FuncValidator
from . import cache, interp, intervals
from .coalesce import coalesce
from .inline import Inliner, function_types
from .memory_ops import (ACCESSES, BYTE_LOADS, BYTE_STORES, FACTORIES, LOADS, OOB_MEMORY, PACK, STORES, UNPACK,
                         VIEW_ACCESSES)

__all__ = ["Generated", "Tier1", "generate", "translate", "load", "entry", "import_entry", "tier1"]

STORE_WIDTHS = {"i32.store8": 8, "i64.store8": 8, "i32.store16": 16, "i64.store16": 16, "i64.store32": 32}
"""Narrow stores, by the bits they keep of the value: one already that narrow (a
byte loaded, a constant folded) is stored without its mask."""

SIGNED_BYTES = frozenset(("i32.load8_s", "i64.load8_s")) if sys.implementation.name == "cpython" else frozenset()
"""Byte loads read from a view of signed bytes where views are used: no ``^ 0x80``
and ``- 0x80`` to extend the sign. CPython only, as ``VIEW_ACCESSES``: under PyPy's
JIT the view's item costs more than the bytearray's (the memory micro-benchmark
took 8.1 ms a call with it against 2.6 ms without)."""

MAX_LOOPS = 17
"""Python loops the structured scheme may nest: CPython allows 20 statically nested
blocks, the function's ``try``/``except`` takes one and a call of an import's
``try``/``finally`` another (see ``call_import``); one spare."""

FLAT_FROM = 8
"""Python loops deep from which a function nesting more than ``MAX_LOOPS`` shares
switches among its loops (QuickJS's ``resolve_variables`` nests 22)."""

MAX_INDENT = 80
"""Indentation levels the structured scheme may use (the tokenizer stops at 100)."""

MAX_NESTING = 400
"""Nested wasm blocks the structured scheme takes on (a switch's blocks need no
indentation each; the bound keeps the recursion over them far from Python's limit)."""

SWITCH_BLOCKS = 4
"""Nested blocks (each one left by a branch) from which on the structured scheme lays
them out flat, as a switch (see ``_Structured.switch``), instead of one Python loop each."""

MAX_TABLE = 4096
"""Most arms of a ``br_table`` selecting a switch segment through a constant tuple."""

ROUND_BY_VIEW = sys.implementation.name == "cpython"
"""Whether f32 results are rounded by a store to and a load from a one-item view of
C floats (``RF[0] = a * b`` then ``RF[0]``, see ``templates.ROUNDED``): about half
the cost of ``f32_round``'s struct round trip and call. (PyPy's JIT compiles the
call.) The view is shared by every call of the function: the value is read back
in the next statement, and nothing in between (calls are never spliced) writes it."""

STRUCT_BY_FORMAT = sys.implementation.name != "cpython"
"""Whether tier 1's struct accesses call ``unpack_from('<I', M0, a)`` and
``pack_into(..)`` with the format a literal, instead of a bound ``Struct`` method
(``U_i32_load(M0, a)``: 51 ns against 60 on CPython 3.11). PyPy's JIT folds a
literal format away, but a ``Struct`` read from a closure cell is no constant to
it: every access read the format and compared it with a string call (3x the cost
of an access in a loop of loads and stores; PyPy's tier 1 a call: memory 2.7 ->
0.8 ms, nbody 4.0 -> 1.6, sort 5.4 -> 4.6, see NOTES)."""

COPY_SEGMENT = 8
"""Most IR instructions of a switch's common segment (the code after a C switch in
a loop: its latch) that a branch to it runs in place, instead of selecting it
through the loop (see ``_Structured.switch``)."""

MAX_EXPR = 200
"""Longest expression (in characters) spliced into the next instruction's."""


# -- structure recovery ---------------------------------------------------------------


class Region:
    """A wasm block, loop or if over IR instructions ``start .. end - 1``.

    ``items`` alternates ``(lo, hi)`` instruction ranges and nested regions; an
    ``if`` keeps its then-arm in ``items`` and its else-arm in ``else_items``;
    ``cond`` is the ``if``'s ``br_unless`` (its branch to the else-arm).
    """

    __slots__ = ("kind", "start", "end", "items", "else_items", "cond", "cursor", "wrap", "in_else", "own")

    def __init__(self, kind: str, start: int) -> None:
        self.kind = kind
        self.start = start
        self.end = -1
        self.items: List[Any] = []
        self.else_items: Optional[List[Any]] = None
        self.cond = -1
        self.cursor = start
        self.wrap = False
        self.in_else = False
        self.own: List[int] = []  # branches to its end from its own code (see ``_Structured.decide``)

    def add(self, item: Any) -> None:
        (self.else_items if self.in_else else self.items).append(item)  # type: ignore[union-attr]

    def flush(self, pc: int) -> None:
        if pc > self.cursor:
            self.add((self.cursor, pc))
        self.cursor = pc


class _Recorder(Translator):
    """The translator, also recording the block structure (``root``) and the
    ``br`` ending each then-arm (``skip``: it is the Python ``if``'s own exit)."""

    def begin(self) -> None:
        self.root = Region("func", 0)
        self.stack = [self.root]
        self.skip: Set[int] = set()

    def opened(self, kind: str) -> None:
        pc = len(self.code)
        parent = self.stack[-1]
        if kind is IF:
            parent.flush(pc - 1)
            r = Region("if", pc - 1)
            r.cond = pc - 1
            r.cursor = pc
        else:
            parent.flush(pc)
            r = Region("loop" if kind is LOOP else "block", pc)
        parent.add(r)
        parent.cursor = -1
        self.stack.append(r)

    def elsed(self, live: bool) -> None:
        r = self.stack[-1]
        pc = len(self.code)
        if live:
            self.skip.add(pc - 1)
        r.flush(pc)
        r.in_else = True
        r.else_items = []

    def closed(self, kind: str) -> None:
        pc = len(self.code)
        r = self.stack[-1]
        r.flush(pc)
        if kind is FUNC:
            return
        r.end = pc
        self.stack.pop()
        self.stack[-1].cursor = pc


VIEW_MAX_INSTRUCTIONS = 1000
"""The largest function (in IR instructions) whose aligned accesses use views: each
such access is an expression with both a view and a struct path, and compiling a
giant function's source (QuickJS's interpreter loop) with them cost 20 MB of peak
RSS, measured; big functions keep the struct call alone."""


def translate(module: syntax.Module, func_index: int,
              validator: Optional[FuncValidator] = None) -> Tuple[IRFunction, Region, Set[int]]:
    """The IR of a defined function with its block structure (see ``Region``)."""
    t = _Recorder()
    return translate_function(module, func_index, validator, t), t.root, t.skip


# -- generation -----------------------------------------------------------------------


class Generated:
    """Source of one function and what ``make`` needs: ``bindings`` are
    ``(name, kind, arg)`` triples (see ``_bind``)."""

    __slots__ = ("source", "bindings", "nparams", "nresults", "scheme")

    def __init__(self, source: str, bindings: List[Tuple[str, str, Any]], nparams: int,
                 nresults: int, scheme: str) -> None:
        self.source = source
        self.bindings = bindings
        self.nparams = nparams
        self.nresults = nresults
        self.scheme = scheme


class _Fallback(Exception):
    """The structured form does not fit CPython's limits."""


class _PyLoop:
    """A Python ``while True:`` being generated: ``exit`` is where ``break`` lands,
    ``head`` where ``continue`` goes (a wasm loop's start, else None). A switch
    loop (see ``_Structured.switch``) also has ``labels``: the IR index each of its
    segments starts at -> the segment's number, which ``var`` selects."""

    __slots__ = ("exit", "head", "code", "crossed", "labels", "var", "stubs", "fall", "selected",
                 "current", "running", "signals", "copied", "leaf", "cases", "written")

    def __init__(self, exit: int, head: Optional[int], code: int) -> None:
        self.exit = exit
        self.head = head
        self.code = code  # break code; continue code is code + 1
        self.crossed: Set[int] = set()  # branch codes leaving through this loop
        self.labels: Dict[int, int] = {}
        self.var = ""
        # br_table arms a segment number cannot name alone (copies, or a target
        # outside the switch): (target, copies) -> the number of a leaf doing the branch
        self.stubs: Dict[Tuple[int, Tuple[Tuple[int, int], ...]], int] = {}
        self.fall = -1  # the branch ending segment 0: it sets ``var`` and falls into the tree
        self.selected: Set[int] = set()  # the leaves that branch may select
        self.current = -1  # ``var``'s value where code is being generated
        self.running = -1  # the segment whose code that is
        # switch loops whose variable a branch leaving through this loop changed: it
        # signals the branch on the way out, without ``br``
        self.signals: List[_PyLoop] = []
        self.copied = -1  # the segment a branch to it runs in place, by ``leaf(segment, ind)``
        self.leaf: Callable[[int, int, int], None] = lambda k, ind, value: None
        self.cases: Set[int] = set()  # the segments ``fall``'s tree runs at its leaves
        self.written: Set[int] = set()  # the values code sets ``var`` to (see ``set_var``)


_V = re.compile(r"\bv\b")  # the value in memory_ops' LOADS expressions
_NAME = re.compile(r"(?<!\w)[A-Za-z_]\w*")  # the names in an expression
_HELPERS_IN: Dict[str, Tuple[str, ...]] = {}
"""The helpers an expression calls (``_Gen.helpers_of``): the memory accesses' few
expressions come again and again, and there are ~200 helper names to look for."""
_ATOM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z|[0-9]+\Z")  # a name or an integer literal


class _Gen:
    const_prefix = "K"  # names of the constants that are no literal
    scales = True  # whether registers may be kept as view indexes (not in an inlined body)

    def __init__(self, ir: IRFunction, module: syntax.Module, metered: bool = False,
                 ftypes: Optional[List[syntax.FuncType]] = None) -> None:
        self.ir = ir
        self.views = len(ir.code) <= VIEW_MAX_INSTRUCTIONS
        self.module = module
        self.metered = metered
        self.heads = interp.loop_heads(ir.code) if metered else set()  # where fuel is spent
        self.L = ir.nlocals
        self.nres = ir.nresults
        self.bindings: Dict[str, Tuple[str, Any]] = {}
        self.prelude: List[str] = []  # lines run once in make (constants)
        self.lines: List[str] = []
        # (temporary, expression, bound, known low zero bits, whether it may trap): see ``straight``
        self.pending: Optional[Tuple[int, str, Optional[int], int, bool]] = None
        self.spliced_traps = False  # whether an operand ``facts`` last spliced may trap
        # a temporary spliced into the instruction after the next (see ``straight``), and
        # that instruction, when the items being generated have one
        self.deferred: Optional[Tuple[int, str, Optional[int], int, bool]] = None
        self.after_next: Optional[Instr] = None
        self.scratch = 0  # locals w1, w2, ... bind a value an inline expression reads twice
        self.scaled: Dict[str, Tuple[int, str, bool]] = {}  # expressions known to be ``x << k``: see ``ranges.scaled``
        self.signs: Dict[str, Tuple[str, str]] = {}  # expression -> its bit 31 (test, 0 or 1): see ``ranges.spread``
        self.spreads: Dict[str, Tuple[str, str, int]] = {}  # a spread bit, masked -> (test, 0 or 1, mask)
        self.based: Dict[str, Tuple[str, str, int, str]] = {}  # base plus a scaled index: see ``based_access``
        self.unmasked, self.unmasked_reads = _unmasked(ir.code, self.L)
        # (what they are for: the accesses that may use a view)
        accesses = self.views and any(ins.op in VIEW_ACCESSES for ins in ir.code)
        self.register_zeros = _register_zeros(ir.code, ir.consts) if accesses else {}
        self.ftypes = function_types(module) if ftypes is None else ftypes  # (what a call returns)
        nparams = len(ir.type.params)
        self.spans = intervals.analyse(ir.code, ir.consts, self.writes,
                                       [nparams + k for k, t in enumerate(ir.local_types) if t in _INTEGERS])
        # addresses held as view indexes (see ``_scaled_webs``): writes by ``id`` of the
        # instruction -> k, reads by ``(id(reader), position)``, registers by their 0 on entry
        self.scaled_defs: Dict[int, int] = {}
        self.scaled_uses: Dict[Tuple[int, int], int] = {}
        self.scaled_entry: Dict[int, int] = {}
        # words held as signed ints (see ``_signed_webs``; the views' platforms only)
        self.signed_loads: Set[int] = set()
        self.signed_reads: Set[Tuple[int, int]] = set()
        self.signed_compares: Set[int] = set()
        if accesses and self.scales and "i64.load32_s" in VIEW_ACCESSES:
            self.signed_loads, self.signed_reads, self.signed_compares = _signed_webs(ir, self.writes)
        if accesses and self.scales:
            nparams = len(ir.type.params)
            self.scaled_defs, self.scaled_uses, self.scaled_entry, scaled = _scaled_webs(
                ir, {nparams + i for i, t in enumerate(ir.local_types) if t == syntax.I32},
                self.writes)
            for r, k in scaled:
                self.scaled[f"(i{r} << {k})"] = (k, f"i{r}", False)
        self.biased: Dict[int, Tuple[str, int]] = {}  # sums over a biased counter (``_Structured.biased``)
        self.inlined: Dict[int, IRFunction] = {}  # callees whose calls are emitted in place
        self.checked = False  # whether the straight run being generated checked ``deep`` (see ``inline``)
        self.counts = any(ins.op in ("call", "call_indirect") for ins in ir.code)  # see ``_assemble``
        self.nimported = len(module.imports_of(syntax.EXTERN_FUNC))  # imports are called as hosts
        self.sets_depth = False  # whether a call of an import sets ``_depth`` (see ``call_import``)


    def writes(self, ins: Instr) -> int:
        return _writes(self.module, self.ftypes, ins)

    def plan_inlining(self, inliner: Inliner) -> None:
        """Choose the callees to inline (before generating): a function whose calls are
        all inlined calls nothing, so need not count its frame (see ``_assemble``)."""
        for ins in self.ir.code:
            if ins.op == "call" and ins.imm != self.ir.func_index:
                body = inliner.body(ins.imm)
                if body is not None:
                    self.inlined[ins.imm] = body
        self.counts = any(ins.op == "call_indirect" or ins.op == "call" and ins.imm not in self.inlined
                          for ins in self.ir.code)

    # -- operands and bindings --

    def bind(self, name: str, kind: str, arg: Any) -> str:
        self.bindings[name] = (kind, arg)
        return name

    def reg(self, r: int) -> str:
        assert self.pending is None or self.pending[0] != r, "a spliced value read as a register"
        assert self.deferred is None or self.deferred[0] != r, "a spliced value read as a register"
        if r >= 0:
            return f"l{r}" if r < self.L else f"t{r - self.L}"
        value = self.ir.consts[-1 - r]
        if value is None:
            return "None"
        if isinstance(value, RefFunc):
            return self.bind(f"R{value.index}", "func", value.index)
        if isinstance(value, float):
            if value - value == 0.0:  # finite: repr round-trips exactly
                return repr(value)
            name = f"{self.const_prefix}{-1 - r}"
            if name not in self.bindings:
                self.bind("f64_from_bits", "helper", None)
                self.prelude.append(f"{name} = f64_from_bits(0x{f64_to_bits(value):X})")
                self.bindings[name] = ("local", None)
            return name
        return str(value)

    def scaled_def(self, ins: Instr) -> str:
        """The index (``x >> k``) of what ``ins`` (a write ``_scaled_webs`` admits)
        writes to its register: ``(x + c) mod 2**32 >> k`` is ``(i + (c >> k)) mod
        2**(32 - k)`` for ``x = i << k`` and ``c`` a multiple of ``2**k``; the
        intervals of the operands spare the mask where they show the sum's wrap."""
        op, a = ins.op, ins.a
        k = self.scaled_defs[id(ins)]
        mask = (1 << (32 - k)) - 1
        if op == "copy":  # of an index, or of an aligned constant
            s = a[0]
            return f"i{s}" if s >= 0 else str(self.ir.consts[-1 - s] % intervals.M >> k)
        ops, bits, consts, _, spans = self.facts(a, ins)
        M = intervals.M
        index = [(id(ins), p) in self.scaled_uses for p in range(len(a))]
        if op == "i32.add" and all(index):
            s0, s1 = spans
            if s0 is not None and s1 is not None and s0[1] + s1[1] < M:
                return f"(i{a[0]} + i{a[1]})"
            return f"((i{a[0]} + i{a[1]}) & {mask})"
        if op in ("i32.add", "i32.sub") and any(index):
            p = 0 if index[0] else 1
            c: int = consts[1 - p]  # type: ignore[assignment]
            return _index_sum(f"i{a[p]}", -c % M if op == "i32.sub" else c % M, k, spans[p])
        p = 1 if consts[1] is not None else 0  # (by a constant: mul, shl, or add to a shift)
        if op == "i32.add":  # ``(y << s) + c``: the shift's form (``self.scaled``) when spliced
            c, form = consts[p] % M, self.scaled.get(ops[1 - p])  # type: ignore[operator]
            if form is None or form[0] < k:
                return f"((({ops[1 - p]} + {c}) & 0xFFFFFFFF) >> {k})"
            y = form[1] if form[0] == k else f"({form[1]} << {form[0] - k})"
            b = bits[1 - p]
            if form[2] or b is None or b > 32:  # (the shift wrapped, or went unmasked: congruent)
                return f"(({y} + {c >> k}) & {mask})" if c else f"({y} & {mask})"
            return _index_sum(y, c, k, spans[1 - p])
        y, b = ops[1 - p], bits[1 - p]
        width = 32 if b is None else b
        if op == "i32.mul":
            m = consts[p] % M >> k  # type: ignore[operator]
            expr, width = f"({y} * {m})", width + m.bit_length()
        else:
            shift = (consts[1] & 31) - k  # type: ignore[operator]
            expr, width = (f"({y} << {shift})" if shift else y), width + shift
        return expr if width <= 32 - k else f"({expr} & {mask})"

    def scaled_step(self, ins: Instr, consts: List[Optional[int]], spans: List[Any]) -> Optional[str]:
        """``x +/- c`` on an index (``x = i << k``, ``c`` a multiple of ``2**k``) as
        ``(j << k)``, ``j`` the index of the sum, which an access takes as it is
        (``self.scaled``): ``Vd[i20 + 13]`` for ``f64.load (i32.add x 104)``."""
        for p in (0, 1) if ins.op == "i32.add" else (0,):
            k = self.scaled_uses.get((id(ins), p))
            c = consts[1 - p]
            if k is not None and c is not None:
                c = -c % intervals.M if ins.op == "i32.sub" else c % intervals.M
                if c % (1 << k):
                    return None
                j = _index_sum(f"i{ins.a[p]}", c, k, spans[p])
                self.scaled[f"({j} << {k})"] = (k, j, False)
                return f"({j} << {k})"
        return None

    def results(self, regs: List[str]) -> str:
        if not regs:
            return "return"
        return "return " + ", ".join(regs)

    def template(self, name: str) -> Any:
        t = NUMERIC[name]
        for h in t.helpers:
            self.bind(h, "helper", None)
        return t

    def test(self, ins: Instr) -> str:
        """The condition of a branch form, without its sense (``br_if`` or ``br_unless``)."""
        cmp = ins.op.partition(".")[2]
        if cmp:
            if id(ins) in self.signed_compares:
                return self.template(SIGNED_COMPARES[cmp]).render_cond(*self.signed_operands(ins.a))
            return self.template(cmp).render_cond(*self.operands(ins.a))
        x = self.operands(ins.a)[0]
        return f"i{ins.a[0]}" if (id(ins), 0) in self.scaled_uses else x  # (nonzero alike)

    def cond(self, ins: Instr, taken: bool = True) -> str:
        """The Python condition under which ``ins`` (a br_if/br_unless form) branches
        (or, not ``taken``, does not)."""
        c = self.test(ins)
        return c if ins.op.startswith("br_if") == taken else f"not {c}"  # (c: a compare, not or atom)

    # -- straight-line instructions --

    def operands(self, a: Tuple[int, ...]) -> List[str]:
        """Operand expressions: a pending temporary is its producer's expression."""
        return self.facts(a)[0]

    def facts(self, a: Tuple[int, ...], reader: Optional[Instr] = None
              ) -> Tuple[List[str], List[Optional[int]], List[Optional[int]], List[int], List[Optional[Tuple[int, int]]]]:
        """Operand expressions (of ``reader``'s operands ``a``) with their bounds (see
        ``ranges``; None: the type's width), their values when constant integers,
        their known low zero bits and their intervals (``intervals``; None: unknown)."""
        pending = self.pending
        self.pending = None
        deferred = self.deferred
        if deferred is not None and deferred[0] in a:
            self.deferred = None
        else:
            deferred = None
        self.spliced_traps = any(p is not None and p[4] and p[0] in a for p in (pending, deferred))
        exprs, bits, consts, zeros, spans = [], [], [], [], []
        rid = id(reader)
        for k, x in enumerate(a):
            key = (rid, k)
            if x < 0:
                value = self.ir.consts[-1 - x]
                const = value if isinstance(value, int) and not isinstance(value, bool) else None
                fact = None
            else:
                const = None
                fact = self.spans.get(key)
                if fact is not None and fact[1] >= intervals.M:  # (values that wrap: no interval)
                    fact = (0, intervals.M - 1, fact[2])
            spliced = pending if pending is not None and x == pending[0] else \
                deferred if deferred is not None and x == deferred[0] else None
            if spliced is not None:
                exprs.append(spliced[1])
                bound = spliced[2]
                zeros.append(max(spliced[3], fact[2]) if fact else spliced[3])
            else:
                scale = self.scaled_uses.get(key)  # an index (see ``_scaled_webs``)
                exprs.append(self.reg(x) if scale is None else f"(i{x} << {scale})")
                if key in self.unmasked_reads or key in self.signed_reads:
                    bound = ranges.CONGRUENT
                else:
                    bound = None if const is None or const < 0 else const.bit_length()  # < 0: a signed i64
                zeros.append(_const_zeros(const) if const is not None else
                             max(self.register_zeros.get(key, 0), fact[2] if fact else 0, scale or 0))
            if bound == ranges.CONGRUENT:
                fact = None
            elif fact is not None:
                bound = min(bound, fact[1].bit_length()) if bound is not None else fact[1].bit_length()
            bits.append(bound)
            consts.append(const)
            spans.append((const, const) if const is not None and const >= 0 else fact and (fact[0], fact[1]))
        return exprs, bits, consts, zeros, spans

    def signed_operands(self, a: Tuple[int, ...]) -> List[str]:
        """The operands of a compare in ``signed_compares``: its loads' signed words
        as they are, its constants as signed ints."""
        ops = self.operands(a)
        for p, x in enumerate(a):
            if x < 0:
                v = self.ir.consts[-1 - x] % intervals.M
                ops[p] = str(v - intervals.M if v >> 31 else v)
        return ops

    def defers(self, ins: Instr, nxt: Instr, traps: bool, expr: str) -> bool:
        """Whether ``ins``'s result may wait, as an expression, for the instruction after
        ``nxt`` (``self.after_next``) that alone reads it: C's ``f(x) op g(y)`` computes
        ``f(x)`` into a temporary while ``g(y)`` is made for the operation. ``nxt`` must
        make a temporary of its own without reading ``ins``'s result or writing what
        ``ins`` reads, and at most one of the two may trap (else their order counts);
        a rounded f32 (``RF[0]``, which ``nxt`` may write) does not wait."""
        after, d = self.after_next, ins.dst
        if after is None or self.deferred is not None or not _reads_once(after, d) or "RF[" in expr:
            return False
        op, e = nxt.op, nxt.d
        if e is None or e < self.L or e == d or d in nxt.a or e in ins.a or id(nxt) in self.scaled_defs:
            return False
        if ins.op in LOADS and op == "i32.shl" and after.op == "i32.add":
            return False  # (a pointer from memory plus ``i << j``: p stays a name for ``based_access``)
        if op in LOADS:
            return not traps
        return op in NUMERIC and (not traps or not NUMERIC[op].may_trap)

    def bind_twice(self, expr: str) -> Tuple[str, str]:
        """``expr`` read twice: a walrus binding a scratch local first, then the local
        (a name or literal is read as it is)."""
        if _ATOM.match(expr):
            return expr, expr
        self.scratch += 1
        return f"(w{self.scratch} := {expr})", f"w{self.scratch}"

    def straight(self, ins: Instr, out: List[str], nxt: Optional[Instr]) -> None:
        """The statements of a non-branch instruction; ``nxt`` is the instruction run
        right after it, if straight-line too. A numeric or loaded result in a
        temporary that ``nxt`` alone reads (a stack value is popped once) is not
        stored but spliced into ``nxt``'s expression or address (nesting bounded by
        ``MAX_EXPR``): operands have no side effects, and the order of any traps
        stays the same, as ``nxt`` runs right after it. A spliced integer carries
        a bound (``ranges``) that may spare its consumer a mask, and is left
        unmasked where the consumer masks anyway."""
        op = ins.op
        r = self.reg
        if op == "copy" and ins.d == ins.a[0]:  # (``coalesce`` leaves a copy it took so)
            return
        if id(ins) in self.scaled_defs:
            out.append(f"i{ins.d} = {self.scaled_def(ins)}")
            return
        if op in NUMERIC or op in LOADS:
            d = ins.dst
            arm = d >= self.L and nxt is not None and not _reads_once(nxt, d) and _select_arm(ins, nxt, d)
            splice = arm or d >= self.L and nxt is not None and _reads_once(nxt, d)
            if id(ins) in self.signed_compares:
                t = self.template(SIGNED_COMPARES[op])
                ops = self.signed_operands(ins.a)
                if arm and self.spliced_traps:
                    splice = False
                cond = splice and not arm and nxt.op == "select"  # type: ignore[union-attr]
                expr = f"({t.render_cond(*ops)})" if cond else t.render(*ops)
                if splice and len(expr) < MAX_EXPR:
                    self.pending = (d, expr, 1, 0, self.spliced_traps)
                else:
                    out.append(f"{r(d)} = {expr}")
                return
            unmasked = self.unmasked.get(id(ins), ())  # the (reader, operand)s that mask it
            congruent_ok = bool(unmasked) and all(u in self.unmasked_reads for u in unmasked)
            ops, bits, consts, zeros, spans = self.facts(ins.a, ins) if op in NUMERIC else ([], [], [], [], [])
            traps = op in LOADS or NUMERIC[op].may_trap or self.spliced_traps
            if arm and traps:  # (a select's arm runs only if chosen: no trap may hide in it)
                splice = False
            if op in ROTATES and consts[1] is not None:  # by a constant: inline, no helper call
                self.scratch += 1
                unmask = congruent_ok and op in ranges.MAY_GO_UNMASKED
                expr = render_rotate(op, ops[0], consts[1], f"w{self.scratch}", unmask)
                bound = ranges.CONGRUENT if unmask else None
                self.helpers_of(expr)
            elif op in NUMERIC:
                step = self.scaled_step(ins, consts, spans) if op in _STEPS and self.scaled_uses else None
                spread = ranges.spread(op, ops, bits, consts, self.signs, self.spreads) \
                    if op in ranges.SPREADS else None
                cheaper = (step, 32) if step else self.biased.get(id(ins)) or spread or ranges.render(
                    op, ops, bits, consts, congruent_ok, self.bind_twice, spans)
                if cheaper is not None:
                    expr, bound = cheaper
                elif op in ROUNDED and ROUND_BY_VIEW:
                    t = ROUNDED[op]
                    for h in t.helpers:
                        self.bind(h, "helper", None)
                    out.append(f"{self.bind('RF', 'f32cell', None)}[0] = {t.render(*ops)}")
                    expr, bound = "RF[0]", None
                else:
                    t = self.template(op)
                    fields = {f: repr(v) for f, v in t.fields_of(ins.imm).items()} if t.fields else {}
                    expr, bound = t.render(*ops, **fields), ranges.result_bits(op, bits)
                    if splice and not arm and nxt.op == "select" and t.cond:  # type: ignore[union-attr]
                        expr = f"({t.render_cond(*ops)})"  # only its truth counts
            elif congruent_ok and op in ranges.SIGNED_LOADS or id(ins) in self.signed_loads:
                expr, bound = self.load(ins, extended=False), ranges.CONGRUENT
            else:
                expr, bound = self.load(ins), ranges.LOAD_BITS.get(op)
            if op == "i32.shl" and consts[1] is not None and consts[1] & 31:
                j = 31 - (consts[1] & 31)
                self.signs[expr] = (f"{ops[0]} & {1 << j}", f"({ops[0]} >> {j} & 1)" if j else f"({ops[0]} & 1)")
            if op == "i32.add" and bound != ranges.CONGRUENT and consts == [None, None]:
                for p in (0, 1):  # ``P + (x << k)``, P of unknown alignment (see ``based_access``)
                    form = self.scaled.get(ops[1 - p])
                    if form is not None and _ATOM.match(form[1]) and _ATOM.match(ops[p]):
                        self.based[expr] = (ops[p], ops[1 - p], form[0], form[1])
                        break
            if op in ranges.SCALES:
                form = ranges.scaled(op, ops, consts, expr, self.scaled)
                if form is not None:
                    self.scaled[expr] = form
            if bound != ranges.CONGRUENT:  # exact after all: its readers need not mask
                self.unmasked_reads.difference_update(unmasked)
            if splice and len(expr) < MAX_EXPR:
                self.pending = (d, expr, bound, ranges.low_zeros(op, zeros, consts), traps)
                return
            if d >= self.L and nxt is not None and len(expr) < MAX_EXPR and self.defers(ins, nxt, traps, expr):
                self.deferred = (d, expr, bound, ranges.low_zeros(op, zeros, consts), traps)
                return
            out.append(f"{r(d)} = {unwrapped(expr)}")
        elif op == "copy":
            out.append(f"{r(ins.dst)} = {r(ins.a[0])}")
        elif op == "select":
            a, b, c = self.operands(ins.a)
            out.append(f"{r(ins.dst)} = {_paren(a)} if {c} else {_paren(b)}")
        elif op in STORES:
            self.bind("M0", "mem", 0)
            (base, value), bits, consts, zeros, _ = self.facts(ins.a, ins)
            addr = self.address(ins, base)
            width = STORE_WIDTHS.get(op)
            fits = width is not None and (consts[1] is not None or bits[1] is not None and bits[1] <= width)
            if consts[1] is not None and width is not None:
                value = str(consts[1] & ((1 << width) - 1))
            if op in BYTE_STORES:
                out.append(f"M0[{addr}] = {value}" if fits else f"M0[{addr}] = {value} & 0xFF")
                return
            if (id(ins), 1) in self.signed_reads and op == "i32.store":  # (a word held signed: ``_signed_webs``)
                self.signed_store(ins, base, addr, value, zeros[0], out)
                return
            expr = "v" if fits else STORES[op][1]
            self.helpers_of(expr)
            if op in VIEW_ACCESSES and self.views:  # aligned: an item of a view; else struct
                view, size = self.view(op)
                k = size.bit_length() - 1
                packed = _V.sub(lambda m: value, expr)
                if self.aligned(ins, zeros[0]) >= k:  # (no struct to bind)
                    out.append(f"{view}[{self.index(ins, base, addr, k)}] = {packed}")
                    return
                f = self.struct_call(op)
                if addr.isdigit():  # a constant address, not aligned
                    out.append(f"{f}{addr}, {packed})")
                    return
                based = self.based_access(ins, base, k)
                if based is not None:  # (p, item, address)
                    if expr != "v" or not _ATOM.match(value):
                        out.append(f"v = {value}")
                        value = expr
                    out.append(f"if {based[0]} & {size - 1}: {f}{based[2]}, {value})")
                    out.append(f"else: {view}[{based[1]}] = {value}")
                    return
                if not _ATOM.match(addr):
                    out.append(f"a = {addr}")
                    addr = "a"
                if expr != "v" or not _ATOM.match(value):
                    out.append(f"v = {value}")
                    value = expr
                out.append(f"if {addr} & {size - 1}: {f}{addr}, {value})")
                out.append(f"else: {view}[{addr} >> {k}] = {value}")
            elif expr == "v":
                out.append(f"{self.struct_call(op)}{addr}, {value})")
            else:
                out.append(f"v = {value}")
                out.append(f"{self.struct_call(op)}{addr}, {expr})")
        elif op == "global.get":
            out.append(f"{r(ins.dst)} = {self.bind(f'G{ins.imm}', 'global', ins.imm)}.value")
        elif op == "global.set":
            out.append(f"{self.bind(f'G{ins.imm}', 'global', ins.imm)}.value = {r(ins.a[0])}")
        elif op == "memory.size":
            out.append(f"{r(ins.dst)} = len({self.bind(f'M{ins.imm}', 'mem', ins.imm)}) >> 16")
        elif op == "ref.is_null":
            out.append(f"{r(ins.dst)} = 1 if {r(ins.a[0])} is None else 0")
        elif op == "call" and ins.imm in self.inlined:
            self.inline(self.inlined[ins.imm], ins, out)
        elif op == "call" and ins.imm < self.nimported:
            self.call_import(ins, out)
        elif op == "call":
            callee = f"wasm_func_{ins.imm}" if ins.imm == self.ir.func_index else self.bind(f"F{ins.imm}", "func", ins.imm)
            passed = ", ".join([r(x) for x in ins.a] + ["deeper"])
            self.call(f"{callee}({passed})", ins.d, len(self.ftypes[ins.imm].results), out)
        elif op == "call_indirect":
            type_index, table_index = ins.imm
            table = self.bind(f"T{table_index}", "table", table_index)
            ft = self.bind(f"FT{type_index}", "type", type_index)
            known = self.bind(f"C{table_index}_{type_index}", "callees", None)
            self.bind("indirect", "indirect", None)
            i = r(ins.a[-1])
            args = ", ".join(r(x) for x in ins.a[:-1])
            # An element called before is in ``known`` (see ``indirect``): two lookups,
            # no checks, no frame in between (and no cost for the ``try`` in 3.11).
            # Anything else, an index past the table included, takes the slow path
            # (called outside the ``except``: a trap raised in it gets no context).
            out += ["try:", f"    c = {known}[{table}.elements[{i}]]", "except LookupError:", "    c = None"]
            self.call(f"c({args}{', ' if args else ''}deeper) if c is not None "
                      f"else indirect({table}, {ft}, {known}, {i}, ({args}{',' if args else ''}), deeper)",
                      ins.d, len(self.module.types[type_index].results), out)
        elif op == "unreachable":
            out.append("raise Trap('unreachable')")
        elif op in FACTORIES:
            # Rare bulk/table ops: tier 0's handler itself, over a small register list.
            n = len(ins.a)
            h = self.bind(f"H{len(self.bindings)}", "handler", (op, ins.imm, n, ins.d is not None))
            regs = ", ".join([r(x) for x in ins.a] + (["None"] if ins.d is not None else []))
            out.append(f"e = [{regs}]")
            out.append(f"{h}(e)")
            if ins.d is not None:
                out.append(f"{r(ins.d)} = e[{n}]")
        else:
            raise NotImplementedError(f"no tier-1 code for {op}")

    def signed_store(self, ins: Instr, base: str, addr: str, value: str, zeros: int, out: List[str]) -> None:
        """``i32.store`` of a word held signed: an item of the view of signed words,
        or (not aligned) struct's call on its unsigned form."""
        view = self.bind("Vi", "view", "i")
        if self.aligned(ins, zeros) >= 2:  # (no struct to bind)
            out.append(f"{view}[{self.index(ins, base, addr, 2)}] = {value}")
            return
        f = self.struct_call(ins.op)
        for name, expr in (("v", value), ("a", addr)):
            if not _ATOM.match(expr):
                out.append(f"{name} = {expr}")
        value, addr = (x if _ATOM.match(x) else name for name, x in (("v", value), ("a", addr)))
        out.append(f"if {addr} & 3: {f}{addr}, {value} & 0xFFFFFFFF)")
        out.append(f"else: {view}[{addr} >> 2] = {value}")

    def load(self, ins: Instr, extended: bool = True) -> str:
        """The expression (an atom) of a load; not ``extended``: a signed load's item
        as a negative int, not brought into the type's range (congruent)."""
        self.bind("M0", "mem", 0)
        op = ins.op
        if id(ins) in self.signed_loads:  # (a word held signed: see ``_signed_webs``)
            op, extended = "i64.load32_s", False
        (base,), _, _, zeros, _ = self.facts(ins.a, ins)
        addr = self.address(ins, base)
        if op in BYTE_LOADS:  # indexing the bytearray: 3x cheaper than struct
            if op in SIGNED_BYTES and self.views:  # a signed view's byte: extended already
                byte = f"{self.bind('Vb', 'view', 'b')}[{addr}]"
                return Wrapped("(" + _V.sub(lambda m: byte, LOADS[op][1]) + ")") if extended else Atom(byte)
            if not extended:
                return Wrapped(f"((M0[{addr}] ^ 0x80) - 0x80)")
            byte = BYTE_LOADS[op].format(f"M0[{addr}]")
            return Wrapped(byte) if byte[0] == "(" else Atom(byte)
        if op in VIEW_ACCESSES and self.views:  # aligned: an item of a view; else struct
            view, size = self.view(op)
            k = size.bit_length() - 1
            if self.aligned(ins, zeros[0]) >= k:  # (no struct to bind)
                unpacked = Atom(f"{view}[{self.index(ins, base, addr, k)}]")
            elif addr.isdigit():  # a constant address, not aligned
                unpacked = Atom(f"{self.struct_call(op)}{addr})[0]")
            else:
                unpack = self.struct_call(op)
                based = self.based_access(ins, base, k)
                if based is not None:  # (p, item, address)
                    unpacked = Wrapped(f"({view}[{based[1]}] if not {based[0]} & {size - 1} else {unpack}{based[2]})[0])")
                else:
                    first, again = self.bind_twice(addr)
                    unpacked = Wrapped(f"({view}[{again} >> {k}] if not {first} & {size - 1} else {unpack}{again})[0])")
        else:
            unpacked = Atom(f"{self.struct_call(op)}{addr})[0]")
        expr = LOADS[op][1]
        if expr == "v" or not extended:
            return unpacked
        self.helpers_of(expr)
        # (a function, not a string: the address may hold a bytes literal's backslashes)
        return Wrapped("(" + _V.sub(lambda m: unpacked, expr) + ")")

    def index(self, ins: Instr, base: str, addr: str, k: int) -> str:
        """``addr >> k``, the index of aligned address ``addr`` (``base`` plus the
        access's offset) in a view of ``2**k``-byte items: a base known to be
        ``x << k`` and an aligned offset need no shift (``x + offset >> k``)."""
        off = ins.imm[1]
        form = self.scaled.get(base)
        if form is not None and form[0] == k and not off & ((1 << k) - 1):
            x = f"({form[1]} & {0xFFFFFFFF >> k})" if form[2] else form[1]
            return f"{x} + {off >> k}" if off else x
        return str(int(addr) >> k) if addr.isdigit() else f"({addr}) >> {k}"

    def struct_call(self, op: str) -> str:
        """The head of load or store ``op``'s struct call on memory 0, up to the
        address: ``U_i32_load(M0, `` (a bound ``Struct`` method), or under
        ``STRUCT_BY_FORMAT`` ``unpack_from('<I', M0, ``."""
        fmt = LOADS[op][0] if op in LOADS else STORES[op][0]
        if STRUCT_BY_FORMAT:
            name = "unpack_from" if op in LOADS else "pack_into"
            return f"{self.bind(name, 'struct', name)}({fmt!r}, M0, "
        name = ("U_" if op in LOADS else "P_") + op.replace(".", "_")
        return f"{self.bind(name, 'unpack' if op in LOADS else 'pack', op)}(M0, "

    def based_access(self, ins: Instr, base: str, k: int) -> Optional[Tuple[str, str, str]]:
        """For an access of ``2**k`` bytes at ``base`` (plus an offset that is a
        multiple of it) where ``base`` is ``P + (x << j)`` modulo ``2**32`` (C's
        ``p[i]``, ``j >= k``) and ``P``'s alignment is unknown: ``(P, item, addr)``,
        the view's index, exact when ``P`` is aligned (``((P >> k) + (x << (j -
        k))) mod 2**(32 - k)``: small ints, no shift back of a 32-bit sum), and the
        address for the other path. ``P`` and ``x`` are names or literals (a
        spliced ``x << j`` is the instruction right before the sum: ``P`` was
        stored)."""
        parts = self.based.get(base)
        off = ins.imm[1]
        if parts is None or off & ((1 << k) - 1) or parts[2] < k:
            return None
        p, scaled, j, x = parts
        index = f"((({p} >> {k}) + {x if j == k else f'({x} << {j - k})'}) & {0xFFFFFFFF >> k})"
        addr = f"(({p} + {scaled}) & 0xFFFFFFFF)"
        return p, (f"{index} + {off >> k}" if off else index), (f"{addr} + {off}" if off else addr)

    def view(self, op: str) -> Tuple[str, int]:
        """The view of memory 0 that access ``op`` may use (see ``VIEW_ACCESSES``), and its item size."""
        fmt = VIEW_ACCESSES[op]
        return self.bind(f"V{fmt}", "view", fmt), struct.calcsize(fmt)

    @staticmethod
    def aligned(ins: Instr, base_zeros: int) -> int:
        """The known low zero bits of an access's effective address (base plus offset)."""
        off = ins.imm[1]
        return min(base_zeros, (off & -off).bit_length() - 1) if off else base_zeros

    @staticmethod
    def address(ins: Instr, base: str) -> str:
        """The effective address of a load or store: the base operand plus the offset."""
        off = ins.imm[1]
        if base.isdigit():  # a constant base (an i32: below 2**32, no wrapping to undo)
            return str(int(base) + off)
        return f"{base} + {off}" if off else base

    def helpers_of(self, expr: str) -> None:
        names = _HELPERS_IN.get(expr)
        if names is None:
            names = tuple({n for n in _NAME.findall(expr) if n in HELPERS})
            if len(_HELPERS_IN) < 1024:  # (a rotate's expression has its operands in it)
                _HELPERS_IN[expr] = names
        for name in names:
            self.bind(name, "helper", None)

    def call(self, expr: str, d: Optional[int], nres: int, out: List[str]) -> None:
        if nres == 0:
            out.append(expr)
        elif nres == 1:
            out.append(f"{self.reg(d)} = {expr}")  # type: ignore[arg-type]
        else:
            out.append(", ".join(self.reg(d + k) for k in range(nres)) + f", = {expr}")  # type: ignore[operator]

    def call_import(self, ins: Instr, out: List[str]) -> None:
        """A call of an imported function: a host function's ``direct`` (or a wasm
        function of another instance, see ``import_entry``) takes no depth, so the
        depth goes through ``_depth``, where the host's calls back into wasm find
        it; and is put back, as every wasm frame leaves ``_depth`` as it found it."""
        self.sets_depth = True
        callee = self.bind(f"F{ins.imm}", "import", ins.imm)
        call: List[str] = []
        self.call(f"{callee}({', '.join(map(self.reg, ins.a))})", ins.d, len(self.ftypes[ins.imm].results), call)
        out += ["saved = _depth", "_depth = deeper", "try:"] + ["    " + line for line in call]
        out += ["finally:", "    _depth = saved"]

    def inline(self, body: IRFunction, ins: Instr, out: List[str]) -> None:
        """The statements of callee ``body`` in place of the call ``ins``, as the call
        would run them: the callee's depth check first (``deep``, see ``_assemble``;
        a trap there shows no frame of the callee), then, tagged with
        ``INLINED_TAG`` so that a trap shows the callee's frame too, its fuel and
        its code. One check serves a straight run (``deep`` cannot change): the rest
        of its inlined calls run only if the first passed (``checked``)."""
        if not self.checked:
            out.append("if deep: raise Trap(EXHAUSTED)")
            self.checked = True
        sub = _Inline(body, self, [self.reg(x) for x in ins.a], ins.d)
        tag = f"  {INLINED_TAG}{body.func_index}"
        out.extend(line + tag for line in sub.statements())
        self.scratch = sub.scratch

    def copies(self, copies: Tuple[Tuple[int, int], ...], out: List[str]) -> None:
        for d, s in copies:
            out.append(f"{self.reg(d)} = {self.reg(s)}")

    def ret(self, copies: Tuple[Tuple[int, int], ...]) -> str:
        """``return`` of the results after ``copies`` (read straight from their sources)."""
        src = {d: s for d, s in copies}
        return self.results([self.reg(src.get(self.L + k, self.L + k)) for k in range(self.nres)])

    def bisect(self, var: str, keys: List[int], leaf: Callable[[int, int], None], ind: int) -> None:
        """A binary search on ``var`` over ascending ``keys``: ``leaf(i, ind)`` writes the
        code for ``keys[i] <= var < keys[i + 1]`` (below ``keys[1]`` for the first)."""
        if ind + (len(keys) - 1).bit_length() > MAX_INDENT:
            raise _Fallback
        emit = self.lines.append

        def tree(lo: int, hi: int, ind: int) -> None:
            if hi - lo == 1:
                leaf(lo, ind)
                return
            mid = (lo + hi) // 2
            emit("    " * ind + f"if {var} < {keys[mid]}:")
            tree(lo, mid, ind + 1)
            emit("    " * ind + "else:")
            tree(mid, hi, ind + 1)

        tree(0, len(keys), ind)

    def table_tree(self, index: str, arms: List[Tuple[int, Any]], emit_arm: Callable[[int, int], None],
                   ind: int, span: Optional[intervals.Fact] = None) -> None:
        """A binary search over ``index`` for arm ``arms[k]``: runs of equal arms share a leaf,
        runs outside the index's known ``span`` get none (an interval that wraps, ``lo < 0``
        or ``hi >= 2**32``, tells nothing). ``emit_arm(k, ind)`` writes the leaf for the arm
        at position ``k``."""
        runs = _runs(arms)
        if span is not None and 0 <= span[0] and span[1] < intervals.M:
            ends = runs[1:] + [intervals.M]
            runs = [k for k, end in zip(runs, ends) if k <= span[1] and end > span[0]]
        self.bisect(index, runs, lambda i, ind: emit_arm(runs[i], ind), ind)


def _runs(arms: List[Any]) -> List[int]:
    """Where the runs of equal arms of a ``br_table`` start: the default's (the last
    arm, for every index from its position on) unless it continues the run before."""
    return [k for k in range(len(arms)) if not k or arms[k] != arms[k - 1]]


RANGE_TRIPS = 8
"""The fewest iterations a loop may run (as far as its counter's interval shows)
for ``_Structured.counted`` to make it a ``for`` over a ``range``: making the range
and its iterator costs about what 7 iterations save (CPU time of a small loop,
CPython 3.11; nbody's 5-body loops got slower)."""


ROTATE_MAX = 16
"""The most instructions ``_Structured.rotated`` writes twice (the code before a
loop's counter test)."""

_ROTATED_TESTS = {"br_if.i32.gt_u": (None, 0), "br_if.i32.ge_u": (None, -1),
                  "br_if.i32.lt_u": (0, None), "br_if.i32.le_u": (-1, None)}
"""Branch forms leaving a loop when its counter passes a constant, by the constant's
operand position: what to add to the constant for the counter's last value that
goes on (``x > c``: ``c``; ``x >= c``: ``c - 1``; ``c < x``; ``c <= x``)."""


def _step(c: int) -> str:
    """``range``'s step argument (none for 1)."""
    return "" if c == 1 else f", {c}"


def _loop_first(items: List[Any], pc: int) -> bool:
    """Whether a loop region starting at ``pc`` opens ``items`` (directly or in a block)."""
    first = items[0] if items else None
    return (isinstance(first, Region) and first.start == pc
            and (first.kind == "loop" or _loop_first(first.items, pc)))


class _Structured(_Gen):
    """The structured scheme (see the module docstring)."""

    def __init__(self, ir: IRFunction, module: syntax.Module, root: Region, skip: Set[int],
                 metered: bool = False, nest: bool = True, flat_from: int = MAX_LOOPS, cases: bool = True,
                 ftypes: Optional[List[syntax.FuncType]] = None) -> None:
        super().__init__(ir, module, metered, ftypes)
        self.root = root
        self.skip = skip
        self.nest = nest
        self.flat_from = flat_from
        self.nested: Set[int] = set()  # branches that nest the rest of their code (``decide``)
        self.loops: List[_PyLoop] = []
        self.uses_br = False
        self.cases = cases
        self.cased = False  # whether a ``br_table``'s tree runs cases (see ``switch``)
        # branches testing a value stored unwrapped (``closing_step``): -> (register, its 2**32)
        self.unwrapped: Dict[int, Tuple[str, int]] = {}
        self.decide(root, [])

    def decide(self, region: Region, ancestors: List[Region]) -> None:
        """Mark the blocks and ifs that need a ``while True:`` (``wrap``): those a branch
        leaves whose innermost enclosing region ending at the target is not a loop.
        With ``nest``, a branch to the end of the block or if-arm whose own code it is
        (not in a nested region) needs no loop: the rest of that code goes under
        ``if not <condition>:`` (``nested``), or, for a ``br`` ending the code, nothing."""
        if len(ancestors) > MAX_NESTING:
            raise _Fallback
        ancestors.append(region)
        region.wrap = False  # (set below, by branches from inside it)
        own = region.own = []  # branches ``nested`` takes if no other one needs a loop
        for items in (region.items, region.else_items or []):
            for item in items:
                if isinstance(item, Region):
                    self.decide(item, ancestors)
                    continue
                for pc in range(*item):
                    ins = self.ir.code[pc]
                    if not ins.is_branch() or pc in self.skip:
                        continue
                    if (self.nest and region.kind in ("block", "if") and ins.op != "br_table"
                            and ins.target == region.end
                            and (_conditional(ins) or item is items[-1] and pc == item[1] - 1)):
                        own.append(pc)
                        continue
                    for t in ins.targets():
                        if t < 0 or t >= len(self.ir.code) or t <= pc:
                            continue
                        for a in reversed(ancestors):
                            if a.end == t:
                                if a.kind != "loop":
                                    a.wrap = True
                                break
        if not region.wrap:  # (else they break out of its loop, as any other branch)
            self.nested.update(own)
        ancestors.pop()

    def run(self) -> None:
        self.items(self.root.items, 2)
        ret = self.ret(())
        # ``t0 = <expr>`` right before, at the same level (every path to the return
        # runs it): ``return <expr>``, one store and load fewer a call
        last = self.lines[-1] if self.lines else ""
        assign = "        " + ret[len("return "):] + " = "
        if "," not in ret and "#" not in last and last.startswith(assign) and ret != "return":
            self.lines[-1] = "        return " + last[len(assign):]
        else:
            self.lines.append("        " + ret)

    def emit(self, ind: int, text: str) -> None:
        self.lines.append("    " * ind + text)

    def items(self, items: List[Any], ind: int) -> None:
        if ind > MAX_INDENT:
            raise _Fallback
        n = len(self.lines)
        for item in items:
            if isinstance(item, Region):
                self.region(item, ind)
                continue
            lo, hi = item
            self.checked = False
            for pc in range(lo, hi):
                if pc not in self.nested:
                    self.after_next = self.ir.code[pc + 2] if pc + 2 < hi else None
                    self.instr(pc, ind, self.ir.code[pc + 1] if pc + 1 < hi else None)
                    self.after_next = None
                    continue
                ins = self.ir.code[pc]
                out: List[str] = []
                self.copies(ins.copies, out)
                if ins.op == "br":  # it ends the code: on to the end by itself
                    for line in out:
                        self.emit(ind, line)
                    continue
                if out:
                    self.emit(ind, f"if {self.cond(ins)}:")
                    for line in out:
                        self.emit(ind + 1, line)
                    self.emit(ind, "else:")
                else:
                    self.emit(ind, f"if {self.cond(ins, taken=False)}:")
                ind += 1
                if ind > MAX_INDENT:
                    raise _Fallback
                n = len(self.lines)  # the rest, at least ``pass``, goes under it
        if len(self.lines) == n:
            self.emit(ind, "pass")

    def open_loop(self, exit: int, head: Optional[int], ind: int, header: str = "") -> _PyLoop:
        if len(self.loops) >= MAX_LOOPS:
            raise _Fallback
        loop = _PyLoop(exit, head, 2 * len(self.loops) + 2)
        self.loops.append(loop)
        self.emit(ind, header or "while True:")
        return loop

    def counted(self, r: Region) -> Optional[Tuple[str, str]]:
        """``(for header, line run on exhaustion)`` when loop ``r`` is a counted loop
        Python's ``range`` can run: its code ends in ``x = x + c`` (``c > 0``) and a
        ``br_if`` to its head that continues while ``x`` differs from a constant
        ``end``, is below it, or (``closing_step``) did not wrap to 0, nothing else
        in it writes ``x`` or goes to its head, and ``x``'s interval at the step
        (``hi + c <= end``, or ``hi < end`` for a ``lt_u`` test) shows that every
        iteration the ``while`` form would run is one of ``range(x, end, c)``'s
        and the other way round: one ``FOR_ITER`` instead of the add and the compare.
        On exhaustion ``x`` is set to what the step left in it. Not for loops that
        may run fewer than ``RANGE_TRIPS`` times (making the range costs more)."""
        last = r.items[-1] if r.items else None
        if not isinstance(last, tuple) or last[1] - last[0] < 2 or last[1] != r.end:
            return None
        code = self.ir.code
        pc = last[1] - 2
        step, test = code[pc], code[pc + 1]
        d = step.d
        if step.op != "i32.add" or d not in step.a or test.target != r.start or test.copies \
                or pc + 1 in self.nested or pc + 1 in self.skip:
            return None
        k = step.a.index(d)
        y = step.a[1 - k]
        c = self.ir.consts[-1 - y] if y < 0 else None
        fact = self.spans.get((id(step), k))
        if not isinstance(c, int) or c <= 0 or fact is None:
            return None
        closing = self.closing_step(pc, test)
        if closing is not None:
            x, scaled_c, top = closing
            header, after, end = f"for {x} in range({x}, {top}{_step(scaled_c)}):", f"{x} = 0", intervals.M
        else:
            kind, _, cmp = test.op.partition(".")
            if id(step) in self.scaled_defs or kind != "br_if" or len(test.a) != 2 or d not in test.a \
                    or any((id(test), j) in self.scaled_uses for j in (0, 1)):
                return None
            j = test.a.index(d)
            e = test.a[1 - j]
            bound = self.ir.consts[-1 - e] if e < 0 else None
            below = cmp == ("i32.lt_u", "i32.gt_u")[j]  # ``x < end``
            if not isinstance(bound, int) or not (below or cmp == "i32.ne"):
                return None
            end = bound
            if (fact[1] >= end or fact[1] + c >= intervals.M) if below else fact[1] + c > end:
                return None
            x = self.reg(d)
            header = f"for {x} in range({x}, {end}{_step(c)}):"
            after = f"{x} = {end}" if cmp == "i32.ne" else f"{x} = {x} + {c}"
        if end - fact[0] < RANGE_TRIPS * c:
            return None
        for q in range(r.start, pc):
            ins = code[q]
            if ins.d is not None and ins.d <= d < ins.d + self.writes(ins) or any(t == d for t, _ in ins.copies) \
                    or ins.is_branch() and r.start in ins.targets() \
                    or ins.op == "br_table" and any(t == d for _, arm in ins.imm for t, _ in arm):
                return None
        if closing is not None and id(step) not in self.scaled_defs and self.biased_sums(r, pc, d):
            header = f"for {x} in range({x} - {intervals.M}, 0{_step(c)}):"
        return header, after

    def rotated(self, r: Region) -> Optional[Tuple[str, int]]:
        """``(for header, p)`` when loop ``r`` opens with straight code ``A`` (its
        first ``p - r.start`` instructions: no branch, no read or write of ``x``), then
        leaves when its counter ``x`` passes a constant (``br_if x > limit`` to the
        loop's end, at ``p``), then steps it (``x = x + c``, ``c > 0``) and nothing
        else writes ``x``: mandelbrot's ``for (i = 0; i < N; i++) { ...; if (...)
        break; }`` with the test in the middle. Run as ``for x in range(x + c,
        limit + c + 1, c): A ...`` with ``A`` once more on exhaustion (the loop's
        ``else``): the step moves before ``A``, which does not see ``x``; the range
        yields ``x + c`` exactly while ``x <= limit`` (no wrap: ``limit + c <
        2**32``). Not for metered code (fuel is spent at the head), nor for an ``A``
        longer than ``ROTATE_MAX`` (it is written twice) or a loop the interval says
        may run fewer than ``RANGE_TRIPS`` times."""
        if self.metered or not r.items or not isinstance(r.items[0], tuple) or r.items[0][0] != r.start:
            return None
        code, consts = self.ir.code, self.ir.consts
        lo, hi = r.items[0]
        p = next((q for q in range(lo, min(hi, lo + ROTATE_MAX + 1)) if code[q].is_branch()), hi)
        if p + 2 > hi or p == lo:
            return None
        test, step = code[p], code[p + 1]
        limit = _ROTATED_TESTS.get(test.op)
        if limit is None or test.target != r.end or test.copies or p in self.nested or p in self.skip \
                or len(test.a) != 2 or (test.a[0] < 0) == (test.a[1] < 0):
            return None
        j, x = (1, test.a[0]) if test.a[1] < 0 else (0, test.a[1])  # (j: the constant's position)
        bound, shift = consts[-1 - test.a[j]], limit[j]
        if shift is None or not isinstance(bound, int):
            return None
        end = bound + shift  # the last value of x that goes on
        if step.op != "i32.add" or step.d != x or x not in step.a or id(step) in self.scaled_defs \
                or any((id(test), k) in self.scaled_uses for k in (0, 1)):
            return None
        y = step.a[1 - step.a.index(x)]
        c = consts[-1 - y] if y < 0 else None
        fact = self.spans.get((id(test), 1 - j))
        if not isinstance(c, int) or c <= 0 or end < 0 or end + c >= intervals.M \
                or fact is None or end - fact[0] < RANGE_TRIPS * c:
            return None
        for q in range(lo, r.end):
            ins = code[q]
            if q == p + 1:
                continue
            if ins.d is not None and ins.d <= x < ins.d + self.writes(ins) or any(t == x for t, _ in ins.copies) \
                    or ins.op == "br_table" and any(t == x for _, arm in ins.imm for t, _ in arm) \
                    or q < p and x in ins.a:
                return None
        name = self.reg(x)
        return f"for {name} in range({name} + {c}, {end + c + 1}{_step(c)}):", p

    def byte_walk(self, r: Region) -> Optional[List[str]]:
        """The statements of loop ``r`` when it only walks a pointer up to a zero byte
        (C's ``while (*p) p++``, strlen): one ``find`` of the memory instead of a round
        per byte. Its straight code moves registers by constants off one register
        ``p`` read on entry, loads one byte at ``p + k`` (``load8``, offset ``off``),
        leaves ``p + 1`` in ``p`` and goes round while the byte is nonzero. The
        addresses it reads, ``a, a + 1, ...`` from ``a = (p + k) mod 2**32 + off``,
        cannot wrap before they pass the end of memory (below ``2**32``), where the
        loop traps: so it stops at ``M0.find(b"\\0", a)`` (bytes: an mmap's ``find``
        takes no int), or traps where that finds none; every register it wrote then
        holds its form at the last round's ``p``, the byte 0. Not for metered code
        (fuel is spent per round)."""
        M = intervals.M
        if self.metered or intervals.REACH >= M or r.items != [(r.start, r.end)] or r.end - r.start > 8:
            return None  # (REACH >= M: a memory of 2**32 bytes would let the walk wrap)
        code = self.ir.code
        test = code[r.end - 1]
        forms: Dict[int, Any] = {}  # register -> offset from p on entry, or "byte"
        p = load = None
        for ins in code[r.start:r.end - 1]:
            if ins.copies or id(ins) in self.scaled_defs or any((id(ins), k) in self.scaled_uses for k in range(len(ins.a))):
                return None
            src = ins.a[0] if ins.a else -1
            if src >= 0 and src not in forms:  # read before any write: p (only one)
                if p is not None and src != p:
                    return None
                p = src
                forms[p] = 0
            base, d = forms.get(src), ins.d
            if not isinstance(base, int) or d is None:
                return None
            if ins.op == "copy":
                forms[d] = base
            elif ins.op == "i32.add" and ins.a[1] < 0 and isinstance(self.ir.consts[-1 - ins.a[1]], int):
                forms[d] = (base + self.ir.consts[-1 - ins.a[1]]) % M
            elif ins.op in ("i32.load8_u", "i32.load8_s") and load is None:
                load = (base, ins.imm[1])
                forms[d] = "byte"
            else:
                return None
        if test.op != "br_if" or test.target != r.start or test.copies or load is None or p is None \
                or forms.get(test.a[0]) != "byte" or forms.get(p) != 1 or (id(test), 0) in self.scaled_uses:
            return None
        self.bind("M0", "mem", 0)
        x = self.reg(p)
        k, off = load
        first = f"(({x} + {k}) & 0xFFFFFFFF)" if k else x
        lines = [f"a = {first}{f' + {off}' if off else ''}", 'e = M0.find(b"\\0", a)',
                 f"if e < 0: raise Trap({OOB_MEMORY!r})", f"e = ({x} + e - a) & 0xFFFFFFFF"]  # p in the last round
        for d, f in forms.items():
            lines.append(f"{self.reg(d)} = " + ("0" if f == "byte" else f"(e + {f}) & 0xFFFFFFFF" if f else "e"))
        return lines

    def biased_sums(self, r: Region, pc: int, d: int) -> bool:
        """Whether counted loop ``r`` (stepping ``d`` up to 2**32 at ``pc``) may run its
        counter biased, ``x - 2**32`` (small negative ints, as C's negative offset
        counting up to 0): when ``d``'s only reads before ``pc`` are sums with a
        constant that always wrap (``x + c - 2**32``: crc's ``M0[l2 - 4278180863]``,
        two-digit ints, becomes ``M0[l2 + 16786433]``), and nothing leaves the loop but
        its exhaustion or a return (which would see the bias). Records the sums'
        expressions in ``biased`` (see ``straight``)."""
        code = self.ir.code
        sums: Dict[int, Tuple[str, int]] = {}
        x = self.reg(d)
        for q in range(r.start, pc):
            ins = code[q]
            if ins.is_branch():
                targets = ins.targets()
                if any(0 <= t < len(code) and not r.start < t < r.end for t in targets) or ins.copies \
                        or ins.op == "br_table" and any(arm for _, arm in ins.imm):
                    return False
            if d not in ins.a and not any(v == d for _, v in ins.copies):
                continue
            if ins.op != "i32.add" or ins.a.count(d) != 1 or id(ins) in self.scaled_defs:
                return False
            k = ins.a.index(d)
            y = ins.a[1 - k]
            c = self.ir.consts[-1 - y] if y < 0 else None
            fact = self.spans.get((id(ins), k))
            if not isinstance(c, int) or fact is None or (id(ins), k) in self.scaled_uses \
                    or fact[0] + c < intervals.M or fact[1] + c >= 2 * intervals.M:
                return False
            sums[id(ins)] = f"({x} + {c})", (fact[1] + c - intervals.M).bit_length()
        self.biased.update(sums)
        return bool(sums)

    def close_loop(self, loop: _PyLoop, ind: int) -> None:
        """After the loop: forward a multi-level branch that left through it."""
        self.loops.pop()
        for switch in loop.signals:
            self.emit(ind, f"if {switch.var} != {switch.current}:")
            self.emit(ind + 1, "continue" if switch is self.loops[-1] else "break")
        if not loop.crossed:
            return
        self.emit(ind, "if br:")
        outer = self.loops[-1]
        if outer.code in loop.crossed:
            self.emit(ind + 1, f"if br == {outer.code}:")
            self.emit(ind + 2, "br = 0")
            self.emit(ind + 2, "break")
        if outer.code + 1 in loop.crossed:
            self.emit(ind + 1, f"if br == {outer.code + 1}:")
            self.emit(ind + 2, "br = 0")
            self.emit(ind + 2, "continue")
        if loop.crossed - {outer.code, outer.code + 1}:
            outer.crossed |= loop.crossed - {outer.code, outer.code + 1}
            self.emit(ind + 1, "break")

    def chain(self, r: Region) -> List[Region]:
        """``r`` and the blocks nested in it along first nested regions, each a block
        left by a branch and preceded only by instructions in its parent: a C
        ``switch`` (in a loop, if ``r`` is one)."""
        chain = [r]
        while True:
            inner = next((x for x in chain[-1].items if isinstance(x, Region)), None)
            if inner is None or inner.kind != "block" or not (inner.wrap or inner.own):
                return chain
            chain.append(inner)

    def layout(self, chain: List[Region], out: List[Tuple[int, List[Any], str]], flat: bool) -> None:
        """The segments of switch ``chain`` (see ``switch``) appended to ``out`` in program
        order as ``(index, items, kind)``: ``kind`` is ``head`` for a wasm loop's first
        segment, ``entry`` for a block chain's, ``end`` for the code after a block's end.
        ``flat``: a loop or wrapped block among a segment's items is laid out in the same
        switch (its own chain's segments there, the rest of the items after them)."""
        for block in chain:  # their ends are the switch's segments: no nesting
            self.nested.difference_update(block.own)
        first: List[Any] = []
        for outer, inner in zip(chain, chain[1:]):
            first += outer.items[:outer.items.index(inner)]
        segments = [(chain[0].start, first + chain[-1].items, "head" if chain[0].kind == "loop" else "entry")]
        for outer, inner in zip(reversed(chain[:-1]), reversed(chain[1:])):
            segments.append((inner.end, outer.items[outer.items.index(inner) + 1:], "end"))
        for pc, items, kind in segments:
            if not flat:
                out.append((pc, items, kind))
                continue
            rest: List[Any] = []
            for item in items:
                if isinstance(item, Region) and (item.kind == "loop" or item.kind == "block" and item.wrap):
                    out.append((pc, rest, kind))
                    self.layout(self.chain(item), out, flat)
                    pc, rest, kind = item.end, [], "end"
                else:
                    rest.append(item)
            out.append((pc, rest, kind))

    def switch(self, chain: List[Region], ind: int) -> None:
        """Nested blocks laid out flat: segment 0 is the code up to the innermost
        block's end, segment k the code after the k-th innermost block's end. One
        ``while True:`` selects a segment by a variable in a binary-search tree; a
        branch to a block's end sets the variable and continues, a segment that
        runs off its end goes on to the next, and the outermost block's end (the
        tree's last leaf) breaks. The nesting no longer grows with the cases.
        ``chain[0]`` may be a wasm loop around the switch, its code before the
        blocks joining segment 0 and its code after them the last segment: the
        one Python loop serves both, and a branch back to the loop's head (a C
        interpreter's next opcode) is ``var = 0; continue``."""
        segments: List[Tuple[int, List[Any], str]] = []
        self.layout(chain, segments, len(self.loops) >= self.flat_from)
        exit = chain[0].end
        var = f"s{len(self.loops)}"
        loop = self.open_loop(exit, None, ind)
        self.lines.insert(len(self.lines) - 1, "    " * ind + f"{var} = 0")
        loop.var = var
        # An empty segment starts where the next one kept does (or at the exit). A
        # block chain's first segment is no label: a loop starting at the same index
        # (around the switch) is the branches' target there.
        kept: List[Tuple[int, List[Any]]] = []
        arrivals: Set[int] = set()  # the kept segments where a wasm loop laid out here arrives at its head
        pending: List[Tuple[int, str]] = []
        for pc, items, kind in segments:
            pending.append((pc, kind))
            if items:
                for label, label_kind in pending:
                    if label_kind != "entry":
                        loop.labels.setdefault(label, len(kept))
                    if label_kind == "head":
                        arrivals.add(len(kept))
                pending = []
                kept.append((pc, items))
        for label, label_kind in pending:
            if label_kind != "entry":
                loop.labels.setdefault(label, len(kept))
        loop.labels[exit] = len(kept)

        # Metered: where a wasm loop laid out here arrives at its head, unless a loop
        # opening that segment there spends it.
        charged = {k for k in arrivals if kept[k][0] in self.heads and not _loop_first(kept[k][1], kept[k][0])}

        # Segment 0 (entered once per entry or loop iteration) and the segment most
        # branches go to (the code after a C switch) are tested ahead of the tree;
        # the tree serves the rest, and what segment 0 selects on falling into it
        # (for 0 and that segment, by going round again).
        incoming = [0] * (len(kept) + 1)
        for ins in self.ir.code[chain[0].start:exit]:
            if ins.is_branch() and ins.op != "br_table":
                incoming[loop.labels.get(ins.target, 0)] += 1
        common = max(range(1, len(kept)), key=incoming.__getitem__, default=0)
        ahead = {0, common} if incoming[common] >= 2 else {0}

        # Segment 0's closing branch sets the variable and falls into the tree below.
        if kept and segments[0][1] and self.jumps(kept[0][1]):
            loop.fall = kept[0][1][-1][1] - 1
        numbered = len(kept)  # the exit leaf's number
        # A short common segment of straight code (a loop's latch: ``i++; if (i < n)
        # continue``) runs in place of each branch to it: no round through the loop.
        if len(ahead) > 1 and all(isinstance(item, tuple) for item in kept[common][1]) \
                and sum(hi - lo for lo, hi in kept[common][1]) <= COPY_SEGMENT:
            loop.copied = common
        # A C switch's cases, segments only one run of equal arms of a ``br_table``
        # closing segment 0 enters (no other branch to them, nothing running into
        # them), are the leaves of its tree on the index: one descent per dispatch,
        # no variable set and tested, and each case's code still written once. Unless
        # most runs go to cases, the tuple lookup stays (a run to another segment
        # pays for two descents).
        if self.cases and loop.fall >= 0 and self.ir.code[loop.fall].op == "br_table":
            entered = [0] * (numbered + 1)
            for pc in range(chain[0].start, exit):
                ins = self.ir.code[pc]
                if ins.is_branch():
                    arms = ins.arms()
                    for k, (t, copies) in enumerate(arms):
                        if t not in loop.labels:
                            continue
                        if pc != loop.fall or copies:
                            entered[loop.labels[t]] += 2  # (no case)
                        elif not k or arms[k - 1] != arms[k]:
                            entered[loop.labels[t]] += 1
            cases = {k for k in range(1, numbered) if entered[k] == 1 and self.jumps(kept[k - 1][1])}
            arms = self.ir.code[loop.fall].imm
            runs = _runs(arms)
            if 2 * sum(not arms[k][1] and loop.labels.get(arms[k][0]) in cases for k in runs) >= len(runs):
                loop.cases = cases

        def leaf(k: int, ind: int, value: int) -> None:
            """Segment ``k``'s code, where ``var`` holds ``value``."""
            loop.current, loop.running = value, k
            if k == numbered:  # (last in the tree: every stub is made by then)
                stub_keys[1:] = loop.stubs.values()
                self.bisect(var, stub_keys, exit_or_stub, ind)
                return
            if k in charged:
                for line in interp.FUEL_CHECK:
                    self.emit(ind, line)
            self.items(kept[k][1], ind)
            if self.jumps(kept[k][1]):
                return
            if k and k + 1 == loop.copied and ind + 2 * COPY_SEGMENT < MAX_INDENT:
                leaf(k + 1, ind, value)  # (it ends in a jump)
                return
            self.set_var(loop, k + 1, ind)
            if k or k + 1 in ahead:  # (segment 0 falls into the tree, which holds the rest)
                self.emit(ind, "continue")

        loop.leaf = leaf
        stub_keys = [numbered]  # (and the stubs' numbers)

        def exit_or_stub(i: int, ind: int) -> None:
            loop.current = stub_keys[i]
            if not i:
                self.emit(ind, "break")
                return
            target, copies = list(loop.stubs)[i - 1]
            self.branch(target, copies, ind)

        if ind + 3 + (len(kept) + 1).bit_length() > MAX_INDENT:
            raise _Fallback
        self.emit(ind + 1, f"if not {var}:")
        leaf(0, ind + 2, 0)
        arm = len(self.lines)
        if len(ahead) > 1:
            self.emit(ind + 1, f"elif {var} == {common}:")
            leaf(common, ind + 2, common)
        arm_end = len(self.lines)
        keys = [k for k in range(len(kept) + 1)
                if (k not in ahead or k in loop.selected) and k not in loop.cases]

        def tree_leaf(i: int, ind: int) -> None:
            if keys[i] in ahead:
                self.emit(ind, "continue")
            else:
                leaf(keys[i], ind, keys[i])

        self.bisect(var, keys, tree_leaf, ind + 1)
        if common not in loop.written:  # every branch to it runs a copy (``copied``): no code
            del self.lines[arm:arm_end]  # selects it, so its arm is dead (``compile()`` time)
        self.close_loop(loop, ind)

    def region(self, r: Region, ind: int) -> None:
        if r.kind == "block" and (r.wrap or r.own) or r.kind == "loop":
            chain = self.chain(r)
            if len(chain) - (r.kind == "loop") >= SWITCH_BLOCKS or (len(self.loops) >= self.flat_from
                                                                 and (r.kind == "loop" or r.wrap)):
                self.switch(chain, ind)
                return
        if r.kind == "loop":
            walk = self.byte_walk(r)
            if walk is not None:
                for line in walk:
                    self.emit(ind, line)
                return
            counted = self.counted(r)
            rotated = None if counted else self.rotated(r)
            loop = self.open_loop(r.end, r.start, ind, counted[0] if counted else rotated[0] if rotated else "")
            if r.start in self.heads and not _loop_first(r.items, r.start):
                for line in interp.FUEL_CHECK:  # once per arrival: in the innermost loop there
                    self.emit(ind + 1, line)
            if counted:
                lo, hi = r.items[-1]
                self.items(r.items[:-1] + ([(lo, hi - 2)] if hi - 2 > lo else []), ind + 1)
                self.emit(ind, "else:")
                self.emit(ind + 1, counted[1])
            elif rotated:
                p = rotated[1]
                lo, hi = r.items[0]
                self.items([(lo, p)] + ([(p + 2, hi)] if p + 2 < hi else []) + r.items[1:], ind + 1)
                self.emit(ind + 1, "break")
                self.emit(ind, "else:")  # the range ran out: the counter test would leave
                self.items([(lo, p)], ind + 1)
            else:
                self.items(r.items, ind + 1)
                self.emit(ind + 1, "break")
            self.close_loop(loop, ind)
            return
        wrapper = self.open_loop(r.end, None, ind) if r.wrap else None
        if wrapper is not None:
            ind += 1
        if r.kind == "if":
            self.emit(ind, f"if {self.test(self.ir.code[r.cond])}:")
            self.items(r.items, ind + 1)
            if r.else_items:
                self.emit(ind, "else:")
                self.items(r.else_items, ind + 1)
        else:
            self.items(r.items, ind)
        if wrapper is not None:
            self.emit(ind, "break")
            self.close_loop(wrapper, ind - 1)

    def branch(self, target: int, copies: Tuple[Tuple[int, int], ...], ind: int, fall: bool = False) -> None:
        """Go to IR index ``target`` (carrying ``copies``) from inside the current loops;
        ``fall``: the branch ends segment 0 of the innermost (switch) loop."""
        if target < 0 or target >= len(self.ir.code):
            self.emit(ind, self.ret(copies))
            return
        out: List[str] = []
        self.copies(copies, out)
        for line in out:
            self.emit(ind, line)
        for depth, loop in enumerate(reversed(self.loops)):
            if (not depth and loop.copied >= 0 and target != loop.exit and loop.labels.get(target) == loop.copied
                    and loop.running != loop.copied and ind + 2 * COPY_SEGMENT < MAX_INDENT):
                current, running = loop.current, loop.running
                loop.leaf(loop.copied, ind, current)  # (it ends in a jump)
                loop.current, loop.running = current, running
                return
            if target in loop.labels and target != loop.exit:  # a switch segment
                if loop.labels[target] != loop.current:
                    self.set_var(loop, loop.labels[target], ind)
                if fall and not depth and loop.labels[target]:
                    loop.selected.add(loop.labels[target])
                    return  # on into the tree
                if depth and loop.labels[target] != loop.current:  # the variable says it
                    for inner in self.loops[len(self.loops) - depth:]:
                        if loop not in inner.signals:
                            inner.signals.append(loop)
                    self.emit(ind, "break")
                    return
                again = True
            elif loop.head == target or loop.exit == target:
                again = loop.head == target
            else:
                continue
            if depth == 0:
                self.emit(ind, "continue" if again else "break")
                return
            code = loop.code + again
            self.uses_br = True
            for inner in self.loops[len(self.loops) - depth:]:
                inner.crossed.add(code)
            self.emit(ind, f"br = {code}")
            self.emit(ind, "break")
            return
        raise AssertionError(f"branch to {target} has no enclosing target")

    def set_var(self, loop: _PyLoop, value: int, ind: int) -> None:
        """Select segment ``value`` of switch ``loop`` (see ``switch``)."""
        loop.written.add(value)
        self.emit(ind, f"{loop.var} = {value}")

    def falls(self, pc: int) -> bool:
        return bool(self.loops) and self.loops[-1].fall == pc

    def jumps(self, items: List[Any]) -> bool:
        """Whether ``items`` end in an unconditional branch (nothing runs off their end)."""
        return bool(items) and isinstance(items[-1], tuple) and self.ir.code[items[-1][1] - 1].op in ("br", "br_table")

    @staticmethod
    def segment(loop: _PyLoop, target: int, copies: Tuple[Tuple[int, int], ...]) -> int:
        """The leaf of switch ``loop``'s tree a ``br_table`` arm selects: its target's
        segment, or a stub leaf doing the branch (numbered after the exit leaf)."""
        if not copies and target in loop.labels:
            return loop.labels[target]
        return loop.stubs.setdefault((target, copies), loop.labels[loop.exit] + 1 + len(loop.stubs))

    def closing_step(self, pc: int, nxt: Optional[Instr]) -> Optional[Tuple[str, int, int]]:
        """``(x, c, 2**32)`` (a scaled register's: its index, ``c >> k`` and ``2**(32 - k)``) when instruction ``pc`` is ``x = x + c`` and ``nxt`` a ``br_if x``
        (a countdown's or a negative offset's loop test), ``x``'s interval showing
        that the sum wraps only to 0: then it is stored unwrapped (``2**32`` instead
        of 0), the branch tests for that and its other path puts the 0 back."""
        ins = self.ir.code[pc]
        d = ins.d
        if (ins.op != "i32.add" or nxt is None or nxt.op != "br_if" or nxt.a != (d,) or d not in ins.a
                or pc + 1 in self.nested or pc + 1 in self.skip or self.pending is not None):
            return None
        k = ins.a.index(d)
        y = ins.a[1 - k]
        c = self.ir.consts[-1 - y] if y < 0 else None
        fact = self.spans.get((id(ins), k))
        if not isinstance(c, int) or fact is None or c <= 0 or fact[1] + c != intervals.M or fact[0] + c >= intervals.M:
            return None
        k = self.scaled_defs.get(id(ins), 0)
        return (f"i{d}" if k else self.reg(d)), c >> k, intervals.M >> k

    def instr(self, pc: int, ind: int, nxt: Optional[Instr]) -> None:
        ins = self.ir.code[pc]
        op = ins.op
        if not ins.is_branch():
            out: List[str] = []
            step = self.closing_step(pc, nxt)
            if step is not None:
                out.append(f"{step[0]} = {step[0]} + {step[1]}")
                self.unwrapped[pc + 1] = (step[0], step[2])
            else:
                self.straight(ins, out, nxt)
            for line in out:
                self.emit(ind, line)
        elif pc in self.skip:  # the then-arm's exit: Python's ``if`` goes there anyway
            out = []
            self.copies(ins.copies, out)
            for line in out:
                self.emit(ind, line)
        elif op == "br":
            self.branch(ins.target, ins.copies, ind, self.falls(pc))
        elif op == "br_table":
            index = self.reg(ins.a[0])
            arms = [(t, c) for t, c in ins.imm]
            loop = self.loops[-1] if self.loops else None
            if loop is not None and loop.cases and self.falls(pc):
                def arm(k: int, ind: int) -> None:
                    t, copies = arms[k]
                    if not copies and loop.labels.get(t) in loop.cases:
                        current, running = loop.current, loop.running
                        loop.leaf(loop.labels[t], ind, current)  # (the variable is left as it is)
                        loop.current, loop.running = current, running
                    else:
                        self.branch(t, copies, ind, fall=True)

                self.cased = True
                self.table_tree(index, arms, arm, ind, self.spans.get((id(ins), 0)))
                return
            if (loop is not None and loop.var and 1 < len(arms) <= MAX_TABLE
                    and 2 * sum(not c and t in loop.labels for t, c in arms) >= len(arms)):
                # straight to the switch segment: one tuple index, no tree of its own
                *cases, default = [self.segment(loop, t, c) for t, c in arms]
                self.emit(ind, f"{loop.var} = {tuple(cases)!r}[{index}] if {index} < {len(cases)} else {default}")
                loop.written.update(cases, (default,))
                if self.falls(pc):
                    loop.selected.update(cases, (default,))
                else:
                    self.emit(ind, "continue")
                return
            self.table_tree(index, arms, lambda k, i: self.branch(arms[k][0], arms[k][1], i), ind)
        elif pc in self.unwrapped:  # (see ``closing_step``)
            x, top = self.unwrapped.pop(pc)
            self.emit(ind, f"if {x} != {top}:")
            self.branch(ins.target, ins.copies, ind + 1)
            self.emit(ind, f"{x} = 0")
        else:
            self.emit(ind, f"if {self.cond(ins)}:")
            self.branch(ins.target, ins.copies, ind + 1)


INLINED_TAG = "#inlined:"
"""Ends each line of inlined code, with the callee's index: the lines' numbers tell a
trap raised there that it happened in the callee."""

_INLINED = re.compile(INLINED_TAG + r"(\d+)$")

_INTEGERS = (syntax.I32, syntax.I64)

ZERO = {syntax.F32: "0.0", syntax.F64: "0.0", syntax.FUNCREF: "None", syntax.EXTERNREF: "None"}
"""Initial values of locals, as source text (others: ``0``)."""


class _Inline(_Gen):
    """A callee's straight-line body generated into a caller (``_Gen.inline``). Its
    registers are ``j<n>`` (shared by all inlined bodies: each one's registers live
    only inside it); a param the callee never writes is the caller's argument
    operand itself, and a result register is the caller's destination unless an
    argument living there is read after the result is first written."""

    scales = False

    def __init__(self, ir: IRFunction, caller: _Gen, args: List[str], d: Optional[int]) -> None:
        super().__init__(ir, caller.module, caller.metered, caller.ftypes)
        self.const_prefix = f"K{ir.func_index}_"
        self.bindings = caller.bindings
        self.prelude = caller.prelude
        self.scratch = caller.scratch
        code = ir.code
        written = {ins.d for ins in code if ins.d is not None}
        self.names: Dict[int, str] = {}
        self.head: List[str] = []
        for p, arg in enumerate(args):
            if p in written:
                self.head.append(f"j{p} = {arg}")
            else:
                self.names[p] = arg
        self.head += [f"j{len(args) + k} = {ZERO.get(t, '0')}" for k, t in enumerate(ir.local_types)]
        self.tail: List[str] = []
        for k in range(ir.nresults):
            dst, res = caller.reg(d + k), ir.nlocals + k  # type: ignore[operator]
            first = next((pc for pc, ins in enumerate(code) if ins.d == res), len(code))
            if any(self.names.get(x) == dst for ins in code[first + 1:] for x in ins.a):
                self.tail.append(f"{dst} = j{res}")
            else:
                self.names[res] = dst

    def reg(self, r: int) -> str:
        return self.names.get(r) or f"j{r}" if r >= 0 else super().reg(r)

    def statements(self) -> List[str]:
        out = list(interp.FUEL_CHECK) if self.metered else []
        out += self.head
        code = self.ir.code
        for pc, ins in enumerate(code):
            self.straight(ins, out, code[pc + 1] if pc + 1 < len(code) else None)
        return out + self.tail


def _writes(module: syntax.Module, ftypes: List[syntax.FuncType], ins: Instr) -> int:
    """How many registers from ``ins.d`` on ``ins`` writes (a call: its results)."""
    if ins.op == "call":
        return len(ftypes[ins.imm].results)
    if ins.op == "call_indirect":
        return len(module.types[ins.imm[0]].results)
    return 1


def _conditional(ins: Instr) -> bool:
    return ins.op.startswith("br_if") or ins.op.startswith("br_unless")


_STRAIGHT = frozenset(NUMERIC) | ACCESSES | {"copy", "select", "global.get", "global.set"}
"""Instructions that write nothing but their destination."""

UNMASKED_SCAN = 64
"""Instructions ``_unmasked`` looks ahead for the reader of a temporary."""


def _unmasked(code: List[Instr], nlocals: int) -> Tuple[Dict[int, Tuple[Tuple[int, int], ...]], Set[Tuple[int, int]]]:
    """Wrapping or bitwise results that may go unmasked into their register: ``id``
    of the instruction -> the ``(id(reader), operand position)`` pairs that read
    it, and the set of all those reading operands. A stack value is read once: by
    the first instruction after it that reads the temporary. When that reader
    comes in the same straight run and masks the operand itself
    (``ranges.accepts_congruent``), the producer need not. A local qualifies when
    the same straight run writes it again and every read before that masks (C's
    ``h = h + x; h ^= y``: the first sum's value is seen by nothing else). (A
    producer whose result comes out exact anyway takes its readers out of the set,
    sparing them the mask.)"""
    producers: Dict[int, Tuple[Tuple[int, int], ...]] = {}
    reads: Set[Tuple[int, int]] = set()
    targets: Optional[Set[int]] = None
    for pc, ins in enumerate(code):
        d = ins.d
        if d is None or ins.op not in ranges.MAY_GO_UNMASKED:
            continue
        found: List[Tuple[int, int]] = []
        if d >= nlocals:
            for reader in code[pc + 1:pc + 1 + UNMASKED_SCAN]:
                if d in reader.a:
                    k = reader.a.index(d)
                    if _reads_once(reader, d) and ranges.accepts_congruent(reader.op, k):
                        found.append((id(reader), k))
                    break
                if reader.d == d or reader.op not in _STRAIGHT:
                    break
        else:
            if targets is None:
                targets = {t for i in code if i.is_branch() for t in i.targets()}
            for q in range(pc + 1, min(pc + 1 + UNMASKED_SCAN, len(code))):
                reader = code[q]
                # (at a merge, the reader would mask what other paths bring too)
                at = [k for k, x in enumerate(reader.a) if x == d]
                if reader.op not in _STRAIGHT or reader.copies or q in targets \
                        or not all(ranges.accepts_congruent(reader.op, k) for k in at):
                    found = []
                    break
                found += [(id(reader), k) for k in at]
                if reader.d == d:
                    break
            else:
                found = []
        if found:
            producers[id(ins)] = tuple(found)
            reads.update(found)
    return producers, reads


SIGNED_COMPARES = {"i32.lt_s": "i32.lt_u", "i32.gt_s": "i32.gt_u", "i32.le_s": "i32.le_u", "i32.ge_s": "i32.ge_u",
                   "i32.eq": "i32.eq", "i32.ne": "i32.ne"}
"""A compare -> the compare that gives its result on operands read as signed ints
(``a < b`` for ``(a ^ 0x80000000) < (b ^ 0x80000000)``)."""
_COMPARING = {f"{branch}{name}": name for name in SIGNED_COMPARES for branch in ("", "br_if.", "br_unless.")}
"""The compares of ``SIGNED_COMPARES``, fused with a branch or not -> the compare."""
_ORDERED = frozenset(op for op, name in _COMPARING.items() if name[-2:] == "_s")
_OP = operator.attrgetter("op")


def _const_zeros(value: int) -> int:
    """The low zero bits of an integer constant (zero: as many as any width has)."""
    return (value & -value).bit_length() - 1 if value else 64


def _register_zeros(code: List[Instr], consts: List[Any]) -> Dict[Tuple[int, int], int]:
    """Known low zero bits of the registers instructions read: ``(id(reader),
    operand position)`` -> bits, where above 0 (an address known aligned needs no
    check). One pass along the IR: a register's fact holds from its write to the
    next one, and every fact is forgotten at a branch target (a merge) and after
    a branch or an instruction writing more than its destination."""
    targets = {t for ins in code if ins.is_branch() for t in ins.targets()}
    facts: Dict[int, int] = {}
    known: Dict[Tuple[int, int], int] = {}
    for pc, ins in enumerate(code):
        if pc in targets:
            facts.clear()
        op = ins.op
        ints: List[Optional[int]] = []
        zeros: List[int] = []
        for k, x in enumerate(ins.a):
            if x >= 0:
                z = facts.get(x, 0)
                if z:
                    known[(id(ins), k)] = z
                ints.append(None)
            else:
                v = consts[-1 - x]
                v = v if isinstance(v, int) and not isinstance(v, bool) else None
                ints.append(v)
                z = 0 if v is None else _const_zeros(v)
            zeros.append(z)
        if ins.d is None:
            if not (op in _STRAIGHT or op in ACCESSES):
                facts.clear()
            continue
        if op in NUMERIC:
            z = ranges.low_zeros(op, zeros, ints)
        elif op == "copy":
            z = zeros[0]
        elif op in _STRAIGHT:
            z = 0
        else:
            facts.clear()
            continue
        if z:
            facts[ins.d] = z
        else:
            facts.pop(ins.d, None)
    return known


_STEPS = frozenset(("i32.add", "i32.sub"))
_SCALING = _STEPS | {"i32.mul", "i32.shl"}
_CALLS = frozenset(("call", "call_indirect"))


def _linked(seeds: Set[int], links: Dict[int, List[int]]) -> Set[int]:
    """``seeds`` and the registers ``links`` reach from them, transitively."""
    found, todo = set(seeds), list(seeds)
    while todo:
        for x in links.get(todo.pop(), ()):
            if x not in found:
                found.add(x)
                todo.append(x)
    return found


class _Webs:
    """Webs of the registers in ``cand`` (see ``_scaled_webs``, ``_signed_webs``): each
    write of one is a definition (and the value on entry: definitions ``0`` to
    ``len(regs) - 1``, in ``regs``'s order), reaching reads as reaching definitions
    over the blocks say (bitsets per block, a worklist to the fixed point); the
    definitions reaching a common read are joined (union-find). ``walk`` yields the
    instructions that read or write a candidate; a branch's copies are reads and
    definitions that are ``bad`` (no rule admits them). ``reads``: candidate -> where
    it is read; ``writes_at``: candidate -> ``(pc, slot)`` writing it (slot -1: ``d``,
    else which of a call's results)."""

    def __init__(self, code: List[Instr], cand: Set[int], reads: Dict[int, List[int]],
                 writes_at: Dict[int, List[Tuple[int, int]]], branches: Set[int], leaders: Set[int]) -> None:
        # definitions: the 0 on entry of each candidate, then every write of one
        n = len(code)
        regs = sorted(cand)
        site: Dict[Tuple[int, int], int] = {}  # (pc, slot) -> definition; slot -1: ins.d, else copies' order
        owner: List[int] = list(regs)  # definition -> register
        entry = {r: k for k, r in enumerate(regs)}
        touched = {pc for r in regs for pc in reads.get(r, ())}  # (the instructions the walk below visits)
        for r in regs:
            for at in writes_at.get(r, ()):
                site[at] = len(owner)
                owner.append(r)
                touched.add(at[0])
        for pc in branches:
            ins = code[pc]
            arms = ins.arms()
            for arm, (_, copies) in enumerate(arms):
                for j, (d, s) in enumerate(copies):
                    if d in cand:
                        site[(pc, 1000 * arm + j)] = len(owner)
                        owner.append(d)
                    if d in cand or s in cand:
                        touched.add(pc)
        self.regs, self.owner = regs, owner
        if len(owner) == len(regs):  # (nothing written: the caller need not walk)
            return
        regmask: Dict[int, int] = {}
        for e, r in enumerate(owner):
            regmask[r] = regmask.get(r, 0) | 1 << e

        # blocks, what their code writes (gen, kill) and their edges (successor, gen and
        # kill of the branch's copies); reaching definitions to a fixed point
        starts = sorted(x for x in leaders if x < n)
        block_at = {pc: b for b, pc in enumerate(starts)}
        ends = starts[1:] + [n]
        writing = sorted(((pc, slot, e) for (pc, slot), e in site.items() if pc not in branches))
        written: Dict[int, List[int]] = {}  # pc -> the definitions it makes, in order
        gens, kills = [0] * len(starts), [0] * len(starts)
        for pc, _, e in writing:
            written.setdefault(pc, []).append(e)
            b = bisect.bisect_right(starts, pc) - 1
            mask = regmask[owner[e]]
            kills[b] |= mask
            gens[b] = gens[b] & ~mask | 1 << e
        edges: List[List[Tuple[int, int, int]]] = []
        exits: List[Tuple[int, int, int]] = []  # the edges to the function's end: (block, gen, kill)
        for b, lo in enumerate(starts):
            last = code[ends[b] - 1]
            out: List[Tuple[int, int, int]] = []
            if ends[b] - 1 in branches:
                arms = last.arms()
                for arm, (t, copies) in enumerate(arms):
                    gen = kill = 0
                    for j, (d, _) in enumerate(copies):
                        copy_def = site.get((ends[b] - 1, 1000 * arm + j))
                        if copy_def is not None:
                            kill |= regmask[d]
                            gen = gen & ~regmask[d] | 1 << copy_def
                    if 0 <= t < n:
                        out.append((block_at[t], gen, kill))
                    else:
                        exits.append((b, gen, kill))
                falls = last.op != "br" and last.op != "br_table"
            else:
                falls = last.op != "unreachable"
            if falls and ends[b] < n:
                out.append((b + 1, 0, 0))
            elif falls:
                exits.append((b, 0, 0))
            edges.append(out)
        reach_in = [0] * len(starts)
        reach_in[0] = (1 << len(regs)) - 1
        work = list(range(len(starts) - 1, -1, -1))
        queued = set(work)
        while work:
            b = work.pop()
            queued.discard(b)
            out_b = reach_in[b] & ~kills[b] | gens[b]
            for succ, gen, kill in edges[b]:
                new = reach_in[succ] | (out_b & ~kill | gen)
                if new != reach_in[succ]:
                    reach_in[succ] = new
                    if succ not in queued:
                        queued.add(succ)
                        work.append(succ)

        self.leaving = 0  # the definitions that may reach the function's end (its results' values)
        for b, gen, kill in exits:
            self.leaving |= (reach_in[b] & ~kills[b] | gens[b]) & ~kill | gen
        self.code, self.cand, self.branches = code, cand, branches
        self.site, self.entry = site, entry
        self.block_at, self.reach_in, self.written, self.regmask = block_at, reach_in, written, regmask
        self.touching: List[List[int]] = [[] for _ in starts]  # the instructions reading or writing a candidate, by block
        for pc in sorted(touched):
            self.touching[bisect.bisect_right(starts, pc) - 1].append(pc)
        self.parent = list(range(len(owner)))
        self.bad: Set[int] = set()  # definitions (of webs) that no rule admits
        self.webs_of: Dict[int, int] = {}  # reaching definitions -> one of them (all joined already)

    def find(self, e: int) -> int:
        parent = self.parent
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    def join(self, e: int, f: int) -> None:
        self.parent[self.find(e)] = self.find(f)

    def read(self, r: int, reach: int) -> int:
        """The web of register ``r`` read where ``reach`` reaches: every definition joined."""
        m = reach & self.regmask[r]
        first = self.webs_of.get(m)
        if first is not None:
            return first
        if not m:  # (unreachable code) a web of its own, never admitted
            self.parent.append(len(self.parent))
            self.owner.append(r)
            self.bad.add(len(self.parent) - 1)
            return len(self.parent) - 1
        first = self.webs_of[m] = (m & -m).bit_length() - 1
        m &= m - 1
        while m:
            e = (m & -m).bit_length() - 1
            self.join(e, first)
            m &= m - 1
        return first

    def walk(self) -> Iterator[Tuple[int, Instr, Dict[int, int]]]:
        """``(pc, instruction, operand position -> its web)`` for each instruction
        touching a candidate, in order within each block (the caller applies its rules
        before the next is yielded)."""
        code, cand, site, owner, regmask = self.code, self.cand, self.site, self.owner, self.regmask
        for b, pcs in enumerate(self.touching):
            reach = self.reach_in[b]
            for pc in pcs:
                ins = code[pc]
                yield pc, ins, {p: self.read(x, reach) for p, x in enumerate(ins.a) if x in cand}
                if pc in self.branches:
                    arms = ins.arms()
                    for arm, (_, copies) in enumerate(arms):
                        for j, (cd, cs) in enumerate(copies):
                            if cs in cand:
                                self.bad.add(self.read(cs, reach))
                            copy_def = site.get((pc, 1000 * arm + j))
                            if copy_def is not None:
                                self.bad.add(copy_def)
                else:
                    for e in self.written.get(pc, ()):
                        reach = reach & ~regmask[owner[e]] | 1 << e


def _scaled_webs(ir: IRFunction, cand: Set[int], writes: Callable[[Instr], int]
                 ) -> Tuple[Dict[int, int], Dict[Tuple[int, int], int], Dict[int, int], Set[Tuple[int, int]]]:
    """Addresses kept as view indexes: a value ``x`` of an i32 local in ``cand``
    held as ``x >> k`` in local ``i<r>`` instead (C's pointers stepped through
    arrays of 4- or 8-byte items: nbody's bodies, matmul's rows, whose accesses
    shifted every address back, ``Vd[(l20 + 104) >> 3]``, now ``Vd[i20 + 13]``).

    The unit is a web: the writes of a register that reach a common read, with those
    reads (found by reaching definitions over the blocks; a register reused for
    another purpose, a counter after a pointer, is another web). Webs joined by a
    copy or a step (``y = x + c``) form a group sharing one ``k``, and a group is
    kept as indexes when every write makes a multiple of ``2**k`` from them (a
    constant, the 0 on entry, a copy, ``x +/- c``, ``x + y``, ``y * c``, ``y << s`` or
    ``(y << s) + c`` by constants with ``k`` low zero bits: ``_Gen.scaled_def``) and every read is
    the base of an aligned access through the view of ``2**k``-byte items (directly,
    or as ``x + c`` right before it),
    a truth test or such a write; any other read (it would need the shift back)
    or a branch's copy leaves the group as it is.

    Returns the writes (``id`` of the instruction -> k), the reads (``(id(reader),
    position)`` -> k), the registers whose 0 on entry is an index (-> k) and the
    ``(register, k)`` pairs in use."""
    code, consts, M, L = ir.code, ir.consts, intervals.M, ir.nlocals
    n = len(code)
    none: Tuple[Dict[int, int], Dict[Tuple[int, int], int], Dict[int, int], Set[Tuple[int, int]]] = \
        ({}, {}, {}, set())

    def const(x: int) -> Optional[int]:
        v = consts[-1 - x] if x < 0 else None
        return v % M if isinstance(v, int) and not isinstance(v, bool) else None

    def shifted(pc: int) -> Optional[Tuple[int, int]]:
        """``(c, s)`` when instruction ``pc`` adds constant ``c`` to the temporary the one
        before it shifted left by constant ``s``."""
        ins, before = code[pc], code[pc - 1] if pc else None
        if ins.op != "i32.add" or before is None or before.op != "i32.shl" or before.d not in ins.a \
                or before.d < L or before.a[1] >= 0:
            return None
        c = const(ins.a[1 - ins.a.index(before.d)])
        return None if c is None else (c, const(before.a[1]) & 31)  # type: ignore[operator]

    # First, in one pass, cheaply, the registers that may be indexes at all: bases
    # of view accesses in loops (directly or through ``x + c`` right before) and
    # those copied or stepped to or from them; some written otherwise than by a copy.
    branches: Set[int] = set()
    leaders = {0}
    backs: List[Tuple[int, int]] = []  # loops: (head, back edge)
    reads: Dict[int, List[int]] = {}  # candidate -> where it is read
    writes_at: Dict[int, List[Tuple[int, int]]] = {}  # candidate -> (pc, slot) writing it
    based: List[Tuple[int, int]] = []  # (pc, register) of the accesses' bases
    kept: Set[int] = set()  # registers with a write that keeps an index
    links: Dict[int, List[int]] = {}
    for pc, ins in enumerate(code):
        op, a, d = ins.op, ins.a, ins.d
        if not cand.isdisjoint(a):
            for x in a:
                if x in cand:
                    reads.setdefault(x, []).append(pc)
        if op[:2] == "br" or op == "unreachable":
            leaders.add(pc + 1)
            if op != "unreachable":
                branches.add(pc)
                for t in ins.targets():
                    if 0 <= t < n:
                        leaders.add(t)
                        if t <= pc:
                            backs.append((t, pc))
            continue
        if d is not None:
            if op in _CALLS:
                for j in range(writes(ins)):
                    if d + j in cand:
                        writes_at.setdefault(d + j, []).append((pc, j - 1 if j else -1))
            elif d in cand:
                writes_at.setdefault(d, []).append((pc, -1))
        if op in VIEW_ACCESSES:
            if a[0] in cand:
                based.append((pc, a[0]))
        elif op == "copy" or op in _SCALING:
            if d in cand:
                linked = [x for x in a if x in cand]
                if op == "copy" and const(a[0]) is not None or op in ("i32.mul", "i32.shl") and a[1] < 0 \
                        or linked and op != "copy" or shifted(pc) is not None:
                    kept.add(d)
                for x in linked:
                    links.setdefault(d, []).append(x)
                    links.setdefault(x, []).append(d)
            elif d is not None and d >= L and op != "copy" and pc + 1 < n \
                    and code[pc + 1].a[:1] == (d,) and code[pc + 1].op in VIEW_ACCESSES:
                based.extend((pc, x) for x in a if x in cand)
    cand = _linked({r for pc, r in based if any(h <= pc <= e for h, e in backs)}, links)
    if cand.isdisjoint(kept):
        return none

    webs = _Webs(code, cand, reads, writes_at, branches, leaders)
    if len(webs.owner) == len(webs.regs):
        return none
    site, owner, bad, join = webs.site, webs.owner, webs.bad, webs.join
    limit: Dict[int, int] = {}  # definition -> the low zero bits its write is known to have
    wants: Dict[int, Set[int]] = {}  # definition -> the k of the views its web is a base for
    use: Dict[Tuple[int, int], int] = {}  # (pc, position) -> a definition of the read's web
    for pc, ins, webs_read in webs.walk():
        op, a, d = ins.op, ins.a, ins.d
        for p, e in webs_read.items():
            use[(pc, p)] = e
        good: Set[int] = set()  # operand positions whose read an index serves
        step: Optional[Tuple[int, int]] = None  # (position, c) of ``x + c`` on a candidate
        if op == "i32.add":
            step = next(((p, c) for p in (0, 1) if p in webs_read for c in [const(a[1 - p])] if c is not None), None)
        elif op == "i32.sub" and 0 in webs_read and const(a[1]) is not None:
            step = (0, -const(a[1]) % M)  # type: ignore[operator]
        e_def = site.get((pc, -1))
        if e_def is not None and pc not in branches:
            e = e_def
            c1 = const(a[1]) if len(a) > 1 else None
            if op == "copy" and 0 in webs_read or step is not None:
                p = 0 if op == "copy" else step[0]  # type: ignore[index]
                join(e, webs_read[p])
                good.add(p)
                if step is not None:
                    limit[e] = _const_zeros(step[1])
            elif op == "copy" and const(a[0]) is not None:
                limit[e] = _const_zeros(const(a[0]))  # type: ignore[arg-type]
            elif op == "i32.add" and 0 in webs_read and 1 in webs_read:
                join(e, webs_read[0])
                join(e, webs_read[1])
                good.update((0, 1))
            elif op == "i32.mul" and (c1 is not None or const(a[0]) is not None):
                limit[e] = _const_zeros(c1 if c1 is not None else const(a[0]))  # type: ignore[arg-type]
            elif op == "i32.shl" and c1 is not None:
                limit[e] = c1 & 31
            elif pc not in webs.block_at and shifted(pc) is not None:  # (y << s) + c
                c, shift = shifted(pc)  # type: ignore[misc]
                limit[e] = min(_const_zeros(c), shift)
            else:
                bad.add(e)
        if op in VIEW_ACCESSES and 0 in webs_read:
            size = struct.calcsize(VIEW_ACCESSES[op])
            if not ins.imm[1] % size:
                wants.setdefault(webs_read[0], set()).add(size.bit_length() - 1)
                good.add(0)
        elif step is not None and d is not None and d >= L and pc + 1 < n:
            # a sum the next access takes as its base (spliced): indexes by ``i<r> + (c >> k)``
            nxt = code[pc + 1]
            if nxt.op in VIEW_ACCESSES and nxt.a[0] == d and _reads_once(nxt, d):
                size = struct.calcsize(VIEW_ACCESSES[nxt.op])
                if not (nxt.imm[1] | step[1]) % size:
                    wants.setdefault(webs_read[step[0]], set()).add(size.bit_length() - 1)
                    good.add(step[0])
        elif op == "br_if" or op == "br_unless":
            good.add(0)  # (a truth test: the index is as good)
        for p, w in webs_read.items():
            if p not in good:
                bad.add(w)

    # one k per group, from its accesses; every write a multiple of 2**k
    find, entry = webs.find, webs.entry
    groups: Dict[int, Tuple[Set[int], int, bool]] = {}
    for e in range(len(webs.parent)):
        g = find(e)
        ks, low, spoilt = groups.get(g, (set(), 32, False))
        groups[g] = (ks | wants.get(e, set()), min(low, limit.get(e, 32)), spoilt or e in bad)
    scale: Dict[int, int] = {}
    for g, (ks, low, spoilt) in groups.items():
        if len(ks) == 1 and not spoilt and min(ks) <= low:
            scale[g] = min(ks)
    if not scale:
        return {}, {}, {}, set()
    defs = {id(code[pc]): scale[find(e)] for (pc, slot), e in site.items() if slot == -1 and find(e) in scale}
    uses = {(id(code[pc]), p): scale[find(e)] for (pc, p), e in use.items() if find(e) in scale}
    starting = {r: scale[find(entry[r])] for r in webs.regs if find(entry[r]) in scale}
    pairs = {(owner[e], scale[find(e)]) for e in range(len(owner)) if find(e) in scale}
    return defs, uses, starting, pairs


def _signed_webs(ir: IRFunction, writes: Callable[[Instr], int]) -> Tuple[Set[int], Set[Tuple[int, int]], Set[int]]:
    """Words loaded to be compared signed (C's ``int`` values: sort's ``v[j] > x``), held
    as signed ints: read from a view of signed words (``Vi``), a one-digit int for C's
    small negatives where the unsigned form is a two-digit ``4294967xxx``, and compared
    as they are, without the two xors of ``i32.lt_s``'s template.

    The unit is a web (``_Webs``) of i32 registers; one is kept signed when every write
    is an ``i32.load``, a copy or a select of such webs (or the 0 a local starts with),
    and every read is a compare (signed, ``eq`` or ``ne``) whose other operands are
    signed webs or constants, a stored word (the signed view, or struct on the
    unsigned form), a copy or a select's value into such a web, a truth test, or an
    operand that its reader masks anyway (``ranges.accepts_congruent``: a signed int
    is congruent to the value). Anything else (an address, a call's argument, an
    unsigned compare, a shift right, a result, a branch's copy) leaves the web as it is.

    Returns the ``id`` of the loads read signed, the ``(id(reader), position)`` of
    the reads of signed values, and the ``id`` of the compares made on signed ints."""
    code, L = ir.code, ir.nlocals
    n = len(code)
    nparams = len(ir.type.params)
    none: Tuple[Set[int], Set[Tuple[int, int]], Set[int]] = (set(), set(), set())
    if _ORDERED.isdisjoint(map(_OP, code)):
        return none
    # candidates (cheaply, in one pass): the operands of ordered signed compares in loops,
    # and the registers copies, selects and compares link them to; some written by a load
    links: Dict[int, List[int]] = {}
    loaded: Set[int] = set()
    backs: List[Tuple[int, int]] = []  # loops: (head, back edge)
    ordered: List[int] = []
    for pc, ins in enumerate(code):
        op, a, d = ins.op, ins.a, ins.d
        if op[:2] == "br":
            backs.extend((t, pc) for t in ins.targets() if 0 <= t <= pc)
        if op in _COMPARING:
            if op in _ORDERED:
                ordered.append(pc)
            if a[0] >= 0 and a[1] >= 0:
                links.setdefault(a[0], []).append(a[1])
                links.setdefault(a[1], []).append(a[0])
        if d is None:
            continue
        if op == "i32.load":
            loaded.add(d)
        elif op == "copy" or op == "select":
            for x in a[:2]:
                if x >= 0:
                    links.setdefault(d, []).append(x)
                    links.setdefault(x, []).append(d)
    seeds = {x for pc in ordered if any(h <= pc <= e for h, e in backs) for x in code[pc].a if x >= 0}
    cand = _linked(seeds, links)
    if cand.isdisjoint(loaded):
        return none
    branches: Set[int] = set()
    leaders = {0}
    reads: Dict[int, List[int]] = {}
    writes_at: Dict[int, List[Tuple[int, int]]] = {}
    for pc, ins in enumerate(code):
        op, a, d = ins.op, ins.a, ins.d
        for x in set(a) & cand:
            reads.setdefault(x, []).append(pc)
        if op[:2] == "br" or op == "unreachable":
            leaders.add(pc + 1)
            if op != "unreachable":
                branches.add(pc)
                leaders.update(t for t in ins.targets() if 0 <= t < n)
            continue
        if d is not None:
            for j in range(writes(ins) if op in _CALLS else 1):
                if d + j in cand:
                    writes_at.setdefault(d + j, []).append((pc, j - 1 if j else -1))
    webs = _Webs(code, cand, reads, writes_at, branches, leaders)
    if len(webs.owner) == len(webs.regs):
        return none
    bad, join = webs.bad, webs.join
    bad.update(k for k, r in enumerate(webs.regs) if r < nparams)  # (an argument on entry)
    results = range(L, L + ir.nresults)
    bad.update(e for e, r in enumerate(webs.owner) if r in results and webs.leaving >> e & 1)  # (a result)
    admitted: Set[int] = set(range(len(webs.regs)))  # definitions by a rule (and on entry)
    loads: Dict[int, Instr] = {}  # definition -> its load
    used: Dict[Tuple[int, int], int] = {}  # (pc, position) -> the web read there
    compares: Dict[int, Dict[int, int]] = {}  # pc -> its operands' webs
    for pc, ins, webs_read in webs.walk():
        op, a = ins.op, ins.a
        e = webs.site.get((pc, -1)) if pc not in branches else None
        good: Set[int] = set()  # operand positions a signed int serves
        if e is not None:
            if op == "i32.load":
                loads[e] = ins
                admitted.add(e)
            elif op == "copy" and 0 in webs_read or op == "select" and 0 in webs_read and 1 in webs_read:
                for p in (0, 1) if op == "select" else (0,):
                    join(e, webs_read[p])
                    good.add(p)
                admitted.add(e)
        if op in _COMPARING and webs_read:
            compares[pc] = webs_read
            good.update(webs_read)
        elif op == "br_if" or op == "br_unless":
            good.update(webs_read)  # (a truth test: nonzero alike)
        elif op == "i32.store" or op == "select":
            good.add(1 if op == "i32.store" else 2)  # (a stored word; a select's condition)
        elif op in NUMERIC or op in STORES:
            good.update(p for p in webs_read if ranges.accepts_congruent(op, p))
        for p, w in webs_read.items():
            used[(pc, p)] = w
            if p not in good:
                bad.add(w)
    find = webs.find
    bad.update(e for e in range(len(webs.owner)) if e not in admitted)
    operands = {pc: {find(w) for w in webs_read.values()} for pc, webs_read in compares.items()}
    gains = set().union(*(ws for pc, ws in operands.items() if code[pc].op[-2:] == "_s"))
    changed = True
    while changed:  # (only the webs an ordered compare reads gain, and those compared with them)
        changed = False
        for ws in operands.values():
            if ws & gains and not ws <= gains:
                gains |= ws
                changed = True
    spoilt = {find(e) for e in bad} | ({find(e) for e in range(len(webs.owner))} - gains)
    changed = True
    while changed:  # a compare of a signed web with anything but signed webs and constants
        changed = False
        for pc, ws in operands.items():
            if not ws <= spoilt and (ws & spoilt or len(compares[pc]) + sum(x < 0 for x in code[pc].a) < len(code[pc].a)):
                spoilt |= ws
                changed = True
    signed_loads = {id(ins) for e, ins in loads.items() if find(e) not in spoilt}
    if not signed_loads:
        return none
    signed_reads = {(id(code[pc]), p) for (pc, p), w in used.items() if find(w) not in spoilt}
    signed_compares = {id(code[pc]) for pc, webs_read in compares.items()
                       if not {find(w) for w in webs_read.values()} & spoilt}
    return signed_loads, signed_reads, signed_compares


def _index_sum(x: str, c: int, k: int, span: Optional[Tuple[int, int]]) -> str:
    """The index of ``(v + c) mod 2**32`` in a view of ``2**k``-byte items, for ``v = x << k``
    (``x`` an index, ``c`` a multiple of ``2**k``): ``(x + (c >> k)) mod 2**(32 - k)``,
    unmasked where ``v``'s interval ``span`` shows that the sum never wraps, or always."""
    M = intervals.M
    if not c:
        return x
    if span is not None and span[1] + c < M:
        return f"({x} + {c >> k})"
    if span is not None and span[0] + c >= M:
        return f"({x} - {(M - c) >> k})"
    if c >= M >> 1:  # (a step down: the difference stays a small int, the mask wraps it)
        return f"(({x} - {(M - c) >> k}) & {(1 << (32 - k)) - 1})"
    return f"(({x} + {c >> k}) & {(1 << (32 - k)) - 1})"


def _select_arm(ins: Instr, nxt: Instr, d: int) -> bool:
    """Whether select ``nxt`` may take temporary ``d`` into one of its arms as
    ``ins``'s expression: evaluated only if that arm is chosen, so ``ins`` must
    be numeric and unable to trap (C's ``h = last ? (h ^ b) * P : h`` computes the
    product only when it is kept)."""
    return nxt.op == "select" and nxt.a.count(d) == 1 and nxt.a.index(d) < 2 \
        and ins.op in NUMERIC and not NUMERIC[ins.op].may_trap


def _paren(expr: str) -> str:
    """``expr`` as an operand of a conditional expression: parenthesised unless an
    atom (``(a) + (b)`` starts and ends with parentheses, yet is no atom; parentheses
    cost nothing once compiled)."""
    return expr if _ATOM.match(expr) else f"({expr})"


def _reads_once(nxt: Instr, d: int) -> bool:
    """Whether ``nxt`` may take temporary ``d`` as an expression: it reads it once,
    and it is a load, store, numeric instruction or conditional branch that
    evaluates that operand once, or a select taking it as its condition."""
    if nxt.a.count(d) != 1:
        return False
    if nxt.op in ACCESSES:
        return True
    if nxt.op == "select":  # its condition, evaluated first and always (a or b may not be)
        return nxt.a.index(d) == 2
    name = nxt.op.partition(".")[2] if _conditional(nxt) else nxt.op
    if not name:  # br_if / br_unless on the value itself
        return True
    return name in NUMERIC and nxt.a.index(d) not in NUMERIC[name].dup_operands


class _Dispatch(_Gen):
    """The fallback: extended basic blocks under a binary-search dispatch on ``pc``.

    A block starts at a branch target or after an unconditional transfer; a
    conditional branch inside a block jumps out (``pc = target; continue``) and
    its not-taken path runs on in place, without a dispatch."""

    def run(self) -> None:
        code = self.ir.code
        n = len(code)
        leaders = {0}
        for i, ins in enumerate(code):
            if ins.is_branch() or ins.op == "unreachable":
                if not _conditional(ins):
                    leaders.add(i + 1)
                leaders.update(t for t in ins.targets() if 0 <= t < n)
        starts = sorted(x for x in leaders if x < n) or [0]
        self.block_of = {s: k for k, s in enumerate(starts)}
        self.lines.append("        pc = 0")
        self.lines.append("        while True:")
        bounds = starts[1:] + [n]
        self.bisect("pc", list(range(len(starts))), lambda i, ind: self.block(starts[i], bounds[i], ind), 3)

    def goto(self, target: int, copies: Tuple[Tuple[int, int], ...], ind: int) -> None:
        if target < 0 or target >= len(self.ir.code):
            self.lines.append("    " * ind + self.ret(copies))
            return
        out: List[str] = []
        self.copies(copies, out)
        out.append(f"pc = {self.block_of[target]}")
        self.lines.extend("    " * ind + line for line in out)

    def block(self, lo: int, hi: int, ind: int) -> None:
        self.checked = False
        pad = "    " * ind
        out: List[str] = list(interp.FUEL_CHECK) if lo in self.heads else []
        code = self.ir.code
        for pc in range(lo, hi):
            ins = code[pc]
            if not ins.is_branch():
                self.straight(ins, out, code[pc + 1] if pc + 1 < hi else None)
            elif pc < hi - 1:  # a conditional branch out of the middle of the block
                self.lines.extend(pad + line for line in out)
                out = []
                self.lines.append(pad + f"if {self.cond(ins)}:")
                self.goto(ins.target, ins.copies, ind + 1)
                self.lines.append(pad + "    continue")
        self.lines.extend(pad + line for line in out)
        last = code[hi - 1] if hi > lo else None
        if last is None or not last.is_branch():
            if last is not None and last.op == "unreachable":
                return
            self.goto(hi, (), ind)
        elif last.op == "br":
            self.goto(last.target, last.copies, ind)
        elif last.op == "br_table":
            arms = [(t, c) for t, c in last.imm]
            self.table_tree(self.reg(last.a[0]), arms, lambda k, i: self.goto(arms[k][0], arms[k][1], i), ind)
        else:
            self.lines.append(pad + f"if {self.cond(last)}:")
            self.goto(last.target, last.copies, ind + 1)
            self.lines.append(pad + "else:")
            self.goto(hi, (), ind + 1)


def _assemble(g: _Gen, scheme: str) -> Generated:
    assert g.deferred is None, "a deferred temporary was never read"
    ir = g.ir
    nparams = len(ir.type.params)
    params = ", ".join([f"l{i}" for i in range(nparams)] + ["depth"])
    head = [f"        l{nparams + i} = {ZERO.get(t, '0')}" for i, t in enumerate(ir.local_types)]
    head += [f"        i{r} = 0" for r in g.scaled_entry]
    if isinstance(g, _Structured) and g.uses_br:
        head.append("        br = 0")
    # Only code that reads or writes memory (it binds one) can raise the errors of an
    # access; without it, its handler would only cost ``compile()`` time.
    accesses = any(kind == "mem" for kind, _ in g.bindings.values())
    if accesses:
        g.bind("error", "error", None)
    g.bind("FRAME", "frame", ir.func_index)
    if g.metered:
        head[:0] = ["        " + line for line in interp.FUEL_CHECK]
    src = ["def make(...):"]  # (its parameters once all bindings are known)
    src += ["    " + line for line in g.prelude]
    # ``depth``: the wasm frames outside this one (see ``Tier1``). Only a function
    # that calls needs ``deeper``, its callees' depth (computed once, not per call).
    prologue = ["if depth >= MAX_CALL_DEPTH:", "    raise Trap(EXHAUSTED)"]
    if g.counts:
        prologue.append("deeper = depth + 1")
    if g.inlined:
        # Whether an inlined callee's frame would be one too many. Neither the depth
        # nor the limit can differ between two points of this body (calls restore
        # the limit), so once is enough; ``+ 1``, not ``MAX_CALL_DEPTH - 1``: a small
        # sum is a cached int.
        prologue.append("deep = deeper >= MAX_CALL_DEPTH" if g.counts else "deep = depth + 1 >= MAX_CALL_DEPTH")
    if g.sets_depth:
        prologue.insert(0, "global _depth")
    if g.metered:
        prologue.insert(0, "global _fuel")
    # (named as it is called, ``wasm_func_<index>``: setting ``__name__`` after cost more)
    name = f"wasm_func_{ir.func_index}"
    src += [f"    def {name}({params}):"] + ["        " + line for line in prologue] + ["        try:"]
    src += ["    " + line for line in head + g.lines]
    # (only ``inline`` tags lines: without inlined callees, no line to search)
    inlined = tuple((n, int(m.group(1))) for n, line in enumerate(src, 1)
                    for m in [_INLINED.search(line)] if m) if g.inlined else ()
    callee = []
    if inlined:  # a trap on a line of inlined code happened in that callee
        g.bind("INL", "inlined", inlined)
        callee = ["    if tb.tb_lineno in INL:", "        t.frames.append(INL[tb.tb_lineno])"]
    if accesses:
        src += ["        except (error, IndexError) as e:",
                "            tb = e.__traceback__",
                "            if tb.tb_next is not None:  # raised by a callee, not by our access",
                "                raise",
                f"            t = Trap({OOB_MEMORY!r})"]
        src += ["        " + line for line in callee]
        src += ["            t.frames.append(FRAME)",
                "            raise t from None"]
    src += ["        except Trap as t:"]
    if inlined:
        src += ["            tb = t.__traceback__"] + ["        " + line for line in callee]
    src += ["            t.frames.append(FRAME)",
            "            raise"]
    src += [f"    return {name}", ""]
    names = sorted(n for n, (kind, _) in g.bindings.items() if kind != "local")
    src[0] = f"def make({', '.join(names)}):"
    bindings = [(n, g.bindings[n][0], g.bindings[n][1]) for n in names]
    return Generated("\n".join(src), bindings, nparams, ir.nresults, scheme)


def generate(ir: IRFunction, root: Region, skip: Set[int], module: syntax.Module,
             structured: bool = True, metered: bool = False, inliner: Optional[Inliner] = None) -> Generated:
    """The Python source of a translated function: structured if it fits, else dispatch;
    ``metered`` code spends fuel as ``interp.FUEL_CHECK`` says; calls of the callees
    ``inliner`` picks are inlined."""
    inliner = inliner or Inliner(module)
    ir = coalesce(ir, root, lambda ins: _writes(module, inliner.function_types(), ins))  # type: ignore[union-attr]
    # Nesting may go too deep: then loops; loops may: then switches share loops. Cases
    # run at a br_table's leaves (deeper) go back into their switch's tree first.
    for nest, flat_from in ((True, MAX_LOOPS), (False, MAX_LOOPS), (True, FLAT_FROM)) if structured else ():
        for cases in (True, False):
            s: Optional[_Structured] = None
            try:
                s = _Structured(ir, module, root, skip, metered, nest=nest, flat_from=flat_from, cases=cases,
                                ftypes=inliner.function_types())
                s.plan_inlining(inliner)
                s.run()
                return _assemble(s, "structured")
            except _Fallback:
                if s is None or not s.cased:
                    break
    d = _Dispatch(ir, module, metered, inliner.function_types())
    d.plan_inlining(inliner)
    d.run()
    return _assemble(d, "dispatch")


def compile_source(gen: Generated) -> types.CodeType:
    """The code object of ``make`` (raises SyntaxError/RecursionError/MemoryError on
    what CPython cannot compile)."""
    module_code = compile(gen.source, "<wasmlite tier 1>", "exec")
    for c in module_code.co_consts:
        if isinstance(c, types.CodeType) and c.co_name == "make":
            return c
    raise AssertionError("no make in generated code")


# -- loading ----------------------------------------------------------------------------


_SHIM_SRC = """
def shim(fn, n):
    def h(r):
        {call}
    return h
"""


def _shim_factory(nresults: int) -> Callable[..., Any]:
    """The factory of ``Tier1.entry`` for ``nresults`` results, run with ``interp``'s
    globals: the tier-0 caller has counted the call in ``_depth`` already, so the
    frames outside the tier-1 function are one fewer."""
    call = ("fn(*r, _depth - 1)", "r[n] = fn(*r[:n], _depth - 1)", "r[n:] = fn(*r[:n], _depth - 1)")[min(nresults, 2)]
    ns: Dict[str, Any] = {}
    exec(compile(_SHIM_SRC.format(call=call), "<wasmlite tier-1 shim>", "exec"), vars(interp), ns)
    return ns["shim"]  # type: ignore[no-any-return]


_SHIMS = [_shim_factory(n) for n in range(3)]


class Tier1:
    """A function loaded in tier 1: ``fn(*args, depth)`` returns None, the value or a
    tuple; ``depth`` is the number of wasm frames outside it (``interp._depth`` when
    called from elsewhere), so that calls between tier-1 functions count depth in
    arguments rather than in a global. A tier-1 function leaves ``interp._depth`` as
    it found it; it sets it only around calls that leave tier 1 (imports, tier-0
    callees), for them to read.

    It also has the attributes tier 0 reads from ``WasmFunction.compiled`` (``tail``,
    ``lo``, ``hi``, ``entry``), so tier-0 callers run it like one of their own.
    """

    __slots__ = ("fn", "tail", "lo", "hi", "entry", "gen", "budget")

    def __init__(self, fn: Callable[..., Any], nparams: int, nresults: int,
                 gen: Optional[Generated] = None) -> None:
        self.fn = fn
        self.gen = gen
        self.budget = 1 << 62  # tier 0's callers count down every callee's budget
        self.tail = [None] * nresults
        self.lo = nparams
        self.hi = nparams + nresults
        self.entry = _SHIMS[min(nresults, 2)](fn, nparams)


def _at_depth(depth: int, call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)`` with ``interp._depth`` at ``depth`` (for code that reads it:
    tier 0, the host's calls back into wasm), put back afterwards."""
    saved = interp._depth
    interp._depth = depth
    try:
        return call(*args)
    finally:
        interp._depth = saved


def entry(f: WasmFunction) -> Callable[..., Any]:
    """A callable running ``f`` with tier 1's calling convention: the tier-1 function
    itself when ``f`` has one now, else a stub that looks each time, and once ``f``
    is in tier 1 rebinds the callers that ``load`` registered in ``stub.cells``
    (a stub's extra call frame would otherwise cost every call from then on)."""
    c = f.compiled
    if isinstance(c, Tier1):
        return c.fn
    nres = len(f.type.results)
    cells: List[Any] = []  # closure cells of tier-1 callers bound to this stub

    def stub(*args: Any) -> Any:
        c = f.compiled
        if c is None:  # (a small module's callee goes to tier 1 at once: see ``interp.compiled``)
            c = interp.compiled(f, True)
        if c.__class__ is Tier1:
            for cell in cells:  # callers call the tier-1 function directly from now on
                cell.cell_contents = c.fn
            cells.clear()
            return c.fn(*args)
        saved = interp._depth  # (inline: a frame less per tier-0 call; see ``_at_depth``)
        interp._depth = args[-1]
        try:
            r = interp._run(c, list(args[:-1]))
        finally:
            interp._depth = saved
        return r[0] if nres == 1 else (tuple(r) if nres else None)

    stub.cells = cells  # type: ignore[attr-defined]
    return stub


def import_entry(f: Function) -> Callable[..., Any]:
    """A callable running imported function ``f`` with a host function's calling
    convention: arguments only, the depth in ``interp._depth`` (see ``call_import``)."""
    if isinstance(f, HostFunction):
        return interp.host_direct(f)
    return lambda *args: invoke(f, args, interp._depth)


def indirect(table: Any, ft: Any, known: Dict[Function, Callable[..., Any]], i: int,
             args: Tuple[Any, ...], depth: int) -> Any:
    """``call_indirect`` of element ``i`` of ``table`` with type ``ft`` the slow way: it
    checks and calls, and notes in the call site's ``known`` an element that passed
    the checks and has a callable that stays the same (a tier-1 function, or a host
    function's ``direct`` given the depth). Elements are keys, not indices: a table
    update needs no undoing."""
    elements = table.elements
    if i >= len(elements):
        raise Trap("undefined element")
    f = elements[i]
    if f is None:
        raise Trap("uninitialized element")
    if f.type is not ft and f.type != ft:
        raise Trap("indirect call type mismatch")
    r = invoke(f, args, depth)
    if isinstance(f, WasmFunction):
        if f.compiled.__class__ is Tier1:
            known[f] = f.compiled.fn
    elif f.direct is not None:  # type: ignore[attr-defined]
        direct = f.direct  # type: ignore[attr-defined]
        known[f] = lambda *a: _at_depth(a[-1], direct, *a[:-1])
    return r


def invoke(f: Function, args: Tuple[Any, ...], depth: int) -> Any:
    """Call any function with tier 1's calling convention, ``depth`` wasm frames deep."""
    if isinstance(f, WasmFunction):
        c = f.compiled
        if c.__class__ is Tier1:
            return c.fn(*args, depth)
        return entry(f)(*args, depth)
    if f.direct is not None:  # type: ignore[attr-defined]
        return _at_depth(depth, f.direct, *args)  # type: ignore[attr-defined]
    return _results(_at_depth(depth, interp.call_host, f, list(args)))


def _results(r: List[Any]) -> Any:
    """A result list in tier 1's convention: None, the value or a tuple."""
    n = len(r)
    return r[0] if n == 1 else (tuple(r) if n else None)


def _bind(kind: str, arg: Any, name: str, inst: ModuleInstance) -> Any:
    if kind == "helper":
        return HELPERS[name]
    if kind == "mem":
        return inst.mems[arg].data
    if kind == "view":
        return inst.mems[0].view(arg)
    if kind == "unpack":
        return UNPACK[arg]
    if kind == "pack":
        return PACK[arg]
    if kind == "struct":
        return getattr(struct, arg)
    if kind == "global":
        return inst.globals[arg]
    if kind == "table":
        return inst.tables[arg]
    if kind == "type":
        return inst.types[arg]
    if kind == "func":
        return entry(inst.funcs[arg]) if name.startswith("F") else inst.funcs[arg]  # type: ignore[arg-type]
    if kind == "import":
        return import_entry(inst.funcs[arg])
    if kind == "indirect":
        return indirect
    if kind == "callees":
        return {}
    if kind == "error":
        return struct.error
    if kind == "f32cell":
        return memoryview(bytearray(4)).cast("f")
    if kind == "frame":
        return interp.trap_frame(inst.funcs[arg])  # type: ignore[arg-type]
    if kind == "inlined":
        return {line: interp.trap_frame(inst.funcs[index]) for line, index in arg}  # type: ignore[arg-type]
    if kind == "handler":
        op, imm, n, has_d = arg
        ins = Instr(op, n if has_d else None, tuple(range(n)), imm)
        return FACTORIES[op](ins, None, inst)  # type: ignore[arg-type]
    raise AssertionError(kind)


def load(code: types.CodeType, bindings: List[Tuple[str, str, Any]], nparams: int,
         nresults: int, inst: ModuleInstance, gen: Optional[Generated] = None) -> Tier1:
    """The tier-1 function of ``make``'s code object, bound to ``inst``."""
    make = types.FunctionType(code, vars(interp))
    values = [_bind(kind, arg, name, inst) for name, kind, arg in bindings]
    fn = make(*values)
    free = fn.__code__.co_freevars
    for (name, kind, arg), value in zip(bindings, values):
        if hasattr(value, "cells") and name in free:  # a stub: let it rebind us on tier-up
            value.cells.append(fn.__closure__[free.index(name)])
        elif kind == "view" and name in free:  # memory.grow renews the view
            inst.mems[0].watch(arg, fn.__closure__[free.index(name)])
    return Tier1(fn, nparams, nresults, gen)



MAX_INSTRUCTIONS = 50_000
"""IR instructions above which a function stays in tier 0. ``compile()`` takes
about 20-25 us per IR instruction (measured on CPython 3.11: 1.3 s for a
straight-line function of 50,000) and the code lives as long as the process;
functions that big are mostly run-once initialisation."""

_HASHES: "weakref.WeakKeyDictionary[ModuleInstance, str]" = weakref.WeakKeyDictionary()
_INLINERS: "weakref.WeakKeyDictionary[ModuleInstance, Inliner]" = weakref.WeakKeyDictionary()


def _valid_entry(e: Any) -> bool:
    return (isinstance(e, tuple) and len(e) == 4 and isinstance(e[0], types.CodeType)
            and isinstance(e[1], list) and isinstance(e[2], int) and isinstance(e[3], int))


def _key(f: WasmFunction) -> Tuple[str, int]:
    inst = f.instance
    key_hash = _HASHES.get(inst)
    if key_hash is None:
        key_hash = _HASHES[inst] = cache.module_hash(inst.module)
    return (key_hash + "+fuel" if inst.metered else key_hash, f.index)  # metered code differs


def cached_tier1(f: WasmFunction) -> Optional[Tier1]:
    """``f``'s tier-1 code if the cache has it (a previous instance or process made
    it), else None; never compiles. Code already made is worth using at once."""
    return tier1(f) if cache.known(_key(f)) else None


KEEP_GENERATED = False
"""Whether a ``Tier1`` keeps its ``Generated`` (source and bindings, to look at: the
tests do). Off by default: the source of what a big program compiles is megabytes
(6 MB on qjs_reactor) and nothing runs it once compiled."""


def tier1(f: WasmFunction, validator: Optional[FuncValidator] = None,
          translated: Optional[Tuple[IRFunction, Region, Set[int]]] = None) -> Optional[Tier1]:
    """``f`` compiled to tier 1 (from the cache when it is there), or None when it
    cannot be: too big, or too much for ``compile()``. ``translated``: what
    ``translate`` returned for ``f``, when the caller has it (it is not changed)."""
    inst = f.instance
    inliner = _INLINERS.get(inst)
    if inliner is None:
        inliner = _INLINERS[inst] = Inliner(inst.module, validator)
    e, gen = cache_entry(inst.module, f.index, inst.metered, _key(f), validator, inliner, translated)
    if e is None:
        return None
    try:
        return load(e[0], e[1], e[2], e[3], inst, gen if KEEP_GENERATED else None)
    except (KeyError, IndexError, TypeError, AssertionError):
        if gen is not None:
            raise
        cache.clear_memory()  # a stale entry under a colliding key: start afresh
        return None


def cache_entry(module: syntax.Module, index: int, metered: bool, key: Tuple[str, int],
                validator: Optional[FuncValidator] = None, inliner: Optional[Inliner] = None,
                translated: Optional[Tuple[IRFunction, Region, Set[int]]] = None,
                ) -> Tuple[Optional[cache.Entry], Optional[Generated]]:
    """The cache entry of function ``index`` under ``key`` (compiled and stored when
    the cache has none; then with its ``Generated``), or None when it cannot be made.
    Needs no instance: code is bound to one only by ``load``. Keep one ``inliner``
    per module (it remembers the callees it translated); ``translated`` is
    ``translate``'s result for the function, if already at hand."""
    e = cache.get(key, _valid_entry)
    if e is not None:
        return e, None
    ir, root, skip = translated or translate(module, index, validator)
    if len(ir.code) > MAX_INSTRUCTIONS:
        return None, None
    inliner = inliner or Inliner(module, validator)
    gen = generate(ir, root, skip, module, metered=metered, inliner=inliner)
    try:
        code = compile_source(gen)
    except (SyntaxError, RecursionError, MemoryError):
        if gen.scheme == "dispatch":
            return None, None
        gen = generate(ir, root, skip, module, structured=False, metered=metered, inliner=inliner)
        try:
            code = compile_source(gen)
        except (SyntaxError, RecursionError, MemoryError):
            return None, None
    e = (code, gen.bindings, gen.nparams, gen.nresults)
    cache.put(key, e)
    return e, gen
