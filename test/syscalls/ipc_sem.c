/*
 * SysV semaphores: semget, semop/semtimedop (atomic multi-op, IPC_NOWAIT,
 * blocking until another process acts, timeouts, EINTR, SEM_UNDO at exit,
 * ERANGE), semctl (GETVAL/SETVAL/GETALL/SETALL/GETPID/GETNCNT/GETZCNT,
 * IPC_STAT/IPC_SET/IPC_RMID), permissions. Sets are IPC_PRIVATE or keyed
 * by the pid, and removed; ids are never printed.
 */
#include "lib/compat.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int op(int id, unsigned short num, short val, short flags) {
  struct sembuf b = {num, val, flags};
  return semop(id, &b, 1);
}

static void on_alarm(int s) { (void)s; }

/* Waits (bounded) until n tasks wait on the semaphore (GETNCNT or GETZCNT). */
static int wait_count(int id, int num, int cmd, int n) {
  for (int i = 0; i < 2000; i++) {
    if (semctl(id, num, cmd) == n) return 1;
    usleep(5000);
  }
  return 0;
}

int main(void) {
  key_t key = 0x5c000000 | (getpid() & 0xffffff);
  union semun arg;
  struct semid_ds ds;

  int id = semget(IPC_PRIVATE, 3, 0600);
  FACT("get_private", id >= 0);
  ERR("get_nsems_0_create", semget(IPC_PRIVATE, 0, 0600), EINVAL);
  ERR("get_nsems_negative", semget(IPC_PRIVATE, -1, 0600), EINVAL);
  ERR("get_nsems_too_many", semget(IPC_PRIVATE, 32001, 0600), EINVAL);
  ERR("get_key_enoent", semget(key, 1, 0600), ENOENT);
  int kid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
  FACT("get_key_create", kid >= 0);
  FACT("get_key_again", semget(key, 2, 0600) == kid);
  FACT("get_key_fewer", semget(key, 0, 0) == kid);
  ERR("get_key_more", semget(key, 3, 0), EINVAL);
  ERR("get_key_excl", semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);

  /* Values. */
  EQ("getval_initial", semctl(id, 0, GETVAL), 0);
  arg.val = 5;
  EQ("setval", semctl(id, 1, SETVAL, arg), 0);
  EQ("getval", semctl(id, 1, GETVAL), 5);
  FACT("getpid_after_setval", semctl(id, 1, GETPID) == getpid());
  arg.val = 32768;
  ERR("setval_erange", semctl(id, 1, SETVAL, arg), ERANGE);
  arg.val = -1;
  ERR("setval_negative", semctl(id, 1, SETVAL, arg), ERANGE);
  arg.val = 1;
  ERR("setval_bad_num", semctl(id, 3, SETVAL, arg), EINVAL);
  ERR("getval_bad_num", semctl(id, 3, GETVAL), EINVAL);
  ERR("getval_neg_num", semctl(id, -1, GETVAL), EINVAL);
  unsigned short all[3] = {1, 2, 3};
  arg.array = all;
  EQ("setall", semctl(id, 0, SETALL, arg), 0);
  unsigned short got[3] = {0};
  arg.array = got;
  EQ("getall", semctl(id, 0, GETALL, arg), 0);
  FACT("getall_values", got[0] == 1 && got[1] == 2 && got[2] == 3);
  arg.array = BAD_PTR;
  ERR("getall_efault", semctl(id, 0, GETALL, arg), EFAULT);
  ERR("setall_efault", semctl(id, 0, SETALL, arg), EFAULT);
  unsigned short big[3] = {1, 40000, 1};
  arg.array = big;
  ERR("setall_erange", semctl(id, 0, SETALL, arg), ERANGE);
  ERR("ctl_bad_cmd", semctl(id, 0, 99), EINVAL);
  ERR("ctl_bad_id", semctl(-1, 0, GETVAL), EINVAL);

  /* semop. */
  EQ("op_inc", op(id, 0, 2, 0), 0);
  EQ("op_inc_value", semctl(id, 0, GETVAL), 3);
  EQ("op_dec", op(id, 0, -3, 0), 0);
  EQ("op_dec_value", semctl(id, 0, GETVAL), 0);
  ERR("op_nowait_would_block", op(id, 0, -1, IPC_NOWAIT), EAGAIN);
  EQ("op_zero_when_zero", op(id, 0, 0, 0), 0);
  ERR("op_zero_nowait", op(id, 1, 0, IPC_NOWAIT), EAGAIN);
  FACT("op_sets_pid", semctl(id, 0, GETPID) == getpid());
  {
    /* All or nothing: the second op fails, the first does not happen. */
    struct sembuf two[2] = {{1, 1, 0}, {0, -1, IPC_NOWAIT}};
    ERR("op_atomic", semop(id, two, 2), EAGAIN);
    EQ("op_atomic_untouched", semctl(id, 1, GETVAL), 2);
    struct sembuf ok2[2] = {{1, 1, 0}, {2, -3, 0}};
    EQ("op_two", semop(id, ok2, 2), 0);
    FACT("op_two_values", semctl(id, 1, GETVAL) == 3 && semctl(id, 2, GETVAL) == 0);
    struct sembuf bad = {3, 1, 0};
    ERR("op_efbig", semop(id, &bad, 1), EFBIG);
    ERR("op_nsops_0", semop(id, &bad, 0), EINVAL);
    ERR("op_e2big", semop(id, &bad, 501), E2BIG);
    ERR("op_efault", semop(id, BAD_PTR, 1), EFAULT);
    ERR("op_bad_id", semop(-1, &bad, 1), EINVAL);
    arg.val = 32767;
    semctl(id, 2, SETVAL, arg);
    ERR("op_erange", op(id, 2, 1, 0), ERANGE);
    arg.val = 0;
    semctl(id, 2, SETVAL, arg);
  }

  /* semtimedop: a zero timeout and a short one. */
  {
    struct sembuf b = {0, -1, 0};
    struct timespec zero = {0, 0}, shortw = {0, 20000000}, bad = {0, 1000000000};
    ERR("timedop_zero", semtimedop(id, &b, 1, &zero), EAGAIN);
    ERR("timedop_timeout", semtimedop(id, &b, 1, &shortw), EAGAIN);
    ERR("timedop_bad_timeout", semtimedop(id, &b, 1, &bad), EINVAL);
    ERR("timedop_timeout_efault", semtimedop(id, &b, 1, BAD_PTR), EFAULT);
  }

  /* Blocking: a child waits for the value, GETNCNT sees it, our increment wakes it. */
  {
    pid_t c = fork();
    if (c == 0) _exit(op(id, 0, -2, 0) == 0 ? 0 : 1);
    FACT("ncnt_sees_waiter", wait_count(id, 0, GETNCNT, 1));
    EQ("zcnt_none", semctl(id, 0, GETZCNT), 0);
    EQ("op_wake", op(id, 0, 1, 0), 0);
    EQ("still_waiting_after_1", semctl(id, 0, GETNCNT), 1);
    EQ("op_wake_2", op(id, 0, 1, 0), 0);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("waiter_done", WEXITSTATUS(st), 0);
    EQ("value_after_waiter", semctl(id, 0, GETVAL), 0);
  }
  {
    /* Waiting for zero. */
    arg.val = 1;
    semctl(id, 1, SETVAL, arg);
    pid_t c = fork();
    if (c == 0) _exit(op(id, 1, 0, 0) == 0 ? 0 : 1);
    FACT("zcnt_sees_waiter", wait_count(id, 1, GETZCNT, 1));
    EQ("op_to_zero", op(id, 1, -1, 0), 0);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("zero_waiter_done", WEXITSTATUS(st), 0);
  }
  {
    /* A signal ends the wait with EINTR, even with SA_RESTART. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    ERR("op_eintr", op(id, 0, -1, 0), EINTR);
  }
  {
    /* Removing the set wakes its waiters with EIDRM. */
    int tmp = semget(IPC_PRIVATE, 1, 0600);
    pid_t c = fork();
    if (c == 0) {
      errno = 0;
      int r = op(tmp, 0, -1, 0);
      _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    wait_count(tmp, 0, GETNCNT, 1);
    EQ("rmid_with_waiter", semctl(tmp, 0, IPC_RMID), 0);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("waiter_eidrm", WEXITSTATUS(st), 0);
  }

  /* SEM_UNDO: a child's adjustments are undone when it exits. */
  {
    arg.val = 3;
    semctl(id, 2, SETVAL, arg);
    pid_t c = fork();
    if (c == 0) {
      op(id, 2, -2, SEM_UNDO);
      op(id, 2, 5, SEM_UNDO);
      op(id, 2, 1, 0);
      _exit(semctl(id, 2, GETVAL) == 7 ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("undo_child_saw", WEXITSTATUS(st), 0);
    EQ("undo_applied", semctl(id, 2, GETVAL), 4);
    FACT("undo_sets_pid", semctl(id, 2, GETPID) == c);
  }
  {
    /* SETVAL clears pending adjustments. */
    arg.val = 1;
    semctl(id, 2, SETVAL, arg);
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) return 1;
    pid_t c = fork();
    if (c == 0) {
      char x;
      op(id, 2, 1, SEM_UNDO);
      write(ready[1], "r", 1);
      read(go[0], &x, 1);
      _exit(0);
    }
    char x;
    read(ready[0], &x, 1);
    arg.val = 10;
    semctl(id, 2, SETVAL, arg);
    write(go[1], "g", 1);
    waitpid(c, NULL, 0);
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
    EQ("undo_cleared_by_setval", semctl(id, 2, GETVAL), 10);
  }

  /* IPC_STAT and IPC_SET. */
  EQ("stat", semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
  EQ("stat_nsems", ds.sem_nsems, 3);
  EQ("stat_mode", ds.sem_perm.mode, 0600);
  FACT("stat_otime", ds.sem_otime > 0);
  FACT("stat_uid", ds.sem_perm.uid == geteuid());
  ds.sem_perm.mode = 0664;
  EQ("set", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}), 0);
  semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
  EQ("set_mode", ds.sem_perm.mode, 0664);
  ERR("stat_efault", semctl(id, 0, IPC_STAT, (union semun){.buf = BAD_PTR}), EFAULT);

  /* Permissions. */
  {
    pid_t c = fork();
    if (c == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
      int ok = semctl(id, 0, GETVAL) >= 0; /* 0664: others read */
      errno = 0;
      ok = ok && op(id, 0, 1, 0) == -1 && errno == EACCES;
      errno = 0;
      ok = ok && semctl(kid, 0, GETVAL) == -1 && errno == EACCES; /* 0600 */
      errno = 0;
      ok = ok && semctl(id, 0, IPC_RMID) == -1 && errno == EPERM;
      union semun a = {.val = 1};
      errno = 0;
      ok = ok && semctl(id, 0, SETVAL, a) == -1 && errno == EACCES;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("perms_child", WEXITSTATUS(st), 0);
  }

  EQ("rmid", semctl(id, 0, IPC_RMID), 0);
  ERR("rmid_again", semctl(id, 0, IPC_RMID), EINVAL);
  ERR("getval_removed", semctl(id, 0, GETVAL), EINVAL);
  EQ("rmid_key", semctl(kid, 0, IPC_RMID), 0);
  ERR("key_gone", semget(key, 1, 0), ENOENT);
  {
    struct seminfo info;
    FACT("ipc_info", semctl(0, 0, IPC_INFO, (union semun){.buf = (struct semid_ds *)&info}) >= 0);
    EQ("ipc_info_semmsl", info.semmsl, 32000);
    EQ("ipc_info_semopm", info.semopm, 500);
    EQ("ipc_info_semvmx", info.semvmx, 32767);
  }
  return compat_done();
}
