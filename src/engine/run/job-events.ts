import type {ArtifactEntry} from '../artifacts/manifest.js'
import type {OutputChunk} from '../cache/store.js'
import type {ExecutorEvent} from '../executor/types.js'
import type {JobWarning} from '../executor/types.js'
import type {JunitReports} from '../records/events.js'
import {maskDeep, type RunEmitter} from './emitter.js'
import {StepOutput, type OutputBudget} from './output.js'

/** What a running job leaves for the cache: its recorded output, its warnings and the image ID it ran in. */
export interface JobRecording {
  output: OutputChunk[]
  warnings: JobWarning[]
  imageId?: string
  /** The job's outputs as handed on (declared names, no secrets). */
  outputs?: Record<string, string>
  /** The job's JUnit reports as told, and their files (content in the blob store). */
  reports?: {junit: JunitReports; files: ArtifactEntry[]}
}

/**
 * Turns one job's executor events into run events: step output masked per stream and capped by the
 * job's budget (and kept in `record` when `recordOutput`), the rest stamped with the job's name (and
 * with its attempt from a retry's second on).
 */
export function relayJobEvents(
  job: string,
  emitter: RunEmitter,
  budget: OutputBudget,
  record: JobRecording,
  recordOutput: boolean,
  attempt = 1,
): (e: ExecutorEvent) => void {
  const stamp = attempt > 1 ? {attempt} : {}
  const outputs = new Map<number, StepOutput>()
  const outputOf = (step: number): StepOutput => {
    let output = outputs.get(step)
    if (!output) {
      output = new StepOutput(emitter.secrets, (stream, all) => {
        const text = budget.take(all)
        if (!text) return
        if (recordOutput) record.output.push({step, stream, text})
        emitter.emit({type: 'step.output', job, step, stream, text, ...stamp})
      })
      outputs.set(step, output)
    }
    return output
  }
  return (e) => {
    switch (e.type) {
      case 'step.output':
        return outputOf(e.step).write(e.stream, e.chunk)
      case 'step.finished':
        outputs.get(e.result.index)?.end()
        outputs.delete(e.result.index)
        return emitter.emit({type: 'step.finished', job, ...e.result, ...stamp})
      case 'job.warning':
        // Kept with the cache entry (replayed on hits): masked like the event is.
        record.warnings.push(emitter.secrets.length > 0 ? maskDeep(e.warning, emitter.secrets) : e.warning)
        return emitter.emit({type: 'job.warning', job, ...e.warning})
      case 'job.container':
        record.imageId ??= e.imageId
        return emitter.emit({...e, job, ...stamp})
      case 'step.started':
        return emitter.emit({...e, job, ...stamp})
      default:
        return emitter.emit({...e, job})
    }
  }
}
