/* memset/memcpy/strlen for the freestanding kernels; built with -fno-builtin so that these
   loops are not turned back into calls to themselves. */
#include "common.h"

void *memset(void *dst, int c, unsigned long n) {
    u8 *d = dst;
    while (n--) *d++ = (u8)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

unsigned long strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (unsigned long)(p - s);
}
