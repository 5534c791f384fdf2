/*
 * eventfd and eventfd2: the counter (writes add, a read takes all of it),
 * EFD_SEMAPHORE (a read takes one), EFD_NONBLOCK's EAGAIN on an empty or
 * full counter, the maximum 0xfffffffffffffffe, writes of 0xffffffffffffffff
 * (EINVAL), buffers shorter than 8 bytes (EINVAL), poll readiness, flags.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static uint64_t v;
static long rd(int fd) { v = 0; return syscall(SYS_read, fd, &v, 8); }
static long wr(int fd, uint64_t x) { return syscall(SYS_write, fd, &x, 8); }
static int revents_of(int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  if (syscall(SYS_poll, &p, 1, 0) < 0) return -1;
  return p.revents;
}

int main(void) {
  /* ---- eventfd (no flags) ---- */
  ABOUT("eventfd");
  int fd = syscall(SYS_eventfd, 5);
  FACT("eventfd_fd", fd >= 0);
  EQ("eventfd_flags_rdwr", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
  EQ("eventfd_no_cloexec", fcntl(fd, F_GETFD), 0);
  EQ("eventfd_read_initval", rd(fd), 8);
  EQ("eventfd_initval", v, 5);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  ERR("eventfd_read_empty_eagain", rd(fd), EAGAIN);
  close(fd);

  /* ---- eventfd2 ---- */
  ABOUT("eventfd2");
  ERR("eventfd2_bad_flags", syscall(SYS_eventfd2, 0, 1 << 5), EINVAL);
  ERR("eventfd2_bad_flags_append", syscall(SYS_eventfd2, 0, O_APPEND), EINVAL);
  fd = syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC);
  EQ("eventfd2_cloexec", fcntl(fd, F_GETFD), FD_CLOEXEC);
  EQ("eventfd2_nonblock", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
  ERR("read_zero_counter_eagain", rd(fd), EAGAIN);
  EQ("poll_zero_counter", revents_of(fd), POLLOUT);
  EQ("write_3", wr(fd, 3), 8);
  EQ("write_4", wr(fd, 4), 8);
  EQ("poll_nonzero_counter", revents_of(fd), POLLIN | POLLOUT);
  EQ("read_sum", rd(fd), 8);
  EQ("read_sum_value", v, 7);
  ERR("read_after_drain_eagain", rd(fd), EAGAIN);
  EQ("write_zero", wr(fd, 0), 8);
  ERR("write_zero_adds_nothing", rd(fd), EAGAIN);
  ERR("write_all_ones_einval", wr(fd, 0xffffffffffffffffULL), EINVAL);
  EQ("write_max", wr(fd, 0xfffffffffffffffeULL), 8);
  EQ("poll_full_counter", revents_of(fd), POLLIN);
  ERR("write_overflow_eagain", wr(fd, 1), EAGAIN);
  EQ("write_zero_when_full", wr(fd, 0), 8);
  EQ("read_max", rd(fd), 8);
  FACT("read_max_value", v == 0xfffffffffffffffeULL);
  uint32_t small = 1;
  char big[16];
  EQ("write_again", wr(fd, 9), 8);
  ERR("read_short_buffer", syscall(SYS_read, fd, &small, 4), EINVAL);
  ERR("write_short_buffer", syscall(SYS_write, fd, &small, 4), EINVAL);
  EQ("read_long_buffer", syscall(SYS_read, fd, big, sizeof big), 8);
  /* A write longer than 8 bytes is left out: Linux has answered both 8 and EINVAL over the years. */
  wr(fd, 9);
  ERR("read_efault", syscall(SYS_read, fd, BAD_PTR, 8), EFAULT);
  /* Linux takes the count before the copy-out fails: it is gone. */
  ERR("counter_consumed_despite_efault", rd(fd), EAGAIN);
  ERR("write_efault", syscall(SYS_write, fd, BAD_PTR, 8), EFAULT);
  EQ("lseek_noop", lseek(fd, 0, SEEK_SET), 0);
  close(fd);

  /* ---- EFD_SEMAPHORE ---- */
  ABOUT("eventfd2");
  fd = syscall(SYS_eventfd2, 3, EFD_SEMAPHORE | EFD_NONBLOCK);
  EQ("sem_read_1", rd(fd), 8);
  EQ("sem_read_1_value", v, 1);
  EQ("sem_read_2", rd(fd), 8);
  EQ("sem_read_3", rd(fd), 8);
  EQ("sem_read_3_value", v, 1);
  ERR("sem_empty_eagain", rd(fd), EAGAIN);
  wr(fd, 2);
  EQ("sem_after_write", rd(fd), 8);
  EQ("sem_after_write_value", v, 1);
  close(fd);

  /* A blocking read is woken by a write from a child. */
  fd = syscall(SYS_eventfd2, 0, 0);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(20000);
    wr(fd, 42);
    _exit(0);
  }
  EQ("blocking_read_woken", rd(fd), 8);
  EQ("blocking_read_value", v, 42);
  waitpid(pid, NULL, 0);
  /* /proc/self/fd/N of an eventfd: an anon_inode link that cannot be opened again (ENXIO), as for any anon inode. */
  ABOUT("openat");
  fd = syscall(SYS_eventfd2, 0, 0);
  char fdpath[64], link[64];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  ssize_t ln = readlink(fdpath, link, sizeof link - 1);
  if (ln >= 0) link[ln] = 0;
  ABOUT("readlink");
  FACT("proc_fd_link_name", ln > 0 && strcmp(link, "anon_inode:[eventfd]") == 0);
  ABOUT("openat");
  ERR("proc_fd_reopen_enxio", open(fdpath, O_RDWR), ENXIO);
  ERR("proc_fd_reopen_rdonly_enxio", open(fdpath, O_RDONLY), ENXIO);
  close(fd);

  return compat_done();
}
