/* path_open flags, fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, append
 * mode, fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times. */
#include "common.h"

static void seek(__wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t whence) {
  __wasi_filesize_t pos = 12345;
  __wasi_errno_t e = __wasi_fd_seek(fd, off, whence, &pos);
  printf("seek %u %lld %d -> %d pos=%llu\n", fd, (long long)off, whence, e, e ? 0ull : (unsigned long long)pos);
}

static void tell(__wasi_fd_t fd) {
  __wasi_filesize_t pos = 0;
  __wasi_errno_t e = __wasi_fd_tell(fd, &pos);
  printf("tell %u -> %d pos=%llu\n", fd, e, e ? 0ull : (unsigned long long)pos);
}

static void fstat_fd(__wasi_fd_t fd, const char *what) {
  __wasi_filestat_t st;
  show_filestat(what, __wasi_fd_filestat_get(fd, &st), &st);
}

int main(void) {
  __wasi_fd_t f = open_at(ROOT, "hello.txt", 0, 0, RW, 0);
  read_all(f, "hello.txt");
  tell(f);
  seek(f, 0, __WASI_WHENCE_SET);
  seek(f, 7, __WASI_WHENCE_SET);
  read_all(f, "from 7");
  seek(f, -6, __WASI_WHENCE_END);
  read_all(f, "last 6");
  seek(f, -3, __WASI_WHENCE_CUR);
  tell(f);
  seek(f, -100, __WASI_WHENCE_CUR);
  seek(f, 100, __WASI_WHENCE_END);
  tell(f);
  fstat_fd(f, "hello before");
  write_str(f, "!");  /* at 113: a hole */
  fstat_fd(f, "hello after hole");
  E(__wasi_fd_filestat_set_size(f, 5));
  fstat_fd(f, "hello truncated");
  tell(f);
  seek(f, 0, __WASI_WHENCE_SET);
  read_all(f, "truncated");
  E(__wasi_fd_filestat_set_size(f, 8));
  seek(f, 0, __WASI_WHENCE_SET);
  read_all(f, "extended");

  /* several iovecs: wasmtime fills the first non-empty one only */
  char a[3], b[10];
  __wasi_iovec_t iovs[3] = {{(uint8_t *)a, 0}, {(uint8_t *)a, 3}, {(uint8_t *)b, 10}};
  __wasi_size_t n = 0;
  seek(f, 0, __WASI_WHENCE_SET);
  E(__wasi_fd_read(f, iovs, 3, &n));
  printf("readv n=%u\n", n);
  __wasi_ciovec_t ciovs[2] = {{(const uint8_t *)"XY", 2}, {(const uint8_t *)"ZW", 2}};
  E(__wasi_fd_write(f, ciovs, 2, &n));
  printf("writev n=%u\n", n);
  E(__wasi_fd_read(f, iovs, 0, &n));
  printf("read none n=%u\n", n);

  /* pread / pwrite leave the position alone */
  char buf[16] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  tell(f);
  E(__wasi_fd_pread(f, &iov, 1, 1, &n));
  printf("pread n=%u \"%.4s\"\n", n, buf);
  E(__wasi_fd_pread(f, &iov, 1, 100, &n));
  printf("pread past end n=%u\n", n);
  __wasi_ciovec_t civ = {(const uint8_t *)"pw", 2};
  E(__wasi_fd_pwrite(f, &civ, 1, 6, &n));
  printf("pwrite n=%u\n", n);
  E(__wasi_fd_pwrite(f, &civ, 1, 20, &n));
  tell(f);
  seek(f, 0, __WASI_WHENCE_SET);
  read_all(f, "after pwrite");
  E(__wasi_fd_pread(1, &iov, 1, 0, &n));
  E(__wasi_fd_pwrite(1, &civ, 1, 0, &n));
  E(__wasi_fd_pread(ROOT, &iov, 1, 0, &n));
  E(__wasi_fd_pwrite(ROOT, &civ, 1, 0, &n));
  seek(1, 0, __WASI_WHENCE_CUR);
  tell(1);
  seek(ROOT, 0, __WASI_WHENCE_CUR);
  tell(ROOT);
  seek(99, 0, __WASI_WHENCE_CUR);

  /* read-only and write-only descriptors */
  __wasi_fd_t ro = open_at(ROOT, "data.bin", 0, 0, RO, 0);
  E(__wasi_fd_write(ro, &civ, 1, &n));
  E(__wasi_fd_pwrite(ro, &civ, 1, 0, &n));
  E(__wasi_fd_filestat_set_size(ro, 0));
  fstat_fd(ro, "data.bin");
  __wasi_fd_t wo = open_at(ROOT, "data.bin", 0, 0, WO, 0);
  E(__wasi_fd_read(wo, &iov, 1, &n));
  E(__wasi_fd_pread(wo, &iov, 1, 0, &n));
  write_str(wo, "written");
  read_all(ro, "data.bin start");
  E(__wasi_fd_close(ro));
  E(__wasi_fd_close(wo));

  /* append mode: writes go to the end whatever the position */
  __wasi_fd_t ap = open_at(ROOT, "log.txt", 0, __WASI_OFLAGS_CREAT, RW, __WASI_FDFLAGS_APPEND);
  write_str(ap, "one\n");
  seek(ap, 0, __WASI_WHENCE_SET);
  write_str(ap, "two\n");
  tell(ap);
  E(__wasi_fd_pwrite(ap, &civ, 1, 0, &n));
  E(__wasi_fd_fdstat_set_flags(ap, 0));
  seek(ap, 0, __WASI_WHENCE_SET);
  write_str(ap, "0");
  E(__wasi_fd_fdstat_set_flags(ap, __WASI_FDFLAGS_APPEND));
  write_str(ap, "three\n");
  seek(ap, 0, __WASI_WHENCE_SET);
  read_all(ap, "log.txt");
  E(__wasi_fd_close(ap));

  /* O_CREAT / O_EXCL / O_TRUNC / O_DIRECTORY */
  open_at(ROOT, "new.txt", 0, 0, RW, 0);
  __wasi_fd_t nf = open_at(ROOT, "new.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0);
  write_str(nf, "fresh");
  open_at(ROOT, "new.txt", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0);
  __wasi_fd_t tr = open_at(ROOT, "new.txt", 0, __WASI_OFLAGS_TRUNC, RW, 0);
  fstat_fd(tr, "new.txt truncated");
  __wasi_fd_t c2 = open_at(ROOT, "new.txt", 0, __WASI_OFLAGS_CREAT, RO, 0);
  fstat_fd(c2, "new.txt reopened");
  open_at(ROOT, "hello.txt", 0, __WASI_OFLAGS_DIRECTORY, RO, 0);
  open_at(ROOT, "sub", 0, __WASI_OFLAGS_DIRECTORY, RO, 0);
  open_at(ROOT, "sub", 0, 0, RO, 0);
  open_at(ROOT, "sub", 0, 0, RW, 0);
  open_at(ROOT, "sub", 0, __WASI_OFLAGS_TRUNC, RO, 0);
  open_at(ROOT, "newdir", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, RO, 0);
  open_at(ROOT, "newdir/", 0, __WASI_OFLAGS_CREAT, RO, 0);
  open_at(ROOT, "hello.txt/", 0, 0, RO, 0);
  open_at(ROOT, "sub/", 0, 0, RO, 0);
  open_at(ROOT, "sub/.", 0, 0, RO, 0);
  open_at(ROOT, "sub/a.txt/..", 0, 0, RO, 0);
  open_at(ROOT, "nosuch/x", 0, __WASI_OFLAGS_CREAT, RW, 0);
  open_at(ROOT, "", 0, 0, RO, 0);
  open_at(ROOT, ".", 0, 0, RO, 0);
  open_at(ROOT, "hello.txt", 0, 0, RO, __WASI_FDFLAGS_DSYNC);
  open_at(ROOT, "hello.txt", 0, 0, RO, __WASI_FDFLAGS_RSYNC);
  open_at(ROOT, "hello.txt", 0, 0, RO, __WASI_FDFLAGS_SYNC);
  open_at(ROOT, "hello.txt", 0, 0, RO, __WASI_FDFLAGS_NONBLOCK);
  open_at(1, "hello.txt", 0, 0, RO, 0);
  open_at(99, "hello.txt", 0, 0, RO, 0);
  __wasi_fd_t hf = open_at(ROOT, "hello.txt", 0, 0, RO, 0);
  open_at(hf, "x", 0, 0, RO, 0);

  /* times: explicit values are kept exactly */
  __wasi_filestat_t st;
  E(__wasi_fd_filestat_set_times(nf, 1000000000ull, 2000000123ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_fd_filestat_get(nf, &st);
  printf("times atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
  E(__wasi_fd_filestat_set_times(nf, 0, 3000000000ull, __WASI_FSTFLAGS_MTIM));
  __wasi_fd_filestat_get(nf, &st);
  printf("times atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
  E(__wasi_fd_filestat_set_times(nf, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  __wasi_fd_filestat_get(nf, &st);
  printf("mtim now is recent: %d atim kept: %d\n", st.mtim > 1577836800ull * 1000000000ull, st.atim == 1000000000ull);
  E(__wasi_fd_filestat_set_times(nf, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
  E(__wasi_fd_filestat_set_times(nf, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
  E(__wasi_fd_filestat_set_times(99, 0, 0, 0));
  E(__wasi_fd_filestat_set_times(ROOT, 5000000000ull, 6000000000ull, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_fd_filestat_get(ROOT, &st);
  printf("dir times atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
  fstat_fd(0, "stdin");
  fstat_fd(1, "stdout");
  fstat_fd(99, "bad");
  return 0;
}
