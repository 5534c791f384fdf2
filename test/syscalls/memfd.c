/*
 * memfd_create(2): flags, names, what the file looks like, and file seals
 * (F_ADD_SEALS / F_GET_SEALS) against writes, growth and shrinking.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8U
#define MFD_EXEC 0x10U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif

static long mfd(const char *name, unsigned flags) { return syscall(SYS_memfd_create, name, flags); }

int main(void) {
  int fd = (int)mfd("plain", 0);
  OK("create", fd);
  struct stat st;
  OK("fstat", fstat(fd, &st));
  SHOW("mode", "%o", st.st_mode);
  EQ("nlink", st.st_nlink, 0);
  EQ("size", st.st_size, 0);
  EQ("getfd", fcntl(fd, F_GETFD), 0);
  SHOW("getfl", "%#x", fcntl(fd, F_GETFL));
  char link[256], want[64];
  snprintf(want, sizeof want, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(want, link, sizeof link - 1);
  if (n >= 0) link[n] = 0;
  EQ("proc_link_len", n, (long)strlen("/memfd:plain (deleted)"));
  FACT("proc_link", n > 0 && strcmp(link, "/memfd:plain (deleted)") == 0);
  EQ("write", write(fd, "hello memfd", 11), 11);
  EQ("lseek", lseek(fd, 6, SEEK_SET), 6);
  char buf[32] = {0};
  EQ("read", read(fd, buf, sizeof buf), 5);
  SHOW("read_bytes", "%s", buf);
  EQ("ftruncate", ftruncate(fd, 4096), 0);
  EQ("get_seals_default", fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
  ERR("add_seals_not_allowed", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
  /* Reopened through /proc: another description on the same file. */
  int again = open(want, O_RDWR);
  OK("reopen_proc_fd", again);
  memset(buf, 0, sizeof buf);
  EQ("reopen_read", pread(again, buf, 5, 0), 5);
  SHOW("reopen_bytes", "%s", buf);

  /* Flags and names. */
  int cl = (int)mfd("cl", MFD_CLOEXEC);
  EQ("cloexec", fcntl(cl, F_GETFD), FD_CLOEXEC);
  ERR("bad_flag", mfd("x", 0x100), EINVAL);
  ERR("exec_and_noexec", mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL);
  char name[300];
  memset(name, 'n', sizeof name);
  name[249] = 0;
  int longest = (int)mfd(name, 0);
  OK("name_249", longest);
  name[249] = 'n';
  name[250] = 0;
  ERR("name_250", mfd(name, 0), EINVAL);
  ERR("name_efault", mfd(BAD_PTR, 0), EFAULT);
  OK("name_empty", mfd("", 0));

  /* Sealing. */
  int s = (int)mfd("sealed", MFD_ALLOW_SEALING);
  EQ("seals_allowed_start", fcntl(s, F_GET_SEALS), 0);
  EQ("write_8k", write(s, memset(malloc(8192), 'a', 8192), 8192), 8192);
  EQ("add_shrink", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK), 0);
  ERR("shrink_refused", ftruncate(s, 100), EPERM);
  EQ("grow_ok", ftruncate(s, 12288), 0);
  EQ("add_grow", fcntl(s, F_ADD_SEALS, F_SEAL_GROW), 0);
  ERR("grow_refused", ftruncate(s, 16384), EPERM);
  EQ("same_size_ok", ftruncate(s, 12288), 0);
  ERR("write_past_end", pwrite(s, "xy", 2, 12288), EPERM);
  EQ("write_across_end", pwrite(s, memset(malloc(8192), 'b', 8192), 8192, 8192), 4096);
  EQ("write_inside", pwrite(s, "xy", 2, 100), 2);
  ERR("fallocate_grow", fallocate(s, 0, 12000, 1000), EPERM);
  EQ("fallocate_inside", fallocate(s, 0, 0, 4096), 0);
  EQ("add_write", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE), 0);
  ERR("write_refused", pwrite(s, "xy", 2, 0), EPERM);
  ERR("punch_refused", fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM);
  memset(buf, 0, sizeof buf);
  EQ("read_still_ok", pread(s, buf, 4, 98), 4);
  SHOW("read_sealed", "%.4s", buf);
  EQ("get_seals", fcntl(s, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  ERR("add_unknown_seal", fcntl(s, F_ADD_SEALS, 0x1000), EINVAL);
  EQ("add_seal_seal", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL), 0);
  ERR("sealed_seals", fcntl(s, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
  EQ("add_nothing_when_sealed", fcntl(s, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  snprintf(want, sizeof want, "/proc/self/fd/%d", s);
  int ro = open(want, O_RDONLY);
  OK("reopen_ro", ro);
  int s2 = (int)mfd("s2", MFD_ALLOW_SEALING);
  snprintf(want, sizeof want, "/proc/self/fd/%d", s2);
  int ro2 = open(want, O_RDONLY);
  ERR("add_seals_read_only", fcntl(ro2, F_ADD_SEALS, F_SEAL_GROW), EPERM);
  EQ("get_seals_read_only", fcntl(ro2, F_GET_SEALS), 0);
  /* F_SEAL_FUTURE_WRITE: no more writes through write(2). */
  EQ("add_future_write", fcntl(s2, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
  ERR("future_write_refused", write(s2, "x", 1), EPERM);

  /* NOEXEC_SEAL: no execute bits, sealable, and the bits stay off. */
  int ne = (int)mfd("noexec", MFD_NOEXEC_SEAL);
  OK("fstat_noexec", fstat(ne, &st));
  SHOW("noexec_mode", "%o", st.st_mode);
  SHOW("noexec_seals", "%#x", fcntl(ne, F_GET_SEALS));
  ERR("noexec_chmod", fchmod(ne, 0755), EPERM);
  EQ("noexec_chmod_same", fchmod(ne, 0644), 0);

  /* Other files: seals are for memfd (and tmpfs) only. */
  int plain = open("small.txt", O_RDONLY);
  ERR("get_seals_other_file", fcntl(plain, F_GET_SEALS), EINVAL);
  int p[2];
  OK("pipe", pipe(p));
  ERR("get_seals_pipe", fcntl(p[1], F_GET_SEALS), EINVAL);
  return compat_done();
}
