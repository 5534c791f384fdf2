/*
 * seccomp(2) and prctl(PR_SET_SECCOMP): the checker's verdicts on filters,
 * every action, precedence between stacked filters, TSYNC, strict mode,
 * no_new_privs, and inheritance. Filters cannot be removed, so every case
 * that installs one runs in a forked child.
 */
#include "lib/compat.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS */
#endif

#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define ON_NR(nr, action) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

static long install(struct sock_filter *f, unsigned short len, unsigned flags) {
  struct sock_fprog p = { len, f };
  return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* A filter that answers nr with action and allows the rest. */
static long install_on(int nr, unsigned action, unsigned flags) {
  struct sock_filter f[] = { LOAD_NR, ON_NR(nr, action), ALLOW };
  return install(f, 4, flags);
}

/* Runs fn in a child; returns its wait status. The child's stdout lines come first. */
static int in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) { fn(); fflush(stdout); _exit(0); }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

static void report(const char *key, int st) {
  if (WIFEXITED(st)) SHOW(key, "exit %d", WEXITSTATUS(st));
  else SHOW(key, "signal %d", WTERMSIG(st));
}

static volatile int sys_code, sys_nr, sys_errno, sys_count;
static volatile unsigned sys_arch;
static void on_sigsys(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  sys_code = si->si_code;
  sys_nr = si->si_syscall;
  sys_arch = si->si_arch;
  sys_errno = si->si_errno;
  sys_count++;
}

static void errno_cases(void) {
  EQ("errno_install", install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1234, 0), 0);
  ERR("errno_getppid", syscall(SYS_getppid), 1234);
  OK("errno_getpid_allowed", syscall(SYS_getpid));
  EQ("get_seccomp_filter", prctl(PR_GET_SECCOMP), 2);
  /* Data above MAX_ERRNO is capped; 0 makes the call return 0 without running it. */
  EQ("errno_cap_install", install_on(SYS_getuid, SECCOMP_RET_ERRNO | 0xffff, 0), 0);
  ERR("errno_capped", syscall(SYS_getuid), 4095);
  EQ("errno_zero_install", install_on(SYS_getgid, SECCOMP_RET_ERRNO | 0, 0), 0);
  EQ("errno_zero_returns_0", syscall(SYS_getgid), 0);
  /* Stacked filters: the most restrictive action wins; between equals, the newest filter. */
  EQ("stack_a", install_on(SYS_geteuid, SECCOMP_RET_ERRNO | 5, 0), 0);
  EQ("stack_b", install_on(SYS_geteuid, SECCOMP_RET_ERRNO | 7, 0), 0);
  ERR("stack_newest_equal_wins", syscall(SYS_geteuid), 7);
  EQ("stack_c_allow", install_on(SYS_geteuid, SECCOMP_RET_ALLOW, 0), 0);
  ERR("stack_allow_does_not_override", syscall(SYS_geteuid), 7);
  /* TRACE without a tracer, and LOG. */
  EQ("trace_install", install_on(SYS_getegid, SECCOMP_RET_TRACE | 3, 0), 0);
  ERR("trace_no_tracer", syscall(SYS_getegid), ENOSYS);
  EQ("log_install", install_on(SYS_getpgrp, SECCOMP_RET_LOG, 0), 0);
  OK("log_allows", syscall(SYS_getpgrp));
  /* A forked child inherits the filters. */
  pid_t pid = fork();
  if (pid == 0) _exit(syscall(SYS_getppid) == -1 && errno == 1234 ? 0 : 1);
  int st;
  waitpid(pid, &st, 0);
  FACT("fork_inherits_filter", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Filters on arguments, the arch and the instruction pointer. */
static void args_cases(void) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
    BPF_STMT(BPF_ST, 0),
    LOAD_NR,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIGUSR2, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    /* A little arithmetic: (nr * 2 + 1) & 0xff == 2 * SYS_getsid + 1 selects getsid. */
    LOAD_NR,
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),
    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (2 * SYS_getsid + 1) & 0xff, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EDOM),
    BPF_STMT(BPF_LD | BPF_MEM, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_MISC | BPF_TXA, 0),
    ALLOW,
  };
  EQ("args_install", install(f, sizeof f / sizeof f[0], 0), 0);
  ERR("args_kill_usr2_denied", kill(getpid(), SIGUSR2), EPERM);
  EQ("args_kill_0_allowed", kill(getpid(), 0), 0);
  ERR("alu_selects_getsid", syscall(SYS_getsid, 0), EDOM);
  OK("alu_other_allowed", syscall(SYS_getppid));
}

