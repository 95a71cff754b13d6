import {isDeepStrictEqual} from 'node:util'

import {parse} from 'yaml'

import type {CiVendor} from './render.js'

/** What differs between a committed CI file and the one jobs.yml gives now; empty when it is up to date. */
export function staleness(vendor: CiVendor, committed: string | undefined, generated: string): string[] {
  if (committed === undefined) return ['the file does not exist']
  if (committed === generated) return []
  const before = jobsOf(vendor, committed)
  const after = jobsOf(vendor, generated) ?? new Map<string, unknown>()
  if (before === undefined) return ['the file is not a CI file orca can read (it does not parse as YAML with jobs)']
  const added = [...after.keys()].filter((name) => !before.has(name))
  const removed = [...before.keys()].filter((name) => !after.has(name))
  const changed = [...after.keys()].filter((name) => before.has(name) && !isDeepStrictEqual(before.get(name), after.get(name)))
  const lines = [
    ...(added.length > 0 ? [`CI jobs to add: ${added.join(', ')}`] : []),
    ...(removed.length > 0 ? [`CI jobs to remove: ${removed.join(', ')}`] : []),
    ...changed.map((name) => `CI job ${name} changed: ${changedKeys(before.get(name), after.get(name)).join(', ')}`),
  ]
  return lines.length > 0 ? lines : ['lines outside the jobs differ (comments, triggers or stages)']
}

/** The file's jobs by name: GitHub's `jobs:`, GitLab's top-level keys that are not settings. */
function jobsOf(vendor: CiVendor, text: string): Map<string, unknown> | undefined {
  let doc: unknown
  try {
    doc = parse(text)
  } catch {
    return undefined
  }
  if (typeof doc !== 'object' || doc === null) return undefined
  const jobs = vendor === 'github' ? (doc as {jobs?: unknown}).jobs : Object.fromEntries(Object.entries(doc).filter(([name]) => name !== 'stages' && !name.startsWith('.')))
  if (typeof jobs !== 'object' || jobs === null) return undefined
  return new Map(Object.entries(jobs))
}

/** The top-level keys of a job that differ, e.g. `needs, steps`. */
function changedKeys(before: unknown, after: unknown): string[] {
  const a = (typeof before === 'object' && before !== null ? before : {}) as Record<string, unknown>
  const b = (typeof after === 'object' && after !== null ? after : {}) as Record<string, unknown>
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !isDeepStrictEqual(a[key], b[key]))
}
