/*
 * futex: FUTEX_WAIT (EAGAIN on a value mismatch, ETIMEDOUT, EINTR), WAKE
 * counts, WAIT_BITSET/WAKE_BITSET with absolute timeouts, REQUEUE and
 * CMP_REQUEUE, requeue-PI (WAIT_REQUEUE_PI onto a free or a held PI lock,
 * CMP_REQUEUE_PI and their argument rules), private and shared futexes
 * across fork, and argument errors.
 * Waiters are threads; wake counts depend only on how many are waiting,
 * which the program waits for before waking.
 */
#include "lib/compat.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static long fx(void *uaddr, int op, int val, const void *ts_or_val2, void *uaddr2, int val3) {
  return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}

static int word, word2;
static atomic_int woken, started;

static void *waiter(void *arg) {
  int *w = arg;
  atomic_fetch_add(&started, 1);
  while (__atomic_load_n(w, __ATOMIC_SEQ_CST) == 0) {
    if (fx(w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) == 0) { atomic_fetch_add(&woken, 1); return NULL; }
  }
  atomic_fetch_add(&woken, 1);
  return NULL;
}

/* Waits (boundedly) until n waiters sleep on w: a CMP_REQUEUE of w onto itself wakes nobody and
 * returns how many wait there, so no wake count below depends on timing. */
static void settle(int *w, int n) {
  for (int i = 0; i < 5000; i++) {
    if (fx(w, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)0x7fffffffL, w, *w) == n) return;
    usleep(1000);
  }
}

static void on_alarm(int s) { (void)s; }

/* requeue-PI: cv is the condition variable's word (always 0 here), pil the PI lock's word. */
static int cv, pil, pil_other;
static atomic_int pi_owned;

/* Waits on cv to be requeued onto pil, then checks that it holds pil and unlocks it. */
static void *requeue_pi_waiter(void *arg) {
  (void)arg;
  long r = fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &pil, 0);
  int tid = (int)syscall(SYS_gettid);
  if (r == 0 && (__atomic_load_n(&pil, __ATOMIC_SEQ_CST) & FUTEX_TID_MASK) == tid &&
      fx(&pil, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0) == 0)
    atomic_fetch_add(&pi_owned, 1);
  return (void *)r;
}

/* Waits (boundedly) until a FUTEX_WAIT_REQUEUE_PI waiter sleeps on cv: a plain wake then answers
 * EINVAL and wakes nobody (Linux's futex_wake refuses requeue-PI waiters). Returns whether it did. */
