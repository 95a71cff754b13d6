import {loadPipeline} from '../pipeline/load.js'
import type {PipelineDefaults} from '../pipeline/types.js'
import type {RunRecord} from '../records/record.js'

/** What each job of a run needed, for drawing its pipeline graph. */
export interface RunGraph {
  /** The jobs each job of the run waited for, by job; only jobs of the run. */
  needs: Record<string, string[]>
  /** False when the jobs file could not be read as it was (gone, or no longer valid): no edges then. */
  fromFile: boolean
}

/**
 * The needs of a run's jobs, read from its jobs file as it is now (a run record keeps states, not
 * the pipeline's shape): a job the file no longer has, or needs the run did not have, are left out.
 */
export async function runGraph(record: RunRecord, defaults: PipelineDefaults): Promise<RunGraph> {
  const needs: Record<string, string[]> = {}
  for (const name of Object.keys(record.jobs)) needs[name] = []
  if (record.file === null) return {needs, fromFile: false}
  const pipeline = await loadPipeline(record.file, {defaults}).catch(() => undefined)
  if (pipeline === undefined) return {needs, fromFile: false}
  for (const name of Object.keys(needs)) {
    const job = pipeline.jobs.get(name)
    if (job !== undefined) needs[name] = job.needs.filter((need) => Object.hasOwn(needs, need))
  }
  return {needs, fromFile: true}
}
