// What an AF_UNIX socket queues: data with the sender's credentials and
// any file descriptions in flight (SCM_RIGHTS), charged to the sender's
// send buffer until the receiver consumes it, as Linux charges an sk_buff's
// truesize to sk_wmem_alloc.
import type { FileDescription } from '../../vfs/file-description.js';

/** struct ucred. */
export interface Ucred { pid: number; uid: number; gid: number }

export function sameCred(a: Ucred, b: Ucred): boolean {
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

/** The sender as a queued message sees it. */
export interface Sender {
  /** Bytes of the sender's queued messages (sk_wmem_alloc). */
  wmem: number;
  /** Called when a charge is returned: the sender may write again. */
  uncharged(): void;
}

export class Segment {
  /** Bytes already read from the front (stream sockets read a segment in pieces). */
  consumed = 0;
  private charged = true;

  constructor(
    readonly data: Uint8Array,
    readonly from: Sender & { readonly address: unknown },
    public rights: FileDescription[] | null,
    readonly cred: Ucred,
    readonly truesize: number,
  ) {
    from.wmem += truesize;
  }

  get remaining(): number { return this.data.length - this.consumed; }

  /** The segment left the queue: its charge goes back to the sender; unread rights close. */
  drop(): void {
    if (this.charged) { this.charged = false; this.from.wmem -= this.truesize; this.from.uncharged(); }
    if (this.rights) { for (const f of this.rights) f.decRef(); this.rights = null; }
  }
}

// Sizes behind Linux's accounting on x86-64: an sk_buff (256 after
// alignment), skb_shared_info (320), and kmalloc's size classes.
const SKB_OVERHEAD = 256, SHINFO = 320, PAGE = 4096;
/** SKB_MAX_HEAD(0): the most a one-page linear buffer holds. */
const SKB_MAX_HEAD = PAGE - SHINFO;
/** SKB_MAX_ALLOC: a datagram above it puts the rest in pages. */
const SKB_MAX_ALLOC = 4 * PAGE - SHINFO;

function kmallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 96 && n > 64) return 96;
  if (n <= 192 && n > 128) return 192;
  let s = 16;
  while (s < n) s *= 2;
  return s;
}

function truesizeOf(linear: number, paged: number): number {
  return kmallocSize(((linear + 63) & ~63) + SHINFO) + SKB_OVERHEAD + paged;
}

/** The truesize of a stream chunk of len bytes (unix_stream_sendmsg puts what passes one page in page fragments). */
export function streamTruesize(len: number): number {
  const paged = len > SKB_MAX_HEAD ? Math.ceil((len - SKB_MAX_HEAD) / PAGE) * PAGE : 0;
  return truesizeOf(Math.max(len - paged, 0), paged);
}

/** The largest chunk unix_stream_sendmsg puts in one sk_buff for a send buffer of sndbuf. */
export function streamChunkLimit(sndbuf: number): number {
  return Math.min((sndbuf >> 1) - 64, SKB_MAX_HEAD + 32768);
}

/** The truesize of a datagram of len bytes. */
export function dgramTruesize(len: number): number {
  const paged = len > SKB_MAX_ALLOC ? Math.ceil((len - SKB_MAX_ALLOC) / PAGE) * PAGE : 0;
  return truesizeOf(Math.max(len - paged, 0), paged);
}
