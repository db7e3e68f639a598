"""Tier 0: run the register IR as a list of Python closures.

Loading a translated function turns each IR instruction into a closure
``h(regs) -> next handler`` with its registers, immediates and successor bound
in; the closure comes from a factory per IR op name. The factories of the numeric
ops (and of the fused compare-and-branch ops) are generated once per process from
the ``numeric`` templates, so the semantics exist in exactly one place. Running
is::

    while h is not None:
        h = h(regs)

Returning the next closure rather than its index saves the list lookup per
instruction (measured 10-20% on CPython 3.11 loops, neutral on PyPy). Runs of up
to ``MAX_RUN`` straight-line numeric ops, selects, copies, loads and stores that no branch
enters share one closure (15-25% on arithmetic loops), and so does a conditional
branch or ``br_table`` right after them (a loop's closing compare-and-branch joins
its body, an interpreter's dispatch the fetch of its opcode). A run's closure is
generated on the run's ``FUSE_AT``-th execution (a stand-in holds its place until
then, running its ops one by one before): most runs of a big program's start-up
functions never run or run a few times, and each new run shape costs a
``compile()`` (QuickJS's first eval runs 2046 of the 8401 runs it loads, ~470 of
them 16 times or more: ~340 shapes instead of 2499). Before that, the closures
(and the runs' stand-ins) of a segment, the instructions from one branch target to
the next, are made at its first execution (``_Segment``): most of a big program's
code never runs (graphviz's first render leaves 26k of the 55k instructions it
loads unrun), and what waits keeps its instructions packed (``_pack``), not the IR.

A closure binds its registers, immediates and successors as default arguments,
not cells: one tuple per closure instead of a cell per name, for the garbage
collector to walk (QuickJS's first eval keeps ~20k closures alive, with ~90k
cells when they were closures proper). Factories are called with instruction
indices for ``nxt``/``target``; ``_link`` then swaps the indices in the defaults
for the closures themselves, which also resolves backward branches. A conditional branch whose taken path needs
copies jumps to a stub closure after the code, which copies and jumps on, so the
common untaken path never looks at copies.

A direct call runs the callee's loop inside the call handler (one Python frame
per wasm call); ``_depth`` counts wasm frames and turns too deep a recursion into
the trap "call stack exhausted" (tier-1 code counts in arguments instead, and sets
``_depth`` around its calls out of tier 1: see ``codegen.Tier1``).

Tier-up: every call of a tier-0 function spends ``CALL_COST`` units of its
``budget`` and every loop iteration one (in ``auto`` mode only: a loop header's
closure is wrapped by a counting one, measured 20-30% slower tier-0 loops on
CPython 3.11, unlinked once the budget is spent so a long call does not keep
paying); when it runs out the function is compiled to Python (``codegen``,
tier 1) on its next call and ``WasmFunction.compiled`` becomes the
``codegen.Tier1``, which looks like a ``Compiled`` to tier-0 callers.
``WASMLITE_TIER`` (read at import) forces a tier: ``0`` never compiles, ``1``
compiles every function on its first call; anything else (unset, ``auto``)
tiers up after the work of ``HOT_CALLS`` calls and ``SIZE_COST`` units per IR
instruction (compiling a big function costs more), or when the host calls again an
export under whose earlier calls the function was loaded (``host_call_begins``:
a repeated render or script run is compiled whole for its next run, while
initialisation stays in tier 0), and notes the functions loaded in tier 0 for
``prefill`` to compile into the disk cache at exit.
"""

from __future__ import annotations

import os
import weakref
from time import perf_counter
from types import FunctionType, MethodType
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from .. import syntax
from ..errors import HostError, Trap, TrapFrame
from ..ir import Copies, Instr, IRFunction, RefFunc
from ..numeric import ABSORBS, NUMERIC, SCALAR, UNWRAPPED, Template, helper_namespace, render_unwrapped
from ..runtime.objects import Function, HostFunction, ModuleInstance, WasmFunction
from ..translate import translate_function
from ..validate.code import FuncValidator
from .memory_ops import ACCESS_GLOBALS, ACCESS_GUARD, ACCESSES, LOADS, Handler, Next, access_args, access_statement, handler_factory
from .memory_ops import FACTORIES as _MEMORY_FACTORIES


MAX_CALL_DEPTH = 12000
"""Wasm call depth at which calls trap with "call stack exhausted"."""

EXHAUSTED = "call stack exhausted"

_depth = 0

_fuel = 0
"""Units metered code may still spend before it calls ``_tick`` (see ``load``)."""

_meter: Any = None
"""The running store's meter while metered code runs: ``_meter.tick()`` is called
when ``_fuel`` falls below zero and returns the next allowance (or raises a Trap:
out of fuel, interrupted)."""


def _tick() -> None:
    global _fuel
    _fuel = _meter.tick()


FUEL_CHECK = ("_fuel -= 1", "if _fuel < 0: _tick()")
"""The statements metered code runs at each function entry and loop head: the cost
model is one unit per wasm function call and one per loop iteration (each arrival
at a loop head, the first included), the same in both tiers."""

TIER = {"0": "0", "1": "1"}.get(os.environ.get("WASMLITE_TIER", "").strip(), "auto")
"""``0``, ``1`` or ``auto`` (see the module docstring)."""

HOT_CALLS = 200
"""Calls after which a function is compiled to tier 1 in ``auto`` mode: about when
the time spent in tier 0 equals the cost of compiling (so at most twice the
cost of either choice made in hindsight). Measured on CPython 3.11 over ten
functions (the programs of ``tests/test_codegen.py``: recursion, loops, memory,
switches, random control flow) with ``codegen.tier1`` timed against one tier-0
call from the host: the ratio ranged 2-1400, median about 210; loop-heavy
functions sit at the low end (2-50) and gain 2-6x per call, trivial ones at
the high end and gain little."""

CALL_COST = 4
"""Budget units a call spends; a loop iteration spends one. Measured on CPython
3.11: a tier-0 loop iteration of a few instructions takes about 1 us, a call of
a small function 2-5 us, so a call is worth about four iterations."""

SIZE_COST = 16
"""Budget units per IR instruction a function starts with beside ``HOT_CALLS``'
calls: compiling costs about 25 us per IR instruction (CPython 3.11, QuickJS's
start-up functions: 1.8 ms for 12 instructions, 39 ms for 1492), while a budget
unit stands for about 1 us of tier-0 work whatever the function's size. With a
flat budget QuickJS's cold first eval compiled 21 functions (printf_core with
1492 instructions, JS_DefineProperty 769, ...) for ~0.15-0.2 s, none of which
spent more than ~10k units (~10 ms in tier 0) in the whole start; now 10 small
ones. 8, 16 and 32 measured the same there (within 0.6% of its instructions)."""

_NEVER = 1 << 62

load_seconds = 0.0
"""Seconds this process spent translating functions for tier 0 and generating their
closures (what ``prefill`` may spend at exit). What is loaded lazily is only timed
in ``auto`` mode, the one that fills the cache at exit (graphviz's tiny render loads
3,222 segments and ~2,600 runs), and by ``perf_counter``: the CPU clock
(``process_time``) is a system call, ~0.9 us on CPython 3.11 in this project's VM
against 0.07 us, and QuickJS's cold start read it ~8,000 times (~7 ms)."""

_ZERO: Dict[int, Any] = {
    syntax.I32: 0, syntax.I64: 0, syntax.F32: 0.0, syntax.F64: 0.0, syntax.V128: 0,
    syntax.FUNCREF: None, syntax.EXTERNREF: None,
}  # fmt: skip


