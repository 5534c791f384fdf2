// <linux/xattr.h>: setxattr(2) flags, namespaces and limits.
export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;
export const XATTR_NAME_MAX = 255;
export const XATTR_SIZE_MAX = 65536;
export const XATTR_LIST_MAX = 65536;
export const XATTR_USER_PREFIX = 'user.';
export const XATTR_TRUSTED_PREFIX = 'trusted.';
export const XATTR_SECURITY_PREFIX = 'security.';
export const XATTR_SYSTEM_PREFIX = 'system.';
