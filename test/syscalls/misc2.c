/*
 * compat: writable-dir
 * Odds and ends: sched_yield; setpriority/getpriority (nice values, clamping,
 * errors); utime and utimes on a file in the writable directory (argv[2]);
 * mknod of a FIFO and a regular file there, and its errors; vhangup as root;
 * arch_prctl's ARCH_GET_FS/ARCH_SET_FS round trip and bad codes;
 * lremovexattr and fremovexattr where Linux and the Gofer agree (missing
 * files, bad fds, the read-only fixture).
 */
#include "lib/compat.h"
#include <asm/prctl.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <utime.h>

static struct stat st;
static long stat_of(const char *path) { return syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW); }

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *rw = argv[2];
  char f[4096], fifo[4096], reg[4096], missing[4096];
  snprintf(f, sizeof f, "%s/file", rw);
  snprintf(fifo, sizeof fifo, "%s/fifo", rw);
  snprintf(reg, sizeof reg, "%s/reg", rw);
  snprintf(missing, sizeof missing, "%s/missing/x", rw);
  close(open(f, O_WRONLY | O_CREAT, 0644));

  /* ---- sched_yield ---- */
  EQ("sched_yield", syscall(SYS_sched_yield), 0);
  EQ("sched_yield_again", syscall(SYS_sched_yield), 0);

  /* ---- setpriority / getpriority (the raw getpriority returns 20 - nice) ---- */
  ABOUT("setpriority");
  EQ("setpriority_5", syscall(SYS_setpriority, PRIO_PROCESS, 0, 5), 0);
  EQ("getpriority_5", syscall(SYS_getpriority, PRIO_PROCESS, 0), 15);
  EQ("setpriority_clamped_high", syscall(SYS_setpriority, PRIO_PROCESS, 0, 100), 0);
  EQ("getpriority_19", syscall(SYS_getpriority, PRIO_PROCESS, 0), 1);
  EQ("setpriority_root_lowers", syscall(SYS_setpriority, PRIO_PROCESS, 0, -100), 0);
  EQ("getpriority_minus_20", syscall(SYS_getpriority, PRIO_PROCESS, 0), 40);
  EQ("setpriority_back_to_0", syscall(SYS_setpriority, PRIO_PROCESS, 0, 0), 0);
  ERR("setpriority_bad_which", syscall(SYS_setpriority, 7, 0, 0), EINVAL);
  ERR("setpriority_no_such_pid", syscall(SYS_setpriority, PRIO_PROCESS, 0x3fffffff, 0), ESRCH);
  EQ("setpriority_pgrp", syscall(SYS_setpriority, PRIO_PGRP, 0, 0), 0);
  EQ("setpriority_user", syscall(SYS_setpriority, PRIO_USER, 0, 0), 0);
  /* An unprivileged process cannot lower its nice value (raise its priority). */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (syscall(SYS_setuid, 1000) != 0) _exit(10);
    if (syscall(SYS_setpriority, PRIO_PROCESS, 0, 3) != 0) _exit(11);
    errno = 0;
    if (syscall(SYS_setpriority, PRIO_PROCESS, 0, 1) != -1) _exit(12);
    _exit(errno == EACCES ? 0 : 13);
  }
  int status = 0;
  waitpid(c, &status, 0);
  EQ("setpriority_unprivileged_lower_eacces", WIFEXITED(status) ? WEXITSTATUS(status) : 100, 0);

  /* ---- utime / utimes ---- */
  ABOUT("utime");
  struct utimbuf ub = {1000, 2000};
  EQ("utime_set", syscall(SYS_utime, f, &ub), 0);
  stat_of(f);
  FACT("utime_mtime", st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 0);
  FACT("utime_atime", st.st_atim.tv_sec == 1000);
  EQ("utime_now", syscall(SYS_utime, f, NULL), 0);
  stat_of(f);
  FACT("utime_now_is_recent", st.st_mtim.tv_sec > 2000);
  ERR("utime_enoent", syscall(SYS_utime, missing, &ub), ENOENT);
  ERR("utime_efault_times", syscall(SYS_utime, f, BAD_PTR), EFAULT);
  ERR("utime_efault_path", syscall(SYS_utime, BAD_PTR, &ub), EFAULT);
  ERR("utime_erofs", syscall(SYS_utime, "small.txt", &ub), EROFS);
  ABOUT("utimes");
  struct timeval tv[2] = {{3000, 5}, {4000, 250000}};
  EQ("utimes_set", syscall(SYS_utimes, f, tv), 0);
  stat_of(f);
  FACT("utimes_mtime", st.st_mtim.tv_sec == 4000);
  SHOW("utimes_mtime_nsec", "%ld", (long)st.st_mtim.tv_nsec);
  FACT("utimes_atime", st.st_atim.tv_sec == 3000);
  tv[1].tv_usec = 1000000;
  ERR("utimes_bad_usec", syscall(SYS_utimes, f, tv), EINVAL);
  tv[1].tv_usec = -1;
  ERR("utimes_negative_usec", syscall(SYS_utimes, f, tv), EINVAL);
  EQ("utimes_now", syscall(SYS_utimes, f, NULL), 0);
  ERR("utimes_enoent", syscall(SYS_utimes, missing, NULL), ENOENT);
  ERR("utimes_efault", syscall(SYS_utimes, f, BAD_PTR), EFAULT);

  /* ---- mknod ---- */
  ABOUT("mknod");
  EQ("mknod_fifo", syscall(SYS_mknod, fifo, S_IFIFO | 0640, 0), 0);
  stat_of(fifo);
  FACT("mknod_fifo_is_fifo", S_ISFIFO(st.st_mode));
  SHOW("mknod_fifo_mode", "%#o", st.st_mode & 07777);
  int ffd = open(fifo, O_RDONLY | O_NONBLOCK);
  FACT("mknod_fifo_opens", ffd >= 0);
  close(ffd);
  ERR("mknod_exists", syscall(SYS_mknod, fifo, S_IFIFO | 0640, 0), EEXIST);
  EQ("mknod_regular", syscall(SYS_mknod, reg, S_IFREG | 0600, 0), 0);
  stat_of(reg);
  FACT("mknod_regular_is_reg", S_ISREG(st.st_mode) && st.st_size == 0);
  char reg0[4096];
  snprintf(reg0, sizeof reg0, "%s/reg0", rw);
  EQ("mknod_type_0_is_regular", syscall(SYS_mknod, reg0, 0600, 0), 0);
  stat_of(reg0);
  FACT("mknod_type_0_is_reg", S_ISREG(st.st_mode));
  char dirn[4096];
  snprintf(dirn, sizeof dirn, "%s/d", rw);
  ERR("mknod_dir_eperm", syscall(SYS_mknod, dirn, S_IFDIR | 0755, 0), EPERM);
  ERR("mknod_bad_type", syscall(SYS_mknod, dirn, 0170000 | 0755, 0), EINVAL);
  ERR("mknod_enoent", syscall(SYS_mknod, missing, S_IFIFO | 0600, 0), ENOENT);
  ERR("mknod_erofs", syscall(SYS_mknod, "newfifo", S_IFIFO | 0600, 0), EROFS);
  ERR("mknod_efault", syscall(SYS_mknod, BAD_PTR, S_IFIFO | 0600, 0), EFAULT);
  /* ---- vhangup ---- */
  EQ("vhangup_root", syscall(SYS_vhangup), 0);

  /* ---- arch_prctl ---- */
  ABOUT("arch_prctl");
  unsigned long fs = 0, fs2 = 0;
  EQ("arch_get_fs", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
  FACT("arch_fs_nonzero", fs != 0);
  EQ("arch_set_fs_same", syscall(SYS_arch_prctl, ARCH_SET_FS, fs), 0);
  syscall(SYS_arch_prctl, ARCH_GET_FS, &fs2);
  FACT("arch_fs_round_trip", fs2 == fs);
  unsigned long gs = 1;
  EQ("arch_get_gs", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
  ERR("arch_bad_code", syscall(SYS_arch_prctl, 0x9999, &fs2), EINVAL);
  ERR("arch_get_fs_efault", syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR), EFAULT);
  ERR("arch_set_fs_kernel_address", syscall(SYS_arch_prctl, ARCH_SET_FS, KERNEL_PTR), EPERM);

  /* ---- lremovexattr / fremovexattr ---- */
  ABOUT("lremovexattr");
  ERR("lremovexattr_enoent", syscall(SYS_lremovexattr, "does-not-exist", "user.x"), ENOENT);
  ERR("lremovexattr_enoent_dir", syscall(SYS_lremovexattr, missing, "user.x"), ENOENT);
  ERR("lremovexattr_efault_path", syscall(SYS_lremovexattr, BAD_PTR, "user.x"), EFAULT);
  ERR("lremovexattr_readonly_fixture", syscall(SYS_lremovexattr, "small.txt", "user.color"), EROFS);
  ERR("lremovexattr_readonly_symlink", syscall(SYS_lremovexattr, "dangling", "user.x"), EROFS);
  ABOUT("fremovexattr");
  ERR("fremovexattr_ebadf", syscall(SYS_fremovexattr, 100, "user.x"), EBADF);
  ERR("fremovexattr_negative_fd", syscall(SYS_fremovexattr, -1L, "user.x"), EBADF);
  int fx = open("small.txt", O_RDONLY);
  ERR("fremovexattr_readonly_fixture", syscall(SYS_fremovexattr, fx, "user.color"), EROFS);
  int pfd = open("small.txt", O_PATH);
  ERR("fremovexattr_o_path", syscall(SYS_fremovexattr, pfd, "user.color"), EBADF);
  return compat_done();
}
