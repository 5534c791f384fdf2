// pipe(2) and pipe2(2).
import { E } from '../abi/linux/errno.js';
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK } from '../abi/linux/fcntl.js';
import type { Task } from '../sentry/kernel/task.js';
import { newPipe } from '../sentry/fsimpl/pipe/pipe.js';
import { sys, type SyscallGroup } from './types.js';

function pipe2(t: Task, addr: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -E.EINVAL;
  const [r, w] = newPipe(flags & (O_NONBLOCK | O_DIRECT), t.creds.fsuid, t.creds.fsgid);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = t.fdTable.add(r, cloexec);
  if (rfd < 0) { w.decRef(); return rfd; }
  const wfd = t.fdTable.add(w, cloexec);
  if (wfd < 0) { t.fdTable.close(rfd); return wfd; }
  const out = new Uint8Array(8), dv = new DataView(out.buffer);
  dv.setInt32(0, rfd, true); dv.setInt32(4, wfd, true);
  if (t.mm.copyOutFull(addr, out) < 0) { t.fdTable.close(rfd); t.fdTable.close(wfd); return -E.EFAULT; }
  return 0;
}

export const pipeSyscalls: SyscallGroup = {
  pipe: sys((t) => pipe2(t, t.arg(0), 0), 'p'),
  pipe2: sys((t) => pipe2(t, t.arg(0), t.argInt(1)), 'px', 'O_DIRECT pipes are byte streams, not packets'),
};
