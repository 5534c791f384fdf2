// <linux/fs.h>: renameat2(2) flags.
export const RENAME_NOREPLACE = 1 << 0;
export const RENAME_EXCHANGE = 1 << 1;
export const RENAME_WHITEOUT = 1 << 2;

// preadv2(2)/pwritev2(2) flags (RWF_*).
export const RWF_HIPRI = 0x1;
export const RWF_DSYNC = 0x2;
export const RWF_SYNC = 0x4;
export const RWF_NOWAIT = 0x8;
export const RWF_APPEND = 0x10;
export const RWF_NOAPPEND = 0x20;
export const RWF_ATOMIC = 0x40;
export const RWF_DONTCACHE = 0x80;
/** Every flag Linux 6.14+ knows; others are EOPNOTSUPP. */
export const RWF_SUPPORTED = 0xff;

// <linux/fadvise.h>: posix_fadvise advice (x86-64 numbering).
export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_RANDOM = 1;
export const POSIX_FADV_SEQUENTIAL = 2;
export const POSIX_FADV_WILLNEED = 3;
export const POSIX_FADV_DONTNEED = 4;
export const POSIX_FADV_NOREUSE = 5;

// sync_file_range(2) flags.
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
export const SYNC_FILE_RANGE_WRITE = 2;
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;

// <linux/splice.h>.
export const SPLICE_F_MOVE = 1;
export const SPLICE_F_NONBLOCK = 2;
export const SPLICE_F_MORE = 4;
export const SPLICE_F_GIFT = 8;
