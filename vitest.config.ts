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
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/**/*.docker.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Files run side by side: most of their time is spent waiting on the engine, and each test's
          // project (and so every resource it makes) is its own.
          fileParallelism: true,
        },
      },
    ],
  },
})
