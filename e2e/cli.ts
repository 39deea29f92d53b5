import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Starts the real CLI as a person would, and reads its output: the join and
 * dashboard URLs, every line, and the exit code.
 */
export interface CliRun {
  proc: ChildProcess;
  lines: string[];
  joinUrl: Promise<string>;
  dashboardUrl: Promise<string>;
  exit: Promise<number>;
}

export function startCli(args: string[]): CliRun {
  const proc = spawn('node', ['bin/tabtrain.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let resolveJoin: (u: string) => void = () => undefined;
  let resolveDash: (u: string) => void = () => undefined;
  const joinUrl = new Promise<string>((r) => (resolveJoin = r));
  const dashboardUrl = new Promise<string>((r) => (resolveDash = r));
  let buf = '';
  const onData = (d: Buffer): void => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (process.env.E2E_VERBOSE) console.log(`[cli] ${line}`);
      const m = /^(join|dashboard): (\S+)/.exec(line);
      if (m?.[1] === 'join') resolveJoin(m[2]!);
      if (m?.[1] === 'dashboard') resolveDash(m[2]!);
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exit = once(proc, 'exit').then(([code]) => (typeof code === 'number' ? code : 1));
  return { proc, lines, joinUrl, dashboardUrl, exit };
}

/** The same URL on loopback: tabs on this machine reach the coordinator there. */
export function local(url: string): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  return u.toString();
}
