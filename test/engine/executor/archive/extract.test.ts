import {createHash} from 'node:crypto'
import {lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import tar from 'tar-stream'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {BlobStore} from '../../../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import {materialise} from '../../../../src/engine/artifacts/materialise.js'
import {extractToBlobs, keptEntries, UnsafeArchiveError, type ExtractOptions} from '../../../../src/engine/executor/archive/extract.js'
import {workspaceArchive} from '../../../../src/engine/executor/archive/pack.js'
import type {JobWarning} from '../../../../src/engine/executor/types.js'

type Entry = Parameters<tar.Pack['entry']>[0] & {body?: string | Buffer}

/** Builds a tar in memory from crafted headers. */
async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack()
  for (const {body, ...header} of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve())
      if (body === undefined) pack.entry(header, done)
      else pack.entry(header, body, done)
    })
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array))
  return Readable.from([Buffer.concat(chunks)])
}

const limits = {maxBytes: 1024 * 1024, maxEntries: 100}
const sha = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex')
let dir: string
let dest: string
let blobs: BlobStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'orca-extract-'))
  dest = path.join(dir, 'dest')
  blobs = new BlobStore(path.join(dir, 'cache/blobs'), path.join(dir, 'cache/tmp'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function listTree(root: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(root, {recursive: true, withFileTypes: true})) {
    out.push(path.relative(root, path.join(entry.parentPath, entry.name)))
  }
  return out.sort()
}

/** What collecting an archive gives: entries read into the blob store, links out dropped (warned), then written to `dest` as hard links. */
async function collect(archive: Readable, options: Partial<ExtractOptions> = {}): Promise<{entries: ArtifactEntry[]; warnings: JobWarning[]}> {
  const warnings: JobWarning[] = []
  const entries = keptEntries(await extractToBlobs(archive, blobs, {...limits, ...options}), (w) => warnings.push(w))
  if (entries.length > 0) materialise(entries, blobs, dest, {link: true})
  return {entries, warnings}
}

describe('extractToBlobs', () => {
  it('streams files into the blob store with their mode, size and sha256', async () => {
    const {entries} = await collect(
      await tarOf([
        {name: 'dist/', type: 'directory'},
        {name: 'dist/app.js', body: 'console.log(1)\n', mode: 0o755},
        {name: 'README', body: 'hi'},
      ]),
    )
    expect(entries).toEqual([
      {path: 'README', type: 'file', mode: 0o644, size: 2, sha256: sha('hi')},
      {path: 'dist/app.js', type: 'file', mode: 0o755, size: 15, sha256: sha('console.log(1)\n')},
    ])
    expect(await readFile(blobs.path(sha('console.log(1)\n'), true), 'utf8')).toBe('console.log(1)\n')
    // The destination holds read-only hard links to the blobs, with the job's executable bit.
    const app = await lstat(path.join(dest, 'dist/app.js'))
    expect(app.nlink).toBe(2)
    expect(app.mode & 0o777).toBe(0o555)
    expect(await readFile(path.join(dest, 'README'), 'utf8')).toBe('hi')
  })

  it.each([['../evil'], ['/etc/passwd'], ['a/../../x'], ['./a/../../../x']])('rejects the escaping entry %s', async (name) => {
    const promise = collect(await tarOf([{name, body: 'x'}]))
    await expect(promise).rejects.toThrow(UnsafeArchiveError)
    await expect(promise).rejects.toThrow(name)
    expect(await listTree(dir)).toEqual([])
  })

  it('keeps links that stay inside the artifacts and reports, without keeping, those that leave them', async () => {
    const {entries, warnings} = await collect(
      await tarOf([
        {name: 'node_modules/.bin/mocha', type: 'symlink', linkname: '../mocha/bin/mocha.js'},
        {name: 'node_modules/mocha/bin/mocha.js', body: 'run()', mode: 0o755},
        {name: 'abs', type: 'symlink', linkname: '/etc/passwd'},
        {name: 'node_modules/up', type: 'symlink', linkname: '../../..'},
        {name: 'inside', type: 'symlink', linkname: '/workspace/node_modules/mocha'},
      ]),
      {linkRoot: '/workspace'},
    )
    expect(entries.filter((e) => e.type === 'symlink')).toEqual([
      {path: 'inside', type: 'symlink', target: 'node_modules/mocha'},
      {path: 'node_modules/.bin/mocha', type: 'symlink', target: '../mocha/bin/mocha.js'},
    ])
    expect(warnings).toEqual([
      {kind: 'artifact-link-outside', path: 'abs', target: '/etc/passwd', message: 'artifact abs is a link to /etc/passwd, outside the artifacts: not kept'},
      {kind: 'artifact-link-outside', path: 'node_modules/up', target: '../../..', message: expect.stringContaining('outside the artifacts')},
    ])
    expect(await readlink(path.join(dest, 'node_modules/.bin/mocha'))).toBe('../mocha/bin/mocha.js')
    expect(await readFile(path.join(dest, 'node_modules/.bin/mocha'), 'utf8')).toBe('run()')
    expect(await listTree(dest)).not.toContain('abs')
  })

  it('sums up links out past the first twenty', async () => {
    const links = Array.from({length: 25}, (_, i) => ({name: `l${String(i).padStart(2, '0')}`, type: 'symlink' as const, linkname: '/etc'}))
    const {warnings} = await collect(await tarOf(links))
    expect(warnings).toHaveLength(21)
    expect(warnings.at(-1)!.message).toBe('5 more artifact links point outside the artifacts: not kept')
  })

  it('rejects a hard link to a file outside the archive', async () => {
    await expect(collect(await tarOf([{name: 'passwd', type: 'link', linkname: '/etc/passwd'}]))).rejects.toThrow(/hard link/)
  })

  it('records a hard link as the earlier file of the same archive it names', async () => {
    const {entries} = await collect(
      await tarOf([
        {name: 'a', body: 'same'},
        {name: 'b', type: 'link', linkname: 'a'},
      ]),
    )
    expect(entries.map((r) => [r.path, r.type === 'file' && r.sha256])).toEqual([['a', sha('same')], ['b', sha('same')]])
    expect(await readFile(path.join(dest, 'b'), 'utf8')).toBe('same')
  })

  it('keeps a file under a link out of the archive inside the destination', async () => {
    const outside = path.join(dir, 'outside')
    await mkdir(outside)
    const {entries} = await collect(
      await tarOf([
        {name: 'sub', type: 'symlink', linkname: outside},
        {name: 'sub/file', body: 'pwned'},
      ]),
    )
    // The link is not kept, so the file lands in a real folder under dest.
    expect(entries.map((r) => r.path)).toEqual(['sub/file'])
    expect((await lstat(path.join(dest, 'sub'))).isDirectory()).toBe(true)
    expect(await readdir(outside)).toEqual([])
  })

  it('refuses an archive where a kept link is also a folder', async () => {
    const promise = collect(await tarOf([{name: 'sub', type: 'symlink', linkname: 'other'}, {name: 'sub/file', body: 'x'}]))
    await expect(promise).rejects.toThrow(/not a tree/)
  })

  it('never writes through a link already at the destination', async () => {
    const outside = path.join(dir, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'target'), 'original')
    await mkdir(dest)
    await symlink(path.join(outside, 'target'), path.join(dest, 'file'))
    await symlink(outside, path.join(dest, 'folder'))
    await collect(await tarOf([{name: 'file', body: 'pwned'}, {name: 'folder/x', body: 'pwned'}]))
    expect(await readFile(path.join(outside, 'target'), 'utf8')).toBe('original')
    expect(await readdir(outside)).toEqual(['target'])
    expect((await lstat(path.join(dest, 'folder'))).isDirectory()).toBe(true)
  })

  it('stops at the byte cap', async () => {
    await expect(collect(await tarOf([{name: 'big', body: Buffer.alloc(2048)}]), {maxBytes: 1024, maxEntries: 10})).rejects.toThrow(/larger than 1024 bytes/)
  })

  it('stops at the entry cap', async () => {
    const entries = Array.from({length: 11}, (_, i) => ({name: `f${i}`, body: 'x'}))
    await expect(collect(await tarOf(entries), {maxBytes: 1024, maxEntries: 10})).rejects.toThrow(/more than 10 entries/)
  })

  it('applies filter, stripPrefix and addPrefix', async () => {
    const {entries} = await collect(
      await tarOf([
        {name: 'workspace/dist/a.js', body: 'a'},
        {name: 'workspace/src/b.ts', body: 'b'},
        {name: 'other/c', body: 'c'},
      ]),
      {stripPrefix: 'workspace', addPrefix: 'out', filter: (p) => p.startsWith('out/dist/')},
    )
    expect(entries.map((r) => r.path)).toEqual(['out/dist/a.js'])
    expect(await listTree(dest)).toEqual(['out', 'out/dist', 'out/dist/a.js'])
  })

  it('records names as renamed, keeping the first of two that end up alike', async () => {
    const clashes: string[] = []
    const {entries} = await collect(await tarOf([{name: 'key-s3cret.txt', body: 'one'}, {name: 'key-***.txt', body: 'two'}]), {
      rename: (p) => p.replace('s3cret', '***'),
      onClash: (e) => clashes.push(e.path),
    })
    expect(entries.map((e) => e.path)).toEqual(['key-***.txt'])
    expect(await readFile(path.join(dest, 'key-***.txt'), 'utf8')).toBe('one')
    expect(clashes).toEqual(['key-***.txt'])
  })
})

