/*
 * compat: writable-dir
 *
 * Changing files' attributes in a writable directory (argv[2]): chmod and
 * friends, chown and friends (set-id bits dropped), truncate, ftruncate,
 * fallocate, the sync calls, utime, utimes, futimesat and utimensat, and
 * the extended attribute calls; EROFS for each on the read-only fixture.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

static long mode_of(const char *p) { struct stat st; return lstat(p, &st) == 0 ? (long)(st.st_mode & 07777) : -1; }
static long size_of(const char *p) { struct stat st; return stat(p, &st) == 0 ? (long)st.st_size : -1; }

/* "atime.nsec mtime.nsec" of a file. */
static const char *times_of(const char *p, int follow) {
  static char buf[96];
  struct stat st;
  if ((follow ? stat(p, &st) : lstat(p, &st)) != 0) { snprintf(buf, sizeof buf, "-1 %s", ename(errno)); return buf; }
  snprintf(buf, sizeof buf, "%ld.%09ld %ld.%09ld", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: attrs FIXTURE WRITABLE-DIR\n"); return 2; }
  const char *fx = argv[1], *rw = argv[2];
  umask(022);
  OK("chdir_rw", chdir(rw));
  int fd = open("f", O_RDWR | O_CREAT, 0644);
  EQ("write_f", write(fd, "0123456789", 10), 10);
  OK("symlink_l", symlink("f", "l"));
  OK("mkdir_d", mkdir("d", 0755));
  int pfd = open("f", O_PATH);

  /* chmod. */
  OK("chmod", chmod("f", 0600));
  EQ("chmod_mode", mode_of("f"), 0600);
  OK("chmod_setid_bits", chmod("f", 07755));
  EQ("chmod_setid_mode", mode_of("f"), 07755);
  OK("chmod_ignores_type_bits", chmod("f", 0170644));
  EQ("chmod_type_bits_mode", mode_of("f"), 0644);
  OK("fchmod", fchmod(fd, 0640));
  EQ("fchmod_mode", mode_of("f"), 0640);
  ERR("fchmod_opath", fchmod(pfd, 0600), EBADF);
  ERR("fchmod_bad_fd", fchmod(1000, 0600), EBADF);
  OK("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, "f", 0644));
  OK("chmod_through_symlink", chmod("l", 0604));
  EQ("chmod_through_symlink_mode", mode_of("f"), 0604);
  EQ("symlink_mode_unchanged", mode_of("l"), 0777);
  ERR("chmod_missing", chmod("nope", 0644), ENOENT);
  ERR("fchmodat_empty_path", syscall(SYS_fchmodat, AT_FDCWD, "", 0644), ENOENT);
  OK("chmod_dir", chmod("d", 01777));
  EQ("chmod_dir_mode", mode_of("d"), 01777);

  /* chown (the runs are root's, so every id may be given). */
  OK("chown", chown("f", 1234, 5678));
  struct stat st;
  OK("stat_chowned", stat("f", &st));
  SHOW("chown_ids", "%u:%u", st.st_uid, st.st_gid);
  OK("chown_keep_both", chown("f", -1, -1));
  OK("chmod_setuid", chmod("f", 06755));
  OK("fchown_drops_setid", fchown(fd, 0, 0));
  EQ("fchown_setid_mode", mode_of("f"), 0755);
  OK("chmod_setgid_no_gexec", chmod("f", 02745));
  OK("chown_keeps_setgid_without_gexec", chown("f", 0, 0));
  EQ("setgid_without_gexec_mode", mode_of("f"), 02745);
  OK("lchown", lchown("l", 42, 43));
  OK("lstat_l", lstat("l", &st));
  SHOW("lchown_ids", "%u:%u", st.st_uid, st.st_gid);
  OK("stat_f_after_lchown", stat("f", &st));
  SHOW("lchown_target_ids", "%u:%u", st.st_uid, st.st_gid);
  OK("fchownat_nofollow", fchownat(AT_FDCWD, "l", 7, 8, AT_SYMLINK_NOFOLLOW));
  OK("fchownat_empty_path", fchownat(pfd, "", 9, 10, AT_EMPTY_PATH));
  OK("stat_f_after_fchownat", stat("f", &st));
  SHOW("fchownat_empty_path_ids", "%u:%u", st.st_uid, st.st_gid);
  ERR("fchownat_bad_flags", fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
  ERR("fchown_opath", fchown(pfd, 0, 0), EBADF);
  OK("chown_back", chown("f", 0, 0));

  /* truncate, ftruncate. */
  OK("truncate_shrink", truncate("f", 4));
  EQ("truncate_shrink_size", size_of("f"), 4);
  OK("truncate_grow", truncate("f", 100000));
  EQ("truncate_grow_size", size_of("f"), 100000);
  char buf[16] = {0};
  EQ("read_hole", pread(fd, buf, 4, 50000), 4);
  FACT("hole_reads_zeros", buf[0] == 0 && buf[3] == 0);
  ERR("truncate_negative", truncate("f", -1), EINVAL);
  ERR("truncate_dir", truncate("d", 0), EISDIR);
  ERR("truncate_missing", truncate("nope", 0), ENOENT);
  OK("ftruncate", ftruncate(fd, 3));
  EQ("ftruncate_size", size_of("f"), 3);
  ERR("ftruncate_negative", ftruncate(fd, -1), EINVAL);
  int ro = open("f", O_RDONLY);
  ERR("ftruncate_readonly_fd", ftruncate(ro, 0), EINVAL);
  ERR("ftruncate_opath", ftruncate(pfd, 0), EBADF);
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  ERR("ftruncate_dir", ftruncate(dfd, 0), EINVAL);
  int pipefd[2];
  OK("pipe", pipe(pipefd));
  ERR("ftruncate_pipe", ftruncate(pipefd[1], 0), EINVAL);

  /* fallocate: mode 0 and KEEP_SIZE, and the checks before the file system's. */
  OK("fallocate", fallocate(fd, 0, 0, 8192));
  EQ("fallocate_size", size_of("f"), 8192);
  OK("fallocate_keep_size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536));
  EQ("fallocate_keep_size_size", size_of("f"), 8192);
  ERR("fallocate_zero_len", fallocate(fd, 0, 0, 0), EINVAL);
  ERR("fallocate_negative_offset", fallocate(fd, 0, -1, 10), EINVAL);
  ERR("fallocate_punch_without_keep", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
  ERR("fallocate_bad_mode", fallocate(fd, 0x1000, 0, 10), EOPNOTSUPP);
  VAL("fallocate_collapse_keep_size", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  VAL("fallocate_punch_and_zero", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  ERR("fallocate_readonly_fd", fallocate(ro, 0, 0, 10), EBADF);
  ERR("fallocate_dir", fallocate(dfd, 0, 0, 10), EBADF);
  ERR("fallocate_pipe", fallocate(pipefd[1], 0, 0, 10), ESPIPE);
  ERR("fallocate_opath", fallocate(pfd, 0, 0, 10), EBADF);
  ERR("fallocate_bad_fd", fallocate(1000, 0, 0, 10), EBADF);

  /* The sync calls. */
  OK("fsync", fsync(fd));
  OK("fdatasync", fdatasync(fd));
  OK("fsync_readonly_fd", fsync(ro));
  OK("fsync_dir", fsync(dfd));
  ERR("fsync_pipe", fsync(pipefd[0]), EINVAL);
  ERR("fsync_opath", fsync(pfd), EBADF);
  ERR("fsync_bad_fd", fsync(1000), EBADF);
  OK("sync", (sync(), 0));
  OK("syncfs", syncfs(fd));
  ERR("syncfs_bad_fd", syncfs(1000), EBADF);

  /* Times. */
  struct utimbuf ub = { .actime = 1000, .modtime = 2000 };
  OK("utime", utime("f", &ub));
  SHOW("utime_times", "%s", times_of("f", 1));
  struct timeval tv[2] = { { 3000, 5 }, { 4000, 999999 } };
  OK("utimes", utimes("f", tv));
  SHOW("utimes_times", "%s", times_of("f", 1));
  tv[0].tv_usec = 1000000;
  ERR("utimes_bad_usec", utimes("f", tv), EINVAL);
  tv[0].tv_usec = -1;
  ERR("utimes_negative_usec", utimes("f", tv), EINVAL);
  tv[0].tv_usec = 0;
  OK("futimesat", syscall(SYS_futimesat, AT_FDCWD, "f", tv));
  OK("futimesat_fd", syscall(SYS_futimesat, fd, NULL, tv));
  ERR("futimesat_opath", syscall(SYS_futimesat, pfd, NULL, tv), EBADF);
  struct timespec ts[2] = { { 5000, 123 }, { 6000, 456 } };
  OK("utimensat", utimensat(AT_FDCWD, "f", ts, 0));
  SHOW("utimensat_times", "%s", times_of("f", 1));
  ts[0].tv_nsec = UTIME_OMIT; ts[1].tv_sec = 7000; ts[1].tv_nsec = 0;
  OK("utimensat_omit_atime", utimensat(AT_FDCWD, "f", ts, 0));
  SHOW("utimensat_omit_atime_times", "%s", times_of("f", 1));
  ts[0].tv_nsec = UTIME_OMIT; ts[1].tv_nsec = UTIME_OMIT;
  EQ("utimensat_both_omit_missing_path", utimensat(AT_FDCWD, "nope", ts, 0), 0);
  ts[0].tv_nsec = 1000000000;
  ERR("utimensat_bad_nsec", utimensat(AT_FDCWD, "f", ts, 0), EINVAL);
  ERR("utimensat_bad_nsec_missing_path", utimensat(AT_FDCWD, "nope", ts, 0), ENOENT);
  ts[0].tv_sec = 8000; ts[0].tv_nsec = 1; ts[1].tv_sec = 8000; ts[1].tv_nsec = 2;
  OK("utimensat_symlink_nofollow", utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
  SHOW("utimensat_symlink_times", "%s", times_of("l", 0));
  char ltimes[96];
  snprintf(ltimes, sizeof ltimes, "%s", times_of("l", 0));
  FACT("utimensat_nofollow_left_target", strcmp(times_of("f", 1), ltimes) != 0);
  OK("utimensat_empty_path", utimensat(pfd, "", ts, AT_EMPTY_PATH));
  OK("futimens", futimens(fd, ts));
  ERR("futimens_opath", futimens(pfd, ts), EBADF);
  ERR("utimensat_bad_flags", utimensat(AT_FDCWD, "f", ts, 0x1), EINVAL);
  ERR("utimensat_null_path_cwd", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);
  ERR("utimensat_null_path_flags", syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
  ERR("utimensat_efault_times", utimensat(AT_FDCWD, "f", BAD_PTR, 0), EFAULT);
  OK("utimensat_now", utimensat(AT_FDCWD, "f", NULL, 0));
  OK("stat_after_now", stat("f", &st));
  FACT("utimensat_now_moved_mtime", st.st_mtim.tv_sec > 8000);

  /* Extended attributes: user.* through the Gofer's Txattrcreate (trusted.* would need the host's CAP_SYS_ADMIN there). */
  EQ("setxattr", setxattr("f", "user.k", "v1", 2, 0), 0);
  EQ("getxattr_after_set", getxattr("f", "user.k", buf, sizeof buf), 2);
  SHOW("getxattr_value", "%.2s", buf);
  ERR("setxattr_create_existing", setxattr("f", "user.k", "v2", 2, XATTR_CREATE), EEXIST);
  ERR("setxattr_replace_missing", setxattr("f", "user.none", "v", 1, XATTR_REPLACE), ENODATA);
  EQ("setxattr_replace_existing", setxattr("f", "user.k", "v33", 3, XATTR_REPLACE), 0);
  EQ("getxattr_after_replace", getxattr("f", "user.k", buf, sizeof buf), 3);
  SHOW("getxattr_replaced_value", "%.3s", buf);
  EQ("setxattr_create_new", setxattr("f", "user.c", "new", 3, XATTR_CREATE), 0);
  char names[256];
  long nl = listxattr("f", names, sizeof names);
  int saw_k = 0, saw_c = 0;
  for (long i = 0; i < nl; i += (long)strlen(names + i) + 1) {
    saw_k |= strcmp(names + i, "user.k") == 0;
    saw_c |= strcmp(names + i, "user.c") == 0;
  }
  FACT("listxattr_has_both", saw_k && saw_c);
  /* An empty value is a value, also with XATTR_REPLACE (which 9P's removal looks like). */
  EQ("setxattr_empty", setxattr("f", "user.e", "", 0, 0), 0);
  EQ("getxattr_empty", getxattr("f", "user.e", buf, sizeof buf), 0);
  EQ("setxattr_empty_replace", setxattr("f", "user.e", "", 0, XATTR_REPLACE), 0);
  EQ("getxattr_empty_after_replace", getxattr("f", "user.e", buf, sizeof buf), 0);
  ERR("setxattr_empty_replace_missing", setxattr("f", "user.none", "", 0, XATTR_REPLACE), ENODATA);
  EQ("setxattr_empty_create", setxattr("f", "user.e2", "", 0, XATTR_CREATE), 0);
  static char value[2000];
  memset(value, 'x', sizeof value);
  EQ("setxattr_2000_bytes", setxattr("f", "user.long", value, sizeof value, 0), 0);
  static char back[2000];
  EQ("getxattr_2000_bytes", getxattr("f", "user.long", back, sizeof back), (long)sizeof back);
  FACT("getxattr_2000_bytes_same", memcmp(value, back, sizeof back) == 0);
  EQ("fsetxattr", fsetxattr(fd, "user.f", "fd", 2, 0), 0);
  EQ("fgetxattr", fgetxattr(fd, "user.f", buf, sizeof buf), 2);
  EQ("fremovexattr", fremovexattr(fd, "user.f"), 0);
  ERR("fremovexattr_missing", fremovexattr(fd, "user.f"), ENODATA);
  EQ("setxattr_dir", setxattr("d", "user.d", "dir", 3, 0), 0);
  EQ("getxattr_dir", getxattr("d", "user.d", buf, sizeof buf), 3);
  EQ("removexattr_dir", removexattr("d", "user.d"), 0);
  EQ("lsetxattr_file", lsetxattr("f", "user.l", "l", 1, 0), 0);
  EQ("lremovexattr_file", lremovexattr("f", "user.l"), 0);
  for (const char *n = "user.e\0user.e2\0user.long\0user.c\0"; *n; n += strlen(n) + 1) removexattr("f", n);
  ERR("setxattr_bad_flags", setxattr("f", "user.k", "v", 1, 4), EINVAL);
  ERR("setxattr_empty_name", setxattr("f", "", "v", 1, 0), ERANGE);
  ERR("setxattr_unknown_namespace", setxattr("f", "bogus.k", "v", 1, 0), EOPNOTSUPP);
  static char big[65537];
  ERR("setxattr_too_big", setxattr("f", "user.k", big, sizeof big, 0), E2BIG);
  ERR("lsetxattr_user_on_symlink", lsetxattr("l", "user.k", "v", 1, 0), EPERM);
  ERR("setxattr_missing_file", setxattr("nope", "user.k", "v", 1, 0), ENOENT);
  EQ("removexattr", removexattr("f", "user.k"), 0);
  ERR("getxattr_after_remove", getxattr("f", "user.k", buf, sizeof buf), ENODATA);
  ERR("removexattr_missing", removexattr("f", "user.none"), ENODATA);
  ERR("fsetxattr_opath", fsetxattr(pfd, "user.k", "v", 1, 0), EBADF);

  /* EROFS on the read-only fixture. */
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/small.txt", fx);
  ERR("erofs_chmod", chmod(p, 0600), EROFS);
  ERR("erofs_chown", chown(p, 0, 0), EROFS);
  ERR("erofs_truncate", truncate(p, 0), EROFS);
  ERR("erofs_utimes", utimes(p, NULL), EROFS);
  ERR("erofs_utimensat", utimensat(AT_FDCWD, p, NULL, 0), EROFS);
  ERR("erofs_setxattr", setxattr(p, "user.k", "v", 1, 0), EROFS);
  ERR("erofs_removexattr", removexattr(p, "user.k"), EROFS);
  snprintf(p, sizeof p, "%s/dir", fx);
  ERR("erofs_truncate_dir", truncate(p, 0), EISDIR);
  return compat_done();
}
