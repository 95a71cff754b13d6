import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {planRun} from '../../../src/engine/plan/plan.js'

const defaults = {timeoutMs: 60_000, cleanup: 'always_remove' as const}
const parse = (text: string) => parsePipeline(text, 'jobs.yml', '/p/jobs.yml', defaults)
const problems = (text: string): string[] => {
  try {
    parse(text)
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map((d) => `${d.line}:${d.column} ${d.path}: ${d.message}`)
    throw error
  }
  return []
}

const MATRIX = `version: 1
image: busybox:1.36
jobs:
  build:
    steps: [make]
  test:
    needs: [build]
    matrix:
      node: [18, 20]
      db: [pg, mysql]
      exclude:
        - {node: 18, db: mysql}
      include:
        - {node: 22, db: pg}
    image: "busybox:\${{ matrix.node }}"
    env: {DB: "\${{ matrix.db }}"}
    max-parallel: 2
    steps:
      - name: test on \${{ matrix.db }}
        run: echo node \${{ matrix.node }}
  report:
    needs: [test]
    if: needs.test.result == 'failure'
    steps: [echo report]
`

describe('matrix jobs in a pipeline', () => {
  it('become ordinary jobs with ids, display names and interpolated values; needs and targets naming them mean every expansion', () => {
    const pipeline = parse(MATRIX)
    expect([...pipeline.jobs.keys()]).toEqual(['build', 'test-node18-pg', 'test-node20-pg', 'test-node20-mysql', 'test-node22-pg', 'report'])
    const job = pipeline.jobs.get('test-node20-mysql')!
    expect(job).toMatchObject({image: 'busybox:20', env: {DB: 'mysql'}, needs: ['build'], displayName: 'test (node=20, db=mysql)'})
    expect({...job.matrix, values: {...job.matrix!.values}}).toEqual({job: 'test', values: {node: '20', db: 'mysql'}, maxParallel: 2})
    expect(job.steps[0]).toMatchObject({name: 'test on mysql', run: 'echo node 20'})
    expect(pipeline.jobs.get('report')!.needs).toEqual(['test-node18-pg', 'test-node20-pg', 'test-node20-mysql', 'test-node22-pg'])
    expect(pipeline.jobs.get('report')).toMatchObject({condition: {source: "needs.test.result == 'failure'"}})
    expect(planRun(pipeline, ['test']).order).toEqual(['build', 'test-node18-pg', 'test-node20-pg', 'test-node20-mysql', 'test-node22-pg'])
    expect(planRun(pipeline, ['test-node22-pg']).order).toEqual(['build', 'test-node22-pg'])
  })

  it('lets a need name one expansion (test on linux needs the linux build), and finds cycles through it', () => {
    const text = `version: 1
image: busybox
jobs:
  build:
    matrix: {os: [linux, mac]}
    steps: [make]
  test-linux:
    needs: [build-linux]
    if: needs.build-linux.result == 'success'
    steps: [make test]
`
    expect(parse(text).jobs.get('test-linux')!.needs).toEqual(['build-linux'])
    expect(problems(text.replace('steps: [make]\n', 'needs: [test-linux]\n    steps: [make]\n'))).toEqual([
      '6:5 jobs.build.needs: dependency cycle: build -> test-linux -> build',
    ])
  })

  it('keeps ${{ }} text of a job without a matrix as it was (files valid before matrices mean the same)', () => {
    const pipeline = parse('version: 1\nimage: busybox\njobs:\n  a:\n    steps: ["echo ${{ github.sha }}"]\n')
    expect(pipeline.jobs.get('a')!.steps[0]!.run).toBe('echo ${{ github.sha }}')
  })

  it('reports matrix mistakes at their positions', () => {
    expect(
      problems(`version: 1
image: busybox
jobs:
  t:
    matrix:
      node: [18, 20]
      exclude: [{nod: 18}]
    steps: [echo]
`),
    ).toEqual(['7:18 jobs.t.matrix.exclude[0].nod: exclude names "nod", which is not a matrix variable ("node")'])
    expect(
      problems(`version: 1
image: busybox
jobs:
  t:
    matrix:
      py: ["3.1", "3-1"]
    steps: [echo]
`),
    ).toEqual(['5:5 jobs.t.matrix: the combinations (py=3.1) and (py=3-1) both get the id "t-py3-1"; set "id" to a template that tells them apart, e.g. "t-${{ matrix.py }}"'])
    expect(
      problems(`version: 1
image: busybox
jobs:
  t-a:
    steps: [echo]
  t:
    matrix: {os: [a, b]}
    steps: [echo]
`),
    ).toEqual(['7:5 jobs.t.matrix: the combination t (os=a) gets the id "t-a", the name of the job "t-a"; set "id" to a template that tells them apart'])
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    matrix: {os: []}\n    steps: [echo]\n')).toEqual([
      '5:18 jobs.t.matrix.os: matrix variable "os" has no values',
    ])
  })

  it('reports references it cannot interpolate, at their column', () => {
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    matrix: {os: [a]}\n    steps: ["echo ${{ matrix.oss }}"]\n')).toEqual([
      '6:19 jobs.t.steps[0]: unknown matrix variable "oss"; the matrix has "os"',
    ])
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    matrix: {os: [a]}\n    steps: ["echo ${{ env.X }}"]\n')).toEqual([
      '6:19 jobs.t.steps[0]: only ${{ matrix.NAME }} can be used here, got "${{ env.X }}"',
    ])
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    env: {A: "x${{ matrix.os }}"}\n    steps: [echo]\n')).toEqual([
      '5:16 jobs.t.env.A: the job has no matrix, so it cannot use ${{ matrix.… }}',
    ])
  })

  it('checks interpolated values against the schema, pointing at the template', () => {
    expect(problems('version: 1\njobs:\n  t:\n    matrix: {v: ["1", "x y"]}\n    image: "busybox:${{ matrix.v }}"\n    timeout: "${{ matrix.v }}m"\n    steps: [echo]\n')).toEqual([
      expect.stringMatching(/^5:12 jobs\.t\.image: .*"busybox:x y".* \(in t-x-y\)$/),
      '6:14 jobs.t.timeout: expected a duration like "10m", got "x ym" (in t-x-y)',
    ])
  })

  it('refuses id and max-parallel without a matrix', () => {
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    max-parallel: 2\n    id: x\n    steps: [echo]\n')).toEqual([
      '5:5 jobs.t.max-parallel: "max-parallel" goes with "matrix"; this job has none',
      '6:5 jobs.t.id: "id" goes with "matrix"; this job has none',
    ])
  })
})

