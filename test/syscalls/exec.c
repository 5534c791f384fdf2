/*
 * execve and execveat: argv and envp as the new image sees them, #! scripts
 * (the interpreter's arguments, nesting, missing interpreters), the error
 * paths (ENOENT, EACCES, ENOEXEC, E2BIG, EFAULT, ELOOP, ENOTDIR), what
 * survives an exec (fds without FD_CLOEXEC, ignored signals, the mask,
 * pending signals) and what does not (handlers, close-on-exec fds).
 *
 * The program execs itself: "--child=TAG" makes it print what it was given
 * as TAG_* lines, then exit 42. Paths print as BIN and W/... (the binary,
 * the writable directory), the same in both runs.
 *
 * compat: writable-dir
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *bin, *wdir;

static const char *shown(const char *s, char *buf, size_t n) {
  size_t wl = strlen(wdir);
  if (strcmp(s, bin) == 0) return "BIN";
  if (strncmp(s, wdir, wl) == 0) { snprintf(buf, n, "W%s", s + wl); return buf; }
  return s;
}

static int child_main(int argc, char **argv, char **envp) {
  const char *tag = argv[1] + 8;
  if (strcmp(tag, "noenv") == 0) return envp[0] == NULL ? 42 : 43;
  char k[64], b[256];
  bin = getenv("EXEC_BIN") ? getenv("EXEC_BIN") : "";
  wdir = getenv("EXEC_W") ? getenv("EXEC_W") : "";
  ABOUT("execve");
  snprintf(k, sizeof k, "%s_argc", tag);
  SHOW(k, "%d", argc);
  for (int i = 0; i < argc; i++) {
    snprintf(k, sizeof k, "%s_argv%d", tag, i);
    SHOW(k, "%s", shown(argv[i], b, sizeof b));
  }
  int n = 0;
  for (char **e = envp; *e; e++) {
    if (strncmp(*e, "EXEC_", 5) == 0 || strncmp(*e, "COMPAT_CASES=", 13) == 0) continue;
    snprintf(k, sizeof k, "%s_env%d", tag, n++);
    SHOW(k, "%s", *e);
  }
  snprintf(k, sizeof k, "%s_envc", tag);
  SHOW(k, "%d", n);
  if (getenv("EXEC_STATE")) {
    struct sigaction sa;
    sigset_t m, p;
    snprintf(k, sizeof k, "%s_fd10_cloexec_closed", tag);
    ERR(k, syscall(SYS_fcntl, 10, F_GETFD), EBADF);
    snprintf(k, sizeof k, "%s_fd11_kept", tag);
    EQ(k, syscall(SYS_fcntl, 11, F_GETFD), 0);
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &sa, 8);
    snprintf(k, sizeof k, "%s_handler_reset", tag);
    FACT(k, sa.sa_handler == SIG_DFL);
    syscall(SYS_rt_sigaction, SIGTERM, NULL, &sa, 8);
    snprintf(k, sizeof k, "%s_ignored_kept", tag);
    FACT(k, sa.sa_handler == SIG_IGN);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
    snprintf(k, sizeof k, "%s_mask_kept", tag);
    FACT(k, sigismember(&m, SIGUSR2));
    syscall(SYS_rt_sigpending, &p, 8);
    snprintf(k, sizeof k, "%s_pending_kept", tag);
    FACT(k, sigismember(&p, SIGUSR2));
    char name[17] = {0};
    prctl(PR_GET_NAME, name);
    snprintf(k, sizeof k, "%s_comm", tag);
    SHOW(k, "%s", name);
    stack_t ss;
    syscall(SYS_sigaltstack, NULL, &ss);
    snprintf(k, sizeof k, "%s_altstack_disabled", tag);
    FACT(k, ss.ss_flags == SS_DISABLE);
  }
  fflush(stdout);
  return 42;
}

/* Runs fn in a child and returns its exit status (or 100 + signal). */
static int in_child(long (*fn)(void *), void *arg) {
  pid_t pid = fork();
  if (pid == 0) {
    long r = fn(arg);
    /* Only a failed exec returns: report its errno. */
    _exit(r == -1 ? 200 + (errno & 0x3f) : 199);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static char *const *exec_argv;
static char *const *exec_envp;
static const char *exec_path;
static long do_execve(void *unused) { (void)unused; return syscall(SYS_execve, exec_path, exec_argv, exec_envp); }

static char envbuf[4][512];
static char **child_env(const char *extra) {
  static char *env[8];
  int n = 0;
  snprintf(envbuf[0], sizeof envbuf[0], "EXEC_BIN=%s", bin);
  snprintf(envbuf[1], sizeof envbuf[1], "EXEC_W=%s", wdir);
  env[n++] = envbuf[0];
  env[n++] = envbuf[1];
  if (getenv("COMPAT_CASES")) env[n++] = "COMPAT_CASES=1";
  env[n++] = "ALPHA=1";
  env[n++] = "BETA=two words";
  if (extra) env[n++] = (char *)extra;
  env[n] = NULL;
  return env;
}

static int run_exec(const char *path, char *const *argv, char *const *envp) {
  exec_path = path;
  exec_argv = argv;
  exec_envp = envp;
  return in_child(do_execve, NULL);
}

static void write_file(const char *name, const char *text, int mode) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", wdir, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd >= 0) { if (write(fd, text, strlen(text)) < 0) {} close(fd); }
  chmod(p, mode);
}

static char *wpath(const char *name) {
  static char bufs[8][512];
  static int i;
  char *p = bufs[i++ % 8];
  snprintf(p, 512, "%s/%s", wdir, name);
  return p;
}

int main(int argc, char **argv, char **envp) {
  if (argc > 1 && strncmp(argv[1], "--child=", 8) == 0) return child_main(argc, argv, envp);
  if (argc < 3) { fprintf(stderr, "usage: exec FIXTURE WRITABLE-DIR\n"); return 2; }
  static char binpath[512];
  /* The binary's own path, as both runs see it: the runner starts it by absolute path. */
  snprintf(binpath, sizeof binpath, "%s", argv[0]);
  bin = binpath;
  wdir = argv[2];

  /* ---- argv and envp reach the new image ---- */
  ABOUT("execve");
  char *args1[] = {(char *)bin, "--child=plain", "one", "", "three four", NULL};
  EQ("plain_status", run_exec(bin, args1, child_env(NULL)), 42);
  char *args2[] = {"argv0-is-free", "--child=argv0", NULL};
  EQ("argv0_status", run_exec(bin, args2, child_env("GAMMA=")), 42);
  /* envp NULL: an empty environment (the child exits 42 if it is, 43 if not: it has no way to print). */
  EQ("envp_null_status", run_exec(bin, (char *[]){"zero", "--child=noenv", NULL}, NULL), 42);

  /* ---- the state an exec keeps and resets ---- */
  int fd = open("small.txt", O_RDONLY);
  dup2(fd, 11);
  dup3(fd, 10, O_CLOEXEC);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = (void (*)(int))child_env; /* never run: the exec resets it */
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  static char altstack[16384];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    syscall(SYS_kill, syscall(SYS_getpid), SIGUSR2); /* pending across the exec */
    char *a[] = {(char *)bin, "--child=state", NULL};
    syscall(SYS_execve, bin, a, child_env("EXEC_STATE=1"));
    _exit(99);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  EQ("state_status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 42);
  close(10);
  close(11);
  signal(SIGTERM, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &set, NULL);

  /* ---- errors: each returns to the caller, the process unchanged ---- */
  char *noargs[] = {"x", NULL};
  ERR("enoent", syscall(SYS_execve, "nonexistent", noargs, NULL), ENOENT);
  ERR("empty_path", syscall(SYS_execve, "", noargs, NULL), ENOENT);
  ERR("eacces_no_exec_bit", syscall(SYS_execve, "noexec.txt", noargs, NULL), EACCES);
  ERR("eacces_directory", syscall(SYS_execve, "dir", noargs, NULL), EACCES);
  ERR("enotdir", syscall(SYS_execve, "small.txt/x", noargs, NULL), ENOTDIR);
  ERR("eloop", syscall(SYS_execve, "loop1", noargs, NULL), ELOOP);
  ERR("efault_path", syscall(SYS_execve, BAD_PTR, noargs, NULL), EFAULT);
  ERR("efault_argv", syscall(SYS_execve, bin, BAD_PTR, NULL), EFAULT);
  char *badarg[] = {"x", BAD_PTR, NULL};
  ERR("efault_argv_element", syscall(SYS_execve, bin, badarg, NULL), EFAULT);
  ERR("efault_envp", syscall(SYS_execve, bin, noargs, BAD_PTR), EFAULT);
  char *badenv[] = {"A=1", BAD_PTR, NULL};
  ERR("efault_envp_element", syscall(SYS_execve, bin, noargs, badenv), EFAULT);
  static char huge[140000];
  memset(huge, 'a', sizeof huge - 1);
  char *bigargs[] = {"x", huge, NULL};
  ERR("e2big_one_string", syscall(SYS_execve, bin, bigargs, NULL), E2BIG);
  char *bigenv[] = {huge, NULL};
  ERR("e2big_env_string", syscall(SYS_execve, bin, noargs, bigenv), E2BIG);
  char longname[5000];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  ERR("enametoolong", syscall(SYS_execve, longname, noargs, NULL), ENAMETOOLONG);
  FACT("still_running_after_failures", syscall(SYS_getpid) > 0);

  /* ---- files that are not executables ---- */
  write_file("garbage", "this is not an executable\n", 0755);
  ERR("enoexec_garbage", syscall(SYS_execve, wpath("garbage"), noargs, NULL), ENOEXEC);
  write_file("empty", "", 0755);
  ERR("enoexec_empty", syscall(SYS_execve, wpath("empty"), noargs, NULL), ENOEXEC);
  write_file("short_elf", "\177ELF\2\1\1", 0755);
  ERR("enoexec_truncated_elf", syscall(SYS_execve, wpath("short_elf"), noargs, NULL), ENOEXEC);

  /* ---- #! scripts ---- */
  ABOUT("execve");
  char line[1024];
  snprintf(line, sizeof line, "#!%s --child=script\n", bin);
  write_file("script", line, 0755);
  char *sargs[] = {"ignored-argv0", "s1", "s2", NULL};
  EQ("script_status", run_exec(wpath("script"), sargs, child_env(NULL)), 42);
  snprintf(line, sizeof line, "#!  %s   --child=spaces  \n", bin);
  write_file("script_spaces", line, 0755);
  EQ("script_spaces_status", run_exec(wpath("script_spaces"), sargs, child_env(NULL)), 42);
  snprintf(line, sizeof line, "#!%s --child=nested\n", bin);
  write_file("script2", line, 0755);
  snprintf(line, sizeof line, "#!%s\n", wpath("script2"));
  write_file("script_nested", line, 0755);
  EQ("script_nested_status", run_exec(wpath("script_nested"), sargs, child_env(NULL)), 42);
  write_file("script_missing_interp", "#!/nonexistent/interp\n", 0755);
  ERR("script_missing_interpreter", syscall(SYS_execve, wpath("script_missing_interp"), noargs, NULL), ENOENT);
  snprintf(line, sizeof line, "#!%s --child=script\n", bin);
  write_file("script_noexec", line, 0644);
  ERR("script_without_exec_bit", syscall(SYS_execve, wpath("script_noexec"), noargs, NULL), EACCES);
  snprintf(line, sizeof line, "#!%s\n", wpath("noexec_interp"));
  write_file("script_interp_noexec", line, 0755);
  write_file("noexec_interp", "x", 0644);
  ERR("script_interpreter_not_executable", syscall(SYS_execve, wpath("script_interp_noexec"), noargs, NULL), EACCES);
  /* A loop of scripts: Linux stops after a few levels with ELOOP. */
  snprintf(line, sizeof line, "#!%s\n", wpath("loop_b"));
  write_file("loop_a", line, 0755);
  snprintf(line, sizeof line, "#!%s\n", wpath("loop_a"));
  write_file("loop_b", line, 0755);
  ERR("script_loop", syscall(SYS_execve, wpath("loop_a"), noargs, NULL), ELOOP);
  char *shargs[] = {"exec.sh", NULL};
  EQ("fixture_sh_script", run_exec("exec.sh", shargs, child_env(NULL)), 0);

  /* ---- execveat ---- */
  ABOUT("execveat");
  int bfd = open(bin, O_RDONLY);
  int pfd = open(bin, O_PATH);
  char *eargs[] = {(char *)bin, "--child=at", NULL};
  pid = fork();
  if (pid == 0) { syscall(SYS_execveat, bfd, "", eargs, child_env(NULL), AT_EMPTY_PATH); _exit(99); }
  waitpid(pid, &st, 0);
  EQ("execveat_empty_path_status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 42);
  pid = fork();
  if (pid == 0) { syscall(SYS_execveat, pfd, "", (char *[]){(char *)bin, "--child=atpath", NULL}, child_env(NULL), AT_EMPTY_PATH); _exit(99); }
  waitpid(pid, &st, 0);
  EQ("execveat_o_path_status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 42);
  int dfd = open(wdir, O_RDONLY | O_DIRECTORY);
  snprintf(line, sizeof line, "#!%s --child=atscript\n", bin);
  write_file("script_at", line, 0755);
  pid = fork();
  if (pid == 0) { syscall(SYS_execveat, dfd, "script_at", sargs, child_env(NULL), 0); _exit(99); }
  waitpid(pid, &st, 0);
  EQ("execveat_dirfd_relative_status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 42);
  ERR("execveat_empty_without_flag", syscall(SYS_execveat, bfd, "", noargs, NULL, 0), ENOENT);
  ERR("execveat_bad_flags", syscall(SYS_execveat, AT_FDCWD, bin, noargs, NULL, 0x1), EINVAL);
  ERR("execveat_bad_dirfd", syscall(SYS_execveat, 12345, "x", noargs, NULL, 0), EBADF);
  ERR("execveat_dirfd_not_dir", syscall(SYS_execveat, bfd, "x", noargs, NULL, 0), ENOTDIR);
  ERR("execveat_nofollow_symlink", syscall(SYS_execveat, AT_FDCWD, "link-to-file", noargs, NULL, AT_SYMLINK_NOFOLLOW), ELOOP);
  int nfd = open("noexec.txt", O_RDONLY);
  ERR("execveat_fd_not_executable", syscall(SYS_execveat, nfd, "", noargs, NULL, AT_EMPTY_PATH), EACCES);
  ERR("execveat_bad_fd_empty_path", syscall(SYS_execveat, 12345, "", noargs, NULL, AT_EMPTY_PATH), EBADF);
  /* A script through a close-on-exec fd: the interpreter could not open it again (/dev/fd/N is gone). */
  int sfd = open(wpath("script"), O_RDONLY | O_CLOEXEC);
  ERR("execveat_cloexec_script", syscall(SYS_execveat, sfd, "", sargs, NULL, AT_EMPTY_PATH), ENOENT);
  /* The path walk checks search permission: an unprivileged exec through a directory it cannot search is EACCES. */
  mkdir(wpath("locked"), 0700);
  write_file("locked/run", "#!/bin/sh\nexit 0\n", 0755);
  pid = fork();
  if (pid == 0) {
    if (setresgid(4242, 4242, 4242) != 0 || setresuid(4242, 4242, 4242) != 0) _exit(98);
    char *a[] = { wpath("locked/run"), NULL };
    syscall(SYS_execve, a[0], a, NULL);
    _exit(errno == EACCES ? 13 : 97);
  }
  waitpid(pid, &st, 0);
  ABOUT("execve");
  EQ("execve_unsearchable_dir_eacces", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 13);
  return compat_done();
}
