import {ownValue} from '../name-table.js'
import {canonicalJson} from './format.js'
import {contentHash, type HashedInput} from './hash-inputs.js'
import type {BuildManifest, KeyManifest, ServiceManifest} from './key.js'

export type ChangeArea = 'format' | 'image' | 'definition' | 'services' | 'host' | 'git' | 'env' | 'secrets' | 'inputs' | 'needs'

/** One reason two keys of a job differ, worded for people. */
export interface KeyChange {
  area: ChangeArea
  /** e.g. `changed src/a.ts`, `NODE_ENV: "dev" → "prod"`, `step 2 ("test"): run changed`. */
  text: string
  /** The input file, for `inputs` changes. */
  path?: string
  /** The needed job whose key changed, for `needs` changes. */
  need?: string
  /** The service, for `services` changes. */
  service?: string
  /** The key command, for `host` changes. */
  command?: string
}

const MAX_VALUE = 60

/** What differs between the manifest a job was last cached under and its current one, area by area. */
export function diffManifests(before: KeyManifest, after: KeyManifest): KeyChange[] {
  const changes: KeyChange[] = []
  if (before.format !== after.format) changes.push({area: 'format', text: `cache format ${before.format} → ${after.format}`})

  if (before.image !== after.image) changes.push({area: 'image', text: `image ${show(before.image)} → ${show(after.image)}`})
  else if (before.imageId !== after.imageId) {
    changes.push({area: 'image', text: `${after.image ?? 'image'} now resolves to ${short(after.imageId)} (was ${short(before.imageId)})`})
  }

  if ((before.platform ?? null) !== (after.platform ?? null)) changes.push({area: 'image', text: `platform ${show(before.platform ?? null)} → ${show(after.platform ?? null)}`})
  changes.push(...diffBuild(before.build, after.build))

  const steps = Math.max(before.steps.length, after.steps.length)
  for (let i = 0; i < steps; i++) {
    const a = before.steps[i]
    const b = after.steps[i]
    if (!a) changes.push({area: 'definition', text: `step ${i + 1} ("${b!.name}") added`})
    else if (!b) changes.push({area: 'definition', text: `step ${i + 1} ("${a.name}") removed`})
    else {
      const fields = (['name', 'run', 'env', 'allowFailure', 'when', 'shell'] as const).filter((f) => canonicalJson(a[f]) !== canonicalJson(b[f]))
      if (fields.length > 0) changes.push({area: 'definition', text: `step ${i + 1} ("${b.name}"): ${fields.join(', ')} changed`})
    }
  }
  for (const field of ['workdir', 'user', 'network', 'volumes', 'artifacts', 'docker'] as const) {
    if (canonicalJson(before[field]) !== canonicalJson(after[field])) {
      changes.push({area: 'definition', text: `${field}: ${show(before[field])} → ${show(after[field])}`})
    }
  }

  changes.push(...diffServices(before.services ?? {}, after.services ?? {}))
  changes.push(...diffHost(before, after))
  changes.push(...diffGit(before.git, after.git))

  for (const name of union(Object.keys(before.env), Object.keys(after.env))) {
    const a = ownValue(before.env, name)
    const b = ownValue(after.env, name)
    if (a === b) continue
    const text = a === undefined ? `${name} added (${show(b)})` : b === undefined ? `${name} removed (was ${show(a)})` : `${name}: ${show(a)} → ${show(b)}`
    changes.push({area: 'env', text})
  }
  for (const name of union(Object.keys(before.passEnv ?? {}), Object.keys(after.passEnv ?? {}))) {
    const a = ownValue(before.passEnv ?? {}, name)
    const b = ownValue(after.passEnv ?? {}, name)
    if (a === b) continue
    const was = (value: string | null | undefined): string => (value === undefined ? 'not passed' : value === null ? 'not set' : show(value))
    changes.push({area: 'env', text: `${name} (pass_env): ${was(a)} → ${was(b)}`})
  }
  const secretsBefore = new Set(before.secrets)
  const secretsAfter = new Set(after.secrets)
  for (const name of after.secrets) if (!secretsBefore.has(name)) changes.push({area: 'secrets', text: `${name} added`})
  for (const name of before.secrets) if (!secretsAfter.has(name)) changes.push({area: 'secrets', text: `${name} removed`})

  changes.push(...diffInputs(before, after))

  for (const name of union(Object.keys(before.needs), Object.keys(after.needs))) {
    const a = ownValue(before.needs, name)
    const b = ownValue(after.needs, name)
    if (a === b) continue
    const text = a === undefined ? `${name} added` : b === undefined ? `${name} removed` : `${name}: key ${short(a)} → ${short(b)}`
    changes.push({area: 'needs', text, need: name})
  }
  return changes
}

