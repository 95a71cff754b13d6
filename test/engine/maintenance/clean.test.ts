import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {CacheStore} from '../../../src/engine/cache/store.js'
import {RESOURCE_KINDS} from '../../../src/engine/maintenance/clean-kinds.js'
import {clean, cleanTasks, type CleanDeps} from '../../../src/engine/maintenance/clean.js'
import {newRunId} from '../../../src/engine/records/run-id.js'
import {probe, runEvents, tempRunsDir, writeRun} from '../history/fixtures.js'

const DAY = 24 * 3600 * 1000
const temps: Array<() => void> = []
afterEach(() => temps.splice(0).forEach((cleanup) => cleanup()))

function deps(overrides: Partial<CleanDeps> = {}): CleanDeps & {dockerCalls: number} {
  const {dir, cleanup} = tempRunsDir()
  temps.push(cleanup)
  const result = {
    runsDir: join(dir, 'runs'),
    cacheDir: join(dir, 'cache'),
    scope: {projectId: 'p'},
    dockerCalls: 0,
    docker: async () => {
      result.dockerCalls++
      throw new Error('no engine in this test')
    },
    probe: probe(),
    ...overrides,
  }
  mkdirSync(result.runsDir, {recursive: true})
  return result
}

describe('orca clean as a table of resource kinds', () => {
  it('has one task per flag, in the order leaks, kept, volumes, runs, cache, images (after what may have kept them), with host work folders, expired kept containers and sandboxes inside the leaks task and the kept images inside the kept task', () => {
    expect(RESOURCE_KINDS.map((k) => k.task)).toEqual(['leaks', 'leaks', 'leaks', 'leaks', 'kept', 'kept', 'volumes', 'runs', 'cache', 'images'])
    const tasks = cleanTasks({images: true, cache: true, leaks: true, runs: {olderThanMs: 0}, kept: true, volumes: true}, deps())
    expect(tasks.map((t) => t.key)).toEqual(['leaks', 'kept', 'volumes', 'runs', 'cache', 'images'])
    expect(tasks.map((t) => t.title)).toContain('Remove finished runs')
  })

  it('removes the finished runs older than the cut, never a younger or a live one, and a dry run removes nothing', async () => {
    const now = Date.now()
    const d = deps({now: () => now})
    const old = writeRun(d.runsDir, runEvents(newRunId(new Date(now - 10 * DAY)), now - 10 * DAY, {finished: 'succeeded'}))
    const young = writeRun(d.runsDir, runEvents(newRunId(new Date(now - DAY)), now - DAY, {finished: 'failed'}))
    // Started long ago and still running: its process (pid 42) is alive.
    const live = writeRun(d.runsDir, runEvents(newRunId(new Date(now - 20 * DAY)), now - 20 * DAY, {pid: 42}), {lock: {pid: 42, startTime: 'boot-1'}})
    const liveDeps = {...d, probe: probe({42: 'boot-1'}, now)}
    const selection = {runs: {olderThanMs: 7 * DAY}}

    const dry = await clean(selection, liveDeps, {dryRun: true})
    expect(dry.runs?.map((i) => i.name)).toEqual([old.split('/').at(-1)])
    expect(existsSync(old)).toBe(true)

    const wet = await clean(selection, liveDeps, {dryRun: false})
    expect(wet.runs).toEqual([{kind: 'run', name: old.split('/').at(-1), detail: 'succeeded'}])
    expect([existsSync(old), existsSync(young), existsSync(live)]).toEqual([false, true, true])
    expect(d.dockerCalls).toBe(0)
  })

  it('clears the cache with its size, reports nothing when there is none, and refuses a home directory', async () => {
    const d = deps()
    expect((await clean({cache: true}, d, {dryRun: false})).cache).toEqual([])
    const store = new CacheStore(d.cacheDir)
    mkdirSync(join(store.root, 'entries'), {recursive: true})
    writeFileSync(join(store.root, 'entries', 'x'), 'x')
    // An earlier format's folder is never read again: cleared with the rest; what is not a cache format stays.
    mkdirSync(join(d.cacheDir, 'v3', 'entries', 'ab'), {recursive: true})
    mkdirSync(join(d.cacheDir, 'notes'), {recursive: true})
    const reported: string[] = []
    const [task] = cleanTasks({cache: true}, d)
    const items = await task!.run({dryRun: false, onItem: (i) => reported.push(i.name)})
    expect(items).toMatchObject([{kind: 'cache', name: d.cacheDir, detail: expect.stringMatching(/^\d+ entr(y|ies), \d+ B$/)}])
    expect(reported).toEqual([d.cacheDir])
    expect(existsSync(store.root)).toBe(false)
    expect(readdirSync(d.cacheDir)).toEqual(['notes'])
    await expect(clean({cache: true}, deps({cacheDir: homedir()}), {dryRun: true})).rejects.toThrow(/refusing to clear the cache directory/)
  })

  it('connects to Docker only for the kinds that need it, and once for all of them', async () => {
    const d = deps()
    await expect(clean({leaks: true, kept: true}, d, {dryRun: true})).rejects.toThrow('no engine in this test')
    expect(d.dockerCalls).toBe(1)
  })
})
