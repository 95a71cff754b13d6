import type {KeyedJob, Restored} from '../cache/run-cache.js'
import type {EventBody} from '../records/events.js'

/**
 * The events of a cache hit, in the order of a job that ran: started (with its key), its recorded
 * output replayed (flagged so), its artifacts, finished as `cached` naming the run that produced it.
 */
export function replayHit(keyed: KeyedJob, restored: Restored, startedAt: number, emit: (body: EventBody) => void): void {
  const job = keyed.job.name
  emit({type: 'job.started', job, image: keyed.job.image, key: keyed.key, cache: 'hit', cachedFrom: restored.runId})
  for (const chunk of restored.output) {
    emit({type: 'step.output', job, step: chunk.step, stream: chunk.stream, text: chunk.text, replayed: true})
  }
  for (const a of restored.artifacts) emit({type: 'job.artifact', job, path: a.path, size: a.size, sha256: a.sha256})
  emit({type: 'job.finished', job, status: 'cached', durationMs: Date.now() - startedAt, cleanup: 'none', cachedFrom: restored.runId})
}
