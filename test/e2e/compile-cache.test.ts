import {chmodSync, existsSync, mkdirSync, readdirSync, statSync} from 'node:fs'
import module from 'node:module'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {makeProject, orca} from './cli.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Node.js 22.1+ has a compile cache; on Node.js 20 orca starts without one. The CLI runs on this same `node`. */
const supported = typeof (module as {enableCompileCache?: unknown}).enableCompileCache === 'function'

/** A user's cache folder, outside the project (a file in the project would change its jobs' keys). */
function userCache(): string {
  const {dir, cleanup} = makeProject({})
  cleanups.push(cleanup)
  return dir
}

function project(): string {
  const {dir, cleanup} = makeProject({
    'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  build:\n    steps: ["echo hi"]\n  test:\n    needs: [build]\n    steps: ["echo ok"]\n',
  })
  cleanups.push(cleanup)
  return dir
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true}).filter((entry) => entry.isFile()).map((entry) => entry.name)
}

describe('compiled code kept between starts', () => {
  it(`${supported ? "keeps compiled code in the user's cache folder (0700)" : 'keeps no compiled code on Node.js 20'}; with it, without it and from it the output is the same`, async () => {
    const dir = project()
    const env = {XDG_CACHE_HOME: userCache()}
    const cacheDir = join(env.XDG_CACHE_HOME, 'orca', 'compile-cache')
    const first = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    const fromCache = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    const plain = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env: {...env, NODE_DISABLE_COMPILE_CACHE: '1'}})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('2 jobs planned')
    for (const result of [fromCache, plain]) expect({code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({code: first.code, stdout: first.stdout, stderr: first.stderr})
    // Nothing in the project's own folder but orca's state.
    expect(readdirSync(dir).sort()).toEqual(['.orca', 'jobs.yml'])
    if (supported) {
      expect(statSync(cacheDir).mode & 0o777).toBe(0o700)
      expect(filesUnder(cacheDir).length).toBeGreaterThan(0)
    } else {
      expect(filesUnder(cacheDir)).toEqual([])
    }
  })

  it('does not use a cache folder that others can write to', async () => {
    const dir = project()
    const shared = userCache()
    const cacheDir = join(shared, 'orca', 'compile-cache')
    mkdirSync(cacheDir, {recursive: true})
    chmodSync(cacheDir, 0o777)
    const result = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env: {XDG_CACHE_HOME: shared}})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('2 jobs planned')
    expect(filesUnder(cacheDir)).toEqual([])
  })
})
