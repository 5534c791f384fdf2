// Network interfaces as programs ask for them (Node's os.networkInterfaces,
// Python's socket.if_nameindex, `ip link`): the sandbox answers as a new
// Linux network namespace does, so the native run is `unshare -n`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();
const tools = ['unshare', 'ip', 'python3', 'node'].every((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
const netns = tools && spawnSync('unshare', ['-n', 'true']).status === 0;
const skip = !ptrace.ok || !netns;
const why = !ptrace.ok ? ptrace.reason : 'needs unshare -n (CAP_SYS_ADMIN), ip, python3 and node';

describe.skipIf(skip)(`network interfaces${skip ? ` — skipped: ${why}` : ''}`, () => {
  it('rtnetlink dumps, SIOCGIF* and os.networkInterfaces match a fresh network namespace', async () => {
    const script = path.join(REPO, 'test/scripts/netlink-interfaces.sh');
    const want = await native(['unshare', '-n', 'bash', script]);
    expect(want.stdout).toContain('1: lo: <LOOPBACK>');
    const got = await runsc(['do', 'bash', script], { timeoutMs: 60_000 });
    expect(got.stderr).toBe(want.stderr);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(want.status);
  }, 90_000);
});
