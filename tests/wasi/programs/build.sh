#!/bin/sh
# Rebuild the WASI test programs; the .wasm files are committed so tests need no compiler.
# (-Wno-format -Wno-unused-result: __wasi_size_t is unsigned long, 32 bits on wasm32, printed with %u.)
# Needs the ziglang package (pip install ziglang). Run from anywhere.
set -e
cd "$(dirname "$0")"
for src in *.c; do
  python -m ziglang cc --target=wasm32-wasi -O1 -g0 -Wl,--strip-debug -Wall -Werror -Wno-format -Wno-unused-result -o "${src%.c}.wasm" "$src"
done
