/*
 * getppid N — per-syscall cost micro-benchmark.
 *
 * Runs a warm-up of min(N, 10000) raw getppid(2) calls, then N timed calls
 * of syscall(SYS_getppid) between two clock_gettime(CLOCK_MONOTONIC) reads,
 * and prints "ns_per_call=<float>" (plus "iters=<N>" and "ppid=<pid>").
 *
 * getppid is used because it has no arguments, cannot be cached by libc and
 * does almost no work in any kernel, so the figure is dominated by the cost
 * of getting into and out of the kernel (or the sandbox's syscall
 * interception path).
 *
 * Built statically: cc -O2 -static -o getppid getppid.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    perror("clock_gettime");
    exit(2);
  }
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = 1000000;
  if (argc > 1) {
    char *end;
    n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) {
      fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
      return 2;
    }
  }

  volatile long sink = 0;
  long warm = n < 10000 ? n : 10000;
  for (long i = 0; i < warm; i++) sink += syscall(SYS_getppid);

  double t0 = now_ns();
  for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
  double t1 = now_ns();

  printf("iters=%ld\n", n);
  printf("ppid=%ld\n", (long)syscall(SYS_getppid));
  printf("ns_per_call=%.3f\n", (t1 - t0) / (double)n);
  (void)sink;
  return 0;
}
