// <asm-generic/statfs.h>: x86-64 struct statfs (120 bytes).
export const STATFS_SIZE = 120;

export interface StatfsFields {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number;
  files: number; ffree: number; namelen: number; frsize: number; flags: number;
}

export function encodeStatfs(s: StatfsFields, out: Uint8Array): void {
  const dv = new DataView(out.buffer, out.byteOffset, STATFS_SIZE);
  out.fill(0, 0, STATFS_SIZE);
  const put = (o: number, v: number): void => dv.setBigInt64(o, BigInt(v), true);
  put(0, s.type); put(8, s.bsize); put(16, s.blocks); put(24, s.bfree); put(32, s.bavail);
  put(40, s.files); put(48, s.ffree); /* f_fsid at 56 stays 0 */ put(64, s.namelen); put(72, s.frsize); put(80, s.flags);
}
