// Robust futex lists (set_robust_list): at a thread's death, each lock it
// held gets FUTEX_OWNER_DIED and one waiter is woken.
import type { Task } from './task.js';

const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;
/** Linux's ROBUST_LIST_LIMIT: a corrupt list cannot loop forever. */
const ROBUST_LIST_LIMIT = 2048;

/** Robust futexes at thread death: each lock the dead thread held gets OWNER_DIED and one waiter. */
export function releaseRobustList(t: Task): void {
  if (t.robustList === 0) return;
  const head = t.robustList;
  const futexOffset = t.mm.readU64(head + 8);
  const pending = t.mm.readU64(head + 16);
  if (futexOffset === null) return;
  const off = futexOffset >= 2 ** 63 ? futexOffset - 2 ** 64 : futexOffset;
  const handle = (entry: number): void => {
    const word = (entry & ~1) + off;
    const cur = t.mm.readU32(word);
    if (cur === null || (cur & FUTEX_TID_MASK) !== t.tid) return;
    t.mm.writeU32(word, ((cur & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0);
    const key = t.mm.futexKey(word);
    // A shared wake, as Linux's: glibc waits on every robust lock with a shared key for this reason.
    if (key >= 0 && (cur & FUTEX_WAITERS)) t.kernel.futexes.wake(null, key, 1);
  };
  let entry = t.mm.readU64(head);
  for (let i = 0; entry !== null && entry !== head && i < ROBUST_LIST_LIMIT; i++) {
    handle(entry);
    entry = t.mm.readU64(entry & ~1);
  }
  if (pending) handle(pending);
}

