"""``Store``: owns instances and the objects they use, and the limits they run under.

Limits cost nothing unless configured: an instance of a store without fuel, timeout
or interruption runs code with no checks at all. With any of them, the store's
instances get metered code (``engine.interp.FUEL_CHECK``): **one unit of fuel per
wasm function call and one per loop iteration** (each arrival at a loop head), the
same in both engine tiers, so a given call spends the same fuel every time. The
meter (``Meter``) hands the engine an allowance and is asked again when it is spent:
then it pays from the store's fuel, checks ``interrupt()`` and the timeout, and
traps (``TrapCode.OUT_OF_FUEL`` / ``TrapCode.INTERRUPT``) or grants the next one.
Interruption and timeouts are noticed within ``CHECK_INTERVAL`` units.
"""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ..engine import ensure_recursion_limit, interp
from ..errors import Trap, TrapCode, WasmError
from ..runtime.objects import PAGE_SIZE, MemoryInstance

if TYPE_CHECKING:
    from .externs import Extern
    from .instance import Instance

__all__ = ["CHECK_INTERVAL", "Meter", "Store"]

CHECK_INTERVAL = 10_000
"""Units between checks of ``interrupt()`` and the timeout (about 1-10 ms of wasm)."""

Token = Optional[Tuple[Any, int, int]]


class Meter:
    """A store's limits while its code runs: fuel, interruption, timeout, call depth.

    ``enter``/``leave`` bracket every call into the store's wasm; inside, the
    engine's ``_meter`` is this object and ``_fuel`` its current allowance.
    """

    def __init__(self, fuel: Optional[int], timeout: Optional[float], polled: bool,
                 max_call_depth: Optional[int]) -> None:
        self.fuel_enabled = fuel is not None
        self.banked = fuel or 0  # fuel not handed to the engine
        self.timeout = timeout
        self.polled = polled  # interruption or timeout: check every CHECK_INTERVAL units
        self.max_call_depth = max_call_depth
        self.deadline: Optional[float] = None
        self.interrupted = False

    def _allowance(self) -> int:
        if not self.fuel_enabled:
            return CHECK_INTERVAL
        grant = min(self.banked, CHECK_INTERVAL) if self.polled else self.banked
        self.banked -= grant
        return grant

    def enter(self) -> Token:
        """Make this meter the engine's (unless it already is: a host function calling
        back into the same store); the token restores the previous state."""
        if interp._meter is self:
            return None
        token = (interp._meter, interp._fuel, interp.MAX_CALL_DEPTH)
        interp._meter = self
        interp._fuel = self._allowance()
        if self.timeout is not None:
            self.deadline = time.monotonic() + self.timeout
        if self.max_call_depth is not None:
            interp.MAX_CALL_DEPTH = min(token[2], interp._depth + self.max_call_depth)
        return token

    def leave(self, token: Token) -> None:
        """Take back the unspent allowance and restore what ``enter`` replaced."""
        if token is None:
            return
        if self.fuel_enabled:
            self.banked += max(interp._fuel, 0)
        interp._meter, interp._fuel, interp.MAX_CALL_DEPTH = token

    def tick(self) -> int:
        """Called by metered code when its allowance is overspent: trap, or the next allowance."""
        over = -interp._fuel
        if self.interrupted:
            self.interrupted = False
            interp._fuel = 0
            raise Trap("interrupted", TrapCode.INTERRUPT)
        if self.deadline is not None and time.monotonic() > self.deadline:
            interp._fuel = 0
            raise Trap(f"interrupted: the {self.timeout} s timeout passed", TrapCode.INTERRUPT)
        if self.fuel_enabled:
            if self.banked < over:
                self.banked = 0
                interp._fuel = 0
                raise Trap("all fuel consumed", TrapCode.OUT_OF_FUEL)
            self.banked -= over
        return self._allowance()

    def fuel(self) -> int:
        """Fuel left, also while running (from a host function)."""
        return self.banked + (max(interp._fuel, 0) if interp._meter is self else 0)

    def set_fuel(self, fuel: int) -> None:
        """Replace the fuel left, also while running."""
        self.banked = fuel
        if interp._meter is self:
            interp._fuel = 0  # the next unit asks ``tick``, which pays from ``banked``


