import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {keyManifest, keyOf} from '../../../src/engine/cache/key.js'
import {listEntries, pruneCache} from '../../../src/engine/cache/maintenance.js'
import {CacheStore, CorruptEntryError, type PublishInput} from '../../../src/engine/cache/store.js'
import {job} from '../../helpers/pipeline.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-cache-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A job's artifacts folder with a nested file, an executable and binary content. */
function artifacts(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'dist/sub'), {recursive: true})
  writeFileSync(join(dir, 'dist/app.txt'), 'hello\n')
  writeFileSync(join(dir, 'dist/sub/run.sh'), '#!/bin/sh\necho hi\n', {mode: 0o755})
  writeFileSync(join(dir, 'dist/blob.bin'), Buffer.from([0, 255, 1, 254, 10, 13]))
  return dir
}

function entryInput(name: string, artifactsDir: string, salt = ''): PublishInput {
  const manifest = keyManifest({job: job(name, {env: {SALT: salt}}), imageId: 'sha256:1', envOverrides: {}, inputs: [], needs: {}})
  return {
    key: keyOf(manifest),
    job: name,
    projectDir: '/p',
    runId: 'run-1',
    manifest,
    artifactsDir,
    output: [{step: 0, stream: 'stdout', text: 'built\n'}],
  }
}

describe('CacheStore', () => {
  it('restores artifacts byte for byte with their modes, and the recorded output', () => {
    const store = new CacheStore(tempDir())
    const source = artifacts()
    const input = entryInput('build', source)
    expect(store.publish(input)).toBe('stored')

    const read = store.read(input.key)
    expect(read.status).toBe('found')
    const meta = read.status === 'found' ? read.meta : undefined
    const dest = join(tempDir(), 'artifacts/build')
    expect(store.restore(meta!, dest).map((f) => f.path)).toEqual(['dist/app.txt', 'dist/blob.bin', 'dist/sub/run.sh'])
    for (const rel of ['dist/app.txt', 'dist/blob.bin', 'dist/sub/run.sh']) {
      expect(readFileSync(join(dest, rel))).toEqual(readFileSync(join(source, rel)))
    }
    expect(statSync(join(dest, 'dist/sub/run.sh')).mode & 0o777).toBe(0o755)
    expect(store.readOutput(meta!)).toEqual([{step: 0, stream: 'stdout', text: 'built\n'}])
    expect(meta!.runId).toBe('run-1')
  })

  it('stores a job without artifacts', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput('group', join(tempDir(), 'missing'))
    expect(store.publish(input)).toBe('stored')
    const read = store.read(input.key)
    expect(read.status === 'found' && read.meta.artifacts).toEqual([])
  })

  it('keeps the first entry when the key is published again', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput('build', artifacts())
    expect(store.publish(input)).toBe('stored')
    expect(store.publish({...input, runId: 'run-2'})).toBe('exists')
    const read = store.read(input.key)
    expect(read.status === 'found' && read.meta.runId).toBe('run-1')
    expect(readdirSync(store.tmpDir)).toEqual([])
  })

  it('detects a changed artifact, removes the entry and leaves nothing half restored', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput('build', artifacts())
    store.publish(input)
    writeFileSync(join(store.entryDir(input.key), 'artifacts/dist/blob.bin'), 'tampered')
    const read = store.read(input.key)
    const dest = join(tempDir(), 'artifacts/build')
    expect(() => store.restore(read.status === 'found' ? read.meta : (undefined as never), dest)).toThrow(CorruptEntryError)
    expect(store.read(input.key)).toEqual({status: 'absent'})
    expect(store.publish(input)).toBe('stored')
  })

  it('treats a truncated entry.json or a changed output as corrupt', () => {
    const store = new CacheStore(tempDir())
    const input = entryInput('build', artifacts())
    store.publish(input)
    const file = join(store.entryDir(input.key), 'entry.json')
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40))
    expect(store.read(input.key)).toMatchObject({status: 'corrupt'})
    expect(store.read(input.key)).toEqual({status: 'absent'})

    store.publish(input)
    writeFileSync(join(store.entryDir(input.key), 'output.jsonl'), '{"step":0,"stream":"stdout","text":"forged\\n"}\n')
    const read = store.read(input.key)
    expect(() => store.readOutput(read.status === 'found' ? read.meta : (undefined as never))).toThrow(CorruptEntryError)
  })

  it('prunes least recently used entries first down to the bound', () => {
    const store = new CacheStore(tempDir())
    const a = entryInput('a', artifacts(), 'a')
    const b = entryInput('b', artifacts(), 'b')
    const c = entryInput('c', artifacts(), 'c')
    for (const input of [a, b, c]) store.publish(input)
    const old = new Date(Date.now() - 60_000)
    const older = new Date(Date.now() - 120_000)
    utimesSync(join(store.entryDir(a.key), 'entry.json'), older, older)
    utimesSync(join(store.entryDir(b.key), 'entry.json'), old, old)
    store.touch(a.key) // restored just now: most recently used
    const size = listEntries(store)[0]!.size
    const removed = pruneCache(store, size * 2)
    expect(removed.map((e) => e.job)).toEqual(['b'])
    expect(listEntries(store).map((e) => e.job).sort()).toEqual(['a', 'c'])
  })
})
