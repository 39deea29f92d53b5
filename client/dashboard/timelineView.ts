import type { BarView, PeerView } from '../../shared/protocol/dashboard';

/**
 * The timeline of recent rounds on a canvas: one row per peer, one bar per
 * shard from when it was sent to when it came back (the darker end is the
 * tab's compute time, the lighter start transfer and queueing). Bars still
 * out run to "now" with a dashed edge; results dropped as duplicates or late
 * are grey, backups have an orange edge, so stragglers and reassignments
 * stand out. Rows shrink as peers are added, so 100 peers still fit.
 */
const AXIS_H = 20;

export function renderTimeline(canvas: HTMLCanvasElement, bars: BarView[], peers: PeerView[], maxHeight = 420): void {
  const rows = rowsFor(bars, peers);
  const rowH = Math.max(3, Math.min(22, Math.floor((maxHeight - AXIS_H) / Math.max(1, rows.length))));
  const cssW = Math.max(280, canvas.parentElement?.clientWidth ?? 600);
  const LABEL_W = cssW < 500 ? 78 : 120;
  const cssH = rows.length * rowH + AXIS_H + 4;
  const dpr = devicePixelRatio || 1;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  canvas.dataset.bars = String(bars.length);
  canvas.dataset.rows = String(rows.length);
  if (bars.length === 0) {
    ctx.fillStyle = '#6b7280';
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillText('No shards yet: bars appear here once training starts.', 12, 24);
    return;
  }
  // The right edge is the latest event: "now" while shards are out, the last result once idle.
  const edge = Math.min(...bars.map((b) => (b[4] < 0 ? 0 : Math.min(b[3], b[4]))));
  const span = Math.max(50, Math.max(...bars.map((b) => b[3])) - edge);
  const plotW = cssW - LABEL_W - 8;
  const x = (ago: number): number => LABEL_W + plotW * (1 - (ago - edge) / span);
  const rowOf = new Map(rows.map((id, i) => [id, i]));
  const names = new Map(peers.map((p) => [p.id, p.nickname]));

  // Row stripes and labels.
  ctx.font = `${Math.min(12, rowH - 2)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  rows.forEach((id, i) => {
    const y = i * rowH;
    if (i % 2 === 0) {
      ctx.fillStyle = '#f3f4f6';
      ctx.fillRect(LABEL_W, y, plotW, rowH);
    }
    if (rowH >= 9) {
      ctx.fillStyle = '#374151';
      ctx.fillText(clip(names.get(id) ?? id, LABEL_W < 100 ? 10 : 16), 4, y + rowH / 2);
    }
  });

  // Round starts.
  const starts = new Map<string, { ago: number; label: string }>();
  for (const b of bars) {
    const k = `${b[1]}${b[2]}`;
    const s = starts.get(k);
    if (!s || b[3] > s.ago) starts.set(k, { ago: b[3], label: b[1] === 'train' ? `step ${b[2] + 1}` : 'eval' });
  }
  ctx.strokeStyle = '#9ca3af';
  ctx.fillStyle = '#4b5563';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'alphabetic';
  let lastLabelX = -Infinity;
  const right = edge < 1000 ? 'now' : `${(edge / 1000).toFixed(0)} s ago`;
  const rightLabel = `${right} (window ${(span / 1000).toFixed(span < 10_000 ? 1 : 0)} s)`;
  const rightW = ctx.measureText(rightLabel).width;
  for (const s of [...starts.values()].sort((a, b) => b.ago - a.ago)) {
    const xs = x(s.ago);
    ctx.beginPath();
    ctx.moveTo(xs + 0.5, 0);
    ctx.lineTo(xs + 0.5, rows.length * rowH);
    ctx.stroke();
    if (xs - lastLabelX > 52 && xs + 50 < cssW - rightW - 8) {
      ctx.fillText(s.label, xs + 2, rows.length * rowH + 14);
      lastLabelX = xs;
    }
  }

  // Bars.
  for (const b of bars) {
    const [peer, kind, round, sentAgo, backAgo, computeMs, outcome, backup] = b;
    const row = rowOf.get(peer);
    if (row === undefined) continue;
    const y = row * rowH + (rowH >= 6 ? 1 : 0);
    const h = Math.max(2, rowH - (rowH >= 6 ? 2 : 0));
    const x0 = x(sentAgo);
    const x1 = x(backAgo < 0 ? 0 : backAgo);
    const w = Math.max(1.5, x1 - x0);
    const dropped = outcome !== '' && outcome !== 'accepted';
    const base = kind === 'eval' ? ['#6ee7b7', '#059669'] : round % 2 ? ['#93c5fd', '#1d4ed8'] : ['#a5b4fc', '#4338ca'];
    const [light, dark] = outcome === 'failed' ? ['#fca5a5', '#b91c1c'] : dropped ? ['#d1d5db', '#6b7280'] : base;
    ctx.fillStyle = light!;
    ctx.fillRect(x0, y, w, h);
    if (computeMs > 0 && backAgo >= 0) {
      const cw = Math.min(w, (computeMs / span) * plotW);
      ctx.fillStyle = dark!;
      ctx.fillRect(x1 - cw, y, cw, h);
    }
    if (backAgo < 0 || backup) {
      ctx.save();
      ctx.strokeStyle = backup ? '#ea580c' : '#1f2937';
      ctx.setLineDash(backAgo < 0 ? [3, 2] : []);
      ctx.lineWidth = 1;
      ctx.strokeRect(x0 + 0.5, y + 0.5, Math.max(1, w - 1), Math.max(1, h - 1));
      ctx.restore();
    }
  }

  // Time axis: "now" at the right edge.
  ctx.fillStyle = '#4b5563';
  ctx.textAlign = 'right';
  ctx.fillText(rightLabel, cssW - 4, rows.length * rowH + 14);
  ctx.textAlign = 'left';
}

/** Peers that appear in the window, then the other live ones, in a stable order. */
function rowsFor(bars: BarView[], peers: PeerView[]): string[] {
  const seen = new Set(bars.map((b) => b[0]));
  for (const p of peers) if (p.status !== 'gone') seen.add(p.id);
  const order = new Map(peers.map((p, i) => [p.id, i]));
  return [...seen].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
