/*
 * open, openat, creat, close: path resolution errors, symlink limits, open
 * flags and the flags F_GETFL reports, O_PATH, dirfds, and EROFS on the
 * read-only root both runs see (writes are refused whatever the file).
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

/* A relative path of exactly len bytes (without the NUL) naming small.txt:
 * "./" repeated, starting ".//" when the padding is odd. */
static char *long_path(size_t len) {
  static char p[PATH_MAX + 16];
  const char *tail = "small.txt";
  size_t pad = len - strlen(tail), i = 0;
  if (pad % 2) { memcpy(p, ".//", 3); i = 3; }
  while (i < pad) { p[i++] = '.'; p[i++] = '/'; }
  strcpy(p + pad, tail);
  return p;
}

static long getfl(int fd) { return fd < 0 ? -1 : fcntl(fd, F_GETFL); }

int main(int argc, char **argv) {
  const char *fx = argc > 1 ? argv[1] : ".";
  char abs_small[PATH_MAX];
  snprintf(abs_small, sizeof abs_small, "%s/small.txt", fx);

  /* Resolution errors. */
  ERR("enoent", open("nope", O_RDONLY), ENOENT);
  ERR("enoent_in_missing_dir", open("nope/x", O_RDONLY), ENOENT);
  ERR("enotdir_component", open("small.txt/x", O_RDONLY), ENOTDIR);
  ERR("enotdir_trailing_slash", open("small.txt/", O_RDONLY), ENOTDIR);
  ERR("enotdir_trailing_dot", open("small.txt/.", O_RDONLY), ENOTDIR);
  OK("dir_trailing_slash", open("dir/", O_RDONLY));
  OK("dir_dot_dot", open("dir/sub/../../small.txt", O_RDONLY));
  OK("root_dot_dot", open("/../../", O_RDONLY));
  ERR("empty_path", open("", O_RDONLY), ENOENT);
  ERR("efault_path", syscall(SYS_open, BAD_PTR, O_RDONLY), EFAULT);
  ERR("efault_kernel_path", syscall(SYS_open, KERNEL_PTR, O_RDONLY), EFAULT);

  char name[300];
  memset(name, 'n', sizeof name);
  name[255] = '\0';
  ERR("name_255_enoent", open(name, O_RDONLY), ENOENT);
  name[255] = 'n';
  name[256] = '\0';
  ERR("name_256_too_long", open(name, O_RDONLY), ENAMETOOLONG);
  OK("path_4095_ok", open(long_path(PATH_MAX - 1), O_RDONLY));
  ERR("path_4096_too_long", open(long_path(PATH_MAX), O_RDONLY), ENAMETOOLONG);

  /* Symlinks. */
  OK("symlink_followed", open("link-to-file", O_RDONLY));
  OK("abs_symlink_followed", open("abs-link", O_RDONLY));
  ERR("dangling", open("dangling", O_RDONLY), ENOENT);
  ERR("loop", open("loop1", O_RDONLY), ELOOP);
  ERR("self_loop", open("self", O_RDONLY), ELOOP);
  ERR("chain_41_eloop", open("chain00", O_RDONLY), ELOOP);
  OK("chain_40_ok", open("chain01", O_RDONLY));
  ERR("symlink_to_file_slash", open("slash-link", O_RDONLY), ENOTDIR);
  ERR("nofollow_symlink", open("link-to-file", O_RDONLY | O_NOFOLLOW), ELOOP);
  ERR("nofollow_loop", open("loop1", O_RDONLY | O_NOFOLLOW), ELOOP);
  OK("nofollow_in_dir_component", open("link-to-dir/a", O_RDONLY | O_NOFOLLOW));
  OK("nofollow_trailing_slash", open("link-to-dir/", O_RDONLY | O_NOFOLLOW));
  ERR("directory_nofollow_symlink", open("link-to-dir", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR);

  /* O_DIRECTORY and directories. */
  ERR("directory_on_file", open("small.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
  OK("directory_on_symlink_to_dir", open("link-to-dir", O_RDONLY | O_DIRECTORY));
  ERR("dir_wronly", open("dir", O_WRONLY), EISDIR);
  ERR("dir_rdwr", open("dir", O_RDWR), EISDIR);
  ERR("dir_creat", open("dir", O_RDONLY | O_CREAT, 0644), EISDIR);
  ERR("dir_trunc_rdonly", open("dir", O_RDONLY | O_TRUNC), EISDIR);
  ERR("creat_directory_existing_dir", open("dir", O_RDONLY | O_CREAT | O_DIRECTORY, 0755), EINVAL);
  ERR("creat_directory_new", open("newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0755), EINVAL);
  ERR("tmpfile_rdonly", open("dir", O_RDONLY | O_TMPFILE, 0600), EINVAL);

  /* Writes on the read-only root. */
  ERR("wronly_rofs", open("small.txt", O_WRONLY), EROFS);
  ERR("rdwr_rofs", open("small.txt", O_RDWR), EROFS);
  ERR("trunc_rdonly_rofs", open("small.txt", O_RDONLY | O_TRUNC), EROFS);
  ERR("trunc_empty_rofs", open("empty", O_RDONLY | O_TRUNC), EROFS);
  ERR("creat_new_rofs", open("newfile", O_WRONLY | O_CREAT, 0644), EROFS);
  ERR("creat_via_dangling_rofs", open("dangling", O_WRONLY | O_CREAT, 0644), EROFS);
  ERR("creat_syscall_rofs", syscall(SYS_creat, "newfile", 0644), EROFS);
  ERR("tmpfile_rofs", open("dir", O_WRONLY | O_TMPFILE, 0600), EROFS);
  OK("creat_existing_rdonly", open("small.txt", O_RDONLY | O_CREAT, 0644));
  ERR("creat_excl_existing", open("small.txt", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  ERR("creat_excl_dangling", open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  ERR("creat_excl_dir", open("dir", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  ERR("creat_in_missing_dir", open("nope/newfile", O_WRONLY | O_CREAT, 0644), ENOENT);
  ERR("creat_trailing_slash", open("newfile/", O_WRONLY | O_CREAT, 0644), EISDIR);

  /* Flags as F_GETFL shows them (x86-64 forces O_LARGEFILE on). */
  int fd = open("small.txt", O_RDONLY);
  SHOW("getfl_rdonly", "%#lo", getfl(fd));
  int fd2 = open("small.txt", O_RDONLY | O_NONBLOCK | O_APPEND | O_NOATIME);
  SHOW("getfl_nonblock_append_noatime", "%#lo", getfl(fd2));
  int fd3 = open("small.txt", O_RDONLY | O_SYNC | O_DSYNC | O_DIRECT);
  SHOW("getfl_sync_direct", "%#lo", fd3 < 0 ? (long)-errno : getfl(fd3));
  int fd4 = open("small.txt", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  SHOW("getfl_noctty_cloexec", "%#lo", getfl(fd4));
  EQ("getfd_cloexec", fcntl(fd4, F_GETFD), FD_CLOEXEC);
  EQ("getfd_no_cloexec", fcntl(fd, F_GETFD), 0);
  int fd5 = open("small.txt", O_RDONLY | 0x40000000);
  SHOW("getfl_unknown_flag_ignored", "%#lo", getfl(fd5));
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  SHOW("getfl_directory", "%#lo", getfl(dfd));

  /* Access mode 3: neither read nor write (an ioctl-only open), and no EROFS. */
  char ch;
  int m3 = open("small.txt", 3);
  FACT("accmode_3_opens", m3 >= 0);
  ERR("accmode_3_read", read(m3, &ch, 1), EBADF);
  ERR("accmode_3_write", write(m3, "x", 1), EBADF);
  SHOW("getfl_accmode_3", "%#lo", getfl(m3));

  /* O_PATH. */
  int pfd = open("small.txt", O_PATH | O_RDWR | O_TRUNC | O_CREAT, 0644);
  FACT("opath_ignores_rw_trunc", pfd >= 0);
  SHOW("getfl_opath", "%#lo", getfl(pfd));
  int plink = open("link-to-file", O_PATH | O_NOFOLLOW);
  struct stat st;
  FACT("opath_nofollow_is_link", plink >= 0 && fstat(plink, &st) == 0 && S_ISLNK(st.st_mode));
  int pdirfd = open("dir", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  SHOW("getfl_opath_directory_nofollow", "%#lo", getfl(pdirfd));
  EQ("getfd_opath_cloexec", fcntl(pdirfd, F_GETFD), FD_CLOEXEC);
  ERR("opath_directory_on_file", open("small.txt", O_PATH | O_DIRECTORY), ENOTDIR);
  ERR("opath_missing", open("nope", O_PATH), ENOENT);
  OK("opath_noperm", open("noperm", O_PATH));

  /* openat. */
  char c = 0;
  int a = openat(dfd, "a", O_RDONLY);
  FACT("openat_relative_reads_a", a >= 0 && read(a, &c, 1) == 1 && c == 'a');
  OK("openat_dotdot", openat(dfd, "../small.txt", O_RDONLY));
  ERR("openat_bad_dirfd", openat(12345, "a", O_RDONLY), EBADF);
  ERR("openat_negative_dirfd", openat(-5, "a", O_RDONLY), EBADF);
  OK("openat_bad_dirfd_absolute", openat(12345, abs_small, O_RDONLY));
  ERR("openat_file_dirfd", openat(fd, "a", O_RDONLY), ENOTDIR);
  int pdir = open("dir", O_PATH);
  OK("openat_opath_dirfd", openat(pdir, "a", O_RDONLY));
  ERR("openat_empty_path", openat(dfd, "", O_RDONLY), ENOENT);
  OK("openat_fdcwd", openat(AT_FDCWD, "small.txt", O_RDONLY));

  /* The lowest free fd, and close. */
  int lo = open("small.txt", O_RDONLY);
  close(fd2);
  EQ("lowest_fd_reused", open("small.txt", O_RDONLY), fd2);
  FACT("fds_increase", lo > fd);
  EQ("close_ok", close(lo), 0);
  ERR("close_twice", close(lo), EBADF);
  ERR("close_negative", close(-1), EBADF);
  ERR("close_huge", close(0x7fffffff), EBADF);

  /* Names are bytes, not UTF-8. */
  OK("latin1_name", open("latin1-\xe9.txt", O_RDONLY));
  ERR("latin1_name_as_utf8", open("latin1-\xc3\xa9.txt", O_RDONLY), ENOENT);

  /* Device nodes on the read-only root can still be written (Linux checks EROFS only for files, dirs, links). */
  VAL("dev_null_wronly", open("/dev/null", O_WRONLY) >= 0 ? 0 : -1);
  VAL("dev_zero_rdonly", open("/dev/zero", O_RDONLY) >= 0 ? 0 : -1);
  return compat_done();
}
