import type { PeerStats } from '../peer/session';

/**
 * What the volunteer page says about its state, in words a student can act
 * on: a refused join link, an out-of-date page, a coordinator that went away
 * (and is being retried), the end of training.
 */
export interface Headline {
  tone: 'ok' | 'busy' | 'wait' | 'bad';
  text: string;
  /** Offer a reload button (the page itself is out of date). */
  reload?: boolean;
}

/** What the page offers once training is over: the drawing pad (digits), the decision regions (2-D sets), the prefix box (text), or nothing. */
export type Afterwards = 'pad' | 'view' | 'text' | null;

export function headline(s: PeerStats, lostSince: number | null, afterwards: Afterwards = null): Headline {
  const run = s.status;
  switch (s.state) {
    case 'connecting':
      return { tone: 'wait', text: 'Connecting to the coordinator…' };
    case 'downloading':
      return { tone: 'wait', text: 'Downloading the training data (once; it is cached)…' };
    case 'warming-up':
      return { tone: 'wait', text: 'Warming up: measuring how fast this device computes…' };
    case 'computing':
      return { tone: 'busy', text: 'Computing gradients for the class model. Keep this tab open!' };
    case 'idle':
      if (!run || run.state === 'waiting') return { tone: 'ok', text: `Ready. Training starts when enough devices have joined${run ? ` (${run.peers} ready)` : ''}.` };
      if (run.state === 'paused') return { tone: 'wait', text: 'Ready. The teacher has paused training.' };
      if (run.state === 'evaluating') return { tone: 'ok', text: 'Ready. The class is measuring the model’s accuracy.' };
      return { tone: 'ok', text: 'Ready for the next piece of work.' };
    case 'reconnecting': {
      const secs = lostSince === null ? 0 : Math.round((Date.now() - lostSince) / 1000);
      return { tone: 'bad', text: `The coordinator is unreachable${secs >= 2 ? ` (for ${secs} s)` : ''}. Retrying automatically: leave this tab open.` };
    }
    case 'refused':
      if (/VERSION_MISMATCH|4001|protocol v/i.test(s.reason)) return { tone: 'bad', text: 'This page is out of date with the coordinator. Reload it to get the current version.', reload: true };
      if (/BAD_TOKEN|token/i.test(s.reason)) return { tone: 'bad', text: 'This join link is not (or no longer) valid. Scan the QR code on the teacher’s screen again, or ask for the current link.' };
      return { tone: 'bad', text: `This device could not take part: ${s.reason}` };
    case 'done': {
      // A run stopped before its first step trained nothing: do not thank anyone for "training".
      if (run && run.step === 0) return { tone: 'wait', text: 'The teacher stopped this run before training started. Nothing was trained; you may close this tab.' };
      const then = afterwards === 'pad' ? ' Try the final model on the drawing pad.' : afterwards === 'view' ? ' See what the final model learned below.' : afterwards === 'text' ? ' Type a beginning and let the final model write the rest.' : '';
      return { tone: 'ok', text: `Training is over. Thank you for lending your ${s.samples > 0 ? 'device' : 'tab'}!${then}` };
    }
  }
}
