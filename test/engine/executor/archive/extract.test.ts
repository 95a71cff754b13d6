import {createHash} from 'node:crypto'
import {lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {Readable} from 'node:stream'
import tar from 'tar-stream'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {extractArchive, UnsafeArchiveError} from '../../../../src/engine/executor/archive/extract.js'
import {workspaceArchive} from '../../../../src/engine/executor/archive/pack.js'

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
let dir: string
let dest: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'orca-extract-'))
  dest = path.join(dir, 'dest')
  await mkdir(dest)
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

describe('extractArchive', () => {
  it('writes files with their size and sha256', async () => {
    const records = await extractArchive(
      await tarOf([
        {name: 'dist/', type: 'directory'},
        {name: 'dist/app.js', body: 'console.log(1)\n', mode: 0o755},
        {name: 'README', body: 'hi'},
      ]),
      dest,
      limits,
    )
    expect(records).toEqual([
      {path: 'README', type: 'file', mode: 0o644, size: 2, sha256: createHash('sha256').update('hi').digest('hex')},
      {path: 'dist/app.js', type: 'file', mode: 0o755, size: 15, sha256: createHash('sha256').update('console.log(1)\n').digest('hex')},
    ])
    expect(await readFile(path.join(dest, 'dist/app.js'), 'utf8')).toBe('console.log(1)\n')
    expect((await lstat(path.join(dest, 'dist/app.js'))).mode & 0o100).toBe(0o100)
  })

  it.each([['../evil'], ['/etc/passwd'], ['a/../../x'], ['./a/../../../x']])('rejects the escaping entry %s', async (name) => {
    const promise = extractArchive(await tarOf([{name, body: 'x'}]), dest, limits)
    await expect(promise).rejects.toThrow(UnsafeArchiveError)
    await expect(promise).rejects.toThrow(name)
    expect(await listTree(dir)).toEqual(['dest'])
  })

  it('never creates symlinks from the archive and reports them as skipped', async () => {
    const skipped: string[] = []
    const records = await extractArchive(
      await tarOf([
        {name: 'link', type: 'symlink', linkname: '/etc/passwd'},
        {name: 'ok', body: 'fine'},
      ]),
      dest,
      {...limits, onSkip: (entry) => skipped.push(`${entry.path}:${entry.type}`)},
    )
    expect(records.map((r) => r.path)).toEqual(['ok'])
    expect(skipped).toEqual(['link:symlink'])
    expect(await listTree(dest)).toEqual(['ok'])
  })

  it('rejects a hard link to a file outside the archive', async () => {
    const promise = extractArchive(await tarOf([{name: 'passwd', type: 'link', linkname: '/etc/passwd'}]), dest, limits)
    await expect(promise).rejects.toThrow(/hard link/)
    expect(await listTree(dest)).toEqual([])
  })

  it('copies a hard link to an earlier file of the same archive', async () => {
    const records = await extractArchive(
      await tarOf([
        {name: 'a', body: 'same'},
        {name: 'b', type: 'link', linkname: 'a'},
      ]),
      dest,
      limits,
    )
    expect(records.map((r) => [r.path, r.size])).toEqual([['a', 4], ['b', 4]])
    expect(await readFile(path.join(dest, 'b'), 'utf8')).toBe('same')
  })

  it('keeps a file under a symlinked folder of the archive inside the destination', async () => {
    const outside = path.join(dir, 'outside')
    await mkdir(outside)
    const records = await extractArchive(
      await tarOf([
        {name: 'sub', type: 'symlink', linkname: outside},
        {name: 'sub/file', body: 'pwned'},
      ]),
      dest,
      limits,
    )
    // The symlink is never created, so the file lands in a real folder under dest.
    expect(records.map((r) => r.path)).toEqual(['sub/file'])
    expect((await lstat(path.join(dest, 'sub'))).isDirectory()).toBe(true)
    expect(await readdir(outside)).toEqual([])
  })

  it('refuses to write through a symlink already in the destination', async () => {
    const outside = path.join(dir, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'target'), 'original')
    await symlink(path.join(outside, 'target'), path.join(dest, 'file'))
    await symlink(outside, path.join(dest, 'folder'))
    await expect(extractArchive(await tarOf([{name: 'file', body: 'pwned'}]), dest, limits)).rejects.toThrow(/symlink/)
    await expect(extractArchive(await tarOf([{name: 'folder/x', body: 'pwned'}]), dest, limits)).rejects.toThrow(/symlink/)
    expect(await readFile(path.join(outside, 'target'), 'utf8')).toBe('original')
    expect(await readdir(outside)).toEqual(['target'])
  })

  it('stops at the byte cap', async () => {
    const promise = extractArchive(await tarOf([{name: 'big', body: Buffer.alloc(2048)}]), dest, {maxBytes: 1024, maxEntries: 10})
    await expect(promise).rejects.toThrow(/larger than 1024 bytes/)
  })

  it('stops at the entry cap', async () => {
    const entries = Array.from({length: 11}, (_, i) => ({name: `f${i}`, body: 'x'}))
    await expect(extractArchive(await tarOf(entries), dest, {maxBytes: 1024, maxEntries: 10})).rejects.toThrow(/more than 10 entries/)
  })

  it('applies filter, stripPrefix and addPrefix', async () => {
    const records = await extractArchive(
      await tarOf([
        {name: 'workspace/dist/a.js', body: 'a'},
        {name: 'workspace/src/b.ts', body: 'b'},
        {name: 'other/c', body: 'c'},
      ]),
      dest,
      {...limits, stripPrefix: 'workspace', addPrefix: 'out', filter: (p) => p.startsWith('out/dist/')},
    )
    expect(records.map((r) => r.path)).toEqual(['out/dist/a.js'])
    expect(await listTree(dest)).toEqual(['out', 'out/dist', 'out/dist/a.js'])
  })
})

