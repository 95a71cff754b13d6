import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {makeProject, NEUTRAL_ENV, ORCA_BIN, orca, removeRunContainers, runDirs, type CliResult} from './cli.js'
import {startServe, type ServeProcess} from './serve-process.js'

// `orca --server URL` against a real `orca serve` (built CLI, real engine): the same pipeline run here
// and on the server gives the same output and exit codes, from the user's working tree.

const TOKEN = 'remote-cli-test-token'

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  build:
    network: none
    steps:
      - name: report
        run: mkdir -p out && cat input.txt > out/report.txt && chmod 755 out/report.txt && echo built from $(cat input.txt)
    artifacts: ["out/**"]
  test:
    needs: [build]
    network: none
    steps: ["cat out/report.txt"]
  broken:
    network: none
    steps: ["echo about to fail; exit 3"]
  slow:
    network: none
    steps: ["echo started; sleep 60"]
`

const made: Array<{dir: string; cleanup: () => void}> = []
const servers: ServeProcess[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.child.kill('SIGTERM')
    await server.exit.catch(() => undefined)
  }
  for (const p of made.splice(0)) {
    for (const run of runDirs(p.dir)) removeRunContainers(basename(run))
    p.cleanup()
  }
})

function project(files: Record<string, string>): string {
  const p = makeProject(files)
  made.push(p)
  return p.dir
}

/** A server over a project of its own (whose pipeline is not the one the client runs) that runs working trees, with a token. */
async function server(): Promise<ServeProcess> {
  const dir = project({'jobs.yml': 'version: 1\njobs:\n  served-only: {}\n', 'orca.config.yml': 'serve:\n  workingTrees: true\n'})
  const started = await startServe(dir, [], {ORCA_TOKEN: TOKEN})
  servers.push(started)
  return started
}

const ENV = {...NEUTRAL_ENV, ORCA_SERVER: undefined, ORCA_TOKEN: undefined}

const local = (args: string[], cwd: string): Promise<CliResult> => orca(args, {cwd, env: ENV})
const remote = (args: string[], cwd: string, url: string): Promise<CliResult> => orca([...args, '--server', url], {cwd, env: {...ENV, ORCA_TOKEN: TOKEN}})

/** Output with what differs between any two runs taken out: ids, times, durations, timeline bars, column padding, the pipeline's path. */
function normalise(text: string): string {
  return text
    .replace(/\d{8}T\d{9}Z-[0-9a-f]{6}/g, 'RUN')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, 'TIME')
    .replace(/\d+(\.\d+)?(ms|s|m|h)\b/g, 'DUR')
    .replace(/key [0-9a-f]{12}/g, 'key KEY')
    .replace(/^file {6}.*$/m, 'file PIPELINE')
    .replace(/│[█░▒ ]*│/g, '│BAR│')
    .replace(/ +/g, ' ')
}

describe('orca --server URL (built CLI, a real orca serve)', () => {
  it('run, runs, show, logs and artifacts say what they say locally, with the same exit codes', async () => {
    const serve = await server()
    const dir = project({'jobs.yml': PIPELINE, 'input.txt': 'hello\n'})

    const here = await local(['run', 'test', '--output', 'plain'], dir)
    const there = await remote(['run', 'test', '--output', 'plain'], dir, serve.url)
    expect(here.code, here.stderr).toBe(0)
    expect(there.code, there.stderr).toBe(0)
    expect(there.stdout).toContain('[test]  hello')
    expect(normalise(there.stdout)).toBe(normalise(here.stdout))
    // The whole working tree went over once; the token never shows.
    expect(there.stderr).toMatch(new RegExp(`^sent 2 of 2 files \\(\\d+ B\\) to ${serve.url}: run \\d{8}T`, 'm'))
    expect(there.stdout + there.stderr).not.toContain(TOKEN)

    const failedHere = await local(['run', 'broken', '--output', 'plain'], dir)
    const failedThere = await remote(['run', 'broken', '--output', 'plain'], dir, serve.url)
    expect([failedHere.code, failedThere.code]).toEqual([1, 1])
    expect(normalise(failedThere.stdout)).toBe(normalise(failedHere.stdout))

    for (const args of [['runs'], ['show', 'latest'], ['show', 'latest', '--artifacts'], ['logs', 'latest'], ['logs', 'latest', '--job', 'broken']]) {
      const [a, b] = [await local(args, dir), await remote(args, dir, serve.url)]
      expect([a.code, b.code], args.join(' ')).toEqual([0, 0])
      expect(normalise(b.stdout), args.join(' ')).toBe(normalise(a.stdout))
    }
    // The first run (`test`) by a prefix of its id on each side.
    const [firstHere, firstThere] = [here, there].map((r) => /orca run (\d{8}T\d{9}Z-[0-9a-f]{6})/.exec(r.stdout)![1]!)
    const shownHere = await local(['show', firstHere!.slice(0, 22)], dir)
    const shownThere = await remote(['show', firstThere!.slice(0, 22)], dir, serve.url)
    expect(shownThere.code, shownThere.stderr).toBe(0)
    expect(normalise(shownThere.stdout)).toBe(normalise(shownHere.stdout))

    // Artifacts: the same bytes and mode, downloaded and checked.
    const artifactsHere = await local(['artifacts', firstHere!], dir)
    const artifactsThere = await remote(['artifacts', firstThere!], dir, serve.url)
    expect([artifactsHere.code, artifactsThere.code]).toEqual([0, 0])
    expect(artifactsThere.stdout).toBe(`build: 1 artifact in ${join(dir, '.orca/downloads', firstThere!, 'artifacts/build')}\n`)
    const downloaded = join(dir, '.orca/downloads', firstThere!, 'artifacts/build/out/report.txt')
    expect(readFileSync(downloaded)).toEqual(readFileSync(join(dir, '.orca/runs', firstHere!, 'artifacts/build/out/report.txt')))
    expect(readFileSync(downloaded, 'utf8')).toBe('hello\n')
    // Downloads are not runs of this project.
    expect((await local(['runs', '--json'], dir)).stdout).not.toContain(firstThere)

    // Usage errors: the same message and exit code 2.
    for (const args of [['run', 'no-such-job'], ['show', 'nothing-like-this'], ['logs', 'latest', '--job', 'nope']]) {
      const [a, b] = [await local(args, dir), await remote(args, dir, serve.url)]
      expect([a.code, b.code], args.join(' ')).toEqual([2, 2])
      expect(normalise(b.stderr.replace(serve.url, 'WHERE')), args.join(' ')).toBe(normalise(a.stderr.replace(join(dir, '.orca/runs'), 'WHERE')))
    }
    // Some 30 commands, each a process of its own: 30 s on a loaded machine, 110 s within the whole suite.
  }, 300_000)

  it('sends only what changed, and runs the working tree as it is (a bad jobs.yml is refused here, exit 2)', async () => {
    const serve = await server()
    const dir = project({'jobs.yml': PIPELINE, 'input.txt': 'one\n', 'docs/a.md': 'a\n', 'docs/b.md': 'b\n'})
    const first = await remote(['run', 'build', '--output', 'plain'], dir, serve.url)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/^sent 4 of 4 files /m)
    expect(first.stdout).toContain('[build] built from one')

    writeFileSync(join(dir, 'input.txt'), 'two\n')
    const second = await remote(['run', 'build', '--output', 'plain'], dir, serve.url)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(/^sent 1 of 4 files /m)
    expect(second.stdout).toContain('[build] built from two')

    writeFileSync(join(dir, 'jobs.yml'), 'version: 1\njobs:\n  build:\n    timeout: ten\n')
    const [a, b] = [await local(['run'], dir), await remote(['run'], dir, serve.url)]
    expect([a.code, b.code]).toEqual([2, 2])
    expect(b.stderr).toBe(a.stderr)
    expect(b.stderr).toContain('jobs.yml:4:14 jobs.build.timeout')
  })

  it('cancel stops a live run here and on a server (exit 130), and logs --follow ends with it', async () => {
    const serve = await server()
    const dir = project({'jobs.yml': PIPELINE, 'input.txt': 'x\n'})
    for (const where of ['here', 'there'] as const) {
      const extra = where === 'there' ? ['--server', serve.url] : []
      const child = spawn(process.execPath, [ORCA_BIN, 'run', 'slow', '--output', 'plain', ...extra], {cwd: dir, env: {...process.env, ...ENV, NO_COLOR: '1', ORCA_TOKEN: TOKEN}, stdio: ['ignore', 'pipe', 'pipe']})
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
      for (let i = 0; i < 300 && !out.includes('[slow] started'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(out, where).toContain('[slow] started')
      const run = /orca run (\S+):/.exec(out)![1]!
      const follow = orca(['logs', run, '--follow', ...extra], {cwd: dir, env: {...ENV, ORCA_TOKEN: TOKEN}})
      const cancelled = await orca(['cancel', run.slice(0, 24), ...extra], {cwd: dir, env: {...ENV, ORCA_TOKEN: TOKEN}})
      expect(cancelled.code, cancelled.stderr).toBe(0)
      expect(cancelled.stdout, where).toMatch(new RegExp(`^cancelling run ${run}`))
      expect(await exited, where).toBe(130)
      const followed = await follow
      expect(followed.code, where).toBe(0)
      expect(followed.stdout, where).toContain('started')
      const again = await orca(['cancel', run, ...extra], {cwd: dir, env: {...ENV, ORCA_TOKEN: TOKEN}})
      expect(again.code, where).toBe(2)
    }
  })

  it('says what is wrong with the server: unreachable (3), wrong token (2)', async () => {
    const serve = await server()
    const dir = project({'jobs.yml': PIPELINE, 'input.txt': 'x\n'})
    const wrong = await orca(['runs', '--server', serve.url], {cwd: dir, env: {...ENV, ORCA_TOKEN: 'not-the-token'}})
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('hint: set ORCA_TOKEN')
    expect(wrong.stderr).not.toContain('not-the-token')
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${TOKEN}\n`)
    const fromFile = await orca(['runs', '--server', serve.url, '--token-file', tokenFile], {cwd: dir, env: ENV})
    expect(fromFile.code, fromFile.stderr).toBe(0)
    const fromEnv = await orca(['runs'], {cwd: dir, env: {...ENV, ORCA_SERVER: serve.url, ORCA_TOKEN: TOKEN}})
    expect(fromEnv.stdout).toBe(fromFile.stdout)
    const down = await orca(['run', 'build', '--server', 'http://127.0.0.1:9'], {cwd: dir, env: ENV})
    expect(down.code).toBe(3)
    expect(down.stderr).toContain('cannot reach orca serve at http://127.0.0.1:9')
  })
})
