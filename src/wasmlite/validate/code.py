"""Function bodies and constant expressions: the streaming type checker.

``FuncValidator`` walks a body once, instruction by instruction, keeping the
operand type stack and the control frame stack of the validation algorithm in
the appendix of the WebAssembly 2.0 specification. Operand types are the small
ints of ``syntax``; ``None`` is the spec's *unknown* type, which appears only
in the unreachable rest of a block (after ``unreachable``, ``br``, ``br_table``
or ``return``) and matches every type.

``FuncValidator(module).validate_function(func_index, functype, body)`` checks
one body: first with ``fast.check_body``, which takes the common reachable code
of compiled programs in fewer Python steps and only ever says "valid"; a body it
declines is walked here, and errors are always this walk's. The translator
(``translate``) walks only bodies that passed, and reads the module's types from
the validator (``funcs``, ``types``, ``block_sigs``).
"""

from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

from .. import syntax
from ..decode.body import MAX_LOCALS, read_instr, read_local_decls
from ..errors import DecodeError, ValidationError, WasmError
from ..opcodes import BY_NAME, SELECT_TYPED, Op, all_ops
from ..syntax import FUNCREF, I32, V128, FuncType, valtype_name
from .fast import Context, check_body

FUNC = "func"
BLOCK = "block"
LOOP = "loop"
IF = "if"
ELSE = "else"

_END = BY_NAME["end"]
_BLOCK = BY_NAME["block"]
_LOOP = BY_NAME["loop"]
_IF = BY_NAME["if"]
_ELSE = BY_NAME["else"]
_MEMORY_INIT = BY_NAME["memory.init"]
_DATA_DROP = BY_NAME["data.drop"]
_REF_FUNC = BY_NAME["ref.func"]
_REF_NULL = BY_NAME["ref.null"]
_GLOBAL_GET = BY_NAME["global.get"]
_CONSTS = {BY_NAME[n]: BY_NAME[n].results for n in ("i32.const", "i64.const", "f32.const", "f64.const", "v128.const")}

_NUM_OR_VEC = frozenset(syntax.NUM_TYPES + (V128, None))
_REF_OR_UNKNOWN = frozenset(syntax.REF_TYPES + (None,))


class Frame:
    """A control frame: ``labels`` are the types a branch to it carries;
    ``height`` the operand stack height at its start (below its parameters)."""

    __slots__ = ("kind", "params", "results", "labels", "height", "unreachable")

    def __init__(self, kind: str, params: Tuple[int, ...], results: Tuple[int, ...], height: int) -> None:
        self.kind = kind
        self.params = params
        self.results = results
        self.labels = params if kind is LOOP else results
        self.height = height
        self.unreachable = False

    def __repr__(self) -> str:
        return f"<Frame {self.kind} {FuncType(self.params, self.results)} height={self.height}>"


def _mismatch(expect: Optional[int], actual: Optional[int]) -> ValidationError:
    want = "a value" if expect is None else valtype_name(expect)
    got = "nothing" if actual is None else valtype_name(actual)
    return ValidationError(f"type mismatch: expected {want}, got {got}")


# -- stack primitives (``v`` is the FuncValidator) --------------------------------


def _pop_vals(v: "FuncValidator", types: Sequence[Optional[int]]) -> List[Optional[int]]:
    """Pop ``types`` (stack order) the spec's way; returns what was actually there."""
    vals = v.vals
    height = v.height
    out: List[Optional[int]] = []
    for expect in reversed(types):
        if len(vals) > height:
            actual = vals.pop()
            if actual != expect and actual is not None and expect is not None:
                raise _mismatch(expect, actual)
            out.append(actual)
        elif v.unreachable:
            out.append(None)
        else:
            raise _mismatch(expect, None)
    out.reverse()
    return out


def _pop_all(v: "FuncValidator", types: Tuple[int, ...]) -> None:
    """Pop ``types``: one slice comparison when the stack simply holds them."""
    vals = v.vals
    h = len(vals) - len(types)
    if h >= v.height and tuple(vals[h:]) == types:
        del vals[h:]
    else:
        _pop_vals(v, types)


