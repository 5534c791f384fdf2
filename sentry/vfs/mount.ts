// The mount table: every file system the sandbox has mounted, where, and
// how. It is the one source for the walk (a mount point's dentry points at
// the mounted root), /proc/mounts and /proc/<pid>/mountinfo, and the mount
// flags statfs(2) reports. A file's st_dev and its mount's major:minor are
// the same number: the table asks the mounted root for it.
import { major, minor } from '../../abi/linux/stat.js';
import type { Dentry } from './dentry.js';

/** statfs(2) f_flags that come from the mount (Linux's ST_*, equal to MS_*). */
export const ST_RDONLY = 0x1;
export const ST_NOSUID = 0x2;
export const ST_NODEV = 0x4;
export const ST_NOEXEC = 0x8;
export const ST_NOATIME = 0x400;
export const ST_RELATIME = 0x1000;

/** How atime moves: Linux's default is relatime; strictatime shows nothing. */
export type AtimeMode = 'relatime' | 'noatime' | 'strictatime';

/** Per-mount flags (Linux's MNT_*), what mountinfo's sixth field shows. */
export interface MountFlags {
  readonly: boolean;
  nosuid: boolean;
  nodev: boolean;
  noexec: boolean;
  atime: AtimeMode;
}

export const DEFAULT_MOUNT_FLAGS: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false, atime: 'relatime' };

/**
 * The per-mount flags in a list of mount(8) option words (an OCI mount's
 * options): ro/rw, nosuid/suid, nodev/dev, noexec/exec, and the atime
 * words; the last word of a pair wins, as in mount(8). Others are ignored.
 */
export function mountFlagsFromOptions(options: readonly string[]): MountFlags {
  const f: MountFlags = { ...DEFAULT_MOUNT_FLAGS };
  for (const o of options) {
    switch (o) {
      case 'ro': f.readonly = true; break;
      case 'rw': f.readonly = false; break;
      case 'nosuid': f.nosuid = true; break;
      case 'suid': f.nosuid = false; break;
      case 'nodev': f.nodev = true; break;
      case 'dev': f.nodev = false; break;
      case 'noexec': f.noexec = true; break;
      case 'exec': f.noexec = false; break;
      case 'noatime': f.atime = 'noatime'; break;
      case 'strictatime': f.atime = 'strictatime'; break;
      case 'relatime': f.atime = 'relatime'; break;
      default: break;
    }
  }
  return f;
}

/** What a mount shows besides its place: the file system's type, its source and its own options. */
export interface MountDescription {
  /** "overlay", "9p", "tmpfs", "proc", ... */
  fsType: string;
  /** mount(2)'s source; "none" when there is none. */
  source: string;
  flags: MountFlags;
  /**
   * The file system's own options after "rw"/"ro" (Linux's s_op->show_options),
   * e.g. "size=65536k,mode=755"; empty for none.
   */
  fsOptions?: string;
  /** The super block is read-only (the "ro" of the super options); the mount's flag if absent. */
  superReadonly?: boolean;
}

export class Mount {
  constructor(
    readonly id: number,
    /** The mount this one sits on; null for the root of the table. */
    readonly parent: Mount | null,
    /** The mounted file system's root dentry (its `mountpoint` is where it sits). */
    readonly root: Dentry,
    readonly desc: MountDescription,
  ) {}

  get flags(): MountFlags { return this.desc.flags; }

  /** st_dev of the files on this mount, as the file system reports it; 0 if it cannot say. */
  dev(): number {
    const st = this.root.inode.stat();
    return typeof st === 'number' ? 0 : st.dev;
  }

  /** statfs(2) f_flags this mount adds. */
  statfsFlags(): number {
    const f = this.desc.flags;
    return (f.readonly ? ST_RDONLY : 0) | (f.nosuid ? ST_NOSUID : 0) | (f.nodev ? ST_NODEV : 0) | (f.noexec ? ST_NOEXEC : 0)
      | (f.atime === 'relatime' ? ST_RELATIME : f.atime === 'noatime' ? ST_NOATIME : 0);
  }

  /** mountinfo's per-mount options (show_mnt_opts): "rw,nosuid,relatime". */
  mountOptions(): string {
    const f = this.desc.flags;
    const o = [f.readonly ? 'ro' : 'rw'];
    if (f.nosuid) o.push('nosuid');
    if (f.nodev) o.push('nodev');
    if (f.noexec) o.push('noexec');
    if (f.atime !== 'strictatime') o.push(f.atime);
    return o.join(',');
  }

