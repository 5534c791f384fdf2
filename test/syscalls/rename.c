/*
 * compat: writable-dir
 *
 * rename, renameat and renameat2 in a writable directory (argv[2]): files
 * and directories to new names and over old ones, the kinds that may
 * replace each other, a directory into its own subtree, ".", "..",
 * trailing slashes, RENAME_NOREPLACE and RENAME_EXCHANGE, open files and
 * working directories that move along, EXDEV to the read-only fixture and
 * EROFS inside it.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/stat.h>

static long ren2(const char *a, const char *b, unsigned flags) {
  return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static void put(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) { if (write(fd, data, strlen(data)) < 0) perror("write"); close(fd); }
}

/* A file's contents, or "-1 EXXX". */
static const char *get(const char *path) {
  static char buf[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) { snprintf(buf, sizeof buf, "-1 %s", ename(errno)); return buf; }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

static long nlink_of(const char *p) { struct stat st; return lstat(p, &st) == 0 ? (long)st.st_nlink : -1; }
static int is_dir(const char *p) { struct stat st; return lstat(p, &st) == 0 && S_ISDIR(st.st_mode); }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: rename FIXTURE WRITABLE-DIR\n"); return 2; }
  const char *fx = argv[1], *rw = argv[2];
  umask(022);
  OK("chdir_rw", chdir(rw));

  /* Files. */
  put("a", "A");
  put("b", "B");
  OK("file_to_new_name", rename("a", "a2"));
  SHOW("file_moved", "%s", get("a2"));
  ERR("old_name_gone", access("a", F_OK), ENOENT);
  OK("file_over_file", rename("a2", "b"));
  SHOW("file_over_file_data", "%s", get("b"));
  ERR("missing_source", rename("nope", "x"), ENOENT);
  ERR("missing_target_dir", rename("b", "nope/x"), ENOENT);
  ERR("file_trailing_slash", rename("b/", "c"), ENOTDIR);
  ERR("file_to_trailing_slash", rename("b", "c/"), ENOTDIR);
  OK("same_name", rename("b", "b"));
  OK("link_for_same_inode", link("b", "b-link"));
  OK("hard_links_same_inode", rename("b", "b-link"));
  FACT("hard_links_both_remain", access("b", F_OK) == 0 && access("b-link", F_OK) == 0);
  OK("unlink_b_link", unlink("b-link"));

  /* Directories. */
  OK("mkdir_d", mkdir("d", 0755));
  OK("mkdir_d_sub", mkdir("d/sub", 0755));
  put("d/sub/f", "F");
  OK("mkdir_e", mkdir("e", 0755));
  OK("mkdir_full", mkdir("full", 0755));
  put("full/x", "X");
  ERR("file_over_dir", rename("b", "e"), EISDIR);
  ERR("dir_over_file", rename("e", "b"), ENOTDIR);
  ERR("dir_over_nonempty", rename("e", "full"), ENOTEMPTY);
  ERR("dir_into_itself", rename("d", "d/sub/x"), EINVAL);
  ERR("dir_onto_itself_child", rename("d", "d/sub"), EINVAL);
  ERR("dir_over_ancestor", rename("d/sub", "d"), ENOTEMPTY);
  ERR("rename_dot", rename(".", "x"), EBUSY);
  ERR("rename_dotdot", rename("d/..", "x"), EBUSY);
  ERR("rename_to_dot", rename("e", "d/."), EBUSY);
  ERR("rename_root", rename("/", "x"), EXDEV);
  OK("dir_over_empty_dir", rename("d", "e"));
  SHOW("dir_moved_contents", "%s", get("e/sub/f"));
  FACT("dir_old_gone", access("d", F_OK) != 0);
  OK("dir_to_trailing_slash", rename("e/", "d/"));
  EQ("nlink_root_before_move_out", nlink_of("."), 4);
  OK("subdir_moves_out", rename("d/sub", "sub"));
  EQ("nlink_d_after_move_out", nlink_of("d"), 2);
  EQ("nlink_root_after_move_in", nlink_of("."), 5);

  /* Open files and working directories move along. */
  int fd = open("sub/f", O_RDONLY);
  OK("mkdir_cwd", mkdir("cwd", 0755));
  OK("chdir_cwd", chdir("cwd"));
  OK("rename_open_file", rename("../sub/f", "../moved-f"));
  char buf[8] = {0};
  EQ("read_after_rename", pread(fd, buf, 1, 0), 1);
  SHOW("read_after_rename_data", "%s", buf);
  close(fd);
  OK("rename_cwd", rename("../cwd", "../cwd2"));
  char cwd[PATH_MAX], want[PATH_MAX];
  snprintf(want, sizeof want, "%s/cwd2", rw);
  FACT("getcwd_follows_rename", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, want) == 0);
  put("here", "H");
  OK("chdir_back", chdir(rw));
  SHOW("file_made_in_moved_cwd", "%s", get("cwd2/here"));

  /* renameat2 flags. */
  put("p", "P");
  put("q", "Q");
  ERR("noreplace_existing", ren2("p", "q", RENAME_NOREPLACE), EEXIST);
  OK("noreplace_new", ren2("p", "p2", RENAME_NOREPLACE));
  ERR("exchange_missing", ren2("p2", "nope", RENAME_EXCHANGE), ENOENT);
  ERR("exchange_and_noreplace", ren2("p2", "q", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
  ERR("bad_flags", ren2("p2", "q", 0x80), EINVAL);
  ERR("noreplace_to_dot", ren2("p2", ".", RENAME_NOREPLACE), EEXIST);
  VAL("exchange_files", ren2("p2", "q", RENAME_EXCHANGE));
  OK("renameat_dirfd", renameat(open("cwd2", O_RDONLY | O_DIRECTORY), "here", AT_FDCWD, "here2"));
  SHOW("renameat_moved", "%s", get("here2"));
  ERR("renameat_bad_dirfd", renameat(1000, "x", AT_FDCWD, "y"), EBADF);
  FACT("sub_is_dir", is_dir("sub"));

  /* Other mounts: EXDEV, and EROFS inside the read-only one. */
  char p[PATH_MAX], p2[PATH_MAX];
  snprintf(p, sizeof p, "%s/x", fx);
  ERR("exdev_to_fixture", rename("q", p), EXDEV);
  snprintf(p, sizeof p, "%s/small.txt", fx);
  ERR("exdev_from_fixture", rename(p, "small"), EXDEV);
  snprintf(p2, sizeof p2, "%s/small2.txt", fx);
  ERR("erofs_in_fixture", rename(p, p2), EROFS);
  ERR("erofs_missing_in_fixture", rename(p2, p), EROFS);
  return compat_done();
}
