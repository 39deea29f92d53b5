import { table, type ItemResult, type Machine } from './context';
import type { ItemName } from './items';
import { ITEMS } from './items';

/** The Markdown report: a headline table, then one section per item with its plots. */
export function summaryMarkdown(
  name: string,
  json: { quick: boolean; repeats: number; startedAt: string; seconds: number; machine: Machine },
  results: Partial<Record<ItemName, ItemResult & { seconds: number }>>,
  svgFiles: Record<string, string>,
): string {
  const m = json.machine;
  const rows: string[][] = [];
  for (const [k, r] of Object.entries(results)) for (const h of r.headline) rows.push([ITEMS[k as ItemName].title, h.label, h.value]);
  const out = [
    `# tabtrain bench: ${name}`,
    '',
    `${json.quick ? 'Quick' : 'Full'} run of ${json.startedAt}, ${json.seconds.toFixed(0)} s, on ${m.cores} cores (${m.cpu}, 1-minute load average ${m.loadAverage ?? '?'} at the start), Node ${m.node}, ${m.platform}. Figures are medians over ${json.repeats} repeats unless a section says otherwise; ratios are measured side by side in the same run.`,
    '',
    '## Headline',
    '',
    table(['item', 'figure', 'value'], rows),
  ];
  for (const [k, r] of Object.entries(results)) {
    out.push('', `## ${ITEMS[k as ItemName].title}`, '', r.markdown);
    for (const s of Object.keys(r.svgs)) if (svgFiles[s]) out.push('', `![${s}](${svgFiles[s]})`);
    out.push('', `_${r.seconds.toFixed(0)} s_`);
  }
  return out.join('\n') + '\n';
}
