"""LEB128 and the other primitive readers of ``wasmlite.decode.reader``."""

from __future__ import annotations

import random

import pytest

from wasmlite.decode import reader
from wasmlite.decode.reader import (
    read_len,
    read_name,
    read_s7,
    read_s32,
    read_s33,
    read_s64,
    read_u1,
    read_u32,
)
from wasmlite.encode import sleb, uleb
from wasmlite.errors import DecodeError

PAD = b"\x00" * 8  # trailing bytes, so that the unrolled fast paths are taken


def read_all(fn, data: bytes):
    """Read from ``data`` both as-is (general path) and padded (fast path); both must agree."""
    value, pos = fn(data, 0, len(data))
    assert fn(data + PAD, 0, len(data) + len(PAD)) == (value, pos)
    return value, pos


def error_of(fn, data: bytes, end=None) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        fn(data, 0, len(data) if end is None else end)
    return info.value


# -- unsigned ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 63, 64, 127, 128, 300, 16383, 16384, 2**21, 2**28 - 1, 2**28, 2**31, 2**32 - 1])
def test_u32_round_trip(value):
    data = uleb(value)
    assert read_all(read_u32, data) == (value, len(data))


def test_u32_max_and_padded_encodings():
    assert read_all(read_u32, b"\xff\xff\xff\xff\x0f") == (2**32 - 1, 5)
    # Over-long but within five bytes is allowed.
    assert read_all(read_u32, b"\x80\x80\x80\x80\x00") == (0, 5)
    assert read_all(read_u32, b"\x82\x80\x00") == (2, 3)


@pytest.mark.parametrize("data", [b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\x1f", b"\x80\x80\x80\x80\x70", b"\x82\x80\x80\x80\x7f"])
def test_u32_too_large(data):
    for padded in (data, data + PAD):
        err = error_of(read_u32, padded)
        assert err.message == "integer too large"
        assert err.offset == 4


@pytest.mark.parametrize("data", [b"\x80\x80\x80\x80\x80\x00", b"\x82\x80\x80\x80\x80\x00", b"\xff\xff\xff\xff\x8f\x00"])
def test_u32_too_long(data):
    err = error_of(read_u32, data)
    assert err.message == "integer representation too long"
    assert err.offset == 5


def test_u32_too_long_without_reading_the_sixth_byte():
    # The error is known after the fifth byte: a sixth need not exist.
    err = error_of(read_u32, b"\x80\x80\x80\x80\x80")
    assert err.message == "integer representation too long"


@pytest.mark.parametrize("data", [b"", b"\x80", b"\xff\xff", b"\x80\x80\x80\x80"])
def test_u32_truncated(data):
    err = error_of(read_u32, data)
    assert err.message.startswith("unexpected end")
    assert err.offset == len(data)


def test_readers_respect_end():
    data = b"\x80\x80\x01" + PAD
    err = error_of(read_u32, data, end=2)
    assert err.message.startswith("unexpected end") and err.offset == 2
    assert error_of(read_s32, data, end=2).offset == 2
    assert error_of(read_s64, data, end=0).offset == 0
    assert read_u32(data, 0, 3) == (1 << 14, 3)


def test_u1_limits_flag():
    assert read_u1(b"\x00", 0, 1) == (0, 1)
    assert read_u1(b"\x01", 0, 1) == (1, 1)
    assert error_of(read_u1, b"\x02").message == "integer too large"
    assert error_of(read_u1, b"\x81\x00").message == "integer representation too long"
    assert error_of(read_u1, b"\x80\x00").message == "integer representation too long"


# -- signed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2**27, -(2**27), 2**31 - 1, -(2**31)]
)
def test_s32_round_trip(value):
    data = sleb(value)
    assert read_all(read_s32, data) == (value, len(data))


def test_s32_extremes_and_padded_encodings():
    assert read_all(read_s32, b"\xff\xff\xff\xff\x07") == (2**31 - 1, 5)
    assert read_all(read_s32, b"\x80\x80\x80\x80\x78") == (-(2**31), 5)
    assert read_all(read_s32, b"\xff\xff\xff\xff\x7f") == (-1, 5)  # over-long -1
    assert read_all(read_s32, b"\x80\x80\x80\x80\x00") == (0, 5)  # over-long 0
    assert read_all(read_s32, b"\xc0\x00") == (64, 2)
    assert read_all(read_s32, b"\xbf\x7f") == (-65, 2)


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x80\x80\x80\x08",  # 2**31: the sign bit is clear but bit 31 is set
        b"\xff\xff\xff\xff\x0f",  # 2**32 - 1
        b"\xff\xff\xff\xff\x77",  # unused bits not a sign extension
        b"\x80\x80\x80\x80\x70",
        b"\x80\x80\x80\x80\x40",
    ],
)
def test_s32_too_large(data):
    for padded in (data, data + PAD):
        err = error_of(read_s32, padded)
        assert err.message == "integer too large"
        assert err.offset == 4


