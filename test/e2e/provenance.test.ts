import {createPrivateKey, generateKeyPairSync, sign} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import Ajv from 'ajv'
import {describe, expect, it} from 'vitest'

import {orca, projectsPerTest, readJson, runDirs, runProgram} from './cli.js'

type Provenance = {path: string; sha256: string; signed: boolean; keyId: string | null}
type JobRecord = {status: string; key: string | null; artifacts: {manifest: string; sha256: string} | null; cachedFrom: string | null}
type RunRecord = {id: string; status: string; jobs: Record<string, JobRecord>; provenance: Provenance | null}
type Envelope = {payload: string; payloadType: string; signatures: Array<{keyid?: string; sig: string}>}
type Subject = {name: string; digest: {sha256: string}; annotations: {job: string; key: string; cache: string; builtBy: string}}
type Statement = {_type: string; subject: Subject[]; predicateType: string; predicate: {buildDefinition: {externalParameters: {pipeline: string; targets: string[]}; resolvedDependencies: Array<{name: string; digest: {sha256: string}}>}; runDetails: {metadata: {invocationId: string}}}}
/** What the independent check (test/fixtures/attestation/verify-attestation.py) says. */
type PythonCheck = {signature: boolean; keyid: string; statement: string; predicateType: string; subjects: Array<{name: string; sha256: string}>}

const FIXTURES = join(import.meta.dirname, '../fixtures/attestation')
const project = projectsPerTest()

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    inputs: ["src/**"]
    network: none
    steps: ["mkdir -p out/bin && cat src/in.txt > out/result.txt && echo tool > out/bin/tool && chmod +x out/bin/tool && ln -s result.txt out/latest"]
    artifacts: ["out/**"]
  report:
    needs: [build]
    network: none
    steps: ["wc -c out/result.txt > size.txt"]
    artifacts: ["size.txt"]
  check:
    needs: [build]
    network: none
    steps: ["test -x out/bin/tool"]
