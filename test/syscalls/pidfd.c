/*
 * Process file descriptors: pidfd_open, polling for exit, pidfd_send_signal,
 * pidfd_getfd, waitid(P_PIDFD), CLONE_PIDFD, and their errors.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int send_sig(int fd, int sig, siginfo_t *info, unsigned flags) { return syscall(SYS_pidfd_send_signal, fd, sig, info, flags); }

static int ready(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r = poll(&p, 1, timeout_ms);
  return r == 1 ? p.revents : r;
}

int main(void) {
  int self = pidfd_open(getpid(), 0);
  FACT("open_self", self >= 3);
  EQ("open_self_cloexec", fcntl(self, F_GETFD), FD_CLOEXEC);
  EQ("poll_self_not_ready", ready(self, 0), 0);
  ERR("open_zero", pidfd_open(0, 0), EINVAL);
  ERR("open_negative", pidfd_open(-1, 0), EINVAL);
  ERR("open_bad_flags", pidfd_open(getpid(), 1), EINVAL);
  ERR("open_esrch", pidfd_open(0x3ffffff0, 0), ESRCH);
  {
    char b[8];
    ERR("read_pidfd", read(self, b, sizeof b), EINVAL);
  }

  /* A child that waits for a signal: signalled through its pidfd. */
  pid_t c = fork();
  if (c == 0) { pause(); _exit(0); }
  int fd = pidfd_open(c, 0);
  FACT("open_child", fd >= 0);
  EQ("poll_running", ready(fd, 0), 0);
  EQ("send_sig0", send_sig(fd, 0, NULL, 0), 0);
  ERR("send_bad_flags", send_sig(fd, SIGTERM, NULL, 8), EINVAL);
  ERR("send_two_scopes", send_sig(fd, 0, NULL, 3), EINVAL);
  EQ("send_scope_group", send_sig(fd, 0, NULL, 2), 0);
  ERR("send_not_pidfd", send_sig(1, SIGTERM, NULL, 0), EBADF);
  ERR("send_bad_fd", send_sig(999, SIGTERM, NULL, 0), EBADF);
  ERR("send_bad_sig", send_sig(fd, 1000, NULL, 0), EINVAL);
  {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR1;
    info.si_code = SI_USER;
    ERR("send_forged_si_user", send_sig(fd, SIGUSR1, &info, 0), EPERM);
    info.si_signo = SIGUSR2;
    info.si_code = SI_QUEUE;
    ERR("send_signo_mismatch", send_sig(fd, SIGUSR1, &info, 0), EINVAL);
    ERR("send_info_efault", send_sig(fd, SIGUSR1, BAD_PTR, 0), EFAULT);
  }
  EQ("send_sigterm", send_sig(fd, SIGTERM, NULL, 0), 0);
  EQ("poll_after_kill", ready(fd, 10000), POLLIN);
  {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EQ("waitid_pidfd", waitid(P_PIDFD, fd, &si, WEXITED), 0);
    EQ("waitid_pidfd_code", si.si_code, CLD_KILLED);
    EQ("waitid_pidfd_status", si.si_status, SIGTERM);
    FACT("waitid_pidfd_pid", si.si_pid == c);
  }
  ERR("send_after_reap", send_sig(fd, 0, NULL, 0), ESRCH);
  ERR("waitid_pidfd_reaped", waitid(P_PIDFD, fd, &(siginfo_t){0}, WEXITED), ECHILD);
  ERR("getfd_after_reap", syscall(SYS_pidfd_getfd, fd, 0, 0), ESRCH);
  close(fd);
  ERR("waitid_pidfd_bad_fd", waitid(P_PIDFD, 999, &(siginfo_t){0}, WEXITED), EBADF);
  ERR("waitid_pidfd_not_pidfd", waitid(P_PIDFD, 1, &(siginfo_t){0}, WEXITED), EBADF);

  /* A child that exits by itself: the pidfd polls readable while it is a zombie. */
  c = fork();
  if (c == 0) _exit(5);
  fd = pidfd_open(c, PIDFD_NONBLOCK);
  FACT("open_nonblock", fd >= 0);
  EQ("open_nonblock_flag", fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  EQ("poll_zombie", ready(fd, 10000), POLLIN);
  EQ("send_to_zombie", send_sig(fd, SIGTERM, NULL, 0), 0);
  ERR("getfd_zombie", syscall(SYS_pidfd_getfd, fd, 0, 0), ESRCH);
  {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EQ("waitid_zombie", waitid(P_PIDFD, fd, &si, WEXITED), 0);
    EQ("waitid_zombie_code", si.si_code, CLD_EXITED);
    EQ("waitid_zombie_status", si.si_status, 5);
  }
  close(fd);

  /* A non-blocking pidfd of a running child: waitid without WNOHANG is EAGAIN. */
  c = fork();
  if (c == 0) { pause(); _exit(0); }
  fd = pidfd_open(c, PIDFD_NONBLOCK);
  ERR("waitid_nonblock_running", waitid(P_PIDFD, fd, &(siginfo_t){0}, WEXITED), EAGAIN);
  {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EQ("waitid_wnohang_running", waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG), 0);
    EQ("waitid_wnohang_pid", si.si_pid, 0);
  }
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  close(fd);

  /* pidfd_getfd: a copy of another process's (here our own) fd. */
  {
    int p[2];
    if (pipe(p) != 0) return 1;
    int got = syscall(SYS_pidfd_getfd, self, p[1], 0);
    FACT("getfd_self", got >= 0);
    EQ("getfd_cloexec", fcntl(got, F_GETFD), FD_CLOEXEC);
    EQ("getfd_write", write(got, "x", 1), 1);
    char b;
    EQ("getfd_read_back", read(p[0], &b, 1), 1);
    ERR("getfd_bad_flags", syscall(SYS_pidfd_getfd, self, p[1], 1), EINVAL);
    ERR("getfd_bad_target", syscall(SYS_pidfd_getfd, self, 999, 0), EBADF);
    ERR("getfd_not_pidfd", syscall(SYS_pidfd_getfd, p[0], 0, 0), EBADF);
    close(got);
    close(p[0]);
    close(p[1]);
  }

  /* CLONE_PIDFD. */
  {
    int pfd = -1;
    long r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
    if (r == 0) _exit(7);
    FACT("clone_pidfd", r > 0 && pfd >= 0);
    EQ("clone_pidfd_cloexec", fcntl(pfd, F_GETFD), FD_CLOEXEC);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    EQ("clone_pidfd_waitid", waitid(P_PIDFD, pfd, &si, WEXITED), 0);
    EQ("clone_pidfd_status", si.si_status, 7);
    close(pfd);
    int dummy;
    ERR("clone_pidfd_parent_settid", syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &dummy, 0, 0), EINVAL);
  }

  close(self);
  return compat_done();
}
