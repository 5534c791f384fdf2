// The stub's confinement: only the injection point may make host system
// calls, and only the allowed ones; anything else kills the stub.
import { describe, expect, it } from 'vitest';
import { SYS } from '../../abi/linux/syscalls.js';
import { hasPtrace } from '../../test/fixtures/rootfs.js';
import { MemoryFile } from '../../sentry/mm/memory-file.js';
import { Registers } from '../registers.js';
import { StubProcess } from './stub-process.js';

const ptrace = hasPtrace();

describe.skipIf(!ptrace.ok)('ptrace stub', () => {
  it('maps MemoryFile pages and runs code under SYSEMU: the host never runs the syscall', () => {
    const mf = new MemoryFile();
    const off = mf.allocate(0x1000);
    // mov eax, 39 (getpid); syscall; int3
    mf.bytesAt(off, 8).set([0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xcc]);
    const stub = StubProcess.create(mf.fd);
    try {
      expect(stub.map(0x400000, 0x1000, 5, off)).toBe(0);
      const regs = new Registers();
      regs.copyFrom(stub['injectRegs']);
      regs.rip = 0x400000;
      const stop = stub.mainThread.run(regs, true);
      expect(stop.kind).toBe('syscall');
      expect(regs.syscallNr).toBe(SYS.getpid);
      // Under SYSEMU the kernel skipped it: rax still holds -ENOSYS.
      expect(regs.rax).toBe(-38);
    } finally { stub.destroy(); }
  });

  const forbidden: Array<[string, number]> = [['getpid', SYS.getpid], ['execve', SYS.execve], ['openat', SYS.openat], ['ptrace', SYS.ptrace]];
  for (const [name, nr] of forbidden) {
    it(`kills the stub when ${name} is made even from the injection point`, () => {
      const mf = new MemoryFile();
      const stub = StubProcess.create(mf.fd);
      try {
        expect(stub.inject(nr)).toBeLessThan(0);
        expect(stub.mainThread.lastExit).toEqual({ signaled: true, signo: 31 /* SIGSYS */ });
      } finally { stub.destroy(); }
    });
  }

  it('allows the injected mmap', () => {
    const mf = new MemoryFile();
    const off = mf.allocate(0x1000);
    const stub = StubProcess.create(mf.fd);
    try { expect(stub.map(0x500000, 0x1000, 3, off)).toBe(0); } finally { stub.destroy(); }
  });
});
