/*
 * read, write, pread64, pwrite64, readv, writev, preadv, pwritev, lseek:
 * offsets, short reads, EOF, zero lengths, bad fds, bad buffers (whole and
 * partial), iovec limits. The fixture is read-only, so writes go to stdout
 * (the same kind of stream in both runs: a Unix socket from Node's spawn),
 * whose bytes the runner compares like everything else.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>

/* data.bin: 10000 bytes, byte i is (i * 7 + 3) & 0xff. */
#define DATA_SIZE 10000
static int pattern_ok(const unsigned char *p, long off, long n) {
  for (long i = 0; i < n; i++)
    if (p[i] != (unsigned char)(((off + i) * 7 + 3) & 0xff)) return 0;
  return 1;
}

static long cur(int fd) { return lseek(fd, 0, SEEK_CUR); }

int main(void) {
  static unsigned char buf[16384];
  int fd = open("data.bin", O_RDONLY);
  FACT("open_data", fd >= 0);

  /* Sequential reads move the offset; pread does not. */
  EQ("read_4", syscall(SYS_read, fd, buf, 4), 4);
  FACT("read_4_bytes", pattern_ok(buf, 0, 4));
  EQ("offset_after_read", cur(fd), 4);
  EQ("pread_10_at_100", syscall(SYS_pread64, fd, buf, 10, 100), 10);
  FACT("pread_bytes", pattern_ok(buf, 100, 10));
  EQ("offset_after_pread", cur(fd), 4);
  EQ("read_again", syscall(SYS_read, fd, buf, 6), 6);
  FACT("read_again_bytes", pattern_ok(buf, 4, 6));
  EQ("read_count_0", syscall(SYS_read, fd, buf, 0), 0);
  EQ("read_count_0_bad_buf", syscall(SYS_read, fd, BAD_PTR, 0), 0);
  EQ("offset_after_count_0", cur(fd), 10);

  /* A large read is one call: the Sentry must not stop at a page or a 9P message. */
  EQ("lseek_set_0", lseek(fd, 0, SEEK_SET), 0);
  EQ("read_whole", syscall(SYS_read, fd, buf, sizeof buf), DATA_SIZE);
  FACT("read_whole_bytes", pattern_ok(buf, 0, DATA_SIZE));

  /* End of file. */
  EQ("lseek_set_9990", lseek(fd, 9990, SEEK_SET), 9990);
  EQ("read_short_at_eof", syscall(SYS_read, fd, buf, 100), 10);
  EQ("read_at_eof", syscall(SYS_read, fd, buf, 100), 0);
  EQ("lseek_end", lseek(fd, 0, SEEK_END), DATA_SIZE);
  EQ("lseek_end_minus_10", lseek(fd, -10, SEEK_END), 9990);
  EQ("lseek_past_eof", lseek(fd, 20000, SEEK_SET), 20000);
  EQ("read_past_eof", syscall(SYS_read, fd, buf, 10), 0);
  EQ("pread_past_eof", syscall(SYS_pread64, fd, buf, 10, 50000), 0);
  EQ("pread_straddling_eof", syscall(SYS_pread64, fd, buf, 100, 9995), 5);

  /* lseek errors leave the offset alone. */
  ERR("lseek_negative", lseek(fd, -1, SEEK_SET), EINVAL);
  ERR("lseek_cur_below_0", lseek(fd, -30000, SEEK_CUR), EINVAL);
  ERR("lseek_bad_whence", lseek(fd, 0, 5), EINVAL);
  EQ("offset_after_lseek_errors", cur(fd), 20000);
  EQ("lseek_data_0", lseek(fd, 0, SEEK_DATA), 0);
  EQ("lseek_hole_0", lseek(fd, 0, SEEK_HOLE), DATA_SIZE);
  ERR("lseek_data_at_eof", lseek(fd, DATA_SIZE, SEEK_DATA), ENXIO);
  ERR("lseek_bad_fd", lseek(-1, 0, SEEK_SET), EBADF);
  ERR("lseek_closed_fd", lseek(999, 0, SEEK_SET), EBADF);
  ERR("lseek_stdout_stream", lseek(1, 0, SEEK_CUR), ESPIPE);

  /* Bad fds and fds of the wrong kind. */
  ERR("read_fd_minus_1", syscall(SYS_read, -1, buf, 1), EBADF);
  ERR("read_fd_unused", syscall(SYS_read, 999, buf, 1), EBADF);
  ERR("write_rdonly_fd", syscall(SYS_write, fd, "x", 1), EBADF);
  ERR("pwrite_rdonly_fd", syscall(SYS_pwrite64, fd, "x", 1, 0), EBADF);
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  ERR("read_dir", syscall(SYS_read, dfd, buf, 10), EISDIR);
  ERR("pread_dir", syscall(SYS_pread64, dfd, buf, 10, 0), EISDIR);
  ERR("write_dir", syscall(SYS_write, dfd, "x", 1), EBADF);
  /* access_ok comes before the directory check. */
  ERR("read_dir_kernel_ptr", syscall(SYS_read, dfd, KERNEL_PTR, 10), EFAULT);
  EQ("readv_dir_count_0", syscall(SYS_readv, dfd, buf, 0), 0);
  int pfd = open("data.bin", O_PATH);
  ERR("read_opath", syscall(SYS_read, pfd, buf, 1), EBADF);
  ERR("write_opath", syscall(SYS_write, pfd, "x", 1), EBADF);
  ERR("pread_opath", syscall(SYS_pread64, pfd, buf, 1, 0), EBADF);
  /* Linux checks the offset before it looks the fd up. */
  ERR("pread_opath_negative_offset", syscall(SYS_pread64, pfd, buf, 1, (long)-1), EINVAL);
  ERR("pread_unused_fd_negative_offset", syscall(SYS_pread64, 999, buf, 1, (long)-1), EINVAL);
  ERR("preadv_unused_fd_negative_offset", syscall(SYS_preadv, 999, buf, 1, (long)-1, 0), EINVAL);
  ERR("pread_negative_offset", syscall(SYS_pread64, fd, buf, 1, (long)-1), EINVAL);
  ERR("pread_stdout_stream", syscall(SYS_pread64, 1, buf, 1, 0), ESPIPE);
  ERR("pwrite_stdout_stream", syscall(SYS_pwrite64, 1, "x", 1, 0), ESPIPE);
  int cfd = open("small.txt", O_RDONLY);
  close(cfd);
  ERR("read_closed_fd", syscall(SYS_read, cfd, buf, 1), EBADF);

  /* Bad buffers: EFAULT, and the offset does not move. */
  lseek(fd, 0, SEEK_SET);
  ERR("read_efault", syscall(SYS_read, fd, BAD_PTR, 10), EFAULT);
  ERR("read_kernel_ptr", syscall(SYS_read, fd, KERNEL_PTR, 10), EFAULT);
  EQ("offset_after_efault", cur(fd), 0);
  ERR("pread_efault", syscall(SYS_pread64, fd, BAD_PTR, 10, 0), EFAULT);
  /* Nothing to copy, nothing to fault on: end of file answers 0 even into a bad buffer. */
  EQ("pread_eof_bad_buf", syscall(SYS_pread64, fd, BAD_PTR, 10, DATA_SIZE), 0);
  EQ("read_empty_stdin_bad_buf", syscall(SYS_read, 0, BAD_PTR, 10), 0);
  EQ("lseek_to_eof", lseek(fd, 0, SEEK_END), DATA_SIZE);
  EQ("read_eof_bad_buf", syscall(SYS_read, fd, BAD_PTR, 10), 0);
  lseek(fd, 0, SEEK_SET);
  ERR("read_huge_count", syscall(SYS_read, fd, buf, (size_t)-1), EFAULT);
  EQ("offset_after_huge_count", cur(fd), 0);

  /* A buffer whose second page is not writable: a short read, and the
   * offset moves by what was copied. */
  unsigned char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OK("mprotect_guard", mprotect(two + 4096, 4096, PROT_NONE));
  EQ("read_partial_fault", syscall(SYS_read, fd, two + 4096 - 100, 200), 100);
  FACT("read_partial_bytes", pattern_ok(two + 4096 - 100, 0, 100));
  EQ("offset_after_partial_fault", cur(fd), 100);
  EQ("pread_partial_fault", syscall(SYS_pread64, fd, two + 4096 - 50, 200, 1000), 50);
  FACT("pread_partial_bytes", pattern_ok(two + 4096 - 50, 1000, 50));

  /* readv / preadv. */
  struct iovec iov[3] = {{buf, 3}, {NULL, 0}, {buf + 100, 5}};
  lseek(fd, 0, SEEK_SET);
  EQ("readv_3", readv(fd, iov, 3), 8);
  FACT("readv_bytes", pattern_ok(buf, 0, 3) && pattern_ok(buf + 100, 3, 5));
  EQ("offset_after_readv", cur(fd), 8);
  EQ("readv_count_0", syscall(SYS_readv, fd, iov, 0), 0);
  EQ("readv_count_0_bad_iov", syscall(SYS_readv, fd, BAD_PTR, 0), 0);
  ERR("readv_count_negative", syscall(SYS_readv, fd, iov, (long)-1), EINVAL);
  ERR("readv_count_1025", syscall(SYS_readv, fd, iov, 1025), EINVAL);
  ERR("readv_bad_iov_ptr", syscall(SYS_readv, fd, BAD_PTR, 1), EFAULT);
  struct iovec neg[1] = {{buf, (size_t)-1}};
  ERR("readv_negative_len", syscall(SYS_readv, fd, neg, 1), EINVAL);
  static struct iovec many[1024];
  for (int i = 0; i < 1024; i++) { many[i].iov_base = buf + i; many[i].iov_len = 1; }
  lseek(fd, 0, SEEK_SET);
  EQ("readv_count_1024", syscall(SYS_readv, fd, many, 1024), 1024);
  FACT("readv_1024_bytes", pattern_ok(buf, 0, 1024));
  /* Linux truncates a total above MAX_RW_COUNT instead of failing. */
  struct iovec big[2] = {{buf, 4096}, {buf + 4096, 0x7ffff000}};
  lseek(fd, 9990, SEEK_SET);
  EQ("readv_total_above_max_rw", syscall(SYS_readv, fd, big, 2), 10);
  /* The first iovec is filled; the bad second one ends the transfer. */
  struct iovec half[2] = {{buf, 5}, {BAD_PTR, 5}};
  lseek(fd, 0, SEEK_SET);
  EQ("readv_second_iov_bad", syscall(SYS_readv, fd, half, 2), 5);
  EQ("offset_after_second_iov_bad", cur(fd), 5);
  /* An iovec outside user space fails the whole call before any byte moves. */
  struct iovec kern[2] = {{buf, 5}, {KERNEL_PTR, 5}};
  EQ("lseek_set_0_again", lseek(fd, 0, SEEK_SET), 0);
  ERR("readv_kernel_iov", syscall(SYS_readv, fd, kern, 2), EFAULT);
  EQ("offset_after_kernel_iov", cur(fd), 0);
  lseek(fd, 5, SEEK_SET);
  struct iovec one[2] = {{buf, 4}, {buf + 10, 4}};
  EQ("preadv_at_200", syscall(SYS_preadv, fd, one, 2, 200, 0), 8);
  FACT("preadv_bytes", pattern_ok(buf, 200, 4) && pattern_ok(buf + 10, 204, 4));
  EQ("offset_after_preadv", cur(fd), 5);
  ERR("preadv_negative_offset", syscall(SYS_preadv, fd, one, 2, (long)-1, 0), EINVAL);
  VAL("preadv2_at_200", syscall(SYS_preadv2, fd, one, 2, 200, 0, 0));
  VAL("preadv2_cur_offset", syscall(SYS_preadv2, fd, one, 2, (long)-1, (long)-1, 0));

  /* Writes to stdout, a stream in both runs. */
  fflush(stdout);
  EQ("write_stdout", syscall(SYS_write, 1, "write_payload=abc\n", 18), 18);
  EQ("write_count_0", syscall(SYS_write, 1, "x", 0), 0);
  EQ("write_count_0_bad_buf", syscall(SYS_write, 1, BAD_PTR, 0), 0);
  ERR("write_efault", syscall(SYS_write, 1, BAD_PTR, 5), EFAULT);
  ERR("write_kernel_ptr", syscall(SYS_write, 1, KERNEL_PTR, 5), EFAULT);
  struct iovec wv[3] = {{"writev_payload=", 15}, {NULL, 0}, {"xyz\n", 4}};
  EQ("writev_stdout", syscall(SYS_writev, 1, wv, 3), 19);
  ERR("writev_count_1025", syscall(SYS_writev, 1, wv, 1025), EINVAL);
  ERR("pwritev_stdout_stream", syscall(SYS_pwritev, 1, wv, 3, 0, 0), ESPIPE);
  ERR("write_fd_unused", syscall(SYS_write, 999, "x", 1), EBADF);
  /* A stream write from a buffer whose second page is unreadable fails
   * whole: nothing of the faulting chunk reaches the stream. */
  memcpy(two + 4096 - 5, "wp=1\n", 5);
  ERR("write_stream_partial_fault", syscall(SYS_write, 1, two + 4096 - 5, 100), EFAULT);

  close(fd);
  close(dfd);
  close(pfd);
  return compat_done();
}
