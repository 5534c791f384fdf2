// The mount table the sandbox shows (/proc/mounts, /proc/self/mountinfo):
// exactly the mounts it has, for `runsc do` (an overlay over the host root)
// and for a `runsc run` bundle with a tmpfs and a bind mount; st_dev of a
// file on each mount is the major:minor of its mountinfo line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxBundle, buildStaticCBinary, hasPtrace } from '../fixtures/rootfs.js';
import { REPO, runsc } from './helpers.js';

const ptrace = hasPtrace();

/** mountinfo with the device numbers (which depend on the order file systems were made) replaced by "D". */
function withoutDevs(mountinfo: string): string {
  return mountinfo.replace(/^(\d+ \d+) \d+:\d+ /gm, '$1 D ');
}

/** Each mount point's major:minor from mountinfo, for comparing with stat. */
function devsOf(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.trim().split('\n')) {
    const f = line.split(' ');
    out.set(f[4], f[2]);
  }
  return out;
}

/** `stat -c '%n %d'` lines (st_dev in decimal, which busybox's stat prints too) into major:minor by mount point. */
function statDevs(text: string): Map<string, string> {
  return new Map(text.trim().split('\n').map((l) => {
    const [name, dev] = l.split(' ');
    const d = Number(dev);
    return [name, `${(d >>> 8) & 0xfff}:${(d & 0xff) | ((d >>> 12) & 0xfff00)}`];
  }));
}

const DO_MOUNTS = [
  'none / overlay rw,relatime 0 0',
  'proc /proc proc rw,relatime 0 0',
  'sysfs /sys sysfs rw,relatime 0 0',
  'devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0',
  'devpts /dev/pts devpts rw,relatime,mode=620,ptmxmode=000 0 0',
  'shm /dev/shm tmpfs rw,relatime 0 0',
  '',
].join('\n');

const DO_MOUNTINFO = [
  '1 1 D / / rw,relatime - overlay none rw',
  '2 1 D / /proc rw,relatime - proc proc rw',
  '3 1 D / /sys rw,relatime - sysfs sysfs rw',
  '4 1 D / /dev rw,relatime - devtmpfs devtmpfs rw,mode=755',
  '5 4 D / /dev/pts rw,relatime - devpts devpts rw,mode=620,ptmxmode=000',
  '6 4 D / /dev/shm rw,relatime - tmpfs shm rw',
  '',
].join('\n');

const SEP = '@@@';
const SCRIPT = `cat /proc/mounts; echo ${SEP}; cat /proc/self/mountinfo; echo ${SEP}; `;

