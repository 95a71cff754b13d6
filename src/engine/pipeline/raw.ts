/** The shape of jobs.yml once it passed `schemas/jobs.schema.json`, before normalisation. */
export type RawEnv = Record<string, string | number | boolean>

export interface RawStep {
  name?: string
  run: string
  timeout?: string
  env?: RawEnv
  allow_failure?: boolean
  when?: RawWhen
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

export interface RawJob {
  name?: string
  image?: string
  needs?: string[]
  when?: RawWhen
  if?: string | boolean
  matrix?: Record<string, RawMatrixValue[] | Array<Record<string, RawMatrixValue>>>
  id?: string
  'max-parallel'?: number
  inputs?: string[]
  env?: RawEnv
  secrets?: string[]
  workdir?: string
  user?: string
  timeout?: string
  cleanup?: string
  cache?: boolean
  services?: RawServices
  resources?: RawResources
  network?: 'bridge' | 'none'
  volumes?: Record<string, string>
  steps?: Array<string | RawStep>
  artifacts?: string[]
}

export interface RawPipeline {
  version: 1
  image?: string
  env?: RawEnv
  services?: RawServices
  jobs: Record<string, RawJob>
}
