/*
 * SysV shared memory: shmget (IPC_PRIVATE, keys, IPC_CREAT|IPC_EXCL, sizes),
 * shmat/shmdt (addresses, SHM_RDONLY, SHM_RND, SHM_REMAP, sharing with a
 * forked child), shmctl (IPC_STAT, IPC_SET, IPC_RMID, attach counts,
 * destruction after the last detach), permissions. The native run shares
 * the host's IPC namespace, so keys are derived from the pid and every
 * segment made is removed; ids and addresses are never printed.
 */
#include "lib/compat.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>


/* Whether addr can be read (probed with a syscall, never a load). */
static int readable(void *addr) {
  int p[2];
  if (pipe(p) != 0) return 0;
  int ok = write(p[1], addr, 1) == 1;
  close(p[0]);
  close(p[1]);
  return ok;
}

static int writable(void *addr) {
  int p[2];
  if (pipe(p) != 0) return 0;
  char c = 'w';
  int ok = write(p[1], &c, 1) == 1 && read(p[0], addr, 1) == 1;
  close(p[0]);
  close(p[1]);
  return ok;
}

int main(void) {
  key_t key = 0x5a000000 | (getpid() & 0xffffff);
  struct shmid_ds ds;

  /* shmget. */
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  FACT("get_private", id >= 0);
  int id2 = shmget(IPC_PRIVATE, 10000, 0600);
  FACT("get_private_again_new", id2 >= 0 && id2 != id);
  EQ("rmid_private2", shmctl(id2, IPC_RMID, NULL), 0);
  ERR("get_size_0", shmget(IPC_PRIVATE, 0, 0600), EINVAL);
  ERR("get_key_enoent", shmget(key, 4096, 0600), ENOENT);
  int kid = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0640);
  FACT("get_key_create", kid >= 0);
  EQ("get_key_again", shmget(key, 8192, 0600) == kid, 1);
  EQ("get_key_smaller", shmget(key, 100, 0) == kid, 1);
  ERR("get_key_larger", shmget(key, 8193, 0), EINVAL);
  ERR("get_key_excl", shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  EQ("get_key_creat_existing", shmget(key, 8192, IPC_CREAT | 0600) == kid, 1);

  /* IPC_STAT. */
  EQ("stat", shmctl(id, IPC_STAT, &ds), 0);
  EQ("stat_segsz", ds.shm_segsz, 10000);
  EQ("stat_mode", ds.shm_perm.mode, 0600);
  EQ("stat_key", ds.shm_perm.__key, IPC_PRIVATE);
  FACT("stat_uid", ds.shm_perm.uid == geteuid() && ds.shm_perm.cuid == geteuid());
  FACT("stat_cpid", ds.shm_cpid == getpid());
  EQ("stat_nattch", ds.shm_nattch, 0);
  EQ("stat_atime", ds.shm_atime, 0);
  FACT("stat_ctime", ds.shm_ctime > 0);
  EQ("stat_key_segment", shmctl(kid, IPC_STAT, &ds), 0);
  FACT("stat_key_value", ds.shm_perm.__key == key);
  EQ("stat_key_mode", ds.shm_perm.mode, 0640);
  ERR("stat_efault", shmctl(id, IPC_STAT, BAD_PTR), EFAULT);
  ERR("stat_bad_id", shmctl(-1, IPC_STAT, &ds), EINVAL);
  ERR("ctl_bad_cmd", shmctl(id, 99, &ds), EINVAL);

  /* shmat / shmdt. */
  char *p = shmat(id, NULL, 0);
  OK("attach", res(p));
  FACT("attach_aligned", ((unsigned long)p & 4095) == 0);
  FACT("attach_zeroed", readable(p) && p[0] == 0 && p[9999] == 0);
  FACT("attach_rounded_to_pages", readable(p + 12287));
  strcpy(p, "shared");
  shmctl(id, IPC_STAT, &ds);
  EQ("stat_nattch_1", ds.shm_nattch, 1);
  FACT("stat_atime_set", ds.shm_atime > 0 && ds.shm_lpid == getpid());
  char *q = shmat(id, NULL, SHM_RDONLY);
  OK("attach_rdonly", res(q));
  FACT("attach_same_pages", strcmp(q, "shared") == 0);
  FACT("rdonly_not_writable", !writable(q));
  FACT("rw_writable", writable(p));
  shmctl(id, IPC_STAT, &ds);
  EQ("stat_nattch_2", ds.shm_nattch, 2);
  EQ("detach_rdonly", shmdt(q), 0);
  FACT("detach_unmapped", !readable(q));
  ERR("detach_again", shmdt(q), EINVAL);
  ERR("detach_unaligned", shmdt(p + 1), EINVAL);
  ERR("detach_not_shm", shmdt((void *)&key), EINVAL);
  ERR("attach_unaligned", res(shmat(id, p + 1, 0)), EINVAL);
  ERR("attach_bad_id", res(shmat(-1, NULL, 0)), EINVAL);
  ERR("attach_remap_null", res(shmat(id, NULL, SHM_REMAP)), EINVAL);
  ERR("attach_overlap", res(shmat(id, p, 0)), EINVAL);
  {
    /* An address of our choosing: a reserved range replaced with SHM_REMAP, and SHM_RND. */
    char *r = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *at = shmat(id, r, SHM_REMAP);
    FACT("attach_remap_at", at == r && strcmp(at, p) == 0);
    EQ("detach_remap", shmdt(at), 0);
    at = shmat(id, r + 100, SHM_RND);
    FACT("attach_rnd", at == r && strcmp(at, p) == 0);
    EQ("detach_rnd", shmdt(at), 0);
    munmap(r, 4 * 4096);
  }

  /* Shared across fork: the child's write shows here, its exit detaches. */
  {
    pid_t c = fork();
    if (c == 0) {
      struct shmid_ds cds;
      shmctl(id, IPC_STAT, &cds);
      strcpy(p, "from child");
      _exit(cds.shm_nattch == 2 ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("fork_nattch_2", WEXITSTATUS(st), 0);
    FACT("fork_shared_write", strcmp(p, "from child") == 0);
    shmctl(id, IPC_STAT, &ds);
    EQ("nattch_after_child_exit", ds.shm_nattch, 1);
  }

  /* IPC_SET. */
  memset(&ds, 0, sizeof ds);
  shmctl(id, IPC_STAT, &ds);
  ds.shm_perm.mode = 0644;
  EQ("set", shmctl(id, IPC_SET, &ds), 0);
  shmctl(id, IPC_STAT, &ds);
  EQ("set_mode", ds.shm_perm.mode, 0644);
  ERR("set_efault", shmctl(id, IPC_SET, BAD_PTR), EFAULT);

  /* Permissions, from a child that gave up root. */
  {
    pid_t c = fork();
    if (c == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
      int ok = 1;
      struct shmid_ds cds;
      errno = 0;
      ok = ok && shmctl(kid, IPC_STAT, &cds) == -1 && errno == EACCES; /* 0640, other */
      errno = 0;
      ok = ok && shmget(key, 8192, 0400) == -1 && errno == EACCES;
      ok = ok && shmget(key, 8192, 0) >= 0; /* asking for no access is always allowed */
      ok = ok && shmctl(id, IPC_STAT, &cds) == 0; /* 0644 */
      errno = 0;
      ok = ok && shmat(id, NULL, 0) == (void *)-1 && errno == EACCES;
      void *ro = shmat(id, NULL, SHM_RDONLY);
      ok = ok && ro != (void *)-1 && shmdt(ro) == 0;
      errno = 0;
      ok = ok && shmctl(id, IPC_RMID, NULL) == -1 && errno == EPERM;
      errno = 0;
      ok = ok && shmctl(id, IPC_SET, &cds) == -1 && errno == EPERM;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("perms_child", WEXITSTATUS(st), 0);
  }

  /* IPC_RMID while attached: the key goes, the segment stays until the last detach. */
  EQ("rmid_key", shmctl(kid, IPC_RMID, NULL), 0);
  ERR("rmid_key_gone", shmget(key, 8192, 0), ENOENT);
  ERR("stat_after_rmid_unattached", shmctl(kid, IPC_STAT, &ds), EINVAL);
  EQ("rmid_attached", shmctl(id, IPC_RMID, NULL), 0);
  EQ("stat_after_rmid", shmctl(id, IPC_STAT, &ds), 0);
  EQ("stat_after_rmid_dest", (ds.shm_perm.mode & SHM_DEST) != 0, 1);
  EQ("stat_after_rmid_key", ds.shm_perm.__key, IPC_PRIVATE);
  EQ("stat_after_rmid_nattch", ds.shm_nattch, 1);
  FACT("still_mapped_after_rmid", strcmp(p, "from child") == 0);
  char *again = shmat(id, NULL, 0);
  OK("attach_after_rmid", res(again));
  FACT("attach_after_rmid_same", strcmp(again, "from child") == 0);
  EQ("detach_after_rmid", shmdt(again), 0);
  EQ("detach_last", shmdt(p), 0);
  ERR("stat_after_last_detach", shmctl(id, IPC_STAT, &ds), EINVAL);
  ERR("attach_after_destroy", res(shmat(id, NULL, 0)), EINVAL);

  /* Munmap counts as a detach too. */
  id = shmget(IPC_PRIVATE, 4096, 0600);
  p = shmat(id, NULL, 0);
  shmctl(id, IPC_RMID, NULL);
  EQ("munmap_detaches", munmap(p, 4096), 0);
  ERR("munmap_destroyed", shmctl(id, IPC_STAT, &ds), EINVAL);

  /* IPC_INFO: Linux's limits. */
  {
    struct shminfo info;
    FACT("ipc_info", shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0);
    EQ("ipc_info_shmmin", info.shmmin, 1);
    EQ("ipc_info_shmmni", info.shmmni, 4096);
  }

  return compat_done();
}
