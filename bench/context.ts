import { cpus, loadavg } from 'node:os';
import type { TabBrowser } from './tabs';

/** What every bench item gets: the mode, a logger, and the machine it runs on. */
export interface BenchContext {
  quick: boolean;
  /** Repeats of each measured configuration (medians are over these). */
  repeats: number;
  log: (line: string) => void;
  chromium: string | null;
  /** The headless Chromium of this bench process, launched on first use and shared by the items (closed by main). */
  tabBrowser: () => Promise<TabBrowser>;
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage: number;
}

export function machine(): Machine {
  const c = cpus();
  return { cores: c.length, cpu: c[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: Math.round(loadavg()[0]! * 100) / 100 };
}

/** An item's result: numbers for the JSON, a Markdown section, and SVG files (name -> content). */
export interface ItemResult {
  data: Record<string, unknown>;
  markdown: string;
  svgs: Record<string, string>;
  /** One-line figures for the summary table. */
  headline: { label: string; value: string }[];
}

export function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
