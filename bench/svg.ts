/**
 * Tiny SVG charts written by hand (no plotting dependency): grouped bars,
 * stacked bars and lines, with axes, ticks and a legend.
 */
const W = 640;
const H = 320;
const M = { l: 64, r: 16, t: 36, b: 56 };
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function fmt(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return `${(x / 1000).toFixed(x % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(x) ? String(x) : x.toPrecision(2);
}

function frame(title: string, yLabel: string, yMax: number, body: string[], legend: string[], xLabel = ''): string {
  const ph = H - M.t - M.b;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text transform="translate(14,${M.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  if (xLabel) out.push(`<text x="${M.l + (W - M.l - M.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = M.t + ph - (ph * i) / 4;
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}" stroke="#ddd"/>`, `<text x="${M.l - 6}" y="${y + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(...body);
  legend.forEach((name, i) => {
    const x = M.l + 8 + (i % 4) * 140;
    const y = M.t + 4 + Math.floor(i / 4) * 14;
    out.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${x + 14}" y="${y + 9}">${esc(name)}</text>`);
  });
  out.push(`<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${M.t + ph}" stroke="#333"/>`, `<line x1="${M.l}" x2="${W - M.r}" y1="${M.t + ph}" y2="${M.t + ph}" stroke="#333"/>`, '</svg>');
  return out.join('\n');
}

/** Bars grouped by category: `series[s][c]` is series s at category c. */
export function barChart(o: { title: string; yLabel: string; categories: string[]; series: { name: string; values: number[] }[]; xLabel?: string }): string {
  const yMax = niceMax(Math.max(...o.series.flatMap((s) => s.values.filter(Number.isFinite))) * 1.15);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const groupW = pw / Math.max(1, o.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, o.series.length);
  const body: string[] = [];
  o.categories.forEach((c, ci) => {
    const gx = M.l + ci * groupW + groupW * 0.1;
    o.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      if (!Number.isFinite(v)) return;
      const h = (ph * v) / yMax;
      const x = gx + si * barW;
      body.push(`<rect x="${x.toFixed(1)}" y="${(M.t + ph - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${s.name} ${c}: ${v}`)}</title></rect>`);
      body.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(M.t + ph - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(Number(v.toPrecision(3)))}</text>`);
    });
    body.push(`<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${M.t + ph + 16}" text-anchor="middle">${esc(c)}</text>`);
  });
  return frame(o.title, o.yLabel, yMax, body, o.series.length > 1 ? o.series.map((s) => s.name) : [], o.xLabel);
}

/** One stacked bar per category: `parts[p][c]`. */
export function stackedBars(o: { title: string; yLabel: string; categories: string[]; parts: { name: string; values: number[] }[]; xLabel?: string }): string {
  const totals = o.categories.map((_, ci) => o.parts.reduce((a, p) => a + Math.max(0, p.values[ci] ?? 0), 0));
  const yMax = niceMax(Math.max(...totals) * 1.15);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const groupW = pw / Math.max(1, o.categories.length);
  const body: string[] = [];
  o.categories.forEach((c, ci) => {
    const x = M.l + ci * groupW + groupW * 0.2;
    let y = M.t + ph;
    o.parts.forEach((p, pi) => {
      const v = Math.max(0, p.values[ci] ?? 0);
      const h = (ph * v) / yMax;
      y -= h;
      body.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(groupW * 0.6).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[pi % COLORS.length]}"><title>${esc(`${p.name}: ${v.toFixed(2)}`)}</title></rect>`);
    });
    body.push(`<text x="${(x + groupW * 0.3).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(Number(totals[ci]!.toPrecision(3)))}</text>`);
    body.push(`<text x="${(x + groupW * 0.3).toFixed(1)}" y="${M.t + ph + 16}" text-anchor="middle">${esc(c)}</text>`);
  });
  return frame(o.title, o.yLabel, yMax, body, o.parts.map((p) => p.name), o.xLabel);
}

/** Lines over a numeric x axis. */
export function lineChart(o: { title: string; yLabel: string; xLabel: string; series: { name: string; points: [number, number][] }[]; yMax?: number }): string {
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(...xs, 1e-9));
  const yMax = o.yMax ?? niceMax(Math.max(...ys, 1e-9) * 1.1);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const X = (x: number): number => M.l + (pw * x) / xMax;
  const Y = (y: number): number => M.t + ph - (ph * Math.min(y, yMax)) / yMax;
  const body: string[] = [];
  for (let i = 0; i <= 4; i++) body.push(`<text x="${X((xMax * i) / 4).toFixed(1)}" y="${M.t + ph + 16}" text-anchor="middle">${fmt((xMax * i) / 4)}</text>`);
  o.series.forEach((s, si) => {
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    body.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[si % COLORS.length]}" stroke-width="2"/>`);
    for (const [x, y] of s.points) body.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${COLORS[si % COLORS.length]}"/>`);
  });
  return frame(o.title, o.yLabel, yMax, body, o.series.map((s) => s.name), o.xLabel);
}
