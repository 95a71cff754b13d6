import {createHash} from 'node:crypto'
import * as path from 'node:path'

import {replaceFile} from '../atomic-file.js'
import type {ProvenanceSummary} from '../records/events.js'
import type {RunRecord} from '../records/record.js'
import {envelopeOf, IN_TOTO_PAYLOAD_TYPE} from './dsse.js'
import type {SigningKey} from '../keys/ed25519.js'
import {buildStatement, type AttestedJob} from './statement.js'

/** The run's attestation in its directory: one DSSE envelope a line, as SLSA tooling reads `*.intoto.jsonl`. */
export const PROVENANCE_FILE = 'provenance.intoto.jsonl'

export interface AttestInput {
  dir: string
  /** The run's record as folded so far: every job settled. */
  record: RunRecord
  projectDir: string
  /** The pipeline file (absolute) and its SHA-256 when the run started. */
  pipeline: {file: string; sha256: string}
  includes: ReadonlyArray<{file: string; sha256: string}>
  orcaVersion: string
  finishedOn: string
  key?: SigningKey
  /** The image ID a job's key was computed with, for a job that did not run (a cache hit); null when it has none. */
  imageIdOf: (job: string) => Promise<string | null>
}

/**
 * Writes the run's provenance (whole or not at all: temp file and rename) and says what it wrote;
 * undefined for a run that produced no artifacts (an in-toto statement needs at least one subject).
 */
export async function attestRun(input: AttestInput): Promise<ProvenanceSummary | undefined> {
  const jobs: AttestedJob[] = []
  for (const [name, job] of Object.entries(input.record.jobs)) {
    const imageId = job.imageId ?? (job.status === 'cached' ? await input.imageIdOf(name) : null)
    jobs.push({
      name,
      status: job.status,
      key: job.key,
      cache: job.cache,
      image: job.image,
      imageId,
      builtBy: job.status === 'cached' && job.cachedFrom !== null ? job.cachedFrom : input.record.id,
      manifest: job.artifacts?.manifest && job.artifacts.sha256 ? {path: job.artifacts.manifest, sha256: job.artifacts.sha256} : null,
    })
  }
  if (jobs.every((job) => job.manifest === null)) return undefined
  const relative = (file: string) => path.relative(input.projectDir, file).split(path.sep).join('/')
  const statement = buildStatement({
    runId: input.record.id,
    orcaVersion: input.orcaVersion,
    pipeline: {path: relative(input.pipeline.file), sha256: input.pipeline.sha256},
    includes: input.includes.map((file) => ({path: relative(file.file), sha256: file.sha256})),
    targets: input.record.targets,
    startedOn: input.record.startedAt,
    finishedOn: input.finishedOn,
    jobs,
  })
  const envelope = envelopeOf(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, input.key)
  const text = JSON.stringify(envelope) + '\n'
  replaceFile(path.join(input.dir, PROVENANCE_FILE), text)
  return {
    path: PROVENANCE_FILE,
    sha256: createHash('sha256').update(text).digest('hex'),
    signed: input.key !== undefined,
    keyId: input.key?.keyId ?? null,
  }
}
