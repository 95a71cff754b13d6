import {createHash} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {CACHE_FORMAT} from '../../src/engine/cache/format.js'
import {orca, projectsPerTest, readJson, readLines, removeRunContainers} from './cli.js'

type Warning = {kind: string; message: string; path: string | null; target: string | null}
type JobRecord = {status: string; cache: string | null; warnings: Warning[]; artifacts: {count: number; bytes: number; manifest: string; sha256: string} | null}
type RunRecord = {id: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const elsewhere: string[] = []
afterEach(() => {
  for (const dir of elsewhere.splice(0)) {
    for (const run of readdirSync(dir)) removeRunContainers(run)
    rmSync(dir, {recursive: true, force: true})
  }
})

async function run(dir: string, env: NodeJS.ProcessEnv = {}, runsDir = join(dir, '.orca/runs')): Promise<{record: RunRecord; stdout: string; dir: string}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env})
  expect(result.stderr).not.toContain('    at ')
  expect(result.code, result.stdout + result.stderr).toBe(0)
  const runDir = join(runsDir, readdirSync(runsDir).filter((n) => !n.startsWith('.')).sort().at(-1)!)
  return {record: readJson<RunRecord>(join(runDir, 'run.json')), stdout: result.stdout, dir: runDir}
}

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex')
const blobOf = (dir: string, digest: string, executable = false): string => join(dir, `.orca/cache/v${CACHE_FORMAT}/blobs`, digest.slice(0, 2), executable ? `${digest}-x` : digest)

