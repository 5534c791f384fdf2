/*
 * nanosleep, clock_nanosleep (relative and TIMER_ABSTIME, which clocks),
 * EINTR with the time remaining, alarm, setitimer/getitimer ITIMER_REAL
 * (one-shot and periodic), pause. Sleeps are short; only facts about
 * elapsed time are printed, with generous bounds.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static long long now_ns(clockid_t c) {
  struct timespec ts;
  syscall(SYS_clock_gettime, c, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile int alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static long ns_sleep(long ns, struct timespec *rem) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  return syscall(SYS_nanosleep, &ts, rem);
}

int main(void) {
  struct timespec ts, rem;
  long long t0;

  /* ---- nanosleep ---- */
  ABOUT("nanosleep");
  t0 = now_ns(CLOCK_MONOTONIC);
  EQ("nanosleep_20ms", ns_sleep(20000000, NULL), 0);
  FACT("nanosleep_slept_enough", now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
  EQ("nanosleep_zero", ns_sleep(0, NULL), 0);
  ts.tv_sec = 0; ts.tv_nsec = 1000000000;
  ERR("nanosleep_nsec_too_big", syscall(SYS_nanosleep, &ts, NULL), EINVAL);
  ts.tv_sec = -1; ts.tv_nsec = 0;
  ERR("nanosleep_negative", syscall(SYS_nanosleep, &ts, NULL), EINVAL);
  ts.tv_sec = 0; ts.tv_nsec = -1;
  ERR("nanosleep_negative_nsec", syscall(SYS_nanosleep, &ts, NULL), EINVAL);
  ERR("nanosleep_efault", syscall(SYS_nanosleep, BAD_PTR, NULL), EFAULT);

  /* Interrupted by a handled signal: EINTR and the time left. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 30000}};
  setitimer(ITIMER_REAL, &it, NULL);
  rem.tv_sec = rem.tv_nsec = -1;
  ERR("nanosleep_eintr", ns_sleep(2000000000L, &rem), EINTR);
  FACT("nanosleep_remaining_set", rem.tv_sec >= 0 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000L);
  FACT("nanosleep_remaining_plausible", rem.tv_sec * 1000000000LL + rem.tv_nsec > 1000000000LL && rem.tv_sec < 2);
  EQ("nanosleep_handler_ran", alarms, 1);
  /* SA_RESTART does not restart nanosleep: still EINTR. */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  ERR("nanosleep_eintr_despite_sa_restart", ns_sleep(2000000000L, NULL), EINTR);
  setitimer(ITIMER_REAL, &it, NULL);
  ERR("nanosleep_eintr_rem_efault", ns_sleep(2000000000L, BAD_PTR), EFAULT);

  /* ---- clock_nanosleep ---- */
  ABOUT("clock_nanosleep");
  ts.tv_sec = 0; ts.tv_nsec = 10000000;
  EQ("clock_nanosleep_monotonic", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL), 0);
  EQ("clock_nanosleep_realtime", syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &ts, NULL), 0);
  EQ("clock_nanosleep_boottime", syscall(SYS_clock_nanosleep, CLOCK_BOOTTIME, 0, &ts, NULL), 0);
  /* Errors come back as the return value, not in errno... for the glibc wrapper; the system call returns -1/errno. */
  ERR("clock_nanosleep_bad_clock", syscall(SYS_clock_nanosleep, 100, 0, &ts, NULL), EINVAL);
  ERR("clock_nanosleep_monotonic_raw", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, &ts, NULL), EOPNOTSUPP);
  ERR("clock_nanosleep_monotonic_coarse", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC_COARSE, 0, &ts, NULL), EOPNOTSUPP);
  ERR("clock_nanosleep_thread_cputime", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EOPNOTSUPP);
  ERR("clock_nanosleep_efault", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, BAD_PTR, NULL), EFAULT);
  ts.tv_nsec = 1000000000;
  ERR("clock_nanosleep_bad_nsec", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL), EINVAL);
  EQ("clock_nanosleep_glibc_returns_error", clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), EINVAL);
  /* TIMER_ABSTIME: sleeps until the deadline; a past deadline returns at once. */
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += 20000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  EQ("abstime_monotonic", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL), 0);
  FACT("abstime_reached", now_ns(CLOCK_MONOTONIC) >= ts.tv_sec * 1000000000LL + ts.tv_nsec);
  ts.tv_sec -= 100;
  t0 = now_ns(CLOCK_MONOTONIC);
  EQ("abstime_past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL), 0);
  FACT("abstime_past_immediate", now_ns(CLOCK_MONOTONIC) - t0 < 500000000);
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
  ts.tv_nsec += 10000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  EQ("abstime_realtime", syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL), 0);
  /* Interrupted: EINTR; with TIMER_ABSTIME the remaining time is not written. */
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &it, NULL);
  ts.tv_sec = 2; ts.tv_nsec = 0;
  rem.tv_sec = rem.tv_nsec = 77;
  ERR("clock_nanosleep_eintr", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, &rem), EINTR);
  FACT("clock_nanosleep_eintr_rem", rem.tv_sec < 2 && rem.tv_sec >= 0 && rem.tv_sec * 1000000000LL + rem.tv_nsec > 1000000000LL);
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  ts.tv_sec += 2;
  rem.tv_sec = rem.tv_nsec = 77;
  setitimer(ITIMER_REAL, &it, NULL);
  ERR("abstime_eintr", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, &rem), EINTR);
  FACT("abstime_eintr_rem_untouched", rem.tv_sec == 77 && rem.tv_nsec == 77);

  /* ---- alarm ---- */
  ABOUT("alarm");
  EQ("alarm_none_pending", syscall(SYS_alarm, 0), 0);
  EQ("alarm_set", syscall(SYS_alarm, 100), 0);
  EQ("alarm_replace_returns_old", syscall(SYS_alarm, 50), 100);
  EQ("alarm_cancel_returns_old", syscall(SYS_alarm, 0), 50);
  EQ("alarm_cancel_again", syscall(SYS_alarm, 0), 0);
  alarms = 0;
  syscall(SYS_alarm, 1);
  ABOUT("pause");
  ERR("pause_until_alarm", syscall(SYS_pause), EINTR);
  EQ("alarm_fired", alarms, 1);

  /* ---- setitimer / getitimer ---- */
  ABOUT("setitimer");
  struct itimerval v, old;
  memset(&v, 0, sizeof v);
  EQ("setitimer_disarm", syscall(SYS_setitimer, ITIMER_REAL, &v, &old), 0);
  FACT("disarmed_old_zero", old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
  v.it_value.tv_sec = 10;
  v.it_interval.tv_usec = 500000;
  EQ("setitimer_arm", syscall(SYS_setitimer, ITIMER_REAL, &v, NULL), 0);
  ABOUT("getitimer");
  EQ("getitimer", syscall(SYS_getitimer, ITIMER_REAL, &old), 0);
  FACT("getitimer_value_counts_down", old.it_value.tv_sec <= 10 && (old.it_value.tv_sec >= 9));
  EQ("getitimer_interval_kept", old.it_interval.tv_usec, 500000);
  EQ("alarm_sees_itimer", syscall(SYS_alarm, 0), 10);
  ERR("getitimer_bad_which", syscall(SYS_getitimer, 7, &old), EINVAL);
  ERR("getitimer_efault", syscall(SYS_getitimer, ITIMER_REAL, BAD_PTR), EFAULT);
  ABOUT("setitimer");
  ERR("setitimer_bad_which", syscall(SYS_setitimer, 7, &v, NULL), EINVAL);
  v.it_value.tv_usec = 1000000;
  ERR("setitimer_bad_usec", syscall(SYS_setitimer, ITIMER_REAL, &v, NULL), EINVAL);
  ERR("setitimer_efault", syscall(SYS_setitimer, ITIMER_REAL, BAD_PTR, NULL), EFAULT);
  /* Periodic: three expirations of a 10 ms timer. */
  alarms = 0;
  v.it_value.tv_sec = 0; v.it_value.tv_usec = 10000;
  v.it_interval.tv_sec = 0; v.it_interval.tv_usec = 10000;
  syscall(SYS_setitimer, ITIMER_REAL, &v, NULL);
  for (int i = 0; i < 100 && alarms < 3; i++) pause();
  memset(&v, 0, sizeof v);
  syscall(SYS_setitimer, ITIMER_REAL, &v, NULL);
  FACT("periodic_fired_three_times", alarms >= 3);
  /* ITIMER_VIRTUAL and ITIMER_PROF can be set and read back. */
  v.it_value.tv_sec = 5;
  EQ("setitimer_virtual", syscall(SYS_setitimer, ITIMER_VIRTUAL, &v, NULL), 0);
  syscall(SYS_getitimer, ITIMER_VIRTUAL, &old);
  FACT("getitimer_virtual_armed", old.it_value.tv_sec > 0 || old.it_value.tv_usec > 0);
  memset(&v, 0, sizeof v);
  syscall(SYS_setitimer, ITIMER_VIRTUAL, &v, NULL);
  return compat_done();
}
