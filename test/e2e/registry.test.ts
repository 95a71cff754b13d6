import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {orca, projectsPerTest, readLines, runDirs} from './cli.js'

const project = projectsPerTest()

const USER = 'orca-ci'
const PASSWORD = 'reg1stry-pa55word'
const BASE = 'orca-test/busybox:latest'

let registry: ChildProcess | undefined
let folder = ''
let host = ''
let image = ''

/** A port nothing listens on now, on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url)
    return true
  } catch {
    return false
  }
}

/** A Docker config folder: with a login for the registry, or empty. */
function dockerConfig(withLogin: boolean): string {
  const dir = mkdtempSync(join(folder, 'docker-config-'))
  const auths = withLogin ? {[host]: {auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}} : {}
  writeFileSync(join(dir, 'config.json'), JSON.stringify({auths}))
  return dir
}

function removeLocalCopy(): void {
  execFileSync('docker', ['image', 'rm', image], {stdio: 'ignore'})
}

/** Every file under a folder, read as text. */
function allText(dir: string): string {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n')
}

beforeAll(async () => {
  // Debian's docker-registry (Distribution v2) with htpasswd auth, on a random loopback port;
  // the engine talks plain HTTP to registries on 127.0.0.0/8 without being told.
  folder = mkdtempSync(join(tmpdir(), 'orca-registry-'))
  const port = await freePort()
  host = `127.0.0.1:${port}`
  image = `${host}/orca-e2e/private:1`
  execFileSync('htpasswd', ['-Bbc', join(folder, 'htpasswd'), USER, PASSWORD], {stdio: 'ignore'})
  writeFileSync(
    join(folder, 'config.yml'),
    `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${join(folder, 'data')}}}\nhttp: {addr: "${host}"}\nauth: {htpasswd: {realm: orca-test, path: ${join(folder, 'htpasswd')}}}\n`,
  )
  registry = spawn('docker-registry', ['serve', join(folder, 'config.yml')], {stdio: 'ignore'})
  for (let i = 0; i < 100 && !(await answers(`http://${host}/v2/`)); i++) await new Promise((r) => setTimeout(r, 100))
  // Push a test image with credentials (the CLI's login goes to a config folder of the test's own).
  const pusher = dockerConfig(false)
  execFileSync('docker', ['--config', pusher, 'login', '--username', USER, '--password-stdin', host], {input: PASSWORD, stdio: ['pipe', 'ignore', 'ignore']})
  execFileSync('docker', ['tag', BASE, image])
  execFileSync('docker', ['--config', pusher, 'push', image], {stdio: 'ignore'})
  removeLocalCopy()
}, 60_000)

afterAll(() => {
  registry?.kill('SIGTERM')
  try {
    removeLocalCopy()
  } catch {
    // Not there: nothing to remove.
  }
  if (folder && existsSync(folder)) rmSync(folder, {recursive: true, force: true})
})

const PIPELINE = () => `version: 1\njobs:\n  private:\n    image: ${image}\n    steps: ["echo ran on the private image"]\n`

describe('private registries (a real registry with htpasswd auth)', () => {
  it('pulls with the login of the Docker config folder DOCKER_CONFIG names, and never writes the password anywhere', async () => {
    const dir = project({'jobs.yml': PIPELINE()})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {DOCKER_CONFIG: dockerConfig(true)}})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('ran on the private image')
    const run = runDirs(dir)[0]!
    const events = readLines<{type: string; source?: string}>(join(run, 'events.jsonl'))
    expect(events.some((e) => e.type === 'image.pull')).toBe(true)
    expect(events.find((e) => e.type === 'image.ready')).toMatchObject({source: 'pulled'})
    expect(allText(run)).not.toContain(PASSWORD)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
    removeLocalCopy()
  })

  it('pulls with ORCA_REGISTRY_AUTH (for CI), masking the password', async () => {
    const dir = project({'jobs.yml': PIPELINE().replace('echo ran on the private image', 'echo \\"echoed: $ECHOED\\"')})
    const auth = JSON.stringify({[host]: {username: USER, password: PASSWORD}})
    const result = await orca(['run', '--output', 'plain', '-e', `ECHOED=${PASSWORD}`], {cwd: dir, env: {DOCKER_CONFIG: dockerConfig(false), ORCA_REGISTRY_AUTH: auth}})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('echoed: ***')
    expect(allText(runDirs(dir)[0]!)).not.toContain(PASSWORD)
    removeLocalCopy()
  })

  it('fails the job without credentials, saying the registry refused and how to log in', async () => {
    const dir = project({'jobs.yml': PIPELINE()})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: {DOCKER_CONFIG: dockerConfig(false)}})
    // Not the job's own failure: its image could not be had (exit 3, as for any missing image).
    expect(result.code).toBe(3)
    expect(result.stdout).toContain(`could not pull image "${image}": registry ${host} refused it without valid credentials`)
    expect(result.stdout).toContain(`hint: log in with docker login ${host}`)
  })
})