def _pop1(v: "FuncValidator", t: Optional[int]) -> Optional[int]:
    """Pop one operand of type ``t`` (``None``: any); returns its actual type."""
    vals = v.vals
    if len(vals) > v.height:
        actual = vals.pop()
        if actual != t and actual is not None and t is not None:
            raise _mismatch(t, actual)
        return actual
    if v.unreachable:
        return None
    raise _mismatch(t, None)


def _set_unreachable(v: "FuncValidator") -> None:
    del v.vals[v.height :]
    v.unreachable = True
    v.ctrls[-1].unreachable = True


def _close(v: "FuncValidator", frame: Frame) -> None:
    """The checks of ``end``/``else``: exactly the frame's results remain."""
    vals = v.vals
    _pop_vals(v, frame.results)
    if len(vals) != frame.height:
        raise ValidationError(
            f"type mismatch: {len(vals) - frame.height} value(s) left on the stack at the end of a {frame.kind}"
        )


# -- control instructions -----------------------------------------------------------


def _entering(kind: str) -> Any:
    """The handler of ``block`` or ``loop`` (``if`` pops its condition first)."""

    def enter(v: "FuncValidator", bt: int) -> None:
        sig = v.block_sigs.get(bt)
        if sig is None:
            raise ValidationError(f"unknown type {bt}")
        params, results = sig
        vals = v.vals
        if params:
            _pop_all(v, params)
            frame = Frame(kind, params, results, len(vals))
            vals += params
        else:
            frame = Frame(kind, params, results, len(vals))
        v.ctrls.append(frame)
        v.height = frame.height
        v.unreachable = False

    return enter


_block = _entering(BLOCK)
_loop = _entering(LOOP)
_enter_if = _entering(IF)


def _if(v: "FuncValidator", bt: int) -> None:
    _pop1(v, I32)
    _enter_if(v, bt)


def _else(v: "FuncValidator", imm: None) -> None:
    frame = v.ctrls[-1]
    if frame.kind is not IF:
        raise DecodeError("END opcode expected (else without if)")
    _close(v, frame)
    frame.kind = ELSE
    frame.unreachable = v.unreachable = False
    v.vals += frame.params


def _end(v: "FuncValidator", imm: None) -> None:
    ctrls = v.ctrls
    frame = ctrls[-1]
    vals = v.vals
    results = frame.results
    h = frame.height
    n = len(results)
    # Fast path: the stack above the frame holds exactly its results, and stays.
    if len(vals) - h != n or (n and (vals[-1] != results[0] if n == 1 else tuple(vals[h:]) != results)):
        _close(v, frame)
        vals += results
    if frame.kind is IF and frame.params != results:
        raise ValidationError("type mismatch: if without else must have matching parameters and results")
    ctrls.pop()
    if ctrls:
        parent = ctrls[-1]
        v.height = parent.height
        v.unreachable = parent.unreachable


def _unreachable(v: "FuncValidator", imm: None) -> None:
    _set_unreachable(v)


def _nop(v: "FuncValidator", imm: None) -> None:
    pass


def _label(v: "FuncValidator", depth: int) -> Tuple[int, ...]:
    ctrls = v.ctrls
    if depth >= len(ctrls):
        raise ValidationError(f"unknown label {depth}")
    return ctrls[-1 - depth].labels


def _br(v: "FuncValidator", depth: int) -> None:
    types = _label(v, depth)
    if types:
        _pop_all(v, types)
    _set_unreachable(v)


def _br_if(v: "FuncValidator", depth: int) -> None:
    ctrls = v.ctrls
    if depth >= len(ctrls):
        raise ValidationError(f"unknown label {depth}")
    types = ctrls[-1 - depth].labels
    vals = v.vals
    if len(vals) > v.height and vals[-1] == I32:
        vals.pop()
    else:
        _pop1(v, I32)
    if types:
        # pop and push back: only unknown types on the stack change
        h = len(vals) - len(types)
        if h < v.height or tuple(vals[h:]) != types:
            _pop_vals(v, types)
            vals += types


