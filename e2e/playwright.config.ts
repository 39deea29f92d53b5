import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

// The system's Chromium, never a downloaded one (see README: apt-get install chromium).
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
if (!executablePath) {
  throw new Error('e2e needs Chromium: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)');
}

/** Several WebGL tabs for a minute or more each: never two of these at once. */
const LONG = ['core.spec.ts', 'dashboard.spec.ts', 'elastic.spec.ts', 'p2p-train.spec.ts', 'syllabus.spec.ts', 'backend-silent-tab.spec.ts', 'backend-webgpu.spec.ts'];

export default defineConfig({
  testDir: '.',
  // Each spec starts its own coordinator (on a free port) and tabs. The long
  // runs of several WebGL tabs go one at a time; the short specs (one or two
  // tabs, a few steps) run beside them, on the core a long run leaves idle
  // while it waits on its tabs. At most two specs at once on two cores.
  workers: 2,
  fullyParallel: false,
  projects: [
    { name: 'long', testMatch: LONG, workers: 1 },
    { name: 'short', testMatch: '*.spec.ts', testIgnore: LONG, workers: 1 },
  ],
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
