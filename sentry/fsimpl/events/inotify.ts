// An inotify instance: its watches (by wd) and its queue of events, read as
// struct inotify_event records. Events come from the VFS's notify hooks.
import { E } from '../../../abi/linux/errno.js';
import { O_RDONLY } from '../../../abi/linux/fcntl.js';
import {
  IN_IGNORED, IN_MASK_ADD, IN_MASK_CREATE, IN_Q_OVERFLOW, INOTIFY_EVENT_SIZE, MAX_QUEUED_EVENTS,
} from '../../../abi/linux/inotify.js';
import { FIONREAD } from '../../../abi/linux/ioctl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription, type IoctlIo } from '../../vfs/file-description.js';
import type { Inode } from '../../vfs/inode.js';
import { addWatch, fileKey, removeWatch, Watch, type FileKey, type WatchOwner } from '../../vfs/notify.js';
import { anonStat } from './anon.js';

const POLLIN = 0x1, POLLRDNORM = 0x40;

interface QueuedEvent { wd: number; mask: number; cookie: number; name: Uint8Array }

/** The name as the record carries it: NUL-terminated and padded with NULs to a multiple of the header's size. */
function paddedName(name: string): Uint8Array {
  if (name === '') return new Uint8Array(0);
  const bytes = Buffer.from(name, 'utf8');
  const len = Math.ceil((bytes.length + 1) / INOTIFY_EVENT_SIZE) * INOTIFY_EVENT_SIZE;
  const out = new Uint8Array(len);
  out.set(bytes);
  return out;
}

function recordSize(e: QueuedEvent): number { return INOTIFY_EVENT_SIZE + e.name.length; }

export class InotifyFile extends FileDescription implements WatchOwner {
  override get anonInodeName(): string { return 'inotify'; }
  private readonly queue = new WaitQueue();
  private readonly ino = anonStat.nextIno();
  private readonly events: QueuedEvent[] = [];
  private readonly byWd = new Map<number, Watch>();
  private readonly byFile = new Map<FileKey, Watch>();
  private nextWd = 1;

  constructor(flags: number) { super(O_RDONLY | flags); }

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override waitQueue(forWrite: boolean): WaitQueue | null { return forWrite ? null : this.queue; }
  override readiness(): number { return this.events.length > 0 ? POLLIN | POLLRDNORM : 0; }

  /**
   * inotify_add_watch after the path was resolved and checked: a new watch,
   * or the inode's existing one with its mask replaced (or, with
   * IN_MASK_ADD, extended). IN_MASK_CREATE refuses an existing watch.
   */
  watch(inode: Inode, mask: number): number {
    const flagsKept = mask & ~(IN_MASK_ADD | IN_MASK_CREATE);
    const file = fileKey(inode);
    const existing = this.byFile.get(file);
    if (existing !== undefined) {
      if (mask & IN_MASK_CREATE) return -E.EEXIST;
      existing.mask = (mask & IN_MASK_ADD) ? existing.mask | flagsKept : flagsKept;
      return existing.wd;
    }
    const w = new Watch(this, this.nextWd++, file, flagsKept);
    this.byWd.set(w.wd, w);
    this.byFile.set(file, w);
    addWatch(w);
    return w.wd;
  }

  /** inotify_rm_watch: the watch ends with IN_IGNORED. */
  unwatch(wd: number): number {
    const w = this.byWd.get(wd);
    if (w === undefined) return -E.EINVAL;
    removeWatch(w);
    this.watchEnded(w);
    return 0;
  }

  watchEnded(w: Watch): void {
    this.byWd.delete(w.wd);
    this.byFile.delete(w.file);
    this.queueEvent(w.wd, IN_IGNORED, 0, '');
  }

  queueEvent(wd: number, mask: number, cookie: number, name: string): void {
    const last = this.events[this.events.length - 1];
    const n = paddedName(name);
    // Linux drops an event identical to the last one still queued.
    if (last !== undefined && last.wd === wd && last.mask === mask && last.cookie === cookie && Buffer.compare(last.name, n) === 0) return;
    if (this.events.length >= MAX_QUEUED_EVENTS) {
      // One IN_Q_OVERFLOW (wd -1) stands for everything lost until the queue drains.
      if (last?.mask === IN_Q_OVERFLOW) return;
      this.events.push({ wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: new Uint8Array(0) });
    } else {
      this.events.push({ wd, mask, cookie, name: n });
    }
    this.queue.wakeAll();
  }

  override read(dst: Uint8Array): number {
    if (this.events.length === 0) return -E.EAGAIN;
    if (recordSize(this.events[0]) > dst.length) return -E.EINVAL;
    let used = 0;
    const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    while (this.events.length > 0 && used + recordSize(this.events[0]) <= dst.length) {
      const e = this.events.shift()!;
      dv.setInt32(used, e.wd, true);
      dv.setUint32(used + 4, e.mask >>> 0, true);
      dv.setUint32(used + 8, e.cookie >>> 0, true);
      dv.setUint32(used + 12, e.name.length, true);
      dst.set(e.name, used + INOTIFY_EVENT_SIZE);
      used += recordSize(e);
    }
    return used;
  }

  override ioctl(request: number, arg: number, io: IoctlIo): number {
    if (request !== FIONREAD) return -E.ENOTTY;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, this.events.reduce((n, e) => n + recordSize(e), 0), true);
    return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
  }

  protected override release(): void {
    for (const w of this.byWd.values()) removeWatch(w);
    this.byWd.clear();
    this.byFile.clear();
    this.events.length = 0;
  }
}
