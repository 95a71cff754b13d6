import * as path from 'node:path'

import {parseDuration} from '../duration.js'
import {nameTable} from '../name-table.js'
import type {CleanupPolicy, Job, Pipeline, PipelineDefaults, Step} from './types.js'
import {DEFAULT_WORKDIR} from './types.js'
import type {RawEnv, RawJob, RawPipeline, RawStep} from './raw.js'
import {parseSize} from '../bytes.js'
import type {YamlSource} from './yaml-source.js'
import {locate} from './yaml-source.js'

const STEP_NAME_MAX = 40

/** Turns a validated jobs.yml into the engine's Pipeline: defaults applied, durations in ms, steps named. */
export function normalisePipeline(raw: RawPipeline, absFile: string, defaults: PipelineDefaults, source?: YamlSource): Pipeline {
  const jobs = new Map<string, Job>()
  const pipelineEnv = normaliseEnv(raw.env)
  for (const [name, job] of Object.entries(raw.jobs)) {
    jobs.set(name, normaliseJob(name, job, raw, pipelineEnv, defaults, source))
  }
  return {file: absFile, projectDir: path.dirname(absFile), version: 1, jobs}
}

function normaliseJob(name: string, job: RawJob, raw: RawPipeline, pipelineEnv: Record<string, string>, defaults: PipelineDefaults, source?: YamlSource): Job {
  const normal: Job = {
    name,
    // A group job (no steps) never starts a container, so it may have no image at all.
    image: job.image ?? raw.image ?? defaults.image ?? '',
    needs: [...new Set(job.needs ?? [])],
    env: nameTable(pipelineEnv, normaliseEnv(job.env)),
    secrets: [...new Set(job.secrets ?? [])],
    workdir: job.workdir ?? DEFAULT_WORKDIR,
    timeoutMs: (job.timeout === undefined ? undefined : parseDuration(job.timeout)) ?? defaults.timeoutMs,
    cleanup: (job.cleanup as CleanupPolicy | undefined) ?? defaults.cleanup,
    cache: job.cache ?? true,
    resources: {...defaults.resources},
    network: job.network ?? 'bridge',
    volumes: nameTable(job.volumes),
    steps: (job.steps ?? []).map(normaliseStep),
    artifacts: job.artifacts ?? [],
  }
  if (job.inputs !== undefined) normal.inputs = job.inputs
  if (job.user !== undefined) normal.user = job.user
  if (job.resources?.cpus !== undefined) normal.resources.cpus = job.resources.cpus
  if (job.resources?.pids !== undefined) normal.resources.pids = job.resources.pids
  if (job.resources?.memory !== undefined) normal.resources.memoryBytes = parseSize(job.resources.memory)
  if (source) normal.position = {file: source.file, ...locate(source, ['jobs', name], 'key')}
  return normal
}

function normaliseStep(step: string | RawStep): Step {
  const raw: RawStep = typeof step === 'string' ? {run: step} : step
  const normal: Step = {
    name: raw.name ?? defaultStepName(raw.run),
    run: raw.run,
    env: normaliseEnv(raw.env),
    allowFailure: raw.allow_failure ?? false,
  }
  if (raw.timeout !== undefined) normal.timeoutMs = parseDuration(raw.timeout)
  return normal
}

/** A step without a name is called by its command's first line, shortened. */
export function defaultStepName(run: string): string {
  const firstLine = run.trim().split('\n')[0]?.trim() ?? ''
  return firstLine.length > STEP_NAME_MAX ? `${firstLine.slice(0, STEP_NAME_MAX - 1)}…` : firstLine
}

/** GitHub Actions users write `CI: true` and `PORT: 8080`; the container sees strings. */
function normaliseEnv(env: RawEnv | undefined): Record<string, string> {
  return nameTable(Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, String(value)])))
}
