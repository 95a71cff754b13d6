/** The shape of jobs.yml once it passed `schemas/jobs.schema.json`, before normalisation. */
import type {RetryWhen} from './types.js'

export type RawEnv = Record<string, string | number | boolean>

export interface RawStep {
  name?: string
  run: string
  timeout?: string
  env?: RawEnv
  allow_failure?: boolean
  when?: RawWhen
  shell?: string
}

export type RawWhen = 'on_success' | 'on_failure' | 'always'
export type RawMatrixValue = string | number | boolean

export interface RawResources {
  cpus?: number
  memory?: string | number
  pids?: number
}

export interface RawService {
  image: string
  env?: RawEnv
  secrets?: string[]
  command?: string[]
  entrypoint?: string[]
  aliases?: string[]
  ready?: {command?: string; tcp?: number; timeout?: string; interval?: string}
  resources?: RawResources
}

/** A service is an image reference alone or an object. */
export type RawServices = Record<string, string | RawService>

/** A secret as written: a required name, or an object that may make it optional. */
export type RawSecret = string | {name: string; required?: boolean}

export interface RawJob {
  extends?: string | string[]
  name?: string
  image?: RawImage
  pull?: 'missing' | 'always' | 'never'
  platform?: string
  needs?: Array<string | RawNeed>
  when?: RawWhen
  if?: string | boolean
  matrix?: Record<string, RawMatrixValue[] | Array<Record<string, RawMatrixValue>>>
  id?: string
  'max-parallel'?: number
  inputs?: string[]
  env?: RawEnv
  env_file?: string | string[]
  pass_env?: string[]
  secrets?: RawSecret[]
  workdir?: string
  user?: string
  git?: boolean | {depth: number}
  docker?: boolean
  retry?: number | {max: number; when?: RetryWhen[]}
  timeout?: string
  cleanup?: string
  keep_for?: string
  cache?: boolean
  services?: RawServices
  resources?: RawResources
  network?: 'bridge' | 'none'
  volumes?: Record<string, string | {path: string; key?: {files: string[]}}>
  steps?: Array<string | RawStep>
  artifacts?: string[] | {paths: string[]; when?: RawWhen}
  reports?: {junit?: string[]}
  outputs?: string[]
  shell?: string
  'runs-on'?: 'docker' | 'host'
  host?: {key?: string[]}
}

/** A need written as an object: the job, and which of its artifacts are taken. */
export interface RawNeed {
  job: string
  artifacts?: boolean | string[]
}

/** `image:` is a reference, or an image built from the project. */
export type RawImage = string | {build: {context?: string; dockerfile?: string; args?: RawEnv; target?: string}}

export interface RawPipeline {
  version: 1
  include?: string[]
  image?: RawImage
  pull?: 'missing' | 'always' | 'never'
  platform?: string
  env?: RawEnv
  services?: RawServices
  jobs: Record<string, RawJob>
}

/** The job a need names, when its shape is right. */
export function needName(need: unknown): string | undefined {
  if (typeof need === 'string') return need
  if (typeof need === 'object' && need !== null && typeof (need as RawNeed).job === 'string') return (need as RawNeed).job
  return undefined
}

/** The names of a raw job's needs whose shape is right (before the schema has judged them). */
export function needNames(needs: unknown): string[] {
  return Array.isArray(needs) ? needs.map(needName).filter((n): n is string => n !== undefined) : []
}

/** Where a raw job's artifact globs are (a list, or `paths` of the object form), below the job. */
export function artifactGlobsPath(artifacts: unknown): Array<string | number> {
  return typeof artifacts === 'object' && artifacts !== null && !Array.isArray(artifacts) ? ['artifacts', 'paths'] : ['artifacts']
}
