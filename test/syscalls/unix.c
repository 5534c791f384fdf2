/*
 * compat: writable-dir
 *
 * AF_UNIX sockets, connection side: socket and socketpair, names (paths in
 * the writable directory argv[2], abstract names), bind, listen, accept,
 * connect, shutdown, close, stream and seqpacket data, poll readiness,
 * timeouts and socket options. Datagrams and control messages are in
 * unix_dgram.c.
 *
 * Abstract names carry the pid: the native runs of both linkages share the
 * host's abstract namespace. Nothing printed depends on the pid.
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/sockios.h>

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

static int revents(int fd, short events) {
  struct pollfd p = { fd, events, 0 };
  if (poll(&p, 1, 0) < 0) return -1;
  return p.revents;
}

static long ms_since(struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static int sockopt_int(int fd, int name) {
  int v = -12345;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, name, &v, &l) != 0) return -errno;
  return v;
}

/* A listening stream socket on a path, and a connected client and server end. */
static int listener(const char *name, int type, int backlog) {
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, name);
  int s = socket(AF_UNIX, type, 0);
  if (bind(s, (struct sockaddr *)&a, l) != 0 || listen(s, backlog) != 0) perror(name);
  return s;
}

static int connect_to(const char *name, int type) {
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, name);
  int c = socket(AF_UNIX, type, 0);
  if (connect(c, (struct sockaddr *)&a, l) != 0) perror(name);
  return c;
}