class Compiled:
    """A loaded function: its closures and the frame template.

    ``code`` has a closure per IR instruction (None inside a run, which its first
    instruction's closure executes, and inside a segment not loaded yet, whose
    stand-in is at its first instruction); ``tail`` is everything after the arguments:
    zeroed locals, temporaries and the reversed constants (see the picture in
    ``ir``); results end up in ``regs[lo:hi]``.
    """

    __slots__ = ("code", "tail", "lo", "hi", "entry", "budget", "func")

    def __init__(self, ir: IRFunction, code: List[Optional[Handler]], tail: List[Any]) -> None:
        self.code = code
        self.tail = tail
        self.lo = ir.nlocals
        self.hi = ir.nlocals + ir.nresults
        self.entry: Optional[Handler] = code[0] if ir.code else None
        # units left before tier-up
        self.budget = HOT_CALLS * CALL_COST + SIZE_COST * len(ir.code) if TIER == "auto" else _NEVER
        self.func: Optional[WasmFunction] = None


def _run(c: Compiled, args: List[Any]) -> List[Any]:
    """Execute one wasm call (``args`` becomes the frame, so it must be a fresh list)."""
    global _depth
    if _depth >= MAX_CALL_DEPTH:
        raise Trap(EXHAUSTED)
    c.budget -= CALL_COST
    if c.budget < 0:
        c = tier_up(c)
    _depth += 1
    regs = args + c.tail
    h = c.entry
    try:
        while h is not None:
            h = h(regs)
    except Trap as t:
        if isinstance(c, Compiled):  # tier-1 code adds its own frame
            t.frames.append(trap_frame(c.func))
        raise
    finally:
        _depth -= 1
    return regs[c.lo:c.hi]


def trap_frame(f: Optional[WasmFunction]) -> TrapFrame:
    """The backtrace entry of ``f``, named from its module's name section."""
    if f is None:
        return TrapFrame(-1, None, None)
    names = f.instance.module.names
    return TrapFrame(f.index, names.funcs.get(f.index), names.module)


class _Probe:
    """Recursion that takes both of CPython's counts (a C-level call and a Python frame)."""

    def __call__(self, n: int) -> None:
        if n:
            self(n - 1)


_probe = _Probe()


def host_failure(exc: BaseException) -> BaseException:
    """What to raise for ``exc``, raised by a host function that wasm called: a
    ``HostError`` carrying it (it comes out unchanged where wasm was entered), or,
    for a ``RecursionError`` with Python's stack used up here, the exhaustion trap:
    host and wasm frames share that stack, and recursion through host functions
    (whose frames the depth count does not see) can use it up before
    ``MAX_CALL_DEPTH`` is reached.

    Callers raise it outside their ``except`` blocks: raised inside one, PyPy records
    the handled exception as its context, and that can itself fail this close to the
    stack's limit (a TypeError in place of the trap)."""
    if exc.__class__ is RecursionError:
        try:
            _probe(50)
        except RecursionError:
            exhausted = True
        else:
            exhausted = False
        if exhausted:  # the trap made outside the handler, for the same reason
            return Trap(EXHAUSTED)
    return HostError(exc)


def call_host(f: HostFunction, args: List[Any]) -> List[Any]:
    """Call a host function, normalising its result to a list of as many values as
    its type says (a wrong count would shift the caller's registers). What the
    function raises, other than a ``Trap``, travels up as ``host_failure`` says."""
    try:
        r = f.callable(*args)
    except (Trap, HostError):
        raise
    except BaseException as exc:  # KeyboardInterrupt too: it resurfaces unchanged
        failure = exc
    else:
        return call_host_results(f, r)
    raise host_failure(failure)  # outside the handler: see ``host_failure``


def call_host_results(f: HostFunction, r: Any) -> List[Any]:
    """What host function ``f`` returned, as a list of as many values as its type says."""
    n = len(f.type.results)
    if n == 1 and not isinstance(r, (tuple, list)):
        return [r]  # None included: a null reference
    if r is None:
        out: List[Any] = []
    elif isinstance(r, (tuple, list)):
        out = list(r)
    else:
        out = [r]
    if len(out) != n:
        raise TypeError(f"{f!r} returned {len(out)} value(s), its type has {n}")
    return out


def host_direct(f: HostFunction) -> Callable[..., Any]:
    """``f.direct``, made the first time it is asked for (a ``HostFunction`` built
    without one, as WASI's are): ``call_host`` with tier 1's calling convention
    (None, the value or a tuple), so that tier-1 code reaches the callable through
    one frame instead of three."""
    made = f.direct
    if made is not None:
        return made
    fn = f.callable
    n = len(f.type.results)

    def direct(*args: Any) -> Any:
        failure: Optional[BaseException]
        try:
            r = fn(*args)
        except (Trap, HostError):
            raise
        except BaseException as exc:  # as in ``call_host``
            failure = exc
        else:
            failure = None
        if failure is not None:
            raise host_failure(failure)
        if n == 1 and not isinstance(r, (tuple, list)):
            return r
        if n == 0 and r is None:
            return None
        out = call_host_results(f, r)
        return out[0] if n == 1 else (tuple(out) if n else None)

    f.direct = direct
    return direct


_VALIDATORS: "weakref.WeakKeyDictionary[ModuleInstance, FuncValidator]" = weakref.WeakKeyDictionary()
"""One validator per instance: building one reads the whole module, so building one
per function would make translating a module's functions quadratic."""


def _validator(inst: ModuleInstance) -> FuncValidator:
    v = _VALIDATORS.get(inst)
    if v is None:
        v = _VALIDATORS[inst] = FuncValidator(inst.module)
    return v


def compiled(f: WasmFunction, from_tier1: bool = False) -> Compiled:
    """``f.compiled``, translating and loading ``f`` on first use: in tier 1 when
    forced and it fits, or (auto) when the cache already holds its tier-1 code;
    else by translating it (``_translated``; ``from_tier1``: tier-1 code calls it)."""
    c = f.compiled
    if c is None:
        if TIER == "1":
            c = _tier1(f)
        elif TIER == "auto":
            c = _cached_tier1(f)
        if c is None:
            c = _translated(f, from_tier1)
        f.compiled = c
    return c  # type: ignore[no-any-return]


def _translated(f: WasmFunction, from_tier1: bool = False) -> Any:
    """``f`` translated and loaded in tier 0, or in ``auto`` mode compiled at once when
    its module is small (``SMALL_MODULE_BYTES``) and it loops or tier-1 code calls
    it (``from_tier1``)."""
    global load_seconds
    inst = f.instance
    start = perf_counter()
    if TIER == "auto" and _small(inst):  # translated once, as tier 1 wants it, whichever tier runs it
        from .codegen import translate  # (codegen imports this module)

        translated = translate(inst.module, f.index, _validator(inst))
        ir = translated[0]
        if from_tier1 or loop_heads(ir.code):
            t = _tier1(f, translated)
            if t is not None:
                return t
    else:
        ir = translate_function(inst.module, f.index, _validator(inst))
    c = load(ir, inst)
    c.func = f
    load_seconds += perf_counter() - start
    if TIER == "auto":
        _note_for_exit(f, len(ir.code))
        _recent.append(c)
    return c


