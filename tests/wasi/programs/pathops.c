/* A tiny interpreter of path operations read from stdin, one per line, printing the
 * errno of each: lets a test (or a fuzzer) drive many path cases under both runtimes.
 *   open PATH FOLLOW OFLAGS WRITE | mkdir PATH | rmdir PATH | unlink PATH
 *   rename OLD NEW | link OLD NEW | symlink TARGET PATH | readlink PATH
 *   stat PATH FOLLOW | write PATH TEXT | cd PATH | cd-
 * and on one open file: fopen PATH OFLAGS RIGHTS FDFLAGS | fread N | fwrite TEXT |
 *   fseek OFFSET WHENCE | fpread N OFFSET | fpwrite TEXT OFFSET | ftrunc SIZE |
 *   fflags FDFLAGS | fstat | fclose */
#include "common.h"

static __wasi_fd_t dir = ROOT;
static __wasi_fd_t file = 99;

static void show_bytes(const char *buf, __wasi_size_t n) {
  printf(" \"");
  for (__wasi_size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c >= 32 && c < 127) putchar(c);
    else printf("\\x%02x", c);
  }
  printf("\"");
}

static void stat_line(const char *path, int follow) {
  __wasi_filestat_t st;
  __wasi_errno_t e = __wasi_path_filestat_get(dir, follow, path, &st);
  if (e) printf(" -> %d\n", e);
  else if (st.filetype == __WASI_FILETYPE_DIRECTORY) printf(" -> 0 dir\n");
  else printf(" -> 0 type=%d nlink=%llu size=%llu\n", st.filetype, (unsigned long long)st.nlink,
              (unsigned long long)st.size);
}

