"""Tests of the register IR translator: the shape of the code it emits.

Behaviour (what the code computes) is tested in test_interp.py and by the spec
suite; here the point is that the optimisations the design asks for happen, and
that they stay correct in the cases that make them delicate.
"""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any, List

import pytest

from wasmlite import engine
from wasmlite.errors import ValidationError
from wasmlite.ir import IRFunction, format_function
from wasmlite.numeric import evaluator
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.translate import translate_function
from wasmlite.validate import validate_module


def ir_of(body: str, sig: str = "(param i32 i32) (result i32)", extra: str = "") -> IRFunction:
    module = parse_module(f"(module {extra} (func {sig} {body}))")
    validate_module(module)
    return translate_function(module, len(module.funcs) - 1)


def ops(fn: IRFunction) -> List[str]:
    return [ins.op for ins in fn.code]


def test_providers_emit_nothing_and_consumers_embed_locations() -> None:
    fn = ir_of("(i32.add (local.get 0) (i32.const 7)) (local.get 1) (i32.mul)")
    assert ops(fn) == ["i32.add", "i32.mul"]
    add, mul = fn.code
    L = fn.nlocals
    assert add.a == (0, -1) and fn.consts == [7] and add.d == L
    assert mul.a == (L, 1) and mul.d == L  # the result: the function's result slot


def test_frame_layout_and_printer() -> None:
    fn = ir_of("(local.set 2 (i32.add (local.get 0) (i32.const 1))) (local.get 2)",
               "(param i32) (result i32) (local i32 i32)")
    assert (fn.nlocals, fn.local_types, fn.ntemps) == (3, (0x7F, 0x7F), 2)
    text = format_function(fn, "f")
    assert text.splitlines()[0] == "func 0 f [i32] -> [i32]: 1 params, 2 locals, 2 temps, 1 consts"
    assert "i32.add l2 <- l0, c0=1" in text


def test_result_relinking_retargets_the_producer() -> None:
    fn = ir_of("(local.set 1 (i32.sub (local.get 0) (local.get 1))) (local.get 1)")
    assert ops(fn) == ["i32.sub", "copy"]
    assert fn.code[0].d == 1


def test_local_set_preserves_pending_reads() -> None:
    # the first local.get 0 must still read the old value after local.set 0
    fn = ir_of("(local.get 0) (local.set 0 (i32.add (local.get 0) (i32.const 1))) (local.get 0) (i32.sub)")
    L = fn.nlocals
    assert ops(fn) == ["i32.add", "copy", "copy", "i32.sub"]
    add, keep, assign, sub = fn.code
    assert add.d == L + 1  # not relinked: a pending read of local 0 exists
    assert (keep.d, keep.a) == (L, (0,))
    assert (assign.d, assign.a) == (0, (L + 1,))
    assert sub.a == (L, 0)


def test_local_tee_keeps_the_value_on_the_stack() -> None:
    fn = ir_of("(i32.mul (local.tee 1 (i32.add (local.get 0) (local.get 1))) (local.get 1))")
    assert ops(fn) == ["i32.add", "i32.mul"]
    assert fn.code[0].d == 1 and fn.code[1].a == (1, 1)


@pytest.mark.parametrize("cmp", ["i32.lt_s", "i32.ge_u", "i32.eq"])
def test_compare_and_br_if_fuse(cmp: str) -> None:
    fn = ir_of(f"(block (br_if 0 ({cmp} (local.get 0) (local.get 1)))) (i32.const 0)")
    assert ops(fn)[0] == "br_if." + cmp
    assert fn.code[0].a == (0, 1)


def test_eqz_and_if_fuse_into_a_negated_branch() -> None:
    fn = ir_of("(if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) (else (local.get 1)))")
    assert ops(fn) == ["br_unless.i32.eqz", "copy", "br", "copy"]
    br_unless, _, br, _ = fn.code
    assert br_unless.target == 3 and br.target == 4


def test_no_fusion_across_a_label() -> None:
    # the compare's result reaches br_if through a block end: it must stay a value
    fn = ir_of("(block (br_if 0 (block (result i32) (i32.lt_s (local.get 0) (local.get 1))))) (i32.const 0)")
    assert "br_if" in ops(fn)
    assert not any(op.startswith("br_if.") for op in ops(fn))


def test_branches_carry_copies_to_fixed_slots() -> None:
    fn = ir_of("(block (result i32) (br_if 0 (local.get 1) (local.get 0)) (drop) (i32.const 5))")
    L = fn.nlocals
    br_if = fn.code[0]
    assert br_if.op == "br_if" and br_if.copies == ((L, 1),) and br_if.a == (0,)
    assert fn.code[-1].op == "copy" and fn.code[-1].d == L  # fallthrough result


