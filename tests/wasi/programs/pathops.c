/* A tiny interpreter of path operations read from stdin, one per line, printing the
 * errno of each: lets a test (or a fuzzer) drive many path cases under both runtimes.
 *   open PATH FOLLOW OFLAGS WRITE | mkdir PATH | rmdir PATH | unlink PATH
 *   rename OLD NEW | link OLD NEW | symlink TARGET PATH | readlink PATH
 *   stat PATH FOLLOW | write PATH TEXT | cd PATH | cd- */
#include "common.h"

static __wasi_fd_t dir = ROOT;

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
    } else {
      printf(" ?\n");
    }
  }
  return 0;
}
