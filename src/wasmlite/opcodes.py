"""The instruction table: every opcode described once.

The decoder reads immediates by ``Op.imm``, the encoder and the text parser write
them by it, the validator checks the fixed signature ``Op.params -> Op.results``
(``None`` for instructions it types by hand: control, parametric, variable, table
and reference instructions), and later the translator and both engine tiers key
their semantics on ``Op.name``.

Immediate kinds (``Op.imm``) and the Python value the decoder yields for each:

=================  ===========================================================
``""``             ``None``
``"blocktype"``    int, see ``syntax.blocktype_signature``
``"label"``        int label index
``"br_table"``     ``(labels: tuple[int, ...], default: int)``
``"func"``         int function index (also ``"local"``, ``"global"``,
                   ``"table"``, ``"elem"``, ``"data"`` for their index spaces)
``"call_indirect"`` ``(type index, table index)``
``"memarg"``       ``(align exponent, offset)``
``"memory"``       int memory index (a reserved zero byte in 2.0)
``"i32"``/``"i64"`` int, signed, as encoded
``"f32"``/``"f64"`` int, the raw IEEE bits (so NaN payloads survive)
``"v128"``         int, the 128-bit little-endian value, unsigned
``"lane"``         int lane index
``"shuffle"``      ``tuple`` of 16 lane indices
``"memarg_lane"``  ``(align exponent, offset, lane index)``
``"select_types"`` ``tuple`` of value types
``"reftype"``      a reference type
``"table_init"``   ``(elem index, table index)``
``"table_copy"``   ``(destination table, source table)``
``"memory_init"``  ``(data index, memory index)``
``"memory_copy"``  ``(destination memory, source memory)``
=================  ===========================================================

``mem_size`` is the number of bytes a load or store touches (its natural
alignment is ``log2(mem_size)``); ``lanes`` bounds the lane index of lane
instructions.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .syntax import F32, F64, I32, I64, V128

PREFIX_FC = 0xFC  # saturating truncation, bulk memory, table instructions
PREFIX_FD = 0xFD  # SIMD


class Op:
    __slots__ = ("name", "prefix", "code", "imm", "params", "results", "mem_size", "lanes")

    def __init__(
        self,
        name: str,
        prefix: Optional[int],
        code: int,
        imm: str,
        params: Optional[Tuple[int, ...]],
        results: Optional[Tuple[int, ...]],
        mem_size: int = 0,
        lanes: int = 0,
    ) -> None:
        self.name = name
        self.prefix = prefix
        self.code = code
        self.imm = imm
        self.params = params
        self.results = results
        self.mem_size = mem_size
        self.lanes = lanes

    def __repr__(self) -> str:
        return f"<Op {self.name}>"


_TYPES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "v128": V128}


def _sig(text: str) -> Tuple[Optional[Tuple[int, ...]], Optional[Tuple[int, ...]]]:
    if text == "*":
        return None, None
    params, _, results = text.partition(">")
    return (
        tuple(_TYPES[t] for t in params.split(",") if t),
        tuple(_TYPES[t] for t in results.split(",") if t),
    )


# Each line: code, name, immediate kind ("-" for none), signature ("*" when the
# validator types it by hand, else "params>results"), and optionally the access
# size in bytes (memory instructions) or lane count (lane instructions).
_CORE = """
0x00 unreachable - *
0x01 nop - *
0x02 block blocktype *
0x03 loop blocktype *
0x04 if blocktype *
0x05 else - *
0x0B end - *
0x0C br label *
0x0D br_if label *
0x0E br_table br_table *
0x0F return - *
0x10 call func *
0x11 call_indirect call_indirect *
0x1A drop - *
0x1B select - *
0x1C select select_types *
0x20 local.get local *
0x21 local.set local *
0x22 local.tee local *
0x23 global.get global *
0x24 global.set global *
0x25 table.get table *
0x26 table.set table *
0x28 i32.load memarg i32>i32 4
0x29 i64.load memarg i32>i64 8
0x2A f32.load memarg i32>f32 4
0x2B f64.load memarg i32>f64 8
0x2C i32.load8_s memarg i32>i32 1
0x2D i32.load8_u memarg i32>i32 1
0x2E i32.load16_s memarg i32>i32 2
0x2F i32.load16_u memarg i32>i32 2
0x30 i64.load8_s memarg i32>i64 1
0x31 i64.load8_u memarg i32>i64 1
0x32 i64.load16_s memarg i32>i64 2
0x33 i64.load16_u memarg i32>i64 2
0x34 i64.load32_s memarg i32>i64 4
0x35 i64.load32_u memarg i32>i64 4
0x36 i32.store memarg i32,i32> 4
0x37 i64.store memarg i32,i64> 8
0x38 f32.store memarg i32,f32> 4
0x39 f64.store memarg i32,f64> 8
0x3A i32.store8 memarg i32,i32> 1
0x3B i32.store16 memarg i32,i32> 2
0x3C i64.store8 memarg i32,i64> 1
0x3D i64.store16 memarg i32,i64> 2
0x3E i64.store32 memarg i32,i64> 4
0x3F memory.size memory >i32
0x40 memory.grow memory i32>i32
0x41 i32.const i32 >i32
0x42 i64.const i64 >i64
0x43 f32.const f32 >f32
0x44 f64.const f64 >f64
0xA7 i32.wrap_i64 - i64>i32
0xA8 i32.trunc_f32_s - f32>i32
0xA9 i32.trunc_f32_u - f32>i32
0xAA i32.trunc_f64_s - f64>i32
0xAB i32.trunc_f64_u - f64>i32
0xAC i64.extend_i32_s - i32>i64
0xAD i64.extend_i32_u - i32>i64
0xAE i64.trunc_f32_s - f32>i64
0xAF i64.trunc_f32_u - f32>i64
0xB0 i64.trunc_f64_s - f64>i64
0xB1 i64.trunc_f64_u - f64>i64
0xB2 f32.convert_i32_s - i32>f32
0xB3 f32.convert_i32_u - i32>f32
0xB4 f32.convert_i64_s - i64>f32
0xB5 f32.convert_i64_u - i64>f32
0xB6 f32.demote_f64 - f64>f32
0xB7 f64.convert_i32_s - i32>f64
0xB8 f64.convert_i32_u - i32>f64
0xB9 f64.convert_i64_s - i64>f64
0xBA f64.convert_i64_u - i64>f64
0xBB f64.promote_f32 - f32>f64
0xBC i32.reinterpret_f32 - f32>i32
0xBD i64.reinterpret_f64 - f64>i64
0xBE f32.reinterpret_i32 - i32>f32
0xBF f64.reinterpret_i64 - i64>f64
0xC0 i32.extend8_s - i32>i32
0xC1 i32.extend16_s - i32>i32
0xC2 i64.extend8_s - i64>i64
0xC3 i64.extend16_s - i64>i64
0xC4 i64.extend32_s - i64>i64
0xD0 ref.null reftype *
0xD1 ref.is_null - *
0xD2 ref.func func *
"""

_FC = """
0 i32.trunc_sat_f32_s - f32>i32
1 i32.trunc_sat_f32_u - f32>i32
2 i32.trunc_sat_f64_s - f64>i32
3 i32.trunc_sat_f64_u - f64>i32
4 i64.trunc_sat_f32_s - f32>i64
5 i64.trunc_sat_f32_u - f32>i64
6 i64.trunc_sat_f64_s - f64>i64
7 i64.trunc_sat_f64_u - f64>i64
8 memory.init memory_init i32,i32,i32>
9 data.drop data >
10 memory.copy memory_copy i32,i32,i32>
11 memory.fill memory i32,i32,i32>
12 table.init table_init i32,i32,i32>
13 elem.drop elem >
14 table.copy table_copy i32,i32,i32>
15 table.grow table *
16 table.size table >i32
17 table.fill table *
"""

_FD = """
0 v128.load memarg i32>v128 16
1 v128.load8x8_s memarg i32>v128 8
2 v128.load8x8_u memarg i32>v128 8
3 v128.load16x4_s memarg i32>v128 8
4 v128.load16x4_u memarg i32>v128 8
5 v128.load32x2_s memarg i32>v128 8
6 v128.load32x2_u memarg i32>v128 8
7 v128.load8_splat memarg i32>v128 1
8 v128.load16_splat memarg i32>v128 2
9 v128.load32_splat memarg i32>v128 4
10 v128.load64_splat memarg i32>v128 8
11 v128.store memarg i32,v128> 16
12 v128.const v128 >v128
13 i8x16.shuffle shuffle v128,v128>v128 16
14 i8x16.swizzle - v128,v128>v128
15 i8x16.splat - i32>v128
16 i16x8.splat - i32>v128
17 i32x4.splat - i32>v128
18 i64x2.splat - i64>v128
19 f32x4.splat - f32>v128
20 f64x2.splat - f64>v128
21 i8x16.extract_lane_s lane v128>i32 16
22 i8x16.extract_lane_u lane v128>i32 16
23 i8x16.replace_lane lane v128,i32>v128 16
24 i16x8.extract_lane_s lane v128>i32 8
25 i16x8.extract_lane_u lane v128>i32 8
26 i16x8.replace_lane lane v128,i32>v128 8
27 i32x4.extract_lane lane v128>i32 4
28 i32x4.replace_lane lane v128,i32>v128 4
29 i64x2.extract_lane lane v128>i64 2
30 i64x2.replace_lane lane v128,i64>v128 2
31 f32x4.extract_lane lane v128>f32 4
32 f32x4.replace_lane lane v128,f32>v128 4
33 f64x2.extract_lane lane v128>f64 2
34 f64x2.replace_lane lane v128,f64>v128 2
77 v128.not - v128>v128
78 v128.and - v128,v128>v128
79 v128.andnot - v128,v128>v128
80 v128.or - v128,v128>v128
81 v128.xor - v128,v128>v128
82 v128.bitselect - v128,v128,v128>v128
83 v128.any_true - v128>i32
84 v128.load8_lane memarg_lane i32,v128>v128 1 16
85 v128.load16_lane memarg_lane i32,v128>v128 2 8
86 v128.load32_lane memarg_lane i32,v128>v128 4 4
87 v128.load64_lane memarg_lane i32,v128>v128 8 2
88 v128.store8_lane memarg_lane i32,v128> 1 16
89 v128.store16_lane memarg_lane i32,v128> 2 8
90 v128.store32_lane memarg_lane i32,v128> 4 4
91 v128.store64_lane memarg_lane i32,v128> 8 2
92 v128.load32_zero memarg i32>v128 4
93 v128.load64_zero memarg i32>v128 8
94 f32x4.demote_f64x2_zero - v128>v128
95 f64x2.promote_low_f32x4 - v128>v128
96 i8x16.abs - v128>v128
97 i8x16.neg - v128>v128
98 i8x16.popcnt - v128>v128
99 i8x16.all_true - v128>i32
100 i8x16.bitmask - v128>i32
101 i8x16.narrow_i16x8_s - v128,v128>v128
102 i8x16.narrow_i16x8_u - v128,v128>v128
103 f32x4.ceil - v128>v128
104 f32x4.floor - v128>v128
105 f32x4.trunc - v128>v128
106 f32x4.nearest - v128>v128
107 i8x16.shl - v128,i32>v128
108 i8x16.shr_s - v128,i32>v128
109 i8x16.shr_u - v128,i32>v128
110 i8x16.add - v128,v128>v128
111 i8x16.add_sat_s - v128,v128>v128
112 i8x16.add_sat_u - v128,v128>v128
113 i8x16.sub - v128,v128>v128
114 i8x16.sub_sat_s - v128,v128>v128
115 i8x16.sub_sat_u - v128,v128>v128
116 f64x2.ceil - v128>v128
117 f64x2.floor - v128>v128
118 i8x16.min_s - v128,v128>v128
119 i8x16.min_u - v128,v128>v128
120 i8x16.max_s - v128,v128>v128
121 i8x16.max_u - v128,v128>v128
122 f64x2.trunc - v128>v128
123 i8x16.avgr_u - v128,v128>v128
124 i16x8.extadd_pairwise_i8x16_s - v128>v128
125 i16x8.extadd_pairwise_i8x16_u - v128>v128
126 i32x4.extadd_pairwise_i16x8_s - v128>v128
127 i32x4.extadd_pairwise_i16x8_u - v128>v128
128 i16x8.abs - v128>v128
129 i16x8.neg - v128>v128
130 i16x8.q15mulr_sat_s - v128,v128>v128
131 i16x8.all_true - v128>i32
132 i16x8.bitmask - v128>i32
133 i16x8.narrow_i32x4_s - v128,v128>v128
134 i16x8.narrow_i32x4_u - v128,v128>v128
135 i16x8.extend_low_i8x16_s - v128>v128
136 i16x8.extend_high_i8x16_s - v128>v128
137 i16x8.extend_low_i8x16_u - v128>v128
138 i16x8.extend_high_i8x16_u - v128>v128
139 i16x8.shl - v128,i32>v128
140 i16x8.shr_s - v128,i32>v128
141 i16x8.shr_u - v128,i32>v128
142 i16x8.add - v128,v128>v128
143 i16x8.add_sat_s - v128,v128>v128
144 i16x8.add_sat_u - v128,v128>v128
145 i16x8.sub - v128,v128>v128
146 i16x8.sub_sat_s - v128,v128>v128
147 i16x8.sub_sat_u - v128,v128>v128
148 f64x2.nearest - v128>v128
149 i16x8.mul - v128,v128>v128
150 i16x8.min_s - v128,v128>v128
151 i16x8.min_u - v128,v128>v128
152 i16x8.max_s - v128,v128>v128
153 i16x8.max_u - v128,v128>v128
155 i16x8.avgr_u - v128,v128>v128
156 i16x8.extmul_low_i8x16_s - v128,v128>v128
157 i16x8.extmul_high_i8x16_s - v128,v128>v128
158 i16x8.extmul_low_i8x16_u - v128,v128>v128
159 i16x8.extmul_high_i8x16_u - v128,v128>v128
160 i32x4.abs - v128>v128
161 i32x4.neg - v128>v128
163 i32x4.all_true - v128>i32
164 i32x4.bitmask - v128>i32
167 i32x4.extend_low_i16x8_s - v128>v128
168 i32x4.extend_high_i16x8_s - v128>v128
169 i32x4.extend_low_i16x8_u - v128>v128
170 i32x4.extend_high_i16x8_u - v128>v128
171 i32x4.shl - v128,i32>v128
172 i32x4.shr_s - v128,i32>v128
173 i32x4.shr_u - v128,i32>v128
174 i32x4.add - v128,v128>v128
177 i32x4.sub - v128,v128>v128
181 i32x4.mul - v128,v128>v128
182 i32x4.min_s - v128,v128>v128
183 i32x4.min_u - v128,v128>v128
184 i32x4.max_s - v128,v128>v128
185 i32x4.max_u - v128,v128>v128
186 i32x4.dot_i16x8_s - v128,v128>v128
188 i32x4.extmul_low_i16x8_s - v128,v128>v128
189 i32x4.extmul_high_i16x8_s - v128,v128>v128
190 i32x4.extmul_low_i16x8_u - v128,v128>v128
191 i32x4.extmul_high_i16x8_u - v128,v128>v128
192 i64x2.abs - v128>v128
193 i64x2.neg - v128>v128
195 i64x2.all_true - v128>i32
196 i64x2.bitmask - v128>i32
199 i64x2.extend_low_i32x4_s - v128>v128
200 i64x2.extend_high_i32x4_s - v128>v128
201 i64x2.extend_low_i32x4_u - v128>v128
202 i64x2.extend_high_i32x4_u - v128>v128
203 i64x2.shl - v128,i32>v128
204 i64x2.shr_s - v128,i32>v128
205 i64x2.shr_u - v128,i32>v128
206 i64x2.add - v128,v128>v128
209 i64x2.sub - v128,v128>v128
213 i64x2.mul - v128,v128>v128
214 i64x2.eq - v128,v128>v128
215 i64x2.ne - v128,v128>v128
216 i64x2.lt_s - v128,v128>v128
217 i64x2.gt_s - v128,v128>v128
218 i64x2.le_s - v128,v128>v128
219 i64x2.ge_s - v128,v128>v128
220 i64x2.extmul_low_i32x4_s - v128,v128>v128
221 i64x2.extmul_high_i32x4_s - v128,v128>v128
222 i64x2.extmul_low_i32x4_u - v128,v128>v128
223 i64x2.extmul_high_i32x4_u - v128,v128>v128
224 f32x4.abs - v128>v128
225 f32x4.neg - v128>v128
227 f32x4.sqrt - v128>v128
228 f32x4.add - v128,v128>v128
229 f32x4.sub - v128,v128>v128
230 f32x4.mul - v128,v128>v128
231 f32x4.div - v128,v128>v128
232 f32x4.min - v128,v128>v128
233 f32x4.max - v128,v128>v128
234 f32x4.pmin - v128,v128>v128
235 f32x4.pmax - v128,v128>v128
236 f64x2.abs - v128>v128
237 f64x2.neg - v128>v128
239 f64x2.sqrt - v128>v128
240 f64x2.add - v128,v128>v128
241 f64x2.sub - v128,v128>v128
242 f64x2.mul - v128,v128>v128
243 f64x2.div - v128,v128>v128
244 f64x2.min - v128,v128>v128
245 f64x2.max - v128,v128>v128
246 f64x2.pmin - v128,v128>v128
247 f64x2.pmax - v128,v128>v128
248 i32x4.trunc_sat_f32x4_s - v128>v128
249 i32x4.trunc_sat_f32x4_u - v128>v128
250 f32x4.convert_i32x4_s - v128>v128
251 f32x4.convert_i32x4_u - v128>v128
252 i32x4.trunc_sat_f64x2_s_zero - v128>v128
253 i32x4.trunc_sat_f64x2_u_zero - v128>v128
254 f64x2.convert_low_i32x4_s - v128>v128
255 f64x2.convert_low_i32x4_u - v128>v128
"""


def _numeric_families() -> List[Tuple[int, str, str]]:
    """The regular core numeric opcodes 0x45..0xC4, by family: (code, name, sig)."""
    out: List[Tuple[int, str, str]] = []

    def family(first: int, t: str, names: str, sig: str) -> None:
        for i, n in enumerate(names.split()):
            out.append((first + i, f"{t}.{n}", sig))

    int_cmp = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
    int_un = "clz ctz popcnt"
    int_bin = "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"
    float_cmp = "eq ne lt gt le ge"
    float_un = "abs neg ceil floor trunc nearest sqrt"
    float_bin = "add sub mul div min max copysign"
    family(0x45, "i32", "eqz", "i32>i32")
    family(0x46, "i32", int_cmp, "i32,i32>i32")
    family(0x50, "i64", "eqz", "i64>i32")
    family(0x51, "i64", int_cmp, "i64,i64>i32")
    family(0x5B, "f32", float_cmp, "f32,f32>i32")
    family(0x61, "f64", float_cmp, "f64,f64>i32")
    family(0x67, "i32", int_un, "i32>i32")
    family(0x6A, "i32", int_bin, "i32,i32>i32")
    family(0x79, "i64", int_un, "i64>i64")
    family(0x7C, "i64", int_bin, "i64,i64>i64")
    family(0x8B, "f32", float_un, "f32>f32")
    family(0x92, "f32", float_bin, "f32,f32>f32")
    family(0x99, "f64", float_un, "f64>f64")
    family(0xA0, "f64", float_bin, "f64,f64>f64")
    return out


def _simd_compare_families() -> List[Tuple[int, str, str]]:
    out: List[Tuple[int, str, str]] = []
    int_cmp = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u".split()
    float_cmp = "eq ne lt gt le ge".split()
    for first, shape, names in (
        (35, "i8x16", int_cmp),
        (45, "i16x8", int_cmp),
        (55, "i32x4", int_cmp),
        (65, "f32x4", float_cmp),
        (71, "f64x2", float_cmp),
    ):
        for i, n in enumerate(names):
            out.append((first + i, f"{shape}.{n}", "v128,v128>v128"))
    return out


def _build() -> Tuple[Dict[int, Op], Dict[int, Op], Dict[int, Op], Dict[str, Op]]:
    single: Dict[int, Op] = {}
    fc: Dict[int, Op] = {}
    fd: Dict[int, Op] = {}
    by_name: Dict[str, Op] = {}

    def add(table: Dict[int, Op], prefix: Optional[int], code: int, name: str, imm: str,
            sig: str, extra: List[str]) -> None:
        params, results = _sig(sig)
        mem_size = lanes = 0
        if imm in ("memarg", "memarg_lane"):
            mem_size = int(extra[0])
            if imm == "memarg_lane":
                lanes = int(extra[1])
        elif imm in ("lane", "shuffle"):
            lanes = int(extra[0])
        op = Op(name, prefix, code, "" if imm == "-" else imm, params, results, mem_size, lanes)
        assert code not in table, name
        table[code] = op
        # `select` has two encodings; the text name maps to the untyped one, and the
        # typed form is chosen by the parser when it sees a result annotation.
        if name not in by_name:
            by_name[name] = op

    for table, prefix, text in ((single, None, _CORE), (fc, PREFIX_FC, _FC), (fd, PREFIX_FD, _FD)):
        for line in text.strip().splitlines():
            number, name, imm, sig, *extra = line.split()
            add(table, prefix, int(number, 0), name, imm, sig, extra)
    for code, name, sig in _numeric_families():
        add(single, None, code, name, "-", sig, [])
    for code, name, sig in _simd_compare_families():
        add(fd, PREFIX_FD, code, name, "-", sig, [])
    return single, fc, fd, by_name


SINGLE_BYTE, PREFIXED_FC, PREFIXED_FD, BY_NAME = _build()
"""Opcode -> Op for one-byte opcodes, for the 0xFC and 0xFD sub-opcodes, and text name -> Op."""

SELECT_TYPED = SINGLE_BYTE[0x1C]

BY_PREFIX: Dict[int, Dict[int, Op]] = {PREFIX_FC: PREFIXED_FC, PREFIX_FD: PREFIXED_FD}


def all_ops() -> List[Op]:
    """Every opcode, in encoding order."""
    return (
        sorted(SINGLE_BYTE.values(), key=lambda o: o.code)
        + sorted(PREFIXED_FC.values(), key=lambda o: o.code)
        + sorted(PREFIXED_FD.values(), key=lambda o: o.code)
    )
