"""Value intervals of registers along a function's IR, loop-carried ones included.

Tier 1's expression rules (``numeric.ranges``) know what a value's producer in
the same straight run says about it; a loop counter or a pointer advanced by a
constant is a local written on the previous iteration, about which they know
nothing, so every ``i + 1`` and ``p + K`` keeps its wrap-around compare. This
pass finds, for each register operand, a fact ``(lo, hi, zeros)`` that holds on
every path: the value ``v`` is a multiple of ``2**zeros`` and ``lo <= v' <= hi``
for some ``v' = v (mod 2**32)``; ``hi < 2**32`` (a proper interval) except
transiently, after adding a constant (``hi - lo < 2**32`` then: the values wrap).

It walks the IR in order (forward branches join at their targets, conditional
branches refine their operands on each edge: ``i != 0``, ``i <u n``) and, at a
loop head, guesses the head's state, walks the loop once under the guess and
keeps it only if every back edge's state lies inside it; a failed guess widens
(to thresholds: the constants the loop compares with, the type's limits) and
the walk is repeated, a fact that keeps failing is dropped. After a proven
guess a few narrowing walks (entry joined with the back edges) are tried, each
kept if it proves itself too. A state is a dict of the registers with facts (a
missing register: nothing known) and, under key ``RELATIONS``, a dict of
relations ``d -> (x, c)``: ``d = x + c (mod 2**32)``, left by copies and
constant sums and composed to their root (refining a register on a branch
refines every register related to the same root: ``i = child; if child < n``);
a loop's head relates each register the loop writes to its value there (see
``_Walk.loop``); under key ``OPPOSED``, registers stepped in opposite directions
``p -> (q, k)``: ``p = k - q`` (see ``_Walk.opposed``). ``None`` is an unreachable point.

Facts are about the wasm values; the rules producing them cover the ``i32``
operations (plus loads, comparisons, copies and selects, whatever their type),
everything else leaves its destination unknown. A function over
``MAX_INSTRUCTIONS`` or a walk over ``BUDGET`` times the function's length gives
up (no facts): the cost is compile time.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..ir import Instr
from ..numeric.scalar import i32_ctz as zeros_of  # (of values in 0 .. 2**32 - 1)
from ..runtime.objects import MAX_PAGES, PAGE_SIZE
from .memory_ops import LOADS, STORES

M = 1 << 32
RELATIONS = -1
OPPOSED = -2
PSEUDO = 1 << 40
"""Pseudo registers (values at a loop head) are numbered from here on (see ``_Walk.loop``)."""
TOP = (0, M - 1, 0)
Fact = Tuple[int, int, int]
State = Dict[int, Any]
"""Register -> its fact; ``RELATIONS`` -> the relations (see the module docstring);
``OPPOSED`` -> pairs summing to a constant (see ``_Walk.opposed``)."""

REACH = MAX_PAGES * PAGE_SIZE
"""No memory is larger: past an access of ``n`` bytes at ``base + offset`` (it did not
trap), ``base <= REACH - offset - n``."""
_SIZES = {name: struct.calcsize(fmt) for name, (fmt, _) in {**LOADS, **STORES}.items()}

MAX_INSTRUCTIONS = 1000
"""Functions beyond this size (in IR instructions) get no facts: the walk's cost is compile time."""

BUDGET = 24
"""Instruction visits per instruction of the function the walk may spend (loops are walked again per guess)."""

_THRESHOLDS = (0, 1, (M >> 1) - 1, M - 2, M - 1)
"""Widening's thresholds beside the loop's constants: the type's limits."""

MAX_GUESSES = 4
"""Walks of one loop before the facts still failing are dropped wholesale. A fact
still failing after three widenings is mostly a register climbing thresholds meant
for others (strings' counters past its character constants), dropped at the end
anyway: 6 walks (2026-12-07) cost 11% more visits and no other line of tier-1
code in the 15 workloads, MicroPython or Micro QuickJS."""

NARROWINGS = 3
"""Walks of one loop trying a proven guess narrowed (to its entry joined with its back edges)."""


def _fact(lo: int, hi: int, z: int) -> Fact:
    """The fact for integers ``lo .. hi`` (possibly outside ``0 .. 2**32``) taken modulo ``2**32``."""
    if hi - lo >= M:
        return (0, M - 1, z)
    k = lo // M
    return (lo - k * M, hi - k * M, z)


def _proper(f: Fact) -> Fact:
    return f if f[1] < M else (0, M - 1, f[2])


def join(a: Fact, b: Fact) -> Fact:
    z = min(a[2], b[2])
    if a[1] >= M or b[1] >= M:
        return a if a == b else (0, M - 1, z)
    return (min(a[0], b[0]), max(a[1], b[1]), z)


