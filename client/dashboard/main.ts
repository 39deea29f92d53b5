import { Charts } from './charts';
import { renderConfig } from './configPanel';
import { renderConfusion } from './confusion';
import { ControlsPanel } from './controlsPanel';
import { connectFeed, type Connection, type RunView } from './feed';
import { num, pct } from './format';
import { JoinPanel } from './joinPanel';
import { MisclassifiedGrid, isImageDataset } from './misclassified';
import { renderPeers } from './peersTable';
import { renderTimeline } from './timelineView';
import { pollModelView } from './modelView';
import { projectorMode } from './projector';
import { SessionPanel } from './sessionPanel';
import { CourseViews } from './courseViews';
import { TreeView } from './treeView';

/**
 * The dashboard a teacher projects: live charts, the fleet, the timeline of
 * recent shards, the join link and QR code, the controls, and for image
 * datasets the confusion matrix and the misclassified digits. The
 * coordinator pushes snapshots over a WebSocket (at most 4 a second); each is
 * drawn on the next animation frame, and older ones are skipped if frames lag.
 */
const admin = new URLSearchParams(location.search).get('admin') ?? '';
/** `tabtrain report FILE...`: past runs only, no live run to follow. */
const historyOnly = new URLSearchParams(location.search).has('history');
if (historyOnly) document.body.classList.add('history-only');
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

const projector = projectorMode($('projector-toggle'), $<HTMLDetailsElement>('timeline-card'));
const charts = new Charts({ loss: $('chart-loss'), acc: $('chart-acc'), throughput: $('chart-throughput'), breakdown: $('chart-breakdown') }, { projector });
const join = new JoinPanel($<HTMLCanvasElement>('qr'), $<HTMLAnchorElement>('join-link'), $<HTMLCanvasElement>('qr-big'), $('qr-overlay'), $('qr-big-link'), projector);
const controls = new ControlsPanel($('controls'), admin);
const session = new SessionPanel($('session-card'), admin);
const treeView = new TreeView($('timeline-card'));
const misclassified = new MisclassifiedGrid($('misclassified'), $('misclassified-caption'));
// Generated text, autoencoder reconstructions and codes, projections of iris-like tables (courseViews.ts).
const course = historyOnly ? null : new CourseViews($('course-card'), `/api/course?admin=${encodeURIComponent(admin)}`);

/** Render times, for measurements: the last step shown and when (wall clock, ms). */
const renders: { step: number; peers: number; sentAt: number; at: number; ms: number }[] = [];
let pending: RunView | null = null;
/** The run's state in the last snapshot: a run that ended and then lost its coordinator is finished, not broken. */
let lastState = '';

function render(v: RunView): void {
  const t0 = performance.now();
  const b = v.base;
  const last = v.history.at(-1);
  const val = b.evals.filter((e) => e.split === 'val').at(-1);
  document.body.dataset.state = b.state;
  $('run-state').textContent = b.state === 'done' ? `done (${b.exitReason ?? ''})` : b.state === 'waiting' ? `waiting for peers (${b.readyPeers}/${b.minPeers})` : b.state;
  $('step').textContent = `${num(b.step)} / ${num(b.totalSteps)}`;
  $('epoch').textContent = `${Math.min(b.epoch + 1, b.config.steps ? Infinity : b.config.epochs)}${b.config.steps ? '' : ` / ${b.config.epochs}`}`;
  $('progress').style.width = `${b.totalSteps ? (100 * b.step) / b.totalSteps : 0}%`;
  $('loss').textContent = last ? last.loss.toFixed(4) : '-';
  // A text model's headline is its perplexity (e^loss per character), not its next-character accuracy.
  const text = b.config.model === 'charrnn';
  $('val-acc-label').textContent = text ? 'Val perplexity' : 'Val accuracy';
  $('test-acc-label').textContent = text ? 'Test perplexity' : 'Test accuracy';
  $('val-acc').textContent = !val ? '-' : text ? perplexity(val.valLoss) : pct(val.valAccuracy);
  $('test-acc').textContent = text ? perplexity(b.final.testLoss) : pct(b.final.testAccuracy);
  lastState = b.state;
  session.runChanged(b.runId, b.state);
  $('rate').textContent = num(b.samplesPerSec);
  $('peer-count').textContent = String(b.readyPeers);
  $('peer-total').textContent = `${b.peers.filter((p) => p.status !== 'gone').length} connected, ${b.peers.length} seen`;
  charts.update(v);
  course?.update(v);
  renderPeers($('peers'), b.peers);
  renderTimeline($<HTMLCanvasElement>('timeline'), b.timeline.bars, b.peers, innerWidth < 700 ? 300 : 420);
  treeView.update(b.p2p, new Map(b.peers.map((p) => [p.id, p.nickname])));
  join.set(b.joinUrl);
  controls.update(b);
  renderConfig($('config'), b);
  const image = isImageDataset(b);
  $('confusion-card').hidden = b.dataset.task !== 'classification';
  $('misclassified-card').hidden = !image;
  if (b.dataset.task === 'classification') renderConfusion($<HTMLTableElement>('confusion'), $('confusion-caption'), b);
  if (image) misclassified.update(b);
  const t1 = performance.now();
  renders.push({ step: b.step, peers: b.peers.length, sentAt: v.sentAt, at: performance.timeOrigin + t1, ms: t1 - t0 });
  if (renders.length > 2000) renders.splice(0, 1000);
}

function showConnection(c: Connection): void {
  const el = $('connection');
  el.dataset.state = c.state;
  document.body.dataset.conn = c.state;
  el.textContent = c.state === 'live' ? 'live' : c.detail;
  $('banner').hidden = c.state === 'live' || c.state === 'connecting';
  $('banner').textContent = c.state === 'refused' ? `Refused: ${c.detail}` : c.detail;
  if (c.state === 'retrying' && lastState === 'done') {
    el.textContent = 'finished';
    el.dataset.state = 'finished';
    document.body.dataset.conn = 'finished';
    $('banner').textContent = 'Training finished: the figures above are final. The coordinator has closed the connection (or is starting the next run); retrying automatically.';
    $('banner').dataset.state = 'finished';
    return;
  }
  $('banner').dataset.state = c.state;
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/dashboard/ws?admin=${encodeURIComponent(admin)}`;
if (!historyOnly) connectFeed({
  url: wsUrl,
  onConnection: showConnection,
  onView: (v) => {
    const first = pending === null;
    pending = v;
    if (first) {
      requestAnimationFrame(() => {
        const p = pending!;
        pending = null;
        render(p);
      });
    }
  },
});

if (!historyOnly) pollModelView(`/api/view?admin=${encodeURIComponent(admin)}`, { canvas: $<HTMLCanvasElement>('boundary'), filters: $('filters'), caption: $('view-caption'), title: $('view-title') }, 1500, (kind) => {
  $('view-card').hidden = kind === 'none';
});

Object.assign(window, { tabtrainDashboard: { renders } });

function perplexity(loss: number | null): string {
  return loss === null || !Number.isFinite(loss) ? '-' : Math.exp(loss).toFixed(2);
}
