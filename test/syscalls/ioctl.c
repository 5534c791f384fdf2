/*
 * ioctl on things that are not terminals: regular files, directories,
 * O_PATH fds and stdout (a socket in both runs). Terminal requests fail
 * with ENOTTY; the generic requests (FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC,
 * FIONREAD on a regular file) work on any fd.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
  int fd = open("data.bin", O_RDONLY);
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  int pfd = open("small.txt", O_PATH);
  struct termios tio;
  struct winsize ws;
  int v;

  /* Terminal requests. */
  ERR("tcgets_file", ioctl(fd, TCGETS, &tio), ENOTTY);
  ERR("tcgets_dir", ioctl(dfd, TCGETS, &tio), ENOTTY);
  ERR("tcgets_stdout", ioctl(1, TCGETS, &tio), ENOTTY);
  ERR("tiocgwinsz_file", ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
  ERR("tiocgwinsz_stdout", ioctl(1, TIOCGWINSZ, &ws), ENOTTY);
  ERR("tiocgpgrp_stdout", ioctl(1, TIOCGPGRP, &v), ENOTTY);
  ERR("tcsets_file", ioctl(fd, TCSETS, &tio), ENOTTY);
  ERR("isatty_stdout", isatty(1) ? 0 : -1, ENOTTY);
  ERR("unknown_request", ioctl(fd, 0x12345678, 0), ENOTTY);

  /* Generic requests. */
  EQ("fioclex", ioctl(fd, FIOCLEX), 0);
  EQ("getfd_after_fioclex", fcntl(fd, F_GETFD), FD_CLOEXEC);
  EQ("fionclex", ioctl(fd, FIONCLEX), 0);
  EQ("getfd_after_fionclex", fcntl(fd, F_GETFD), 0);
  v = 1;
  EQ("fionbio_on", ioctl(fd, FIONBIO, &v), 0);
  FACT("nonblock_set", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  v = 0;
  EQ("fionbio_off", ioctl(fd, FIONBIO, &v), 0);
  FACT("nonblock_cleared", (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
  ERR("fionbio_efault", ioctl(fd, FIONBIO, BAD_PTR), EFAULT);
  /* A regular file has no fasync: turning O_ASYNC on fails, asking for no change works. */
  v = 1;
  ERR("fioasync_on_file", ioctl(fd, FIOASYNC, &v), ENOTTY);
  EQ("async_not_set", (fcntl(fd, F_GETFL) & O_ASYNC) != 0, 0);
  v = 0;
  EQ("fioasync_off", ioctl(fd, FIOASYNC, &v), 0);
  ERR("fioasync_efault", ioctl(fd, FIOASYNC, BAD_PTR), EFAULT);

  /* FIONREAD on a regular file: the bytes left after the offset. */
  v = -1;
  EQ("fionread_file", ioctl(fd, FIONREAD, &v), 0);
  EQ("fionread_file_value", v, 10000);
  lseek(fd, 9000, SEEK_SET);
  EQ("fionread_file_after_seek", ioctl(fd, FIONREAD, &v), 0);
  EQ("fionread_file_value_after_seek", v, 1000);
  ERR("fionread_efault", ioctl(fd, FIONREAD, BAD_PTR), EFAULT);
  ERR("fionread_dir", ioctl(dfd, FIONREAD, &v), ENOTTY);

  /* File system requests on a regular file (ext4 answers; the values are the file's, not the host's). */
  v = -1;
  EQ("figetbsz", ioctl(fd, FIGETBSZ, &v), 0);
  SHOW("figetbsz_value", "%d", v);
  ERR("figetbsz_efault", ioctl(fd, FIGETBSZ, BAD_PTR), EFAULT);
  VAL("fs_ioc_getflags", ioctl(fd, FS_IOC_GETFLAGS, &v));

  /* Bad fds. */
  ERR("bad_fd", ioctl(12345, FIOCLEX), EBADF);
  ERR("negative_fd", ioctl(-1, TCGETS, &tio), EBADF);
  ERR("opath_fioclex", ioctl(pfd, FIOCLEX), EBADF);
  ERR("opath_tcgets", ioctl(pfd, TCGETS, &tio), EBADF);
  return compat_done();
}
