// Identity and error paths the Sentry must answer as Linux does: prints one
// "name=value" line each, so a test can compare against expectations.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void errno_of(const char *name, long r) {
  printf("%s=%ld errno=%s\n", name, r, r < 0 ? strerrorname_np(errno) : "0");
}

int main(void) {
  struct utsname u;
  printf("pid=%d\n", getpid());
  printf("ppid=%d\n", getppid());
  uname(&u);
  printf("sysname=%s\nnodename=%s\nmachine=%s\n", u.sysname, u.nodename, u.machine);
  // A wild pointer into unmapped memory: EFAULT, and the Sentry survives.
  errno_of("write_wild", syscall(SYS_write, 1, (void *)0x10, 5));
  errno_of("read_wild", syscall(SYS_read, 0, (void *)0xdead0000, 5));
  errno_of("uname_wild", syscall(SYS_uname, (void *)0x1000));
  errno_of("open_wild", syscall(SYS_openat, -100, (void *)0x2000, 0));
  // A number no kernel defines: ENOSYS.
  errno_of("unknown_1000", syscall(1000));
  errno_of("unknown_neg", syscall(-5));
  // Bad fds.
  errno_of("close_bad", syscall(SYS_close, 999));
  errno_of("read_bad", syscall(SYS_read, 77, NULL, 0));
  printf("still_alive=1\n");
  return 7;
}
