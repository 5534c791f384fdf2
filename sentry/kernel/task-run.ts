// The task loop: run application code until it stops, serve the stop,
// repeat. A syscall's result goes back in rax; only rax is rewritten unless
// a handler changed more.
import { RegsDirty } from '../../platform/ptrace/stub-process.js';
import type { Task } from './task.js';

export type Dispatcher = (t: Task) => number;

/** Fault signals keep their default action until delivery lands (issue 3): the task dies with them. */
function isExternal(code: number): boolean {
  return code <= 0; // SI_USER, SI_TKILL, SI_QUEUE...: sent from outside, not a fault
}

/** Runs t until its thread group exits. Returns the wait status. */
export function runTask(t: Task, dispatch: Dispatcher): number {
  let dirty = RegsDirty.All;
  for (;;) {
    const stop = t.thread.runDirty(t.regs, dirty);
    switch (stop.kind) {
      case 'syscall': {
        t.regsChanged = false;
        const r = dispatch(t);
        if (t.exited) return t.exitStatus;
        t.regs.rax = r;
        dirty = t.regsChanged ? RegsDirty.All : RegsDirty.Rax;
        break;
      }
      case 'signal':
        if (isExternal(stop.code)) { dirty = RegsDirty.None; break; }
        t.kernel.log.debug({ tid: t.tid, signo: stop.signo, code: stop.code, addr: stop.addr.toString(16), rip: t.regs.rip.toString(16) }, 'fault');
        t.exited = true;
        t.exitStatus = stop.signo;
        return t.exitStatus;
      case 'gone':
        t.exited = true;
        t.exitStatus = stop.status || 9;
        return t.exitStatus;
    }
  }
}
