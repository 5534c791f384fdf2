// The quiet log writes, without pino, the line pino writes for the same call.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, QuietLog, type Log } from './log.js';

const dir = mkdtempSync(join(tmpdir(), 'log-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The JSON lines log writes for calls, without their time field (which must be a number). */
function linesOf(name: string, make: (fd: number) => Log, calls: (log: Log) => void): Array<Record<string, unknown>> {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  calls(make(fd));
  closeSync(fd);
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const { time, ...rest } = JSON.parse(l) as Record<string, unknown>;
    expect(typeof time).toBe('number');
    return rest;
  });
}

const calls = (log: Log): void => {
  log.debug({ quiet: true }, 'not written');
  log.info('not written either');
  log.warn({ destination: '/mnt', errno: 'ENOENT', n: 3 }, 'mount point missing: mount skipped');
  log.warn('a message alone');
  log.error({ nested: { a: [1, 2] } }, 'an error');
  log.warn({ only: 'fields' });
};

describe('the quiet log', () => {
  it('writes what pino writes at level warn, key for key and in the same order', () => {
    const ours = linesOf('ours', (fd) => new QuietLog('sentry', fd), calls);
    const theirs = linesOf('pino', (fd) => pino({ level: 'warn', base: { component: 'sentry' } }, pino.destination({ dest: fd, sync: true })), calls);
    expect(ours).toHaveLength(4);
    expect(ours).toEqual(theirs);
    expect(ours.map((l) => Object.keys(l))).toEqual(theirs.map((l) => Object.keys(l)));
  });

  it('answers isLevelEnabled as pino at level warn', () => {
    const ours = new QuietLog('gofer');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      expect(ours.isLevelEnabled(level)).toBe(pino({ level: 'warn' }).isLevelEnabled(level));
    }
  });

  it('is what createLogger gives unless a flag makes the log loud', () => {
    expect(createLogger('sentry', { debug: false, strace: false })).toBeInstanceOf(QuietLog);
    expect(createLogger('sentry', { debug: true, strace: false })).not.toBeInstanceOf(QuietLog);
    expect(createLogger('sentry', { debug: false, strace: true }).isLevelEnabled('debug')).toBe(true);
  });
});
