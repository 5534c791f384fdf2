/*
 * timeit N PROG [ARGS...] — wall time of a whole program, run N times.
 *
 * Runs PROG once untimed (warm caches), then N times in a row, each as
 * fork + execv(PROG) + waitpid; every run must exit 0. Prints
 * ms_per_run=. Used for real programs (python3 start-up, a gcc compile, a
 * shell loop) so the figure excludes the sandbox's own start-up. PROG is an
 * absolute path (no PATH search). The children's stdout goes to /dev/null.
 *
 * Built statically: cc -O2 -static -o timeit timeit.c
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>

static const char *P = "timeit";
extern char **environ;

static void one(char **argv) {
  pid_t pid = fork();
  if (pid < 0) die(P, "fork");
  if (pid == 0) {
    int nul = open("/dev/null", O_WRONLY);
    if (nul >= 0) { dup2(nul, 1); close(nul); }
    execve(argv[0], argv, environ);
    char msg[512];
    int len = snprintf(msg, sizeof msg, "%s: execve %s: %s\n", P, argv[0], strerror(errno));
    if (len > 0) (void)!write(2, msg, (size_t)len);
    _exit(127);
  }
  int status;
  pid_t w;
  do w = waitpid(pid, &status, 0); while (w < 0 && errno == EINTR);
  if (w != pid) die(P, "waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status)) fprintf(stderr, "%s: %s killed by signal %d\n", P, argv[0], WTERMSIG(status));
    else fprintf(stderr, "%s: %s exited with status %d\n", P, argv[0], WEXITSTATUS(status));
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s N PROG [ARGS...]\n", argv[0]); return 2; }
  long n = pos_arg(P, argv[1], "N PROG [ARGS...]");
  one(argv + 2);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) one(argv + 2);
  double t1 = now_ns();
  printf("ms_per_run=%.3f\n", (t1 - t0) / 1e6 / (double)n);
  return 0;
}
