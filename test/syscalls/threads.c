/*
 * Threads: clone(CLONE_THREAD) through pthreads and by hand, gettid, the
 * thread group's shared pid, set_tid_address and CLONE_CHILD_CLEARTID
 * wake-ups (what pthread_join relies on), per-thread signal masks, signals
 * aimed at one thread with tgkill, exit (one thread) against exit_group
 * (all of them), and robust-list registration. Tids are compared, never
 * printed.
 */
#include "lib/compat.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long pid_in_thread, tid_in_thread, ppid_in_thread;
static atomic_int counter;
static volatile int usr1_thread_tid;

static void *ids(void *arg) {
  (void)arg;
  pid_in_thread = syscall(SYS_getpid);
  tid_in_thread = syscall(SYS_gettid);
  ppid_in_thread = syscall(SYS_getppid);
  return (void *)42;
}

static void *add(void *arg) {
  for (int i = 0; i < 10000; i++) atomic_fetch_add(&counter, 1);
  return arg;
}

static void *parked(void *arg) { for (;;) pause(); return arg; }

static void on_usr1(int s) { (void)s; usr1_thread_tid = (int)syscall(SYS_gettid); }

static pthread_barrier_t barrier;
static volatile long waiter_tid;
static void *masked_waiter(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL); /* this thread blocks SIGUSR1, the main thread does not */
  waiter_tid = syscall(SYS_gettid);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  sigset_t pend;
  sigpending(&pend);
  return (void *)(long)sigismember(&pend, SIGUSR1);
}

static void *thread_exit_only(void *arg) {
  (void)arg;
  syscall(SYS_exit, 0); /* this thread only */
  return NULL;
}

/* A raw CLONE_THREAD child: a stack and a function that never returns. */
static volatile int raw_ran;
static int raw_ctid = -1;
static char raw_stack[65536] __attribute__((aligned(16)));
static int raw_thread(void *arg) {
  (void)arg;
  raw_ran = 1;
  syscall(SYS_exit, 0);
  return 0;
}

static long futex_wait(int *addr, int val) { return syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0); }

