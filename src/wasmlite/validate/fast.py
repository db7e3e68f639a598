"""The fast path of body validation: reachable code of the common instructions.

``FuncValidator`` (``code``) checks any body exactly, with a handler call, a
decoded ``(op, immediate)`` tuple and the spec's unknown-type bookkeeping per
instruction: ~0.5 us each on CPython. Real programs are almost entirely
reachable code of a few dozen instructions, so ``check_body`` first walks the
body with as few Python steps per instruction as it can: the body as a list of
ints, one dispatch on the opcode byte, short immediates read inline, the operand
types in a plain list. It only ever answers "valid" (True) or "let the exact validator decide"
(False), never raises, so error messages and offsets stay those of ``code``.

It gives up (False) on anything outside its subset: an instruction it does not
know (SIMD, tables, references, bulk memory other than ``memory.copy``/``fill``,
typed ``select``), multi-byte encodings where a one-byte one is the rule
(alignment, block type index, prefixed sub-opcode), code after ``br``,
``br_table``, ``return`` or ``unreachable`` that is not the block's ``end`` or
``else`` (the spec's unknown types never arise here), an ``if`` without ``else``
whose parameters differ from its results, and every type mismatch.

Each control frame's base in the operand list holds ``MARK``, a value no type
equals: comparing the top of the list with an instruction's operand types
therefore also checks that they belong to the current frame.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from ..decode.reader import read_len, read_s32, read_s64, read_u32
from ..errors import WasmError
from ..opcodes import PREFIX_FC, PREFIXED_FC, SINGLE_BYTE, Op
from ..syntax import FUNCREF, I32, NUM_TYPES, V128

MARK = 0
"""A control frame's base in the operand list (no value type is 0)."""

_NUM_OR_VEC = frozenset(NUM_TYPES + (V128,))

# Step kinds, by opcode byte (``_STEPS``). The loop tests them as literals: first
# whether the instruction has one u32 index (kinds 1-8), then commonest first.
_LOCAL_GET = 1
_LOCAL_TEE = 2
_LOCAL_SET = 3
_BR_IF = 4
_CALL = 5
_BR = 6
_GLOBAL_GET = 7
_GLOBAL_SET = 8
_CONST = 9  # i32.const, i64.const: (result, LEB reader, longest encoding any bytes make valid)
_BINARY = 10  # (first param, second param, result)
_END = 11
_LOAD = 12  # (natural alignment exponent, result)
_BLOCK = 13  # block, loop, if: (frame kind)
_STORE = 14  # (natural alignment exponent, value type)
_UNARY = 15  # (param, result)
_ELSE = 16
_RETURN = 17
_UNREACHABLE = 18
_BR_TABLE = 19
_DROP = 20
_SELECT = 21
_CALL_INDIRECT = 22
_FLOAT_CONST = 23  # f32.const, f64.const: (result, immediate size)
_NOP = 24
_MEMORY = 25  # memory.size, memory.grow: (params, result)
_PREFIX_FC = 26
_OTHER = 27  # not in the fast path's subset

# Frame kinds (a frame is (kind, base, labels, results with MARK, params with MARK)).
_F_BLOCK = 0
_F_LOOP = 1
_F_IF = 2

_BY_NAME = {
    "local.get": _LOCAL_GET, "local.set": _LOCAL_SET, "local.tee": _LOCAL_TEE, "end": _END,
    "br_if": _BR_IF, "block": _BLOCK, "loop": _BLOCK, "if": _BLOCK, "call": _CALL, "br": _BR,
    "else": _ELSE, "return": _RETURN, "unreachable": _UNREACHABLE, "br_table": _BR_TABLE,
    "drop": _DROP, "global.get": _GLOBAL_GET, "global.set": _GLOBAL_SET,
    "call_indirect": _CALL_INDIRECT, "nop": _NOP,
}  # fmt: skip
_FRAME_KIND = {"block": _F_BLOCK, "loop": _F_LOOP, "if": _F_IF}
# Up to 4 bytes (28 bits) any LEB128 encoding of an s32 is well-formed, of an s64 up
# to 9 (63 bits); the reader checks a longer one's last byte.
_SLEBS = {"i32": (read_s32, 4), "i64": (read_s64, 9)}