describe.skipIf(!ptrace.ok)(`the mount table${ptrace.ok ? '' : ` — skipped: ${ptrace.reason}`}`, () => {
  let work: string;
  beforeAll(() => { work = mkdtempSync(path.join(tmpdir(), 'mounts-')); });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runsc do: the overlay root and the Sentry\'s own file systems', async () => {
    const points = ['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm'];
    const r = await runsc(['do', '/bin/sh', '-c', `${SCRIPT}stat -c '%n %d' ${points.join(' ')}; echo ${SEP}; `
      + 'cat /proc/1/mountinfo; echo; df -a -P / /dev/shm | tail -n +2 | cut -d" " -f1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [mounts, mountinfo, stats, rest] = r.stdout.split(`${SEP}\n`);
    expect(mounts).toBe(DO_MOUNTS);
    expect(withoutDevs(mountinfo)).toBe(DO_MOUNTINFO);
    expect(statDevs(stats)).toEqual(devsOf(mountinfo));
    // Another process's table is the same (pid 1 is sh), and df reads it.
    expect(rest.split('\n\n')[0] + '\n').toBe(mountinfo);
    expect(rest.split('\n\n')[1]).toBe('none\nshm\n');
  });

  it('runsc do --no-overlay: the root is the Gofer\'s 9p, read-only', async () => {
    const r = await runsc(['do', '--no-overlay', '/bin/sh', '-c', 'head -n 1 /proc/mounts; head -n 1 /proc/self/mountinfo']);
    expect(r.stderr).toBe('');
    expect(withoutDevs(r.stdout)).toBe('none / 9p ro,relatime 0 0\n1 1 D / / ro,relatime - 9p none ro\n');
  });

  it('runsc run: a tmpfs and bind mounts from config.json, with their options', async (ctx) => {
    const mapper = buildStaticCBinary(path.join(REPO, 'test/programs/noexec-map.c'), path.join(work, 'noexec-map'));
    if (mapper === null) { ctx.skip(); return; }
    const shared = path.join(work, 'shared with space');
    mkdirSync(shared, { recursive: true });
    writeFileSync(path.join(shared, 'f'), 'x');
    const points = ['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/scratch', '/data', '/data/ro'];
    const dir = buildBusyboxBundle(path.join(work, 'bundle'), {
      args: ['/bin/sh', '-c', `mkdir -p /data/ro 2>/dev/null; ${SCRIPT}stat -c '%n %d' ${points.join(' ')}; echo ${SEP}; `
        + 'touch /data/ro/x 2>&1 | grep -c "Read-only"; cp /bin/busybox /scratch/bb && /scratch/bb true 2>/dev/null; echo exec=$?; '
        + '/noexec-map /scratch; /noexec-map /data'],
      files: { 'scratch/.keep': '', 'data/.keep': '', 'sp ace/.keep': '', 'noexec-map': readFileSync(mapper) },
      mounts: [
        { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=4m', 'mode=700'] },
        { destination: '/data', type: 'bind', source: shared, options: ['rbind', 'rw', 'nosuid'] },
        { destination: '/data/ro', type: 'bind', source: shared, options: ['rbind', 'ro', 'noatime'] },
        { destination: '/sp ace', type: 'tmpfs', source: 'tmpfs', options: ['strictatime'] },
      ],
    });
    mkdirSync(path.join(shared, 'ro'), { recursive: true });
    const r = await runsc(['--root', path.join(work, 'state'), 'run', '--bundle', dir, 'mounts-run']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [mounts, mountinfo, stats, rest] = r.stdout.split(`${SEP}\n`);
    expect(mounts).toBe([
      'none / 9p rw,relatime 0 0',
      'tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=4096k,mode=700 0 0',
      'none /data 9p rw,nosuid,relatime 0 0',
      'none /data/ro 9p ro,noatime 0 0',
      'tmpfs /sp\\040ace tmpfs rw 0 0',
      'proc /proc proc rw,relatime 0 0',
      'sysfs /sys sysfs rw,relatime 0 0',
      'devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0',
      'devpts /dev/pts devpts rw,relatime,mode=620,ptmxmode=000 0 0',
      'shm /dev/shm tmpfs rw,relatime 0 0',
      '',
    ].join('\n'));
    expect(withoutDevs(mountinfo)).toBe([
      '1 1 D / / rw,relatime - 9p none rw',
      '2 1 D / /scratch rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=4096k,mode=700',
      '3 1 D / /data rw,nosuid,relatime - 9p none rw',
      '4 3 D / /data/ro ro,noatime - 9p none ro',
      '5 1 D / /sp\\040ace rw - tmpfs tmpfs rw',
      '6 1 D / /proc rw,relatime - proc proc rw',
      '7 1 D / /sys rw,relatime - sysfs sysfs rw',
      '8 1 D / /dev rw,relatime - devtmpfs devtmpfs rw,mode=755',
      '9 8 D / /dev/pts rw,relatime - devpts devpts rw,mode=620,ptmxmode=000',
      '10 8 D / /dev/shm rw,relatime - tmpfs shm rw',
      '',
    ].join('\n'));
    const devs = devsOf(mountinfo);
    expect(new Set(devs.values()).size).toBe(devs.size);
    devs.delete('/sp\\040ace'); // not in stat's list: its name has a space
    expect(statDevs(stats)).toEqual(devs);
    // ro is EROFS; noexec refuses execve (EACCES, "Permission denied", status 126), mmap PROT_EXEC (EPERM) and mprotect (EACCES).
    expect(rest).toBe('1\nexec=126\n/scratch mmap_exec=1 mprotect_exec=13\n/data mmap_exec=0 mprotect_exec=0\n');
  });
});
