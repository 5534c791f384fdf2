/*
 * readlink, readlinkat: the target without a NUL, truncation to the buffer,
 * symlinks met on the way, dirfds, the empty path on an O_PATH fd, and the
 * errors. Absolute targets hold the fixture's path, so only their relation
 * to argv[1] is printed.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>

static char buf[PATH_MAX + 8];

static long rl(const char *path, size_t size) {
  memset(buf, '#', sizeof buf);
  return syscall(SYS_readlink, path, buf, size);
}

int main(int argc, char **argv) {
  const char *fx = argc > 1 ? argv[1] : ".";

  EQ("file_link", rl("link-to-file", sizeof buf), 9);
  SHOW("file_link_target", "%.9s", buf);
  FACT("no_nul_written", buf[9] == '#');
  EQ("truncated_4", rl("link-to-file", 4), 4);
  SHOW("truncated_4_target", "%.4s", buf);
  FACT("truncated_no_overrun", buf[4] == '#');
  EQ("size_1", rl("link-to-file", 1), 1);
  EQ("dir_link", rl("link-to-dir", sizeof buf), 3);
  EQ("dangling", rl("dangling", sizeof buf), 14);
  EQ("loop_link_itself", rl("loop1", sizeof buf), 5);
  EQ("slash_link", rl("slash-link", sizeof buf), 10);
  SHOW("slash_link_target", "%.10s", buf);
  long n = rl("abs-link", sizeof buf);
  char want[PATH_MAX];
  snprintf(want, sizeof want, "%s/small.txt", fx);
  FACT("abs_link_is_fixture_path", n == (long)strlen(want) && memcmp(buf, want, n) == 0);
  EQ("link_in_dir", rl("dir/link", sizeof buf), 1);
  EQ("through_dir_link", rl("link-to-dir/link", sizeof buf), 1);
  EQ("chain_00", rl("chain00", sizeof buf), 7);

  /* Errors. */
  ERR("not_a_link", rl("small.txt", sizeof buf), EINVAL);
  ERR("dir_not_a_link", rl("dir", sizeof buf), EINVAL);
  ERR("trailing_slash_follows", rl("link-to-dir/", sizeof buf), EINVAL);
  ERR("file_link_trailing_slash", rl("link-to-file/", sizeof buf), ENOTDIR);
  ERR("enoent", rl("nope", sizeof buf), ENOENT);
  ERR("enotdir", rl("small.txt/x", sizeof buf), ENOTDIR);
  ERR("eloop_in_path", rl("loop1/x", sizeof buf), ELOOP);
  ERR("empty", rl("", sizeof buf), ENOENT);
  ERR("size_0", rl("link-to-file", 0), EINVAL);
  ERR("size_negative", syscall(SYS_readlink, "link-to-file", buf, (long)-1), EINVAL);
  ERR("efault_buf", syscall(SYS_readlink, "link-to-file", BAD_PTR, 100), EFAULT);
  ERR("efault_path", syscall(SYS_readlink, BAD_PTR, buf, 100), EFAULT);
  char name[300];
  memset(name, 'n', sizeof name);
  name[256] = '\0';
  ERR("name_too_long", rl(name, sizeof buf), ENAMETOOLONG);
  /* A buffer that ends in a read-only page: copied up to it, then EFAULT. */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_READ);
  ERR("buf_crosses_readonly_page", syscall(SYS_readlink, "link-to-file", page + 4096 - 4, 100), EFAULT);

  /* readlinkat. */
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  EQ("at_dirfd", syscall(SYS_readlinkat, dfd, "link", buf, sizeof buf), 1);
  EQ("at_fdcwd", syscall(SYS_readlinkat, AT_FDCWD, "link-to-file", buf, sizeof buf), 9);
  ERR("at_bad_dirfd", syscall(SYS_readlinkat, 12345, "link", buf, sizeof buf), EBADF);
  int file = open("small.txt", O_RDONLY);
  ERR("at_file_dirfd", syscall(SYS_readlinkat, file, "link", buf, sizeof buf), ENOTDIR);
  /* The empty path names the O_PATH fd's own symlink. */
  int plink = open("link-to-file", O_PATH | O_NOFOLLOW);
  EQ("at_empty_path_opath_link", syscall(SYS_readlinkat, plink, "", buf, sizeof buf), 9);
  VAL("at_empty_path_file", syscall(SYS_readlinkat, file, "", buf, sizeof buf));
  int pfile = open("small.txt", O_PATH);
  VAL("at_empty_path_opath_file", syscall(SYS_readlinkat, pfile, "", buf, sizeof buf));
  int pdir = open("dir", O_PATH);
  VAL("at_empty_path_opath_dir", syscall(SYS_readlinkat, pdir, "", buf, sizeof buf));
  ERR("at_empty_path_fdcwd", syscall(SYS_readlinkat, AT_FDCWD, "", buf, sizeof buf), ENOENT);
  ERR("at_empty_path_bad_fd", syscall(SYS_readlinkat, 12345, "", buf, sizeof buf), EBADF);

  /* /proc/self/exe names the running program (argv[0] is absolute here). */
  n = syscall(SYS_readlink, "/proc/self/exe", buf, sizeof buf);
  FACT("proc_self_exe_is_argv0", n == (long)strlen(argv[0]) && memcmp(buf, argv[0], n) == 0);
  return compat_done();
}
