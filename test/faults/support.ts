import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {ValidateFunction} from 'ajv'
import {expect} from 'vitest'

import {makeProject, orca, runDirs} from '../e2e/cli.js'
import {schemaValidator} from '../helpers/schemas.js'

/** A small deterministic RNG (mulberry32), so a failing iteration can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** The seed of this suite run (printed at the end, settable with ORCA_FAULTS_SEED). */
export function suiteSeed(): number {
  return Number(process.env.ORCA_FAULTS_SEED ?? Date.now() % 2 ** 31)
}

/** Throwaway projects, removed by `removeAll()`. */
export class Projects {
  private readonly made: Array<{dir: string; cleanup: () => void}> = []

  create(files: Record<string, string>): string {
    const project = makeProject(files)
    this.made.push(project)
    return project.dir
  }

  removeAll(): void {
    for (const project of this.made.splice(0)) project.cleanup()
  }
}

export interface RecordCheck {
  records: number
  eventLogs: number
  problems: string[]
}

let validators: Promise<{record: ValidateFunction; event: ValidateFunction}> | undefined

/**
 * Checks every run directory of a project as a crash could have left it: each `run.json` parses and
 * matches its schema, and every complete line of `events.jsonl` is a valid event (a torn last line is allowed).
 */
export async function checkRunDirs(projectDir: string): Promise<RecordCheck> {
  validators ??= Promise.all([schemaValidator('run-record.schema.json'), schemaValidator('event.schema.json')]).then(([record, event]) => ({record, event}))
  const {record, event} = await validators
  const check: RecordCheck = {records: 0, eventLogs: 0, problems: []}
  for (const dir of runDirs(projectDir)) {
    const runJson = join(dir, 'run.json')
    if (existsSync(runJson)) {
      check.records++
      try {
        if (!record(JSON.parse(readFileSync(runJson, 'utf8')))) check.problems.push(`${runJson}: ${JSON.stringify(record.errors)}`)
      } catch (error) {
        check.problems.push(`${runJson}: ${(error as Error).message}`)
      }
    }
    const eventsFile = join(dir, 'events.jsonl')
    if (existsSync(eventsFile)) {
      check.eventLogs++
      const lines = readFileSync(eventsFile, 'utf8').split('\n')
      lines.pop() // after the last newline: empty, or a line torn by the kill
      for (const line of lines) {
        try {
          if (!event(JSON.parse(line))) check.problems.push(`${eventsFile}: ${JSON.stringify(event.errors)}`)
        } catch (error) {
          check.problems.push(`${eventsFile}: ${(error as Error).message}`)
        }
      }
    }
  }
  return check
}

/** `docker` with an optional engine address. */
export function docker(args: string[], host?: string): string {
  return execFileSync('docker', host ? ['-H', host, ...args] : args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/** Ids of orca-labelled containers matching every label filter given, kept ones left out. */
export function labelledContainers(filters: string[], host?: string): string[] {
  const args = ['ps', '-aq', '--filter', 'label=orca.managed=true', ...filters.flatMap((f) => ['--filter', `label=${f}`])]
  const kept = new Set(docker([...args, '--filter', 'label=orca.kept=true'], host).split('\n').filter(Boolean))
  return docker(args, host)
    .split('\n')
    .filter((id) => id && !kept.has(id))
}

/** The containers with a label, once the set has stayed the same for a second. */
export async function settledContainers(label: string): Promise<string[]> {
  let last = labelledContainers([label]).sort().join(' ')
  for (let tries = 0; tries < 30; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const now = labelledContainers([label]).sort().join(' ')
    if (now === last) break
    last = now
  }
  return last === '' ? [] : last.split(' ')
}

/** Force-removes containers (and their anonymous volumes); ignores ids already gone. */
export function removeContainers(ids: string[], host?: string): void {
  if (ids.length > 0) {
    try {
      docker(['rm', '-f', '-v', ...ids], host)
    } catch {
      // already removed
    }
  }
}

/** Every path under dir that is a symbolic link. */
export function symlinksUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name))
}

/**
 * What a kill must leave: records every command reads, and nothing of the killed process after a
 * user's `orca clean --leaks`. `what` names the iteration in failure messages.
 */
export async function expectCleanAfterKill(dir: string, pid: number, what: string): Promise<void> {
  const check = await checkRunDirs(dir)
  expect(check.problems, what).toEqual([])
  const clean = await orca(['clean', '--leaks'], {cwd: dir})
  expect(clean.code, clean.stderr).toBe(0)
  expect(labelledContainers([`orca.pid=${pid}`]), `${what}: containers left after clean --leaks`).toEqual([])
}
