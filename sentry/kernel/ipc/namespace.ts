// The sandbox's one IPC namespace: SysV shared memory, semaphores and
// message queues, and POSIX message queues.
import type { Kernel } from '../kernel.js';
import { MqueueRegistry } from './mqueue.js';
import { MsgRegistry } from './msg.js';
import { SemRegistry } from './sem.js';
import { ShmRegistry } from './shm.js';

export class IpcNamespace {
  readonly shm = new ShmRegistry();
  readonly sem = new SemRegistry();
  readonly msg = new MsgRegistry();
  readonly mqueues = new MqueueRegistry();
}

const byKernel = new WeakMap<Kernel, IpcNamespace>();

export function ipcOf(kernel: Kernel): IpcNamespace {
  let ns = byKernel.get(kernel);
  if (ns === undefined) { ns = new IpcNamespace(); byKernel.set(kernel, ns); }
  return ns;
}