describe('workspaceArchive round trip', () => {
  it('packs project files and artifact folders byte for byte, with modes', async () => {
    const project = path.join(dir, 'project')
    await mkdir(path.join(project, 'src'), {recursive: true})
    const binary = Buffer.from(Array.from({length: 70_000}, (_, i) => (i * 7) % 256))
    await writeFile(path.join(project, 'src/data.bin'), binary)
    await writeFile(path.join(project, 'run.sh'), '#!/bin/sh\n', {mode: 0o755})
    const artifacts = path.join(dir, 'artifacts')
    await mkdir(path.join(artifacts, 'dist'), {recursive: true})
    await writeFile(path.join(artifacts, 'dist/out.txt'), 'built')

    const archive = workspaceArchive({workdir: '/workspace', projectDir: project, files: ['src/data.bin', 'run.sh'], dirs: [artifacts]})
    const [, records] = await Promise.all([archive.done, extractArchive(archive.stream, dest, {...limits, stripPrefix: 'workspace'})])

    expect(records.map((r) => r.path)).toEqual(['dist/out.txt', 'run.sh', 'src/data.bin'])
    expect(await readFile(path.join(dest, 'src/data.bin'))).toEqual(binary)
    expect(records[2]!.sha256).toBe(createHash('sha256').update(binary).digest('hex'))
    expect((await lstat(path.join(dest, 'run.sh'))).mode & 0o777).toBe(0o755)
  })

  it('skips the artifact folder of a needed job that collected nothing', async () => {
    const project = path.join(dir, 'project')
    await mkdir(project, {recursive: true})
    await writeFile(path.join(project, 'a.txt'), 'a')
    const archive = workspaceArchive({workdir: '/workspace', projectDir: project, files: ['a.txt'], dirs: [path.join(dir, 'no-artifacts')]})
    const [, records] = await Promise.all([archive.done, extractArchive(archive.stream, dest, {...limits, stripPrefix: 'workspace'})])
    expect(records.map((r) => r.path)).toEqual(['a.txt'])
  })

  it('refuses an input path that leaves the project', async () => {
    const archive = workspaceArchive({workdir: '/w', projectDir: dir, files: ['../x'], dirs: []})
    await expect(archive.done).rejects.toThrow(/leaves the project/)
  })
})
