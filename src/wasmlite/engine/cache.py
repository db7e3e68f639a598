"""The cache of tier-1 code: per process (shared by every instance of a module) and on disk.

An entry is what ``codegen`` needs to load a function without translating it: the
``make`` code object, its bindings and the function's arity, as one ``marshal``
blob. The key is the module's hash (``module_hash``: everything generated code
depends on) and the function index; a file's name adds a hash of wasmlite's
version and of the sources that shape generated code (``code_stamp``: a changed
template must not meet code generated from the old one) and
``sys.implementation.cache_tag`` (marshal and bytecode are per interpreter
version). ``cachedir.directory()`` is where (``WASMLITE_CACHE_DIR``). Writes are atomic (a temporary file, then ``os.replace``);
a file that cannot be read or decoded is ignored (and rewritten), never an error.

A module's entries are also gathered into one *pack* file (``pack``, at the exit
fill): a process starting a big program reads that one file instead of one per
function (QuickJS: 217). The entry files stay the truth; a pack is a copy of some
of them under the same key and stamps, so a concurrent writer's pack, replacing
another's, only holds fewer or more of the same entries; an unreadable pack, or
an entry in it that does not decode, is ignored.
"""

from __future__ import annotations

import itertools
import marshal
import os
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

from .. import encode, syntax
from ..cachedir import create, directory, hasher, source_stamp
from ..numeric import I64_SIGNED

Entry = Tuple[Any, ...]

MAX_MEMORY_ENTRIES = 4096
"""Entries kept in memory (a long-running process loading many modules stays bounded)."""

_memory: Dict[Tuple[str, int], Entry] = {}

_unwritable: Set[str] = set()
"""Cache directories a write failed in (read-only or full): ``writable`` says no more."""


def module_hash(module: syntax.Module) -> str:
    """A hash of what generated code depends on: the binary's (``module.digest``) when
    the module was loaded from one (hashed once, for the validated marker too), else
    one over the types, the type of every function, and the bodies."""
    if module.digest is not None:
        return module.digest
    h = hasher()
    for t in module.types:
        h.update(encode.func_type(t))
    for imp in module.imports_of(syntax.EXTERN_FUNC):
        h.update(b"i%d," % int(imp.desc))  # type: ignore[arg-type]
    h.update(b"f" + ",".join(map(str, module.funcs)).encode())
    for body in module.codes:
        b = body.body_bytes()
        h.update(b"b%d:" % len(b))
        h.update(b)
    return h.hexdigest()


_STAMPED = ("wasmlite.ir", "wasmlite.translate", "wasmlite.numeric.templates", "wasmlite.numeric.ranges",
            "wasmlite.numeric.scalar", "wasmlite.numeric.simd", "wasmlite.engine.memory_ops",
            "wasmlite.engine.interp", "wasmlite.engine.codegen", "wasmlite.engine.inline",
            "wasmlite.engine.intervals", "wasmlite.engine.coalesce", "wasmlite.runtime.objects")
"""The sources tier-1 code is generated from: every module ``codegen`` and
``intervals`` import that shapes it (``runtime.objects``: ``MAX_PAGES`` bounds
addresses in ``intervals``)."""
_stamp: List[str] = []


def code_stamp() -> str:
    """A hash of the modules generated code depends on (read once per process), and
    the i64 representation it was generated for."""
    if not _stamp:
        _stamp.append(source_stamp(_STAMPED) + ("s" if I64_SIGNED else ""))
    return _stamp[0]


def _name(key_hash: str, index: Any) -> str:
    return f"{key_hash}-{index}-{code_stamp()}-{sys.implementation.cache_tag}.bin"


def _path(d: str, key: Tuple[str, int]) -> str:
    return os.path.join(d, key[0][:2], _name(*key))


_packs: Dict[str, Dict[int, bytes]] = {}
"""Each pack as read (once per process, by its path): its entries' marshalled bytes
by function index, each dropped once decoded (``get``)."""
_packed: Dict[str, Set[int]] = {}
"""The function indices each pack held when read."""


def _pack_path(d: str, key_hash: str) -> str:
    return os.path.join(d, key_hash[:2], _name(key_hash, "pack"))


def _pack(d: str, key_hash: str) -> Dict[int, bytes]:
    """The entries of ``key_hash``'s pack in ``d`` ({} when there is none, or it is
    damaged)."""
    path = _pack_path(d, key_hash)
    p = _packs.get(path)
    if p is None:
        p = {}
        if not _unlisted(path):
            try:
                with open(path, "rb") as f:
                    p = marshal.loads(f.read())
                if not (isinstance(p, dict) and all(type(i) is int and type(b) is bytes for i, b in p.items())):
                    p = {}
            except Exception:  # missing, unreadable or corrupt: the entry files alone
                p = {}
        _packs[path] = p
        _packed[path] = set(p)
    return p


