#!/bin/sh
# Rebuild the WASI test programs; the .wasm files are committed so tests need no compiler.
# -Wno-format: __wasi_size_t is unsigned long, 32 bits on wasm32, printed with %u;
# -Wno-unused-result: some calls are made for their effect only.
# strip_debug.py then drops the DWARF sections but keeps the name section.
# Needs the ziglang package (pip install ziglang). Run from anywhere.
set -e
cd "$(dirname "$0")"
for src in *.c; do
  python -m ziglang cc --target=wasm32-wasi -O1 -Wall -Werror -Wno-format -Wno-unused-result -o "${src%.c}.wasm" "$src"
  python strip_debug.py "${src%.c}.wasm"
done