static int settle_requeue_pi(void) {
  for (int i = 0; i < 5000; i++) {
    if (fx(&cv, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EINVAL) return 1;
    usleep(1000);
  }
  return 0;
}

int main(void) {
  struct timespec ts = {0, 20000000};

  /* ---- WAIT: mismatch, timeout, bad arguments ---- */
  ABOUT("futex");
  word = 1;
  ERR("wait_value_mismatch", fx(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
  ERR("wait_private_mismatch", fx(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
  ERR("wait_timeout", fx(&word, FUTEX_WAIT, 1, &ts, NULL, 0), ETIMEDOUT);
  struct timespec zero = {0, 0};
  ERR("wait_zero_timeout", fx(&word, FUTEX_WAIT, 1, &zero, NULL, 0), ETIMEDOUT);
  struct timespec bad = {0, 1000000000};
  ERR("wait_bad_timespec", fx(&word, FUTEX_WAIT, 1, &bad, NULL, 0), EINVAL);
  struct timespec neg = {-1, 0};
  ERR("wait_negative_timespec", fx(&word, FUTEX_WAIT, 1, &neg, NULL, 0), EINVAL);
  ERR("wait_unaligned", fx((char *)&word + 1, FUTEX_WAIT, 1, &ts, NULL, 0), EINVAL);
  ERR("wait_efault", fx(BAD_PTR, FUTEX_WAIT, 1, &ts, NULL, 0), EFAULT);
  ERR("wait_efault_timeout", fx(&word, FUTEX_WAIT, 1, BAD_PTR, NULL, 0), EFAULT);
  ERR("bad_op", fx(&word, 99, 0, NULL, NULL, 0), ENOSYS);
  ERR("wait_bitset_zero_mask", fx(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0), EINVAL);
  ERR("wake_bitset_zero_mask", fx(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
  ERR("clock_realtime_on_wait", fx(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1, &ts, NULL, 0), ENOSYS);

  /* ---- WAKE with nobody waiting ---- */
  EQ("wake_nobody", fx(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
  EQ("wake_private_nobody", fx(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 0);
  ERR("wake_efault", fx(BAD_PTR, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
  ERR("wake_unaligned", fx((char *)&word + 2, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);

  /* ---- WAIT with a timeout interrupted by a signal: EINTR ---- */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  /* Every 20 ms until disarmed, not once: a first alarm that comes before the wait blocks (a loaded machine) would leave it to time out. */
  struct itimerval it = {{0, 20000}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec long_ts = {5, 0};
  ERR("wait_eintr", fx(&word, FUTEX_WAIT, 1, &long_ts, NULL, 0), EINTR);
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);

  /* ---- WAKE counts ---- */
  word = 0;
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, waiter, &word);
  settle(&word, 4);
  EQ("wake_one", fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
  EQ("wake_two", fx(&word, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2);
  EQ("wake_rest", fx(&word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0), 1);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  EQ("all_woken", atomic_load(&woken), 4);

  /* ---- REQUEUE and CMP_REQUEUE ---- */
  word = 0;
  word2 = 0;
  atomic_store(&started, 0);
  atomic_store(&woken, 0);
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, waiter, &word);
  settle(&word, 4);
  ERR("cmp_requeue_mismatch", fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &word2, 7), EAGAIN);
  ERR("cmp_requeue_negative", fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, -1, (void *)1L, &word2, 0), EINVAL);
  /* Wake 1, move 2 to word2: returns woken + requeued. */
  EQ("cmp_requeue", fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &word2, 0), 3);
  EQ("wake_left_on_word", fx(&word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0), 1);
  EQ("wake_requeued_on_word2", fx(&word2, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0), 2);
  word = 1; /* the requeued waiters return 0 and count themselves */
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  EQ("requeue_all_woken", atomic_load(&woken), 4);
  word = 0;
  atomic_store(&started, 0);
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, waiter, &word);
  settle(&word, 2);
  EQ("requeue_plain", fx(&word, FUTEX_REQUEUE_PRIVATE, 0, (void *)10L, &word2, 0), 2);
  EQ("requeue_moved_all", fx(&word2, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0), 2);
  word = 1;
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  ERR("requeue_same_address_pi", fx(&word, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, &word, 1), EINVAL);

  /* ---- requeue-PI: FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (a condvar's waiters onto a PI mutex) ---- */
  cv = 0;
  pil = 0;
  ERR("cmp_requeue_pi_nr_wake_0", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 0, (void *)1L, &pil, 0), EINVAL);
  ERR("cmp_requeue_pi_nr_wake_2", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, (void *)1L, &pil, 0), EINVAL);
  ERR("cmp_requeue_pi_negative", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)-1L, &pil, 0), EINVAL);
  ERR("cmp_requeue_pi_unaligned", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, (char *)&pil + 1, 0), EINVAL);
  ERR("cmp_requeue_pi_mismatch", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, &pil, 7), EAGAIN);
  EQ("cmp_requeue_pi_nobody", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, &pil, 0), 0);
  ERR("cmp_requeue_pi_efault", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, BAD_PTR, 0), EFAULT);
  ERR("wait_requeue_pi_same_address", fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &cv, 0), EINVAL);
  ERR("wait_requeue_pi_mismatch", fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, NULL, &pil, 0), EAGAIN);
  ERR("wait_requeue_pi_efault", fx(BAD_PTR, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &pil, 0), EFAULT);
  ERR("wait_requeue_pi_unaligned", fx((char *)&cv + 1, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, NULL, &pil, 0), EINVAL);
  ERR("wait_requeue_pi_bad_timespec", fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, &bad, &pil, 0), EINVAL);
  /* The timeout is absolute: CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME (allowed here). */
  struct timespec rq_dl;
  clock_gettime(CLOCK_MONOTONIC, &rq_dl);
  rq_dl.tv_nsec += 20000000;
  if (rq_dl.tv_nsec >= 1000000000) { rq_dl.tv_sec++; rq_dl.tv_nsec -= 1000000000; }
  ERR("wait_requeue_pi_timeout", fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, &rq_dl, &pil, 0), ETIMEDOUT);
  clock_gettime(CLOCK_REALTIME, &rq_dl);
  rq_dl.tv_sec -= 10;
  ERR("wait_requeue_pi_realtime_past", fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &rq_dl, &pil, 0), ETIMEDOUT);
  /* Two addresses of one shared word: the keys, not the addresses, must differ. */
  int mfd = memfd_create("futex", 0);
  int *view1 = MAP_FAILED, *view2 = MAP_FAILED;
  if (mfd >= 0 && ftruncate(mfd, 4096) == 0) {
    view1 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    view2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  }
  FACT("two_views_of_one_word", view1 != MAP_FAILED && view2 != MAP_FAILED && view1 != view2);
  if (view1 != MAP_FAILED && view2 != MAP_FAILED) {
    ERR("wait_requeue_pi_same_word", fx(view1, FUTEX_WAIT_REQUEUE_PI, 0, NULL, view2, 0), EINVAL);
    ERR("cmp_requeue_pi_same_word", fx(view1, FUTEX_CMP_REQUEUE_PI, 1, (void *)1L, view2, 0), EINVAL);
  }

  /* A free PI lock: the waiter is woken holding it (the word is its tid), and returns 0. */
  pthread_t rq[2];
  void *rq_ret[2];
  pthread_create(&rq[0], NULL, requeue_pi_waiter, NULL);
  FACT("wake_requeue_pi_waiter_einval", settle_requeue_pi());
  ERR("cmp_requeue_meets_requeue_pi_waiter", fx(&cv, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &word2, 0), EINVAL);
  ERR("cmp_requeue_pi_other_target", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)1L, &pil_other, 0), EINVAL);
  EQ("cmp_requeue_pi_takes_free_lock", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)0L, &pil, 0), 1);
  pthread_join(rq[0], &rq_ret[0]);
  EQ("wait_requeue_pi_returns", (long)rq_ret[0], 0);
  EQ("wait_requeue_pi_held_lock", atomic_load(&pi_owned), 1);
  EQ("pi_lock_free_after", pil, 0);

  /* A held PI lock: each waiter is moved onto it (one more than nr_requeue=0, as it cannot take it)
   * and gets it from FUTEX_UNLOCK_PI, in turn. */
  atomic_store(&pi_owned, 0);
  EQ("lock_pi", fx(&pil, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
  pthread_create(&rq[0], NULL, requeue_pi_waiter, NULL);
  settle_requeue_pi();
  EQ("cmp_requeue_pi_to_held_lock", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)0L, &pil, 0), 1);
  FACT("held_lock_marked_waiters", (pil & FUTEX_WAITERS) != 0 && (pil & FUTEX_TID_MASK) == (int)syscall(SYS_gettid));
  pthread_create(&rq[1], NULL, requeue_pi_waiter, NULL);
  settle_requeue_pi();
  EQ("cmp_requeue_pi_second_waiter", fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, (void *)0L, &pil, 0), 1);
  EQ("wake_requeued_pi_waiter_einval", fx(&pil, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EINVAL, 1);
  EQ("unlock_pi_hands_over", fx(&pil, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
  pthread_join(rq[0], &rq_ret[0]);
  pthread_join(rq[1], &rq_ret[1]);
  FACT("requeued_waiters_return_0", rq_ret[0] == NULL && rq_ret[1] == NULL);
  EQ("requeued_waiters_held_lock", atomic_load(&pi_owned), 2);
  EQ("pi_lock_free_at_end", pil, 0);

  /* ---- WAIT_BITSET: an absolute CLOCK_MONOTONIC or CLOCK_REALTIME deadline ---- */
  word = 1;
  struct timespec now, dl;
  clock_gettime(CLOCK_MONOTONIC, &now);
  dl = now;
  dl.tv_nsec += 20000000;
  if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
  ERR("wait_bitset_abs_timeout", fx(&word, FUTEX_WAIT_BITSET, 1, &dl, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  struct timespec after;
  clock_gettime(CLOCK_MONOTONIC, &after);
  FACT("wait_bitset_waited_until_deadline", after.tv_sec > dl.tv_sec || (after.tv_sec == dl.tv_sec && after.tv_nsec >= dl.tv_nsec));
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec -= 10; /* already past */
  ERR("wait_bitset_realtime_past", fx(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &dl, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  ERR("wait_bitset_mismatch", fx(&word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 1), EAGAIN);
  EQ("wake_bitset_nobody", fx(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 1), 0);

  /* ---- shared futexes across fork: the word lives in a MAP_SHARED mapping ---- */
  int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *sh = 0;
  pid_t pid = fork();
  if (pid == 0) {
    while (__atomic_load_n(sh, __ATOMIC_SEQ_CST) == 0) fx(sh, FUTEX_WAIT, 0, NULL, NULL, 0);
    _exit(__atomic_load_n(sh, __ATOMIC_SEQ_CST));
  }
  /* The child may take a while to reach its wait under load: wake until a wake finds it (it waits again, the word still 0). */
  long woke = 0;
  for (int i = 0; i < 500 && woke == 0; i++) {
    woke = fx(sh, FUTEX_WAKE, 1, NULL, NULL, 0);
    if (woke == 0) usleep(10000);
  }
  FACT("shared_wake_other_process", woke == 1);
  __atomic_store_n(sh, 9, __ATOMIC_SEQ_CST);
  fx(sh, FUTEX_WAKE, 1, NULL, NULL, 0);
  int st;
  waitpid(pid, &st, 0);
  EQ("shared_child_saw_value", WEXITSTATUS(st), 9);
  /* A private wake does not reach a shared waiter in another process. */
  *sh = 0;
  pid = fork();
  if (pid == 0) {
    struct timespec t = {0, 300000000};
    long r = fx(sh, FUTEX_WAIT, 0, &t, NULL, 0);
    _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
  }
  usleep(50000);
  EQ("private_wake_misses_other_process", fx(sh, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
  waitpid(pid, &st, 0);
  EQ("shared_waiter_timed_out", WEXITSTATUS(st), 0);

  /* ---- WAKE_OP ---- */
  word = 0;
  word2 = 5;
  /* op: word2 = 1 (SET), compare old value == 5: wakes on both (nobody waits). */
  int op = FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 5);
  EQ("wake_op_nobody", fx(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &word2, op), 0);
  EQ("wake_op_stored", word2, 1);
  op = FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 100);
  EQ("wake_op_add", fx(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &word2, op), 0);
  EQ("wake_op_added", word2, 4);
  ERR("wake_op_efault", fx(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, BAD_PTR, op), EFAULT);
  return compat_done();
}
