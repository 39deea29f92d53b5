import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fail } from '../../shared/errors';

/**
 * Headless Chromium tabs as simulated volunteers, driven by playwright-core
 * against the system's Chromium: no browser is ever downloaded.
 */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function findChromium(given?: string): string {
  // A path the person named is the one used: no silent fallback to another browser.
  if (given) {
    if (existsSync(given)) return given;
    throw fail('CHROMIUM_NOT_FOUND', `--chromium: no Chromium at ${given} (give the path of the executable, e.g. /usr/bin/chromium)`);
  }
  const candidates = [given, process.env.CHROMIUM_PATH, DEFAULT_CHROMIUM, '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
    (x): x is string => typeof x === 'string' && x.length > 0,
  );
  for (const c of candidates) if (existsSync(c)) return c;
  throw fail(
    'CHROMIUM_NOT_FOUND',
    `no Chromium found (looked at ${candidates.join(', ')}). Install it with: apt-get update && apt-get install -y chromium  (or pass --chromium PATH, or set CHROMIUM_PATH)`,
  );
}

/** Flags for headless Chromium here: root needs --no-sandbox; nothing may phone home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Tabs in one browser must not throttle each other when not focused.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface TabFleet {
  browser: Browser;
  context: BrowserContext;
  pages: Page[];
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchTabs(executablePath: string, urls: string[], log: (l: string) => void = () => undefined): Promise<TabFleet> {
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const pages: Page[] = [];
  const open = async (url: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') log(`tab ${pages.indexOf(page) + 1}: ${m.text()}`);
    });
    page.on('pageerror', (e) => log(`tab ${pages.indexOf(page) + 1} error: ${e.message}`));
    pages.push(page);
    await page.goto(url);
    return page;
  };
  for (const u of urls) await open(u);
  return {
    browser,
    context,
    pages,
    open,
    close: async () => {
      await browser.close().catch(() => undefined);
    },
  };
}
