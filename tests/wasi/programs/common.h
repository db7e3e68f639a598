/* Shared helpers of the WASI test programs: each prints one line per call with
 * the errno it returned, so a run's stdout is its observable behaviour. */
#include <wasi/api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT 3 /* the first preopen: the test tree, as "/" */

#define E(call) report(#call, (call))

static inline __wasi_errno_t report(const char *what, __wasi_errno_t e) {
  printf("%s -> %d\n", what, e);
  return e;
}

static inline __wasi_fd_t open_at(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t follow,
                           __wasi_oflags_t oflags, __wasi_rights_t rights, __wasi_fdflags_t fdflags) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  __wasi_errno_t e = __wasi_path_open(dir, follow, path, oflags, rights, rights, fdflags, &fd);
  printf("open %s follow=%d oflags=%d rights=%llx fdflags=%d -> %d", path, follow, oflags,
         (unsigned long long)rights, fdflags, e);
  if (e == 0) {
    printf(" fd=%u\n", fd);
    return fd;
  }
  printf("\n");
  return (__wasi_fd_t)-1;
}

#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)
#define RO (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)
#define WO (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)
#define DIRR (__WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN)

static inline void show_fdstat(__wasi_fd_t fd) {
  __wasi_fdstat_t st;
  __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
  if (e) {
    printf("fdstat %u -> %d\n", fd, e);
    return;
  }
  printf("fdstat %u: type=%d flags=%d base=%llx inheriting=%llx\n", fd, st.fs_filetype, st.fs_flags,
         (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
}

/* filestat without dev, ino and times (they differ between runs), nor a directory's
 * size and link count (they depend on the host file system) */
static inline void show_filestat(const char *what, __wasi_errno_t e, const __wasi_filestat_t *st) {
  if (e) {
    printf("filestat %s -> %d\n", what, e);
    return;
  }
  if (st->filetype == __WASI_FILETYPE_DIRECTORY) {
    printf("filestat %s: type=%d\n", what, st->filetype);
    return;
  }
  printf("filestat %s: type=%d nlink=%llu size=%llu\n", what, st->filetype,
         (unsigned long long)st->nlink, (unsigned long long)st->size);
}

static inline void path_stat(__wasi_fd_t dir, const char *path, int follow) {
  __wasi_filestat_t st;
  char what[300];
  snprintf(what, sizeof what, "%s follow=%d", path, follow);
  show_filestat(what, __wasi_path_filestat_get(dir, follow, path, &st), &st);
}

static inline void read_all(__wasi_fd_t fd, const char *label) {
  char buf[64];
  printf("%s: \"", label);
  for (;;) {
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
    if (e) {
      printf("\" read -> %d\n", e);
      return;
    }
    if (n == 0) break;
    for (__wasi_size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)buf[i];
      if (c >= 32 && c < 127 && c != '\\' && c != '"') putchar(c);
      else printf("\\x%02x", c);
    }
  }
  printf("\"\n");
}

static inline __wasi_errno_t write_str(__wasi_fd_t fd, const char *s) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_write(fd, &iov, 1, &n);
  printf("write %u \"%s\" -> %d n=%u\n", fd, s, e, n);
  return e;
}
