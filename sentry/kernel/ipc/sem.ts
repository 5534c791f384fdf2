// SysV semaphore sets: values, the pid of the last operation, the tasks
// waiting on the set, and the SEM_UNDO adjustments, kept per process and
// applied when it exits (threads share them, as with CLONE_SYSVSEM).
import type { Task } from '../task.js';
import type { ThreadGroup } from '../thread-group.js';
import { WaitQueue } from '../wait-queue.js';
import { ipcOf } from './namespace.js';
import { IpcRegistry, type IpcObject, type IpcPerm } from './registry.js';

/** Linux's defaults (include/uapi/linux/sem.h). */
export const SEMMSL = 32000, SEMMNI = 32000, SEMOPM = 500, SEMVMX = 32767, SEMAEM = SEMVMX;
export const SEMMNS = SEMMNI * SEMMSL;

export interface SemOp { num: number; op: number; flags: number }

/** What a task blocked in semop waits for, for GETNCNT/GETZCNT. */
export interface SemWait { setId: number; blockedOn: SemOp }

export class SemSet implements IpcObject {
  id = -1;
  removed = false;
  otime = 0;
  readonly values: number[];
  readonly pids: number[];
  /** Tasks blocked in semop on this set; woken whenever a value changes or the set goes. */
  readonly waiters = new WaitQueue();

  constructor(readonly perm: IpcPerm, readonly nsems: number, public ctime: number) {
    this.values = new Array<number>(nsems).fill(0);
    this.pids = new Array<number>(nsems).fill(0);
  }

  /** GETNCNT (op < 0) and GETZCNT (op === 0): waiters whose blocking operation is on semaphore num. */
  waitingCount(num: number, zero: boolean): number {
    let n = 0;
    for (const t of this.waiters.tasks()) {
      const w = t.syscallState as SemWait | null;
      if (w !== null && w.blockedOn.num === num && (zero ? w.blockedOn.op === 0 : w.blockedOn.op < 0)) n++;
    }
    return n;
  }
}

export class SemRegistry extends IpcRegistry<SemSet> {
  /** SEM_UNDO adjustments: per process, per set id, per semaphore. An entry goes when its process exits. */
  private readonly undo = new Map<ThreadGroup, Map<number, Map<number, number>>>();

  constructor() { super(SEMMNI); }

  totalSems(): number { return this.objects().reduce((n, s) => n + s.nsems, 0); }

  /** Records -op against num for tg, to be applied at its exit. */
  addUndo(tg: ThreadGroup, set: SemSet, num: number, op: number): void {
    let perSet = this.undo.get(tg);
    if (perSet === undefined) {
      perSet = new Map();
      this.undo.set(tg, perSet);
      tg.exitHooks.push(() => this.applyUndo(tg));
    }
    let adj = perSet.get(set.id);
    if (adj === undefined) { adj = new Map(); perSet.set(set.id, adj); }
    adj.set(num, (adj.get(num) ?? 0) - op);
  }

  /** What tg's adjustment for num would become: semop refuses one beyond SEMAEM. */
  undoAfter(tg: ThreadGroup, set: SemSet, num: number, op: number): number {
    return (this.undo.get(tg)?.get(set.id)?.get(num) ?? 0) - op;
  }

  /** SETVAL and SETALL clear every process's adjustment for the semaphores they set. */
  clearUndo(set: SemSet, num: number | null): void {
    for (const perSet of this.undo.values()) {
      const adj = perSet.get(set.id);
      if (adj === undefined) continue;
      if (num === null) adj.clear(); else adj.delete(num);
    }
  }

  /** Applies and drops tg's adjustments (exit, or unshare(CLONE_SYSVSEM)). */
  applyUndo(tg: ThreadGroup): void {
    const perSet = this.undo.get(tg);
    if (perSet === undefined) return;
    this.undo.delete(tg);
    for (const [id, adj] of perSet) {
      const set = this.byId(id);
      if (typeof set === 'number' || set.removed) continue;
      for (const [num, delta] of adj) {
        if (delta === 0) continue;
        set.values[num] = Math.max(0, Math.min(SEMVMX, set.values[num] + delta));
        set.pids[num] = tg.tgid;
      }
      set.waiters.wakeAll();
    }
  }

  /** The set is being removed: its undo entries are dropped with it. */
  forget(set: SemSet): void {
    for (const perSet of this.undo.values()) perSet.delete(set.id);
  }
}

/** unshare(CLONE_SYSVSEM): the process leaves its undo list, which is applied as at exit. */
export function unshareSemUndo(t: Task): void {
  ipcOf(t.kernel).sem.applyUndo(t.tg);
}