static void test_socket(void) {
  int fd;
  OK("socket_stream", fd = socket(AF_UNIX, SOCK_STREAM, 0)); close(fd);
  OK("socket_dgram", fd = socket(AF_UNIX, SOCK_DGRAM, 0)); close(fd);
  OK("socket_seqpacket", fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)); close(fd);
  OK("socket_proto_pf_unix", fd = socket(AF_UNIX, SOCK_STREAM, PF_UNIX)); close(fd);
  fd = socket(AF_UNIX, SOCK_RAW, 0);
  EQ("socket_raw_is_dgram", sockopt_int(fd, SO_TYPE), SOCK_DGRAM); close(fd);
  ERR("socket_rdm", socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
  ERR("socket_packet_type", socket(AF_UNIX, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
  ERR("socket_type_range", socket(AF_UNIX, 15, 0), EINVAL);
  ERR("socket_bad_flags", socket(AF_UNIX, SOCK_STREAM | 0x10, 0), EINVAL);
  ERR("socket_bad_proto", socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
  ERR("socket_family_unknown", socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
  ERR("socket_family_negative", socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  FACT("socket_nonblock_flag", fcntl(fd, F_GETFL) & O_NONBLOCK);
  FACT("socket_cloexec_flag", fcntl(fd, F_GETFD) & FD_CLOEXEC);
  struct stat st;
  OK("fstat_socket", fstat(fd, &st));
  SHOW("fstat_socket_mode", "%#o", st.st_mode);
  SHOW("fstat_socket_nlink_size", "%lu:%ld", (unsigned long)st.st_nlink, (long)st.st_size);
  char link[64], proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, link, sizeof link - 1);
  FACT("proc_fd_link_socket", n > 8 && strncmp(link, "socket:[", 8) == 0);
  ERR("lseek_socket", lseek(fd, 0, SEEK_SET), ESPIPE);
  close(fd);

  int sv[2];
  OK("socketpair_stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv)); close(sv[0]); close(sv[1]);
  OK("socketpair_dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)); close(sv[0]); close(sv[1]);
  OK("socketpair_seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)); close(sv[0]); close(sv[1]);
  ERR("socketpair_efault", socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT);
  ERR("socketpair_bad_proto", socketpair(AF_UNIX, SOCK_STREAM, 7, sv), EPROTONOSUPPORT);
  ERR("socketpair_family_unknown", socketpair(1000, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
  ERR("socketpair_rdm", socketpair(AF_UNIX, SOCK_RDM, 0, sv), ESOCKTNOSUPPORT);

  /* Not a socket, not a file. */
  int p[2];
  if (pipe(p) != 0) perror("pipe");
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, "x");
  char c;
  ERR("bind_ebadf", bind(-1, (struct sockaddr *)&a, l), EBADF);
  ERR("bind_enotsock", bind(p[0], (struct sockaddr *)&a, l), ENOTSOCK);
  ERR("listen_ebadf", listen(999, 1), EBADF);
  ERR("listen_enotsock", listen(p[0], 1), ENOTSOCK);
  ERR("accept_enotsock", accept(p[0], NULL, NULL), ENOTSOCK);
  ERR("connect_enotsock", connect(p[1], (struct sockaddr *)&a, l), ENOTSOCK);
  ERR("send_enotsock", send(p[1], "x", 1, 0), ENOTSOCK);
  ERR("recv_enotsock", recv(p[0], &c, 1, MSG_DONTWAIT), ENOTSOCK);
  ERR("shutdown_enotsock", shutdown(p[0], SHUT_RD), ENOTSOCK);
  int v;
  socklen_t vl = sizeof v;
  ERR("getsockopt_enotsock", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &vl), ENOTSOCK);
  ERR("getsockname_ebadf", getsockname(-1, (struct sockaddr *)&a, &vl), EBADF);
  close(p[0]); close(p[1]);
}

static void test_bind(void) {
  struct sockaddr_un a, g;
  socklen_t l, gl;
  struct stat st;
  umask(022);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  l = path_addr(&a, "s1");
  OK("bind_path", bind(s, (struct sockaddr *)&a, l));
  OK("bind_path_stat", stat("s1", &st));
  FACT("bind_path_is_socket", S_ISSOCK(st.st_mode));
  SHOW("bind_path_mode", "%#o", st.st_mode & 07777);
  ERR("bind_path_open", open("s1", O_RDONLY), ENXIO);
  gl = sizeof g;
  OK("getsockname_path", getsockname(s, (struct sockaddr *)&g, &gl));
  EQ("getsockname_path_len", gl, l);
  FACT("getsockname_path_name", strcmp(g.sun_path, "s1") == 0);
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  ERR("bind_path_in_use", bind(s2, (struct sockaddr *)&a, l), EADDRINUSE);
  l = path_addr(&a, "s1-other");
  ERR("bind_bound_socket", bind(s, (struct sockaddr *)&a, l), EINVAL);
  ERR("bind_bound_socket_leaves_no_node", stat("s1-other", &st), ENOENT);
  int f = open("plain", O_WRONLY | O_CREAT, 0644);
  close(f);
  l = path_addr(&a, "plain");
  ERR("bind_existing_file", bind(s2, (struct sockaddr *)&a, l), EADDRINUSE);
  l = path_addr(&a, "nodir/s");
  ERR("bind_missing_dir", bind(s2, (struct sockaddr *)&a, l), ENOENT);
  l = path_addr(&a, "plain/s");
  ERR("bind_through_file", bind(s2, (struct sockaddr *)&a, l), ENOTDIR);
  l = path_addr(&a, "/tsvisor-unix-compat-sock");
  ERR("bind_read_only_fs", bind(s2, (struct sockaddr *)&a, l), EROFS);
  l = path_addr(&a, "s2");
  ERR("bind_len_1", bind(s2, (struct sockaddr *)&a, 1), EINVAL);
  ERR("bind_len_111", bind(s2, (struct sockaddr *)&a, 111), EINVAL);
  ERR("bind_len_129", bind(s2, (struct sockaddr *)&a, 129), EINVAL);
  ERR("bind_len_negative", bind(s2, (struct sockaddr *)&a, -1), EINVAL);
  ERR("bind_efault", bind(s2, BAD_PTR, sizeof a), EFAULT);
  a.sun_family = AF_INET;
  ERR("bind_wrong_family", bind(s2, (struct sockaddr *)&a, l), EINVAL);
  a.sun_family = AF_UNIX;
  /* The name ends at the first NUL; the length passed may go past it. */
  OK("bind_path_len_past_nul", bind(s2, (struct sockaddr *)&a, sizeof a));
  gl = sizeof g;
  getsockname(s2, (struct sockaddr *)&g, &gl);
  EQ("bind_path_len_past_nul_name_len", gl, offsetof(struct sockaddr_un, sun_path) + 3);
  close(s2);

  /* A path that fills sun_path, with no NUL: getsockname says 111. */
  struct sockaddr_un full = { .sun_family = AF_UNIX };
  memset(full.sun_path, 'f', sizeof full.sun_path);
  s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  OK("bind_full_path", bind(s2, (struct sockaddr *)&full, sizeof full));
  char big[200];
  gl = sizeof big;
  getsockname(s2, (struct sockaddr *)big, &gl);
  VAL("bind_full_path_name_len", gl);
  close(s2);

  /* The node outlives the socket; nobody listens there any more. */
  close(s);
  ERR("connect_closed_path", ({ int c = socket(AF_UNIX, SOCK_STREAM, 0); l = path_addr(&a, "s1");
        int r = connect(c, (struct sockaddr *)&a, l); int e = errno; close(c); errno = e; r; }), ECONNREFUSED);
  OK("node_stays_after_close", stat("s1", &st));
  OK("unlink_node", unlink("s1"));
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  OK("bind_after_unlink", bind(s, (struct sockaddr *)&a, l));
  close(s);
  unlink("s1");

  /* Unbound and short buffers. */
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  gl = sizeof g;
  memset(&g, 0x55, sizeof g);
  OK("getsockname_unbound", getsockname(s, (struct sockaddr *)&g, &gl));
  EQ("getsockname_unbound_len", gl, 2);
  EQ("getsockname_unbound_family", g.sun_family, AF_UNIX);
  ERR("getpeername_unconnected", getpeername(s, (struct sockaddr *)&g, &gl), ENOTCONN);
  ERR("getsockname_len_efault", getsockname(s, (struct sockaddr *)&g, BAD_PTR), EFAULT);
  gl = -1;
  ERR("getsockname_len_negative", getsockname(s, (struct sockaddr *)&g, &gl), EINVAL);
  gl = 2;
  ERR("getsockname_addr_efault", getsockname(s, BAD_PTR, &gl), EFAULT);

  /* Abstract names: per type, as Linux hashes them. */
  l = abs_addr(&a, "abs1");
  OK("bind_abstract", bind(s, (struct sockaddr *)&a, l));
  gl = sizeof g;
  getsockname(s, (struct sockaddr *)&g, &gl);
  FACT("getsockname_abstract", gl == l && g.sun_path[0] == 0 && memcmp(g.sun_path, a.sun_path, l - 2) == 0);
  s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  ERR("bind_abstract_in_use", bind(s2, (struct sockaddr *)&a, l), EADDRINUSE);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  OK("bind_abstract_other_type", bind(d, (struct sockaddr *)&a, l));
  close(d);
  ERR("bind_abstract_bound_socket", bind(s, (struct sockaddr *)&a, l - 1), EINVAL);
  memset(&g, 0, sizeof g);
  gl = 4;
  getsockname(s, (struct sockaddr *)&g, &gl);
  FACT("getsockname_short_buffer", gl == l && g.sun_path[1] == a.sun_path[1] && g.sun_path[2] == 0);
  close(s);
  OK("bind_abstract_after_close", bind(s2, (struct sockaddr *)&a, l));
  close(s2);

  /* Autobind: an address of just the family. */
  s = socket(AF_UNIX, SOCK_STREAM, 0);
  a.sun_family = AF_UNIX;
  OK("bind_autobind", bind(s, (struct sockaddr *)&a, 2));
  gl = sizeof g;
  getsockname(s, (struct sockaddr *)&g, &gl);
  EQ("autobind_len", gl, 8);
  FACT("autobind_abstract", g.sun_path[0] == 0);
  struct sockaddr_un g2;
  OK("bind_autobind_again", bind(s, (struct sockaddr *)&a, 2));
  gl = sizeof g2;
  getsockname(s, (struct sockaddr *)&g2, &gl);
  FACT("autobind_again_same_name", memcmp(&g, &g2, 8) == 0);
  close(s);
}

static void test_listen_accept(void) {
  struct sockaddr_un a, g;
  socklen_t l, gl;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ERR("listen_unbound", listen(s, 1), EINVAL);
  EQ("acceptconn_before", sockopt_int(s, SO_ACCEPTCONN), 0);
  l = path_addr(&a, "l1");
  bind(s, (struct sockaddr *)&a, l);
  ERR("accept_not_listening", accept(s, NULL, NULL), EINVAL);
  OK("listen", listen(s, 2));
  OK("listen_again", listen(s, 2));
  EQ("acceptconn_after", sockopt_int(s, SO_ACCEPTCONN), 1);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  ERR("listen_dgram", listen(d, 1), EOPNOTSUPP);
  ERR("accept_dgram", accept(d, NULL, NULL), EOPNOTSUPP);
  close(d);
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  ERR("listen_connected", listen(sv[0], 1), EINVAL);
  close(sv[0]); close(sv[1]);
  ERR("accept4_bad_flags", accept4(s, NULL, NULL, 0x10), EINVAL);
  fcntl(s, F_SETFL, O_NONBLOCK);
  ERR("accept_nothing_pending", accept(s, NULL, NULL), EAGAIN);
  EQ("poll_listener_idle", revents(s, POLLIN | POLLOUT | POLLRDHUP), 0);

  /* Three connections fit a backlog of 2 (Linux lets one more in). */
  int c[4], n = 0, full_errno = 0;
  for (int i = 0; i < 4; i++) {
    c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c[i], (struct sockaddr *)&a, l) == 0) n++;
    else full_errno = errno;
  }
  EQ("connect_backlog_count", n, 3);
  SHOW("connect_backlog_full", "%s", ename(full_errno));
  EQ("poll_listener_pending", revents(s, POLLIN | POLLOUT), POLLIN);
  fd_set rs;
  FD_ZERO(&rs); FD_SET(s, &rs);
  struct timeval tv0 = { 0, 0 };
  EQ("select_listener_pending", select(s + 1, &rs, NULL, NULL, &tv0), 1);
  gl = sizeof g;
  int a1;
  OK("accept", a1 = accept(s, (struct sockaddr *)&g, &gl));
  EQ("accept_peer_unnamed_len", gl, 2);
  gl = sizeof g;
  getsockname(a1, (struct sockaddr *)&g, &gl);
  FACT("accepted_sockname_is_listener", gl == l && strcmp(g.sun_path, "l1") == 0);
  gl = sizeof g;
  OK("accepted_getpeername", getpeername(a1, (struct sockaddr *)&g, &gl));
  EQ("accepted_getpeername_len", gl, 2);
  gl = sizeof g;
  OK("client_getpeername", getpeername(c[0], (struct sockaddr *)&g, &gl));
  FACT("client_getpeername_is_listener", gl == l && strcmp(g.sun_path, "l1") == 0);
  int a2 = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  FACT("accept4_flags", a2 >= 0 && (fcntl(a2, F_GETFL) & O_NONBLOCK) && (fcntl(a2, F_GETFD) & FD_CLOEXEC));
  int a3 = accept(s, NULL, NULL);
  FACT("accept_plain_flags", a3 >= 0 && !(fcntl(a3, F_GETFL) & O_NONBLOCK) && !(fcntl(a3, F_GETFD) & FD_CLOEXEC));
  ERR("accept_drained", accept(s, NULL, NULL), EAGAIN);
  OK("connect_after_drain", connect(c[3], (struct sockaddr *)&a, l));
  gl = 1;
  int a4;
  OK("accept_short_addr", a4 = accept(s, (struct sockaddr *)&g, &gl));
  EQ("accept_short_addr_len", gl, 2);
  gl = sizeof g;
  ERR("accept_addr_efault", ({ int cc = socket(AF_UNIX, SOCK_STREAM, 0); connect(cc, (struct sockaddr *)&a, l);
        int r = accept(s, BAD_PTR, &gl); int e = errno; close(cc); errno = e; r; }), EFAULT);
  /* Data flows both ways on an accepted connection. */
  char buf[16];
  EQ("accepted_send", send(c[0], "ping", 4, 0), 4);
  EQ("accepted_recv", recv(a1, buf, sizeof buf, 0), 4);
  EQ("accepted_reply", write(a1, "pong!", 5), 5);
  EQ("client_read", read(c[0], buf, sizeof buf), 5);
  FACT("client_read_data", memcmp(buf, "pong!", 5) == 0);
  /* A listener shut down for reading takes no more connections. */
  int sl = listener("l-shut", SOCK_STREAM, 1);
  OK("listener_shutdown_rd", shutdown(sl, SHUT_RD));
  ERR("accept_after_shutdown_rd", accept(sl, NULL, NULL), EINVAL);
  ERR("connect_to_shut_listener", ({ int cc = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un sa;
        int r = connect(cc, (struct sockaddr *)&sa, path_addr(&sa, "l-shut")); int e = errno; close(cc); errno = e; r; }), ECONNREFUSED);
  close(sl);
  /* Closing a listener with a connection nobody accepted resets the client. */
  int c5 = socket(AF_UNIX, SOCK_STREAM, 0);
  connect(c5, (struct sockaddr *)&a, l);
  close(s);
  ERR("listener_closed_client_reset", recv(c5, buf, 1, MSG_DONTWAIT), ECONNRESET);
  EQ("listener_closed_client_eof", recv(c5, buf, 1, MSG_DONTWAIT), 0);
  SHOW("listener_closed_client_poll", "%#x", revents(c5, POLLIN | POLLOUT | POLLRDHUP));
  close(c5);
  for (int i = 0; i < 4; i++) close(c[i]);
  close(a1); close(a2); close(a3); close(a4);
  unlink("l1");
}

static void test_connect_errors(void) {
  struct sockaddr_un a;
  socklen_t l;
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  l = path_addr(&a, "missing");
  ERR("connect_enoent", connect(c, (struct sockaddr *)&a, l), ENOENT);
  l = path_addr(&a, "plain");
  ERR("connect_not_socket", connect(c, (struct sockaddr *)&a, l), ECONNREFUSED);
  l = path_addr(&a, ".");
  ERR("connect_directory", connect(c, (struct sockaddr *)&a, l), ECONNREFUSED);
  int b = socket(AF_UNIX, SOCK_STREAM, 0);
  l = path_addr(&a, "bound-only");
  bind(b, (struct sockaddr *)&a, l);
  ERR("connect_not_listening", connect(c, (struct sockaddr *)&a, l), ECONNREFUSED);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  l = path_addr(&a, "dgram-sock");
  bind(d, (struct sockaddr *)&a, l);
  ERR("connect_stream_to_dgram", connect(c, (struct sockaddr *)&a, l), EPROTOTYPE);
  int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  int ls = listener("stream-listener", SOCK_STREAM, 4);
  l = path_addr(&a, "stream-listener");
  ERR("connect_seqpacket_to_stream", connect(sp, (struct sockaddr *)&a, l), EPROTOTYPE);
  close(sp);
  l = abs_addr(&a, "nobody");
  ERR("connect_abstract_nobody", connect(c, (struct sockaddr *)&a, l), ECONNREFUSED);
  l = abs_addr(&a, "dgram-abs");
  bind(d, (struct sockaddr *)&a, l);
  ERR("connect_abstract_other_type", connect(c, (struct sockaddr *)&a, l), ECONNREFUSED);
  ERR("connect_len_2", connect(c, (struct sockaddr *)&a, 2), EINVAL);
  ERR("connect_len_200", connect(c, (struct sockaddr *)&a, 200), EINVAL);
  ERR("connect_efault", connect(c, BAD_PTR, sizeof a), EFAULT);
  a.sun_family = AF_UNSPEC;
  ERR("connect_stream_unspec", connect(c, (struct sockaddr *)&a, l), EINVAL);
  l = path_addr(&a, "stream-listener");
  OK("connect_ok", connect(c, (struct sockaddr *)&a, l));
  int first = accept(ls, NULL, NULL);
  ERR("connect_again", connect(c, (struct sockaddr *)&a, l), EISCONN);
  ERR("connect_listener", connect(ls, (struct sockaddr *)&a, l), EINVAL);
  /* Linux finds the target before it looks at the caller's state. */
  l = path_addr(&a, "missing");
  ERR("connect_connected_to_missing", connect(c, (struct sockaddr *)&a, l), ENOENT);
  /* Credentials: the listener's at listen() for the client, the client's for the server end. */
  struct ucred cr;
  socklen_t cl = sizeof cr;
  OK("peercred_client", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl));
  FACT("peercred_client_is_self", cr.pid == getpid() && cr.uid == geteuid() && cr.gid == getegid() && cl == sizeof cr);
  int fresh = socket(AF_UNIX, SOCK_STREAM, 0);
  cl = sizeof cr;
  getsockopt(fresh, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  SHOW("peercred_unconnected", "%d:%d:%d", cr.pid, (int)cr.uid, (int)cr.gid);
  close(fresh);
  cl = sizeof cr;
  getsockopt(ls, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  FACT("peercred_listener_is_self", cr.pid == getpid());
  pid_t child = fork();
  if (child == 0) {
    int cc = connect_to("stream-listener", SOCK_STREAM);
    char x;
    read(cc, &x, 1);
    _exit(0);
  }
  int srv = accept(ls, NULL, NULL);
  cl = sizeof cr;
  getsockopt(srv, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  FACT("peercred_server_is_child", cr.pid == child);
  write(srv, "x", 1);
  waitpid(child, NULL, 0);
  close(srv);
  /* Connecting needs write permission on the socket node. */
  chmod("stream-listener", 0600);
  child = fork();
  if (child == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
    int cc = socket(AF_UNIX, SOCK_STREAM, 0);
    _exit(connect(cc, (struct sockaddr *)&a, path_addr(&a, "stream-listener")) == -1 && errno == EACCES ? 0 : 1);
  }
  int status;
  waitpid(child, &status, 0);
  FACT("connect_eacces_unprivileged", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(c); close(b); close(d); close(ls); close(first);
}

static void test_stream_data(void) {
  int sv[2];
  char buf[64];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  EQ("poll_connected_idle", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
  ERR("recv_empty_dontwait", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  EQ("read_zero_empty", read(sv[0], buf, 0), 0);
  ERR("recv_zero_empty", recv(sv[0], buf, 0, MSG_DONTWAIT), EAGAIN);
  EQ("send_ab", send(sv[1], "ab", 2, 0), 2);
  EQ("send_cd", send(sv[1], "cd", 2, 0), 2);
  EQ("poll_with_data", revents(sv[0], POLLIN | POLLOUT), POLLIN | POLLOUT);
  int inq = -1;
  OK("siocinq", ioctl(sv[0], SIOCINQ, &inq));
  EQ("siocinq_value", inq, 4);
  int outq = -1;
  ioctl(sv[1], SIOCOUTQ, &outq);
  FACT("siocoutq_positive", outq > 0);
  EQ("recv_zero_with_data", recv(sv[0], buf, 0, 0), 0);
  EQ("peek_stream", recv(sv[0], buf, 3, MSG_PEEK), 3);
  FACT("peek_stream_data", memcmp(buf, "abc", 3) == 0);
  EQ("recv_merges_writes", recv(sv[0], buf, sizeof buf, 0), 4);
  FACT("recv_merged_data", memcmp(buf, "abcd", 4) == 0);
  struct iovec iov[2] = { { "hello ", 6 }, { "world", 5 } };
  EQ("writev_socket", writev(sv[0], iov, 2), 11);
  char b1[4], b2[16];
  struct iovec riov[2] = { { b1, 4 }, { b2, 16 } };
  EQ("readv_socket", readv(sv[1], riov, 2), 11);
  FACT("readv_socket_data", memcmp(b1, "hell", 4) == 0 && memcmp(b2, "o world", 7) == 0);
  ERR("send_efault", send(sv[0], BAD_PTR, 4, 0), EFAULT);
  send(sv[0], "keep", 4, 0);
  ERR("recv_efault_stream", recv(sv[1], BAD_PTR, 4, 0), EFAULT);
  EQ("recv_after_efault_keeps_data", recv(sv[1], buf, sizeof buf, 0), 4);
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, "x");
  ERR("sendto_connected_stream", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, l), EISCONN);
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  ERR("sendto_unconnected_stream", sendto(u, "x", 1, 0, (struct sockaddr *)&a, l), EOPNOTSUPP);
  ERR("send_unconnected_stream", send(u, "x", 1, 0), ENOTCONN);
  ERR("write_unconnected_stream", write(u, "x", 1), ENOTCONN);
  ERR("read_unconnected_stream", read(u, buf, 1), EINVAL);
  ERR("recv_unconnected_stream", recv(u, buf, 1, MSG_DONTWAIT), EINVAL);
  EQ("poll_unconnected_stream", revents(u, POLLIN | POLLOUT | POLLRDHUP), POLLOUT | POLLHUP);
  OK("shutdown_unconnected", shutdown(u, SHUT_RDWR));
  close(u);
  /* recvfrom reports no address for an unnamed sender. */
  send(sv[0], "n", 1, 0);
  struct sockaddr_un from;
  socklen_t fl = sizeof from;
  EQ("recvfrom_stream", recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 1);
  EQ("recvfrom_stream_addrlen", fl, 0);

  /* MSG_WAITALL gathers writes that come later. */
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 3; i++) { usleep(20000); write(sv[0], "0123456789", 10); }
    _exit(0);
  }
  EQ("recv_waitall", recv(sv[1], buf, 30, MSG_WAITALL), 30);
  waitpid(child, NULL, 0);
  send(sv[0], "abc", 3, 0);
  shutdown(sv[0], SHUT_WR);
  EQ("recv_waitall_eof", recv(sv[1], buf, 30, MSG_WAITALL), 3);
  close(sv[0]); close(sv[1]);

  /* Filling the send buffer. */
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  static char chunk[4096];
  long total = 0, r;
  while ((r = send(sv[0], chunk, sizeof chunk, 0)) > 0) total += r;
  int full_errno = errno;
  FACT("send_full_eagain", r == -1 && full_errno == EAGAIN);
  FACT("send_full_amount", total > 100000 && total < 400000);
  EQ("poll_full_not_writable", revents(sv[0], POLLOUT), 0);
  long drained = 0;
  while ((r = recv(sv[1], chunk, sizeof chunk, 0)) > 0) drained += r;
  EQ("drained_all", drained, total);
  EQ("poll_drained_writable", revents(sv[0], POLLOUT), POLLOUT);
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  long total2 = 0;
  while ((r = send(sv[0], chunk, sizeof chunk, 0)) > 0) total2 += r;
  FACT("small_sndbuf_holds_less", total2 > 0 && total2 < total / 4);
  close(sv[0]); close(sv[1]);
}

static void test_shutdown_close(void) {
  int sv[2];
  char buf[16];
  signal(SIGPIPE, on_sigpipe);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  ERR("shutdown_bad_how", shutdown(sv[0], 3), EINVAL);
  ERR("shutdown_negative_how", shutdown(sv[0], -1), EINVAL);
  send(sv[0], "last", 4, 0);
  OK("shutdown_wr", shutdown(sv[0], SHUT_WR));
  EQ("peer_reads_data_after_shut_wr", recv(sv[1], buf, sizeof buf, 0), 4);
  EQ("peer_reads_eof_after_shut_wr", recv(sv[1], buf, sizeof buf, 0), 0);
  EQ("poll_peer_after_shut_wr", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
  EQ("poll_self_after_shut_wr", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
  sigpipes = 0;
  ERR("send_after_shut_wr", send(sv[0], "x", 1, 0), EPIPE);
  EQ("send_after_shut_wr_sigpipe", sigpipes, 1);
  ERR("send_after_shut_wr_nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
  EQ("nosignal_no_sigpipe", sigpipes, 1);
  EQ("peer_can_still_send", send(sv[1], "back", 4, 0), 4);
  EQ("shut_wr_side_still_reads", recv(sv[0], buf, sizeof buf, 0), 4);
  OK("shutdown_rd", shutdown(sv[0], SHUT_RD));
  EQ("recv_after_shut_rd", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 0);
  ERR("peer_send_after_shut_rd", send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
  EQ("poll_after_shut_rdwr", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  close(sv[0]); close(sv[1]);

  /* Close: the peer reads what is left, then end of file; writes are EPIPE. */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  send(sv[0], "bye", 3, 0);
  close(sv[0]);
  EQ("poll_after_peer_close", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  EQ("read_after_peer_close", read(sv[1], buf, sizeof buf), 3);
  EQ("eof_after_peer_close", read(sv[1], buf, sizeof buf), 0);
  sigpipes = 0;
  ERR("write_after_peer_close", write(sv[1], "x", 1), EPIPE);
  EQ("write_after_peer_close_sigpipe", sigpipes, 1);
  close(sv[1]);

  /* Closing with unread data resets the peer: ECONNRESET once, then end of file. */
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  send(sv[1], "unread", 6, 0);
  close(sv[0]);
  EQ("poll_after_reset", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
  ERR("recv_after_reset", recv(sv[1], buf, sizeof buf, 0), ECONNRESET);
  EQ("recv_after_reset_again", recv(sv[1], buf, sizeof buf, 0), 0);
  close(sv[1]);
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  send(sv[1], "unread", 6, 0);
  close(sv[0]);
  EQ("so_error_reset", sockopt_int(sv[1], SO_ERROR), ECONNRESET);
  EQ("so_error_cleared", sockopt_int(sv[1], SO_ERROR), 0);
  close(sv[1]);
  signal(SIGPIPE, SIG_DFL);
}

static void test_seqpacket(void) {
  int ls = listener("seq", SOCK_SEQPACKET, 4);
  int c = connect_to("seq", SOCK_SEQPACKET);
  int s = accept(ls, NULL, NULL);
  char buf[64];
  FACT("seqpacket_accept", s >= 0);
  EQ("seqpacket_type", sockopt_int(s, SO_TYPE), SOCK_SEQPACKET);
  EQ("seqpacket_send_abc", send(c, "abc", 3, 0), 3);
  EQ("seqpacket_send_defg", send(c, "defg", 4, 0), 4);
  EQ("seqpacket_recv_first", recv(s, buf, sizeof buf, 0), 3);
  EQ("seqpacket_recv_second", recv(s, buf, sizeof buf, 0), 4);
  send(c, "abcdef", 6, 0);
  send(c, "next", 4, 0);
  EQ("seqpacket_peek_trunc_len", recv(s, buf, 2, MSG_PEEK | MSG_TRUNC), 6);
  EQ("seqpacket_recv_truncated", recv(s, buf, 2, 0), 2);
  EQ("seqpacket_rest_discarded", recv(s, buf, sizeof buf, 0), 4);
  FACT("seqpacket_next_message", memcmp(buf, "next", 4) == 0);
  send(c, "abcdef", 6, 0);
  struct iovec iov = { buf, 3 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  EQ("seqpacket_recvmsg_trunc", recvmsg(s, &m, 0), 3);
  EQ("seqpacket_msg_flags_trunc", m.msg_flags, MSG_TRUNC);
  EQ("seqpacket_send_empty", send(c, "", 0, 0), 0);
  send(c, "z", 1, 0);
  EQ("seqpacket_recv_empty_message", recv(s, buf, sizeof buf, 0), 0);
  EQ("seqpacket_recv_after_empty", recv(s, buf, sizeof buf, 0), 1);
  struct sockaddr_un a;
  socklen_t l = path_addr(&a, "elsewhere");
  EQ("seqpacket_sendto_ignores_address", sendto(c, "q", 1, 0, (struct sockaddr *)&a, l), 1);
  EQ("seqpacket_sendto_went_to_peer", recv(s, buf, sizeof buf, 0), 1);
  static char huge[300000];
  ERR("seqpacket_emsgsize", send(c, huge, sizeof huge, 0), EMSGSIZE);
  int u = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  ERR("seqpacket_send_unconnected", send(u, "x", 1, 0), ENOTCONN);
  ERR("seqpacket_recv_unconnected", recv(u, buf, 1, MSG_DONTWAIT), ENOTCONN);
  EQ("seqpacket_poll_unconnected", revents(u, POLLIN | POLLOUT | POLLRDHUP), POLLOUT | POLLHUP);
  close(u);
  signal(SIGPIPE, on_sigpipe);
  sigpipes = 0;
  close(c);
  EQ("seqpacket_poll_peer_closed", revents(s, POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  EQ("seqpacket_recv_peer_closed", recv(s, buf, sizeof buf, 0), 0);
  ERR("seqpacket_send_peer_closed", send(s, "x", 1, 0), EPIPE);
  VAL("seqpacket_send_peer_closed_sigpipes", sigpipes);
  signal(SIGPIPE, SIG_DFL);
  close(s); close(ls);
}

static void test_timeouts(void) {
  int sv[2];
  char buf[8];
  /* 100 ms is a whole number of jiffies at every HZ, so it reads back exactly. */
  struct timeval tv = { 0, 100000 }, got;
  socklen_t gl = sizeof got;
  struct timespec t0;
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  OK("set_rcvtimeo", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  OK("get_rcvtimeo", getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &gl));
  FACT("get_rcvtimeo_value", gl == sizeof got && got.tv_sec == 0 && got.tv_usec == 100000);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ERR("recv_timeout", recv(sv[0], buf, sizeof buf, 0), EAGAIN);
  FACT("recv_timeout_waited", ms_since(&t0) >= 80);
  ERR("read_timeout", read(sv[0], buf, sizeof buf), EAGAIN);
  struct timeval neg = { -1, 0 };
  OK("set_rcvtimeo_negative", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &neg, sizeof neg));
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ERR("recv_negative_timeout_no_wait", recv(sv[0], buf, sizeof buf, 0), EAGAIN);
  FACT("recv_negative_timeout_quick", ms_since(&t0) < 80);
  gl = sizeof got;
  getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
  FACT("get_negative_timeout_zero", got.tv_sec == 0 && got.tv_usec == 0);
  struct timeval bad = { 0, 1000000 };
  ERR("set_rcvtimeo_edom", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), EDOM);
  ERR("set_rcvtimeo_short", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
  ERR("set_rcvtimeo_efault", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, BAD_PTR, sizeof tv), EFAULT);
  /* A send that finds the buffer full waits SO_SNDTIMEO, then reports what it sent. */
  OK("set_sndtimeo", setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  static char chunk[1 << 20];
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long r = send(sv[1], chunk, sizeof chunk, 0);
  FACT("send_timeout_partial", r > 0 && r < (long)sizeof chunk);
  FACT("send_timeout_waited", ms_since(&t0) >= 80);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ERR("send_timeout_full", send(sv[1], chunk, sizeof chunk, 0), EAGAIN);
  FACT("send_timeout_full_waited", ms_since(&t0) >= 80);
  close(sv[0]); close(sv[1]);
  int ls = listener("timeo", SOCK_STREAM, 1);
  setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ERR("accept_timeout", accept(ls, NULL, NULL), EAGAIN);
  FACT("accept_timeout_waited", ms_since(&t0) >= 80);
  close(ls);
}

static void test_options(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0), d = socket(AF_UNIX, SOCK_DGRAM, 0), v;
  socklen_t l;
  EQ("so_type_stream", sockopt_int(s, SO_TYPE), SOCK_STREAM);
  EQ("so_type_dgram", sockopt_int(d, SO_TYPE), SOCK_DGRAM);
  EQ("so_domain", sockopt_int(s, SO_DOMAIN), AF_UNIX);
  EQ("so_protocol", sockopt_int(s, SO_PROTOCOL), 0);
  EQ("so_error_none", sockopt_int(s, SO_ERROR), 0);
  EQ("so_passcred_default", sockopt_int(s, SO_PASSCRED), 0);
  FACT("so_sndbuf_default", sockopt_int(s, SO_SNDBUF) > 0);
  FACT("so_rcvbuf_default", sockopt_int(s, SO_RCVBUF) > 0);
  v = 1;
  OK("set_passcred", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof v));
  EQ("so_passcred_set", sockopt_int(s, SO_PASSCRED), 1);
  OK("set_reuseaddr", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  EQ("so_reuseaddr", sockopt_int(s, SO_REUSEADDR), 1);
  OK("set_keepalive", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
  EQ("so_keepalive", sockopt_int(s, SO_KEEPALIVE), 1);
  EQ("so_rcvlowat_default", sockopt_int(s, SO_RCVLOWAT), 1);
  v = 1;
  OK("set_sndbuf_tiny", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  EQ("so_sndbuf_minimum", sockopt_int(s, SO_SNDBUF), 4608);
  v = 10000;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  EQ("so_sndbuf_doubled", sockopt_int(s, SO_SNDBUF), 20000);
  v = 1;
  OK("set_rcvbuf_tiny", setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
  EQ("so_rcvbuf_minimum", sockopt_int(s, SO_RCVBUF), 2304);
  v = 30000;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  EQ("so_rcvbuf_doubled", sockopt_int(s, SO_RCVBUF), 60000);
  struct linger lg = { 1, 5 }, lg2;
  OK("set_linger", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  l = sizeof lg2;
  getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l);
  FACT("so_linger", l == sizeof lg2 && lg2.l_onoff == 1 && lg2.l_linger == 5);
  ERR("set_linger_short", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL);
  v = 1;
  ERR("set_so_type", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT);
  ERR("set_peercred", setsockopt(s, SOL_SOCKET, SO_PEERCRED, &v, sizeof v), ENOPROTOOPT);
  ERR("get_unknown_option", getsockopt(s, SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
  ERR("set_unknown_option", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
  l = sizeof v;
  ERR("get_other_level", getsockopt(s, 6, 1, &v, &l), EOPNOTSUPP);
  ERR("set_other_level", setsockopt(s, 6, 1, &v, sizeof v), EOPNOTSUPP);
  ERR("set_short_optlen", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, 2), EINVAL);
  ERR("set_negative_optlen", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, -1), EINVAL);
  ERR("set_optval_efault", setsockopt(s, SOL_SOCKET, SO_PASSCRED, BAD_PTR, sizeof v), EFAULT);
  l = -1;
  ERR("get_negative_optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), EINVAL);
  ERR("get_optlen_efault", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, BAD_PTR), EFAULT);
  l = sizeof v;
  ERR("get_optval_efault", getsockopt(s, SOL_SOCKET, SO_TYPE, BAD_PTR, &l), EFAULT);
  l = 2;
  v = 0;
  OK("get_short_optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
  FACT("get_short_optlen_value", l == 2 && v == SOCK_STREAM);
  l = 100;
  OK("get_long_optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l));
  EQ("get_long_optlen_len", l, sizeof(int));
  close(s); close(d);
}

int main(int argc, char **argv) {
  if (argc < 3 || chdir(argv[2]) != 0) { perror("writable dir"); return 1; }
  test_socket();
  test_bind();
  test_listen_accept();
  test_connect_errors();
  test_stream_data();
  test_shutdown_close();
  test_seqpacket();
  test_timeouts();
  test_options();
  return compat_done();
}