SMALL_MODULE_BYTES = 16 * 1024
"""Code (all function bodies) up to which, in ``auto`` mode, a function with a loop
goes to tier 1 on its first call: a call cannot leave tier 0 while it runs, so a
small program's one long call (a benchmark kernel's) would run all in tier 0, and
compiling what a module this small runs costs a few milliseconds at most. So does
a function that tier-1 code calls first: its caller loops or is hot, so the call
is likely to repeat, and ~200 calls through tier 0 until the budget is spent
cost more than compiling a small callee at once (``calls``: two callees)."""

_SMALL: "weakref.WeakKeyDictionary[ModuleInstance, bool]" = weakref.WeakKeyDictionary()


def _small(inst: ModuleInstance) -> bool:
    small = _SMALL.get(inst)
    if small is None:
        small = _SMALL[inst] = sum(b.end - b.start for b in inst.module.codes) <= SMALL_MODULE_BYTES
    return small


_recent: List[Compiled] = []
"""Functions loaded in tier 0 (``auto`` mode) during the running call from the host."""


def host_call_begins(f: WasmFunction) -> None:
    """The host calls ``f`` again: the functions loaded in tier 0 while it ran before
    spend their whole budget, so each tiers up at its next call. What a call the
    host repeats runs again (a render, a script, the runtime a script creates and
    frees) is the program's work; what ran under other calls (initialisation, or
    the first eval after it) is not counted against it."""
    for c in f.instance.loaded_under.pop(f.index, ()):
        c.budget = min(c.budget, 0)


def host_call_ends(f: WasmFunction) -> None:
    """Remember what the call from the host loaded, for ``host_call_begins``."""
    if _recent:
        f.instance.loaded_under.setdefault(f.index, []).extend(_recent)
        _recent.clear()


def _tier1(f: WasmFunction, translated: Any = None) -> Any:
    from .codegen import tier1  # (codegen imports this module)

    return tier1(f, _validator(f.instance), translated)


def _cached_tier1(f: WasmFunction) -> Any:
    from .codegen import cached_tier1

    return cached_tier1(f)


def _note_for_exit(f: WasmFunction, size: int) -> None:
    from .prefill import note  # (prefill imports codegen, which imports this module)

    note(f, size)


def tier_up(c: Compiled) -> Any:
    """The tier-1 replacement of a hot function, or ``c`` itself (never to be tried
    again) when it has none."""
    f = c.func
    t = _tier1(f) if f is not None and f.compiled is c else None
    if t is None:
        c.budget = _NEVER
        return c
    f.compiled = t  # type: ignore[union-attr]
    return t


# -- generated factories -------------------------------------------------------------

_NAMESPACES: Dict[Tuple[FrozenSet[str], bool], Dict[str, Any]] = {}
"""The globals of generated factories, one dict per set of helpers (and whether the
access statements' names are in it) instead of one per factory: graphviz's tier 0
generates about 1,400 factories over a few dozen sets."""


def _make(params: List[str], body: str, helpers: Any, access: bool = False) -> Callable[..., Handler]:
    key = (frozenset(helpers), access)
    ns = _NAMESPACES.get(key)
    if ns is None:
        ns = _NAMESPACES[key] = helper_namespace(helpers)
        if access:
            ns.update(ACCESS_GLOBALS)
    return handler_factory(params, body, ns, "<wasmlite.engine.interp>")


FORWARDED = 2
"""Operand kinds beside False (register) and True (constant): ``FORWARDED + j`` is
the result of op ``j`` of the same run, held in the local ``v<j>`` instead of a
register."""


def _operands(arity: int, dup: Tuple[int, ...], const: Tuple[int, ...],
              tag: str = "") -> Tuple[List[str], str, List[str]]:
    """The factory's parameters, the handler's binding lines and the operand expressions:
    a constant operand is bound into the closure, a register operand read once per use
    (into a local when the template uses it twice), a forwarded one is its local (its
    register parameter goes unused). ``tag`` keeps the names of several statements in
    one handler apart."""
    params, lines, exprs = [], "", []
    for i in range(arity):
        if const[i] >= FORWARDED:
            params.append(f"a{tag}{i}")
            exprs.append(_local(const[i]))
        elif const[i]:
            params.append(f"k{tag}{i}")
            exprs.append(f"k{tag}{i}")
        elif i in dup:
            params.append(f"a{tag}{i}")
            lines += f"        x{tag}{i} = regs[a{tag}{i}]\n"
            exprs.append(f"x{tag}{i}")
        else:
            params.append(f"a{tag}{i}")
            exprs.append(f"regs[a{tag}{i}]")
    return params, lines, exprs


def _field_params(t: Template, tag: str = "") -> Dict[str, str]:
    """The factory parameters standing for the template's immediate fields."""
    return {f: f"f{tag}_{f}" for f in t.fields}


def _field_args(t: Template, imm: Any) -> List[Any]:
    """The values of ``_field_params`` for an instruction's immediate."""
    if not t.fields:
        return []
    values = t.fields_of(imm)  # type: ignore[misc]
    return [values[f] for f in t.fields]


def _numeric_factory(name: str, const: Tuple[bool, ...]) -> Callable[..., Handler]:
    t = NUMERIC[name]
    params, lines, exprs = _operands(t.arity, t.dup_operands, const)
    fields = _field_params(t)
    params += list(fields.values())
    body = f"{lines}        regs[d] = {t.render(*exprs, **fields)}\n        return nxt\n"
    return _make(["d", *params, "nxt"], body, t.helpers)


def _branch_factory(op: str, const: Tuple[bool, ...]) -> Callable[..., Handler]:
    params, lines, helpers = _branch_tail(op, const)
    return _make(params + ["target", "nxt"], lines, helpers)


_FACTORY_CACHE: Dict[Tuple[str, str, Tuple[bool, ...]], Callable[..., Handler]] = {}


def _cached(kind: str, name: str, const: Tuple[bool, ...]) -> Callable[..., Handler]:
    key = (kind, name, const)
    make = _FACTORY_CACHE.get(key)
    if make is None:
        if kind == "op:":
            make = _numeric_factory(name, const)
        else:
            make = _branch_factory(name, const)
        _FACTORY_CACHE[key] = make
    return make


MAX_RUN = 16
"""Longest run of straight-line numeric ops, selects, copies, loads and stores one
closure executes (8 measured 5-9% faster than 4 on the compute kernels; once results are
forwarded inside runs, 16 another 2-7%; distinct run shapes, one factory each, do
not grow in number, nor does cold start)."""

RunKey = Tuple[Tuple[str, Tuple[int, ...]], ...]
_RUN_FACTORIES: Dict[RunKey, Callable[..., Handler]] = {}
_RUN_OPS: Dict[Tuple[str, Tuple[int, ...]], Tuple[str, Tuple[int, ...]]] = {}
"""The (op, operand kinds) pairs of ``_RUN_FACTORIES``' keys, each kept once: graphviz's
tier 0 generates 1,677 run shapes of 10,263 ops, 1,043 distinct pairs."""


def _branch_tail(op: str, const: Tuple[int, ...]) -> Tuple[List[str], str, Set[str]]:
    """The parameters, lines and helpers of conditional branch ``op`` (``br_if`` or
    ``br_unless``, plain or fused with a compare) to ``target``: a handler of its own
    or the end of a run."""
    kind, _, cmp = op.partition(".")
    taken, other = ("target", "nxt") if kind == "br_if" else ("nxt", "target")
    if not cmp:
        return ["c"], f"        if regs[c]:\n            return {taken}\n        return {other}\n", set()
    t = SCALAR[cmp]
    params, lines, exprs = _operands(t.arity, t.dup_operands, const, "b")
    return params, (f"{lines}        if {t.render_cond(*exprs)}:\n            return {taken}\n"
                    f"        return {other}\n"), set(t.helpers)


