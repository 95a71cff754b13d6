import {defineConfig} from 'vitest/config'

import LongestFirst from './test/faults/sequencer.js'

// The fault-injection suite (test/faults, docs/reliability.md): the built CLI on the real engine, killed,
// starved and fed hostile input. Separate from `npm test` because it takes minutes and runs its own engine.
// Files that starve the machine or stop an engine, with timing in what they check, run alone after the
// others; the rest run side by side (each test's projects, and so its resources, are its own; they spend
// their time waiting on the engine and on the CLI processes they start). docs/testing.md has the figures.
const ALONE = [
  // A fork bomb and a 16 MiB output flood starve the two cores; a step's 2 s timeout is what it checks.
  'test/faults/runaway-jobs.fault.ts',
  // Freezes and stops its private engine with orca's engine timeout at 2 s: a loaded machine must not fire it first.
  'test/faults/engine-loss.fault.ts',
]

export default defineConfig({
  test: {
    globalSetup: ['test/faults/tally-setup.ts'],
    sequence: {sequencer: LongestFirst},
    projects: [
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.fault.ts'],
          exclude: ALONE,
          testTimeout: 120_000,
          hookTimeout: 90_000,
          sequence: {groupOrder: 0},
          fileParallelism: true,
          maxWorkers: 3,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults-alone',
          include: ALONE,
          testTimeout: 120_000,
          hookTimeout: 90_000,
          sequence: {groupOrder: 1},
          fileParallelism: false,
        },
      },
    ],
  },
})
