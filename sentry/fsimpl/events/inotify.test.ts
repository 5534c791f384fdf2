// inotify's queue (overflow, coalescing, records) and its events from the
// VFS on tmpfs: what test/syscalls/inotify.c cannot reach through the
// Gofer (16384 events in time, RENAME_EXCHANGE).
import { describe, expect, it } from 'vitest';
import { E } from '../../../abi/linux/errno.js';
import { RENAME_EXCHANGE } from '../../../abi/linux/fs.js';
import {
  IN_ALL_EVENTS, IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED, IN_MODIFY, IN_MOVE_SELF, IN_MOVED_FROM, IN_MOVED_TO,
  IN_Q_OVERFLOW, MAX_QUEUED_EVENTS,
} from '../../../abi/linux/inotify.js';
import { FIONREAD } from '../../../abi/linux/ioctl.js';
import { Harness, must } from '../../vfs/test-harness.js';
import { newTmpfs } from '../tmpfs/tmpfs.js';
import { InotifyFile } from './inotify.js';

interface Ev { wd: number; mask: number; cookie: number; len: number; name: string }

function drain(f: InotifyFile): Ev[] {
  const out: Ev[] = [];
  const buf = new Uint8Array(1 << 16);
  for (;;) {
    const n = f.read(buf);
    if (n === -E.EAGAIN) return out;
    expect(n).toBeGreaterThan(0);
    const dv = new DataView(buf.buffer);
    for (let p = 0; p < n;) {
      const len = dv.getUint32(p + 12, true);
      const raw = Buffer.from(buf.subarray(p + 16, p + 16 + len));
      out.push({ wd: dv.getInt32(p, true), mask: dv.getUint32(p + 4, true), cookie: dv.getUint32(p + 8, true), len, name: raw.toString('utf8').replace(/\0+$/, '') });
      p += 16 + len;
    }
  }
}

function queued(f: InotifyFile): number {
  let v = -1;
  const r = f.ioctl(FIONREAD, 0, { copyOut: (_a, b) => { v = new DataView(b.buffer).getUint32(0, true); return b.length; }, copyIn: () => 0 });
  expect(r).toBe(0);
  return v;
}

describe('inotify queue', () => {
  it('ends with one IN_Q_OVERFLOW (wd -1) past 16384 events, then queues again once drained', () => {
    const f = new InotifyFile(0);
    for (let i = 0; i < MAX_QUEUED_EVENTS + 50; i++) f.queueEvent(1, i % 2 ? IN_MODIFY : IN_ATTRIB, 0, '');
    expect(queued(f)).toBe((MAX_QUEUED_EVENTS + 1) * 16);
    const evs = drain(f);
    expect(evs).toHaveLength(MAX_QUEUED_EVENTS + 1);
    expect(evs[evs.length - 1]).toMatchObject({ wd: -1, mask: IN_Q_OVERFLOW, len: 0 });
    expect(evs.filter((e) => e.mask === IN_Q_OVERFLOW)).toHaveLength(1);
    f.queueEvent(1, IN_MODIFY, 0, '');
    expect(drain(f)).toEqual([{ wd: 1, mask: IN_MODIFY, cookie: 0, len: 0, name: '' }]);
  });

  it('coalesces an event identical to the last queued one, pads names to 16 bytes, and refuses a read too small', () => {
    const f = new InotifyFile(0);
    f.queueEvent(1, IN_MODIFY, 0, 'abc');
    f.queueEvent(1, IN_MODIFY, 0, 'abc');
    f.queueEvent(1, IN_MODIFY, 0, 'abd');
    f.queueEvent(1, IN_MODIFY, 0, 'x'.repeat(16));
    expect(queued(f)).toBe(32 + 32 + 48);
    expect(f.read(new Uint8Array(31))).toBe(-E.EINVAL);
    expect(f.read(new Uint8Array(63))).toBe(32);
    expect(drain(f).map((e) => [e.name, e.len])).toEqual([['abd', 16], ['x'.repeat(16), 32]]);
    expect(f.readiness()).toBe(0);
  });
});

describe('inotify events from the VFS (tmpfs)', () => {
  it('reports both halves of RENAME_EXCHANGE, each pair with its own cookie', () => {
    const h = new Harness(newTmpfs({ mode: 0o755 }));
    must(h.mkdir('/a'));
    must(h.mkdir('/b'));
    must(h.writeFile('/a/x', '1'));
    must(h.writeFile('/b/y', '2'));
    const f = new InotifyFile(0);
    const wa = f.watch(must(h.resolve('/a')).inode, IN_ALL_EVENTS);
    const wb = f.watch(must(h.resolve('/b')).inode, IN_ALL_EVENTS);
    const wx = f.watch(must(h.resolve('/a/x')).inode, IN_ALL_EVENTS);
    expect(h.rename('/a/x', '/b/y', RENAME_EXCHANGE)).toBe(0);
    const evs = drain(f);
    expect(evs.map((e) => [e.wd, e.mask, e.name])).toEqual([
      [wa, IN_MOVED_FROM, 'x'], [wb, IN_MOVED_TO, 'y'], [wx, IN_MOVE_SELF, ''],
      [wb, IN_MOVED_FROM, 'y'], [wa, IN_MOVED_TO, 'x'],
    ]);
    expect(evs[0].cookie).toBe(evs[1].cookie);
    expect(evs[3].cookie).toBe(evs[4].cookie);
    expect(evs[0].cookie).not.toBe(evs[3].cookie);
  });

  it('watches the file, not the name: a hard link reaches it, and the last unlink ends the watch', () => {
    const h = new Harness(newTmpfs({ mode: 0o755 }));
    must(h.writeFile('/f', 'data'));
    must(h.link('/f', '/g'));
    const f = new InotifyFile(0);
    const w = f.watch(must(h.resolve('/f')).inode, IN_ALL_EVENTS);
    expect(f.watch(must(h.resolve('/g')).inode, IN_ALL_EVENTS)).toBe(w);
    must(h.chmod('/g', 0o600));
    must(h.unlink('/f'));
    // The unlink's IN_ATTRIB (link count) is identical to the chmod's: coalesced.
    expect(drain(f).map((e) => e.mask)).toEqual([IN_ATTRIB]);
    must(h.unlink('/g'));
    expect(drain(f).map((e) => e.mask)).toEqual([IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED]);
    expect(f.unwatch(w)).toBe(-E.EINVAL);
  });
});