`

async function keyPair(dir: string, name = 'orca'): Promise<{privateFile: string; publicFile: string}> {
  const made = await orca(['keys', 'generate', '--out', 'keys', '--name', name], {cwd: dir})
  expect(made.code, made.stderr).toBe(0)
  return {privateFile: join(dir, 'keys', `${name}.key`), publicFile: made.stdout.trim()}
}

async function run(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{record: RunRecord; dir: string}> {
  const result = await orca(['run', '--output', 'plain'], {cwd: dir, env})
  expect(result.code, result.stdout + result.stderr).toBe(0)
  const runDir = runDirs(dir).at(-1)!
  return {record: readJson<RunRecord>(join(runDir, 'run.json')), dir: runDir}
}

function envelopeOf(runDir: string): Envelope {
  const lines = readFileSync(join(runDir, 'provenance.intoto.jsonl'), 'utf8').split('\n').filter(Boolean)
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]!) as Envelope
}

function statementOf(envelope: Envelope): Statement {
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Statement
}

async function pythonCheck(envelopeFile: string, publicKey: string): Promise<PythonCheck> {
  const result = await runProgram('/usr/bin/python3', [join(FIXTURES, 'verify-attestation.py'), envelopeFile, publicKey], {cwd: FIXTURES})
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as PythonCheck
}

function dsseSchemaErrors(envelope: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(FIXTURES, 'dsse-envelope.schema.json'), 'utf8')) as Record<string, unknown>
  // Draft-04 by its header; what it uses (properties, type, items, $ref) reads the same in draft-07.
  delete schema.$schema
  const validate = new Ajv.default({allErrors: true, strict: false}).compile(schema)
  return validate(envelope) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

/** DSSE's pre-authentication encoding, written here from the protocol text to sign as another party would. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body])
}

async function verify(dir: string, ...args: string[]): Promise<{code: number | null; out: string}> {
  const result = await orca(['verify', 'latest', ...args], {cwd: dir})
  expect(result.stderr).not.toContain('    at ')
  return {code: result.code, out: result.stdout + result.stderr}
}

describe('orca keys generate', () => {
  it('writes an Ed25519 pair, the private key 0600, prints the public key path and never overwrites', async () => {
    const dir = project({})
    const {privateFile, publicFile} = await keyPair(dir)
    expect(publicFile).toBe(join(dir, 'keys/orca.pub'))
    expect(statSync(privateFile).mode & 0o777).toBe(0o600)
    expect(createPrivateKey(readFileSync(privateFile)).asymmetricKeyType).toBe('ed25519')
    expect(readFileSync(publicFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    const again = await orca(['keys', 'generate', '--out', 'keys'], {cwd: dir})
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`${privateFile} already exists`)
    expect(again.stderr).not.toContain('    at ')
  })
})

describe('signed provenance of a run (real engine)', () => {
  it('attests every job artifact manifest; the envelope and statement hold for the upstream schema, validators and an independent verifier', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    const keys = await keyPair(dir)
    const {record, dir: runDir} = await run(dir, {ORCA_SIGNING_KEY: 'keys/orca.key'})

    const envelope = envelopeOf(runDir)
    expect(record.provenance).toMatchObject({path: 'provenance.intoto.jsonl', signed: true})
    expect(dsseSchemaErrors(envelope)).toEqual([])
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json')

    const statement = statementOf(envelope)
    // One subject per job with artifacts (check has none), each its manifest with the digest run.json records.
    expect(statement.subject.map((s) => [s.name, s.digest.sha256, s.annotations.job, s.annotations.builtBy])).toEqual([
      ['artifacts/build.json', record.jobs.build!.artifacts!.sha256, 'build', record.id],
      ['artifacts/report.json', record.jobs.report!.artifacts!.sha256, 'report', record.id],
    ])
    expect(statement.predicate.buildDefinition.externalParameters).toEqual({pipeline: 'jobs.yml', targets: ['build', 'report', 'check']})
    expect(statement.predicate.buildDefinition.resolvedDependencies[0]).toMatchObject({name: 'jobs.yml', digest: {sha256: expect.stringMatching(/^[0-9a-f]{64}$/)}})
    expect(statement.predicate.runDetails.metadata.invocationId).toBe(record.id)

    const independent = await pythonCheck(join(runDir, 'provenance.intoto.jsonl'), keys.publicFile)
    expect(independent).toMatchObject({signature: true, statement: 'ok', predicateType: 'https://slsa.dev/provenance/v1'})
    // The key id is the SHA-256 of the public key's DER, as the verifier computes it on its own.
    expect(record.provenance!.keyId).toBe(independent.keyid)
    expect(envelope.signatures[0]!.keyid).toBe(independent.keyid)

    const verified = await verify(dir, '--key', keys.publicFile)
    expect(verified.code, verified.out).toBe(0)
    expect(verified.out).toMatch(/ok {3}signature: signed by key [0-9a-f]{16}/)
    expect(verified.out).toMatch(/ok {3}artifacts\/build\.json: 3 files in the run directory; cache entry [0-9a-f]{12} from run /)
    expect(verified.out).toContain('every check holds')

    // Another party's key, and no key at all.
    const other = await keyPair(dir, 'other')
    const wrongKey = await verify(dir, '--key', other.publicFile)
    expect(wrongKey.code).toBe(1)
    expect(wrongKey.out).toMatch(/FAIL signature: no signature verifies with key/)
    expect((await pythonCheck(join(runDir, 'provenance.intoto.jsonl'), other.publicFile)).signature).toBe(false)
    const noKey = await verify(dir)
    expect(noKey.code).toBe(2)
    expect(noKey.out).toContain('no public key was given')
    // The configured signing key verifies what it signed.
    writeFileSync(join(dir, 'orca.config.yml'), 'provenance: {signingKey: keys/orca.key}\n')
    expect((await verify(dir)).code).toBe(0)
  })

  it('fails on a flipped byte in an artifact, a changed subject, and a statement re-signed with another key', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    const keys = await keyPair(dir)
    const {dir: runDir} = await run(dir, {ORCA_SIGNING_KEY: 'keys/orca.key'})
    const file = join(runDir, 'provenance.intoto.jsonl')
    const original = readFileSync(file, 'utf8')
    const envelope = envelopeOf(runDir)

    // A subject's digest changed in the statement, the signature kept.
    const statement = statementOf(envelope)
    statement.subject[0]!.digest.sha256 = 'f'.repeat(64)
    const changedPayload = Buffer.from(JSON.stringify(statement))
    writeFileSync(file, JSON.stringify({...envelope, payload: changedPayload.toString('base64')}) + '\n')
    const changed = await verify(dir, '--key', keys.publicFile)
    expect(changed.code).toBe(1)
    expect(changed.out).toMatch(/FAIL signature/)
    expect(changed.out).toMatch(/FAIL artifacts\/build\.json: its digest is [0-9a-f]{16}…, the attestation says ffffffffffffffff…/)

    // The same statement re-signed by someone else: the team's key does not verify it.
    const forger = generateKeyPairSync('ed25519')
    const body = Buffer.from(envelope.payload, 'base64')
    const forged = {...envelope, signatures: [{keyid: envelope.signatures[0]!.keyid, sig: sign(null, pae(envelope.payloadType, body), forger.privateKey).toString('base64')}]}
    writeFileSync(file, JSON.stringify(forged) + '\n')
    const resigned = await verify(dir, '--key', keys.publicFile)
    expect(resigned.code).toBe(1)
    expect(resigned.out).toMatch(/FAIL signature: no signature verifies/)
    expect(resigned.out).toMatch(/ok {3}artifacts\/build\.json/)

    // The genuine attestation again, and one byte of an artifact flipped (through its read-only hard link).
    writeFileSync(file, original)
    expect((await verify(dir, '--key', keys.publicFile)).code).toBe(0)
    const artifact = join(runDir, 'artifacts/build/out/result.txt')
    chmodSync(artifact, 0o644)
    writeFileSync(artifact, 'inpuT\n')
    const flipped = await verify(dir, '--key', keys.publicFile)
    expect(flipped.code).toBe(1)
    expect(flipped.out).toMatch(/ok {3}signature/)
    expect(flipped.out).toMatch(/FAIL artifacts\/build\.json: out\/result\.txt does not match its digest/)
    expect(flipped.out).toMatch(/ok {3}artifacts\/report\.json/)
    expect(flipped.out).toContain('1 check(s) do not hold')
  })

  it('attests a cached rerun: the subjects are the cache entries, linked to the run that built them', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    const keys = await keyPair(dir)
    const first = await run(dir, {ORCA_SIGNING_KEY: 'keys/orca.key'})
    const cached = await run(dir, {ORCA_SIGNING_KEY: 'keys/orca.key'})
    expect(Object.values(cached.record.jobs).map((job) => job.status)).toEqual(['cached', 'cached', 'cached'])
    // A hit writes only the manifest into the run directory: the files are checked in the cache.
    expect(existsSync(join(cached.dir, 'artifacts/build'))).toBe(false)

    const statement = statementOf(envelopeOf(cached.dir))
    expect(statement.predicate.runDetails.metadata.invocationId).toBe(cached.record.id)
    expect(statement.subject.map((s) => [s.name, s.digest.sha256, s.annotations.cache, s.annotations.builtBy])).toEqual([
      ['artifacts/build.json', first.record.jobs.build!.artifacts!.sha256, 'hit', first.record.id],
      ['artifacts/report.json', first.record.jobs.report!.artifacts!.sha256, 'hit', first.record.id],
    ])
    expect(await pythonCheck(join(cached.dir, 'provenance.intoto.jsonl'), keys.publicFile)).toMatchObject({signature: true, statement: 'ok'})
    const verified = await verify(dir, '--key', keys.publicFile)
    expect(verified.code, verified.out).toBe(0)
    expect(verified.out).toMatch(new RegExp(`ok {3}artifacts/build\\.json: 3 files in the cache; cache entry [0-9a-f]{12} from run ${first.record.id}`))

    // Changed content in the cache is caught for the cached run too.
    const blob = join(first.dir, 'artifacts/build/out/result.txt')
    chmodSync(blob, 0o644)
    writeFileSync(blob, 'changed\n')
    const damaged = await verify(dir, '--key', keys.publicFile)
    expect(damaged.code).toBe(1)
    expect(damaged.out).toMatch(/FAIL artifacts\/build\.json: in the cache: out\/result\.txt: blob [0-9a-f]{64} is not a file of 6 bytes|FAIL artifacts\/build\.json: in the cache: out\/result\.txt: blob [0-9a-f]{64} does not match its digest/)
  })

  it('without a key the attestation is written unsigned and the record says so; verify does not pass it', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'src/in.txt': 'input\n'})
    const keys = await keyPair(dir)
    const {record, dir: runDir} = await run(dir)
    expect(record.provenance).toEqual({path: 'provenance.intoto.jsonl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), signed: false, keyId: null})
    expect(envelopeOf(runDir).signatures).toEqual([])
    expect(await pythonCheck(join(runDir, 'provenance.intoto.jsonl'), keys.publicFile)).toMatchObject({signature: false, statement: 'ok'})
    const unsigned = await verify(dir, '--key', keys.publicFile)
    expect(unsigned.code).toBe(1)
    expect(unsigned.out).toContain('FAIL signature: the attestation is not signed')
    const json = await orca(['verify', 'latest', '--key', keys.publicFile, '--json'], {cwd: dir})
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({
      run: record.id,
      ok: false,
      checks: [
        {what: 'signature', ok: false, message: 'the attestation is not signed (the run had no signing key)'},
        {what: 'statement', ok: true, message: `https://slsa.dev/provenance/v1 of run ${record.id}, 2 subjects`},
        {what: 'artifacts/build.json', ok: true, message: expect.stringMatching(/^3 files in the run directory; cache entry [0-9a-f]{12} from run /)},
        {what: 'artifacts/report.json', ok: true, message: expect.stringMatching(/^1 file in the run directory/)},
      ],
    })
  })

  it('a run without artifacts has nothing to attest; a key that cannot be read stops the run before it starts (exit 2)', async () => {
    const dir = project({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  lint:\n    network: none\n    steps: ["true"]\n'})
    const {record, dir: runDir} = await run(dir)
    expect(record.provenance).toBeNull()
    expect(existsSync(join(runDir, 'provenance.intoto.jsonl'))).toBe(false)
    const none = await verify(dir)
    expect(none.code).toBe(2)
    expect(none.out).toContain(`run ${record.id} has no attestation`)

    const missing = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_SIGNING_KEY: 'keys/absent.key'}})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read the signing key .*keys\/absent\.key: ENOENT/)
    expect(runDirs(dir)).toHaveLength(1)
    writeFileSync(join(dir, 'not-a-key.pem'), 'hello\n')
    const garbage = await orca(['verify', 'latest', '--key', 'not-a-key.pem'], {cwd: dir})
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toContain('not-a-key.pem is not a public key in PEM')
  })
})