static void trap_cases(void) {
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  EQ("trap_install", install_on(SYS_getppid, SECCOMP_RET_TRAP | 42, 0), 0);
  long r = syscall(SYS_getppid);
  EQ("trap_handler_ran", sys_count, 1);
  EQ("trap_si_code", sys_code, SYS_SECCOMP);
  EQ("trap_si_syscall", sys_nr, SYS_getppid);
  FACT("trap_si_arch", sys_arch == AUDIT_ARCH_X86_64);
  EQ("trap_si_errno", sys_errno, 42);
  /* The call did not run; rax was rolled back to the syscall number. */
  EQ("trap_return_value", r, SYS_getppid);
  /* TRAP beats ERRNO. */
  EQ("trap_vs_errno", install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), 0);
  syscall(SYS_getppid);
  EQ("trap_still_wins", sys_count, 2);
}

static void trap_blocked(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGSYS);
  sigprocmask(SIG_BLOCK, &s, NULL);
  install_on(SYS_getppid, SECCOMP_RET_TRAP, 0);
  syscall(SYS_getppid);
  _exit(3);
}

static void kill_process(void) { install_on(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0); syscall(SYS_getppid); _exit(3); }
static void kill_thread_single(void) { install_on(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0); syscall(SYS_getppid); _exit(3); }
static void unknown_action(void) { install_on(SYS_getppid, 0x12340000, 0); syscall(SYS_getppid); _exit(3); }

static void *calls_getppid(void *a) { (void)a; syscall(SYS_getppid); return (void *)1; }

