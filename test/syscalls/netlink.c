/*
 * AF_NETLINK, NETLINK_ROUTE: what getifaddrs, if_nameindex and `ip link`
 * rely on (Node's os.networkInterfaces threw in the sandbox when socket()
 * answered EAFNOSUPPORT). The host's interfaces differ from the sandbox's,
 * so only what every Linux shows is printed: loopback is index 1, named
 * "lo", IFF_LOOPBACK; a dump ends with NLMSG_DONE; replies carry the
 * request's sequence number and the socket's port, and come from port 0.
 * Also the interface ioctls any socket answers (SIOCGIFINDEX...).
 */
#include "lib/compat.h"
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static char reply[65536];

/* Sends a link request; returns 0 or -1. */
static int send_getlink(int fd, int flags, int index, unsigned seq) {
  struct { struct nlmsghdr h; struct ifinfomsg i; } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | flags;
  req.h.nlmsg_seq = seq;
  req.i.ifi_index = index;
  struct sockaddr_nl to = { .nl_family = AF_NETLINK };
  return sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)sizeof req ? 0 : -1;
}

int main(void) {
  ABOUT("socket");
  ERR("socket_stream", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
  ERR("socket_proto_range", socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT);
  int sv[2];
  ERR("socketpair", socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, sv), EOPNOTSUPP);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  FACT("socket_route", fd >= 0);
  int type = 0, domain = 0; socklen_t ol = sizeof type;
  EQ("so_type", getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol), 0);
  SHOW("so_type_v", "%d", type);
  ol = sizeof domain;
  EQ("so_domain", getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &ol), 0);
  SHOW("so_domain_v", "%d", domain);
  int big = 1 << 20;
  EQ("so_rcvbuf_set", setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big), 0);
  ERR("listen", listen(fd, 1), EOPNOTSUPP);

  struct sockaddr_nl sa; socklen_t sl = sizeof sa;
  memset(&sa, 0xff, sizeof sa);
  EQ("getsockname_unbound", getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  SHOW("unbound_pid", "%u", sa.nl_pid);
  SHOW("sockname_len", "%u", (unsigned)sl);
  struct sockaddr_nl bad = { .nl_family = AF_UNIX };
  ERR("bind_family", bind(fd, (struct sockaddr *)&bad, sizeof bad), EINVAL);
  struct sockaddr_nl me = { .nl_family = AF_NETLINK };
  ERR("bind_short", bind(fd, (struct sockaddr *)&me, 4), EINVAL);
  EQ("bind_auto", bind(fd, (struct sockaddr *)&me, sizeof me), 0);
  sl = sizeof sa;
  EQ("getsockname", getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  SHOW("family", "%u", sa.nl_family);
  FACT("port_is_pid", sa.nl_pid == (unsigned)getpid());
  unsigned port = sa.nl_pid;
  int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
  struct sockaddr_nl taken = { .nl_family = AF_NETLINK, .nl_pid = port };
  ERR("bind_taken", bind(fd2, (struct sockaddr *)&taken, sizeof taken), EADDRINUSE);
  EQ("bind_auto2", bind(fd2, (struct sockaddr *)&me, sizeof me), 0);
  sl = sizeof sa;
  getsockname(fd2, (struct sockaddr *)&sa, &sl);
  FACT("second_port_other", sa.nl_pid != port && sa.nl_pid != 0);
  close(fd2);

  ERR("recv_empty", recv(fd, reply, sizeof reply, MSG_DONTWAIT), EAGAIN);

  /* A link dump: the first link is lo; the last message is NLMSG_DONE. */
  ABOUT("recvmsg");
  EQ("send_dump", send_getlink(fd, NLM_F_DUMP, 0, 77), 0);
  int saw_lo = 0, done = 0, seq_ok = 1, pid_ok = 1, from_kernel = 1, first_index = -1, lo_loopback = 0;
  while (!done) {
    struct sockaddr_nl from; struct iovec iov = { reply, sizeof reply };
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n <= 0) break;
    if (from.nl_pid != 0 || msg.msg_namelen != sizeof from) from_kernel = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != 77) seq_ok = 0;
      if (h->nlmsg_pid != port) pid_ok = 0;
      if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      struct ifinfomsg *ifi = NLMSG_DATA(h);
      if (first_index < 0) first_index = ifi->ifi_index;
      int len = IFLA_PAYLOAD(h);
      for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_IFNAME && strcmp(RTA_DATA(a), "lo") == 0) {
          saw_lo = ifi->ifi_index;
          lo_loopback = (ifi->ifi_flags & IFF_LOOPBACK) != 0 && ifi->ifi_type == 772;
        }
    }
  }
  FACT("dump_done", done);
  SHOW("first_index", "%d", first_index);
  SHOW("lo_index", "%d", saw_lo);
  FACT("lo_loopback", lo_loopback);
  FACT("dump_seq", seq_ok);
  FACT("dump_port", pid_ok);
  FACT("dump_from_kernel", from_kernel);

  /* One link by index: lo; a missing one is NLMSG_ERROR ENODEV, echoing the request. */
  EQ("send_lo", send_getlink(fd, 0, 1, 78), 0);
  ssize_t n = recv(fd, reply, sizeof reply, 0);
  struct nlmsghdr *h = (struct nlmsghdr *)reply;
  FACT("get_lo", n > 0 && h->nlmsg_type == RTM_NEWLINK && h->nlmsg_seq == 78);
  EQ("send_missing", send_getlink(fd, NLM_F_ACK, 999999, 79), 0);
  n = recv(fd, reply, sizeof reply, 0);
  struct nlmsgerr *e = NLMSG_DATA(h);
  FACT("missing_is_error", n > 0 && h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == 79);
  SHOW("missing_errno", "%d", e->error);
  SHOW("missing_echo_type", "%d", e->msg.nlmsg_type);

  /* A reply longer than the buffer: cut, MSG_TRUNC; with MSG_TRUNC asked, its whole length. */
  ABOUT("recvfrom");
  send_getlink(fd, 0, 1, 80);
  char one[4];
  ssize_t peek = recv(fd, one, sizeof one, MSG_PEEK | MSG_TRUNC);
  FACT("peek_trunc_full", peek > (ssize_t)sizeof one);
  struct iovec iov = { one, sizeof one };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  EQ("recvmsg_short", recvmsg(fd, &msg, 0), (ssize_t)sizeof one);
  FACT("recvmsg_msg_trunc", (msg.msg_flags & MSG_TRUNC) != 0);
  ERR("recv_after", recv(fd, reply, sizeof reply, MSG_DONTWAIT), EAGAIN);
  close(fd);

  /* The interface ioctls, on an AF_UNIX socket as glibc's if_nametoindex uses. */
  ABOUT("ioctl");
  int us = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr); strcpy(ifr.ifr_name, "lo");
  EQ("siocgifindex", ioctl(us, SIOCGIFINDEX, &ifr), 0);
  SHOW("lo_ifindex", "%d", ifr.ifr_ifindex);
  memset(&ifr, 0, sizeof ifr); ifr.ifr_ifindex = 1;
  EQ("siocgifname", ioctl(us, SIOCGIFNAME, &ifr), 0);
  SHOW("index1_name", "%s", ifr.ifr_name);
  memset(&ifr, 0, sizeof ifr); strcpy(ifr.ifr_name, "lo");
  EQ("siocgifflags", ioctl(us, SIOCGIFFLAGS, &ifr), 0);
  SHOW("lo_flag_loopback", "%d", (ifr.ifr_flags & IFF_LOOPBACK) != 0);
  memset(&ifr, 0, sizeof ifr); strcpy(ifr.ifr_name, "nosuchif0");
  ERR("siocgifindex_missing", ioctl(us, SIOCGIFINDEX, &ifr), ENODEV);
  memset(&ifr, 0, sizeof ifr); ifr.ifr_ifindex = 999999;
  ERR("siocgifname_missing", ioctl(us, SIOCGIFNAME, &ifr), ENODEV);
  close(us);
  return compat_done();
}
