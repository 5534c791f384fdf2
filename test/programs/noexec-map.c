/*
 * Maps a file it writes in argv[1] (a directory) executable, directly and
 * by mprotect, and prints the errno of each (0: allowed). On a noexec
 * mount Linux answers EPERM (1) for mmap and EACCES (13) for mprotect.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof path, "%s/mapped", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0755);
  if (fd < 0 || write(fd, "x", 1) != 1) { perror(path); return 1; }
  void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  int mmap_errno = p == MAP_FAILED ? errno : 0;
  p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  int mprotect_errno = mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0 ? errno : 0;
  printf("%s mmap_exec=%d mprotect_exec=%d\n", argv[1], mmap_errno, mprotect_errno);
  unlink(path);
  return 0;
}
