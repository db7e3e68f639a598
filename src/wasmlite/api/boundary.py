"""The generated code that crosses the boundary: Python calling a wasm function, and
wasm calling a Python host function.

Both are specialised per signature (generated once per signature and reused), with
the value conversions of ``values.IN`` / ``values.OUT`` spliced in, so a call costs
about two Python calls:

* into wasm, ``Func.__call__`` (one class per signature) converts the arguments, calls the function's
  tier-1 code directly when it has some (``codegen.Tier1.fn``) and otherwise
  ``engine.call``, and converts the results back;
* out of wasm, the host function's ``direct`` entry (see ``HostFunction``) converts
  the arguments, calls the Python callable, checks and converts its results.
  Anything the callable raises but a ``Trap`` travels up through the wasm frames as
  a ``HostError`` and is raised again, the same object, where the call entered wasm.

A store with limits wraps its calls in its meter's ``enter``/``leave``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

from .. import engine
from ..engine import interp
from ..engine.codegen import Tier1
from ..errors import HostError, Trap
from ..runtime.objects import Function
from ..syntax import FUNCREF
from .values import HELPERS, IN, OUT, RAW_OUT

__all__ = ["call_method", "call_slow", "host_adapter", "value_in", "value_out"]

FuncRefIn = Callable[[Any], Any]
FuncRefOut = Callable[[Any], Any]


def call_slow(f: Function, args: Tuple[Any, ...]) -> Any:
    """Call through the engine; results in tier 1's convention (None, value or tuple),
    a host function's exception still in its ``HostError``."""
    r = engine.call_carrying(f, list(args))
    n = len(r)
    return r[0] if n == 1 else (tuple(r) if n else None)


def _make(src: str, name: str) -> Callable[..., Any]:
    ns: Dict[str, Any] = dict(HELPERS)
    ns.update(Tier1=Tier1, interp=interp, HostError=HostError, Trap=Trap, EXHAUSTED=interp.EXHAUSTED, slow=call_slow,
              host_failure=interp.host_failure)
    exec(compile(src, f"<wasmlite.api {name}>", "exec"), ns)
    return ns["make"]  # type: ignore[no-any-return]


def _return(results: Sequence[int], out: Dict[int, str], ind: str) -> List[str]:
    if not results:
        return [ind + "return None"]
    if len(results) == 1:
        return [ind + "return " + out[results[0]].format(v="r")]
    names = [f"r{i}" for i in range(len(results))]
    return [ind + f"{', '.join(names)}, = r",
            ind + "return (" + ", ".join(out[t].format(v=n) for t, n in zip(results, names)) + ",)"]


_CALLS: Dict[Tuple[Tuple[int, ...], Tuple[int, ...], bool, bool], Callable[..., Any]] = {}


def call_method(params: Tuple[int, ...], results: Tuple[int, ...], raw: bool, metered: bool) -> Callable[..., Any]:
    """``Func.__call__`` for wasm functions of one signature: ``call(func, *args)``
    with Python values, reading the function (``func._function``) and, as needed,
    its store's meter and funcref conversions from ``func``. ``metered`` brackets
    the call with the store meter's ``enter``/``leave``."""
    key = (params, results, raw, metered)
    call = _CALLS.get(key)
    if call is not None:
        return call
    names = [f"a{i}" for i in range(len(params))]
    lines = [f"def call(func, {', '.join(names)}):"]
    if FUNCREF in params:
        lines.append("    to_funcref = func.store._func_in")
    if FUNCREF in results:
        lines.append("    from_funcref = func.store._func_out")
    lines += ["    " + IN[t].format(v=n) for t, n in zip(params, names)]
    lines.append("    wf = func._function")
    args = ", ".join(names)
    packed = f"({args}{',' if names else ''})"
    body = ["try:"]
    if engine.needs_big_stack:  # the outermost call needs a big C stack (engine.stack)
        body += [f"    r = slow(wf, {packed})"]
    else:
        body += ["    c = wf.compiled",
                 "    if c.__class__ is Tier1:",
                 f"        r = c.fn({args}{', ' if names else ''}interp._depth)",
                 "    else:",
                 f"        r = slow(wf, {packed})"]
    body += ["except HostError as carrier:",
             "    error = carrier.error",
             "except RecursionError:",
             "    error = None",
             "else:"]
    body += _return(results, RAW_OUT if raw else OUT, "    ")
    # Both raised outside the handlers: the host's exception as it was raised, and the
    # trap without PyPy recording a context (which can fail at the stack's limit).
    body += ["if error is None:", "    raise Trap(EXHAUSTED)", "raise error"]
    if metered:
        lines += ["    meter = func.store._meter", "    token = meter.enter()", "    try:"]
        lines += ["        " + line for line in body]
        lines += ["    finally:", "        meter.leave(token)"]
    else:
        lines += ["    " + line for line in body]
    src = "def make():\n" + "".join(f"    {x}\n" for x in lines) + "    return call\n"
    made: Callable[..., Any] = _make(src, "call")()
    _CALLS[key] = made
    return made


