import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources directly; the CLI tests spawn the built bin (npm run build first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two shared cores: a couple of workers is plenty and leaves room for the other suites.
    maxWorkers: 2,
  },
});
