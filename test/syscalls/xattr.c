/*
 * getxattr, lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr on the
 * fixture's xattr.txt (user.color=blue, user.empty="", user.big=1000 z's):
 * values and sizes, the size-0 query, ERANGE, missing attributes and
 * namespaces, symlinks, O_PATH fds and the errors.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/xattr.h>

static char buf[4096];

static long gx(const char *path, const char *name, size_t size) {
  memset(buf, '#', sizeof buf);
  return syscall(SYS_getxattr, path, name, buf, size);
}

/* The NUL-separated list, sorted, as "a,b,c" (the order is the file system's). */
static void show_list(const char *key, long n) {
  char *names[64];
  int count = 0;
  for (long i = 0; i < n && count < 64; i += strlen(buf + i) + 1) names[count++] = buf + i;
  for (int i = 1; i < count; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) { char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t; }
  char out[1024] = "";
  for (int i = 0; i < count; i++) {
    if (i) strcat(out, ",");
    strncat(out, names[i], sizeof out - strlen(out) - 2);
  }
  SHOW(key, "%s", out);
}

int main(void) {
  EQ("get_color", gx("xattr.txt", "user.color", sizeof buf), 4);
  SHOW("color", "%.4s", buf);
  FACT("no_nul_written", buf[4] == '#');
  EQ("get_size_0", gx("xattr.txt", "user.color", 0), 4);
  EQ("get_size_0_null_buf", syscall(SYS_getxattr, "xattr.txt", "user.color", NULL, 0), 4);
  EQ("get_exact_size", gx("xattr.txt", "user.color", 4), 4);
  ERR("get_too_small", gx("xattr.txt", "user.color", 3), ERANGE);
  EQ("get_empty", gx("xattr.txt", "user.empty", sizeof buf), 0);
  EQ("get_big", gx("xattr.txt", "user.big", sizeof buf), 1000);
  FACT("big_value", buf[0] == 'z' && buf[999] == 'z');
  ERR("get_missing", gx("xattr.txt", "user.missing", sizeof buf), ENODATA);
  ERR("get_missing_on_plain_file", gx("small.txt", "user.color", sizeof buf), ENODATA);
  ERR("get_trusted_missing", gx("xattr.txt", "trusted.nothing", sizeof buf), ENODATA);
  ERR("get_security_missing", gx("xattr.txt", "security.nothing", sizeof buf), ENODATA);
  ERR("get_acl_missing", gx("xattr.txt", "system.posix_acl_access", sizeof buf), ENODATA);
  ERR("get_unknown_namespace", gx("xattr.txt", "bogus.name", sizeof buf), EOPNOTSUPP);
  ERR("get_no_namespace", gx("xattr.txt", "color", sizeof buf), EOPNOTSUPP);
  ERR("get_empty_name", gx("xattr.txt", "", sizeof buf), ERANGE);
  char longname[300] = "user.";
  memset(longname + 5, 'x', 251);
  longname[256] = '\0';
  ERR("get_name_256", gx("xattr.txt", longname, sizeof buf), ERANGE);
  longname[255] = '\0';
  ERR("get_name_255_missing", gx("xattr.txt", longname, sizeof buf), ENODATA);

  /* Directories, symlinks. */
  ERR("get_dir", gx("dir", "user.color", sizeof buf), ENODATA);
  ERR("get_through_symlink_missing", gx("link-to-file", "user.color", sizeof buf), ENODATA);
  ERR("lget_symlink_user", syscall(SYS_lgetxattr, "link-to-file", "user.color", buf, sizeof buf), ENODATA);
  ERR("get_dangling", gx("dangling", "user.color", sizeof buf), ENOENT);
  ERR("lget_dangling", syscall(SYS_lgetxattr, "dangling", "user.color", buf, sizeof buf), ENODATA);

  /* Path and pointer errors. */
  ERR("get_enoent", gx("nope", "user.color", sizeof buf), ENOENT);
  ERR("get_enotdir", gx("small.txt/x", "user.color", sizeof buf), ENOTDIR);
  ERR("get_eloop", gx("loop1", "user.color", sizeof buf), ELOOP);
  ERR("get_empty_path", gx("", "user.color", sizeof buf), ENOENT);
  ERR("get_efault_path", syscall(SYS_getxattr, BAD_PTR, "user.color", buf, sizeof buf), EFAULT);
  ERR("get_efault_name", syscall(SYS_getxattr, "xattr.txt", BAD_PTR, buf, sizeof buf), EFAULT);
  ERR("get_efault_value", syscall(SYS_getxattr, "xattr.txt", "user.color", BAD_PTR, sizeof buf), EFAULT);

  /* fgetxattr. */
  int fd = open("xattr.txt", O_RDONLY);
  EQ("fget_color", syscall(SYS_fgetxattr, fd, "user.color", buf, sizeof buf), 4);
  ERR("fget_bad_fd", syscall(SYS_fgetxattr, 12345, "user.color", buf, sizeof buf), EBADF);
  int pfd = open("xattr.txt", O_PATH);
  ERR("fget_opath", syscall(SYS_fgetxattr, pfd, "user.color", buf, sizeof buf), EBADF);
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  ERR("fget_dir_missing", syscall(SYS_fgetxattr, dfd, "user.color", buf, sizeof buf), ENODATA);
  VAL("fget_stdout", syscall(SYS_fgetxattr, 1, "user.color", buf, sizeof buf));

  /* listxattr. */
  memset(buf, 0, sizeof buf);
  long n = syscall(SYS_listxattr, "xattr.txt", buf, sizeof buf);
  EQ("list_len", n, 31);
  show_list("list", n);
  EQ("list_size_0", syscall(SYS_listxattr, "xattr.txt", NULL, 0), 31);
  ERR("list_too_small", syscall(SYS_listxattr, "xattr.txt", buf, 10), ERANGE);
  EQ("list_plain_file", syscall(SYS_listxattr, "small.txt", buf, sizeof buf), 0);
  EQ("llist_symlink", syscall(SYS_llistxattr, "link-to-file", buf, sizeof buf), 0);
  memset(buf, 0, sizeof buf);
  n = syscall(SYS_flistxattr, fd, buf, sizeof buf);
  EQ("flist_len", n, 31);
  ERR("flist_bad_fd", syscall(SYS_flistxattr, 12345, buf, sizeof buf), EBADF);
  ERR("flist_opath", syscall(SYS_flistxattr, pfd, buf, sizeof buf), EBADF);
  ERR("list_enoent", syscall(SYS_listxattr, "nope", buf, sizeof buf), ENOENT);
  ERR("list_efault", syscall(SYS_listxattr, "xattr.txt", BAD_PTR, sizeof buf), EFAULT);
  /* A value buffer that ends in a read-only page fails whole. */
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(page + 4096, 4096, PROT_READ);
  ERR("get_crosses_readonly_page", syscall(SYS_getxattr, "xattr.txt", "user.big", page + 4096 - 10, 2000), EFAULT);
  return compat_done();
}
