/*
 * Changing credentials: setuid, setgid, setreuid, setregid, setresgid,
 * setfsuid, setfsgid, setgroups, setsid, umask, capget and capset. The
 * suite runs as root; each privilege-dropping case runs in a forked child
 * (so the parent stays root) which reports on a pipe, and the EPERM paths
 * run there as an unprivileged user. The child's lines are printed by the
 * parent in order.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Runs fn in a child; its lines come back through the pipe and are printed here. */
static void in_child(void (*fn)(void)) {
  fflush(stdout);
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    compat_failed = 0;
    fn();
    fflush(stdout);
    _exit(compat_failed ? 1 : 0);
  }
  close(p[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) compat_expect_fail("child", "failed", "exit 0");
}

static long getres(int which, unsigned *r, unsigned *e, unsigned *s) {
  return syscall(which ? SYS_getresgid : SYS_getresuid, r, e, s);
}

static void drop_with_setuid(void) {
  unsigned r, e, s;
  ABOUT("setuid");
  EQ("setuid_root_to_1000", syscall(SYS_setuid, 1000), 0);
  getres(0, &r, &e, &s);
  FACT("setuid_root_sets_all_three", r == 1000 && e == 1000 && s == 1000);
  ERR("setuid_back_to_root_eperm", syscall(SYS_setuid, 0), EPERM);
  EQ("setuid_same_uid", syscall(SYS_setuid, 1000), 0);
  ABOUT("setgid");
  ERR("setgid_unprivileged_eperm", syscall(SYS_setgid, 5), EPERM);
  ABOUT("setgroups");
  gid_t g = 5;
  ERR("setgroups_unprivileged_eperm", syscall(SYS_setgroups, 1, &g), EPERM);
  ABOUT("setreuid");
  ERR("setreuid_unprivileged_eperm", syscall(SYS_setreuid, 0, -1L), EPERM);
  EQ("setreuid_noop", syscall(SYS_setreuid, -1L, -1L), 0);
  ABOUT("setresgid");
  ERR("setresgid_unprivileged_eperm", syscall(SYS_setresgid, 7, 7, 7), EPERM);
  ABOUT("setfsuid");
  /* setfsuid returns the previous fsuid whether or not it changed anything. */
  EQ("setfsuid_unprivileged_returns_old", syscall(SYS_setfsuid, 0), 1000);
  EQ("setfsuid_unchanged", syscall(SYS_setfsuid, -1L), 1000);
  ABOUT("setfsgid");
  EQ("setfsgid_unprivileged_returns_old", syscall(SYS_setfsgid, 0), 0);
  ABOUT("capget");
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  EQ("capget_after_setuid", syscall(SYS_capget, &h, d), 0);
  FACT("capget_after_setuid_empty", d[0].effective == 0 && d[0].permitted == 0 && d[1].effective == 0);
  ABOUT("capset");
  d[0].effective = 1u << CAP_CHOWN;
  ERR("capset_raise_eperm", syscall(SYS_capset, &h, d), EPERM);
}

static void regid_and_resgid(void) {
  unsigned r, e, s;
  ABOUT("setregid");
  EQ("setregid_root", syscall(SYS_setregid, 10, 20), 0);
  getres(1, &r, &e, &s);
  FACT("setregid_sets_real_effective", r == 10 && e == 20);
  FACT("setregid_saved_is_new_effective", s == 20);
  EQ("setregid_minus_one_keeps", syscall(SYS_setregid, -1L, -1L), 0);
  ABOUT("setresgid");
  EQ("setresgid_root", syscall(SYS_setresgid, 1, 2, 3), 0);
  getres(1, &r, &e, &s);
  FACT("setresgid_sets_three", r == 1 && e == 2 && s == 3);
  EQ("setresgid_minus_one_keeps", syscall(SYS_setresgid, -1L, -1L, 4), 0);
  getres(1, &r, &e, &s);
  FACT("setresgid_kept_two", r == 1 && e == 2 && s == 4);
  ABOUT("setgid");
  EQ("setgid_root", syscall(SYS_setgid, 9), 0);
  getres(1, &r, &e, &s);
  FACT("setgid_root_sets_all_three", r == 9 && e == 9 && s == 9);
  ABOUT("setfsgid");
  EQ("setfsgid_returns_old", syscall(SYS_setfsgid, 77), 9);
  EQ("setfsgid_query", syscall(SYS_setfsgid, -1L), 77);
  ABOUT("getegid");
  EQ("setfsgid_leaves_egid", syscall(SYS_getegid), 9);
  ABOUT("setreuid");
  EQ("setreuid_root", syscall(SYS_setreuid, 100, 200), 0);
  getres(0, &r, &e, &s);
  FACT("setreuid_sets_real_effective_saved", r == 100 && e == 200 && s == 200);
  /* Unprivileged now: swapping real and effective is allowed. */
  EQ("setreuid_swap", syscall(SYS_setreuid, 200, 100), 0);
  getres(0, &r, &e, &s);
  FACT("setreuid_swapped", r == 200 && e == 100);
  ERR("setreuid_other_eperm", syscall(SYS_setreuid, 300, -1L), EPERM);
  ABOUT("setuid");
  EQ("setuid_unprivileged_to_real", syscall(SYS_setuid, 200), 0);
  getres(0, &r, &e, &s);
  /* The swap set the saved uid to the new effective one (100): an unprivileged setuid leaves it. */
  FACT("setuid_unprivileged_sets_effective_only", r == 200 && e == 200 && s == 100);
}