def _entry(op: Op) -> Tuple[Any, ...]:
    """The step of one opcode: (kind, a, b, c), from ``op``'s immediate kind and
    fixed signature (the comments at the kinds say what a, b, c are)."""
    params, results, imm = op.params, op.results, op.imm
    if op.name in _BY_NAME:
        return (_BY_NAME[op.name], _FRAME_KIND.get(op.name), None, None)
    if op.name == "select" and not imm:
        return (_SELECT, None, None, None)
    if params is None or len(results) > 1:  # type: ignore[arg-type]
        return _NOT_FAST
    result = results[0] if results else None  # type: ignore[index]
    natural = op.mem_size.bit_length() - 1
    if imm == "memarg" and params == (I32,):
        return (_LOAD, natural, result, None)
    if imm == "memarg" and len(params) == 2 and result is None and params[0] == I32:
        return (_STORE, natural, params[1], None)
    if imm in ("i32", "i64") and not params:
        return (_CONST, result, *_SLEBS[imm])
    if imm in ("f32", "f64") and not params:
        return (_FLOAT_CONST, result, 4 if imm == "f32" else 8, None)
    if imm == "memory":
        return (_MEMORY, list(params), result, None)
    if imm or result is None:
        return _NOT_FAST
    if len(params) == 1:
        return (_UNARY, params[0], result, None)
    if len(params) == 2:
        return (_BINARY, params[0], params[1], result)
    return _NOT_FAST


_NOT_FAST = (_OTHER, None, None, None)


def _table() -> List[Tuple[Any, ...]]:
    table = [_NOT_FAST] * 256
    for code, op in SINGLE_BYTE.items():
        table[code] = _entry(op)
    table[PREFIX_FC] = (_PREFIX_FC, None, None, None)
    return table


_STEPS = _table()
"""Opcode byte -> (kind, a, b, c): how the loop checks it."""
_STEPS_WITHOUT_MEMORY = [_NOT_FAST if step[0] in (_LOAD, _STORE, _MEMORY) else step for step in _STEPS]
"""The same for a module without memory, in which no memory instruction is valid."""


def _fc_entry(op: Op) -> Optional[Tuple[List[int], Optional[int], int]]:
    """(params, result, zero bytes that follow) of the 0xFC instructions the fast path
    knows: the saturating truncations and ``memory.copy``/``memory.fill``, whose memory
    indices it takes in their one-byte form only."""
    if op.imm in ("memory", "memory_copy"):
        return list(op.params), None, 1 if op.imm == "memory" else 2  # type: ignore[arg-type]
    if op.imm or op.params is None or len(op.results) != 1:  # type: ignore[arg-type]
        return None
    return list(op.params), op.results[0], 0  # type: ignore[index]


_FC_STEPS = {code: entry for code, op in PREFIXED_FC.items() for entry in [_fc_entry(op)] if entry is not None}
"""0xFC sub-opcode -> (params, result or None, zero bytes)."""


class Context:
    """What the fast path needs of a module, in the shapes it compares cheaply."""

    __slots__ = ("funcs", "types", "globals_get", "globals_set", "funcref_tables", "block_sigs", "memory", "steps")

    def __init__(self, validator: Any) -> None:
        """``validator``: the module's ``FuncValidator``, whose tables these reshape."""

        def lists(sig: Tuple[Sequence[int], Sequence[int]]) -> Tuple[List[int], List[int]]:
            return list(sig[0]), list(sig[1])

        self.funcs = [lists(sig) for sig in validator.funcs]
        self.types = [lists(sig) for sig in validator.types]
        self.globals_get = [g.valtype for g in validator.globals]
        self.globals_set = [g.valtype if g.mutable else None for g in validator.globals]
        self.funcref_tables = [t == FUNCREF for t in validator.tables]
        # the block types of one byte -> (params, results, [MARK, *results], [MARK, *params])
        self.block_sigs = {
            bt & 0x7F: (list(params), list(results), [MARK, *results], [MARK, *params])
            for bt, (params, results) in validator.block_sigs.items()
            if bt < 0x40
        }
        self.memory = validator.nmems > 0
        self.steps = _STEPS if self.memory else _STEPS_WITHOUT_MEMORY


def check_body(ctx: Context, code: bytes, locals_: Sequence[int], results: Sequence[int]) -> bool:
    """True if ``code`` (a body's instructions, ending with its final ``end``) is
    valid for a function with locals ``locals_`` (parameters first) returning
    ``results``; False if the exact validator has to decide."""
    try:
        return _walk(ctx, list(code), locals_, results)
    except (IndexError, WasmError):  # out of a table or of the code; malformed LEB
        return False


