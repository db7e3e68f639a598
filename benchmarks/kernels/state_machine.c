/* A tokenizer as a state machine over a byte buffer: pseudo-random text of words,
   numbers, strings with escapes and comments; counts and hashes the tokens. */
#include "common.h"

#define TEXT 16384

static u8 text[TEXT];
static const char alphabet[] = "abc xyz_09 \"\\/*+-\n\t;=(){}ABZ 12 3";

enum { START, WORD, NUMBER, STRING, ESCAPE, SLASH, COMMENT, STAR };

EXPORT("run") u32 run(u32 n) {
    u32 seed = 88172645u;
    for (u32 i = 0; i < TEXT; i++) text[i] = alphabet[xorshift32(&seed) % (sizeof(alphabet) - 1)];
    u32 words = 0, numbers = 0, strings = 0, comments = 0, punct = 0, hash = 0;
    for (u32 round = 0; round < n; round++) {
        u32 state = START;
        for (u32 i = 0; i < TEXT; i++) {
            u8 c = text[i];
            switch (state) {
            case START:
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') { state = WORD; hash = hash * 33 + c; }
                else if (c >= '0' && c <= '9') { state = NUMBER; hash = hash * 7 + c; }
                else if (c == '"') state = STRING;
                else if (c == '/') state = SLASH;
                else if (c != ' ' && c != '\n' && c != '\t') punct++;
                break;
            case WORD:
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9')) hash = hash * 33 + c;
                else { words++; state = START; i--; }
                break;
            case NUMBER:
                if (c >= '0' && c <= '9') hash = hash * 7 + c;
                else { numbers++; state = START; i--; }
                break;
            case STRING:
                if (c == '\\') state = ESCAPE;
                else if (c == '"') { strings++; state = START; }
                else hash ^= c << (i & 15);
                break;
            case ESCAPE:
                state = STRING;
                break;
            case SLASH:
                if (c == '*') state = COMMENT;
                else { punct++; state = START; i--; }
                break;
            case COMMENT:
                if (c == '*') state = STAR;
                break;
            case STAR:
                if (c == '/') { comments++; state = START; }
                else if (c != '*') state = COMMENT;
                break;
            }
        }
        text[round % TEXT] ^= 1;
    }
    return hash ^ (words * 3) ^ (numbers << 7) ^ (strings << 13) ^ (comments << 19) ^ (punct << 23);
}
