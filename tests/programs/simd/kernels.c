/* Loops a compiler auto-vectorises, over arrays in linear memory, for wasmlite's
 * SIMD differential test (tests/test_simd_program.py) and benchmark
 * (benchmarks/simd.py). Built twice by build.sh: with -msimd128 (v128
 * instructions) and without (the same program in scalar code). No libc, no
 * imports: every export computes over the arrays and returns a value; the
 * test compares the results and the final memory with wasmtime's. */

#include <stdint.h>

#define N 4096
#define EXPORT(name) __attribute__((export_name(#name)))

static uint8_t a8[N], b8[N], o8[N];
static int16_t a16[N], b16[N];
static uint16_t o16[N];
static int32_t i32[N], o32[N];
static int64_t i64[N];
static float fx[N], fy[N];
static double dx[N], dy[N];
static uint32_t state;

static uint32_t next(void) {
    state = state * 1103515245u + 12345u;
    return state >> 8;
}

static int clamp_n(int n) { return n < 0 ? 0 : (n > N ? N : n); }

/* Fill every array from a seed (finite floats only: no NaN in the data). */
EXPORT(init) void init(uint32_t seed) {
    state = seed;
    for (int i = 0; i < N; i++) {
        a8[i] = (uint8_t)next();
        b8[i] = (uint8_t)next();
        a16[i] = (int16_t)next();
        b16[i] = (int16_t)next();
        i32[i] = (int32_t)(next() * 2654435761u);
        i64[i] = ((int64_t)next() << 40) ^ (int64_t)next();
        fx[i] = (float)((int32_t)next() - (1 << 23)) / 1024.0f;
        fy[i] = (float)(next() & 0xFFFF) / 7.0f;
        dx[i] = (double)((int32_t)next() - (1 << 23)) / 3.0;
        dy[i] = (double)next() * 1e-3;
        o8[i] = 0;
        o16[i] = 0;
        o32[i] = 0;
    }
}

EXPORT(sum_u8) uint32_t sum_u8(int n) {
    n = clamp_n(n);
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += a8[i];
    return s;
}

EXPORT(dot_i16) int32_t dot_i16(int n) {
    n = clamp_n(n);
    int32_t s = 0;
    for (int i = 0; i < n; i++) s += (int32_t)a16[i] * b16[i];
    return s;
}

EXPORT(sum_i64) int64_t sum_i64(int n) {
    n = clamp_n(n);
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += i64[i] ^ (i64[i] >> 3);
    return s;
}

EXPORT(max_i32) int32_t max_i32(int n) {
    n = clamp_n(n);
    int32_t m = INT32_MIN;
    for (int i = 0; i < n; i++) m = i32[i] > m ? i32[i] : m;
    return m;
}

/* Saturating byte add and absolute difference (image-style kernels). */
EXPORT(brighten) void brighten(int n, int k) {
    n = clamp_n(n);
    uint8_t kk = (uint8_t)k;
    for (int i = 0; i < n; i++) {
        unsigned v = a8[i] + kk;
        o8[i] = v > 255 ? 255 : (uint8_t)v;
    }
}

EXPORT(absdiff) void absdiff(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) o8[i] = a8[i] > b8[i] ? a8[i] - b8[i] : b8[i] - a8[i];
}

EXPORT(to_lower) void to_lower(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) {
        uint8_t c = a8[i];
        b8[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
}

EXPORT(reverse) void reverse(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) o8[i] = b8[n - 1 - i];
}

EXPORT(widen_mul) void widen_mul(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) o16[i] = (uint16_t)(a8[i] * b8[i]);
}

EXPORT(sat_i16) void sat_i16(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) {
        int32_t v = (int32_t)a16[i] + b16[i];
        a16[i] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
}

EXPORT(shift_mix) void shift_mix(int n, int s) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) o32[i] = (i32[i] >> (s & 31)) ^ (int32_t)((uint32_t)i32[i] << ((s + 7) & 31));
}

EXPORT(saxpy) void saxpy(int n, float a) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) fy[i] = a * fx[i] + fy[i];
}

EXPORT(f32_kernel) void f32_kernel(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) {
        float x = fx[i];
        float y = __builtin_sqrtf(fy[i]) + (x < 0.0f ? -x : x);
        y = y < 1000.0f ? y : 1000.0f;
        fx[i] = y / (1.0f + fy[i]);
    }
}

EXPORT(f32_to_i32) void f32_to_i32(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) o32[i] = (int32_t)(fx[i] * 3.0f);
}

EXPORT(i32_to_f32) void i32_to_f32(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) fy[i] = (float)i32[i] * 0.5f;
}

EXPORT(f64_kernel) void f64_kernel(int n) {
    n = clamp_n(n);
    for (int i = 0; i < n; i++) dy[i] = dx[i] * dy[i] + (dx[i] > dy[i] ? dx[i] : dy[i]);
}

/* A scalar hash of every array: the test's summary of the memory. */
EXPORT(checksum) uint32_t checksum(void) {
    uint32_t h = 2166136261u;
    const uint8_t *parts[] = {a8, b8, o8, (const uint8_t *)a16, (const uint8_t *)b16,
                              (const uint8_t *)o16, (const uint8_t *)i32, (const uint8_t *)o32,
                              (const uint8_t *)i64, (const uint8_t *)fx, (const uint8_t *)fy,
                              (const uint8_t *)dx, (const uint8_t *)dy};
    const int sizes[] = {N, N, N, 2 * N, 2 * N, 2 * N, 4 * N, 4 * N, 8 * N, 4 * N, 4 * N, 8 * N, 8 * N};
    for (int p = 0; p < 13; p++)
        for (int i = 0; i < sizes[p]; i++) h = (h ^ parts[p][i]) * 16777619u;
    return h;
}
