// POSIX message queues: named queues of prioritised messages, opened as
// files (pollable: POLLIN with a message, POLLOUT with room), and the one
// mq_notify registration a queue may hold.
import { O_ACCMODE, O_RDONLY, O_WRONLY } from '../../../abi/linux/fcntl.js';
import { POLLIN, POLLOUT } from '../../../abi/linux/poll.js';
import { S_IFREG, type Stat } from '../../../abi/linux/stat.js';
import { FileDescription } from '../../vfs/file-description.js';
import type { ThreadGroup } from '../thread-group.js';
import { WaitQueue } from '../wait-queue.js';

/** /proc/sys/fs/mqueue defaults, and the hard ceilings root may go up to. */
export const MQ_MSG_DEFAULT = 10, MQ_MSGSIZE_DEFAULT = 8192, MQ_MSG_MAX = 10, MQ_MSGSIZE_MAX = 8192;
export const HARD_MSGMAX = 65536, HARD_MSGSIZEMAX = 16 * 1024 * 1024;
export const MQ_PRIO_MAX = 32768;
const POLLRDNORM = 0x40, POLLWRNORM = 0x100;
const MQUEUE_DEV = 0x13;

export interface MqMessage { prio: number; data: Uint8Array }

export interface MqNotify {
  tg: ThreadGroup;
  /** SIGEV_SIGNAL's signal and value; signo 0 for SIGEV_NONE. */
  signo: number;
  value: bigint;
}

let nextIno = 1n;

export class MessageQueue {
  readonly ino = nextIno++;
  /** Highest priority first; arrival order within a priority. */
  readonly messages: MqMessage[] = [];
  readonly waiters = new WaitQueue();
  notify: MqNotify | null = null;
  readonly ctime = Date.now();

  constructor(readonly name: string, public mode: number, readonly uid: number, readonly gid: number,
    readonly maxMsg: number, readonly msgSize: number) {}

  get bytes(): number { return this.messages.reduce((n, m) => n + m.data.length, 0); }

  push(m: MqMessage): void {
    let i = this.messages.length;
    while (i > 0 && this.messages[i - 1].prio < m.prio) i--;
    this.messages.splice(i, 0, m);
    this.waiters.wakeAll();
  }

  shift(): MqMessage | undefined {
    const m = this.messages.shift();
    if (m !== undefined) this.waiters.wakeAll();
    return m;
  }

  stat(): Stat {
    const ts = { sec: Math.floor(this.ctime / 1000), nsec: (this.ctime % 1000) * 1e6 };
    return { dev: MQUEUE_DEV, ino: this.ino, mode: S_IFREG | this.mode, nlink: 1, uid: this.uid, gid: this.gid, rdev: 0,
      size: this.bytes, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
  }
}

/** An open queue: what mq_open returns. Reading it gives Linux's status line. */
export class MqueueFile extends FileDescription {
  constructor(readonly queue: MessageQueue, flags: number) { super(flags); }

  stat(): Stat { return this.queue.stat(); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.queue.waiters; }
  override readiness(): number {
    const q = this.queue;
    return (q.messages.length > 0 ? POLLIN | POLLRDNORM : 0) | (q.messages.length < q.maxMsg ? POLLOUT | POLLWRNORM : 0);
  }
  get canReceive(): boolean { const acc = this.flags & O_ACCMODE; return acc !== O_WRONLY; }
  get canSend(): boolean { const acc = this.flags & O_ACCMODE; return acc !== O_RDONLY; }

  override read(dst: Uint8Array, offset: number): number {
    const n = this.queue.notify;
    const text = `QSIZE:${String(this.queue.bytes).padEnd(10)} NOTIFY:${String(n === null ? 0 : n.signo === 0 ? 1 : 0).padEnd(5)} `
      + `SIGNO:${String(n?.signo ?? 0).padEnd(5)} NOTIFY_PID:${String(n?.tg.tgid ?? 0).padEnd(6)}\n`;
    const bytes = Buffer.from(text, 'latin1');
    const at = offset < 0 ? this.offset : offset;
    const len = Math.max(0, Math.min(dst.length, bytes.length - at));
    dst.set(bytes.subarray(at, at + len));
    if (offset < 0) this.offset += len;
    return len;
  }
}

export class MqueueRegistry {
  readonly queues = new Map<string, MessageQueue>();
}
