import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import * as path from 'node:path'

import {OrcaError} from '../engine/errors.js'
import {jobRecordOf, type RunRecord} from '../engine/records/record.js'
import type {Redactor} from './redact.js'
import {needsLogTail} from './run-summary.js'
import {readTextWindow, type TextWindow, type WindowRequest} from './text-window.js'

const JOB_NAME = /^[a-z0-9][a-z0-9_-]*$/

/** Lines and bytes of a failed job's log shown in a run's summary. */
const SUMMARY_TAIL = {tailLines: 20, maxBytes: 4096}
/** Failed jobs whose tails a summary shows at most. */
const SUMMARY_TAILS = 3

/** A window of `logs/<job>.log` of a run; a job that printed nothing yet has an empty log. */
export async function readJobLog(runDirectory: string, record: RunRecord, job: string, request: WindowRequest, redactor: Redactor): Promise<TextWindow> {
  if (jobRecordOf(record, job) === undefined || !JOB_NAME.test(job)) {
    throw new OrcaError('usage', `run ${record.id} has no job ${JSON.stringify(job)}`, {hint: `its jobs: ${Object.keys(record.jobs).join(', ') || 'none'}`})
  }
  let file
  try {
    file = await open(path.join(runDirectory, 'logs', `${job}.log`), constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {text: '', offset: 0, end: 0, totalBytes: 0}
    throw new OrcaError('infra', `cannot read the log of ${job} in run ${record.id}: ${(error as Error).message}`, {cause: error})
  }
  try {
    return await readTextWindow(file, (await file.stat()).size, request, redactor)
  } finally {
    await file.close()
  }
}

/** The last lines of the logs of the first few jobs that failed or timed out, for a run's summary. */
export async function failedLogTails(runDirectory: string, record: RunRecord, redactor: Redactor): Promise<Map<string, string>> {
  const tails = new Map<string, string>()
  for (const [job, jobRecord] of Object.entries(record.jobs)) {
    if (tails.size === SUMMARY_TAILS) break
    if (!needsLogTail(jobRecord)) continue
    const window = await readJobLog(runDirectory, record, job, SUMMARY_TAIL, redactor).catch(() => undefined)
    if (window !== undefined && window.text !== '') tails.set(job, window.text)
  }
  return tails
}
