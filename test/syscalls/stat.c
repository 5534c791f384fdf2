/*
 * stat, lstat, fstat, newfstatat, statx: the fields both runs must agree on
 * (type and mode, size, nlink, owner, blocks, mtime of the fixture), facts
 * about the ones that differ (inode and device numbers are compared, not
 * printed), AT_* flags and every error path.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The fixture's fixed mtime (fixture.ts). */
#define FIXTURE_MTIME 1000000000L

static struct stat st_of(const char *path, int nofollow) {
  struct stat st;
  memset(&st, 0xa5, sizeof st);
  long r = syscall(SYS_newfstatat, AT_FDCWD, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
  if (r != 0) memset(&st, 0, sizeof st);
  return st;
}

static void show_stat(const char *prefix, const struct stat *st) {
  char k[64];
  snprintf(k, sizeof k, "%s_mode", prefix);
  SHOW(k, "%#o", st->st_mode);
  snprintf(k, sizeof k, "%s_size", prefix);
  SHOW(k, "%ld", (long)st->st_size);
  snprintf(k, sizeof k, "%s_nlink", prefix);
  SHOW(k, "%ld", (long)st->st_nlink);
  snprintf(k, sizeof k, "%s_uid_gid", prefix);
  SHOW(k, "%d:%d", st->st_uid, st->st_gid);
  snprintf(k, sizeof k, "%s_blksize", prefix);
  SHOW(k, "%ld", (long)st->st_blksize);
  snprintf(k, sizeof k, "%s_blocks", prefix);
  SHOW(k, "%ld", (long)st->st_blocks);
  snprintf(k, sizeof k, "%s_rdev", prefix);
  SHOW(k, "%ld", (long)st->st_rdev);
}

int main(void) {
  struct stat st;

  /* Fields of the fixture's files. */
  struct stat small = st_of("small.txt", 0);
  show_stat("small", &small);
  EQ("small_mtime_sec", small.st_mtim.tv_sec, FIXTURE_MTIME);
  EQ("small_mtime_nsec", small.st_mtim.tv_nsec, 0);
  struct stat data = st_of("data.bin", 0);
  show_stat("data", &data);
  struct stat dir = st_of("dir", 0);
  show_stat("dir", &dir);
  EQ("dir_mtime_sec", dir.st_mtim.tv_sec, FIXTURE_MTIME);
  struct stat exec = st_of("exec.sh", 0);
  SHOW("exec_mode", "%#o", exec.st_mode);
  struct stat noperm = st_of("noperm", 0);
  SHOW("noperm_mode", "%#o", noperm.st_mode);
  struct stat empty = st_of("empty", 0);
  show_stat("empty", &empty);

  /* Symlinks: lstat describes the link, stat its target. */
  struct stat lnk = st_of("link-to-file", 1);
  show_stat("lstat_link", &lnk);
  FACT("lstat_link_size_is_target_len", lnk.st_size == (long)strlen("small.txt"));
  struct stat followed = st_of("link-to-file", 0);
  FACT("stat_link_is_target", followed.st_ino == small.st_ino && followed.st_dev == small.st_dev);
  FACT("lstat_link_differs", lnk.st_ino != small.st_ino);
  struct stat dangling = st_of("dangling", 1);
  SHOW("lstat_dangling_mode", "%#o", dangling.st_mode);
  ERR("stat_dangling", syscall(SYS_stat, "dangling", &st), ENOENT);
  OK("lstat_dangling", syscall(SYS_lstat, "dangling", &st));
  struct stat lslash = st_of("link-to-dir/", 1);
  FACT("lstat_trailing_slash_follows", S_ISDIR(lslash.st_mode) && lslash.st_ino == dir.st_ino);
  ERR("lstat_file_link_trailing_slash", syscall(SYS_lstat, "link-to-file/", &st), ENOTDIR);

  /* Inode and device facts. */
  int fd = open("small.txt", O_RDONLY);
  OK("fstat", syscall(SYS_fstat, fd, &st));
  FACT("fstat_matches_stat", st.st_ino == small.st_ino && st.st_dev == small.st_dev && st.st_size == small.st_size);
  FACT("same_dev_in_fixture", small.st_dev == dir.st_dev && small.st_dev == data.st_dev);
  FACT("distinct_inodes", small.st_ino != data.st_ino && small.st_ino != dir.st_ino);
  struct stat dot = st_of(".", 0), dirdotdot = st_of("dir/..", 0), subdotdot = st_of("dir/sub/../..", 0);
  FACT("dotdot_is_parent", dirdotdot.st_ino == dot.st_ino && subdotdot.st_ino == dot.st_ino);
  struct stat root = st_of("/", 0), rootdotdot = st_of("/..", 0);
  FACT("root_dotdot_is_root", root.st_ino == rootdotdot.st_ino && root.st_dev == rootdotdot.st_dev);
  FACT("stat_syscall_matches", syscall(SYS_stat, "small.txt", &st) == 0 && st.st_ino == small.st_ino);
  OK("fstat_stdout", syscall(SYS_fstat, 1, &st));
  /* The runner's stdout is the same kind of stream in both runs (a Unix socket from Node's spawn). */
  SHOW("stdout_type", "%#o", st.st_mode & S_IFMT);

  /* newfstatat's flags and dirfds. */
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  struct stat a = st_of("dir/a", 0);
  FACT("fstatat_dirfd", syscall(SYS_newfstatat, dfd, "a", &st, 0) == 0 && st.st_ino == a.st_ino);
  FACT("fstatat_empty_path_fd", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) == 0 && st.st_ino == small.st_ino);
  FACT("fstatat_empty_path_cwd", syscall(SYS_newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH) == 0 && st.st_ino == dot.st_ino);
  int pfd = open("link-to-file", O_PATH | O_NOFOLLOW);
  FACT("fstatat_empty_path_opath_link", syscall(SYS_newfstatat, pfd, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode));
  FACT("fstat_opath_link", syscall(SYS_fstat, pfd, &st) == 0 && S_ISLNK(st.st_mode));
  ERR("fstatat_empty_path_no_flag", syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
  ERR("fstatat_bad_flags", syscall(SYS_newfstatat, AT_FDCWD, "small.txt", &st, 0x1), EINVAL);
  ERR("fstatat_removedir_flag", syscall(SYS_newfstatat, AT_FDCWD, "small.txt", &st, AT_REMOVEDIR), EINVAL);
  OK("fstatat_no_automount", syscall(SYS_newfstatat, AT_FDCWD, "small.txt", &st, AT_NO_AUTOMOUNT));
  ERR("fstatat_bad_dirfd", syscall(SYS_newfstatat, 12345, "a", &st, 0), EBADF);
  OK("fstatat_bad_dirfd_absolute", syscall(SYS_newfstatat, 12345, "/", &st, 0));
  ERR("fstatat_file_dirfd", syscall(SYS_newfstatat, fd, "a", &st, 0), ENOTDIR);
  ERR("fstatat_empty_path_bad_fd", syscall(SYS_newfstatat, 12345, "", &st, AT_EMPTY_PATH), EBADF);

  /* Errors. */
  ERR("stat_enoent", syscall(SYS_stat, "nope", &st), ENOENT);
  ERR("stat_empty", syscall(SYS_stat, "", &st), ENOENT);
  ERR("stat_enotdir", syscall(SYS_stat, "small.txt/x", &st), ENOTDIR);
  ERR("stat_trailing_slash_file", syscall(SYS_stat, "small.txt/", &st), ENOTDIR);
  ERR("stat_eloop", syscall(SYS_stat, "loop1", &st), ELOOP);
  OK("lstat_loop", syscall(SYS_lstat, "loop1", &st));
  ERR("stat_chain_41", syscall(SYS_stat, "chain00", &st), ELOOP);
  OK("stat_chain_40", syscall(SYS_stat, "chain01", &st));
  char name[300];
  memset(name, 'n', sizeof name);
  name[256] = '\0';
  ERR("stat_name_too_long", syscall(SYS_stat, name, &st), ENAMETOOLONG);
  ERR("stat_efault_path", syscall(SYS_stat, BAD_PTR, &st), EFAULT);
  ERR("stat_efault_buf", syscall(SYS_stat, "small.txt", BAD_PTR), EFAULT);
  ERR("stat_kernel_buf", syscall(SYS_stat, "small.txt", KERNEL_PTR), EFAULT);
  ERR("fstat_efault_buf", syscall(SYS_fstat, fd, BAD_PTR), EFAULT);
  ERR("fstat_bad_fd", syscall(SYS_fstat, -1, &st), EBADF);
  ERR("fstat_unused_fd", syscall(SYS_fstat, 999, &st), EBADF);
  ERR("lstat_efault_buf", syscall(SYS_lstat, "link-to-file", BAD_PTR), EFAULT);
  /* A stat buffer that ends in an unwritable page fails whole. */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_READ);
  ERR("stat_buf_crosses_readonly_page", syscall(SYS_stat, "small.txt", page + 4096 - 16), EFAULT);

