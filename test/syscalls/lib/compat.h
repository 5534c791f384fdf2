/*
 * The syscall compatibility suite's little C harness.
 *
 * Every test program prints one "key=value" line per case on stdout. The
 * runner (compat.test.ts) runs the program natively and in the sandbox and
 * compares the two outputs line for line: Linux is the judge.
 *
 * The macros also check what Linux documents, so that a case that is wrong
 * natively shows up as a broken test instead of silently agreeing with a
 * broken sandbox: a failed expectation writes "COMPAT-EXPECT-FAIL ..." on
 * stderr, and the runner fails when the native run writes one.
 *
 *   ERR(key, expr, EXXX)  expr must fail (return -1) with errno EXXX.   key=-1 EXXX
 *   OK(key, expr)         expr must not return -1; the value is hidden.  key=ok
 *   EQ(key, expr, v)      expr must return v.                            key=v
 *   VAL(key, expr)        the result, whatever it is (Linux decides).    key=v | key=-1 EXXX
 *   FACT(key, cond)       cond must hold.                                key=1
 *   SHOW(key, fmt, ...)   a derived value, no expectation.               key=...
 *
 * Never print what legitimately differs between two runs or between the
 * host and the sandbox: pids, inode and device numbers, times, addresses,
 * host names. Print a fact derived from them instead (see README.md).
 *
 * Call the system call itself (syscall(SYS_x, ...)) where glibc's wrapper
 * would hide it: wrappers pick other syscalls (stat -> newfstatat), check
 * arguments themselves, or use the vDSO, which faults instead of EFAULT.
 */
#ifndef COMPAT_H
#define COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A page that is never mapped: below vm.mmap_min_addr. */
#define BAD_PTR ((void *)0x1000)
/* A kernel address: never accessible from user space. */
#define KERNEL_PTR ((void *)0xffffffff81000000UL)

static int compat_failed;

static const char *ename(int e) {
  static char buf[16];
  const char *n = strerrorname_np(e);
  if (n != NULL) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* "-1 EXXX" for a failed call, else the value. */
static const char *fmt_result(long r, int e, char *buf, size_t size) {
  if (r == -1) snprintf(buf, size, "-1 %s", ename(e));
  else snprintf(buf, size, "%ld", r);
  return buf;
}

static void compat_expect_fail(const char *key, const char *got, const char *want) {
  compat_failed++;
  fprintf(stderr, "COMPAT-EXPECT-FAIL %s: got %s, want %s\n", key, got, want);
}

static void compat_err(const char *key, long r, int e, int want) {
  char got[64], w[64];
  fmt_result(r, e, got, sizeof got);
  printf("%s=%s\n", key, got);
  snprintf(w, sizeof w, "-1 %s", ename(want));
  if (strcmp(got, w) != 0) compat_expect_fail(key, got, w);
}

static void compat_ok(const char *key, long r, int e) {
  char got[64];
  if (r == -1) {
    fmt_result(r, e, got, sizeof got);
    printf("%s=%s\n", key, got);
    compat_expect_fail(key, got, "success");
  } else {
    printf("%s=ok\n", key);
  }
}

static void compat_eq(const char *key, long r, int e, long want) {
  char got[64], w[64];
  fmt_result(r, e, got, sizeof got);
  printf("%s=%s\n", key, got);
  snprintf(w, sizeof w, "%ld", want);
  if (strcmp(got, w) != 0) compat_expect_fail(key, got, w);
}

static void compat_val(const char *key, long r, int e) {
  char got[64];
  printf("%s=%s\n", key, fmt_result(r, e, got, sizeof got));
}

static void compat_fact(const char *key, int cond) {
  printf("%s=%d\n", key, cond ? 1 : 0);
  if (!cond) compat_expect_fail(key, "0", "1");
}

#define COMPAT_CALL(fn, key, expr, ...) \
  do { errno = 0; long _r = (long)(expr); int _e = errno; fn(key, _r, _e, ##__VA_ARGS__); } while (0)

#define ERR(key, expr, want) COMPAT_CALL(compat_err, key, expr, want)
#define OK(key, expr) COMPAT_CALL(compat_ok, key, expr)
#define EQ(key, expr, want) COMPAT_CALL(compat_eq, key, expr, (long)(want))
#define VAL(key, expr) COMPAT_CALL(compat_val, key, expr)
#define FACT(key, cond) compat_fact(key, !!(cond))
#define SHOW(key, ...) do { printf("%s=", key); printf(__VA_ARGS__); printf("\n"); } while (0)

/*
 * Line-buffered stdout: a crash loses at most the line being written, and
 * the output shows how far the program got.
 */
__attribute__((constructor)) static void compat_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

/* Ends main: "done=1" proves the program ran to the end. */
static int compat_done(void) {
  printf("done=1\n");
  fflush(stdout);
  if (compat_failed) fprintf(stderr, "COMPAT-EXPECT-FAIL total %d\n", compat_failed);
  return 0;
}

/* A pointer result (mmap, mremap) as ERR/OK/VAL take it: 0 on success,
 * never the address; -1 (errno kept) for MAP_FAILED. */
static long res(void *p) { return p == (void *)-1 ? -1 : 0; }

#endif
