/*
 * mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore, mlock,
 * membarrier, process_vm_readv/writev: placement
 * rules, protections, file contents, splitting and merging, and every error
 * path. Addresses are never printed; their relations are.
 *
 * Accessibility is probed with system calls, never with loads and stores,
 * so that a wrong protection is an EFAULT in the output instead of a crash:
 * a page is readable if access(2) can read a path from it (any answer but
 * EFAULT), writable if clock_gettime(2) can store a timespec in it.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define PG 4096L

static int readable(const void *p) {
  errno = 0;
  long r = syscall(SYS_access, p, F_OK);
  return !(r == -1 && errno == EFAULT);
}

static int writable(void *p) {
  return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p) == 0;
}

/* "rw", "r-", "--": what the page at p allows. The write probe stores in
 * the page's last 16 bytes; the read probe reads a string from its start. */
static const char *access_of(void *p) {
  int r = readable(p), w = writable((char *)p + PG - 16);
  return r && w ? "rw" : r ? "r-" : w ? "-w" : "--";
}

static int all_zero(const unsigned char *p, long n) {
  for (long i = 0; i < n; i++) if (p[i]) return 0;
  return 1;
}

static int pattern_ok(const unsigned char *p, long off, long n) {
  for (long i = 0; i < n; i++)
    if (p[i] != (unsigned char)(((off + i) * 7 + 3) & 0xff)) return 0;
  return 1;
}