def _walk(ctx: Context, code: Any, L: Sequence[int], results: Sequence[int]) -> bool:
    """``code``: the instructions as a list of ints, which the LEB128 readers index
    as they index bytes. The operand types are ``vals`` and, on top, ``top`` (a
    local: 3.11 does not specialise ``vals[-1]``); the rarer instructions push
    ``top`` back onto ``vals`` for their checks and take it off again."""
    steps = ctx.steps
    funcs = ctx.funcs
    i32 = I32
    end = len(code)
    vals: List[int] = []
    top = MARK
    # a frame: (kind, base: where its MARK is, label types, [MARK, *results], [MARK, *params])
    ctrls: List[Tuple[int, int, List[int], List[int], List[int]]] = [
        (_F_BLOCK, 0, list(results), [MARK, *results], [MARK])
    ]
    pos = 0
    while True:
        kind, a, b, c = steps[code[pos]]
        if kind <= 8:  # one u32 index
            i = code[pos + 1]
            if i < 0x80:
                pos += 2
            elif code[pos + 2] < 0x80:
                i = i - 0x80 | code[pos + 2] << 7
                pos += 3
            else:
                i, pos = read_u32(code, pos + 1, end)
            if kind == 1:  # local.get
                vals.append(top)
                top = L[i]
            elif kind <= 3:  # local.tee, local.set
                if top != L[i]:
                    return False
                if kind == 3:
                    top = vals.pop()
            elif kind == 4:  # br_if
                labels = ctrls[-1 - i][2]
                if top != i32:
                    return False
                if labels and vals[-len(labels) :] != labels:
                    return False
                top = vals.pop()
            elif kind == 5:  # call
                params, results = funcs[i]
                vals.append(top)
                if params:
                    if vals[-len(params) :] != params:
                        return False
                    del vals[-len(params) :]
                vals += results
                top = vals.pop()
            elif kind == 6:  # br
                vals.append(top)
                if not _away(code, pos, vals, ctrls, ctrls[-1 - i][2]):
                    return False
                top = vals.pop()
            elif kind == 7:  # global.get
                vals.append(top)
                top = ctx.globals_get[i]
            else:  # global.set
                t = ctx.globals_set[i]
                if t is None or top != t:
                    return False
                top = vals.pop()
        else:
            pos += 1
            if kind == 9:  # i32.const, i64.const
                if code[pos] < 0x80:
                    pos += 1
                elif code[pos + 1] < 0x80:
                    pos += 2
                else:
                    q = pos + 2
                    while code[q] >= 0x80:
                        q += 1
                    pos = q + 1 if q - pos < c else b(code, pos, end)[1]
                vals.append(top)
                top = a
            elif kind == 10:  # binary
                if top != b or vals.pop() != a:
                    return False
                top = c
            elif kind == 11:  # end
                _, base, _, rmark, pmark = frame = ctrls.pop()
                if top == MARK and len(vals) == base and len(rmark) == 1:  # no results, none left
                    if frame[0] == _F_IF and len(pmark) != 1:
                        return False
                else:
                    vals.append(top)
                    if vals[base:] != rmark or (frame[0] == _F_IF and pmark != rmark):
                        return False
                    del vals[base]
                if not ctrls:
                    return pos == end
                top = vals.pop()
            elif kind == 12 or kind == 14:  # load, store
                if code[pos] > a:
                    return False
                pos += 1
                if code[pos] < 0x80:
                    pos += 1
                else:
                    q = pos + 1
                    while code[q] >= 0x80:
                        q += 1
                    pos = q + 1 if q - pos < 4 else read_u32(code, pos, end)[1]
                if kind == 12:
                    if top != i32:
                        return False
                    top = b
                else:
                    if top != b or vals.pop() != i32:
                        return False
                    top = vals.pop()
            elif kind == 13:  # block, loop, if
                sig = ctx.block_sigs.get(code[pos])
                if sig is None:
                    return False
                pos += 1
                if a == _F_IF:
                    if top != i32:
                        return False
                    top = vals.pop()
                vals.append(top)
                params, results, rmark, pmark = sig
                base = len(vals) - len(params)
                if params:
                    if vals[base:] != params:
                        return False
                    vals.insert(base, MARK)
                    top = vals.pop()
                else:
                    top = MARK
                ctrls.append((a, base, params if a == _F_LOOP else results, rmark, pmark))
            elif kind == 15:  # unary
                if top != a:
                    return False
                top = b
            elif kind == 20:  # drop
                if top == MARK:
                    return False
                top = vals.pop()
            else:
                vals.append(top)
                pos = _rare(ctx, kind, a, b, code, pos, end, vals, ctrls)
                if pos < 0:
                    return False
                top = vals.pop()


