import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {CacheStore} from '../../../src/engine/cache/store.js'
import {prepareRun, warmRemote, type PreparedRun} from '../../../src/engine/run/start-run.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

const REMOTE = {ORCA_REMOTE_CACHE_URL: 'http://127.0.0.1:9', ORCA_REMOTE_CACHE_TOKEN: 't', ORCA_REMOTE_CACHE_TEAM: 'orca-tests'}

/** A prepared run of three jobs (one never cached) whose remote counts the connections asked for ahead. */
async function prepared(env: NodeJS.ProcessEnv, noCache = false): Promise<{run: PreparedRun; asked: number[]}> {
  const dir = mkdtempSync(join(tmpdir(), 'orca-warm-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'jobs.yml'), 'version: 1\njobs:\n  a:\n    needs: []\n  b:\n    needs: []\n  c:\n    cache: false\n    needs: []\n')
  const run = await prepareRun({cwd: dir, env, file: 'jobs.yml', targets: [], noCache, failFast: false, envOverrides: {}})
  const asked: number[] = []
  return {run: {...run, remote: async () => ({preconnect: (count) => asked.push(count)})}, asked}
}

const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10))

describe('warmRemote', () => {
  it('asks for one connection per job the cache may serve, on a runner whose local cache holds no entry', async () => {
    const {run, asked} = await prepared(REMOTE)
    warmRemote(run)
    await settled()
    expect(asked).toEqual([2])
  })

  it('opens none with a local entry, with --no-cache, or without a remote', async () => {
    const local = await prepared(REMOTE)
    mkdirSync(new CacheStore(local.run.config.cacheDir).entriesDir, {recursive: true})
    const noCache = await prepared(REMOTE, true)
    const noRemote = await prepared({})
    for (const {run} of [local, noCache, noRemote]) warmRemote(run)
    await settled()
    expect([local.asked, noCache.asked, noRemote.asked]).toEqual([[], [], []])
  })
})
