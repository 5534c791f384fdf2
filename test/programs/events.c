// epoll (level, edge, one-shot), eventfd (counter and semaphore), timerfd,
// signalfd and socketpair, as Linux answers them.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_n(int ep, int timeout) {
  struct epoll_event ev[8];
  return epoll_wait(ep, ev, 8, timeout);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int p[2];
  pipe(p);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234567890ULL};
  printf("ctl_add=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  int rc = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  printf("ctl_add_again=%d errno=%s\n", rc, strerrorname_np(errno));
  printf("empty_wait=%d\n", wait_n(ep, 0));
  write(p[1], "ab", 2);
  struct epoll_event out[4];
  int n = epoll_wait(ep, out, 4, 100);
  printf("level_wait=%d events=%x data_ok=%d\n", n, out[0].events, out[0].data.u64 == 0x1234567890ULL);
  printf("level_again=%d\n", wait_n(ep, 0));
  ev.events = EPOLLIN | EPOLLET;
  epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  printf("edge_first=%d\n", wait_n(ep, 0));
  printf("edge_second=%d\n", wait_n(ep, 0));
  write(p[1], "c", 1);
  printf("edge_after_write=%d\n", wait_n(ep, 0));
  ev.events = EPOLLIN | EPOLLONESHOT;
  epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  int o1 = wait_n(ep, 0);
  int o2 = wait_n(ep, 0);
  printf("oneshot_first=%d oneshot_second=%d\n", o1, o2);
  int d1 = epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
  int d2 = epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
  printf("ctl_del=%d del_again=%d errno=%s\n", d1, d2, strerrorname_np(errno));

  int efd = eventfd(3, EFD_NONBLOCK);
  uint64_t v = 0;
  ssize_t got = read(efd, &v, 8);
  printf("eventfd_read=%zd value=%lu\n", got, (unsigned long)v);
  got = read(efd, &v, 8);
  printf("eventfd_empty=%zd errno=%s\n", got, strerrorname_np(errno));
  v = 5; write(efd, &v, 8);
  int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  read(sem, &v, 8);
  printf("sem_read=%lu ", (unsigned long)v);
  read(sem, &v, 8);
  printf("then=%lu ", (unsigned long)v);
  printf("then_empty=%zd\n", read(sem, &v, 8));

  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {.it_value = {0, 50 * 1000 * 1000}, .it_interval = {0, 20 * 1000 * 1000}};
  timerfd_settime(tfd, 0, &its, NULL);
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  n = epoll_wait(ep, out, 4, 1000);
  read(tfd, &v, 8);
  printf("timerfd_wait=%d expirations_ge1=%d\n", n, v >= 1);
  its.it_value.tv_nsec = 0; its.it_interval.tv_nsec = 0;
  timerfd_settime(tfd, 0, &its, NULL);
  struct itimerspec cur;
  timerfd_gettime(tfd, &cur);
  printf("disarmed=%d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sfd = signalfd(-1, &set, SFD_NONBLOCK);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo si = {0};
  got = read(sfd, &si, sizeof si);
  printf("signalfd_read=%zd signo=%u pid_ok=%d\n", got, si.ssi_signo, si.ssi_pid == (uint32_t)getpid());
  got = read(sfd, &si, sizeof si);
  printf("signalfd_empty=%zd errno=%s\n", got, strerrorname_np(errno));

  int sv[2];
  printf("socketpair=%d\n", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    char buf[16];
    ssize_t r = recv(sv[1], buf, sizeof buf, 0);
    send(sv[1], buf, r, 0);
    _exit(0);
  }
  send(sv[0], "hello", 5, 0);
  char buf[16] = {0};
  ssize_t r = recv(sv[0], buf, sizeof buf, 0);
  printf("echo=%zd %s\n", r, buf);
  waitpid(pid, NULL, 0);
  close(sv[1]);
  printf("after_peer_close=%zd\n", recv(sv[0], buf, sizeof buf, 0));
  int type; socklen_t len = sizeof type;
  getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len);
  printf("so_type=%d\n", type);
  puts("done");
  return 0;
}
