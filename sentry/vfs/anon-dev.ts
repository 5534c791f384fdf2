// Device numbers for file systems with no device of their own (Linux's
// get_anon_bdev): major 0, a fresh minor each. st_dev of every file on the
// file system, and the major:minor mountinfo shows for its mount.
import { makedev } from '../../abi/linux/stat.js';

/**
 * The fixed ones, below FIRST_ANON_MINOR: proc 0:4, /dev 0:5, /sys 0:6,
 * pipes 0:12, anonymous inodes 0:13, devpts 0:22.
 */
const FIRST_ANON_MINOR = 0x20;
let nextMinor = FIRST_ANON_MINOR;

/** A fresh st_dev, 0:N. */
export function allocAnonDev(): number {
  return makedev(0, nextMinor++);
}
