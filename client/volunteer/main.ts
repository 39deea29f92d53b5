import * as tf from '@tensorflow/tfjs';
import { SUPPORTED_CODECS } from '../../shared/compress';
import { PROTOCOL_VERSION } from '../../shared/protocol';
import { PeerSession, type PeerStats } from '../peer/session';
import type { PeerSocket } from '../peer/socket';
import { chooseBackend } from './backend';
import { headline } from './messages';
import { askNickname, forgetNickname, knownNickname } from './nickname';
import { Predictor, isImageClassifier } from './predictor';

/**
 * The volunteer page: an optional nickname, then join with the token from the
 * link, pick a backend, and show in plain words what this tab is doing, its
 * share of the work and the class model's accuracy; for image datasets a
 * drawing pad that the tab's own copy of the model reads. People and tests
 * read the same words (#status holds the raw state, #headline the sentence).
 */
const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
let lostSince: number | null = null;
let session: PeerSession | null = null;
let predictor: Predictor | null = null;
const tensorsAfterStep: Record<number, number> = {};

function show(live: PeerStats): void {
  // Once the run says it is over, a late task finishing does not make this tab "idle" again.
  const over = live.status?.state === 'done' && (live.state === 'idle' || live.state === 'computing');
  const s: PeerStats = over ? { ...live, state: 'done' } : live;
  if (s.state === 'reconnecting') lostSince ??= Date.now();
  else lostSince = null;
  const h = headline(s, lostSince);
  $('headline').textContent = h.text;
  $('headline').dataset.tone = h.tone;
  $('reload').hidden = !h.reload;
  $('status').textContent = s.state;
  $('reason').textContent = s.state === 'refused' || s.state === 'reconnecting' ? s.reason : '';
  $('steps').textContent = String(s.steps);
  $('samples').textContent = String(s.samples);
  $('speed').textContent = s.samplesPerSec > 0 ? s.samplesPerSec.toFixed(0) : '-';
  $('peer-id').textContent = s.peerId || '-';
  const st = s.status;
  $('share').textContent = st ? `${(100 * st.you.share).toFixed(1)}%` : '-';
  $('rank').textContent = st && st.you.rank > 0 ? `#${st.you.rank} of ${st.peers}` : '-';
  $('run-state').textContent = st ? `${st.state}, step ${st.step}, epoch ${st.epoch + 1}` : '-';
  $('accuracy').textContent = st?.valAccuracy != null ? `${(100 * st.valAccuracy).toFixed(1)}%` : '-';
  $('loss').textContent = st?.loss != null ? st.loss.toFixed(4) : '-';
  document.body.dataset.state = s.state;
  const t = session?.currentTrainer;
  if (t && isImageClassifier(t) && $('pad-card').hidden) {
    $('pad-card').hidden = false;
    predictor ??= new Predictor($<HTMLCanvasElement>('pad'), { digit: $('prediction'), bars: $('probs'), note: $('pad-note') });
    predictor.attach(t);
    predictor.clear();
  } else if (t && predictor) predictor.attach(t);
}

async function main(): Promise<void> {
  $('version').textContent = `protocol v${PROTOCOL_VERSION}`;
  $('reload').addEventListener('click', () => location.reload());
  const token = params.get('t') ?? '';
  const backendChoice = chooseBackend(params.get('backend'));
  let nickname = knownNickname(params);
  if (nickname === null) {
    $('headline').textContent = 'Welcome! Pick a nickname for the class screen, or just wait.';
    nickname = await askNickname($<HTMLFormElement>('nick-form'), $<HTMLInputElement>('nick'), $('nick-countdown'));
  }
  $('who').hidden = false;
  $('who-name').textContent = nickname || 'anonymous';
  $('who-change').addEventListener('click', forgetNickname);
  const choice = await backendChoice;
  $('backend').textContent = choice.backend;
  $('backend-note').textContent = choice.renderer ? `${choice.note}; GPU: ${choice.renderer}` : choice.note;
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  session = new PeerSession({
    url: wsUrl,
    hello: { token, kind: 'tab', backend: choice.backend, backendNote: choice.note, renderer: choice.renderer.slice(0, 200), nickname, codecs: SUPPORTED_CODECS },
    socket: (url) => new WebSocket(url) as unknown as PeerSocket,
    resolveUrl: (path) => new URL(path, location.href).toString(),
    onChange: show,
    onWeights: () => {
      predictor?.weightsChanged();
      // Live tensors once each task is over (the leak check reads it; mid-task counts include the batch).
      if (session) tensorsAfterStep[session.stats.steps] = tf.memory().numTensors;
    },
    shapeBuckets: choice.backend === 'webgl',
  });
  $('pad-clear').addEventListener('click', () => predictor?.clear());
  // Tests read the session's counters directly too.
  Object.assign(window, { tabtrain: session, tabtrainTensors: () => tf.memory().numTensors, tabtrainTensorsAfterStep: tensorsAfterStep });
  session.start();
  show(session.stats);
  // Keep "unreachable for N s" counting while the session retries.
  setInterval(() => session && session.stats.state === 'reconnecting' && show(session.stats), 1000);
}

main().catch((e: unknown) => {
  $('status').textContent = 'error';
  $('headline').textContent = 'This browser cannot take part.';
  $('headline').dataset.tone = 'bad';
  $('reason').textContent = e instanceof Error ? e.message : String(e);
});
