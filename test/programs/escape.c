/*
 * Escapes that must fail, run by test/integration/isolation.test.ts in a
 * bundle laid out as:
 *
 *   /etc/hostname          "inside\n" (the host's differs)
 *   /mnt/outside/secret    "decoy\n": where a relative link out of /mnt/rw lands inside
 *   /mnt/rw                a host directory bind-mounted read-write, holding
 *     file                 "shared\n"
 *     abs    -> /etc/hostname
 *     abshost-> <the host path of a file outside the bind mount> (argv[1])
 *     rel    -> ../outside/secret       (on the host: that outside file)
 *     relup  -> ../../../../../../../../etc/hostname
 *     relnew -> ../outside/new          (dangling on the host and inside)
 *     zero                 a host character device node (1, 5)
 *   /mnt/ro                a host directory bind-mounted read-only, holding f "ro\n"
 *
 * Each expectation is what Linux gives in a container with the same
 * mounts (checked by hand with unshare and chroot): symlinks resolve
 * against the container's root, ".." stops at it, links and renames do not
 * cross mounts, device nodes cannot be opened (Linux: the device cgroup's
 * EPERM), a read-only bind mount answers EROFS.
 */
#include "../syscalls/lib/compat.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>

/* The first line of a file, or "ERR <errno name>". */
static const char *first(int dirfd, const char *path) {
  static char buf[256];
  int fd = openat(dirfd, path, O_RDONLY);
  if (fd < 0) { snprintf(buf, sizeof buf, "ERR %s", ename(errno)); return buf; }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) { snprintf(buf, sizeof buf, "ERR %s", ename(errno)); return buf; }
  buf[n] = 0;
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  return buf;
}

#define READS(key, dirfd, path, want) do { \
    const char *_g = first(dirfd, path); \
    printf("%s=%s\n", key, _g); \
    if (strcmp(_g, want) != 0) compat_expect_fail(key, _g, want); \
  } while (0)

static int cwd_is(const char *want) {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof buf) != NULL && strcmp(buf, want) == 0;
}

