import { defineConfig } from 'vitest/config';

// The tests start real servers (demo-idp, the PDP, demo-api) and talk HTTP. The timeouts catch a
// hang; they are no measure of speed, so they leave room for a loaded CI machine, where a test
// that takes 1 s alone can take several.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
