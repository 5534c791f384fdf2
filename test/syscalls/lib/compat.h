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
 *   ABOUT("name")         the system call the following FACT and SHOW lines
 *                         are about (see "Which system call a case tests").
 *
 * Never print what legitimately differs between two runs or between the
 * host and the sandbox: pids, inode and device numbers, times, addresses,
 * host names. Print a fact derived from them instead (see README.md).
 *
 * Which system call a case tests (for docs/compatibility.md): the runner
 * reads each case's expression, as the macros stringify it (#expr), from
 * the native run (COMPAT_CASES=1 makes every macro write "COMPAT-CASE key
 * macro about expr" on stderr) and names the first system call in it:
 * syscall(SYS_x, ...) is x, a glibc wrapper is the call it makes (stat is
 * newfstatat), a helper defined in the program is the call in its body.
 * FACT and SHOW state a result, not a call: they count for the ABOUT("x")
 * in force, else for the call in their expression. ERR, OK, EQ and VAL
 * count for their call, else for ABOUT. A case naming neither is listed as
 * unattributed, never guessed (test/syscalls/attribution.ts).
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
/* The system call the FACT and SHOW lines that follow are about; NULL for none. */
static const char *compat_about;
/* Whether to describe each case on stderr for the runner (COMPAT_CASES=1, native runs only). */
static int compat_trace_cases;

static void compat_case(const char *key, const char *macro, const char *expr) {
  if (compat_trace_cases)
    fprintf(stderr, "COMPAT-CASE\t%s\t%s\t%s\t%s\n", key, macro, compat_about ? compat_about : "-", expr);
}

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

/* The expression is stringified here, not in COMPAT_CALL, where it would arrive macro-expanded (SYS_read as 0). */
#define COMPAT_CALL(fn, macro, key, text, expr, ...) \
  do { \
    errno = 0; long _r = (long)(expr); int _e = errno; \
    compat_case(key, macro, text); fn(key, _r, _e, ##__VA_ARGS__); \
  } while (0)

#define ERR(key, expr, want) COMPAT_CALL(compat_err, "ERR", key, #expr, expr, want)
#define OK(key, expr) COMPAT_CALL(compat_ok, "OK", key, #expr, expr)
#define EQ(key, expr, want) COMPAT_CALL(compat_eq, "EQ", key, #expr, expr, (long)(want))
#define VAL(key, expr) COMPAT_CALL(compat_val, "VAL", key, #expr, expr)
#define FACT(key, cond) do { int _c = !!(cond); compat_case(key, "FACT", #cond); compat_fact(key, _c); } while (0)
#define SHOW(key, ...) do { compat_case(key, "SHOW", #__VA_ARGS__); printf("%s=", key); printf(__VA_ARGS__); printf("\n"); } while (0)
#define ABOUT(name) (compat_about = (name))

/*
 * Line-buffered stdout: a crash loses at most the line being written, and
 * the output shows how far the program got.
 */
__attribute__((constructor)) static void compat_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *t = getenv("COMPAT_CASES");
  compat_trace_cases = t != NULL && strcmp(t, "1") == 0;
}

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
