import type {Diagnostic} from '../errors.js'
import {nameTable} from '../name-table.js'
import {closest} from './schema-diagnostics.js'
import {showValue} from './show-value.js'
import type {NodePath, Origin} from './yaml-source.js'
import {formatPath, position} from './yaml-source.js'

/** A value of the composed pipeline and where it (and each part of it) is written. */
export interface Located {
  value: unknown
  origin: Origin
}

/** The most templates one job may be built on, through chains included. */
const MAX_CHAIN = 64

/**
 * Resolves `extends:` (docs/jobs-yml.md, Extends): each job that names jobs or `x-` templates is
 * built on them, in order, then on its own keys. Mappings merge key by key, any other value (text,
 * numbers, lists) replaces the one before it; chains are followed, cycles and unknown names reported
 * where the `extends` that names them is written. The result keeps each job's own `extends` for the
 * schema to judge its shape.
 */
export function resolveExtends(jobs: ReadonlyMap<string, Located>, templates: ReadonlyMap<string, Located>): {jobs: Map<string, Located>; diagnostics: Diagnostic[]} {
  const diagnostics: Diagnostic[] = []
  const resolved = new Map<string, Located>()
  const report = (entry: Located, at: NodePath, message: string): void => {
    const origin: Origin = {source: entry.origin.source, path: [...entry.origin.path, ...at]}
    diagnostics.push({...position(origin.source, origin.path), path: formatPath(origin.path), message})
  }
  // A name names a top-level x- key when there is one, else a job.
  const lookup = (name: string): {id: string; entry: Located} | undefined => {
    const template = templates.get(name)
    if (template) return {id: `template ${name}`, entry: template}
    const job = jobs.get(name)
    return job ? {id: `job ${name}`, entry: job} : undefined
  }

  const resolve = (id: string, name: string, entry: Located, chain: string[]): Located => {
    const done = resolved.get(id)
    if (done) return done
    const value = entry.value
    if (!isMapping(value) || value.extends === undefined) return entry
    const names = typeof value.extends === 'string' ? [[value.extends, ['extends']] as const] : Array.isArray(value.extends) ? value.extends.map((n, i) => [n, ['extends', i]] as const) : []
    let built: Located | undefined
    for (const [base, at] of names) {
      // Shapes the schema refuses (a number, an empty list) are reported by it.
      if (typeof base !== 'string' || base === '') continue
      const found = lookup(base)
      if (!found) {
        const suggestion = closest(base, [...templates.keys(), ...jobs.keys()])
        report(entry, at, `extends ${showValue(base)}, which is neither a job nor a top-level x- key${suggestion ? `; did you mean "${suggestion}"?` : ''}`)
        continue
      }
      const cycle = chain.indexOf(found.id)
      if (cycle !== -1 || found.id === id) {
        const names = [...chain.slice(cycle === -1 ? chain.length : cycle), id, found.id].map((step) => step.replace(/^(job|template) /, ''))
        report(entry, at, `extends cycle: ${names.join(' -> ')}`)
        continue
      }
      if (chain.length >= MAX_CHAIN) {
        report(entry, at, `extends more than ${MAX_CHAIN} templates through its chain`)
        continue
      }
      if (!isMapping(found.entry.value)) {
        report(entry, at, `extends ${showValue(base)}, which is not a mapping of job keys`)
        continue
      }
      const baseJob = withoutExtends(resolve(found.id, base, found.entry, [...chain, id]))
      built = built ? merge(built, baseJob) : baseJob
    }
    const result = built ? merge(built, entry) : entry
    resolved.set(id, result)
    return result
  }

  const out = new Map<string, Located>()
  for (const [name, entry] of jobs) out.set(name, resolve(`job ${name}`, name, entry, []))
  return {jobs: out, diagnostics}
}

/** `over` on top of `base`: mappings key by key, anything else replaced; each key remembers where it is written. */
export function merge(base: Located, over: Located): Located {
  if (!isMapping(base.value) || !isMapping(over.value)) return over
  const value = nameTable<unknown>()
  const origin: Origin = {source: over.origin.source, path: over.origin.path, children: new Map()}
  const keys = [...Object.keys(base.value), ...Object.keys(over.value).filter((key) => !Object.hasOwn(base.value as object, key))]
  for (const key of keys) {
    const inOver = Object.hasOwn(over.value, key)
    const child = inOver && Object.hasOwn(base.value, key) ? merge(childOf(base, key), childOf(over, key)) : childOf(inOver ? over : base, key)
    value[key] = child.value
    origin.children!.set(key, child.origin)
  }
  return {value, origin}
}

function childOf(parent: Located, key: string): Located {
  return {
    value: (parent.value as Record<string, unknown>)[key],
    origin: parent.origin.children?.get(key) ?? {source: parent.origin.source, path: [...parent.origin.path, key]},
  }
}

function withoutExtends(entry: Located): Located {
  if (!isMapping(entry.value) || !Object.hasOwn(entry.value, 'extends')) return entry
  const {extends: _dropped, ...rest} = entry.value
  return {value: nameTable(rest), origin: entry.origin}
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
