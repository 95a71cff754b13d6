import {createHash, randomBytes} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {Readable} from 'node:stream'

import tar from 'tar-stream'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {BlobStore} from '../../src/engine/artifacts/blobs.js'
import {materialise} from '../../src/engine/artifacts/materialise.js'
import {extractToBlobs, keptEntries} from '../../src/engine/executor/archive/extract.js'
import {orca, readJson, removeRunContainers, runDirs} from '../e2e/cli.js'
import {checkRunDirs, Projects, symlinksUnder} from './support.js'
import {tally} from './tally.js'

const projects = new Projects()
let host: string
let secretFile: string
let secretDir: string
const MARKER = `host-secret-${process.pid}-${Date.now()}`

beforeAll(() => {
  // A host folder with a secret no job may read or overwrite, whatever its links point to.
  host = mkdtempSync(join(tmpdir(), 'orca-faults-host-'))
  secretDir = join(host, 'secrets')
  mkdirSync(secretDir)
  secretFile = join(secretDir, 'secret.txt')
  writeFileSync(secretFile, `${MARKER}\n`)
})

afterEach(() => {
  for (const dir of projectDirs.splice(0)) for (const run of runDirs(dir)) removeRunContainers(basename(run))
  projects.removeAll()
})

afterAll(() => rmSync(host, {recursive: true, force: true}))

const projectDirs: string[] = []
function project(files: Record<string, string>): string {
  const dir = projects.create(files)
  projectDirs.push(dir)
  return dir
}

/** The host secret is unchanged and alone in its folder. */
function expectHostUntouched(): void {
  expect(readFileSync(secretFile, 'utf8')).toBe(`${MARKER}\n`)
  expect(readdirSync(secretDir)).toEqual(['secret.txt'])
  expect(readdirSync(host)).toEqual(['secrets'])
}

/** Every file under dir, as text, for "the secret appears nowhere". */
function allText(dir: string): string {
  if (!existsSync(dir)) return ''
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n')
}

type Entry = Parameters<tar.Pack['entry']>[0] & {body?: string}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack()
  // Read while writing: the packer waits for its reader once its buffer is full.
  const collected = (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk)
    return Buffer.concat(chunks)
  })()
  for (const {body, ...header} of entries) {
    await new Promise<void>((resolve, reject) => pack.entry(header, body ?? '', (error) => (error ? reject(error) : resolve())))
  }
  pack.finalize()
  return collected
}

describe('hostile archives through the artifact extractor', () => {
  // Each archive tries one way out of its destination, or one way to exhaust the host.
  const corpus = (): Array<[string, Entry[]]> => [
    ['a ../ name', [{name: '../escape.txt', body: 'x'}]],
    ['a nested ../ name', [{name: 'a/b/../../../escape.txt', body: 'x'}]],
    ['an absolute name', [{name: `${host}/escape.txt`, body: 'x'}]],
    ['a backslash name', [{name: '..\\escape.txt', body: 'x'}]],
    ['a symlink out, then a file through it', [{name: 'out', type: 'symlink', linkname: secretDir}, {name: 'out/pwned.txt', body: 'x'}]],
    ['a relative symlink out, then a file through it', [{name: 'up', type: 'symlink', linkname: '../../..'}, {name: 'up/pwned.txt', body: 'x'}]],
    ['a symlink at a file name, then the file', [{name: 'f.txt', type: 'symlink', linkname: secretFile}, {name: 'f.txt', body: 'overwritten'}]],
    ['a hard link to a host file', [{name: 'h.txt', type: 'link', linkname: secretFile}]],
    ['a hard link climbing out', [{name: 'h.txt', type: 'link', linkname: '../../secrets/secret.txt'}]],
    ['a character device', [{name: 'null', type: 'character-device', devmajor: 1, devminor: 3}]],
    ['a block device and a fifo', [{name: 'sda', type: 'block-device', devmajor: 8, devminor: 0}, {name: 'fifo', type: 'fifo'}]],
    ['a setuid file', [{name: 'suid', mode: 0o4755, body: '#!/bin/sh\n'}]],
    ['too many entries', Array.from({length: 200}, (_, i) => ({name: `many/${i}`, body: ''}))],
    ['too many bytes', [{name: 'big', body: 'x'.repeat(64 * 1024)}]],
    ['a very long name', [{name: `${'d/'.repeat(1500)}leaf`, body: 'x'}]],
    ['a NUL in a name', [{name: 'a\0/../../escape', body: 'x'}]],
  ]

  it('extracts none of them outside the destination, writes no link or device, and types every refusal', {timeout: 30_000}, async () => {
    for (const [what, entries] of corpus()) {
      const dest = mkdtempSync(join(tmpdir(), 'orca-faults-dest-'))
      try {
        const skipped: string[] = []
        // Collected as a job's artifacts are: into a blob store, links out dropped, then written as files.
        const blobs = new BlobStore(join(dest, 'cache/blobs'), join(dest, 'cache/tmp'))
        const outcome = await extractToBlobs(Readable.from(await tarOf(entries)), blobs, {
          maxBytes: 32 * 1024,
          maxEntries: 100,
          onSkip: (e) => skipped.push(e.type),
        })
          .then((tree) => {
            const kept = keptEntries(tree)
            materialise(kept, blobs, join(dest, 'artifacts'), {link: true})
            return {kept}
          })
          .catch((error: Error) => ({error}))
        if ('error' in outcome) expect(outcome.error.name, `${what}: ${outcome.error.message}`).toBe('UnsafeArchiveError')
        expect(readdirSync(dest).filter((n) => n !== 'cache'), what).toEqual(['error' in outcome ? undefined : 'artifacts'].filter(Boolean))
        // Links that stay inside the artifacts may be kept; none of this corpus does.
        expect(symlinksUnder(dest), what).toEqual([])
        for (const entry of readdirSync(dest, {recursive: true, withFileTypes: true})) {
          expect(entry.isFile() || entry.isDirectory(), `${what}: ${entry.name}`).toBe(true)
          if (entry.isFile()) expect(lstatSync(join(entry.parentPath, entry.name)).mode & 0o7000, what).toBe(0)
        }
        expectHostUntouched()
        tally('hostile archives and paths')
      } finally {
        rmSync(dest, {recursive: true, force: true})
      }
    }
  })
})

