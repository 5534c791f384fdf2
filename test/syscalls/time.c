/*
 * clock_gettime, clock_getres, gettimeofday, time: which clocks exist, that
 * clocks move forward and agree with each other, resolutions, and errors.
 * Times are never printed, only facts about them. Every call is the system
 * call itself: glibc would use the vDSO, which faults instead of EFAULT and
 * may not exist in the sandbox.
 */
#include "lib/compat.h"
#include <sys/time.h>
#include <time.h>

static long cg(clockid_t c, struct timespec *ts) { return syscall(SYS_clock_gettime, c, ts); }
static long long ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }

/* Dynamic CPU clocks of the caller (<linux/posix-timers.h>): pid 0, CPUCLOCK_SCHED. */
#define PROCESS_CPUCLOCK_SELF ((clockid_t)((~0U << 3) | 2))
#define THREAD_CPUCLOCK_SELF ((clockid_t)((~0U << 3) | 4 | 2))

int main(void) {
  struct timespec a, b, c;

  /* Which clock ids exist. The alarm clocks (8, 9) exist only on hosts
   * with a wakeup-capable RTC, so they are not compared. */
  for (int id = 0; id <= 12; id++) {
    char k[32];
    if (id == CLOCK_REALTIME_ALARM || id == CLOCK_BOOTTIME_ALARM) continue;
    snprintf(k, sizeof k, "gettime_clock_%d", id);
    VAL(k, cg(id, &a));
  }
  ERR("gettime_clock_100", cg(100, &a), EINVAL);
  ERR("gettime_clock_minus_1", cg(-1, &a), EINVAL);
  EQ("gettime_process_cpuclock_self", cg(PROCESS_CPUCLOCK_SELF, &a), 0);
  EQ("gettime_thread_cpuclock_self", cg(THREAD_CPUCLOCK_SELF, &a), 0);
  ERR("gettime_efault", cg(CLOCK_MONOTONIC, BAD_PTR), EFAULT);
  ERR("gettime_kernel_ptr", cg(CLOCK_REALTIME, KERNEL_PTR), EFAULT);
  ERR("gettime_bad_clock_bad_ptr", cg(100, BAD_PTR), EINVAL);

  /* Fields are normalized; realtime is a plausible date. */
  cg(CLOCK_REALTIME, &a);
  FACT("realtime_nsec_in_range", a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
  FACT("realtime_after_2020", a.tv_sec > 1577836800L);

  /* Clocks never go backwards, read after read. */
  int mono_ok = 1, real_ok = 1, boot_ok = 1, raw_ok = 1;
  cg(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 5000; i++) {
    cg(CLOCK_MONOTONIC, &b);
    if (ns(&b) < ns(&a)) mono_ok = 0;
    a = b;
  }
  cg(CLOCK_REALTIME, &a);
  for (int i = 0; i < 5000; i++) {
    cg(CLOCK_REALTIME, &b);
    if (ns(&b) < ns(&a)) real_ok = 0;
    a = b;
  }
  cg(CLOCK_BOOTTIME, &a);
  for (int i = 0; i < 1000; i++) {
    cg(CLOCK_BOOTTIME, &b);
    if (ns(&b) < ns(&a)) boot_ok = 0;
    a = b;
  }
  cg(CLOCK_MONOTONIC_RAW, &a);
  for (int i = 0; i < 1000; i++) {
    cg(CLOCK_MONOTONIC_RAW, &b);
    if (ns(&b) < ns(&a)) raw_ok = 0;
    a = b;
  }
  FACT("monotonic_nondecreasing", mono_ok);
  FACT("realtime_nondecreasing", real_ok);
  FACT("boottime_nondecreasing", boot_ok);
  FACT("monotonic_raw_nondecreasing", raw_ok);
  cg(CLOCK_MONOTONIC, &a);
  cg(CLOCK_BOOTTIME, &b);
  FACT("boottime_not_below_monotonic", ns(&b) >= ns(&a));
  cg(CLOCK_MONOTONIC, &a);
  cg(CLOCK_MONOTONIC_COARSE, &b);
  cg(CLOCK_MONOTONIC, &c);
  FACT("coarse_not_ahead_of_fine", ns(&b) <= ns(&c));

  /* gettimeofday and time agree with CLOCK_REALTIME, and never run behind a value read before them. */
  int gtod_ok = 1, time_ok = 1;
  for (int i = 0; i < 2000; i++) {
    struct timeval tv;
    cg(CLOCK_REALTIME, &a);
    syscall(SYS_gettimeofday, &tv, NULL);
    long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
    if (us < ns(&a) / 1000 || us > ns(&a) / 1000 + 1000000) gtod_ok = 0;
    long t = syscall(SYS_time, NULL);
    /* time() reads the tick-updated coarse clock: just after a second turns it can still show the one before. */
    if (t < a.tv_sec - 1 || t > a.tv_sec + 1) time_ok = 0;
  }
  FACT("gettimeofday_tracks_realtime", gtod_ok);
  FACT("time_tracks_realtime", time_ok);
  struct timeval tv;
  struct timezone tz = {77, 77};
  EQ("gettimeofday_tz", syscall(SYS_gettimeofday, &tv, &tz), 0);
  FACT("gettimeofday_usec_in_range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  SHOW("timezone", "%d %d", tz.tz_minuteswest, tz.tz_dsttime);
  EQ("gettimeofday_null_null", syscall(SYS_gettimeofday, NULL, NULL), 0);
  ERR("gettimeofday_efault_tv", syscall(SYS_gettimeofday, BAD_PTR, NULL), EFAULT);
  ERR("gettimeofday_efault_tz", syscall(SYS_gettimeofday, &tv, BAD_PTR), EFAULT);
  time_t tt = 0;
  long t = syscall(SYS_time, &tt);
  FACT("time_stores_result", t == tt);
  ERR("time_efault", syscall(SYS_time, BAD_PTR), EFAULT);

  /* CPU clocks advance with work done. */
  cg(CLOCK_PROCESS_CPUTIME_ID, &a);
  volatile unsigned long spin = 0;
  for (unsigned long i = 0; i < 60000000UL; i++) spin += i;
  cg(CLOCK_PROCESS_CPUTIME_ID, &b);
  FACT("process_cputime_advances", ns(&b) - ns(&a) > 1000000);
  cg(CLOCK_THREAD_CPUTIME_ID, &c);
  FACT("thread_cputime_positive", ns(&c) > 0);

  /* Resolutions. */
  for (int id = 0; id <= 11; id++) {
    char k[32];
    struct timespec r = {-1, -1};
    if (id == CLOCK_REALTIME_ALARM || id == CLOCK_BOOTTIME_ALARM) continue;
    snprintf(k, sizeof k, "getres_clock_%d", id);
    if (syscall(SYS_clock_getres, id, &r) == 0) SHOW(k, "%ld.%09ld", (long)r.tv_sec, r.tv_nsec);
    else VAL(k, syscall(SYS_clock_getres, id, &r));
  }
  EQ("getres_null", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);
  ERR("getres_bad_clock", syscall(SYS_clock_getres, 100, &a), EINVAL);
  ERR("getres_efault", syscall(SYS_clock_getres, CLOCK_MONOTONIC, BAD_PTR), EFAULT);
  EQ("getres_process_cpuclock_self", syscall(SYS_clock_getres, PROCESS_CPUCLOCK_SELF, &a), 0);
  return compat_done();
}
