import { parseAttack } from '../../client/node/attack';
import { startNodePeer } from '../../client/node/nodePeer';
import type { PeerSession } from '../../client/peer/session';
import type { Config } from '../../shared/config/schema';
import { fail } from '../../shared/errors';
import '../tfjsNode';

/**
 * `tabtrain peer --join URL [--node-peers N]`: Node peers for a coordinator
 * running elsewhere (another machine, or a `serve` that may be restarted).
 * They live apart from the coordinator, so they outlive its crashes: each
 * retries with backoff and comes back under its reconnect token. Exits when
 * every peer is done (training over) or refused, or on Ctrl-C.
 */
export async function runPeers(config: Config): Promise<number> {
  if (!config.join) throw fail('CONFIG_INVALID', '--join: peer needs the join link the coordinator printed (http://HOST:PORT/?t=TOKEN)');
  try {
    const u = new URL(config.join);
    if (!u.searchParams.get('t')) throw new Error('no ?t= token');
  } catch (e) {
    throw fail('CONFIG_INVALID', `--join: "${config.join}" is not a join link (${e instanceof Error ? e.message : String(e)})`);
  }
  const n = Math.max(1, config.nodePeers);
  const log = (l: string): void => console.log(l);
  const sessions: PeerSession[] = [];
  let refused = false;
  const finished = new Promise<void>((resolve) => {
    // Peers started by `run` / `serve` / `compare` (peerProcesses.ts) stay for the next run of a session; their parent ends them.
    const stay = process.env.TABTRAIN_PEER_STAY === '1';
    const check = (): void => {
      if (stay) return;
      if (sessions.length === n && sessions.every((s) => s.stats.state === 'done' || s.stats.state === 'refused')) resolve();
    };
    for (let i = 0; i < n; i++) {
      let last = '';
      // A name in the join link (`&name=node-1`, as `run` gives its own peers) is kept.
      const named = new URL(config.join!).searchParams.get('name');
      const name = named ? (n > 1 ? `${named}-${i + 1}` : named) : `node-${process.pid}-${i + 1}`;
      sessions.push(
        startNodePeer({
          joinUrl: config.join!,
          nickname: name,
          // A restarted coordinator is back within seconds: retry at least every 2 s.
          maxBackoffMs: 2000,
          ...(config.attack ? { attack: parseAttack(config.attack) } : {}),
          onChange: (s) => {
            if (s.state !== last && s.state !== 'computing' && s.state !== 'idle') log(`${name}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`);
            last = s.state;
            if (s.state === 'refused') refused = true;
            check();
          },
        }),
      );
    }
  });
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await Promise.race([finished, stop]);
  for (const s of sessions) s.stop();
  const samples = sessions.reduce((a, s) => a + s.stats.samples, 0);
  log(`peers done: ${samples} training samples computed`);
  return refused ? 1 : 0;
}
