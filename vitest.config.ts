import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (workspace: string) => fileURLToPath(new URL(`./${workspace}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@fleet/shared': src('shared'),
      '@fleet/cloud': src('cloud'),
      '@fleet/edge': src('edge'),
      '@fleet/dashboard': src('dashboard'),
    },
  },
  test: {
    include: ['*/test/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll gives up after 5 s instead of vitest's 1 s: a page draws at its next animation frame and a
    // loaded 2-core machine (CI, or several suites at once) can take longer than 1 s to get there. A poll ends
    // as soon as it passes, so this only lengthens a failure.
    expect: { poll: { timeout: 5000 } },
    // Integration tests start real brokers and processes on free ports; two cores is all CI has.
    maxWorkers: 2,
    // Test files share their worker's module cache instead of each importing fastify, zod, pino, mqtt,
    // playwright-core and the sources again: about a quarter off the whole run. The code has no module-level
    // state to leak between files (services are built by their composition roots), and the tests that fake
    // timers restore them after each test.
    isolate: false,
  },
});