def test_loop_branch_goes_backward_with_its_params() -> None:
    fn = ir_of("(local.get 0) (loop (param i32) (result i32) "
               "(br_if 0 (i32.sub (i32.const 1)) (local.get 1)))")
    # the param is materialised into its slot before the loop starts (at 1)
    assert ops(fn)[:2] == ["copy", "i32.sub"] and fn.code[0].d == fn.nlocals
    backward = [ins for ins in fn.code if ins.op.startswith("br")]
    assert backward and backward[0].target == 1 and backward[0].copies == ()


def test_br_table_has_a_target_and_copies_per_arm() -> None:
    fn = ir_of("(block (result i32) (block (result i32) (br_table 0 1 1 (local.get 1) (local.get 0))) "
               "(i32.const 10) (i32.add)) (i32.const 0) (i32.add)")
    table = next(ins for ins in fn.code if ins.op == "br_table")
    L = fn.nlocals
    assert [c for _, c in table.imm] == [((L, 1),)] * 3
    inner, outer = table.imm[0][0], table.imm[1][0]
    assert outer == table.imm[2][0] and inner < outer


def test_return_is_a_branch_to_the_end() -> None:
    fn = ir_of("(return (local.get 1)) (i32.const 3)")
    assert fn.code[0].op == "br" and fn.code[0].target == -1
    assert fn.code[0].copies == ((fn.nlocals, 1),)


def test_unreachable_code_emits_nothing() -> None:
    fn = ir_of("(unreachable) (i32.add) (drop) (i32.const 1)")
    assert ops(fn) == ["unreachable"]


def test_unreachable_blocks_are_skipped_whole() -> None:
    # the dead `if` and the live-looking else-arm inside it used to emit a
    # conditional branch and a copy nobody could reach
    fn = ir_of("(block (br 0) (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3))) "
               "(drop)) (i32.const 7)", "(result i32)")
    assert ops(fn) == ["br", "copy"]
    assert fn.code[0].target == 1 and fn.code[1].a == (-1,) and fn.consts == [7]


def test_a_module_nobody_validated_is_validated_body_by_body() -> None:
    module = parse_module("(module (func (result i32) (i64.const 1)))")
    assert not module.validated
    with pytest.raises(ValidationError):
        translate_function(module, 0)
    validate_module(parse_module("(module)"))
    ok = parse_module("(module (func (result i32) (i32.const 1)))")
    assert ops(translate_function(ok, 0)) == ["copy"] and not ok.validated


def test_constants_are_told_apart_by_bits() -> None:
    fn = ir_of("(drop (f64.add (f64.const 0) (f64.const -0))) (drop (f64.add (f64.const nan) (f64.const 0))) "
               "(i32.const 1)", "(result i32)")
    assert len(fn.consts) == 4


def test_multi_value_call_results_go_to_consecutive_slots() -> None:
    fn = ir_of("(call $two) (i32.add)", "(param i32 i32) (result i32)",
               "(func $two (result i32 i32) (i32.const 1) (i32.const 2))")
    call = fn.code[0]
    assert call.op == "call" and call.d == fn.nlocals


def test_simd_memory_instructions_are_lowered_to_scalar_ones() -> None:
    """(An 8-byte load into a vector is ``v128.load64_zero``: unsigned whatever the
    i64 representation.)"""
    mem = "(memory 1)"
    fn = ir_of("(v128.load8x8_s offset=4 (local.get 0))", "(param i32) (result v128)", mem)
    assert [(i.op, i.d, i.a, i.imm) for i in fn.code] == [
        ("v128.load64_zero", 1, (0,), (3, 4)), ("i16x8.extend_low_i8x16_s", 1, (1,), None)]
    # A lane load reads into the temporary above its operands, then replaces the lane.
    fn = ir_of("(v128.load16_lane offset=1 3 (local.get 0) (local.get 1))", "(param i32 v128) (result v128)", mem)
    assert [(i.op, i.d, i.a, i.imm) for i in fn.code] == [
        ("i32.load16_u", 4, (0,), (1, 1)), ("i16x8.replace_lane", 2, (1, 4), 3)]
    assert fn.ntemps == 3
    fn = ir_of("(v128.store64_lane 1 (local.get 0) (local.get 1))", "(param i32 v128)", mem)
    assert [(i.op, i.d, i.a, i.imm) for i in fn.code] == [
        ("i64x2.extract_lane", 4, (1,), 1), ("i64.store", None, (0, 4), (3, 0))]
    fn = ir_of("(local.set 1 (v128.load32_zero (local.get 0))) (local.get 1)",
               "(param i32 v128) (result v128)", mem)
    assert [(i.op, i.d) for i in fn.code] == [("i32.load", 1), ("copy", 2)]


