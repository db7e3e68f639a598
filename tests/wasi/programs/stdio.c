/* stdin given as bytes, stdout and stderr, their fdstat and filestat. */
#include "common.h"

int main(void) {
  char buf[100];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_size_t n = 0;
  size_t total = 0;
  for (;;) {
    __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
    if (e || n == 0) {
      printf("stdin end -> %d\n", e);
      break;
    }
    total += n;
    printf("stdin chunk %u: %.*s|\n", n, (int)n, buf);
  }
  printf("stdin total %zu\n", total);
  E(__wasi_fd_write(0, (const __wasi_ciovec_t *)&iov, 1, &n));
  E(__wasi_fd_read(1, &iov, 1, &n));
  E(__wasi_fd_read(2, &iov, 1, &n));
  fflush(stdout);
  write_str(2, "to stderr\n");
  fprintf(stderr, "formatted %d on stderr\n", 42);
  __wasi_ciovec_t empty = {(const uint8_t *)"", 0};
  E(__wasi_fd_write(1, &empty, 1, &n));
  printf("wrote %u\n", n);
  return 0;
}
