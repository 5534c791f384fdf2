/*
 * fcntl record locks as one process sees them: POSIX locks (owned by the
 * process's fd table: its own locks never conflict, any close of the file
 * drops them) and OFD locks (owned by the open file description: two opens
 * of one file conflict). The fixture is read-only, so only read locks can be
 * taken; conflicts are observed with F_GETLK/F_OFD_GETLK asking for a write
 * lock, which needs no write access. Lock pids are compared, never printed.
 */
#include "lib/compat.h"
#include <fcntl.h>

static struct flock fl(short type, short whence, long start, long len) {
  struct flock f;
  memset(&f, 0, sizeof f);
  f.l_type = type;
  f.l_whence = whence;
  f.l_start = start;
  f.l_len = len;
  return f;
}

/* F_GETLK (or F_OFD_GETLK) for a write lock on [start, start+len): "unlocked", or "type start len owner". */
static void probe(const char *key, int fd, int cmd, long start, long len) {
  struct flock f = fl(F_WRLCK, SEEK_SET, start, len);
  f.l_pid = 0;
  if (fcntl(fd, cmd, &f) != 0) { VAL(key, -1); return; }
  if (f.l_type == F_UNLCK) { SHOW(key, "unlocked"); return; }
  const char *who = f.l_pid == getpid() ? "self" : f.l_pid == -1 ? "ofd" : "other";
  SHOW(key, "%s %ld %ld %s", f.l_type == F_RDLCK ? "rd" : f.l_type == F_WRLCK ? "wr" : "?", (long)f.l_start, (long)f.l_len, who);
}

