/**
 * Child process of the capacity bench: N replay peers (client/node/replayPeer.ts)
 * joining one coordinator. Exits when every peer is done or closed, or on SIGTERM.
 *
 *   node --import tsx bench/capacity/fleet.ts JOIN_URL N
 */
import { startReplayPeer } from '../../client/node/replayPeer';

const joinUrl = process.argv[2]!;
const n = Number(process.argv[3]);
const peers = Array.from({ length: n }, (_, i) => startReplayPeer({ joinUrl, nickname: `replay-${i + 1}` }));
const stopAll = (): void => {
  for (const p of peers) p.stop();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stopAll);
process.on('SIGINT', stopAll);
const check = setInterval(() => {
  if (peers.every((p) => p.stats.state === 'done' || p.stats.state === 'closed')) {
    clearInterval(check);
    const tasks = peers.reduce((a, p) => a + p.stats.tasks, 0);
    console.log(JSON.stringify({ fleet: { peers: n, tasks } }));
    process.exit(0);
  }
}, 100);
