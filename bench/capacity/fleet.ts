/**
 * Child process of the capacity bench: N replay peers (bench/replay/replayPeer.ts)
 * joining one coordinator. On SIGTERM, or when every peer is done or closed,
 * prints one JSON line (tasks answered, this process's CPU time from the
 * first task on) and exits. JOIN_URL "-": read it from the first line of
 * stdin, so the process can start while the coordinator does.
 *
 *   node --import tsx bench/capacity/fleet.ts JOIN_URL|- N [FIRST_INDEX]
 */
import { createInterface } from 'node:readline';
import { startReplayPeer } from '../replay/replayPeer';

const joinUrl = process.argv[2] === '-' ? await firstLine() : process.argv[2]!;
const n = Number(process.argv[3]);
const first = Number(process.argv[4] ?? 0);

function firstLine(): Promise<string> {
  return new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
}

const peers = Array.from({ length: n }, (_, i) => startReplayPeer({ joinUrl, nickname: `replay-${first + i + 1}` }));
let cpuAtFirstTask: NodeJS.CpuUsage | null = null;
const tasks = (): number => peers.reduce((a, p) => a + p.stats.tasks, 0);

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  clearInterval(check);
  const cpu = cpuAtFirstTask ? process.cpuUsage(cpuAtFirstTask) : null;
  console.log(JSON.stringify({ fleet: { peers: n, tasks: tasks(), cpuMs: cpu ? (cpu.user + cpu.system) / 1000 : 0 } }));
  for (const p of peers) p.stop();
  setTimeout(() => process.exit(0), 100).unref();
}

process.on('SIGTERM', finish);
process.on('SIGINT', finish);
const check = setInterval(() => {
  if (!cpuAtFirstTask && tasks() > 0) cpuAtFirstTask = process.cpuUsage();
  if (peers.every((p) => p.stats.state === 'done' || p.stats.state === 'closed')) finish();
}, 20);
