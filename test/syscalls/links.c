/*
 * compat: writable-dir
 *
 * link, linkat, symlink, symlinkat and FIFOs made with mkfifo, in a
 * writable directory (argv[2]): link counts, links that share data,
 * AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, links to directories, symlink
 * targets kept byte for byte, EXDEV and EROFS against the read-only
 * fixture (argv[1]), and a FIFO's open rules between two processes.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

static long nlink_of(const char *p) { struct stat st; return lstat(p, &st) == 0 ? (long)st.st_nlink : -1; }

static int same_inode(const char *a, const char *b) {
  struct stat x, y;
  return lstat(a, &x) == 0 && lstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: links FIXTURE WRITABLE-DIR\n"); return 2; }
  const char *fx = argv[1], *rw = argv[2];
  umask(022);
  OK("chdir_rw", chdir(rw));
  char p[PATH_MAX];

  /* Hard links. */
  int fd = open("f", O_WRONLY | O_CREAT, 0644);
  EQ("write_f", write(fd, "one", 3), 3);
  close(fd);
  OK("link", link("f", "g"));
  EQ("nlink_2", nlink_of("f"), 2);
  FACT("link_same_inode", same_inode("f", "g"));
  fd = open("g", O_WRONLY | O_APPEND);
  EQ("append_through_link", write(fd, "two", 3), 3);
  close(fd);
  struct stat st;
  OK("stat_f", stat("f", &st));
  EQ("size_seen_through_other_name", st.st_size, 6);
  ERR("link_exists", link("f", "g"), EEXIST);
  ERR("link_missing", link("nope", "h"), ENOENT);
  ERR("link_trailing_slash", link("f", "h/"), ENOENT);
  OK("mkdir_d", mkdir("d", 0755));
  ERR("link_dir", link("d", "d2"), EPERM);
  OK("unlink_g", unlink("g"));
  EQ("nlink_back_to_1", nlink_of("f"), 1);

  /* Symlinks. */
  OK("symlink", symlink("f", "s"));
  char buf[PATH_MAX];
  ssize_t n = readlink("s", buf, sizeof buf);
  EQ("readlink_len", n, 1);
  OK("symlink_dangling", symlink("nowhere/x", "dangling"));
  ERR("symlink_exists", symlink("f", "s"), EEXIST);
  ERR("symlink_empty_target", symlink("", "e"), ENOENT);
  ERR("symlink_trailing_slash", symlink("f", "t/"), ENOENT);
  ERR("symlink_missing_dir", symlink("f", "nope/t"), ENOENT);
  const char weird[] = "caf\xc3\xa9/\xff\x01 x";
  OK("symlink_bytes", symlink(weird, "weird"));
  n = readlink("weird", buf, sizeof buf);
  FACT("symlink_bytes_kept", n == (ssize_t)strlen(weird) && memcmp(buf, weird, n) == 0);
  OK("lstat_symlink", lstat("s", &st));
  SHOW("symlink_mode", "%#o", st.st_mode);
  EQ("symlink_size", st.st_size, 1);
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  OK("symlinkat", symlinkat("../f", dfd, "up"));
  EQ("symlinkat_resolves", access("d/up", R_OK), 0);
  char longt[PATH_MAX + 2];
  memset(longt, 'x', sizeof longt);
  longt[PATH_MAX] = '\0';
  ERR("symlink_target_too_long", symlink(longt, "long"), ENAMETOOLONG);

  /* linkat: symlinks themselves, or what they point to. */
  OK("linkat_symlink_itself", linkat(AT_FDCWD, "s", AT_FDCWD, "s-hard", 0));
  FACT("linkat_nofollow_is_link", lstat("s-hard", &st) == 0 && S_ISLNK(st.st_mode));
  OK("linkat_follow", linkat(AT_FDCWD, "s", AT_FDCWD, "f-hard", AT_SYMLINK_FOLLOW));
  FACT("linkat_follow_is_file", same_inode("f", "f-hard"));
  ERR("linkat_follow_dangling", linkat(AT_FDCWD, "dangling", AT_FDCWD, "x", AT_SYMLINK_FOLLOW), ENOENT);
  ERR("linkat_bad_flags", linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x1), EINVAL);
  fd = open("f", O_RDONLY);
  OK("linkat_empty_path", linkat(fd, "", AT_FDCWD, "f-fd", AT_EMPTY_PATH));
  FACT("linkat_empty_path_same", same_inode("f", "f-fd"));
  ERR("linkat_empty_without_flag", linkat(fd, "", AT_FDCWD, "f-fd2", 0), ENOENT);
  close(fd);
  EQ("nlink_after_linkats", nlink_of("f"), 3);
  OK("linkat_dirfds", linkat(dfd, "up", dfd, "up2", 0));

  /* Other mounts. */
  snprintf(p, sizeof p, "%s/small.txt", fx);
  ERR("link_exdev_from_fixture", link(p, "small"), EXDEV);
  snprintf(p, sizeof p, "%s/newlink", fx);
  ERR("link_erofs", link("f", p), EROFS);
  ERR("symlink_erofs", symlink("f", p), EROFS);
  snprintf(p, sizeof p, "%s/small.txt", fx);
  ERR("symlink_erofs_exists", symlink("f", p), EEXIST);

  /* A FIFO: a blocking reader waits for a writer in another process. */
  OK("mkfifo", mkfifo("fifo", 0600));
  ERR("fifo_write_nonblock_no_reader", open("fifo", O_WRONLY | O_NONBLOCK), ENXIO);
  int r = open("fifo", O_RDONLY | O_NONBLOCK);
  OK("fifo_read_nonblock", r);
  EQ("fifo_read_no_writer_eof", read(r, buf, 1), 0);
  close(r);
  pid_t child = fork();
  if (child == 0) {
    int w = open("fifo", O_WRONLY);
    if (w < 0 || write(w, "through the fifo", 16) != 16) _exit(1);
    close(w);
    _exit(0);
  }
  r = open("fifo", O_RDONLY);
  OK("fifo_blocking_open", r);
  memset(buf, 0, sizeof buf);
  size_t got = 0;
  while (got < 16) { n = read(r, buf + got, 16 - got); if (n <= 0) break; got += n; }
  SHOW("fifo_data", "%s", buf);
  EQ("fifo_eof_after_writer", read(r, buf, 1), 0);
  close(r);
  int status = 0;
  waitpid(child, &status, 0);
  EQ("fifo_writer_status", status, 0);
  OK("fifo_rdwr_never_waits", open("fifo", O_RDWR));
  OK("stat_fifo", stat("fifo", &st));
  FACT("fifo_is_fifo", S_ISFIFO(st.st_mode));
  return compat_done();
}
