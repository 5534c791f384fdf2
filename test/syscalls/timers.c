/* POSIX timers (timer_create family), interval timers and CPU-time clocks. */
#include "lib/compat.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t got_signo, got_code, got_timerid, got_overrun, got_count;
static volatile long got_value;

static void on_signal(int signo, siginfo_t *si, void *uc) {
  (void)uc;
  got_signo = signo;
  got_code = si->si_code;
  got_timerid = si->si_timerid;
  got_overrun = si->si_overrun;
  got_value = si->si_value.sival_int;
  got_count++;
}

/* The kernel writes an int timer id; glibc's timer_t is a pointer, so take the int and widen it. */
static long tcreate(clockid_t clock, struct sigevent *sev, timer_t *id) {
  if ((void *)id == BAD_PTR) return syscall(SYS_timer_create, clock, sev, id);
  int raw = -1;
  long r = syscall(SYS_timer_create, clock, sev, &raw);
  if (r == 0) *id = (timer_t)(intptr_t)raw;
  return r;
}

static long tset(timer_t id, int flags, long v_sec, long v_nsec, long i_sec, long i_nsec, struct itimerspec *old) {
  struct itimerspec its = { { i_sec, i_nsec }, { v_sec, v_nsec } };
  return syscall(SYS_timer_settime, id, flags, &its, old);
}

static void spin_cpu_ms(long ms) {
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  for (;;) {
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    if ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= ms) return;
  }
}

/*
 * Burns user CPU time, which ITIMER_VIRTUAL counts alone: arithmetic, with
 * getrusage now and then. spin_cpu_ms's loop is mostly clock_gettime system
 * calls, i.e. system time, and gave a 20 ms virtual timer too little user
 * time in 100 ms on a loaded machine.
 */
static void spin_user_ms(long ms) {
  struct rusage a, b;
  getrusage(RUSAGE_SELF, &a);
  volatile unsigned long x = 0;
  for (;;) {
    for (int i = 0; i < 1000000; i++) x += i;
    getrusage(RUSAGE_SELF, &b);
    if ((b.ru_utime.tv_sec - a.ru_utime.tv_sec) * 1000 + (b.ru_utime.tv_usec - a.ru_utime.tv_usec) / 1000 >= ms) return;
  }
}

static int wait_signal(sigset_t *set, siginfo_t *si, long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
  return sigtimedwait(set, si, &ts);
}

static volatile pid_t waiter_tid;

static void *thread_waits(void *arg) {
  sigset_t set;
  siginfo_t si;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + 3);
  waiter_tid = (pid_t)syscall(SYS_gettid);
  *(int *)arg = wait_signal(&set, &si, 2000) == SIGRTMIN + 3 && si.si_code == SI_TIMER && si.si_value.sival_int == 77;
  return NULL;
}

