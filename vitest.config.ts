import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests train real models on 2 cores: give them room, but
    // never use time as an assertion (speed targets live in `npm run bench`).
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A test file's coordinator and in-process peers share one thread, so one
    // file uses about one core: two files at once use the machine's two
    // (vitest's default on 2 cores is cores - 1 = one file at a time).
    maxWorkers: 2,
  },
});
