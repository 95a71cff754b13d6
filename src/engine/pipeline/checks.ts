import * as path from 'node:path'

import type {Diagnostic} from '../errors.js'
import {costlyGlob} from './glob-bounds.js'
import {closest} from './schema-diagnostics.js'
import {artifactGlobsPath, needName} from './raw.js'
import {hostDiagnostics} from './host-checks.js'
import {serviceDiagnostics} from './service-checks.js'
import {showValue} from './show-value.js'
import type {NodePath, YamlSource} from './yaml-source.js'
import {formatPath, position} from './yaml-source.js'

/** The parts of a job the semantic checks read, kept only where their shape is right. */
interface JobShape {
  /** Index for index with `needs` as written; undefined where an entry's shape is wrong. */
  needs: Array<string | undefined>
  needObjects: Set<number>
  hasSteps: boolean
  hasImage: boolean
  /** `runs-on: host`: needs no image. */
  onHost: boolean
  inputs: Array<[number, string]>
  /** Where the artifact globs are below the job (`artifacts`, or `artifacts.paths`). */
  artifactsAt: Array<string | number>
  artifacts: Array<[number, string]>
  /** Globs of `reports.junit`. */
  reports: Array<[number, string]>
  /** Artifact globs of needs written as objects, by the need's index. */
  needGlobs: Array<[number, number, string]>
  volumes: Array<[string, string]>
  /** `env_file` entries with the path below the job where each is written. */
  envFiles: Array<[NodePath, string]>
  passEnv: Array<[number, string]>
  /** Names of the job's own `env`. */
  envNames: Set<string>
}

/**
 * The rules the schema cannot express: needs that exist and form no cycle, images, globs that can
 * select files to store, volumes Docker can mount, services a job can reach.
 */
export function semanticDiagnostics(
  data: unknown,
  source: YamlSource,
  defaultImage: string | undefined,
  /** Each matrix expansion's id → its matrix job: a need may name one expansion. */
  expansions: ReadonlyMap<string, string> = new Map(),
): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const report = (at: NodePath, message: string, on: 'value' | 'key' = 'value'): void => {
    diagnostics.push({...position(source, at, on), path: formatPath(at), message})
  }
  const root = isRecord(data) ? data : {}
  const jobs = shapeJobs(root.jobs)
  const names = [...jobs.keys()]
  const pipelineImage = typeof root.image === 'string' || isRecord(root.image)
  for (const [at, problem] of buildPathProblems(root.image, ['image'])) report(at, problem)
  for (const [name, job] of jobs) {
    job.needs.forEach((need, index) => {
      if (need === undefined || jobs.has(need) || expansions.has(need)) return
      const suggestion = closest(need, names)
      const at = job.needObjects.has(index) ? ['jobs', name, 'needs', index, 'job'] : ['jobs', name, 'needs', index]
      report(at, `unknown job ${showValue(need)}${suggestion ? `; did you mean "${suggestion}"?` : ''}`)
    })
    if (isRecord(root.jobs) && isRecord(root.jobs[name])) {
      for (const [at, problem] of buildPathProblems(root.jobs[name].image, ['jobs', name, 'image'])) report(at, problem)
    }
    if (job.hasSteps && !job.hasImage && !job.onHost && !pipelineImage && !defaultImage) {
      report(['jobs', name], 'no image: set "image" on the job, a top-level "image", or defaults.image in the configuration', 'key')
    }
    for (const [index, glob] of job.inputs) {
      const problem = unstorableGlob(glob, 'the project directory') ?? costlyGlob(glob)
      if (problem) report(['jobs', name, 'inputs', index], `input ${problem}`)
    }
    for (const [index, glob] of job.artifacts) {
      const problem = unstorableGlob(glob, 'the workdir') ?? costlyGlob(glob)
      if (problem) report(['jobs', name, ...job.artifactsAt, index], `artifact ${problem}`)
    }
    for (const [index, glob] of job.reports) {
      const problem = unstorableGlob(glob, 'the workdir') ?? costlyGlob(glob)
      if (problem) report(['jobs', name, 'reports', 'junit', index], `report ${problem}`)
    }
    for (const [need, index, glob] of job.needGlobs) {
      const problem = unstorableGlob(glob, "the needed job's workdir") ?? costlyGlob(glob)
      if (problem) report(['jobs', name, 'needs', need, 'artifacts', index], `artifact ${problem}`)
    }
    for (const [at, file] of job.envFiles) {
      const problem = envFileProblem(file)
      if (problem) report(['jobs', name, ...at], problem)
    }
    for (const [index, variable] of job.passEnv) {
      if (job.envNames.has(variable)) report(['jobs', name, 'pass_env', index], `${showValue(variable)} is set by the job's env and passed from orca's environment; keep one`)
    }
    const mounted = new Map<string, string>()
    for (const [volume, target] of job.volumes) {
      const at = path.posix.normalize(target).replace(/(.)\/+$/, '$1')
      const other = mounted.get(at)
      if (at === '/') report(['jobs', name, 'volumes', volume], `volume ${showValue(volume)} cannot be mounted at "/", the container's root`)
      else if (other !== undefined) report(['jobs', name, 'volumes', volume], `volumes ${showValue(other)} and ${showValue(volume)} are both mounted at ${showValue(at)}`)
      else mounted.set(at, volume)
    }
  }
  serviceDiagnostics(root, report)
  hostDiagnostics(root, report)
  // A need of one expansion is a need of its matrix job in the graph of jobs as written.
  const needsAsWritten = new Map([...jobs].map(([name, job]) => [name, job.needs.filter((n): n is string => n !== undefined).map((need) => expansions.get(need) ?? need)]))
  for (const cycle of findCycles(needsAsWritten)) {
    report(['jobs', cycle[0] as string, 'needs'], `dependency cycle: ${cycle.join(' -> ')}`, 'key')
  }
  return diagnostics
}