int main(void) {
  long me = syscall(SYS_getpid);

  /* ---- ids ---- */
  ABOUT("gettid");
  FACT("main_tid_is_pid", syscall(SYS_gettid) == me);
  pthread_t th;
  void *ret;
  ABOUT("clone3");
  EQ("pthread_create", pthread_create(&th, NULL, ids, NULL), 0);
  EQ("pthread_join", pthread_join(th, &ret), 0);
  FACT("join_value", ret == (void *)42);
  ABOUT("gettid");
  FACT("thread_shares_pid", pid_in_thread == me);
  FACT("thread_tid_differs", tid_in_thread != me && tid_in_thread > 0);
  FACT("thread_shares_ppid", ppid_in_thread == syscall(SYS_getppid));

  /* ---- shared memory, concurrently ---- */
  ABOUT("clone3");
  pthread_t ts[4];
  for (int i = 0; i < 4; i++) pthread_create(&ts[i], NULL, add, NULL);
  for (int i = 0; i < 4; i++) pthread_join(ts[i], NULL);
  EQ("four_threads_counted", atomic_load(&counter), 40000);

  /* ---- a raw clone(CLONE_THREAD) with CLONE_CHILD_CLEARTID ---- */
  ABOUT("clone");
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
  raw_ctid = -1;
  long rt = clone(raw_thread, raw_stack + sizeof raw_stack, flags, NULL, NULL, NULL, &raw_ctid);
  FACT("raw_thread_tid", rt > 0 && rt != me);
  /* CLEARTID: the kernel zeroes raw_ctid and wakes it as a futex when the thread exits. */
  for (int v; (v = __atomic_load_n(&raw_ctid, __ATOMIC_SEQ_CST)) != 0;) futex_wait(&raw_ctid, v);
  FACT("cleartid_zeroed_and_woken", raw_ctid == 0 && raw_ran == 1);
  int st;
  ERR("thread_not_waitable", syscall(SYS_wait4, rt, &st, __WALL | WNOHANG, NULL), ECHILD);

  /* ---- set_tid_address ---- */
  ABOUT("set_tid_address");
  static int tidaddr;
  FACT("set_tid_address_returns_tid", syscall(SYS_set_tid_address, &tidaddr) == me);
  pid_t pid;

  /* ---- per-thread masks and tgkill ---- */
  ABOUT("tgkill");
  signal(SIGUSR1, on_usr1);
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_create(&th, NULL, masked_waiter, NULL);
  pthread_barrier_wait(&barrier);
  EQ("tgkill_to_masked_thread", syscall(SYS_tgkill, me, waiter_tid, SIGUSR1), 0);
  usr1_thread_tid = 0;
  /* A process-directed signal goes to a thread that does not block it: the main thread. */
  syscall(SYS_kill, me, SIGUSR1);
  FACT("process_signal_to_unmasked_thread", usr1_thread_tid == me);
  pthread_barrier_wait(&barrier);
  pthread_join(th, &ret);
  FACT("thread_directed_stays_pending_there", ret == (void *)1);
  unsigned long pend = 0;
  syscall(SYS_rt_sigpending, &pend, 8);
  FACT("not_pending_in_main", !(pend & (1UL << (SIGUSR1 - 1))));
  pthread_barrier_destroy(&barrier);
  ERR("tgkill_exited_thread", syscall(SYS_tgkill, me, tid_in_thread, 0), ESRCH);

  /* ---- exit ends a thread; exit_group ends all ---- */
  ABOUT("exit");
  pthread_create(&th, NULL, thread_exit_only, NULL);
  EQ("join_after_raw_exit", pthread_join(th, NULL), 0);
  FACT("process_survives_thread_exit", syscall(SYS_getpid) == me);
  ABOUT("exit_group");
  pid = fork();
  if (pid == 0) {
    pthread_t t2;
    pthread_create(&t2, NULL, ids, NULL);
    pthread_join(t2, NULL);
    pthread_create(&t2, NULL, add, NULL); /* still running, or not: exit_group ends it either way */
    syscall(SYS_exit_group, 17);
  }
  waitpid(pid, &st, 0);
  FACT("exit_group_status", WIFEXITED(st) && WEXITSTATUS(st) == 17);
  /* The main thread exits alone: the process lives on until its last thread exits. */
  pid = fork();
  if (pid == 0) {
    pthread_t t2;
    pthread_create(&t2, NULL, add, (void *)0);
    syscall(SYS_exit, 0); /* the main thread only; the group exits with the last thread's status 0 */
  }
  waitpid(pid, &st, 0);
  FACT("main_thread_exit_alone", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  /* A thread's fatal signal kills the whole group. */
  pid = fork();
  if (pid == 0) {
    pthread_t t2;
    pthread_create(&t2, NULL, parked, NULL); /* alive until killed: pthread_kill cannot miss it */
    pthread_kill(t2, SIGKILL);
    pause();
    _exit(0);
  }
  waitpid(pid, &st, 0);
  FACT("thread_sigkill_kills_group", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

  /* ---- robust lists ---- */
  ABOUT("set_robust_list");
  struct robust_list_head head = {{&head.list}, 0, NULL};
  EQ("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof head), 0);
  ERR("set_robust_list_bad_len", syscall(SYS_set_robust_list, &head, sizeof head + 1), EINVAL);
  ABOUT("get_robust_list");
  struct robust_list_head *got = NULL;
  size_t len = 0;
  EQ("get_robust_list", syscall(SYS_get_robust_list, 0, &got, &len), 0);
  FACT("get_robust_list_values", got == &head && len == sizeof head);
  ERR("get_robust_list_no_thread", syscall(SYS_get_robust_list, 0x3ffffff0, &got, &len), ESRCH);
  ERR("get_robust_list_efault", syscall(SYS_get_robust_list, 0, BAD_PTR, &len), EFAULT);
  /* A robust futex held by a thread that dies: the kernel sets FUTEX_OWNER_DIED. */
  pid = fork();
  if (pid == 0) {
    pthread_mutexattr_t a;
    pthread_mutex_t *mu = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(mu, &a);
    pid_t holder = fork();
    if (holder == 0) { pthread_mutex_lock(mu); _exit(0); } /* dies holding it */
    waitpid(holder, NULL, 0);
    /* A timed lock: a sandbox that never marks the owner dead answers ETIMEDOUT instead of hanging. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 500000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    int r = pthread_mutex_timedlock(mu, &until);
    _exit(r == EOWNERDEAD ? 0 : r == ETIMEDOUT ? 2 : 1);
  }
  waitpid(pid, &st, 0);
  EQ("robust_owner_died", WEXITSTATUS(st), 0);
  return compat_done();
}
