"""Byte- and structure-level mutations of binary modules, and character- and
token-level mutations of WAT text.

Blind byte edits mostly break the outermost section sizes, so most mutations here
parse the module into sections (and the code section into bodies), edit inside,
and re-encode the sizes: that gets the damage past the envelope into counts,
types, instructions and immediates.
"""

from __future__ import annotations

import random
import re
from typing import Callable, List, Optional, Tuple

from wasmlite import WasmError, opcodes, syntax
from wasmlite.decode import read_instr, read_locals
from wasmlite.encode import uleb

HEADER = b"\x00asm\x01\x00\x00\x00"
INTERESTING = [0x00, 0x01, 0x0B, 0x40, 0x41, 0x60, 0x6F, 0x70, 0x7F, 0x80, 0xFD, 0xFF]
HUGE = [0x7FFF_FFFF, 0xFFFF_FFFF, 0x1_0000_0000, 0x10000, 65537]

Section = Tuple[int, bytes]


def read_uleb(data: bytes, pos: int) -> Optional[Tuple[int, int]]:
    """A lenient unsigned LEB128 read (at most 10 bytes), or None."""
    result = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            return None
        b = data[pos + i]
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos + i + 1
    return None


def padded_uleb(value: int, length: int) -> bytes:
    """``value`` as an unsigned LEB128 of exactly ``length`` bytes (over-long if
    that is more than it needs)."""
    out = bytearray()
    for i in range(length):
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if i < length - 1 else 0))
    return bytes(out)


def split_sections(data: bytes) -> Optional[List[Section]]:
    """The sections of a well-formed envelope, or None."""
    if data[:8] != HEADER:
        return None
    pos = 8
    out: List[Section] = []
    while pos < len(data):
        sid = data[pos]
        r = read_uleb(data, pos + 1)
        if r is None:
            return None
        size, start = r
        if start + size > len(data):
            return None
        out.append((sid, data[start : start + size]))
        pos = start + size
    return out


def join_sections(sections: List[Section]) -> bytes:
    return HEADER + b"".join(bytes([sid]) + uleb(len(p)) + p for sid, p in sections)


def split_bodies(payload: bytes) -> Optional[List[bytes]]:
    r = read_uleb(payload, 0)
    if r is None:
        return None
    count, pos = r
    bodies = []
    for _ in range(count):
        r = read_uleb(payload, pos)
        if r is None:
            return None
        size, pos = r
        if pos + size > len(payload):
            return None
        bodies.append(payload[pos : pos + size])
        pos += size
    return bodies if pos == len(payload) else None


def join_bodies(bodies: List[bytes]) -> bytes:
    return uleb(len(bodies)) + b"".join(uleb(len(b)) + b for b in bodies)


# -- mutations of a byte string ------------------------------------------------------


def flip_bits(rng: random.Random, b: bytes) -> bytes:
    if not b:
        return b
    out = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def set_byte(rng: random.Random, b: bytes) -> bytes:
    if not b:
        return b
    out = bytearray(b)
    out[rng.randrange(len(out))] = rng.choice(INTERESTING) if rng.random() < 0.7 else rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, b: bytes) -> bytes:
    return b[: rng.randrange(len(b) + 1)]


def insert_bytes(rng: random.Random, b: bytes) -> bytes:
    i = rng.randrange(len(b) + 1)
    junk = bytes(rng.choice(INTERESTING) for _ in range(rng.randint(1, 4)))
    return b[:i] + junk + b[i:]


def delete_bytes(rng: random.Random, b: bytes) -> bytes:
    if not b:
        return b
    i = rng.randrange(len(b))
    return b[:i] + b[i + rng.randint(1, 4) :]


def overlong_leb(rng: random.Random, b: bytes) -> bytes:
    """Re-encode the LEB128 that starts at a random offset with extra bytes: up to
    5 bytes is still well formed for a u32, beyond that it is not."""
    return overlong_leb_at(rng, b, rng.randrange(len(b))) if b else b


def overlong_leb_at(rng: random.Random, b: bytes, i: int) -> bytes:
    r = read_uleb(b, i)
    if r is None:
        return b
    value, after = r
    return b[:i] + padded_uleb(value, rng.choice([after - i + 1, 5, 5, 6])) + b[after:]


