/*
 * compat: writable-dir
 *
 * AF_UNIX datagrams and control messages: sendto/recvfrom with names,
 * connected datagram sockets, message boundaries and truncation, queue
 * limits, SCM_RIGHTS and SCM_CREDENTIALS (with MSG_CTRUNC and
 * MSG_CMSG_CLOEXEC), sendmmsg/recvmmsg, msghdr errors, epoll readiness.
 * Socket paths live in the writable directory argv[2]; abstract names
 * carry the pid (the native runs share the host's namespace).
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static volatile int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static socklen_t path_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  strcpy(a->sun_path, name);
  return offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1;
}

static socklen_t abs_addr(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "tsvisor-%d-%s", getpid(), name);
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int bound_dgram(const char *name) {
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, name);
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (bind(s, (struct sockaddr *)&a, l) != 0) perror(name);
  return s;
}

static int revents(int fd, short events) {
  struct pollfd p = { fd, events, 0 };
  if (poll(&p, 1, 0) < 0) return -1;
  return p.revents;
}

static int sockopt_int(int fd, int name) {
  int v = -12345;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, name, &v, &l) != 0) return -errno;
  return v;
}

/* Sends data with one SCM_RIGHTS message carrying fds. */
static long send_fds(int s, const char *data, size_t len, const int *fds, int n) {
  char ctl[CMSG_SPACE(sizeof(int) * 256)];
  struct iovec iov = { (void *)data, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
  memset(ctl, 0, sizeof ctl);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  return sendmsg(s, &m, 0);
}

static long send_cred(int s, pid_t pid, uid_t uid, gid_t gid) {
  char ctl[CMSG_SPACE(sizeof(struct ucred))];
  struct ucred cr = { pid, uid, gid };
  struct iovec iov = { "c", 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof cr);
  memcpy(CMSG_DATA(c), &cr, sizeof cr);
  return sendmsg(s, &m, 0);
}

/* A received message: its data length, flags, and what its control part held. */
struct received {
  long n;
  int flags;
  size_t controllen;
  int nfds, fds[256];
  int has_cred, cred_first;
  struct ucred cred;
};

static long recv_all(int s, char *buf, size_t len, size_t ctlspace, int flags, struct received *r) {
  static char ctl[8192];
  struct iovec iov = { buf, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctlspace ? ctl : NULL, .msg_controllen = ctlspace };
  memset(r, 0, sizeof *r);
  memset(ctl, 0, sizeof ctl);
  r->n = recvmsg(s, &m, flags);
  if (r->n < 0) return r->n;
  r->flags = m.msg_flags;
  r->controllen = m.msg_controllen;
  int first = 1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      memcpy(r->fds + r->nfds, CMSG_DATA(c), n * sizeof(int));
      r->nfds += n;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof r->cred)) {
      memcpy(&r->cred, CMSG_DATA(c), sizeof r->cred);
      r->has_cred = 1;
      r->cred_first = first;
    }
    first = 0;
  }
  return r->n;
}

