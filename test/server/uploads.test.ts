import {createHash} from 'node:crypto'
import {existsSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {pack} from 'tar-stream'
import {describe, expect, it} from 'vitest'

import {createClient, OrcaApiError, type OrcaClient, type OrcaEvent} from '../../src/client/index.js'
import {raw, serversPerTest, type TestServer} from './server-helpers.js'

// Runs of a client's working tree, through the typed client against a real server. Group-only
// pipelines: the real engine runs them without containers.

const serve = serversPerTest()
const TOKEN = 'a-token-for-uploads'

const sha = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** A tar of entries named as given (by default each by its digest). */
async function tarOf(entries: Array<{name?: string; body: string}>): Promise<Buffer> {
  const archive = pack()
  for (const entry of entries) archive.entry({name: entry.name ?? sha(entry.body)}, entry.body)
  archive.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A tree manifest (the artifact manifest's format) of these files, and its bytes. */
function treeOf(files: Record<string, string>, extra: Record<string, unknown> = {}): {digest: string; text: string} {
  const entries = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, body]) => ({path, type: 'file', mode: 0o644, size: Buffer.byteLength(body), sha256: sha(body)}))
  const text = JSON.stringify({format: 1, files: entries, ...extra})
  return {digest: sha(text), text}
}

/** Uploads what the server lacks of the tree, as the remote CLI does. */
async function upload(client: OrcaClient, files: Record<string, string>, tree: {digest: string; text: string}): Promise<string[]> {
  const bodies = new Map([[tree.digest, tree.text], ...Object.values(files).map((body) => [sha(body), body] as [string, string])])
  const missing = await client.missingUploads([...bodies.keys()])
  if (missing.length > 0) await client.uploadBlobs(await tarOf(missing.map((digest) => ({body: bodies.get(digest)!}))))
  return missing
}

async function eventsOf(client: OrcaClient, id: string): Promise<OrcaEvent[]> {
  const events: OrcaEvent[] = []
  for await (const event of client.events(id)) events.push(event)
  return events
}

async function server(): Promise<{s: TestServer; client: OrcaClient}> {
  // The served project's own pipeline is not the one the trees run.
  const s = await serve({'jobs.yml': 'version: 1\nimage: busybox:1.36\njobs:\n  served-only: {}\n', 'orca.config.yml': TREES_ALLOWED}, {token: TOKEN})
  return {s, client: createClient({baseUrl: s.url, token: TOKEN})}
}

const TREES_ALLOWED = 'serve:\n  workingTrees: true\n'

const TREE_PIPELINE = 'version: 1\nimage: busybox:1.36\njobs:\n  a: {}\n  b:\n    needs: [a]\n'