/** An image build's definition, then each file of its context added, removed or changed. */
function diffBuild(before: BuildManifest | undefined, after: BuildManifest | undefined): KeyChange[] {
  if (before === undefined || after === undefined) return []
  const changes: KeyChange[] = []
  for (const field of ['context', 'dockerfile', 'args', 'target'] as const) {
    if (canonicalJson(before[field]) !== canonicalJson(after[field])) changes.push({area: 'image', text: `image build ${field}: ${show(before[field])} → ${show(after[field])}`})
  }
  const old = new Map(before.files.map((f) => [f.path, f]))
  const now = new Map(after.files.map((f) => [f.path, f]))
  for (const [file, entry] of now) {
    const was = old.get(file)
    if (was === undefined) changes.push({area: 'image', text: `image build context changed: ${file} added`, path: file})
    else if (was.sha256 !== entry.sha256 || was.mode !== entry.mode) changes.push({area: 'image', text: `image build context changed: ${file}`, path: file})
  }
  for (const file of old.keys()) if (!now.has(file)) changes.push({area: 'image', text: `image build context changed: ${file} removed`, path: file})
  return changes
}

/** `git HEAD changed (1a2b3c4d5e6f → 7a8b9c0d1e2f)`, `git tags changed`...: what a job with `git:` sees that moved. */
function diffGit(before: KeyManifest['git'], after: KeyManifest['git']): KeyChange[] {
  if (!before && !after) return []
  if (!before || !after) return [{area: 'git', text: `git: ${before ? 'removed' : 'added'}`}]
  const changes: KeyChange[] = []
  if (before.depth !== after.depth) changes.push({area: 'git', text: `git depth changed (${before.depth ?? 'all'} → ${after.depth ?? 'all'})`})
  if (before.head !== after.head) changes.push({area: 'git', text: `git HEAD changed (${before.head.slice(0, 12)} → ${after.head.slice(0, 12)})`})
  if (before.branch !== after.branch) changes.push({area: 'git', text: `git branch changed (${before.branch ?? 'detached'} → ${after.branch ?? 'detached'})`})
  if (before.status !== after.status) changes.push({area: 'git', text: 'git working tree state changed'})
  if (before.tags !== after.tags) changes.push({area: 'git', text: 'git tags changed'})
  return changes
}

const SERVICE_FIELDS = ['env', 'secrets', 'command', 'entrypoint', 'aliases', 'ready'] as const

function diffServices(before: Record<string, ServiceManifest>, after: Record<string, ServiceManifest>): KeyChange[] {
  const changes: KeyChange[] = []
  for (const service of union(Object.keys(before), Object.keys(after))) {
    const a = ownValue(before, service)
    const b = ownValue(after, service)
    const change = (text: string): number => changes.push({area: 'services', text: `service ${service}: ${text}`, service})
    if (!a) change(`added (${b!.image})`)
    else if (!b) change(`removed (was ${a.image})`)
    else {
      if (a.image !== b.image) change(`image ${show(a.image)} → ${show(b.image)}`)
      else if (a.imageId !== b.imageId) change(`${b.image} now resolves to ${short(b.imageId)} (was ${short(a.imageId)})`)
      const fields = SERVICE_FIELDS.filter((f) => canonicalJson(a[f]) !== canonicalJson(b[f]))
      if (fields.length > 0) change(`${fields.join(', ')} changed`)
    }
  }
  return changes
}

