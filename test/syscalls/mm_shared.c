/*
 * MAP_SHARED: file mappings coherent with read(2) and write(2), msync,
 * write-back at munmap and exit, shared memory seen across fork (anonymous
 * and file-backed), MAP_PRIVATE staying private, EACCES for a writable
 * shared mapping of a read-only file, MADV_REMOVE, remap_file_pages.
 *
 * compat: writable-dir (argv[2], empty at start): the files it maps.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096L
#define RW (PROT_READ | PROT_WRITE)

static char path[4096];

static const char *at(const char *dir, const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

static void *map(void *addr, long len, int prot, int flags, int fd, long off) {
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* A file of n bytes of 'c'. */
static int make_file(const char *p, long n, char c) {
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  char buf[PG];
  memset(buf, c, sizeof buf);
  for (long done = 0; done < n;) {
    long k = n - done < PG ? n - done : PG;
    if (write(fd, buf, k) != k) return -1;
    done += k;
  }
  return fd;
}

/* The byte at offset off of the file, read with pread. */
static int byte_at(int fd, long off) {
  unsigned char c;
  return pread(fd, &c, 1, off) == 1 ? c : -1;
}

/* Runs fn in a child and returns its exit status (or -1). */
static int in_child(int (*fn)(void *), void *arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(fn(arg));
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

static int child_reads(void *p) { return ((unsigned char *)p)[100]; }
static int child_writes(void *p) { ((unsigned char *)p)[200] = 0x42; return 0; }

/* Maps the file shared, stores, and exits without msync or munmap. */
static int child_stores_and_exits(void *p) {
  int fd = open((const char *)p, O_RDWR);
  unsigned char *m = map(NULL, PG, RW, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 1;
  m[7] = 'E';
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *rw = argv[2];

  /* ---- A shared file mapping and read/write. ---- */
  int fd = make_file(at(rw, "a"), 2 * PG, 'a');
  FACT("file_made", fd >= 0);
  unsigned char *m = map(NULL, 2 * PG, RW, MAP_SHARED, fd, 0);
  FACT("map_shared_ok", m != MAP_FAILED);
  FACT("map_sees_contents", m[0] == 'a' && m[2 * PG - 1] == 'a');
  m[10] = 'X';
  EQ("read_sees_store", byte_at(fd, 10), 'X');
  EQ("pwrite_1", pwrite(fd, "Y", 1, PG + 5), 1);
  EQ("map_sees_write", m[PG + 5], 'Y');
  /* A second mapping of the same file shares the same pages. */
  unsigned char *m2 = map(NULL, PG, RW, MAP_SHARED, fd, PG);
  FACT("second_map_ok", m2 != MAP_FAILED);
  m2[6] = 'Z';
  EQ("first_map_sees_second", m[PG + 6], 'Z');
  OK("msync_sync", msync(m, 2 * PG, MS_SYNC));
  OK("msync_async", msync(m, PG, MS_ASYNC));
  OK("msync_invalidate", msync(m, PG, MS_INVALIDATE));
  ERR("msync_bad_flags", msync(m, PG, 8), EINVAL);
  ERR("msync_unaligned", msync(m + 1, PG, MS_SYNC), EINVAL);
  /* Another open of the file reads what was stored. */
  int fd2 = open(at(rw, "a"), O_RDONLY);
  EQ("other_fd_sees_store", byte_at(fd2, 10), 'X');
  EQ("other_fd_sees_second_store", byte_at(fd2, PG + 6), 'Z');

  /* ---- Across fork: the child sees the parent's stores and the other way round. ---- */
  m[100] = 0x77;
  EQ("fork_child_reads_file_map", in_child(child_reads, m), 0x77);
  EQ("fork_child_writes_file_map", in_child(child_writes, m), 0);
  EQ("fork_parent_sees_child_store", m[200], 0x42);
  EQ("fork_file_sees_child_store", byte_at(fd2, 200), 0x42);

  unsigned char *sa = map(NULL, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  FACT("shared_anon_ok", sa != MAP_FAILED);
  sa[100] = 0x55;
  EQ("fork_child_reads_anon", in_child(child_reads, sa), 0x55);
  EQ("fork_child_writes_anon", in_child(child_writes, sa), 0);
  EQ("fork_parent_sees_anon_store", sa[200], 0x42);

  /* MAP_PRIVATE stays private: neither side sees the other's stores. */
  unsigned char *pa = map(NULL, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  pa[100] = 0x11;
  EQ("fork_child_reads_private", in_child(child_reads, pa), 0x11);
  EQ("fork_child_writes_private", in_child(child_writes, pa), 0);
  EQ("private_not_seen", pa[200], 0);
  unsigned char *pf = map(NULL, PG, RW, MAP_PRIVATE, fd, 0);
  FACT("private_file_ok", pf != MAP_FAILED);
  pf[20] = 'P';
  EQ("private_store_not_in_file", byte_at(fd, 20), 'a');
  EQ("private_store_not_in_shared", m[20], 'a');

  /* ---- Write-back at munmap and at exit. ---- */
  m[30] = 'U';
  OK("munmap", munmap(m, 2 * PG));
  OK("munmap_2", munmap(m2, PG));
  EQ("after_munmap_file_has_store", byte_at(fd2, 30), 'U');
  EQ("child_exit_status", in_child(child_stores_and_exits, (void *)at(rw, "a")), 0);
  EQ("after_exit_file_has_store", byte_at(fd2, 7), 'E');

  /* A mapping whose fd is closed still writes back. */
  int fd3 = open(at(rw, "a"), O_RDWR);
  unsigned char *m3 = map(NULL, PG, RW, MAP_SHARED, fd3, 0);
  close(fd3);
  m3[40] = 'C';
  OK("msync_closed_fd", msync(m3, PG, MS_SYNC));
  EQ("closed_fd_store_in_file", byte_at(fd2, 40), 'C');
  munmap(m3, PG);

  /* Stores past the end of the file (in its last page) never reach it. */
  int fs = make_file(at(rw, "short"), 100, 's');
  unsigned char *ms = map(NULL, PG, RW, MAP_SHARED, fs, 0);
  FACT("short_map_ok", ms != MAP_FAILED);
  FACT("short_tail_zero", ms[100] == 0 && ms[PG - 1] == 0);
  ms[50] = 'T';
  ms[200] = 'Q';
  OK("short_msync", msync(ms, PG, MS_SYNC));
  struct stat st;
  fstat(fs, &st);
  EQ("short_size_kept", st.st_size, 100);
  EQ("short_store_in_file", byte_at(fs, 50), 'T');
  /* What growing the file then shows of the stores past the old end depends on the host file system: not compared. */
  munmap(ms, PG);

  /* ---- mremap of a shared file mapping (in the sandbox, tmpfs may make it of several runs of pages). ---- */
  int fg = make_file(at(rw, "g"), 3 * PG, 'g');
  unsigned char *g1 = map(NULL, PG, RW, MAP_SHARED, fg, 0);
  unsigned char *g2 = map(NULL, 4 * PG, RW, MAP_SHARED, fg, 0);   /* its last page is past the end */
  FACT("grow_maps_ok", g1 != MAP_FAILED && g2 != MAP_FAILED);
  g2[2 * PG] = 'M';
  unsigned char *g3 = mremap(g2, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
  FACT("mremap_shared_grow", g3 != MAP_FAILED);
  if (g3 != MAP_FAILED) {
    FACT("mremap_shared_keeps_pages", g3[0] == 'g' && g3[2 * PG] == 'M');
    g3[5] = 'N';
    EQ("mremap_shared_still_shared", g1[5], 'N');
    EQ("mremap_shared_store_in_file", byte_at(fg, 5), 'N');
    OK("mremap_shared_shrink", res(mremap(g3, 6 * PG, PG, 0)));
    munmap(g3, PG);
  }
  munmap(g1, PG);

  /* ---- Permissions. ---- */
  int ro = open(at(rw, "a"), O_RDONLY);
  ERR("shared_write_on_rdonly", res(map(NULL, PG, RW, MAP_SHARED, ro, 0)), EACCES);
  unsigned char *mr = map(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
  FACT("shared_read_on_rdonly_ok", mr != MAP_FAILED);
  EQ("shared_read_sees_file", mr[30], 'U');
  EQ("pwrite_seen_by_ro_map", pwrite(fd, "W", 1, 31), 1);
  EQ("ro_map_sees_write", mr[31], 'W');
  ERR("mprotect_write_on_rdonly", mprotect(mr, PG, RW), EACCES);
  OK("private_write_on_rdonly", res(map(NULL, PG, RW, MAP_PRIVATE, ro, 0)));
  int wo = open(at(rw, "a"), O_WRONLY);
  ERR("shared_on_wronly", res(map(NULL, PG, PROT_WRITE, MAP_SHARED, wo, 0)), EACCES);

  /* ---- MADV_REMOVE, MADV_DONTNEED on shared memory. ---- */
  unsigned char *sr = map(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(sr, 9, 2 * PG);
  OK("madv_remove_anon", madvise(sr, PG, MADV_REMOVE));
  FACT("madv_remove_zeroes", sr[0] == 0 && sr[PG - 1] == 0 && sr[PG] == 9);
  memset(sr, 8, PG);
  OK("madv_dontneed_shared", madvise(sr, PG, MADV_DONTNEED));
  EQ("madv_dontneed_shared_keeps", sr[0], 8);
  ERR("madv_remove_private", madvise(pa, PG, MADV_REMOVE), EINVAL);
  ERR("madv_remove_readonly", madvise(mr, PG, MADV_REMOVE), EACCES);
  ERR("madv_free_shared", madvise(sr, PG, MADV_FREE), EINVAL);

  /* ---- remap_file_pages: the second page of the mapping shows the file's first. ---- */
  int fr = make_file(at(rw, "r"), 2 * PG, 'r');
  pwrite(fr, "0", 1, 0);
  pwrite(fr, "1", 1, PG);
  unsigned char *mf = map(NULL, 2 * PG, RW, MAP_SHARED, fr, 0);
  EQ("remap_before", mf[PG], '1');
  OK("remap_file_pages", syscall(SYS_remap_file_pages, mf + PG, PG, 0, 0, 0));
  EQ("remap_after", mf[PG], '0');
  mf[PG + 1] = 'R';
  EQ("remap_store_lands_at_offset", byte_at(fr, 1), 'R');
  ERR("remap_prot", syscall(SYS_remap_file_pages, mf, PG, PROT_READ, 0, 0), EINVAL);
  ERR("remap_private", syscall(SYS_remap_file_pages, pf, PG, 0, 0, 0), EINVAL);
  ERR("remap_unmapped", syscall(SYS_remap_file_pages, BAD_PTR, PG, 0, 0, 0), EINVAL);

  return compat_done();
}
