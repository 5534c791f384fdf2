// The mount table's text, from the table alone: IDs and parents, stacked
// mounts, what a chroot sees, mangled names, flags and st_dev.
import { describe, expect, it } from 'vitest';
import { makedev } from '../../abi/linux/stat.js';
import { newTmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import { Dentry } from './dentry.js';
import { DEFAULT_MOUNT_FLAGS, mangle, mountFlagsFromOptions, MountTable, ST_NOEXEC, ST_RDONLY, ST_RELATIME } from './mount.js';
import { resolvePath } from './path-walk.js';
import { Harness, must } from './test-harness.js';

function setup(): { table: MountTable; h: Harness } {
  const rootFs = newTmpfs({ mode: 0o755, dev: makedev(0, 40) });
  const h = new Harness(rootFs);
  const table = new MountTable();
  table.mount(null, h.root, { fsType: 'tmpfs', source: 'rootfs', flags: { ...DEFAULT_MOUNT_FLAGS } });
  for (const d of ['/a', '/my dir', '/jail', '/jail/in']) expect(h.mkdir(d)).toBe(0);
  return { table, h };
}

const at = (h: Harness, path: string): Dentry => must(resolvePath(h.ctx, h.root, path, true), path);
const fresh = (dev: number): Dentry => new Dentry('/', null, newTmpfs({ dev: makedev(0, dev) }));

describe('MountTable', () => {
  it('lists mounts in mount order with parents, devices, flags and mangled names', () => {
    const { table, h } = setup();
    table.mount(at(h, '/a'), fresh(41), { fsType: 'tmpfs', source: 'tmpfs', flags: mountFlagsFromOptions(['nosuid', 'noexec', 'ro']), fsOptions: 'size=4k' });
    expect(h.mkdir('/a/b')).toBe(0); // in the mounted tmpfs (its flags are the table's; the file system is writable)
    table.mount(at(h, '/a/b'), fresh(42), { fsType: 'tmpfs', source: 'x y', flags: mountFlagsFromOptions(['strictatime']) });
    table.mount(at(h, '/my dir'), fresh(43), { fsType: 'tmpfs', source: 'tmpfs', flags: mountFlagsFromOptions(['noatime']) });
    expect(table.mountinfo(h.root)).toBe([
      '1 1 0:40 / / rw,relatime - tmpfs rootfs rw',
      '2 1 0:41 / /a ro,nosuid,noexec,relatime - tmpfs tmpfs ro,size=4k',
      '3 2 0:42 / /a/b rw - tmpfs x\\040y rw',
      '4 1 0:43 / /my\\040dir rw,noatime - tmpfs tmpfs rw',
      '',
    ].join('\n'));
    expect(table.mountsText(h.root).split('\n')[1]).toBe('tmpfs /a tmpfs ro,nosuid,noexec,relatime,size=4k 0 0');
    const a = table.mountOf(at(h, '/a/b/..'));
    expect(a?.id).toBe(2);
    expect(a?.statfsFlags()).toBe(ST_RDONLY | ST_NOEXEC | ST_RELATIME | 0x2);
  });

  it('stacks a second mount on the same point over the first', () => {
    const { table, h } = setup();
    table.mount(at(h, '/a'), fresh(41), { fsType: 'tmpfs', source: 'one', flags: { ...DEFAULT_MOUNT_FLAGS } });
    const top = fresh(42);
    table.mount(at(h, '/a'), top, { fsType: 'tmpfs', source: 'two', flags: { ...DEFAULT_MOUNT_FLAGS } });
    expect(at(h, '/a')).toBe(top);
    expect(table.mountinfo(h.root).split('\n').slice(1, 3)).toEqual([
      '2 1 0:41 / /a rw,relatime - tmpfs one rw',
      '3 2 0:42 / /a rw,relatime - tmpfs two rw',
    ]);
  });

  it('shows a chroot only the mounts below its root, with paths from there', () => {
    const { table, h } = setup();
    table.mount(at(h, '/a'), fresh(41), { fsType: 'tmpfs', source: 'a', flags: { ...DEFAULT_MOUNT_FLAGS } });
    table.mount(at(h, '/jail/in'), fresh(42), { fsType: 'tmpfs', source: 'in', flags: { ...DEFAULT_MOUNT_FLAGS } });
    // Linux: the mount holding the new root is not listed unless the root is that mount's root.
    expect(table.mountinfo(at(h, '/jail'))).toBe('3 1 0:42 / /in rw,relatime - tmpfs in rw\n');
    expect(table.mountsText(at(h, '/jail/in'))).toBe('in / tmpfs rw,relatime 0 0\n');
  });

  it('mangles space, tab, newline and backslash', () => {
    expect(mangle('a b\tc\nd\\e')).toBe('a\\040b\\011c\\012d\\134e');
  });
});
