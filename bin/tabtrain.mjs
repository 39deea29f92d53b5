#!/usr/bin/env node
// tabtrain's command line. TypeScript runs through tsx's loader, so a fresh
// clone needs only `npm install`; the browser bundle builds itself on first use.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../coordinator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// Chromium, sockets and tfjs may hold handles; a finished run exits.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
