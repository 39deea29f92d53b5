import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

// The system's Chromium, never a downloaded one (see README: apt-get install chromium).
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
if (!executablePath) {
  throw new Error('e2e needs Chromium: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)');
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // Each spec starts its own coordinator and tabs; two cores do one at a time
  // (measured: two specs at once took about twice as long each, no gain).
  workers: 1,
  fullyParallel: false,
  timeout: 5 * 60_000,
  reporter: [['list'], ['json']],
  outputDir: '../test-results/e2e',
  use: {
    headless: true,
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
    },
  },
});
