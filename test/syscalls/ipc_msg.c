/*
 * SysV message queues: msgget, msgsnd/msgrcv (types, negative types,
 * MSG_EXCEPT, MSG_NOERROR, E2BIG, IPC_NOWAIT, MSG_COPY, blocking until a
 * sender or receiver acts, a full queue, EIDRM), msgctl (IPC_STAT,
 * IPC_SET, IPC_RMID), permissions. Queues are IPC_PRIVATE or keyed by the
 * pid, and removed; ids are never printed.
 */
#include "lib/compat.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg { long type; char text[64]; };

static int snd(int id, long type, const char *text, int flags) {
  struct msg m = {.type = type};
  strncpy(m.text, text, sizeof m.text);
  return msgsnd(id, &m, strlen(text), flags);
}

/* Receives and returns the type, with the text in out. */
static long rcv(int id, long type, int flags, char *out) {
  struct msg m;
  memset(&m, 0, sizeof m);
  long n = msgrcv(id, &m, sizeof m.text, type, flags);
  if (n < 0) return -1;
  memcpy(out, m.text, n);
  out[n] = 0;
  return m.type;
}

/* Waits (bounded) until process pid sleeps, i.e. is blocked in its call. */
static int sleeping(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  for (int i = 0; i < 2000; i++) {
    FILE *f = fopen(path, "r");
    if (f != NULL) {
      size_t n = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      buf[n] = 0;
      char *p = strrchr(buf, ')');
      if (p != NULL && p[1] == ' ' && p[2] == 'S') return 1;
    }
    usleep(5000);
  }
  return 0;
}

