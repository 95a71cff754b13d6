import {defineConfig} from 'vitest/config'

// The fault-injection suite (test/faults, docs/reliability.md): the built CLI on the real engine, killed,
// starved and fed hostile input. Separate from `npm test` because it takes minutes and runs its own engine.
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.fault.ts'],
    globalSetup: ['test/faults/tally-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
})
