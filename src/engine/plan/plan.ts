import {OrcaError} from '../errors.js'
import {ownValue} from '../name-table.js'
import type {Job, Pipeline} from '../pipeline/types.js'

/** The jobs a run will settle, in an order where every job comes after its needs. */
export interface Plan {
  targets: string[]
  /** Topological order; ties keep the order of declaration in jobs.yml. */
  order: string[]
  jobs: Map<string, Job>
  /** Job name → the jobs that need it (inside this plan). */
  dependents: Map<string, string[]>
}

/** Selects the targets and everything they need; no target means every job. A matrix job's name stands for all its expansions. */
export function planRun(pipeline: Pipeline, targets: string[]): Plan {
  const expansionsOf = (name: string): string[] | undefined => ownValue(pipeline.matrices, name)
  const unknown = targets.filter((t) => !pipeline.jobs.has(t) && expansionsOf(t) === undefined)
  if (unknown.length > 0) {
    const names = [...Object.keys(pipeline.matrices ?? {}), ...pipeline.jobs.keys()]
    const hints = unknown.map((t) => closest(t, names)).filter((s): s is string => s !== undefined)
    throw new OrcaError(
      'usage',
      `unknown target${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `"${t}"`).join(', ')}; jobs in ${pipeline.file}: ${names.join(', ')}`,
      {hint: hints.length > 0 ? `did you mean ${hints.map((h) => `"${h}"`).join(', ')}?` : undefined},
    )
  }

  const wanted = new Set<string>()
  const visit = (name: string): void => {
    if (wanted.has(name)) return
    wanted.add(name)
    for (const need of pipeline.jobs.get(name)?.needs ?? []) visit(need)
  }
  for (const target of targets.length > 0 ? targets.flatMap((t) => expansionsOf(t) ?? [t]) : pipeline.jobs.keys()) visit(target)

  // Kahn's algorithm over declaration order keeps the plan stable and readable.
  const order: string[] = []
  const placed = new Set<string>()
  const declared = [...pipeline.jobs.keys()].filter((n) => wanted.has(n))
  while (order.length < declared.length) {
    const next = declared.find((n) => !placed.has(n) && pipeline.jobs.get(n)!.needs.every((d) => placed.has(d)))
    // The loader rejects cycles; this guards the invariant rather than looping forever.
    if (next === undefined) throw new OrcaError('internal', 'dependency cycle reached the planner')
    order.push(next)
    placed.add(next)
  }

  const jobs = new Map(order.map((n) => [n, pipeline.jobs.get(n)!] as const))
  const dependents = new Map<string, string[]>(order.map((n) => [n, []]))
  for (const [name, job] of jobs) for (const need of job.needs) dependents.get(need)!.push(name)
  return {targets: targets.length > 0 ? targets : order, order, jobs, dependents}
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const c of candidates) {
    const d = editDistance(word, c)
    if (d < bestDistance) [best, bestDistance] = [c, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
