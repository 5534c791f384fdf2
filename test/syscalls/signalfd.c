/*
 * signalfd and signalfd4: creating with a mask (sizemask 8), reading queued
 * signals as signalfd_siginfo (signo, code, pid, uid, value for kill, tgkill
 * and rt_sigqueueinfo), several at once, EAGAIN when nonblocking, updating
 * the mask of an existing fd, flag and size errors, poll readiness.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static struct signalfd_siginfo si[2];
static long rd(int fd, size_t len) { memset(si, 0, sizeof si); return syscall(SYS_read, fd, si, len); }
static int readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return syscall(SYS_poll, &p, 1, 0) == 1 && p.revents == POLLIN;
}

int main(void) {
  sigset_t mask, usr2;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGRTMIN);
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigset_t both = mask;
  sigaddset(&both, SIGUSR2);
  sigprocmask(SIG_BLOCK, &both, NULL);
  long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid), uid = syscall(SYS_getuid);

  /* ---- signalfd ---- */
  ABOUT("signalfd");
  ERR("signalfd_bad_sizemask", syscall(SYS_signalfd, -1, &mask, 4), EINVAL);
  ERR("signalfd_mask_efault", syscall(SYS_signalfd, -1, BAD_PTR, 8), EFAULT);
  int fd = syscall(SYS_signalfd, -1, &mask, 8);
  FACT("signalfd_fd", fd >= 0);
  EQ("signalfd_flags", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
  EQ("signalfd_no_cloexec", fcntl(fd, F_GETFD), 0);
  FACT("signalfd_empty_not_readable", !readable(fd));
  fcntl(fd, F_SETFL, O_NONBLOCK);
  ERR("signalfd_read_empty_eagain", rd(fd, sizeof si[0]), EAGAIN);
  ABOUT("kill");
  EQ("kill_self", syscall(SYS_kill, pid, SIGUSR1), 0);
  FACT("kill_readable", readable(fd));
  ABOUT("signalfd");
  EQ("read_kill", rd(fd, sizeof si[0]), (long)sizeof si[0]);
  EQ("kill_signo", si[0].ssi_signo, SIGUSR1);
  EQ("kill_code_si_user", si[0].ssi_code, SI_USER);
  FACT("kill_pid_is_sender", si[0].ssi_pid == (unsigned)pid);
  FACT("kill_uid_is_sender", si[0].ssi_uid == (unsigned)uid);
  ERR("read_consumed_eagain", rd(fd, sizeof si[0]), EAGAIN);
  FACT("not_readable_after_read", !readable(fd));
  ABOUT("tgkill");
  EQ("tgkill_self", syscall(SYS_tgkill, pid, tid, SIGUSR1), 0);
  ABOUT("signalfd");
  EQ("read_tgkill", rd(fd, sizeof si[0]), (long)sizeof si[0]);
  EQ("tgkill_signo", si[0].ssi_signo, SIGUSR1);
  EQ("tgkill_code_si_tkill", si[0].ssi_code, SI_TKILL);
  FACT("tgkill_pid_is_sender", si[0].ssi_pid == (unsigned)pid);
  /* A queued real-time signal carries its value. */
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGRTMIN;
  info.si_code = SI_QUEUE;
  info.si_pid = pid;
  info.si_uid = uid;
  info.si_value.sival_int = 1234;
  ABOUT("rt_sigqueueinfo");
  EQ("sigqueue_self", syscall(SYS_rt_sigqueueinfo, pid, SIGRTMIN, &info), 0);
  EQ("sigqueue_self_again", syscall(SYS_rt_sigqueueinfo, pid, SIGRTMIN, &info), 0);
  ABOUT("signalfd");
  EQ("read_sigqueue", rd(fd, sizeof si[0]), (long)sizeof si[0]);
  EQ("sigqueue_signo", si[0].ssi_signo, SIGRTMIN);
  FACT("sigqueue_code_si_queue", si[0].ssi_code == SI_QUEUE);
  EQ("sigqueue_int", si[0].ssi_int, 1234);
  EQ("rt_signals_queue_both", rd(fd, sizeof si[0]), (long)sizeof si[0]);
  /* Two pending signals, one read of two records. */
  syscall(SYS_kill, pid, SIGUSR1);
  syscall(SYS_rt_sigqueueinfo, pid, SIGRTMIN, &info);
  EQ("read_two_at_once", rd(fd, sizeof si), (long)sizeof si);
  FACT("read_two_signos", si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == (unsigned)SIGRTMIN);
  ERR("read_short_buffer", syscall(SYS_read, fd, si, sizeof si[0] - 1), EINVAL);
  syscall(SYS_kill, pid, SIGUSR1);
  ERR("read_efault", syscall(SYS_read, fd, BAD_PTR, sizeof si[0]), EFAULT);
  ABOUT("rt_sigpending");
  sigset_t pend;
  sigemptyset(&pend);
  syscall(SYS_rt_sigpending, &pend, 8);
  VAL("pending_after_read_efault", sigismember(&pend, SIGUSR1));
  /* A signal outside the mask is not read. */
  ABOUT("signalfd");
  syscall(SYS_kill, pid, SIGUSR2);
  FACT("other_signal_not_readable", !readable(fd));
  ERR("other_signal_not_read", rd(fd, sizeof si[0]), EAGAIN);
  int drain = syscall(SYS_signalfd, -1, &both, 8);
  fcntl(drain, F_SETFL, O_NONBLOCK);
  while (rd(drain, sizeof si[0]) > 0) {}
  close(drain);

  /* ---- updating an existing fd's mask ---- */
  EQ("update_returns_same_fd", syscall(SYS_signalfd, fd, &usr2, 8), fd);
  syscall(SYS_kill, pid, SIGUSR1);
  ERR("update_old_signal_not_read", rd(fd, sizeof si[0]), EAGAIN);
  syscall(SYS_kill, pid, SIGUSR2);
  EQ("update_new_signal_read", rd(fd, sizeof si[0]), (long)sizeof si[0]);
  EQ("update_new_signo", si[0].ssi_signo, SIGUSR2);
  int p[2];
  pipe(p);
  ERR("update_not_signalfd", syscall(SYS_signalfd, p[0], &usr2, 8), EINVAL);
  ERR("update_bad_fd", syscall(SYS_signalfd, 100, &usr2, 8), EBADF);

  /* ---- signalfd4 ---- */
  ABOUT("signalfd4");
  ERR("signalfd4_bad_flags", syscall(SYS_signalfd4, -1, &mask, 8, 1), EINVAL);
  ERR("signalfd4_bad_sizemask", syscall(SYS_signalfd4, -1, &mask, 16, 0), EINVAL);
  int fd4 = syscall(SYS_signalfd4, -1, &mask, 8, SFD_NONBLOCK | SFD_CLOEXEC);
  EQ("signalfd4_cloexec", fcntl(fd4, F_GETFD), FD_CLOEXEC);
  EQ("signalfd4_nonblock", fcntl(fd4, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
  /* SIGUSR1 is still pending from the update test: fd4 reads it. */
  EQ("signalfd4_reads_pending", rd(fd4, sizeof si[0]), (long)sizeof si[0]);
  EQ("signalfd4_pending_signo", si[0].ssi_signo, SIGUSR1);
  ERR("signalfd4_empty_eagain", rd(fd4, sizeof si[0]), EAGAIN);
  EQ("signalfd4_update_flags_ignored", syscall(SYS_signalfd4, fd4, &usr2, 8, 0), fd4);
  EQ("signalfd4_still_nonblock", fcntl(fd4, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  ERR("write_einval", syscall(SYS_write, fd4, si, sizeof si[0]), EINVAL);
  /* A blocking read is woken by a signal from a child. */
  int b = syscall(SYS_signalfd4, -1, &usr2, 8, 0);
  pid_t c = fork();
  if (c == 0) {
    usleep(20000);
    syscall(SYS_kill, pid, SIGUSR2);
    _exit(0);
  }
  EQ("blocking_read", rd(b, sizeof si[0]), (long)sizeof si[0]);
  EQ("blocking_read_signo", si[0].ssi_signo, SIGUSR2);
  FACT("blocking_read_pid_is_child", si[0].ssi_pid == (unsigned)c);
  waitpid(c, NULL, 0);
  return compat_done();
}