_ADAPTERS: Dict[Tuple[Tuple[int, ...], Tuple[int, ...], bool, bool], Callable[..., Any]] = {}


def _adapter_factory(params: Tuple[int, ...], results: Tuple[int, ...], raw: bool, caller: bool) -> Callable[..., Any]:
    key = (params, results, raw, caller)
    make = _ADAPTERS.get(key)
    if make is not None:
        return make
    names = [f"a{i}" for i in range(len(params))]
    out = RAW_OUT if raw else OUT
    pass_args = ["caller"] if caller else []
    pass_args += [out[t].format(v=n) for t, n in zip(params, names)]
    lines = [f"def direct({', '.join(names)}):",
             "    try:",
             f"        r = fn({', '.join(pass_args)})"]
    n = len(results)
    if n == 0:
        lines += ["        if r is not None:", "            wrong_results(r)", "        return None"]
    elif n == 1:
        lines += ["        " + IN[results[0]].format(v="r"), "        return r"]
    else:
        rn = [f"r{i}" for i in range(n)]
        lines += [f"        if r.__class__ is not tuple or len(r) != {n}:", "            wrong_results(r)",
                  f"        {', '.join(rn)} = r"]
        lines += ["        " + IN[t].format(v=v) for t, v in zip(results, rn)]
        lines += [f"        return ({', '.join(rn)},)"]
    lines += ["    except Trap:", "        raise",
              "    except BaseException as exc:  # comes out unchanged where wasm was entered",
              "        failure = exc",
              "    raise host_failure(failure)  # outside the handler (see engine._call)",
              "return direct"]
    src = "def make(fn, caller, wrong_results, to_funcref, from_funcref):\n" + "".join(f"    {x}\n" for x in lines)
    make = _ADAPTERS[key] = _make(src, "host")
    return make


def host_adapter(fn: Callable[..., Any], params: Tuple[int, ...], results: Tuple[int, ...], caller: Any,
                 raw: bool, to_funcref: FuncRefIn, from_funcref: FuncRefOut) -> Callable[..., Any]:
    """The ``direct`` entry of a host function: engine values in, ``fn`` called with
    Python values (after ``caller`` when it is not None), engine values out."""
    n = len(results)

    def wrong_results(r: Any) -> None:
        expected = "a tuple of %d values" % n if n > 1 else "one value" if n else "None"
        raise TypeError(f"host function {getattr(fn, '__name__', fn)!r} returned {r!r}; "
                        f"its type has {n} result(s), so {expected} was expected")

    make = _adapter_factory(params, results, raw, caller is not None)
    return make(fn, caller, wrong_results, to_funcref, from_funcref)  # type: ignore[no-any-return]


_VALUE_IN: Dict[int, Callable[..., Any]] = {}
_VALUE_OUT: Dict[Tuple[int, bool], Callable[..., Any]] = {}


def value_in(t: int, x: Any, to_funcref: FuncRefIn) -> Any:
    """One Python value as the engine's value of type ``t`` (for globals and tables)."""
    f = _VALUE_IN.get(t)
    if f is None:
        src = "def make():\n    def conv(a, to_funcref):\n        " + IN[t].format(v="a") + "\n        return a\n    return conv\n"
        f = _VALUE_IN[t] = _make(src, "value")()
    return f(x, to_funcref)


def value_out(t: int, r: Any, from_funcref: FuncRefOut, raw: bool = False) -> Any:
    """One engine value of type ``t`` as Python's (for globals and tables)."""
    f = _VALUE_OUT.get((t, raw))
    if f is None:
        src = ("def make():\n    def conv(r, from_funcref):\n        return "
               + (RAW_OUT if raw else OUT)[t].format(v="r") + "\n    return conv\n")
        f = _VALUE_OUT[(t, raw)] = _make(src, "value")()
    return f(r, from_funcref)
