import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {afterEach, describe, expect, it} from 'vitest'

import {CACHE_FORMAT} from '../../src/engine/cache/format.js'
import {orca, readJson, removeImages, runDirs, projectsPerTest} from './cli.js'

type JobRecord = {status: string; key: string | null; cache: string | null; cachedFrom: string | null; artifacts: {count: number; manifest: string | null} | null}
type RunRecord = {id: string; status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const images: string[] = []
afterEach(() => {
  removeImages(images.splice(0))
})

const lastRecord = (dir: string): RunRecord => readJson<RunRecord>(join(runDirs(dir).at(-1)!, 'run.json'))
const statuses = (record: RunRecord): Record<string, string> => Object.fromEntries(Object.entries(record.jobs).map(([k, v]) => [k, v.status]))
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

async function run(dir: string, args: string[] = []): Promise<RunRecord> {
  const result = await orca(['run', '--output', 'plain', ...args], {cwd: dir})
  expect(result.stderr).not.toContain('    at ')
  expect(result.code, result.stdout + result.stderr).toBe(0)
  return lastRecord(dir)
}

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  prepare:
    inputs: ["src/**"]
    steps:
      - name: sort
        run: mkdir -p out && sort src/words.txt > out/sorted.txt && head -c 4096 /dev/urandom > out/noise.bin && echo "sorted $(wc -l < out/sorted.txt) words"
      - test ! -e private.txt || { echo "a file outside the inputs is visible"; exit 7; }
    artifacts: ["out/**"]
  count:
    needs: [prepare]
    inputs: []
    steps: ["mkdir -p c && wc -l < out/sorted.txt > c/count.txt"]
    artifacts: ["c/**"]
  other:
    inputs: ["other/**"]
    steps: ["mkdir -p o && cp other/o.txt o/o.txt"]
    artifacts: ["o/**"]
  all:
    needs: [count, other]
`

describe('orca run with the cache (real engine)', () => {
  it('restores a second run from the cache byte for byte and reruns only what an edit affects', async () => {
    const dir = project({'src/words.txt': 'b\na\nc\n', 'other/o.txt': 'o\n', 'private.txt': 'not an input\n', 'jobs.yml': PIPELINE})
    const first = await run(dir)
    expect(statuses(first)).toEqual({prepare: 'succeeded', count: 'succeeded', other: 'succeeded', all: 'succeeded'})
    const firstDir = runDirs(dir).at(-1)!

    const second = await run(dir)
    expect(statuses(second)).toEqual({prepare: 'cached', count: 'cached', other: 'cached', all: 'cached'})
    const secondDir = runDirs(dir).at(-1)!
    // A hit writes its manifest only; `orca artifacts` writes the files when asked.
    expect(existsSync(join(secondDir, 'artifacts/prepare'))).toBe(false)
    const written = await orca(['artifacts', 'latest'], {cwd: dir})
    expect(written.code, written.stderr).toBe(0)
    expect(written.stdout).toMatch(/^prepare: 2 artifacts in .*artifacts\/prepare$/m)
    // Random bytes made in the first run come back unchanged: restored, not rerun.
    for (const rel of ['prepare/out/noise.bin', 'prepare/out/sorted.txt', 'count/c/count.txt']) {
      expect(sha256(join(secondDir, 'artifacts', rel))).toBe(sha256(join(firstDir, 'artifacts', rel)))
    }
    expect(second.jobs.prepare).toMatchObject({cache: 'hit', cachedFrom: first.id, key: first.jobs.prepare!.key})
    expect(second.jobs.prepare!.artifacts).toMatchObject({count: 2, manifest: 'artifacts/prepare.json'})
    const manifest = readJson<{files: Array<{path: string}>}>(join(secondDir, 'artifacts/prepare.json'))
    expect(manifest.files.map((a) => a.path)).toEqual(['out/noise.bin', 'out/sorted.txt'])
    const log = readFileSync(join(secondDir, 'logs/prepare.log'), 'utf8')
    expect(log).toMatch(/^==> replayed from the cache/)
    expect(log).toContain('sorted 3 words')

    const dry = await orca(['run', '--dry-run'], {cwd: dir})
    expect(dry.stdout).toMatch(/prepare .* hit +cached by run/)

    writeFileSync(join(dir, 'src/words.txt'), 'b\na\nc\nd\n')
    const planned = await orca(['run', '--dry-run'], {cwd: dir})
    expect(planned.stdout).toMatch(/prepare .* miss +1 input changed \(src\/words\.txt\)/)
    expect(planned.stdout).toMatch(/other .* hit /)
    const explained = await orca(['explain', 'count'], {cwd: dir})
    expect(explained.code).toBe(0)
    expect(explained.stdout).toContain('changed  src/words.txt')
    expect(explained.stdout).toContain('prepare: key')

    const third = await run(dir)
    expect(statuses(third)).toEqual({prepare: 'succeeded', count: 'succeeded', other: 'cached', all: 'succeeded'})
    expect(readFileSync(join(runDirs(dir).at(-1)!, 'artifacts/count/c/count.txt'), 'utf8').trim()).toBe('4')

    writeFileSync(join(dir, 'private.txt'), 'edited, still not an input\n')
    expect(statuses(await run(dir))).toEqual({prepare: 'cached', count: 'cached', other: 'cached', all: 'cached'})
  })

  it('reruns a job when its env, a step or the image ID behind its tag changes', async () => {
    const tag = `orca-test-cache/img:${randomBytes(4).toString('hex')}`
    images.push(tag)
    const build = (label: string): void => {
      execFileSync('docker', ['build', '-q', '-t', tag, '-'], {input: `FROM busybox:1.36\nLABEL variant=${label}\n`, stdio: ['pipe', 'ignore', 'ignore']})
    }
    build('one')
    const jobs = (step: string, env: string): string => `version: 1
jobs:
  make:
    image: ${tag}
    inputs: []
    env: {MODE: ${env}}
    steps: ["${step}"]
`
    const dir = project({'jobs.yml': jobs('echo hi', 'a')})
    await run(dir)
    expect(statuses(await run(dir))).toEqual({make: 'cached'})
    expect(statuses(await run(dir, ['-e', 'EXTRA=1']))).toEqual({make: 'succeeded'})

    writeFileSync(join(dir, 'jobs.yml'), jobs('echo hi', 'b'))
    expect(statuses(await run(dir))).toEqual({make: 'succeeded'})
    writeFileSync(join(dir, 'jobs.yml'), jobs('echo hello', 'b'))
    expect(statuses(await run(dir))).toEqual({make: 'succeeded'})
    expect(statuses(await run(dir))).toEqual({make: 'cached'})

    build('two')
    const explained = await orca(['explain', 'make'], {cwd: dir})
    expect(explained.stdout).toContain(`${tag} now resolves to sha256:`)
    expect(statuses(await run(dir))).toEqual({make: 'succeeded'})
  })

  it('loads neither oclif, Ink, React, dockerode, the S3 client, the YAML parser, the JUnit reader nor picomatch for a fully cached run (with the live view, only Ink and React more)', async () => {
    const dir = project({'src/words.txt': 'b\na\nc\n', 'other/o.txt': 'o\n', 'jobs.yml': PIPELINE})
    await run(dir)
    const trace = join(dir, 'imports.txt')
    writeFileSync(trace, '')
    const coverage = join(dir, 'coverage')
    const hook = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../helpers/trace-imports.mjs')).href
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {NODE_OPTIONS: `--import=${hook}`, ORCA_TRACE_IMPORTS: trace, NODE_V8_COVERAGE: coverage}})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('4 cached')
    const loaded = readFileSync(trace, 'utf8').split('\n')
    expect(loaded.filter((url) => /node_modules\/(@oclif|ink|react|dockerode|@aws-sdk)\//.test(url))).toEqual([])
    // A run no one watches runs dist/fast/run.cjs, one script whose packages are functions called
    // when first needed (each named by its source path): none of those called may be what only a
    // changed jobs.yml, a job with reports, a glob of needs' artifacts or a job that runs needs.
    const scripts = readdirSync(coverage).flatMap((name) => (readJson(join(coverage, name)) as {result: Array<{url: string; functions: Array<{functionName: string; ranges: Array<{count: number}>}>}>}).result)
    const bundle = scripts.find((script) => script.url.endsWith('/dist/fast/run.cjs'))
    expect(bundle, 'the run started from dist/fast/run.cjs').toBeDefined()
    const calledNames = bundle!.functions.filter((fn) => fn.ranges[0]!.count > 0).map((fn) => fn.functionName)
    // The run's own lazily loaded modules are seen by the same names (the check can see a call).
    expect(calledNames).toContain('dist/cli/run-pipeline.js')
    const called = calledNames.map((name) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(name)?.[1])
    expect([...new Set(called)].filter((name) => ['yaml', 'fast-xml-parser', 'picomatch', 'dockerode', 'docker-modem'].includes(name!))).toEqual([])

    // A run that shows the live view starts from the ES module bundle; its parser reads jobs.yml once
    // (each build of the parser trusts only the records it stored itself), then the same holds.
    expect((await orca(['run', '--output', 'tty'], {cwd: dir})).code).toBe(0)
    writeFileSync(trace, '')
    const live = await orca(['run', '--output', 'tty'], {cwd: dir, env: {NODE_OPTIONS: `--import=${hook}`, ORCA_TRACE_IMPORTS: trace}})
    expect(live.code, live.stderr).toBe(0)
    const liveLoaded = readFileSync(trace, 'utf8').split('\n')
    expect(liveLoaded.some((url) => url.endsWith('/dist/fast/run.js'))).toBe(true)
    expect(liveLoaded.filter((url) => /node_modules\/(@oclif|dockerode|@aws-sdk)\//.test(url))).toEqual([])
    // The bundle inlines packages into its chunks (each marked with its source path): none of the
    // loaded chunks may hold what only a changed jobs.yml, a job with reports, a glob of needs' artifacts
    // or a job that runs (dockerode, bundled too) needs.
    const bundled = liveLoaded.filter((url) => url.includes('/dist/fast/')).map((url) => readFileSync(fileURLToPath(url), 'utf8'))
    const packages = bundled.flatMap((text) => [...text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]))
    expect([...new Set(packages)].filter((name) => ['yaml', 'fast-xml-parser', 'picomatch', 'dockerode', 'docker-modem'].includes(name!))).toEqual([])
  })

  it('detects a corrupted entry when its content is read, and rebuilds it', async () => {
    const dir = project({'src/words.txt': 'b\na\n', 'other/o.txt': 'o\n', 'jobs.yml': PIPELINE})
    await run(dir, ['other'])
    // Same size, other bytes: only the digest tells.
    const digest = createHash('sha256').update('o\n').digest('hex')
    const blob = join(dir, `.orca/cache/v${CACHE_FORMAT}/blobs`, digest.slice(0, 2), digest)
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'x\n')

    // A hit reads nothing per file; asking for the files reads them, refuses them and removes the entry.
    expect(statuses(await run(dir, ['other']))).toEqual({other: 'cached'})
    const asked = await orca(['artifacts', 'latest'], {cwd: dir})
    expect(asked.code).toBe(3)
    expect(asked.stderr).toMatch(/the artifacts of job other are no longer in the cache as recorded .*does not match its digest/)
    expect(existsSync(join(runDirs(dir).at(-1)!, 'artifacts/other'))).toBe(false)

    const rebuilt = await run(dir, ['other'])
    expect(statuses(rebuilt)).toEqual({other: 'succeeded'})
    expect(readFileSync(join(runDirs(dir).at(-1)!, 'artifacts/other/o/o.txt'), 'utf8')).toBe('o\n')
    expect(readFileSync(blob, 'utf8')).toBe('o\n')
    expect(statuses(await run(dir, ['other']))).toEqual({other: 'cached'})
  })

  it('leaves one valid entry per key when two orca processes fill the cache at once', async () => {
    const dir = project({'src/words.txt': 'b\na\nc\n', 'other/o.txt': 'o\n', 'jobs.yml': PIPELINE})
    const [a, b] = await Promise.all([orca(['run', '--output', 'plain'], {cwd: dir}), orca(['run', '--output', 'plain'], {cwd: dir})])
    expect([a.code, b.code]).toEqual([0, 0])
    const entries = readdirSync(join(dir, `.orca/cache/v${CACHE_FORMAT}/entries`))
    expect(entries).toHaveLength(4)
    expect(readdirSync(join(dir, `.orca/cache/v${CACHE_FORMAT}/tmp`))).toEqual([])
    expect(statuses(await run(dir))).toEqual({prepare: 'cached', count: 'cached', other: 'cached', all: 'cached'})

    const listed = await orca(['cache', 'ls'], {cwd: dir})
    expect(listed.stdout).toContain('4 entries')
    const cleared = await orca(['cache', 'clear'], {cwd: dir})
    expect(cleared.stdout).toContain('removed 4 entries')
  })
})
