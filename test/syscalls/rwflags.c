/*
 * preadv2/pwritev2 and their RWF_* flags (offset -1 is the file's own
 * position), and the hints: readahead, fadvise64, sync_file_range.
 * compat: writable-dir
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/uio.h>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif

static off_t cur(int fd) { return lseek(fd, 0, SEEK_CUR); }

static long pv2(int fd, const struct iovec *iov, int n, long off, int flags, int write) {
  return syscall(write ? SYS_pwritev2 : SYS_preadv2, fd, iov, n, off, 0L, flags);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  char path[4096], buf[64];
  snprintf(path, sizeof path, "%s/f", argv[2]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  OK("open", fd);
  struct iovec w[2] = {{"hello ", 6}, {"world\n", 6}};
  EQ("pwritev2_cur", pv2(fd, w, 2, -1, 0, 1), 12);
  EQ("offset_after_pwritev2_cur", cur(fd), 12);
  EQ("pwritev2_at_0", pv2(fd, w, 1, 0, 0, 1), 6);
  EQ("offset_unchanged", cur(fd), 12);
  EQ("pwritev2_append", pv2(fd, w + 1, 1, 0, RWF_APPEND, 1), 6);
  EQ("offset_after_append_at", cur(fd), 12);
  EQ("pwritev2_append_cur", pv2(fd, w, 1, -1, RWF_APPEND, 1), 6);
  EQ("offset_after_append_cur", cur(fd), 24);
  EQ("pwritev2_dsync", pv2(fd, w, 1, 100, RWF_DSYNC, 1), 6);
  EQ("pwritev2_sync", pv2(fd, w, 1, 200, RWF_SYNC, 1), 6);
  EQ("pwritev2_hipri", pv2(fd, w, 1, 300, RWF_HIPRI, 1), 6);
  EQ("ftruncate", ftruncate(fd, 24), 0);
  ERR("pwritev2_append_noappend", pv2(fd, w, 1, 0, RWF_APPEND | RWF_NOAPPEND, 1), EINVAL);
  ERR("pwritev2_unknown_flag", pv2(fd, w, 1, 0, 0x40000000, 1), EOPNOTSUPP);
  EQ("pwritev2_unknown_flag_empty", pv2(fd, w, 0, 0, 0x40000000, 1), 0);
  ERR("pwritev2_negative", pv2(fd, w, 1, -2, 0, 1), EINVAL);
  ERR("pwritev2_bad_fd", pv2(-1, w, 1, 0, 0, 1), EBADF);

  struct iovec r[2] = {{buf, 6}, {buf + 6, 18}};
  memset(buf, 0, sizeof buf);
  EQ("preadv2_at_0", pv2(fd, r, 2, 0, 0, 0), 24);
  for (int i = 0; i < 24; i++) if (buf[i] == '\n') buf[i] = '|';
  SHOW("contents", "%.24s", buf);
  EQ("lseek_6", lseek(fd, 6, SEEK_SET), 6);
  struct iovec r1 = {buf, 5};
  EQ("preadv2_cur", pv2(fd, &r1, 1, -1, 0, 0), 5);
  SHOW("preadv2_cur_bytes", "%.5s", buf);
  EQ("offset_after_preadv2_cur", cur(fd), 11);
  EQ("preadv2_hipri", pv2(fd, &r1, 1, 0, RWF_HIPRI, 0), 5);
  ERR("preadv2_unknown_flag", pv2(fd, &r1, 1, 0, 0x40000000, 0), EOPNOTSUPP);
  ERR("preadv2_negative", pv2(fd, &r1, 1, -5, 0, 0), EINVAL);
  int wo = open(path, O_WRONLY);
  ERR("preadv2_write_only", pv2(wo, &r1, 1, 0, 0, 0), EBADF);

  /* O_APPEND files: RWF_NOAPPEND writes at the offset given. */
  int ap = open(path, O_WRONLY | O_APPEND);
  EQ("append_file_pwritev2", pv2(ap, w, 1, 0, 0, 1), 6);
  EQ("size_after_append", lseek(fd, 0, SEEK_END), 30);
  EQ("noappend_pwritev2", pv2(ap, w + 1, 1, 0, RWF_NOAPPEND, 1), 6);
  EQ("size_after_noappend", lseek(fd, 0, SEEK_END), 30);
  memset(buf, 0, sizeof buf);
  EQ("pread_start", pread(fd, buf, 6, 0), 6);
  SHOW("start_bytes", "%.5s", buf);
  EQ("still_appends", fcntl(ap, F_GETFL) & O_APPEND, O_APPEND);

  /* Pipes: RWF_NOWAIT reads say EAGAIN instead of waiting. */
  int p[2];
  OK("pipe", pipe(p));
  ERR("pipe_nowait_empty", pv2(p[0], &r1, 1, -1, RWF_NOWAIT, 0), EAGAIN);
  EQ("pipe_write", write(p[1], "abc", 3), 3);
  EQ("pipe_nowait_data", pv2(p[0], &r1, 1, -1, RWF_NOWAIT, 0), 3);
  ERR("pipe_at_offset", pv2(p[0], &r1, 1, 0, 0, 0), ESPIPE);

  /* readahead: a readable regular file. */
  EQ("readahead", syscall(SYS_readahead, fd, 0L, 4096L), 0);
  EQ("readahead_past_end", syscall(SYS_readahead, fd, 1L << 30, 4096L), 0);
  ERR("readahead_write_only", syscall(SYS_readahead, wo, 0L, 10L), EBADF);
  ERR("readahead_pipe", syscall(SYS_readahead, p[0], 0L, 10L), EINVAL);
  int dir = open(argv[2], O_RDONLY | O_DIRECTORY);
  ERR("readahead_dir", syscall(SYS_readahead, dir, 0L, 10L), EINVAL);
  ERR("readahead_bad_fd", syscall(SYS_readahead, -1, 0L, 10L), EBADF);

  /* fadvise64. */
  for (int advice = 0; advice <= 5; advice++) {
    char key[32];
    snprintf(key, sizeof key, "fadvise_%d", advice);
    EQ(key, syscall(SYS_fadvise64, fd, 0L, 100L, advice), 0);
  }
  ERR("fadvise_bad_advice", syscall(SYS_fadvise64, fd, 0L, 100L, 6), EINVAL);
  ERR("fadvise_negative_len", syscall(SYS_fadvise64, fd, 0L, -1L, 0), EINVAL);
  ERR("fadvise_pipe", syscall(SYS_fadvise64, p[0], 0L, 100L, 0), ESPIPE);
  ERR("fadvise_bad_fd", syscall(SYS_fadvise64, -1, 0L, 100L, 0), EBADF);
  EQ("fadvise_write_only", syscall(SYS_fadvise64, wo, 0L, 100L, 0), 0);
  EQ("fadvise_dir", syscall(SYS_fadvise64, dir, 0L, 100L, 0), 0);

  /* sync_file_range. */
  EQ("sfr_none", syscall(SYS_sync_file_range, fd, 0L, 0L, 0), 0);
  EQ("sfr_all", syscall(SYS_sync_file_range, fd, 0L, 100L, 7), 0);
  ERR("sfr_bad_flags", syscall(SYS_sync_file_range, fd, 0L, 0L, 8), EINVAL);
  ERR("sfr_negative", syscall(SYS_sync_file_range, fd, -1L, 0L, 0), EINVAL);
  ERR("sfr_overflow", syscall(SYS_sync_file_range, fd, 1L, 0x7fffffffffffffffL, 0), EINVAL);
  ERR("sfr_pipe", syscall(SYS_sync_file_range, p[0], 0L, 0L, 2), ESPIPE);
  EQ("sfr_dir", syscall(SYS_sync_file_range, dir, 0L, 0L, 2), 0);
  ERR("sfr_bad_fd", syscall(SYS_sync_file_range, -1, 0L, 0L, 2), EBADF);
  return compat_done();
}
