import {describe, expect, it} from 'vitest'

import {relevantChanges, skippedDirs, type WatchedInputs} from '../../../src/engine/watch/relevant.js'

/** One step: a job that runs (a job without steps is a group). */
const step = [{name: 's', run: 'true'}]

function inputs(jobs: Array<{inputs?: string[]; envFiles?: string[]; steps?: unknown[]}>): WatchedInputs {
  return {
    jobs: jobs.map((job) => ({steps: step, ...job})) as unknown as WatchedInputs['jobs'],
    orcaFiles: ['jobs.yml', 'orca.config.yml'],
    stateDirs: ['.orca/', 'build/cache/'],
  }
}

describe('relevantChanges', () => {
  it("keeps what a job's globs select, its env files and orca's own files; drops the rest and orca's state", () => {
    const watched = inputs([{inputs: ['src/**', '!src/**/*.md'], envFiles: ['.env']}, {inputs: []}])
    expect(relevantChanges(['src/a.ts', 'src/doc.md', 'README.md', '.env', 'jobs.yml', '.orca/runs/x/run.json', 'build/cache/blob'], watched)).toEqual([
      '.env',
      'jobs.yml',
      'src/a.ts',
    ])
  })

  it('a job without inputs sees every file but those in .git and node_modules; a group job (no steps) sees none', () => {
    expect(relevantChanges(['README.md', 'node_modules/x/i.js', '.git/index'], inputs([{}]))).toEqual(['README.md'])
    expect(relevantChanges(['README.md'], inputs([{steps: []}]))).toEqual([])
  })

  it('skips node_modules and .git unless a job names them, and orca state folders always', () => {
    expect(skippedDirs(inputs([{inputs: ['src/**']}]))).toEqual(['.git', 'node_modules', '.orca', 'build/cache'])
    expect(skippedDirs(inputs([{inputs: ['node_modules/.package-lock.json']}]))).toEqual(['.git', '.orca', 'build/cache'])
  })
})
