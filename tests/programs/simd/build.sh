#!/bin/sh
# Rebuild kernels-simd.wasm (-msimd128) and kernels-scalar.wasm (no SIMD) from
# kernels.c with zig's clang; run from anywhere. Needs `pip install ziglang`.
set -e
cd "$(dirname "$0")"
CC="${PYTHON:-python} -m ziglang cc --target=wasm32-freestanding -O3 -nostdlib -Wl,--no-entry"
$CC -msimd128 -o kernels-simd.wasm kernels.c
$CC -mno-simd128 -o kernels-scalar.wasm kernels.c
