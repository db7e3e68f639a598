"""Reading and writing the guest's linear memory from WASI functions.

Every access is bounds-checked; a pointer out of bounds traps, as it does in
wasmtime. Nothing keeps a memoryview (it would block ``memory.grow``).
"""

from __future__ import annotations

import struct
from typing import Any, List, Tuple

from ..errors import Trap
from .constants import IOVEC_SIZE

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")


class GuestMemory:
    """The bound instance's memory ``data`` (a bytearray or an mmap, resized in place by
    grow; see ``MemoryInstance``)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data

    def check(self, addr: int, size: int) -> None:
        if addr + size > len(self.data):
            raise Trap(f"pointer out of bounds: {size} bytes at {addr:#x}")

    def read(self, addr: int, size: int) -> bytes:
        self.check(addr, size)
        return bytes(self.data[addr:addr + size])

    def write(self, addr: int, blob: bytes) -> None:
        self.check(addr, len(blob))
        self.data[addr:addr + len(blob)] = blob

    def _get(self, s: struct.Struct, addr: int) -> int:
        self.check(addr, s.size)
        return s.unpack_from(self.data, addr)[0]

    def _put(self, s: struct.Struct, addr: int, value: int) -> None:
        self.check(addr, s.size)
        s.pack_into(self.data, addr, value)

    def u8(self, addr: int) -> int:
        return self._get(_U8, addr)

    def u16(self, addr: int) -> int:
        return self._get(_U16, addr)

    def u32(self, addr: int) -> int:
        return self._get(_U32, addr)

    def u64(self, addr: int) -> int:
        return self._get(_U64, addr)

    def set_u8(self, addr: int, value: int) -> None:
        self._put(_U8, addr, value)

    def set_u16(self, addr: int, value: int) -> None:
        self._put(_U16, addr, value)

    def set_u32(self, addr: int, value: int) -> None:
        self._put(_U32, addr, value & 0xFFFFFFFF)

    def set_u64(self, addr: int, value: int) -> None:
        self._put(_U64, addr, value & 0xFFFFFFFFFFFFFFFF)

    def iovecs(self, addr: int, count: int) -> List[Tuple[int, int]]:
        """The (buf, len) pairs of an iovec/ciovec array, each buffer checked."""
        self.check(addr, count * IOVEC_SIZE)
        out = []
        for i in range(count):
            buf, n = _IOVEC.unpack_from(self.data, addr + i * IOVEC_SIZE)
            self.check(buf, n)
            out.append((buf, n))
        return out

    def gather(self, addr: int, count: int) -> bytes:
        """The bytes of a ciovec array, concatenated."""
        return b"".join(bytes(self.data[b:b + n]) for b, n in self.iovecs(addr, count))

    def scatter(self, iovs: List[Tuple[int, int]], blob: bytes) -> None:
        """Spread ``blob`` over ``iovs`` in order (it fits: it was read to their total)."""
        pos = 0
        for buf, n in iovs:
            part = blob[pos:pos + n]
            self.data[buf:buf + len(part)] = part
            pos += len(part)
            if pos >= len(blob):
                break
