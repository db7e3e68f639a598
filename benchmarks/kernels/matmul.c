/* Integer matrix multiply, C = A * B over 32-bit wrapping arithmetic, then a checksum of C. */
#include "common.h"

#define N 48

static u32 a[N][N], b[N][N], c[N][N];

EXPORT("run") u32 run(u32 n) {
    u32 seed = 362436069u, sum = 0;
    for (u32 i = 0; i < N; i++)
        for (u32 j = 0; j < N; j++) {
            a[i][j] = xorshift32(&seed) & 0xffff;
            b[i][j] = xorshift32(&seed);
        }
    for (u32 round = 0; round < n; round++) {
        for (u32 i = 0; i < N; i++)
            for (u32 j = 0; j < N; j++) {
                u32 s = 0;
                for (u32 k = 0; k < N; k++) s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        for (u32 i = 0; i < N; i++)
            for (u32 j = 0; j < N; j++) sum = (sum ^ c[i][j]) * 16777619u;
        a[round % N][round % N] += 1;
    }
    return sum;
}