describe('runs of a working tree (POST /v1/uploads/missing, POST /v1/uploads, POST /v1/runs {tree})', () => {
  it('runs the uploaded tree, not the served project, and a second time sends only what changed', async () => {
    const {s, client} = await server()
    const files = {'jobs.yml': TREE_PIPELINE, 'src/a.txt': 'one\n', 'src/b.txt': 'two\n'}
    const tree = treeOf(files, {orcaFiles: ['jobs.yml']})
    expect((await upload(client, files, tree)).sort()).toEqual([tree.digest, sha('one\n'), sha('two\n'), sha(TREE_PIPELINE)].sort())
    const run = await client.createRun({tree: tree.digest, targets: ['b']})
    const events = await eventsOf(client, run.id)
    expect(events.at(-1)).toMatchObject({type: 'run.finished', status: 'succeeded'})
    expect(Object.keys((await client.getRun(run.id)).jobs)).toEqual(['a', 'b'])

    const changed = {...files, 'src/b.txt': 'two, changed\n'}
    const second = treeOf(changed, {orcaFiles: ['jobs.yml']})
    expect((await upload(client, changed, second)).sort()).toEqual([second.digest, sha('two, changed\n')].sort())
    const again = await client.createRun({tree: second.digest})
    expect((await eventsOf(client, again.id)).at(-1)).toMatchObject({type: 'run.finished', status: 'succeeded'})
    // One folder served both runs: the second was laid over the first.
    const workspaces = join(tmpdir(), `orca-serve-workspaces-${process.getuid!()}`)
    const ours = (): string[] => (existsSync(workspaces) ? readdirSync(workspaces).filter((name) => name.startsWith(`${process.pid}-`)) : [])
    expect(ours()).toHaveLength(1)
    // Without a tree, the served project's own pipeline runs as before.
    const own = await client.createRun({})
    expect((await eventsOf(client, own.id)).at(-1)).toMatchObject({type: 'run.finished', status: 'succeeded'})
    expect(Object.keys((await client.getRun(own.id)).jobs)).toEqual(['served-only'])
    expect(s.server.runs.stats.running).toBe(0)
    // Three runs of the engine: more than a unit test's 10 s under load (5 s alone on a loaded machine; once over 30 s within the whole suite).
  }, 60_000)

  it('says which content is missing before a run, and refuses a tree whose files were not sent (409)', async () => {
    const {client} = await server()
    const files = {'jobs.yml': TREE_PIPELINE, 'x.txt': 'x\n'}
    const tree = treeOf(files)
    // Only the manifest is sent: the run cannot start.
    await client.uploadBlobs(await tarOf([{body: tree.text}]))
    expect(await client.missingUploads([tree.digest, sha('x\n')])).toEqual([sha('x\n')])
    const refused = await client.createRun({tree: tree.digest}).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(OrcaApiError)
    expect(refused).toMatchObject({status: 409, code: 'blobs_missing'})
    const unknownTree = await client.createRun({tree: sha('no such tree')}).catch((error: unknown) => error)
    expect(unknownTree).toMatchObject({status: 409, code: 'blobs_missing'})
  })

  it('stores an entry only under the digest of its bytes: other names, links, folders and wrong digests are refused', async () => {
    const {s, client} = await server()
    const wrong = await client.uploadBlobs(await tarOf([{name: sha('something else'), body: 'these bytes'}])).catch((error: unknown) => error)
    expect(wrong).toMatchObject({status: 400, code: 'digest_mismatch'})
    expect(await client.missingUploads([sha('something else'), sha('these bytes')])).toEqual([sha('something else'), sha('these bytes')])
    for (const name of ['../escape', 'dir/file', '/etc/passwd']) {
      const refused = await client.uploadBlobs(await tarOf([{name, body: 'x'}])).catch((error: unknown) => error)
      expect(refused, name).toMatchObject({status: 400, code: 'invalid_upload'})
    }
    const link = pack()
    link.entry({name: sha('x'), type: 'symlink', linkname: '/etc/passwd'})
    link.finalize()
    const chunks: Buffer[] = []
    for await (const chunk of link as AsyncIterable<Buffer>) chunks.push(chunk)
    expect(await client.uploadBlobs(Buffer.concat(chunks)).catch((error: unknown) => error)).toMatchObject({status: 400, code: 'invalid_upload'})
    const notTar = await client.uploadBlobs(Buffer.from('not a tar at all, just some bytes that go on'.repeat(20))).catch((error: unknown) => error)
    expect(notTar).toMatchObject({status: 400, code: 'invalid_upload'})
    // JSON is not an upload, and an upload needs the token like every other route.
    expect((await raw(s.url, '/v1/uploads', {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${TOKEN}`}, body: '{}'})).status).toBe(415)
    // No body at all (no Content-Type): refused, not a server error.
    expect((await raw(s.url, '/v1/uploads', {method: 'POST', headers: {authorization: `Bearer ${TOKEN}`}})).status).toBe(415)
    expect((await raw(s.url, '/v1/uploads', {method: 'POST', headers: {'content-type': 'application/x-tar'}, body: await tarOf([{body: 'x'}])})).status).toBe(401)
    expect(await client.missingUploads([sha('x')])).toEqual([sha('x')])
  })

  it('refuses a tree that is not a tree of safe paths (400) and a pipeline file outside serve.pipelines (403)', async () => {
    const {client} = await server()
    for (const path of ['../outside.txt', '/abs.txt', 'a/../../b.txt']) {
      const text = JSON.stringify({format: 1, files: [{path, type: 'file', mode: 0o644, size: 2, sha256: sha('x\n')}]})
      await client.uploadBlobs(await tarOf([{body: text}, {body: 'x\n'}]))
      expect(await client.createRun({tree: sha(text)}).catch((error: unknown) => error), path).toMatchObject({status: 400, code: 'invalid_tree'})
    }
    const escaping = JSON.stringify({format: 1, files: [{path: 'link', type: 'symlink', target: '../../etc/passwd'}]})
    await client.uploadBlobs(await tarOf([{body: escaping}]))
    expect(await client.createRun({tree: sha(escaping)}).catch((error: unknown) => error)).toMatchObject({status: 400, code: 'invalid_tree'})
    const files = {'other.yml': TREE_PIPELINE}
    const tree = treeOf(files)
    await upload(client, files, tree)
    expect(await client.createRun({tree: tree.digest, file: 'other.yml'}).catch((error: unknown) => error)).toMatchObject({status: 403, code: 'pipeline_not_allowed'})
  })

  it('runs working trees only where the served project allows them (serve.workingTrees), else 403', async () => {
    const s = await serve({'jobs.yml': TREE_PIPELINE})
    const client = createClient({baseUrl: s.url})
    const files = {'jobs.yml': TREE_PIPELINE}
    const tree = treeOf(files)
    await upload(client, files, tree)
    const refused = await client.createRun({tree: tree.digest}).catch((error: unknown) => error)
    expect(refused).toMatchObject({status: 403, code: 'working_trees_not_allowed', hint: expect.stringContaining('serve.workingTrees: true')})
    expect((await client.listRuns()).runs).toEqual([])
  })

  it('keeps at most its size cap of uploads, dropping the least recently used first', async () => {
    const s = await serve({'jobs.yml': TREE_PIPELINE, 'orca.config.yml': TREES_ALLOWED}, {uploadsMaxBytes: 1000})
    const client = createClient({baseUrl: s.url})
    const old = 'o'.repeat(600)
    await client.uploadBlobs(await tarOf([{body: old}]))
    expect(await client.missingUploads([sha(old)])).toEqual([])
    const fresh = 'f'.repeat(600)
    await client.uploadBlobs(await tarOf([{body: fresh}]))
    expect(await client.missingUploads([sha(old), sha(fresh)])).toEqual([sha(old)])
  })
})
