// The AF_UNIX state machine without a kernel: names, connections, queues
// and readiness (the syscall-level behaviour is in test/syscalls/unix*.c).
import { describe, expect, it } from 'vitest';
import { E } from '../../../abi/linux/errno.js';
import { POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from '../../../abi/linux/poll.js';
import { SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM } from '../../../abi/linux/socket.js';
import { parseUnixAddress } from './address.js';
import { newSocketPair, UnixNet, UnixSocket, type Creator } from './socket.js';

const me: Creator = { pid: 1, euid: 0, egid: 0, fsuid: 0, fsgid: 0 };
const cred = { pid: 1, uid: 0, gid: 0 };

function sockaddr(path: string): Uint8Array {
  const b = new Uint8Array(2 + path.length);
  b[0] = 1;
  for (let i = 0; i < path.length; i++) b[2 + i] = path.charCodeAt(i);
  return b;
}

describe('parseUnixAddress', () => {
  const cases: Array<[string, Uint8Array, string | number]> = [
    ['too short', Uint8Array.of(1, 0), -E.EINVAL],
    ['too long', new Uint8Array(111).fill(1), -E.EINVAL],
    ['wrong family', Uint8Array.of(2, 0, 0x61), -E.EINVAL],
    ['path', sockaddr('a/b'), 'path:a/b'],
    ['path ends at NUL', sockaddr('ab\0cd'), 'path:ab'],
    ['abstract', sockaddr('\0name'), 'abstract:\0name'],
  ];
  for (const [name, raw, want] of cases) {
    it(name, () => {
      const p = parseUnixAddress(raw);
      expect(typeof p === 'number' ? p : `${p.kind}:${p.kind === 'path' ? p.path : p.key}`).toBe(want);
    });
  }
});

describe('UnixSocket', () => {
  it('abstract names are per type', () => {
    const net = new UnixNet();
    const a = new UnixSocket(net, SOCK_STREAM, me, 0), b = new UnixSocket(net, SOCK_STREAM, me, 0), d = new UnixSocket(net, SOCK_DGRAM, me, 0);
    const addr = { path: Uint8Array.of(0, 0x78), abstract: true };
    expect(a.bindAbstract(addr)).toBe(0);
    expect(b.bindAbstract(addr)).toBe(-E.EADDRINUSE);
    expect(d.bindAbstract(addr)).toBe(0);
    a.decRef();
    expect(b.bindAbstract(addr)).toBe(0);
  });

  it('connects through a backlog of n + 1 and accepts in order', () => {
    const net = new UnixNet();
    const l = new UnixSocket(net, SOCK_SEQPACKET, me, 0);
    expect(l.bindAbstract(null)).toBe(0);
    expect(l.listen(1, cred)).toBe(0);
    const clients = [0, 1, 2].map(() => new UnixSocket(net, SOCK_SEQPACKET, me, 0));
    const make = (): UnixSocket => new UnixSocket(net, SOCK_SEQPACKET, me, 0);
    expect(clients.map((c) => c.connectTo(l, cred, make))).toEqual([0, 0, -E.EAGAIN]);
    expect(l.readiness() & POLLIN).toBe(POLLIN);
    const s = l.accept();
    expect(s).toBeInstanceOf(UnixSocket);
    expect((s as UnixSocket).peer).toBe(clients[0]);
    expect(clients[2].connectTo(l, cred, make)).toBe(0);
  });

  it('stream data keeps its order, and the sender is charged until it is read', () => {
    const [a, b] = newSocketPair(new UnixNet(), SOCK_STREAM, me, cred, 0);
    expect(a.streamSend(new TextEncoder().encode('hello'), null, cred)).toBe(5);
    expect(a.wmem).toBeGreaterThan(5);
    const buf = new Uint8Array(3);
    const got = b.streamRecv(buf, false);
    expect(typeof got === 'number' ? got : got.n).toBe(3);
    expect(a.wmem).toBeGreaterThan(0);
    b.streamRecv(new Uint8Array(8), false);
    expect(a.wmem).toBe(0);
    expect(b.streamRecv(buf, false)).toBe(-E.EAGAIN);
  });

  it('a closed peer reads as end of file with POLLHUP and POLLRDHUP', () => {
    const [a, b] = newSocketPair(new UnixNet(), SOCK_STREAM, me, cred, 0);
    a.decRef();
    expect(b.readiness()).toBe(POLLIN | POLLOUT | POLLHUP | POLLRDHUP | 0x40 | 0x100 | 0x200);
    const got = b.streamRecv(new Uint8Array(4), false);
    expect(typeof got === 'number' ? got : got.n).toBe(0);
    expect(b.streamSend(Uint8Array.of(1), null, cred)).toBe(-E.EPIPE);
  });

  it('a datagram queue holds eleven messages from a stranger', () => {
    const net = new UnixNet();
    const r = new UnixSocket(net, SOCK_DGRAM, me, 0), s = new UnixSocket(net, SOCK_DGRAM, me, 0);
    let n = 0;
    while (s.dgramSend(r, Uint8Array.of(1), null, cred) === 1 && n < 100) n++;
    expect(n).toBe(11);
  });
});
