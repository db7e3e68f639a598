/* fd_readdir (cookies, small buffers, dirent layout), path_create_directory,
 * path_remove_directory, path_unlink_file, path_rename, path_filestat_get,
 * path_filestat_set_times. */
#include "common.h"

#define MAXN 64
static char names[MAXN][64];
static int types[MAXN];
static int cmp(const void *a, const void *b) { return strcmp(names[*(const int *)a], names[*(const int *)b]); }

/* list a directory sorted (host order differs), checking cookies resume correctly */
static void list(__wasi_fd_t dir, const char *label, size_t bufsize) {
  static uint8_t buf[4096];
  __wasi_dircookie_t cookie = 0;
  int count = 0, calls = 0;
  for (;;) {
    __wasi_size_t used = 0;
    __wasi_errno_t e = __wasi_fd_readdir(dir, buf, bufsize, cookie, &used);
    calls++;
    if (e) {
      printf("readdir %s -> %d\n", label, e);
      return;
    }
    size_t pos = 0;
    int got = 0;
    while (pos + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + pos, sizeof d);
      if (pos + sizeof d + d.d_namlen > used) break; /* truncated: ask again from its cookie */
      if (count < MAXN) {
        memcpy(names[count], buf + pos + sizeof d, d.d_namlen < 63 ? d.d_namlen : 63);
        names[count][d.d_namlen < 63 ? d.d_namlen : 63] = 0;
        types[count] = d.d_type;
        count++;
      }
      cookie = d.d_next;
      pos += sizeof d + d.d_namlen;
      got++;
    }
    if (used < bufsize && got == 0) break;
    if (used < bufsize && pos == used) break;
    if (calls > 200) break;
  }
  int order[MAXN];
  for (int i = 0; i < count; i++) order[i] = i;
  qsort(order, count, sizeof(int), cmp);
  printf("readdir %s (buf %zu):", label, bufsize);
  for (int i = 0; i < count; i++) printf(" %s:%d", names[order[i]], types[order[i]]);
  printf("\n");
}

/* d_ino of every entry of sub: the inode path_filestat_get reports ("." and ".." the directory's) */
static void inodes(__wasi_fd_t dir) {
  uint8_t buf[1024];
  __wasi_size_t used = 0;
  __wasi_filestat_t self;
  __wasi_fd_filestat_get(dir, &self);
  E(__wasi_fd_readdir(dir, buf, sizeof buf, 0, &used));
  int same = 0, total = 0;
  for (size_t pos = 0; pos + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d;
    char name[64];
    memcpy(&d, buf + pos, sizeof d);
    snprintf(name, sizeof name, "%.*s", (int)d.d_namlen, (const char *)buf + pos + sizeof d);
    __wasi_filestat_t st;
    __wasi_inode_t want = self.ino;
    if (strcmp(name, ".") && strcmp(name, "..") && __wasi_path_filestat_get(dir, 0, name, &st) == 0) want = st.ino;
    same += d.d_ino == want;
    total++;
    pos += sizeof d + d.d_namlen;
  }
  printf("d_ino as expected: %d of %d\n", same, total);
}