def within(a: Fact, b: Fact) -> bool:
    """Whether every value ``a`` allows ``b`` allows too."""
    if a[2] < b[2]:
        return False
    if b[1] - b[0] >= M - 1:
        return True
    lo = a[0] if a[0] >= b[0] else a[0] + M
    return lo + a[1] - a[0] <= b[1]


def _align_down(v: int, z: int) -> int:
    return v >> z << z


def _align_up(v: int, z: int) -> int:
    return -(-v >> z) << z


# -- transfer functions: the fact of an i32 result from its operands' ------------------


def _add(a: Fact, b: Fact) -> Fact:
    return _fact(a[0] + b[0], a[1] + b[1], min(a[2], b[2]))


def _sub(a: Fact, b: Fact) -> Fact:
    return _fact(a[0] - b[1], a[1] - b[0], min(a[2], b[2]))


def _mul(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    z = min(a[2] + b[2], 32)
    return (a[0] * b[0], a[1] * b[1], z) if a[1] * b[1] < M else (0, M - 1, z)


def _and(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    return (0, min(a[1], b[1]), max(a[2], b[2]))


def _or(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    return (max(a[0], b[0]), (1 << max(a[1].bit_length(), b[1].bit_length())) - 1, min(a[2], b[2]))


def _xor(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    return (0, (1 << max(a[1].bit_length(), b[1].bit_length())) - 1, min(a[2], b[2]))


def _shl(a: Fact, b: Fact) -> Fact:
    if b[0] != b[1]:
        return TOP
    a, k = _proper(a), b[0] & 31
    z = min(a[2] + k, 32)
    return (a[0] << k, a[1] << k, z) if a[1] << k < M else (0, M - 1, z)


def _shr_u(a: Fact, b: Fact) -> Fact:
    if b[0] != b[1]:
        return (0, _proper(a)[1], 0)
    a, k = _proper(a), b[0] & 31
    return (a[0] >> k, a[1] >> k, max(a[2] - k, 0))


def _shr_s(a: Fact, b: Fact) -> Fact:
    a = _proper(a)
    return _shr_u(a, b) if a[1] < M >> 1 else TOP


def _rem_u(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    if b[0] == 0:  # (it may trap: then nothing follows; else below the divisor)
        return (0, a[1], 0) if b[1] == 0 else (0, min(a[1], b[1] - 1), 0)
    return a if a[1] < b[0] else (0, min(a[1], b[1] - 1), 0)


def _div_u(a: Fact, b: Fact) -> Fact:
    a, b = _proper(a), _proper(b)
    return (a[0] // b[1], a[1] // max(b[0], 1), 0) if b[1] else TOP


_I32: Dict[str, Callable[[Fact, Fact], Fact]] = {
    "i32.add": _add, "i32.sub": _sub, "i32.mul": _mul, "i32.and": _and, "i32.or": _or, "i32.xor": _xor,
    "i32.shl": _shl, "i32.shr_u": _shr_u, "i32.shr_s": _shr_s, "i32.rem_u": _rem_u, "i32.div_u": _div_u,
}

_COMPARES = ("eqz", "eq", "ne", "lt_u", "lt_s", "gt_u", "gt_s", "le_u", "le_s", "ge_u", "ge_s")
_FIXED: Dict[str, Fact] = {f"{t}.{c}": (0, 1, 0) for t in ("i32", "i64", "f32", "f64") for c in _COMPARES}
_FIXED.update({f"{t}.{c}": (0, 64, 0) for t in ("i32", "i64") for c in ("clz", "ctz", "popcnt")})
_FIXED.update({f"{t}.load8_u": (0, 0xFF, 0) for t in ("i32", "i64")})
_FIXED.update({f"{t}.load16_u": (0, 0xFFFF, 0) for t in ("i32", "i64")})
_SAME = ("i32.wrap_i64", "i64.extend_i32_u")
"""Operations that change no value their operand's fact allows (a proper one below ``2**32``)."""

# -- conditions --------------------------------------------------------------------------

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}
_SWAP = {"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}


def _restrict(f: Fact, rel: str, g: Fact) -> Optional[Fact]:
    """``f`` where ``x rel y`` holds for some ``y`` ``g`` allows (unsigned); None: never."""
    z = f[2]
    if rel == "ne":
        if g[0] != g[1] or g[0] >= M:
            return f
        k, step = g[0], 1 << z
        if k % step:
            return f  # never equal to k anyway
        lo, hi = f[0], f[1]
        if lo == k:
            lo += step
        if hi % M == k:
            hi -= step
        return _fact(lo, hi, z) if lo <= hi else None
    if rel == "eq":
        if g[0] == g[1]:
            return (g[0], g[0], zeros_of(g[0])) if within((g[0], g[0], zeros_of(g[0])), f) else None
        f, g = _proper(f), _proper(g)
        lo, hi = max(f[0], g[0]), min(f[1], g[1])
    else:
        f, g = _proper(f), _proper(g)
        lo, hi = f[0], f[1]
        if rel == "lt":
            hi = min(hi, g[1] - 1)
        elif rel == "le":
            hi = min(hi, g[1])
        elif rel == "gt":
            lo = max(lo, g[0] + 1)
        else:
            lo = max(lo, g[0])
    lo, hi = _align_up(lo, z), _align_down(hi, z)
    return (lo, hi, z) if lo <= hi else None


class _Walk:
    def __init__(self, code: List[Instr], consts: List[Any], results: Callable[[Instr], int]) -> None:
        self.code = code
        self.branches = [ins.is_branch() for ins in code]
        self.consts = consts
        self.zero = -1 - len(consts)  # a pseudo constant: the 0 a ``br_if`` compares its operand with
        self.const_facts = [(v, v, zeros_of(v)) if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < M
                            else TOP for v in consts] + [(0, 0, 32)]
        self.writes: Dict[int, Set[int]] = {}  # loop heads -> the registers the loop writes
        self.roots: Set[int] = set()  # (see ``_assign``)
        self.compared: Dict[int, Set[int]] = {}  # loop heads' values -> the constants refining them (see ``prove``)
        self.kinds = [_kind(ins, self.const_facts, results) for ins in code]  # (see ``step``)
        self.near: Optional[List[Tuple[int, ...]]] = None  # (see ``thresholds``)
        self.exit_lists: Dict[int, List[Tuple[int, int, Tuple[Tuple[int, int], ...]]]] = {}  # (see ``exits``)
        self.arms: Dict[int, List[Tuple[int, Tuple[Tuple[int, int], ...]]]] = {}  # (see ``_arms``)
        self.budget = BUDGET * len(code) + 256
        # loop heads -> end of the code a back edge may come from (nested loops included)
        ends: Dict[int, int] = {}
        # (where ``walk`` may meet a state sent there, or a loop: the branch targets)
        self.joins = joins = [False] * len(code)
        for pc, ins in enumerate(code):
            if not self.branches[pc]:
                continue
            for t in ins.targets():
                if 0 <= t <= pc:
                    ends[t] = max(ends.get(t, 0), pc + 1)
                if 0 <= t < len(code):
                    joins[t] = True
        for h in sorted(ends, reverse=True):
            for g in ends:
                if h < g < ends[h]:
                    ends[h] = max(ends[h], ends[g])
        self.ends = ends
        self.incoming: Dict[int, State] = {}  # forward branch targets -> joined state
        self.back: Dict[int, Optional[State]] = {}  # loop heads being walked -> back edges' state
        self.seen: Dict[int, List[Optional[Fact]]] = {}  # pc -> its operands' facts
        self.precise = True  # (see ``loop``)
        self.record: Optional[Dict[int, List[Optional[Fact]]]] = self.seen  # where a walk records facts
        # innermost loop's guesses being tried -> what the walk under each left (see ``try_guess``)
        self.tried: Dict[int, Tuple[State, Dict[int, List[Optional[Fact]]], Dict[int, State], Optional[State]]] = {}

    def operand(self, s: State, x: int) -> Fact:
        return s.get(x, TOP) if x >= 0 else self.const_facts[-1 - x]

    def walk(self, pc: int, stop: int, s: Optional[State], head: int = -1) -> Optional[State]:
        code, ends, branches, joins = self.code, self.ends, self.branches, self.joins
        incoming, record, budget = self.incoming, self.record, self.budget  # (``loop`` may change them)
        while pc < stop:
            if joins[pc]:
                if incoming:
                    came = incoming.pop(pc, None)
                    if came is not None:
                        s = came if s is None else _join_states(s, came)
                if pc in ends and pc != head:
                    self.budget = budget
                    s = self.loop(pc, s)
                    incoming, record, budget = self.incoming, self.record, self.budget
                    pc = ends[pc]
                    continue
            budget -= 1
            if budget < 0:
                raise _GiveUp
            if s is None:
                pc += 1
                continue
            ins = code[pc]
            if record is not None:  # (the one walk of this code whose facts count: see ``loop``)
                record[pc] = [s.get(x) if x >= 0 else None for x in ins.a]
            if branches[pc]:
                s = self.branch(pc, ins, s)
            else:
                self.step(pc, ins, s)
            pc += 1
        self.budget = budget
        return s

    def step(self, pc: int, ins: Instr, s: State) -> None:
        kind, how, rel, bound = self.kinds[pc]
        if bound is not None:  # (before a load overwrites its base)
            self.accessed(s, ins.a[0], bound)
        d = ins.d
        if d is None:
            return
        a, cf = ins.a, self.const_facts
        f: Optional[Fact] = None
        if kind == _BINARY:
            x, y = a
            f = how(s.get(x, TOP) if x >= 0 else cf[-1 - x], s.get(y, TOP) if y >= 0 else cf[-1 - y])
        elif kind == _FIXED_FACT:
            f = how
        elif kind == _OTHER:
            if how > 1:
                for k in range(1, how):
                    _assign(s, d + k, None, self.roots)
        else:
            x = a[0]
            f = s.get(x, TOP) if x >= 0 else cf[-1 - x]
            if kind == _SELECT:
                y = a[1]
                f = join(f, s.get(y, TOP) if y >= 0 else cf[-1 - y])
            elif kind == _SAME_VALUE:
                f = _proper(f)
        rels = s.get(RELATIONS)
        if rels:
            if rel is not None and rel[0] in rels:  # related to what its source is related to
                root, c0 = rels[rel[0]]
                rel = (root, (c0 + rel[1]) % M)
            _forget(rels, d, self.roots)
        if OPPOSED in s:
            _forget(s[OPPOSED], d, self.roots)
        if f is not None and f != TOP:
            s[d] = f
        else:
            s.pop(d, None)
        if rel is not None and rel[0] != d:
            self.roots.add(rel[0])
            if rels is None:
                s[RELATIONS] = {d: rel}
            else:
                rels[d] = rel

    def accessed(self, s: State, x: int, hi: int) -> None:
        """Register ``x`` is at most ``hi`` (an access based on it did not trap): so
        are the registers related to it (``M0[p - 1]`` bounds ``p``)."""
        f = s.get(x, TOP)
        nf = _restrict(f, "le", (hi, hi, 0)) if f[1] > hi else None  # (unchanged: nothing to do)
        if nf is not None:
            self.narrow(s, x, nf)

    def branch(self, pc: int, ins: Instr, s: State) -> Optional[State]:
        """Send ``s`` along ``ins``'s edges; the state after it (falling through)."""
        op = ins.op
        if op == "br_table":
            arms = self.arms.get(pc)
            if arms is None:
                arms = self.arms[pc] = _arms(ins.imm)
            for t, copies in arms:
                self.send(pc, t, copies, _copy(s))
            return None
        if op == "br":
            self.send(pc, ins.target, ins.copies, s)
            return None
        taken = self.refine(ins, s, True)
        if taken is not None:
            self.send(pc, ins.target, ins.copies, taken)
        return self.refine(ins, s, False, s)

    def refine(self, ins: Instr, s: State, taken: bool, out: Optional[State] = None) -> Optional[State]:
        """``s`` where conditional branch ``ins`` is (or is not) ``taken``: a copy,
        or ``out`` (``s`` itself, changed in place: the walk's own state)."""
        cond = _CONDITIONS.get(ins.op)
        if cond is None:
            cond = _CONDITIONS[ins.op] = _condition(ins.op)
        rel, unsigned, unary, on_true = cond
        if rel is None:
            return _copy(s) if out is None else out
        a = (ins.a[0], self.zero) if unary else ins.a
        if on_true != taken:
            rel = _NEGATE[rel]
        p, q = a
        cf = self.const_facts
        f = s.get(p, TOP) if p >= 0 else cf[-1 - p]
        g = s.get(q, TOP) if q >= 0 else cf[-1 - q]
        if not unsigned and max(_proper(f)[1], _proper(g)[1]) >= M >> 1:
            return _copy(s) if out is None else out  # signed, and a value may be negative: nothing learnt
        if out is None:
            out = _copy(s)
        for x, y, r in ((p, g, rel), (q, f, _SWAP[rel])):
            if x < 0:
                if _restrict(cf[-1 - x], r, y) is None:
                    return None
                continue
            nf = _restrict(out.get(x, TOP), r, y)
            if nf is None:
                return None
            root = out.get(RELATIONS, {}).get(x)
            if root is not None and root[0] >= PSEUDO and y[0] == y[1] and y is not self.const_facts[-1]:
                # compared with a constant (the 0 of a plain ``br_if`` aside): a threshold of the root
                self.compared.setdefault(root[0], set()).update((y[0] - 1, y[0], y[0] + 1))
            if not self.narrow(out, x, nf):
                return None
        return out

    def narrow(self, out: State, x: int, nf: Fact) -> bool:
        """Register ``x`` is known to lie within ``nf`` (within its fact in ``out``):
        so are the registers related to it. False: no value can be."""
        if nf != TOP:
            out[x] = nf
        rels = out.get(RELATIONS, {})
        root = rels.get(x)  # x = root + cx: so is every register related to the root
        related = [(d, c) for d, (src, c) in rels.items() if src == x] if x in self.roots else []
        if root is not None:
            related += [(d, c - root[1]) for d, (src, c) in rels.items() if src == root[0] and d != x]
            if root[0] < PSEUDO:  # (a value at a loop head: read by nothing)
                related.append((root[0], -root[1]))
        for other, c in related:
            c %= M
            met = _meet(out.get(other, TOP), _add(nf, (c, c, zeros_of(c))))
            if met is None:
                return False
            if met != TOP:
                out[other] = met
        pair = out.get(OPPOSED, {}).get(x)  # other = k - x
        if pair is not None:
            other, k = pair
            met = _meet(out.get(other, TOP), _sub((k, k, zeros_of(k)), nf))
            if met is None:
                return False
            if met != TOP:
                out[other] = met
        return True

    def send(self, pc: int, target: int, copies: Sequence[Tuple[int, int]], s: State) -> None:
        if copies:
            s = _copy(s)
            for dst, src in copies:
                _assign(s, dst, self.operand(s, src), self.roots)
        if target < 0 or target >= len(self.code):
            return
        if target <= pc:
            prev = self.back.get(target)
            self.back[target] = s if prev is None else _join_states(prev, s)
        else:
            prev = self.incoming.get(target)
            self.incoming[target] = s if prev is None else _join_states(prev, s)

    def loop(self, h: int, entry: Optional[State]) -> Optional[State]:
        """Walk the loop at ``h`` entered with ``entry``; the state after its code.
        While an enclosing loop's guess is being proven, a nested loop is not
        walked: anywhere in it and after it, the registers it writes are unknown
        and the rest as on entry, and that state goes to every branch leaving it
        (``exits``); its own guesses are made once, in the walk under the proven
        guess (so the cost grows with the nesting depth, not exponentially). Relations between
        registers the loop does not write go in with the state; every register it
        writes starts related to its value at the head (a pseudo register of the
        loop's own, ``PSEUDO * (h + 1) + r``), which shows at the back edges what
        an iteration adds to it (see ``counted``)."""
        end = self.ends[h]
        if entry is None:
            after = self.walk(h, end, None, h)
            self.back.pop(h, None)
            return after
        written = self.written(h, end)
        base = PSEUDO * (h + 1)  # (this loop's pseudo registers, from an earlier entry, mean nothing now)
        kept = {d: v for d, v in entry.get(RELATIONS, {}).items()
                if d not in written and v[0] not in written and not base <= v[0] < base + PSEUDO}
        entry = {r: f for r, f in entry.items()
                 if r >= 0 and (self.precise or r not in written) and not base <= r < base + PSEUDO}
        if not self.precise:
            for pc, target, copies in self.exits(h, end):
                self.send(pc, target, copies, {**entry, RELATIONS: dict(kept)})
            return {**entry, RELATIONS: kept}
        rels = {**kept, **{r: (base + r, 0) for r in written}}
        incoming = self.incoming
        innermost = not any(g in self.ends for g in range(h + 1, end))
        self.precise = False
        self.record = {} if innermost else None
        guess, back = self.prove(h, end, entry, rels)
        more = self.counted(h, entry, guess, back)
        if more:  # (proven by counting; the rest must still hold with them)
            trial = {**guess, **more}
            back = self.try_guess(h, end, trial, rels, incoming)
            if back is None or all(r in more or r in back and within(back[r], f) for r, f in trial.items()):
                guess = trial
        self.precise = True
        self.record = self.seen
        tried = self.tried.get(id(guess))
        self.tried = {}
        opposed = self.opposed(h, entry, back)
        if tried is not None and tried[0] is guess and not opposed:
            # walked under it already, nothing nested, nothing more known: as that walk left it
            self.seen.update(tried[1])
            self.incoming = tried[2]
            return tried[3]
        self.incoming = incoming
        self.back[h] = None
        head = {**guess, RELATIONS: dict(rels)}
        if opposed:
            head[OPPOSED] = opposed
            self.roots.update(opposed)  # (both ways round: every register of a pair is a key)
        after = self.walk(h, end, head, h)
        del self.back[h]
        return after

    def prove(self, h: int, end: int, entry: State, rels: Dict[int, Tuple[int, int]]
              ) -> Tuple[State, Optional[State]]:
        """A state at loop head ``h`` that every back edge's state lies within, and
        the back edges' state from it."""
        bounds: Optional[List[int]] = sorted({*self.thresholds(h, end), *_THRESHOLDS})
        incoming = self.incoming
        guess, narrowed = dict(entry), 0
        proven: Optional[Tuple[State, Optional[State]]] = None
        for n in range(MAX_GUESSES * 4):
            back = self.try_guess(h, end, guess, rels, incoming)
            if back is None or all(r in back and within(back[r], f) for r, f in guess.items()):
                tighter = _join_states(entry, back) if back is not None else dict(entry)
                # (no looser than the guess: a fact the back edges lose holds, the guess proved it)
                tighter.update((r, f) for r, f in guess.items() if r not in tighter or not within(tighter[r], f))
                if narrowed == NARROWINGS or tighter == guess:
                    return guess, back
                proven, guess, narrowed = (guess, back), tighter, narrowed + 1
            elif proven is not None:  # the narrowed guess failed: the last proven one
                return proven
            else:
                if n >= MAX_GUESSES:
                    bounds = None
                widened: State = {}
                for r, f in guess.items():
                    g = back.get(r)
                    if g is None:
                        continue
                    # (a fact that holds needs no thresholds: ``stepped_bounds`` sorts)
                    w = f if within(g, f) else _widen(f, g, bounds and (self.stepped_bounds(h, r, back) or bounds))
                    if w is not None:
                        widened[r] = w
                guess = widened
        raise _GiveUp

    def stepped_bounds(self, h: int, r: int, back: State) -> Optional[List[int]]:
        """Widening's thresholds for register ``r`` if each iteration of the loop at
        ``h`` adds the same constant to it, up or down (None: not so). Only a compare
        can stop it: the constants it (or a register related to it) was compared with
        in the loop, and no type limit but ``2**32 - 2`` (below an unknown bound), or
        counting down, 1 (above one; sha256's round counter, from 4096, went down the
        loop's other constants one failed walk at a time). Any thresholds are sound:
        ``prove`` keeps only a guess the back edges lie within."""
        base = PSEUDO * (h + 1)
        step = back.get(RELATIONS, {}).get(r)
        if step is None or step[0] != base + r or step[1] in (0, M >> 1):  # (half the range: no direction)
            return None
        limit = M - 2 if step[1] < M >> 1 else 1
        return sorted(k for k in {*self.compared.get(base + r, ()), 0, limit, M - 1} if 0 <= k < M)

    def try_guess(self, h: int, end: int, guess: State, rels: Dict[int, Tuple[int, int]],
                  incoming: Dict[int, State]) -> Optional[State]:
        """Walk the loop at ``h`` from state ``guess``: the joined state of its back edges.
        An innermost loop's walk records its facts; kept with the state it leaves
        after the loop (``tried``): the walk under the guess ``prove`` settles on
        need not be repeated."""
        self.incoming = dict(incoming)
        self.back[h] = None
        record = self.record
        if record is not None:
            record = self.record = {}
        after = self.walk(h, end, {**guess, RELATIONS: dict(rels)}, h)
        if record is not None:
            self.tried[id(guess)] = (guess, record, self.incoming, after)
        return self.back.pop(h)

    def counted(self, h: int, entry: State, guess: State, back: Optional[State]) -> State:
        """Facts on the registers every iteration of the loop at ``h`` steps by a
        constant (their relation to the head at the back edges), from the number of
        iterations: a register ``p`` whose proven interval at the head is narrower
        than ``2**32`` minus its step moves by exactly its step each time round (no
        wrap), so the loop goes round at most ``width // step`` times per entry; a
        register ``q`` stepped by ``c`` stays within its entry's interval stretched
        by that many ``c`` (matmul's row pointer, stepped as its column counter runs
        to a constant bound)."""
        if back is None:
            return {}
        base = PSEUDO * (h + 1)
        steps = {r: c for r, (x, c) in back.get(RELATIONS, {}).items() if x == base + r and c}
        rounds = None
        for p, c in steps.items():
            f = guess.get(p)
            step = min(c, M - c)
            if f is not None and f[1] - f[0] < M - step:
                k = (f[1] - f[0]) // step
                rounds = k if rounds is None else min(rounds, k)
        out: State = {}
        if rounds is None:
            return out
        for q, c in steps.items():
            e = entry.get(q)
            if e is None or e[1] >= M:
                continue
            z = min(e[2], zeros_of(c))
            f = (e[0], e[1] + rounds * c, z) if c < M >> 1 else (e[0] - rounds * (M - c), e[1], z)
            if 0 <= f[0] and f[1] < M and (q not in guess or within(f, guess[q]) and f != guess[q]):
                out[q] = f
        return out

    def opposed(self, h: int, entry: State, back: Optional[State]) -> Dict[int, Tuple[int, int]]:
        """Pairs of registers the loop at ``h`` steps by opposite constants from
        constant entry values (nbody's ``j = i + 1`` counting up as ``4 - i`` counts
        down): their sum ``k`` stays the same at the head, so a branch refining one
        refines the other. ``p -> (q, k)``: ``p = k - q``, both ways round."""
        if back is None:
            return {}
        base = PSEUDO * (h + 1)
        steps = {r: c for r, (x, c) in back.get(RELATIONS, {}).items() if x == base + r and c}
        known = {r: entry[r][0] for r in steps if r in entry and entry[r][0] == entry[r][1] < M}
        out: Dict[int, Tuple[int, int]] = {}
        for p in known:
            for q in known:
                if p != q and (steps[p] + steps[q]) % M == 0:
                    out[p] = (q, (known[p] + known[q]) % M)
        return out

    def exits(self, h: int, end: int) -> List[Tuple[int, int, Tuple[Tuple[int, int], ...]]]:
        """The branches from the loop at ``h`` to code outside it: ``(pc, target, copies)``."""
        out = self.exit_lists.get(h)
        if out is None:
            out = self.exit_lists[h] = []
            for pc in range(h, end):
                ins = self.code[pc]
                arms = ins.arms() if self.branches[pc] else []
                out += [(pc, t, c) for t, c in arms if not h <= t < end]
        return out

    def written(self, h: int, end: int) -> Set[int]:
        """The registers the code from ``h`` to ``end`` writes."""
        if h in self.writes:
            return self.writes[h]
        regs = self.writes[h] = set()
        for pc in range(h, end):
            ins = self.code[pc]
            if ins.d is not None:
                kind, how, _, _ = self.kinds[pc]
                regs.update(range(ins.d, ins.d + (max(how, 1) if kind == _OTHER else 1)))
            if ins.copies:
                regs.update(d for d, _ in ins.copies)
            if ins.op == "br_table":
                regs.update(d for _, copies in ins.imm for d, _ in copies)
        return regs

    def thresholds(self, h: int, end: int) -> Set[int]:
        """The values next to the constants the loop at ``h`` compares with (widening's thresholds)."""
        near = self.near
        if near is None:  # (once per function: per instruction, the values next to its constants)
            near = self.near = [_near_constants(ins, self.const_facts) for ins in self.code]
        ks: Set[int] = set()
        for pc in range(h, end):
            if near[pc]:
                ks.update(near[pc])
        return ks


class _GiveUp(Exception):
    pass


_BINARY, _FIXED_FACT, _COPY, _SELECT, _SAME_VALUE, _OTHER = range(6)


def _kind(ins: Instr, const_facts: List[Fact], results: Callable[[Instr], int]
          ) -> Tuple[int, Any, Optional[Tuple[int, int]], Optional[int]]:
    """How ``step`` treats ``ins``, worked out once per instruction: its kind, the
    transfer function, fixed fact or number of results, the relation ``d = a
    register + a constant`` it makes (modulo ``2**32``), if any, and for an access
    based on a register, the bound on that register once it did not trap."""
    size = _SIZES.get(ins.op)
    return _what(ins, const_facts, results) + (
        REACH - ins.imm[1] - size if size is not None and ins.a[0] >= 0 else None,)


def _what(ins: Instr, const_facts: List[Fact], results: Callable[[Instr], int]
          ) -> Tuple[int, Any, Optional[Tuple[int, int]]]:
    """``_kind`` but the bound."""
    op, a = ins.op, ins.a
    if ins.d is None:
        return _OTHER, 0, None
    if op in _I32:
        rel = None
        c0 = const_facts[-1 - a[0]] if a[0] < 0 else None
        c1 = const_facts[-1 - a[1]] if a[1] < 0 else None
        if op in ("i32.add", "i32.sub") and a[0] >= 0 and c1 is not None and c1 != TOP:
            rel = (a[0], c1[0] if op == "i32.add" else -c1[0] % M)
        elif op == "i32.add" and a[1] >= 0 and c0 is not None and c0 != TOP:
            rel = (a[1], c0[0])
        return _BINARY, _I32[op], rel
    if op in _FIXED:
        return _FIXED_FACT, _FIXED[op], None
    if op == "copy":
        return _COPY, None, (a[0], 0) if a[0] >= 0 else None
    if op == "select":
        return _SELECT, None, None
    if op in _SAME:
        return _SAME_VALUE, None, None
    return _OTHER, results(ins), None


def _near_constants(ins: Instr, const_facts: List[Fact]) -> Tuple[int, ...]:
    """The values next to the constants a branch or compare ``ins`` reads (in range)."""
    if not (ins.op.startswith("br_") or ins.op.endswith(_COMPARES)):
        return ()
    ks = [k for x in ins.a if x < 0 and const_facts[-1 - x] != TOP
          for c in (const_facts[-1 - x][0],) for k in (c - 1, c, c + 1)]
    return tuple(k for k in ks if 0 <= k < M)


def _condition(op: str) -> Tuple[Optional[str], bool, bool, bool]:
    """What conditional branch ``op`` tests, for ``refine``: the relation of its
    operands when taken with a true condition (None: nothing is learnt, not an
    i32 compare), whether unsigned, whether against 0 (one operand), whether it
    is taken on a true condition (``br_if``) or a false one (``br_unless``)."""
    kind, _, cmp = op.partition(".")
    on_true = kind == "br_if"
    if not cmp:
        return "ne", True, True, on_true
    t, _, c = cmp.partition(".")
    if t != "i32":
        return None, True, False, on_true
    if c == "eqz":
        return "eq", True, True, on_true
    rel, _, sign = c.partition("_")
    return rel, sign != "s", False, on_true


_CONDITIONS: Dict[str, Tuple[Optional[str], bool, bool, bool]] = {}


def _arms(imm: Sequence[Tuple[int, Tuple[Tuple[int, int], ...]]]) -> List[Tuple[int, Tuple[Tuple[int, int], ...]]]:
    """The edges a ``br_table`` sends its state along: an arm repeated (a switch's
    default, most of its cases) is sent twice, not once per case. The state joined
    at its target is the same: the join of equal states is the state (once it has
    been joined: a join drops what says nothing, an empty relation dict), whatever
    else is joined there and in what order (its keys keep the first state's order)."""
    count: Dict[Tuple[int, Tuple[Tuple[int, int], ...]], int] = {}
    for t, copies in imm:
        key = (t, tuple(copies))
        count[key] = count.get(key, 0) + 1
    return [arm for arm, n in count.items() for _ in range(min(n, 2))]


def _join_states(a: State, b: State) -> State:
    out: State = {}
    for r, f in a.items():
        g = b.get(r)
        if g is None:
            continue
        if r < 0:  # (``RELATIONS``, ``OPPOSED``) kept where both agree
            same = {d: v for d, v in f.items() if g.get(d) == v}
            if same:
                out[r] = same
            continue
        j = f if f == g else join(f, g)  # (most facts are the same on both edges)
        if j != TOP:
            out[r] = j
    return out


def _copy(s: State) -> State:
    """A copy of state ``s`` (its relations too: they change in place)."""
    c = dict(s)
    for key in (RELATIONS, OPPOSED):
        rels = c.get(key)
        if rels is not None:  # (an empty one too: ``step`` adds to it in place)
            c[key] = dict(rels)
    return c


def _assign(s: State, r: int, f: Optional[Fact], roots: Set[int]) -> None:
    """Register ``r`` written with a value ``f`` allows: its old fact and every
    relation it takes part in are gone (``roots``: the registers any relation
    was ever made to, the others need no search)."""
    for key in (RELATIONS, OPPOSED):
        rels = s.get(key)
        if rels:
            _forget(rels, r, roots)
    if f is not None and f != TOP:
        s[r] = f
    else:
        s.pop(r, None)


def _forget(rels: Dict[int, Any], r: int, roots: Set[int]) -> None:
    """Register ``r`` written: the relations (or pairs) it takes part in are gone."""
    rels.pop(r, None)
    if r in roots:
        for d in [d for d, (x, _) in rels.items() if x == r]:
            del rels[d]


def _meet(a: Fact, b: Fact) -> Optional[Fact]:
    """The values both facts allow (an interval that wraps is left to the other); None: none."""
    z = max(a[2], b[2])
    if a[1] >= M or b[1] >= M:
        f = b if a[1] >= M else a
        return (f[0], f[1], z)
    lo, hi = _align_up(max(a[0], b[0]), z), _align_down(min(a[1], b[1]), z)
    return (lo, hi, z) if lo <= hi else None


def _widen(f: Fact, g: Optional[Fact], bounds: Optional[List[int]]) -> Optional[Fact]:
    """``f`` grown to take ``g`` in, to the next threshold beyond (None: nothing left
    of it; without ``bounds`` or an interval, only the known low zero bits are left)."""
    if g is None:
        return None
    if within(g, f):
        return f
    z = min(f[2], g[2])
    if bounds is None or f[1] >= M or g[1] >= M:
        return (0, M - 1, z) if z else None
    lo, hi = f[0], f[1]
    if g[1] > hi:
        hi = _align_down(next((k for k in bounds if k >= g[1]), M - 1), z)
    if g[0] < lo:
        lo = _align_up(next((k for k in reversed(bounds) if k <= g[0]), 0), z)
    return (lo, hi, z) if lo <= hi and ((lo, hi) != (0, M - 1) or z) else None


def analyse(code: List[Instr], consts: List[Any], results: Callable[[Instr], int],
            zeroed: Sequence[int] = ()) -> Dict[Tuple[int, int], Fact]:
    """Facts on register operands: ``(id(reader), operand position)`` -> fact (where
    anything is known); ``results(ins)`` is how many registers from ``ins.d`` on a
    call writes; ``zeroed`` are the integer locals (0 on entry)."""
    if len(code) > MAX_INSTRUCTIONS:
        return {}
    w = _Walk(code, consts, results)
    try:
        w.walk(0, len(code), {r: (0, 0, 32) for r in zeroed})
    except _GiveUp:
        return {}
    return {(id(code[pc]), k): f for pc, fs in w.seen.items() for k, f in enumerate(fs) if f is not None}
