// AF_UNIX sockets served by the Sentry (issue 5's acceptance): Python's
// asyncio and selectors echo 1,000 messages over a socket bound to a path,
// and SCM_RIGHTS carries a pipe end between processes. Each run in the
// sandbox must print what the same script prints natively.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPtrace } from '../fixtures/rootfs.js';
import { native, REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();
const python = '/usr/bin/python3';
const skip = !ptrace.ok || !existsSync(python);
const why = !ptrace.ok ? ptrace.reason : `no ${python}`;

const cases: Array<{ name: string; script: string; expect: RegExp }> = [
  { name: 'asyncio echo server and client exchange 1,000 messages', script: 'unix-echo-asyncio.py', expect: /messages=1000 bytes=\d+/ },
  { name: 'selectors (epoll) echo server and a forked client exchange 1,000 messages', script: 'unix-echo-selectors.py', expect: /echoed=1000 client_exit=0/ },
  { name: 'socketpair and SCM_RIGHTS: 1,000 exchanges, each passing a fresh pipe end the receiver then reads from', script: 'unix-scm-rights.py', expect: /stream take 0\|1\|0\|written after the fd left: stream 0 matched 1000 exit 0\ndgram take 0\|1\|0\|written after the fd left: dgram 0 matched 1000 exit 0/ },
];

describe.skipIf(skip)(`AF_UNIX sockets in the sandbox${skip ? ` — skipped: ${why}` : ''}`, () => {
  for (const c of cases) {
    it(c.name, async () => {
      const script = path.join(REPO, 'test/scripts', c.script);
      const want = await native([python, script]);
      expect(want.stdout).toMatch(c.expect);
      const got = await runsc(['do', python, script], { timeoutMs: 120_000 });
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe(want.stdout);
      expect(got.status).toBe(0);
    }, 150_000);
  }
});
