import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {orca, projectsPerTest, readJson, runDirs} from './cli.js'

type RunRecord = {status: string; jobs: Record<string, {status: string; key: string | null; error?: {kind: string; message: string} | null}>}

const project = projectsPerTest()
const lastRecord = (dir: string): RunRecord => readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
const statuses = (record: RunRecord): Record<string, string> => Object.fromEntries(Object.entries(record.jobs).map(([k, v]) => [k, v.status]))

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: ["src/**"]
    steps: ["mkdir -p out && sort src/words.txt > out/sorted.txt && head -c 64 /dev/urandom | od -x > out/noise.txt"]
    artifacts: ["out/**"]
  lint:
    inputs: ["src/**"]
    steps: ["echo linted"]
  test:
    needs: [build, lint]
    inputs: []
    steps: ["mkdir -p t && cp out/noise.txt t/seen.txt && wc -l < out/sorted.txt > t/count.txt"]
    artifacts: ["t/**"]
  report:
    needs: [build]
    when: always
    inputs: []
    steps: ["echo report ran"]
`

describe('orca run --needs-from-cache (real engine)', () => {
  it('refuses, exit 2 and before any run is recorded, naming each missing need with its key and how to fix it', async () => {
    const dir = project({'src/words.txt': 'b\na\n', 'jobs.yml': PIPELINE})
    const result = await orca(['run', 'test', '--needs-from-cache', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(2)
    expect(result.stderr).not.toContain('    at ')
    expect(result.stderr).toMatch(/2 jobs the targets need are not in the cache/)
    expect(result.stderr).toMatch(/^ {2}build {2}key [0-9a-f]{12}.* \(never cached\)$/m)
    expect(result.stderr).toMatch(/^ {2}lint {3}key [0-9a-f]{12}/m)
    expect(result.stderr).toContain('orca run build lint')
    expect(runDirs(dir)).toEqual([])
  })

  it('restores the needs a separate run stored and runs only the target, which sees their artifacts', async () => {
    const dir = project({'src/words.txt': 'b\na\nc\n', 'jobs.yml': PIPELINE})
    const first = await orca(['run', 'build', 'lint', '--output', 'plain'], {cwd: dir})
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const buildDir = runDirs(dir).at(-1)!

    const result = await orca(['run', 'test', '--needs-from-cache', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const record = lastRecord(dir)
    expect(statuses(record)).toEqual({build: 'cached', lint: 'cached', test: 'succeeded'})
    const testDir = runDirs(dir).at(-1)!
    // The random bytes build made in its own run reached test: restored, never rebuilt.
    expect(readFileSync(join(testDir, 'artifacts/test/t/seen.txt'), 'utf8')).toBe(readFileSync(join(buildDir, 'artifacts/build/out/noise.txt'), 'utf8'))
    expect(readFileSync(join(testDir, 'artifacts/test/t/count.txt'), 'utf8').trim()).toBe('3')
  })

  it('lets a when: always target run past a need that is not in the cache, recording that need as not restored', async () => {
    const dir = project({'src/words.txt': 'a\n', 'jobs.yml': PIPELINE})
    const result = await orca(['run', 'report', '--needs-from-cache', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('report ran')
    const record = lastRecord(dir)
    // The run is judged by its target; the need was judged where it ran.
    expect(record.status).toBe('succeeded')
    expect(statuses(record)).toEqual({build: 'failed', report: 'succeeded'})
    expect(record.jobs.build!.error).toMatchObject({kind: 'not-cached'})
    expect(record.jobs.build!.error!.message).toMatch(/^not in the cache \(key [0-9a-f]{12}\): --needs-from-cache restores it and never runs it$/)
    expect(existsSync(join(runDirs(dir).at(-1)!, 'logs/build.log'))).toBe(false)
  })

  it('is a usage error with --no-cache', async () => {
    const dir = project({'src/words.txt': 'a\n', 'jobs.yml': PIPELINE})
    const result = await orca(['run', 'test', '--needs-from-cache', '--no-cache'], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--needs-from-cache restores the needs from the cache, which --no-cache turns off')
    expect(runDirs(dir)).toEqual([])
  })
})
