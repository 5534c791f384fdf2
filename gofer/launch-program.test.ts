// The launch program's builder and encoding, and the Gofer's stage 1 as a
// program (no kernel needed). launcher-elf.test.ts runs programs for real.
import { describe, expect, it } from 'vitest';
import { SYS } from '../abi/linux/syscalls.js';
import { E } from '../abi/linux/errno.js';
import { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SYS_CHROOT } from '../abi/linux/capability.js';
import { PR_CAPBSET_DROP } from '../abi/linux/prctl.js';
import {
  HEADER_SIZE, LaunchProgram, LaunchProgramError, PROGRAM_BASE, PROGRAM_MAGIC, PROGRAM_MAX, STEP_ARGS, STEP_INDIRECT,
  STEP_MESSAGE, STEP_MESSAGE_LEN, STEP_NR, STEP_RESULT, STEP_SIZE, STEP_TOLERATE,
} from './launch-program.js';
import { JAIL_ENV, goferLaunchProgram, parseMountInfo, pseudoMountsBelowRoots, type GoferLaunchPlan } from './jail-plan.js';

/** Reads back what the launcher would see. */
function decode(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => dv.getBigUint64(at, true);
  const at = (address: bigint) => Number(address) - PROGRAM_BASE;
  const cstring = (address: bigint) => {
    const start = at(address);
    return new TextDecoder().decode(bytes.subarray(start, bytes.indexOf(0, start)));
  };
  const count = Number(u64(8));
  const steps = Array.from({ length: count }, (_, i) => {
    const s = HEADER_SIZE + i * STEP_SIZE;
    const message = at(u64(s + STEP_MESSAGE));
    return {
      nr: Number(u64(s + STEP_NR)),
      indirect: Number(u64(s + STEP_INDIRECT)),
      args: Array.from({ length: 6 }, (_, j) => u64(s + STEP_ARGS + 8 * j)),
      tolerate: u64(s + STEP_TOLERATE),
      message: new TextDecoder().decode(bytes.subarray(message, message + Number(u64(s + STEP_MESSAGE_LEN)))),
      result: u64(s + STEP_RESULT),
    };
  });
  return { magic: u64(0), size: Number(u64(16)), steps, u64: (address: bigint) => u64(at(address)), cstring };
}

describe('LaunchProgram', () => {
  it('encodes steps with immediates, pointers into its data, earlier results and tolerated errnos', () => {
    const p = new LaunchProgram('test: ');
    const path = p.string('/some/path');
    const open = p.step('opening /some/path', SYS.openat, [-100, path, 0o2000000]);
    p.step('closing it', SYS.close, [open], [E.EBADF, E.EINTR]);
    const argv = p.stringArray(['a', 'bc']);
    p.step('exec', SYS.execve, [path, argv, 0n]);
    const bytes = p.encode();
    const d = decode(bytes);

    expect(d.magic).toBe(PROGRAM_MAGIC);
    expect(d.size).toBe(bytes.length);
    expect(d.steps.map((s) => s.nr)).toEqual([SYS.openat, SYS.close, SYS.execve]);
    const [o, c, x] = d.steps;
    expect(o.args[0]).toBe(BigInt.asUintN(64, -100n));
    expect(d.cstring(o.args[1])).toBe('/some/path');
    expect(o.args[2]).toBe(0o2000000n);
    expect(o.indirect).toBe(0);
    expect(o.message).toBe('test: opening /some/path: errno ');
    expect(o.result).toBe(0n);
    // The close takes the open's result: bit 0 set, the argument the address of that result slot.
    expect(c.indirect).toBe(1);
    expect(c.args[0]).toBe(BigInt(PROGRAM_BASE + HEADER_SIZE + STEP_RESULT));
    expect(c.tolerate).toBe((1n << BigInt(E.EBADF)) | (1n << BigInt(E.EINTR)));
    // argv: a NULL-terminated array of absolute pointers to strings.
    expect(d.cstring(d.u64(x.args[1]))).toBe('a');
    expect(d.cstring(d.u64(x.args[1] + 8n))).toBe('bc');
    expect(d.u64(x.args[1] + 16n)).toBe(0n);
    // Everything the steps point at lies inside the program.
    for (const s of d.steps) expect(Number(s.args[1]) - PROGRAM_BASE).toBeLessThan(bytes.length);
  });

  it('refuses what the launcher could not run', () => {
    const p = new LaunchProgram();
    expect(() => p.step('seven', SYS.getpid, [1, 2, 3, 4, 5, 6, 7])).toThrow(LaunchProgramError);
    expect(() => p.step('errno 64', SYS.getpid, [], [64])).toThrow(/cannot tolerate/);
    expect(() => p.step('errno 0', SYS.getpid, [], [0])).toThrow(/cannot tolerate/);
    expect(() => p.string('a\0b')).toThrow(/NUL/);
    const q = new LaunchProgram();
    const later = new LaunchProgram().step('x', SYS.getpid);
    expect(() => q.step('uses a later step', SYS.close, [later])).toThrow(/later step/);
    const big = new LaunchProgram();
    big.bytes(new Uint8Array(PROGRAM_MAX));
    expect(() => big.encode()).toThrow(/exceeds/);
  });
});