/** Where the job runs, and each host key command whose output (or presence) changed. */
function diffHost(before: KeyManifest, after: KeyManifest): KeyChange[] {
  if (before.host === undefined && after.host === undefined) return []
  if (before.host === undefined || after.host === undefined) {
    return [{area: 'definition', text: `runs-on: ${before.host ? 'host' : 'docker'} → ${after.host ? 'host' : 'docker'}`}]
  }
  const changes: KeyChange[] = []
  const old = new Map(before.host.key.map((k) => [k.command, k.output]))
  const now = new Map(after.host.key.map((k) => [k.command, k.output]))
  for (const command of union([...old.keys()], [...now.keys()])) {
    const a = old.get(command)
    const b = now.get(command)
    if (a === b) continue
    const text = a === undefined ? `key command ${show(command)} added` : b === undefined ? `key command ${show(command)} removed` : `${show(command)} printed ${show(b)} (was ${show(a)})`
    changes.push({area: 'host', text, command})
  }
  return changes
}

/** Said of a file whose hash changed kind: its bytes may be the same (named by git's id in one key only). */
function renamed(was: HashedInput, now: HashedInput): string {
  if ((was.git === undefined) === (now.git === undefined)) return ''
  return now.git === undefined ? ' (no longer named by its committed git object id: edited, or not committed)' : ' (now named by its committed git object id)'
}

function diffInputs(before: KeyManifest, after: KeyManifest): KeyChange[] {
  const changes: KeyChange[] = []
  const old = new Map(before.inputs.map((i) => [i.path, i]))
  const seen = new Set<string>()
  for (const input of after.inputs) {
    seen.add(input.path)
    const was = old.get(input.path)
    if (!was) changes.push({area: 'inputs', text: `added    ${input.path}`, path: input.path})
    else if (contentHash(was) !== contentHash(input)) changes.push({area: 'inputs', text: `changed  ${input.path}${renamed(was, input)}`, path: input.path})
    else if (was.mode !== input.mode) changes.push({area: 'inputs', text: `mode     ${input.path} (${was.mode} → ${input.mode})`, path: input.path})
  }
  for (const input of before.inputs) {
    if (!seen.has(input.path)) changes.push({area: 'inputs', text: `removed  ${input.path}`, path: input.path})
  }
  return changes.sort((a, b) => (a.path! < b.path! ? -1 : a.path! > b.path! ? 1 : 0))
}

/** A one-line reason for a miss, e.g. `2 inputs changed (src/a.ts, src/b.ts); env NODE_ENV`. */
export function summariseChanges(changes: KeyChange[]): string {
  if (changes.length === 0) return 'same key as last cached, but the entry is gone (pruned or cleared)'
  const parts: string[] = []
  const inputs = changes.filter((c) => c.area === 'inputs')
  if (inputs.length > 0) {
    const names = inputs.slice(0, 2).map((c) => c.path).join(', ')
    parts.push(`${inputs.length} input${inputs.length > 1 ? 's' : ''} changed (${names}${inputs.length > 2 ? ', …' : ''})`)
  }
  const env = changes.filter((c) => c.area === 'env')
  if (env.length > 0) parts.push(`env ${env.map((c) => c.text.split(/[: ]/)[0]).join(', ')}`)
  for (const area of ['image', 'definition', 'services', 'host', 'git', 'secrets', 'format'] as const) {
    const found = changes.filter((c) => c.area === area)
    if (found.length === 0) continue
    if (area === 'host') parts.push(`host key ${found.map((c) => show(c.command)).join(', ')} changed`)
    else if (area === 'git') parts.push(found.map((c) => c.text.replace(/ \(.*$/, '')).join(', '))
    else if (area === 'definition') parts.push(found.map((c) => c.text.split(':')[0]).join(', '))
    else if (area === 'services') parts.push(`service${found.length > 1 ? 's' : ''} ${[...new Set(found.map((c) => c.service))].join(', ')} changed`)
    else parts.push(`${area} changed`)
  }
  const needs = changes.filter((c) => c.area === 'needs')
  if (needs.length > 0) parts.push(`needs ${needs.map((c) => c.need).join(', ')} (key changed)`)
  return parts.join('; ')
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort()
}

function short(id: string | null | undefined): string {
  if (!id) return '(unknown)'
  const hex = id.replace(/^sha256:/, '')
  return `${id.startsWith('sha256:') ? 'sha256:' : ''}${hex.slice(0, 12)}`
}

function show(value: unknown): string {
  const text = value === null || value === undefined ? '(none)' : JSON.stringify(value)
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text
}
