/*
 * Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid
 * and their errors across parent and child, and kill(0) / kill(-pgid)
 * reaching a whole group. Ids are compared, never printed.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/wait.h>

static int status_of(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* A child that waits on a pipe until told to exit. */
static pid_t holder(int *wfd) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) < 0) {}
    _exit(0);
  }
  close(p[0]);
  *wfd = p[1];
  return pid;
}

int main(void) {
  long me = syscall(SYS_getpid);
  long pg = syscall(SYS_getpgid, 0);
  long sid = syscall(SYS_getsid, 0);

  ABOUT("getpgid");
  FACT("getpgid_self_is_getpgrp", pg == syscall(SYS_getpgrp));
  FACT("getpgid_pid_same", syscall(SYS_getpgid, me) == pg);
  ERR("getpgid_no_process", syscall(SYS_getpgid, 0x3ffffff0), ESRCH);
  ERR("getpgid_negative", syscall(SYS_getpgid, -1L), ESRCH);
  ABOUT("getsid");
  FACT("getsid_pid_same", syscall(SYS_getsid, me) == sid);
  ERR("getsid_no_process", syscall(SYS_getsid, 0x3ffffff0), ESRCH);

  /* ---- setpgid ---- */
  ABOUT("setpgid");
  ERR("setpgid_negative_pgid", syscall(SYS_setpgid, 0, -1L), EINVAL);
  ERR("setpgid_no_process", syscall(SYS_setpgid, 0x3ffffff0, 0), ESRCH);
  /* In a child: become a group leader, then move between groups of the same session. */
  pid_t pid = fork();
  if (pid == 0) {
    long self = syscall(SYS_getpid);
    int ok = syscall(SYS_setpgid, 0, 0) == 0 && syscall(SYS_getpgid, 0) == self;
    ok = ok && syscall(SYS_setpgid, 0, pg) == 0 && syscall(SYS_getpgid, 0) == pg; /* back to the parent's group */
    errno = 0;
    ok = ok && syscall(SYS_setpgid, 0, 0x3ffffff0) == -1 && errno == EPERM; /* no such group in the session */
    syscall(SYS_exit_group, ok ? 0 : 1);
  }
  EQ("setpgid_child_moves", status_of(pid), 0);
  /* The parent may set a child's group before the child execs. */
  int w = -1;
  pid = holder(&w);
  EQ("setpgid_of_child", syscall(SYS_setpgid, pid, pid), 0);
  FACT("child_group_is_its_pid", syscall(SYS_getpgid, pid) == pid);
  EQ("setpgid_child_back", syscall(SYS_setpgid, pid, pg), 0);
  close(w);
  status_of(pid);
  ERR("setpgid_reaped_child", syscall(SYS_setpgid, pid, pid), ESRCH);
  /* A child in another session cannot be moved: EPERM. */
  int p[2], ready[2];
  pipe(p);
  pipe(ready);
  pid = fork();
  if (pid == 0) {
    char c = 's';
    close(p[1]);
    close(ready[0]);
    syscall(SYS_setsid);
    if (write(ready[1], &c, 1) < 0) {}
    if (read(p[0], &c, 1) < 0) {}
    _exit(0);
  }
  close(p[0]);
  close(ready[1]);
  /* Wait for the child's setsid: a sleep was not always long enough on a loaded machine. */
  char c;
  if (read(ready[0], &c, 1) != 1) {}
  close(ready[0]);
  ERR("setpgid_child_other_session", syscall(SYS_setpgid, pid, pg), EPERM);
  ABOUT("getsid");
  FACT("getsid_child_new_session", syscall(SYS_getsid, pid) == pid);
  close(p[1]);
  status_of(pid);
  /* (setpgid of a process that is not a child is left out: in the sandbox the program is pid 1.) */

  /* ---- setsid ---- */
  ABOUT("setsid");
  pid = fork();
  if (pid == 0) {
    long self = syscall(SYS_getpid);
    long r = syscall(SYS_setsid);
    int ok = r == self && syscall(SYS_getsid, 0) == self && syscall(SYS_getpgid, 0) == self;
    errno = 0;
    ok = ok && syscall(SYS_setsid) == -1 && errno == EPERM; /* already a group (and session) leader */
    errno = 0;
    ok = ok && syscall(SYS_setpgid, 0, pg) == -1 && errno == EPERM; /* a session leader cannot change group */
    syscall(SYS_exit_group, ok ? 0 : 1);
  }
  EQ("setsid_in_child", status_of(pid), 0);
  pid = fork();
  if (pid == 0) {
    syscall(SYS_setpgid, 0, 0);
    errno = 0;
    long r = syscall(SYS_setsid);
    syscall(SYS_exit_group, r == -1 && errno == EPERM ? 0 : 1);
  }
  EQ("setsid_group_leader_eperm", status_of(pid), 0);

  /* ---- kill(0) and kill(-pgid) reach every member ---- */
  ABOUT("kill");
  pid = fork();
  if (pid == 0) {
    /* A new group with two members besides itself; kill(0, SIGTERM) ends all three. */
    syscall(SYS_setpgid, 0, 0);
    pid_t a = fork();
    if (a == 0) { for (;;) pause(); }
    pid_t b = fork();
    if (b == 0) { for (;;) pause(); }
    signal(SIGTERM, SIG_IGN);
    syscall(SYS_kill, 0, SIGTERM);
    int ra = status_of(a), rb = status_of(b);
    syscall(SYS_exit_group, ra == 100 + SIGTERM && rb == 100 + SIGTERM ? 0 : 1);
  }
  EQ("kill_zero_reaches_group", status_of(pid), 0);
  pid_t a = fork();
  if (a == 0) { syscall(SYS_setpgid, 0, 0); for (;;) pause(); }
  syscall(SYS_setpgid, a, a);
  pid_t b = fork();
  if (b == 0) { for (;;) pause(); }
  syscall(SYS_setpgid, b, a);
  EQ("kill_negative_pgid", syscall(SYS_kill, -(long)a, SIGKILL), 0);
  EQ("kill_negative_pgid_first", status_of(a), 100 + SIGKILL);
  EQ("kill_negative_pgid_second", status_of(b), 100 + SIGKILL);
  ERR("kill_empty_group", syscall(SYS_kill, -(long)a, 0), ESRCH);
  /* (kill(-own pgid) is left out: the sandboxed program leads group 1, and kill(-1) means every process.) */
  return compat_done();
}
