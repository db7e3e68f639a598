"""Translation of a function body into the register IR, riding the validator's pass.

The translator is a ``FuncValidator`` visitor (see the hook contract in
``validate.code``): it keeps ``locs``, a location for every operand on the
validator's type stack (``locs[h]`` is the register holding the value at height
``h``), and emits IR for consumers only. The frame layout is pictured in ``ir``;
in short a location is a local's index (``< L``), the value's own temporary
``L + h``, or a constant (negative). Invariants the emission relies on:

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
from .ir import Instr, IRFunction, RefFunc, const_key
from .numeric import SCALAR, f32_from_bits, f64_from_bits, i64_of
from .opcodes import BY_NAME, Op, all_ops
from .validate.code import FUNC, LOOP, Frame, FuncValidator

_M32 = 0xFFFFFFFF
_CONTROL = frozenset(BY_NAME[n] for n in ("block", "loop", "if", "else", "end"))
_COMPARES = frozenset(name for name, t in SCALAR.items() if t.cond is not None)


class _Label:
    """Per-block state in ``Frame.extra``: where a branch to the block goes."""

    __slots__ = ("start", "fixups", "if_jump")

    def __init__(self, start: int) -> None:
        self.start = start  # a loop's first instruction
        self.fixups: List[Any] = []  # Instr, or [target, copies] arms of a br_table
        self.if_jump: Optional[Instr] = None  # an `if`'s branch to its else/end


class Translator:
    """The visitor; ``translate_function`` is the way to use it."""

    def __init__(self) -> None:
        self.result: Optional[IRFunction] = None

    # -- hook --------------------------------------------------------------------

    def begin(self, v: FuncValidator) -> None:
        self.L = len(v.locals)
        self.code: List[Instr] = []
        self.locs: List[int] = []
        self.consts: List[Any] = []
        self.const_regs: Dict[Any, int] = {}
        self.max_h = 1
        self.last: Optional[Instr] = None  # the latest producer, while it may be retargeted
        self.dead = False
        v.ctrls[0].extra = _Label(-1)

    def end(self, v: FuncValidator) -> None:
        ft = v.functype
        self.result = IRFunction(v.func_index, ft, v.locals[len(ft.params):], self.max_h,
                                 self.consts, self.code)

    def instr(self, op: Op, imm: Any, offset: int, v: FuncValidator) -> None:
        if self.dead and op not in _CONTROL:
            self._resync(len(v.vals))
            return
        handler = _BY_OP[op]
        if handler is not None:
            handler(self, imm, v, v.height_before)
        else:
            self._generic(op.name, imm, v, v.height_before)
        h = len(v.vals)  # (the height before an instruction is the one after the last)
        if h > self.max_h:
            self.max_h = h
        self.dead = v.unreachable
        if self.dead:
            self._resync(h)

    # -- helpers -------------------------------------------------------------------

    def _resync(self, h: int) -> None:
        """Make ``locs`` as long as the type stack, new entries in their own slots."""
        locs = self.locs
        del locs[h:]
        L = self.L
        locs.extend(range(L + len(locs), L + h))

    def _emit(self, ins: Instr) -> Instr:
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

    def _copies(self, frame: Frame, top: int) -> Tuple[Tuple[int, int], ...]:
        """Copies a branch to ``frame`` needs, the carried values ending below height ``top``."""
        n = len(frame.labels)
        base = self.L + frame.height
        locs = self.locs
        out = []
        for i in range(n):
            src = locs[top - n + i]
            if src != base + i:
                out.append((base + i, src))
        return tuple(out)

    def _target(self, frame: Frame, ins: Any) -> int:
        """The branch target of ``frame``'s label (a forward one is patched at its end)."""
        label: _Label = frame.extra
        if frame.kind is LOOP or frame.kind is FUNC:
            return label.start
        label.fixups.append(ins)
        return -1

    def _branch(self, op: str, frame: Frame, top: int, a: Tuple[int, ...]) -> None:
        ins = Instr(op, None, a, copies=self._copies(frame, top))
        ins.target = self._target(frame, ins)
        self._emit(ins)

    # -- instructions ----------------------------------------------------------------

    def _generic(self, name: str, imm: Any, v: FuncValidator, hb: int) -> None:
        locs = self.locs
        base = hb - len(v.popped)
        srcs = tuple(locs[base:hb])
        del locs[base:]
        npushed = len(v.pushed)
        if npushed:
            d = self.L + base
            ins = self._emit(Instr(name, d, srcs, imm))
            locs.extend(range(d, d + npushed))
            if npushed == 1:
                self.last = ins
        else:
            self._emit(Instr(name, None, srcs, imm))

    def _local_get(self, imm: int, v: FuncValidator, hb: int) -> None:
        self.locs.append(imm)

    def _assign(self, x: int, hb: int, keep: bool) -> None:
        """``local.set x`` (``keep`` false) or ``local.tee x`` of the value at ``hb - 1``."""
        locs = self.locs
        top = hb - 1
        src = locs[top]
        if src == x:
            if not keep:
                locs.pop()
            return
        last = self.last
        pending = x in locs[:top]
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

    def _local_set(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._assign(imm, hb, False)

    def _local_tee(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._assign(imm, hb, True)

    def _drop(self, imm: None, v: FuncValidator, hb: int) -> None:
        self.locs.pop()

    def _nop(self, imm: None, v: FuncValidator, hb: int) -> None:
        pass

    def _i32_const(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(imm & _M32, "i32")

    def _i64_const(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(i64_of(imm), "i64")

    def _f32_const(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(f32_from_bits(imm), "f32")

    def _f64_const(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(f64_from_bits(imm), "f64")

    def _v128_const(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(imm, "v128")

    def _lowered(self, name: str, imm: Any, v: FuncValidator, hb: int) -> None:
        """A SIMD memory instruction as two IR instructions (see ``_LOWERED``)."""
        first, second = _LOWERED[name]
        locs = self.locs
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

    def _ref_null(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(None, "ref")

    def _ref_func(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._const(RefFunc(imm), "ref")

    def _unreachable(self, imm: None, v: FuncValidator, hb: int) -> None:
        self._emit(Instr("unreachable"))

    def _enter(self, imm: int, v: FuncValidator, hb: int) -> None:
        """``block`` and ``loop``; ``if`` adds its conditional jump."""
        frame = v.ctrls[-1]
        if self.dead:
            self._resync(len(v.vals))
        else:
            self._materialize_locals(frame.height)
            self._materialize(frame.height, len(v.vals))
        self.last = None
        frame.extra = _Label(len(self.code))

    def _if(self, imm: int, v: FuncValidator, hb: int) -> None:
        locs = self.locs
        frame = v.ctrls[-1]
        if self.dead:
            self._resync(len(v.vals))
            cond_ins = Instr("br_unless", None, (self.L,))
        else:
            cond = locs.pop()
            fused = self._fusable(cond)
            self._materialize_locals(frame.height)
            self._materialize(frame.height, len(v.vals))
            if fused is not None:
                cond_ins = Instr("br_unless." + fused.op, None, fused.a)
            else:
                cond_ins = Instr("br_unless", None, (cond,))
        self._emit(cond_ins)
        label = frame.extra = _Label(-1)
        label.if_jump = cond_ins

    def _else(self, imm: None, v: FuncValidator, hb: int) -> None:
        frame = v.ctrls[-1]
        label: _Label = frame.extra
        if not self.dead:
            self._materialize(frame.height, frame.height + len(frame.results))
            self._branch("br", frame, frame.height + len(frame.results), ())
        assert label.if_jump is not None
        label.if_jump.target = len(self.code)
        label.if_jump = None
        self.last = None
        self._resync(frame.height)
        self._resync(len(v.vals))

    def _end(self, imm: None, v: FuncValidator, hb: int) -> None:
        frame = v.closed
        assert frame is not None
        label: _Label = frame.extra
        nres = len(frame.results)
        if not self.dead:
            self._materialize(frame.height, frame.height + nres)
        if frame.kind is not FUNC:
            pc = len(self.code)
            for fix in label.fixups:
                if isinstance(fix, Instr):
                    fix.target = pc
                else:
                    fix[0] = pc
            if label.if_jump is not None:
                label.if_jump.target = pc
        self.last = None
        self._resync(frame.height)
        self._resync(len(v.vals))

    def _br(self, imm: int, v: FuncValidator, hb: int) -> None:
        self._branch("br", v.ctrls[-1 - imm], hb, ())

    def _return(self, imm: None, v: FuncValidator, hb: int) -> None:
        self._branch("br", v.ctrls[0], hb, ())

    def _br_if(self, imm: int, v: FuncValidator, hb: int) -> None:
        cond = self.locs.pop()
        fused = self._fusable(cond)
        frame = v.ctrls[-1 - imm]
        if fused is not None:
            self._branch("br_if." + fused.op, frame, hb - 1, fused.a)
        else:
            self._branch("br_if", frame, hb - 1, (cond,))

    def _br_table(self, imm: Tuple[Tuple[int, ...], int], v: FuncValidator, hb: int) -> None:
        labels, default = imm
        index = self.locs.pop()
        arms: List[List[Any]] = []
        for depth in labels + (default,):
            frame = v.ctrls[-1 - depth]
            arm: List[Any] = [-1, self._copies(frame, hb - 1)]
            arm[0] = self._target(frame, arm)
            arms.append(arm)
        self._emit(Instr("br_table", None, (index,), arms))


_SPECIAL: Dict[str, Callable[..., None]] = {
    "local.get": Translator._local_get, "local.set": Translator._local_set,
    "local.tee": Translator._local_tee, "drop": Translator._drop, "nop": Translator._nop,
    "i32.const": Translator._i32_const, "i64.const": Translator._i64_const,
    "f32.const": Translator._f32_const, "f64.const": Translator._f64_const,
    "ref.null": Translator._ref_null, "ref.func": Translator._ref_func,
    "unreachable": Translator._unreachable, "block": Translator._enter, "loop": Translator._enter,
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
    _SPECIAL[_name] = lambda self, imm, v, hb, _name=_name: self._lowered(_name, imm, v, hb)
_SPECIAL["v128.const"] = Translator._v128_const

_BY_OP: Dict[Op, Optional[Callable[..., None]]] = {op: _SPECIAL.get(op.name) for op in all_ops()}
"""Op -> its handler here, or None for the ops ``_generic`` emits."""


def translate_function(module: syntax.Module, func_index: int,
                       validator: Optional[FuncValidator] = None,
                       translator: Optional[Translator] = None) -> IRFunction:
    """The register IR of defined function ``func_index`` (an index in the function
    index space). Validates the body on the way (a module is validated before it is
    instantiated, so errors here mean a bug or an unvalidated module). ``translator`` may be a subclass
    recording more (tier 1 records the block structure)."""
    v = validator or FuncValidator(module)
    nimported = len(module.imports_of(syntax.EXTERN_FUNC))
    body = module.codes[func_index - nimported]
    ft = module.types[module.funcs[func_index - nimported]]
    t = translator or Translator()
    v.validate_function(func_index, ft, body, t)
    assert t.result is not None
    return t.result
