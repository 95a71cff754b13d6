import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {RunCache} from '../../../src/engine/cache/run-cache.js'
import {CacheStore} from '../../../src/engine/cache/store.js'
import {volumeKey} from '../../../src/engine/cache/volume-key.js'
import {listProjectFiles} from '../../../src/engine/plan/project-files.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {job} from '../../helpers/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orca-volume-key-'))
  dirs.push(dir)
  write(dir, files)
  return dir
}

function write(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), {recursive: true})
    writeFileSync(join(dir, rel), text)
  }
}

/** The job's key and its volumes' keys, as a fresh run of the project computes them. */
async function keysOf(dir: string, keyed: Job): Promise<{job: string; volumes: Record<string, string>}> {
  const cache = new RunCache({store: new CacheStore(join(dir, '.orca/cache')), projectDir: dir, projectFiles: await listProjectFiles(dir), envOverrides: {}, noCache: false})
  return {job: cache.keyJob(keyed, 'sha256:image')!.key, volumes: Object.fromEntries(cache.keyVolumes(keyed).map((v) => [v.name, v.key]))}
}

const install = (fields: Parameters<typeof job>[1] = {}): Job =>
  job('install', {
    inputs: ['src/**'],
    volumes: {'npm-cache': '/root/.npm'},
    volumeKeys: {'npm-cache': {files: ['package-lock.json']}},
    steps: ['npm ci'],
    ...fields,
  })

describe('a keyed volume\'s key', () => {
  it('changes with its key files and with nothing else of the project', async () => {
    const dir = project({'package-lock.json': '{"v": 1}\n', 'src/app.js': 'one\n', 'README.md': 'a\n'})
    const first = await keysOf(dir, install())
    expect(first.volumes['npm-cache']).toMatch(/^[0-9a-f]{64}$/)

    write(dir, {'src/app.js': 'two\n', 'README.md': 'b\n'})
    const otherFiles = await keysOf(dir, install())
    expect(otherFiles.volumes['npm-cache']).toBe(first.volumes['npm-cache'])
    expect(otherFiles.job).not.toBe(first.job)

    write(dir, {'package-lock.json': '{"v": 2}\n'})
    const newLock = await keysOf(dir, install())
    expect(newLock.volumes['npm-cache']).not.toBe(first.volumes['npm-cache'])
  })

  it('is independent of the job\'s key, both ways', async () => {
    const dir = project({'package-lock.json': '{"v": 1}\n', 'src/app.js': 'one\n'})
    const base = await keysOf(dir, install())
    // Another job definition (steps, image): another job key, the same volume key.
    const otherJob = await keysOf(dir, install({steps: ['npm ci --prefer-offline'], image: 'node:22'}))
    expect(otherJob.job).not.toBe(base.job)
    expect(otherJob.volumes).toEqual(base.volumes)
    // The lock file is not one of the job's inputs: its change is a new volume key and the same job key.
    write(dir, {'package-lock.json': '{"v": 2}\n'})
    const newLock = await keysOf(dir, install())
    expect(newLock.job).toBe(base.job)
    expect(newLock.volumes['npm-cache']).not.toBe(base.volumes['npm-cache'])
    // Dropping the key leaves the job's key as it was: the key files are never part of it.
    const plain = await keysOf(dir, install({volumeKeys: {}}))
    expect(plain.job).toBe(base.job)
    expect(plain.volumes).toEqual({})
  })

  it('names the volume and its mount path, and reads a trailing slash as the same path', () => {
    const files = [{path: 'package-lock.json', sha256: 'a'.repeat(64)}]
    const key = volumeKey({name: 'npm-cache', path: '/root/.npm'}, files).key
    expect(volumeKey({name: 'npm-cache', path: '/root/.npm/'}, files).key).toBe(key)
    expect(volumeKey({name: 'yarn-cache', path: '/root/.npm'}, files).key).not.toBe(key)
    expect(volumeKey({name: 'npm-cache', path: '/home/node/.npm'}, files).key).not.toBe(key)
    expect(volumeKey({name: 'npm-cache', path: '/root/.npm'}, []).key).not.toBe(key)
  })
})
