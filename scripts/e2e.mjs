#!/usr/bin/env node
// `npm run test:e2e [-- <spec files or playwright options>]`: build the
// browser bundle once, then Playwright (real Chromium tabs against a real
// coordinator, one spec at a time). The JSON report goes to
// test-results/playwright.json instead of the terminal; the exit status is
// Playwright's.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const run = (cmd, args, env = {}) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

if (run('node', ['bin/tabtrain.mjs', 'build']) !== 0) process.exit(1);
mkdirSync('test-results', { recursive: true });
// Absolute: Playwright resolves a relative report path against the config's folder.
const json = resolve('test-results', 'playwright.json');
process.exit(run('npx', ['playwright', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)], { PLAYWRIGHT_JSON_OUTPUT_NAME: json }));