static void test_dgram_names(void) {
  struct sockaddr_un a, from;
  socklen_t l, fl;
  char buf[64];
  int r = bound_dgram("r1");
  int s = bound_dgram("s1");
  int u = socket(AF_UNIX, SOCK_DGRAM, 0);
  l = path_addr(&a, "r1");
  EQ("sendto_path", sendto(s, "hello", 5, 0, (struct sockaddr *)&a, l), 5);
  fl = sizeof from;
  EQ("recvfrom_path", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 5);
  FACT("recvfrom_sender_name", fl == path_addr(&a, "s1") && strcmp(from.sun_path, "s1") == 0);
  l = path_addr(&a, "r1");
  EQ("sendto_unbound_sender", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), 1);
  fl = sizeof from;
  EQ("recvfrom_unbound_sender", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 1);
  EQ("recvfrom_unbound_sender_len", fl, 0);
  sendto(s, "y", 1, 0, (struct sockaddr *)&a, l);
  fl = 3;
  memset(&from, 0, sizeof from);
  EQ("recvfrom_short_addr", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 1);
  FACT("recvfrom_short_addr_len", fl == path_addr(&a, "s1") && from.sun_path[0] == 's' && from.sun_path[1] == 0);
  l = path_addr(&a, "r1");
  ERR("send_unconnected_dgram", send(u, "x", 1, 0), ENOTCONN);
  l = path_addr(&a, "missing");
  ERR("sendto_missing_path", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), ENOENT);
  int f = open("plain", O_WRONLY | O_CREAT, 0644);
  close(f);
  l = path_addr(&a, "plain");
  ERR("sendto_regular_file", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), ECONNREFUSED);
  l = path_addr(&a, "r1");
  ERR("sendto_len_1", sendto(u, "x", 1, 0, (struct sockaddr *)&a, 1), EINVAL);
  ERR("sendto_len_200", sendto(u, "x", 1, 0, (struct sockaddr *)&a, 200), EINVAL);
  ERR("sendto_addr_efault", sendto(u, "x", 1, 0, BAD_PTR, l), EFAULT);
  a.sun_family = AF_INET;
  ERR("sendto_wrong_family", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), EINVAL);
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  l = path_addr(&a, "stream-sock");
  bind(st, (struct sockaddr *)&a, l);
  ERR("sendto_stream_socket", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), EPROTOTYPE);
  ERR("connect_dgram_to_stream", connect(u, (struct sockaddr *)&a, l), EPROTOTYPE);
  close(st);
  l = abs_addr(&a, "nobody");
  ERR("sendto_abstract_nobody", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), ECONNREFUSED);
  int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
  l = abs_addr(&a, "dgram");
  bind(ab, (struct sockaddr *)&a, l);
  EQ("sendto_abstract", sendto(u, "abs", 3, 0, (struct sockaddr *)&a, l), 3);
  EQ("recv_abstract", recv(ab, buf, sizeof buf, 0), 3);
  close(ab);
  /* Message boundaries, peeking and truncation. */
  l = path_addr(&a, "r1");
  sendto(s, "abcdef", 6, 0, (struct sockaddr *)&a, l);
  sendto(s, "gh", 2, 0, (struct sockaddr *)&a, l);
  EQ("dgram_peek", recv(r, buf, sizeof buf, MSG_PEEK), 6);
  EQ("dgram_peek_trunc", recv(r, buf, 1, MSG_PEEK | MSG_TRUNC), 6);
  char small[3];
  struct iovec iov = { small, 3 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  EQ("dgram_recvmsg_truncated", recvmsg(r, &m, 0), 3);
  EQ("dgram_msg_flags_trunc", m.msg_flags, MSG_TRUNC);
  EQ("dgram_next_message", recv(r, buf, sizeof buf, 0), 2);
  sendto(s, "", 0, 0, (struct sockaddr *)&a, l);
  EQ("dgram_empty_message", recv(r, buf, sizeof buf, MSG_DONTWAIT), 0);
  ERR("dgram_queue_empty", recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  sendto(s, "abc", 3, 0, (struct sockaddr *)&a, l);
  EQ("read_dgram_truncates", read(r, buf, 2), 2);
  ERR("read_dgram_rest_gone", recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  sendto(s, "abc", 3, 0, (struct sockaddr *)&a, l);
  ERR("recv_efault_dgram", recv(r, BAD_PTR, 3, 0), EFAULT);
  VAL("recv_efault_dgram_lost", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  /* Send buffer limits a datagram's size. */
  int sb = 4096;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
  static char big[300000];
  EQ("dgram_max_size", sendto(s, big, 8192 - 32, 0, (struct sockaddr *)&a, l), 8192 - 32);
  ERR("dgram_emsgsize", sendto(s, big, 8192 - 31, 0, (struct sockaddr *)&a, l), EMSGSIZE);
  EQ("dgram_big_recv", recv(r, big, sizeof big, 0), 8192 - 32);
  /* The receive queue holds max_dgram_qlen + 1 messages from others. */
  int n = 0;
  while (sendto(u, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&a, l) == 1 && n < 100) n++;
  int qerr = errno;
  EQ("dgram_queue_limit", n, 11);
  SHOW("dgram_queue_full_errno", "%s", ename(qerr));
  int c = socket(AF_UNIX, SOCK_DGRAM, 0);
  connect(c, (struct sockaddr *)&a, l);
  EQ("poll_connected_peer_full", revents(c, POLLOUT | POLLIN), 0);
  recv(r, buf, sizeof buf, 0);
  EQ("poll_connected_peer_room", revents(c, POLLOUT | POLLIN), POLLOUT);
  /* A blocking sender waits for room. */
  sendto(u, "q", 1, 0, (struct sockaddr *)&a, l);
  pid_t child = fork();
  if (child == 0) { usleep(50000); recv(r, buf, sizeof buf, 0); _exit(0); }
  EQ("dgram_blocking_send_waits", send(c, "w", 1, 0), 1);
  waitpid(child, NULL, 0);
  while (recv(r, buf, sizeof buf, MSG_DONTWAIT) >= 0) {}
  close(c);
  close(r); close(s); close(u);
}

static void test_dgram_connected(void) {
  struct sockaddr_un a, g;
  socklen_t l, gl;
  char buf[16];
  int A = bound_dgram("A"), B = bound_dgram("B"), C = bound_dgram("C");
  l = path_addr(&a, "B");
  OK("dgram_connect", connect(A, (struct sockaddr *)&a, l));
  gl = sizeof g;
  OK("dgram_getpeername", getpeername(A, (struct sockaddr *)&g, &gl));
  FACT("dgram_getpeername_is_b", strcmp(g.sun_path, "B") == 0);
  EQ("dgram_send_connected", send(A, "ab", 2, 0), 2);
  EQ("dgram_recv_connected", recv(B, buf, sizeof buf, 0), 2);
  l = path_addr(&a, "C");
  EQ("dgram_sendto_other_while_connected", sendto(A, "c", 1, 0, (struct sockaddr *)&a, l), 1);
  EQ("dgram_recv_other", recv(C, buf, sizeof buf, 0), 1);
  /* A connected socket hears only its peer. */
  l = path_addr(&a, "B");
  connect(B, (struct sockaddr *)&a, path_addr(&a, "A"));
  l = path_addr(&a, "A");
  ERR("dgram_sendto_connected_elsewhere", sendto(C, "x", 1, 0, (struct sockaddr *)&a, l), EPERM);
  ERR("dgram_connect_to_connected_elsewhere", connect(C, (struct sockaddr *)&a, l), EPERM);
  /* Reconnecting drops what was queued, and the old peer, connected back, hears ECONNRESET. */
  send(B, "lost", 4, 0);
  l = path_addr(&a, "C");
  OK("dgram_reconnect", connect(A, (struct sockaddr *)&a, l));
  ERR("dgram_reconnect_purged", recv(A, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  EQ("dgram_old_peer_so_error", sockopt_int(B, SO_ERROR), ECONNRESET);
  /* AF_UNSPEC disconnects. */
  struct sockaddr unspec = { .sa_family = AF_UNSPEC };
  OK("dgram_disconnect", connect(A, &unspec, sizeof unspec));
  ERR("dgram_send_after_disconnect", send(A, "x", 1, 0), ENOTCONN);
  gl = sizeof g;
  ERR("dgram_getpeername_after_disconnect", getpeername(A, (struct sockaddr *)&g, &gl), ENOTCONN);
  ERR("dgram_connect_len_1", connect(A, &unspec, 1), EINVAL);
  close(A); close(B); close(C);

  /* The peer closes: ECONNREFUSED once, then not connected. */
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  EQ("dgram_pair_poll", revents(sv[0], POLLIN | POLLOUT), POLLOUT);
  close(sv[1]);
  EQ("dgram_poll_peer_closed", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
  ERR("dgram_send_peer_closed", send(sv[0], "x", 1, 0), ECONNREFUSED);
  ERR("dgram_send_peer_closed_again", send(sv[0], "x", 1, 0), ENOTCONN);
  ERR("dgram_recv_peer_closed", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
  close(sv[0]);

  /* Shutdown on datagram sockets acts on this end only. */
  signal(SIGPIPE, on_sigpipe);
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  OK("dgram_shutdown_rd", shutdown(sv[0], SHUT_RD));
  ERR("dgram_recv_shut_rd_nonblock", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
  struct timeval tv = { 0, 200000 };
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EQ("dgram_recv_shut_rd_blocking", recv(sv[0], buf, 1, 0), 0);
  sigpipes = 0;
  ERR("dgram_send_to_shut_rd", send(sv[1], "x", 1, 0), EPIPE);
  OK("dgram_shutdown_wr", shutdown(sv[1], SHUT_WR));
  ERR("dgram_send_after_shut_wr", send(sv[1], "x", 1, 0), EPIPE);
  EQ("dgram_epipe_sigpipes", sigpipes, 0);
  EQ("dgram_poll_shut_rd", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
  signal(SIGPIPE, SIG_DFL);
  close(sv[0]); close(sv[1]);
}

static void test_rights(void) {
  int sv[2], p[2];
  char buf[64];
  struct received r;
  signal(SIGPIPE, SIG_IGN);
  /* A pipe's read end travels; the receiver reads what the sender wrote. */
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  if (pipe(p) != 0) perror("pipe");
  EQ("rights_send", send_fds(sv[0], "fd", 2, &p[0], 1), 2);
  close(p[0]);
  write(p[1], "through the pipe", 16);
  EQ("rights_recv", recv_all(sv[1], buf, sizeof buf, 64, 0, &r), 2);
  EQ("rights_recv_count", r.nfds, 1);
  EQ("rights_recv_fd_number", r.fds[0], p[0]);
  EQ("rights_controllen", r.controllen, CMSG_SPACE(sizeof(int)));
  EQ("rights_flags", r.flags, 0);
  EQ("rights_read_through_fd", read(r.fds[0], buf, sizeof buf), 16);
  FACT("rights_no_cloexec", !(fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC));
  int got = r.fds[0];
  /* MSG_CMSG_CLOEXEC. */
  send_fds(sv[0], "x", 1, &p[1], 1);
  recv_all(sv[1], buf, sizeof buf, 64, MSG_CMSG_CLOEXEC, &r);
  FACT("rights_cmsg_cloexec", r.nfds == 1 && (fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC));
  VAL("rights_cmsg_cloexec_flags", r.flags);
  close(r.fds[0]);
  /* Peeking installs the descriptions too. */
  send_fds(sv[0], "x", 1, &p[1], 1);
  recv_all(sv[1], buf, sizeof buf, 64, MSG_PEEK, &r);
  EQ("rights_peek_count", r.nfds, 1);
  close(r.fds[0]);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  EQ("rights_after_peek_count", r.nfds, 1);
  close(r.fds[0]);
  /* A short control buffer: what fits is installed, the rest is closed, MSG_CTRUNC. */
  int three[3] = { p[1], p[1], p[1] };
  send_fds(sv[0], "x", 1, three, 3);
  /* Room is counted in ints: CMSG_LEN(one int) holds one fd, CMSG_SPACE(one int) two. */
  recv_all(sv[1], buf, sizeof buf, CMSG_LEN(sizeof(int)), 0, &r);
  EQ("rights_ctrunc_count", r.nfds, 1);
  EQ("rights_ctrunc_flags", r.flags, MSG_CTRUNC);
  EQ("rights_ctrunc_controllen", r.controllen, CMSG_LEN(sizeof(int)));
  ERR("rights_ctrunc_rest_closed", fcntl(r.fds[0] + 1, F_GETFD), EBADF);
  close(r.fds[0]);
  /* No control buffer: the read end is dropped, so the pipe has no reader left. */
  send_fds(sv[0], "x", 1, &got, 1);
  close(got);
  recv_all(sv[1], buf, sizeof buf, 0, 0, &r);
  EQ("rights_no_buffer_flags", r.flags, MSG_CTRUNC);
  ERR("rights_dropped_closes_file", write(p[1], "x", 1), EPIPE);
  close(p[1]);
  /* Errors in what is sent. */
  int bad = 99;
  ERR("rights_ebadf", send_fds(sv[0], "x", 1, &bad, 1), EBADF);
  int many[254];
  for (int i = 0; i < 254; i++) many[i] = sv[0];
  ERR("rights_too_many", send_fds(sv[0], "x", 1, many, 254), EINVAL);
  EQ("rights_max", send_fds(sv[0], "x", 1, many, 253), 1);
  recv_all(sv[1], buf, sizeof buf, sizeof(((struct received *)0)->fds) + 64, 0, &r);
  EQ("rights_max_count", r.nfds, 253);
  for (int i = 0; i < r.nfds; i++) close(r.fds[i]);
  /* A socket can carry itself; rights on a stream end the read there. */
  close(sv[0]); close(sv[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  if (pipe(p) != 0) perror("pipe");
  send(sv[0], "ab", 2, 0);
  send_fds(sv[0], "cd", 2, &p[0], 1);
  send(sv[0], "ef", 2, 0);
  VAL("rights_stream_first_read", recv_all(sv[1], buf, sizeof buf, 64, 0, &r));
  VAL("rights_stream_first_read_fds", r.nfds);
  if (r.nfds) close(r.fds[0]);
  VAL("rights_stream_second_read", recv_all(sv[1], buf, sizeof buf, 64, 0, &r));
  VAL("rights_stream_second_read_fds", r.nfds);
  if (r.nfds) close(r.fds[0]);
  EQ("rights_stream_empty_data", send_fds(sv[0], "", 0, &p[0], 1), 0);
  ERR("rights_stream_empty_data_nothing_sent", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  close(p[0]); close(p[1]);
  /* Malformed control messages. */
  char ctl[64];
  struct iovec iov = { "x", 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int)) };
  struct cmsghdr *c = (struct cmsghdr *)ctl;
  memset(ctl, 0, sizeof ctl);
  c->cmsg_len = 8; c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS;
  ERR("cmsg_len_too_small", sendmsg(sv[0], &m, 0), EINVAL);
  c->cmsg_len = 64;
  ERR("cmsg_len_past_buffer", sendmsg(sv[0], &m, 0), EINVAL);
  c->cmsg_len = CMSG_LEN(sizeof(int)); c->cmsg_type = 99;
  ERR("cmsg_unknown_type", sendmsg(sv[0], &m, 0), EINVAL);
  c->cmsg_level = 0;
  EQ("cmsg_other_level_ignored", sendmsg(sv[0], &m, 0), 1);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_CREDENTIALS;
  ERR("cmsg_credentials_bad_len", sendmsg(sv[0], &m, 0), EINVAL);
  m.msg_controllen = 8;
  EQ("cmsg_controllen_below_header", sendmsg(sv[0], &m, 0), 1);
  m.msg_control = BAD_PTR; m.msg_controllen = 32;
  ERR("cmsg_control_efault", sendmsg(sv[0], &m, 0), EFAULT);
  while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {}
  close(sv[0]); close(sv[1]);
  signal(SIGPIPE, SIG_DFL);
}

static void test_credentials(void) {
  int sv[2], on = 1;
  char buf[16];
  struct received r;
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  send(sv[0], "a", 1, 0);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  EQ("cred_not_asked", r.has_cred, 0);
  OK("cred_passcred_on", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
  send(sv[0], "a", 1, 0);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  FACT("cred_received", r.has_cred && r.cred.pid == getpid() && r.cred.uid == getuid() && r.cred.gid == getgid());
  EQ("cred_controllen", r.controllen, CMSG_SPACE(sizeof(struct ucred)));
  EQ("cred_explicit_self", send_cred(sv[0], getpid(), getuid(), getgid()), 1);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  FACT("cred_explicit_self_received", r.cred.pid == getpid());
  /* Root may speak for others (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID). */
  EQ("cred_root_other_ids", send_cred(sv[0], 1, 1234, 5678), 1);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  FACT("cred_root_other_ids_received", r.cred.pid == 1 && r.cred.uid == 1234 && r.cred.gid == 5678);
  ERR("cred_invalid_uid", send_cred(sv[0], getpid(), -1, 0), EINVAL);
  VAL("cred_missing_pid", send_cred(sv[0], 4000000, 0, 0));
  while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {}
  /* Credentials come before rights; a small buffer truncates them. */
  int p[2];
  if (pipe(p) != 0) perror("pipe");
  send_fds(sv[0], "r", 1, &p[0], 1);
  recv_all(sv[1], buf, sizeof buf, 128, 0, &r);
  FACT("cred_and_rights", r.has_cred && r.cred_first && r.nfds == 1);
  close(r.fds[0]);
  send(sv[0], "a", 1, 0);
  recv_all(sv[1], buf, sizeof buf, 20, 0, &r);
  EQ("cred_short_buffer_flags", r.flags, MSG_CTRUNC);
  EQ("cred_short_buffer_controllen", r.controllen, 20);
  send(sv[0], "a", 1, 0);
  recv_all(sv[1], buf, sizeof buf, 8, 0, &r);
  EQ("cred_tiny_buffer_flags", r.flags, MSG_CTRUNC);
  EQ("cred_tiny_buffer_controllen", r.controllen, 0);
  send(sv[0], "a", 1, 0);
  recv_all(sv[1], buf, sizeof buf, 0, 0, &r);
  EQ("cred_no_buffer_flags", r.flags, MSG_CTRUNC);
  close(p[0]); close(p[1]);
  /* An unprivileged sender may name only itself. */
  pid_t child = fork();
  if (child == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
    int bad = 0;
    if (send_cred(sv[0], getppid(), 65534, 65534) != -1 || errno != EPERM) bad |= 4;
    if (send_cred(sv[0], getpid(), 0, 65534) != -1 || errno != EPERM) bad |= 8;
    if (send_cred(sv[0], getpid(), 65534, 0) != -1 || errno != EPERM) bad |= 16;
    if (send_cred(sv[0], getpid(), 65534, 65534) != 1) bad |= 32;
    _exit(bad);
  }
  int status;
  waitpid(child, &status, 0);
  EQ("cred_unprivileged_rules", WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  recv_all(sv[1], buf, sizeof buf, 64, 0, &r);
  FACT("cred_unprivileged_received", r.cred.pid == child && r.cred.uid == 65534);
  close(sv[0]); close(sv[1]);
  /* SO_PASSCRED makes an unbound sender take a name (autobind). */
  struct sockaddr_un a, g;
  socklen_t l, gl;
  int rcv = bound_dgram("cred-r");
  int snd = socket(AF_UNIX, SOCK_DGRAM, 0);
  setsockopt(snd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  l = path_addr(&a, "cred-r");
  sendto(snd, "x", 1, 0, (struct sockaddr *)&a, l);
  gl = sizeof g;
  getsockname(snd, (struct sockaddr *)&g, &gl);
  EQ("passcred_autobind_on_send", gl, 8);
  gl = sizeof g;
  EQ("passcred_autobind_recvfrom", recvfrom(rcv, buf, sizeof buf, 0, (struct sockaddr *)&g, &gl), 1);
  EQ("passcred_autobind_recvfrom_len", gl, 8);
  int cs = socket(AF_UNIX, SOCK_DGRAM, 0);
  setsockopt(cs, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  connect(cs, (struct sockaddr *)&a, l);
  gl = sizeof g;
  getsockname(cs, (struct sockaddr *)&g, &gl);
  EQ("passcred_autobind_on_connect", gl, 8);
  close(cs); close(snd); close(rcv);
  /* On a stream, messages from different writers are not glued when credentials pass. */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  send(sv[0], "ab", 2, 0);
  send_cred(sv[0], getpid(), 1234, getgid());
  send(sv[0], "cd", 2, 0);
  EQ("stream_cred_first_writer", recv_all(sv[1], buf, sizeof buf, 64, MSG_DONTWAIT, &r), 2);
  EQ("stream_cred_second_writer", recv_all(sv[1], buf, sizeof buf, 64, MSG_DONTWAIT, &r), 1);
  EQ("stream_cred_second_uid", r.cred.uid, 1234);
  EQ("stream_cred_third", recv_all(sv[1], buf, sizeof buf, 64, MSG_DONTWAIT, &r), 2);
  close(sv[0]); close(sv[1]);
}

static void test_mmsg(void) {
  int sv[2];
  char bufs[4][16];
  struct iovec iov[4];
  struct mmsghdr mm[4];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  const char *words[3] = { "one", "three", "seven!" };
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    iov[i].iov_base = (void *)words[i]; iov[i].iov_len = strlen(words[i]);
    mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
  }
  EQ("sendmmsg", sendmmsg(sv[0], mm, 3, 0), 3);
  SHOW("sendmmsg_lens", "%u,%u,%u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  EQ("sendmmsg_zero", sendmmsg(sv[0], mm, 0, 0), 0);
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 4; i++) {
    iov[i].iov_base = bufs[i]; iov[i].iov_len = sizeof bufs[i];
    mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
  }
  EQ("recvmmsg_waitforone", recvmmsg(sv[1], mm, 4, MSG_WAITFORONE, NULL), 3);
  SHOW("recvmmsg_lens", "%u,%u,%u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  FACT("recvmmsg_data", memcmp(bufs[1], "three", 5) == 0);
  ERR("recvmmsg_empty_nonblock", recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL), EAGAIN);
  struct timespec bad = { 0, 2000000000L };
  ERR("recvmmsg_bad_timeout", recvmmsg(sv[1], mm, 4, 0, &bad), EINVAL);
  ERR("recvmmsg_timeout_efault", recvmmsg(sv[1], mm, 4, 0, BAD_PTR), EFAULT);
  ERR("recvmmsg_ebadf", recvmmsg(-1, mm, 4, MSG_DONTWAIT, NULL), EBADF);
  send(sv[0], "a", 1, 0);
  send(sv[0], "b", 1, 0);
  struct timespec zero = { 0, 0 };
  EQ("recvmmsg_zero_timeout_one", recvmmsg(sv[1], mm, 4, 0, &zero), 1);
  EQ("recvmmsg_rest", recvmmsg(sv[1], mm, 4, MSG_DONTWAIT, NULL), 1);
  ERR("sendmmsg_efault", sendmmsg(sv[0], BAD_PTR, 2, 0), EFAULT);
  close(sv[0]); close(sv[1]);
}

static void test_msghdr_errors(void) {
  int sv[2];
  char buf[8];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  struct iovec iov = { buf, sizeof buf };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  ERR("sendmsg_efault", sendmsg(sv[0], BAD_PTR, 0), EFAULT);
  ERR("recvmsg_efault", recvmsg(sv[0], BAD_PTR, MSG_DONTWAIT), EFAULT);
  m.msg_iovlen = 1025;
  ERR("sendmsg_iovlen_too_big", sendmsg(sv[0], &m, 0), EMSGSIZE);
  m.msg_iovlen = 1;
  m.msg_iov = BAD_PTR;
  ERR("sendmsg_iov_efault", sendmsg(sv[0], &m, 0), EFAULT);
  m.msg_iov = &iov;
  struct sockaddr_un a;
  m.msg_name = &a;
  m.msg_namelen = -1;
  ERR("recvmsg_negative_namelen", recvmsg(sv[1], &m, MSG_DONTWAIT), EINVAL);
  m.msg_name = NULL;
  m.msg_namelen = 0;
  EQ("sendmsg_ok", sendmsg(sv[0], &m, 0), sizeof buf);
  m.msg_name = &a;
  m.msg_namelen = sizeof a;
  EQ("recvmsg_ok", recvmsg(sv[1], &m, 0), sizeof buf);
  EQ("recvmsg_namelen_unnamed", m.msg_namelen, 0);
  EQ("recvmsg_controllen_none", m.msg_controllen, 0);
  struct iovec two[2] = { { "ab", 2 }, { "cde", 3 } };
  m.msg_iov = two; m.msg_iovlen = 2; m.msg_name = NULL; m.msg_namelen = 0;
  EQ("sendmsg_gathers", sendmsg(sv[0], &m, 0), 5);
  char x[2], y[8];
  struct iovec rtwo[2] = { { x, 2 }, { y, 8 } };
  m.msg_iov = rtwo;
  EQ("recvmsg_scatters", recvmsg(sv[1], &m, 0), 5);
  FACT("recvmsg_scatter_data", memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
  close(sv[0]); close(sv[1]);
}

static void test_epoll(void) {
  int sv[2];
  char buf[8];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = 7 }, out[4];
  OK("epoll_add_socket", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
  EQ("epoll_writable", epoll_wait(ep, out, 4, 0), 1);
  EQ("epoll_writable_events", out[0].events, EPOLLOUT);
  EQ("epoll_et_quiet", epoll_wait(ep, out, 4, 0), 0);
  send(sv[0], "x", 1, 0);
  EQ("epoll_readable", epoll_wait(ep, out, 4, 0), 1);
  EQ("epoll_readable_events", out[0].events, EPOLLIN | EPOLLOUT);
  recv(sv[1], buf, sizeof buf, 0);
  /* A blocking epoll_wait wakes when data arrives. */
  pid_t child = fork();
  if (child == 0) { usleep(30000); send(sv[0], "late", 4, 0); _exit(0); }
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_MOD, sv[1], &ev);
  EQ("epoll_wait_wakes", epoll_wait(ep, out, 4, 5000), 1);
  waitpid(child, NULL, 0);
  close(ep); close(sv[0]); close(sv[1]);
  /* A stream peer's close shows as EPOLLHUP and EPOLLRDHUP. */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  ep = epoll_create1(0);
  ev.events = EPOLLIN | EPOLLRDHUP;
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
  close(sv[0]);
  EQ("epoll_stream_hup", epoll_wait(ep, out, 4, 0), 1);
  EQ("epoll_stream_hup_events", out[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
  close(ep); close(sv[1]);
}

int main(int argc, char **argv) {
  if (argc < 3 || chdir(argv[2]) != 0) { perror("writable dir"); return 1; }
  umask(022);
  test_dgram_names();
  test_dgram_connected();
  test_rights();
  test_credentials();
  test_mmsg();
  test_msghdr_errors();
  test_epoll();
  return compat_done();
}
