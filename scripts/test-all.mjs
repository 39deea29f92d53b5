#!/usr/bin/env node
// `npm test`: vitest (unit + integration over real ws), then Playwright
// (real Chromium tabs against a real coordinator). Prints one closing line
// `N passed, N failed` and exits non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const out = join('test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let passed = 0;
let failed = 0;

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

// Build the browser bundle once, up front, so no test pays for it.
if (run('node', ['bin/tabtrain.mjs', 'build']) !== 0) failed++;

// No import circle in coordinator/, client/ or shared/ (issue 10), checked by a maintained tool: one check, passed or failed.
if (run('npx', ['--no-install', 'madge', '--circular', '--extensions', 'ts', 'coordinator', 'client', 'shared']) === 0) passed++;
else failed++;

const vitestJson = join(out, 'vitest.json');
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const r = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  if (vitestStatus !== 0 && r.numFailedTests === 0) failed++;
} else if (vitestStatus !== 0) failed++;

// Absolute: Playwright resolves a relative report path against the config's folder.
const pwJson = resolve(out, 'playwright.json');
const pwStatus = run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
if (existsSync(pwJson)) {
  const r = JSON.parse(readFileSync(pwJson, 'utf8'));
  passed += r.stats.expected;
  failed += r.stats.unexpected;
  if (pwStatus !== 0 && r.stats.unexpected === 0) failed++;
} else if (pwStatus !== 0) failed++;

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
