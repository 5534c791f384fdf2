// The fast path takes plain run/do command lines only; the rest is commander's.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOT, parseFastCommandLine } from './fast-path.js';

const defaults = { root: DEFAULT_ROOT, debug: false, strace: false, platform: 'ptrace', network: 'sandbox', overlay: false };

describe('parseFastCommandLine', () => {
  it('reads do with its options, and passes everything after the command through', () => {
    expect(parseFastCommandLine(['do', '/bin/echo', 'hi', '--cwd', '-x'])).toEqual({
      command: 'do', globals: defaults, cmd: '/bin/echo', args: ['hi', '--cwd', '-x'], cwd: process.cwd(), overlay: true,
    });
    expect(parseFastCommandLine(['--root=/r', '--debug', '--network', 'none', 'do', '--cwd=/tmp', '--no-overlay', 'ls'])).toEqual({
      command: 'do', globals: { ...defaults, root: '/r', debug: true, network: 'none' }, cmd: 'ls', args: [], cwd: '/tmp', overlay: false,
    });
    expect(parseFastCommandLine(['--debug-log', '/d', '--strace', '--overlay', '--log', 'f', '--log-format=json', '--systemd-cgroup', 'do', 'x'])).toEqual({
      command: 'do', globals: { ...defaults, debugLog: '/d', strace: true, overlay: true }, cmd: 'x', args: [], cwd: process.cwd(), overlay: true,
    });
  });

  it('reads run with its bundle before or after the container id', () => {
    expect(parseFastCommandLine(['run', 'c1'])).toEqual({ command: 'run', globals: defaults, id: 'c1', bundle: '.' });
    expect(parseFastCommandLine(['run', '-b', '/b', 'c1'])).toEqual({ command: 'run', globals: defaults, id: 'c1', bundle: '/b' });
    expect(parseFastCommandLine(['--platform=ptrace', 'run', 'c1', '--bundle=/b'])).toEqual({ command: 'run', globals: defaults, id: 'c1', bundle: '/b' });
    expect(parseFastCommandLine(['run', '--bundle', '/b', '--', 'c1'])).toEqual({ command: 'run', globals: defaults, id: 'c1', bundle: '/b' });
  });

  it('leaves to commander whatever it would answer with help or an error', () => {
    for (const argv of [
      [], ['--help'], ['-h'], ['syscalls'], ['gofer', '--spec', 'x'], ['boot', '--spec', 'x'],
      ['do'], ['do', '--help'], ['do', '--cwd'], ['do', '--bogus', 'x'], ['do', '--', 'x'], ['--debug', '--root'],
      ['--platform=kvm', 'do', 'x'], ['--network', 'bridge', 'do', 'x'], ['--debug=1', 'do', 'x'], ['--no-debug', 'do', 'x'],
      ['run'], ['run', 'a', 'b'], ['run', '--detach', 'c'], ['run', '-d', 'c'], ['run', '-b'], ['run', '-b/b', 'c'], ['run', '--help'],
      ['create', 'c'], ['start', 'c'],
    ]) {
      expect(parseFastCommandLine(argv), argv.join(' ')).toBeNull();
    }
  });
});
