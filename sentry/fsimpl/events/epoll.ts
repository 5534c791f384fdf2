// epoll: an interest list over file descriptions. Readiness is asked of each
// file when waiting; edge-triggered items report again only after one of
// their file's wait queues has been woken (an event happened) since the last
// report; one-shot items disarm after reporting.
import { E } from '../../../abi/linux/errno.js';
import { O_RDWR } from '../../../abi/linux/fcntl.js';
import type { Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription } from '../../vfs/file-description.js';
import { anonStat } from './anon.js';

export const EPOLLIN = 0x001, EPOLLPRI = 0x002, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010;
export const EPOLLRDNORM = 0x040, EPOLLWRNORM = 0x100, EPOLLRDHUP = 0x2000;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
const ALWAYS = EPOLLERR | EPOLLHUP;

interface Item {
  fd: number;
  file: FileDescription;
  events: number;
  data: bigint;
  /** One-shot item that has reported: silent until EPOLL_CTL_MOD. */
  disarmed: boolean;
  /** For edge-triggered items: the generation of the file's queues at the last report. */
  seen: number;
}

export interface ReadyEvent { events: number; data: bigint }

function generationOf(f: FileDescription): number {
  const r = f.waitQueue(false), w = f.waitQueue(true);
  return (r?.generation ?? 0) + (w && w !== r ? w.generation : 0);
}

export class EpollFile extends FileDescription {
  override get anonInodeName(): string { return '[eventpoll]'; }
  private readonly items = new Map<string, Item>();
  private readonly ino = anonStat.nextIno();
  /** Woken by interest-list changes, so waiters re-look. */
  readonly changes = new WaitQueue();

  // Linux's epoll files are anonymous inodes opened O_RDWR (F_GETFL shows it).
  constructor(flags: number) { super(O_RDWR | flags); }

  stat(): Stat { return anonStat.of(this.ino); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.changes; }

  private key(fd: number, f: FileDescription): string { return `${fd}:${f.id}`; }

  add(fd: number, file: FileDescription, events: number, data: bigint): number {
    const k = this.key(fd, file);
    if (this.items.has(k)) return -E.EEXIST;
    if (file === this || (file instanceof EpollFile && file.watches(this))) return -E.ELOOP;
    this.items.set(k, { fd, file, events, data, disarmed: false, seen: -1 });
    this.changes.wakeAll();
    return 0;
  }

  modify(fd: number, file: FileDescription, events: number, data: bigint): number {
    const item = this.items.get(this.key(fd, file));
    if (!item) return -E.ENOENT;
    if ((item.events & EPOLLEXCLUSIVE) || (events & EPOLLEXCLUSIVE)) return -E.EINVAL;
    item.events = events; item.data = data; item.disarmed = false; item.seen = -1;
    this.changes.wakeAll();
    return 0;
  }

  remove(fd: number, file: FileDescription): number {
    return this.items.delete(this.key(fd, file)) ? 0 : -E.ENOENT;
  }

  private watches(other: EpollFile): boolean {
    for (const i of this.items.values()) {
      if (i.file === other) return true;
      if (i.file instanceof EpollFile && i.file.watches(other)) return true;
    }
    return false;
  }

  /** Items whose file is still open somewhere: Linux drops an item when its file's last reference goes. */
  private live(): Item[] {
    const out: Item[] = [];
    for (const [k, i] of this.items) { if (i.file.isReleased) this.items.delete(k); else out.push(i); }
    return out;
  }

  /** Collects up to max ready events, consuming edge and one-shot state. */
  collect(max: number): ReadyEvent[] {
    const out: ReadyEvent[] = [];
    for (const i of this.live()) {
      if (out.length >= max) break;
      if (i.disarmed) continue;
      let r = i.file.readiness();
      if (r & EPOLLIN) r |= EPOLLRDNORM;
      if (r & EPOLLOUT) r |= EPOLLWRNORM;
      const ev = r & (i.events | ALWAYS);
      if (ev === 0) continue;
      if (i.events & EPOLLET) {
        const g = generationOf(i.file);
        if (g === i.seen) continue;
        i.seen = g;
      }
      if (i.events & EPOLLONESHOT) i.disarmed = true;
      out.push({ events: ev, data: i.data });
    }
    return out;
  }

  /** The queues a waiter parks on: every watched file's, and our own. */
  queues(): WaitQueue[] {
    const qs = new Set<WaitQueue>([this.changes]);
    for (const i of this.live()) {
      if (i.disarmed) continue;
      const r = i.file.waitQueue(false), w = i.file.waitQueue(true);
      if (r) qs.add(r);
      if (w) qs.add(w);
    }
    return [...qs];
  }

  override readiness(): number {
    for (const i of this.live()) {
      if (i.disarmed) continue;
      if (i.file.readiness() & (i.events | ALWAYS)) return EPOLLIN;
    }
    return 0;
  }
}