int main(void) {
  int a = open("locks.bin", O_RDONLY);
  int b = open("locks.bin", O_RDONLY);
  struct flock f;

  /* POSIX: the process's own locks are invisible to its own F_GETLK. */
  f = fl(F_RDLCK, SEEK_SET, 0, 100);
  EQ("posix_read_0_100", fcntl(a, F_SETLK, &f), 0);
  probe("posix_getlk_self", b, F_GETLK, 0, 10);
  /* ...but an OFD lock request on another description sees it (owner: this process). */
  probe("ofd_getlk_sees_posix", b, F_OFD_GETLK, 50, 10);
  probe("ofd_getlk_beyond", b, F_OFD_GETLK, 100, 10);

  /* Splitting and merging the process's range. */
  f = fl(F_UNLCK, SEEK_SET, 40, 20);
  EQ("posix_unlock_middle", fcntl(a, F_SETLK, &f), 0);
  probe("after_split_low", b, F_OFD_GETLK, 0, 100);
  probe("after_split_hole", b, F_OFD_GETLK, 40, 20);
  probe("after_split_high", b, F_OFD_GETLK, 60, 100);
  f = fl(F_RDLCK, SEEK_SET, 40, 20);
  EQ("posix_fill_hole", fcntl(a, F_SETLK, &f), 0);
  probe("after_merge", b, F_OFD_GETLK, 0, 1000);

  /* Ranges: SEEK_CUR and SEEK_END, negative lengths, to end of file. */
  lseek(a, 5000, SEEK_SET);
  f = fl(F_RDLCK, SEEK_CUR, 10, 5);
  EQ("posix_seek_cur", fcntl(a, F_SETLK, &f), 0);
  probe("seek_cur_range", b, F_OFD_GETLK, 5000, 100);
  f = fl(F_RDLCK, SEEK_END, -100, 0);
  EQ("posix_seek_end_to_eof", fcntl(a, F_SETLK, &f), 0);
  probe("seek_end_range", b, F_OFD_GETLK, 9000, 2000);
  f = fl(F_RDLCK, SEEK_SET, 3000, -10);
  EQ("posix_negative_len", fcntl(a, F_SETLK, &f), 0);
  probe("negative_len_range", b, F_OFD_GETLK, 2900, 200);
  f = fl(F_RDLCK, SEEK_SET, 5, -10);
  ERR("negative_len_before_0", fcntl(a, F_SETLK, &f), EINVAL);
  f = fl(F_RDLCK, SEEK_SET, -1, 1);
  ERR("negative_start", fcntl(a, F_SETLK, &f), EINVAL);
  f = fl(F_RDLCK, 7, 0, 1);
  ERR("bad_whence", fcntl(a, F_SETLK, &f), EINVAL);
  f = fl(F_RDLCK, SEEK_SET, 0x7fffffffffffff00L, 0x1000);
  ERR("range_overflow", fcntl(a, F_SETLK, &f), EOVERFLOW);
  f = fl(F_UNLCK, SEEK_SET, 0, 0);
  ERR("getlk_unlck", fcntl(a, F_GETLK, &f), EINVAL);

  /* Closing any fd of the file drops the process's POSIX locks, even a dup. */
  int d = dup(b);
  EQ("close_other_fd", close(d), 0);
  probe("after_close_of_other_fd", b, F_OFD_GETLK, 0, 0);

  /* OFD locks: owned by the description, they conflict across two opens. */
  f = fl(F_RDLCK, SEEK_SET, 0, 10);
  f.l_pid = 0;
  EQ("ofd_read_on_a", fcntl(a, F_OFD_SETLK, &f), 0);
  probe("ofd_seen_from_b", b, F_OFD_GETLK, 0, 10);
  probe("ofd_seen_by_posix", b, F_GETLK, 0, 10);
  probe("ofd_own_invisible", a, F_OFD_GETLK, 0, 10);
  f = fl(F_RDLCK, SEEK_SET, 0, 10);
  f.l_pid = 0;
  EQ("ofd_read_on_b_shares", fcntl(b, F_OFD_SETLK, &f), 0);
  /* A dup shares the description, and so the lock: it sees only b's; closing the dup keeps a's. */
  int a2 = dup(a);
  probe("ofd_dup_sees_only_b", a2, F_OFD_GETLK, 0, 10);
  EQ("close_dup_of_a", close(a2), 0);
  probe("ofd_survives_dup_close", b, F_OFD_GETLK, 0, 5);
  /* Closing the last fd of the description drops it. */
  f = fl(F_UNLCK, SEEK_SET, 0, 0);
  f.l_pid = 0;
  EQ("ofd_unlock_b", fcntl(b, F_OFD_SETLK, &f), 0);
  EQ("close_a", close(a), 0);
  probe("ofd_gone_with_description", b, F_OFD_GETLK, 0, 10);

  /* Errors. */
  int c = open("locks.bin", O_RDONLY);
  f = fl(F_WRLCK, SEEK_SET, 0, 10);
  ERR("write_lock_rdonly_fd", fcntl(c, F_SETLK, &f), EBADF);
  ERR("write_lock_rdonly_fd_wait", fcntl(c, F_SETLKW, &f), EBADF);
  f = fl(F_RDLCK, SEEK_SET, 0, 10);
  f.l_pid = 1;
  ERR("ofd_pid_not_0", fcntl(c, F_OFD_SETLK, &f), EINVAL);
  ERR("ofd_getlk_pid_not_0", fcntl(c, F_OFD_GETLK, &f), EINVAL);
  ERR("setlk_efault", fcntl(c, F_SETLK, BAD_PTR), EFAULT);
  ERR("getlk_efault", fcntl(c, F_GETLK, BAD_PTR), EFAULT);
  f = fl(F_RDLCK, SEEK_SET, 0, 10);
  EQ("setlkw_uncontended", fcntl(c, F_SETLKW, &f), 0);
  int pfd = open("locks.bin", O_PATH);
  ERR("setlk_opath", fcntl(pfd, F_SETLK, &f), EBADF);
  /* A directory can be read-locked. */
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  EQ("dir_read_lock", fcntl(dfd, F_SETLK, &f), 0);
  return compat_done();
}
