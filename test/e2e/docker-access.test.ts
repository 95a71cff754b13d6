import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {NEUTRAL_ENV, orca, projectsPerTest, readJson, runDirs} from './cli.js'
import {startServe, type ServeProcess} from './serve-process.js'

const project = projectsPerTest()
const servers: ServeProcess[] = []
/** Images the jobs build on the host's engine (named per test): removed whatever happened. */
const tags: string[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.child.kill('SIGKILL')
  for (const tag of tags.splice(0)) {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=orca-e2e-image=${tag}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], {stdio: 'ignore'})
    execFileSync('docker', ['rmi', '-f', tag], {stdio: 'ignore'})
  }
})

// A job that builds an image from a root filesystem (docker import: no builder needed), runs it and removes it.
const PIPELINE = `version: 1
image: orca-test/docker-cli:1
jobs:
  images:
    docker: true
    inputs: []
    cache: false
    steps:
      - mkdir -p root/bin && cp /bin/busybox root/bin/ && tar -C root -c . | docker import -c 'CMD ["/bin/busybox", "echo", "hello from a job-built image"]' - "$TAG" >/dev/null
      - docker run --rm --network none --label "orca-e2e-image=$TAG" "$TAG"
      - docker rmi "$TAG" >/dev/null && echo "removed $TAG"
  plain:
    inputs: []
    steps:
      - test ! -e /var/run/docker.sock && test -z "$DOCKER_HOST" && echo "no engine here"
`

describe('docker: true (real engine)', () => {
  it("gives the job the host's engine with a warning, and a job without it none; validate and --dry-run mark it", async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const tag = `orca-e2e-docker-${randomBytes(4).toString('hex')}:1`
    tags.push(tag)
    const validate = await orca(['validate'], {cwd: dir, env: NEUTRAL_ENV})
    expect(validate.code).toBe(0)
    expect(validate.stdout).toContain("! images: docker: true, the job gets the host's Docker engine and with it control of the host")
    const dry = await orca(['run', '--dry-run', '-e', `TAG=${tag}`], {cwd: dir, env: NEUTRAL_ENV})
    expect(dry.stdout).toContain("! images: docker: true, the job gets the host's Docker engine")

    const result = await orca(['run', '--output', 'plain', '-e', `TAG=${tag}`], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\[images\] +! docker: true gives this job the host's Docker engine/m)
    expect(result.stdout).toMatch(/^\[images\] +hello from a job-built image$/m)
    expect(result.stdout).toMatch(new RegExp(`^\\[images\\] +removed ${tag.replace(/[.]/g, '\\.')}$`, 'm'))
    expect(result.stdout).toMatch(/^\[plain\] +no engine here$/m)
    const record = readJson<{jobs: Record<string, {warnings: Array<{kind: string}>}>}>(join(runDirs(dir).at(-1)!, 'run.json'))
    expect(record.jobs.images!.warnings.map((w) => w.kind)).toEqual(['docker-host'])
    expect(record.jobs.plain!.warnings).toEqual([])
    // What the job made on the host's engine, it removed.
    expect(execFileSync('docker', ['images', '-q', tag], {encoding: 'utf8'}).trim()).toBe('')
  })

  it('is refused by orca serve unless serve.allowDocker says otherwise', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const post = async (server: ServeProcess): Promise<{status: number; body: {error?: {code: string; message: string}}}> => {
      const res = await fetch(`${server.url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({targets: ['plain']})})
      return {status: res.status, body: (await res.json()) as {error?: {code: string; message: string}}}
    }
    const refusing = await startServe(dir)
    servers.push(refusing)
    const refused = await post(refusing)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({code: 'docker_not_allowed'})
    expect(refused.body.error!.message).toContain('job "images" has docker: true')
    refusing.child.kill('SIGKILL')

    writeFileSync(join(dir, 'orca.config.yml'), 'serve:\n  allowDocker: true\n')
    const allowing = await startServe(dir)
    servers.push(allowing)
    expect((await post(allowing)).status).toBe(202)
  })
})