def _br_table(v: "FuncValidator", imm: Tuple[Tuple[int, ...], int]) -> None:
    labels, default = imm
    _pop1(v, I32)
    types = _label(v, default)
    arity = len(types)
    ctrls = v.ctrls
    depth = len(ctrls)
    for label in labels:
        if label >= depth:
            raise ValidationError(f"unknown label {label}")
        other = ctrls[-1 - label].labels
        if other is types or other == types:
            continue  # the final pop checks these
        if len(other) != arity:
            raise ValidationError("type mismatch: br_table labels have different arities")
        v.vals += _pop_vals(v, other)
    if types:
        _pop_all(v, types)
    _set_unreachable(v)


def _return(v: "FuncValidator", imm: None) -> None:
    types = v.ctrls[0].results
    if types:
        _pop_all(v, types)
    _set_unreachable(v)


def _call(v: "FuncValidator", index: int) -> None:
    try:
        params, results = v.funcs[index]
    except IndexError:
        raise ValidationError(f"unknown function {index}") from None
    vals = v.vals
    if params:
        h = len(vals) - len(params)
        if h >= v.height and tuple(vals[h:]) == params:
            del vals[h:]
        else:
            _pop_vals(v, params)
    vals += results


def _call_indirect(v: "FuncValidator", imm: Tuple[int, int]) -> None:
    type_index, table = imm
    elem = _table(v, table)
    try:
        params, results = v.types[type_index]
    except IndexError:
        raise ValidationError(f"unknown type {type_index}") from None
    if elem != FUNCREF:
        raise ValidationError("type mismatch: call_indirect needs a funcref table")
    _pop1(v, I32)
    if params:
        _pop_all(v, params)
    v.vals += results


# -- parametric and variable instructions ---------------------------------------------


def _drop(v: "FuncValidator", imm: None) -> None:
    _pop1(v, None)


def _select(v: "FuncValidator", imm: None) -> None:
    _pop1(v, I32)
    t1 = _pop1(v, None)
    t2 = _pop1(v, None)
    if t1 not in _NUM_OR_VEC or t2 not in _NUM_OR_VEC:
        raise ValidationError("type mismatch: select without a type needs numeric or vector operands")
    if t1 != t2 and t1 is not None and t2 is not None:
        raise _mismatch(t2, t1)
    t = t2 if t1 is None else t1
    v.vals.append(t)


def _select_typed(v: "FuncValidator", types: Tuple[int, ...]) -> None:
    if len(types) != 1:
        raise ValidationError("invalid result arity")
    t = types[0]
    _pop1(v, I32)
    _pop1(v, t)
    _pop1(v, t)
    v.vals.append(t)


def _local(v: "FuncValidator", index: int) -> int:
    try:
        return v.locals[index]
    except IndexError:
        raise ValidationError(f"unknown local {index}") from None


def _local_get(v: "FuncValidator", index: int) -> None:
    t = _local(v, index)
    v.vals.append(t)


def _local_set(v: "FuncValidator", index: int) -> None:
    t = _local(v, index)
    vals = v.vals
    if len(vals) > v.height and vals[-1] == t:
        vals.pop()
    else:
        _pop1(v, t)


def _local_tee(v: "FuncValidator", index: int) -> None:
    t = _local(v, index)
    vals = v.vals
    if len(vals) <= v.height or vals[-1] != t:
        _pop1(v, t)
        vals.append(t)


def _global(v: "FuncValidator", index: int) -> syntax.GlobalType:
    try:
        return v.globals[index]
    except IndexError:
        raise ValidationError(f"unknown global {index}") from None


def _global_get(v: "FuncValidator", index: int) -> None:
    t = _global(v, index).valtype
    v.vals.append(t)


def _global_set(v: "FuncValidator", index: int) -> None:
    g = _global(v, index)
    if not g.mutable:
        raise ValidationError(f"global is immutable: global {index}")
    _pop1(v, g.valtype)


# -- table and reference instructions ---------------------------------------------------


