/*
 * The mount table in /proc: /proc/self/mountinfo and /proc/mounts. The
 * native run sees the host's table and the sandbox its own, so only facts
 * that hold for every correct table are printed: every mountinfo line
 * parses as proc(5) says, mount IDs are unique, every parent is listed
 * (the root's may be out of sight), "/" and /proc (type proc) are there,
 * the st_dev of each mount point is the major:minor of its line, statvfs
 * flags agree with the options, and /proc/mounts lists the same mounts in
 * the same order.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include "lib/mountinfo.h"

#define MAX_MOUNTS 512

struct mnt {
  int id, parent;
  unsigned maj, min;
  char point[512], opts[256], type[64], super[512];
  int optional_ok;
};

static struct mnt mounts[MAX_MOUNTS];
static int nmounts;


/* One line: "id parent maj:min root point opts [optional...] - type source super". 0 if it parses. */
static int parse_line(char *line, struct mnt *m) {
  char *save = NULL;
  char *f[64];
  int n = 0;
  for (char *t = strtok_r(line, " \n", &save); t != NULL && n < 64; t = strtok_r(NULL, " \n", &save)) f[n++] = t;
  if (n < 10) return -1;
  char *end;
  m->id = (int)strtol(f[0], &end, 10);
  if (*end || m->id <= 0) return -1;
  m->parent = (int)strtol(f[1], &end, 10);
  if (*end || m->parent < 0) return -1;
  if (sscanf(f[2], "%u:%u", &m->maj, &m->min) != 2) return -1;
  if (f[3][0] != '/' || f[4][0] != '/') return -1;
  int dash = -1;
  for (int i = 6; i < n; i++) if (strcmp(f[i], "-") == 0) { dash = i; break; }
  if (dash < 0 || dash + 4 != n) return -1;
  /* Optional fields are tag[:value]: shared:N, master:N, propagate_from:N, unbindable. */
  m->optional_ok = 1;
  for (int i = 6; i < dash; i++) {
    if (strncmp(f[i], "shared:", 7) && strncmp(f[i], "master:", 7) && strncmp(f[i], "propagate_from:", 15) && strcmp(f[i], "unbindable"))
      m->optional_ok = 0;
  }
  if (strncmp(f[5], "rw", 2) && strncmp(f[5], "ro", 2)) return -1;
  if (strncmp(f[dash + 3], "rw", 2) && strncmp(f[dash + 3], "ro", 2)) return -1;
  snprintf(m->point, sizeof m->point, "%s", f[4]);
  unescape(m->point);
  snprintf(m->opts, sizeof m->opts, "%s", f[5]);
  snprintf(m->type, sizeof m->type, "%s", f[dash + 1]);
  snprintf(m->super, sizeof m->super, "%s", f[dash + 3]);
  return 0;
}

static int has_opt(const char *opts, const char *want) {
  size_t n = strlen(want);
  for (const char *p = opts; p != NULL; p = strchr(p, ',')) {
    if (*p == ',') p++;
    if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
  }
  return 0;
}

static struct mnt *by_id(int id) {
  for (int i = 0; i < nmounts; i++) if (mounts[i].id == id) return &mounts[i];
  return NULL;
}

/* The mount a path shows: the last one mounted on that point, which no other mount on the same point sits on. */
static struct mnt *top_at(const char *point) {
  struct mnt *top = NULL;
  for (int i = 0; i < nmounts; i++) {
    if (strcmp(mounts[i].point, point) != 0) continue;
    int covered = 0;
    for (int j = 0; j < nmounts; j++) if (mounts[j].parent == mounts[i].id && strcmp(mounts[j].point, point) == 0 && j != i) covered = 1;
    if (!covered) top = &mounts[i];
  }
  return top;
}

/* Reads a whole file into buf; its length, or -1. */
static long slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, size - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  return (long)len;
}

static char info[1 << 18], again[1 << 18], mtab[1 << 18], mtab2[1 << 18];

