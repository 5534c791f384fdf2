// Message buffers of the socket syscalls, shared by every socket family:
// gathering iovecs into one buffer and scattering one back, and msghdr
// (copy_msghdr_from_user).
import { E } from '../abi/linux/errno.js';
import * as S from '../abi/linux/socket.js';
import type { Task } from '../sentry/kernel/task.js';
import { readIovecs, type Iovec } from './args.js';

const INT_MAX = 0x7fffffff;
/** UIO_MAXIOV: the most iovecs in a msghdr, and the most messages one sendmmsg/recvmmsg moves. */
export const UIO_MAXIOV = 1024;

export function totalOf(iovs: Iovec[]): number { return iovs.reduce((n, v) => n + v.len, 0); }

/** Copies up to max bytes of the iovecs, after the first skip, into one buffer; EFAULT if unreadable. */
export function gather(t: Task, iovs: Iovec[], skip: number, max: number): Uint8Array | number {
  const out = new Uint8Array(Math.max(0, Math.min(max, totalOf(iovs) - skip)));
  let at = 0, pos = 0;
  for (const v of iovs) {
    if (at >= out.length) break;
    const start = Math.max(skip - pos, 0);
    pos += v.len;
    if (start >= v.len) continue;
    const k = Math.min(v.len - start, out.length - at);
    if (t.mm.copyInFull(v.base + start, out.subarray(at, at + k)) < 0) return -E.EFAULT;
    at += k;
  }
  return out;
}

/** Copies data into the iovecs from byte skip on; EFAULT if unwritable. */
export function scatter(t: Task, iovs: Iovec[], skip: number, data: Uint8Array): number {
  let at = 0, pos = 0;
  for (const v of iovs) {
    if (at >= data.length) break;
    const start = Math.max(skip - pos, 0);
    pos += v.len;
    if (start >= v.len) continue;
    const k = Math.min(v.len - start, data.length - at);
    if (t.mm.copyOutFull(v.base + start, data.subarray(at, at + k)) < 0) return -E.EFAULT;
    at += k;
  }
  return 0;
}

export interface MsgHdr { name: number; namelen: number; iovs: Iovec[]; control: number; controllen: number }

/** copy_msghdr_from_user. */
export function readMsghdr(t: Task, addr: number): MsgHdr | number {
  const b = new Uint8Array(S.MSGHDR_SIZE);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const name = Number(dv.getBigUint64(S.MSGHDR.name, true));
  let namelen = name === 0 ? 0 : dv.getInt32(S.MSGHDR.namelen, true);
  if (namelen < 0) return -E.EINVAL;
  namelen = Math.min(namelen, S.SOCKADDR_STORAGE_SIZE);
  const iovlen = dv.getBigUint64(S.MSGHDR.iovlen, true);
  if (iovlen > BigInt(UIO_MAXIOV)) return -E.EMSGSIZE;
  const iovs = readIovecs(t, Number(dv.getBigUint64(S.MSGHDR.iov, true)), Number(iovlen));
  if (typeof iovs === 'number') return iovs;
  const controllen = dv.getBigUint64(S.MSGHDR.controllen, true);
  return {
    name, namelen, iovs, control: Number(dv.getBigUint64(S.MSGHDR.control, true)),
    controllen: controllen > BigInt(INT_MAX) ? INT_MAX + 1 : Number(controllen),
  };
}
