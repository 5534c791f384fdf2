/*
 * POSIX message queues: mq_open (O_CREAT, O_EXCL, attributes, limits,
 * names), mq_send/mq_receive by priority, EMSGSIZE, O_NONBLOCK, timeouts,
 * blocking until another process acts, poll on the queue fd, mq_notify
 * with a signal, mq_getsetattr, mq_unlink, permissions. The queue names
 * carry the pid (the native run shares the host's queues) and are never
 * printed; every queue is unlinked.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static char name[64], name2[64];

static struct timespec in_ms(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  return ts;
}

static volatile sig_atomic_t notified;
static volatile int notified_code, notified_value;
static void on_usr1(int s, siginfo_t *si, void *ctx) {
  (void)s; (void)ctx;
  notified = 1;
  notified_code = si->si_code;
  notified_value = si->si_value.sival_int;
}

int main(void) {
  snprintf(name, sizeof name, "/compat-mq-%d", getpid());
  snprintf(name2, sizeof name2, "/compat-mq2-%d", getpid());
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 32}, got;

  ERR("open_enoent", mq_open(name, O_RDWR), ENOENT);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  FACT("open_create", q >= 0);
  {
    /* Linux makes every queue fd close-on-exec, asked or not. */
    int raw = syscall(SYS_mq_open, name + 1, O_RDONLY, 0, NULL);
    EQ("open_always_cloexec", fcntl(raw, F_GETFD), FD_CLOEXEC);
    close(raw);
  }
  ERR("open_excl", mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr), EEXIST);
  mqd_t r = mq_open(name, O_RDONLY);
  FACT("open_existing", r >= 0);
  EQ("getattr", mq_getattr(q, &got), 0);
  FACT("getattr_values", got.mq_maxmsg == 4 && got.mq_msgsize == 32 && got.mq_curmsgs == 0 && got.mq_flags == 0);
  {
    struct mq_attr bad = {.mq_maxmsg = 0, .mq_msgsize = 32};
    ERR("open_bad_maxmsg", mq_open(name2, O_RDWR | O_CREAT, 0600, &bad), EINVAL);
    bad.mq_maxmsg = 4;
    bad.mq_msgsize = -1;
    ERR("open_bad_msgsize", mq_open(name2, O_RDWR | O_CREAT, 0600, &bad), EINVAL);
    ERR("open_attr_efault", syscall(SYS_mq_open, name2 + 1, O_RDWR | O_CREAT, 0600, BAD_PTR), EFAULT);
    ERR("open_slash_inside", syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    ERR("open_empty_name", syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL), ENOENT);
    ERR("open_name_efault", syscall(SYS_mq_open, BAD_PTR, O_RDWR, 0, NULL), EFAULT);
    ERR("open_accmode_3", syscall(SYS_mq_open, name + 1, O_RDWR | O_WRONLY, 0, NULL), EINVAL);
    mqd_t d = mq_open(name2, O_RDWR | O_CREAT | O_CLOEXEC, 0600, NULL);
    FACT("open_defaults", d >= 0 && mq_getattr(d, &got) == 0 && got.mq_maxmsg == 10 && got.mq_msgsize == 8192);
    EQ("open_cloexec", fcntl(d, F_GETFD), FD_CLOEXEC);
    mq_close(d);
    EQ("unlink_2", mq_unlink(name2), 0);
  }

  /* Priorities: highest first, arrival order within one. */
  EQ("send_p1", mq_send(q, "low", 3, 1), 0);
  EQ("send_p5", mq_send(q, "high", 4, 5), 0);
  EQ("send_p1b", mq_send(q, "low2", 4, 1), 0);
  ERR("send_too_big", mq_send(q, "0123456789012345678901234567890123", 33, 0), EMSGSIZE);
  ERR("send_bad_prio", mq_send(q, "x", 1, 32768), EINVAL);
  ERR("send_rdonly", mq_send(r, "x", 1, 0), EBADF);
  ERR("send_bad_fd", mq_send(999, "x", 1, 0), EBADF);
  ERR("send_not_mq", mq_send(1, "x", 1, 0), EBADF);
  mq_getattr(q, &got);
  EQ("curmsgs_3", got.mq_curmsgs, 3);
  {
    char buf[64];
    unsigned prio = 99;
    struct pollfd p = {.fd = r, .events = POLLIN};
    EQ("poll_ready", poll(&p, 1, 0), 1);
    EQ("poll_revents", p.revents, POLLIN);
    ERR("receive_small_buf", mq_receive(r, buf, 31, &prio), EMSGSIZE);
    long n = mq_receive(r, buf, sizeof buf, &prio);
    EQ("receive_1", n, 4);
    FACT("receive_1_high", memcmp(buf, "high", 4) == 0 && prio == 5);
    n = mq_receive(r, buf, sizeof buf, &prio);
    FACT("receive_2_low", n == 3 && memcmp(buf, "low", 3) == 0 && prio == 1);
    n = mq_receive(r, buf, sizeof buf, NULL);
    FACT("receive_3_low2", n == 4 && memcmp(buf, "low2", 4) == 0);
    EQ("poll_empty", poll(&p, 1, 0), 0);
    struct timespec soon = in_ms(30);
    ERR("receive_timeout", mq_timedreceive(r, buf, sizeof buf, NULL, &soon), ETIMEDOUT);
    struct timespec bad = {0, 2000000000L};
    ERR("receive_bad_timeout", mq_timedreceive(r, buf, sizeof buf, NULL, &bad), EINVAL);
    ERR("receive_bad_fd", mq_receive(q + 100, buf, sizeof buf, NULL), EBADF);
    ERR("send_efault", mq_send(q, BAD_PTR, 1, 0), EFAULT);

    /* Non-blocking. */
    struct mq_attr nb = {.mq_flags = O_NONBLOCK}, old;
    EQ("setattr_nonblock", mq_setattr(r, &nb, &old), 0);
    EQ("setattr_old_flags", old.mq_flags, 0);
    ERR("receive_eagain", mq_receive(r, buf, sizeof buf, NULL), EAGAIN);
    mq_getattr(r, &got);
    EQ("getattr_nonblock", got.mq_flags, O_NONBLOCK);
    struct mq_attr badflags = {.mq_flags = 1};
    ERR("setattr_bad_flags", syscall(SYS_mq_getsetattr, r, &badflags, NULL), EINVAL);
    nb.mq_flags = 0;
    mq_setattr(r, &nb, NULL);

    /* A full queue. */
    for (int i = 0; i < 4; i++) mq_send(q, "fill", 4, 0);
    struct pollfd w = {.fd = q, .events = POLLOUT};
    EQ("poll_full", poll(&w, 1, 0), 0);
    soon = in_ms(30);
    ERR("send_timeout", mq_timedsend(q, "x", 1, 0, &soon), ETIMEDOUT);
    mqd_t qn = mq_open(name, O_WRONLY | O_NONBLOCK);
    ERR("send_eagain", mq_send(qn, "x", 1, 0), EAGAIN);
    mq_close(qn);
    /* A sender blocked in another process goes on when we make room. */
    pid_t c = fork();
    if (c == 0) _exit(mq_send(q, "late", 4, 9) == 0 ? 0 : 1);
    usleep(50000);
    EQ("make_room", mq_receive(r, buf, sizeof buf, NULL), 4);
    int st = 0;
    waitpid(c, &st, 0);
    EQ("blocked_sender", WEXITSTATUS(st), 0);
    n = mq_receive(r, buf, sizeof buf, &prio);
    FACT("late_first", n == 4 && memcmp(buf, "late", 4) == 0 && prio == 9);
    for (int i = 0; i < 3; i++) mq_receive(r, buf, sizeof buf, NULL);

    /* A receiver blocked in another process wakes on our send. */
    c = fork();
    if (c == 0) {
      char b[64];
      long m = mq_receive(r, b, sizeof b, NULL);
      _exit(m == 5 && memcmp(b, "hello", 5) == 0 ? 0 : 1);
    }
    usleep(50000);
    EQ("send_wake", mq_send(q, "hello", 5, 0), 0);
    waitpid(c, &st, 0);
    EQ("blocked_receiver", WEXITSTATUS(st), 0);
  }

  /* mq_notify with a signal: once, when a message reaches the empty queue. */
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 77;
    EQ("notify", mq_notify(q, &ev), 0);
    ERR("notify_busy_child", ({
      pid_t c = fork();
      if (c == 0) _exit(mq_notify(q, &ev) == -1 && errno == EBUSY ? 0 : 1);
      int st = 0;
      waitpid(c, &st, 0);
      WEXITSTATUS(st) == 0 ? (errno = EBUSY, -1) : 0;
    }), EBUSY);
    EQ("notify_send", mq_send(q, "n", 1, 0), 0);
    for (int i = 0; i < 200 && !notified; i++) usleep(5000);
    FACT("notified", notified);
    EQ("notified_code", notified_code, SI_MESGQ);
    EQ("notified_value", notified_value, 77);
    notified = 0;
    char buf[64];
    mq_receive(r, buf, sizeof buf, NULL);
    mq_send(q, "m", 1, 0);
    usleep(20000);
    EQ("notify_once", notified, 0);
    mq_receive(r, buf, sizeof buf, NULL);
    EQ("notify_none", mq_notify(q, &(struct sigevent){.sigev_notify = SIGEV_NONE}), 0);
    EQ("notify_remove", mq_notify(q, NULL), 0);
    ev.sigev_notify = 99;
    ERR("notify_bad", mq_notify(q, &ev), EINVAL);
    ERR("notify_bad_fd", mq_notify(999, NULL), EBADF);
  }

  /* Permissions and unlink. */
  {
    pid_t c = fork();
    if (c == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
      int ok = 1;
      errno = 0;
      ok = ok && mq_open(name, O_RDONLY) == -1 && errno == EACCES;
      errno = 0;
      ok = ok && mq_unlink(name) == -1 && errno == EACCES;
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    EQ("perms_child", WEXITSTATUS(st), 0);
  }
  EQ("unlink", mq_unlink(name), 0);
  ERR("unlink_again", mq_unlink(name), ENOENT);
  ERR("open_after_unlink", mq_open(name, O_RDWR), ENOENT);
  EQ("send_after_unlink", mq_send(q, "still", 5, 0), 0);
  {
    char buf[64];
    EQ("receive_after_unlink", mq_receive(r, buf, sizeof buf, NULL), 5);
  }
  EQ("close", mq_close(q), 0);
  EQ("close_r", mq_close(r), 0);
  return compat_done();
}
