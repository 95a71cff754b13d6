import {ConfigError} from '../errors.js'
import type {ImportEntry} from './report.js'
import {entryMaker, placeOf, REFERENCE, type CiFile} from './source.js'

/** GitLab's top-level keywords: everything else that holds a mapping is a job (or, starting with `.`, a hidden one). */
export const GITLAB_GLOBAL_KEYS = new Set(['image', 'services', 'stages', 'types', 'before_script', 'after_script', 'variables', 'cache', 'include', 'default', 'workflow', 'spec'])

/** A GitLab pipeline with its local includes merged, `!reference` tags resolved and `extends` applied. */
export interface ComposedGitlab {
  data: Record<string, unknown>
  /** The file each top-level key was last written in (for report positions and comments). */
  origin: Map<string, CiFile>
  files: CiFile[]
}

type Data = Record<string, unknown>
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v)

/** GitLab's merge: mappings key by key at every depth, anything else replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over
  const out: Data = {...base}
  for (const [key, value] of Object.entries(over)) out[key] = key in out ? deepMerge(out[key], value) : value
  return out
}

const MAX_INCLUDE_DEPTH = 100
const MAX_REFERENCE_DEPTH = 10

/** Reads a file of the project named by `include: local:` (path from the project's top); undefined when it cannot. */
export type LocalReader = (path: string) => CiFile | undefined

/** Merges `include: local` files, resolves `!reference` and `extends`; what cannot come over is reported. */
export function composeGitlab(main: CiFile, readLocal: LocalReader, entries: ImportEntry[]): ComposedGitlab {
  const files: CiFile[] = []
  const origin = new Map<string, CiFile>()
  const seen = new Set<string>()
  let data: Data = {}
  const gather = (ci: CiFile, depth: number): void => {
    files.push(ci)
    const add = entryMaker(ci, entries)
    const include = ci.data.include
    const list = include === undefined ? [] : Array.isArray(include) ? include : [include]
    list.forEach((item, index) => {
      const at = Array.isArray(include) ? ['include', index] : ['include']
      const spec = typeof item === 'string' ? (/^https?:\/\//.test(item) ? {remote: item} : {local: item}) : isObject(item) ? item : {}
      if (typeof spec.local === 'string') {
        const path = spec.local.replace(/^\/+/, '')
        if (/[*?]/.test(path)) return add(at, `include: local: ${spec.local}`, 'dropped', 'a wildcard include is not read; list the files')
        if (seen.has(path)) return
        seen.add(path)
        const included = depth < MAX_INCLUDE_DEPTH ? readLocal(path) : undefined
        if (!included) return add(at, `include: local: ${spec.local}`, 'dropped', 'the file could not be read in the project')
        add(at, `include: local: ${spec.local}`, 'translated', 'merged into the imported pipeline, as GitLab merges it')
        gather(included, depth + 1)
        return
      }
      const kind = ['remote', 'template', 'project', 'component'].find((k) => k in spec) ?? 'include'
      add(at, `include: ${kind}`, 'dropped', `orca reads only the project's own files: copy the ${kind === 'template' ? "template's" : 'included'} jobs into the project and include it as a local file`)
    })
    // Included files come first; the including file's keys win, mappings merged key by key.
    const own = {...ci.data}
    delete own.include
    for (const key of Object.keys(own)) origin.set(key, ci)
    data = deepMerge(data, own) as Data
  }
  gather(main, 0)
  data = resolveReferences(data, data, 0, (construct, note) => entries.push({construct, file: main.file, status: 'dropped', note})) as Data
  const add = (key: string, path: Array<string | number>, construct: string, status: ImportEntry['status'], note: string, job?: string): void => {
    const ci = origin.get(key) ?? main
    entries.push({construct, ...placeOf(ci, path), ...(job === undefined ? {} : {job}), status, note})
  }
  // extends: GitLab's merge of the templates in order, then the job's own keys.
  const resolved = new Map<string, Data>()
  const resolving: string[] = []
  const resolve = (name: string): Data => {
    const done = resolved.get(name)
    if (done) return done
    const job = data[name]
    if (!isObject(job)) return {}
    if (resolving.includes(name)) {
      const ci = origin.get(name) ?? main
      throw new ConfigError([{...placeOf(ci, [name, 'extends'], 'value'), path: `${name}.extends`, message: `extends forms a cycle: ${[...resolving.slice(resolving.indexOf(name)), name].join(' -> ')}`}])
    }
    resolving.push(name)
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends]
    let merged: unknown = {}
    for (const parent of parents) {
      if (typeof parent !== 'string' || !isObject(data[parent])) {
        add(name, [name, 'extends'], `extends: ${String(parent)}`, 'dropped', 'no such job or hidden job in the file or its local includes', name.startsWith('.') ? undefined : name)
        continue
      }
      merged = deepMerge(merged, resolve(parent))
    }
    const own = {...job}
    delete own.extends
    const result = deepMerge(merged, own) as Data
    if (parents.length > 0 && !name.startsWith('.')) add(name, [name, 'extends'], `extends: ${parents.join(', ')}`, 'translated', "merged into the job, as GitLab merges it (mappings key by key, lists replaced)", name)
    resolving.pop()
    resolved.set(name, result)
    return result
  }
  for (const key of Object.keys(data)) if (!GITLAB_GLOBAL_KEYS.has(key) && isObject(data[key])) data[key] = resolve(key)
  return {data, origin, files}
}

function resolveReferences(value: unknown, root: Data, depth: number, drop: (construct: string, note: string) => void): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, root, depth, drop))
  if (!isObject(value)) return value
  if (REFERENCE in value) {
    const path = value[REFERENCE] as unknown[]
    const shown = `!reference [${path.map(String).join(', ')}]`
    if (depth >= MAX_REFERENCE_DEPTH) {
      drop(shown, `references nested deeper than ${MAX_REFERENCE_DEPTH} levels (GitLab's limit)`)
      return []
    }
    let target: unknown = root
    for (const key of path) target = isObject(target) ? target[String(key)] : undefined
    if (target === undefined) {
      drop(shown, 'names nothing in the file or its local includes')
      return []
    }
    return resolveReferences(target, root, depth + 1, drop)
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, root, depth, drop)]))
}
