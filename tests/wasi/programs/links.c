/* path_symlink, path_readlink, path_link, and following (or not) symlinks. */
#include "common.h"

static void readlink_(__wasi_fd_t dir, const char *path, size_t size) {
  char buf[128];
  __wasi_size_t used = 0;
  memset(buf, 0, sizeof buf);
  __wasi_errno_t e = __wasi_path_readlink(dir, path, (uint8_t *)buf, size, &used);
  printf("readlink %s (buf %zu) -> %d", path, size, e);
  if (!e) printf(" used=%u \"%.*s\"", used, (int)used, buf);
  printf("\n");
}

int main(void) {
  readlink_(ROOT, "link_to_hello", 128);
  readlink_(ROOT, "link_to_hello", 4);
  readlink_(ROOT, "link_to_hello", 0);
  readlink_(ROOT, "link_to_sub", 128);
  readlink_(ROOT, "dangling", 128);
  readlink_(ROOT, "hello.txt", 128);
  readlink_(ROOT, "nosuch", 128);
  readlink_(ROOT, "link_to_sub/", 128);
  readlink_(ROOT, "sub/../link_to_hello", 128);

  E(__wasi_path_symlink("hello.txt", ROOT, "sym1"));
  E(__wasi_path_symlink("hello.txt", ROOT, "sym1"));
  E(__wasi_path_symlink("sub/a.txt", ROOT, "sub/sym2"));
  E(__wasi_path_symlink("../hello.txt", ROOT, "sub/up"));
  E(__wasi_path_symlink("whatever", ROOT, "hello.txt"));
  E(__wasi_path_symlink("whatever", ROOT, "sub"));
  E(__wasi_path_symlink("whatever", ROOT, "nosuch/x"));
  E(__wasi_path_symlink("whatever", ROOT, "newlink/"));
  E(__wasi_path_symlink("sub", ROOT, "sub_link_dir"));
  E(__wasi_path_symlink("", ROOT, "emptytarget"));
  E(__wasi_path_symlink("x", 1, "y"));
  readlink_(ROOT, "sym1", 128);
  readlink_(ROOT, "sub/up", 128);
  readlink_(ROOT, "emptytarget", 128);
  path_stat(ROOT, "sym1", 0);
  path_stat(ROOT, "sym1", 1);
  path_stat(ROOT, "sub/sym2", 1);
  path_stat(ROOT, "sub/up", 1);
  path_stat(ROOT, "dangling", 0);
  path_stat(ROOT, "dangling", 1);
  path_stat(ROOT, "loop1", 0);
  path_stat(ROOT, "loop1", 1);
  path_stat(ROOT, "loop1/x", 0);
  path_stat(ROOT, "sub_link_dir/a.txt", 0);
  path_stat(ROOT, "link_to_sub/nested/c.txt", 0);
  path_stat(ROOT, "link_to_hello/", 1);

  /* opening through links */
  __wasi_fd_t f = open_at(ROOT, "sym1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RO, 0);
  read_all(f, "sym1");
  open_at(ROOT, "sym1", 0, 0, RO, 0);
  open_at(ROOT, "link_to_sub", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  __wasi_fd_t d = open_at(ROOT, "link_to_sub", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  __wasi_fd_t c = open_at(d, "nested/c.txt", 0, 0, RO, 0);
  read_all(c, "c.txt");
  open_at(ROOT, "dangling", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RO, 0);
  __wasi_fd_t made = open_at(ROOT, "dangling", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT, RW, 0);
  write_str(made, "made through a dangling link");
  open_at(ROOT, "dangling", 0, __WASI_OFLAGS_CREAT, RW, 0);
  open_at(ROOT, "dangling", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW, 0);
  open_at(ROOT, "loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RO, 0);
  open_at(ROOT, "loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT, RW, 0);
  open_at(ROOT, "self", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, RO, 0);

  /* hard links */
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "hard.txt"));
  path_stat(ROOT, "hello.txt", 0);
  path_stat(ROOT, "hard.txt", 0);
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "hard.txt"));
  E(__wasi_path_link(ROOT, 0, "sub", ROOT, "hard_dir"));
  E(__wasi_path_link(ROOT, 0, "nosuch", ROOT, "hard2"));
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "nosuch/hard2"));
  E(__wasi_path_link(ROOT, 0, "hello.txt/", ROOT, "hard3"));
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "hard4/"));
  E(__wasi_path_link(ROOT, 0, "sym1", ROOT, "hard_of_link"));
  path_stat(ROOT, "hard_of_link", 0);
  E(__wasi_path_link(ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sym1", ROOT, "hard_through_link"));
  path_stat(ROOT, "hard_through_link", 0);
  E(__wasi_path_link(ROOT, 0, "hello.txt", d, "in_sub.txt"));
  E(__wasi_path_link(1, 0, "hello.txt", ROOT, "x"));
  E(__wasi_path_unlink_file(ROOT, "hello.txt"));
  __wasi_fd_t h = open_at(ROOT, "hard.txt", 0, 0, RO, 0);
  read_all(h, "hard.txt after unlink");
  path_stat(ROOT, "hard.txt", 0);
  E(__wasi_path_unlink_file(ROOT, "sym1"));
  path_stat(ROOT, "hard.txt", 0);
  return 0;
}
