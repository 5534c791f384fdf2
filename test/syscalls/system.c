/*
 * System-wide and per-process odds and ends: sysinfo, personality, syslog's
 * argument checks, sethostname/setdomainname, close_range, unshare of what
 * a process holds (namespaces are left out: natively root may create them,
 * the sandbox is one set), chroot, kcmp, restart_syscall, and resource
 * usage (getrusage, times, wait4's rusage) as facts about CPU time spent.
 * Anything that would change the host (the console log level, clearing
 * the kernel log, the host name outside a new UTS namespace) is not done.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_SIGHAND 4

static long cpu_us(int who) {
  struct rusage ru;
  syscall(SYS_getrusage, who, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Spins until the process has used at least us of CPU time (bounded by 20 s of wall time). */
static int burn(long us) {
  volatile unsigned long x = 0;
  time_t start = time(NULL);
  long base = cpu_us(RUSAGE_SELF);
  while (cpu_us(RUSAGE_SELF) - base < us) {
    for (int i = 0; i < 2000000; i++) x += i;
    if (time(NULL) - start > 20) return 0;
  }
  return 1;
}

static int fd_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

static int shared_fd = -1;
static void *unshare_thread(void *arg) {
  (void)arg;
  long r = syscall(SYS_close_range, shared_fd, shared_fd, 2 /* CLOSE_RANGE_UNSHARE */);
  return (void *)(long)(r == 0 && !fd_open(shared_fd) ? 1 : 0);
}

static void *sleeper(void *arg) { (void)arg; pause(); return NULL; }

static int read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return n;
}

