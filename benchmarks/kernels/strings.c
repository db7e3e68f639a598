/* String processing over NUL-terminated text: building words, length, reversing,
   naive substring search, integer formatting and parsing, and a word-frequency
   hash table with string comparison. */
#include "common.h"

#define TEXT 6000
#define SLOTS 512

static char text[TEXT + 1];
static char *slots[SLOTS];
static u32 counts[SLOTS];

static u32 str_len(const char *s) { const char *p = s; while (*p) p++; return (u32)(p - s); }

static int str_eq_word(const char *a, const char *b) {
    while (*a && *a != ' ' && *a == *b) { a++; b++; }
    return (*a == 0 || *a == ' ') && (*b == 0 || *b == ' ');
}

static u32 find_all(const char *hay, const char *needle) {
    u32 hits = 0, n = str_len(needle);
    for (const char *p = hay; *p; p++) {
        u32 k = 0;
        while (k < n && p[k] == needle[k]) k++;
        if (k == n) hits++;
    }
    return hits;
}

static u32 format_u32(u32 v, char *out) {
    char tmp[12];
    u32 n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (u32 i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

static u32 parse_u32(const char *s) { u32 v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (u32)(*s++ - '0'); return v; }

static void reverse(char *s, u32 len) {
    for (u32 i = 0, j = len - 1; i < j; i++, j--) { char t = s[i]; s[i] = s[j]; s[j] = t; }
}

EXPORT("run") u32 run(u32 n) {
    static const char *const syllables[] = {"ka", "lo", "mi", "tor", "ex", "un", "sa", "ri"};
    u32 seed = 5783321u, acc = 0;
    for (u32 round = 0; round < n; round++) {
        u32 pos = 0;
        while (pos < TEXT - 16) {
            u32 parts = 1 + xorshift32(&seed) % 3;
            for (u32 k = 0; k < parts; k++)
                for (const char *s = syllables[xorshift32(&seed) % 8]; *s; s++) text[pos++] = *s;
            text[pos++] = ' ';
        }
        text[pos] = 0;
        for (u32 i = 0; i < SLOTS; i++) { slots[i] = 0; counts[i] = 0; }
        for (char *w = text; *w;) {
            u32 h = 5381;
            char *e = w;
            while (*e && *e != ' ') h = h * 33 + (u8)*e++;
            u32 i = h % SLOTS;
            while (slots[i] && !str_eq_word(slots[i], w)) i = (i + 1) % SLOTS;
            if (!slots[i]) slots[i] = w;
            counts[i]++;
            w = *e ? e + 1 : e;
        }
        for (u32 i = 0; i < SLOTS; i++) acc = acc * 31 + counts[i];
        acc += find_all(text, "tor") * 7 + find_all(text, "kaka") * 13;
        reverse(text, str_len(text));
        acc ^= find_all(text, "rot");
        char num[12];
        format_u32(acc, num);
        reverse(num, str_len(num));
        acc += parse_u32(num);
    }
    return acc;
}