describe('the Gofer\'s stage 1 as a launch program', () => {
  const plan: GoferLaunchPlan = {
    mounts: [{ hostPath: '/', readonly: true, isDir: true }, { hostPath: '/srv/a b', readonly: false, isDir: true },
      { hostPath: '/etc/resolv.conf', readonly: true, isDir: false }],
    jailDir: '/run/x/gofer-root',
    detach: ['/run/x/gofer-root/0/proc', '/run/x/gofer-root/0/sys'],
    capLastCap: 40,
    argv: ['/usr/bin/node', '/r/bin/runsc.js', 'gofer', '--spec', '/run/x/gofer.json'],
    env: ['PATH=/usr/bin', `${JAIL_ENV}=forged`],
    hostMntNs: '4:4026531841',
  };
  const p = goferLaunchProgram(plan);
  const names = p.steps.map((s) => s.what);

  it('builds the jail before it drops privileges, and execs Node last', () => {
    const order = ['unshare (the Gofer must run as root)', 'making mounts private', 'open_tree /', 'mount_setattr /',
      'mounting the jail tmpfs', 'attaching mount 0', 'binding /proc/<pid>/fd', 'remounting /fd',
      'detaching /run/x/gofer-root/0/proc', 'remounting the jail read-only', 'dropping capability 2 from the bounding set',
      'clearing ambient capabilities', 'no_new_privs', 'execve /usr/bin/node'];
    const at = order.map((n) => names.indexOf(n));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(names[names.length - 1]).toBe('execve /usr/bin/node');
  });

  it('drops every capability but the kept ones and SYS_CHROOT', () => {
    const dropped = p.steps.filter((s) => s.nr === SYS.prctl && s.args[0] === PR_CAPBSET_DROP).map((s) => Number(s.args[1]));
    const kept = [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SYS_CHROOT];
    expect(dropped).toEqual(Array.from({ length: 41 }, (_, i) => i).filter((c) => !kept.includes(c)));
  });

  it('tolerates only a detach of what is already gone', () => {
    for (const s of p.steps) {
      expect(s.tolerate, s.what).toEqual(s.nr === SYS.umount2 ? [E.EINVAL, E.ENOENT] : []);
    }
  });

  it('attaches a file mount on a file, and hands stage 2 its own JAIL_ENV', () => {
    expect(names).toContain('creating /2 in the jail');
    expect(p.steps.find((s) => s.what === 'creating /2 in the jail')?.nr).toBe(SYS.openat);
    expect(p.steps.find((s) => s.what === 'creating /1 in the jail')?.nr).toBe(SYS.mkdirat);
    const d = decode(p.encode());
    const exec = d.steps[d.steps.length - 1];
    const env: string[] = [];
    for (let a = exec.args[2]; d.u64(a) !== 0n; a += 8n) env.push(d.cstring(d.u64(a)));
    expect(env).toEqual(['PATH=/usr/bin', `${JAIL_ENV}=${JSON.stringify({ dir: plan.jailDir, mounts: 3, hostMntNs: plan.hostMntNs })}`]);
  });

  it('finds the host pseudo file systems below each served root, as the clones will have them', () => {
    const info = parseMountInfo([
      '26 1 254:0 / / rw - ext4 /dev/vda rw',
      '27 26 0:20 / /proc rw - proc proc rw',
      '28 26 0:21 / /sys rw - sysfs sysfs rw',
      '29 28 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
      '30 26 0:60 / /srv/data rw - ext4 /dev/vdb rw',
      '31 30 0:61 / /srv/data/sub\\040dir/proc rw - proc proc rw',
      '32 26 0:62 / /srv/data2/proc rw - proc proc rw',
      '33 26 0:63 / /srv/data/dev rw - ext4 /dev/vdc rw',
    ].join('\n'));
    expect(pseudoMountsBelowRoots(info, ['/', '/srv/data'], '/j')).toEqual([
      '/j/0/proc', '/j/0/sys', '/j/1/sub dir/proc', '/j/0/sys/fs/cgroup', '/j/0/srv/data2/proc', '/j/0/srv/data/sub dir/proc',
    ]);
    // A root that is itself a pseudo file system is served as configured.
    expect(pseudoMountsBelowRoots(info, ['/proc'], '/j')).toEqual([]);
  });
});
