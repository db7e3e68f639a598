"""Time a few representative v128 operations in three candidate run-time
representations: a 128-bit int, 16 ``bytes``, a tuple of lanes (in the shape of
the last operation). Prints nanoseconds per operation; the choice and the figures
are recorded in benchmarks/NOTES.md.

Run: ``python -m benchmarks.simd_repr``.
"""

from __future__ import annotations

import struct
import sys
import timeit

U4I, P4I = struct.Struct("<4I").unpack, struct.Struct("<4I").pack
U4F, P4F = struct.Struct("<4f").unpack, struct.Struct("<4f").pack
U16B = struct.Struct("<16B").unpack
M32 = 0xFFFFFFFF
H32 = 0x80000000800000008000000080000000
LOW32 = H32 ^ ((1 << 128) - 1)
data = bytearray(range(256)) * 16
S16 = struct.Struct("<16s")


def int_cases():
    a = int.from_bytes(bytes(range(16)), "little")
    b = int.from_bytes(bytes(range(16, 32)), "little")
    return {
        "v128.and": lambda: a & b,
        "i32x4.add": lambda: ((a & LOW32) + (b & LOW32)) ^ ((a ^ b) & H32),
        "i32x4.mul": lambda: int.from_bytes(P4I(*[(x * y) & M32 for x, y in zip(
            U4I(a.to_bytes(16, "little")), U4I(b.to_bytes(16, "little")))]), "little"),
        "f32x4.add": lambda: int.from_bytes(P4F(*[x + y for x, y in zip(
            U4F(a.to_bytes(16, "little")), U4F(b.to_bytes(16, "little")))]), "little"),
        "i32x4.extract_lane 2": lambda: (a >> 64) & M32,
        "v128.load": lambda: int.from_bytes(S16.unpack_from(data, 100)[0], "little"),
        "v128.store": lambda: S16.pack_into(data, 100, a.to_bytes(16, "little")),
    }


def bytes_cases():
    a, b = bytes(range(16)), bytes(range(16, 32))
    return {
        "v128.and": lambda: (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(16, "little"),
        "i32x4.add": lambda: P4I(*[(x + y) & M32 for x, y in zip(U4I(a), U4I(b))]),
        "i32x4.mul": lambda: P4I(*[(x * y) & M32 for x, y in zip(U4I(a), U4I(b))]),
        "f32x4.add": lambda: P4F(*[x + y for x, y in zip(U4F(a), U4F(b))]),
        "i32x4.extract_lane 2": lambda: U4I(a)[2],
        "v128.load": lambda: S16.unpack_from(data, 100)[0],
        "v128.store": lambda: S16.pack_into(data, 100, a),
    }


def tuple_cases():
    # Lanes kept in the shape of the last op; any other shape must repack.
    a, b = U4I(bytes(range(16))), U4I(bytes(range(16, 32)))
    af, bf = U4F(bytes(range(16))), U4F(bytes(range(16, 32)))
    return {
        "v128.and": lambda: tuple([x & y for x, y in zip(a, b)]),
        "i32x4.add": lambda: tuple([(x + y) & M32 for x, y in zip(a, b)]),
        "i32x4.mul": lambda: tuple([(x * y) & M32 for x, y in zip(a, b)]),
        "f32x4.add (same shape)": lambda: tuple([x + y for x, y in zip(af, bf)]),
        "f32x4.add (from i32x4)": lambda: tuple([x + y for x, y in zip(U4F(P4I(*a)), U4F(P4I(*b)))]),
        "i32x4.extract_lane 2": lambda: a[2],
        "v128.load": lambda: U4I(S16.unpack_from(data, 100)[0]),
        "v128.store": lambda: S16.pack_into(data, 100, P4I(*a)),
    }


def main() -> None:
    print(f"Python {sys.version.split()[0]} ({sys.implementation.name})")
    for label, cases in (("int", int_cases()), ("bytes", bytes_cases()), ("tuple", tuple_cases())):
        for name, fn in cases.items():
            n = 200_000
            best = min(timeit.repeat(fn, number=n, repeat=5)) / n
            print(f"{label:6} {name:26} {best * 1e9:7.0f} ns")


if __name__ == "__main__":
    main()
