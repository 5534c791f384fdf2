/*
 * compat: writable-dir
 *
 * inotify in a writable directory (argv[2]): inotify_init and
 * inotify_init1's flags, inotify_add_watch's flags and errors, the events
 * changes, opens, reads, writes and closes make (with names for a
 * directory's children, moves' cookies, IN_ISDIR), IN_IGNORED after
 * rm_watch, IN_ONESHOT and a removed inode, coalescing, FIONREAD, a read
 * too small for the first event, and readiness for poll and epoll.
 * IN_Q_OVERFLOW takes 16384 events, too slow to make through the Gofer
 * here: sentry/fsimpl/events/inotify.test.ts tests it.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NOBODY 65534

static int wds[8];
static int nwds;

/* A watch's name in the output: its index in wds, so that wd values themselves do not matter. */
static int wd_name(int wd) {
  for (int i = 0; i < nwds; i++) if (wds[i] == wd) return i;
  return wd == -1 ? -1 : 99;
}

static const char *const bit_names[] = {
  "ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE", "OPEN", "MOVED_FROM", "MOVED_TO",
  "CREATE", "DELETE", "DELETE_SELF", "MOVE_SELF", "?", "UNMOUNT", "Q_OVERFLOW", "IGNORED",
};

static void mask_text(char *out, size_t n, uint32_t mask) {
  out[0] = 0;
  for (int b = 0; b < 16; b++) if (mask & (1u << b)) { strncat(out, bit_names[b], n - strlen(out) - 1); strncat(out, "|", n - strlen(out) - 1); }
  if (mask & IN_ISDIR) strncat(out, "ISDIR|", n - strlen(out) - 1);
  size_t l = strlen(out);
  if (l > 0) out[l - 1] = 0;
}

static uint32_t last_cookie;

/*
 * Every queued event (the fd is nonblocking) as "w0:CREATE:name:len" items;
 * a nonzero cookie shows as "c" (or "c=" when it equals the previous
 * one), never its value.
 */
static const char *events(int ifd) {
  static char text[4096];
  char buf[4096] __attribute__((aligned(8)));
  text[0] = 0;
  for (int rounds = 0; rounds < 16; rounds++) {
    ssize_t n = read(ifd, buf, sizeof buf);
    if (n < 0) { if (errno != EAGAIN) snprintf(text + strlen(text), sizeof text - strlen(text), "error %s", ename(errno)); break; }
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      char m[200];
      mask_text(m, sizeof m, e->mask);
      const char *cookie = "";
      if (e->cookie != 0) { cookie = e->cookie == last_cookie ? ":c=" : ":c"; last_cookie = e->cookie; }
      snprintf(text + strlen(text), sizeof text - strlen(text), "%sw%d:%s%s%s%s:%u", text[0] ? " " : "",
               wd_name(e->wd), m, cookie, e->len ? ":" : "", e->len ? e->name : "", e->len);
      p += sizeof *e + e->len;
    }
  }
  return text[0] ? text : "none";
}

static int add(int ifd, const char *path, uint32_t mask) {
  int wd = inotify_add_watch(ifd, path, mask);
  if (wd >= 0 && wd_name(wd) == 99 && nwds < 8) wds[nwds++] = wd;
  return wd;
}

