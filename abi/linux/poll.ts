// <asm-generic/poll.h>.
export const POLLIN = 0x0001;
export const POLLPRI = 0x0002;
export const POLLOUT = 0x0004;
export const POLLERR = 0x0008;
export const POLLHUP = 0x0010;
export const POLLNVAL = 0x0020;
export const POLLRDNORM = 0x0040;
export const POLLRDBAND = 0x0080;
export const POLLWRNORM = 0x0100;
export const POLLWRBAND = 0x0200;
export const POLLRDHUP = 0x2000;
/** Events poll reports whether asked for or not. */
export const POLL_ALWAYS = POLLERR | POLLHUP | POLLNVAL;
export const POLLFD_SIZE = 8;
export const FD_SETSIZE = 1024;
