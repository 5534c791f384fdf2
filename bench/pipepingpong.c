/*
 * pipepingpong N — pipe round-trip latency micro-benchmark.
 *
 * The parent makes two pipes and forks; it writes one byte into the first
 * pipe, the child reads it and writes it back into the second, and the parent
 * reads it: one round trip = 2 writes + 2 reads + 2 wake-ups of a blocked
 * reader (two context switches, or on 2+ CPUs two cross-CPU wake-ups).
 * The byte's value is checked on both sides.
 *
 * Runs min(N, 1000) warm-up round trips, then N timed ones between two
 * clock_gettime(CLOCK_MONOTONIC) reads, closes the pipe so the child sees
 * EOF and exits, reaps it, and prints "iters=<N>" and
 * "us_per_roundtrip=<float>". Exits 1 with a message on stderr if pipe, fork,
 * read, write or waitpid fails or the child does not exit 0.
 *
 * Built statically: cc -O2 -static -o pingpong pipepingpong.c
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

static double now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    perror("clock_gettime");
    exit(2);
  }
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* 1 on success, 0 on EOF, -1 on error (errno set). */
static int rd(int fd, unsigned char *c) {
  for (;;) {
    ssize_t r = read(fd, c, 1);
    if (r == 1) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

static int wr(int fd, unsigned char c) {
  for (;;) {
    ssize_t r = write(fd, &c, 1);
    if (r == 1) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

static void die(const char *what) {
  fprintf(stderr, "pipepingpong: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void rounds(int wfd, int rfd, long n, unsigned char *seq) {
  for (long i = 0; i < n; i++) {
    unsigned char out = *seq, in;
    if (wr(wfd, out) < 0) die("parent write");
    int r = rd(rfd, &in);
    if (r < 0) die("parent read");
    if (r == 0) { fprintf(stderr, "pipepingpong: parent read: unexpected EOF\n"); exit(1); }
    if (in != (unsigned char)(out + 1)) {
      fprintf(stderr, "pipepingpong: sent %u, got back %u\n", out, in);
      exit(1);
    }
    *seq = (unsigned char)(in + 1);
  }
}

int main(int argc, char **argv) {
  long n = 100000;
  if (argc > 1) {
    char *end;
    n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) {
      fprintf(stderr, "usage: %s [N>0]\n", argv[0]);
      return 2;
    }
  }

  int p2c[2], c2p[2];
  if (pipe(p2c) != 0 || pipe(c2p) != 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(p2c[1]);
    close(c2p[0]);
    unsigned char c;
    for (;;) {
      int r = rd(p2c[0], &c);
      if (r == 0) _exit(0);
      if (r < 0) { perror("pipepingpong: child read"); _exit(1); }
      if (wr(c2p[1], (unsigned char)(c + 1)) < 0) { perror("pipepingpong: child write"); _exit(1); }
    }
  }
  close(p2c[0]);
  close(c2p[1]);

  unsigned char seq = 0;
  rounds(p2c[1], c2p[0], n < 1000 ? n : 1000, &seq);
  double t0 = now_ns();
  rounds(p2c[1], c2p[0], n, &seq);
  double t1 = now_ns();

  close(p2c[1]);
  int status;
  pid_t w;
  do w = waitpid(pid, &status, 0); while (w < 0 && errno == EINTR);
  if (w != pid) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "pipepingpong: child status 0x%x\n", status);
    return 1;
  }

  printf("iters=%ld\n", n);
  printf("us_per_roundtrip=%.3f\n", (t1 - t0) / (double)n / 1e3);
  return 0;
}
