// futex(2). With one task per sandbox (until issue 3 brings threads and the
// scheduler) no one can be waiting: wakes wake nobody, and a wait returns at
// once when the value differs. A wait that would block is not served yet.
import { E } from '../abi/linux/errno.js';
import * as FX from '../abi/linux/futex.js';
import type { Task } from '../sentry/kernel/task.js';
import { sys, type SyscallGroup } from './types.js';

function futex(t: Task): number {
  const addr = t.arg(0), op = t.argInt(1), val = t.argU32(2);
  if (addr % 4 !== 0) return -E.EINVAL;
  const cmd = op & FX.FUTEX_CMD_MASK;
  switch (cmd) {
    case FX.FUTEX_WAKE: case FX.FUTEX_WAKE_BITSET: {
      if (cmd === FX.FUTEX_WAKE_BITSET && t.argU32(5) === 0) return -E.EINVAL;
      return t.mm.readU32(addr) === null ? -E.EFAULT : 0;
    }
    case FX.FUTEX_WAIT: case FX.FUTEX_WAIT_BITSET: {
      if (cmd === FX.FUTEX_WAIT_BITSET && t.argU32(5) === 0) return -E.EINVAL;
      const cur = t.mm.readU32(addr);
      if (cur === null) return -E.EFAULT;
      if (cur !== val) return -E.EAGAIN;
      return -E.ENOSYS;
    }
    case FX.FUTEX_REQUEUE: case FX.FUTEX_CMP_REQUEUE: {
      const cur = t.mm.readU32(addr);
      if (cur === null) return -E.EFAULT;
      if (cmd === FX.FUTEX_CMP_REQUEUE && cur !== t.argU32(5)) return -E.EAGAIN;
      return 0;
    }
    case FX.FUTEX_WAKE_OP: return -E.ENOSYS;
    default: return -E.ENOSYS;
  }
}

export const futexSyscalls: SyscallGroup = {
  futex: sys(futex, 'pixpp', 'single task: wakes find no waiter; a wait that would block returns ENOSYS until issue 3'),
};