def _local(kind: int) -> str:
    return f"v{kind - FORWARDED}"


def _run_factory(key: RunKey) -> Callable[..., Handler]:
    """A factory for a closure running several straight-line ops in a row (one
    dispatch instead of several), from the same templates and statements, possibly
    ending with a conditional branch; generated once per sequence of (op, operand
    kinds). A result forwarded to a later op stays in a local, and skips its mask
    when that op masks anyway (delayed masking, as in tier 1)."""
    make = _RUN_FACTORIES.get(key)
    if make is None:
        params: List[str] = []
        body: List[Tuple[str, str]] = []  # (lines, an access's unguarded lines or ""), see _guarded
        helpers: Set[str] = set()
        end = "        return nxt\n"
        consumer = {k - FORWARDED: (op, i) for op, const in key for i, k in enumerate(const) if k >= FORWARDED}
        for j, (op, const) in enumerate(key):
            dest = _local(FORWARDED + j) if j in consumer else f"regs[d{j}]"
            if op.startswith(_CONDITIONAL):
                p, end, more = _branch_tail(op, const)
                params += p + ["target"]
                helpers |= more
            elif op == "br_table":
                index = _local(const[0]) if const[0] >= FORWARDED else "regs[bt]"
                params += ["bt", "targets", "last", "default"]
                end = f"        i = {index}\n        return targets[i] if i < last else default\n"
            elif op == "copy":
                params += [f"d{j}", f"s{j}"]
                body.append((f"        regs[d{j}] = regs[s{j}]\n", ""))
            elif op == "select":
                p, lines, (x, y, c) = _operands(3, (), const, f"{j}_")
                params += [f"d{j}"] + p
                body.append((lines + f"        {dest} = {x} if {c} else {y}\n", ""))
            elif op in ACCESSES:
                operands = [_local(k) if k >= FORWARDED else None for k in const]
                p, lines = access_statement(op, str(j), operands, dest)
                params += p
                body.append((lines, access_statement(op, str(j), operands, dest, guarded=False)[1]))
            else:
                t = NUMERIC[op]
                p, lines, exprs = _operands(t.arity, t.dup_operands, const, f"{j}_")
                fields = _field_params(t, str(j))
                user, position = consumer.get(j, ("", -1))
                if op in UNWRAPPED and position in ABSORBS.get(user, (0, ()))[1]:
                    expr = render_unwrapped(op, *exprs)
                else:
                    expr = t.render(*exprs, **fields)
                params += [f"d{j}"] + p + list(fields.values())
                body.append((lines + f"        {dest} = {expr}\n", ""))
                helpers |= t.helpers
        key = tuple(_RUN_OPS.setdefault(op, op) for op in key)  # kept for good: shared parts
        make = _RUN_FACTORIES[key] = _make(params + ["nxt"], _guarded(body) + end, helpers, access=True)
    return make


def _guarded(body: List[Tuple[str, str]]) -> str:
    """A run's statements, those from its first access to its last inside one
    ``ACCESS_GUARD`` when there are several: the source to compile gets shorter
    (QuickJS's runs store a struct's fields in a row, with additions between). The
    numeric ops, selects and copies between raise neither ``IndexError`` nor
    ``struct.error``. ``body`` holds per statement its lines and, for an access, its
    unguarded lines (else "")."""
    accesses = [j for j, (_, bare) in enumerate(body) if bare]
    if len(accesses) < 2:
        return "".join(lines for lines, _ in body)
    first, last = accesses[0], accesses[-1] + 1
    inner = "".join(bare or lines for lines, bare in body[first:last])
    return ("".join(lines for lines, _ in body[:first]) + ACCESS_GUARD[0]
            + "".join(f"    {line}\n" for line in inner.splitlines()) + ACCESS_GUARD[1]
            + "".join(lines for lines, _ in body[last:]))


def _forwarding(instrs: List[Instr], nlocals: int) -> List[Tuple[int, ...]]:
    """Per instruction of a run, its operand kinds as to forwarding: ``FORWARDED + j``
    where it takes the result of op ``j`` (a numeric op, select or load, into a
    temporary) and is that temporary's one reader after ``j`` in the run, a numeric
    op, select, load, store or compare-and-branch that reads it once. A stack value is popped once, so
    nothing after the run reads it either (tier 1 relies on the same)."""
    kinds: List[List[int]] = [[False] * len(ins.a) for ins in instrs]
    producer: Dict[int, int] = {}  # temporary -> the op of the run that last wrote it
    for m, ins in enumerate(instrs):
        consumes = (ins.op in _VALUE_OPS or ins.op in ACCESSES or ins.op == "br_table"
                    or "." in ins.op and ins.op.startswith(_CONDITIONAL))
        for i, x in enumerate(ins.a):
            j = producer.pop(x, None)
            if (j is not None and consumes and ins.a.count(x) == 1
                    and not any(s == x for _, s in _copies(ins)) and not _read_later(x, instrs[m + 1:])):
                kinds[m][i] = FORWARDED + j
        if ins.d is not None:
            producer.pop(ins.d, None)
            if ins.d >= nlocals and (ins.op in _VALUE_OPS or ins.op in LOADS):
                producer[ins.d] = m
    return [tuple(k) for k in kinds]


def _copies(ins: Instr) -> Copies:
    """Every copy a branch may run (a ``br_table``'s are in its targets)."""
    if ins.op == "br_table":
        return tuple(c for _, cs in ins.imm for c in cs)
    return ins.copies


def _read_later(x: int, instrs: List[Instr]) -> bool:
    """Whether ``instrs`` read register ``x`` before writing it."""
    for ins in instrs:
        if x in ins.a or any(s == x for _, s in _copies(ins)):
            return True
        if ins.d == x:
            return False
    return False


def _straight_run(instrs: List[Instr], nxt: int, consts: List[Any], inst: ModuleInstance,
                  via_stub: Callable[[int, Tuple[Tuple[int, int], ...]], int], nlocals: int) -> Handler:
    key: List[Tuple[str, Tuple[int, ...]]] = []
    args: List[Any] = []
    for ins, fwd in zip(instrs, _forwarding(instrs, nlocals)):
        if ins.op.startswith(_CONDITIONAL):
            if "." in ins.op:
                const, operands = _operand_args(ins.a, consts)
            else:
                const, operands = (), [ins.a[0]]
            key.append((ins.op, _merge(const, fwd)))
            args += operands + [via_stub(ins.target, ins.copies)]
        elif ins.op == "copy":
            key.append(("copy", ()))
            args += [ins.d, ins.a[0]]
        elif ins.op in ACCESSES:
            key.append((ins.op, fwd))
            args += access_args(ins, inst)
        elif ins.op == "select":
            key.append(("select", fwd))
            args += [ins.d, *ins.a]
        elif ins.op == "br_table":
            key.append(("br_table", fwd))
            args += [ins.a[0], *_table_targets(tuple(via_stub(t, c) for t, c in ins.imm))]
        else:
            const, operands = _operand_args(ins.a, consts)
            key.append((ins.op, _merge(const, fwd)))
            args += [ins.d] + operands + _field_args(NUMERIC[ins.op], ins.imm)
    return _run_factory(tuple(key))(*args, nxt)


def _merge(const: Tuple[bool, ...], fwd: Tuple[int, ...]) -> Tuple[int, ...]:
    """Operand kinds: ``FORWARDED`` where ``fwd`` says so, else constant or register."""
    return tuple(f or c for c, f in zip(const, fwd)) if const else ()


