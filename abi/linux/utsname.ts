// <linux/utsname.h>: struct new_utsname is six 65-byte fields.
export const UTS_FIELD_LEN = 65;
export const UTSNAME_SIZE = 6 * UTS_FIELD_LEN;
/** The kernel version the Sentry reports, as gVisor reports a fixed one. */
export const UTS_RELEASE = '4.4.0';
export const UTS_VERSION = '#1 SMP Sun Jan 10 15:06:54 PST 2016';
/** __NEW_UTS_LEN: the longest name sethostname/setdomainname take. */
export const __NEW_UTS_LEN = UTS_FIELD_LEN - 1;
