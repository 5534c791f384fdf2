/*
 * statfs, fstatfs: the fields that describe the file system (type, block
 * size, name length, read-only flag) and facts about the counters (free
 * blocks change while the suite runs), on the fixture's file system, by
 * path and by fd, and the errors.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

static void show(const char *prefix, const struct statfs *s) {
  char k[64];
  snprintf(k, sizeof k, "%s_type", prefix);
  SHOW(k, "%#lx", (unsigned long)s->f_type);
  snprintf(k, sizeof k, "%s_bsize", prefix);
  SHOW(k, "%ld", (long)s->f_bsize);
  snprintf(k, sizeof k, "%s_frsize", prefix);
  SHOW(k, "%ld", (long)s->f_frsize);
  snprintf(k, sizeof k, "%s_namelen", prefix);
  SHOW(k, "%ld", (long)s->f_namelen);
  snprintf(k, sizeof k, "%s_rdonly", prefix);
  SHOW(k, "%d", (s->f_flags & ST_RDONLY) != 0);
  snprintf(k, sizeof k, "%s_valid", prefix);
  SHOW(k, "%d", (s->f_flags & 0x20) != 0);
  snprintf(k, sizeof k, "%s_counts_consistent", prefix);
  FACT(k, s->f_bavail <= s->f_bfree && s->f_bfree <= s->f_blocks && s->f_ffree <= s->f_files && s->f_blocks > 0);
  snprintf(k, sizeof k, "%s_spare_zero", prefix);
  FACT(k, s->f_spare[0] == 0 && s->f_spare[1] == 0 && s->f_spare[2] == 0 && s->f_spare[3] == 0);
}

int main(void) {
  struct statfs s, t;
  memset(&s, 0x55, sizeof s);
  EQ("statfs", syscall(SYS_statfs, ".", &s), 0);
  show("cwd", &s);
  memset(&t, 0x55, sizeof t);
  EQ("statfs_file", syscall(SYS_statfs, "small.txt", &t), 0);
  FACT("same_fs_for_file", t.f_type == s.f_type && t.f_blocks == s.f_blocks && t.f_bsize == s.f_bsize);
  EQ("statfs_follows_symlink", syscall(SYS_statfs, "link-to-file", &t), 0);
  int fd = open("small.txt", O_RDONLY);
  memset(&t, 0x55, sizeof t);
  EQ("fstatfs", syscall(SYS_fstatfs, fd, &t), 0);
  show("fd", &t);
  int pfd = open("small.txt", O_PATH);
  EQ("fstatfs_opath", syscall(SYS_fstatfs, pfd, &t), 0);
  FACT("fstatfs_opath_same", t.f_type == s.f_type);
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  EQ("fstatfs_dir", syscall(SYS_fstatfs, dfd, &t), 0);
  struct statvfs v;
  EQ("statvfs", statvfs(".", &v), 0);
  FACT("statvfs_rdonly_matches", ((v.f_flag & ST_RDONLY) != 0) == ((s.f_flags & ST_RDONLY) != 0));

  ERR("enoent", syscall(SYS_statfs, "nope", &s), ENOENT);
  ERR("enotdir", syscall(SYS_statfs, "small.txt/x", &s), ENOTDIR);
  ERR("eloop", syscall(SYS_statfs, "loop1", &s), ELOOP);
  ERR("dangling", syscall(SYS_statfs, "dangling", &s), ENOENT);
  ERR("empty_path", syscall(SYS_statfs, "", &s), ENOENT);
  ERR("efault_buf", syscall(SYS_statfs, ".", BAD_PTR), EFAULT);
  ERR("efault_path", syscall(SYS_statfs, BAD_PTR, &s), EFAULT);
  ERR("fstatfs_bad_fd", syscall(SYS_fstatfs, 12345, &s), EBADF);
  ERR("fstatfs_efault", syscall(SYS_fstatfs, fd, BAD_PTR), EFAULT);
  return compat_done();
}