class Store:
    """Owns instances and the memories, tables, globals and functions they use, and
    the limits (all optional) their code runs under:

    * ``fuel``: units of work the store's code may do (see the module docstring for
      the cost model); running out traps with ``TrapCode.OUT_OF_FUEL``;
      ``get_fuel``/``set_fuel``/``add_fuel`` refuel.
    * ``max_memory``: bytes all the store's memories together may hold; past it,
      ``memory.grow`` returns -1 and instantiation fails with ``LinkError``.
    * ``timeout``: seconds each call from Python into wasm may run; past them it
      traps with ``TrapCode.INTERRUPT``.
    * ``interruptible``: allow ``interrupt()`` (from any thread) to stop the running
      call with ``TrapCode.INTERRUPT``.
    * ``max_call_depth``: wasm frames a call may nest (at most the engine's
      ``MAX_CALL_DEPTH``); deeper traps with ``TrapCode.STACK_OVERFLOW``.

    After a limit trap the store and its instances stay usable: memories and globals
    keep what the code wrote before the trap, fuel is 0 after ``OUT_OF_FUEL``
    (refuel to go on), and an interruption is consumed by the trap it caused.
    """

    def __init__(self, *, fuel: Optional[int] = None, max_memory: Optional[int] = None,
                 timeout: Optional[float] = None, interruptible: bool = False,
                 max_call_depth: Optional[int] = None) -> None:
        for name, value in (("fuel", fuel), ("max_memory", max_memory), ("max_call_depth", max_call_depth)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.metered = fuel is not None or timeout is not None or interruptible
        """Whether the store's code is metered (has fuel, a timeout or interruption)."""
        self.max_memory = max_memory
        polled = timeout is not None or interruptible
        needs_meter = self.metered or max_call_depth is not None
        self._meter = Meter(fuel, timeout, polled, max_call_depth) if needs_meter else None
        self.instances: List["Instance"] = []
        """The instances made in this store, in order."""
        self._memories: List[MemoryInstance] = []
        self._views: Dict[MemoryInstance, List["weakref.ref[memoryview]"]] = {}
        self._externs: Dict[Any, "Extern"] = {}
        ensure_recursion_limit()

    # -- fuel and interruption --

    def _fuel_meter(self) -> Meter:
        m = self._meter
        if m is None or not m.fuel_enabled:
            raise WasmError("fuel is not enabled in this store: create it with Store(fuel=N)")
        return m

    def get_fuel(self) -> int:
        """Fuel left (also callable from a host function while the store's code runs)."""
        return self._fuel_meter().fuel()

    def set_fuel(self, fuel: int) -> None:
        """Set the fuel left to ``fuel``."""
        if not isinstance(fuel, int) or fuel < 0:
            raise ValueError(f"fuel must be a non-negative int, not {fuel!r}")
        self._fuel_meter().set_fuel(fuel)

    def add_fuel(self, fuel: int) -> None:
        """Add ``fuel`` units to what is left."""
        if not isinstance(fuel, int) or fuel < 0:
            raise ValueError(f"fuel must be a non-negative int, not {fuel!r}")
        m = self._fuel_meter()
        m.set_fuel(m.fuel() + fuel)

    def interrupt(self) -> None:
        """Stop the store's running wasm (or the next call into it, if none is running)
        with a ``TrapCode.INTERRUPT`` trap, within ``CHECK_INTERVAL`` units of work.
        Safe to call from another thread. Python code in host functions is not
        interrupted; the trap comes when it returns to wasm."""
        m = self._meter
        if m is None or not m.polled:
            raise WasmError("this store cannot be interrupted: create it with Store(interruptible=True)")
        m.interrupted = True

    # -- memory accounting --

    def memory_used(self) -> int:
        """Bytes held by the store's memories."""
        return sum(len(m.data) for m in self._memories)

    def _adopt_memory(self, mem: MemoryInstance) -> None:
        self._memories.append(mem)
        mem.limiter = self._may_grow

    def _watch_view(self, mem: MemoryInstance, view: memoryview) -> None:
        """Refuse to grow ``mem`` while ``view`` is alive and not released (CPython's
        bytearray refuses by itself, PyPy's would resize under the view)."""
        self._views.setdefault(mem, []).append(weakref.ref(view))

    def _may_grow(self, mem: MemoryInstance, pages: int) -> bool:
        views = self._views.get(mem)
        if views:
            views[:] = [r for r in views if _held(r())]
            if views:
                return False
        if self.max_memory is None:
            return True
        return self.memory_used() - len(mem.data) + pages * PAGE_SIZE <= self.max_memory

    # -- the API objects of run-time objects --

    def _wrap(self, obj: Any) -> "Extern":
        """The API object (``Func``, ``Memory``, ``Table``, ``Global``) of a run-time one,
        the same object every time."""
        e = self._externs.get(obj)
        if e is None:
            from .externs import wrap

            e = self._externs[obj] = wrap(self, obj)
        return e

    def _func_in(self, f: Any) -> Any:
        """A funcref argument: None or a ``Func`` of this store."""
        if f is None:
            return None
        from .externs import Func

        if not isinstance(f, Func):
            raise TypeError(f"expected a Func or None for funcref, got {type(f).__name__} {f!r}")
        if f.store is not self:
            raise ValueError(f"{f!r} belongs to another store")
        return f._function

    def _func_out(self, f: Any) -> Any:
        return None if f is None else self._wrap(f)


def _held(view: Optional[memoryview]) -> bool:
    """Whether a view is alive and not released."""
    if view is None:
        return False
    try:
        view.nbytes
    except ValueError:  # released
        return False
    return True