int main(int argc, char **argv) {
  (void)argc; (void)argv;

  /* Symlinks in the bind mount resolve against the sandbox's root. */
  READS("abs_link", AT_FDCWD, "/mnt/rw/abs", "inside");
  READS("abs_host_path", AT_FDCWD, "/mnt/rw/abshost", "ERR ENOENT");
  READS("rel_link_out", AT_FDCWD, "/mnt/rw/rel", "decoy");
  READS("rel_link_up", AT_FDCWD, "/mnt/rw/relup", "inside");
  ERR("create_excl_through_link", open("/mnt/rw/relnew", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
  int made = open("/mnt/rw/relnew", O_WRONLY | O_CREAT, 0644);
  OK("create_through_link", made);
  if (made >= 0) close(made);
  FACT("created_inside", access("/mnt/outside/new", F_OK) == 0);

  /* ".." past the mount's root and past "/" stays put. */
  READS("dotdot_path", AT_FDCWD, "/mnt/rw/../../../../../etc/hostname", "inside");
  int rw = open("/mnt/rw", O_RDONLY | O_DIRECTORY);
  OK("open_rw_dir", rw);
  READS("dotdot_openat", rw, "../../../../../../etc/hostname", "inside");
  READS("dotdot_openat_rel", rw, "../outside/secret", "decoy");
  OK("chdir_rw", chdir("/mnt/rw"));
  OK("chdir_up", chdir("../../../../../../.."));
  FACT("cwd_is_root", cwd_is("/"));
  OK("chdir_root_dotdot", chdir("/.."));
  FACT("cwd_still_root", cwd_is("/"));

  /* Hard links and renames never cross a mount. */
  ERR("link_into_rw", link("/etc/hostname", "/mnt/rw/hl"), EXDEV);
  ERR("link_out_of_rw", link("/mnt/rw/file", "/tmp/hl"), EXDEV);
  ERR("link_follow_rel", linkat(AT_FDCWD, "/mnt/rw/rel", AT_FDCWD, "/mnt/rw/hl2", AT_SYMLINK_FOLLOW), EXDEV);
  ERR("link_ro_to_rw", link("/mnt/ro/f", "/mnt/rw/hl3"), EXDEV);
  ERR("rename_out_of_rw", rename("/mnt/rw/file", "/tmp/file"), EXDEV);
  ERR("rename_ro_to_rw", rename("/mnt/ro/f", "/mnt/rw/f"), EXDEV);

  /* /proc's root and cwd links lead to the sandbox's root, not the host's. */
  char self[64], buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/root", buf, sizeof buf - 1);
  if (n >= 0) buf[n] = 0;
  FACT("proc_root_is_slash", n == 1 && buf[0] == '/');
  READS("proc_root_file", AT_FDCWD, "/proc/self/root/etc/hostname", "inside");
  READS("proc_root_dotdot", AT_FDCWD, "/proc/self/root/../../../etc/hostname", "inside");
  OK("chdir_rw_again", chdir("/mnt/rw"));
  snprintf(self, sizeof self, "/proc/%d/cwd", getpid());
  n = readlink(self, buf, sizeof buf - 1);
  if (n >= 0) buf[n] = 0;
  FACT("proc_cwd_is_mount", n > 0 && strcmp(buf, "/mnt/rw") == 0);
  snprintf(self, sizeof self, "/proc/%d/cwd/../../../../etc/hostname", getpid());
  READS("proc_cwd_dotdot", AT_FDCWD, self, "inside");
  READS("proc_cwd_rel", AT_FDCWD, "/proc/self/cwd/rel", "decoy");

  /* Devices: a node made inside cannot be used, a host node in a bind mount cannot be opened, no host /dev shows. */
  int mk = mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0));
  FACT("mknod_blk_unusable", mk < 0 || open("/tmp/sda", O_RDONLY) < 0);
  mk = mknod("/tmp/mem", S_IFCHR | 0600, makedev(1, 1));
  FACT("mknod_chr_unusable", mk < 0 || open("/tmp/mem", O_RDONLY) < 0);
  mk = mknod("/mnt/rw/mem", S_IFCHR | 0600, makedev(1, 1));
  FACT("mknod_in_bind_unusable", mk < 0 || open("/mnt/rw/mem", O_RDONLY) < 0);
  int hostdev = open("/mnt/rw/zero", O_RDONLY);
  FACT("host_device_unopenable", hostdev < 0);
  ERR("dev_sda", open("/dev/sda", O_RDONLY), ENOENT);
  ERR("dev_mem", open("/dev/mem", O_RDONLY), ENOENT);
  ERR("dev_kvm", open("/dev/kvm", O_RDONLY), ENOENT);

  /* A read-only bind mount: every change is EROFS. */
  READS("ro_readable", AT_FDCWD, "/mnt/ro/f", "ro");
  ERR("ro_open_write", open("/mnt/ro/f", O_WRONLY), EROFS);
  ERR("ro_open_trunc", open("/mnt/ro/f", O_RDONLY | O_TRUNC), EROFS);
  ERR("ro_create", open("/mnt/ro/new", O_WRONLY | O_CREAT, 0644), EROFS);
  ERR("ro_mkdir", mkdir("/mnt/ro/d", 0755), EROFS);
  ERR("ro_unlink", unlink("/mnt/ro/f"), EROFS);
  ERR("ro_rename", rename("/mnt/ro/f", "/mnt/ro/g"), EROFS);
  ERR("ro_symlink", symlink("x", "/mnt/ro/s"), EROFS);
  ERR("ro_chmod", chmod("/mnt/ro/f", 0777), EROFS);
  ERR("ro_chown", chown("/mnt/ro/f", 1, 1), EROFS);
  ERR("ro_truncate", truncate("/mnt/ro/f", 0), EROFS);
  ERR("ro_utimes", utimes("/mnt/ro/f", NULL), EROFS);
  ERR("ro_setxattr", setxattr("/mnt/ro/f", "user.x", "1", 1, 0), EROFS);
  ERR("ro_access_w", access("/mnt/ro/f", W_OK), EROFS);

  /* The read-write mount still takes an ordinary write (the host test expects exactly this file). */
  int w = open("/mnt/rw/written", O_WRONLY | O_CREAT | O_EXCL, 0644);
  OK("rw_create", w);
  if (w >= 0) { EQ("rw_write", write(w, "ok\n", 3), 3); close(w); }
  return compat_done();
}
