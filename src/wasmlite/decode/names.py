"""The "name" custom section: module, function and local names.

Custom section contents are not validated by the spec, so a name section that does
not parse must not make the module malformed: ``parse_names`` returns ``None`` and
the decoder keeps the section as an ordinary custom section instead.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from ..errors import DecodeError
from ..syntax import Names
from .reader import UNEXPECTED_END, read_byte, read_len, read_name, read_u32

_MODULE, _FUNCS, _LOCALS = 0, 1, 2


def _name_map(data: bytes, pos: int, end: int) -> Tuple[Dict[int, str], int]:
    count, pos = read_len(data, pos, end)
    out: Dict[int, str] = {}
    for _ in range(count):
        index, pos = read_u32(data, pos, end)
        out[index], pos = read_name(data, pos, end)
    return out, pos


def _parse(data: bytes, pos: int, end: int) -> Names:
    names = Names()
    last_id = -1
    while pos < end:
        sub_id, pos = read_byte(data, pos, end)
        size, pos = read_len(data, pos, end)
        sub_end = pos + size
        if sub_end > end:
            raise DecodeError(UNEXPECTED_END, end)
        if sub_id <= last_id:
            raise DecodeError("name subsections out of order", pos)
        last_id = sub_id
        if sub_id == _MODULE:
            names.module, pos = read_name(data, pos, sub_end)
        elif sub_id == _FUNCS:
            names.funcs, pos = _name_map(data, pos, sub_end)
        elif sub_id == _LOCALS:
            count, pos = read_len(data, pos, sub_end)
            for _ in range(count):
                func, pos = read_u32(data, pos, sub_end)
                names.locals[func], pos = _name_map(data, pos, sub_end)
        else:  # a subsection of a later extension: skip it
            pos = sub_end
        if pos != sub_end:
            raise DecodeError("name subsection size mismatch", pos)
    return names


def parse_names(data: bytes, pos: int, end: int) -> Optional[Names]:
    """The names in the payload ``data[pos:end]``, or ``None`` if it is malformed."""
    try:
        return _parse(data, pos, end)
    except DecodeError:
        return None
