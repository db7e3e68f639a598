/* Every way out of the preopen is refused: "..", absolute paths, symlinks pointing
 * outside (absolute, relative, dangling, looping, as intermediate components), hard
 * links and renames across the boundary, and host descriptors the guest was not given.
 * The test tree has ../outside/secret.txt next to the preopen. */
#include "common.h"

static void try_open(__wasi_fd_t dir, const char *path, int follow, __wasi_oflags_t oflags) {
  __wasi_fd_t fd = open_at(dir, path, follow, oflags, RW, 0);
  if (fd != (__wasi_fd_t)-1) {
    read_all(fd, path);
    __wasi_fd_close(fd);
  }
}

int main(void) {
  const char *reads[] = {"..", "../outside/secret.txt", "/", "/outside/secret.txt", "sub/../../outside/secret.txt",
                         "sub/../..", "./../outside", "esc_rel", "esc_abs", "esc_dir/secret.txt", "esc_mid/outside/secret.txt",
                         "esc_dangling", "loop1", "self", "sub/esc_up/hello.txt", "sub/esc_up2/outside/secret.txt", 0};
  for (int i = 0; reads[i]; i++) {
    try_open(ROOT, reads[i], __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0);
    try_open(ROOT, reads[i], 0, 0);
    path_stat(ROOT, reads[i], 1);
  }
  /* creating outside */
  try_open(ROOT, "../outside/new.txt", 1, __WASI_OFLAGS_CREAT);
  try_open(ROOT, "esc_dir/new.txt", 1, __WASI_OFLAGS_CREAT);
  try_open(ROOT, "esc_dangling", 1, __WASI_OFLAGS_CREAT);
  try_open(ROOT, "esc_rel", 1, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
  E(__wasi_path_create_directory(ROOT, "../outside/newdir"));
  E(__wasi_path_create_directory(ROOT, "esc_dir/newdir"));
  E(__wasi_path_symlink("x", ROOT, "../outside/newlink"));
  E(__wasi_path_symlink("x", ROOT, "esc_dir/newlink"));
  /* a symlink to outside may be made, but never followed */
  E(__wasi_path_symlink("../outside/secret.txt", ROOT, "made_escape"));
  E(__wasi_path_symlink("/etc/passwd", ROOT, "made_abs"));
  try_open(ROOT, "made_escape", 1, 0);
  path_stat(ROOT, "made_escape", 1);
  /* modifying outside */
  E(__wasi_path_unlink_file(ROOT, "../outside/secret.txt"));
  E(__wasi_path_unlink_file(ROOT, "esc_dir/secret.txt"));
  E(__wasi_path_remove_directory(ROOT, "../outside"));
  E(__wasi_path_remove_directory(ROOT, "esc_mid/outside"));
  E(__wasi_path_rename(ROOT, "hello.txt", ROOT, "../outside/stolen.txt"));
  E(__wasi_path_rename(ROOT, "hello.txt", ROOT, "esc_dir/stolen.txt"));
  E(__wasi_path_rename(ROOT, "../outside/secret.txt", ROOT, "got.txt"));
  E(__wasi_path_rename(ROOT, "esc_dir/secret.txt", ROOT, "got.txt"));
  E(__wasi_path_link(ROOT, 0, "../outside/secret.txt", ROOT, "hard.txt"));
  E(__wasi_path_link(ROOT, 1, "esc_rel", ROOT, "hard.txt"));
  E(__wasi_path_link(ROOT, 1, "esc_abs", ROOT, "hard.txt"));
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "../outside/hard.txt"));
  E(__wasi_path_link(ROOT, 0, "hello.txt", ROOT, "esc_dir/hard.txt"));
  E(__wasi_path_filestat_set_times(ROOT, 1, "esc_rel", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  E(__wasi_path_filestat_set_times(ROOT, 0, "../outside/secret.txt", 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  char buf[64];
  __wasi_size_t used;
  E(__wasi_path_readlink(ROOT, "../outside/x", (uint8_t *)buf, sizeof buf, &used));
  E(__wasi_path_readlink(ROOT, "esc_dir/x", (uint8_t *)buf, sizeof buf, &used));
  /* a directory descriptor is itself the sandbox: no climbing above it */
  __wasi_fd_t sub = open_at(ROOT, "sub", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  try_open(sub, "../hello.txt", 0, 0);
  try_open(sub, "esc_up/hello.txt", 1, 0);
  try_open(sub, "nested/../../hello.txt", 0, 0);
  try_open(sub, "a.txt", 0, 0);
  /* descriptors: only what the guest was given */
  for (__wasi_fd_t fd = 4; fd < 40; fd++) {
    __wasi_fdstat_t st;
    if (fd == sub) continue;
    __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
    if (e != __WASI_ERRNO_BADF) printf("fd %u visible -> %d\n", fd, e);
    e = __wasi_fd_close(fd);
    if (e != __WASI_ERRNO_BADF) printf("fd %u closed -> %d\n", fd, e);
  }
  printf("only the guest's descriptors exist\n");
  return 0;
}