def _table(v: "FuncValidator", index: int) -> int:
    try:
        return v.tables[index]
    except IndexError:
        raise ValidationError(f"unknown table {index}") from None


def _elem(v: "FuncValidator", index: int) -> int:
    try:
        return v.elems[index]
    except IndexError:
        raise ValidationError(f"unknown elem segment {index}") from None


def _table_get(v: "FuncValidator", index: int) -> None:
    t = _table(v, index)
    _pop1(v, I32)
    v.vals.append(t)


def _table_set(v: "FuncValidator", index: int) -> None:
    t = _table(v, index)
    _pop1(v, t)
    _pop1(v, I32)


def _table_grow(v: "FuncValidator", index: int) -> None:
    t = _table(v, index)
    _pop1(v, I32)
    _pop1(v, t)
    v.vals.append(I32)


def _table_fill(v: "FuncValidator", index: int) -> None:
    t = _table(v, index)
    _pop1(v, I32)
    _pop1(v, t)
    _pop1(v, I32)


def _ref_null(v: "FuncValidator", t: int) -> None:
    v.vals.append(t)


def _ref_is_null(v: "FuncValidator", imm: None) -> None:
    t = _pop1(v, None)
    if t not in _REF_OR_UNKNOWN:
        raise ValidationError(f"type mismatch: expected a reference, got {valtype_name(t)}")
    v.vals.append(I32)


def _ref_func(v: "FuncValidator", index: int) -> None:
    if index >= len(v.funcs):
        raise ValidationError(f"unknown function {index}")
    if index not in v.refs:
        raise ValidationError(f"undeclared function reference {index}")
    v.vals.append(FUNCREF)


# -- fixed-signature instructions whose immediates need checking -----------------------
#
# Each factory returns the handler for one Op: it checks the immediate, then pops
# and pushes the Op's fixed signature like the fast loop does for plain ones.


def _apply(v: "FuncValidator", params: Tuple[int, ...], plist: List[int], results: Tuple[int, ...]) -> None:
    vals = v.vals
    if plist:
        h = len(vals) - len(plist)
        if h >= v.height and vals[h:] == plist:
            del vals[h:]
        else:
            _pop_vals(v, params)
    vals += results


def _check_memarg(v: "FuncValidator", imm: Tuple[int, ...], natural: int) -> None:
    _memory(v, 0)
    if imm[0] > natural:
        raise ValidationError("alignment must not be larger than natural")


def _memory(v: "FuncValidator", index: int) -> None:
    if index >= v.nmems:
        raise ValidationError(f"unknown memory {index}")


def _data(v: "FuncValidator", index: int) -> None:
    if v.data_count is None:
        raise DecodeError("data count section required")
    if index >= v.data_count:
        raise ValidationError(f"unknown data segment {index}")