static void *map(void *addr, long len, int prot, int flags, int fd, long off) {
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* madvise advice that fork obeys, and advice that is only checked. */
static void fork_advice(void) {
  unsigned char *d = map(NULL, 3 * PG, RW, ANON, -1, 0);
  memset(d, 5, 3 * PG);
  OK("madv_dontfork", madvise(d + PG, PG, MADV_DONTFORK));
  unsigned char *w = map(NULL, 2 * PG, RW, ANON, -1, 0);
  memset(w, 6, 2 * PG);
  OK("madv_wipeonfork", madvise(w, PG, MADV_WIPEONFORK));
  unsigned char *s = map(NULL, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ERR("madv_wipeonfork_shared", madvise(s, PG, MADV_WIPEONFORK), EINVAL);
  OK("madv_dontfork_shared", madvise(s, PG, MADV_DONTFORK));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    /* 1: the DONTFORK page is gone, its neighbours are there; 2: wiped page zero, next kept; 4: shared DONTFORK gone. */
    int a = !readable(d + PG) && readable(d) && d[0] == 5 && d[2 * PG] == 5;
    int b = w[0] == 0 && w[PG - 1] == 0 && w[PG] == 6;
    int c = !readable(s);
    _exit(a + 2 * b + 4 * c);
  }
  int st;
  waitpid(pid, &st, 0);
  EQ("fork_obeys_advice", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 7);
  FACT("parent_keeps_wiped", w[0] == 6);
  OK("madv_dofork", madvise(d, 3 * PG, MADV_DOFORK));
  OK("madv_keeponfork", madvise(w, 2 * PG, MADV_KEEPONFORK));
  fflush(stdout);
  pid = fork();
  if (pid == 0) _exit(readable(d + PG) && d[PG] == 5 && w[0] == 6 ? 0 : 1);
  waitpid(pid, &st, 0);
  EQ("fork_after_undo", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  OK("madv_cold", madvise(w, PG, MADV_COLD));
  OK("madv_pageout", madvise(w, PG, MADV_PAGEOUT));
  FACT("pageout_keeps_data", w[0] == 6);
  OK("madv_populate_read", madvise(w, 2 * PG, MADV_POPULATE_READ));
  OK("madv_populate_write", madvise(w, 2 * PG, MADV_POPULATE_WRITE));
  unsigned char *n = map(NULL, PG, PROT_NONE, ANON, -1, 0);
  VAL("madv_populate_read_none", madvise(n, PG, MADV_POPULATE_READ));
  unsigned char *r = map(NULL, PG, PROT_READ, ANON, -1, 0);
  VAL("madv_populate_write_readonly", madvise(r, PG, MADV_POPULATE_WRITE));
  OK("madv_populate_read_readonly", madvise(r, PG, MADV_POPULATE_READ));
  munmap(d, 3 * PG);
  munmap(w, 2 * PG);
  munmap(s, PG);
  munmap(n, PG);
  munmap(r, PG);
}

/* msync flags and ranges; mincore's vector for touched, untouched, dropped and unmapped pages. */
static void msync_and_mincore(unsigned char *m, unsigned char *mh) {
  ERR("msync_invalidate_both", msync(m, PG, MS_INVALIDATE | MS_SYNC | MS_ASYNC), EINVAL);
  OK("msync_invalidate", msync(m, PG, MS_INVALIDATE));
  EQ("msync_len_0", msync(m, 0, MS_SYNC), 0);
  ERR("msync_across_hole", msync(mh, 3 * PG, MS_SYNC), ENOMEM);
  ERR("msync_negative_len", syscall(SYS_msync, m, -PG, MS_SYNC), ENOMEM);

  unsigned char *c = map(NULL, 4 * PG, RW, ANON, -1, 0);
  unsigned char vec[8];
  c[0] = 1;
  c[2 * PG] = 1;
  memset(vec, 0xee, sizeof vec);
  OK("mincore", syscall(SYS_mincore, c, 4 * PG, vec));
  SHOW("mincore_vec", "%d%d%d%d %d", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1, vec[4]);
  madvise(c, PG, MADV_DONTNEED);
  OK("mincore_after_dontneed", syscall(SYS_mincore, c, PG, vec));
  EQ("mincore_dropped_page", vec[0] & 1, 0);
  OK("mincore_partial_len", syscall(SYS_mincore, c + 2 * PG, 1, vec));
  EQ("mincore_partial_len_page", vec[0] & 1, 1);
  ERR("mincore_unaligned", syscall(SYS_mincore, c + 1, PG, vec), EINVAL);
  EQ("mincore_len_0", syscall(SYS_mincore, c, 0, vec), 0);
  ERR("mincore_unmapped", syscall(SYS_mincore, mh + PG, PG, vec), ENOMEM);
  ERR("mincore_across_hole", syscall(SYS_mincore, mh, 3 * PG, vec), ENOMEM);
  ERR("mincore_bad_vec", syscall(SYS_mincore, c, PG, BAD_PTR), EFAULT);
  ERR("mincore_kernel_range", syscall(SYS_mincore, KERNEL_PTR, PG, vec), ENOMEM);
  munmap(c, 4 * PG);
}

/* mlock2, mlockall, munlockall, and RLIMIT_MEMLOCK for a non-root child. */
static void mlock_family(unsigned char *m, unsigned char *mh) {
  OK("mlock2", syscall(SYS_mlock2, m, PG, 0));
  OK("mlock2_onfault", syscall(SYS_mlock2, m, PG, MLOCK_ONFAULT));
  ERR("mlock2_bad_flags", syscall(SYS_mlock2, m, PG, 2), EINVAL);
  ERR("mlock2_unmapped", syscall(SYS_mlock2, mh + PG, PG, 0), ENOMEM);
  ERR("munlock_across_hole", munlock(mh, 3 * PG), ENOMEM);
  EQ("mlock_len_0", mlock(m, 0), 0);
  OK("mlock_unaligned_addr", mlock(m + 10, 10));
  ERR("mlockall_0", mlockall(0), EINVAL);
  ERR("mlockall_onfault_alone", mlockall(MCL_ONFAULT), EINVAL);
  ERR("mlockall_bad_flags", mlockall(MCL_CURRENT | 8), EINVAL);
  OK("mlockall_future", mlockall(MCL_FUTURE));
  OK("munlockall", munlockall());
  OK("munlockall_again", munlockall());
  /* Everyone's limit for the part below (root, with CAP_IPC_LOCK, ignores it). */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) _exit(10);
    if (mlock(m, PG) != 0) _exit(11);   /* still root: not limited */
    munlock(m, PG);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(12);
    int a = mlock(m, PG) == -1 && errno == EPERM;
    int b = mlockall(MCL_CURRENT) == -1 && errno == EPERM;
    int c = syscall(SYS_mlock2, m, PG, 2) == -1 && errno == EINVAL;   /* flags before the limit */
    int d = munlock(m, PG) == 0;
    _exit(a && b && c && d ? 0 : 20 + a + 2 * b + 4 * c);
  }
  int st;
  waitpid(pid, &st, 0);
  EQ("mlock_nonroot_zero_limit", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    struct rlimit rl = {PG, PG};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) _exit(10);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(12);
    unsigned char *x = map(NULL, 2 * PG, RW, ANON, -1, 0);
    int a = mlock(x, PG) == 0;
    int b = mlock(x, PG) == 0;                                /* already locked: not counted twice */
    int c = mlock(x, 2 * PG) == -1 && errno == ENOMEM;       /* one page over */
    int d = munlock(x, PG) == 0 && mlock(x + PG, PG) == 0;   /* unlocking gives room back */
    int e = mlockall(MCL_CURRENT) == -1 && errno == ENOMEM;  /* everything mapped is far more */
    _exit(a && b && c && d && e ? 0 : 20 + a + 2 * b + 4 * c + 8 * d);
  }
  waitpid(pid, &st, 0);
  EQ("mlock_nonroot_one_page_limit", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
}