  /* statx. */
  struct statx sx;
  memset(&sx, 0, sizeof sx);
  OK("statx", syscall(SYS_statx, AT_FDCWD, "small.txt", 0, STATX_BASIC_STATS | STATX_BTIME, &sx));
  SHOW("statx_mask_basic", "%#x", sx.stx_mask & STATX_BASIC_STATS);
  SHOW("statx_mode", "%#o", sx.stx_mode);
  SHOW("statx_size", "%llu", (unsigned long long)sx.stx_size);
  SHOW("statx_nlink", "%u", sx.stx_nlink);
  SHOW("statx_blksize", "%u", sx.stx_blksize);
  SHOW("statx_blocks", "%llu", (unsigned long long)sx.stx_blocks);
  SHOW("statx_uid_gid", "%u:%u", sx.stx_uid, sx.stx_gid);
  FACT("statx_ino_matches", sx.stx_ino == small.st_ino);
  FACT("statx_mtime_matches", sx.stx_mtime.tv_sec == FIXTURE_MTIME && sx.stx_mtime.tv_nsec == 0);
  FACT("statx_dev_matches", makedev(sx.stx_dev_major, sx.stx_dev_minor) == small.st_dev);
  /* Which extra fields a file system fills is its own business; claiming one must mean it is filled. */
  FACT("statx_btime_claimed_only_if_set", !(sx.stx_mask & STATX_BTIME) || sx.stx_btime.tv_sec != 0);
  memset(&sx, 0, sizeof sx);
  OK("statx_nofollow", syscall(SYS_statx, AT_FDCWD, "link-to-file", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
  FACT("statx_nofollow_is_link", S_ISLNK(sx.stx_mode));
  memset(&sx, 0, sizeof sx);
  OK("statx_empty_path", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
  FACT("statx_empty_path_is_file", sx.stx_ino == small.st_ino);
  OK("statx_mask_0", syscall(SYS_statx, AT_FDCWD, "small.txt", 0, 0, &sx));
  OK("statx_force_sync", syscall(SYS_statx, AT_FDCWD, "small.txt", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx));
  OK("statx_dont_sync", syscall(SYS_statx, AT_FDCWD, "small.txt", AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
  ERR("statx_both_sync_flags", syscall(SYS_statx, AT_FDCWD, "small.txt", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx), EINVAL);
  ERR("statx_reserved_mask", syscall(SYS_statx, AT_FDCWD, "small.txt", 0, 0x80000000U, &sx), EINVAL);
  ERR("statx_bad_flags", syscall(SYS_statx, AT_FDCWD, "small.txt", 0x1, STATX_BASIC_STATS, &sx), EINVAL);
  ERR("statx_efault_buf", syscall(SYS_statx, AT_FDCWD, "small.txt", 0, STATX_BASIC_STATS, BAD_PTR), EFAULT);
  ERR("statx_efault_path", syscall(SYS_statx, AT_FDCWD, BAD_PTR, 0, STATX_BASIC_STATS, &sx), EFAULT);
  ERR("statx_enoent", syscall(SYS_statx, AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &sx), ENOENT);
  ERR("statx_bad_dirfd", syscall(SYS_statx, 12345, "a", 0, STATX_BASIC_STATS, &sx), EBADF);
  ERR("statx_empty_path_no_flag", syscall(SYS_statx, fd, "", 0, STATX_BASIC_STATS, &sx), ENOENT);
  return compat_done();
}
