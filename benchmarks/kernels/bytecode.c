/* A bytecode interpreter loop: a small stack VM with switch dispatch, running a
   program that loops n times, calling a subroutine each iteration:
       acc = 0; while (counter) { acc = (acc ^ f(counter)) + counter * 3; counter -= 1; }
       f(x) = ((x * x + 7) >> 1) ^ x                                                     */
#include "common.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, DUP, JNZ, JMP, CALL, RET, HALT };

enum { LOOP = 0, BODY = 7, F = 32 }; /* addresses in the program below */

static const i32 program[] = {
    /* LOOP  0 */ LOAD, 0, JNZ, BODY, LOAD, 1, HALT,
    /* BODY  7 */ LOAD, 1, LOAD, 0, CALL, F, XOR,
    /*      14 */ LOAD, 0, PUSH, 3, MUL, ADD, STORE, 1,
    /*      22 */ LOAD, 0, PUSH, 1, SUB, STORE, 0, JMP, LOOP,
    /*      31 */ HALT,
    /* F    32 */ DUP, DUP, MUL, PUSH, 7, ADD, PUSH, 1, SHR, XOR, RET,
};

static i32 run_vm(const i32 *code, i32 counter) {
    i32 stack[64], vars[2] = {counter, 0}, rstack[16];
    i32 sp = 0, rsp = 0, pc = 0;
    for (;;) {
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = vars[code[pc++]]; break;
        case STORE: vars[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] + (u32)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] - (u32)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] * (u32)stack[sp]); break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (i32)((u32)stack[sp - 1] >> (stack[sp] & 31)); break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case JNZ: { i32 t = code[pc++]; if (stack[--sp]) pc = t; break; }
        case JMP: pc = code[pc]; break;
        case CALL: rstack[rsp++] = pc + 1; pc = code[pc]; break;
        case RET: pc = rstack[--rsp]; break;
        case HALT: return stack[sp - 1];
        default: return -1;
        }
    }
}

EXPORT("run") u32 run(u32 n) {
    return (u32)run_vm(program, (i32)n);
}
