// <linux/socket.h>, <linux/net.h>, <linux/un.h>, <asm-generic/socket.h>:
// address families, socket types, message flags, socket options and the
// layouts of sockaddr_un, msghdr, mmsghdr, cmsghdr and ucred.

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_CMSG_CLOEXEC = 0x40000000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const SOL_SOCKET = 1;
export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_ACCEPTCONN = 30;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

export const SCM_RIGHTS = 1;
export const SCM_CREDENTIALS = 2;
/** Most file descriptions one SCM_RIGHTS message carries. */
export const SCM_MAX_FD = 253;

/** offsetof(struct sockaddr_un, sun_path) */
export const SUN_PATH_OFFSET = 2;
export const UNIX_PATH_MAX = 108;
/** sizeof(struct sockaddr_un) */
export const SOCKADDR_UN_SIZE = 110;
/** sizeof(struct sockaddr_storage): the most a kernel address buffer holds. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
export const MSGHDR_SIZE = 56;
export const MSGHDR = { name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48 } as const;
/** struct mmsghdr: a msghdr and the bytes it moved. */
export const MMSGHDR_SIZE = 64;
export const MMSGHDR_LEN = 56;

/** struct cmsghdr: len (size_t), level, type, then data aligned to 8. */
export const CMSGHDR_SIZE = 16;
export function cmsgAlign(n: number): number { return (n + 7) & ~7; }
export function cmsgLen(n: number): number { return CMSGHDR_SIZE + n; }
export function cmsgSpace(n: number): number { return CMSGHDR_SIZE + cmsgAlign(n); }

/** struct ucred: pid, uid, gid. */
export const UCRED_SIZE = 12;

/** struct timeval, SO_RCVTIMEO/SO_SNDTIMEO's old form. */
export const TIMEVAL_SIZE = 16;
/** struct linger: onoff, linger. */
export const LINGER_SIZE = 8;

// <linux/sockios.h>
export const SIOCINQ = 0x541b;
export const SIOCOUTQ = 0x5411;

/** /proc/sys/net/core/{w,r}mem_default and _max. */
export const WMEM_DEFAULT = 212992;
export const WMEM_MAX = 212992;
export const RMEM_DEFAULT = 212992;
export const RMEM_MAX = 212992;
/** SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF: twice and once (2048 + an sk_buff). */
export const SOCK_MIN_SNDBUF = 4608;
export const SOCK_MIN_RCVBUF = 2304;
/** /proc/sys/net/core/somaxconn */
export const SOMAXCONN = 4096;
/** /proc/sys/net/unix/max_dgram_qlen */
export const UNIX_MAX_DGRAM_QLEN = 10;
