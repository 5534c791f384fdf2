/*
 * openat2(2): struct open_how and its size rules, flags open(2) would
 * drop, and the RESOLVE_* restrictions on the walk over the fixture's
 * symlinks, "..", mounts (/proc) and /proc's magic links.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

static long o2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode, unsigned long long resolve) {
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Opens and closes: 0 on success, -1 with errno otherwise. */
static long o2ok(int dirfd, const char *path, unsigned long long flags, unsigned long long resolve) {
  long fd = o2(dirfd, path, flags, 0, resolve);
  if (fd < 0) return -1;
  close((int)fd);
  return 0;
}

int main(void) {
  int cwd = open(".", O_RDONLY | O_DIRECTORY);
  OK("plain", o2ok(AT_FDCWD, "small.txt", O_RDONLY, 0));
  /* Sizes. */
  struct open_how how = {.flags = O_RDONLY};
  ERR("size_0", syscall(SYS_openat2, AT_FDCWD, "small.txt", &how, 0), EINVAL);
  ERR("size_23", syscall(SYS_openat2, AT_FDCWD, "small.txt", &how, 23), EINVAL);
  char big[64] = {0};
  memcpy(big, &how, sizeof how);
  long fd = syscall(SYS_openat2, AT_FDCWD, "small.txt", big, 64);
  OK("size_64_zero_tail", fd);
  if (fd >= 0) close((int)fd);
  big[40] = 1;
  ERR("size_64_nonzero_tail", syscall(SYS_openat2, AT_FDCWD, "small.txt", big, 64), E2BIG);
  ERR("size_page_plus", syscall(SYS_openat2, AT_FDCWD, "small.txt", big, 4097), E2BIG);
  ERR("bad_how_ptr", syscall(SYS_openat2, AT_FDCWD, "small.txt", BAD_PTR, sizeof how), EFAULT);
  /* Flags and mode. */
  ERR("unknown_flag", o2(AT_FDCWD, "small.txt", 1ULL << 40, 0, 0), EINVAL);
  ERR("unknown_flag_low", o2(AT_FDCWD, "small.txt", 040000000000ULL, 0, 0), EINVAL);
  ERR("unknown_resolve", o2(AT_FDCWD, "small.txt", O_RDONLY, 0, 0x40), EINVAL);
  ERR("mode_without_creat", o2(AT_FDCWD, "small.txt", O_RDONLY, 0644, 0), EINVAL);
  ERR("mode_too_big", o2(AT_FDCWD, "small.txt", O_RDONLY | O_CREAT, 010000, 0), EINVAL);
  ERR("beneath_and_in_root", o2(AT_FDCWD, "small.txt", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
  ERR("path_with_other_flags", o2(AT_FDCWD, "small.txt", O_PATH | O_RDWR, 0, 0), EINVAL);
  OK("path_cloexec", o2ok(AT_FDCWD, "small.txt", O_PATH | O_CLOEXEC, 0));
  ERR("directory_creat", o2(AT_FDCWD, "newdir", O_DIRECTORY | O_CREAT, 0, 0), EINVAL);
  ERR("tmpfile_rdonly", o2(AT_FDCWD, ".", O_TMPFILE | O_RDONLY, 0600, 0), EINVAL);
  ERR("cached_creat", o2(AT_FDCWD, "small.txt", O_RDONLY | O_CREAT, 0600, RESOLVE_CACHED), EAGAIN);
  ERR("cached_trunc", o2(AT_FDCWD, "small.txt", O_RDONLY | O_TRUNC, 0, RESOLVE_CACHED), EAGAIN);
  /* A cached lookup of a name just opened finds it. */
  OK("cached_after_open", o2ok(AT_FDCWD, "small.txt", O_RDONLY, RESOLVE_CACHED));

  /* RESOLVE_NO_SYMLINKS: any symlink on the way. */
  ERR("nosym_last", o2(AT_FDCWD, "link-to-file", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  ERR("nosym_middle", o2(AT_FDCWD, "link-to-dir/a", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  OK("nosym_nofollow_path", o2ok(AT_FDCWD, "link-to-file", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS));
  OK("nosym_plain", o2ok(AT_FDCWD, "dir/a", O_RDONLY, RESOLVE_NO_SYMLINKS));

  /* RESOLVE_BENEATH: stay under dirfd. */
  OK("beneath_plain", o2ok(cwd, "dir/a", O_RDONLY, RESOLVE_BENEATH));
  OK("beneath_dotdot_inside", o2ok(cwd, "dir/../small.txt", O_RDONLY, RESOLVE_BENEATH));
  ERR("beneath_dotdot_out", o2(cwd, "../x", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  ERR("beneath_absolute", o2(cwd, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  ERR("beneath_abs_link", o2(cwd, "abs-link", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
  OK("beneath_rel_link", o2ok(cwd, "link-to-file", O_RDONLY, RESOLVE_BENEATH));
  OK("beneath_link_dir", o2ok(cwd, "link-to-dir/a", O_RDONLY, RESOLVE_BENEATH));
  int dir = open("dir", O_RDONLY | O_DIRECTORY);
  ERR("beneath_dotdot_from_subdir", o2(dir, "../small.txt", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);

  /* RESOLVE_IN_ROOT: dirfd is "/" for the walk. */
  ERR("in_root_absolute", o2(dir, "/small.txt", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
  OK("in_root_absolute_inside", o2ok(dir, "/a", O_RDONLY, RESOLVE_IN_ROOT));
  OK("in_root_dotdot_stays", o2ok(dir, "../../../a", O_RDONLY, RESOLVE_IN_ROOT));
  OK("in_root_link", o2ok(dir, "link", O_RDONLY, RESOLVE_IN_ROOT));
  ERR("in_root_abs_link", o2(cwd, "abs-link", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);

  /* RESOLVE_NO_XDEV: /proc is another mount. */
  int root = open("/", O_RDONLY | O_DIRECTORY);
  ERR("noxdev_into_proc", o2(root, "proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
  int proc = open("/proc", O_RDONLY | O_DIRECTORY);
  OK("noxdev_within_proc", o2ok(proc, "self/status", O_RDONLY, RESOLVE_NO_XDEV));
  ERR("noxdev_dotdot_out_of_proc", o2(proc, "../proc", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV), EXDEV);

  /* Magic links. */
  char p[64];
  int sfd = open("small.txt", O_RDONLY);
  snprintf(p, sizeof p, "/proc/self/fd/%d", sfd);
  OK("magic_plain", o2ok(AT_FDCWD, p, O_RDONLY, 0));
  ERR("magic_nomagic", o2(AT_FDCWD, p, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
  ERR("magic_nosym", o2(AT_FDCWD, p, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
  OK("magic_nomagic_nofollow", o2ok(AT_FDCWD, p, O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS));
  ERR("magic_beneath", o2(proc, "self/root", O_RDONLY | O_DIRECTORY, 0, RESOLVE_BENEATH), EXDEV);
  ERR("magic_noxdev", o2(proc, "self/cwd", O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_XDEV), EXDEV);
  OK("magic_cwd", o2ok(proc, "self/cwd/small.txt", O_RDONLY, 0));
  return compat_done();
}
