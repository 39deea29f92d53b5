import { SUPPORTED_CODECS } from '../../shared/compress';
import { PROTOCOL_VERSION } from '../../shared/protocol';
import type { PeerStats } from '../peer/session';
import { headline } from './messages';
import { askNickname, forgetNickname, knownNickname } from './nickname';
import { startPeer, type PeerHost } from './peerHost';
import { Predictor, isImageClassifier } from './predictor';
import { pollModelView } from '../dashboard/modelView';
import { TextPrompt } from './textPrompt';
import { latestEvery, putText } from './redraw';

/**
 * The volunteer page: an optional nickname, then join with the token from the
 * link and show in plain words what this tab is doing, its share of the work
 * and the class model's accuracy; for image datasets a drawing pad that the
 * tab's own copy of the model reads. The computing runs in a Web Worker
 * (peerHost.ts says where and why). People and tests read the same words
 * (#status holds the raw state, #headline the sentence).
 */
const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
let lostSince: number | null = null;
let host: PeerHost | null = null;
let predictor: Predictor | null = null;
let textPrompt: TextPrompt | null = null;
/** What this page shows besides the figures: the drawing pad (digits) or the model view (2-D sets, curves). */
let afterwards: 'pad' | 'view' | 'text' | null = null;
let nickname = '';

/** What the worker reports, drawn a few times a second (redraw.ts says why). */
const showSoon = latestEvery(show, 250);

function show(live: PeerStats): void {
  // Once the run says it is over, a late task finishing does not make this tab "idle" again.
  const over = live.status?.state === 'done' && (live.state === 'idle' || live.state === 'computing');
  const s: PeerStats = over ? { ...live, state: 'done' } : live;
  if (s.state === 'reconnecting') lostSince ??= Date.now();
  else lostSince = null;
  const h = headline(s, lostSince, afterwards);
  putText($('headline'), h.text);
  if ($('headline').dataset.tone !== h.tone) $('headline').dataset.tone = h.tone;
  $('reload').hidden = !h.reload;
  putText($('status'), s.state);
  putText($('reason'), s.state === 'refused' || s.state === 'reconnecting' ? s.reason : '');
  putText($('steps'), String(s.steps));
  putText($('samples'), String(s.samples));
  const you = s.status?.you;
  // The coordinator's figures, so the page and the class dashboard say the same (name, speed, rank).
  const speed = you?.speed ?? s.samplesPerSec;
  putText($('speed'), speed > 0 ? speed.toLocaleString('en', { maximumFractionDigits: 0 }) : '-');
  if (you?.name) putText($('who-name'), you.name);
  else if (!nickname && s.peerId) putText($('who-name'), `tab-${s.peerId}`);
  putText($('peer-id'), s.peerId || '-');
  const st = s.status;
  putText($('share'), st ? `${(100 * st.you.share).toFixed(1)}%` : '-');
  const of = st ? Math.max(st.you.of ?? st.peers, st.you.rank) : 0;
  putText($('rank'), st && st.you.rank > 0 && st.you.samples > 0 ? `#${st.you.rank} of ${of}` : '-');
  putText($('run-state'), st ? `${st.state}, step ${st.step}, epoch ${st.epoch + 1}` : '-');
  putText($('accuracy'), st?.valAccuracy != null ? `${(100 * st.valAccuracy).toFixed(1)}%` : '-');
  // A text model's accuracy is of its next character, not of a class.
  putText($('accuracy-label'), host?.model?.task === 'sequence' ? 'Next-character accuracy (validation)' : 'Accuracy (validation)');
  putText($('loss'), st?.loss != null ? st.loss.toFixed(4) : '-');
  if (document.body.dataset.state !== s.state) document.body.dataset.state = s.state;
  const model = host?.model;
  if (host && model && isImageClassifier(model) && $('pad-card').hidden) {
    $('pad-card').hidden = false;
    afterwards = 'pad';
    predictor ??= new Predictor($<HTMLCanvasElement>('pad'), { digit: $('prediction'), bars: $('probs'), note: $('pad-note') });
    predictor.attach(host);
    predictor.clear();
  }
  if (host && model?.task === 'sequence' && $('text-card').hidden) {
    $('text-card').hidden = false;
    afterwards = 'text';
    textPrompt ??= new TextPrompt({ form: $<HTMLFormElement>('text-form'), prefix: $<HTMLInputElement>('prefix'), temperature: $<HTMLInputElement>('temperature'), temperatureValue: $('temperature-value'), out: $('continuations'), note: $('text-note') });
    textPrompt.attach(host);
  }
}

function failed(message: string): void {
  $('status').textContent = 'error';
  $('headline').textContent = 'This browser cannot take part.';
  $('headline').dataset.tone = 'bad';
  $('reason').textContent = message;
}

async function main(): Promise<void> {
  $('version').textContent = `protocol v${PROTOCOL_VERSION}`;
  $('reload').addEventListener('click', () => location.reload());
  const token = params.get('t') ?? '';
  let known = knownNickname(params);
  if (known === null) {
    $('headline').textContent = 'Welcome! Pick a nickname for the class screen, or just wait.';
    known = await askNickname($<HTMLFormElement>('nick-form'), $<HTMLInputElement>('nick'), $('nick-countdown'));
  }
  nickname = known;
  $('who').hidden = false;
  $('who-name').textContent = nickname || 'anonymous';
  $('who-change').addEventListener('click', forgetNickname);
  $('pad-clear').addEventListener('click', () => predictor?.clear());
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  host = await startPeer(
    { url: wsUrl, pageUrl: location.href, hello: { token, kind: 'tab', nickname, codecs: SUPPORTED_CODECS }, backend: params.get('backend') },
    params.get('worker'),
    {
      backend: (c) => {
        $('backend').textContent = c.backend;
        $('where').textContent = host?.placement.why ?? '';
        $('backend-note').textContent = c.renderer ? `${c.note}; GPU: ${c.renderer}` : c.note;
      },
      stats: showSoon,
      taskDone: () => {
        predictor?.weightsChanged();
        textPrompt?.weightsChanged();
      },
      failed,
    },
  );
  document.body.dataset.where = host.placement.where;
  // 2-D sets and curves: the same picture of the model as the class dashboard (the pad is for digits).
  // Only 2-D sets and curves are shown here; any other kind (e.g. an image model's first-layer filters, ~150 KB of JSON per
  // weights version) stops the polling at once: 30 tabs asking every 2 s would cost the coordinator's link megabytes a second.
  const stopView = pollModelView(`/api/view?t=${encodeURIComponent(token)}`, { canvas: $<HTMLCanvasElement>('boundary'), caption: $('view-caption'), title: $('view-title') }, 2000, (kind) => {
    const show = kind === 'boundary' || kind === 'curve';
    $('view-card').hidden = !show;
    if (show) afterwards = 'view';
    else stopView();
  });
  $('where').textContent = host.placement.why;
  // Tests read the peer's counters and drive its test hooks through this handle.
  Object.assign(window, { tabtrain: host, tabtrainTensorsAfterStep: host.tensorsAfterStep });
  // Keep "unreachable for N s" counting while the peer retries.
  setInterval(() => host?.stats?.state === 'reconnecting' && show(host.stats), 1000);
}

main().catch((e: unknown) => failed(e instanceof Error ? e.message : String(e)));
