/*
 * epoll: epoll_create and epoll_create1 (sizes, flags), epoll_ctl
 * (ADD/MOD/DEL and their errors: EEXIST, ENOENT, EINVAL, ELOOP, EPERM on a
 * regular file, EBADF), level- and edge-triggered readiness, EPOLLONESHOT,
 * EPOLLHUP, automatic removal on close, and epoll_wait, epoll_pwait and
 * epoll_pwait2 with zero timeouts and bad arguments. Runs in the fixture.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

static volatile int usr1;
static void on_usr1(int s) { (void)s; usr1++; }

static long ctl(int ep, int op, int fd, unsigned events, unsigned long long data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  return syscall(SYS_epoll_ctl, ep, op, fd, &ev);
}

/* epoll_wait with timeout 0 into one event. */
static struct epoll_event got;
static long wait0(int ep) {
  memset(&got, 0, sizeof got);
  return syscall(SYS_epoll_wait, ep, &got, 1, 0);
}

int main(void) {
  int p[2], q[2];
  char c = 'x';
  pipe2(p, O_NONBLOCK);
  pipe2(q, O_NONBLOCK);

  /* ---- epoll_create / epoll_create1 ---- */
  ABOUT("epoll_create");
  ERR("epoll_create_size_0", syscall(SYS_epoll_create, 0), EINVAL);
  ERR("epoll_create_size_negative", syscall(SYS_epoll_create, -1L), EINVAL);
  int ep = syscall(SYS_epoll_create, 1);
  FACT("epoll_create_fd", ep >= 0);
  EQ("epoll_create_no_cloexec", fcntl(ep, F_GETFD), 0);
  EQ("epoll_create_flags", fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
  ABOUT("epoll_create1");
  int ep1 = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
  FACT("epoll_create1_cloexec_fd", ep1 >= 0);
  EQ("epoll_create1_cloexec", fcntl(ep1, F_GETFD), FD_CLOEXEC);
  ERR("epoll_create1_bad_flags", syscall(SYS_epoll_create1, 1), EINVAL);
  ERR("epoll_create1_nonblock_flag", syscall(SYS_epoll_create1, O_NONBLOCK), EINVAL);
  int ep2 = syscall(SYS_epoll_create1, 0);
  EQ("epoll_create1_no_cloexec", fcntl(ep2, F_GETFD), 0);

  /* ---- epoll_ctl ---- */
  ABOUT("epoll_ctl");
  EQ("ctl_add", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11), 0);
  ERR("ctl_add_again", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11), EEXIST);
  ERR("ctl_mod_missing", ctl(ep, EPOLL_CTL_MOD, q[0], EPOLLIN, 0), ENOENT);
  ERR("ctl_del_missing", ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0), ENOENT);
  ERR("ctl_bad_op", ctl(ep, 99, q[0], EPOLLIN, 0), EINVAL);
  ERR("ctl_self", ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
  ERR("ctl_not_epoll", ctl(p[1], EPOLL_CTL_ADD, q[0], EPOLLIN, 0), EINVAL);
  ERR("ctl_bad_epfd", ctl(100, EPOLL_CTL_ADD, q[0], EPOLLIN, 0), EBADF);
  ERR("ctl_bad_fd", ctl(ep, EPOLL_CTL_ADD, 100, EPOLLIN, 0), EBADF);
  int reg = open("small.txt", O_RDONLY);
  ERR("ctl_regular_file_eperm", ctl(ep, EPOLL_CTL_ADD, reg, EPOLLIN, 0), EPERM);
  ERR("ctl_event_efault", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, q[0], BAD_PTR), EFAULT);
  ERR("ctl_exclusive_mod", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
  ERR("ctl_exclusive_oneshot", ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
  /* A loop of epoll instances watching each other. */
  EQ("ctl_add_epoll_in_epoll", ctl(ep1, EPOLL_CTL_ADD, ep2, EPOLLIN, 0), 0);
  ERR("ctl_loop", ctl(ep2, EPOLL_CTL_ADD, ep1, EPOLLIN, 0), ELOOP);
  EQ("ctl_del", ctl(ep1, EPOLL_CTL_DEL, ep2, 0, 0), 0);
  EQ("ctl_del_null_event", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], NULL), 0);
  EQ("ctl_readd", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11), 0);

  /* ---- epoll_wait: level-triggered ---- */
  ABOUT("epoll_wait");
  EQ("wait_nothing_ready", wait0(ep), 0);
  write(p[1], &c, 1);
  EQ("wait_level_ready", wait0(ep), 1);
  FACT("wait_level_event", got.events == EPOLLIN && got.data.u64 == 11);
  EQ("wait_level_again", wait0(ep), 1);
  read(p[0], &c, 1);
  EQ("wait_level_drained", wait0(ep), 0);
  ERR("wait_maxevents_0", syscall(SYS_epoll_wait, ep, &got, 0, 0), EINVAL);
  ERR("wait_maxevents_negative", syscall(SYS_epoll_wait, ep, &got, -1L, 0), EINVAL);
  ERR("wait_not_epoll", syscall(SYS_epoll_wait, p[0], &got, 1, 0), EINVAL);
  ERR("wait_bad_fd", syscall(SYS_epoll_wait, 100, &got, 1, 0), EBADF);
  write(p[1], &c, 1);
  ERR("wait_events_efault", syscall(SYS_epoll_wait, ep, BAD_PTR, 1, 0), EFAULT);
  read(p[0], &c, 1);
  struct epoll_event many[4];
  ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT, 22);
  write(p[1], &c, 1);
  EQ("wait_two_ready", syscall(SYS_epoll_wait, ep, many, 4, 0), 2);
  EQ("wait_maxevents_1_of_2", syscall(SYS_epoll_wait, ep, many, 1, 0), 1);
  ctl(ep, EPOLL_CTL_DEL, q[1], 0, 0);
  read(p[0], &c, 1);
  /* MOD changes the events and the data. */
  EQ("ctl_mod", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLOUT, 33), 0);
  write(p[1], &c, 1);
  EQ("wait_after_mod", wait0(ep), 1);
  FACT("wait_after_mod_data", got.data.u64 == 33 && got.events == EPOLLIN);
  read(p[0], &c, 1);

  /* ---- edge-triggered ---- */
  int e[2];
  pipe2(e, O_NONBLOCK);
  int ept = syscall(SYS_epoll_create1, 0);
  EQ("ctl_add_edge", ctl(ept, EPOLL_CTL_ADD, e[0], EPOLLIN | EPOLLET, 44), 0);
  EQ("edge_nothing", wait0(ept), 0);
  write(e[1], &c, 1);
  EQ("edge_first", wait0(ept), 1);
  EQ("edge_not_again", wait0(ept), 0);
  write(e[1], &c, 1);
  EQ("edge_new_data", wait0(ept), 1);
  EQ("edge_new_data_once", wait0(ept), 0);
  /* ---- EPOLLONESHOT ---- */
  EQ("ctl_mod_oneshot", ctl(ept, EPOLL_CTL_MOD, e[0], EPOLLIN | EPOLLONESHOT, 55), 0);
  EQ("oneshot_first", wait0(ept), 1);
  EQ("oneshot_disabled", wait0(ept), 0);
  write(e[1], &c, 1);
  EQ("oneshot_disabled_despite_data", wait0(ept), 0);
  ERR("oneshot_still_registered", ctl(ept, EPOLL_CTL_ADD, e[0], EPOLLIN, 0), EEXIST);
  EQ("ctl_mod_rearm", ctl(ept, EPOLL_CTL_MOD, e[0], EPOLLIN | EPOLLONESHOT, 66), 0);
  EQ("oneshot_rearmed", wait0(ept), 1);
  FACT("oneshot_rearmed_data", got.data.u64 == 66);
  /* ---- EPOLLHUP, and removal when the file is closed ---- */
  ctl(ept, EPOLL_CTL_MOD, e[0], EPOLLIN, 77);
  close(e[1]);
  EQ("hup_ready", wait0(ept), 1);
  EQ("hup_events", got.events, EPOLLIN | EPOLLHUP);
  close(e[0]);
  EQ("closed_fd_removed", wait0(ept), 0);
  ERR("ctl_del_closed_fd", ctl(ept, EPOLL_CTL_DEL, e[0], 0, 0), EBADF);
  /* An epoll fd is itself pollable: readable when an event is ready. */
  ctl(ep1, EPOLL_CTL_ADD, ep, EPOLLIN, 88);
  EQ("nested_nothing", wait0(ep1), 0);
  write(p[1], &c, 1);
  EQ("nested_ready", wait0(ep1), 1);
  FACT("nested_event", got.events == EPOLLIN && got.data.u64 == 88);

  /* ---- epoll_pwait ---- */
  ABOUT("epoll_pwait");
  sigset_t none, usr1set;
  sigemptyset(&none);
  sigemptyset(&usr1set);
  sigaddset(&usr1set, SIGUSR1);
  EQ("pwait_null_mask", syscall(SYS_epoll_pwait, ep, &got, 1, 0, NULL, 8), 1);
  EQ("pwait_mask", syscall(SYS_epoll_pwait, ep, &got, 1, 0, &none, 8), 1);
  ERR("pwait_bad_sigsetsize", syscall(SYS_epoll_pwait, ep, &got, 1, 0, &none, 4), EINVAL);
  ERR("pwait_maxevents_0", syscall(SYS_epoll_pwait, ep, &got, 0, 0, NULL, 8), EINVAL);
  read(p[0], &c, 1);
  EQ("pwait_timeout_0", syscall(SYS_epoll_pwait, ep, &got, 1, 0, NULL, 8), 0);
  EQ("pwait_timeout_10ms", syscall(SYS_epoll_pwait, ep, &got, 1, 10, NULL, 8), 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sigprocmask(SIG_BLOCK, &usr1set, NULL);
  raise(SIGUSR1);
  ERR("pwait_mask_unblocks_pending", syscall(SYS_epoll_pwait, ep, &got, 1, 2000, &none, 8), EINTR);
  EQ("pwait_handler_ran", usr1, 1);

  /* ---- epoll_pwait2 ---- */
  ABOUT("epoll_pwait2");
  struct timespec ts = {0, 0};
  EQ("pwait2_timeout_0", syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, NULL, 8), 0);
  ts.tv_nsec = 10000000;
  EQ("pwait2_timeout_10ms", syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, NULL, 8), 0);
  write(p[1], &c, 1);
  EQ("pwait2_null_timeout_ready", syscall(SYS_epoll_pwait2, ep, &got, 1, NULL, NULL, 8), 1);
  ts.tv_nsec = 1000000000;
  ERR("pwait2_bad_nsec", syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, NULL, 8), EINVAL);
  ts.tv_nsec = 0;
  ERR("pwait2_timeout_efault", syscall(SYS_epoll_pwait2, ep, &got, 1, BAD_PTR, NULL, 8), EFAULT);
  ERR("pwait2_bad_sigsetsize", syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, &none, 4), EINVAL);
  ERR("pwait2_maxevents_0", syscall(SYS_epoll_pwait2, ep, &got, 0, &ts, NULL, 8), EINVAL);
  EQ("pwait2_mask", syscall(SYS_epoll_pwait2, ep, &got, 1, &ts, &usr1set, 8), 1);
  sigprocmask(SIG_UNBLOCK, &usr1set, NULL);
  return compat_done();
}
