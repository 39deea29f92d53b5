import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `--node-peers N` under `run` / `serve`: each Node peer is its own
 * `tabtrain peer` child process, so its tfjs compute (seconds per CNN task on
 * the cpu backend) never blocks the coordinator's event loop: the dashboard
 * stays live and Ctrl-C is handled at once. The children share the
 * terminal's process group, so Ctrl-C reaches them too; `stop` ends the rest.
 * They do not exit when a run is done (TABTRAIN_PEER_STAY): a session's next
 * run on the same link takes them back.
 */
export interface PeerProcesses {
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/tabtrain.mjs', import.meta.url));

export function startPeerProcesses(localJoinUrl: string, n: number, log: (l: string) => void): PeerProcesses {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const name = `node-${i + 1}`;
    const child = spawn(process.execPath, [BIN, 'peer', '--join', `${localJoinUrl}&name=${name}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TABTRAIN_PEER_STAY: '1' } });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null && err.trim()) log(`${name}: exited with code ${code}: ${err.trim().split('\n')[0]}`);
    });
    children.push(child);
  }
  // A peer busy in a long tfjs task answers SIGTERM late; when this process exits, none is left behind.
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return {
    stop: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
              // A peer mid-computation answers SIGTERM after its task; do not wait for it past 3 s.
              setTimeout(() => {
                c.kill('SIGKILL');
                resolve();
              }, 3000).unref();
            }),
        ),
      );
    },
  };
}
