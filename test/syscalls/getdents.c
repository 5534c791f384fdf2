/*
 * getdents64 (and the old getdents): entry names and types, "." and "..",
 * d_ino against stat, buffers too small for one entry, resuming at a d_off
 * with lseek, rewinding, end of directory, a directory large enough to
 * need many calls, and the errors. d_off values are opaque cookies (hashes
 * on ext4): they are used, never printed.
 */
#include "lib/compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

struct entry {
  unsigned long long ino;
  long long off;
  unsigned char type;
  char name[256];
};

static struct entry entries[1024];

/* Reads the whole directory with a buffer of bufsize bytes; returns the count, or -errno. */
static int read_all(int fd, size_t bufsize, int *calls) {
  static char buf[1 << 16];
  int n = 0;
  *calls = 0;
  for (;;) {
    long r = syscall(SYS_getdents64, fd, buf, bufsize);
    if (r < 0) return -errno;
    if (r == 0) return n;
    (*calls)++;
    for (long off = 0; off < r;) {
      struct dirent64 *d = (struct dirent64 *)(buf + off);
      entries[n].ino = d->d_ino;
      entries[n].off = d->d_off;
      entries[n].type = d->d_type;
      snprintf(entries[n].name, sizeof entries[n].name, "%s", d->d_name);
      n++;
      off += d->d_reclen;
    }
  }
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static const char *type_name(unsigned char t) {
  switch (t) {
    case DT_REG: return "reg";
    case DT_DIR: return "dir";
    case DT_LNK: return "lnk";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
  }
}

static unsigned long long ino_of(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

int main(void) {
  int calls;
  int fd = open("dir", O_RDONLY | O_DIRECTORY);
  int n = read_all(fd, 4096, &calls);
  EQ("dir_entries", n, 7);
  EQ("dir_calls", calls, 1);
  /* The order is the file system's; the set and the types are Linux's. */
  qsort(entries, n > 0 ? n : 0, sizeof entries[0], by_name);
  for (int i = 0; i < n; i++) {
    char k[64];
    snprintf(k, sizeof k, "dir_entry_%d", i);
    SHOW(k, "%s %s", entries[i].name, type_name(entries[i].type));
  }
  int inos_ok = 1;
  for (int i = 0; i < n; i++) {
    char p[300];
    const char *name = entries[i].name;
    if (strcmp(name, ".") == 0) snprintf(p, sizeof p, "dir");
    else if (strcmp(name, "..") == 0) snprintf(p, sizeof p, ".");
    else snprintf(p, sizeof p, "dir/%s", name);
    if (entries[i].ino != ino_of(p)) inos_ok = 0;
  }
  FACT("dir_d_ino_matches_stat", inos_ok);
  EQ("at_end", syscall(SYS_getdents64, fd, entries, 4096), 0);
  EQ("at_end_again", syscall(SYS_getdents64, fd, entries, 4096), 0);

  /* Rewind and read again: the same entries. */
  EQ("rewind", lseek(fd, 0, SEEK_SET), 0);
  EQ("dir_entries_after_rewind", read_all(fd, 4096, &calls), 7);

  /* One entry per call with a small buffer; then resume after entry k with lseek(d_off). */
  lseek(fd, 0, SEEK_SET);
  n = read_all(fd, 32, &calls);
  EQ("small_buffer_entries", n, 7);
  EQ("small_buffer_calls", calls, 7);
  struct entry order[8];
  memcpy(order, entries, sizeof order);
  int resume_ok = n == 7;
  for (int k = 0; k < n - 1 && resume_ok; k++) {
    if (lseek(fd, order[k].off, SEEK_SET) < 0) { resume_ok = 0; break; }
    char buf[64];
    long r = syscall(SYS_getdents64, fd, buf, 32);
    if (r <= 0 || strcmp(((struct dirent64 *)buf)->d_name, order[k + 1].name) != 0) resume_ok = 0;
  }
  FACT("resume_at_d_off", resume_ok);
  if (n == 7) {
    lseek(fd, order[6].off, SEEK_SET);
    EQ("resume_at_last_d_off_is_end", syscall(SYS_getdents64, fd, entries, 4096), 0);
  }

  /* Buffer sizes: the smallest entry ("." : 24 bytes) must fit. */
  lseek(fd, 0, SEEK_SET);
  char tiny[64];
  ERR("buffer_too_small", syscall(SYS_getdents64, fd, tiny, 10), EINVAL);
  ERR("buffer_0", syscall(SYS_getdents64, fd, tiny, 0), EINVAL);
  VAL("buffer_24", syscall(SYS_getdents64, fd, tiny, 24));

  /* A directory of 302 entries with long names. */
  int big = open("big", O_RDONLY | O_DIRECTORY);
  n = read_all(big, 4096, &calls);
  EQ("big_entries", n, 302);
  FACT("big_needs_several_calls", calls > 1);
  qsort(entries, n > 0 ? n : 0, sizeof entries[0], by_name);
  int unique = 1;
  for (int i = 1; i < n; i++) if (strcmp(entries[i - 1].name, entries[i].name) == 0) unique = 0;
  FACT("big_unique", unique);
  SHOW("big_first", "%s", n > 2 ? entries[2].name : "");
  SHOW("big_last", "%s", n > 0 ? entries[n - 1].name : "");
  lseek(big, 0, SEEK_SET);
  EQ("big_entries_large_buffer", read_all(big, 1 << 16, &calls), 302);
  EQ("big_calls_large_buffer", calls, 1);

  /* Errors. */
  lseek(fd, 0, SEEK_SET);
  ERR("efault", syscall(SYS_getdents64, fd, BAD_PTR, 4096), EFAULT);
  ERR("kernel_ptr", syscall(SYS_getdents64, fd, KERNEL_PTR, 4096), EFAULT);
  EQ("efault_did_not_advance", read_all(fd, 4096, &calls), 7);
  int file = open("small.txt", O_RDONLY);
  ERR("not_a_dir", syscall(SYS_getdents64, file, tiny, sizeof tiny), ENOTDIR);
  ERR("bad_fd", syscall(SYS_getdents64, 12345, tiny, sizeof tiny), EBADF);
  int pdir = open("dir", O_PATH);
  ERR("opath_dir", syscall(SYS_getdents64, pdir, tiny, sizeof tiny), EBADF);

  /* The old getdents (struct linux_dirent), still used by old binaries. */
  static char old[4096];
  lseek(fd, 0, SEEK_SET);
  long oldn = syscall(SYS_getdents, fd, old, sizeof old);
  VAL("getdents_old", oldn);
  /* struct linux_dirent: d_ino, d_off, d_reclen, the name, a NUL, and d_type in the record's last byte. */
  int types_ok = 1, ino_ok = 1, nold = 0;
  for (long off = 0; off < oldn;) {
    unsigned long ino = *(unsigned long *)(old + off);
    unsigned short reclen = *(unsigned short *)(old + off + 16);
    const char *name = old + off + 18;
    unsigned char type = (unsigned char)old[off + reclen - 1];
    struct stat st;
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || (strcmp(name, "..") != 0 && st.st_ino != ino)) ino_ok = 0;
    if ((type == DT_DIR) != S_ISDIR(st.st_mode) || (type == DT_LNK) != S_ISLNK(st.st_mode)) types_ok = 0;
    if (reclen % 8 != 0 || reclen < 18 + strlen(name) + 2) types_ok = 0;
    nold++;
    off += reclen ? reclen : oldn;
  }
  EQ("getdents_old_count", nold, 7);
  FACT("getdents_old_types_and_lengths", types_ok);
  FACT("getdents_old_inos", ino_ok);
  EQ("getdents_old_end", syscall(SYS_getdents, fd, old, sizeof old), 0);
  ERR("getdents_old_too_small", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents, fd, old, 10)), EINVAL);
  ERR("getdents_old_not_dir", syscall(SYS_getdents, file, old, sizeof old), ENOTDIR);
  return compat_done();
}
