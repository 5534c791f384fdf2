/*
 * Resource limits acting on the calls they govern: RLIMIT_FSIZE (EFBIG and
 * SIGXFSZ on write, pwrite, writev, O_APPEND and truncate), RLIMIT_AS
 * (mmap, mremap and brk), RLIMIT_NPROC (fork as an unprivileged user),
 * RLIMIT_CPU (SIGXCPU at the soft limit, which then moves up a second;
 * SIGKILL at the hard limit).
 * compat: writable-dir
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t xfsz;
static void on_xfsz(int s) { (void)s; xfsz++; }

static volatile sig_atomic_t xcpu;
static void on_xcpu(int s) { (void)s; xcpu++; }

/* Burns CPU until cond holds or wall seconds pass. */
static void spin_until(volatile sig_atomic_t *flag, int want, int wall_seconds) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    for (volatile int i = 0; i < 1000000; i++) {}
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((flag == NULL || *flag < want) && now.tv_sec - start.tv_sec < wall_seconds);
}

/* In a child: its CPU limit must not reach the parent. Its lines are flushed before SIGKILL ends it. */
static void cpu_cases(void) {
  signal(SIGXCPU, on_xcpu);
  struct rlimit cpu = { 1, 2 };
  EQ("cpu_set", setrlimit(RLIMIT_CPU, &cpu), 0);
  spin_until(&xcpu, 1, 20);
  FACT("cpu_sigxcpu_at_soft", xcpu >= 1);
  struct rlimit now;
  getrlimit(RLIMIT_CPU, &now);
  SHOW("cpu_soft_raised", "%ld/%ld", (long)now.rlim_cur, (long)now.rlim_max);
  fflush(stdout);
  spin_until(NULL, 0, 20);
  SHOW("cpu_not_killed", "1");
}

/* The remaining cases run in a child that drops root, so the parent's limits stay as they were. */
static void nproc_cases(void) {
  struct rlimit r = { 3, 3 };
  EQ("nproc_set", setrlimit(RLIMIT_NPROC, &r), 0);
  pid_t root_child = fork();
  if (root_child == 0) _exit(0);
  FACT("nproc_root_exempt", root_child > 0);
  waitpid(root_child, NULL, 0);
  EQ("nproc_drop_root", setresuid(4242, 4242, 4242), 0);
  pid_t kids[4];
  int made = 0;
  long last = 0;
  int last_errno = 0;
  for (int i = 0; i < 4; i++) {
    errno = 0;
    kids[i] = fork();
    if (kids[i] == 0) { pause(); _exit(0); }
    if (kids[i] < 0) { last = -1; last_errno = errno; break; }
    made++;
  }
  /* This task and two children reach the limit of 3 tasks for uid 4242. */
  EQ("nproc_children_made", made, 2);
  FACT("nproc_third_fork_eagain", last == -1 && last_errno == EAGAIN);
  for (int i = 0; i < made; i++) { kill(kids[i], SIGKILL); waitpid(kids[i], NULL, 0); }
  pid_t again = fork();
  if (again == 0) _exit(0);
  FACT("nproc_fork_after_reaping", again > 0);
  if (again > 0) waitpid(again, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (chdir(argv[2]) != 0) return 2;
  signal(SIGXFSZ, on_xfsz);

  /* RLIMIT_FSIZE */
  /* Only soft limits change: raising a hard one back needs CAP_SYS_RESOURCE, which depends on who runs the suite. */
  struct rlimit fs, fs_saved;
  getrlimit(RLIMIT_FSIZE, &fs_saved);
  fs.rlim_cur = 10;
  fs.rlim_max = fs_saved.rlim_max;
  EQ("fsize_set", setrlimit(RLIMIT_FSIZE, &fs), 0);
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  FACT("fsize_open", fd >= 0);
  EQ("fsize_write_partial", write(fd, "0123456789abcdef", 16), 10);
  EQ("fsize_no_signal_yet", xfsz, 0);
  ERR("fsize_write_at_limit", write(fd, "x", 1), EFBIG);
  EQ("fsize_signal_sent", xfsz, 1);
  EQ("fsize_write_zero_ok", write(fd, "", 0), 0);
  EQ("fsize_pwrite_partial", pwrite(fd, "ABCDEF", 6, 7), 3);
  ERR("fsize_pwrite_beyond", pwrite(fd, "A", 1, 100), EFBIG);
  struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
  EQ("fsize_pwritev_partial", pwritev(fd, iov, 2, 8), 2);
  ERR("fsize_ftruncate_beyond", ftruncate(fd, 11), EFBIG);
  EQ("fsize_ftruncate_at_limit", ftruncate(fd, 10), 0);
  EQ("fsize_ftruncate_shrink", ftruncate(fd, 4), 0);
  int afd = open("f", O_WRONLY | O_APPEND);
  EQ("fsize_append_partial", write(afd, "zzzzzzzzzz", 10), 6);
  ERR("fsize_append_full", write(afd, "z", 1), EFBIG);
  ERR("fsize_truncate_path_beyond", truncate("f", 20), EFBIG);
  EQ("fsize_signals_total", xfsz, 5);
  close(afd);
  close(fd);
  /* Pipes are not files: the limit does not apply. */
  int p[2];
  pipe(p);
  EQ("fsize_pipe_unlimited", write(p[1], "0123456789abcdef", 16), 16);
  close(p[0]);
  close(p[1]);
  EQ("fsize_restore", setrlimit(RLIMIT_FSIZE, &fs_saved), 0);

  /* RLIMIT_AS: a mapping that would pass the limit is ENOMEM; replacing one is not growth. */
  struct rlimit as;
  getrlimit(RLIMIT_AS, &as);
  void *probe = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* The current size, read from /proc would be host-specific: set a limit relative to a big mapping instead. */
  struct rlimit tight = { 64UL << 30, as.rlim_max };
  EQ("as_set", setrlimit(RLIMIT_AS, &tight), 0);
  ERR("as_mmap_too_big", (long)mmap(NULL, 65UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), ENOMEM);
  void *big = mmap(NULL, 32UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  FACT("as_mmap_within", big != MAP_FAILED);
  ERR("as_second_big", (long)mmap(NULL, 33UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), ENOMEM);
  FACT("as_fixed_replace_ok", mmap(big, 32UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == big);
  ERR("as_mremap_grow", (long)mremap(big, 32UL << 30, 97UL << 30, MREMAP_MAYMOVE), ENOMEM);
  munmap(big, 32UL << 30);
  void *cur = sbrk(0);
  tight.rlim_cur = 4096;
  /* Below what is mapped already: nothing new may be mapped, and the heap may not grow. */
  EQ("as_set_small", setrlimit(RLIMIT_AS, &tight), 0);
  ERR("as_mmap_small", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
  FACT("as_brk_refused", (void *)syscall(SYS_brk, (char *)cur + (1 << 20)) == cur);
  EQ("as_munmap_ok", munmap(probe, 4096), 0);
  EQ("as_restore", setrlimit(RLIMIT_AS, &as), 0);

  pid_t child = fork();
  if (child == 0) {
    nproc_cases();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(child, &st, 0);
  FACT("nproc_child_done", WIFEXITED(st) && WEXITSTATUS(st) == 0);

  fflush(stdout);
  child = fork();
  if (child == 0) {
    cpu_cases();
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, &st, 0);
  FACT("cpu_killed_at_hard", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  return compat_done();
}