describe('hostile files through a real run', () => {
  it('workspace in: project symlinks reach the container as links, never followed on the host', async () => {
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  look:
    network: none
    steps:
      - for f in abs up etc; do echo "$f -> $(readlink $f)"; done
      - cat abs up 2>&1 || echo "not readable here"
`,
      'data.txt': 'data\n',
    })
    // An absolute link to the host secret, a relative one climbing out of the project, and a folder link.
    symlinkSync(secretFile, join(dir, 'abs'))
    symlinkSync(join('..', basename(host), 'secrets', 'secret.txt'), join(dir, 'up'))
    symlinkSync('/etc', join(dir, 'etc'))
    writeFileSync(join(dirname(dir), basename(host), 'secrets', 'secret.txt'), `${MARKER}\n`)
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`abs -> ${secretFile}`)
    expect(result.stdout).toContain('etc -> /etc')
    expect(result.stdout).toContain('not readable here')
    const run = runDirs(dir).at(-1)!
    expect(allText(run)).not.toContain(MARKER)
    expect(result.stdout).not.toContain(MARKER)
    expectHostUntouched()
    tally('hostile archives and paths', 3)
  })

  it('artifacts out: planted symlinks, hard links and a crafted tar never touch or reveal host files', async () => {
    const evil = await tarOf([{name: '../../escape.txt', body: 'x'}, {name: 'l', type: 'symlink', linkname: secretFile}])
    const dir = project({
      'jobs.yml': `version: 1
image: busybox:1.36
jobs:
  plant:
    network: none
    steps:
      - |
        mkdir -p out/sub && echo ok > out/real.txt
        ln -s /etc/passwd out/passwd-link
        ln -s ${secretFile} out/host-secret-link
        ln -s ${secretDir} out/host-dir-link
        ln -s .. out/sub/up
        ln out/real.txt out/hard.txt
        cp evil.tar out/evil.tar
    artifacts: ["out/**"]
  use:
    needs: [plant]
    network: none
    inputs: []
    steps: ["ls -la out; cat out/real.txt out/hard.txt; test ! -e out/passwd-link; test -L out/sub/up"]
`,
    })
    writeFileSync(join(dir, 'evil.tar'), evil)
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const run = runDirs(dir).at(-1)!
    const artifacts = join(run, 'artifacts', 'plant')
    // The one link that stays inside the artifacts is kept as a link; the others are reported, not kept.
    expect(symlinksUnder(run)).toEqual([join(artifacts, 'out/sub/up')])
    expect(readlinkSync(join(artifacts, 'out/sub/up'))).toBe('..')
    expect(readFileSync(join(artifacts, 'out/real.txt'), 'utf8')).toBe('ok\n')
    expect(readFileSync(join(artifacts, 'out/hard.txt'), 'utf8')).toBe('ok\n')
    // The crafted tar is collected byte for byte and never unpacked.
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
    expect(sha(readFileSync(join(artifacts, 'out/evil.tar')))).toBe(sha(evil))
    expect(existsSync(join(run, 'escape.txt')) || existsSync(join(dirname(run), 'escape.txt'))).toBe(false)
    const record = readJson<{jobs: Record<string, {status: string; warnings: Array<{kind: string; path: string}>}>}>(join(run, 'run.json'))
    const manifest = readJson<{files: Array<{path: string}>}>(join(run, 'artifacts/plant.json'))
    expect(manifest.files.map((a) => a.path)).toEqual(['out/evil.tar', 'out/hard.txt', 'out/real.txt', 'out/sub/up'])
    expect(record.jobs.plant!.warnings.map((w) => [w.kind, w.path])).toEqual([
      ['artifact-link-outside', 'out/host-dir-link'],
      ['artifact-link-outside', 'out/host-secret-link'],
      ['artifact-link-outside', 'out/passwd-link'],
    ])
    expect(allText(run)).not.toContain(MARKER)
    expectHostUntouched()
    expect((await checkRunDirs(dir)).problems).toEqual([])
    tally('hostile archives and paths', 6)
  })
})

describe('hostile jobs.yml files', () => {
  const laughs = (): string => {
    const rows = ['version: 1', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let level = 1; level < 10; level++) rows.push(`l${level}: &l${level} [${Array(9).fill(level === 1 ? '*a' : `*l${level - 1}`).join(',')}]`)
    return `${rows.join('\n')}\njobs: {}\n`
  }
  const chain = (n: number): string => {
    const rows = ['version: 1', 'image: busybox:1.36', 'jobs:']
    for (let i = 0; i < n; i++) rows.push(`  j${i}: {needs: [j${(i + 1) % n}], steps: ["true"]}`)
    return `${rows.join('\n')}\n`
  }
  const files: Array<[string, string | Buffer, RegExp]> = [
    ['an alias bomb (a billion laughs)', laughs(), /expands to more than 200,000 values through YAML aliases/],
    ['flow nesting 100 000 deep', `version: 1\njobs: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /nested too deeply|limit is/],
    ['block nesting 1 000 deep', `version: 1\njobs:\n${Array.from({length: 1000}, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`, /jobs/],
    ['a 20 MB file', `version: 1\n#${'x'.repeat(20 * 1024 * 1024)}\n`, /the limit is 1\.0 MiB/],
    ['random bytes', randomBytes(200_000), /jobs\.yml/],
    ['a 900 KB line', `version: 1\nimage: ${'x'.repeat(900_000)}\njobs: {a: {steps: [true]}}\n`, /jobs\.yml/],
    ['a pathological glob', 'version: 1\nimage: busybox\njobs:\n  a: {inputs: ["*a*a*a*a*a*a*a*a*a*a*ax"], steps: [true]}\n', /at most 2 are allowed/],
    ['1 001 globs', `version: 1\nimage: busybox\njobs:\n  a: {inputs: [${Array.from({length: 1001}, (_, i) => `f${i}`).join(',')}], steps: [true]}\n`, /inputs/],
    ['a 5 000-job needs cycle', chain(5000), /dependency cycle: j0 -> j1 -> /],
    ['5 000 broken jobs (10 000 schema errors)', chain(5000).replaceAll('["true"]', '[true]'), /jobs\.j4999\.steps\[0\]: expected a string or a mapping/m],
    ['unknown YAML tags', 'version: 1\nimage: !!python/object:os.system busybox\njobs: !!js/function "x"\n', /jobs\.yml/],
  ]

  it('each gets a typed error (exit 2, positions, no stack trace) from orca validate', {timeout: 60_000}, async () => {
    for (const [what, text, message] of files) {
      const dir = project({})
      writeFileSync(join(dir, 'jobs.yml'), text)
      const result = await orca(['validate'], {cwd: dir})
      expect(result.code, `${what}: ${result.stdout}${result.stderr}`.slice(0, 500)).toBe(2)
      const output = `${result.stdout}${result.stderr}`
      expect(message.test(output), `${what}: ${output.slice(0, 500)}`).toBe(true)
      expect(result.stderr, what).not.toMatch(/\n\s+at .+:\d+:\d+/)
      tally('hostile jobs.yml files')
    }
  })
})