int main(void) {
  key_t key = 0x5d000000 | (getpid() & 0xffffff);
  char text[80];
  struct msqid_ds ds;

  int id = msgget(IPC_PRIVATE, 0600);
  FACT("get_private", id >= 0);
  ERR("get_key_enoent", msgget(key, 0600), ENOENT);
  int kid = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  FACT("get_key_create", kid >= 0);
  FACT("get_key_again", msgget(key, 0) == kid);
  ERR("get_key_excl", msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);

  /* Sending and receiving by type. */
  EQ("send_1", snd(id, 1, "one", 0), 0);
  EQ("send_2", snd(id, 2, "two", 0), 0);
  EQ("send_3", snd(id, 3, "three", 0), 0);
  EQ("send_1b", snd(id, 1, "uno", 0), 0);
  EQ("stat", msgctl(id, IPC_STAT, &ds), 0);
  EQ("stat_qnum", ds.msg_qnum, 4);
  EQ("stat_cbytes", ds.__msg_cbytes, 14);
  EQ("stat_qbytes", ds.msg_qbytes, 16384);
  FACT("stat_lspid", ds.msg_lspid == getpid() && ds.msg_lrpid == 0);
  EQ("rcv_type_2", rcv(id, 2, 0, text), 2);
  SHOW("rcv_type_2_text", "%s", text);
  EQ("rcv_except_1", rcv(id, 1, MSG_EXCEPT, text), 3);
  EQ("rcv_first", rcv(id, 0, 0, text), 1);
  SHOW("rcv_first_text", "%s", text);
  EQ("copy_0", rcv(id, 0, MSG_COPY | IPC_NOWAIT, text), 1);
  SHOW("copy_0_text", "%s", text);
  ERR("copy_1_enomsg", rcv(id, 1, MSG_COPY | IPC_NOWAIT, text), ENOMSG);
  ERR("copy_without_nowait", rcv(id, 0, MSG_COPY, text), EINVAL);
  EQ("send_5", snd(id, 5, "five", 0), 0);
  EQ("send_4", snd(id, 4, "four", 0), 0);
  EQ("rcv_negative_4", rcv(id, -4, 0, text), 1);
  EQ("rcv_negative_4_next", rcv(id, -4, 0, text), 4);
  ERR("rcv_negative_3_none", rcv(id, -3, IPC_NOWAIT, text), ENOMSG);
  ERR("rcv_type_9_none", rcv(id, 9, IPC_NOWAIT, text), ENOMSG);
  {
    struct msg m;
    EQ("send_long", snd(id, 7, "a longer message", 0), 0);
    ERR("rcv_e2big", msgrcv(id, &m, 4, 7, 0), E2BIG);
    EQ("rcv_still_there", msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qnum == 2, 1);
    EQ("rcv_noerror", msgrcv(id, &m, 4, 7, MSG_NOERROR), 4);
    FACT("rcv_noerror_text", memcmp(m.text, "a lo", 4) == 0);
    EQ("rcv_last", msgrcv(id, &m, sizeof m.text, 0, 0), 4);
    m.type = 0;
    ERR("send_type_0", msgsnd(id, &m, 1, 0), EINVAL);
    m.type = -1;
    ERR("send_type_negative", msgsnd(id, &m, 1, 0), EINVAL);
    m.type = 1;
    ERR("send_too_big", msgsnd(id, &m, 8193, 0), EINVAL);
    ERR("send_efault", msgsnd(id, BAD_PTR, 1, 0), EFAULT);
    ERR("send_bad_id", msgsnd(-1, &m, 1, 0), EINVAL);
    ERR("rcv_bad_id", msgrcv(-1, &m, 1, 0, 0), EINVAL);
    EQ("send_empty", msgsnd(id, &m, 0, 0), 0);
    EQ("rcv_empty", msgrcv(id, &m, sizeof m.text, 0, 0), 0);
  }

  /* Blocking receive, woken by a sender in another process. */
  {
    pid_t c = fork();
    if (c == 0) {
      char t[80];
      _exit(rcv(id, 42, 0, t) == 42 && strcmp(t, "wake") == 0 ? 0 : 1);
    }
    usleep(50000);
    EQ("send_wake", snd(id, 42, "wake", 0), 0);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("blocked_receiver", WEXITSTATUS(st), 0);
    msgctl(id, IPC_STAT, &ds);
    FACT("stat_lrpid_child", ds.msg_lrpid == c);
  }

  /* A full queue: IPC_NOWAIT is EAGAIN, a blocked sender goes on once there is room. */
  {
    ds.msg_qbytes = 10;
    EQ("set_qbytes", msgctl(id, IPC_SET, &ds), 0);
    EQ("fill", snd(id, 1, "12345678", 0), 0);
    ERR("full_nowait", snd(id, 1, "abc", IPC_NOWAIT), EAGAIN);
    pid_t c = fork();
    if (c == 0) _exit(snd(id, 2, "abc", 0) == 0 ? 0 : 1);
    usleep(50000);
    EQ("make_room", rcv(id, 1, 0, text), 1);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("blocked_sender", WEXITSTATUS(st), 0);
    EQ("sent_after_room", rcv(id, 0, IPC_NOWAIT, text), 2);
  }

  /* IPC_SET and permissions. */
  msgctl(id, IPC_STAT, &ds);
  ds.msg_perm.mode = 0644;
  ds.msg_qbytes = 16384;
  EQ("set_mode", msgctl(id, IPC_SET, &ds), 0);
  msgctl(id, IPC_STAT, &ds);
  EQ("set_mode_value", ds.msg_perm.mode, 0644);
  ERR("set_efault", msgctl(id, IPC_SET, BAD_PTR), EFAULT);
  ERR("stat_efault", msgctl(id, IPC_STAT, BAD_PTR), EFAULT);
  ERR("ctl_bad_cmd", msgctl(id, 99, &ds), EINVAL);
  {
    pid_t c = fork();
    if (c == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
      struct msqid_ds cds;
      char t[80];
      int ok = msgctl(id, IPC_STAT, &cds) == 0;
      errno = 0;
      ok = ok && snd(id, 1, "x", IPC_NOWAIT) == -1 && errno == EACCES;
      errno = 0;
      ok = ok && rcv(kid, 0, IPC_NOWAIT, t) == -1 && errno == EACCES;
      errno = 0;
      ok = ok && msgctl(id, IPC_RMID, NULL) == -1 && errno == EPERM;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("perms_child", WEXITSTATUS(st), 0);
  }

  /* Removal wakes a blocked receiver with EIDRM. */
  {
    pid_t c = fork();
    if (c == 0) {
      char t[80];
      errno = 0;
      long r = rcv(kid, 0, 0, t);
      _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    FACT("receiver_blocked", sleeping(c));
    EQ("rmid_key", msgctl(kid, IPC_RMID, NULL), 0);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("receiver_eidrm", WEXITSTATUS(st), 0);
  }
  EQ("rmid", msgctl(id, IPC_RMID, NULL), 0);
  ERR("rmid_again", msgctl(id, IPC_RMID, NULL), EINVAL);
  ERR("send_removed", snd(id, 1, "x", 0), EINVAL);
  ERR("key_gone", msgget(key, 0), ENOENT);
  {
    struct msginfo info;
    FACT("ipc_info", msgctl(0, IPC_INFO, (struct msqid_ds *)&info) >= 0);
    EQ("ipc_info_msgmax", info.msgmax, 8192);
    EQ("ipc_info_msgmnb", info.msgmnb, 16384);
  }
  return compat_done();
}
