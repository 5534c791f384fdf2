// inotify(7): event bits, watch flags and inotify_init1 flags (include/uapi/linux/inotify.h).
export const IN_ACCESS = 0x1;
export const IN_MODIFY = 0x2;
export const IN_ATTRIB = 0x4;
export const IN_CLOSE_WRITE = 0x8;
export const IN_CLOSE_NOWRITE = 0x10;
export const IN_OPEN = 0x20;
export const IN_MOVED_FROM = 0x40;
export const IN_MOVED_TO = 0x80;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400;
export const IN_MOVE_SELF = 0x800;
export const IN_ALL_EVENTS = 0xfff;

export const IN_UNMOUNT = 0x2000;
export const IN_Q_OVERFLOW = 0x4000;
export const IN_IGNORED = 0x8000;

export const IN_ONLYDIR = 0x0100_0000;
export const IN_DONT_FOLLOW = 0x0200_0000;
export const IN_EXCL_UNLINK = 0x0400_0000;
export const IN_MASK_CREATE = 0x1000_0000;
export const IN_MASK_ADD = 0x2000_0000;
export const IN_ISDIR = 0x4000_0000;
export const IN_ONESHOT = 0x8000_0000;

/** Every bit inotify_add_watch knows. */
export const ALL_INOTIFY_BITS = IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW
  | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT;

/** struct inotify_event without its name: wd, mask, cookie, len. */
export const INOTIFY_EVENT_SIZE = 16;
/** /proc/sys/fs/inotify/max_queued_events's default. */
export const MAX_QUEUED_EVENTS = 16384;
