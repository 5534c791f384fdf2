/*
 * getcwd, chdir, fchdir: the cwd the runner gives (the fixture, argv[1]),
 * moving around with "..", symlinks and fds, the raw syscall's return value
 * (length with the NUL), buffer sizes and errors.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>

static char buf[PATH_MAX + 8];

/* The raw getcwd: length including the NUL, or -1. */
static long gc(size_t size) {
  memset(buf, '#', sizeof buf);
  return syscall(SYS_getcwd, buf, size);
}

/* The cwd relative to the fixture: "" at the fixture, "/dir" inside it, or the absolute path when outside. */
static const char *rel(const char *fx) {
  size_t n = strlen(fx);
  if (strncmp(buf, fx, n) == 0 && (buf[n] == '\0' || buf[n] == '/')) return buf + n;
  return buf;
}

int main(int argc, char **argv) {
  const char *fx = argc > 1 ? argv[1] : ".";
  size_t fxlen = strlen(fx);

  EQ("getcwd_len", gc(sizeof buf), (long)fxlen + 1);
  FACT("getcwd_is_fixture", strcmp(buf, fx) == 0);
  EQ("getcwd_exact_size", gc(fxlen + 1), (long)fxlen + 1);
  ERR("getcwd_one_short", gc(fxlen), ERANGE);
  ERR("getcwd_size_0", syscall(SYS_getcwd, buf, 0), ERANGE);
  ERR("getcwd_null_size_0", syscall(SYS_getcwd, NULL, 0), ERANGE);
  ERR("getcwd_efault", syscall(SYS_getcwd, BAD_PTR, sizeof buf), EFAULT);

  EQ("chdir_dir", chdir("dir"), 0);
  gc(sizeof buf);
  SHOW("cwd_after_chdir_dir", "%s", rel(fx));
  EQ("chdir_sub", chdir("sub"), 0);
  gc(sizeof buf);
  SHOW("cwd_after_chdir_sub", "%s", rel(fx));
  EQ("chdir_dotdot_dotdot", chdir("../.."), 0);
  gc(sizeof buf);
  SHOW("cwd_after_dotdot", "[%s]", rel(fx));
  /* A symlink is followed; getcwd names the real directory. */
  EQ("chdir_symlink", chdir("link-to-dir"), 0);
  gc(sizeof buf);
  SHOW("cwd_after_symlink", "%s", rel(fx));
  EQ("chdir_dotdot_from_symlink", chdir(".."), 0);
  gc(sizeof buf);
  SHOW("cwd_dotdot_from_symlink", "[%s]", rel(fx));
  EQ("chdir_root", chdir("/"), 0);
  EQ("getcwd_root_len", gc(sizeof buf), 2);
  SHOW("getcwd_root", "%s", buf);
  EQ("chdir_root_dotdot", chdir(".."), 0);
  EQ("getcwd_root_dotdot_len", gc(sizeof buf), 2);
  EQ("chdir_back", chdir(fx), 0);

  /* chdir errors. */
  ERR("chdir_file", chdir("small.txt"), ENOTDIR);
  ERR("chdir_enoent", chdir("nope"), ENOENT);
  ERR("chdir_empty", chdir(""), ENOENT);
  ERR("chdir_dangling", chdir("dangling"), ENOENT);
  ERR("chdir_link_to_file", chdir("link-to-file"), ENOTDIR);
  ERR("chdir_eloop", chdir("loop1"), ELOOP);
  ERR("chdir_efault", syscall(SYS_chdir, BAD_PTR), EFAULT);
  char name[300];
  memset(name, 'n', sizeof name);
  name[256] = '\0';
  ERR("chdir_name_too_long", chdir(name), ENAMETOOLONG);
  gc(sizeof buf);
  FACT("failed_chdirs_left_cwd", strcmp(buf, fx) == 0);

  /* fchdir. */
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  EQ("fchdir_dir", fchdir(dfd), 0);
  gc(sizeof buf);
  SHOW("cwd_after_fchdir", "%s", rel(fx));
  int file = open(fx, O_RDONLY);
  EQ("fchdir_back", fchdir(file), 0);
  int sfd = open("small.txt", O_RDONLY);
  ERR("fchdir_file", fchdir(sfd), ENOTDIR);
  ERR("fchdir_bad_fd", fchdir(12345), EBADF);
  ERR("fchdir_negative", fchdir(-1), EBADF);
  int pfd = open("dir/sub", O_PATH);
  EQ("fchdir_opath", fchdir(pfd), 0);
  gc(sizeof buf);
  SHOW("cwd_after_fchdir_opath", "%s", rel(fx));
  /* A relative open now starts there. */
  EQ("chdir_fixture", chdir(fx), 0);
  EQ("relative_open_after_chdir", open("small.txt", O_RDONLY) >= 0, 1);
  return compat_done();
}
