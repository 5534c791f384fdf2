/*
 * fd-donation DIR: file I/O on a Gofer mount in rounds, for
 * test/integration/fd-donation.test.ts. Each round opens, writes, reads,
 * fstats and closes a file in DIR 200 times (regular files get a host fd
 * donated by the Gofer), creates, reads and removes 100 more files (more
 * than the Sentry keeps idle fds for), then prints "round N" and waits for a line on
 * stdin, so the test can count the Sentry's host fds between rounds. Also
 * checks that an open file gives no way to any other name (openat on it:
 * ENOTDIR) and that appends and sizes are right. Prints "ok" at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("FAIL %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  char path[4096], line[64], buf[64];
  snprintf(path, sizeof path, "%s/donated.dat", argv[1]);
  int held = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644); /* one file open throughout */
  if (held < 0) return fail("create");
  for (int round = 1; round <= 3; round++) {
    for (int i = 0; i < 200; i++) {
      int fd = open(path, O_WRONLY | O_APPEND);
      if (fd < 0) return fail("open append");
      if (write(fd, "0123456789", 10) != 10) return fail("append");
      close(fd);
      fd = open(path, O_RDONLY);
      if (fd < 0) return fail("open");
      struct stat st;
      if (fstat(fd, &st) != 0) return fail("fstat");
      long want = ((long)(round - 1) * 200 + i + 1) * 10;
      if (st.st_size != want) { printf("FAIL size %ld want %ld\n", (long)st.st_size, want); return 1; }
      if (pread(fd, buf, 10, st.st_size - 10) != 10 || memcmp(buf, "0123456789", 10) != 0) return fail("pread");
      close(fd);
    }
    /* 100 files of their own, opened twice each, then removed: their donated fds must go too. */
    for (int i = 0; i < 100; i++) {
      char name[4200];
      snprintf(name, sizeof name, "%s/many-%d", argv[1], i);
      int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0) return fail("many: create");
      fd = open(name, O_RDONLY);
      if (fd < 0 || read(fd, buf, sizeof buf) != 1 || close(fd) != 0) return fail("many: read");
    }
    for (int i = 0; i < 100; i++) {
      char name[4200];
      snprintf(name, sizeof name, "%s/many-%d", argv[1], i);
      if (unlink(name) != 0) return fail("many: unlink");
    }
    /* The file is not a directory: nothing is reachable from it by name. */
    errno = 0;
    if (openat(held, "..", O_RDONLY) >= 0 || errno != ENOTDIR) return fail("openat .. on a file");
    if (openat(held, "x", O_RDONLY | O_CREAT, 0600) >= 0 || errno != ENOTDIR) return fail("openat x on a file");
    printf("round %d\n", round);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) return fail("stdin");
  }
  struct stat st;
  if (fstat(held, &st) != 0 || st.st_size != 6000) return fail("final size");
  close(held);
  if (unlink(path) != 0) return fail("unlink");
  printf("ok\n");
  return 0;
}
