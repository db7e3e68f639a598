/* A WASI call with a buffer outside memory traps (wasmtime does not return EFAULT). */
#include "common.h"

int main(void) {
  printf("before\n");
  fflush(stdout);
  __wasi_ciovec_t bad = {(const uint8_t *)0xfffffff0, 100};
  __wasi_size_t n;
  printf("fd_write -> %d\n", __wasi_fd_write(1, &bad, 1, &n));
  return 0;
}