def _rare(ctx: Context, kind: int, a: Any, b: Any, code: Any, pos: int, end: int, vals: List[int],
          ctrls: List[Any]) -> int:
    """The rarer instructions, on ``vals`` holding the whole stack: the position after
    the instruction, or -1 for "let the exact validator decide"."""
    i32 = I32
    if kind == 16:  # else
        kind, base, labels, rmark, pmark = ctrls.pop()
        if kind != _F_IF or vals[base:] != rmark:
            return -1
        vals[base:] = pmark
        ctrls.append((_F_BLOCK, base, labels, rmark, pmark))
    elif kind == 17:  # return
        if not _away(code, pos, vals, ctrls, ctrls[0][2]):
            return -1
    elif kind == 18:  # unreachable
        if not _away(code, pos, vals, ctrls, []):
            return -1
    elif kind == 19:  # br_table
        labels, pos = _br_table(code, pos, end, ctrls)
        if labels is None or vals[-1] != i32:
            return -1
        vals.pop()
        if not _away(code, pos, vals, ctrls, labels):
            return -1
    elif kind == 21:  # select
        t = vals[-2]
        if vals[-1] != i32 or vals[-3] != t or t not in _NUM_OR_VEC:
            return -1
        del vals[-2:]
    elif kind == 22:  # call_indirect
        i, pos = read_u32(code, pos, end)
        table, pos = read_u32(code, pos, end)
        params, results = ctx.types[i]
        if not ctx.funcref_tables[table] or vals[-1] != i32:
            return -1
        vals.pop()
        if params:
            if vals[-len(params) :] != params:
                return -1
            del vals[-len(params) :]
        vals += results
    elif kind == 23:  # f32.const, f64.const
        pos += b
        if pos > end:
            return -1
        vals.append(a)
    elif kind == 24:  # nop
        pass
    elif kind == 25:  # memory.size, memory.grow
        if code[pos]:
            return -1
        pos += 1
        if a:
            if vals[-1] != i32:
                return -1
            vals.pop()
        vals.append(b)
    elif kind == 26:  # 0xFC prefix
        step = _FC_STEPS.get(code[pos])
        if step is None:
            return -1
        params, result, zeros = step
        pos += 1
        if zeros:
            if not ctx.memory or code[pos : pos + zeros] != _ZEROS[zeros]:
                return -1
            pos += zeros
        if vals[-len(params) :] != params:
            return -1
        del vals[-len(params) :]
        if result is not None:
            vals.append(result)
    else:
        return -1
    return pos


def _away(code: Any, pos: int, vals: List[int], ctrls: List[Any], labels: List[int]) -> bool:
    """After a branch away (``br``, ``br_table``, ``return``, ``unreachable``) taking
    ``labels``: whether the rest of the block is just its ``end`` or ``else``, the
    only unreachable code the fast path takes. If so, the stack is set to the
    frame's results, all that end (or else) then checks."""
    if labels and vals[-len(labels) :] != labels:
        return False
    if code[pos] != 0x0B and code[pos] != 0x05:
        return False
    frame = ctrls[-1]
    vals[frame[1] :] = frame[3]
    return True


_ZEROS = {1: [0], 2: [0, 0]}


def _br_table(code: Any, pos: int, end: int, ctrls: List[Any]) -> Tuple[Optional[List[int]], int]:
    """The label types of a ``br_table`` at ``pos`` (after the opcode), None unless
    all its labels have the default's."""
    n, pos = read_len(code, pos, end)
    depths = []
    for _ in range(n + 1):
        depth = code[pos]
        if depth < 0x80:
            pos += 1
        else:
            depth, pos = read_u32(code, pos, end)
        depths.append(depth)
    types = ctrls[-1 - depths[-1]][2]
    for depth in depths:
        if ctrls[-1 - depth][2] != types:
            return None, pos
    return types, pos