static void touch(const char *p) { int fd = open(p, O_WRONLY | O_CREAT, 0644); if (fd >= 0) close(fd); }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: inotify FIXTURE WRITABLE-DIR\n"); return 2; }
  const char *rw = argv[2];
  umask(022);
  OK("chdir_rw", chdir(rw));
  OK("mkdir_d", mkdir("d", 0755));
  touch("d/f");

  /* inotify_init1's flags. */
  ERR("init1_bad_flags", syscall(SYS_inotify_init1, 1), EINVAL);
  ERR("init1_bad_flags_high", syscall(SYS_inotify_init1, IN_NONBLOCK | 0x100000), EINVAL);
  int plain = syscall(SYS_inotify_init);
  ABOUT("inotify_init");
  EQ("init_fd", plain, 3);
  EQ("init_flags", fcntl(plain, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
  EQ("init_fd_flags", fcntl(plain, F_GETFD), 0);
  int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ABOUT("inotify_init1");
  EQ("init1_fd", ifd, 4);
  EQ("init1_nonblock", fcntl(ifd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
  EQ("init1_cloexec", fcntl(ifd, F_GETFD), FD_CLOEXEC);
  char small[64];
  ERR("read_empty_eagain", read(ifd, small, sizeof small), EAGAIN);

  /* inotify_add_watch's errors. */
  ERR("add_zero_mask", inotify_add_watch(ifd, "d", 0), EINVAL);
  ERR("add_unknown_bits", inotify_add_watch(ifd, "d", 0x00010000), EINVAL);
  ERR("add_bad_fd", inotify_add_watch(1000, "d", IN_ALL_EVENTS), EBADF);
  ERR("add_not_inotify", inotify_add_watch(0, "d", IN_ALL_EVENTS), EINVAL);
  ERR("add_mask_add_and_create", inotify_add_watch(ifd, "d", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
  ERR("add_missing", inotify_add_watch(ifd, "nope", IN_ALL_EVENTS), ENOENT);
  ERR("add_bad_path", syscall(SYS_inotify_add_watch, ifd, BAD_PTR, IN_ALL_EVENTS), EFAULT);
  ERR("add_onlydir_file", inotify_add_watch(ifd, "d/f", IN_ALL_EVENTS | IN_ONLYDIR), ENOTDIR);
  ERR("rm_bad_fd", inotify_rm_watch(1000, 1), EBADF);
  ERR("rm_not_inotify", inotify_rm_watch(0, 1), EINVAL);
  ERR("rm_unknown_wd", inotify_rm_watch(ifd, 12345), EINVAL);

  /* The same inode gives the same wd; IN_MASK_CREATE refuses it; IN_MASK_ADD extends the mask. */
  ABOUT("inotify_add_watch");
  /* Linux takes a mask of flags alone (no event): a watch that reports nothing. */
  int wd_dir = add(ifd, "d", IN_ONLYDIR);
  FACT("add_flags_only", wd_dir > 0);
  EQ("add_replaces_mask", inotify_add_watch(ifd, "d", IN_CREATE), wd_dir);
  EQ("add_same_inode_same_wd", inotify_add_watch(ifd, "d/", IN_DELETE), wd_dir);
  EQ("add_dot_path_same_wd", inotify_add_watch(ifd, "d/.", IN_DELETE), wd_dir);
  ERR("add_mask_create_exists", inotify_add_watch(ifd, "d", IN_CREATE | IN_MASK_CREATE), EEXIST);
  touch("d/made");
  SHOW("replaced_mask_no_create", "%s", events(ifd));
  EQ("add_mask_add", inotify_add_watch(ifd, "d", IN_ALL_EVENTS | IN_MASK_ADD), wd_dir);
  OK("symlink_dl", symlink("d", "dl"));
  ERR("add_dont_follow_onlydir", inotify_add_watch(ifd, "dl", IN_ALL_EVENTS | IN_DONT_FOLLOW | IN_ONLYDIR), ENOTDIR);
  EQ("add_through_symlink", inotify_add_watch(ifd, "dl", IN_ALL_EVENTS | IN_MASK_ADD), wd_dir);
  int wd_link = add(ifd, "dl", IN_ATTRIB | IN_DONT_FOLLOW);
  FACT("add_dont_follow_new_wd", wd_link > 0 && wd_link != wd_dir);
  OK("rm_link_watch", inotify_rm_watch(ifd, wd_link));
  SHOW("rm_watch_ignored", "%s", events(ifd));
  ERR("rm_twice", inotify_rm_watch(ifd, wd_link), EINVAL);

  /* A directory's children: names padded to 16, opens, reads, writes, closes. */
  ABOUT("inotify_init1");
  int wd_file = add(ifd, "d/f", IN_ALL_EVENTS);
  int fd = open("d/f", O_RDWR);
  char buf[16];
  EQ("write_f", write(fd, "hello", 5), 5);
  EQ("pread_f", pread(fd, buf, sizeof buf, 0), 5);
  EQ("read_eof", read(fd, buf, sizeof buf), 0);
  OK("close_f", close(fd));
  SHOW("file_events", "%s", events(ifd));
  fd = open("d/f", O_RDONLY);
  close(fd);
  SHOW("readonly_open_close", "%s", events(ifd));
  int pfd = open("d/f", O_PATH);
  close(pfd);
  SHOW("opath_no_events", "%s", events(ifd));
  fd = open("d/f", O_WRONLY | O_TRUNC);
  close(fd);
  SHOW("trunc_open", "%s", events(ifd));
  touch("d/a_name_of_exactly_16");
  touch("d/n15_characters");
  SHOW("create_names_padded", "%s", events(ifd));

  /* Attributes. */
  OK("chmod_f", chmod("d/f", 0600));
  OK("chown_f", chown("d/f", 0, 0));
  OK("chown_none", chown("d/f", -1, -1));
  OK("truncate_f", truncate("d/f", 2));
  SHOW("attr_events", "%s", events(ifd));
  struct timespec both[2] = { { 1, 0 }, { 2, 0 } };
  struct timespec only_m[2] = { { 0, UTIME_OMIT }, { 3, 0 } };
  struct timespec only_a[2] = { { 4, 0 }, { 0, UTIME_OMIT } };
  OK("utimensat_both", utimensat(AT_FDCWD, "d/f", both, 0));
  OK("utimensat_mtime", utimensat(AT_FDCWD, "d/f", only_m, 0));
  OK("utimensat_atime", utimensat(AT_FDCWD, "d/f", only_a, 0));
  SHOW("utime_events", "%s", events(ifd));
  fd = open("d/f", O_RDWR);
  OK("ftruncate_f", ftruncate(fd, 1));
  OK("fchmod_f", fchmod(fd, 0644));
  close(fd);
  SHOW("fd_attr_events", "%s", events(ifd));

  /* Directories: IN_ISDIR, listing is an access. */
  OK("mkdir_sub", mkdir("d/sub", 0755));
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  char dents[4096];
  FACT("getdents_some", syscall(SYS_getdents64, dfd, dents, sizeof dents) > 0);
  close(dfd);
  SHOW("dir_events", "%s", events(ifd));
  OK("chmod_watched_dir", chmod("d", 0750));
  OK("chmod_watched_dir_back", chmod("d", 0755));
  SHOW("dir_self_attrib", "%s", events(ifd));

  /* Moves: one cookie for the pair, IN_MOVE_SELF on the moved file. */
  OK("mkdir_e", mkdir("e", 0755));
  int wd_e = add(ifd, "e", IN_ALL_EVENTS);
  FACT("wd_e_positive", wd_e > 0);
  OK("rename_within", rename("d/made", "d/made2"));
  SHOW("rename_within_events", "%s", events(ifd));
  OK("rename_across", rename("d/f", "e/f"));
  SHOW("rename_across_events", "%s", events(ifd));
  OK("rename_dir", rename("d/sub", "e/sub"));
  SHOW("rename_dir_events", "%s", events(ifd));
  touch("e/victim");
  events(ifd);
  OK("rename_replace", rename("e/f", "e/victim"));
  SHOW("rename_replace_events", "%s", events(ifd));

  /* Removal: IN_DELETE for the directory, IN_ATTRIB, IN_DELETE_SELF and IN_IGNORED for the file. */
  int wd_victim = add(ifd, "e/victim", IN_ALL_EVENTS);
  FACT("victim_wd_is_files", wd_victim == wd_file);
  OK("unlink_victim", unlink("e/victim"));
  SHOW("unlink_events", "%s", events(ifd));
  touch("e/open");
  int wd_open = add(ifd, "e/open", IN_ALL_EVENTS);
  FACT("open_wd_positive", wd_open > 0);
  fd = open("e/open", O_RDONLY);
  events(ifd);
  OK("unlink_open", unlink("e/open"));
  SHOW("unlink_open_events", "%s", events(ifd));
  close(fd);
  SHOW("close_unlinked_events", "%s", events(ifd));
  touch("e/linked");
  OK("link_linked", link("e/linked", "e/linked2"));
  int wd_linked = add(ifd, "e/linked", IN_ALL_EVENTS);
  FACT("linked_wd_positive", wd_linked > 0);
  OK("unlink_one_link", unlink("e/linked"));
  SHOW("unlink_one_link_events", "%s", events(ifd));
  OK("unlink_last_link", unlink("e/linked2"));
  SHOW("unlink_last_link_events", "%s", events(ifd));
  OK("rmdir_sub", rmdir("e/sub"));
  SHOW("rmdir_child_events", "%s", events(ifd));
  OK("rename_e", rename("e", "e2"));
  SHOW("rename_watched_dir", "%s", events(ifd));
  OK("unlink_e2_f", unlink("e2/f") == 0 || errno == ENOENT ? 0 : -1);
  events(ifd);
  OK("rmdir_e2", rmdir("e2"));
  SHOW("rmdir_watched_dir", "%s", events(ifd));

  /* IN_ONESHOT ends after one event; IN_EXCL_UNLINK hides unlinked children. */
  ABOUT("inotify_add_watch");
  touch("d/one");
  int wd_one = add(ifd, "d/one", IN_ATTRIB | IN_ONESHOT);
  OK("chmod_one", chmod("d/one", 0600));
  OK("chmod_one_again", chmod("d/one", 0644));
  SHOW("oneshot_events", "%s", events(ifd));
  ERR("oneshot_gone", inotify_rm_watch(ifd, wd_one), EINVAL);
  int wd_x = add(ifd, "d", IN_ACCESS | IN_MODIFY | IN_EXCL_UNLINK);
  EQ("excl_unlink_same_wd", wd_x, wd_dir);
  fd = open("d/one", O_RDWR);
  EQ("write_linked", write(fd, "x", 1), 1);
  OK("unlink_one", unlink("d/one"));
  EQ("write_unlinked", write(fd, "x", 1), 1);
  close(fd);
  SHOW("excl_unlink_events", "%s", events(ifd));
  OK("restore_dir_mask", inotify_add_watch(ifd, "d", IN_ALL_EVENTS) == wd_dir ? 0 : -1);

  /* Coalescing: identical consecutive events become one; FIONREAD counts queued bytes. */
  ABOUT("inotify_init1");
  fd = open("d/made2", O_WRONLY);
  for (int i = 0; i < 5; i++) write(fd, "x", 1);
  int queued = -1;
  OK("fionread", ioctl(ifd, FIONREAD, &queued));
  EQ("fionread_bytes", queued, 2 * (16 + 16));
  close(fd);
  OK("fionread_after_close", ioctl(ifd, FIONREAD, &queued));
  EQ("fionread_bytes_after_close", queued, 3 * (16 + 16));
  SHOW("coalesced_events", "%s", events(ifd));
  OK("fionread_empty", ioctl(ifd, FIONREAD, &queued));
  EQ("fionread_zero", queued, 0);

  /* A read smaller than the first event is EINVAL and loses nothing; a read takes only whole events. */
  ABOUT("read");
  touch("d/q");
  ERR("read_too_small", read(ifd, small, 16 + 1), EINVAL);
  ERR("read_zero", read(ifd, small, 0), EINVAL);
  EQ("read_one_event", read(ifd, small, 40), 32);
  SHOW("read_rest", "%s", events(ifd));

  /* Readiness: poll and epoll. */
  ABOUT("poll");
  struct pollfd p = { .fd = ifd, .events = POLLIN | POLLOUT };
  EQ("poll_empty", poll(&p, 1, 0), 0);
  OK("chmod_q", chmod("d/q", 0600));
  EQ("poll_ready", poll(&p, 1, 0), 1);
  SHOW("poll_revents", "%#x", p.revents);
  ABOUT("epoll_wait");
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN }, out;
  OK("epoll_add", epoll_ctl(ep, EPOLL_CTL_ADD, ifd, &ev));
  EQ("epoll_ready", epoll_wait(ep, &out, 1, 0), 1);
  SHOW("epoll_events", "%#x", out.events);
  events(ifd);
  EQ("epoll_drained", epoll_wait(ep, &out, 1, 0), 0);
  close(ep);

  /* A blocking read waits for a child's change. */
  ABOUT("read");
  int wd_plain = add(plain, "d", IN_CREATE);
  FACT("plain_wd_positive", wd_plain > 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) { usleep(50000); touch("d/late"); _exit(0); }
  char big[256] __attribute__((aligned(8)));
  ssize_t got = read(plain, big, sizeof big);
  EQ("blocking_read", got, 32);
  SHOW("blocking_read_name", "%s", got > 0 ? ((struct inotify_event *)big)->name : "");
  waitpid(child, NULL, 0);

  /* Read permission is needed (as nobody). */
  ABOUT("inotify_add_watch");
  touch("secret");
  OK("chmod_secret", chmod("secret", 0600));
  fflush(stdout);
  child = fork();
  if (child == 0) {
    if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) { perror("drop"); _exit(3); }
    ERR("add_no_read_permission", inotify_add_watch(ifd, "secret", IN_ALL_EVENTS), EACCES);
    fflush(stdout);
    _exit(0);
  }
  int status = -1;
  waitpid(child, &status, 0);
  EQ("nobody_status", status, 0);

  /* Closing the instance drops its watches. */
  OK("close_plain", close(plain));
  OK("close_ifd", close(ifd));
  return compat_done();
}