def huge_leb(rng: random.Random, b: bytes) -> bytes:
    """Replace the LEB128 at a random offset with a huge or off-by-one value."""
    if not b:
        return b
    i = rng.randrange(len(b))
    r = read_uleb(b, i)
    if r is None:
        return b
    value, after = r
    new = rng.choice(HUGE + [value + 1, max(value - 1, 0)])
    return b[:i] + uleb(new) + b[after:]


BYTE_MUTATIONS: List[Callable[[random.Random, bytes], bytes]] = [
    flip_bits, set_byte, truncate, insert_bytes, delete_bytes, overlong_leb, huge_leb,
]


# -- instruction-level mutations of a function body ----------------------------------


def _encode_opcode(op: opcodes.Op) -> bytes:
    if op.prefix is None:
        return bytes([op.code])
    return bytes([op.prefix]) + uleb(op.code)


def _ops_by_imm() -> dict:
    groups: dict = {}
    for op in opcodes.all_ops():
        groups.setdefault(op.imm, []).append(op)
    return groups


_OPS_BY_IMM = _ops_by_imm()


def _instructions(body: bytes) -> Optional[Tuple[int, List[Tuple[int, int, opcodes.Op]]]]:
    """Where the code starts and the ``(start, end, op)`` of each instruction, if the
    body decodes (wasmlite's decoder finds the boundaries; a body it cannot read is
    left to the byte mutations)."""
    try:
        _, pos = read_locals(syntax.FuncBody(body, 0, len(body)))
        out = []
        code_start = pos
        while pos < len(body):
            op, _, after = read_instr(body, pos, len(body))
            out.append((pos, after, op))
            pos = after
    except WasmError:
        return None
    return code_start, out


def mutate_instructions(rng: random.Random, body: bytes) -> bytes:
    """Delete, duplicate, move or re-opcode whole instructions: mostly well formed
    results, so the type checker (not the decoder) gets exercised."""
    parsed = _instructions(body)
    if not parsed or len(parsed[1]) < 2:
        return rng.choice(BYTE_MUTATIONS)(rng, body)
    code_start, instrs = parsed
    instrs = instrs[:-1]  # keep the function's final `end`
    if not instrs:
        return body
    start, end, op = rng.choice(instrs)
    kind = rng.randrange(6)
    if kind == 5:  # an over-long (or too long) encoding of the first immediate
        at = start + len(_encode_opcode(op))
        return body[:at] + overlong_leb_at(rng, body[at:end], 0) + body[end:] if at < end else body
    if kind == 0:
        return body[:start] + body[end:]
    if kind == 1:
        return body[:end] + body[start:end] + body[end:]
    if kind == 2:
        dest = rng.choice(instrs)[0]
        piece = body[start:end]
        rest = body[:start] + body[end:]
        dest = dest if dest < start else dest - (end - start)
        return rest[:dest] + piece + rest[dest:]
    if kind == 3:  # another opcode with the same kind of immediate
        new = rng.choice(_OPS_BY_IMM[op.imm])
        old_len = len(_encode_opcode(op))
        return body[:start] + _encode_opcode(new) + body[start + old_len :]
    # splice in an instruction with a random small immediate
    new = rng.choice(_OPS_BY_IMM[""])
    at = rng.choice(instrs)[0] if rng.random() < 0.9 else code_start
    return body[:at] + _encode_opcode(new) + body[at:]


# -- mutations of a module -----------------------------------------------------------


def _mutate_payload(rng: random.Random, sections: List[Section]) -> List[Section]:
    """A byte mutation inside one section's payload (or one function body)."""
    code = [i for i, (sid, _) in enumerate(sections) if sid == 10]
    i = code[0] if code and rng.random() < 0.5 else rng.randrange(len(sections))
    sid, payload = sections[i]
    op = rng.choice(BYTE_MUTATIONS)
    bodies = split_bodies(payload) if sid == 10 else None
    if bodies:
        j = rng.randrange(len(bodies))
        op = mutate_instructions if rng.random() < 0.6 else op
        bodies[j] = op(rng, bodies[j])
        payload = join_bodies(bodies)
    elif rng.random() < 0.3:
        payload = _mutate_count(rng, payload)
    else:
        payload = op(rng, payload)
    sections[i] = (sid, payload)
    return sections


