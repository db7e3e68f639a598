"""Primitive readers of the binary format: LEB128 integers, lengths, names, types.

Every reader takes ``(data, pos, end)``, never looks at ``data[end:]``, and returns
``(value, new_pos)``; any malformation raises ``DecodeError`` with the offset of
the offending byte. The LEB128 rules follow the spec's reference decoder byte for
byte, so that errors carry the test suite's wording: the last byte an N-bit
integer may use must not set bits beyond N ("integer too large", for signed
integers: must sign-extend correctly), and must not ask for one more byte
("integer representation too long").
"""

from __future__ import annotations

from typing import Callable, Tuple

from ..errors import DecodeError
from ..syntax import EXTERNREF, FUNCREF, VALUE_TYPES

UNEXPECTED_END = "unexpected end of section or function"
TOO_LARGE = "integer too large"
TOO_LONG = "integer representation too long"

_VALUE_TYPES = frozenset(VALUE_TYPES)


def read_byte(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    if pos >= end:
        raise DecodeError(UNEXPECTED_END, pos)
    return data[pos], pos + 1


def read_bytes(data: bytes, pos: int, end: int, n: int) -> Tuple[bytes, int]:
    if pos + n > end:
        raise DecodeError(UNEXPECTED_END, end)
    return data[pos : pos + n], pos + n


def _uleb_reader(bits: int) -> Callable[[bytes, int, int], Tuple[int, int]]:
    """A reader of unsigned LEB128 integers of ``bits`` bits."""
    last_shift = (bits - 1) // 7 * 7  # where the last byte allowed goes
    limit = 1 << (bits - last_shift)  # the last byte's payload must stay below

    def read(data: bytes, pos: int, end: int) -> Tuple[int, int]:
        result = 0
        shift = 0
        while shift < last_shift:
            if pos >= end:
                raise DecodeError(UNEXPECTED_END, pos)
            b = data[pos]
            pos += 1
            if b < 0x80:
                return result | (b << shift), pos
            result |= (b & 0x7F) << shift
            shift += 7
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        b = data[pos]
        if b & 0x7F >= limit:
            raise DecodeError(TOO_LARGE, pos)
        if b & 0x80:
            raise DecodeError(TOO_LONG, pos + 1)
        return result | (b << last_shift), pos + 1

    return read


def _sleb_reader(bits: int) -> Callable[[bytes, int, int], Tuple[int, int]]:
    """A reader of signed LEB128 integers of ``bits`` bits."""
    last_shift = (bits - 1) // 7 * 7
    # The last byte's bits from the sign bit of the value up: all equal.
    sign_bits = (-1 << (bits - last_shift - 1)) & 0x7F

    def read(data: bytes, pos: int, end: int) -> Tuple[int, int]:
        result = 0
        shift = 0
        while shift < last_shift:
            if pos >= end:
                raise DecodeError(UNEXPECTED_END, pos)
            b = data[pos]
            pos += 1
            if b < 0x80:
                if b & 0x40:
                    return result | ((b - 0x80) << shift), pos
                return result | (b << shift), pos
            result |= (b & 0x7F) << shift
            shift += 7
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        b = data[pos]
        sign = b & sign_bits
        if sign and sign != sign_bits:
            raise DecodeError(TOO_LARGE, pos)
        if b & 0x80:
            raise DecodeError(TOO_LONG, pos + 1)
        if b & 0x40:
            return result | ((b - 0x80) << last_shift), pos + 1
        return result | (b << last_shift), pos + 1

    return read


read_u1 = _uleb_reader(1)  # the limits flag
read_s7 = _sleb_reader(7)  # type constructors, as the reference decoder reads them
read_s33 = _sleb_reader(33)
read_s64 = _sleb_reader(64)
_read_u32 = _uleb_reader(32)
_read_s32 = _sleb_reader(32)


def read_u32(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Unrolled for the common well-formed case; the general reader does the rest."""
    if pos + 5 <= end:
        b = data[pos]
        if b < 0x80:
            return b, pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        if b < 0x80:
            return result | (b << 7), pos + 2
        result |= (b & 0x7F) << 7
        b = data[pos + 2]
        if b < 0x80:
            return result | (b << 14), pos + 3
        result |= (b & 0x7F) << 14
        b = data[pos + 3]
        if b < 0x80:
            return result | (b << 21), pos + 4
        result |= (b & 0x7F) << 21
        b = data[pos + 4]
        if b < 0x10:
            return result | (b << 28), pos + 5
    elif pos < end and data[pos] < 0x80:
        return data[pos], pos + 1
    return _read_u32(data, pos, end)


def read_s32(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Unrolled like ``read_u32``; ``(b ^ 0x40) - 0x40`` sign-extends a final byte."""
    if pos + 5 <= end:
        b = data[pos]
        if b < 0x80:
            return (b ^ 0x40) - 0x40, pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        if b < 0x80:
            return result | (((b ^ 0x40) - 0x40) << 7), pos + 2
        result |= (b & 0x7F) << 7
        b = data[pos + 2]
        if b < 0x80:
            return result | (((b ^ 0x40) - 0x40) << 14), pos + 3
        result |= (b & 0x7F) << 14
        b = data[pos + 3]
        if b < 0x80:
            return result | (((b ^ 0x40) - 0x40) << 21), pos + 4
        result |= (b & 0x7F) << 21
        b = data[pos + 4]
        if b < 0x08:
            return result | (b << 28), pos + 5
        if 0x78 <= b < 0x80:
            return result | ((b - 0x80) << 28), pos + 5
    return _read_s32(data, pos, end)


def read_len(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    """A u32 count or byte length, which cannot exceed the bytes that are left.

    Each vector element takes at least one byte, so this bounds every allocation
    by the input size. As in the reference decoder, the bound is measured from
    the start of the length itself.
    """
    n, after = read_u32(data, pos, end)
    if n > end - pos:
        raise DecodeError("length out of bounds", pos)
    return n, after


MAX_NAME_BYTES = 100_000
"""Implementation limit on a name's length, as in wasmparser (wasmtime) and the JS API."""


def read_name(data: bytes, pos: int, end: int) -> Tuple[str, int]:
    n, after = read_len(data, pos, end)
    if n > MAX_NAME_BYTES:
        raise DecodeError(f"name of {n} bytes exceeds the implementation limit of {MAX_NAME_BYTES}", pos)
    pos = after
    raw, after = read_bytes(data, pos, end, n)
    try:
        return raw.decode("utf-8"), after
    except UnicodeDecodeError as exc:
        raise DecodeError("malformed UTF-8 encoding", pos + exc.start) from None


def read_valtype(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    if pos >= end:
        raise DecodeError(UNEXPECTED_END, pos)
    t = data[pos]
    if t not in _VALUE_TYPES:
        raise DecodeError("malformed value type", pos)
    return t, pos + 1


def read_reftype(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    if pos >= end:
        raise DecodeError(UNEXPECTED_END, pos)
    t = data[pos]
    if t != FUNCREF and t != EXTERNREF:
        raise DecodeError("malformed reference type", pos)
    return t, pos + 1
