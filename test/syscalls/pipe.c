/*
 * pipe and pipe2: flags, EOF when the last writer closes, EPIPE and
 * SIGPIPE when the last reader has, O_NONBLOCK EAGAIN on both ends,
 * PIPE_BUF atomicity against concurrent writers, F_GETPIPE_SZ and
 * F_SETPIPE_SZ, FIONREAD, partial reads, zero-length reads and writes,
 * and the errors of both calls.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile int sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static int flags_of(int fd) { return (int)syscall(SYS_fcntl, fd, F_GETFL); }

int main(void) {
  int p[2], q[2];
  char buf[65536];

  /* ---- pipe, pipe2 and their flags ---- */
  EQ("pipe", syscall(SYS_pipe, p), 0);
  FACT("pipe_fds_lowest", p[0] == 3 && p[1] == 4);
  EQ("pipe_read_end_flags", flags_of(p[0]) & O_ACCMODE, O_RDONLY);
  EQ("pipe_write_end_flags", flags_of(p[1]) & O_ACCMODE, O_WRONLY);
  EQ("pipe_no_cloexec", syscall(SYS_fcntl, p[0], F_GETFD), 0);
  struct stat st;
  fstat(p[0], &st);
  FACT("pipe_is_fifo", S_ISFIFO(st.st_mode));
  SHOW("pipe_mode_perms", "%o", st.st_mode & 0777);
  struct stat st2;
  fstat(p[1], &st2);
  FACT("pipe_ends_same_inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
  EQ("pipe2_cloexec", syscall(SYS_pipe2, q, O_CLOEXEC), 0);
  EQ("pipe2_cloexec_set", syscall(SYS_fcntl, q[0], F_GETFD), FD_CLOEXEC);
  close(q[0]); close(q[1]);
  EQ("pipe2_nonblock", syscall(SYS_pipe2, q, O_NONBLOCK), 0);
  FACT("pipe2_nonblock_both_ends", (flags_of(q[0]) & O_NONBLOCK) && (flags_of(q[1]) & O_NONBLOCK));
  close(q[0]); close(q[1]);
  ERR("pipe2_bad_flags", syscall(SYS_pipe2, q, O_RDWR), EINVAL);
  ERR("pipe2_bad_flag_bit", syscall(SYS_pipe2, q, 0x1000000), EINVAL);
  ERR("pipe_efault", syscall(SYS_pipe, BAD_PTR), EFAULT);
  ERR("pipe2_efault", syscall(SYS_pipe2, BAD_PTR, 0), EFAULT);
  ERR("pipe_readonly_buffer", syscall(SYS_pipe, (void *)"constant"), EFAULT);

  /* ---- reading and writing ---- */
  EQ("write_hello", syscall(SYS_write, p[1], "hello", 5), 5);
  int avail = -1;
  EQ("fionread", syscall(SYS_ioctl, p[0], FIONREAD, &avail), 0);
  EQ("fionread_value", avail, 5);
  EQ("read_partial", syscall(SYS_read, p[0], buf, 2), 2);
  EQ("read_rest_short", syscall(SYS_read, p[0], buf, sizeof buf), 3);
  FACT("read_rest_bytes", memcmp(buf, "llo", 3) == 0);
  EQ("write_zero", syscall(SYS_write, p[1], buf, 0), 0);
  EQ("read_zero_len_empty_pipe", syscall(SYS_read, p[0], buf, 0), 0);
  ERR("read_write_end", syscall(SYS_read, p[1], buf, 1), EBADF);
  ERR("write_read_end", syscall(SYS_write, p[0], "x", 1), EBADF);
  ERR("lseek_pipe", syscall(SYS_lseek, p[0], 0, SEEK_SET), ESPIPE);
  ERR("pread_pipe", syscall(SYS_pread64, p[0], buf, 1, 0), ESPIPE);
  ERR("pwrite_pipe", syscall(SYS_pwrite64, p[1], "x", 1, 0), ESPIPE);
  syscall(SYS_write, p[1], "x", 1);
  ERR("read_efault", syscall(SYS_read, p[0], BAD_PTR, 1), EFAULT);
  /* Nonblocking, so that a sandbox that lost the byte answers EAGAIN instead of hanging. */
  syscall(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK);
  EQ("byte_kept_after_efault", syscall(SYS_read, p[0], buf, 1), 1);
  syscall(SYS_fcntl, p[0], F_SETFL, 0);
  ERR("write_efault", syscall(SYS_write, p[1], BAD_PTR, 1), EFAULT);
  struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
  EQ("writev", syscall(SYS_writev, p[1], iov, 2), 5);
  char r1[3], r2[3];
  struct iovec riov[2] = {{r1, 3}, {r2, 3}};
  EQ("readv", syscall(SYS_readv, p[0], riov, 2), 5);
  FACT("readv_bytes", memcmp(r1, "abc", 3) == 0 && memcmp(r2, "de", 2) == 0);

  /* ---- O_NONBLOCK: EAGAIN on an empty pipe and on a full one ---- */
  ABOUT("read");
  EQ("setfl_nonblock", syscall(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK), 0);
  ERR("read_empty_nonblock", syscall(SYS_read, p[0], buf, 1), EAGAIN);
  syscall(SYS_fcntl, p[1], F_SETFL, O_NONBLOCK);
  long cap = syscall(SYS_fcntl, p[1], F_GETPIPE_SZ);
  EQ("default_pipe_size", cap, 65536);
  long total = 0, r;
  memset(buf, 'z', sizeof buf);
  for (int i = 0; i < 64 && (r = syscall(SYS_write, p[1], buf, 4096)) > 0; i++) total += r;
  EQ("fill_to_capacity", total, 65536);
  ERR("write_full_nonblock", syscall(SYS_write, p[1], buf, 1), EAGAIN);
  avail = 0;
  ioctl(p[0], FIONREAD, &avail);
  EQ("fionread_full", avail, 65536);
  /* A write larger than PIPE_BUF into a partly free pipe is partial when nonblocking. */
  EQ("read_one_page", syscall(SYS_read, p[0], buf, 4096), 4096);
  EQ("partial_nonblocking_write", syscall(SYS_write, p[1], buf, 8192), 4096);
  ERR("write_full_again", syscall(SYS_write, p[1], buf, PIPE_BUF), EAGAIN);
  while (syscall(SYS_read, p[0], buf, sizeof buf) > 0) {}
  ERR("drained", syscall(SYS_read, p[0], buf, 1), EAGAIN);

  /* ---- F_SETPIPE_SZ ---- */
  ABOUT("fcntl");
  EQ("setpipe_sz_rounds_up", syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, 5000), 8192);
  EQ("getpipe_sz_after", syscall(SYS_fcntl, p[0], F_GETPIPE_SZ), 8192);
  EQ("write_two_pages_worth", syscall(SYS_write, p[1], buf, 4097), 4097);
  ERR("setpipe_sz_below_content", syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, 4096), EBUSY);
  while (syscall(SYS_read, p[0], buf, sizeof buf) > 0) {}
  EQ("setpipe_sz_min_page", syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, 1), 4096);
  ERR("setpipe_sz_too_big", syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, 0x80001000L), EINVAL);
  int fd = open("small.txt", O_RDONLY);
  ERR("getpipe_sz_not_pipe", syscall(SYS_fcntl, fd, F_GETPIPE_SZ), EBADF);
  close(fd);
  EQ("setpipe_sz_back", syscall(SYS_fcntl, p[1], F_SETPIPE_SZ, 65536), 65536);
  while (syscall(SYS_read, p[0], buf, sizeof buf) > 0) {}

  /* ---- EOF and EPIPE ---- */
  ABOUT("read");
  syscall(SYS_write, p[1], "tail", 4);
  close(p[1]);
  EQ("read_after_writer_closed_data_first", syscall(SYS_read, p[0], buf, sizeof buf), 4);
  EQ("read_eof", syscall(SYS_read, p[0], buf, sizeof buf), 0);
  EQ("read_eof_again", syscall(SYS_read, p[0], buf, sizeof buf), 0);
  close(p[0]);
  ABOUT("write");
  syscall(SYS_pipe2, p, 0);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  ERR("epipe_sigpipe_ignored", syscall(SYS_write, p[1], "x", 1), EPIPE);
  signal(SIGPIPE, on_sigpipe);
  ERR("epipe_with_handler", syscall(SYS_write, p[1], "x", 1), EPIPE);
  EQ("sigpipe_delivered", sigpipes, 1);
  EQ("epipe_zero_length_write", syscall(SYS_write, p[1], "x", 0), 0);
  signal(SIGPIPE, SIG_DFL);
  pid_t pid = fork();
  if (pid == 0) { syscall(SYS_write, p[1], "x", 1); _exit(0); }
  int ws;
  waitpid(pid, &ws, 0);
  FACT("sigpipe_default_kills", WIFSIGNALED(ws) && WTERMSIG(ws) == SIGPIPE);
  close(p[1]);

  /* ---- a blocked reader wakes on write, a blocked writer on read ---- */
  ABOUT("read");
  syscall(SYS_pipe2, p, 0);
  pid = fork();
  if (pid == 0) { usleep(20000); syscall(SYS_write, p[1], "late", 4); _exit(0); }
  EQ("blocking_read_waits_for_writer", syscall(SYS_read, p[0], buf, sizeof buf), 4);
  waitpid(pid, &ws, 0);
  ABOUT("write");
  pid = fork();
  if (pid == 0) {
    close(p[1]);
    usleep(20000);
    long got = 0, n;
    while ((n = syscall(SYS_read, p[0], buf, sizeof buf)) > 0) got += n;
    _exit(got == 100000 ? 0 : 1);
  }
  close(p[0]);
  static char big[100000];
  EQ("blocking_write_larger_than_pipe", syscall(SYS_write, p[1], big, sizeof big), 100000);
  close(p[1]);
  waitpid(pid, &ws, 0);
  EQ("reader_got_everything", WEXITSTATUS(ws), 0);

  /* ---- PIPE_BUF atomicity: four writers, records never interleave ---- */
  ABOUT("write");
  syscall(SYS_pipe2, p, 0);
  enum { WRITERS = 4, RECORDS = 200 };
  for (int w = 0; w < WRITERS; w++) {
    if (fork() == 0) {
      char rec[PIPE_BUF];
      memset(rec, 'A' + w, sizeof rec);
      for (int i = 0; i < RECORDS; i++) if (syscall(SYS_write, p[1], rec, sizeof rec) != sizeof rec) _exit(1);
      _exit(0);
    }
  }
  close(p[1]);
  long records = 0, torn = 0, got = 0, n;
  static char rec[PIPE_BUF];
  /* Read exactly record-sized pieces: an interleaved write would mix letters within one. */
  for (;;) {
    long have = 0;
    while (have < PIPE_BUF && (n = syscall(SYS_read, p[0], rec + have, PIPE_BUF - have)) > 0) have += n;
    if (have == 0) break;
    got += have;
    records++;
    for (int i = 1; i < have; i++) if (rec[i] != rec[0]) { torn++; break; }
  }
  while (wait(NULL) > 0) {}
  EQ("atomic_records", records, WRITERS * RECORDS);
  EQ("atomic_torn", torn, 0);
  EQ("atomic_bytes", got, (long)WRITERS * RECORDS * PIPE_BUF);
  close(p[0]);

  /* ---- a pipe through /proc/self/fd opens as a FIFO ---- */
  ABOUT("openat");
  syscall(SYS_pipe2, p, 0);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
  int w2;
  OK("reopen_write_end", w2 = open(path, O_WRONLY));
  syscall(SYS_write, w2, "via", 3);
  syscall(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK); /* a sandbox that failed the open answers EAGAIN, not a hang */
  EQ("read_via_reopened", syscall(SYS_read, p[0], buf, sizeof buf), 3);
  syscall(SYS_fcntl, p[0], F_SETFL, 0);
  close(w2);
  close(p[1]);
  EQ("eof_after_all_writers", syscall(SYS_read, p[0], buf, sizeof buf), 0);
  return compat_done();
}
