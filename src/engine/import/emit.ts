import {isMap, isScalar, isSeq, Document, YAMLSeq} from 'yaml'
import type {Pair, Scalar, YAMLMap} from 'yaml'

import {ConfigError, type Diagnostic} from '../errors.js'
import {parsePipeline} from '../pipeline/parse.js'

/** One job of the jobs.yml being written, with the comments that go with it. */
export interface OutJob {
  /** The job's keys in the order a person would write them. */
  data: Record<string, unknown>
  /** Comment lines above the job: the original's, then notes on what did not come over. */
  comments: string[]
  /** Comment lines above a step (by index; the steps' count for after the last). */
  stepComments: Map<number, string[]>
}

export interface OutPipeline {
  header: string[]
  top: Record<string, unknown>
  jobs: Map<string, OutJob>
}

export const newJob = (): OutJob => ({data: {}, comments: [], stepComments: new Map()})

const KEY_ORDER = ['name', 'extends', 'runs-on', 'host', 'image', 'pull', 'platform', 'user', 'matrix', 'id', 'max-parallel', 'needs', 'when', 'if', 'git', 'docker', 'services', 'env', 'pass_env', 'secrets', 'shell', 'timeout', 'retry', 'volumes', 'steps', 'artifacts', 'reports', 'outputs']

// A multi-line command ends with its newline, so it is written `|` as people write it, not `|-`.
const endLine = (run: string): string => (run.includes('\n') && !run.endsWith('\n') ? `${run}\n` : run)

function ordered(data: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(data.steps)) {
    data.steps = data.steps.map((step: unknown) => {
      if (typeof step === 'string') return endLine(step)
      if (step !== null && typeof step === 'object' && typeof (step as {run?: unknown}).run === 'string') return {...step, run: endLine((step as {run: string}).run)}
      return step
    })
  }
  const out: Record<string, unknown> = {}
  for (const key of KEY_ORDER) if (data[key] !== undefined) out[key] = data[key]
  for (const [key, value] of Object.entries(data)) if (out[key] === undefined && value !== undefined) out[key] = value
  return out
}

const asComment = (lines: string[]): string => lines.map((line) => (line === '' ? '' : ` ${line}`)).join('\n')

/** Short lists of plain values on one line (`needs: [build, lint]`), as people write them. */
function flowShortLists(node: unknown): void {
  if (isSeq(node)) {
    const scalars = node.items.every((item) => isScalar(item) && typeof item.value !== 'string' || (isScalar(item) && !String(item.value).includes('\n')))
    const width = node.items.reduce((sum: number, item) => sum + String((item as Scalar).value ?? '').length + 2, 0)
    const commented = node.comment || node.items.some((i) => isScalar(i) && (i.commentBefore || i.comment))
    if (scalars && !commented && node.items.length > 0 && width <= 60 && !node.items.some((i) => isScalar(i) && /[#,[\]{}]|^\s|\s$|^$/.test(String(i.value)))) node.flow = true
    for (const item of node.items) flowShortLists(item)
  } else if (isMap(node)) {
    for (const pair of node.items) flowShortLists(pair.value)
  }
}

/** Blocks worth an anchor when written again: a person writes them once (`&name`) and refers to them (`*name`). */
const SHARED_KEYS = new Set(['services', 'env', 'volumes', 'matrix'])
const SHARED_MIN_LENGTH = 40

/** A repeated env, services, volumes or matrix block becomes an alias of its first writing, anchored by job and key. */
function shareRepeats(doc: Document, jobs: YAMLMap): void {
  const first = new Map<string, {node: YAMLMap; name: string}>()
  const visit = (map: YAMLMap, where: string): void => {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : ''
      if (!isMap(pair.value)) continue
      const value = pair.value
      const text = JSON.stringify(value.toJSON())
      if (SHARED_KEYS.has(key) && text.length >= SHARED_MIN_LENGTH) {
        const seen = first.get(`${key}\0${text}`)
        if (seen) {
          seen.node.anchor ??= seen.name
          pair.value = doc.createAlias(seen.node, seen.name)
          continue
        }
        first.set(`${key}\0${text}`, {node: value, name: `${where}-${key}`})
      }
      visit(value, key === 'services' || where === '' ? `${where}${where ? '-' : ''}${key}` : where)
    }
  }
  for (const pair of jobs.items) if (isMap(pair.value)) visit(pair.value, String((pair.key as Scalar).value))
}

/** One top-level image instead of the same image on every job (jobs.yml's default, as a person writes it). */
export function liftCommonImage(pipeline: OutPipeline): void {
  if (pipeline.top.image !== undefined || pipeline.jobs.size < 2) return
  const images = new Set([...pipeline.jobs.values()].filter((job) => job.data['runs-on'] === undefined && job.data.steps !== undefined).map((job) => job.data.image))
  const [image] = images
  if (images.size !== 1 || typeof image !== 'string' || image.includes('${{')) return
  pipeline.top = {image, ...pipeline.top}
  for (const job of pipeline.jobs.values()) if (job.data.image === image) delete job.data.image
}

/** The jobs.yml text: a header of comments, top-level keys, then each job with its comments. */
export function renderPipeline(pipeline: OutPipeline): string {
  const doc = new Document({version: 1, ...pipeline.top, jobs: {}})
  const jobsNode = doc.get('jobs') as YAMLMap
  for (const [name, job] of pipeline.jobs) {
    const value = doc.createNode(ordered(job.data)) as YAMLMap
    const steps = value.get('steps', true)
    if (steps instanceof YAMLSeq) {
      for (const [index, lines] of job.stepComments) {
        const item = steps.items[index] as Scalar | YAMLMap | undefined
        if (item) item.commentBefore = asComment(lines)
        else steps.comment = asComment(lines)
      }
    } else if (job.stepComments.size > 0) {
      job.comments.push(...[...job.stepComments.values()].flat())
    }
    const pair = doc.createPair(name, value) as Pair<Scalar, YAMLMap>
    if (job.comments.length > 0) pair.key.commentBefore = asComment(job.comments)
    jobsNode.items.push(pair)
  }
  shareRepeats(doc, jobsNode)
  flowShortLists(doc.contents)
  if (pipeline.header.length > 0) doc.commentBefore = asComment(pipeline.header)
  return doc.toString({lineWidth: 0, blockQuote: 'literal', flowCollectionPadding: false})
}

/** The problems orca finds in the written file (none when it validates), as `orca validate` would list them. */
export function validateOutput(text: string, absFile: string): Diagnostic[] {
  try {
    parsePipeline(text, 'jobs.yml', absFile, {timeoutMs: 30 * 60_000, cleanup: 'always_remove'})
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics
    throw error
  }
}
