import type { PeerView } from '../../shared/protocol/dashboard';
import { esc } from './format';

/**
 * The peers table: who is in, on what, how fast, how much of the work each
 * did and when it was last heard from. Active peers first, then by samples.
 * One innerHTML write per push: a hundred rows cost well under a millisecond.
 */
const ORDER: Record<string, number> = { computing: 0, ready: 1, done: 1, 'warming-up': 2, reconnecting: 3, gone: 4 };
const LABEL: Record<string, string> = { computing: 'computing', ready: 'idle', done: 'done', 'warming-up': 'warming up', reconnecting: 'reconnecting', gone: 'gone' };

const lastHtml = new WeakMap<HTMLElement, string>();

export function renderPeers(body: HTMLElement, peers: PeerView[]): void {
  // The rank each volunteer page shows: by samples, ties in order of joining (as the coordinator ranks them).
  const rank = new Map([...peers].sort((a, b) => b.samples - a.samples).map((p, i) => [p.id, i + 1]));
  const rows = [...peers].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || b.samples - a.samples || a.id.localeCompare(b.id));
  const html = rows
    .map((p) => {
      const tip = [p.backendNote, p.renderer].filter(Boolean).join('\n');
      const gpu = tip ? ` title="${esc(tip)}"` : '';
      return (
        `<tr data-peer="${esc(p.id)}" class="st-${p.status}">` +
        `<td class="num">#${rank.get(p.id)}</td><td class="nick">${esc(p.nickname)}</td><td>${p.kind}</td><td${gpu}>${esc(p.backend)}${p.renderer ? ` <small>${esc(shortGpu(p.renderer))}</small>` : ''}${backendTimings(p.backendNote)}</td>` +
        `<td class="num">${p.speed > 0 ? p.speed.toLocaleString('en') : '-'}</td><td class="num">${p.samples.toLocaleString('en')}</td>` +
        `<td class="share"><span class="bar" style="width:${(100 * p.share).toFixed(1)}%"></span><span>${(100 * p.share).toFixed(1)}%</span></td>` +
        `<td${p.quarantine ? ` title="${esc(p.quarantine)}"` : ''}><span class="dot"></span>${LABEL[p.status] ?? p.status}${trustNote(p)}</td><td class="num">${ago(p.seenAgo)}</td></tr>`
      );
    })
    .join('') || '<tr class="empty-row"><td colspan="9">Nobody has joined yet: each device that opens the join link (or scans the QR code) appears here.</td></tr>';
  // Most pushes change a few cells at most: skip the DOM when nothing changed.
  if (lastHtml.get(body) === html) return;
  lastHtml.set(body, html);
  body.innerHTML = html;
}

/** Spot checks passed/failed and the contribution norm against the others' (issue 13), under the status; the quarantine reason in full. */
function trustNote(p: PeerView): string {
  const t = p.trust;
  const parts: string[] = [];
  if (t && t.passed + t.failed > 0) parts.push(`checks ✓${t.passed} ✗${t.failed}`);
  if (t && Number.isFinite(t.normRatio)) parts.push(`‖g‖ ${t.normRatio.toFixed(1)}× median`);
  const line = parts.length > 0 ? `<br><small class="trust${t && t.failed > 0 ? ' trust-failed' : ''}" title="spot checks passed / failed; this peer's mean gradient norm over the median peer's">${parts.join(' · ')}</small>` : '';
  return line + (p.quarantine ? `<br><small class="quarantine-reason">${esc(p.quarantine.split(';')[0]!)}</small>` : '');
}

/**
 * The warm-up timings a tab reports (client/peer/backendChoice.ts: "per shard
 * of 43: webgl 12 ms (kept, fastest), webgpu 95 ms, wasm missing (...)"), as
 * one short line: "webgl 12 · webgpu 95 ms / 43"; the whole note is the cell's tooltip.
 */
export function backendTimings(note: string): string {
  const shard = /per shard of (\d+)/.exec(note)?.[1];
  const times = [...note.matchAll(/\b(webgpu|webgl|wasm|cpu) ([\d.]+) ms/g)].map((m) => `${m[1]} ${m[2]}`);
  if (!shard || times.length < 2) return '';
  return `<br><small class="timings">${esc(times.join(' · '))} ms / ${shard}</small>`;
}

function ago(s: number): string {
  if (s < 1) return 'now';
  if (s < 60) return `${Math.round(s)} s ago`;
  return `${Math.round(s / 60)} min ago`;
}

/** "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...)...)" is long: keep the telling part. */
function shortGpu(r: string): string {
  const m = /\(([^()]*(?:\([^()]*\))?[^()]*)\)/.exec(r);
  const s = (m ? m[1]! : r).replace(/^Google, /, '');
  return s.length > 32 ? s.slice(0, 31) + '…' : s;
}
