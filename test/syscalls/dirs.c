/*
 * compat: writable-dir
 *
 * mkdir, mkdirat, rmdir, unlink, unlinkat, creat and mknod in a writable
 * directory (argv[2], empty at start): the names they make and their
 * errors ("." and "..", trailing slashes, kinds, non-empty directories,
 * missing parents, name length), link counts, the listing afterwards, and
 * EROFS for the same calls on the read-only fixture (argv[1]).
 */
#include "lib/compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The sorted names of a directory (without "." and ".."), comma-separated. */
static const char *listing(const char *dir) {
  static char out[4096];
  char names[64][256];
  int n = 0;
  DIR *d = opendir(dir);
  if (d == NULL) { snprintf(out, sizeof out, "-1 %s", ename(errno)); return out; }
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(names[n++], 256, "%s", e->d_name);
  }
  closedir(d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) { char t[256]; strcpy(t, names[i]); strcpy(names[i], names[j]); strcpy(names[j], t); }
  out[0] = '\0';
  for (int i = 0; i < n; i++) { if (i) strcat(out, ","); strcat(out, names[i]); }
  return out;
}

static long nlink_of(const char *p) { struct stat st; return lstat(p, &st) == 0 ? (long)st.st_nlink : -1; }
static long mode_of(const char *p) { struct stat st; return lstat(p, &st) == 0 ? (long)st.st_mode : -1; }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: dirs FIXTURE WRITABLE-DIR\n"); return 2; }
  const char *fx = argv[1], *rw = argv[2];
  umask(022);
  OK("chdir_rw", chdir(rw));

  /* mkdir. */
  OK("mkdir", mkdir("d", 0777));
  SHOW("mkdir_mode", "%#lo", mode_of("d"));
  ERR("mkdir_exists", mkdir("d", 0755), EEXIST);
  ERR("mkdir_dot", mkdir(".", 0755), EEXIST);
  ERR("mkdir_dotdot", mkdir("d/..", 0755), EEXIST);
  ERR("mkdir_root", mkdir("/", 0755), EEXIST);
  ERR("mkdir_missing_parent", mkdir("nope/x", 0755), ENOENT);
  OK("mkdir_trailing_slash", mkdir("e/", 0755));
  OK("mkdir_sticky_kept", mkdir("sticky", 01777));
  SHOW("mkdir_sticky_mode", "%#lo", mode_of("sticky"));
  OK("mkdir_setgid_dropped", mkdir("sgid", 02755));
  SHOW("mkdir_setgid_mode", "%#lo", mode_of("sgid"));
  ERR("mkdir_efault", syscall(SYS_mkdir, BAD_PTR, 0755), EFAULT);
  ERR("mkdir_empty", mkdir("", 0755), ENOENT);
  char name[300];
  memset(name, 'n', sizeof name);
  name[256] = '\0';
  ERR("mkdir_name_too_long", mkdir(name, 0755), ENAMETOOLONG);
  name[255] = '\0';
  OK("mkdir_name_255", mkdir(name, 0755));
  OK("rmdir_name_255", rmdir(name));
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  OK("mkdirat", mkdirat(dfd, "sub", 0700));
  SHOW("mkdirat_mode", "%#lo", mode_of("d/sub"));
  EQ("nlink_parent_with_sub", nlink_of("d"), 3);
  EQ("nlink_sub", nlink_of("d/sub"), 2);

  /* Files. */
  int fd = creat("f", 0666);
  OK("creat", fd);
  EQ("write_f", write(fd, "hello", 5), 5);
  close(fd);
  SHOW("creat_mode", "%#lo", mode_of("f"));
  ERR("mkdir_under_file", mkdir("f/x", 0755), ENOTDIR);
  ERR("creat_in_missing", creat("nope/f", 0644), ENOENT);
  OK("mknod_regular", mknod("reg", S_IFREG | 0640, 0));
  SHOW("mknod_regular_mode", "%#lo", mode_of("reg"));
  OK("mknod_type0", mknod("reg0", 0600, 0));
  SHOW("mknod_type0_mode", "%#lo", mode_of("reg0"));
  OK("mknod_fifo", mknod("fifo", S_IFIFO | 0644, 0));
  SHOW("mknod_fifo_mode", "%#lo", mode_of("fifo"));
  OK("mkfifoat", mkfifoat(dfd, "fifo2", 0600));
  ERR("mknod_dir", mknod("dir2", S_IFDIR | 0755, 0), EPERM);
  ERR("mknod_bad_type", mknod("bad", 0170000 | 0644, 0), EINVAL);
  ERR("mknod_exists", mknod("f", S_IFREG | 0644, 0), EEXIST);
  ERR("mknod_trailing_slash", mknod("g/", S_IFREG | 0644, 0), ENOENT);

  /* unlink and rmdir. */
  ERR("unlink_dir", unlink("d"), EISDIR);
  ERR("unlink_missing", unlink("nope"), ENOENT);
  ERR("unlink_trailing_slash", unlink("f/"), ENOTDIR);
  ERR("unlink_dot", unlink("."), EISDIR);
  ERR("unlink_dotdot", unlink("d/.."), EISDIR);
  ERR("rmdir_file", rmdir("f"), ENOTDIR);
  ERR("rmdir_not_empty", rmdir("d"), ENOTEMPTY);
  ERR("rmdir_dot", rmdir("d/."), EINVAL);
  ERR("rmdir_dotdot", rmdir("d/sub/.."), ENOTEMPTY);
  ERR("rmdir_missing", rmdir("nope"), ENOENT);
  ERR("rmdir_root", rmdir("/"), EBUSY);
  ERR("unlinkat_bad_flags", unlinkat(dfd, "sub", 0x1), EINVAL);
  ERR("unlinkat_dir_without_flag", unlinkat(dfd, "sub", 0), EISDIR);
  ERR("unlinkat_file_with_removedir", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
  OK("unlinkat_removedir", unlinkat(dfd, "sub", AT_REMOVEDIR));
  EQ("nlink_parent_after_rmdir", nlink_of("d"), 2);
  OK("rmdir_trailing_slash", rmdir("e/"));
  OK("unlink_fifo", unlink("fifo"));
  OK("unlinkat_file", unlinkat(dfd, "fifo2", 0));
  ERR("unlinkat_bad_fd", unlinkat(1000, "x", 0), EBADF);
  ERR("unlinkat_file_fd", unlinkat(open("f", O_RDONLY), "x", 0), ENOTDIR);

  /* An unlinked file stays readable through an open fd. */
  fd = open("f", O_RDONLY);
  OK("unlink_open_file", unlink("f"));
  struct stat st;
  OK("fstat_unlinked", fstat(fd, &st));
  EQ("fstat_unlinked_nlink", st.st_nlink, 0);
  char buf[8] = {0};
  EQ("read_unlinked", read(fd, buf, 5), 5);
  SHOW("read_unlinked_data", "%s", buf);
  close(fd);
  ERR("stat_unlinked", stat("f", &st), ENOENT);

  /* A removed working directory. */
  OK("mkdir_cwd", mkdir("gone", 0755));
  OK("chdir_gone", chdir("gone"));
  OK("rmdir_cwd", rmdir("../gone"));
  ERR("create_in_removed_cwd", creat("x", 0644), ENOENT);
  char cwd[PATH_MAX];
  ERR("getcwd_removed", syscall(SYS_getcwd, cwd, sizeof cwd), ENOENT);
  OK("chdir_back", chdir(rw));

  SHOW("listing", "%s", listing("."));
  SHOW("listing_d", "%s", listing("d"));

  /* The read-only fixture refuses the same calls. */
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/newdir", fx);
  ERR("erofs_mkdir", mkdir(p, 0755), EROFS);
  snprintf(p, sizeof p, "%s/dir", fx);
  ERR("erofs_mkdir_exists", mkdir(p, 0755), EEXIST);
  ERR("erofs_rmdir", rmdir(p), EROFS);
  snprintf(p, sizeof p, "%s/small.txt", fx);
  ERR("erofs_unlink", unlink(p), EROFS);
  snprintf(p, sizeof p, "%s/nope", fx);
  ERR("erofs_unlink_missing", unlink(p), EROFS);
  ERR("erofs_mknod", mknod(p, S_IFIFO | 0644, 0), EROFS);
  return compat_done();
}
