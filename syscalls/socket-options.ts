// getsockopt(2) and setsockopt(2) at SOL_SOCKET, as Linux's sk_getsockopt
// and sk_setsockopt answer them for an AF_UNIX socket. AF_UNIX has no
// options of its own at other levels (EOPNOTSUPP there).
import { netlinkGetOption, netlinkOf, netlinkSetOption } from './socket-netlink.js';
import { ConsoleFile } from '../sentry/fsimpl/host/console-file.js';
import { E } from '../abi/linux/errno.js';
import * as S from '../abi/linux/socket.js';
import type { Task } from '../sentry/kernel/task.js';
import type { UnixSocket } from '../sentry/fsimpl/unix/socket.js';
import { socketOf } from './socket-common.js';
import { sys, type SyscallGroup } from './types.js';

/** The _NEW forms of the timeouts: on x86-64 the same 16-byte layout as the old timeval. */
const SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67;
const INT_MAX = 0x7fffffff;

/** Options Linux keeps as a flag or a plain value, with their defaults (read back as stored). */
const PLAIN: ReadonlyMap<number, number> = new Map([
  [S.SO_DEBUG, 0], [S.SO_REUSEADDR, 0], [S.SO_REUSEPORT, 0], [S.SO_DONTROUTE, 0], [S.SO_BROADCAST, 0],
  [S.SO_KEEPALIVE, 0], [S.SO_OOBINLINE, 0], [S.SO_PRIORITY, 0], [S.SO_RCVLOWAT, 1],
]);

/** Root stands for CAP_NET_ADMIN, as elsewhere in the sandbox. */
function capable(t: Task): boolean { return t.creds.euid === 0; }

function intBytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function timeoutBytes(ns: number): Uint8Array {
  const b = new Uint8Array(S.TIMEVAL_SIZE), dv = new DataView(b.buffer);
  if (ns > 0) {
    const usec = Math.ceil(ns / 1000);
    dv.setBigInt64(0, BigInt(Math.floor(usec / 1e6)), true);
    dv.setBigInt64(8, BigInt(usec % 1e6), true);
  }
  return b;
}

/** The option's value as sk_getsockopt lays it out, or an errno. */
function optionValue(t: Task, s: UnixSocket, name: number): Uint8Array | number {
  const plain = PLAIN.get(name);
  if (plain !== undefined) return intBytes(s.options.get(name) ?? plain);
  switch (name) {
    case S.SO_TYPE: return intBytes(s.type);
    case S.SO_PROTOCOL: return intBytes(0);
    case S.SO_DOMAIN: return intBytes(S.AF_UNIX);
    case S.SO_ERROR: return intBytes(s.takeError());
    case S.SO_SNDBUF: return intBytes(s.sndbuf);
    case S.SO_RCVBUF: return intBytes(s.rcvbuf);
    case S.SO_PASSCRED: return intBytes(s.passcred ? 1 : 0);
    case S.SO_ACCEPTCONN: return intBytes(s.listening ? 1 : 0);
    case S.SO_SNDLOWAT: return intBytes(1);
    case S.SO_LINGER: {
      const b = new Uint8Array(S.LINGER_SIZE), dv = new DataView(b.buffer);
      dv.setInt32(0, s.linger[0], true); dv.setInt32(4, s.linger[1], true);
      return b;
    }
    case S.SO_RCVTIMEO: case SO_RCVTIMEO_NEW: return timeoutBytes(s.rcvtimeo);
    case S.SO_SNDTIMEO: case SO_SNDTIMEO_NEW: return timeoutBytes(s.sndtimeo);
    case S.SO_PEERCRED: {
      // No peer: pid 0 and the ids -1 (cred_to_ucred with no credentials).
      const c = s.peerCred, b = new Uint8Array(S.UCRED_SIZE), dv = new DataView(b.buffer);
      dv.setInt32(0, c?.pid ?? 0, true); dv.setInt32(4, c?.uid ?? -1, true); dv.setInt32(8, c?.gid ?? -1, true);
      return b;
    }
  }
  void t;
  return -E.ENOPROTOOPT;
}

/** The options a console on a host socket answers: it is a connected, unnamed AF_UNIX stream socket. */
function consoleOption(name: number): Uint8Array | number {
  const int = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
  switch (name) {
    case S.SO_TYPE: return int(S.SOCK_STREAM);
    case S.SO_DOMAIN: return int(S.AF_UNIX);
    case S.SO_PROTOCOL: case S.SO_ACCEPTCONN: case S.SO_ERROR: return int(0);
    default: return -E.ENOPROTOOPT;
  }
}

function getsockopt(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return copyOption(t, () => netlinkGetOption(nl, t.argInt(1), t.argInt(2)));
  const s = socketOf(t, t.argInt(0));
  const f = t.fdTable.get(t.argInt(0));
  const console = s === -E.ENOTSOCK && f instanceof ConsoleFile && f.isHostSocket;
  if (typeof s === 'number' && !console) return s;
  const level = t.argInt(1), name = t.argInt(2);
  if (level !== S.SOL_SOCKET) return -E.EOPNOTSUPP;
  return copyOption(t, () => typeof s === 'number' ? consoleOption(name) : optionValue(t, s, name));
}

/**
 * getsockopt's copy-out: *optlen is checked before the option is read
 * (reading SO_ERROR clears it), then at most *optlen bytes and the length copied.
 */
