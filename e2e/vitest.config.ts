import { defineConfig } from 'vitest/config';

// Whole-stack, fault (fault/: services killed, slowed or cut off under load) and browser tests
// start real services: run one file at a time and give each test room for a few IdP round trips
// on a busy 2-core machine.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
