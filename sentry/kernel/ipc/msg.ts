// SysV message queues: typed messages in arrival order, a byte limit, and
// one wait queue for blocked senders and receivers alike (both recheck on
// every change).
import { WaitQueue } from '../wait-queue.js';
import { IpcRegistry, type IpcObject, type IpcPerm } from './registry.js';

/** Linux's defaults (include/uapi/linux/msg.h). */
export const MSGMAX = 8192, MSGMNB = 16384, MSGMNI = 32000, MSGPOOL = 16384 * 1024 / 1024, MSGTQL = MSGMNB, MSGMAP = MSGMNB, MSGSSZ = 16;
export const MSGSEG = 0xffff;

export interface Message { type: number; data: Uint8Array }

export class MsgQueue implements IpcObject {
  id = -1;
  removed = false;
  readonly messages: Message[] = [];
  bytes = 0;
  /** msg_qbytes: the most bytes the queue holds. */
  maxBytes = MSGMNB;
  stime = 0;
  rtime = 0;
  lspid = 0;
  lrpid = 0;
  readonly waiters = new WaitQueue();

  constructor(readonly perm: IpcPerm, public ctime: number) {}

  /** Whether a message of size n fits now (Linux also limits the count to msg_qbytes). */
  fits(n: number): boolean { return this.bytes + n <= this.maxBytes && this.messages.length + 1 <= this.maxBytes; }

  /** The index of the message msgrcv's type selects, or -1. */
  find(type: number, except: boolean): number {
    if (type === 0) return this.messages.length > 0 ? 0 : -1;
    if (type > 0) return this.messages.findIndex((m) => (except ? m.type !== type : m.type === type));
    // type < 0: the first message of the lowest type not above |type|.
    let best = -1;
    this.messages.forEach((m, i) => { if (m.type <= -type && (best < 0 || m.type < this.messages[best].type)) best = i; });
    return best;
  }
}

export class MsgRegistry extends IpcRegistry<MsgQueue> {
  constructor() { super(MSGMNI); }
  totalMessages(): number { return this.objects().reduce((n, q) => n + q.messages.length, 0); }
  totalBytes(): number { return this.objects().reduce((n, q) => n + q.bytes, 0); }
}
