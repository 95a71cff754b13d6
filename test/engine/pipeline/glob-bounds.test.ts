import picomatch from 'picomatch'
import {describe, expect, it} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import {costlyGlob} from '../../../src/engine/pipeline/glob-bounds.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'

const defaults = {timeoutMs: 30 * 60_000, cleanup: 'always_remove' as const}

function problems(globs: string[]): string[] {
  const list = globs.map((g) => JSON.stringify(g)).join(', ')
  try {
    parsePipeline(`version: 1\nimage: busybox\njobs:\n  build:\n    inputs: [${list}]\n    steps: [make]\n`, 'jobs.yml', '/project/jobs.yml', defaults)
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  return []
}

// Globs people write, which must stay accepted.
const EVERYDAY = ['src/**', '**/*.ts', 'src/**/*.test.ts', '**/*.{js,ts,json}', 'package*.json', '!**/node_modules/**', 'src/**/__tests__/**/*.*', 'dist/*-*.tgz', '?(a|b).md']

// Each of these costs seconds to minutes on one hostile path when matched as picomatch compiles it.
const PATHOLOGICAL = [
  '*a*a*a*a*a*a*a*a*a*a*ax',
  '**/a/**/a/**/a/**/a/**/b',
  `${'**/'.repeat(40)}x`,
  `${'{a,aa}'.repeat(30)}b`,
  '*a*a/*a*a/*a*ax',
]

describe('glob bounds', () => {
  it('accept everyday globs', () => {
    for (const glob of EVERYDAY) expect(costlyGlob(glob), glob).toBeUndefined()
    expect(problems(EVERYDAY)).toEqual([])
  })

  it('reject pathological globs with a typed error naming the glob and the bound', () => {
    for (const glob of PATHOLOGICAL) expect(costlyGlob(glob), glob).toBeDefined()
    const lines = problems(PATHOLOGICAL)
    expect(lines).toHaveLength(PATHOLOGICAL.length)
    expect(lines[0]).toMatch(/^jobs\.yml:5:\d+ jobs\.build\.inputs\[0\]: input glob "\*a\*a.*" has \d+ "\*" in one path segment; at most 2 are allowed$/)
    expect(lines[1]).toMatch(/has 5 "\*\*" segments; at most 2 are allowed/)
    expect(lines[3]).toMatch(/\{…\} groups; at most 8 are allowed/)
  })

  it('reject a glob longer than 1024 characters and more than 1000 globs, by the schema', () => {
    expect(problems(['a'.repeat(1025)])[0]).toMatch(/inputs\[0\]/)
    expect(problems(Array.from({length: 1001}, (_, i) => `f${i}`))[0]).toMatch(/jobs\.build\.inputs/)
  })

  it('match the costliest accepted globs against hostile 4 KiB paths quickly (the test timeout is the bound)', () => {
    const segment = 'a'.repeat(250)
    const paths = [`${`${segment}/`.repeat(16)}c`, `${'a/'.repeat(2000)}c`, `${segment}/${segment}/${segment}c`]
    const worst = ['*a*a/*a*ax', '**/*a*a/*ax', '**/*a/**/*ax', '**/a*/**/a*x', '**/a/**/b', `${'{a,aa}'.repeat(8)}/**/*ab`]
    for (const glob of worst) {
      expect(costlyGlob(glob), glob).toBeUndefined()
      const match = picomatch(glob, {dot: true})
      for (const path of paths) expect(match(path)).toBe(false)
    }
  })
})