int main(void) {
  __wasi_fd_t sub0 = open_at(ROOT, "sub", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  inodes(sub0);
  E(__wasi_fd_close(sub0));
  list(ROOT, "root", 4096);
  list(ROOT, "root", 40);
  list(ROOT, "root", 24 + 13); /* exactly the longest entry: every call makes progress */
  __wasi_fd_t sub = open_at(ROOT, "sub", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  list(sub, "sub", 4096);
  __wasi_fd_t empty = open_at(ROOT, "empty", 0, __WASI_OFLAGS_DIRECTORY, DIRR, 0);
  list(empty, "empty", 4096);
  /* the first entries are . and .., cookies 1 and 2 */
  uint8_t buf[256];
  __wasi_size_t used;
  E(__wasi_fd_readdir(empty, buf, sizeof buf, 0, &used));
  printf("empty used=%u\n", used);
  for (size_t pos = 0; pos + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d;
    memcpy(&d, buf + pos, sizeof d);
    printf("  next=%llu namlen=%u type=%d name=%.*s\n", (unsigned long long)d.d_next, d.d_namlen, d.d_type,
           (int)d.d_namlen, (const char *)buf + pos + sizeof d);
    pos += sizeof d + d.d_namlen;
  }
  E(__wasi_fd_readdir(empty, buf, sizeof buf, 2, &used));
  printf("from cookie 2 used=%u\n", used);
  E(__wasi_fd_readdir(empty, buf, sizeof buf, 99, &used));
  printf("from cookie 99 used=%u\n", used);
  E(__wasi_fd_readdir(empty, buf, 0, 0, &used));
  printf("zero buffer used=%u\n", used);
  E(__wasi_fd_readdir(empty, buf, 10, 0, &used));
  printf("10-byte buffer used=%u\n", used);
  E(__wasi_fd_readdir(1, buf, sizeof buf, 0, &used));
  E(__wasi_fd_readdir(99, buf, sizeof buf, 0, &used));

  /* create / remove directories */
  E(__wasi_path_create_directory(ROOT, "made"));
  E(__wasi_path_create_directory(ROOT, "made"));
  E(__wasi_path_create_directory(ROOT, "made/inner/"));
  E(__wasi_path_create_directory(ROOT, "made/x/y"));
  E(__wasi_path_create_directory(ROOT, "hello.txt"));
  E(__wasi_path_create_directory(ROOT, "hello.txt/x"));
  E(__wasi_path_create_directory(ROOT, "."));
  E(__wasi_path_create_directory(ROOT, ""));
  E(__wasi_path_create_directory(1, "x"));
  E(__wasi_path_remove_directory(ROOT, "made"));
  E(__wasi_path_remove_directory(ROOT, "made/inner"));
  E(__wasi_path_remove_directory(ROOT, "made/inner"));
  E(__wasi_path_remove_directory(ROOT, "hello.txt"));
  E(__wasi_path_remove_directory(ROOT, "empty/"));
  E(__wasi_path_create_directory(ROOT, "empty"));
  E(__wasi_path_remove_directory(ROOT, "link_to_sub"));
  E(__wasi_path_remove_directory(ROOT, "nosuch"));
  E(__wasi_path_remove_directory(ROOT, "."));
  E(__wasi_path_remove_directory(sub, "nested/.."));

  /* unlink */
  E(__wasi_path_unlink_file(ROOT, "sub/b.txt"));
  E(__wasi_path_unlink_file(ROOT, "sub/b.txt"));
  E(__wasi_path_unlink_file(ROOT, "sub"));
  E(__wasi_path_unlink_file(ROOT, "sub/"));
  E(__wasi_path_unlink_file(ROOT, "hello.txt/"));
  E(__wasi_path_unlink_file(ROOT, "link_to_sub"));
  E(__wasi_path_unlink_file(ROOT, "dangling"));
  E(__wasi_path_unlink_file(ROOT, "."));

  /* rename */
  E(__wasi_path_rename(ROOT, "hello.txt", ROOT, "greeting.txt"));
  E(__wasi_path_rename(ROOT, "hello.txt", ROOT, "x.txt"));
  E(__wasi_path_rename(ROOT, "greeting.txt", sub, "greeting.txt"));
  E(__wasi_path_rename(sub, "greeting.txt", ROOT, "data.bin"));
  E(__wasi_path_rename(ROOT, "data.bin", ROOT, "sub"));
  E(__wasi_path_rename(ROOT, "sub", ROOT, "data.bin"));
  E(__wasi_path_rename(ROOT, "sub", ROOT, "made"));
  E(__wasi_path_rename(ROOT, "made", ROOT, "sub/nested/made"));
  E(__wasi_path_rename(ROOT, "sub/nested", ROOT, "empty"));
  E(__wasi_path_rename(ROOT, "sub", ROOT, "sub/inside"));
  E(__wasi_path_rename(ROOT, "sub", ROOT, "sub"));
  E(__wasi_path_rename(ROOT, "data.bin", ROOT, "data.bin/"));
  E(__wasi_path_rename(ROOT, "data.bin/", ROOT, "data2.bin"));
  E(__wasi_path_rename(ROOT, "empty/", ROOT, "empty2/"));
  E(__wasi_path_rename(ROOT, "nosuch", ROOT, "x"));
  E(__wasi_path_rename(ROOT, "link_to_hello", ROOT, "link2"));
  E(__wasi_path_rename(ROOT, ".", ROOT, "x"));
  E(__wasi_path_rename(1, "a", ROOT, "x"));

  /* path_filestat_get / set_times */
  path_stat(ROOT, "data.bin", 0);
  path_stat(ROOT, "sub", 0);
  path_stat(ROOT, "sub/", 0);
  path_stat(ROOT, "data.bin/", 0);
  path_stat(ROOT, "nosuch", 0);
  path_stat(ROOT, "link2", 0);
  path_stat(ROOT, "link2", 1);
  path_stat(ROOT, "link_to_sub", 0);
  path_stat(ROOT, "link_to_sub", 1);
  path_stat(ROOT, "link_to_sub/", 0);
  path_stat(ROOT, ".", 0);
  path_stat(ROOT, "", 0);
  __wasi_filestat_t st;
  E(__wasi_path_filestat_set_times(ROOT, 0, "data.bin", 7000000000ull, 8000000000ull,
                                   __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_path_filestat_get(ROOT, 0, "data.bin", &st);
  printf("times atim=%llu mtim=%llu\n", (unsigned long long)st.atim, (unsigned long long)st.mtim);
  E(__wasi_path_filestat_set_times(ROOT, 1, "link2", 9000000000ull, 9500000000ull,
                                   __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_path_filestat_get(ROOT, 0, "sub/greeting.txt", &st);
  printf("through link: mtim=%llu\n", (unsigned long long)st.mtim);
  E(__wasi_path_filestat_set_times(ROOT, 0, "link2", 1000000000ull, 1100000000ull,
                                   __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  __wasi_path_filestat_get(ROOT, 0, "link2", &st);
  printf("link itself: mtim=%llu\n", (unsigned long long)st.mtim);
  __wasi_path_filestat_get(ROOT, 0, "sub/greeting.txt", &st);
  printf("target untouched: mtim=%llu\n", (unsigned long long)st.mtim);
  E(__wasi_path_filestat_set_times(ROOT, 0, "nosuch", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  E(__wasi_path_filestat_set_times(ROOT, 0, "data.bin", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
  E(__wasi_path_filestat_set_times(ROOT, 0, "sub/", 1, 2, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  list(ROOT, "root at the end", 4096);
  return 0;
}