/* membarrier: what QUERY reports works; bad commands and flags are EINVAL. */
static void membarrier_cmds(void) {
  long q = syscall(SYS_membarrier, 0, 0, 0);
  FACT("membarrier_query", q >= 0);
  if (q < 0) return;
  ERR("membarrier_query_flags", syscall(SYS_membarrier, 0, 1, 0), EINVAL);
  ERR("membarrier_unknown", syscall(SYS_membarrier, 1 << 20, 0, 0), EINVAL);
  ERR("membarrier_two_cmds", syscall(SYS_membarrier, 1 | 2, 0, 0), EINVAL);
  if (q & 1) OK("membarrier_global", syscall(SYS_membarrier, 1, 0, 0));
  else SHOW("membarrier_global", "ok");
  if (q & 8) {
    ERR("membarrier_private_unregistered", syscall(SYS_membarrier, 8, 0, 0), EPERM);
    OK("membarrier_register_private", syscall(SYS_membarrier, 16, 0, 0));
    OK("membarrier_private", syscall(SYS_membarrier, 8, 0, 0));
    /* The registration goes with the memory to a forked child. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(syscall(SYS_membarrier, 8, 0, 0) == 0 ? 0 : 1);
    int st;
    waitpid(pid, &st, 0);
    EQ("membarrier_private_in_child", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  } else {
    SHOW("membarrier_private_unregistered", "-1 EPERM");
    SHOW("membarrier_register_private", "ok");
    SHOW("membarrier_private", "ok");
    SHOW("membarrier_private_in_child", "0");
  }
  if (q & 4) OK("membarrier_register_global", syscall(SYS_membarrier, 4, 0, 0));
  else SHOW("membarrier_register_global", "ok");
  if (q & 2) OK("membarrier_global_expedited", syscall(SYS_membarrier, 2, 0, 0));
  else SHOW("membarrier_global_expedited", "ok");
  if (q & 512) FACT("membarrier_registrations", (syscall(SYS_membarrier, 512, 0, 0) & (16 | 4)) == ((q & 16) | (q & 4)));
  else SHOW("membarrier_registrations", "1");
}

/* process_vm_readv/writev with a child that waits on a pipe. */
static void process_vm(unsigned char *m) {
  int ready[2], done[2];
  static unsigned char cbuf[64] = "child-data";
  if (pipe(ready) != 0 || pipe(done) != 0) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    write(ready[1], "r", 1);
    read(done[0], &c, 1);
    _exit(memcmp(cbuf, "PARENT", 6) == 0 ? 0 : 1);
  }
  char c;
  read(ready[0], &c, 1);
  unsigned char buf[64] = {0};
  struct iovec l = {buf, 10}, r = {cbuf, 10};
  EQ("pvm_readv", syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0), 10);
  FACT("pvm_readv_data", memcmp(buf, "child-data", 10) == 0);
  struct iovec l2[2] = {{buf, 3}, {buf + 3, 7}}, r2[2] = {{cbuf, 5}, {cbuf + 5, 5}};
  memset(buf, 0, sizeof buf);
  EQ("pvm_readv_split", syscall(SYS_process_vm_readv, pid, l2, 2, r2, 2, 0), 10);
  FACT("pvm_readv_split_data", memcmp(buf, "child-data", 10) == 0);
  struct iovec w = {"PARENT", 6};
  EQ("pvm_writev", syscall(SYS_process_vm_writev, pid, &w, 1, &r, 1, 0), 6);
  ERR("pvm_flags", syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 1), EINVAL);
  struct iovec rbad = {BAD_PTR, 10};
  ERR("pvm_remote_fault", syscall(SYS_process_vm_readv, pid, &l, 1, &rbad, 1, 0), EFAULT);
  struct iovec lbad = {BAD_PTR, 10};
  ERR("pvm_local_fault", syscall(SYS_process_vm_readv, pid, &lbad, 1, &r, 1, 0), EFAULT);
  ERR("pvm_bad_lvec", syscall(SYS_process_vm_readv, pid, BAD_PTR, 1, &r, 1, 0), EFAULT);
  ERR("pvm_bad_rvec", syscall(SYS_process_vm_readv, pid, &l, 1, BAD_PTR, 1, 0), EFAULT);
  ERR("pvm_too_many", syscall(SYS_process_vm_readv, pid, &l, 1025, &r, 1, 0), EINVAL);
  EQ("pvm_empty_local", syscall(SYS_process_vm_readv, pid, &l, 0, &r, 1, 0), 0);
  EQ("pvm_empty_local_no_pid", syscall(SYS_process_vm_readv, 0x3fffffff, &l, 0, &r, 1, 0), 0);
  ERR("pvm_no_pid", syscall(SYS_process_vm_readv, 0x3fffffff, &l, 1, &r, 1, 0), ESRCH);
  /* Partial: the remote range runs into a hole after 2 bytes. */
  unsigned char *edge = map(NULL, 2 * PG, RW, ANON, -1, 0);
  munmap(edge + PG, PG);
  struct iovec redge = {edge + PG - 2, 10};
  EQ("pvm_partial", syscall(SYS_process_vm_readv, getpid(), &l, 1, &redge, 1, 0), 2);
  struct iovec wro = {"x", 1}, rro = {m, 1};
  mprotect(m, PG, PROT_READ);
  ERR("pvm_write_readonly", syscall(SYS_process_vm_writev, getpid(), &wro, 1, &rro, 1, 0), EFAULT);
  mprotect(m, PG, RW);
  write(done[1], "d", 1);
  int st;
  waitpid(pid, &st, 0);
  EQ("pvm_child_saw_write", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
  /* A non-root child may not reach its root parent. */
  pid_t parent = getpid();
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(12);
    unsigned char b2[4];
    struct iovec l3 = {b2, 4}, r3 = {cbuf, 4};
    long rr = syscall(SYS_process_vm_readv, parent, &l3, 1, &r3, 1, 0);
    _exit(rr == -1 && errno == EPERM ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  EQ("pvm_nonroot_eperm", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
}

int main(void) {
  /* ---- Anonymous mappings. ---- */
  unsigned char *a = map(NULL, 3 * PG, RW, ANON, -1, 0);
  FACT("anon_ok", a != MAP_FAILED);
  FACT("anon_page_aligned", ((unsigned long)a & (PG - 1)) == 0);
  FACT("anon_zero_filled", all_zero(a, 3 * PG));
  SHOW("anon_access", "%s", access_of(a + PG));
  a[3 * PG - 1] = 7;
  FACT("anon_last_byte_usable", a[3 * PG - 1] == 7);
  unsigned char *odd = map(NULL, 100, RW, ANON, -1, 0);
  FACT("anon_length_rounded_up", odd != MAP_FAILED && writable(odd + PG - 16));

  ERR("len_0", res(map(NULL, 0, RW, ANON, -1, 0)), EINVAL);
  ERR("len_huge", res(map(NULL, 1L << 62, RW, ANON, -1, 0)), ENOMEM);
  ERR("len_minus_1", res(map(NULL, -1L, RW, ANON, -1, 0)), ENOMEM);
  ERR("no_type", res(map(NULL, PG, RW, MAP_ANONYMOUS, -1, 0)), EINVAL);
  ERR("offset_unaligned_anon", res(map(NULL, PG, RW, ANON, -1, 100)), EINVAL);
  ERR("fixed_unaligned", res(map(a + 1, PG, RW, ANON | MAP_FIXED, -1, 0)), EINVAL);
  VAL("shared_validate_anon", res(map(NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0)));
  OK("shared_anon", res(map(NULL, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)));
  VAL("unknown_prot_bit", res(map(NULL, PG, RW | 0x10, ANON, -1, 0)));
  OK("prot_none", res(map(NULL, PG, PROT_NONE, ANON, -1, 0)));
  unsigned char *lo = map(NULL, PG, RW, ANON | MAP_32BIT, -1, 0);
  FACT("map_32bit_below_2g", lo != MAP_FAILED && (unsigned long)lo < 0x80000000UL);

  /* A free hint is taken as is; MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses. */
  OK("unmap_middle", munmap(a + PG, PG));
  SHOW("hole_access", "%s", access_of(a + PG));
  void *h = map(a + PG, PG, RW, ANON, -1, 0);
  FACT("hint_taken", h == a + PG);
  ERR("fixed_noreplace_taken", res(map(a + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0)), EEXIST);
  a[PG] = 1;
  FACT("fixed_replaces", map(a + PG, PG, RW, ANON | MAP_FIXED, -1, 0) == a + PG && a[PG] == 0);
  FACT("fixed_kept_neighbours", a[3 * PG - 1] == 7);
  void *busy = map(a, PG, RW, ANON, -1, 0);
  FACT("busy_hint_moves", busy != MAP_FAILED && busy != a);

  /* Large reservations: PROT_NONE costs nothing; a large read-write mapping is only address space until touched. */
  void *big_none = map(NULL, 4L << 30, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
  FACT("reserve_4g_prot_none", big_none != MAP_FAILED);
  OK("unmap_4g", munmap(big_none, 4L << 30));
  void *big_rw = map(NULL, 2L << 30, RW, ANON | MAP_NORESERVE, -1, 0);
  FACT("map_2g_rw", big_rw != MAP_FAILED);
  if (big_rw != MAP_FAILED) munmap(big_rw, 2L << 30);

  /* ---- File mappings. ---- */
  int fd = open("data.bin", O_RDONLY);
  unsigned char *f = map(NULL, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  FACT("file_ok", f != MAP_FAILED);
  FACT("file_contents", f != MAP_FAILED && pattern_ok(f, 0, 10000));
  FACT("file_tail_of_last_page_zero", f != MAP_FAILED && all_zero(f + 10000, 3 * PG - 10000));
  SHOW("file_ro_access", "%s", access_of(f));
  unsigned char *fo = map(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
  FACT("file_offset_contents", fo != MAP_FAILED && pattern_ok(fo, PG, PG));
  ERR("file_offset_unaligned", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100)), EINVAL);
  unsigned char *fw = map(NULL, 2 * PG, RW, MAP_PRIVATE, fd, 0);
  FACT("file_private_rw_on_rdonly_fd", fw != MAP_FAILED);
  if (fw != MAP_FAILED) {
    fw[0] = 0;
    fw[PG + 1] = 0;
    unsigned char c = 1;
    FACT("private_write_not_in_file", pread(fd, &c, 1, 0) == 1 && c == 3);
    FACT("private_write_kept", fw[0] == 0 && fw[1] == 10);
  }
  ERR("file_shared_validate_map_sync", res(map(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0)), EOPNOTSUPP);
  OK("file_shared_validate", res(map(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, fd, 0)));
  ERR("file_bad_fd_len_0", res(map(NULL, 0, PROT_READ, MAP_PRIVATE, 12345, 0)), EBADF);
  ERR("file_shared_write_rdonly_fd", res(map(NULL, PG, RW, MAP_SHARED, fd, 0)), EACCES);
  unsigned char *fs = map(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  FACT("file_shared_read", fs != MAP_FAILED && pattern_ok(fs, 0, PG));
  ERR("mprotect_shared_rdonly_fd_write", mprotect(fs, PG, RW), EACCES);
  int dfd = open("dir", O_RDONLY | O_DIRECTORY);
  ERR("file_dir", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0)), ENODEV);
  int pfd = open("data.bin", O_PATH);
  ERR("file_opath", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, pfd, 0)), EBADF);
  ERR("file_bad_fd", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, 12345, 0)), EBADF);
  VAL("file_stdout", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, 1, 0)));
  int m3 = open("data.bin", 3);
  ERR("file_accmode_3", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, m3, 0)), EACCES);
  /* A mapping of an empty file: the call works; touching it would be SIGBUS. */
  int efd = open("empty", O_RDONLY);
  OK("file_empty", res(map(NULL, PG, PROT_READ, MAP_PRIVATE, efd, 0)));

  /* ---- munmap. ---- */
  unsigned char *u = map(NULL, 4 * PG, RW, ANON, -1, 0);
  ERR("munmap_unaligned", munmap(u + 1, PG), EINVAL);
  ERR("munmap_len_0", munmap(u, 0), EINVAL);
  ERR("munmap_past_task_size", munmap((void *)0x7ffffffff000UL, 2 * PG), EINVAL);
  OK("munmap_unmapped", munmap(u + PG, PG));
  OK("munmap_unmapped_again", munmap(u + PG, PG));
  OK("munmap_len_unaligned", munmap(u + 2 * PG, 1));
  SHOW("munmap_split", "%s %s %s %s", access_of(u), access_of(u + PG), access_of(u + 2 * PG), access_of(u + 3 * PG));
  OK("munmap_across_holes", munmap(u, 4 * PG));
  SHOW("munmap_across_holes_gone", "%s %s", access_of(u), access_of(u + 3 * PG));

  /* ---- mprotect. ---- */
  unsigned char *p = map(NULL, 3 * PG, RW, ANON, -1, 0);
  p[0] = 42;
  OK("mprotect_read", mprotect(p, PG, PROT_READ));
  SHOW("mprotect_read_access", "%s", access_of(p));
  FACT("mprotect_keeps_contents", p[0] == 42);
  OK("mprotect_none_middle", mprotect(p + PG, PG, PROT_NONE));
  SHOW("mprotect_split", "%s %s %s", access_of(p), access_of(p + PG), access_of(p + 2 * PG));
  OK("mprotect_back_rw", mprotect(p, 3 * PG, RW));
  SHOW("mprotect_merged", "%s %s %s", access_of(p), access_of(p + PG), access_of(p + 2 * PG));
  FACT("mprotect_none_kept_contents", p[0] == 42);
  OK("mprotect_write_only", mprotect(p, PG, PROT_WRITE));
  SHOW("mprotect_write_only_access", "%s", access_of(p));
  OK("mprotect_exec_only", mprotect(p, PG, PROT_EXEC));
  SHOW("mprotect_exec_only_access", "%s", access_of(p));
  OK("mprotect_len_0", mprotect(p, 0, PROT_NONE));
  OK("mprotect_len_unaligned", mprotect(p + 2 * PG, 1, PROT_READ));
  SHOW("mprotect_len_unaligned_access", "%s", access_of(p + 2 * PG));
  ERR("mprotect_unaligned", mprotect(p + 1, PG, RW), EINVAL);
  ERR("mprotect_bad_prot", mprotect(p, PG, 0x10), EINVAL);
  ERR("mprotect_growsdown_not_stack", mprotect(p, PG, RW | PROT_GROWSDOWN), EINVAL);
  unsigned char *gap = map(NULL, 3 * PG, RW, ANON, -1, 0);
  munmap(gap + PG, PG);
  ERR("mprotect_unmapped", mprotect(gap + PG, PG, PROT_READ), ENOMEM);
  ERR("mprotect_across_hole", mprotect(gap, 3 * PG, PROT_READ), ENOMEM);
  /* Linux changes the pages before the hole before it fails. */
  SHOW("mprotect_across_hole_first_page", "%s", access_of(gap));
  SHOW("mprotect_across_hole_last_page", "%s", access_of(gap + 2 * PG));
  ERR("write_into_readonly_page", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p + 2 * PG), EFAULT);

  /* ---- mremap. ---- */
  unsigned char *r = map(NULL, 4 * PG, RW, ANON, -1, 0);
  munmap(r + 2 * PG, 2 * PG);
  r[0] = 11;
  r[2 * PG - 1] = 12;
  void *g = mremap(r, 2 * PG, 4 * PG, 0);
  FACT("mremap_grow_in_place", g == r);
  FACT("mremap_grow_keeps_contents", g == r && r[0] == 11 && r[2 * PG - 1] == 12);
  FACT("mremap_grow_new_zero", g == r && all_zero(r + 2 * PG, 2 * PG));
  void *s = mremap(r, 4 * PG, PG, 0);
  FACT("mremap_shrink_in_place", s == r);
  SHOW("mremap_shrink_tail", "%s", access_of(r + PG));
  unsigned char *blocker = map(r + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
  FACT("mremap_blocker_placed", blocker == r + PG);
  ERR("mremap_grow_blocked", res(mremap(r, PG, 2 * PG, 0)), ENOMEM);
  unsigned char *moved = mremap(r, PG, 2 * PG, MREMAP_MAYMOVE);
  FACT("mremap_maymove_moves", moved != MAP_FAILED && moved != r);
  FACT("mremap_moved_contents", moved != MAP_FAILED && moved[0] == 11);
  SHOW("mremap_old_gone", "%s", access_of(r));
  unsigned char *target = map(NULL, 2 * PG, PROT_READ, ANON, -1, 0);
  void *fx = mremap(moved, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  FACT("mremap_fixed_to_target", fx == target);
  FACT("mremap_fixed_contents", fx == target && target[0] == 11);
  SHOW("mremap_fixed_prot_from_source", "%s", access_of(target));
  ERR("mremap_fixed_without_maymove", res(mremap(target, PG, PG, MREMAP_FIXED, r)), EINVAL);
  ERR("mremap_unaligned", res(mremap(target + 1, PG, PG, 0)), EINVAL);
  ERR("mremap_new_size_0", res(mremap(target, PG, 0, 0)), EINVAL);
  ERR("mremap_bad_flags", res(mremap(target, PG, PG, 0x100)), EINVAL);
  void *hole = map(NULL, PG, RW, ANON, -1, 0);
  munmap(hole, PG);
  ERR("mremap_unmapped", res(mremap(hole, PG, 2 * PG, MREMAP_MAYMOVE)), EFAULT);
  ERR("mremap_fixed_overlap", res(mremap(target, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + PG)), EINVAL);
  VAL("mremap_old_size_0_private", res(mremap(target, 0, PG, MREMAP_MAYMOVE)));
  unsigned char *two = map(NULL, 2 * PG, RW, ANON, -1, 0);
  mprotect(two + PG, PG, PROT_READ);
  ERR("mremap_across_vmas", res(mremap(two, 2 * PG, 4 * PG, MREMAP_MAYMOVE)), EFAULT);
  unsigned char *ff = map(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  unsigned char *fm = mremap(ff, 2 * PG, 3 * PG, MREMAP_MAYMOVE);
  FACT("mremap_file_grow", fm != MAP_FAILED && pattern_ok(fm, 0, 10000));

  /* ---- brk. ---- */
  long b0 = syscall(SYS_brk, 0);
  FACT("brk_0_nonzero", b0 > 0);
  long b1 = syscall(SYS_brk, b0 + 2 * PG);
  EQ("brk_grow_delta", b1 - b0, 2 * PG);
  FACT("brk_grow_writable_zero", b1 == b0 + 2 * PG && writable((void *)(b0 + PG)) && all_zero((unsigned char *)b0 + PG + 16, PG - 16));
  long b2 = syscall(SYS_brk, b0 + 2 * PG + 1);
  EQ("brk_unaligned_delta", b2 - b0, 2 * PG + 1);
  long b3 = syscall(SYS_brk, b0);
  EQ("brk_shrink_delta", b3 - b0, 0);
  SHOW("brk_shrunk_page", "%s", access_of((void *)(((b0 + PG - 1) & ~(PG - 1)) + PG)));
  EQ("brk_below_start_fails", syscall(SYS_brk, 1) - b0, 0);
  EQ("brk_huge_fails", syscall(SYS_brk, b0 + (1L << 46)) - b0, 0);
  EQ("brk_0_again", syscall(SYS_brk, 0) - b0, 0);

  /* ---- madvise. ---- */
  unsigned char *m = map(NULL, 2 * PG, RW, ANON, -1, 0);
  memset(m, 9, 2 * PG);
  OK("madv_dontneed", madvise(m, PG, MADV_DONTNEED));
  FACT("madv_dontneed_zeroes", all_zero(m, PG) && m[PG] == 9);
  if (fw != MAP_FAILED) {
    OK("madv_dontneed_private_file", madvise(fw, PG, MADV_DONTNEED));
    FACT("madv_dontneed_file_contents_back", pattern_ok(fw, 0, PG));
  }
  ERR("madv_unaligned", madvise(m + 1, PG, MADV_NORMAL), EINVAL);
  ERR("madv_bad_advice", madvise(m, PG, 999), EINVAL);
  EQ("madv_len_0", madvise(m, 0, MADV_NORMAL), 0);
  ERR("madv_negative_len", syscall(SYS_madvise, m, -PG, MADV_NORMAL), EINVAL);
  OK("madv_willneed", madvise(m, 2 * PG, MADV_WILLNEED));
  OK("madv_free", madvise(m, PG, MADV_FREE));
  ERR("madv_free_file", madvise(f, PG, MADV_FREE), EINVAL);
  unsigned char *mh = map(NULL, 3 * PG, RW, ANON, -1, 0);
  munmap(mh + PG, PG);
  ERR("madv_unmapped", madvise(mh + PG, PG, MADV_NORMAL), ENOMEM);
  ERR("madv_across_hole", madvise(mh, 3 * PG, MADV_NORMAL), ENOMEM);
  ERR("madv_dontneed_unmapped", madvise(mh + PG, PG, MADV_DONTNEED), ENOMEM);

  /* ---- msync, mlock. ---- */
  OK("msync", msync(m, PG, MS_SYNC));
  OK("msync_async", msync(m, PG, MS_ASYNC));
  ERR("msync_unaligned", msync(m + 1, PG, MS_SYNC), EINVAL);
  ERR("msync_both", msync(m, PG, MS_SYNC | MS_ASYNC), EINVAL);
  ERR("msync_bad_flags", msync(m, PG, 0x100), EINVAL);
  ERR("msync_unmapped", msync(mh + PG, PG, MS_SYNC), ENOMEM);
  OK("mlock", mlock(m, PG));
  OK("munlock", munlock(m, PG));
  ERR("mlock_unmapped", mlock(mh + PG, PG), ENOMEM);
  fork_advice();
  msync_and_mincore(m, mh);
  mlock_family(m, mh);
  membarrier_cmds();
  process_vm(m);
  return compat_done();
}
