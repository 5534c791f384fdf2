// host/fs.ts and host/socket.ts as the Gofer uses them (they live outside
// gofer/, but this is where their only caller's tests are).

import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, S_IFLNK, S_IFMT,
  close, decodeDirents, fstat, getdents64, makedev, openat, pread, readlinkat,
} from '../../host/fs.js';
import { closeFd, getCloexec, PollSet, POLLIN, recvExact, sendAll, setCloexec, socketpair } from '../../host/socket.js';

describe('host/fs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gofer-host-'));
  writeFileSync(join(dir, 'f'), 'abcdef');
  symlinkSync('target', join(dir, 'l'));

  it('decodes struct stat like node:fs does', () => {
    const fd = openat(AT_FDCWD, join(dir, 'f'), O_PATH | O_CLOEXEC);
    expect(fd).toBeGreaterThanOrEqual(0);
    const st = fstat(fd);
    if (typeof st === 'number') throw new Error(`fstat: ${st}`);
    const ref = statSync(join(dir, 'f'), { bigint: true });
    expect(st.ino).toBe(ref.ino);
    expect(st.dev).toBe(ref.dev);
    expect(BigInt(st.mode)).toBe(ref.mode);
    expect(BigInt(st.size)).toBe(ref.size);
    expect(BigInt(st.mtimeSec) * 1_000_000_000n + BigInt(st.mtimeNsec)).toBe(ref.mtimeNs);
    close(fd);
  });

  it('keeps a symlink a symlink with O_PATH|O_NOFOLLOW', () => {
    const fd = openat(AT_FDCWD, join(dir, 'l'), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    const st = fstat(fd);
    expect(typeof st !== 'number' && st.mode & S_IFMT).toBe(S_IFLNK);
    expect(readlinkat(fd, '')).toBe('target');
    close(fd);
  });

  it('reads into a view and lists a directory', () => {
    const fd = openat(AT_FDCWD, join(dir, 'f'), O_RDONLY | O_CLOEXEC);
    const buf = Buffer.alloc(10, '.');
    expect(pread(fd, buf.subarray(2), 3, 1)).toBe(3);
    expect(buf.toString()).toBe('..bcd.....');
    expect(pread(fd, buf, 11, 0)).toBe(-22);
    close(fd);
    const dfd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const dents = Buffer.alloc(4096);
    const n = getdents64(dfd, dents);
    expect(decodeDirents(dents, n).map((d) => d.name).sort()).toEqual(['.', '..', 'f', 'l']);
    close(dfd);
    expect(openat(AT_FDCWD, join(dir, 'missing'), O_RDONLY)).toBe(-2);
  });

  it('encodes dev_t like glibc makedev', () => {
    expect(makedev(8, 1)).toBe(0x801n);
    expect(makedev(259, 0x12345)).toBe(0x12310345n);
    expect(makedev(0x12345, 7)).toBe(0x1200000034507n);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});

describe('host/socket', () => {
  it('moves whole messages across a socketpair and toggles FD_CLOEXEC', () => {
    const p = socketpair();
    if (typeof p === 'number') throw new Error(`socketpair: ${p}`);
    const [a, b] = p;
    expect(getCloexec(a)).toBe(true);
    expect(setCloexec(a, false)).toBe(0);
    expect(getCloexec(a)).toBe(false);
    expect(setCloexec(a, true)).toBe(0);
    const msg = Buffer.from('0123456789');
    expect(sendAll(a, msg.subarray(0, 4))).toBe(0);
    expect(sendAll(a, msg.subarray(4))).toBe(0);
    const polls = new PollSet(1);
    polls.set(0, b, POLLIN);
    expect(polls.wait(1000)).toBe(1);
    expect(polls.revents(0) & POLLIN).toBe(POLLIN);
    const into = Buffer.alloc(12, '-');
    expect(recvExact(b, into, 1, 10)).toBe(10);
    expect(into.toString()).toBe('-0123456789-');
    closeFd(a);
    expect(recvExact(b, into, 0, 1)).toBe(0);
    closeFd(b);
  });
});