/** Every path under dir with what it is: a file's bytes digest and mode, a link's target. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    const file = join(entry.parentPath, entry.name)
    const rel = relative(dir, file)
    if (entry.isSymbolicLink()) out[rel] = `-> ${readlinkSync(file)}`
    else if (entry.isFile()) out[rel] = `${sha256(readFileSync(file))} x=${(statSync(file).mode & 0o100) !== 0}`
  }
  return out
}

const NODE_LIKE = `version: 1
image: busybox:1.36
jobs:
  install:
    inputs: ["package.json"]
    network: none
    steps:
      - |
        mkdir -p node_modules/mocha/bin node_modules/.bin
        printf '#!/bin/sh\\necho "mocha ran with $#"\\n' > node_modules/mocha/bin/mocha.js
        chmod +x node_modules/mocha/bin/mocha.js
        ln -s ../mocha/bin/mocha.js node_modules/.bin/mocha
    artifacts: ["node_modules/**"]
  test:
    needs: [install]
    inputs: ["package.json"]
    network: none
    cache: false
    steps: ['readlink node_modules/.bin/mocha && PATH="$PWD/node_modules/.bin:$PATH" mocha a b']
`

describe('artifacts that are links (real engine)', () => {
  it('keeps a node_modules/.bin link as a link: in the run directory, in a dependent, and from the cache', async () => {
    const dir = project({'jobs.yml': NODE_LIKE, 'package.json': '{}\n'})
    const first = await run(dir)
    expect(first.stdout).toContain('[test]    ../mocha/bin/mocha.js')
    expect(first.stdout).toContain('[test]    mocha ran with 2')
    expect(readlinkSync(join(first.dir, 'artifacts/install/node_modules/.bin/mocha'))).toBe('../mocha/bin/mocha.js')
    const manifest = readJson<{files: unknown[]}>(join(first.dir, 'artifacts/install.json'))
    expect(manifest.files).toContainEqual({path: 'node_modules/.bin/mocha', type: 'symlink', target: '../mocha/bin/mocha.js'})
    expect(first.record.jobs.install!.artifacts).toMatchObject({count: 2})

    // install comes from the cache; test runs again (cache: false) on what the cache gave it.
    const second = await run(dir)
    expect(second.record.jobs.install!.status).toBe('cached')
    expect(second.record.jobs.test!.status).toBe('succeeded')
    expect(second.stdout).toContain('[test]    mocha ran with 2')
    expect((await orca(['artifacts', 'latest'], {cwd: dir})).code).toBe(0)
    expect(readlinkSync(join(second.dir, 'artifacts/install/node_modules/.bin/mocha'))).toBe('../mocha/bin/mocha.js')
  })

  it('reports a link out of the artifacts (job, path, target), keeps none of it, and says so again from the cache', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  make:
    inputs: []
    network: none
    steps: ["mkdir -p out && echo ok > out/ok.txt && ln -s /etc/passwd out/passwd && ln -s ../../.. out/up && ln -s ok.txt out/fine"]
    artifacts: ["out/**"]
  use:
    needs: [make]
    inputs: []
    network: none
    cache: false
    steps: ["ls -a out; test ! -e out/passwd && test ! -e out/up && cat out/fine"]
`,
    })
    const first = await run(dir)
    const expected = [
      {kind: 'artifact-link-outside', path: 'out/passwd', target: '/etc/passwd', message: 'artifact out/passwd is a link to /etc/passwd, outside the artifacts: not kept'},
      {kind: 'artifact-link-outside', path: 'out/up', target: '../../..', message: 'artifact out/up is a link to ../../.., outside the artifacts: not kept'},
    ]
    expect(first.record.jobs.make!.warnings).toEqual(expected)
    expect(first.stdout).toContain('[make] ! artifact out/passwd is a link to /etc/passwd, outside the artifacts: not kept')
    expect(readLines<{type: string; job?: string}>(join(first.dir, 'events.jsonl')).filter((e) => e.type === 'job.warning' && e.job === 'make')).toHaveLength(2)
    const made = join(first.dir, 'artifacts/make/out')
    expect(readdirSync(made).sort()).toEqual(['fine', 'ok.txt'])
    expect(lstatSync(join(made, 'fine')).isSymbolicLink()).toBe(true)
    expect(first.stdout).toContain('[use]  ok')
    expect((await orca(['show', 'latest'], {cwd: dir})).stdout).toContain('make: artifact out/passwd is a link to /etc/passwd')

    const second = await run(dir)
    expect(second.record.jobs.make!.status).toBe('cached')
    expect(second.record.jobs.make!.warnings).toEqual(expected)
    expect(second.stdout).toContain('[use]  ok')
  })
})

describe('cached artifacts cost nothing per file (real engine)', () => {
  it('a fully cached run of a 10,000-file artifact writes its manifest only, sharing the cache entry\'s storage', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  big:
    inputs: []
    network: none
    steps: ["mkdir -p out && awk 'BEGIN { for (i = 0; i < 10000; i++) { f = \\"out/d\\" (i % 100) \\"/f\\" i; if (i < 100) system(\\"mkdir -p out/d\\" i); print i > f; close(f) } }'"]
    artifacts: ["out/**"]
`,
    })
    const first = await run(dir)
    expect(first.record.jobs.big!.artifacts).toMatchObject({count: 10_000})

    const second = await run(dir)
    expect(second.record.jobs.big!.status).toBe('cached')
    // The run folder holds its record, events and the job's manifest: no file per artifact.
    const files = readdirSync(second.dir, {recursive: true, withFileTypes: true}).filter((e) => !e.isDirectory())
    expect(files.length).toBeLessThan(10)
    expect(existsSync(join(second.dir, 'artifacts/big'))).toBe(false)
    // The manifest is the cache entry's own (one inode, two names), not a copy.
    const summary = second.record.jobs.big!.artifacts!
    const manifest = statSync(join(second.dir, summary.manifest))
    expect(manifest.ino).toBe(statSync(blobOf(dir, summary.sha256)).ino)
    expect(manifest.nlink).toBeGreaterThanOrEqual(2)
    // One summary event instead of an event per file.
    expect(readLines<{type: string}>(join(second.dir, 'events.jsonl')).filter((e) => e.type === 'job.artifacts')).toHaveLength(1)
    expect(statSync(join(second.dir, 'events.jsonl')).size).toBeLessThan(8 * 1024)
    expect(statSync(join(second.dir, 'run.json')).size).toBeLessThan(8 * 1024)

    // Asked for, the files appear as hard links to the cache's content.
    expect((await orca(['artifacts', 'latest'], {cwd: dir})).code).toBe(0)
    const one = join(second.dir, 'artifacts/big/out/d7/f1207')
    expect(readFileSync(one, 'utf8')).toBe('1207\n')
    expect(statSync(one).ino).toBe(statSync(blobOf(dir, sha256('1207\n'))).ino)
  })

  it('catches a file edited through a hard link, never hands it on, and rebuilds the entry', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: []
    network: none
    steps: ["mkdir -p out && echo genuine > out/lib.txt"]
    artifacts: ["out/**"]
  use:
    needs: [build]
    inputs: []
    network: none
    cache: false
    steps: ["cat out/lib.txt"]
`,
    })
    const first = await run(dir)
    const linked = join(first.dir, 'artifacts/build/out/lib.txt')
    expect(statSync(linked).nlink).toBe(2)
    // Read-only, but its owner can change that: written through, the cache's content changes too.
    chmodSync(linked, 0o644)
    writeFileSync(linked, 'tampers\n')

    const second = await run(dir)
    expect(second.record.jobs.build!.status).toBe('succeeded')
    expect(second.record.jobs.build!.warnings).toEqual([
      {kind: 'cache-damaged', message: expect.stringMatching(/^its artifacts were changed after they were stored .*: the cache entry was removed and the job runs again$/), path: null, target: null},
    ])
    expect(second.stdout).toContain('[use]   genuine')
    expect(second.stdout).not.toContain('tampers')
    const third = await run(dir)
    expect(third.record.jobs.build!.status).toBe('cached')
    expect(third.stdout).toContain('[use]   genuine')
  })

  it('gives the same files when the runs folder is on another filesystem (copies instead of links)', async () => {
    const dir = project({'jobs.yml': NODE_LIKE, 'package.json': '{}\n'})
    const linked = await run(dir)
    const other = mkdtempSync('/dev/shm/orca-runs-')
    elsewhere.push(other)
    expect(statSync(other).dev).not.toBe(statSync(dir).dev)
    writeFileSync(join(dir, 'package.json'), '{"v": 2}\n') // a cache miss, so install runs again, into the other folder
    const copied = await run(dir, {ORCA_RUNS_DIR: other}, other)
    expect(copied.record.jobs.install!.status).toBe('succeeded')
    const a = join(linked.dir, 'artifacts/install')
    const b = join(copied.dir, 'artifacts/install')
    expect(tree(b)).toEqual(tree(a))
    expect(statSync(join(a, 'node_modules/mocha/bin/mocha.js')).nlink).toBe(2)
    expect(statSync(join(b, 'node_modules/mocha/bin/mocha.js')).nlink).toBe(1)
    expect(copied.stdout).toContain('[test]    mocha ran with 2')
  })
})
