"""Front-end fuzzing for wasmlite: validation verdicts against wasmtime, and
malformed-input robustness (only ``WasmError`` may escape, within a time bound).

Run ``python -m fuzz validate`` or ``python -m fuzz malformed``; see ``fuzz.__main__``.
"""
