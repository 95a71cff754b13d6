import type {KeyedJob, Restored} from '../cache/run-cache.js'
import {runsOnHost} from '../pipeline/types.js'
import type {EventBody} from '../records/events.js'

/**
 * The events of a cache hit, in the order of a job that ran: started (with its key), the warnings it
 * had, its recorded output replayed (flagged so), its artifacts' summary, finished as `cached` naming
 * the run that produced it; its outputs and reports come before its artifacts. `manifest` names the
 * artifact manifest in the run directory, when the job has artifacts.
 */
export function replayHit(keyed: KeyedJob, restored: Restored, startedAt: number, emit: (body: EventBody) => void, manifest?: string): void {
  const job = keyed.job.name
  emit({type: 'job.started', job, image: keyed.job.image, key: keyed.key, cache: 'hit', cachedFrom: restored.runId, ...(keyed.source === 'remote' ? {cacheSource: 'remote' as const} : {}), ...(runsOnHost(keyed.job) ? {executor: 'host' as const} : {})})
  for (const warning of restored.warnings) emit({type: 'job.warning', job, ...warning})
  for (const chunk of restored.output) {
    emit({type: 'step.output', job, step: chunk.step, stream: chunk.stream, text: chunk.text, replayed: true})
  }
  if (restored.outputs) emit({type: 'job.outputs', job, outputs: restored.outputs})
  if (restored.reports) emit({type: 'job.reports', job, junit: restored.reports})
  if (manifest !== undefined) emit({type: 'job.artifacts', job, ...restored.artifacts, manifest})
  emit({type: 'job.finished', job, status: 'cached', durationMs: Date.now() - startedAt, cleanup: 'none', cachedFrom: restored.runId})
}