def _with_check(op: Op) -> Any:
    params: Tuple[int, ...] = op.params  # type: ignore[assignment]
    results: Tuple[int, ...] = op.results  # type: ignore[assignment]
    plist = list(params)
    kind = op.imm
    natural = op.mem_size.bit_length() - 1
    lanes = op.lanes

    def memarg(v: "FuncValidator", imm: Tuple[int, int]) -> None:
        _check_memarg(v, imm, natural)
        _apply(v, params, plist, results)

    def memarg_lane(v: "FuncValidator", imm: Tuple[int, int, int]) -> None:
        _check_memarg(v, imm, natural)
        if imm[2] >= lanes:
            raise ValidationError(f"invalid lane index {imm[2]}")
        _apply(v, params, plist, results)

    def lane(v: "FuncValidator", imm: int) -> None:
        if imm >= lanes:
            raise ValidationError(f"invalid lane index {imm}")
        _apply(v, params, plist, results)

    def shuffle(v: "FuncValidator", imm: Tuple[int, ...]) -> None:
        for i in imm:
            if i >= 32:
                raise ValidationError(f"invalid lane index {i}")
        _apply(v, params, plist, results)

    def memory(v: "FuncValidator", imm: int) -> None:
        _memory(v, imm)
        _apply(v, params, plist, results)

    def memory_copy(v: "FuncValidator", imm: Tuple[int, int]) -> None:
        _memory(v, imm[0])
        _memory(v, imm[1])
        _apply(v, params, plist, results)

    def memory_init(v: "FuncValidator", imm: Tuple[int, int]) -> None:
        if v.data_count is None:
            raise DecodeError("data count section required")
        _memory(v, imm[1])
        _data(v, imm[0])
        _apply(v, params, plist, results)

    def data(v: "FuncValidator", imm: int) -> None:
        _data(v, imm)

    def table(v: "FuncValidator", imm: int) -> None:
        _table(v, imm)
        _apply(v, params, plist, results)

    def table_copy(v: "FuncValidator", imm: Tuple[int, int]) -> None:
        if _table(v, imm[0]) != _table(v, imm[1]):
            raise ValidationError("type mismatch: table.copy between tables of different types")
        _apply(v, params, plist, results)

    def table_init(v: "FuncValidator", imm: Tuple[int, int]) -> None:
        if _table(v, imm[1]) != _elem(v, imm[0]):
            raise ValidationError("type mismatch: table.init from a segment of another type")
        _apply(v, params, plist, results)

    def elem(v: "FuncValidator", imm: int) -> None:
        _elem(v, imm)

    return {
        "memarg": memarg, "memarg_lane": memarg_lane, "lane": lane, "shuffle": shuffle,
        "memory": memory, "memory_copy": memory_copy, "memory_init": memory_init, "data": data,
        "table": table, "table_copy": table_copy, "table_init": table_init, "elem": elem,
    }[kind]  # fmt: skip


_BY_NAME_HANDLERS = {
    "unreachable": _unreachable, "nop": _nop, "block": _block, "loop": _loop, "if": _if,
    "else": _else, "end": _end, "br": _br, "br_if": _br_if, "br_table": _br_table,
    "return": _return, "call": _call, "call_indirect": _call_indirect, "drop": _drop,
    "local.get": _local_get, "local.set": _local_set, "local.tee": _local_tee,
    "global.get": _global_get, "global.set": _global_set, "table.get": _table_get,
    "table.set": _table_set, "table.grow": _table_grow, "table.fill": _table_fill,
    "ref.null": _ref_null, "ref.is_null": _ref_is_null, "ref.func": _ref_func,
}  # fmt: skip


def _fixed(op: Op) -> Any:
    params: Tuple[int, ...] = op.params  # type: ignore[assignment]
    results: Tuple[int, ...] = op.results  # type: ignore[assignment]
    plist = list(params)

    def fixed(v: "FuncValidator", imm: object) -> None:
        _apply(v, params, plist, results)

    return fixed


def _handler(op: Op) -> Any:
    if op is SELECT_TYPED:
        return _select_typed
    if op.name == "select":
        return _select
    if op.params is None:
        return _BY_NAME_HANDLERS[op.name]
    if op.imm in ("", "i32", "i64", "f32", "f64", "v128"):
        return _fixed(op)
    return _with_check(op)


_HANDLERS: Dict[Op, Any] = {op: _handler(op) for op in all_ops()}
"""Op -> handler(validator, imm): type-checks one instruction (the visiting loop)."""

# The fast loop checks the commonest instruction shapes inline, by kind; the rest
# (and every failure) go through the handlers.
_K_HANDLER = 0  # (kind, handler, None, None)
_K_LOCAL_GET = 1
_K_CONST = 2  # (kind, None, None, result type)
_K_BINARY = 3  # (kind, first param, second param, result type)
_K_LOCAL_SET = 4
_K_LOCAL_TEE = 5
_K_LOAD = 6  # (kind, natural alignment exponent, None, result type)
_K_STORE = 7  # (kind, natural alignment exponent, value type, None)
_K_UNARY = 8  # (kind, param, None, result type)


