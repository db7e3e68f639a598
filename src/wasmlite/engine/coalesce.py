"""Copy coalescing for tier 1: a loop-carried copy written into its destination at once.

C compilers keep a loop-carried value in two wasm locals where its old value is read
after the new one is made: mandelbrot's ``zr2 = cr + (zr*zr - zi*zi); zi = 2*zr*zi +
ci; zr = zr2`` ends its round with the copy ``l11 = l16``. When the reads of the old
value (``l11``) can run before the new value's statement, reordering the straight
code lets that statement write ``l11`` itself, and the copy goes.

``coalesce`` rewrites the IR (a new list; the translator's is shared with tier 0) so
that the copy is ``copy a <- a``, which tier 1 writes as nothing. Instruction indexes
do not change: statements move only inside a straight segment (no branch, branch
target or region boundary inside), so branch targets and regions stay as they are.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ..ir import Instr, IRFunction
from ..numeric import NUMERIC

def _movable(op: str) -> bool:
    """An instruction whose only effect is its destination: may run earlier or later
    (a trapping one, an access, a call or a global keeps its order with the others)."""
    return op == "copy" or op == "select" or op in NUMERIC and not NUMERIC[op].may_trap


def _successors(code: List[Instr], pc: int) -> List[Tuple[int, Tuple[Tuple[int, int], ...]]]:
    """``(next index, copies on that edge)``; ``len(code)`` is the function's end."""
    ins, n = code[pc], len(code)
    op = ins.op
    if op == "unreachable":
        return []
    if not ins.is_branch():
        return [(pc + 1, ())]
    taken = [(t if 0 <= t < n else n, c) for t, c in ins.arms()]
    return taken if op == "br" or op == "br_table" else taken + [(pc + 1, ())]


def _writes(ins: Instr, writes: Callable[[Instr], int]) -> range:
    d = ins.d
    return range(0) if d is None else range(d, d + writes(ins))


def live(code: List[Instr], start: int, r: int, exit_live: int, writes: Callable[[Instr], int]) -> bool:
    """Whether register ``r`` may be read on a path from instruction ``start`` (or
    ``len(code)``, the function's end, where registers ``exit_live`` are read)
    before it is written."""
    n = len(code)
    seen = set()
    todo = [start]
    while todo:
        pc = todo.pop()
        if pc in seen:
            continue
        seen.add(pc)
        if pc == n:
            if exit_live >> r & 1:
                return True
            continue
        ins = code[pc]
        if r in ins.a:
            return True
        if r in _writes(ins, writes):
            continue
        for t, copies in _successors(code, pc):
            for d, src in copies:
                if src == r:
                    return True
                if d == r:
                    break
            else:
                todo.append(t)
    return False


def _bounds(code: List[Instr], root: Any) -> Set[int]:
    """Indexes where a straight segment starts: branch targets, after branches, and
    region boundaries."""
    n = len(code)
    cut = {0, n}
    for pc, ins in enumerate(code):
        if ins.is_branch() or ins.op == "unreachable":
            cut.add(pc)
            cut.add(pc + 1)
            cut.update(t for t in ins.targets() if 0 <= t < n)
    stack = [root]
    while stack:
        r = stack.pop()
        cut.update((r.start, r.end))
        for items in (r.items, r.else_items or ()):
            for item in items:
                if isinstance(item, tuple):
                    cut.update(item)
                else:
                    stack.append(item)
    return cut


def _local_copy(ins: Instr, L: int) -> bool:
    """Whether ``ins`` copies one local into another (``L``: the locals' count)."""
    return ins.op == "copy" and ins.d is not None and ins.d < L and 0 <= ins.a[0] < L and ins.d != ins.a[0]


def coalesce(ir: IRFunction, root: Any, writes: Callable[[Instr], int]) -> IRFunction:
    """``ir`` with the copies between locals that can go made ``copy a <- a`` (the
    same ``ir`` when none can). ``writes(ins)``: how many registers from ``ins.d``
    on ``ins`` writes (a call: its results)."""
    L = ir.nlocals
    if not any(_local_copy(ins, L) for ins in ir.code):
        return ir
    code = list(ir.code)
    targets = {t for ins in code for t in ins.targets()}
    exit_live = sum(1 << (L + k) for k in range(ir.nresults))
    cut: List[int] = []
    changed = False
    for p in range(len(code)):  # (read again: taking a copy reorders code before it)
        ins = code[p]
        if not _local_copy(ins, L):
            continue
        a, b = ins.dst, ins.a[0]
        found = _write_before(code, p, a, b, targets, writes)
        if found is None:
            continue
        cut = cut or sorted(_bounds(code, root))
        if _coalesce_one(code, p, a, b, found[0], found[1], cut, L, exit_live, writes):
            changed = True
    if not changed:
        return ir
    return IRFunction(ir.func_index, ir.type, ir.local_types, ir.ntemps, ir.consts, code)


def _write_before(code: List[Instr], p: int, a: int, b: int, targets: Set[int],
                  writes: Callable[[Instr], int]) -> Optional[Tuple[int, List[int]]]:
    """The write of ``b`` that copy ``a <- b`` at ``p`` reads, found back over straight
    code and conditional exits only, no other path entering on the way nor a write
    of ``a``; with those exits. None if there is no such write."""
    if p in targets:
        return None
    d = p - 1
    exits: List[int] = []
    while d >= 0:
        c = code[d]
        op = c.op
        if op[:2] == "br":
            if op == "br" or op == "br_table" or any(x in (a, b) for pair in c.copies for x in pair):
                return None
            exits.append(d)
        elif op == "unreachable":
            return None
        elif c.d is not None:
            w = _writes(c, writes)
            if b in w:
                return d, exits
            if a in w:
                return None
        if d in targets:
            return None
        d -= 1
    return None


