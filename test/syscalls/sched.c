/*
 * The scheduler interface: policies and priorities (sched_get/setscheduler,
 * get/setparam, priority ranges, sched_getattr/setattr), affinity, getcpu,
 * sched_rr_get_interval, ioprio_get/set, and their errors. Changes are made
 * on the process itself or on a child and undone; what is printed is the
 * value read back, never a timing.
 */
#include "lib/compat.h"
#include <sched.h>
#include <stdint.h>
#include <sys/wait.h>

struct attr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t util_min, util_max;
};

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO(cls, data) (((cls) << 13) | (data))

static long getsched(pid_t pid) { return syscall(SYS_sched_getscheduler, pid); }
static long setsched(pid_t pid, int policy, const struct sched_param *p) { return syscall(SYS_sched_setscheduler, pid, policy, p); }

int main(void) {
  struct sched_param p = {0};
  pid_t self = getpid();

  /* Priority ranges. */
  EQ("max_other", syscall(SYS_sched_get_priority_max, SCHED_OTHER), 0);
  EQ("min_other", syscall(SYS_sched_get_priority_min, SCHED_OTHER), 0);
  EQ("max_fifo", syscall(SYS_sched_get_priority_max, SCHED_FIFO), 99);
  EQ("min_fifo", syscall(SYS_sched_get_priority_min, SCHED_FIFO), 1);
  EQ("max_rr", syscall(SYS_sched_get_priority_max, SCHED_RR), 99);
  EQ("min_rr", syscall(SYS_sched_get_priority_min, SCHED_RR), 1);
  EQ("max_batch", syscall(SYS_sched_get_priority_max, SCHED_BATCH), 0);
  EQ("max_idle", syscall(SYS_sched_get_priority_max, SCHED_IDLE), 0);
  VAL("max_deadline", syscall(SYS_sched_get_priority_max, 6));
  ERR("max_4", syscall(SYS_sched_get_priority_max, 4), EINVAL);
  ERR("max_neg", syscall(SYS_sched_get_priority_max, -1), EINVAL);
  ERR("min_8", syscall(SYS_sched_get_priority_min, 8), EINVAL);
  VAL("max_ext", syscall(SYS_sched_get_priority_max, 7));

  /* Reading. */
  EQ("getscheduler_self", getsched(0), SCHED_OTHER);
  EQ("getscheduler_pid", getsched(self), SCHED_OTHER);
  ERR("getscheduler_neg", getsched(-1), EINVAL);
  ERR("getscheduler_esrch", getsched(0x3ffffff0), ESRCH);
  p.sched_priority = 42;
  EQ("getparam", syscall(SYS_sched_getparam, 0, &p), 0);
  EQ("getparam_prio", p.sched_priority, 0);
  ERR("getparam_null", syscall(SYS_sched_getparam, 0, NULL), EINVAL);
  ERR("getparam_efault", syscall(SYS_sched_getparam, 0, BAD_PTR), EFAULT);
  ERR("getparam_neg", syscall(SYS_sched_getparam, -1, &p), EINVAL);
  ERR("getparam_esrch", syscall(SYS_sched_getparam, 0x3ffffff0, &p), ESRCH);

  /* Setting: validation. */
  p.sched_priority = 0;
  ERR("setsched_null", setsched(0, SCHED_OTHER, NULL), EINVAL);
  ERR("setsched_neg_pid", setsched(-1, SCHED_OTHER, &p), EINVAL);
  ERR("setsched_efault", setsched(0, SCHED_OTHER, BAD_PTR), EFAULT);
  ERR("setsched_bad_policy", setsched(0, 4, &p), EINVAL);
  ERR("setsched_esrch", setsched(0x3ffffff0, SCHED_OTHER, &p), ESRCH);
  p.sched_priority = 1;
  ERR("setsched_other_prio1", setsched(0, SCHED_OTHER, &p), EINVAL);
  p.sched_priority = 0;
  ERR("setsched_fifo_prio0", setsched(0, SCHED_FIFO, &p), EINVAL);
  p.sched_priority = 100;
  ERR("setsched_rr_prio100", setsched(0, SCHED_RR, &p), EINVAL);
  p.sched_priority = 0;
  ERR("setsched_deadline", setsched(0, 6, &p), EINVAL);
  EQ("setsched_other", setsched(0, SCHED_OTHER, &p), 0);
  EQ("setsched_batch", setsched(0, SCHED_BATCH, &p), 0);
  EQ("getsched_batch", getsched(0), SCHED_BATCH);
  EQ("setsched_idle", setsched(0, SCHED_IDLE, &p), 0);
  EQ("getsched_idle", getsched(0), SCHED_IDLE);
  EQ("setsched_reset_on_fork", setsched(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &p), 0);
  EQ("getsched_reset_on_fork", getsched(0), SCHED_BATCH | SCHED_RESET_ON_FORK);
  {
    /* SCHED_RESET_ON_FORK: the child keeps a normal policy, without the flag. */
    pid_t c = fork();
    if (c == 0) _exit((int)getsched(0));
    int st = 0;
    waitpid(c, &st, 0);
    EQ("child_after_reset_on_fork", WEXITSTATUS(st), SCHED_BATCH);
  }
  EQ("setsched_back_batch", setsched(0, SCHED_BATCH, &p), 0);
  {
    /* Without it the child inherits the policy. */
    pid_t c = fork();
    if (c == 0) _exit((int)getsched(0));
    int st = 0;
    waitpid(c, &st, 0);
    EQ("child_inherits_policy", WEXITSTATUS(st), SCHED_BATCH);
  }
  EQ("setparam_other", syscall(SYS_sched_setparam, 0, &p), 0);
  ERR("setparam_null", syscall(SYS_sched_setparam, 0, NULL), EINVAL);
  p.sched_priority = 5;
  ERR("setparam_bad_prio", syscall(SYS_sched_setparam, 0, &p), EINVAL);
  p.sched_priority = 0;
  EQ("setsched_restore", setsched(0, SCHED_OTHER, &p), 0);
  EQ("getsched_restored", getsched(0), SCHED_OTHER);

  /* A real-time policy, in a child (root holds CAP_SYS_NICE), and dropped
   * again by a child that gave up root. */
  {
    pid_t c = fork();
    if (c == 0) {
      struct sched_param q = {.sched_priority = 10};
      int ok = setsched(0, SCHED_FIFO, &q) == 0;
      struct sched_param r = {0};
      ok = ok && syscall(SYS_sched_getparam, 0, &r) == 0 && r.sched_priority == 10;
      ok = ok && getsched(0) == SCHED_FIFO;
      q.sched_priority = 20;
      ok = ok && syscall(SYS_sched_setparam, 0, &q) == 0;
      ok = ok && syscall(SYS_sched_getparam, 0, &r) == 0 && r.sched_priority == 20;
      struct timespec ts;
      ok = ok && syscall(SYS_sched_rr_get_interval, 0, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec == 0;
      q.sched_priority = 5;
      ok = ok && setsched(0, SCHED_RR | SCHED_RESET_ON_FORK, &q) == 0;
      pid_t g = fork();
      if (g == 0) {
        struct sched_param z = {.sched_priority = 7};
        syscall(SYS_sched_getparam, 0, &z);
        _exit(getsched(0) == SCHED_OTHER && z.sched_priority == 0 ? 0 : 1);
      }
      int gst = 0;
      waitpid(g, &gst, 0);
      ok = ok && WEXITSTATUS(gst) == 0;
      q.sched_priority = 0;
      ok = ok && setsched(0, SCHED_OTHER, &q) == 0;
      if (setuid(65534) != 0) _exit(99);
      q.sched_priority = 1;
      errno = 0;
      int r2 = setsched(0, SCHED_RR, &q);
      ok = ok && r2 == -1 && errno == EPERM;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("child_fifo_and_eperm", WEXITSTATUS(st), 0);
  }

  /* sched_getattr / sched_setattr. */
  struct attr a;
  memset(&a, 0xff, sizeof a);
  EQ("getattr", syscall(SYS_sched_getattr, 0, &a, sizeof a, 0), 0);
  EQ("getattr_size", a.size, 56);
  EQ("getattr_policy", a.policy, SCHED_OTHER);
  EQ("getattr_nice", a.nice, 0);
  EQ("getattr_priority", a.priority, 0);
  EQ("getattr_flags", a.flags, 0);
  memset(&a, 0xff, sizeof a);
  EQ("getattr_small", syscall(SYS_sched_getattr, 0, &a, 48, 0), 0);
  EQ("getattr_small_size", a.size, 48);
  FACT("getattr_small_untouched", a.util_min == 0xffffffffu);
  ERR("getattr_too_small", syscall(SYS_sched_getattr, 0, &a, 40, 0), EINVAL);
  ERR("getattr_flags_bad", syscall(SYS_sched_getattr, 0, &a, sizeof a, 1), EINVAL);
  ERR("getattr_null", syscall(SYS_sched_getattr, 0, NULL, sizeof a, 0), EINVAL);
  ERR("getattr_neg", syscall(SYS_sched_getattr, -1, &a, sizeof a, 0), EINVAL);
  ERR("getattr_esrch", syscall(SYS_sched_getattr, 0x3ffffff0, &a, sizeof a, 0), ESRCH);
  ERR("getattr_efault", syscall(SYS_sched_getattr, 0, BAD_PTR, sizeof a, 0), EFAULT);
  memset(&a, 0, sizeof a);
  a.size = 48;
  a.policy = SCHED_BATCH;
  a.nice = 5;
  EQ("setattr_batch_nice5", syscall(SYS_sched_setattr, 0, &a, 0), 0);
  EQ("getsched_after_setattr", getsched(0), SCHED_BATCH);
  memset(&a, 0, sizeof a);
  EQ("getattr_after", syscall(SYS_sched_getattr, 0, &a, sizeof a, 0), 0);
  EQ("getattr_after_nice", a.nice, 5);
  EQ("getpriority_after_setattr", syscall(SYS_getpriority, 0, 0), 15);
  memset(&a, 0, sizeof a);
  a.size = 48;
  a.policy = SCHED_OTHER;
  a.nice = 0;
  EQ("setattr_restore", syscall(SYS_sched_setattr, 0, &a, 0), 0);
  a.size = 8;
  ERR("setattr_small_size", syscall(SYS_sched_setattr, 0, &a, 0), E2BIG);
  a.size = 48;
  ERR("setattr_flags", syscall(SYS_sched_setattr, 0, &a, 1), EINVAL);
  a.policy = 4;
  ERR("setattr_bad_policy", syscall(SYS_sched_setattr, 0, &a, 0), EINVAL);
  ERR("setattr_null", syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL);
  ERR("setattr_efault", syscall(SYS_sched_setattr, 0, BAD_PTR, 0), EFAULT);
  a.policy = SCHED_OTHER;
  ERR("setattr_esrch", syscall(SYS_sched_setattr, 0x3ffffff0, &a, 0), ESRCH);

  /* Affinity. */
  cpu_set_t set, all;
  CPU_ZERO(&all);
  long n = syscall(SYS_sched_getaffinity, 0, sizeof all, &all);
  FACT("getaffinity_size", n > 0 && n <= (long)sizeof all && n % 8 == 0);
  FACT("getaffinity_has_cpu", CPU_COUNT(&all) >= 1);
  ERR("getaffinity_small", syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
  ERR("getaffinity_odd", syscall(SYS_sched_getaffinity, 0, 12, &set), EINVAL);
  ERR("getaffinity_efault", syscall(SYS_sched_getaffinity, 0, sizeof set, BAD_PTR), EFAULT);
  ERR("getaffinity_esrch", syscall(SYS_sched_getaffinity, 0x3ffffff0, sizeof set, &set), ESRCH);
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &all)) { first = i; break; }
  CPU_ZERO(&set);
  CPU_SET(first, &set);
  EQ("setaffinity_one", syscall(SYS_sched_setaffinity, 0, sizeof set, &set), 0);
  CPU_ZERO(&set);
  syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  FACT("getaffinity_is_one", CPU_COUNT(&set) == 1 && CPU_ISSET(first, &set));
  {
    unsigned cpu = 12345;
    EQ("getcpu_pinned", syscall(SYS_getcpu, &cpu, NULL, NULL), 0);
    FACT("getcpu_is_pinned_cpu", (int)cpu == first);
  }
  {
    pid_t c = fork();
    if (c == 0) {
      cpu_set_t s;
      CPU_ZERO(&s);
      syscall(SYS_sched_getaffinity, 0, sizeof s, &s);
      _exit(CPU_COUNT(&s) == 1 && CPU_ISSET(first, &s) ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("child_inherits_affinity", WEXITSTATUS(st), 0);
  }
  CPU_ZERO(&set);
  ERR("setaffinity_empty", syscall(SYS_sched_setaffinity, 0, sizeof set, &set), EINVAL);
  ERR("setaffinity_efault", syscall(SYS_sched_setaffinity, 0, sizeof set, BAD_PTR), EFAULT);
  ERR("setaffinity_esrch", syscall(SYS_sched_setaffinity, 0x3ffffff0, sizeof all, &all), ESRCH);
  EQ("setaffinity_restore", syscall(SYS_sched_setaffinity, 0, sizeof all, &all), 0);
  CPU_ZERO(&set);
  syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  FACT("getaffinity_restored", CPU_EQUAL(&set, &all));

  /* getcpu. */
  {
    unsigned cpu = 0xffff, node = 0xffff;
    EQ("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL), 0);
    FACT("getcpu_in_set", CPU_ISSET(cpu, &all));
    EQ("getcpu_node", node, 0);
    EQ("getcpu_nulls", syscall(SYS_getcpu, NULL, NULL, NULL), 0);
    ERR("getcpu_efault", syscall(SYS_getcpu, BAD_PTR, NULL, NULL), EFAULT);
  }

  /* sched_rr_get_interval. */
  {
    struct timespec ts;
    EQ("rr_interval", syscall(SYS_sched_rr_get_interval, 0, &ts), 0);
    FACT("rr_interval_nsec_valid", ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
    ERR("rr_interval_neg", syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL);
    ERR("rr_interval_esrch", syscall(SYS_sched_rr_get_interval, 0x3ffffff0, &ts), ESRCH);
    ERR("rr_interval_efault", syscall(SYS_sched_rr_get_interval, 0, BAD_PTR), EFAULT);
  }

  /* ioprio. */
  /* The starting value is inherited from whoever ran the program: not printed. */
  EQ("ioprio_set_be4", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(2, 4)), 0);
  EQ("ioprio_get_be4", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), IOPRIO(2, 4));
  EQ("ioprio_set_idle", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, self, IOPRIO(3, 0)), 0);
  EQ("ioprio_get_idle", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, self), IOPRIO(3, 0));
  EQ("ioprio_set_rt", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(1, 3)), 0);
  EQ("ioprio_get_rt", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), IOPRIO(1, 3));
  {
    pid_t c = fork();
    if (c == 0) _exit((int)syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0) == IOPRIO(1, 3) ? 0 : 1);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("child_inherits_ioprio", WEXITSTATUS(st), 0);
  }
  ERR("ioprio_set_bad_class", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(4, 0)), EINVAL);
  VAL("ioprio_set_be_hint", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(2, 8)));
  VAL("ioprio_get_be_hint", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
  VAL("ioprio_set_none_data", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(0, 1)));
  VAL("ioprio_set_idle_data", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(3, 5)));
  VAL("ioprio_get_idle_data", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
  VAL("ioprio_set_be_bighint", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(2, 0x1ff8)));
  VAL("ioprio_set_neg", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, -1));
  /* IOPRIO_WHO_USER reaches every process of the user on the host, so it
   * is left out: natively it would change the priorities of the suite's
   * neighbours. */
  ERR("ioprio_set_bad_which", syscall(SYS_ioprio_set, 4, 0, IOPRIO(2, 0)), EINVAL);
  ERR("ioprio_get_bad_which", syscall(SYS_ioprio_get, 0, 0), EINVAL);
  ERR("ioprio_get_esrch", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0x3ffffff0), ESRCH);
  ERR("ioprio_set_esrch", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0x3ffffff0, IOPRIO(2, 0)), ESRCH);
  EQ("ioprio_set_pgrp", syscall(SYS_ioprio_set, IOPRIO_WHO_PGRP, 0, IOPRIO(2, 7)), 0);
  EQ("ioprio_get_pgrp", syscall(SYS_ioprio_get, IOPRIO_WHO_PGRP, 0), IOPRIO(2, 7));
  EQ("ioprio_set_none", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO(0, 0)), 0);
  VAL("ioprio_get_none", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));

  return compat_done();
}
