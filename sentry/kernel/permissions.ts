// File permission checks with Linux's rules, including root's overrides.
import { E } from '../../abi/linux/errno.js';
import { X_OK } from '../../abi/linux/fcntl.js';
import { S_IFDIR, S_IFMT, type Stat } from '../../abi/linux/stat.js';

export function permissionOf(st: Stat, uid: number, gid: number, groups: number[], want: number): number {
  if (uid === 0) {
    // Root may read and write anything; execute needs some x bit (or a directory).
    if ((want & X_OK) && (st.mode & S_IFMT) !== S_IFDIR && (st.mode & 0o111) === 0) return -E.EACCES;
    return 0;
  }
  let bits: number;
  if (st.uid === uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === gid || groups.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) === want ? 0 : -E.EACCES;
}