def get(key: Tuple[str, int], check: Any) -> Optional[Entry]:
    """The entry for ``key`` (memory first, then its module's pack, then its file),
    or None. ``check(entry)`` says whether a decoded entry has the expected shape."""
    e = _memory.get(key)
    if e is not None:
        return e
    d = directory()
    if d is None:
        return None
    blob = _pack(d, key[0]).pop(key[1], None)
    if blob is not None:
        try:
            e = marshal.loads(blob)
            if check(e):
                _remember(key, e)
                return e
        except Exception:  # a damaged copy: the file may still be good
            pass
    path = _path(d, key)
    if _unlisted(path):
        return None
    try:
        with open(path, "rb") as f:
            e = marshal.loads(f.read())
        if not check(e):
            return None
    except Exception:  # missing, unreadable or corrupt: compile again
        return None
    _remember(key, e)
    return e


_listed: Dict[str, Set[str]] = {}
"""Names in each cache subdirectory, listed once per process (``known``), with
the files this process wrote there since."""


def _unlisted(path: str) -> bool:
    """Whether ``path``'s directory was listed (``known``) without it: then nothing
    is opened for it. A fresh cache directory's first call asked ``known``, then
    ``get``, about a pack and an entry file that are not there: three failed
    opens, ~10 us each (an exception apiece). A file another process writes after
    the listing is missed, as ``known`` misses it: it is compiled again."""
    sub, name = os.path.split(path)
    names = _listed.get(sub)
    return names is not None and name not in names


def known(key: Tuple[str, int]) -> bool:
    """Whether an entry for ``key`` is likely there (in memory, or on disk as of the
    first look at its directory): cheap enough to ask for every function at its
    first call."""
    if key in _memory:
        return True
    d = directory()
    if d is None:
        return False
    sub, name = os.path.split(_path(d, key))
    names = _listed.get(sub)
    if names is None:
        try:
            names = set(os.listdir(sub))
        except OSError:
            names = set()
        _listed[sub] = names
    return name in names or key[1] in _pack(d, key[0])  # (the pack only if listed)


def _remember(key: Tuple[str, int], e: Entry) -> None:
    if len(_memory) >= MAX_MEMORY_ENTRIES:
        _memory.clear()
        _packs.clear()
        _packed.clear()
    _memory[key] = e


_serial = itertools.count()


def _temporary(sub: str) -> Tuple[int, str]:
    """A new file in directory ``sub`` (made if missing) to write an entry into, open
    for writing: named after this process, as creating it by name is a third of
    ``tempfile.mkstemp``'s cost in a process's first write (its random names need a
    seeded generator); ``mkstemp`` when the name is taken (a process of the same
    id in another PID namespace)."""
    name = os.path.join(sub, f".tmp-{os.getpid()}-{next(_serial)}")
    try:
        return create(name, os.O_EXCL, 0o600), name
    except FileExistsError:
        import tempfile  # (here: ~3 ms of import that a process only reading the cache never needs)

        return tempfile.mkstemp(dir=sub, prefix=".tmp-")


def put(key: Tuple[str, int], e: Entry) -> None:
    """Store an entry in memory and (best effort) on disk."""
    _remember(key, e)
    d = directory()
    if d is None:
        return
    path = _path(d, key)
    try:
        _write(path, marshal.dumps(e))
    except (OSError, ValueError):  # read-only or full disk: the cache is optional
        _unwritable.add(d)


def _write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old file or the new)."""
    sub = os.path.dirname(path)
    fd, tmp = _temporary(sub)
    try:
        try:
            if os.write(fd, data) != len(data):
                raise OSError("short write")  # (a full disk, as a rule)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _listed.get(sub, set()).add(os.path.basename(path))
    except BaseException:
        os.unlink(tmp)
        raise


def pack(key_hash: str) -> None:
    """Gather the entry files of ``key_hash`` on disk into its pack, unless the pack
    read by this process already holds them all (best effort, as ``put``)."""
    d = directory()
    if d is None:
        return
    sub = os.path.join(d, key_hash[:2])
    head = f"{key_hash}-"
    tail = _name(key_hash, "")[len(head):]  # an entry's name is head + index + tail
    try:
        names = os.listdir(sub)
    except OSError:
        return
    indices = {int(n[len(head):-len(tail)]) for n in names
               if n.startswith(head) and n.endswith(tail) and n[len(head):-len(tail)].isdigit()}
    path = _pack_path(d, key_hash)
    _pack(d, key_hash)
    if indices <= _packed[path]:
        return
    blobs: Dict[int, bytes] = {}
    for i in sorted(indices):
        try:
            with open(os.path.join(sub, _name(key_hash, i)), "rb") as f:
                blobs[i] = f.read()
        except OSError:  # (removed meanwhile)
            pass
    try:
        _write(path, marshal.dumps(blobs))
        _packed[path] = set(blobs)
    except (OSError, ValueError):
        _unwritable.add(d)


def writable() -> bool:
    """Whether entries can still go to disk: a cache directory is set and no write
    to it has failed in this process (work done only for the disk can stop)."""
    d = directory()
    return d is not None and d not in _unwritable


def clear_memory() -> None:
    """Forget the in-process entries (tests use it to reach the disk)."""
    _memory.clear()
    _packs.clear()
    _packed.clear()
    _listed.clear()
    _unwritable.clear()
