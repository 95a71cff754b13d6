import {Buffer} from 'node:buffer'
import {chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import module from 'node:module'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {makeProject, orca} from './cli.js'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Node.js 22.1+ has a compile cache of its own (for the ES modules of other commands). The CLI runs on this same `node`. */
const supported = typeof (module as {enableCompileCache?: unknown}).enableCompileCache === 'function'

/** The file `orca run` keeps its compiled code path in, on every Node.js version (bin/run.cjs). */
const runCodeFile = new RegExp(`^orca-run-${process.version}-${process.arch}-\\d+-\\d+-\\d+\\.v8$`)

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
  it("keeps compiled code in the user's cache folder (0700, the file 0600); with it, without it, from it and from a damaged one the output is the same", async () => {
    const dir = project()
    const env = {XDG_CACHE_HOME: userCache()}
    const cacheDir = join(env.XDG_CACHE_HOME, 'orca', 'compile-cache')
    // An older build's code for this Node.js: removed once this build's is written.
    mkdirSync(cacheDir, {recursive: true, mode: 0o700})
    const stale = join(cacheDir, `orca-run-${process.version}-${process.arch}-1-2-3.v8`)
    writeFileSync(stale, 'old')
    const first = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    const runCode = readdirSync(cacheDir).filter((name) => runCodeFile.test(name))
    expect(runCode).toHaveLength(1)
    expect(statSync(join(cacheDir, runCode[0]!)).mode & 0o777).toBe(0o600)
    expect(existsSync(stale)).toBe(false)
    const written = statSync(join(cacheDir, runCode[0]!)).mtimeMs
    const fromCache = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    // Taken, not refused: a refused one would have been written again.
    expect(statSync(join(cacheDir, runCode[0]!)).mtimeMs).toBe(written)
    const plain = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env: {...env, NODE_DISABLE_COMPILE_CACHE: '1'}})
    // Bytes V8 did not write: refused, the code compiled from the source, and kept again.
    const kept = join(cacheDir, runCode[0]!)
    writeFileSync(kept, Buffer.alloc(4096, 7))
    const fromDamaged = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('2 jobs planned')
    for (const result of [fromCache, plain, fromDamaged]) expect({code: result.code, stdout: result.stdout, stderr: result.stderr}).toEqual({code: first.code, stdout: first.stdout, stderr: first.stderr})
    expect(statSync(kept).size).toBeGreaterThan(4096)
    // Nothing in the project's own folder but orca's state.
    expect(readdirSync(dir).sort()).toEqual(['.orca', 'jobs.yml'])
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700)
    if (supported) {
      // The other commands' ES modules go to Node.js's own cache, in the same folder.
      const validated = await orca(['validate'], {cwd: dir, env})
      expect(validated.code, validated.stderr).toBe(0)
      expect(filesUnder(cacheDir).length).toBeGreaterThan(1)
    }
  })

  it('keeps no code from a run refused at its input (exit 2), which compiled too little of the path', async () => {
    const {dir, cleanup} = makeProject({'jobs.yml': 'version: 1\njobs:\n  build:\n    stepz: ["echo hi"]\n'})
    cleanups.push(cleanup)
    const env = {XDG_CACHE_HOME: userCache()}
    const cacheDir = join(env.XDG_CACHE_HOME, 'orca', 'compile-cache')
    const refused = await orca(['run', '--dry-run', '--output', 'plain'], {cwd: dir, env})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('stepz')
    expect(readdirSync(cacheDir).filter((name) => runCodeFile.test(name))).toEqual([])
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
