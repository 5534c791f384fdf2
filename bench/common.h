/*
 * Shared by the benchmark programs: a monotonic clock, argument parsing and
 * a fatal-error helper. Every program prints `key=value` lines on stdout and
 * exits 0, or exits 1 with the failing call and errno on stderr, so a
 * sandbox that lacks something gives an error, never a figure.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    perror("clock_gettime");
    exit(2);
  }
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Prints "<prog>: <what>: <strerror(errno)>" and exits 1. */
static void die(const char *prog, const char *fmt, ...) {
  int e = errno;
  va_list ap;
  fprintf(stderr, "%s: ", prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, ": %s\n", strerror(e));
  exit(1);
}

static long pos_arg(const char *prog, const char *s, const char *usage) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*end != '\0' || n <= 0) {
    fprintf(stderr, "usage: %s %s\n", prog, usage);
    exit(2);
  }
  return n;
}

#endif