def _coalesce_one(code: List[Instr], p: int, a: int, b: int, d: int, exits: List[int], cut: List[int],
                  L: int, exit_live: int, writes: Callable[[Instr], int]) -> bool:
    """Make copy ``a <- b`` at ``p`` a no-op if it can go (see the module's doc): ``d``
    writes ``b`` (``_write_before``)."""
    if live(code, p + 1, b, exit_live, writes):  # b read later: the copy is no mere rename
        return False
    # exits between the write and the copy leave with a and b unread
    for q in exits:
        t = _successors(code, q)[0][0]
        if live(code, t, a, exit_live, writes) or live(code, t, b, exit_live, writes):
            return False
    # the straight segment around the write; reads of a after it, up to the copy,
    # would see the new value
    i = max(c for c in cut if c <= d)
    e = min(c for c in cut if c > d)
    if any(a in code[q].a for q in range(e, p)):
        return False
    order = _schedule(code, i, e, d, p, a, lambda r: live(code, e, r, exit_live, writes), L, writes)
    if order is None:
        return False
    renamed = {}
    for q in range(d, p):
        c = code[q]
        if q == d:
            renamed[q] = Instr(c.op, a, c.a, c.imm, c.target, c.copies)
        elif b in c.a:
            renamed[q] = Instr(c.op, c.d, tuple(a if x == b else x for x in c.a), c.imm, c.target, c.copies)
    for q, c in renamed.items():
        code[q] = c
    code[i:e] = [code[q] for q in order]
    code[p] = Instr("copy", a, (a,))
    return True


def _schedule(code: List[Instr], i: int, e: int, d: int, p: int, a: int, live_out: Callable[[int], bool],
              L: int, writes: Callable[[Instr], int]) -> Optional[List[int]]:
    """A new order of segment ``i .. e - 1`` (as old indexes) in which every statement
    reading ``a`` between the write ``d`` and the copy ``p`` runs before ``d``'s
    statement, or None. A statement is an instruction with the ones making the
    temporaries it reads (contiguous, as the operand stack makes them); statements
    keep their order but for those moved up, with all they depend on."""
    group = list(range(i, e))  # union-find over the segment, by temporaries' writes and reads

    def find(x: int) -> int:
        while group[x - i] != x:
            group[x - i] = group[group[x - i] - i]
            x = group[x - i]
        return x

    last: Dict[int, int] = {}
    for q in range(i, e):
        c = code[q]
        for x in c.a:
            if x >= L and x in last:
                group[find(q) - i] = find(last[x])
        for w in _writes(c, writes):
            if w >= L:
                last[w] = q
    span: Dict[int, int] = {}  # each chain's first index -> its last
    for q in range(i, e):
        g = find(q)
        span[g] = q
    stmts: List[List[int]] = []  # contiguous ranges: chains, and chains that overlap merged
    for q in range(i, e):
        to = span[find(q)]
        if stmts and q <= stmts[-1][1]:
            stmts[-1][1] = max(stmts[-1][1], to)
        else:
            stmts.append([q, to])
    stmts = [list(range(lo, hi + 1)) for lo, hi in stmts]
    # what each statement reads from before it, writes, writes for later, and whether
    # it is pinned (keeps its order with the other pinned ones)
    info = []
    for s in stmts:
        rd = wr = 0
        for q in s:
            c = code[q]
            for x in c.a:
                if x >= 0 and not wr >> x & 1:
                    rd |= 1 << x
            for w in _writes(c, writes):
                wr |= 1 << w
        later = wr & ((1 << L) - 1)  # a local's value: assumed read later
        for w in range(L, wr.bit_length()):
            if wr >> w & 1 and _read_after(code, s[-1] + 1, e, w, live_out, writes):
                later |= 1 << w
        pinned = any(not _movable(code[q].op) for q in s)
        info.append((rd, wr, later, pinned))

    def before(g: int, h: int) -> bool:
        """Whether statement ``g`` must stay before statement ``h`` (``g < h``)."""
        rg, wg, lg, pg = info[g]
        rh, wh, lh, ph = info[h]
        return bool(lg & rh or rg & wh or wg & wh & (lg | lh) or pg and ph)

    at = {q: k for k, s in enumerate(stmts) for q in s}
    kd = at[d]
    end = at[p] if p < e else len(stmts)
    moved: Set[int] = set()
    for h in range(end - 1, kd, -1):
        if info[h][0] >> a & 1 or any(before(h, m) for m in moved):
            moved.add(h)
    if any(before(kd, m) for m in moved) \
            or any(a in code[q].a and at[q] not in moved for q in range(d + 1, min(p, e))):
        return None  # (a reader of a sharing the copy's statement cannot move)
    ks = list(range(kd)) + sorted(moved) + [k for k in range(kd, len(stmts)) if k not in moved]
    return [q for k in ks for q in stmts[k]]


def _read_after(code: List[Instr], start: int, e: int, r: int, live_out: Callable[[int], bool],
                writes: Callable[[Instr], int]) -> bool:
    """Whether register ``r`` is read from ``start`` on before it is written again."""
    for q in range(start, e):
        c = code[q]
        if r in c.a:
            return True
        if r in _writes(c, writes):
            return False
    return live_out(r)
