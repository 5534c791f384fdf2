/*
 * forkexec N [PATH] — process creation cost micro-benchmark.
 *
 * Each iteration is fork() + execve(PATH, {PATH, NULL}, envp) in the child
 * + waitpid() in the parent, and the child must exit with status 0. PATH
 * defaults to /bin/true. The harness (bench/run.mjs) passes a tiny static
 * true built from bench/true.c, so every environment execs the same binary:
 * /bin/true inside its OCI bundles, the absolute host path elsewhere.
 *
 * Runs min(N, 10) warm-up iterations, then N timed ones between two
 * clock_gettime(CLOCK_MONOTONIC) reads, and prints "iters=<N>",
 * "path=<PATH>" and "us_per_iter=<float>". Exits 1 (with a message on
 * stderr) if fork, execve or waitpid fails or the child does not exit 0, so
 * a sandbox that cannot fork or exec gives no figure.
 *
 * Built statically: cc -O2 -static -o forkexec forkexec.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

extern char **environ;

static double now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    perror("clock_gettime");
    exit(2);
  }
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void one(const char *path) {
  char *const argv[] = {(char *)path, NULL};
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "forkexec: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid == 0) {
    execve(path, argv, environ);
    /* Only reached when execve failed; report and leave without atexit/stdio flushing. */
    char msg[256];
    int len = snprintf(msg, sizeof msg, "forkexec: execve %s: %s\n", path, strerror(errno));
    if (len > 0) (void)!write(2, msg, (size_t)len);
    _exit(127);
  }
  int status;
  pid_t w;
  do w = waitpid(pid, &status, 0); while (w < 0 && errno == EINTR);
  if (w != pid) {
    fprintf(stderr, "forkexec: waitpid(%d) returned %d: %s\n", (int)pid, (int)w, strerror(errno));
    exit(1);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status))
      fprintf(stderr, "forkexec: child killed by signal %d\n", WTERMSIG(status));
    else
      fprintf(stderr, "forkexec: child status 0x%x\n", status);
    exit(1);
  }
}

int main(int argc, char **argv) {
  long n = 1000;
  const char *path = "/bin/true";
  if (argc > 1) {
    char *end;
    n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) {
      fprintf(stderr, "usage: %s [N>0] [PATH]\n", argv[0]);
      return 2;
    }
  }
  if (argc > 2) path = argv[2];

  long warm = n < 10 ? n : 10;
  for (long i = 0; i < warm; i++) one(path);

  double t0 = now_ns();
  for (long i = 0; i < n; i++) one(path);
  double t1 = now_ns();

  printf("iters=%ld\n", n);
  printf("path=%s\n", path);
  printf("us_per_iter=%.3f\n", (t1 - t0) / (double)n / 1e3);
  return 0;
}
