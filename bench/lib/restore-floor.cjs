// The least a Node.js program does to restore a pipeline from the remote as orca does, with none of
// orca's own code: read and parse jobs.yml (with the same yaml package), list the project with git,
// hash every listed file, ask the remote for the given objects at once on one keep-alive agent, and
// write per object a pack and an entry (each a temporary file renamed) and per job its artifact
// manifest and log. No validation, no events, no run record, no checks of what was downloaded.
// bench/remote.mjs times it beside orca and turbo: the floor any Node.js tool starts from on this machine.
//   node restore-floor.cjs <remote url> <token> <team> <object id>...   (in the project's folder)
'use strict'
const {Buffer} = require('node:buffer')
const {spawn} = require('node:child_process')
const crypto = require('node:crypto')
const {createHash} = crypto
const {mkdirSync, readFileSync, renameSync, writeFileSync} = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const YAML = require('yaml')

const [url, token, team, ...ids] = process.argv.slice(2)
const dir = process.cwd()
const pipeline = YAML.parse(readFileSync(path.join(dir, 'jobs.yml'), 'utf8'))
const git = spawn('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: dir, stdio: ['ignore', 'pipe', 'inherit']})
const listing = []
git.stdout.on('data', (chunk) => listing.push(chunk))
git.on('close', async (code) => {
  if (code !== 0) process.exit(1)
  const files = Buffer.concat(listing).toString('utf8').split('\0').filter(Boolean)
  // One call per file where Node.js has it (20.12+), as orca hashes: no Hash object per file.
  const sha256 = crypto.hash ? (bytes) => crypto.hash('sha256', bytes, 'hex') : (bytes) => createHash('sha256').update(bytes).digest('hex')
  const inputs = files.map((file) => sha256(readFileSync(path.join(dir, file))))
  createHash('sha256').update(JSON.stringify([pipeline, inputs])).digest('hex')
  const agent = new http.Agent({keepAlive: true})
  const remote = new URL(url)
  const bodies = await Promise.all(ids.map((id) => new Promise((resolve, reject) => {
    const request = http.get({host: remote.hostname, port: remote.port, path: `/v8/artifacts/${id}?teamId=${team}`, agent, headers: {authorization: `Bearer ${token}`}}, (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${id}: HTTP ${response.statusCode}`))))
    })
    request.on('error', reject)
  })))
  const root = path.join(dir, '.orca-floor')
  for (const sub of ['packs', 'entries', 'run/logs', 'run/artifacts']) mkdirSync(path.join(root, sub), {recursive: true})
  const replace = (file, bytes) => {
    writeFileSync(`${file}.tmp`, bytes)
    renameSync(`${file}.tmp`, file)
  }
  ids.forEach((id, n) => {
    replace(path.join(root, 'packs', id), bodies[n])
    replace(path.join(root, 'entries', `${id}.json`), bodies[n].subarray(0, 512))
    writeFileSync(path.join(root, 'run/artifacts', `${n}.json`), bodies[n].subarray(0, 256))
    writeFileSync(path.join(root, 'run/logs', `${n}.log`), 'replayed\n')
  })
  agent.destroy()
})