def _mutate_count(rng: random.Random, payload: bytes) -> bytes:
    """Re-encode a section's leading count: over-long, huge or off by one."""
    r = read_uleb(payload, 0)
    if r is None:
        return payload
    value, after = r
    if rng.random() < 0.5:
        return padded_uleb(value, rng.choice([after + 1, 5, 6])) + payload[after:]
    return uleb(rng.choice(HUGE + [value + 1, max(value - 1, 0)])) + payload[after:]


def _reorder(rng: random.Random, sections: List[Section]) -> List[Section]:
    """Swap, duplicate or drop whole sections."""
    choice = rng.randrange(3)
    i = rng.randrange(len(sections))
    if choice == 0 and len(sections) > 1:
        j = rng.randrange(len(sections))
        sections[i], sections[j] = sections[j], sections[i]
    elif choice == 1:
        sections.insert(rng.randrange(len(sections) + 1), sections[i])
    else:
        del sections[i]
    return sections


def _splice(rng: random.Random, sections: List[Section], donor: List[Section]) -> List[Section]:
    """Take one section from another module (replacing the same id if present)."""
    if not donor:
        return sections
    sid, payload = rng.choice(donor)
    for i, (other, _) in enumerate(sections):
        if other == sid:
            sections[i] = (sid, payload)
            return sections
    sections.append((sid, payload))
    sections.sort(key=lambda s: (s[0] == 0, s[0]))  # roughly canonical; may be wrong
    return sections


def mutate_module(rng: random.Random, data: bytes, donor: Optional[bytes] = None) -> bytes:
    """One to three mutations of a binary module."""
    for _ in range(rng.randint(1, 3)):
        sections = split_sections(data)
        r = rng.random()
        if sections and r < 0.6:
            data = join_sections(_mutate_payload(rng, sections))
        elif sections and r < 0.75:
            data = join_sections(_reorder(rng, sections))
        elif sections and donor is not None and r < 0.85:
            data = join_sections(_splice(rng, sections, split_sections(donor) or []))
        else:
            data = rng.choice(BYTE_MUTATIONS)(rng, data)
    return data


# -- text ----------------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\(|\)|;;[^\n]*|[^\s()";]+')
TEXT_SNIPPETS = [
    "(", ")", "(;", ";)", ";;", '"', "\\", "0x", "-", "+", "nan:0x", "inf", "_", "$",
    "1e400", "0x1p-1075", "4294967296", "-0x80000000", "18446744073709551616",
    "i32", "i64", "f32", "f64", "v128", "funcref", "externref", "(param", "(result",
    "(local", "(type 0)", "(then", "(else", "end", "block", "loop", "if", "br 0",
    "offset=4294967296", "align=3", "i8x16", "\u00ff", "\x00", "(;(;", "\"\\u{110000}\"",
]


def mutate_text(rng: random.Random, text: str, donor: Optional[str] = None) -> str:
    """One to three character or token edits of WAT text."""
    for _ in range(rng.randint(1, 3)):
        tokens = [m.span() for m in _TOKEN.finditer(text)]
        r = rng.random()
        if tokens and r < 0.5:
            start, end = rng.choice(tokens)
            kind = rng.randrange(4)
            if kind == 0:  # delete a token
                text = text[:start] + text[end:]
            elif kind == 1:  # duplicate a token
                text = text[:end] + " " + text[start:end] + text[end:]
            elif kind == 2:  # replace it with a snippet
                text = text[:start] + rng.choice(TEXT_SNIPPETS) + text[end:]
            else:  # replace it with a token from elsewhere (or the donor)
                source = donor if donor and rng.random() < 0.5 else text
                other = [m.group() for m in _TOKEN.finditer(source)]
                text = text[:start] + rng.choice(other) + text[end:]
        elif r < 0.8 and text:
            i = rng.randrange(len(text))
            kind = rng.randrange(3)
            if kind == 0:
                text = text[:i] + text[i + rng.randint(1, 3) :]
            elif kind == 1:
                text = text[:i] + rng.choice(TEXT_SNIPPETS) + text[i:]
            else:
                text = text[:i] + chr(rng.choice([0, 9, 10, 34, 40, 41, 59, 92, 0x7F, 0xA0, 0x2028, rng.randrange(0x20, 0x7F)])) + text[i + 1 :]
        else:
            text = text[: rng.randrange(len(text) + 1)]
    return text
