import {availableParallelism} from 'node:os'

import {defineConfig} from 'vitest/config'

// Two projects: `unit` is pure and fast; `docker` needs a real engine and the test images
// (scripts/docker-up.sh, scripts/test-images.sh) and runs the built CLI end to end.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.docker.test.ts', 'test/e2e/**'],
          testTimeout: 10_000,
          // First, alone: its files are CPU-bound, and vitest runs as many at once as there are cores less one.
          sequence: {groupOrder: 0},
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/**/*.docker.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Then these, side by side: each test's project (and so every resource it makes) is its own,
          // and the files spend most of their time waiting on the engine and on the CLI processes they
          // start, so even a two-core machine runs three at once (vitest's default there would be one:
          // the files took 2.7 times as long).
          sequence: {groupOrder: 1},
          fileParallelism: true,
          maxWorkers: Math.max(3, availableParallelism() - 1),
        },
      },
    ],
  },
})
