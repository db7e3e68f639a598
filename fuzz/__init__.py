"""Fuzzing wasmlite against wasmtime: validation verdicts, malformed-input
robustness (only ``WasmError`` may escape, within a time bound), and execution
(results, traps and final state of smith modules in both tiers).

Run ``python -m fuzz validate``, ``malformed`` or ``exec``; see ``fuzz.__main__``.
"""
