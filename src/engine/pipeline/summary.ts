import * as path from 'node:path'

import {decidesOnNeeds} from './expression.js'
import {runsOnHost, type Job, type Pipeline} from './types.js'

/**
 * What `orca validate` says about a valid pipeline beyond its size: each matrix job's expansions
 * (id and display name), each job's condition, the jobs that run on the host and the files it includes.
 * Empty for a pipeline with none of them.
 */
export function expansionSummary(pipeline: Pipeline): string[] {
  const lines: string[] = []
  const projectDir = pipeline.projectDir
  // Which files the pipeline is made of: a job moved to an included file is still checked.
  if (pipeline.includes !== undefined && pipeline.includes.length > 0) {
    lines.push(`included: ${pipeline.includes.map((included) => path.relative(projectDir, included.file).split(path.sep).join('/')).join(', ')}`)
  }
  const jobs = [...pipeline.jobs.values()]
  for (const [matrix, ids] of Object.entries(pipeline.matrices ?? {})) {
    const first = pipeline.jobs.get(ids[0] ?? '')
    const limit = first?.matrix?.maxParallel
    lines.push(`matrix ${matrix}: ${ids.length} job${ids.length === 1 ? '' : 's'}${limit === undefined ? '' : `, at most ${limit} at once`}`)
    const width = Math.max(...ids.map((id) => id.length))
    for (const id of ids) lines.push(`  ${id.padEnd(width)}  ${pipeline.jobs.get(id)?.displayName ?? ''}`.trimEnd())
  }
  // A matrix's condition is written once; its expansions share it.
  const shown = new Set<string>()
  const conditional = jobs.filter((job) => job.when !== undefined || job.condition !== undefined)
  if (conditional.length > 0) lines.push('conditions:')
  for (const job of conditional) {
    const name = job.matrix?.job ?? job.name
    if (shown.has(name)) continue
    shown.add(name)
    lines.push(`  ${name}: ${describeCondition(job)}`)
  }
  lines.push(...hostSummary(jobs))
  return lines
}

/** The `runs-on: host` jobs: they run on this machine, cached only by their key commands. */
function hostSummary(jobs: Job[]): string[] {
  const host = jobs.filter((job) => runsOnHost(job) && job.steps.length > 0)
  if (host.length === 0) return []
  const width = Math.max(...host.map((job) => job.name.length))
  const keyOf = (job: Job): string => (job.hostKey?.length ? `key: ${job.hostKey.join(', ')}` : 'no key commands: always runs')
  return ['host jobs (run on this machine, not in a container):', ...host.map((job) => `  ${job.name.padEnd(width)}  ${keyOf(job)}`)]
}

/** `runs when a job it needs failed`, `runs if matrix.os == 'linux' (and every need succeeded)`… */
export function describeCondition(job: Pick<Job, 'when' | 'condition'>): string {
  const gate = job.when === 'on_failure' ? 'a job it depends on failed' : job.when === 'always' ? 'its needs are settled, whatever their states' : 'every need succeeded'
  if (job.condition === undefined) return `runs when ${gate}`
  return decidesOnNeeds(job.condition.expression) ? `runs if ${job.condition.source}` : `runs if ${job.condition.source}, when ${gate}`
}

/** One line per job with `docker: true` (`orca validate` and `--dry-run` print them): it gets the host's engine. */
export function dockerJobLines(jobs: Iterable<Pick<Job, 'name' | 'docker'>>): string[] {
  return [...jobs].filter((job) => job.docker).map((job) => `! ${job.name}: docker: true, the job gets the host's Docker engine and with it control of the host`)
}
