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
    // Integration tests start real brokers and processes on free ports; two cores is all CI has.
    maxWorkers: 2,
  },
});