describe('conditions in a pipeline', () => {
  const withIf = (condition: string, extra = '') =>
    `version: 1\nimage: busybox\njobs:\n  test:\n    steps: [echo]\n  report:\n    needs: [test]\n${extra}    if: ${condition}\n    steps: [echo]\n`

  it('reports syntax errors and unknown names at their column', () => {
    expect(problems(withIf("needs.test.result = 'failure'"))).toEqual(['8:27 jobs.report.if: invalid expression: unexpected character "="; compare with "=="'])
    expect(problems(withIf("\"${{ needs.tset.result == 'failure' }}\""))).toEqual([`8:14 jobs.report.if: "tset" is not in the job's needs ("test")`])
    expect(problems(withIf('matrix.os'))).toEqual(['8:9 jobs.report.if: "matrix.os": the job has no matrix'])
    expect(problems(withIf('failure()', '    when: always\n'))).toEqual([
      `8:5 jobs.report.when: "when" and an "if" that reads needs.JOB.result or calls success(), failure(), always() or cancelled() both decide on the needs' states; keep one`,
    ])
  })

  it('refuses when: on_failure on a job that needs nothing', () => {
    expect(problems('version: 1\nimage: busybox\njobs:\n  t:\n    when: on_failure\n    steps: [echo]\n')).toEqual([
      '5:11 jobs.t.when: when: on_failure runs a job after a job it needs failed; this job needs none',
    ])
  })

  it('accepts a boolean if and step when', () => {
    const pipeline = parse('version: 1\nimage: busybox\njobs:\n  t:\n    if: false\n    steps: [echo, {run: cleanup, when: always}]\n')
    expect(pipeline.jobs.get('t')!.condition?.source).toBe('false')
    expect(pipeline.jobs.get('t')!.steps[1]!.when).toBe('always')
    expect(pipeline.jobs.get('t')!.steps[0]!.when).toBeUndefined()
  })
})