def test_explore_prints_every_function(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "m.wat"  # type: ignore[operator]
    path.write_text("(module (func $a (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))) "
                    "(func $b))")
    out = subprocess.run([sys.executable, "-m", "wasmlite", "explore", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert "func 0 a [i32] -> [i32]" in out and "i32.add t0 <- l0, c0=1" in out and "func 1 b" in out
    out = subprocess.run([sys.executable, "-m", "wasmlite", "explore", str(path), "--func", "1"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("func 1 b") and "func 0" not in out
    bad = subprocess.run([sys.executable, "-m", "wasmlite", "explore", str(path), "--func", "7"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "no defined function 7" in bad.stderr


# -- randomized: code heavy on local traffic against a plain stack machine ------------

_BINARY = ("i32.add", "i32.sub", "i32.mul", "i32.xor", "i32.lt_s", "i32.shl")
Item = Any  # an instruction's text, or ("if", then, else) / ("block", first, cond, rest)


def _random_seq(rng: random.Random, nlocals: int, length: int, nesting: int) -> List[Item]:
    """A valid sequence leaving exactly one i32, heavy on local traffic (reads pending
    across writes, tees, producers followed by sets), with ``if``/``else`` and blocks
    left by ``br_if`` when ``nesting`` allows, so pending reads cross block boundaries."""
    out: List[Item] = []
    depth = 0
    for _ in range(length):
        choices = ["get", "const"] + (["block"] if nesting else [])
        if depth >= 1:
            choices += ["set", "tee", "eqz", "drop"] + (["if"] if nesting else [])
        if depth >= 2:
            choices += ["bin", "bin", "bin"]
        if depth >= 3:
            choices.append("select")
        kind = rng.choice(choices)
        sub = lambda: _random_seq(rng, nlocals, rng.randint(1, 8), nesting - 1)  # noqa: E731
        if kind == "get":
            out.append(f"local.get {rng.randrange(nlocals)}")
            depth += 1
        elif kind == "const":
            out.append(f"i32.const {rng.choice([0, 1, 2, -1, 0x7FFFFFFF, rng.randrange(-99, 99)])}")
            depth += 1
        elif kind == "set":
            out.append(f"local.set {rng.randrange(nlocals)}")
            depth -= 1
        elif kind == "tee":
            out.append(f"local.tee {rng.randrange(nlocals)}")
        elif kind == "eqz":
            out.append("i32.eqz")
        elif kind == "drop":
            out.append("drop")
            depth -= 1
        elif kind == "bin":
            out.append(rng.choice(_BINARY))
            depth -= 1
        elif kind == "select":
            out.append("select")
            depth -= 2
        elif kind == "if":
            out.append(("if", sub(), sub()))
        else:
            out.append(("block", sub(), sub(), sub()))
            depth += 1
    if depth == 0:
        out.append("i32.const 5")
        depth = 1
    out.extend(["i32.add"] * (depth - 1))
    return out


def _render(items: List[Item]) -> str:
    parts = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif item[0] == "if":
            parts.append(f"if (result i32) {_render(item[1])} else {_render(item[2])} end")
        else:
            parts.append(f"block (result i32) {_render(item[1])} {_render(item[2])} br_if 0 drop "
                         f"{_render(item[3])} end")
    return " ".join(parts)


def _reference(items: List[Item], locals_: List[int]) -> int:
    """What ``items`` leave on an empty stack, run naively over ``locals_``."""
    stack: List[int] = []
    for item in items:
        if not isinstance(item, str):
            if item[0] == "if":
                stack.append(_reference(item[1] if stack.pop() else item[2], locals_))
            else:
                first = _reference(item[1], locals_)
                stack.append(first if _reference(item[2], locals_) else _reference(item[3], locals_))
            continue
        name, _, arg = item.partition(" ")
        if name == "local.get":
            stack.append(locals_[int(arg)])
        elif name == "i32.const":
            stack.append(int(arg) & 0xFFFFFFFF)
        elif name == "local.set":
            locals_[int(arg)] = stack.pop()
        elif name == "local.tee":
            locals_[int(arg)] = stack[-1]
        elif name == "drop":
            stack.pop()
        elif name == "select":
            c, b, a = stack.pop(), stack.pop(), stack.pop()
            stack.append(a if c else b)
        elif name == "i32.eqz":
            stack.append(evaluator(name)(stack.pop()))  # type: ignore[arg-type]
        else:
            b, a = stack.pop(), stack.pop()
            stack.append(evaluator(name)(a, b))  # type: ignore[arg-type]
    assert len(stack) == 1
    return stack[0]


def test_random_local_traffic_matches_a_stack_machine() -> None:
    rng = random.Random(20261124)
    for _ in range(200):
        nlocals = rng.randint(2, 5)  # two params, the rest declared
        items = _random_seq(rng, nlocals, rng.randint(1, 30), 2)
        for i in range(nlocals):  # the locals' final values count too
            items += [f"local.get {i}", f"i32.const {i + 3}", "i32.mul", "i32.xor"]
        declared = f"(local {' i32' * (nlocals - 2)})" if nlocals > 2 else ""
        wat = f'(module (func (export "f") (param i32 i32) (result i32) {declared} {_render(items)}))'
        module = parse_module(wat)
        validate_module(module)
        inst = instantiate(module, [], engine.call)
        args = [rng.randrange(1 << 32), rng.randrange(1 << 32)]
        expected = _reference(items, args + [0] * (nlocals - 2))
        assert engine.call(inst.exports["f"], args) == [expected], wat


def test_operands_and_memory_immediates_are_shared_between_functions() -> None:
    """The IR of every function loaded in tier 0 stays alive: equal operand tuples
    and ``(align, offset)`` immediates are one object each, not one per instruction."""
    body = "(i32.add (i32.load offset=8 (local.get 0)) (local.get 1))"
    first, second = (ir_of(body, extra="(memory 1)").code for _ in range(2))
    assert [ins.op for ins in first] == ["i32.load", "i32.add"]
    for a, b in zip(first, second):
        assert a.a == b.a and a.a is b.a
    assert first[0].imm == (2, 8) and first[0].imm is second[0].imm


def test_shared_operands_are_forgotten_when_there_are_too_many(monkeypatch: Any) -> None:
    from wasmlite import ir, translate

    monkeypatch.setattr(translate, "OPERANDS_MAX", 1)
    ir_of("(i32.add (local.get 0) (local.get 1))")
    assert len(ir.OPERANDS) <= 2
    fn = ir_of("(i32.sub (local.get 1) (local.get 0))")
    assert fn.code[0].a == (1, 0)


def _leb(n: int, size: int) -> bytes:
    """``n`` (signed or not) in exactly ``size`` LEB128 bytes, padded if need be."""
    out = []
    for i in range(size):
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if i < size - 1 else 0))
    return bytes(out)


def test_immediates_read_inline_match_the_decoder() -> None:
    """The walk reads short constants, memargs and block types itself: every
    encoding length, padded ones included, gives the decoder's value."""
    from wasmlite.decode import decode_module
    from wasmlite.decode.body import read_instr

    body = b""
    for n in (0, 5, 63, 64, -1, -64, -65, 127, 128, 8191, -8192, 8192, -8193, 1 << 20, -(1 << 31), (1 << 31) - 1):
        for size in range(1, 6):
            if -(1 << (7 * size - 1)) <= n < 1 << (7 * size - 1):
                body += b"\x41" + _leb(n, size) + b"\x1a"  # i32.const n, drop
    for align, offset in ((0, 0), (2, 5), (2, 127), (1, 128), (2, 200), (0, 16383), (2, 16384), (3, 1 << 27)):
        for asize in (1, 2):
            for osize in range(1, 6):
                if offset < 1 << (7 * osize):
                    # local.get 0, i64.load memarg, drop
                    body += b"\x20\x00\x29" + _leb(align, asize) + _leb(offset, osize) + b"\x1a"
    # blocks typed empty, i32, and type 1 (taking an i32) in a padded index
    body += b"\x02\x40\x0b\x02\x7f\x41\x01\x0b\x1a\x41\x01\x02" + _leb(1, 2) + b"\x1a\x0b\x0b"
    code = _leb(0, 1) + body
    wasm = (b"\0asm\1\0\0\0" + b"\x01\x09\x02\x60\x01\x7f\x00\x60\x01\x7f\x00"
            + b"\x03\x02\x01\x00" + b"\x05\x03\x01\x00\x01"
            + b"\x0a" + _leb(len(code) + 1 + len(_leb(len(code), 3)), 3) + b"\x01" + _leb(len(code), 3) + code)
    module = decode_module(wasm)
    validate_module(module)
    fn = translate_function(module, 0)
    source, pos, end = module.codes[0].source, module.codes[0].end - len(body), module.codes[0].end
    consts, memargs = [], []
    while pos < end:
        op, imm, pos = read_instr(source, pos, end)
        if op.name == "i32.const" and imm & 0xFFFFFFFF not in consts:
            consts.append(imm & 0xFFFFFFFF)
        elif op.name == "i64.load":
            memargs.append(imm)
    assert fn.consts == consts
    assert [ins.imm for ins in fn.code if ins.op == "i64.load"] == memargs
    assert len(memargs) > 30 and len(consts) == 17
