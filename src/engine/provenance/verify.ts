import {createHash, type KeyObject} from 'node:crypto'
import {closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync} from 'node:fs'
import * as path from 'node:path'

import {DamagedBlobError} from '../artifacts/blobs.js'
import {parseArtifactManifest, type ArtifactEntry} from '../artifacts/manifest.js'
import {isExecutable} from '../artifacts/materialise.js'
import {CacheStore, parseEntry} from '../cache/store.js'
import {OrcaError} from '../errors.js'
import {PROVENANCE_FILE} from './attest.js'
import {IN_TOTO_PAYLOAD_TYPE, isEnvelope, signedBy} from './dsse.js'
import {keyIdOf} from '../keys/ed25519.js'
import {SLSA_PROVENANCE_V1, STATEMENT_TYPE, type ResourceDescriptor, type Statement} from './statement.js'

/** One thing `orca verify` checked: the signature, the statement, or one subject. */
export interface VerifyCheck {
  what: string
  ok: boolean
  message: string
}

export interface VerifyInput {
  /** The run directory. */
  dir: string
  runId: string
  /** Public keys the signature may be made with; none for a signed envelope is a usage error. */
  keys: readonly KeyObject[]
  /** The cache a subject's entry is looked up in. */
  cacheDir: string
}

/** What a job's artifact manifest is called in the run directory: `artifacts/<job>.json`. */
const SUBJECT_NAME = /^artifacts\/([a-z0-9][a-z0-9_-]*)\.json$/
const SHA256 = /^[0-9a-f]{64}$/

/**
 * Checks a run's attestation: the envelope's signature by one of `keys`, the statement's types and
 * run, each subject's manifest against its digest, and each file the manifest lists against its digest
 * in the run directory, or in the cache entry the job came from. Every check is reported; nothing is changed.
 */
