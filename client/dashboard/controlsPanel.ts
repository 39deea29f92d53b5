import type { DashboardBase } from '../../shared/protocol/dashboard';

/**
 * Start, pause, resume and stop, and a new learning rate, optimizer or global
 * batch size from the next step on. Each is a POST to /api/control with the
 * admin token from the dashboard's own link; the answer (or the refusal,
 * with its code) is shown next to the buttons.
 */
export class ControlsPanel {
  private base: DashboardBase | null = null;
  private edited = new Set<string>();

  constructor(
    private readonly root: HTMLElement,
    private readonly admin: string,
  ) {
    for (const b of root.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
      b.addEventListener('click', () => void this.send(b.dataset.action!, undefined));
    }
    for (const f of root.querySelectorAll<HTMLFormElement>('form[data-action]')) {
      const input = f.querySelector<HTMLInputElement | HTMLSelectElement>('[name=value]')!;
      input.addEventListener('input', () => this.edited.add(f.dataset.action!));
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        void this.send(f.dataset.action!, input.value).then(() => this.edited.delete(f.dataset.action!));
      });
    }
  }

  update(b: DashboardBase): void {
    this.base = b;
    const st = b.state;
    const over = st === 'done';
    this.button('start').disabled = over || b.step > 0 || st !== 'waiting';
    this.button('pause').disabled = over || st === 'paused' || st === 'waiting';
    this.button('resume').disabled = over || st !== 'paused';
    this.button('stop').disabled = over;
    // --mode local: the coordinator's learning rate and optimizer are the outer ones (the inner ones run in the tabs).
    const outer = b.config.mode === 'local' ? 'Outer ' : '';
    this.label('lr', `${outer}${outer ? 'l' : 'L'}earning rate`);
    this.label('optimizer', `${outer}${outer ? 'o' : 'O'}ptimizer`);
    this.field('lr', String(b.lr));
    this.field('optimizer', b.optimizer);
    this.field('batchSize', String(b.batchSize));
    for (const el of this.root.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('form [name], form button')) el.disabled = over;
  }

  private button(a: string): HTMLButtonElement {
    return this.root.querySelector<HTMLButtonElement>(`button[data-action="${a}"]`)!;
  }

  private label(action: string, text: string): void {
    const el = this.root.querySelector<HTMLLabelElement>(`form[data-action="${action}"] label`);
    if (el && el.textContent !== text) el.textContent = text;
  }

  /** Shows the run's current value unless the person is editing it. */
  private field(action: string, v: string): void {
    const el = this.root.querySelector<HTMLInputElement | HTMLSelectElement>(`form[data-action="${action}"] [name=value]`)!;
    if (!this.edited.has(action) && document.activeElement !== el) el.value = v;
  }

  private async send(action: string, value: string | undefined): Promise<void> {
    const out = this.root.querySelector<HTMLElement>('.control-result')!;
    out.className = 'control-result';
    out.textContent = `${action}…`;
    try {
      const res = await fetch('/api/control', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-admin-token': this.admin },
        body: JSON.stringify(value === undefined ? { action } : { action, value }),
      });
      const r = (await res.json()) as { ok: boolean; code?: string; message?: string; control?: { step: number; from?: unknown; to?: unknown } };
      if (!r.ok) {
        out.classList.add('error');
        out.textContent = `${r.code}: ${r.message}`;
        return;
      }
      const c = r.control!;
      out.classList.add('ok');
      out.textContent = c.to !== undefined ? `${action}: ${String(c.from)} → ${String(c.to)} from step ${c.step + 1}` : `${action}: done at step ${c.step}`;
    } catch (e) {
      out.classList.add('error');
      out.textContent = `could not reach the coordinator (${e instanceof Error ? e.message : String(e)})`;
    }
    void this.base;
  }
}
