// Summaries of a runner's samples, and the ratios and goals the report shows.

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

/** The runners a ratio compares: ours on a platform against gVisor on the same one, else gVisor ptrace. */
export function comparisons(runners) {
  const ok = new Set(runners.filter((r) => r.status === 'ok').map((r) => r.name));
  const out = [];
  for (const r of runners) {
    if (!r.name.startsWith('ours-') || !ok.has(r.name)) continue;
    const platform = r.name.slice('ours-'.length);
    const gv = ok.has(`gvisor-${platform}`) ? `gvisor-${platform}` : ok.has('gvisor-ptrace') ? 'gvisor-ptrace' : null;
    if (ok.has('native')) out.push({ label: `${r.label}/native`, num: r.name, den: 'native', kind: 'native' });
    if (gv) out.push({ label: `${r.label}/gVisor ${gv.slice('gvisor-'.length)}`, num: r.name, den: gv, kind: 'gvisor' });
  }
  for (const g of ['gvisor-ptrace', 'gvisor-kvm', 'runc']) {
    if (ok.has(g) && ok.has('native')) out.push({ label: `${runners.find((r) => r.name === g).label}/native`, num: g, den: 'native', kind: 'reference' });
  }
  return out;
}

export function ratio(row, num, den) {
  const a = row.cells[num];
  const b = row.cells[den];
  return a?.status === 'ok' && b?.status === 'ok' ? a.median / b.median : null;
}

/** The goals, each evaluated for every ours runner that has the figures. */
export const GOALS = [
  { id: 'syscall', text: 'per-syscall cost < 0.8× gVisor', against: 'gvisor', test: (x) => x < 0.8, limit: 0.8 },
  { id: 'startup', text: 'start-up no slower than gVisor (≤ 1.0×)', against: 'gvisor', test: (x) => x <= 1.0, limit: 1.0 },
  { id: 'cpu', text: 'CPU-bound within 2% of native (≤ 1.02×)', against: 'native', test: (x) => x <= 1.02, limit: 1.02 },
];