_VALUE_OPS = frozenset(NUMERIC) | {"select"}
_STRAIGHT = _VALUE_OPS | {"copy"} | ACCESSES
_CONDITIONAL = ("br_if", "br_unless")
_RUN_ENDS = _CONDITIONAL + ("br_table",)


def _branch_targets(code: List[Instr]) -> Tuple[Set[int], Set[int], List[int]]:
    """Every instruction index some branch goes to, the loop heads among them (the
    instructions a branch goes back to, or stays at), and the branches' indices: one
    pass for ``load``."""
    labels: Set[int] = set()
    heads: Set[int] = set()
    # (is_branch without a call per instruction: only branches' names start with "b")
    branches = [i for i, ins in enumerate(code) if ins.op[0] == "b" and ins.op.startswith("br")]
    for i in branches:
        ins = code[i]
        for t in [t for t, _ in ins.imm] if ins.op == "br_table" else (ins.target,):
            labels.add(t)
            if 0 <= t <= i:
                heads.add(t)
    return labels, heads, branches


_ONE = (False,)
_REG_REG = (False, False)
_REG_CONST = (False, True)
_CONST_REG = (True, False)
_REG_REG_REG = (False, False, False)


def _operand_args(a: Tuple[int, ...], consts: List[Any]) -> Tuple[Tuple[bool, ...], List[Any]]:
    """Which operands of a numeric op are bound as constant values (only one, beside a
    register: an op on constants alone reads them from the frame's tail)."""
    if len(a) == 1:
        return _ONE, [a[0]]
    if len(a) == 3:  # v128.bitselect
        return _REG_REG_REG, list(a)
    x, y = a
    if y < 0 <= x:
        return _REG_CONST, [x, consts[-1 - y]]
    if x < 0 <= y:
        return _CONST_REG, [consts[-1 - x], y]
    return _REG_REG, [x, y]


# -- the other handlers ----------------------------------------------------------------


def _copy(d: int, s: int, nxt: Next) -> Handler:
    def h(regs: list, d: int = d, s: int = s, nxt: Any = nxt) -> Any:
        regs[d] = regs[s]
        return nxt

    return h


def _jump(target: Any, copies: Tuple[Tuple[int, int], ...]) -> Handler:
    """An unconditional jump carrying ``copies`` (``target``: an index to link, or
    what is there)."""
    if not copies:
        def jump(regs: list, target: Any = target) -> Any:
            return target
        return jump
    if len(copies) == 1:
        ((d, s),) = copies

        def jump_copying_one(regs: list, d: int = d, s: int = s, target: Any = target) -> Any:
            regs[d] = regs[s]
            return target
        return jump_copying_one

    def jump_copying(regs: list, copies: Any = copies, target: Any = target) -> Any:
        for d, s in copies:
            regs[d] = regs[s]
        return target
    return jump_copying


def _br_if(a: int, target: Any, nxt: Next) -> Handler:
    def h(regs: list, a: int = a, target: Any = target, nxt: Any = nxt) -> Any:
        return target if regs[a] else nxt

    return h


def _br_unless(a: int, target: Any, nxt: Next) -> Handler:
    def h(regs: list, a: int = a, target: Any = target, nxt: Any = nxt) -> Any:
        return nxt if regs[a] else target

    return h


def _table_targets(targets: Tuple[Any, ...]) -> Tuple[Tuple[Any, ...], int, Any]:
    """A ``br_table``'s targets but the last, their number, and the last (the default)."""
    last = len(targets) - 1
    return targets[:last], last, targets[last]


def _br_table(a: int, targets: Tuple[Any, ...]) -> Handler:
    targets, last, default = _table_targets(targets)

    def h(regs: list, a: int = a, targets: Any = targets, last: int = last, default: Any = default) -> Any:
        i = regs[a]
        return targets[i] if i < last else default

    return h


def _unreachable(regs: list) -> Any:
    raise Trap("unreachable")


def _select(d: int, a: int, b: int, c: int, nxt: Next) -> Handler:
    def h(regs: list, d: int = d, a: int = a, b: int = b, c: int = c, nxt: Any = nxt) -> Any:
        regs[d] = regs[a] if regs[c] else regs[b]
        return nxt

    return h


_CALL_SRC = """        global _depth
{callee}        c = f.compiled
        if c is None:
            c = compiled(f)
        if c.__class__ is not Compiled:  # tier 1: called straight, the depth an argument
            {tier1_call}
            return nxt
        if _depth >= MAX_CALL_DEPTH:
            raise Trap(EXHAUSTED)
{budget}        _depth += 1
        r = [{args}*c.tail]
        g = c.entry
        try:
            while g is not None:
                g = g(r)
        except Trap as t:
            if type(c) is Compiled:  # tier-1 code adds its own frame
                t.frames.append(trap_frame(f))
            raise
        finally:
            _depth -= 1
        {store}
        return nxt
"""

_BUDGET = """        c.budget -= CALL_COST
        if c.budget < 0:
            c = tier_up(c)
"""

_INDIRECT = """        i = regs[ai]
        elements = table.elements
        if i >= len(elements):
            raise Trap("undefined element")
        f = elements[i]
        if f is None:
            raise Trap("uninitialized element")
        if f.type is not ft and f.type != ft:
            raise Trap("indirect call type mismatch")
        if type(f) is not WasmFunction:  # a host function
            res = call_host(f, [{args}])
            {host_store}
            return nxt
"""

_CALL_FACTORIES: Dict[Tuple[bool, int, int, bool], Callable[..., Handler]] = {}


def _call_factory(indirect: bool, nargs: int, nres: int) -> Callable[..., Handler]:
    """A call handler factory for ``nargs`` arguments and ``nres`` results (the callee's
    loop inlined), of ``f`` or (``indirect``) of the table element ``regs[ai]`` of
    type ``ft``; its code shares this module's globals, ``_depth`` above all. A
    callee in tier 1 is called straight (``codegen.Tier1``: it checks the depth
    itself). Calls spend a tier-0 callee's budget only in ``auto`` mode (when the
    handler is made)."""
    key = (indirect, nargs, min(nres, 2), TIER == "auto")
    make = _CALL_FACTORIES.get(key)
    if make is None:
        store = ("pass", "regs[d] = r[c.lo]", "regs[d:d + c.hi - c.lo] = r[c.lo:c.hi]")[key[2]]
        host_store = ("pass", "regs[d] = res[0]", "regs[d:d + len(res)] = res")[key[2]]
        args = "".join(f"regs[a{i}], " for i in range(nargs))
        tier1_call = ("{}", "regs[d] = {}", "regs[d:d + c.hi - c.lo] = {}")[key[2]].format(f"c.fn({args}_depth)")
        callee = _INDIRECT.format(args=args, host_store=host_store) if indirect else ""
        params = ["table", "ft", "ai"] if indirect else ["f"]
        params += ["d", *(f"a{i}" for i in range(nargs)), "nxt"]
        body = _CALL_SRC.format(callee=callee, budget=_BUDGET if key[3] else "", args=args, store=store,
                                tier1_call=tier1_call)
        make = _CALL_FACTORIES[key] = handler_factory(params, body, globals(), "<wasmlite.engine.interp call>")
    return make