  /** mountinfo's super options: "rw" or "ro", then the file system's own. */
  superOptions(): string {
    const ro = this.desc.superReadonly ?? this.desc.flags.readonly;
    return [ro ? 'ro' : 'rw', ...(this.desc.fsOptions ? [this.desc.fsOptions] : [])].join(',');
  }

  /** /proc/mounts' options (show_vfsmnt): the mount's flags, then the file system's options. */
  mountsOptions(): string {
    return [this.mountOptions(), ...(this.desc.fsOptions ? [this.desc.fsOptions] : [])].join(',');
  }
}

/** Linux's mangle() for /proc/mounts and mountinfo: space, tab, newline and backslash as \ooo. */
export function mangle(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

export class MountTable {
  /** In the order they were mounted, which is the order /proc shows. */
  private readonly list: Mount[] = [];
  /** Linux numbers a namespace's mounts from a counter shared by all; ours start here. */
  private nextId = 1;

  /**
   * Mounts `root` (a fresh dentry of a file system's root, with no parent)
   * on `point`, over whatever is mounted there already; with point null,
   * `root` becomes the table's root mount.
   */
  mount(point: Dentry | null, root: Dentry, desc: MountDescription): Mount {
    if (point === null) {
      if (this.list.length !== 0) throw new Error('the root mount must come first');
      const m = new Mount(this.nextId++, null, root, desc);
      root.mount = m;
      this.list.push(m);
      return m;
    }
    let top = point;
    while (top.mounted !== null) top = top.mounted;
    const parent = this.mountOf(top);
    if (parent === null) throw new Error('mount point outside the mount table');
    root.mountpoint = top;
    top.mounted = root;
    const m = new Mount(this.nextId++, parent, root, desc);
    root.mount = m;
    this.list.push(m);
    return m;
  }

  /** The mount a dentry is on. */
  mountOf(d: Dentry): Mount | null {
    return d.mountRoot().mount;
  }

  mounts(): readonly Mount[] { return this.list; }

  /**
   * The mounts seen from `root` (a task's root directory), each with its
   * mount point's path from there. As in Linux, a mount whose root the
   * walk up never meets `root` is left out: after a chroot to a directory
   * that is not a mount's root, even the mount holding it.
   */
  visibleFrom(root: Dentry): Array<{ mount: Mount; path: string }> {
    const out: Array<{ mount: Mount; path: string }> = [];
    for (const m of this.list) {
      const path = pathBelow(m.root, root);
      if (path !== null) out.push({ mount: m, path });
    }
    return out;
  }

  /**
   * /proc/<pid>/mountinfo as proc(5) describes it:
   * `id parent major:minor root mountpoint options [optional...] - type source superoptions`.
   * Every mount is private (no shared:/master: fields). The table's root
   * names itself as parent, as a namespace's root mount does in Linux; a
   * mount whose parent is out of a chroot's sight names it anyway.
   */
  mountinfo(root: Dentry): string {
    return this.visibleFrom(root).map(({ mount: m, path }) => {
      const dev = m.dev();
      // Every mount shows its file system from the top: there are no bind mounts of a subtree.
      return `${m.id} ${m.parent?.id ?? m.id} ${major(dev)}:${minor(dev)} / ${mangle(path)} ${m.mountOptions()} - `
        + `${m.desc.fsType} ${mangle(m.desc.source)} ${m.superOptions()}\n`;
    }).join('');
  }

  /** /proc/mounts (/proc/<pid>/mounts): `source mountpoint type options 0 0`. */
  mountsText(root: Dentry): string {
    return this.visibleFrom(root).map(({ mount: m, path }) =>
      `${mangle(m.desc.source)} ${mangle(path)} ${m.desc.fsType} ${m.mountsOptions()} 0 0\n`).join('');
  }
}

/**
 * The path of a mounted root's mount point as seen from root, or null if
 * the walk up from it never meets root (out of a chroot's sight).
 */
function pathBelow(mountedRoot: Dentry, root: Dentry): string | null {
  const parts: string[] = [];
  let d: Dentry = mountedRoot;
  for (;;) {
    if (d === root) return '/' + parts.reverse().join('/');
    if (d.parent === null) {
      if (d.mountpoint === null) return null;
      d = d.mountpoint;
      continue;
    }
    parts.push(d.name);
    d = d.parent;
  }
}
