"""Drop the DWARF custom sections (.debug_*) of .wasm files, keeping the name section
(trap backtraces are named from it); zig's --strip-debug drops both."""

from __future__ import annotations

import sys


def leb(data: bytes, pos: int) -> "tuple[int, int]":
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def strip(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        start = pos
        section_id = data[pos]
        size, body = leb(data, pos + 1)
        pos = body + size
        if section_id == 0:
            name_len, name_at = leb(data, body)
            if data[name_at:name_at + name_len].startswith(b".debug"):
                continue
        out += data[start:pos]
    return bytes(out)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(strip(data))