static void fsuid_root(void) {
  ABOUT("setfsuid");
  EQ("setfsuid_root_returns_old", syscall(SYS_setfsuid, 1234), 0);
  EQ("setfsuid_query", syscall(SYS_setfsuid, -1L), 1234);
  ABOUT("geteuid");
  EQ("setfsuid_leaves_euid", syscall(SYS_geteuid), 0);
  /* With fsuid 1234 and no capabilities over files, a root-only file is out of reach. */
  ABOUT("openat");
  ERR("fsuid_governs_access", open("noperm", O_RDONLY), EACCES);
  ABOUT("setfsuid");
  EQ("setfsuid_back", syscall(SYS_setfsuid, 0), 1234);
  OK("fsuid_root_again", open("noperm", O_RDONLY));
}

static void session(void) {
  ABOUT("setsid");
  long pid = syscall(SYS_getpid);
  long sid = syscall(SYS_setsid);
  FACT("setsid_returns_pid", sid == pid);
  FACT("setsid_session_is_pid", syscall(SYS_getsid, 0) == pid);
  FACT("setsid_pgrp_is_pid", syscall(SYS_getpgid, 0) == pid);
  ERR("setsid_leader_eperm", syscall(SYS_setsid), EPERM);
}

int main(void) {
  ABOUT("getuid");
  EQ("running_as_root", syscall(SYS_getuid), 0);

  /* ---- umask ---- */
  ABOUT("umask");
  long old = syscall(SYS_umask, 027);
  EQ("umask_returns_old", syscall(SYS_umask, 0777), 027);
  EQ("umask_all", syscall(SYS_umask, 01777), 0777);
  EQ("umask_masked_to_0777", syscall(SYS_umask, 022), 0777);
  syscall(SYS_umask, old);

  /* ---- setgroups ---- */
  ABOUT("setgroups");
  gid_t saved[64];
  int ns = syscall(SYS_getgroups, 64, saved);
  gid_t gs[3] = {5, 6, 7}, back[8];
  EQ("setgroups_three", syscall(SYS_setgroups, 3, gs), 0);
  EQ("getgroups_three", syscall(SYS_getgroups, 8, back), 3);
  FACT("getgroups_same", back[0] == 5 && back[1] == 6 && back[2] == 7);
  EQ("setgroups_none", syscall(SYS_setgroups, 0, NULL), 0);
  EQ("getgroups_none", syscall(SYS_getgroups, 0, NULL), 0);
  ERR("setgroups_negative", syscall(SYS_setgroups, -1L, gs), EINVAL);
  ERR("setgroups_too_many", syscall(SYS_setgroups, 65537, gs), EINVAL);
  ERR("setgroups_efault", syscall(SYS_setgroups, 2, BAD_PTR), EFAULT);
  syscall(SYS_setgroups, ns > 0 ? ns : 0, saved);

  /* ---- capget / capset ---- */
  ABOUT("capget");
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  EQ("capget_v3", syscall(SYS_capget, &h, d), 0);
  FACT("capget_root_has_setuid", (d[0].effective & (1u << CAP_SETUID)) != 0 && (d[0].permitted & (1u << CAP_SETUID)) != 0);
  h.version = 0x12345678;
  ERR("capget_bad_version", syscall(SYS_capget, &h, d), EINVAL);
  EQ("capget_bad_version_writes_preferred", h.version, _LINUX_CAPABILITY_VERSION_3);
  h.version = 0x12345678;
  EQ("capget_probe_version_null_data", syscall(SYS_capget, &h, NULL), 0);
  EQ("capget_probe_writes_preferred", h.version, _LINUX_CAPABILITY_VERSION_3);
  h.version = _LINUX_CAPABILITY_VERSION_3;
  ERR("capget_header_efault", syscall(SYS_capget, BAD_PTR, d), EFAULT);
  ERR("capget_data_efault", syscall(SYS_capget, &h, BAD_PTR), EFAULT);
  h.pid = 0x3fffffff;
  ERR("capget_no_such_pid", syscall(SYS_capget, &h, d), ESRCH);
  h.pid = 0;
  ABOUT("capset");
  syscall(SYS_capget, &h, d);
  EQ("capset_same", syscall(SYS_capset, &h, d), 0);
  h.version = 0x12345678;
  ERR("capset_bad_version", syscall(SYS_capset, &h, d), EINVAL);
  h.version = _LINUX_CAPABILITY_VERSION_3;
  h.pid = 0x3fffffff; /* not the caller (in the sandbox the program may be pid 1) */
  ERR("capset_other_pid", syscall(SYS_capset, &h, d), EPERM);
  h.pid = 0;
  struct __user_cap_data_struct e2[2];
  memcpy(e2, d, sizeof e2);
  e2[0].effective = e2[0].permitted | (1u << 31);
  e2[1].effective = 0xffffffff;
  VAL("capset_effective_beyond_permitted", syscall(SYS_capset, &h, e2));
  ERR("capset_data_efault", syscall(SYS_capset, &h, BAD_PTR), EFAULT);

  in_child(drop_with_setuid);
  in_child(regid_and_resgid);
  in_child(fsuid_root);
  in_child(session);

  ABOUT("setuid");
  EQ("parent_still_root", syscall(SYS_geteuid), 0);
  return compat_done();
}
