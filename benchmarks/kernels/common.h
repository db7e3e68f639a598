/* Shared by the benchmark kernels: fixed-width types, a PRNG, and the export macro.
   Built freestanding (no libc, no imports): each kernel exports run(n) -> checksum. */
#ifndef KERNEL_COMMON_H
#define KERNEL_COMMON_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(name)))

/* xorshift32: the same sequence in every kernel that needs pseudo-random input */
static inline u32 xorshift32(u32 *state) {
    u32 x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* The compiler may call these for struct copies, zeroing and string loops (libc.c). */
void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
unsigned long strlen(const char *s);

#endif
