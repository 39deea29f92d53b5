import * as tf from '@tensorflow/tfjs';
import { PROTOCOL_VERSION } from '../../shared/protocol';
import { PeerSession, type PeerStats } from '../peer/session';
import type { PeerSocket } from '../peer/socket';
import { chooseBackend } from './backend';

/**
 * The volunteer page: join with the token from the link, pick a backend,
 * and show in plain text what this tab is doing (people and tests read the
 * same words).
 */
const params = new URLSearchParams(location.search);
const $ = (id: string): HTMLElement => document.getElementById(id)!;

function show(s: PeerStats): void {
  $('status').textContent = s.state;
  $('reason').textContent = s.reason;
  $('steps').textContent = String(s.steps);
  $('samples').textContent = String(s.samples);
  $('speed').textContent = s.samplesPerSec > 0 ? s.samplesPerSec.toFixed(0) : '-';
  $('peer-id').textContent = s.peerId || '-';
  const st = s.status;
  $('share').textContent = st ? `${(100 * st.you.share).toFixed(1)}%` : '-';
  $('rank').textContent = st ? `${st.you.rank} of ${st.peers}` : '-';
  $('run-state').textContent = st ? `${st.state}, step ${st.step}, epoch ${st.epoch + 1}` : '-';
  $('accuracy').textContent = st?.valAccuracy != null ? `${(100 * st.valAccuracy).toFixed(1)}%` : '-';
  $('loss').textContent = st?.loss != null ? st.loss.toFixed(4) : '-';
  document.body.dataset.state = s.state;
}

async function main(): Promise<void> {
  $('version').textContent = `protocol v${PROTOCOL_VERSION}`;
  const token = params.get('t') ?? '';
  const nickname = (params.get('name') ?? localStorage.getItem('tabtrain-nickname') ?? '').slice(0, 40);
  const choice = await chooseBackend(params.get('backend'));
  $('backend').textContent = choice.backend;
  $('backend-note').textContent = choice.renderer ? `${choice.note}; GPU: ${choice.renderer}` : choice.note;
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const session = new PeerSession({
    url: wsUrl,
    hello: { token, kind: 'tab', backend: choice.backend, backendNote: choice.note, renderer: choice.renderer.slice(0, 200), nickname, codecs: [1] },
    socket: (url) => new WebSocket(url) as unknown as PeerSocket,
    resolveUrl: (path) => new URL(path, location.href).toString(),
    onChange: show,
    shapeBuckets: choice.backend === 'webgl',
  });
  // Tests read the session's counters directly too.
  Object.assign(window, { tabtrain: session, tabtrainTensors: () => tf.memory().numTensors });
  session.start();
  show(session.stats);
}

main().catch((e: unknown) => {
  $('status').textContent = 'error';
  $('reason').textContent = e instanceof Error ? e.message : String(e);
});