def _call(d: Any, a: Tuple[int, ...], f: Function, nxt: Next) -> Handler:
    nres = len(f.type.results)
    if isinstance(f, WasmFunction):
        return _call_factory(False, len(a), nres)(f, d, *a, nxt)
    end = d + nres if nres else d

    def h(regs: list, f: Any = f, a: Any = a, d: Any = d, end: int = end, nres: int = nres, nxt: Any = nxt) -> Any:
        res = call_host(f, [regs[x] for x in a])  # type: ignore[arg-type]
        if nres:
            regs[d:end] = res
        return nxt

    return h


def _call_indirect(d: Any, a: Tuple[int, ...], imm: Tuple[int, int], inst: ModuleInstance, nxt: Next) -> Handler:
    type_index, table_index = imm
    args = a[:-1]
    make = _call_factory(True, len(args), len(inst.types[type_index].results))
    return make(inst.tables[table_index], inst.types[type_index], a[-1], d, *args, nxt)


# -- loading -----------------------------------------------------------------------------


_LINKED = ("nxt", "target", "targets", "default")
_LINK_SLOTS: Dict[Any, Tuple[int, ...]] = {}
"""Code object of a handler -> the indices of its ``_LINKED`` default arguments."""


def _slots(h: Any) -> Tuple[int, ...]:
    """Where in ``h.__defaults__`` its ``_LINKED`` arguments are (none for a stand-in)."""
    code = getattr(h, "__code__", None)
    if code is None or not h.__defaults__:
        return ()
    slots = _LINK_SLOTS.get(code)
    if slots is None:
        names = code.co_varnames[code.co_argcount - len(h.__defaults__):code.co_argcount]
        slots = _LINK_SLOTS[code] = tuple(i for i, name in enumerate(names) if name in _LINKED)
    return slots


def _link(h: Handler, resolve: Callable[[int], Optional[Handler]]) -> Handler:
    """``h`` with the instruction indices it holds replaced by what ``resolve`` says,
    as a new function (``h`` stays as it was), noted in each stand-in it now holds
    (``_linked``). Every handler is made while code runs (a segment, a lazy run, a
    copy stub at its first execution), and PyPy's JIT may run a function made in
    the same trace with the defaults it was made with even after they were changed
    (reproduced with PyPy 7.3.11: a stale instruction index returned, "'int' object
    is not callable")."""
    slots = _slots(h)
    if not slots:
        return h
    values = list(h.__defaults__ or ())  # type: ignore[attr-defined]
    held: List[Any] = []
    for i in slots:
        v = values[i]
        if isinstance(v, tuple):
            v = tuple(map(resolve, v))
            held.extend(x for x in v if type(x) in _STAND_INS)
            values[i] = tuple(map(_callee, v))
        elif isinstance(v, int):
            v = resolve(v)
            if type(v) in _STAND_INS:
                held.append(v)
            values[i] = _callee(v)
    h = FunctionType(h.__code__, h.__globals__, h.__name__, tuple(values), h.__closure__)  # type: ignore[attr-defined]
    for x in held:
        _linked(x, h)
    return h


def _linked(stand_in: Any, h: Any) -> None:
    """Note in ``stand_in`` that ``h`` goes to it: a handler (which holds it in its
    defaults) or a fuel or counting closure (in its cell ``h``). One is kept as
    itself, several in a list: most stand-ins have one or two (a dict of lists per
    function was ~4k lists for graphviz)."""
    linked = stand_in.linked
    if linked is None:
        stand_in.linked = h
    elif type(linked) is list:
        linked.append(h)
    else:
        stand_in.linked = [linked, h]


def _relink(h: Handler, new: Dict[Any, Any]) -> None:
    """Send a linked handler to ``new[x]`` wherever it went to ``x``, noting it in the
    stand-ins it now goes to (a loop header not loaded yet when the budget ran out)."""
    slots = _slots(h)
    if not slots:
        return
    values = list(h.__defaults__ or ())  # type: ignore[attr-defined]
    for i in slots:
        v = values[i]
        for x in v if isinstance(v, tuple) else (v,):
            if x in new and type(new[x]) in _STAND_INS:
                _linked(new[x], h)
        values[i] = tuple(_callee(new.get(x, x)) for x in v) if isinstance(v, tuple) else _callee(new.get(v, v))
    h.__defaults__ = tuple(values)  # type: ignore[attr-defined]


def _swap(h: Handler, old: Any, new: Any) -> None:
    """Send a linked handler to ``new`` wherever it went to ``old``: in C loops, as a
    ``br_table``'s targets may be hundreds, each a stand-in swapped in its turn
    (QuickJS's interpreter loop; a generator over them made this quadratic)."""
    values = list(h.__defaults__ or ())  # type: ignore[attr-defined]
    for i in _slots(h):
        v = values[i]
        if v is old:
            values[i] = new
        elif type(v) is tuple and old in v:
            targets = list(v)
            k = targets.index(old)
            while True:
                targets[k] = new
                if old not in targets:
                    break
                k = targets.index(old, k)
            values[i] = tuple(targets)
    h.__defaults__ = tuple(values)  # type: ignore[attr-defined]


class _LazyRun:
    """A stand-in for the run of instructions ``code`` (``_pack``ed) at index ``i``:
    its first ``FUSE_AT - 1`` (auto: ``AUTO_FUSE_AT - 1``) executions go op by op
    through closures of the shared single-op factories (``_Loader.single`` makes them,
    on the first), the next one generates the run's own closure
    (``_Loader.materialize`` also puts it wherever the stand-in was linked) and runs
    it; a reference the patching missed keeps working through the stand-in. An
    object, not a closure: QuickJS's first eval loads 8401 runs, and a closure's ten
    cells were ten more objects for each collection of the garbage collector to walk.
    What goes to it holds its ``via`` method instead (``_run_via``, ``_callee``); it
    is noted in the object (``linked``)."""

    __slots__ = ("loader", "i", "code", "end", "real", "first", "runs", "linked", "via")

    def __init__(self, loader: "_Loader", i: int, code: Tuple[Any, ...], end: int) -> None:
        self.loader = loader
        self.i = i
        self.code: Optional[Tuple[Any, ...]] = code
        self.end = end
        self.real: Optional[Handler] = None
        self.first: Optional[Handler] = None
        self.runs = 0
        self.linked: Any = None  # what goes to it (see ``_linked``)
        self.via = MethodType(_run_via, self)

    def __call__(self, regs: list) -> Any:
        return self.via(regs)


def _run_via(run: Any, regs: list) -> Any:
    """A lazy run's execution (``_LazyRun.via``, this bound to the run: what handlers
    hold and call in its place, as CPython 3.11 calls an object's Python ``__call__``
    without the fast path of a function or bound method call, ~600 machine
    instructions more a call; QuickJS's start executed its lazy runs ~77k times): op
    by op, then by its own closure."""
    real = run.real
    if real is None:
        run.runs += 1
        if run.runs < run.loader.fuse_at:
            first = run.first
            if first is None:
                first = run.first = run.loader.single(run.code, run.end)
            return first(regs)
        real = run.real = run.loader.materialize(run, _unpack(run.code), run.end)
        run.code = run.first = None
    return real(regs)


class _Segment:
    """A stand-in for the instructions ``code`` (``_pack``ed) from index ``i`` to the
    next branch target, loaded (``_Loader.realize``) at its first execution: most of
    a big program's code never runs, and a stand-in with its packed instructions is
    a fraction of a closure per instruction (graphviz's tier 0 loaded ~30k)."""

    __slots__ = ("loader", "i", "code", "real", "linked")

    def __init__(self, loader: "_Loader", i: int, code: Tuple[Any, ...]) -> None:
        self.loader = loader
        self.i = i
        self.code: Optional[Tuple[Any, ...]] = code
        self.real: Optional[Handler] = None
        self.linked: Any = None  # what goes to it (see ``_linked``)

    def __call__(self, regs: list) -> Any:
        real = self.real
        if real is None:
            real = self.real = self.loader.realize(self)
            self.code = None
        return real(regs)


