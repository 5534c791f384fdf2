import { openat, close, fstat, AT_FDCWD, O_PATH, O_NOFOLLOW, O_CLOEXEC, O_RDONLY, O_DIRECTORY } from './host/fs.js';
const dir = openat(AT_FDCWD, '/tmp/gb', O_PATH | O_DIRECTORY | O_CLOEXEC);
const f = openat(dir, 'f', O_PATH | O_NOFOLLOW | O_CLOEXEC);
const d = openat(dir, 'd', O_PATH | O_NOFOLLOW | O_CLOEXEC);
const proc = openat(AT_FDCWD, '/proc/self/fd', O_RDONLY | O_DIRECTORY | O_CLOEXEC);
function bench(name: string, fn: () => number) {
  const N = 200000;
  for (let i = 0; i < 10000; i++) close(fn());
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) { const x = fn(); if (x < 0) throw new Error(name + x); close(x); }
  const ns = Number(process.hrtime.bigint() - t) / N;
  console.log(name.padEnd(50), (ns / 1000).toFixed(2), 'us (open+close)');
}
bench('openat(AT_FDCWD, "/proc/self/fd/N") file', () => openat(AT_FDCWD, `/proc/self/fd/${f}`, O_RDONLY | O_CLOEXEC));
bench('openat(procSelfFdDir, "N") file', () => openat(proc, String(f), O_RDONLY | O_CLOEXEC));
bench('openat(parent, name) + fstat check file', () => { const x = openat(dir, 'f', O_RDONLY | O_NOFOLLOW | O_CLOEXEC); fstat(x); return x; });
bench('openat(dirfd, ".") dir', () => openat(d, '.', O_RDONLY | O_DIRECTORY | O_CLOEXEC));
bench('openat(procSelfFdDir, "N") dir', () => openat(proc, String(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
bench('openat(AT_FDCWD, "/proc/self/fd/N") dir', () => openat(AT_FDCWD, `/proc/self/fd/${d}`, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
bench('baseline close(dup) via openat O_PATH', () => openat(dir, 'f', O_PATH | O_NOFOLLOW | O_CLOEXEC));
