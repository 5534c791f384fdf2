/*
 * syscalls N DIR — per-system-call latency.
 *
 * Times N calls each of: raw getppid(2) (no arguments, not cached by libc:
 * the cost of entering and leaving the kernel, or a sandbox's interception
 * path), stat(2) of a file in DIR, and open+read(64 bytes)+close of that
 * file. DIR is a tmpfs in every environment, so no file server is involved.
 * Each loop has a warm-up of min(N, 1000) calls. Prints getppid_ns=,
 * stat_ns= and open_read_close_ns= (nanoseconds per call or per triple).
 *
 * Built statically: cc -O2 -static -o syscalls syscalls.c
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static const char *P = "syscalls";

static void one_orc(const char *path) {
  char buf[64];
  int fd = open(path, O_RDONLY);
  if (fd < 0) die(P, "open %s", path);
  if (read(fd, buf, sizeof buf) != sizeof buf) die(P, "read %s", path);
  if (close(fd) != 0) die(P, "close");
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s N DIR\n", argv[0]); return 2; }
  long n = pos_arg(P, argv[1], "N DIR");
  long warm = n < 1000 ? n : 1000;
  char path[4096];
  snprintf(path, sizeof path, "%s/syscalls-%d.dat", argv[2], (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(P, "create %s", path);
  char data[256];
  memset(data, 'x', sizeof data);
  if (write(fd, data, sizeof data) != sizeof data) die(P, "write %s", path);
  if (close(fd) != 0) die(P, "close");

  volatile long sink = 0;
  for (long i = 0; i < warm; i++) sink += syscall(SYS_getppid);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
  double t1 = now_ns();
  printf("getppid_ns=%.3f\n", (t1 - t0) / (double)n);

  struct stat st;
  for (long i = 0; i < warm; i++) if (stat(path, &st) != 0) die(P, "stat %s", path);
  t0 = now_ns();
  for (long i = 0; i < n; i++) if (stat(path, &st) != 0) die(P, "stat %s", path);
  t1 = now_ns();
  if (st.st_size != sizeof data) { fprintf(stderr, "%s: stat size %ld, want %zu\n", P, (long)st.st_size, sizeof data); return 1; }
  printf("stat_ns=%.3f\n", (t1 - t0) / (double)n);

  for (long i = 0; i < warm; i++) one_orc(path);
  t0 = now_ns();
  for (long i = 0; i < n; i++) one_orc(path);
  t1 = now_ns();
  printf("open_read_close_ns=%.3f\n", (t1 - t0) / (double)n);

  if (unlink(path) != 0) die(P, "unlink %s", path);
  (void)sink;
  return 0;
}
