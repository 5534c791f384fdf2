// What is measured. Each workload is one static program from bench/ (or a
// host program run by bench/out/bin/timeit) that prints `key=value` lines;
// every metric is a time per operation, so lower is better and a ratio
// above 1 means slower. `args(where, size)` gets the paths as the program
// sees them (`where`: bin = the static programs, tmp = a tmpfs, data = a
// host directory that reaches a sandbox through its file server, true = a
// static true) and the iteration counts of the mode (full or smoke).

export const PROGRAMS = {
  syscalls: 'syscalls.c',
  forkexec: 'forkexec.c',
  pingpong: 'pipepingpong.c',
  sha256: 'sha256.c',
  memtouch: 'memtouch.c',
  fileio: 'fileio.c',
  timeit: 'timeit.c',
  true: 'true.c',
};

const fileMetrics = (where) => [
  { key: 'seqwrite_us', label: `${where}: sequential 4 KiB writes`, unit: 'µs/op' },
  { key: 'seqread_us', label: `${where}: sequential 4 KiB reads`, unit: 'µs/op' },
  { key: 'randread_us', label: `${where}: random 4 KiB reads`, unit: 'µs/op' },
  { key: 'randwrite_us', label: `${where}: random 4 KiB writes`, unit: 'µs/op' },
  { key: 'openstatclose_us', label: `${where}: open+fstat+close`, unit: 'µs/op' },
];

const SH_LOOP = (n) => `i=0; while [ $i -lt ${n} ]; do /bin/true; i=$((i+1)); done`;

export const WORKLOADS = [
  {
    id: 'syscalls', group: 'syscall latency', program: 'syscalls',
    sizes: { full: { n: 10000 }, smoke: { n: 20 } },
    args: (w, s) => [String(s.n), w.tmp],
    metrics: [
      { key: 'getppid_ns', label: 'getppid', unit: 'ns/call', goal: 'syscall' },
      { key: 'stat_ns', label: 'stat (tmpfs file)', unit: 'ns/call' },
      { key: 'open_read_close_ns', label: 'open+read+close (tmpfs file)', unit: 'ns/op' },
    ],
  },
  {
    id: 'forkexec', group: 'processes', program: 'forkexec',
    sizes: { full: { n: 30 }, smoke: { n: 1 } },
    args: (w, s) => [String(s.n), w.true],
    metrics: [{ key: 'us_per_iter', label: 'fork+exec+wait (static true)', unit: 'µs/op' }],
  },
  {
    id: 'pingpong', group: 'processes', program: 'pingpong',
    sizes: { full: { n: 2000 }, smoke: { n: 10 } },
    args: (w, s) => [String(s.n)],
    metrics: [{ key: 'us_per_roundtrip', label: 'pipe ping-pong round trip', unit: 'µs/op' }],
  },
  {
    // The harness times the whole runner command: `run` of a bundle whose
    // process is the host's /bin/true, or `do /bin/true` (native: exec it).
    id: 'startup-run', group: 'start-up', startup: 'run',
    sizes: { full: {}, smoke: {} },
    metrics: [{ key: 'wall_ms', label: 'start-up: run a bundle (/bin/true)', unit: 'ms', goal: 'startup' }],
  },
  {
    id: 'startup-do', group: 'start-up', startup: 'do',
    sizes: { full: {}, smoke: {} },
    metrics: [{ key: 'wall_ms', label: 'start-up: do /bin/true', unit: 'ms', goal: 'startup' }],
  },
  {
    id: 'sha256', group: 'CPU-bound', program: 'sha256',
    sizes: { full: { mib: 32, rounds: 4 }, smoke: { mib: 1, rounds: 1 } },
    args: (w, s) => [String(s.mib), String(s.rounds)],
    // Same input everywhere, so the digest must match native's.
    sameAsNative: 'digest',
    metrics: [{ key: 'ns_per_byte', label: 'sha256 of memory', unit: 'ns/byte', goal: 'cpu' }],
  },
  {
    id: 'memtouch', group: 'memory', program: 'memtouch',
    sizes: { full: { mib: 32, rounds: 4 }, smoke: { mib: 1, rounds: 1 } },
    args: (w, s) => [String(s.mib), String(s.rounds)],
    metrics: [{ key: 'ns_per_page', label: 'anon mmap+touch+munmap (per 4 KiB page)', unit: 'ns/page' }],
  },
  {
    id: 'fileio-tmpfs', group: 'file I/O', program: 'fileio',
    sizes: { full: { mib: 4, ops: 500 }, smoke: { mib: 1, ops: 10 } },
    args: (w, s) => [w.tmp, String(s.mib), String(s.ops)],
    metrics: fileMetrics('tmpfs'),
  },
  {
    id: 'fileio-gofer', group: 'file I/O', program: 'fileio',
    sizes: { full: { mib: 4, ops: 500 }, smoke: { mib: 1, ops: 10 } },
    args: (w, s) => [w.data, String(s.mib), String(s.ops)],
    metrics: fileMetrics('bind mount (Gofer)'),
  },
  {
    id: 'python', group: 'real programs', program: 'timeit',
    sizes: { full: { n: 3 }, smoke: { n: 1 } },
    args: (w, s) => [String(s.n), '/usr/bin/python3', '-c', 'pass'],
    metrics: [{ key: 'ms_per_run', label: 'python3 -c pass', unit: 'ms/run' }],
  },
  {
    id: 'gcc', group: 'real programs', program: 'timeit',
    sizes: { full: { n: 1 }, smoke: { n: 1 } },
    args: (w, s) => [String(s.n), '/usr/bin/gcc', '-O2', '-o', `${w.tmp}/small`, `${w.bin}/small.c`],
    metrics: [{ key: 'ms_per_run', label: 'gcc -O2 small.c (compile+link)', unit: 'ms/run' }],
  },
  {
    id: 'shloop', group: 'real programs', program: 'timeit',
    sizes: { full: { n: 1, loop: 10 }, smoke: { n: 1, loop: 2 } },
    args: (w, s) => [String(s.n), '/bin/sh', '-c', SH_LOOP(s.loop)],
    metrics: [{ key: 'ms_per_run', label: '/bin/sh loop of fork+exec /bin/true', unit: 'ms/run' }],
  },
  {
    id: 'network', group: 'network', skip: 'no network stack yet',
    sizes: { full: {}, smoke: {} },
    metrics: [{ key: 'tcp_rtt_us', label: 'TCP loopback round trip', unit: 'µs/op' }],
  },
];