int main(void) {
  /* sysinfo. */
  struct sysinfo si;
  EQ("sysinfo", syscall(SYS_sysinfo, &si), 0);
  FACT("sysinfo_total_positive", si.totalram > 0 && si.mem_unit > 0);
  FACT("sysinfo_free_le_total", si.freeram <= si.totalram);
  FACT("sysinfo_procs_positive", si.procs >= 1);
  FACT("sysinfo_uptime_nonneg", si.uptime >= 0);
  ERR("sysinfo_efault", syscall(SYS_sysinfo, BAD_PTR), EFAULT);
  {
    char buf[4096];
    unsigned long kb = 0;
    if (read_file("/proc/meminfo", buf, sizeof buf) > 0) sscanf(buf, "MemTotal: %lu kB", &kb);
    FACT("sysinfo_total_is_meminfo", kb == (unsigned long)si.totalram * si.mem_unit / 1024);
  }

  /* personality. */
  EQ("personality_set", syscall(SYS_personality, ADDR_NO_RANDOMIZE), 0);
  EQ("personality_query", syscall(SYS_personality, 0xffffffff), ADDR_NO_RANDOMIZE);
  {
    pid_t c = fork();
    if (c == 0) _exit(syscall(SYS_personality, 0xffffffff) == ADDR_NO_RANDOMIZE ? 0 : 1);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("personality_inherited", WEXITSTATUS(st), 0);
  }
  EQ("personality_restore", syscall(SYS_personality, 0), ADDR_NO_RANDOMIZE);
  EQ("personality_after", syscall(SYS_personality, 0xffffffff), 0);

  /* syslog: argument checks only (reading the host's log is host-dependent). */
  ERR("syslog_bad_type", syscall(SYS_syslog, 11, NULL, 0), EINVAL);
  ERR("syslog_neg_type", syscall(SYS_syslog, -1, NULL, 0), EINVAL);
  ERR("syslog_read_all_null", syscall(SYS_syslog, 3, NULL, 10), EINVAL);
  {
    char b[16];
    ERR("syslog_read_all_neg_len", syscall(SYS_syslog, 3, b, -1), EINVAL);
    EQ("syslog_read_all_zero_len", syscall(SYS_syslog, 3, b, 0), 0);
  }
  ERR("syslog_console_level_0", syscall(SYS_syslog, 8, NULL, 0), EINVAL);
  ERR("syslog_console_level_9", syscall(SYS_syslog, 8, NULL, 9), EINVAL);
  EQ("syslog_open", syscall(SYS_syslog, 1, NULL, 0), 0);
  EQ("syslog_close", syscall(SYS_syslog, 0, NULL, 0), 0);

  /* sethostname / setdomainname: errors here, changes in a child. */
  ERR("sethostname_too_long", syscall(SYS_sethostname, "x", 65), EINVAL);
  ERR("sethostname_negative", syscall(SYS_sethostname, "x", -1), EINVAL);
  ERR("sethostname_efault", syscall(SYS_sethostname, BAD_PTR, 5), EFAULT);
  ERR("setdomainname_too_long", syscall(SYS_setdomainname, "x", 65), EINVAL);
  ERR("setdomainname_efault", syscall(SYS_setdomainname, BAD_PTR, 5), EFAULT);
  {
    pid_t c = fork();
    if (c == 0) {
      /* Natively this child gets its own UTS namespace so the host keeps its
       * name; the sandbox has one of its own already (and answers EINVAL). */
      syscall(SYS_unshare, CLONE_NEWUTS);
      int ok = syscall(SYS_sethostname, "compat-host", 11) == 0;
      ok = ok && syscall(SYS_setdomainname, "compat.dom\0junk", 15) == 0;
      struct utsname u;
      ok = ok && uname(&u) == 0 && strcmp(u.nodename, "compat-host") == 0 && strcmp(u.domainname, "compat.dom") == 0;
      char buf[128];
      ok = ok && read_file("/proc/sys/kernel/hostname", buf, sizeof buf) > 0 && strcmp(buf, "compat-host\n") == 0;
      ok = ok && syscall(SYS_sethostname, "", 0) == 0 && uname(&u) == 0 && u.nodename[0] == 0;
      ok = ok && syscall(SYS_sethostname, "1234567890123456789012345678901234567890123456789012345678901234", 64) == 0;
      ok = ok && uname(&u) == 0 && strlen(u.nodename) == 64;
      if (setuid(65534) != 0) _exit(99);
      errno = 0;
      ok = ok && syscall(SYS_sethostname, "x", 1) == -1 && errno == EPERM;
      errno = 0;
      ok = ok && syscall(SYS_setdomainname, "x", 1) == -1 && errno == EPERM;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("sethostname_child", WEXITSTATUS(st), 0);
  }

  /* unshare of what a process holds (before any thread exists: a joined
   * thread may still be on its way out and make the process look shared). */
  EQ("unshare_0", syscall(SYS_unshare, 0), 0);
  EQ("unshare_files", syscall(SYS_unshare, CLONE_FILES), 0);
  EQ("unshare_fs", syscall(SYS_unshare, CLONE_FS), 0);
  EQ("unshare_sysvsem", syscall(SYS_unshare, CLONE_SYSVSEM), 0);
  EQ("unshare_thread_alone", syscall(SYS_unshare, CLONE_THREAD), 0);
  EQ("unshare_vm_alone", syscall(SYS_unshare, CLONE_VM), 0);
  EQ("unshare_sighand_alone", syscall(SYS_unshare, CLONE_SIGHAND), 0);
  ERR("unshare_bad_flag", syscall(SYS_unshare, 0x1), EINVAL);
  ERR("unshare_bad_flag_vfork", syscall(SYS_unshare, CLONE_VFORK), EINVAL);
  /* close_range. */
  for (int fd = 10; fd <= 16; fd++) dup2(1, fd);
  EQ("close_range_12_13", syscall(SYS_close_range, 12, 13, 0), 0);
  FACT("close_range_closed", !fd_open(12) && !fd_open(13) && fd_open(11) && fd_open(14));
  EQ("close_range_cloexec", syscall(SYS_close_range, 10, 11, 4 /* CLOSE_RANGE_CLOEXEC */), 0);
  EQ("close_range_cloexec_set", fcntl(10, F_GETFD), FD_CLOEXEC);
  EQ("close_range_cloexec_set_11", fcntl(11, F_GETFD), FD_CLOEXEC);
  EQ("close_range_cloexec_untouched", fcntl(14, F_GETFD), 0);
  ERR("close_range_bad_flags", syscall(SYS_close_range, 10, 11, 1), EINVAL);
  ERR("close_range_reversed", syscall(SYS_close_range, 11, 10, 0), EINVAL);
  EQ("close_range_empty", syscall(SYS_close_range, 1000, ~0U, 0), 0);
  EQ("close_range_to_max", syscall(SYS_close_range, 14, ~0U, 0), 0);
  FACT("close_range_to_max_closed", !fd_open(14) && !fd_open(15) && !fd_open(16) && fd_open(11));
  {
    shared_fd = dup2(1, 20);
    pthread_t th;
    void *res = NULL;
    pthread_create(&th, NULL, unshare_thread, NULL);
    pthread_join(th, &res);
    FACT("close_range_unshare_thread_closed", res == (void *)1);
    FACT("close_range_unshare_main_kept", fd_open(20));
    close(20);
  }
  close(10);
  close(11);

  {
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    ERR("unshare_thread_shared", syscall(SYS_unshare, CLONE_THREAD), EINVAL);
    ERR("unshare_vm_shared", syscall(SYS_unshare, CLONE_VM), EINVAL);
    ERR("unshare_sighand_shared", syscall(SYS_unshare, CLONE_SIGHAND), EINVAL);
    EQ("unshare_files_threaded", syscall(SYS_unshare, CLONE_FILES), 0);
    pthread_cancel(th);
    pthread_join(th, NULL);
  }

  /* chroot, in children. */
  ERR("chroot_enoent", syscall(SYS_chroot, "nope"), ENOENT);
  ERR("chroot_enotdir", syscall(SYS_chroot, "small.txt"), ENOTDIR);
  ERR("chroot_efault", syscall(SYS_chroot, BAD_PTR), EFAULT);
  {
    pid_t c = fork();
    if (c == 0) {
      int ok = syscall(SYS_chroot, "dir") == 0;
      char buf[16] = {0};
      ok = ok && chdir("/") == 0;
      ok = ok && read_file("/a", buf, sizeof buf) == 2 && strcmp(buf, "a\n") == 0;
      ok = ok && read_file("/../../b", buf, sizeof buf) == 2 && strcmp(buf, "b\n") == 0;
      ok = ok && getcwd(buf, sizeof buf) != NULL && strcmp(buf, "/") == 0;
      ok = ok && access("/sub", F_OK) == 0 && access("/small.txt", F_OK) == -1;
      ok = ok && syscall(SYS_chroot, "sub") == 0 && access("/../a", F_OK) == -1;
      if (setuid(65534) != 0) _exit(99);
      errno = 0;
      ok = ok && syscall(SYS_chroot, "/") == -1 && errno == EPERM;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("chroot_child", WEXITSTATUS(st), 0);
  }

  /* kcmp. */
  {
    pid_t me = getpid();
    int d = dup(0);
    int other = open("small.txt", O_RDONLY);
    EQ("kcmp_file_dup", syscall(SYS_kcmp, me, me, KCMP_FILE, 0, d), 0);
    FACT("kcmp_file_differs", syscall(SYS_kcmp, me, me, KCMP_FILE, 0, other) > 0);
    EQ("kcmp_vm_self", syscall(SYS_kcmp, me, me, KCMP_VM, 0, 0), 0);
    EQ("kcmp_files_self", syscall(SYS_kcmp, me, me, KCMP_FILES, 0, 0), 0);
    ERR("kcmp_bad_fd", syscall(SYS_kcmp, me, me, KCMP_FILE, 0, 999), EBADF);
    ERR("kcmp_bad_type", syscall(SYS_kcmp, me, me, 99, 0, 0), EINVAL);
    ERR("kcmp_esrch", syscall(SYS_kcmp, me, 0x3ffffff0, KCMP_VM, 0, 0), ESRCH);
    pid_t c = fork();
    if (c == 0) { pause(); _exit(0); }
    long vm = syscall(SYS_kcmp, me, c, KCMP_VM, 0, 0);
    long files = syscall(SYS_kcmp, me, c, KCMP_FILES, 0, 0);
    long file = syscall(SYS_kcmp, me, c, KCMP_FILE, other, other);
    long sighand = syscall(SYS_kcmp, me, c, KCMP_SIGHAND, 0, 0);
    FACT("kcmp_child_vm_differs", vm == 1 || vm == 2);
    FACT("kcmp_child_files_differs", files == 1 || files == 2);
    EQ("kcmp_child_same_file", file, 0);
    FACT("kcmp_child_sighand_differs", sighand == 1 || sighand == 2);
    FACT("kcmp_antisymmetric", syscall(SYS_kcmp, c, me, KCMP_VM, 0, 0) == 3 - vm);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    close(d);
    close(other);
  }

  /* restart_syscall without an interrupted call to restart. */
  ERR("restart_syscall", syscall(SYS_restart_syscall), EINTR);

  /* Resource usage. */
  {
    struct rusage ru;
    EQ("getrusage_self", syscall(SYS_getrusage, RUSAGE_SELF, &ru), 0);
    EQ("getrusage_children", syscall(SYS_getrusage, RUSAGE_CHILDREN, &ru), 0);
    EQ("getrusage_thread", syscall(SYS_getrusage, RUSAGE_THREAD, &ru), 0);
    ERR("getrusage_bad_who", syscall(SYS_getrusage, 2, &ru), EINVAL);
    ERR("getrusage_efault", syscall(SYS_getrusage, RUSAGE_SELF, BAD_PTR), EFAULT);
    FACT("cpu_time_advances", burn(100000));
    syscall(SYS_getrusage, RUSAGE_SELF, &ru);
    FACT("getrusage_self_utime", ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec >= 50000);
    FACT("getrusage_self_usec_valid", ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
    FACT("getrusage_self_maxrss", ru.ru_maxrss > 0);
    FACT("getrusage_self_minflt", ru.ru_minflt > 0);
    FACT("getrusage_thread_le_self", cpu_us(RUSAGE_THREAD) <= cpu_us(RUSAGE_SELF));
    struct tms tm;
    long ticks = syscall(SYS_times, &tm);
    FACT("times_returns", ticks != -1);
    FACT("times_utime", tm.tms_utime + tm.tms_stime >= 5);
    ERR("times_efault", syscall(SYS_times, BAD_PTR), EFAULT);
    OK("times_null", syscall(SYS_times, NULL));

    long before = cpu_us(RUSAGE_CHILDREN);
    pid_t c = fork();
    if (c == 0) _exit(burn(100000) ? 0 : 1);
    int st = 0;
    struct rusage cru;
    memset(&cru, 0, sizeof cru);
    FACT("wait4_rusage", syscall(SYS_wait4, c, &st, 0, &cru) == c);
    EQ("wait4_child_status", WEXITSTATUS(st), 0);
    FACT("wait4_rusage_cpu", (cru.ru_utime.tv_sec + cru.ru_stime.tv_sec) * 1000000L + cru.ru_utime.tv_usec + cru.ru_stime.tv_usec >= 50000);
    FACT("getrusage_children_grew", cpu_us(RUSAGE_CHILDREN) - before >= 50000);
    syscall(SYS_times, &tm);
    FACT("times_cutime", tm.tms_cutime + tm.tms_cstime >= 5);
  }

  return compat_done();
}
