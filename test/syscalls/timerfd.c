/*
 * timerfd_create, timerfd_settime and timerfd_gettime: clocks and flags,
 * relative and absolute (TFD_TIMER_ABSTIME) one-shot and periodic timers,
 * the expiration count a read returns, EAGAIN when nonblocking, disarming,
 * the old value, poll readiness and argument errors. Only facts about times
 * are printed ("expirations>=1"), with generous bounds.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

static uint64_t n;
static long rd(int fd) { n = 0; return syscall(SYS_read, fd, &n, 8); }
static int readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return syscall(SYS_poll, &p, 1, 0) == 1 && p.revents == POLLIN;
}
static struct itimerspec its(long vs, long vns, long is, long ins) {
  struct itimerspec t = {{is, ins}, {vs, vns}};
  return t;
}

int main(void) {
  struct itimerspec t, old;

  /* ---- timerfd_create ---- */
  ABOUT("timerfd_create");
  ERR("create_bad_clock", syscall(SYS_timerfd_create, 100, 0), EINVAL);
  ERR("create_cputime_clock", syscall(SYS_timerfd_create, CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
  ERR("create_monotonic_raw", syscall(SYS_timerfd_create, CLOCK_MONOTONIC_RAW, 0), EINVAL);
  ERR("create_bad_flags", syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 1), EINVAL);
  ERR("create_abstime_flag", syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_TIMER_ABSTIME), EINVAL);
  int rt = syscall(SYS_timerfd_create, CLOCK_REALTIME, 0);
  FACT("create_realtime", rt >= 0);
  int bt = syscall(SYS_timerfd_create, CLOCK_BOOTTIME, TFD_CLOEXEC);
  FACT("create_boottime", bt >= 0);
  EQ("create_cloexec", fcntl(bt, F_GETFD), FD_CLOEXEC);
  int fd = syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK);
  FACT("create_monotonic", fd >= 0);
  EQ("create_nonblock", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);

  /* ---- timerfd_gettime ---- */
  ABOUT("timerfd_gettime");
  memset(&t, 0x55, sizeof t);
  EQ("gettime_new", syscall(SYS_timerfd_gettime, fd, &t), 0);
  FACT("gettime_new_disarmed", t.it_value.tv_sec == 0 && t.it_value.tv_nsec == 0 && t.it_interval.tv_sec == 0 && t.it_interval.tv_nsec == 0);
  ERR("gettime_efault", syscall(SYS_timerfd_gettime, fd, BAD_PTR), EFAULT);
  ERR("gettime_bad_fd", syscall(SYS_timerfd_gettime, 100, &t), EBADF);
  int p[2];
  pipe(p);
  ERR("gettime_not_timerfd", syscall(SYS_timerfd_gettime, p[0], &t), EINVAL);
  ABOUT("read");
  ERR("read_disarmed_eagain", rd(fd), EAGAIN);
  FACT("poll_disarmed_not_readable", !readable(fd));

  /* ---- timerfd_settime: relative one-shot ---- */
  ABOUT("timerfd_settime");
  t = its(10, 0, 0, 0);
  EQ("settime_relative", syscall(SYS_timerfd_settime, fd, 0, &t, &old), 0);
  FACT("settime_old_disarmed", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
  syscall(SYS_timerfd_gettime, fd, &t);
  FACT("gettime_counts_down", t.it_value.tv_sec <= 10 && (t.it_value.tv_sec >= 9) && t.it_interval.tv_sec == 0 && t.it_interval.tv_nsec == 0);
  t = its(0, 20000000, 0, 0);
  EQ("settime_replace", syscall(SYS_timerfd_settime, fd, 0, &t, &old), 0);
  FACT("settime_old_value", old.it_value.tv_sec <= 10 && old.it_value.tv_sec >= 9);
  ERR("read_before_expiry_eagain", rd(fd), EAGAIN);
  usleep(60000);
  FACT("poll_expired_readable", readable(fd));
  ABOUT("read");
  EQ("read_expired", rd(fd), 8);
  EQ("read_one_shot_count", n, 1);
  ERR("read_again_eagain", rd(fd), EAGAIN);
  ABOUT("timerfd_gettime");
  syscall(SYS_timerfd_gettime, fd, &t);
  FACT("gettime_after_one_shot_disarmed", t.it_value.tv_sec == 0 && t.it_value.tv_nsec == 0);

  /* ---- periodic ---- */
  ABOUT("timerfd_settime");
  t = its(0, 5000000, 0, 5000000);
  EQ("settime_periodic", syscall(SYS_timerfd_settime, fd, 0, &t, NULL), 0);
  usleep(50000);
  EQ("read_periodic", rd(fd), 8);
  FACT("periodic_expirations_ge_2", n >= 2);
  syscall(SYS_timerfd_gettime, fd, &t);
  FACT("gettime_periodic_interval", t.it_interval.tv_sec == 0 && t.it_interval.tv_nsec == 5000000);
  FACT("gettime_periodic_next", t.it_value.tv_sec == 0 && t.it_value.tv_nsec > 0 && t.it_value.tv_nsec <= 5000000);
  /* Disarm: zero value; the interval is kept (gettime shows it) but nothing more expires. */
  t = its(0, 0, 1, 0);
  EQ("settime_disarm", syscall(SYS_timerfd_settime, fd, 0, &t, &old), 0);
  FACT("disarm_old_interval", old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 5000000);
  syscall(SYS_timerfd_gettime, fd, &t);
  FACT("gettime_disarmed", t.it_value.tv_sec == 0 && t.it_value.tv_nsec == 0);
  FACT("gettime_disarmed_keeps_interval", t.it_interval.tv_sec == 1 && t.it_interval.tv_nsec == 0);
  usleep(10000);
  ERR("read_disarmed_after_periodic", rd(fd), EAGAIN);

  /* ---- absolute ---- */
  struct timespec now;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
  t = its(now.tv_sec, now.tv_nsec, 0, 0);
  t.it_value.tv_nsec += 20000000;
  if (t.it_value.tv_nsec >= 1000000000) { t.it_value.tv_sec++; t.it_value.tv_nsec -= 1000000000; }
  EQ("settime_abstime", syscall(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME, &t, NULL), 0);
  syscall(SYS_timerfd_gettime, fd, &t);
  FACT("gettime_abstime_is_relative", t.it_value.tv_sec == 0 && t.it_value.tv_nsec > 0 && t.it_value.tv_nsec <= 20000000);
  usleep(60000);
  EQ("read_abstime", rd(fd), 8);
  EQ("read_abstime_count", n, 1);
  t = its(now.tv_sec - 100 > 0 ? now.tv_sec - 100 : 0, 1, 0, 0);
  EQ("settime_abstime_past", syscall(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME, &t, NULL), 0);
  EQ("read_abstime_past", rd(fd), 8);
  EQ("read_abstime_past_count", n, 1);
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &now);
  t = its(now.tv_sec - 1, now.tv_nsec, 0, 0);
  EQ("settime_realtime_abstime_past", syscall(SYS_timerfd_settime, rt, TFD_TIMER_ABSTIME, &t, NULL), 0);
  struct pollfd pf = {rt, POLLIN, 0};
  EQ("poll_realtime_expired", syscall(SYS_poll, &pf, 1, 1000), 1);
  EQ("settime_boottime", syscall(SYS_timerfd_settime, bt, 0, &t, NULL), 0);

  /* ---- errors ---- */
  t = its(1, 0, 0, 0);
  ERR("settime_bad_flags", syscall(SYS_timerfd_settime, fd, 4, &t, NULL), EINVAL);
  t = its(0, 1000000000, 0, 0);
  ERR("settime_bad_nsec", syscall(SYS_timerfd_settime, fd, 0, &t, NULL), EINVAL);
  t = its(0, 1, 0, -1);
  ERR("settime_bad_interval_nsec", syscall(SYS_timerfd_settime, fd, 0, &t, NULL), EINVAL);
  t = its(-1, 0, 0, 0);
  ERR("settime_negative_sec", syscall(SYS_timerfd_settime, fd, 0, &t, NULL), EINVAL);
  t = its(1, 0, 0, 0);
  ERR("settime_not_timerfd", syscall(SYS_timerfd_settime, p[0], 0, &t, NULL), EINVAL);
  ERR("settime_bad_fd", syscall(SYS_timerfd_settime, 100, 0, &t, NULL), EBADF);
  ERR("settime_efault", syscall(SYS_timerfd_settime, fd, 0, BAD_PTR, NULL), EFAULT);
  ABOUT("read");
  uint32_t small;
  ERR("read_short_buffer", syscall(SYS_read, fd, &small, 4), EINVAL);
  ERR("write_einval", syscall(SYS_write, fd, &n, 8), EINVAL);

  /* A blocking timerfd: read waits for the expiration. */
  int b = syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
  t = its(0, 20000000, 0, 0);
  syscall(SYS_timerfd_settime, b, 0, &t, NULL);
  EQ("blocking_read", rd(b), 8);
  EQ("blocking_read_count", n, 1);
  return compat_done();
}