int main(void) {
  ABOUT("read");
  long len = slurp("/proc/self/mountinfo", info, sizeof info);
  FACT("mountinfo_read", len > 0);
  FACT("mountinfo_ends_with_newline", len > 0 && info[len - 1] == '\n');

  /* Parse a copy: strtok writes into it. */
  static char work[1 << 18];
  memcpy(work, info, (size_t)len + 1);
  int bad = 0, lines = 0, optional_ok = 1;
  char *save = NULL;
  for (char *line = strtok_r(work, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    lines++;
    if (nmounts >= MAX_MOUNTS || parse_line(line, &mounts[nmounts]) != 0) { bad++; continue; }
    optional_ok &= mounts[nmounts].optional_ok;
    nmounts++;
  }
  FACT("mountinfo_every_line_parses", lines > 0 && bad == 0);
  FACT("mountinfo_optional_fields_known", optional_ok);

  int dup = 0;
  for (int i = 0; i < nmounts; i++) for (int j = i + 1; j < nmounts; j++) if (mounts[i].id == mounts[j].id) dup++;
  FACT("mount_ids_unique", dup == 0);

  /* Every parent is listed, but the root's: it may name itself or a mount out of sight. */
  int orphans = 0, orphan_not_root = 0;
  for (int i = 0; i < nmounts; i++) {
    if (by_id(mounts[i].parent) != NULL) continue;
    orphans++;
    if (strcmp(mounts[i].point, "/") != 0) orphan_not_root++;
  }
  FACT("parents_listed_but_root", orphans <= 1 && orphan_not_root == 0);

  struct mnt *root = top_at("/");
  FACT("root_listed", root != NULL);
  struct mnt *proc = top_at("/proc");
  FACT("proc_listed", proc != NULL);
  FACT("proc_is_proc", proc != NULL && strcmp(proc->type, "proc") == 0);
  int proc_parent_ok = proc != NULL && by_id(proc->parent) != NULL && strcmp(by_id(proc->parent)->point, "/") == 0;
  FACT("proc_parent_is_root_mount", proc_parent_ok);

  /* st_dev of each mount point (and of a file on the root) is its line's major:minor; statvfs's flags are its options. */
  ABOUT("newfstatat");
  int dev_mismatch = 0, checked = 0;
  for (int i = 0; i < nmounts; i++) {
    struct mnt *m = top_at(mounts[i].point);
    if (m != &mounts[i] || strcmp(m->type, "autofs") == 0) continue; /* stat would trigger an automount */
    struct stat st;
    if (stat(m->point, &st) != 0) { dev_mismatch++; continue; }
    checked++;
    if (major(st.st_dev) != m->maj || minor(st.st_dev) != m->min) dev_mismatch++;
  }
  FACT("st_dev_matches_every_mount", checked > 0 && dev_mismatch == 0);
  struct stat st;
  FACT("st_dev_of_file_on_root", root != NULL && stat("/proc/..", &st) == 0 && major(st.st_dev) == root->maj && minor(st.st_dev) == root->min);
  FACT("st_dev_of_proc_file", proc != NULL && stat("/proc/self/mountinfo", &st) == 0 && major(st.st_dev) == proc->maj && minor(st.st_dev) == proc->min);

  ABOUT("statfs");
  int flag_mismatch = 0;
  for (int i = 0; i < nmounts; i++) {
    struct mnt *m = top_at(mounts[i].point);
    if (m != &mounts[i] || strcmp(m->type, "autofs") == 0) continue;
    struct statvfs v;
    if (statvfs(m->point, &v) != 0) { flag_mismatch++; continue; }
    if (!!(v.f_flag & ST_RDONLY) != (has_opt(m->opts, "ro") || has_opt(m->super, "ro"))) flag_mismatch++;
    if (!!(v.f_flag & ST_NOSUID) != has_opt(m->opts, "nosuid")) flag_mismatch++;
    if (!!(v.f_flag & ST_NODEV) != has_opt(m->opts, "nodev")) flag_mismatch++;
    if (!!(v.f_flag & ST_NOEXEC) != has_opt(m->opts, "noexec")) flag_mismatch++;
    if (!!(v.f_flag & ST_RELATIME) != has_opt(m->opts, "relatime")) flag_mismatch++;
    if (!!(v.f_flag & ST_NOATIME) != has_opt(m->opts, "noatime")) flag_mismatch++;
  }
  FACT("statvfs_flags_match_options", flag_mismatch == 0);

  /* /proc/mounts: "source point type options 0 0", the same mounts in the same order. */
  ABOUT("read");
  long mlen = slurp("/proc/mounts", mtab, sizeof mtab);
  FACT("mounts_read", mlen > 0);
  int mlines = 0, mbad = 0, order_ok = 1;
  memcpy(mtab2, mtab, (size_t)(mlen > 0 ? mlen : 0) + 1);
  save = NULL;
  for (char *line = strtok_r(mtab2, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char src[512], point[512], type[64], opts[1024];
    int a, b;
    if (sscanf(line, "%511s %511s %63s %1023s %d %d", src, point, type, opts, &a, &b) != 6 || a != 0 || b != 0) { mbad++; continue; }
    unescape(point);
    if (mlines >= nmounts || strcmp(point, mounts[mlines].point) != 0 || strcmp(type, mounts[mlines].type) != 0) order_ok = 0;
    else if (!!has_opt(opts, "ro") != !!(has_opt(mounts[mlines].opts, "ro") || has_opt(mounts[mlines].super, "ro"))) order_ok = 0;
    mlines++;
  }
  FACT("mounts_every_line_parses", mlines > 0 && mbad == 0);
  FACT("mounts_same_as_mountinfo", order_ok && mlines == nmounts);

  /* The same table through /proc/<pid>, /proc/thread-self and a second read. */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)getpid());
  FACT("pid_mountinfo_same", slurp(path, again, sizeof again) == len && memcmp(again, info, (size_t)len) == 0);
  FACT("thread_self_mountinfo_same", slurp("/proc/thread-self/mountinfo", again, sizeof again) == len && memcmp(again, info, (size_t)len) == 0);
  FACT("self_mounts_same", slurp("/proc/self/mounts", again, sizeof again) == mlen && memcmp(again, mtab, (size_t)mlen) == 0);
  char link[64];
  ABOUT("readlink");
  long n = readlink("/proc/mounts", link, sizeof link - 1);
  if (n >= 0) link[n] = '\0';
  FACT("proc_mounts_is_self_link", n > 0 && strcmp(link, "self/mounts") == 0);
  return compat_done();
}
