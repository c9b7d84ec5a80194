import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tracer tests fork real processes; two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
