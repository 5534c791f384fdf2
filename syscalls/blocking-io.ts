// Blocking reads and writes: files answer EAGAIN rather than wait; here a
// blocking caller parks on the file's wait queue and reruns when woken. A
// partial write remembers its progress across reruns, so nothing is written
// twice.
import { E, ERESTARTSYS } from '../abi/linux/errno.js';
import { O_NONBLOCK } from '../abi/linux/fcntl.js';
import { SI_USER } from '../abi/linux/siginfo.js';
import { SIGPIPE } from '../abi/linux/signal.js';
import { sendToTask } from '../sentry/kernel/signals.js';
import type { Task } from '../sentry/kernel/task.js';
import type { FileDescription } from '../sentry/vfs/file-description.js';

/** A blocking file answered EAGAIN: park the task until the file's queue wakes it. */
export function blockIfAgain(t: Task, file: FileDescription, forWrite: boolean, r: number): number {
  if (r !== -E.EAGAIN || (file.flags & O_NONBLOCK)) return r;
  const q = file.waitQueue(forWrite);
  return q === null ? r : t.block([q], -ERESTARTSYS);
}

/**
 * Runs a write that may be partial. attempt(done) writes the bytes after
 * the first `done`. A blocking writer that could not write everything parks
 * with its progress in syscallState. EPIPE raises SIGPIPE.
 */
export function writeResult(t: Task, file: FileDescription, count: number, attempt: (done: number) => number): number {
  const done = (t.syscallState as { written?: number } | null)?.written ?? 0;
  const r = attempt(done);
  if (r === -E.EPIPE && file.raisesSigpipe) sendToTask(t, SIGPIPE, { signo: SIGPIPE, code: SI_USER, pid: t.tgid, uid: t.creds.uid });
  if (r < 0 && r !== -E.EAGAIN) return done > 0 ? done : r;
  const total = done + Math.max(r, 0);
  if (total >= count) return total;
  const q = file.waitQueue(true);
  if ((file.flags & O_NONBLOCK) || q === null) return total > 0 ? total : r;
  t.syscallState = { written: total };
  // Interrupted after some bytes went out, the write reports them (EINTR is replaced by the count on delivery).
  return t.block([q], total > 0 ? -E.EINTR : -ERESTARTSYS);
}
