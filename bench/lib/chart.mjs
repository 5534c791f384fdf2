// An SVG bar chart of ours' ratios per workload metric, written by hand (no
// dependencies). Bars grow from the 1× line on a log scale: to the left
// ours is faster, to the right slower. Two bars per row: against gVisor and
// against native. A dark red tick marks a goal where the row has one.
import { GOALS } from './stats.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = { gvisor: '#2b6cb0', native: '#dd6b20', goal: '#9b2c2c', grid: '#d5d9e0', text: '#1a202c', muted: '#5a6270' };

function fmtRatio(x) {
  if (x >= 100) return `${x.toFixed(0)}×`;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

/**
 * rows: [{ group, label, vsGvisor, vsNative, note, goal }] in display order
 * (vs* null when missing; note explains a missing figure).
 * meta: { title, subtitle: [lines], gvisorLabel, nativeLabel }.
 */
export function ratioChart(rows, meta) {
  const all = rows.flatMap((r) => [r.vsGvisor, r.vsNative]).filter((x) => x != null && x > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.5, ...all)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2, ...all)));
  const W = 980;
  const labelW = 330;
  const x0 = labelW + 10;
  const x1 = W - 70;
  const X = (v) => x0 + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (x1 - x0);
  const barH = 9;
  const rowH = 2 * barH + 10;
  const groupH = 24;
  const headH = 58 + 16 * meta.subtitle.length;
  const legendH = 30;

  let y = headH + legendH;
  const plotTop = y;
  const body = [];
  const stripes = []; // every other row shaded, under the grid, so a label is easy to follow to its bars
  let lastGroup = null;
  let n = 0;
  for (const r of rows) {
    if (r.group !== lastGroup) {
      lastGroup = r.group;
      body.push(`<text x="12" y="${y + 17}" font-weight="bold" font-size="13" fill="${COLORS.text}">${esc(r.group)}</text>`);
      y += groupH;
    }
    if (n++ % 2 === 1) stripes.push(`<rect x="6" y="${y - 4}" width="${W - 12}" height="${rowH}" fill="#f3f5f8"/>`);
    body.push(`<text x="${labelW}" y="${y + barH + 5}" text-anchor="end" font-size="12" fill="${COLORS.text}">${esc(r.label)}</text>`);
    const bars = [['gvisor', r.vsGvisor], ['native', r.vsNative]];
    bars.forEach(([kind, v], i) => {
      const by = y + i * (barH + 2);
      if (v == null) {
        if (i === 0) body.push(`<text x="${X(1) + 6}" y="${by + barH + 4}" font-size="11" fill="${COLORS.goal}">${esc(r.note || 'no figure')}</text>`);
        return;
      }
      const a = Math.min(X(1), X(v));
      const w = Math.max(1.5, Math.abs(X(v) - X(1)));
      body.push(`<rect x="${a.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[kind]}"><title>${esc(`${r.label}: ours/${kind === 'gvisor' ? meta.gvisorLabel : meta.nativeLabel} = ${fmtRatio(v)}`)}</title></rect>`);
      const tx = v >= 1 ? X(v) + 4 : X(v) - 4;
      body.push(`<text x="${tx.toFixed(1)}" y="${by + barH - 1}" font-size="10" text-anchor="${v >= 1 ? 'start' : 'end'}" fill="${COLORS.muted}">${fmtRatio(v)}</text>`);
    });
    const goal = GOALS.find((g) => g.id === r.goal);
    if (goal) {
      const gi = goal.against === 'gvisor' ? 0 : 1;
      const gy = y + gi * (barH + 2) - 2;
      body.push(`<line x1="${X(goal.limit).toFixed(1)}" x2="${X(goal.limit).toFixed(1)}" y1="${gy}" y2="${gy + barH + 4}" stroke="${COLORS.goal}" stroke-width="2.5"><title>${esc(`goal: ${goal.text}`)}</title></line>`);
    }
    y += rowH;
  }
  const plotBottom = y;

  // Grid: every decade labelled, 2× and 5× faint.
  const grid = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi * 1.0001) break;
      const major = m === 1;
      grid.push(`<line x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" y1="${plotTop}" y2="${plotBottom}" stroke="${major ? '#aab1bd' : COLORS.grid}" stroke-width="${major ? 1 : 0.7}"/>`);
      if (major || (X(d * 10) - X(d)) > 200) {
        grid.push(`<text x="${X(v).toFixed(1)}" y="${plotBottom + 15}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${v >= 1 ? v : v.toPrecision(1)}×</text>`);
      }
    }
  }
  grid.push(`<line x1="${X(1).toFixed(1)}" x2="${X(1).toFixed(1)}" y1="${plotTop - 4}" y2="${plotBottom}" stroke="${COLORS.text}" stroke-width="1.6"/>`);
  const H = plotBottom + 48;

  const legendY = headH + 8;
  const legend = [
    `<rect x="${x0}" y="${legendY}" width="14" height="${barH}" fill="${COLORS.gvisor}"/>`,
    `<text x="${x0 + 20}" y="${legendY + barH}" font-size="12" fill="${COLORS.text}">ours / ${esc(meta.gvisorLabel)}</text>`,
    `<rect x="${x0 + 190}" y="${legendY}" width="14" height="${barH}" fill="${COLORS.native}"/>`,
    `<text x="${x0 + 210}" y="${legendY + barH}" font-size="12" fill="${COLORS.text}">ours / ${esc(meta.nativeLabel)}</text>`,
    `<line x1="${x0 + 350}" x2="${x0 + 350}" y1="${legendY - 2}" y2="${legendY + barH + 2}" stroke="${COLORS.goal}" stroke-width="2.5"/>`,
    `<text x="${x0 + 358}" y="${legendY + barH}" font-size="12" fill="${COLORS.text}">goal</text>`,
    `<text x="${x0 - 4}" y="${plotBottom + 32}" font-size="11" fill="${COLORS.muted}">← ours faster</text>`,
    `<text x="${x1}" y="${plotBottom + 32}" font-size="11" text-anchor="end" fill="${COLORS.muted}">ours slower →   (ratio of medians, log scale)</text>`,
  ];
  const head = [
    `<text x="12" y="26" font-size="18" font-weight="bold" fill="${COLORS.text}">${esc(meta.title)}</text>`,
    ...meta.subtitle.map((s, i) => `<text x="12" y="${48 + 16 * i}" font-size="12" fill="${COLORS.muted}">${esc(s)}</text>`),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    ...head, ...legend, ...stripes, ...grid, ...body,
    '</svg>',
    '',
  ].join('\n');
}
