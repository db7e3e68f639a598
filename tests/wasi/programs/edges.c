/* Edge values: positions past any file size, huge sizes, cookies past the end,
 * O_EXCL without O_CREAT, and poll subscriptions wasmtime rejects. */
#include "common.h"

int main(void) {
  __wasi_fd_t f = open_at(ROOT, "hello.txt", 0, __WASI_OFLAGS_EXCL, RW, 0);
  open_at(ROOT, "nonexistent", 0, __WASI_OFLAGS_EXCL, RW, 0);
  __wasi_filesize_t pos = 0;
  E(__wasi_fd_seek(f, 0x7fffffffffffffffll, __WASI_WHENCE_SET, &pos));
  printf("pos=%llu\n", (unsigned long long)pos);
  E(__wasi_fd_seek(f, 0x7fffffffffffffffll, __WASI_WHENCE_CUR, &pos));
  printf("pos=%llu\n", (unsigned long long)pos);
  E(__wasi_fd_seek(f, 2, __WASI_WHENCE_CUR, &pos));
  E(__wasi_fd_tell(f, &pos));
  printf("pos=%llu\n", (unsigned long long)pos);
  E(__wasi_fd_seek(f, -1, __WASI_WHENCE_SET, &pos));
  E(__wasi_fd_seek(f, -14, __WASI_WHENCE_END, &pos));
  E(__wasi_fd_seek(f, 1000, __WASI_WHENCE_SET, &pos));
  read_all(f, "past the end");
  E(__wasi_fd_filestat_set_size(f, 0xffffffffffffffffull));
  E(__wasi_fd_filestat_set_size(f, 0x8000000000000000ull));
  uint8_t buf[256];
  __wasi_size_t n = 77;
  E(__wasi_fd_readdir(ROOT, buf, sizeof buf, 0xffffffffffffffffull, &n));
  printf("used=%u\n", n);
  E(__wasi_fd_readdir(ROOT, buf, sizeof buf, 1000, &n));
  printf("used=%u\n", n);

  __wasi_event_t ev[2];
  __wasi_subscription_t sub[2];
  memset(sub, 0, sizeof sub);
  sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[0].u.u.clock.id = 7;
  n = 77;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  sub[0].u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[0].u.u.clock.flags = 2;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  sub[0].u.tag = 9;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  printf("n untouched: %u\n", n);
  sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  sub[0].u.u.fd_read.file_descriptor = 1;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  sub[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  sub[0].u.u.fd_read.file_descriptor = 0;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  E(__wasi_poll_oneoff(sub, ev, 1, &n));
  printf("stdin: n=%u type=%d error=%d nbytes=%llu\n", n, ev[0].type, ev[0].error,
         (unsigned long long)ev[0].fd_readwrite.nbytes);
  sub[0].u.u.fd_read.file_descriptor = 99;
  sub[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  E(__wasi_poll_oneoff(sub, ev, 2, &n));

  /* operations on descriptors of the wrong kind */
  E(__wasi_fd_filestat_set_size(ROOT, 0));
  E(__wasi_fd_filestat_set_size(1, 0));
  E(__wasi_fd_filestat_set_times(1, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  E(__wasi_fd_fdstat_set_flags(0, 0));
  E(__wasi_fd_advise(0, 0, 0, 0));
  E(__wasi_fd_allocate(0, 0, 1));
  E(__wasi_fd_datasync(0));
  E(__wasi_fd_readdir(f, buf, sizeof buf, 0, &n));
  E(__wasi_fd_prestat_dir_name(f, buf, sizeof buf));
  E(__wasi_path_create_directory(f, "x"));
  E(__wasi_path_filestat_get(f, 0, "x", (__wasi_filestat_t *)buf));
  E(__wasi_path_readlink(f, "x", buf, sizeof buf, &n));
  E(__wasi_path_remove_directory(f, "x"));
  E(__wasi_path_unlink_file(f, "x"));
  E(__wasi_path_rename(f, "x", ROOT, "y"));
  E(__wasi_path_rename(ROOT, "hello.txt", f, "y"));
  E(__wasi_path_symlink("x", f, "y"));
  E(__wasi_path_link(ROOT, 0, "hello.txt", f, "y"));
  E(__wasi_path_filestat_set_times(f, 0, "x", 0, 0, 0));
  /* stdio can be renumbered and closed like anything else */
  E(__wasi_fd_renumber(2, f));
  show_fdstat(f);
  show_fdstat(2);
  write_str(f, "");
  E(__wasi_fd_close(0));
  char c;
  __wasi_iovec_t iov = {(uint8_t *)&c, 1};
  E(__wasi_fd_read(0, &iov, 1, &n));
  __wasi_fd_t again = open_at(ROOT, "hello.txt", 0, 0, RO, 0);
  printf("reused 0: %d\n", again == 0);
  return 0;
}
