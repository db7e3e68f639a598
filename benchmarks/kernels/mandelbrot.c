/* Mandelbrot set membership on an n x n grid (f64), as the Benchmarks Game's
   bitmap: 50 iterations per point; returns a hash of the bitmap. */
#include "common.h"

EXPORT("run") u32 run(u32 n) {
    u32 hash = 2166136261u;
    for (u32 y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        u32 bits = 0;
        for (u32 x = 0; x < n; x++) {
            double cr = 2.0 * x / n - 1.5, zr = 0, zi = 0, tr = 0, ti = 0;
            int i = 0;
            for (; i < 50 && tr + ti <= 4.0; i++) {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
            }
            bits = bits << 1 | (tr + ti <= 4.0);
            if ((x & 7) == 7 || x == n - 1) { hash = (hash ^ bits) * 16777619u; bits = 0; }
        }
    }
    return hash;
}
