/* Sorting pseudo-random integers: quicksort (median of three, insertion sort for
   short runs) and heapsort of the same input; checksums of both results. */
#include "common.h"

#define LEN 4000

static i32 a[LEN], b[LEN];

static void insertion(i32 *v, i32 lo, i32 hi) {
    for (i32 i = lo + 1; i <= hi; i++) {
        i32 x = v[i], j = i - 1;
        while (j >= lo && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
}

static void quicksort(i32 *v, i32 lo, i32 hi) {
    while (hi - lo > 16) {
        i32 mid = lo + (hi - lo) / 2;
        i32 x = v[lo], y = v[mid], z = v[hi];
        i32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        i32 i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) { i32 t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; }
        else { quicksort(v, i, hi); hi = j; }
    }
    insertion(v, lo, hi);
}

static void sift(i32 *v, i32 root, i32 end) {
    for (;;) {
        i32 child = 2 * root + 1;
        if (child > end) return;
        if (child + 1 <= end && v[child] < v[child + 1]) child++;
        if (v[root] >= v[child]) return;
        i32 t = v[root]; v[root] = v[child]; v[child] = t;
        root = child;
    }
}

static void heapsort(i32 *v, i32 len) {
    for (i32 start = len / 2 - 1; start >= 0; start--) sift(v, start, len - 1);
    for (i32 end = len - 1; end > 0; end--) {
        i32 t = v[0]; v[0] = v[end]; v[end] = t;
        sift(v, 0, end - 1);
    }
}

EXPORT("run") u32 run(u32 n) {
    u32 seed = 1013904223u, sum = 0;
    for (u32 round = 0; round < n; round++) {
        for (i32 i = 0; i < LEN; i++) a[i] = b[i] = (i32)(xorshift32(&seed) % 100000) - 50000;
        quicksort(a, 0, LEN - 1);
        heapsort(b, LEN);
        for (i32 i = 0; i < LEN; i++) {
            if (a[i] != b[i] || (i && a[i - 1] > a[i])) return 0xdead;
            sum = sum * 1000003u + (u32)a[i];
        }
    }
    return sum;
}