function shapeJobs(jobs: unknown): Map<string, JobShape> {
  const shaped = new Map<string, JobShape>()
  if (!isRecord(jobs)) return shaped
  for (const [name, job] of Object.entries(jobs)) {
    if (!isRecord(job)) continue
    shaped.set(name, {
      // Index for index with what was written, so a message points at the right entry.
      needs: Array.isArray(job.needs) ? job.needs.map(needName) : [],
      needObjects: new Set(Array.isArray(job.needs) ? job.needs.flatMap((need, index) => (isRecord(need) ? [index] : [])) : []),
      hasSteps: Array.isArray(job.steps) && job.steps.length > 0,
      hasImage: typeof job.image === 'string' || isRecord(job.image),
      onHost: job['runs-on'] === 'host',
      inputs: stringItems(job.inputs),
      artifactsAt: artifactGlobsPath(job.artifacts),
      artifacts: stringItems(isRecord(job.artifacts) ? job.artifacts.paths : job.artifacts),
      reports: stringItems(isRecord(job.reports) ? job.reports.junit : undefined),
      needGlobs: Array.isArray(job.needs)
        ? job.needs.flatMap((need, index) => (isRecord(need) ? stringItems(need.artifacts).map(([i, glob]): [number, number, string] => [index, i, glob]) : []))
        : [],
      volumes: isRecord(job.volumes)
        ? Object.entries(job.volumes).flatMap(([name, volume]): Array<[string, string]> => {
            const at = isRecord(volume) ? volume.path : volume
            return typeof at === 'string' ? [[name, at]] : []
          })
        : [],
      envFiles: typeof job.env_file === 'string' ? [[['env_file'], job.env_file]] : stringItems(job.env_file).map(([index, file]) => [['env_file', index], file]),
      passEnv: stringItems(job.pass_env),
      envNames: new Set(isRecord(job.env) ? Object.keys(job.env) : []),
    })
  }
  return shaped
}