int main(void) {
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char op[16] = "", a[200] = "", b[200] = "";
    int x = 0, y = 0, z = 0;
    sscanf(line, "%15s", op);
    const char *rest = line + strlen(op) + (line[strlen(op)] == ' ');
    printf("%s", line);
    if (!strcmp(op, "open")) {
      sscanf(rest, "%199s %d %d %d", a, &x, &y, &z);
      __wasi_fd_t fd;
      __wasi_rights_t rights = z ? (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE) : __WASI_RIGHTS_FD_READ;
      __wasi_errno_t e = __wasi_path_open(dir, x, a, y, rights, rights, 0, &fd);
      printf(" -> %d", e);
      if (!e) {
        __wasi_fdstat_t st;
        __wasi_fd_fdstat_get(fd, &st);
        printf(" type=%d", st.fs_filetype);
        __wasi_fd_close(fd);
      }
      printf("\n");
    } else if (!strcmp(op, "mkdir")) {
      printf(" -> %d\n", __wasi_path_create_directory(dir, rest));
    } else if (!strcmp(op, "rmdir")) {
      printf(" -> %d\n", __wasi_path_remove_directory(dir, rest));
    } else if (!strcmp(op, "unlink")) {
      printf(" -> %d\n", __wasi_path_unlink_file(dir, rest));
    } else if (!strcmp(op, "rename")) {
      sscanf(rest, "%199s %199s", a, b);
      printf(" -> %d\n", __wasi_path_rename(dir, a, dir, b));
    } else if (!strcmp(op, "link")) {
      sscanf(rest, "%199s %199s", a, b);
      printf(" -> %d\n", __wasi_path_link(dir, 0, a, dir, b));
    } else if (!strcmp(op, "symlink")) {
      sscanf(rest, "%199s %199s", a, b);
      printf(" -> %d\n", __wasi_path_symlink(a, dir, b));
    } else if (!strcmp(op, "readlink")) {
      char buf[256];
      __wasi_size_t used = 0;
      __wasi_errno_t e = __wasi_path_readlink(dir, rest, (uint8_t *)buf, sizeof buf, &used);
      printf(" -> %d", e);
      if (!e) printf(" %.*s", (int)used, buf);
      printf("\n");
    } else if (!strcmp(op, "stat")) {
      sscanf(rest, "%199s %d", a, &x);
      stat_line(a, x);
    } else if (!strcmp(op, "write")) {
      sscanf(rest, "%199s %199s", a, b);
      __wasi_fd_t fd;
      __wasi_errno_t e = __wasi_path_open(dir, 1, a, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                                          __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
      if (!e) {
        __wasi_ciovec_t iov = {(const uint8_t *)b, strlen(b)};
        __wasi_size_t n;
        e = __wasi_fd_write(fd, &iov, 1, &n);
        __wasi_fd_close(fd);
      }
      printf(" -> %d\n", e);
    } else if (!strcmp(op, "cd")) {
      __wasi_fd_t fd;
      __wasi_errno_t e = __wasi_path_open(dir, 1, rest, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
      if (!e) {
        if (dir != ROOT) __wasi_fd_close(dir);
        dir = fd;
      }
      printf(" -> %d\n", e);
    } else if (!strcmp(op, "cd-")) {
      if (dir != ROOT) __wasi_fd_close(dir);
      dir = ROOT;
      printf(" -> 0\n");
    } else if (!strcmp(op, "fopen")) {
      unsigned long long rights = 0;
      sscanf(rest, "%199s %d %llx %d", a, &x, &rights, &y);
      if (file != 99) __wasi_fd_close(file);
      file = 99;
      __wasi_errno_t e = __wasi_path_open(dir, 1, a, x, rights, rights, y, &file);
      printf(" -> %d\n", e);
    } else if (!strcmp(op, "fread") || !strcmp(op, "fpread")) {
      char buf[64];
      sscanf(rest, "%d %d", &x, &y);
      __wasi_iovec_t iov = {(uint8_t *)buf, x < 64 ? x : 64};
      __wasi_size_t n = 0;
      __wasi_errno_t e = op[1] == 'p' ? __wasi_fd_pread(file, &iov, 1, y, &n) : __wasi_fd_read(file, &iov, 1, &n);
      printf(" -> %d", e);
      if (!e) show_bytes(buf, n);
      printf("\n");
    } else if (!strcmp(op, "fwrite") || !strcmp(op, "fpwrite")) {
      sscanf(rest, "%199s %d", a, &x);
      __wasi_ciovec_t iov = {(const uint8_t *)a, strlen(a)};
      __wasi_size_t n = 0;
      __wasi_errno_t e = op[1] == 'p' ? __wasi_fd_pwrite(file, &iov, 1, x, &n) : __wasi_fd_write(file, &iov, 1, &n);
      printf(" -> %d n=%u\n", e, n);
    } else if (!strcmp(op, "fseek")) {
      long long off = 0;
      __wasi_filesize_t pos = 0;
      sscanf(rest, "%lld %d", &off, &x);
      __wasi_errno_t e = __wasi_fd_seek(file, off, x, &pos);
      printf(" -> %d pos=%llu\n", e, e ? 0ull : (unsigned long long)pos);
    } else if (!strcmp(op, "ftrunc")) {
      sscanf(rest, "%d", &x);
      printf(" -> %d\n", __wasi_fd_filestat_set_size(file, x));
    } else if (!strcmp(op, "fflags")) {
      sscanf(rest, "%d", &x);
      printf(" -> %d\n", __wasi_fd_fdstat_set_flags(file, x));
    } else if (!strcmp(op, "fstat")) {
      __wasi_filestat_t st;
      __wasi_fdstat_t fs;
      __wasi_errno_t e = __wasi_fd_filestat_get(file, &st);
      printf(" -> %d", e);
      if (!e && st.filetype != __WASI_FILETYPE_DIRECTORY) printf(" size=%llu", (unsigned long long)st.size);
      if (!__wasi_fd_fdstat_get(file, &fs)) printf(" type=%d flags=%d rights=%llx", fs.fs_filetype, fs.fs_flags,
                                                    (unsigned long long)fs.fs_rights_base);
      printf("\n");
    } else if (!strcmp(op, "fclose")) {
      printf(" -> %d\n", __wasi_fd_close(file));
      file = 99;
    } else {
      printf(" ?\n");
    }
  }
  return 0;
}
