import {createHash, generateKeyPairSync} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {serialiseArtifactManifest, type ArtifactEntry} from '../../../src/engine/artifacts/manifest.js'
import type {OrcaError} from '../../../src/engine/errors.js'
import {keyIdOf, type SigningKey} from '../../../src/engine/keys/ed25519.js'
import {attestRun, PROVENANCE_FILE} from '../../../src/engine/provenance/attest.js'
import {envelopeOf, IN_TOTO_PAYLOAD_TYPE, type Envelope} from '../../../src/engine/provenance/dsse.js'
import type {Statement} from '../../../src/engine/provenance/statement.js'
import {verifyRun} from '../../../src/engine/provenance/verify.js'
import {emptyRunRecord, pendingJobRecord, type RunRecord} from '../../../src/engine/records/record.js'

const RUN = '20261129T160000000Z-abcdef'
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function newKey(): SigningKey {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  return {privateKey, publicKey, keyId: keyIdOf(publicKey)}
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** A run directory as a run leaves it: build's files and manifest, the pipeline file, an attestation. */
async function attestedRun(key: SigningKey): Promise<{root: string; dir: string}> {
  const root = mkdtempSync(join(tmpdir(), 'orca-verify-'))
  dirs.push(root)
  const dir = join(root, 'runs', RUN)
  const files: Record<string, string> = {'dist/app.js': 'console.log(1)\n', 'dist/lib/util.js': 'export {}\n'}
  const entries: ArtifactEntry[] = Object.entries(files).map(([path, text]) => ({path, type: 'file', mode: 0o644, size: Buffer.byteLength(text), sha256: sha(text)}))
  entries.push({path: 'dist/latest.js', type: 'symlink', target: 'app.js'})
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'artifacts/build', path, '..'), {recursive: true})
    writeFileSync(join(dir, 'artifacts/build', path), text)
  }
  symlinkSync('app.js', join(dir, 'artifacts/build/dist/latest.js'))
  const manifest = serialiseArtifactManifest(entries.sort((a, b) => a.path.localeCompare(b.path)))
  writeFileSync(join(dir, 'artifacts/build.json'), manifest)
  writeFileSync(join(root, 'jobs.yml'), 'version: 1\n')
  const record: RunRecord = {
    ...emptyRunRecord(RUN, '2026-11-29T16:00:00.000Z'),
    targets: ['build'],
    jobs: {build: {...pendingJobRecord(), status: 'succeeded', key: 'a'.repeat(64), cache: 'disabled', image: 'busybox:1.36', imageId: 'sha256:' + '1'.repeat(64), artifacts: {count: 3, bytes: 25, manifest: 'artifacts/build.json', sha256: sha(manifest)}}},
  }
  const written = await attestRun({dir, record, projectDir: root, pipeline: {file: join(root, 'jobs.yml'), sha256: sha('version: 1\n')}, includes: [], orcaVersion: '0.0.0', finishedOn: '2026-11-29T16:01:00.000Z', key, imageIdOf: async () => null})
  expect(written).toMatchObject({path: PROVENANCE_FILE, signed: true, keyId: key.keyId})
  return {root, dir}
}

function resign(dir: string, key: SigningKey, change: (statement: Statement) => void): void {
  const envelope = JSON.parse(readFileSync(join(dir, PROVENANCE_FILE), 'utf8')) as Envelope
  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Statement
  change(statement)
  writeFileSync(join(dir, PROVENANCE_FILE), JSON.stringify(envelopeOf(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, key)) + '\n')
}

const failures = (checks: ReturnType<typeof verifyRun>) => checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.message}`)

describe('verifyRun', () => {
  it('holds for the files the run left, links included', async () => {
    const key = newKey()
    const {root, dir} = await attestedRun(key)
    const checks = verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')})
    expect(checks).toEqual([
      {what: 'signature', ok: true, message: `signed by key ${key.keyId.slice(0, 16)}`},
      {what: 'statement', ok: true, message: `https://slsa.dev/provenance/v1 of run ${RUN}, 1 subject`},
      {what: 'artifacts/build.json', ok: true, message: '3 files in the run directory'},
    ])
  })

  it('never reads outside the run directory: a subject naming another path is refused, even when signed', async () => {
    const key = newKey()
    const {root, dir} = await attestedRun(key)
    writeFileSync(join(root, 'outside.json'), '{}')
    resign(dir, key, (statement) => statement.subject.push({name: '../../outside.json', digest: {sha256: sha('{}')}}))
    expect(failures(verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')}))).toEqual(['../../outside.json: is not a job artifact manifest of the run directory'])
  })

  it('never follows a link put in place of a listed file, and reports a link that points elsewhere', async () => {
    const key = newKey()
    const {root, dir} = await attestedRun(key)
    const app = join(dir, 'artifacts/build/dist/app.js')
    writeFileSync(join(root, 'same.js'), readFileSync(app))
    rmSync(app)
    symlinkSync(join(root, 'same.js'), app)
    expect(failures(verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')}))).toEqual(['artifacts/build.json: dist/app.js cannot be read (ELOOP)'])
    rmSync(app)
    writeFileSync(app, readFileSync(join(root, 'same.js')))
    rmSync(join(dir, 'artifacts/build/dist/latest.js'))
    symlinkSync('lib/util.js', join(dir, 'artifacts/build/dist/latest.js'))
    expect(failures(verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')}))).toEqual(['artifacts/build.json: dist/latest.js points elsewhere than the manifest says'])
  })

  it('refuses an attestation of another run, another predicate, or something that is not an envelope', async () => {
    const key = newKey()
    const {root, dir} = await attestedRun(key)
    const check = () => failures(verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')}))
    resign(dir, key, (statement) => (statement.predicate.runDetails.metadata.invocationId = 'another-run'))
    expect(check()).toEqual([`statement: the attestation is of run "another-run", not of ${RUN}`])
    resign(dir, key, (statement) => ((statement as {predicateType: string}).predicateType = 'https://slsa.dev/provenance/v0.2'))
    expect(check()).toEqual(['statement: the predicate is "https://slsa.dev/provenance/v0.2", not SLSA Provenance v1'])
    writeFileSync(join(dir, PROVENANCE_FILE), 'not json\n')
    expect(check()).toEqual([`${PROVENANCE_FILE}: is not one DSSE envelope`])
  })

  it('is a usage error without an attestation, or for a signed one and no key', async () => {
    const key = newKey()
    const {root, dir} = await attestedRun(key)
    const usage = (run: () => unknown): string => {
      try {
        run()
      } catch (error) {
        expect((error as OrcaError).exitCode).toBe(2)
        return (error as Error).message
      }
      throw new Error('expected a usage error')
    }
    expect(usage(() => verifyRun({dir, runId: RUN, keys: [], cacheDir: join(root, 'cache')}))).toBe('the attestation is signed, and no public key was given to check it with')
    rmSync(join(dir, PROVENANCE_FILE))
    expect(usage(() => verifyRun({dir, runId: RUN, keys: [key.publicKey], cacheDir: join(root, 'cache')}))).toBe(`run ${RUN} has no attestation (${PROVENANCE_FILE})`)
  })
})
