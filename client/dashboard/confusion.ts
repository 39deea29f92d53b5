import type { DashboardBase } from '../../shared/protocol/dashboard';

/**
 * The latest confusion matrix as a heat map: rows are true classes, columns
 * predicted ones, each cell shaded by its share of the row (so recall reads
 * on the diagonal), with the count written in.
 */
export function renderConfusion(table: HTMLTableElement, caption: HTMLElement, base: DashboardBase): void {
  const c = base.confusion;
  if (!c) {
    caption.textContent = 'Appears after the first validation pass.';
    table.innerHTML = '';
    return;
  }
  const names = base.dataset.classNames ?? c.matrix.map((_, i) => String(i));
  caption.textContent = `${c.split === 'test' ? 'Test set' : `Validation, epoch ${c.epoch + 1}`}: rows are the true class, columns the predicted one.`;
  const head = `<tr><th>true ↓ pred →</th>${names.map((n) => `<th>${n}</th>`).join('')}</tr>`;
  const body = c.matrix
    .map((row, t) => {
      const sum = row.reduce((a, b) => a + b, 0) || 1;
      const cells = row
        .map((v, p) => {
          const share = v / sum;
          const bg = t === p ? `rgba(5,150,105,${(0.12 + 0.88 * share).toFixed(3)})` : `rgba(220,38,38,${Math.min(1, 3 * share).toFixed(3)})`;
          const fg = (t === p ? share > 0.5 : 3 * share > 0.6) ? '#fff' : '#111827';
          return `<td style="background:${bg};color:${fg}" title="true ${names[t]}, predicted ${names[p]}: ${v}">${v || ''}</td>`;
        })
        .join('');
      return `<tr><th>${names[t]}</th>${cells}</tr>`;
    })
    .join('');
  const html = head + body;
  if (table.dataset.html === html) return;
  table.dataset.html = html;
  table.innerHTML = html;
}
