/*
 * poll, ppoll, select and pselect6 on pipes: readiness of each end, timeouts
 * of zero, POLLNVAL for a closed fd, POLLHUP and POLLERR when the other end
 * is gone, argument errors, the time left written back, and the signal mask
 * of ppoll and pselect6. Timeouts are short; only facts are printed.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

static volatile int usr1, alrm;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_alrm(int s) { (void)s; alrm++; }

/*
 * SIGALRM (handled, no SA_RESTART) in 30 ms, and every 30 ms after until
 * alarm_off(): a first one that comes before the call blocks (a loaded
 * machine) is followed by one that interrupts it.
 */
static void alarm_soon(void) {
  struct itimerval it = {{0, 30000}, {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
}
static void alarm_off(void) {
  struct itimerval it = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &it, NULL);
}

/* The revents of one fd polled alone with timeout 0 (-1 if poll failed). */
static int revents_of(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  if (syscall(SYS_poll, &p, 1, 0) < 0) return -1;
  return p.revents;
}

int main(void) {
  int p[2], q[2];
  char c = 'x';
  pipe2(p, O_NONBLOCK);
  pipe2(q, O_NONBLOCK);

  /* ---- poll ---- */
  ABOUT("poll");
  struct pollfd fds[4];
  fds[0] = (struct pollfd){p[0], POLLIN, 0};
  EQ("poll_empty_pipe_timeout_0", syscall(SYS_poll, fds, 1, 0), 0);
  EQ("poll_empty_revents", fds[0].revents, 0);
  fds[0] = (struct pollfd){p[1], POLLOUT, 0};
  EQ("poll_write_end_ready", syscall(SYS_poll, fds, 1, 0), 1);
  EQ("poll_write_end_revents", fds[0].revents, POLLOUT);
  write(p[1], &c, 1);
  fds[0] = (struct pollfd){p[0], POLLIN | POLLOUT, 0};
  EQ("poll_read_end_ready", syscall(SYS_poll, fds, 1, 0), 1);
  EQ("poll_read_end_revents_in_only", fds[0].revents, POLLIN);
  fds[0] = (struct pollfd){p[0], POLLIN, 0};
  fds[1] = (struct pollfd){q[0], POLLIN, 0};
  fds[2] = (struct pollfd){-1, POLLIN, 7};
  fds[3] = (struct pollfd){p[1], POLLOUT, 0};
  EQ("poll_counts_ready_fds", syscall(SYS_poll, fds, 4, 0), 2);
  FACT("poll_negative_fd_ignored", fds[2].revents == 0);
  FACT("poll_not_ready_cleared", fds[1].revents == 0);
  fds[0] = (struct pollfd){p[0], 0, 0};
  EQ("poll_no_events_asked", syscall(SYS_poll, fds, 1, 0), 0);
  /* The lowest free fd is surely closed; a fixed number such as 100 may be
   * one the caller left open (CI's runner did). */
  int closed_fd = dup(1);
  close(closed_fd);
  fds[0] = (struct pollfd){closed_fd, POLLIN, 0};
  EQ("poll_closed_fd", syscall(SYS_poll, fds, 1, 0), 1);
  EQ("poll_closed_fd_pollnval", fds[0].revents, POLLNVAL);
  fds[0] = (struct pollfd){closed_fd, 0, 0};
  EQ("poll_closed_fd_no_events", syscall(SYS_poll, fds, 1, 0), 1);
  EQ("poll_nvds_zero", syscall(SYS_poll, NULL, 0, 0), 0);
  EQ("poll_nfds_zero_timeout_10ms", syscall(SYS_poll, NULL, 0, 10), 0);
  ERR("poll_efault", syscall(SYS_poll, BAD_PTR, 1, 0), EFAULT);
  ERR("poll_nfds_too_big", syscall(SYS_poll, fds, 1L << 30, 0), EINVAL);
  fds[0] = (struct pollfd){q[0], POLLIN, 0};
  EQ("poll_timeout_expires", syscall(SYS_poll, fds, 1, 20), 0);
  /* The other end closed: POLLHUP on the read end (with POLLIN while data is left), POLLERR on the write end. */
  int h[2];
  pipe2(h, O_NONBLOCK);
  write(h[1], &c, 1);
  close(h[1]);
  EQ("pollhup_with_data", revents_of(h[0], POLLIN), POLLIN | POLLHUP);
  read(h[0], &c, 1);
  EQ("pollhup_drained", revents_of(h[0], POLLIN), POLLHUP);
  EQ("pollhup_not_asked_still_reported", revents_of(h[0], 0), POLLHUP);
  close(h[0]);
  pipe2(h, O_NONBLOCK);
  close(h[0]);
  EQ("pollerr_write_end_no_reader", revents_of(h[1], POLLOUT), POLLOUT | POLLERR);
  close(h[1]);

  /* ---- ppoll ---- */
  ABOUT("ppoll");
  struct timespec ts = {0, 0};
  fds[0] = (struct pollfd){p[0], POLLIN, 0};
  EQ("ppoll_ready", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), 1);
  EQ("ppoll_ready_revents", fds[0].revents, POLLIN);
  EQ("ppoll_null_timeout_ready", syscall(SYS_ppoll, fds, 1, NULL, NULL, 8), 1);
  fds[0] = (struct pollfd){q[0], POLLIN, 0};
  EQ("ppoll_timeout_0", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), 0);
  ts.tv_nsec = 10000000;
  EQ("ppoll_timeout_10ms", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), 0);
  FACT("ppoll_time_left_zero", ts.tv_sec == 0 && ts.tv_nsec == 0);
  ts.tv_nsec = 1000000000;
  ERR("ppoll_bad_nsec", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), EINVAL);
  ts.tv_sec = -1; ts.tv_nsec = 0;
  ERR("ppoll_negative_timeout", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), EINVAL);
  ts.tv_sec = 0;
  sigset_t none, usr1set;
  sigemptyset(&none);
  sigemptyset(&usr1set);
  sigaddset(&usr1set, SIGUSR1);
  ERR("ppoll_bad_sigsetsize", syscall(SYS_ppoll, fds, 1, &ts, &none, 4), EINVAL);
  ERR("ppoll_timeout_efault", syscall(SYS_ppoll, fds, 1, BAD_PTR, NULL, 8), EFAULT);
  ERR("ppoll_sigmask_efault", syscall(SYS_ppoll, fds, 1, &ts, BAD_PTR, 8), EFAULT);
  ERR("ppoll_fds_efault", syscall(SYS_ppoll, BAD_PTR, 1, &ts, NULL, 8), EFAULT);
  /* A blocked, pending SIGUSR1 is delivered while ppoll's mask unblocks it: EINTR, and the old mask is back. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigprocmask(SIG_BLOCK, &usr1set, NULL);
  raise(SIGUSR1);
  ts.tv_sec = 2;
  ERR("ppoll_mask_unblocks_pending", syscall(SYS_ppoll, fds, 1, &ts, &none, 8), EINTR);
  EQ("ppoll_handler_ran", usr1, 1);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  FACT("ppoll_mask_restored", sigismember(&cur, SIGUSR1) == 1);
  /* With the signal blocked in ppoll's mask too, it stays pending and ppoll times out. */
  raise(SIGUSR1);
  ts.tv_sec = 0; ts.tv_nsec = 0;
  EQ("ppoll_mask_keeps_blocked", syscall(SYS_ppoll, fds, 1, &ts, &usr1set, 8), 0);
  EQ("ppoll_handler_not_run", usr1, 1);
  sigprocmask(SIG_UNBLOCK, &usr1set, NULL);
  EQ("pending_delivered_after", usr1, 2);
  /* Interrupted by a handled signal: EINTR, and the time left is written back. */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sigaction(SIGALRM, &sa, NULL);
  ts.tv_sec = 2; ts.tv_nsec = 0;
  alarm_soon();
  ERR("ppoll_eintr", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8), EINTR);
  alarm_off();
  FACT("ppoll_eintr_time_left", ts.tv_sec == 1 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);

  /* ---- select ---- */
  ABOUT("select");
  fd_set r, w;
  struct timeval tv = {0, 0};
  FD_ZERO(&r); FD_SET(p[0], &r); FD_SET(q[0], &r);
  EQ("select_read_ready", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv), 1);
  FACT("select_ready_fd_kept", FD_ISSET(p[0], &r) && !FD_ISSET(q[0], &r));
  FD_ZERO(&r); FD_SET(q[0], &r);
  FD_ZERO(&w); FD_SET(q[1], &w);
  EQ("select_write_ready", syscall(SYS_select, q[1] + 1, &r, &w, NULL, &tv), 1);
  FACT("select_write_fd_set", FD_ISSET(q[1], &w) && !FD_ISSET(q[0], &r));
  FD_ZERO(&r); FD_SET(q[0], &r);
  EQ("select_timeout_0", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv), 0);
  FACT("select_timeout_0_clears", !FD_ISSET(q[0], &r));
  FD_ZERO(&r); FD_SET(q[0], &r);
  tv.tv_sec = 0; tv.tv_usec = 10000;
  EQ("select_timeout_10ms", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv), 0);
  FACT("select_time_left_zero", tv.tv_sec == 0 && tv.tv_usec == 0);
  EQ("select_no_sets", syscall(SYS_select, 0, NULL, NULL, NULL, &tv), 0);
  ERR("select_negative_nfds", syscall(SYS_select, -1L, NULL, NULL, NULL, &tv), EINVAL);
  tv.tv_usec = -1;
  ERR("select_negative_usec", syscall(SYS_select, 0, NULL, NULL, NULL, &tv), EINVAL);
  tv.tv_usec = 0;
  closed_fd = dup(1);
  close(closed_fd);
  FD_ZERO(&r); FD_SET(closed_fd, &r);
  ERR("select_closed_fd", syscall(SYS_select, closed_fd + 1, &r, NULL, NULL, &tv), EBADF);
  ERR("select_set_efault", syscall(SYS_select, 1, BAD_PTR, NULL, NULL, &tv), EFAULT);
  ERR("select_timeout_efault", syscall(SYS_select, 1, NULL, NULL, NULL, BAD_PTR), EFAULT);
  /* The closed end's exception set: a pipe reports no exceptional condition. */
  fd_set x;
  FD_ZERO(&x); FD_SET(p[0], &x);
  EQ("select_except_none", syscall(SYS_select, p[0] + 1, NULL, NULL, &x, &tv), 0);
  FD_ZERO(&r); FD_SET(q[0], &r);
  tv.tv_sec = 2; tv.tv_usec = 0;
  alarm_soon();
  ERR("select_eintr", syscall(SYS_select, q[0] + 1, &r, NULL, NULL, &tv), EINTR);
  alarm_off();
  FACT("select_eintr_time_left", tv.tv_sec == 1 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);

  /* ---- pselect6 ---- */
  ABOUT("pselect6");
  struct { const sigset_t *ss; size_t len; } sig = {&none, 8};
  ts.tv_sec = 0; ts.tv_nsec = 0;
  FD_ZERO(&r); FD_SET(p[0], &r);
  EQ("pselect6_ready", syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &sig), 1);
  FD_ZERO(&r); FD_SET(q[0], &r);
  EQ("pselect6_timeout_0", syscall(SYS_pselect6, q[0] + 1, &r, NULL, NULL, &ts, NULL), 0);
  ts.tv_nsec = 10000000;
  FD_ZERO(&r); FD_SET(q[0], &r);
  EQ("pselect6_timeout_10ms", syscall(SYS_pselect6, q[0] + 1, &r, NULL, NULL, &ts, NULL), 0);
  FACT("pselect6_time_left_zero", ts.tv_sec == 0 && ts.tv_nsec == 0);
  ts.tv_nsec = 1000000000;
  ERR("pselect6_bad_nsec", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL), EINVAL);
  ts.tv_nsec = 0;
  sig.len = 4;
  ERR("pselect6_bad_sigsetsize", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &sig), EINVAL);
  sig.len = 8;
  ERR("pselect6_sig_efault", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, BAD_PTR), EFAULT);
  sigprocmask(SIG_BLOCK, &usr1set, NULL);
  raise(SIGUSR1);
  ts.tv_sec = 2;
  FD_ZERO(&r); FD_SET(q[0], &r);
  ERR("pselect6_mask_unblocks_pending", syscall(SYS_pselect6, q[0] + 1, &r, NULL, NULL, &ts, &sig), EINTR);
  EQ("pselect6_handler_ran", usr1, 3);
  ts.tv_sec = 2; ts.tv_nsec = 0;
  FD_ZERO(&r); FD_SET(q[0], &r);
  alarm_soon();
  ERR("pselect6_eintr", syscall(SYS_pselect6, q[0] + 1, &r, NULL, NULL, &ts, NULL), EINTR);
  alarm_off();
  FACT("pselect6_eintr_time_left", ts.tv_sec == 1 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
  sigprocmask(SIG_UNBLOCK, &usr1set, NULL);
  return compat_done();
}