@pytest.mark.parametrize("data", [b"\xff\xff\xff\xff\xff\x7f", b"\x80\x80\x80\x80\x80\x00"])
def test_s32_too_long(data):
    err = error_of(read_s32, data)
    assert err.message == "integer representation too long"
    assert err.offset == 5


@pytest.mark.parametrize("value", [0, -1, 2**63 - 1, -(2**63), 2**62, -(2**62) - 1, 2**35, -(2**49)])
def test_s64_round_trip(value):
    data = sleb(value)
    assert read_all(read_s64, data) == (value, len(data))


def test_s64_limits():
    assert read_s64(b"\xff" * 9 + b"\x00", 0, 10) == (2**63 - 1, 10)
    assert read_s64(b"\x80" * 9 + b"\x7f", 0, 10) == (-(2**63), 10)
    for last in (b"\x01", b"\x7e", b"\x40", b"\x02"):
        err = error_of(read_s64, b"\x80" * 9 + last)
        assert (err.message, err.offset) == ("integer too large", 9)
    err = error_of(read_s64, b"\xff" * 10 + b"\x7f")
    assert (err.message, err.offset) == ("integer representation too long", 10)


def test_s33_block_type_range():
    assert read_s33(b"\xff\xff\xff\xff\x0f", 0, 5) == (2**32 - 1, 5)
    assert read_s33(b"\x80\x80\x80\x80\x70", 0, 5) == (-(2**32), 5)
    assert error_of(read_s33, b"\x80\x80\x80\x80\x10").message == "integer too large"
    assert error_of(read_s33, b"\x80\x80\x80\x80\x60").message == "integer too large"


def test_s7_type_constructor():
    assert read_s7(b"\x60", 0, 1) == (-0x20, 1)
    assert error_of(read_s7, b"\xe0\x7f").message == "integer representation too long"


def test_fast_paths_agree_with_general_readers():
    """The unrolled u32/s32 readers must give exactly the general readers' answers."""
    rng = random.Random(1234)
    alphabet = [0x00, 0x01, 0x07, 0x08, 0x0F, 0x10, 0x3F, 0x40, 0x77, 0x78, 0x7F, 0x80, 0x81, 0xFF]
    for fast, slow in ((read_u32, reader._read_u32), (read_s32, reader._read_s32)):
        for _ in range(3000):
            data = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
            end = rng.randint(0, len(data))

            def outcome(fn):
                try:
                    return fn(data, 0, end)
                except DecodeError as e:
                    return (e.message, e.offset)

            assert outcome(fast) == outcome(slow), (data.hex(), end)


# -- lengths and names ---------------------------------------------------------------


def test_len_bounded_by_remaining_bytes():
    assert read_len(b"\x02ab", 0, 3) == (2, 1)
    err = error_of(read_len, b"\x04ab")
    assert (err.message, err.offset) == ("length out of bounds", 0)
    err = error_of(read_len, b"\xff\xff\xff\xff\x0f")
    assert err.message == "length out of bounds"
    # As in the reference decoder, the bound counts the length's own bytes.
    assert read_len(b"\x02a", 0, 2) == (2, 1)


def test_names():
    assert read_name(b"\x03abc", 0, 4) == ("abc", 4)
    assert read_name(b"\x00", 0, 1) == ("", 1)
    snow = "\u2603".encode("utf-8")
    assert read_name(bytes([len(snow)]) + snow, 0, 4) == ("\u2603", 4)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80",  # lone continuation byte
        b"\xc0\x80",  # over-long NUL
        b"\xed\xa0\x80",  # UTF-16 surrogate
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"\xe2\x82",  # truncated sequence
        b"\xff",
    ],
)
def test_names_malformed_utf8(raw):
    data = bytes([len(raw) + 1]) + b"a" + raw
    err = error_of(read_name, data)
    assert err.message == "malformed UTF-8 encoding"
    assert err.offset == 2


def test_name_truncated():
    err = error_of(read_name, b"\x04ab", end=3)
    assert err.message == "length out of bounds"
    err = error_of(read_name, b"\x02a")
    assert err.message.startswith("unexpected end")
    err = error_of(read_name, b"\x02ab", end=2)
    assert err.message.startswith("unexpected end")