function copyOption(t: Task, value: () => Uint8Array | number): number {
  const valAddr = t.arg(3), lenAddr = t.arg(4);
  const len = t.mm.readU32(lenAddr);
  if (len === null) return -E.EFAULT;
  if ((len | 0) < 0) return -E.EINVAL;
  const v = value();
  if (typeof v === 'number') return v;
  const n = Math.min(len, v.length);
  if (n > 0 && t.mm.copyOutFull(valAddr, v.subarray(0, n)) < 0) return -E.EFAULT;
  return t.mm.writeU32(lenAddr, n) < 0 ? -E.EFAULT : 0;
}

/** sock_set_timeout: a timeval; a negative one means never wait, zero forever. */
function readTimeout(t: Task, addr: number, len: number): number | { ns: number } {
  if (len < S.TIMEVAL_SIZE) return -E.EINVAL;
  const b = new Uint8Array(S.TIMEVAL_SIZE);
  if (t.mm.copyInFull(addr, b) < 0) return -E.EFAULT;
  const dv = new DataView(b.buffer);
  const sec = dv.getBigInt64(0, true), usec = dv.getBigInt64(8, true);
  if (usec < 0n || usec >= 1000000n) return -E.EDOM;
  if (sec < 0n) return { ns: 0 };
  if (sec === 0n && usec === 0n) return { ns: -1 };
  // Beyond MAX_SCHEDULE_TIMEOUT a timeout is forever.
  if (sec > 1n << 40n) return { ns: -1 };
  return { ns: Number(sec) * 1e9 + Number(usec) * 1000 };
}

function setsockopt(t: Task): number {
  const nl = netlinkOf(t, t.argInt(0));
  if (nl !== null) return t.argInt(4) < 0 ? -E.EINVAL : netlinkSetOption(t.argInt(1), t.argInt(2), t.argInt(4));
  const s = socketOf(t, t.argInt(0));
  if (typeof s === 'number') return s;
  const level = t.argInt(1), name = t.argInt(2), valAddr = t.arg(3), len = t.argInt(4);
  if (len < 0) return -E.EINVAL;
  if (level !== S.SOL_SOCKET) return -E.EOPNOTSUPP;
  if (len < 4) return -E.EINVAL;
  const raw = new Uint8Array(4);
  if (t.mm.copyInFull(valAddr, raw) < 0) return -E.EFAULT;
  const val = new DataView(raw.buffer).getInt32(0, true);
  switch (name) {
    case S.SO_DEBUG:
      if (val && !capable(t)) return -E.EACCES;
      s.options.set(name, val ? 1 : 0); return 0;
    case S.SO_REUSEADDR: case S.SO_DONTROUTE: case S.SO_BROADCAST: case S.SO_KEEPALIVE: case S.SO_OOBINLINE:
      s.options.set(name, val ? 1 : 0); return 0;
    case S.SO_REUSEPORT:
      // Only inet sockets may share a port.
      if (val) return -E.EOPNOTSUPP;
      s.options.set(name, 0); return 0;
    case S.SO_PRIORITY:
      if ((val < 0 || val > 6) && !capable(t)) return -E.EPERM;
      s.options.set(name, val); return 0;
    case S.SO_RCVLOWAT:
      s.options.set(name, val < 0 ? INT_MAX : val || 1); return 0;
    case S.SO_SNDBUF: case S.SO_SNDBUFFORCE: {
      let v: number;
      if (name === S.SO_SNDBUFFORCE) { if (!capable(t)) return -E.EPERM; v = Math.max(val, 0); }
      else v = Math.min(val >>> 0, S.WMEM_MAX);
      s.sndbuf = Math.max(Math.min(v, INT_MAX >> 1) * 2, S.SOCK_MIN_SNDBUF);
      s.events.wakeAll();
      return 0;
    }
    case S.SO_RCVBUF: case S.SO_RCVBUFFORCE: {
      let v: number;
      if (name === S.SO_RCVBUFFORCE) { if (!capable(t)) return -E.EPERM; v = Math.max(val, 0); }
      else v = Math.min(val >>> 0, S.RMEM_MAX);
      s.rcvbuf = Math.max(Math.min(v, INT_MAX >> 1) * 2, S.SOCK_MIN_RCVBUF);
      return 0;
    }
    case S.SO_PASSCRED: s.passcred = val !== 0; return 0;
    case S.SO_LINGER: {
      if (len < S.LINGER_SIZE) return -E.EINVAL;
      const b = new Uint8Array(S.LINGER_SIZE);
      if (t.mm.copyInFull(valAddr, b) < 0) return -E.EFAULT;
      const dv = new DataView(b.buffer), onoff = dv.getInt32(0, true), secs = dv.getInt32(4, true);
      s.linger = onoff ? [1, Math.max(secs, 0)] : [0, s.linger[1]];
      return 0;
    }
    case S.SO_RCVTIMEO: case SO_RCVTIMEO_NEW: case S.SO_SNDTIMEO: case SO_SNDTIMEO_NEW: {
      const tv = readTimeout(t, valAddr, len);
      if (typeof tv === 'number') return tv;
      if (name === S.SO_RCVTIMEO || name === SO_RCVTIMEO_NEW) s.rcvtimeo = tv.ns; else s.sndtimeo = tv.ns;
      return 0;
    }
  }
  return -E.ENOPROTOOPT;
}

export const socketOptionSyscalls: SyscallGroup = {
  getsockopt: sys(getsockopt, 'fiipp'),
  setsockopt: sys(setsockopt, 'fiipi', 'the SOL_SOCKET options AF_UNIX uses; SO_PEEK_OFF, timestamps, filters and SO_BINDTODEVICE are ENOPROTOOPT'),
};
