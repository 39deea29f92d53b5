import type { RunSummary } from '../../coordinator/session/runSummary';
import { chartsPng, download, runPng } from './chartPng';
import { esc, num, pct } from './format';
import { OverlayChart, type OverlayX, type OverlayY } from './overlayChart';

/**
 * The class session on the dashboard (`tabtrain serve`): a setup form for
 * the next run (validated on the coordinator by the command line's own
 * schema; its message is shown as is), the history of every run with its
 * downloads (history CSV, charts PNG, report, exported model), and an overlay of the runs ticked in the history.
 * Hidden when the coordinator has no session (`tabtrain run`).
 */
interface SessionAnswer {
  accepting: boolean;
  runs: RunSummary[];
}

const NUMBER_FIELDS = new Set(['lr', 'batchSize', 'epochs', 'samples', 'noise']);

export class SessionPanel {
  private readonly chart: OverlayChart;
  private runs: RunSummary[] = [];
  private readonly picked = new Set<number>();
  private lastRunId = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly admin: string,
  ) {
    this.chart = new OverlayChart(this.$('overlay'));
    if (document.body.classList.contains('history-only')) this.root.querySelector('h2')!.textContent = 'Runs compared';
    this.$<HTMLFormElement>('setup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.start();
    });
    for (const id of ['overlay-y', 'overlay-x']) this.$(id).addEventListener('change', () => this.drawOverlay());
    this.$('overlay-png').addEventListener('click', () => {
      const sel = (id: string): string => this.$<HTMLSelectElement>(id).selectedOptions[0]?.textContent ?? '';
      const p = this.chart.panel(`${sel('overlay-y')} per ${sel('overlay-x').replace(/ \(.*/, '')}`);
      if (p) download(chartsPng('tabtrain: runs compared', [p]), 'tabtrain-comparison.png');
    });
    // A run's charts as a PNG: drawn off screen from its history, whether or not it is in the overlay.
    this.$('history').addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-png]');
      const run = b && this.runs.find((r) => r.n === Number(b.dataset.png));
      if (!run) return;
      b.disabled = true;
      void runPng(run)
        .then((url) => download(url, `tabtrain-run-${run.n}-charts.png`))
        .finally(() => (b.disabled = false));
    });
    this.$('history').addEventListener('change', (e) => {
      const box = e.target as HTMLInputElement;
      if (box.type !== 'checkbox') return;
      const n = Number(box.value);
      if (box.checked) this.picked.add(n);
      else this.picked.delete(n);
      this.drawOverlay();
    });
    void this.refresh();
    setInterval(() => void this.refresh(), 3000);
  }

  /** A new run, or a run that changed state, in the live feed: refresh the history now. */
  runChanged(runId: string, state = ''): void {
    if (`${runId}/${state}` === this.lastRunId) return;
    this.lastRunId = `${runId}/${state}`;
    void this.refresh();
  }

  private $<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.root.querySelector<T>(`#${id}`)!;
  }

  private async refresh(): Promise<void> {
    let r: Response;
    try {
      r = await fetch(`/api/session?admin=${encodeURIComponent(this.admin)}`, { cache: 'no-store' });
    } catch {
      return;
    }
    if (r.status === 404) {
      this.root.hidden = true;
      return;
    }
    if (!r.ok) return;
    const s = (await r.json()) as SessionAnswer;
    this.root.hidden = false;
    this.runs = s.runs;
    // By default the overlay compares every run that has a curve (a run waiting for peers joins once it has).
    for (const run of s.runs) if (!this.seen.has(run.n) && run.loss.length > 0) (this.seen.add(run.n), this.picked.add(run.n));
    this.$<HTMLButtonElement>('setup-start').disabled = !s.accepting;
    this.$('setup-hint').textContent = s.accepting ? 'Open tabs switch to the new run by themselves.' : 'The current run is training: stop it (Controls) to start another.';
    this.renderHistory();
    this.drawOverlay();
  }

  private readonly seen = new Set<number>();

  private renderHistory(): void {
    const a = encodeURIComponent(this.admin);
    const file = (r: RunSummary, path: string, text: string, title: string): string => `<a class="dl" href="/api/session/runs/${r.n}/${path}?admin=${a}" download title="${title}">${text}</a>`;
    const rows = this.runs.map(
      (r) =>
        `<tr data-run="${r.n}"><td><input type="checkbox" value="${r.n}" ${this.picked.has(r.n) ? 'checked' : ''} aria-label="overlay run ${r.n}"></td>` +
        `<td class="run-label">${esc(r.label)}</td><td class="result">${r.state === 'done' ? esc(r.exitReason ?? 'done') : r.state === 'waiting' ? 'waiting for peers' : 'running'}</td><td class="num steps">${num(r.steps)}</td>` +
        `<td class="num acc">${pct(r.testAccuracy)}</td>` +
        `<td class="files">${file(r, 'csv', 'CSV', 'the history, one row per step')}<button type="button" class="dl" data-png="${r.n}" title="the loss and accuracy charts">PNG</button>` +
        (r.files?.report ? file(r, 'report', 'report', 'the JSON report') : '') +
        (r.files?.model ? file(r, 'model/model.json', 'model.json', 'the trained model (tfjs layers format); keep weights.bin beside it') + file(r, 'model/weights.bin', 'weights.bin', "the model's weights") : '') +
        `</td></tr>`,
    );
    const html = rows.join('') || '<tr class="empty-row"><td colspan="6">Every run of this session appears here, with its settings and result.</td></tr>';
    const body = this.$('history');
    if (body.dataset.html !== html) {
      body.dataset.html = html;
      body.innerHTML = html;
    }
  }

  private drawOverlay(): void {
    const runs = this.runs.filter((r) => this.picked.has(r.n));
    const y = this.$<HTMLSelectElement>('overlay-y').value as OverlayY;
    let x = this.$<HTMLSelectElement>('overlay-x').value as OverlayX;
    if (x === 'step' && y === 'accuracy') x = 'epoch';
    this.$('overlay-empty').hidden = runs.length > 0;
    this.chart.draw(runs, y, x);
    this.renderTable(runs);
  }

  /** The picked runs' final figures side by side. */
  private renderTable(runs: RunSummary[]): void {
    const el = this.$('compare-table');
    el.innerHTML = runs.length < 2 ? '' : `<tr><th>Run</th><th>Test accuracy</th><th>Test loss</th><th>Steps</th><th>Samples/s</th><th>Time</th></tr>` + runs.map((r) => `<tr><td>${esc(r.label)}</td><td class="num">${pct(r.testAccuracy)}</td><td class="num">${r.testLoss === null ? '-' : r.testLoss.toFixed(4)}</td><td class="num">${num(r.steps)}</td><td class="num">${num(r.samplesPerSec)}</td><td class="num">${r.wallSeconds.toFixed(0)} s</td></tr>`).join('');
  }

  private async start(): Promise<void> {
    const form = this.$<HTMLFormElement>('setup-form');
    const out = this.$('setup-result');
    const body: Record<string, unknown> = {};
    for (const [k, v] of new FormData(form).entries()) {
      const s = String(v).trim();
      if (s === '') continue;
      if (k === 'hidden') body[k] = s.split(',').map((x) => Number(x.trim()));
      else body[k] = NUMBER_FIELDS.has(k) ? Number(s) : s;
    }
    out.className = 'setup-result';
    out.textContent = 'starting…';
    const r = await fetch(`/api/session/run?admin=${encodeURIComponent(this.admin)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const a = (await r.json()) as { ok: boolean; n?: number; message?: string };
    out.className = a.ok ? 'setup-result ok' : 'setup-result error';
    out.textContent = a.ok ? `Run #${a.n} is starting: the open tabs switch to it by themselves.` : (a.message ?? `refused (${r.status})`);
  }
}
