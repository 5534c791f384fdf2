/*
 * O_TMPFILE in the directory argv[1]: an unnamed file that reads and
 * writes, shows as "#... (deleted)", and gets a name with linkat, through
 * /proc/self/fd or AT_EMPTY_PATH, unless it was made O_EXCL. Run by
 * test/integration/filesystems.test.ts natively on a tmpfs and in the
 * sandbox on tmpfs and the overlay; the outputs must agree.
 */
#include "../syscalls/lib/compat.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *dir = argv[1];
  char path[4096], proc[64], link[4096];
  int fd;
  OK("tmpfile", fd = open(dir, O_TMPFILE | O_RDWR, 0640));
  struct stat st;
  OK("fstat", fstat(fd, &st));
  EQ("nlink", st.st_nlink, 0);
  SHOW("mode", "%o", st.st_mode & 07777);
  EQ("write", write(fd, "unnamed", 7), 7);
  char buf[16] = {0};
  EQ("pread", pread(fd, buf, 7, 0), 7);
  SHOW("bytes", "%s", buf);
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, link, sizeof link - 1);
  if (n >= 0) link[n] = 0;
  FACT("proc_link_deleted", n > 0 && strstr(link, "/#") != NULL && strstr(link, " (deleted)") != NULL);
  /* A name through the magic link. */
  snprintf(path, sizeof path, "%s/named-by-proc", dir);
  EQ("linkat_proc", linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW), 0);
  OK("stat_named", stat(path, &st));
  EQ("nlink_after_link", st.st_nlink, 1);
  EQ("size_named", st.st_size, 7);
  int again = open(path, O_RDONLY);
  memset(buf, 0, sizeof buf);
  EQ("read_named", read(again, buf, 16), 7);
  SHOW("named_bytes", "%s", buf);
  /* AT_EMPTY_PATH (root: CAP_DAC_READ_SEARCH). */
  int fd2;
  OK("tmpfile2", fd2 = open(dir, O_TMPFILE | O_WRONLY, 0600));
  snprintf(path, sizeof path, "%s/named-by-fd", dir);
  EQ("linkat_empty_path", linkat(fd2, "", AT_FDCWD, path, AT_EMPTY_PATH), 0);
  EQ("access_named_by_fd", access(path, F_OK), 0);
  /* O_EXCL: never linkable. */
  int ex;
  OK("tmpfile_excl", ex = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600));
  snprintf(path, sizeof path, "%s/never", dir);
  ERR("linkat_excl", linkat(ex, "", AT_FDCWD, path, AT_EMPTY_PATH), ENOENT);
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", ex);
  ERR("linkat_excl_proc", linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW), ENOENT);
  /* Errors. */
  ERR("tmpfile_rdonly", open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL);
  ERR("tmpfile_creat", open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
  snprintf(path, sizeof path, "%s/named-by-fd", dir);
  ERR("tmpfile_on_file", open(path, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
  snprintf(path, sizeof path, "%s/missing", dir);
  ERR("tmpfile_missing_dir", open(path, O_TMPFILE | O_RDWR, 0600), ENOENT);
  /* Unlinking the names again leaves the directory as it was. */
  snprintf(path, sizeof path, "%s/named-by-proc", dir);
  EQ("unlink1", unlink(path), 0);
  snprintf(path, sizeof path, "%s/named-by-fd", dir);
  EQ("unlink2", unlink(path), 0);
  return compat_done();
}
