import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

/**
 * Headless Chromium as a person's browser: started without the flags that
 * keep background tabs at full speed, and driven over the DevTools protocol
 * directly. Playwright is not used here because it makes every page it
 * attaches to report itself visible, and this measures hidden tabs: a tab
 * opened in the background (or behind a newer one) is `hidden`, and Chromium
 * throttles its timers as it does for a student's background tab.
 */
/** A DevTools event: its method, parameters and (for a tab's) session. */
export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId: string | undefined;
}

export class CdpBrowser {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly sessions = new Map<string, string>();
  private readonly listeners = new Set<(e: CdpEvent) => void>();

  private constructor(
    private readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      if (m.method) for (const l of this.listeners) l({ method: m.method, params: m.params ?? {}, sessionId: m.sessionId });
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result);
    });
  }

  /** `args`: more flags (the tab runs of bench/tabs.ts keep every tab at full speed). */
  static async launch(executable: string, args: readonly string[] = []): Promise<CdpBrowser> {
    const profile = mkdtempSync(join(tmpdir(), 'tabtrain-cdp-'));
    const proc = spawn(executable, ['--headless', '--no-sandbox', '--disable-background-networking', '--no-first-run', ...args, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Chromium did not open its DevTools port in 30 s')), 30_000);
      createInterface({ input: proc.stderr! }).on('line', (l) => {
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(l);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before opening its DevTools port`)));
    });
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new CdpBrowser(proc, ws, profile);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** True while the browser process and its DevTools socket are up. */
  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** A new tab in the browser's window: in front, or behind the current one; or in a window of its own (`newWindow`: visible, as every tab of a class is on its own laptop). */
  async open(url: string, background = false, newWindow = false): Promise<string> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url, background, newWindow });
    return targetId;
  }

  /**
   * Reports a tab's uncaught exceptions to `log`. Only the Runtime domain is
   * enabled: no Network domain, so the browser does not copy every WebSocket
   * frame of the tab into DevTools events (what a Playwright page does).
   */
  async watchErrors(targetId: string, log: (message: string) => void): Promise<void> {
    const s = await this.session(targetId);
    this.listeners.add((e) => {
      if (e.sessionId !== s || e.method !== 'Runtime.exceptionThrown') return;
      const d = (e.params as { exceptionDetails?: { text?: string; exception?: { description?: string } } }).exceptionDetails;
      log(d?.exception?.description?.split('\n')[0] ?? d?.text ?? 'an exception');
    });
    await this.send('Runtime.enable', {}, s);
  }

  /** Brings a tab to the front: the one in front before becomes hidden. */
  async activate(targetId: string): Promise<void> {
    await this.send('Target.activateTarget', { targetId });
  }

  async close(targetId: string): Promise<void> {
    this.sessions.delete(targetId);
    await this.send('Target.closeTarget', { targetId }).catch(() => undefined);
  }

  /** Evaluates an expression in a tab's page and returns its (JSON) value. */
  async evaluate<T>(targetId: string, expression: string): Promise<T> {
    const s = await this.session(targetId);
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, s);
    if (r.exceptionDetails) throw new Error(`in the tab: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  private async session(targetId: string): Promise<string> {
    let s = this.sessions.get(targetId);
    if (!s) {
      s = (await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId;
      this.sessions.set(targetId, s);
    }
    return s;
  }

  async shutdown(): Promise<void> {
    const exited = new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
    await this.send('Browser.close').catch(() => undefined);
    this.ws.close();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    this.proc.kill('SIGKILL');
    await exited;
    // Chromium's helpers may still be writing the profile; a leftover temp dir is harmless.
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      /* leave it */
    }
  }
}