export function verifyRun(input: VerifyInput): VerifyCheck[] {
  const file = path.join(input.dir, PROVENANCE_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new OrcaError('usage', `run ${input.runId} has no attestation (${PROVENANCE_FILE})`, {
      hint: 'a run writes one when it finishes with artifacts to attest; a run without artifacts, still running, or recorded by an older orca has none',
    })
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  let envelope: unknown
  try {
    envelope = lines.length === 1 ? JSON.parse(lines[0]!) : undefined
  } catch {
    envelope = undefined
  }
  if (!isEnvelope(envelope)) return [{what: PROVENANCE_FILE, ok: false, message: 'is not one DSSE envelope'}]

  const checks: VerifyCheck[] = [signatureCheck(envelope, input.keys)]
  const statement = statementOf(envelope.payloadType, envelope.payload, input.runId)
  if (typeof statement === 'string') return [...checks, {what: 'statement', ok: false, message: statement}]
  checks.push({what: 'statement', ok: true, message: `${SLSA_PROVENANCE_V1} of run ${input.runId}, ${statement.subject.length} subject${statement.subject.length === 1 ? '' : 's'}`})
  const cache = new CacheStore(input.cacheDir)
  for (const subject of statement.subject) checks.push(subjectCheck(subject, input.dir, cache))
  return checks
}

function signatureCheck(envelope: Parameters<typeof signedBy>[0], keys: readonly KeyObject[]): VerifyCheck {
  if (envelope.signatures.length === 0) return {what: 'signature', ok: false, message: 'the attestation is not signed (the run had no signing key)'}
  if (keys.length === 0) {
    throw new OrcaError('usage', 'the attestation is signed, and no public key was given to check it with', {hint: 'give the signer\'s public key with --key PUB, or set provenance.signingKey (or ORCA_SIGNING_KEY)'})
  }
  const by = signedBy(envelope, keys)
  if (by !== undefined) return {what: 'signature', ok: true, message: `signed by key ${by.slice(0, 16)}`}
  const named = envelope.signatures.map((s) => (s.keyid ? s.keyid.slice(0, 16) : '(no key id)')).join(', ')
  return {what: 'signature', ok: false, message: `no signature verifies with key ${keys.map((k) => keyIdOf(k).slice(0, 16)).join(', ')} (signed by ${named})`}
}

/** The statement in the payload, or why it is not one of this run. */
function statementOf(payloadType: string, payload: string, runId: string): Statement | string {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return `the payload type is ${JSON.stringify(payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`
  let statement: Statement
  try {
    statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Statement
  } catch {
    return 'the payload is not JSON'
  }
  if (statement?._type !== STATEMENT_TYPE) return `not an in-toto Statement v1 (_type ${JSON.stringify(statement?._type)})`
  if (statement.predicateType !== SLSA_PROVENANCE_V1) return `the predicate is ${JSON.stringify(statement.predicateType)}, not SLSA Provenance v1`
  const invocation = statement.predicate?.runDetails?.metadata?.invocationId
  if (invocation !== runId) return `the attestation is of run ${JSON.stringify(invocation)}, not of ${runId}`
  if (!Array.isArray(statement.subject)) return 'it has no subject list'
  return statement
}

/** A subject: its manifest in the run directory against its digest, then every file the manifest lists. */
function subjectCheck(subject: ResourceDescriptor, dir: string, cache: CacheStore): VerifyCheck {
  const name = typeof subject?.name === 'string' ? subject.name : '(unnamed)'
  const fail = (message: string): VerifyCheck => ({what: name, ok: false, message})
  const job = SUBJECT_NAME.exec(name)?.[1]
  const digest = subject?.digest?.sha256
  if (job === undefined) return fail('is not a job artifact manifest of the run directory')
  if (typeof digest !== 'string' || !SHA256.test(digest)) return fail('has no sha256 digest')
  let manifest: Buffer
  try {
    manifest = readRegular(path.join(dir, name))
  } catch (error) {
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const actual = sha256(manifest)
  if (actual !== digest) return fail(`its digest is ${actual.slice(0, 16)}…, the attestation says ${digest.slice(0, 16)}…`)
  let entries: ArtifactEntry[]
  try {
    entries = parseArtifactManifest(manifest.toString('utf8'))
  } catch (error) {
    return fail(`is not an artifact manifest: ${(error as Error).message}`)
  }
  const annotations = subject.annotations ?? {}
  const key = typeof annotations.key === 'string' && SHA256.test(annotations.key) ? annotations.key : undefined
  const builtBy = typeof annotations.builtBy === 'string' ? annotations.builtBy : undefined
  const filesDir = path.join(dir, 'artifacts', job)
  const inRun = exists(filesDir)
  const entry = key === undefined ? undefined : cacheEntry(cache, key)
  const notes: string[] = []
  if (entry !== undefined) {
    if (entry.artifacts.manifest.sha256 !== digest) return fail(`the cache entry ${key!.slice(0, 12)} lists other artifacts (manifest ${entry.artifacts.manifest.sha256.slice(0, 16)}…)`)
    if (builtBy !== undefined && entry.runId !== builtBy) return fail(`the cache entry was built by run ${entry.runId}, the attestation says ${builtBy}`)
    notes.push(`cache entry ${key!.slice(0, 12)} from run ${entry.runId}`)
  }
  if (inRun) {
    const problem = firstProblem(entries, (entry) => fileProblem(filesDir, entry))
    if (problem !== undefined) return fail(problem)
    notes.unshift(`${entries.length} file${entries.length === 1 ? '' : 's'} in the run directory`)
  }
  if (entry !== undefined) {
    const problem = firstProblem(entries, (file) => blobProblem(cache, file))
    if (problem !== undefined) return fail(`in the cache: ${problem}`)
    if (!inRun) notes.unshift(`${entries.length} file${entries.length === 1 ? '' : 's'} in the cache`)
  }
  if (!inRun && entry === undefined) {
    return entries.length === 0 ? {what: name, ok: true, message: 'no files'} : fail('its files are neither in the run directory nor in the cache')
  }
  return {what: name, ok: true, message: notes.join('; ')}
}

function firstProblem(entries: readonly ArtifactEntry[], check: (entry: ArtifactEntry) => string | undefined): string | undefined {
  for (const entry of entries) {
    const problem = check(entry)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** Why a listed artifact in the run directory is not what the manifest says; never follows a link. */
function fileProblem(dir: string, entry: ArtifactEntry): string | undefined {
  const file = path.join(dir, ...entry.path.split('/'))
  try {
    if (entry.type === 'symlink') {
      if (!lstatSync(file).isSymbolicLink()) return `${entry.path} is not the link the manifest lists`
      return readlinkSync(file) === entry.target ? undefined : `${entry.path} points elsewhere than the manifest says`
    }
    const actual = sha256(readRegular(file))
    return actual === entry.sha256 ? undefined : `${entry.path} does not match its digest (${actual.slice(0, 16)}…, listed ${entry.sha256.slice(0, 16)}…)`
  } catch (error) {
    return `${entry.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
  }
}

function blobProblem(cache: CacheStore, entry: ArtifactEntry): string | undefined {
  if (entry.type !== 'file') return undefined
  try {
    cache.blobs.verify(entry, isExecutable(entry.mode))
    return undefined
  } catch (error) {
    if (error instanceof DamagedBlobError) return `${entry.path}: ${error.message}`
    throw error
  }
}

/** The cache's entry under `key`, read as stored (never removed, whatever its signature). */
function cacheEntry(cache: CacheStore, key: string): ReturnType<typeof parseEntry> {
  const text = cache.readManifestFile(key)
  return text === undefined ? undefined : parseEntry(text, key)
}

function readRegular(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a file'), {code: 'EISDIR'})
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}

function exists(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory()
  } catch {
    return false
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
