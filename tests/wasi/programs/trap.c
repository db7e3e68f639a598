/* A trap after some output: stdout so far is kept, the run fails. */
#include "common.h"

__attribute__((noinline)) static void boom(volatile int *p) {
  if (*p == 0) __builtin_trap();
}

int main(void) {
  printf("before the trap\n");
  fflush(stdout);
  volatile int zero = 0;
  boom(&zero);
  printf("not reached\n");
  return 0;
}
