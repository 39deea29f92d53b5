import { expect, test, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { join } from 'node:path';
import { local, startCli, type CliRun } from './cli';

/**
 * The `--p2p` transport in real Chromium: two tabs register with the
 * coordinator's own PeerJS server (join token as `?t=`), open a binary data
 * channel on loopback, and push 32 MB through it in 1 MiB messages (chunked
 * at 16,300 bytes, backpressure on bufferedAmount). The throughput is
 * printed as a figure, never asserted. A tab without WebRTC gets no node
 * (it stays on the star); a channel to a tab that does not exist gives up
 * within its timeout.
 */
const ROOT = process.cwd();
const PROBE = join(ROOT, 'dist', 'p2p', 'probe.js');

interface Probe {
  tabtrainP2p: {
    open(id: string, origin: string, token: string, ms: number): Promise<boolean>;
    connect(remote: string, ms: number): Promise<boolean>;
    throughput(count: number, bytes: number, chunkBytes: number): Promise<{ mbPerS: number; ms: number; bytes: number }>;
    received(): { bytes: number; messages: number };
  };
}

// The probe is injected as an inline script; the coordinator's pages rightly forbid those.
test.use({ bypassCSP: true });

let cli: CliRun;
let origin = '';
let token = '';

test.beforeAll(async () => {
  await build({ entryPoints: [join(ROOT, 'client', 'p2p', 'probe.ts')], outfile: PROBE, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'error' });
  // A coordinator that waits for peers that never come: its PeerJS server is what the tabs use.
  cli = startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--min-peers', '99', '--dataset', 'circles', '--samples', '200', '--progress-seconds', '600']);
  const url = new URL(local(await cli.joinUrl));
  origin = url.origin;
  token = url.searchParams.get('t') ?? '';
  expect(token).not.toBe('');
});

test.afterAll(() => {
  cli?.proc.kill('SIGKILL');
});

async function probePage(page: Page): Promise<void> {
  await page.goto(`${origin}/peerjs-probe-page`).catch(() => undefined); // any page of the coordinator's origin (a 404 will do)
  await page.addScriptTag({ path: PROBE });
}

test('two tabs open a data channel through the coordinator’s PeerJS server and move 32 MB on loopback', async ({ context }) => {
  const a = await context.newPage();
  const b = await context.newPage();
  await probePage(a);
  await probePage(b);
  expect(await a.evaluate(([o, t]) => (window as unknown as Probe).tabtrainP2p.open('tab-a', o!, t!, 5000), [origin, token])).toBe(true);
  expect(await b.evaluate(([o, t]) => (window as unknown as Probe).tabtrainP2p.open('tab-b', o!, t!, 5000), [origin, token])).toBe(true);
  expect(await b.evaluate(() => (window as unknown as Probe).tabtrainP2p.connect('tab-a', 5000))).toBe(true);
  const count = 32;
  const bytes = 1024 * 1024;
  let messages = 0;
  for (const chunkBytes of [16_300, 64 * 1024, 256 * 1024]) {
    const r = await b.evaluate(([n, s, c]) => (window as unknown as Probe).tabtrainP2p.throughput(n!, s!, c!), [count, bytes, chunkBytes]);
    messages += count;
    // Every message arrived whole: 32 more reassembled messages of 1 MiB each.
    expect(await a.evaluate(() => (window as unknown as Probe).tabtrainP2p.received())).toEqual({ bytes: messages * bytes, messages });
    console.log(`[p2p] data channel tab->tab on loopback, ${chunkBytes}-byte chunks: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms = ${r.mbPerS.toFixed(1)} MB/s`);
  }
});

test('a tab without WebRTC gets no p2p node (stays on the star); a channel to an absent tab gives up in time', async ({ context }) => {
  const noRtc = await context.newPage();
  await noRtc.addInitScript(() => {
    // (webrtc-adapter, inside peerjs, would restore the standard name from the prefixed one)
    delete (window as unknown as { RTCPeerConnection?: unknown }).RTCPeerConnection;
    delete (window as unknown as { webkitRTCPeerConnection?: unknown }).webkitRTCPeerConnection;
  });
  await probePage(noRtc);
  expect(await noRtc.evaluate(([o, t]) => (window as unknown as Probe).tabtrainP2p.open('tab-nortc', o!, t!, 5000), [origin, token])).toBe(false);
  const lone = await context.newPage();
  await probePage(lone);
  expect(await lone.evaluate(([o, t]) => (window as unknown as Probe).tabtrainP2p.open('tab-lone', o!, t!, 5000), [origin, token])).toBe(true);
  expect(await lone.evaluate(() => (window as unknown as Probe).tabtrainP2p.connect('tab-nobody', 3000))).toBe(false);
});
