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
          // First, alone: its files are CPU-bound. Vitest's default of one file per core less one would be a
          // single file at a time on two cores; two at once took the phase from 275 s to 164 s there
          // (docs/testing.md).
          sequence: {groupOrder: 0},
          maxWorkers: Math.max(2, availableParallelism() - 1),
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
