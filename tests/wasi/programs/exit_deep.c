/* proc_exit from deep inside nested calls: the status comes out, the rest never runs. */
#include "common.h"

__attribute__((noinline)) static int down(int n, int code) {
  if (n == 0) {
    printf("exiting with %d\n", code);
    fflush(stdout);
    __wasi_proc_exit(code);
  }
  return down(n - 1, code) + 1;
}

int main(int argc, char **argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("depth 500\n");
  int r = down(500, code);
  printf("not reached %d\n", r);
  return 1;
}