describe('workspaceArchive round trip', () => {
  it('packs project files and needs\' artifacts (links as links) byte for byte, with modes', async () => {
    const project = path.join(dir, 'project')
    await mkdir(path.join(project, 'src'), {recursive: true})
    const binary = Buffer.from(Array.from({length: 70_000}, (_, i) => (i * 7) % 256))
    const large = Buffer.alloc(3 * 1024 * 1024, 7)
    await writeFile(path.join(project, 'src/data.bin'), binary)
    await writeFile(path.join(project, 'run.sh'), '#!/bin/sh\n', {mode: 0o755})
    const artifacts: ArtifactEntry[] = [
      {path: 'dist/big.bin', type: 'file', mode: 0o644, ...blobs.putBytes(large)},
      {path: 'dist/out.txt', type: 'file', mode: 0o600, ...blobs.putBytes(Buffer.from('built'))},
      {path: 'node_modules/.bin/tool', type: 'symlink', target: '../tool/cli.js'},
    ]

    const archive = workspaceArchive({workdir: '/workspace', projectDir: project, files: ['src/data.bin', 'run.sh'], artifacts: [artifacts], blobs})
    const [, tree] = await Promise.all([archive.done, extractToBlobs(archive.stream, blobs, {...limits, maxBytes: 8 * 1024 * 1024, stripPrefix: 'workspace'})])
    const entries = keptEntries(tree)

    expect(entries.map((r) => r.path)).toEqual(['dist/big.bin', 'dist/out.txt', 'node_modules/.bin/tool', 'run.sh', 'src/data.bin'])
    expect(entries).toContainEqual({path: 'src/data.bin', type: 'file', mode: 0o644, size: binary.length, sha256: sha(binary)})
    expect(entries).toContainEqual({path: 'run.sh', type: 'file', mode: 0o755, size: 10, sha256: sha('#!/bin/sh\n')})
    expect(entries).toContainEqual(artifacts[0])
    expect(entries).toContainEqual(artifacts[1])
    expect(entries).toContainEqual(artifacts[2])
  })

  it('refuses an input path that leaves the project', async () => {
    const archive = workspaceArchive({workdir: '/w', projectDir: dir, files: ['../x']})
    await expect(archive.done).rejects.toThrow(/leaves the project/)
  })
})
