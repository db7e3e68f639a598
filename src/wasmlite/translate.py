"""Translation of a validated function body into the register IR, in one pass.

The translator walks the body once, decoding as it goes, and keeps ``locs``, a
location for every operand on the stack (``locs[h]`` is the register holding the
value at height ``h``); it emits IR for consumers only. It checks no types: a
body is validated before it is translated (``Module`` validates every body at
once; ``translate_function`` validates the one body of a module nobody validated),
so it needs only each instruction's arity, and it skips unreachable code (after
``br``, ``br_table``, ``return``, ``unreachable``) to the ``else`` or ``end`` of its
block without looking at it. The frame layout is pictured in ``ir``; in short a
location is a local's index (``< L``), the value's own temporary ``L + h``, or a
constant (negative). Invariants the emission relies on:

* an entry at height ``h`` is a local, a constant, or exactly ``L + h``;
* at every block boundary (``block``, ``loop``, ``if``, ``else``, ``end``) the
  values the block takes or gives sit in their own temporaries, and no entry
  below the block refers to a local (so a ``local.set`` inside the block never
  needs to preserve anything outside it along only some paths);
* a branch's copies go from the operands to the target's own temporaries, in
  increasing height: an operand is never below its destination, so no copy
  clobbers a later source.

Optimisations done while streaming: providers (``local.get``, constants,
``ref.null``, ``ref.func``) emit nothing; ``local.set``/``local.tee`` right after a
single-result producer retarget it instead of copying (unless a pending read of
the local would see the new value); a comparison (or ``eqz``) feeding ``br_if`` or
``if`` fuses into one compare-and-branch.

The SIMD memory instructions other than ``v128.load``/``v128.store`` are lowered
(``_LOWERED``) to a scalar load or store and a lane instruction, e.g.
``v128.load8x8_s`` to ``v128.load64_zero`` (a load of 8 bytes, an engine load
like the scalar ones) then ``i16x8.extend_low_i8x16_s``, ``v128.store16_lane``
to ``i16x8.extract_lane_u`` into the temporary above the operands then
``i32.store16``. The engine tiers then need nothing of their own for them, and
their bounds checks and traps are the scalar instructions'.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from . import syntax
from .decode.body import MEMARGS, INDEX_OPS, READERS, read_instr, read_local_decls
from .decode.reader import read_u32
from .ir import OPERANDS, OPERANDS_MAX, Instr, IRFunction, RefFunc, const_key
from .numeric import SCALAR, f32_from_bits, f64_from_bits, i64_of
from .opcodes import BY_NAME, SINGLE_BYTE, Op, all_ops
from .validate.code import BLOCK, ELSE, FUNC, IF, LOOP, FuncValidator

_M32 = 0xFFFFFFFF
_COMPARES = frozenset(name for name, t in SCALAR.items() if t.cond is not None)


class _Block:
    """An open block: its kind (``validate.code``'s names), the stack height below
    its parameters, its arities, and where a branch to it goes: a loop's first
    instruction (``start``; -1 for the function: the end), or later, for the
    others (``fixups``: Instrs, and ``[target, copies]`` arms of a br_table, to patch
    at its end; ``if_jump``: an ``if``'s branch to its else or end)."""

    __slots__ = ("kind", "height", "nparams", "nresults", "nlabels", "start", "fixups", "if_jump")

    def __init__(self, kind: str, height: int, nparams: int, nresults: int, start: int) -> None:
        self.kind = kind
        self.height = height
        self.nparams = nparams
        self.nresults = nresults
        self.nlabels = nparams if kind is LOOP else nresults
        self.start = start
        self.fixups: List[Any] = []
        self.if_jump: Optional[Instr] = None


# What the walk does per Op: (kind, operands popped, results pushed, name). The
# _K_FIXED ops (and calls, once their arity is known) emit one Instr of their own
# name; the kinds from _K_SPECIAL on are Translator methods (``_SPECIAL``).
_K_LOCAL_GET = 0
_K_FIXED = 1
_K_CONST = 2
_K_CALL = 3
_K_CALL_INDIRECT = 4
_K_SPECIAL = 5

# How the walk reads an opcode byte's immediate (``_STEPS``): none, one u32 index,
# a memarg (its two-byte form inline, as ``decode.body`` shares it), a block type
# (one byte inline), or through the decoder's reader.
_H_NONE = 0
_H_INDEX = 1
_H_MEMARG = 2
_H_BLOCKTYPE = 3
_H_READER = 4

_VARIABLE = {"select": (3, 1), "global.get": (0, 1), "global.set": (1, 0), "table.get": (1, 1),
             "table.set": (2, 0), "table.grow": (2, 1), "table.fill": (3, 0), "ref.is_null": (1, 1)}
"""The arity of the instructions without a fixed signature that are emitted as they are."""


class Translator:
    """One function's translation (``translate_function`` is the way to use it). A
    subclass may watch the block structure through ``begin``/``opened``/``elsed``/``closed``."""

    result: Optional[IRFunction] = None

    # -- hooks: block structure, called with ``code`` as it stands ----------------

    def begin(self) -> None:
        """Before the first instruction."""

    def opened(self, kind: str) -> None:
        """After a ``block``, ``loop`` or ``if`` (whose branch to its else or end is
        the last instruction of ``code``)."""

    def elsed(self, live: bool) -> None:
        """After an ``else``; ``live``: the then-arm's end was reachable (so the last
        instruction of ``code`` is its branch over the else-arm)."""

    def closed(self, kind: str) -> None:
        """After an ``end`` closing a block of ``kind`` (``FUNC`` last)."""

    # -- the walk -------------------------------------------------------------------

    def translate(self, v: FuncValidator, func_index: int, ft: syntax.FuncType,
                  body: syntax.FuncBody) -> IRFunction:
        """The IR of ``body`` (valid); ``v`` gives the module's types."""
        decls, total, pos = read_local_decls(body)
        local_types: List[int] = []
        for n, t in decls:
            local_types.extend((t,) * n)
        L = self.L = len(ft.params) + total
        code: List[Instr] = []
        locs: List[int] = []
        self.code = code
        self.locs = locs
        self.consts: List[Any] = []
        self.const_regs: Dict[Any, int] = {}
        self.max_h = 1
        self.last: Optional[Instr] = None  # the latest producer, while it may be retargeted
        self.dead = False
        self.sigs = v.block_sigs
        ctrls = self.ctrls = [_Block(FUNC, 0, 0, len(ft.results), -1)]
        self.begin()
        funcs, types = v.funcs, v.types
        source, end = body.source, body.end
        if len(OPERANDS) >= OPERANDS_MAX:
            OPERANDS.clear()
        operands = OPERANDS
        const_regs = self.const_regs
        steps, readers, info, special, memargs = _STEPS, READERS, _INFO, _SPECIAL, MEMARGS
        imm: Any
        srcs: Tuple[int, ...]
        while ctrls:
            b = source[pos]
            step = steps[b]
            if step is None:  # a prefixed instruction
                op, imm, pos = readers[b](source, pos + 1, end)
                kind, npop, npush, name = info[op]
            else:
                kind, npop, npush, name, how = step
                if how == _H_INDEX:
                    imm = source[pos + 1]
                    if imm < 0x80:
                        pos += 2
                    else:
                        imm, pos = read_u32(source, pos + 1, end)
                    if kind == 0:  # local.get
                        locs.append(imm)
                        if len(locs) > self.max_h:
                            self.max_h = len(locs)
                        continue
                elif how == _H_NONE:
                    pos += 1
                    imm = None
                elif how == _H_MEMARG:
                    x = source[pos + 2]
                    if x < 0x80:
                        imm = memargs.get(source[pos + 1] << 7 | x)
                        if imm is not None:
                            pos += 3
                        else:
                            _, imm, pos = readers[b](source, pos + 1, end)
                    elif source[pos + 3] < 0x80 and source[pos + 1] < 0x20:  # a two-byte offset
                        imm = (source[pos + 1], x & 0x7F | source[pos + 3] << 7)
                        pos += 4
                    else:
                        _, imm, pos = readers[b](source, pos + 1, end)
                elif kind == 2:  # i32.const
                    imm = source[pos + 1]
                    if imm < 0x40:
                        pos += 2
                    elif imm < 0x80:
                        imm = (imm - 0x80) & _M32
                        pos += 2
                    elif source[pos + 2] < 0x80:
                        imm = (imm & 0x7F | ((source[pos + 2] ^ 0x40) - 0x40) << 7) & _M32
                        pos += 3
                    else:
                        _, imm, pos = readers[b](source, pos + 1, end)
                        imm &= _M32
                    reg = const_regs.get(imm)
                    if reg is None:
                        self.consts.append(imm)
                        reg = const_regs[imm] = -len(self.consts)
                    locs.append(reg)
                    if len(locs) > self.max_h:
                        self.max_h = len(locs)
                    continue
                elif how == _H_BLOCKTYPE and source[pos + 1] < 0x80:
                    imm = source[pos + 1]
                    if imm >= 0x40:
                        imm -= 0x80
                    pos += 2
                else:
                    _, imm, pos = readers[b](source, pos + 1, end)
            if kind >= 3:
                if kind == 3:
                    callee = funcs[imm]
                    npop, npush = len(callee.params), len(callee.results)
                elif kind == 4:
                    callee = types[imm[0]]
                    npop, npush = len(callee.params) + 1, len(callee.results)
                else:
                    special[kind](self, imm, name)
                    if self.dead:
                        pos = _skip(source, pos, end)
                    continue
            # one instruction of its own name, taking npop operands, giving npush results
            if npop == 2:
                x = locs.pop()
                srcs = (locs.pop(), x)
            elif npop == 1:
                srcs = (locs.pop(),)
            else:
                base = len(locs) - npop
                srcs = tuple(locs[base:])
                del locs[base:]
            srcs = operands.setdefault(srcs, srcs)
            if npush:
                d = L + len(locs)
                ins = Instr(name, d, srcs, imm)
                code.append(ins)
                if npush == 1:
                    locs.append(d)
                    self.last = ins
                else:
                    locs.extend(range(d, d + npush))
                    self.last = None
                if len(locs) > self.max_h:
                    self.max_h = len(locs)
            else:
                code.append(Instr(name, None, srcs, imm))
                self.last = None
        self.result = IRFunction(func_index, ft, tuple(local_types), self.max_h, self.consts, code)
        return self.result

    # -- helpers -------------------------------------------------------------------

    def _resync(self, h: int) -> None:
        """Make ``locs`` ``h`` long, new entries in their own slots."""
        locs = self.locs
        del locs[h:]
        L = self.L
        locs.extend(range(L + len(locs), L + h))
        if h > self.max_h:
            self.max_h = h

    def _emit(self, ins: Instr) -> Instr:
        ins.a = OPERANDS.setdefault(ins.a, ins.a)
        self.code.append(ins)
        self.last = None
        return ins

    def _const(self, value: Any, kind: str) -> None:
        key = const_key(value, kind)
        reg = self.const_regs.get(key)
        if reg is None:
            self.consts.append(value)
            reg = self.const_regs[key] = -len(self.consts)
        self.locs.append(reg)
        if len(self.locs) > self.max_h:
            self.max_h = len(self.locs)

    def _materialize(self, lo: int, hi: int) -> None:
        """Put the values at heights ``lo..hi-1`` into their own slots."""
        locs = self.locs
        L = self.L
        for h in range(lo, hi):
            own = L + h
            if locs[h] != own:
                self._emit(Instr("copy", own, (locs[h],)))
                locs[h] = own

    def _materialize_locals(self, hi: int) -> None:
        locs = self.locs
        L = self.L
        for h in range(hi):
            if 0 <= locs[h] < L:
                self._emit(Instr("copy", L + h, (locs[h],)))
                locs[h] = L + h

    def _fusable(self, cond: int) -> Optional[Instr]:
        """The comparison computing ``cond`` if it was the last thing emitted (then removed)."""
        last = self.last
        if last is not None and last.d == cond and last.op in _COMPARES and self.code[-1] is last:
            self.code.pop()
            self.last = None
            return last
        return None

    def _copies(self, block: _Block, top: int) -> Tuple[Tuple[int, int], ...]:
        """Copies a branch to ``block`` needs, the carried values ending below height ``top``."""
        n = block.nlabels
        base = self.L + block.height
        locs = self.locs
        out = []
        for i in range(n):
            src = locs[top - n + i]
            if src != base + i:
                out.append((base + i, src))
        return tuple(out)

    @staticmethod
    def _target(block: _Block, ins: Any) -> int:
        """The branch target of ``block``'s label (a forward one is patched at its end)."""
        if block.kind is LOOP or block.kind is FUNC:
            return block.start
        block.fixups.append(ins)
        return -1

    def _branch(self, op: str, block: _Block, top: int, a: Tuple[int, ...]) -> None:
        ins = Instr(op, None, a, copies=self._copies(block, top))
        ins.target = self._target(block, ins)
        self._emit(ins)

    # -- the instructions with methods of their own (imm, then the Op's name) -------

    def _assign(self, x: int, name: str) -> None:
        """``local.set x`` or ``local.tee x`` (``name``) of the value on top."""
        keep = name == "local.tee"
        locs = self.locs
        top = len(locs) - 1
        src = locs[top]
        if src == x:
            if not keep:
                locs.pop()
            return
        last = self.last
        pending = x in locs  # (below the top: that is src)
        if last is not None and last.d == src and not pending and self.code[-1] is last:
            last.d = x
        else:
            if pending:
                L = self.L
                for h in range(top):
                    if locs[h] == x:
                        self._emit(Instr("copy", L + h, (x,)))
                        locs[h] = L + h
            self._emit(Instr("copy", x, (src,)))
        self.last = None
        if keep:
            locs[top] = x
        else:
            locs.pop()

    def _drop(self, imm: None, name: str) -> None:
        self.locs.pop()

    def _nop(self, imm: None, name: str) -> None:
        pass

    def _i64_const(self, imm: int, name: str) -> None:
        self._const(i64_of(imm), "i64")

    def _f32_const(self, imm: int, name: str) -> None:
        self._const(f32_from_bits(imm), "f32")

    def _f64_const(self, imm: int, name: str) -> None:
        self._const(f64_from_bits(imm), "f64")

    def _v128_const(self, imm: int, name: str) -> None:
        self._const(imm, "v128")

    def _ref_null(self, imm: int, name: str) -> None:
        self._const(None, "ref")

    def _ref_func(self, imm: int, name: str) -> None:
        self._const(RefFunc(imm), "ref")

    def _lowered(self, imm: Any, name: str) -> None:
        """A SIMD memory instruction as two IR instructions (see ``_LOWERED``)."""
        first, second = _LOWERED[name]
        locs = self.locs
        hb = len(locs)
        memarg = imm[:2]
        if name.startswith("v128.store"):  # extract the lane above the operands, store it
            assert second is not None
            addr, vec = locs[hb - 2], locs[hb - 1]
            tmp = self.L + hb
            self.max_h = max(self.max_h, hb + 1)
            del locs[hb - 2:]
            self._emit(Instr(first, tmp, (vec,), imm[2]))
            self._emit(Instr(second, None, (addr, tmp), memarg))
            return
        if name.endswith("_lane"):  # load into the temporary above, replace the lane
            assert second is not None
            addr, vec = locs[hb - 2], locs[hb - 1]
            d, tmp = self.L + hb - 2, self.L + hb
            self.max_h = max(self.max_h, hb + 1)
            del locs[hb - 2:]
            self._emit(Instr(first, tmp, (addr,), memarg))
            ins = self._emit(Instr(second, d, (vec, tmp), imm[2]))
        else:  # load, then widen or splat in place
            d = self.L + hb - 1
            ins = self._emit(Instr(first, d, (locs.pop(),), memarg))
            if second is not None:
                ins = self._emit(Instr(second, d, (d,)))
        locs.append(d)
        self.last = ins

    def _unreachable(self, imm: None, name: str) -> None:
        self._emit(Instr("unreachable"))
        self.dead = True

    def _open(self, kind: str, bt: int, height: int) -> _Block:
        """A new block of type ``bt`` over the operands below ``height``: its
        parameters and everything below in their own slots first."""
        params, results = self.sigs[bt]
        block = _Block(kind, height - len(params), len(params), len(results), -1)
        if height:
            self._materialize_locals(block.height)
            if params:
                self._materialize(block.height, height)
        self.ctrls.append(block)
        return block

    def _block(self, imm: int, name: str) -> None:
        self._open(BLOCK, imm, len(self.locs))
        self.last = None
        self.opened(BLOCK)

    def _loop(self, imm: int, name: str) -> None:
        block = self._open(LOOP, imm, len(self.locs))
        block.start = len(self.code)  # (after the copies into its parameters' slots)
        self.last = None
        self.opened(LOOP)

    def _if(self, imm: int, name: str) -> None:
        cond = self.locs.pop()
        fused = self._fusable(cond)
        block = self._open(IF, imm, len(self.locs))
        if fused is not None:
            block.if_jump = self._emit(Instr(_BR_UNLESS_FUSED[fused.op], None, fused.a))
        else:
            block.if_jump = self._emit(Instr("br_unless", None, (cond,)))
        self.opened(IF)

    def _else(self, imm: None, name: str) -> None:
        block = self.ctrls[-1]
        live = not self.dead
        if live:
            top = block.height + block.nresults
            self._materialize(block.height, top)
            self._branch("br", block, top, ())
        assert block.if_jump is not None
        block.if_jump.target = len(self.code)
        block.if_jump = None
        block.kind = ELSE
        self.last = None
        self._resync(block.height)
        self._resync(block.height + block.nparams)
        self.dead = False
        self.elsed(live)

    def _end(self, imm: None, name: str) -> None:
        block = self.ctrls.pop()
        top = block.height + block.nresults
        if not self.dead:
            self._materialize(block.height, top)
        pc = len(self.code)
        for fix in block.fixups:
            if isinstance(fix, Instr):
                fix.target = pc
            else:
                fix[0] = pc
        if block.if_jump is not None:
            block.if_jump.target = pc
        self.last = None
        locs = self.locs
        del locs[block.height:]
        if len(locs) < top:  # the results in their own slots
            L = self.L
            locs.extend(range(L + len(locs), L + top))
            if top > self.max_h:
                self.max_h = top
        self.dead = False  # (the enclosing block was reachable, or this one was skipped)
        self.closed(block.kind)

    def _br(self, imm: int, name: str) -> None:
        self._branch("br", self.ctrls[-1 - imm], len(self.locs), ())
        self.dead = True

    def _return(self, imm: None, name: str) -> None:
        self._branch("br", self.ctrls[0], len(self.locs), ())
        self.dead = True

    def _br_if(self, imm: int, name: str) -> None:
        """(``_fusable`` and ``_branch`` inline: a tenth of a real program's instructions.)"""
        locs = self.locs
        cond = locs.pop()
        block = self.ctrls[-1 - imm]
        copies = self._copies(block, len(locs)) if block.nlabels else ()
        last = self.last
        code = self.code
        if last is not None and last.d == cond and last.op in _COMPARES and code[-1] is last:
            code.pop()
            ins = Instr(_BR_IF_FUSED[last.op], None, last.a, None, -1, copies)
        else:
            a = (cond,)
            ins = Instr("br_if", None, OPERANDS.setdefault(a, a), None, -1, copies)
        if block.kind is LOOP or block.kind is FUNC:
            ins.target = block.start
        else:
            block.fixups.append(ins)
        code.append(ins)
        self.last = None

    def _br_table(self, imm: Tuple[Tuple[int, ...], int], name: str) -> None:
        labels, default = imm
        index = self.locs.pop()
        top = len(self.locs)
        arms: List[List[Any]] = []
        for depth in labels + (default,):
            block = self.ctrls[-1 - depth]
            arm: List[Any] = [-1, self._copies(block, top)]
            arm[0] = self._target(block, arm)
            arms.append(arm)
        self._emit(Instr("br_table", None, (index,), arms))
        self.dead = True


_BR_IF_FUSED = {op: "br_if." + op for op in _COMPARES}
_BR_UNLESS_FUSED = {op: "br_unless." + op for op in _COMPARES}

_BLOCK_OPENERS = tuple(BY_NAME[name].code for name in ("block", "loop", "if"))
_ELSE_BYTE = BY_NAME["else"].code
_END_BYTE = BY_NAME["end"].code


def _skip(source: bytes, pos: int, end: int) -> int:
    """The position of the ``else`` or ``end`` ending the block whose code from ``pos``
    on is unreachable (blocks nested in it skipped whole)."""
    depth = 0
    while True:
        b = source[pos]
        if b == _END_BYTE:
            if not depth:
                return pos
            depth -= 1
        elif b == _ELSE_BYTE:
            if not depth:
                return pos
        elif b in _BLOCK_OPENERS:
            depth += 1
        pos = read_instr(source, pos, end)[2]


_SPECIAL_METHODS: Dict[str, Callable[..., None]] = {
    "local.set": Translator._assign, "local.tee": Translator._assign, "drop": Translator._drop,
    "nop": Translator._nop, "i64.const": Translator._i64_const, "f32.const": Translator._f32_const,
    "f64.const": Translator._f64_const, "v128.const": Translator._v128_const,
    "ref.null": Translator._ref_null, "ref.func": Translator._ref_func,
    "unreachable": Translator._unreachable, "block": Translator._block, "loop": Translator._loop,
    "if": Translator._if, "else": Translator._else, "end": Translator._end, "br": Translator._br,
    "br_if": Translator._br_if, "br_table": Translator._br_table, "return": Translator._return,
}  # fmt: skip

_LOWERED: Dict[str, Tuple[str, Optional[str]]] = {
    "v128.load8x8_s": ("v128.load64_zero", "i16x8.extend_low_i8x16_s"),
    "v128.load8x8_u": ("v128.load64_zero", "i16x8.extend_low_i8x16_u"),
    "v128.load16x4_s": ("v128.load64_zero", "i32x4.extend_low_i16x8_s"),
    "v128.load16x4_u": ("v128.load64_zero", "i32x4.extend_low_i16x8_u"),
    "v128.load32x2_s": ("v128.load64_zero", "i64x2.extend_low_i32x4_s"),
    "v128.load32x2_u": ("v128.load64_zero", "i64x2.extend_low_i32x4_u"),
    "v128.load8_splat": ("i32.load8_u", "i8x16.splat"),
    "v128.load16_splat": ("i32.load16_u", "i16x8.splat"),
    "v128.load32_splat": ("i32.load", "i32x4.splat"),
    "v128.load64_splat": ("i64.load", "i64x2.splat"),
    "v128.load32_zero": ("i32.load", None),
    "v128.load64_zero": ("v128.load64_zero", None),
    "v128.load8_lane": ("i32.load8_u", "i8x16.replace_lane"),
    "v128.load16_lane": ("i32.load16_u", "i16x8.replace_lane"),
    "v128.load32_lane": ("i32.load", "i32x4.replace_lane"),
    "v128.load64_lane": ("i64.load", "i64x2.replace_lane"),
    "v128.store8_lane": ("i8x16.extract_lane_u", "i32.store8"),
    "v128.store16_lane": ("i16x8.extract_lane_u", "i32.store16"),
    "v128.store32_lane": ("i32x4.extract_lane", "i32.store"),
    "v128.store64_lane": ("i64x2.extract_lane", "i64.store"),
}  # fmt: skip
"""SIMD memory instruction -> (first, second) IR instruction it is lowered to."""

for _name in _LOWERED:
    _SPECIAL_METHODS[_name] = Translator._lowered


def _info() -> Tuple[Dict[Op, Tuple[int, int, int, str]], List[Callable[..., None]]]:
    """``_INFO`` and ``_SPECIAL``: the special kinds number the methods."""
    info: Dict[Op, Tuple[int, int, int, str]] = {}
    methods: List[Callable[..., None]] = [None] * _K_SPECIAL  # type: ignore[list-item]
    for op in all_ops():
        name = op.name
        method = _SPECIAL_METHODS.get(name)
        if name == "local.get":
            info[op] = (_K_LOCAL_GET, 0, 1, name)
        elif name == "i32.const":
            info[op] = (_K_CONST, 0, 1, name)
        elif name == "call":
            info[op] = (_K_CALL, 0, 0, name)
        elif name == "call_indirect":
            info[op] = (_K_CALL_INDIRECT, 0, 0, name)
        elif method is not None:
            if method not in methods:
                methods.append(method)
            info[op] = (methods.index(method), 0, 0, name)
        elif op.params is None:
            info[op] = (_K_FIXED, *_VARIABLE[name], name)
        else:
            info[op] = (_K_FIXED, len(op.params), len(op.results), name)  # type: ignore[arg-type]
    return info, methods


_INFO, _SPECIAL = _info()

_HOW = {"": _H_NONE, "memarg": _H_MEMARG, "blocktype": _H_BLOCKTYPE}
_STEPS: List[Optional[Tuple[int, int, int, str, int]]] = [None] * 256
"""Opcode byte -> ``_INFO``'s step and how to read the immediate; None for the
prefixes (their instructions go through the reader and ``_INFO``)."""
for _code, _op in SINGLE_BYTE.items():
    _STEPS[_code] = (*_INFO[_op], _H_INDEX if INDEX_OPS[_code] is not None else _HOW.get(_op.imm, _H_READER))


def translate_function(module: syntax.Module, func_index: int,
                       validator: Optional[FuncValidator] = None,
                       translator: Optional[Translator] = None) -> IRFunction:
    """The register IR of defined function ``func_index`` (an index in the function
    index space). The body is validated first unless the whole module was
    (``module.validated``). ``validator`` (the module's, to reuse) gives the
    module's types; ``translator`` may be a subclass recording more (tier 1 records
    the block structure)."""
    v = validator or FuncValidator(module)
    nimported = len(module.imports_of(syntax.EXTERN_FUNC))
    body = module.codes[func_index - nimported]
    ft = module.types[module.funcs[func_index - nimported]]
    if not module.validated:
        v.validate_function(func_index, ft, body)
    return (translator or Translator()).translate(v, func_index, ft, body)