_STAND_INS = (_LazyRun, _Segment)


def _callee(x: Any) -> Any:
    """What a handler holds to go to ``x``: a lazy run's ``via``, else ``x``."""
    return x.via if type(x) is _LazyRun else x


def _pack(instrs: List[Instr], branches: List[int]) -> Tuple[Any, ...]:
    """Instructions as one flat tuple of four fields each: what a stand-in keeps of its
    IR until it is loaded, while the function's IR goes once it is loaded (graphviz's
    tier 0 kept 54,658 ``Instr`` objects alive, 80 bytes each and the IR's lists;
    four tuple slots are 32 bytes). A branch's ``d`` and ``imm`` are None (but
    ``br_table``'s, whose arms are its ``imm``), so its ``target`` and ``copies`` take
    their places; ``branches`` are the branches' indices."""
    packed: List[Any] = [None] * (4 * len(instrs))
    packed[::4] = [ins.op for ins in instrs]  # (a comprehension per field: 3.11 specialises
    packed[1::4] = [ins.d for ins in instrs]  # slot reads, where attrgetter's tuples chained
    packed[2::4] = [ins.a for ins in instrs]  # took twice the time)
    packed[3::4] = [ins.imm for ins in instrs]
    for i in branches:
        ins = instrs[i]
        if ins.op != "br_table":
            packed[4 * i + 1] = ins.target
            packed[4 * i + 3] = ins.copies
    return tuple(packed)


def _unpack(packed: Tuple[Any, ...]) -> List[Instr]:
    """The instructions ``_pack`` packed."""
    return [Instr(op, None, a, None, d, imm) if op[:2] == "br" and op != "br_table" else Instr(op, d, a, imm)
            for op, d, a, imm in zip(packed[::4], packed[1::4], packed[2::4], packed[3::4])]


FUSE_AT = 16
"""The execution of a run that generates its closure; the ones before go op by op.
A new run shape costs a ``compile()`` of ~0.2 ms, worth hundreds of executions op
by op, and most runs of a big program's start-up run a few times: QuickJS's first
eval executes 2046 runs, of which 1062 once or twice and ~470 16 times or more
(1047 run shapes compiled if each is generated at once, ~340 now). A loop's runs
are generated after its 15th iteration, so tier 0's steady state is the same.
Measured (QuickJS's cold first eval, tier 0, instructions): generating at the 3rd
execution saves 8%, at the 16th 14%, never 17%."""

AUTO_FUSE_AT = 1024
"""``FUSE_AT`` in ``auto`` mode, where what runs often goes to tier 1 anyway: a run's
``compile()`` (~1M machine instructions, ~0.25 ms) pays back only after hundreds of
executions, and none of QuickJS's start-up runs executes 1024 times (265 of them
64-1023 times). QuickJS's cold start (auto, instructions): 3,994M at 16, 3,924M at 32,
3,809M at 64, 3,716M at 256, 3,673M at 1024 (as never fused); Micro QuickJS's
1,035M -> 957M (64 -> 1024); their steady state unchanged. A loop's runs are still
generated after its 1023rd iteration (a call cannot leave tier 0 while it runs)."""


def load(ir: IRFunction, inst: ModuleInstance) -> Compiled:
    """Turn translated code into stand-ins that load it into closures bound to ``inst``
    a segment at a time (the instructions from one branch target to the next), at
    the segment's first execution."""
    n = len(ir.code)
    labels, heads, branches = _branch_targets(ir.code)
    ld = _Loader(inst, [inst.funcs[c.index] if isinstance(c, RefFunc) else c for c in ir.consts], ir.nlocals, n,
                 heads)
    code, jumps = ld.code, ld.jumps
    for i in branches:
        ins = ir.code[i]
        if ins.op == "br" and not ins.copies:
            jumps[i] = ld.via_stub(ins.target, ())
    starts = sorted({t for t in labels if 0 < t < n} | {0})
    packed = _pack(ir.code, branches)
    for s, e in zip(starts, starts[1:] + [n]):
        if s < e:
            code[s] = _Segment(ld, s, packed[4 * s:4 * e])
    headers = ld.headers
    first: Optional[Handler] = None  # a metered function's entry, before tier-up counting
    if ld.metered:
        headers.update((t, ld.charged(code[t])) for t in heads)
        first = headers.get(0) or (code[0] if n else None)
    if TIER == "auto":
        for t in heads:
            h = headers.get(t) or code[t]
            assert h is not None
            headers[t] = ld.counted[h] = ld.counting(h)
    tail = [_ZERO[t] for t in ir.local_types]
    tail.extend([None] * ir.ntemps)
    tail.extend(reversed(ld.consts))
    c = ld.c = Compiled(ir, code, tail)
    if ld.metered:  # the call's unit, then the first instruction (a loop head's too)
        c.entry = ld.charged(first)
    return c


