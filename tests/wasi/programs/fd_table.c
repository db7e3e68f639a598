/* fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights, fd_prestat_get,
 * fd_prestat_dir_name, fd_renumber, fd_close, fd_advise, fd_allocate, fd_sync,
 * fd_datasync: on stdio, the preopen, files, directories and bad descriptors. */
#include "common.h"

int main(void) {
  for (__wasi_fd_t fd = 0; fd < 6; fd++) show_fdstat(fd);
  __wasi_prestat_t ps;
  for (__wasi_fd_t fd = 0; fd < 6; fd++) {
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
    printf("prestat %u -> %d", fd, e);
    if (!e) {
      char name[64] = {0};
      printf(" tag=%d len=%u", ps.tag, ps.u.dir.pr_name_len);
      printf(" small=%d", __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, 0));
      printf(" name=%d:%s", __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, sizeof name - 1), name);
    }
    printf("\n");
  }
  __wasi_fd_t f = open_at(ROOT, "hello.txt", 0, 0, RW, 0);
  __wasi_fd_t ro = open_at(ROOT, "hello.txt", 0, 0, RO, 0);
  __wasi_fd_t wo = open_at(ROOT, "hello.txt", 0, 0, WO, 0);
  __wasi_fd_t d = open_at(ROOT, "sub", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  show_fdstat(f); show_fdstat(ro); show_fdstat(wo); show_fdstat(d);
  E(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND));
  show_fdstat(f);
  E(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_NONBLOCK));
  show_fdstat(f);
  E(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC));
  E(__wasi_fd_fdstat_set_flags(f, 0));
  E(__wasi_fd_fdstat_set_flags(d, 0));
  E(__wasi_fd_fdstat_set_flags(1, 0));
  E(__wasi_fd_fdstat_set_flags(99, 0));
  E(__wasi_fd_fdstat_set_rights(f, __WASI_RIGHTS_FD_READ, 0));
  E(__wasi_fd_fdstat_set_rights(99, 0, 0));
  show_fdstat(f);
  E(__wasi_fd_advise(f, 0, 10, __WASI_ADVICE_SEQUENTIAL));
  E(__wasi_fd_advise(f, 0, 0, __WASI_ADVICE_DONTNEED));
  E(__wasi_fd_advise(d, 0, 10, __WASI_ADVICE_NORMAL));
  E(__wasi_fd_advise(1, 0, 10, __WASI_ADVICE_NORMAL));
  E(__wasi_fd_advise(99, 0, 10, __WASI_ADVICE_NORMAL));
  E(__wasi_fd_allocate(f, 0, 100));
  E(__wasi_fd_allocate(d, 0, 100));
  E(__wasi_fd_allocate(99, 0, 100));
  E(__wasi_fd_sync(f));
  E(__wasi_fd_datasync(f));
  E(__wasi_fd_sync(ro));
  E(__wasi_fd_datasync(ro));
  E(__wasi_fd_sync(d));
  E(__wasi_fd_datasync(d));
  E(__wasi_fd_sync(1));
  E(__wasi_fd_sync(99));
  /* renumber: the target is closed and replaced, the source number freed */
  E(__wasi_fd_renumber(ro, wo));
  show_fdstat(ro);
  show_fdstat(wo);
  E(__wasi_fd_renumber(wo, wo));
  E(__wasi_fd_renumber(wo, 99));
  E(__wasi_fd_renumber(99, wo));
  __wasi_fd_t again = open_at(ROOT, "hello.txt", 0, 0, RO, 0);
  printf("lowest free reused: %d\n", again == ro);
  E(__wasi_fd_close(again));
  E(__wasi_fd_close(again));
  E(__wasi_fd_close(d));
  E(__wasi_fd_close(f));
  E(__wasi_fd_close(wo));
  /* closing the preopen works, and it is gone afterwards */
  E(__wasi_fd_renumber(ROOT, 10));
  show_fdstat(ROOT);
  show_fdstat(10);
  E(__wasi_fd_prestat_get(10, &ps));
  E(__wasi_fd_close(10));
  E(__wasi_fd_prestat_get(10, &ps));
  return 0;
}