def _fast_entry(op: Op) -> Tuple[int, Any, Any, Any]:
    name, params, results = op.name, op.params, op.results
    if name == "local.get":
        return (_K_LOCAL_GET, None, None, None)
    if name == "local.set":
        return (_K_LOCAL_SET, None, None, None)
    if name == "local.tee":
        return (_K_LOCAL_TEE, None, None, None)
    handler = _HANDLERS[op]
    if params is None or (op.imm and op.imm not in ("i32", "i64", "f32", "f64", "v128", "memarg")):
        return (_K_HANDLER, handler, None, None)
    natural = op.mem_size.bit_length() - 1
    if op.imm == "memarg" and params == (I32,) and len(results) == 1:  # type: ignore[arg-type]
        return (_K_LOAD, natural, None, results[0])  # type: ignore[index]
    if op.imm == "memarg" and len(params) == 2 and not results:
        return (_K_STORE, natural, params[1], None)
    if op.imm != "memarg" and len(results) == 1:  # type: ignore[arg-type]
        if not params:
            return (_K_CONST, None, None, results[0])  # type: ignore[index]
        if len(params) == 1:
            return (_K_UNARY, params[0], None, results[0])  # type: ignore[index]
        if len(params) == 2:
            return (_K_BINARY, params[0], params[1], results[0])  # type: ignore[index]
    return (_K_HANDLER, handler, None, None)


_FAST = {op: _fast_entry(op) for op in all_ops()}


def declared_refs(module: syntax.Module) -> Set[int]:
    """Function indices a body may take with ``ref.func``: those referenced outside
    function bodies (element segments, exports, global initialisers)."""
    refs = {e.index for e in module.exports if e.kind == syntax.EXTERN_FUNC}
    exprs = [g.init for g in module.globals]
    for seg in module.elems:
        exprs.extend(seg.init)
    for expr in exprs:
        # A valid constant expression is one instruction and `end`.
        op, imm, _ = read_instr(expr.code, 0, len(expr.code))
        if op is _REF_FUNC:
            refs.add(imm)
    return refs


_EXPAND_LOCALS = 1024
"""Locals up to this many are a plain tuple; more are kept as runs (``_RunLocals``)."""


class _RunLocals(Sequence[int]):
    """The types of a function's locals (parameters first), kept as runs.

    A few bytes of declaration can ask for 50000 locals; expanding them for every
    function let a small module take seconds to validate. Lookups bisect the runs;
    a slice (the translator's only other use) expands them after all.
    """

    __slots__ = ("params", "ends", "types", "total")

    def __init__(self, params: Tuple[int, ...], decls: List[Tuple[int, int]], total: int) -> None:
        self.params = params
        self.ends: List[int] = []
        self.types: List[int] = []
        n = len(params)
        for count, t in decls:
            if count:
                n += count
                self.ends.append(n)
                self.types.append(t)
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self.total)))
        if index < 0:
            index += self.total
        if not 0 <= index < self.total:
            raise IndexError(index)
        if index < len(self.params):
            return self.params[index]
        return self.types[bisect.bisect_right(self.ends, index)]


