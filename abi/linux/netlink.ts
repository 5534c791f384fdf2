// <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if.h>,
// <linux/if_arp.h>: the netlink header, sockaddr_nl, and what an
// rtnetlink link dump is made of.

export const NETLINK_ROUTE = 0;
/** MAX_LINKS: netlink protocols at or past it are EPROTONOSUPPORT. */
export const NETLINK_MAX_LINKS = 32;
export const SOL_NETLINK = 270;

/** struct sockaddr_nl { sa_family_t nl_family; u16 nl_pad; u32 nl_pid; u32 nl_groups; } */
export const SOCKADDR_NL_SIZE = 12;

/** struct nlmsghdr { u32 nlmsg_len; u16 nlmsg_type; u16 nlmsg_flags; u32 nlmsg_seq; u32 nlmsg_pid; } */
export const NLMSG_HDRLEN = 16;
export const NLMSG_ALIGNTO = 4;
export function nlmsgAlign(n: number): number { return (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1); }

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
/** Types below this are netlink's own control messages. */
export const NLMSG_MIN_TYPE = 0x10;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** On an NLMSG_ERROR: the request echoed is only its header. */
export const NLM_F_CAPPED = 0x100;

export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_GETADDR = 22;
export const RTM_GETROUTE = 26;
export const RTM_GETNEIGH = 30;
export const RTM_GETRULE = 34;
export const RTM_GETQDISC = 38;
export const RTM_GETNETCONF = 82;

/** struct ifinfomsg { u8 ifi_family; u8 pad; u16 ifi_type; s32 ifi_index; u32 ifi_flags; u32 ifi_change; } */
export const IFINFOMSG_SIZE = 16;
/** struct rtattr { u16 rta_len; u16 rta_type; } */
export const RTA_HDRLEN = 4;

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_QDISC = 6;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_GROUP = 27;

export const IFF_LOOPBACK = 0x8;
export const ARPHRD_LOOPBACK = 772;
export const IF_OPER_DOWN = 2;

// <linux/sockios.h>, <linux/if.h>: the interface ioctls every socket answers.
export const SIOCGIFNAME = 0x8910;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFINDEX = 0x8933;
export const IFNAMSIZ = 16;
/** struct ifreq: the name, then a 24-byte union (ifindex, flags, mtu...). */
export const IFREQ_SIZE = 40;
