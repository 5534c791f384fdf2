/*
 * fork, vfork, clone, clone3: child ids, what the child shares or copies
 * (memory, the fd table, file offsets, signal dispositions and masks), and
 * CLONE_* flag errors. Children report through their exit status; ids are
 * compared, never printed.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static long raw_fork(void) { return syscall(SYS_fork); }

/* The child's exit status (or 100 + signal), -1 when it cannot be reaped. */
static int reap(long pid) {
  int st;
  if (pid <= 0) return -1;
  if (syscall(SYS_wait4, pid, &st, 0, NULL) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 100 + WTERMSIG(st) : -1;
}

static long clone_flags(unsigned long flags) {
  return syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
}

/* For cases that must fail: should one succeed, its child leaves at once instead of running main. */
static long clone_err(unsigned long flags) {
  long r = syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
  if (r == 0) syscall(SYS_exit_group, 0);
  return r;
}

static long clone3_with(struct clone_args *a, size_t size) { return syscall(SYS_clone3, a, size); }

/* For clone3 cases that must fail: a child of one that succeeds leaves at once. */
static long clone3_err(void *a, size_t size) {
  long r = syscall(SYS_clone3, a, size);
  if (r == 0) syscall(SYS_exit_group, 0);
  return r;
}

static volatile int shared_var;

int main(void) {
  long parent = syscall(SYS_getpid);

  /* ---- fork: ids ---- */
  ABOUT("fork");
  long pid = raw_fork();
  if (pid == 0) {
    int ok = syscall(SYS_getppid) == parent && syscall(SYS_getpid) != parent && syscall(SYS_gettid) == syscall(SYS_getpid);
    syscall(SYS_exit_group, ok ? 7 : 1);
  }
  FACT("fork_returns_child_pid", pid > 0 && pid != parent);
  EQ("fork_child_ids", reap(pid), 7);
  FACT("fork_parent_pid_unchanged", syscall(SYS_getpid) == parent);

  /* ---- memory is copied, not shared ---- */
  shared_var = 1;
  char *anon_private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *anon_shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  anon_private[0] = 'p';
  anon_shared[0] = 's';
  pid = raw_fork();
  if (pid == 0) {
    int ok = shared_var == 1 && anon_private[0] == 'p' && anon_shared[0] == 's';
    shared_var = 2;
    anon_private[0] = 'P';
    anon_shared[0] = 'S';
    syscall(SYS_exit_group, ok ? 0 : 1);
  }
  EQ("fork_child_sees_copy", reap(pid), 0);
  FACT("fork_data_not_shared", shared_var == 1);
  FACT("fork_private_mapping_not_shared", anon_private[0] == 'p');
  FACT("fork_shared_mapping_shared", anon_shared[0] == 'S');

  /* ---- the fd table is copied; descriptions (offsets) are shared ---- */
  int p[2];
  OK("pipe2_for_fork", syscall(SYS_pipe2, p, 0));
  int fd = open("data.bin", O_RDONLY);
  pid = raw_fork();
  if (pid == 0) {
    char c;
    syscall(SYS_close, p[0]);
    int ok = syscall(SYS_read, fd, &c, 1) == 1 && syscall(SYS_lseek, fd, 100, SEEK_SET) == 100;
    syscall(SYS_close, fd); /* closes only the child's copy */
    syscall(SYS_write, p[1], "x", 1);
    syscall(SYS_exit_group, ok ? 0 : 1);
  }
  EQ("fork_child_fd_ops", reap(pid), 0);
  EQ("fork_offset_shared", syscall(SYS_lseek, fd, 0, SEEK_CUR), 100);
  FACT("fork_parent_fd_still_open", syscall(SYS_fcntl, fd, F_GETFD) == 0);
  char c = 0;
  EQ("fork_pipe_read_from_child", syscall(SYS_read, p[0], &c, 1), 1);
  FACT("fork_pipe_byte", c == 'x');
  syscall(SYS_close, p[1]);
  EQ("fork_pipe_eof_after_both_closed", syscall(SYS_read, p[0], &c, 1), 0);
  syscall(SYS_close, p[0]);

  /* ---- close-on-exec flags are copied ---- */
  int cfd = fcntl(fd, F_DUPFD_CLOEXEC, 20);
  pid = raw_fork();
  if (pid == 0) syscall(SYS_exit_group, (int)syscall(SYS_fcntl, cfd, F_GETFD));
  EQ("fork_cloexec_copied", reap(pid), FD_CLOEXEC);

  /* ---- signal dispositions and mask are inherited, pending signals are not ---- */
  ABOUT("fork");
  signal(SIGUSR1, SIG_IGN);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, &old);
  syscall(SYS_kill, parent, SIGUSR2); /* pending in the parent */
  pid = raw_fork();
  if (pid == 0) {
    sigset_t cur, pend;
    struct sigaction sa;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    sigpending(&pend);
    sigaction(SIGUSR1, NULL, &sa);
    int r = (sigismember(&cur, SIGUSR2) ? 1 : 0) | (sigismember(&pend, SIGUSR2) ? 2 : 0) | (sa.sa_handler == SIG_IGN ? 4 : 0);
    syscall(SYS_exit_group, r);
  }
  EQ("fork_signal_state", reap(pid), 5);
  sigset_t pend;
  sigpending(&pend);
  FACT("fork_parent_keeps_pending", sigismember(&pend, SIGUSR2));
  signal(SIGUSR2, SIG_IGN); /* discards the pending one */
  sigprocmask(SIG_SETMASK, &old, NULL);
  signal(SIGUSR2, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);

  /* A child killed by a signal: wait reports it. */
  pid = raw_fork();
  if (pid == 0) { syscall(SYS_kill, syscall(SYS_getpid), SIGKILL); for (;;) pause(); }
  EQ("fork_child_killed", reap(pid), 100 + SIGKILL);

  /* ---- vfork: the parent waits until the child exits; memory is shared ---- */
  ABOUT("vfork");
  shared_var = 1;
  /* glibc's vfork, not syscall(SYS_vfork): the child must not return through a frame the parent still uses. */
  pid = vfork();
  if (pid == 0) { shared_var = 3; _exit(9); }
  FACT("vfork_returns_child_pid", pid > 0);
  FACT("vfork_memory_shared", shared_var == 3);
  EQ("vfork_child_status", reap(pid), 9);

  /* ---- clone: flags and their errors ---- */
  ABOUT("clone");
  pid = clone_flags(SIGCHLD);
  if (pid == 0) syscall(SYS_exit_group, 4);
  EQ("clone_sigchld_child", reap(pid), 4);
  /* Termination signal 0: a "clone child", reaped only with __WALL or __WCLONE. */
  pid = clone_flags(0);
  if (pid == 0) syscall(SYS_exit_group, 5);
  int st = 0;
  ERR("clone_no_signal_wait_plain", syscall(SYS_wait4, pid, &st, 0, NULL), ECHILD);
  EQ("clone_no_signal_wait_wall", syscall(SYS_wait4, pid, &st, __WALL, NULL) == pid ? WEXITSTATUS(st) : -1, 5);
  /* CLONE_VM without a stack is not an error in itself, so it is not tried here. */
  ERR("clone_thread_without_sighand", clone_err(CLONE_THREAD | CLONE_VM), EINVAL);
  ERR("clone_sighand_without_vm", clone_err(CLONE_SIGHAND), EINVAL);
  ERR("clone_newns_with_fs", clone_err(CLONE_NEWNS | CLONE_FS), EINVAL);
  ERR("clone_newuser_with_fs", clone_err(CLONE_NEWUSER | CLONE_FS), EINVAL);
  int ptid = 0;
  pid = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, NULL, &ptid, NULL, 0);
  if (pid == 0) syscall(SYS_exit_group, 0);
  FACT("clone_parent_settid_stored", ptid == pid);
  EQ("clone_parent_settid_child", reap(pid), 0);
  /* CLONE_FILES: the fd table is shared, a close in the child closes the parent's fd. */
  int sfd = dup(fd);
  pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid == 0) { syscall(SYS_close, sfd); syscall(SYS_exit_group, 0); }
  EQ("clone_files_child", reap(pid), 0);
  ERR("clone_files_close_shared", syscall(SYS_fcntl, sfd, F_GETFD), EBADF);
  sfd = dup(fd);
  pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
  if (pid == 0) { syscall(SYS_close, sfd); syscall(SYS_exit_group, 0); }
  EQ("clone_no_files_child", reap(pid), 0);
  EQ("clone_no_files_close_private", syscall(SYS_fcntl, sfd, F_GETFD), 0);
  /* CLONE_PARENT: the new process is a sibling, not a child. */
  pid = raw_fork();
  if (pid == 0) {
    long g = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
    if (g == 0) syscall(SYS_exit_group, 0);
    int w = 0;
    errno = 0;
    long r = syscall(SYS_wait4, g, &w, 0, NULL);
    syscall(SYS_exit_group, r == -1 && errno == ECHILD ? 0 : 1);
  }
  EQ("clone_parent_not_my_child", reap(pid), 0);
  int grand = 0;
  for (int i = 0; i < 1; i++) {
    int w;
    if (syscall(SYS_wait4, -1, &w, 0, NULL) > 0 && WIFEXITED(w)) grand++;
  }
  FACT("clone_parent_reaped_by_grandparent", grand == 1);

  /* ---- clone3 ---- */
  ABOUT("clone3");
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  pid = clone3_with(&ca, sizeof ca);
  if (pid == 0) syscall(SYS_exit_group, 6);
  EQ("clone3_child", reap(pid), 6);
  ERR("clone3_size_too_small", clone3_err(&ca, 8), EINVAL);
  ERR("clone3_bad_ptr", clone3_err(BAD_PTR, sizeof ca), EFAULT);
  struct clone_args bad = ca;
  bad.exit_signal = 100;
  ERR("clone3_bad_exit_signal", clone3_err(&bad, sizeof bad), EINVAL);
  bad = ca;
  bad.flags = CLONE_THREAD;
  ERR("clone3_thread_without_vm", clone3_err(&bad, sizeof bad), EINVAL);
  bad = ca;
  bad.stack_size = 4096;
  ERR("clone3_stack_size_without_stack", clone3_err(&bad, sizeof bad), EINVAL);
  /* A larger struct whose extra bytes are not zero: E2BIG. */
  struct { struct clone_args a; unsigned long extra; } big;
  memset(&big, 0, sizeof big);
  big.a.exit_signal = SIGCHLD;
  big.extra = 1;
  ERR("clone3_nonzero_tail", clone3_err(&big, sizeof big), E2BIG);
  big.extra = 0;
  pid = clone3_with(&big.a, sizeof big);
  if (pid == 0) syscall(SYS_exit_group, 8);
  EQ("clone3_zero_tail_ok", reap(pid), 8);
  int ctid = 0;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  ca.flags = CLONE_PARENT_SETTID;
  ca.parent_tid = (unsigned long)&ctid;
  pid = clone3_with(&ca, sizeof ca);
  if (pid == 0) syscall(SYS_exit_group, 0);
  FACT("clone3_parent_settid", pid > 0 && ctid == pid);
  EQ("clone3_parent_settid_child", reap(pid), 0);

  /* ---- wait: no children left ---- */
  ERR("no_children_left", syscall(SYS_wait4, -1, &st, WNOHANG, NULL), ECHILD);
  return compat_done();
}