class FuncValidator:
    """Validates the bodies of one module."""

    __slots__ = (
        # module context
        "types", "funcs", "tables", "nmems", "globals", "elems", "data_count", "refs", "block_sigs", "fast",
        # per function
        "func_index", "locals", "vals", "ctrls", "height", "unreachable",
    )  # fmt: skip

    def __init__(self, module: syntax.Module) -> None:
        """``module`` must have passed the module-level checks (type indices in range)."""
        self.types = module.types
        self.funcs = [module.types[t] for t in module.func_types()]
        self.tables = [imp.desc.elem for imp in module.imports_of(syntax.EXTERN_TABLE)]  # type: ignore[union-attr]
        self.tables.extend(t.elem for t in module.tables)
        self.nmems = len(module.imports_of(syntax.EXTERN_MEMORY)) + len(module.mems)
        self.globals: List[syntax.GlobalType] = [
            imp.desc for imp in module.imports_of(syntax.EXTERN_GLOBAL)  # type: ignore[misc]
        ]
        self.globals.extend(g.type for g in module.globals)
        self.elems = [seg.type for seg in module.elems]
        self.data_count = module.data_count
        self.refs = declared_refs(module)
        sigs: Dict[int, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {syntax.BLOCK_EMPTY: ((), ())}
        for t in syntax.VALUE_TYPES:
            sigs[syntax.blocktype_of_valtype(t)] = ((), (t,))
        for i, ft in enumerate(module.types):
            sigs[i] = (ft.params, ft.results)
        self.block_sigs = sigs
        self.fast: Optional[Context] = None  # made when the first body is validated

    def validate_function(self, func_index: int, functype: FuncType, body: syntax.FuncBody) -> None:
        """Type-check one body; ``func_index`` counts imported functions too.

        Raises ValidationError (with ``func_index`` and the instruction's
        ``offset``) or DecodeError (malformed body)."""
        decls, total, pos = read_local_decls(body)
        self.func_index = func_index
        total += len(functype.params)
        if total > MAX_LOCALS:  # counting parameters, as wasmparser does
            raise ValidationError(
                f"{total} locals and parameters exceed the implementation limit of {MAX_LOCALS}", func_index
            )
        if total <= _EXPAND_LOCALS:
            expanded = list(functype.params)
            for n, t in decls:
                expanded.extend((t,) * n)
            self.locals: "Union[Tuple[int, ...], _RunLocals]" = tuple(expanded)
        else:
            self.locals = _RunLocals(functype.params, decls, total)
        if self.fast is None:
            self.fast = Context(self)
        if check_body(self.fast, body.source[pos : body.end], self.locals, functype.results):
            return
        self.vals: List[Optional[int]] = []
        self.ctrls = [Frame(FUNC, (), functype.results, 0)]
        self.height = 0
        self.unreachable = False
        pos = self._run(body.source, pos, body.end)
        if pos != body.end:
            raise DecodeError("section size mismatch: bytes after the function's end", pos)

    def _located(self, exc: WasmError, source: bytes, pos: int, end: int) -> WasmError:
        """``exc`` with the position of the instruction at ``pos`` filled in."""
        if isinstance(exc, ValidationError):
            exc.func_index = self.func_index
            if exc.offset is None:
                exc.offset = pos
        elif isinstance(exc, DecodeError):
            if pos >= end:
                return _missing_end(source, end)
            if exc.offset is None:
                exc.offset = pos
        return exc

    def _run(self, source: bytes, pos: int, end: int) -> int:
        """The walk; returns the position after the final ``end``."""
        vals = self.vals
        ctrls = self.ctrls
        locals_ = self.locals
        table = _FAST
        read = read_instr
        i32 = I32
        kind = _K_HANDLER
        try:
            while ctrls:
                op, imm, nxt = read(source, pos, end)
                kind, a, b, c = table[op]
                # the kinds are the _K_* numbers, as literals (cheaper than globals),
                # tested commonest first
                if kind == 1:  # local.get
                    vals.append(locals_[imm])
                elif kind == 0:  # handler
                    a(self, imm)
                elif kind == 2:  # const
                    vals.append(c)
                elif kind == 3:  # binary
                    if len(vals) - 2 >= self.height and vals[-1] == b and vals[-2] == a:
                        vals.pop()
                        vals[-1] = c
                    else:
                        _pop_vals(self, (a, b))
                        vals.append(c)
                elif kind == 4 or kind == 5:  # local.set, local.tee
                    t = locals_[imm]
                    if len(vals) > self.height and vals[-1] == t:
                        if kind == 4:
                            vals.pop()
                    else:
                        _pop1(self, t)
                        if kind == 5:
                            vals.append(t)
                elif kind == 6:  # load
                    if imm[0] > a or not self.nmems:
                        _check_memarg(self, imm, a)
                    if len(vals) > self.height and vals[-1] == i32:
                        vals[-1] = c
                    else:
                        _pop1(self, i32)
                        vals.append(c)
                elif kind == 7:  # store
                    if imm[0] > a or not self.nmems:
                        _check_memarg(self, imm, a)
                    if len(vals) - 2 >= self.height and vals[-1] == b and vals[-2] == i32:
                        del vals[-2:]
                    else:
                        _pop_vals(self, (i32, b))
                else:  # unary
                    if len(vals) > self.height and vals[-1] == a:
                        vals[-1] = c
                    else:
                        _pop1(self, a)
                        vals.append(c)
                pos = nxt
        except IndexError:
            if kind not in (_K_LOCAL_GET, _K_LOCAL_SET, _K_LOCAL_TEE):
                raise
            raise self._located(ValidationError(f"unknown local {imm}"), source, pos, end) from None
        except WasmError as exc:
            raise self._located(exc, source, pos, end) from None
        return pos


def _missing_end(source: bytes, end: int) -> DecodeError:
    """A body's code ran out before its final ``end``: if the module ends there
    too, its bytes ran out; else the function's END is missing (the suite's wording)."""
    if end == len(source):
        return DecodeError("unexpected end of section or function", end)
    return DecodeError("END opcode expected", end)


def check_body_wellformed(body: syntax.FuncBody, has_data_count: bool) -> None:
    """Raise the DecodeError a malformed body deserves, checking nothing else.

    Malformedness must win over invalidity wherever both occur in a module, so
    when validation fails the module validator runs this over every body."""
    _, _, pos = read_local_decls(body)
    source = body.source
    end = body.end
    awaiting_else = [False]  # per open block: is it an `if` still before its `else`
    while awaiting_else:
        if pos >= end:
            raise _missing_end(source, end)
        op, _, nxt = read_instr(source, pos, end)
        if op is _BLOCK or op is _LOOP:
            awaiting_else.append(False)
        elif op is _IF:
            awaiting_else.append(True)
        elif op is _ELSE:
            if not awaiting_else[-1]:
                raise DecodeError("END opcode expected (else without if)", pos)
            awaiting_else[-1] = False
        elif op is _END:
            awaiting_else.pop()
        elif (op is _MEMORY_INIT or op is _DATA_DROP) and not has_data_count:
            raise DecodeError("data count section required", pos)
        pos = nxt
    if pos != end:
        raise DecodeError("section size mismatch: bytes after the function's end", pos)


def check_const_expr(
    expr: syntax.Expr, expected: int, globals_: Sequence[syntax.GlobalType], nfuncs: int
) -> None:
    """A constant expression of type ``expected``. ``globals_`` are the globals it
    may read (the imported ones, in 2.0); errors carry ``expr.offset``-based offsets."""
    code = expr.code
    end = len(code)
    pos = 0
    stack: List[int] = []
    try:
        while True:
            op, imm, nxt = read_instr(code, pos, end)
            if op is _END:
                break
            results = _CONSTS.get(op)
            if results is not None:
                stack.append(results[0])
            elif op is _REF_NULL:
                stack.append(imm)
            elif op is _REF_FUNC:
                if imm >= nfuncs:
                    raise ValidationError(f"unknown function {imm}")
                stack.append(FUNCREF)
            elif op is _GLOBAL_GET:
                if imm >= len(globals_):
                    raise ValidationError(f"unknown global {imm}")
                if globals_[imm].mutable:
                    raise ValidationError(f"constant expression required: global {imm} is mutable")
                stack.append(globals_[imm].valtype)
            else:
                raise ValidationError(f"constant expression required, found {op.name}")
            pos = nxt
    except ValidationError as exc:
        exc.offset = expr.offset + pos
        raise
    except DecodeError as exc:
        exc.offset = expr.offset + (pos if exc.offset is None else exc.offset)
        raise
    if stack != [expected]:
        got = " ".join(valtype_name(t) for t in stack) or "nothing"
        raise ValidationError(
            f"type mismatch: constant expression must give {valtype_name(expected)}, gives {got}",
            offset=expr.offset + pos,
        )


__all__ = [
    "BLOCK", "ELSE", "FUNC", "IF", "LOOP", "Frame", "FuncValidator",
    "check_body_wellformed", "check_const_expr", "declared_refs",
]  # fmt: skip
