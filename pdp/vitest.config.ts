import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources directly; the CLI tests spawn the built bin (npm run build first).
// The timeouts catch a hang; they are no measure of speed (the bench is), so they leave room for
// a loaded CI machine: with both cores busy elsewhere, tests that take 4 s alone took 12 s.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two shared cores: a couple of workers is plenty and leaves room for the other suites.
    maxWorkers: 2,
  },
});
