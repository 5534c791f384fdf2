/*
 * access, faccessat, faccessat2: modes on the fixture's files for the
 * caller (root in both runs: read and write always pass the mode bits,
 * execute needs some x bit), W_OK on the read-only root (EROFS), flags,
 * dirfds and errors.
 */
#include "lib/compat.h"
#include <fcntl.h>

static long acc(const char *path, int mode) { return syscall(SYS_access, path, mode); }

int main(void) {
  EQ("f_ok", acc("small.txt", F_OK), 0);
  EQ("r_ok", acc("small.txt", R_OK), 0);
  ERR("x_ok_no_x_bits", acc("small.txt", X_OK), EACCES);
  EQ("x_ok_exec", acc("exec.sh", X_OK), 0);
  EQ("r_ok_noperm_root", acc("noperm", R_OK), 0);
  ERR("x_ok_noperm", acc("noperm", X_OK), EACCES);
  EQ("x_ok_dir", acc("dir", X_OK), 0);
  EQ("r_ok_dir", acc("dir", R_OK | X_OK), 0);
  EQ("follows_link", acc("link-to-file", R_OK), 0);
  ERR("dangling", acc("dangling", F_OK), ENOENT);

  /* Writes on the read-only root. */
  ERR("w_ok_rofs", acc("small.txt", W_OK), EROFS);
  ERR("w_ok_dir_rofs", acc("dir", W_OK), EROFS);
  ERR("rw_ok_rofs", acc("exec.sh", R_OK | W_OK | X_OK), EROFS);
  ERR("w_ok_x_fails_first", acc("small.txt", W_OK | X_OK), EACCES);
  /* Device nodes may be written on a read-only mount. */
  VAL("w_ok_dev_null", acc("/dev/null", W_OK));

  /* Errors. */
  ERR("bad_mode", acc("small.txt", 8), EINVAL);
  ERR("bad_mode_high", acc("small.txt", 0x100), EINVAL);
  ERR("enoent", acc("nope", F_OK), ENOENT);
  ERR("enotdir", acc("small.txt/x", F_OK), ENOTDIR);
  ERR("trailing_slash_file", acc("small.txt/", F_OK), ENOTDIR);
  ERR("eloop", acc("loop1", F_OK), ELOOP);
  ERR("empty", acc("", F_OK), ENOENT);
  ERR("efault", syscall(SYS_access, BAD_PTR, F_OK), EFAULT);
  char name[300];
  memset(name, 'n', sizeof name);
  name[256] = '\0';
  ERR("name_too_long", acc(name, F_OK), ENAMETOOLONG);

  /* faccessat / faccessat2. */
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  EQ("at_dirfd", syscall(SYS_faccessat, dfd, "a", R_OK), 0);
  ERR("at_bad_dirfd", syscall(SYS_faccessat, 12345, "a", R_OK), EBADF);
  int file = open("small.txt", O_RDONLY);
  ERR("at_file_dirfd", syscall(SYS_faccessat, file, "a", R_OK), ENOTDIR);
  EQ("at2_flags_0", syscall(SYS_faccessat2, dfd, "a", R_OK, 0), 0);
  EQ("at2_eaccess", syscall(SYS_faccessat2, dfd, "a", R_OK, AT_EACCESS), 0);
  EQ("at2_nofollow_dangling", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
  ERR("at2_follow_dangling", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), ENOENT);
  EQ("at2_nofollow_loop", syscall(SYS_faccessat2, AT_FDCWD, "loop1", F_OK, AT_SYMLINK_NOFOLLOW), 0);
  EQ("at2_empty_path", syscall(SYS_faccessat2, file, "", R_OK, AT_EMPTY_PATH), 0);
  ERR("at2_empty_path_w_ok", syscall(SYS_faccessat2, file, "", W_OK, AT_EMPTY_PATH), EROFS);
  ERR("at2_empty_path_no_flag", syscall(SYS_faccessat2, file, "", R_OK, 0), ENOENT);
  ERR("at2_bad_flags", syscall(SYS_faccessat2, dfd, "a", R_OK, 0x1), EINVAL);
  ERR("at2_bad_mode", syscall(SYS_faccessat2, dfd, "a", 8, 0), EINVAL);
  /* faccessat (the old one) has no flags argument: whatever is in the register is ignored. */
  EQ("at_ignores_fourth_arg", syscall(SYS_faccessat, dfd, "a", R_OK, 0x1), 0);
  return compat_done();
}
