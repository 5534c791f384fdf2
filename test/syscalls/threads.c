/*
 * Threads: clone(CLONE_THREAD) through pthreads and by hand, gettid, the
 * thread group's shared pid, set_tid_address and CLONE_CHILD_CLEARTID
 * wake-ups (what pthread_join relies on), per-thread signal masks, signals
 * aimed at one thread with tgkill, exit (one thread) against exit_group
 * (all of them), and robust lists: registration, and the FUTEX_OWNER_DIED
 * mark and wake-up when a lock's holder exits or execs. Tids are compared,
 * never printed.
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

/*
 * A robust mutex (protocol proto) whose holder dies while the caller waits
 * on it: the holder (another process when pshared, else a thread) takes
 * it, says so through a pipe and dies 200 ms later, so the caller is
 * normally asleep in the kernel when it goes; the kernel must mark the word
 * FUTEX_OWNER_DIED and wake it. Either way the lock must answer EOWNERDEAD.
 * Returns 0, 2 for ETIMEDOUT, 1 for anything else.
 */
static int robust_pipe[2];
static void *robust_holder(void *mu) {
  pthread_mutex_lock(mu);
  if (write(robust_pipe[1], "x", 1) != 1) return NULL;
  usleep(200000);
  return NULL; /* the thread dies holding it */
}
/* A robust mutex with protocol proto in a page of its own, shared across fork when pshared; NULL if that fails. */
static pthread_mutex_t *robust_mutex(int proto, int pshared) {
  pthread_mutexattr_t a;
  pthread_mutex_t *mu = mmap(NULL, 4096, PROT_READ | PROT_WRITE, (pshared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setprotocol(&a, proto);
  pthread_mutexattr_setpshared(&a, pshared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
  return mu == MAP_FAILED || pthread_mutex_init(mu, &a) != 0 ? NULL : mu;
}
static int robust_dies_while_waiting(int proto, int pshared) {
  pthread_mutex_t *mu = robust_mutex(proto, pshared);
  if (mu == NULL || pipe(robust_pipe) != 0) return 1;
  pid_t holder = -1;
  pthread_t thread;
  if (pshared) {
    holder = fork();
    if (holder == 0) { robust_holder(mu); _exit(0); }
  } else if (pthread_create(&thread, NULL, robust_holder, mu) != 0) {
    return 1;
  }
  char c;
  if (read(robust_pipe[0], &c, 1) != 1) return 1;
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  int r = pthread_mutex_timedlock(mu, &until);
  if (pshared) waitpid(holder, NULL, 0);
  else pthread_join(thread, NULL);
  close(robust_pipe[0]);
  close(robust_pipe[1]);
  return r == EOWNERDEAD ? 0 : r == ETIMEDOUT ? 2 : 1;
}

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
    pthread_mutex_t *mu = robust_mutex(PTHREAD_PRIO_NONE, 1);
    if (mu == NULL) _exit(4);
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
  /* The holder's death walks its robust list (set at clone and fork by glibc); a waiter already asleep is woken. */
  ABOUT("set_robust_list");
  FACT("robust_owner_dies_while_waiting", robust_dies_while_waiting(PTHREAD_PRIO_NONE, 1) == 0);
  FACT("robust_pi_owner_dies_while_waiting", robust_dies_while_waiting(PTHREAD_PRIO_INHERIT, 1) == 0);
  FACT("robust_thread_dies_while_waiting", robust_dies_while_waiting(PTHREAD_PRIO_NONE, 0) == 0);
  FACT("robust_pi_thread_dies_while_waiting", robust_dies_while_waiting(PTHREAD_PRIO_INHERIT, 0) == 0);
  /* execve ends the old image's robust locks as exit does (Linux's exec_mm_release). */
  pid = fork();
  if (pid == 0) {
    pthread_mutex_t *mu = robust_mutex(PTHREAD_PRIO_NONE, 1);
    if (mu == NULL) _exit(4);
    pid_t holder = fork();
    if (holder == 0) {
      pthread_mutex_lock(mu);
      execl("/bin/true", "true", (char *)NULL);
      _exit(3);
    }
    int hst;
    waitpid(holder, &hst, 0);
    if (!WIFEXITED(hst) || WEXITSTATUS(hst) != 0) _exit(3); /* the exec failed */
    _exit(pthread_mutex_trylock(mu) == EOWNERDEAD ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  FACT("robust_owner_execs", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return compat_done();
}
