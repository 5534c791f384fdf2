// <asm-generic/ioctls.h>: terminal and generic file ioctls.
export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const TIOCGPTN = 0x80045430;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const FIOASYNC = 0x5452;
/** <linux/fs.h>: the file system's block size, for any file. */
export const FIGETBSZ = 2;

/** sizeof(struct termios) as the kernel's TCGETS fills it. */
export const TERMIOS_SIZE = 36;
export const WINSIZE_SIZE = 8;
