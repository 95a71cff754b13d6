import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterEach} from 'vitest'

/** The built CLI, as a user runs it (`npm run build` first; `npm test` does). */
export const ORCA_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/run.cjs')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Called once the process is running, e.g. to send it a signal. */
  onSpawn?: (child: ChildProcess) => void
}

/** Neither CI flavour nor colour unless a test asks: the suite itself may run in a CI. */
export const NEUTRAL_ENV = {CI: undefined, GITHUB_ACTIONS: undefined, GITLAB_CI: undefined, GITHUB_STEP_SUMMARY: undefined}

/** Runs `orca ARGS` in a child process and collects its exit code and output. */
export function orca(args: string[], options: CliOptions): Promise<CliResult> {
  return runProgram(process.execPath, [ORCA_BIN, ...args], {...options, env: {NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env}})
}

/** Runs a program in a child process (environment: this process's, then `options.env`) and collects its exit code and output. */
export function runProgram(file: string, args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: {...process.env, ...options.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolvePromise({code, signal, stdout, stderr}))
    options.onSpawn?.(child)
  })
}

/** A throwaway project folder with the given files; `cleanup()` removes it. */
export function makeProject(files: Record<string, string>): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'orca-e2e-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** The run directories under a project's default runsDir, oldest first. */
export function runDirs(projectDir: string): string[] {
  const runs = join(projectDir, '.orca/runs')
  try {
    return readdirSync(runs)
      .filter((n) => !n.startsWith('.'))
      .sort()
      .map((n) => join(runs, n))
  } catch {
    return []
  }
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

export function readLines<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T)
}

/** Containers with the given orca label filter, e.g. `orca.run=<id>`, as `docker ps -a` sees them. */
export function containers(filter: string): string[] {
  return dockerLines('ps', '-aq', '--filter', `label=${filter}`)
}

/**
 * The containers with the label filter once those the engine removes itself are gone: what a finished
 * run leaves. A finished job's container may be ended by a signal and removed by the engine
 * (`AutoRemove`) just after orca exits; this waits up to 10 s for such containers, and returns what is
 * left then (a container without AutoRemove at once).
 */
export async function containersLeft(filter: string): Promise<string[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const ids = containers(filter)
    if (ids.length === 0) return ids
    let removedByEngine: boolean
    try {
      const flags = execFileSync('docker', ['inspect', '--format', '{{.HostConfig.AutoRemove}}', ...ids], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      removedByEngine = flags.includes('true')
    } catch {
      // One went between the listing and the inspection: look again.
      removedByEngine = true
    }
    if (!removedByEngine || Date.now() > deadline) return ids
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Force-removes the containers `docker ps -a --filter FILTER` lists. One the engine is removing itself
 * (AutoRemove, ended by orca) fails the call: those are looked for again until they are gone.
 */
export function removeContainers(filter: string): void {
  for (let attempt = 0; ; attempt++) {
    const ids = dockerLines('ps', '-aq', '--filter', filter)
    if (ids.length === 0) return
    try {
      execFileSync('docker', ['rm', '-f', '-v', ...ids], {stdio: 'ignore'})
      return
    } catch (error) {
      if (attempt === 50) throw error
      execFileSync('sleep', ['0.1'])
    }
  }
}

/**
 * Force-removes images. A run's last containers may still be in the engine's own removal (AutoRemove)
 * just after orca exits, and Podman refuses to remove an image such a container uses: tried again for
 * up to 10 s, then the engine's message is thrown.
 */
export function removeImages(images: string[]): void {
  if (images.length === 0) return
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('docker', ['rmi', '-f', ...new Set(images)], {stdio: 'pipe'})
      return
    } catch (error) {
      if (attempt === 100) throw error
      execFileSync('sleep', ['0.1'])
    }
  }
}

/** Force-removes every container of a run, and the images of kept ones (tests clean up even when an assertion failed). */
export function removeRunContainers(runId: string): void {
  removeContainers(`label=orca.run=${runId}`)
  removeImages(dockerLines('images', '-q', '--filter', `label=orca.run=${runId}`))
}

/**
 * Lines of `docker ARGS`, empty ones dropped. Podman fails a whole listing when an image (or a
 * container) that another test file is removing at that moment vanishes during it ("image not
 * known"): the listing is asked again, a few times, a tenth of a second apart.
 */
function dockerLines(...args: string[]): string[] {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).split('\n').filter(Boolean)
    } catch (error) {
      if (attempt >= 5 || !/image not known|no such image|no such container/i.test(String((error as {stderr?: unknown}).stderr))) throw error
      execFileSync('sleep', ['0.1'])
    }
  }
}

/**
 * Removes every Docker resource orca labelled with this project folder (`orca.project-dir`):
 * containers, kept containers' images, named volumes, networks. Nothing of another project.
 */
export function removeProjectResources(projectDir: string): void {
  const label = `label=orca.project-dir=${realpathSync(projectDir)}`
  removeContainers(label)
  removeImages(dockerLines('images', '-q', '--filter', label))
  const volumes = dockerLines('volume', 'ls', '-q', '--filter', label)
  if (volumes.length > 0) execFileSync('docker', ['volume', 'rm', '-f', ...volumes], {stdio: 'ignore'})
  const networks = dockerLines('network', 'ls', '-q', '--filter', label)
  if (networks.length > 0) execFileSync('docker', ['network', 'rm', ...networks], {stdio: 'ignore'})
}

/**
 * Throwaway projects for the tests of one file: `project(files)` makes one; after each test, every
 * project made is removed along with the containers (and kept containers' images) of its runs and
 * every other resource labelled with the project.
 */
export function projectsPerTest(): (files: Record<string, string>) => string {
  const made: Array<{dir: string; cleanup: () => void}> = []
  afterEach(() => {
    for (const p of made.splice(0)) {
      for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
      removeProjectResources(p.dir)
      p.cleanup()
    }
  })
  return (files) => {
    const p = makeProject(files)
    made.push(p)
    return p.dir
  }
}
