/* Checksums over a byte buffer: table-driven CRC-32 (as zlib), bitwise CRC-32C and Adler-32. */
#include "common.h"

#define DATA 8192

static u8 data[DATA];
static u32 table[256];

static void make_table(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static u32 crc32(const u8 *p, u32 len) {
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static u32 crc32c_bitwise(const u8 *p, u32 len) {
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

static u32 adler32(const u8 *p, u32 len) {
    u32 a = 1, b = 0;
    for (u32 i = 0; i < len; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

EXPORT("run") u32 run(u32 n) {
    u32 seed = 123456789u, acc = 0;
    make_table();
    for (u32 i = 0; i < DATA; i++) data[i] = (u8)xorshift32(&seed);
    for (u32 round = 0; round < n; round++) {
        acc ^= crc32(data, DATA);
        acc = acc * 3 + adler32(data, DATA);
        acc ^= crc32c_bitwise(data, DATA / 8);
        data[round % DATA] = (u8)acc;
    }
    return acc;
}
