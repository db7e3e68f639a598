"""Filling the tier-1 disk cache at exit with the functions tier 0 ran (``auto`` mode).

In ``auto`` mode a process compiles only its hot functions, so the next process
finds tier-1 code for those alone and translates, loads and runs the rest of its
start-up in tier 0 again (QuickJS's first eval: 0.42 s warm, against 0.06 s when
the cache holds all of it). Like a JVM writing its class-data archive at exit
(``-XX:ArchiveClassesAtExit``), a process compiles at exit, into the disk cache
only, what it ran in tier 0, in the order it first ran; the next process loads
that code on first call (``interp.compiled``). The work is bounded by the time
this process spent loading tier-0 code (``EXIT_SHARE`` of
``interp.load_seconds``, at least ``EXIT_MIN_SECONDS`` and at most
``EXIT_MAX_SECONDS``, in wall time as ``load_seconds`` is): a short run pays little
at exit, and the first run of a big program about what its every later run saves. Nothing is
noted when the disk cache is disabled, nor functions too big for tier 1; at most
``MAX_MODULES`` modules are held until exit, and the work stops at the first
entry the disk refuses. (This module is imported, and its
hook registered, at the first tier-0 load in ``auto`` mode.)
"""

from __future__ import annotations

import atexit
import sys
import time
from typing import Dict, List, Tuple

from .. import cachedir, syntax
from ..runtime.objects import WasmFunction
from ..validate.code import FuncValidator
from . import cache, codegen, interp
from .inline import Inliner

EXIT_SHARE = 7.0
"""Exit work allowed per second of tier-0 loading (translation and closures) done.
QuickJS's first process (compare's cold run: start, then its loop) needs 1.3-1.5 s CPU
to compile all ~217 functions it ran (CPython 3.11, 2026-12-07 qjsstart); its loading
took 0.40-0.43 s then, 0.20-0.22 s once runs were fused later and handlers made once
(qjscold2, 2026-12-08), when 4.0 filled 174 entries and the next start took 127 ms CPU,
6.0 201 and 66 ms, 7.0 all 218 and 64 ms (0.3 s more at the first exit). Earlier shares:
2.0 while tier-0 loading cost more; 3.0 once it got cheaper (``qjsauto``); 4.0
(``qjsstart``)."""

EXIT_MIN_SECONDS = 0.1
"""Enough for small modules, whose compiles cost more than their tier-0 loading."""

EXIT_MAX_SECONDS = 2.0
MAX_MODULES = 16

_ran: Dict[str, Tuple[syntax.Module, bool, Dict[int, None]]] = {}
"""Per cache key (module hash, fuel): the module, whether metered, the functions run
in tier 0 (a dict: in first-run order, each once however many instances ran it)."""


def note(f: WasmFunction, size: int) -> None:
    """Remember that ``f`` (``size`` IR instructions) was loaded in tier 0."""
    if cachedir.directory() is None or size > codegen.MAX_INSTRUCTIONS:
        return
    key, index = codegen._key(f)
    entry = _ran.get(key)
    if entry is None:
        if len(_ran) >= MAX_MODULES:
            del _ran[next(iter(_ran))]  # the oldest
        inst = f.instance
        entry = _ran[key] = (inst.module, inst.metered, {})
    entry[2][index] = None


def fill() -> None:
    """Compile the noted functions the cache lacks, oldest first, within the budget,
    then gather each module's entries into its pack (``cache.pack``); not after an
    interrupt (Ctrl-C), and a second one stops it quietly (every entry is written
    whole or not at all)."""
    budget = min(EXIT_MAX_SECONDS, max(EXIT_MIN_SECONDS, EXIT_SHARE * interp.load_seconds))
    deadline = time.perf_counter() + budget
    ran = list(_ran.items())
    _ran.clear()
    if not cache.writable() or getattr(sys, "last_type", None) is KeyboardInterrupt:
        return
    try:
        _compile(ran, deadline)
        for key, _ in ran:
            if cache.writable():
                cache.pack(key)  # one file for the next process to read, not one per function
    except KeyboardInterrupt:
        pass


def _compile(ran: List[Tuple[str, Tuple[syntax.Module, bool, Dict[int, None]]]], deadline: float) -> None:
    for key, (module, metered, indices) in ran:
        validator = FuncValidator(module)
        inliner = Inliner(module, validator)
        for index in indices:
            if time.perf_counter() > deadline or not cache.writable():
                return  # out of budget, or the disk refuses entries (read-only, full)
            if not cache.known((key, index)):
                codegen.cache_entry(module, index, metered, (key, index), validator, inliner)


atexit.register(fill)