int main(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGALRM, &sa, NULL);
  sigaction(SIGPROF, &sa, NULL);
  sigaction(SIGVTALRM, &sa, NULL);

  timer_t t0, t1, t2;
  struct sigevent sev = { 0 };
  struct itimerspec cur;

  /* Creation and its errors. */
  EQ("create_default", tcreate(CLOCK_MONOTONIC, NULL, &t0), 0);
  FACT("first_id_is_0", (intptr_t)t0 == 0);
  EQ("create_second", tcreate(CLOCK_REALTIME, NULL, &t1), 0);
  FACT("second_id_is_1", (intptr_t)t1 == 1);
  ERR("create_bad_clock", tcreate(99, NULL, &t2), EINVAL);
  ERR("create_raw_clock", tcreate(CLOCK_MONOTONIC_RAW, NULL, &t2), EOPNOTSUPP);
  ERR("create_coarse_clock", tcreate(CLOCK_MONOTONIC_COARSE, NULL, &t2), EOPNOTSUPP);
  ERR("create_bad_sevp", tcreate(CLOCK_MONOTONIC, BAD_PTR, &t2), EFAULT);
  ERR("create_bad_idp", tcreate(CLOCK_MONOTONIC, NULL, BAD_PTR), EFAULT);
  sev.sigev_notify = 77;
  ERR("create_bad_notify", tcreate(CLOCK_MONOTONIC, &sev, &t2), EINVAL);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = 0;
  ERR("create_signo_0", tcreate(CLOCK_MONOTONIC, &sev, &t2), EINVAL);
  sev.sigev_signo = 65;
  ERR("create_signo_65", tcreate(CLOCK_MONOTONIC, &sev, &t2), EINVAL);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR1;
  sev._sigev_un._tid = 999999;
  ERR("create_bad_tid", tcreate(CLOCK_MONOTONIC, &sev, &t2), EINVAL);
  sev.sigev_notify = SIGEV_NONE;
  sev.sigev_signo = 0;
  EQ("create_none_any_signo", tcreate(CLOCK_MONOTONIC, &sev, &t2), 0);
  /* Linux hands out ids in increasing order, and a create that fails after the clock check uses one up. */
  SHOW("none_id", "%ld", (long)(intptr_t)t2);

  /* A disarmed timer reads zero; settime validates. */
  EQ("gettime_disarmed", syscall(SYS_timer_gettime, t0, &cur), 0);
  FACT("disarmed_zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  ERR("gettime_bad_id", syscall(SYS_timer_gettime, (timer_t)(intptr_t)42, &cur), EINVAL);
  ERR("gettime_efault", syscall(SYS_timer_gettime, t0, BAD_PTR), EFAULT);
  ERR("settime_null", syscall(SYS_timer_settime, t0, 0, NULL, NULL), EINVAL);
  ERR("settime_bad_nsec", tset(t0, 0, 0, 1000000000, 0, 0, NULL), EINVAL);
  ERR("settime_neg_sec", tset(t0, 0, -1, 0, 0, 0, NULL), EINVAL);
  ERR("settime_bad_interval", tset(t0, 0, 1, 0, 0, -5, NULL), EINVAL);
  ERR("settime_bad_id", tset((timer_t)(intptr_t)42, 0, 1, 0, 0, 0, NULL), EINVAL);
  ERR("settime_efault", syscall(SYS_timer_settime, t0, 0, BAD_PTR, NULL), EFAULT);

  /* SIGEV_NONE: armed, counts down, never signals. */
  EQ("none_arm", tset(t2, 0, 10, 0, 2, 0, NULL), 0);
  EQ("none_gettime", syscall(SYS_timer_gettime, t2, &cur), 0);
  FACT("none_counts_down", cur.it_value.tv_sec <= 10 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0));
  FACT("none_interval", cur.it_interval.tv_sec == 2 && cur.it_interval.tv_nsec == 0);
  EQ("none_old_value", tset(t2, 0, 0, 0, 0, 0, &cur), 0);
  FACT("none_old_is_armed", cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
  /* What a disarmed SIGEV_NONE timer reads varies between kernel versions (6.18 still shows the old expiry). */

  /* The default notification: SIGALRM, si_value = the timer id, SI_TIMER. */
  got_count = 0;
  EQ("default_arm", tset(t1, 0, 0, 5000000, 0, 0, NULL), 0);
  while (got_count == 0) pause();
  EQ("default_signo", got_signo, SIGALRM);
  EQ("default_code", got_code, SI_TIMER);
  EQ("default_timerid", got_timerid, 1);
  EQ("default_value", got_value, 1);
  EQ("default_overrun", got_overrun, 0);
  EQ("oneshot_disarmed_after", syscall(SYS_timer_gettime, t1, &cur), 0);
  FACT("oneshot_value_zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

  /* An absolute time already past fires at once. */
  got_count = 0;
  EQ("abstime_past", tset(t1, TIMER_ABSTIME, 1, 0, 0, 0, NULL), 0);
  while (got_count == 0) pause();
  EQ("abstime_past_fired", got_count, 1);

  /* A blocked signal accumulates overruns; si_overrun and timer_getoverrun report them. */
  timer_t t3;
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 4242;
  EQ("create_usr1", tcreate(CLOCK_MONOTONIC, &sev, &t3), 0);
  SHOW("usr1_id", "%ld", (long)(intptr_t)t3);
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old);
  EQ("periodic_arm", tset(t3, 0, 0, 2000000, 0, 2000000, NULL), 0);
  struct timespec nap = { 0, 60000000 };
  nanosleep(&nap, NULL);
  sigset_t pending;
  sigpending(&pending);
  FACT("periodic_pending", sigismember(&pending, SIGUSR1));
  siginfo_t si;
  EQ("periodic_sigwait", wait_signal(&usr1, &si, 1000), SIGUSR1);
  EQ("periodic_code", si.si_code, SI_TIMER);
  EQ("periodic_value", si.si_value.sival_int, 4242);
  FACT("periodic_overran", si.si_overrun >= 5);
  FACT("getoverrun_matches", syscall(SYS_timer_getoverrun, t3) == si.si_overrun);
  EQ("periodic_interval_kept", syscall(SYS_timer_gettime, t3, &cur), 0);
  FACT("periodic_interval_2ms", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 2000000);
  EQ("delete_usr1", syscall(SYS_timer_delete, t3), 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  got_count = 0;
  ERR("delete_again", syscall(SYS_timer_delete, t3), EINVAL);
  ERR("getoverrun_deleted", syscall(SYS_timer_getoverrun, t3), EINVAL);
  ERR("settime_deleted", tset(t3, 0, 1, 0, 0, 0, NULL), EINVAL);

  /* SIGEV_THREAD_ID: the signal goes to the named thread. */
  pthread_t th;
  int thread_ok = 0;
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &rt, &old);
  pthread_create(&th, NULL, thread_waits, &thread_ok);
  timer_t t4;
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN + 3;
  while (waiter_tid == 0) sched_yield();
  sev._sigev_un._tid = waiter_tid;
  sev.sigev_value.sival_int = 77;
  EQ("create_thread_id", tcreate(CLOCK_MONOTONIC, &sev, &t4), 0);
  EQ("thread_id_arm", tset(t4, 0, 0, 5000000, 0, 0, NULL), 0);
  pthread_join(th, NULL);
  FACT("thread_id_signal_reached_thread", thread_ok);
  sigpending(&pending);
  FACT("thread_id_not_pending_in_main", !sigismember(&pending, SIGRTMIN + 3));
  EQ("delete_thread_id", syscall(SYS_timer_delete, t4), 0);
  sigprocmask(SIG_SETMASK, &old, NULL);

  /* A CPU-time timer fires only after the process has used that much CPU. */
  timer_t t5;
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 5;
  EQ("create_cpu", tcreate(CLOCK_PROCESS_CPUTIME_ID, &sev, &t5), 0);
  got_count = 0;
  EQ("cpu_arm", tset(t5, 0, 0, 30000000, 0, 0, NULL), 0);
  struct timespec idle = { 0, 50000000 };
  nanosleep(&idle, NULL);
  EQ("cpu_not_fired_while_sleeping", got_count, 0);
  spin_cpu_ms(200);
  FACT("cpu_fired_after_spinning", got_count == 1 && got_value == 5);
  EQ("delete_cpu", syscall(SYS_timer_delete, t5), 0);
  ERR("create_thread_clock_other_pid", tcreate(-((1 << 3) * 99999) - 2 + 4 - 4, NULL, &t5), EINVAL);

  /* CPU clocks of this process and thread advance with work. */
  struct timespec c0, c1;
  EQ("cputime_process", syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &c0), 0);
  spin_cpu_ms(20);
  EQ("cputime_process_again", syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &c1), 0);
  FACT("cputime_process_advanced_20ms", (c1.tv_sec - c0.tv_sec) * 1000000000L + (c1.tv_nsec - c0.tv_nsec) >= 20000000);
  EQ("cputime_thread", syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &c0), 0);
  FACT("cputime_thread_positive", c0.tv_sec > 0 || c0.tv_nsec > 0);

  /* Interval timers on CPU time: ITIMER_PROF and ITIMER_VIRTUAL send SIGPROF / SIGVTALRM (SI_KERNEL). */
  struct itimerval iv = { { 0, 0 }, { 0, 20000 } }, ov;
  got_count = 0;
  EQ("setitimer_prof", setitimer(ITIMER_PROF, &iv, NULL), 0);
  EQ("getitimer_prof", getitimer(ITIMER_PROF, &ov), 0);
  /* Linux adds a tick (1/HZ) to a CPU interval timer's first expiry. */
  FACT("prof_armed", ov.it_value.tv_sec == 0 && ov.it_value.tv_usec > 0 && ov.it_value.tv_usec <= 30000);
  spin_cpu_ms(100);
  FACT("prof_fired", got_count == 1 && got_signo == SIGPROF);
  EQ("prof_code", got_code, SI_KERNEL);
  got_count = 0;
  EQ("setitimer_virtual", setitimer(ITIMER_VIRTUAL, &iv, NULL), 0);
  spin_user_ms(100);
  FACT("virtual_fired", got_count == 1 && got_signo == SIGVTALRM);
  EQ("getitimer_virtual_after", getitimer(ITIMER_VIRTUAL, &ov), 0);
  FACT("virtual_disarmed", ov.it_value.tv_sec == 0 && ov.it_value.tv_usec == 0);
  iv.it_value.tv_usec = 5000;
  got_count = 0;
  EQ("setitimer_real", setitimer(ITIMER_REAL, &iv, NULL), 0);
  while (got_count == 0) pause();
  EQ("real_signo", got_signo, SIGALRM);
  EQ("real_code", got_code, SI_KERNEL);

  /* Timers are per process: a forked child has none, and exec clears them. */
  EQ("delete_0", syscall(SYS_timer_delete, t0), 0);
  EQ("delete_1", syscall(SYS_timer_delete, t1), 0);
  EQ("delete_2", syscall(SYS_timer_delete, t2), 0);
  EQ("recreate", tcreate(CLOCK_MONOTONIC, NULL, &t0), 0);
  SHOW("recreated_id", "%ld", (long)(intptr_t)t0);
  pid_t pid = fork();
  if (pid == 0) _exit(syscall(SYS_timer_gettime, t0, &cur) == -1 && errno == EINVAL ? 0 : 1);
  int status;
  waitpid(pid, &status, 0);
  FACT("fork_child_has_no_timers", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return compat_done();
}