class _Loader:
    """What loading a function's segments and runs, later, needs: one object per
    function (not a closure and a cell per helper and name: ~10 closures and ~18
    cells per graphviz function)."""

    __slots__ = ("inst", "consts", "nlocals", "n", "code", "stubs", "jumps", "heads", "headers", "counted",
                 "metered", "c", "fuse_at")

    def __init__(self, inst: ModuleInstance, consts: List[Any], nlocals: int, n: int, heads: Set[int]) -> None:
        self.inst = inst
        self.consts = consts
        self.nlocals = nlocals
        self.n = n
        self.code: List[Optional[Handler]] = [None] * n
        self.stubs: List[Handler] = []
        self.jumps: Dict[int, int] = {}  # a plain jump -> its target
        self.heads = heads
        self.headers: Dict[int, Handler] = {}  # a loop head -> its fuel or counting closure
        self.counted: Dict[Handler, Handler] = {}  # loop header (charged if metered) -> its counting closure
        self.metered = inst.metered
        self.c: Any = None
        self.fuse_at = AUTO_FUSE_AT if TIER == "auto" else FUSE_AT

    def via_stub(self, target: int, copies: Tuple[Tuple[int, int], ...]) -> Any:
        """``target`` (the end of the code meaning -1, return), or a stub after the code
        that runs ``copies`` first when there are any."""
        n = self.n
        if target >= n:
            target = -1
        if not copies:
            return target
        self.stubs.append(_jump(target, copies))
        return n + len(self.stubs) - 1

    def link_stubs(self) -> None:
        """Link the copy stubs ``via_stub`` made since the last call (a run's branches')."""
        code = self.code
        code.extend([_link(s, self.resolve) for s in self.stubs[len(code) - self.n:]])

    def branch(self, target: int, copies: Tuple[Tuple[int, int], ...], held: List[Any]) -> Any:
        """Where a branch to ``target`` running ``copies`` goes (``via_stub``, its stub
        linked now), noted in ``held`` when a stand-in."""
        i = self.via_stub(target, copies)
        if i >= self.n:
            self.link_stubs()
        x = self.resolve(i)
        if type(x) in _STAND_INS:
            held.append(x)
        return _callee(x)

    def single(self, run: Tuple[Any, ...], nxt: int) -> Handler:
        """The run (``_pack``ed) as a chain of single-op closures (see ``_LazyRun``)."""
        global load_seconds
        start = perf_counter() if TIER == "auto" else 0.0  # (see load_seconds)
        h = _handler(run, len(run) - 4, nxt, self)
        for k in range(len(run) - 8, -1, -4):  # straight-line ops: each is given its successor
            h = _handler(run, k, h, self)
        if TIER == "auto":
            load_seconds += perf_counter() - start
        return h

    def materialize(self, stand_in: _LazyRun, run: List[Instr], nxt: int) -> Handler:
        """Generate the closure of the run when it has run ``FUSE_AT - 1`` times (most
        runs of a big program never run, or run once: QuickJS's first eval runs a
        fraction of the runs it loads) and link it in where its stand-in was."""
        global load_seconds
        start = perf_counter() if TIER == "auto" else 0.0  # (see load_seconds)
        h = _straight_run(run, nxt, self.consts, self.inst, self.via_stub, self.nlocals)
        if TIER == "auto":
            load_seconds += perf_counter() - start
        self.link_stubs()
        h = _link(h, self.resolve)
        self.code[stand_in.i] = h
        self.replace(stand_in, h)
        return h

    def realize(self, segment: _Segment) -> Handler:
        """Load the segment's instructions at its first execution (a big program's
        start runs a fraction of the code it loads: graphviz's tiny render ~1/5 of its
        lazy runs), as closures and lazy runs, and link them in where its stand-in was.
        The stand-in leaves ``code`` last, once all is linked: what fails on the way
        (the stack's limit, deep in a recursion) leaves it there, to load again."""
        global load_seconds
        start = perf_counter() if TIER == "auto" else 0.0  # (see load_seconds)
        code, n = self.code, self.n
        packed, s = segment.code, segment.i
        ops = packed[::4]  # type: ignore[index]
        e = s + len(ops)
        units = []
        h: Any
        i = s
        while i < e:
            j = i + 1
            if ops[i - s] in _STRAIGHT:
                while j < e and j - i < MAX_RUN and ops[j - s] in _STRAIGHT:
                    j += 1
                if j < e and ops[j - s].startswith(_RUN_ENDS):
                    j += 1  # the run ends with the branch: one dispatch less per loop iteration
            units.append((i, j))
            i = j
        for i, j in reversed(units):  # each made with its successor, made before it (no branch goes inside)
            nxt = j if j < n else -1
            if j - i > 1:
                h = _LazyRun(self, i, packed[4 * (i - s):4 * (j - s)], nxt)  # type: ignore[index]
            else:
                h = _handler(packed, 4 * (i - s), nxt, self)  # type: ignore[arg-type]
            if i > s:
                code[i] = h
        code[s] = h
        self.replace(segment, h)
        if TIER == "auto":
            load_seconds += perf_counter() - start
        return h  # type: ignore[return-value]

    def replace(self, stand_in: Any, h: Any) -> None:
        """Send whatever went to ``stand_in`` to ``h`` (which may be a stand-in itself;
        a lazy run is gone to through its ``via``)."""
        old, new = _callee(stand_in), _callee(h)
        linked = stand_in.linked
        if linked is not None:
            stand_in.linked = None
            for x in linked if type(linked) is list else (linked,):
                if x.__closure__:  # a loop header's (or metered entry's) fuel or counting closure
                    x.__closure__[x.__code__.co_freevars.index("h")].cell_contents = new
                else:
                    _swap(x, old, new)
                if type(h) in _STAND_INS:
                    _linked(h, x)
        if self.c.entry is old or self.c.entry is stand_in:
            self.c.entry = new
        g = self.counted.pop(stand_in, None)
        if g is not None:
            self.counted[h] = g

    def resolve(self, i: int) -> Optional[Handler]:
        """The closure at index ``i`` (None for -1, the end); a plain jump's target for
        the jump, so a loop's back edge costs no dispatch of its own (metered code
        never jumps past a loop head: its fuel must be spent)."""
        jumps = self.jumps
        if i in jumps:
            seen = 0
            while i in jumps and seen < len(jumps) and not (self.metered and i in self.heads):
                i = jumps[i]  # bounded: `loop br 0 end` jumps to itself
                seen += 1
        if i < 0:
            return None
        return self.headers.get(i) or self.code[i]

    def charged(self, h: Optional[Handler]) -> Handler:
        """``h`` spending a unit of fuel first (``FUEL_CHECK``)."""
        def g(regs: list) -> Any:
            global _fuel
            _fuel -= 1
            if _fuel < 0:
                _tick()
            return h(regs) if h is not None else None

        if type(h) in _STAND_INS:
            _linked(h, g)
        return g

    def counting(self, h: Handler) -> Handler:
        """``h`` (a loop header) spending a unit of the function's budget per run,
        until the budget runs out: then every counting closure is unlinked, so a
        call that loops on for long runs on without counting (once: the closures of
        runs generated later link to the headers themselves)."""
        ld = self

        def g(regs: list) -> Any:
            c = ld.c
            c.budget -= 1
            if c.budget < 0 and ld.headers:
                ld.headers.clear()
                originals = {w: o for o, w in ld.counted.items()}
                for x in ld.code:
                    _relink(x, originals)  # type: ignore[arg-type]
            return h(regs)

        if type(h) in _STAND_INS:
            _linked(h, g)
        return g


def loop_heads(code: List[Instr]) -> Set[int]:
    """The instructions a branch goes back to (or stays at): the loop heads."""
    return _branch_targets(code)[1]


def _handler(packed: Tuple[Any, ...], k: int, nxt: Any, ld: "_Loader") -> Handler:
    """The closure of the instruction ``_pack`` packed at ``packed[k:k + 4]`` (a
    branch's target and copies in the places of ``d`` and ``imm``): made from the
    fields, no ``Instr`` made again but for the memory factories, with its successor
    (``nxt``: an instruction index, or what is there) and branch targets linked in as
    it is made, and noted in the stand-ins among them. (Linking after making, as
    ``_link`` does, cost a second function and ~9k machine instructions a handler.)"""
    op, d, a, imm = packed[k:k + 4]
    held: List[Any] = []
    if op == "br":
        h = _jump(ld.branch(d, (), held), imm)
    elif op == "br_table":
        h = _br_table(a[0], tuple(ld.branch(t, c, held) for t, c in imm))
    elif op == "unreachable":
        return _unreachable
    else:
        if type(nxt) is int:
            nxt = ld.resolve(nxt)
        if type(nxt) in _STAND_INS:
            held.append(nxt)
            nxt = _callee(nxt)
        if op in NUMERIC:
            const, args = _operand_args(a, ld.consts)
            h = _cached("op:", op, const)(d, *args, *_field_args(NUMERIC[op], imm), nxt)
        elif op == "copy":
            h = _copy(d, a[0], nxt)
        elif op.startswith("br_if") or op.startswith("br_unless"):
            target = ld.branch(d, imm, held)
            if "." not in op:
                h = (_br_if if op == "br_if" else _br_unless)(a[0], target, nxt)
            else:
                const, args = _operand_args(a, ld.consts)
                h = _cached("branch:", op, const)(*args, target, nxt)
        elif op == "call":
            h = _call(d, a, ld.inst.funcs[imm], nxt)
        elif op == "call_indirect":
            h = _call_indirect(d, a, imm, ld.inst, nxt)
        elif op == "select":
            h = _select(d, a[0], a[1], a[2], nxt)
        else:
            factory = _MEMORY_FACTORIES.get(op)
            if factory is None:
                raise NotImplementedError(f"no tier-0 handler for {op}")
            h = factory(Instr(op, d, a, imm), nxt, ld.inst)
    for x in held:
        _linked(x, h)
    return h
