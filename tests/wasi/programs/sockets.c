/* sock_accept, sock_recv, sock_send, sock_shutdown on descriptors that are not sockets. */
#include "common.h"

int main(void) {
  __wasi_fd_t fds[4] = {0, 1, ROOT, 99};
  __wasi_fd_t f = open_at(ROOT, "hello.txt", 0, 0, RO, 0);
  fds[3] = f;
  for (int i = 0; i < 5; i++) {
    __wasi_fd_t fd = i < 4 ? fds[i] : 99;
    __wasi_fd_t out;
    char buf[8];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    __wasi_roflags_t ro;
    printf("fd %u\n", fd);
    E(__wasi_sock_accept(fd, 0, &out));
    E(__wasi_sock_recv(fd, &iov, 1, 0, &n, &ro));
    E(__wasi_sock_send(fd, &ciov, 1, 0, &n));
    E(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
  }
  return 0;
}
