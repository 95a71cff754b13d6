import {readFileSync} from 'node:fs'

import {LineCounter, parseDocument} from 'yaml'
import {describe, expect, test} from 'vitest'

import {ConfigError, formatDiagnostic} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {EXPANSION_LIMITS, expansionProblem} from '../../../src/engine/pipeline/yaml-expansion.js'

const defaults = {timeoutMs: 60_000, cleanup: 'always_remove'} as const
const parse = (text: string) => parsePipeline(text, 'jobs.yml', '/project/jobs.yml', defaults)
const doc = (text: string) => parseDocument(text, {lineCounter: new LineCounter(), uniqueKeys: false, merge: true})

function problems(text: string): string[] {
  try {
    parse(text)
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic)
    throw error
  }
  return []
}

/** Mappings, lists and scalars (keys included) of a built value: what the limit counts. */
function countValues(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((sum: number, item) => sum + countValues(item), 0)
  if (value !== null && typeof value === 'object') return 1 + Object.values(value).reduce((sum: number, item) => sum + 1 + countValues(item), 0)
  return 1
}

/** The review's file: 990 aliases of one 10 000-key map (about 160 KB). */
function flatBomb(): string {
  const rows = ['version: 1', 'image: busybox:1.36', 'x: &m', ...Array.from({length: 10_000}, (_, i) => `  key${i}: value${i}`), 'jobs:']
  for (let i = 0; i < 990; i++) rows.push(`  j${i}: {env: *m, steps: ["true"]}`)
  return `${rows.join('\n')}\n`
}

describe('YAML expansion limits', () => {
  // The bound is the test's timeout: expanding this file took seconds and hundreds of MB.
  test('refuse 990 aliases of a 10 000-key map at the alias that crosses the limit, without expanding them', () => {
    const text = flatBomb()
    expect(Buffer.byteLength(text)).toBeGreaterThan(150_000)
    expect(problems(text)).toEqual([
      'jobs.yml:10014:7: the document expands to more than 200,000 values through YAML aliases (e.g. *m); is this an alias bomb?',
    ])
  })

  test('refuse aliases that repeat a long text past 16 MiB', () => {
    const text = `version: 1\nimage: busybox\nx: &t "${'y'.repeat(200_000)}"\njobs:\n${Array.from({length: 100}, (_, i) => `  j${i}: {env: {T: *t}, steps: ["true"]}`).join('\n')}\n`
    expect(problems(text)).toEqual([expect.stringMatching(/^jobs\.yml:\d+:\d+: the document expands to more than 16 MiB of text through YAML aliases \(e\.g\. \*t\)/)])
  })

  test('refuse an alias inside the value it names, instead of building a value that contains itself', () => {
    expect(problems('version: 1\nimage: busybox\njobs:\n  a: &a\n    needs: *a\n    steps: ["true"]\n')).toEqual([
      'jobs.yml:5:12: the alias *a is inside the value it names; a value cannot contain itself',
    ])
    expect(problems('version: 1\nx: &l [1, [2, *l]]\njobs: {}\n')).toEqual(['jobs.yml:2:15: the alias *l is inside the value it names; a value cannot contain itself'])
  })

  test('count exactly what the value would hold: a document at the limit is read, one value more is not', () => {
    const text = 'base: &b {a: 1, b: [x, y]}\nlist: [*b, *b, {c: *b}]\n'
    const values = countValues(doc(text).toJS())
    expect(expansionProblem(doc(text), {values, bytes: Infinity})).toBeUndefined()
    expect(expansionProblem(doc(text), {values: values - 1, bytes: Infinity})?.message).toMatch(/more than \d+ values/)
  })

  test('leave pipelines that share steps, env, inputs and volumes through anchors untouched', () => {
    const rows = [
      'version: 1',
      'image: busybox:1.36',
      'jobs:',
      '  shared: &defaults',
      '    env: {CI: "true", NODE_ENV: production, NPM_CONFIG_CACHE: /root/.npm}',
      '    volumes: {npm-cache: /root/.npm}',
      '    inputs: ["src/**", "package.json", "package-lock.json", "tsconfig.json"]',
      '    steps:',
      ...Array.from({length: 20}, (_, i) => `      - name: step ${i}\n        run: |\n          ${'echo shared step line; '.repeat(10)}`),
    ]
    // 999 jobs merging a 20-step definition: far more than any real pipeline.
    for (let i = 1; i < 1000; i++) rows.push(`  job${i}:\n    <<: *defaults\n    artifacts: ["dist/${i}/**"]`)
    const text = `${rows.join('\n')}\n`
    const values = countValues(doc(text).toJS({maxAliasCount: -1}))
    expect(values).toBeGreaterThan(100_000)
    expect(values).toBeLessThan(EXPANSION_LIMITS.values)
    expect(parse(text).jobs.size).toBe(1000)
    expect(parse(text).jobs.get('job999')!.steps).toHaveLength(20)
  })

  test('are the ones docs/jobs-yml.md states', () => {
    const docs = readFileSync(new URL('../../../docs/jobs-yml.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')
    expect(docs).toContain(`at most ${EXPANSION_LIMITS.values.toLocaleString('en-US')} values and ${EXPANSION_LIMITS.bytes / 1024 / 1024} MiB of text`)
  })
})
