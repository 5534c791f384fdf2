/*
 * fcntl, dup, dup2, dup3: fd numbering, shared offsets and status flags,
 * close-on-exec, F_GETFL/F_SETFL, F_DUPFD limits, record locks on a
 * read-only file, and the errors. RLIMIT_NOFILE is set here first so that
 * the limits are the same in both runs.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/resource.h>

#define LIMIT 64

int main(void) {
  struct rlimit rl = {LIMIT, LIMIT};
  OK("setrlimit_nofile", setrlimit(RLIMIT_NOFILE, &rl));
  int fd = open("data.bin", O_RDONLY);
  EQ("first_fd", fd, 3);

  /* dup: lowest free fd, shared offset and status flags, own close-on-exec. */
  EQ("dup", dup(fd), 4);
  char b[4];
  EQ("read_via_fd", read(fd, b, 3), 3);
  EQ("offset_via_dup", lseek(4, 0, SEEK_CUR), 3);
  EQ("setfl_nonblock_via_dup", fcntl(4, F_SETFL, O_NONBLOCK), 0);
  FACT("nonblock_shared", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  EQ("setfd_cloexec_on_dup", fcntl(4, F_SETFD, FD_CLOEXEC), 0);
  EQ("cloexec_not_shared", fcntl(fd, F_GETFD), 0);
  EQ("getfd_dup", fcntl(4, F_GETFD), FD_CLOEXEC);
  EQ("setfd_other_bits_ignored", fcntl(4, F_SETFD, 0xfe), 0);
  EQ("getfd_after_other_bits", fcntl(4, F_GETFD), 0);
  ERR("dup_bad", dup(12345), EBADF);
  ERR("dup_negative", dup(-1), EBADF);
  int pfd = open("small.txt", O_PATH);
  EQ("dup_opath", dup(pfd), 6);
  close(6);

  /* dup2. */
  EQ("dup2", dup2(fd, 10), 10);
  EQ("dup2_same_fd", dup2(fd, fd), fd);
  ERR("dup2_same_bad_fd", dup2(12345, 12345), EBADF);
  ERR("dup2_bad_old", dup2(12345, 11), EBADF);
  ERR("dup2_new_at_limit", dup2(fd, LIMIT), EBADF);
  ERR("dup2_new_negative", dup2(fd, -1), EBADF);
  EQ("dup2_replaces", dup2(pfd, 10), 10);
  FACT("dup2_replaced_is_opath", (fcntl(10, F_GETFL) & O_PATH) != 0);
  EQ("setfd_cloexec_4", fcntl(4, F_SETFD, FD_CLOEXEC), 0);
  EQ("dup2_clears_cloexec", dup2(fd, 4), 4);
  EQ("getfd_after_dup2", fcntl(4, F_GETFD), 0);
  EQ("dup2_new_limit_minus_1", dup2(fd, LIMIT - 1), LIMIT - 1);

  /* dup3. */
  EQ("dup3_cloexec", syscall(SYS_dup3, fd, 11, O_CLOEXEC), 11);
  EQ("getfd_dup3", fcntl(11, F_GETFD), FD_CLOEXEC);
  EQ("dup3_plain", syscall(SYS_dup3, fd, 11, 0), 11);
  EQ("getfd_dup3_plain", fcntl(11, F_GETFD), 0);
  ERR("dup3_same_fd", syscall(SYS_dup3, fd, fd, 0), EINVAL);
  ERR("dup3_bad_flags", syscall(SYS_dup3, fd, 12, O_NONBLOCK), EINVAL);
  ERR("dup3_bad_old", syscall(SYS_dup3, 12345, 12, 0), EBADF);
  ERR("dup3_new_at_limit", syscall(SYS_dup3, fd, LIMIT, 0), EBADF);
  ERR("dup3_same_bad_fd", syscall(SYS_dup3, 12345, 12345, 0), EINVAL);

  /* F_DUPFD / F_DUPFD_CLOEXEC. */
  EQ("dupfd_min_20", fcntl(fd, F_DUPFD, 20), 20);
  EQ("dupfd_min_20_next", fcntl(fd, F_DUPFD, 20), 21);
  EQ("dupfd_cloexec", fcntl(fd, F_DUPFD_CLOEXEC, 30), 30);
  EQ("getfd_dupfd_cloexec", fcntl(30, F_GETFD), FD_CLOEXEC);
  EQ("dupfd_min_0", fcntl(fd, F_DUPFD, 0), 6);
  ERR("dupfd_min_at_limit", fcntl(fd, F_DUPFD, LIMIT), EINVAL);
  ERR("dupfd_min_negative", fcntl(fd, F_DUPFD, -1), EINVAL);
  EQ("dupfd_limit_minus_2", fcntl(fd, F_DUPFD, LIMIT - 2), LIMIT - 2);
  ERR("dupfd_full", fcntl(fd, F_DUPFD, LIMIT - 2), EMFILE);
  /* A free fd below the minimum does not help. */
  EQ("close_6", close(6), 0);
  ERR("dupfd_full_above_free_fd", fcntl(fd, F_DUPFD, LIMIT - 1), EMFILE);

  /* F_GETFL / F_SETFL. */
  SHOW("getfl", "%#o", fcntl(fd, F_GETFL));
  EQ("setfl_append_noatime", fcntl(fd, F_SETFL, O_APPEND | O_NOATIME), 0);
  SHOW("getfl_after_setfl", "%#o", fcntl(fd, F_GETFL));
  EQ("setfl_ignores_access_mode", fcntl(fd, F_SETFL, O_RDWR | O_CREAT | O_TRUNC | O_EXCL), 0);
  SHOW("getfl_after_setfl_ignored", "%#o", fcntl(fd, F_GETFL));
  ERR("read_still_rdonly", write(fd, "x", 1), EBADF);
  SHOW("getfl_opath", "%#o", fcntl(pfd, F_GETFL));
  ERR("setfl_opath", fcntl(pfd, F_SETFL, O_NONBLOCK), EBADF);
  EQ("getfd_opath", fcntl(pfd, F_GETFD), 0);
  EQ("setfd_opath", fcntl(pfd, F_SETFD, FD_CLOEXEC), 0);
  EQ("dupfd_opath", fcntl(pfd, F_DUPFD, 40), 40);

  /* Owner and misc. */
  EQ("getown", fcntl(fd, F_GETOWN), 0);
  EQ("setown_self", fcntl(fd, F_SETOWN, getpid()), 0);
  FACT("getown_self", fcntl(fd, F_GETOWN) == getpid());
  EQ("setown_0", fcntl(fd, F_SETOWN, 0), 0);
  struct f_owner_ex ox = {.type = 99, .pid = 0};
  ERR("setown_ex_bad_type", fcntl(fd, F_SETOWN_EX, &ox), EINVAL);
  ERR("getown_ex_efault", fcntl(fd, F_GETOWN_EX, BAD_PTR), EFAULT);
  ERR("getown_opath", fcntl(pfd, F_GETOWN), EBADF);
  ERR("getpipe_sz_file", fcntl(fd, F_GETPIPE_SZ), EBADF);
  ERR("get_seals_file", fcntl(fd, F_GET_SEALS), EINVAL);
  ERR("bad_cmd", fcntl(fd, 9999), EINVAL);
  ERR("bad_fd", fcntl(12345, F_GETFD), EBADF);
  ERR("bad_fd_bad_cmd", fcntl(12345, 9999), EBADF);
  VAL("getlease_file", fcntl(fd, F_GETLEASE));

  /* Record locks on a read-only fd: read locks are allowed, write locks need a writable fd. */
  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  EQ("setlk_read", fcntl(fd, F_SETLK, &fl), 0);
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  EQ("getlk", fcntl(fd, F_GETLK, &q), 0);
  SHOW("getlk_type_unlocked", "%d", q.l_type == F_UNLCK);
  fl.l_type = F_WRLCK;
  ERR("setlk_write_on_rdonly", fcntl(fd, F_SETLK, &fl), EBADF);
  fl.l_type = F_UNLCK;
  EQ("setlk_unlock", fcntl(fd, F_SETLK, &fl), 0);
  fl.l_type = 99;
  ERR("setlk_bad_type", fcntl(fd, F_SETLK, &fl), EINVAL);
  ERR("setlk_efault", fcntl(fd, F_SETLK, BAD_PTR), EFAULT);
  struct flock ofd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
  EQ("ofd_setlk_read", fcntl(fd, F_OFD_SETLK, &ofd), 0);
  ofd.l_pid = 1;
  ERR("ofd_setlk_pid_not_0", fcntl(fd, F_OFD_SETLK, &ofd), EINVAL);

  /* close. */
  EQ("close", close(10), 0);
  ERR("close_again", close(10), EBADF);
  EQ("reuse_lowest", dup(fd), 6);
  return compat_done();
}