function stringItems(list: unknown): Array<[number, string]> {
  if (!Array.isArray(list)) return []
  return list.flatMap((item, index): Array<[number, string]> => (typeof item === 'string' ? [[index, item]] : []))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Why an `env_file` path names no file of the project, or undefined when it may. */
function envFileProblem(file: string): string | undefined {
  if (path.posix.isAbsolute(file) || path.win32.isAbsolute(file)) return `env file ${showValue(file)} is absolute; it must be relative to the project directory`
  const normal = path.posix.normalize(file.replaceAll('\\', '/'))
  if (normal === '..' || normal.startsWith('../')) return `env file ${showValue(file)} climbs out of the project directory`
  if (normal === '.' || normal.endsWith('/')) return `env file ${showValue(file)} is a folder, not a file`
  return undefined
}

/**
 * Why a glob can select no file that can be stored under `base` (the paths of the artifact store are
 * relative, without empty, "." or ".." segments), or undefined when it can. A leading "./" is fine.
 */
export function unstorableGlob(glob: string, base: string): string | undefined {
  const pattern = glob.startsWith('!') ? glob.slice(1) : glob
  const shown = `glob ${showValue(glob)}`
  if (path.posix.isAbsolute(pattern) || path.win32.isAbsolute(pattern)) return `${shown} is absolute; it must be relative to ${base}`
  const normal = path.posix.normalize(pattern.replaceAll('\\', '/'))
  if (normal === '..' || normal.startsWith('../')) return `${shown} climbs out of ${base}`
  const segments = pattern.replace(/^(?:\.\/)+/, '').split('/')
  if (segments.at(-1) === '' && segments.length > 1 && !segments.slice(0, -1).includes('')) {
    const folder = segments.slice(0, -1).join('/')
    const every = `${glob.startsWith('!') ? '!' : ''}${folder.endsWith('**') ? folder : `${folder}/**`}`
    return `${shown} ends with "/", so it matches no file; for every file under it write ${showValue(every)}`
  }
  if (segments.includes('')) return `${shown} has an empty path segment ("//"), so it matches no file`
  if (segments.some((segment) => segment === '.' || segment === '..')) return `${shown} has a "." or ".." segment inside, so it matches no file; write the path without it`
  return undefined
}

/** An image build's context and Dockerfile must be paths inside the project (the context) and inside the context (the Dockerfile). */
function buildPathProblems(image: unknown, at: NodePath): Array<[NodePath, string]> {
  if (!isRecord(image) || !isRecord(image.build)) return []
  const problems: Array<[NodePath, string]> = []
  for (const [key, base] of [['context', 'the project directory'], ['dockerfile', 'the build context']] as const) {
    const value = image.build[key]
    if (typeof value !== 'string') continue
    const normal = path.posix.normalize(value.replaceAll('\\', '/'))
    if (path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) problems.push([[...at, 'build', key], `${key} ${showValue(value)} is absolute; it must be relative to ${base}`])
    else if (normal === '..' || normal.startsWith('../')) problems.push([[...at, 'build', key], `${key} ${showValue(value)} climbs out of ${base}`])
  }
  return problems
}

/** A string value anywhere in the document that holds a NUL byte: no command, variable or path can. */
export function nulDiagnostics(data: unknown, source: YamlSource): Diagnostic[] {
  const found: Diagnostic[] = []
  // Iterative: nesting may be deep, and every value is visited once (the expansion limit bounds them).
  const stack: Array<{value: unknown; at: Array<string | number>}> = [{value: data, at: []}]
  while (stack.length > 0) {
    const {value, at} = stack.pop()!
    if (typeof value === 'string') {
      if (value.includes('\0')) found.push({...position(source, at), path: formatPath(at), message: 'contains a NUL byte ("\\0"), which no command, variable or path can hold'})
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({value: item, at: [...at, index]}))
    } else if (isRecord(value)) {
      for (const [key, item] of Object.entries(value)) stack.push({value: item, at: [...at, key]})
    }
  }
  return found
}

/** Every distinct cycle through `needs`, each as `[a, b, a]`, found in declaration order (iterative: chains may be long). */
function findCycles(needsOf: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  for (const root of needsOf.keys()) {
    if (state.has(root)) continue
    const stack: Array<{name: string; needs: Iterator<string>}> = []
    const enter = (name: string): void => {
      state.set(name, 'visiting')
      stack.push({name, needs: new Set(needsOf.get(name) ?? []).values()})
    }
    enter(root)
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as {name: string; needs: Iterator<string>}
      const next = frame.needs.next()
      if (next.done) {
        state.set(frame.name, 'done')
        stack.pop()
        continue
      }
      const need = next.value
      if (!needsOf.has(need)) continue
      const seen = state.get(need)
      if (seen === 'visiting') {
        const names = stack.map((entry) => entry.name)
        cycles.push([...names.slice(names.indexOf(need)), need])
      } else if (seen === undefined) {
        enter(need)
      }
    }
  }
  return cycles
}