static void kill_thread_multi(void) {
  install_on(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
  pthread_t t;
  pthread_create(&t, NULL, calls_getppid, NULL);
  void *ret = NULL;
  pthread_join(t, &ret);
  FACT("kill_thread_others_live_on", ret == NULL);
}

static void strict_mode(void) {
  EQ("strict_enter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT), 0);
  /* Still allowed: write. Anything else kills. */
  static const char msg[] = "strict_write=ok\n";
  syscall(SYS_write, 1, msg, sizeof msg - 1);
  syscall(SYS_getpid);
  _exit(3);
}

static volatile int spin_stop;
static volatile long thread_result;
static void *wait_then_getuid(void *a) {
  (void)a;
  while (!spin_stop) sched_yield();
  thread_result = syscall(SYS_getuid) == -1 ? errno : 0;
  return NULL;
}
static volatile int own_filter_installed;
static void *own_filter(void *a) {
  (void)a;
  install_on(SYS_getgid, SECCOMP_RET_ERRNO | 9, 0);
  own_filter_installed = 1;
  while (!spin_stop) sched_yield();
  return NULL;
}

static void tsync_cases(void) {
  pthread_t t;
  pthread_create(&t, NULL, wait_then_getuid, NULL);
  EQ("tsync_install", install_on(SYS_getuid, SECCOMP_RET_ERRNO | 33, SECCOMP_FILTER_FLAG_TSYNC), 0);
  spin_stop = 1;
  pthread_join(t, NULL);
  EQ("tsync_reached_thread", thread_result, 33);
  /* A thread with a filter of its own cannot be synchronised: TSYNC names it, or fails with ESRCH. */
  spin_stop = 0;
  pthread_create(&t, NULL, own_filter, NULL);
  /* Wait until the thread has its filter (a fixed nap was too short on a loaded machine); bounded: 5 s. */
  struct timespec nap = { 0, 1000000 };
  for (int i = 0; i < 5000 && !own_filter_installed; i++) nanosleep(&nap, NULL);
  long r = install_on(SYS_getgid, SECCOMP_RET_ERRNO | 1, SECCOMP_FILTER_FLAG_TSYNC);
  FACT("tsync_conflict_returns_a_tid", r > 0);
  ERR("tsync_esrch", install_on(SYS_getgid, SECCOMP_RET_ERRNO | 1, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH), ESRCH);
  spin_stop = 1;
  pthread_join(t, NULL);
}

static void unprivileged(void) {
  EQ("drop_root", setresuid(4243, 4243, 4243), 0);
  ERR("no_nnp_eacces", install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), EACCES);
  ERR("nnp_bad_arg", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
  ERR("nnp_extra_arg", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
  EQ("nnp_get_0", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
  EQ("nnp_set", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
  EQ("nnp_get_1", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
  ERR("nnp_get_extra_arg", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
  EQ("nnp_then_install", install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), 0);
  pid_t pid = fork();
  if (pid == 0) _exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
  int st;
  waitpid(pid, &st, 0);
  FACT("nnp_inherited", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void modes(void) {
  EQ("filter_first", install_on(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), 0);
  ERR("strict_after_filter", sc(SECCOMP_SET_MODE_STRICT, 0, NULL), EINVAL);
  ERR("prctl_bad_mode", prctl(PR_SET_SECCOMP, 7, 0, 0, 0), EINVAL);
}

int main(void) {
  unsigned action;
  EQ("get_seccomp_initial", prctl(PR_GET_SECCOMP), 0);
  ERR("bad_op", sc(99, 0, NULL), EINVAL);
  ERR("strict_flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL);
  ERR("strict_args", sc(SECCOMP_SET_MODE_STRICT, 0, &action), EINVAL);
  unsigned actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
                         SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW };
  for (unsigned i = 0; i < sizeof actions / sizeof actions[0]; i++) {
    char k[40];
    snprintf(k, sizeof k, "action_avail_%08x", actions[i]);
    EQ(k, sc(SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]), 0);
  }
  action = 0x12340000;
  ERR("action_unknown", sc(SECCOMP_GET_ACTION_AVAIL, 0, &action), EOPNOTSUPP);
  ERR("action_avail_flags", sc(SECCOMP_GET_ACTION_AVAIL, 1, &actions[0]), EINVAL);
  ERR("action_avail_efault", sc(SECCOMP_GET_ACTION_AVAIL, 0, BAD_PTR), EFAULT);
  struct seccomp_notif_sizes sizes;
  EQ("notif_sizes", sc(SECCOMP_GET_NOTIF_SIZES, 0, &sizes), 0);
  SHOW("notif_sizes_values", "%u %u %u", sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data);
  ERR("notif_sizes_efault", sc(SECCOMP_GET_NOTIF_SIZES, 0, BAD_PTR), EFAULT);
  ERR("notif_sizes_flags", sc(SECCOMP_GET_NOTIF_SIZES, 1, &sizes), EINVAL);

  /* The checker. Nothing here gets installed. */
  struct sock_filter ok[] = { ALLOW };
  ERR("filter_bad_flags", install(ok, 1, 0x100), EINVAL);
  ERR("filter_null_prog", sc(SECCOMP_SET_MODE_FILTER, 0, NULL), EFAULT);
  ERR("filter_len_0", install(ok, 0, 0), EINVAL);
  ERR("filter_len_4097", install(ok, 4097, 0), EINVAL);
  ERR("filter_insns_efault", install(BAD_PTR, 1, 0), EFAULT);
  struct sock_filter half[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), ALLOW };
  ERR("filter_halfword_load", install(half, 2, 0), EINVAL);
  struct sock_filter unaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW };
  ERR("filter_unaligned_load", install(unaligned, 2, 0), EINVAL);
  struct sock_filter beyond[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ALLOW };
  ERR("filter_load_beyond_data", install(beyond, 2, 0), EINVAL);
  struct sock_filter jump_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), ALLOW };
  ERR("filter_jump_out", install(jump_out, 2, 0), EINVAL);
  struct sock_filter ja_out[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), ALLOW };
  ERR("filter_ja_out", install(ja_out, 2, 0), EINVAL);
  struct sock_filter no_ret[] = { LOAD_NR };
  ERR("filter_no_return", install(no_ret, 1, 0), EINVAL);
  struct sock_filter unset_mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 3), ALLOW };
  ERR("filter_unset_scratch", install(unset_mem, 2, 0), EINVAL);
  struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW };
  ERR("filter_div_by_0", install(div0, 2, 0), EINVAL);
  struct sock_filter mem16[] = { BPF_STMT(BPF_ST, 16), ALLOW };
  ERR("filter_scratch_16", install(mem16, 2, 0), EINVAL);
  struct sock_filter shift32[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW };
  ERR("filter_shift_32", install(shift32, 2, 0), EINVAL);
  struct sock_filter ldind[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), ALLOW };
  ERR("filter_indirect_load", install(ldind, 2, 0), EINVAL);
  EQ("get_seccomp_still_0", prctl(PR_GET_SECCOMP), 0);

  report("child_errno", in_child(errno_cases));
  report("child_args", in_child(args_cases));
  report("child_trap", in_child(trap_cases));
  report("child_trap_blocked", in_child(trap_blocked));
  report("child_kill_process", in_child(kill_process));
  report("child_kill_thread_single", in_child(kill_thread_single));
  report("child_unknown_action", in_child(unknown_action));
  report("child_kill_thread_multi", in_child(kill_thread_multi));
  report("child_strict", in_child(strict_mode));
  report("child_tsync", in_child(tsync_cases));
  report("child_unprivileged", in_child(unprivileged));
  report("child_modes", in_child(modes));
  return compat_done();
}
