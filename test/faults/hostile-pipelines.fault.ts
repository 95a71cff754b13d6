import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {basename, join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {containersLeft, orca, ORCA_BIN, readJson, removeRunContainers, runDirs} from '../e2e/cli.js'
import {checkRunDirs, Projects} from './support.js'
import {tally} from './tally.js'

// jobs.yml built to hurt or simply mistaken, through every way in: validate, run, the config file,
// ORCA_* variables and serve. Each class was a crash, a leak or a request to a crafted address before.

const projects = new Projects()
const projectDirs: string[] = []
const servers: Server[] = []
const children: ChildProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  for (const dir of projectDirs.splice(0)) for (const run of runDirs(dir)) removeRunContainers(basename(run))
  projects.removeAll()
})

function project(files: Record<string, string>): string {
  const dir = projects.create(files)
  projectDirs.push(dir)
  return dir
}

/** A loopback HTTP server that records every request: no crafted name may make orca reach it. */
async function listener(): Promise<{port: number; requests: string[]}> {
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    response.end('{}')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {port: (server.address() as AddressInfo).port, requests}
}

interface Served {
  url: string
  post(file: string): Promise<{status: number; body: string}>
  stop(): Promise<number | null>
}

/** `orca serve --port 0` in dir, without a token (loopback only). */
async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [ORCA_BIN, 'serve', '--port', '0'], {cwd: dir, env: {...process.env, ORCA_TOKEN: ''}, stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const found = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (found) resolve(found)
    })
    void exit.then((code) => reject(new Error(`orca serve exited with ${code}`)))
  })
  return {
    url,
    async post(file) {
      const response = await fetch(`${url}/v1/runs`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({file})})
      return {status: response.status, body: await response.text()}
    },
    async stop() {
      child.kill('SIGTERM')
      return exit
    },
  }
}

const noStack = (text: string): boolean => !/\n\s+at .+:\d+:\d+/.test(text)
const yamlString = (text: string): string => JSON.stringify(text)

describe('hostile image references', () => {
  it('are refused everywhere an image can come from, and nothing reaches the engine or an address named in them', {timeout: 300_000}, async () => {
    const target = await listener()
    const port = target.port
    const refs = [
      'foo//bar',
      `x/../..//127.0.0.1:${port}/y`,
      `..//127.0.0.1:${port}/y`,
      `127.0.0.1:${port}/../../y`,
      `localhost:${port}/a/./b`,
      `[::1]:${port}//y`,
      `%2e%2e/%2e%2e//127.0.0.1:${port}/y`,
      `http://127.0.0.1:${port}/y`,
      'busybox:1.36?x=1',
      'busybox#frag',
      'busybox:1.36\n',
      'busybox\u0000:1.36',
      'busybox@sha256:../../x',
      'Busybox:1.36',
      'a'.repeat(300),
    ]
    const files: Record<string, string> = {}
    refs.forEach((ref, i) => (files[`bad-${i}.yml`] = `version: 1\njobs:\n  a:\n    image: ${yamlString(ref)}\n    steps: ["true"]\n`))
    const dir = project({...files, 'jobs.yml': 'version: 1\njobs:\n  a:\n    steps: ["true"]\n'})

    for (const [i, ref] of refs.entries()) {
      const what = JSON.stringify(ref)
      const validate = await orca(['validate', '-f', `bad-${i}.yml`], {cwd: dir})
      expect(validate.code, what).toBe(2)
      expect(validate.stderr, what).toContain(`bad-${i}.yml:4:12 jobs.a.image: invalid image reference`)
      expect(noStack(validate.stderr), what).toBe(true)
      const run = await orca(['run', '-f', `bad-${i}.yml`, '--output', 'plain'], {cwd: dir})
      expect(run.code, what).toBe(2)
      // The default image of the configuration, from the file and from ORCA_DEFAULT_IMAGE.
      writeFileSync(join(dir, 'orca.config.yml'), `defaults:\n  image: ${yamlString(ref)}\n`)
      const fromConfig = await orca(['run', '--output', 'plain'], {cwd: dir})
      expect(fromConfig.code, what).toBe(2)
      expect(fromConfig.stderr, what).toContain('orca.config.yml:2:10 defaults.image: invalid image reference')
      writeFileSync(join(dir, 'orca.config.yml'), 'concurrency: 1\n')
      // ORCA_* values are trimmed (so "busybox:1.36\n" is fine there), and no variable can hold a NUL.
      if (!ref.includes('\u0000') && ref.trim() === ref) {
        const fromEnv = await orca(['run', '--output', 'plain'], {cwd: dir, env: {ORCA_DEFAULT_IMAGE: ref}})
        expect(fromEnv.code, what).toBe(2)
        expect(fromEnv.stderr, what).toContain('environment ORCA_DEFAULT_IMAGE: expected an image reference')
      }
      tally('hostile image references')
    }
    expect(runDirs(dir)).toEqual([])

    // serve: each is a 400 with its position; the server lives on and stops cleanly. The files are
    // allowed pipelines of the served project (serve.pipelines), so what refuses them is the check.
    writeFileSync(join(dir, 'orca.config.yml'), `serve:\n  pipelines: [${refs.map((_, i) => `bad-${i}.yml`).join(', ')}]\n`)
    const server = await serve(dir)
    for (const i of refs.keys()) {
      const answer = await server.post(`bad-${i}.yml`)
      expect(answer.status, refs[i]).toBeGreaterThanOrEqual(400)
      expect(answer.status, refs[i]).toBeLessThan(500)
      expect(JSON.parse(answer.body)).toMatchObject({error: {code: 'invalid_pipeline', diagnostics: [{file: `bad-${i}.yml`, line: 4, column: 12}]}})
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(await server.stop()).toBe(0)
    expect(runDirs(dir)).toEqual([])
    expect(target.requests).toEqual([])
  })
})

// Names JavaScript objects inherit: each must be data wherever jobs.yml allows it.
const INHERITED = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'prototype', 'valueOf', 'isPrototypeOf', '__defineGetter__']
const JOB_NAMES = ['constructor', 'prototype']
const VOLUME_NAMES = INHERITED.filter((name) => /^[A-Za-z0-9]/.test(name))

describe('names that are also Object.prototype\'s properties', () => {
  it('are jobs, env variables, secrets, volumes, inputs and artifacts like any other: run, cache, history', {timeout: 300_000}, async () => {
    const inputs = Object.fromEntries(INHERITED.map((name) => [`in/${name}`, `input ${name}\n`]))
    const dir = project({
      ...inputs,
      'jobs.yml': `version: 1
image: busybox:1.36
env: {${INHERITED.map((name) => `${name}: "top ${name}"`).join(', ')}}
jobs:
  constructor:
    network: none
    env: {${INHERITED.slice(0, 4).map((name) => `${name}: "job ${name}"`).join(', ')}}
    secrets: [${INHERITED.join(', ')}]
    volumes: {${VOLUME_NAMES.map((name) => `${name}: /volumes/${name}`).join(', ')}}
    steps:
      - name: env
        run: |
          mkdir -p out
          for name in ${INHERITED.join(' ')}; do eval "echo \\"$name=\\$$name\\""; done > out/env.txt
          for name in ${INHERITED.join(' ')}; do cp "in/$name" "out/$name"; done
          for name in ${VOLUME_NAMES.join(' ')}; do test -d "/volumes/$name"; done
          cat out/env.txt
    artifacts: ["out/**"]
  prototype:
    needs: [constructor]
    inputs: []
    network: none
    steps: ["cat out/env.txt; ls out | sort"]
`,
    })
    // Only volumes this test creates are removed afterwards: those labelled with its own project folder.
    const secrets = Object.fromEntries(INHERITED.map((name) => [name, `s3cret-${name.replaceAll('_', '')}-value`])) as NodeJS.ProcessEnv
    try {
      const first = await orca(['run', '--output', 'plain'], {cwd: dir, env: secrets})
      expect(first.code, first.stdout + first.stderr).toBe(0)
      const output = first.stdout + first.stderr
      expect(output).not.toMatch(/s3cret-/)
      // Every variable arrived, its secret winning over the env of the same name, and masked.
      for (const name of INHERITED) expect(output).toContain(`[prototype]   ${name}=***\n`)
      const runDir = runDirs(dir).at(-1)!
      const record = readJson<{status: string; jobs: Record<string, {status: string; artifacts: {count: number; manifest: string} | null}>}>(join(runDir, 'run.json'))
      expect(Object.keys(record.jobs)).toEqual(JOB_NAMES)
      expect(Object.values(record.jobs).map((job) => job.status)).toEqual(['succeeded', 'succeeded'])
      // run.json sums the job's artifacts up; the manifest it names lists each one.
      const summary = Object.entries(record.jobs).find(([name]) => name === 'constructor')![1].artifacts!
      expect(summary).toMatchObject({count: INHERITED.length + 1, manifest: 'artifacts/constructor.json'})
      const paths = readJson<{files: Array<{path: string}>}>(join(runDir, summary.manifest)).files.map((a) => a.path)
      expect(paths.sort()).toEqual([...INHERITED.map((name) => `out/${name}`), 'out/env.txt'].sort())
      for (const name of INHERITED) expect(readFileSync(join(runDir, 'artifacts/constructor/out', name), 'utf8')).toBe(`input ${name}\n`)
      expect((await checkRunDirs(dir)).problems).toEqual([])
      expect(await containersLeft(`orca.run=${basename(runDir)}`)).toEqual([])

      for (const args of [['show', 'latest'], ['logs', 'latest'], ['logs', 'latest', '--job', 'constructor'], ['explain', 'prototype'], ['run', '--dry-run'], ['runs']]) {
        const result = await orca(args, {cwd: dir, env: secrets})
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
        expect(noStack(result.stderr), args.join(' ')).toBe(true)
        expect(result.stdout, args.join(' ')).not.toMatch(/s3cret-/)
      }
      const second = await orca(['run', '--output', 'plain'], {cwd: dir, env: secrets})
      expect(second.code).toBe(0)
      expect(second.stdout).toContain('2 jobs: 2 cached')
      tally('prototype-named keys', INHERITED.length)
    } finally {
      const created = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=orca.project-dir=${dir}`], {encoding: 'utf8'}).split('\n').filter(Boolean)
      if (created.length > 0) execFileSync('docker', ['volume', 'rm', '-f', ...created], {stdio: 'ignore'})
    }
  })
})

describe('YAML aliases that expand past the limits', () => {
  const map = (keys: number): string => Array.from({length: keys}, (_, i) => `    k${i}: v${i}`).join('\n')
  const jobs = (count: number, body: string): string => Array.from({length: count}, (_, i) => `  j${i}: {${body}, steps: ["true"]}`).join('\n')
  const laughs = (levels: number, width: number): string => {
    const rows = ['version: 1', 'x0: &l0 [lol]']
    for (let level = 1; level <= levels; level++) rows.push(`x${level}: &l${level} [${Array(width).fill(`*l${level - 1}`).join(', ')}]`)
    return `${rows.join('\n')}\njobs: {}\n`
  }
  const files: Array<[string, string, RegExp]> = [
    ['990 aliases of a 10 000-key env', `version: 1\nimage: busybox\nx: &m\n${map(10_000).replaceAll('    ', '  ')}\njobs:\n${jobs(990, 'env: *m')}\n`, /expands to more than 200,000 values through YAML aliases \(e\.g\. \*m\)/],
    ['990 merges of a 10 000-key map', `version: 1\nimage: busybox\njobs:\n  base: &m\n${map(10_000)}\n${Array.from({length: 990}, (_, i) => `  j${i}: {<<: *m}`).join('\n')}\n`, /expands to more than 200,000 values/],
    ['a billion laughs, 3 wide and 20 deep', laughs(20, 3), /expands to more than 200,000 values/],
    ['a 500 KB text aliased 40 times', `version: 1\nimage: busybox\nx: &t "${'y'.repeat(500_000)}"\njobs:\n${jobs(40, 'env: {T: *t}')}\n`, /expands to more than 16 MiB of text/],
    ['an alias inside its own value', 'version: 1\nimage: busybox\njobs:\n  a: &a\n    needs: *a\n    steps: ["true"]\n', /the alias \*a is inside the value it names/],
    ['an alias inside its own list', 'version: 1\nimage: busybox\njobs:\n  a: {steps: &s ["true", *s]}\n', /the alias \*s is inside the value it names/],
    // Under the limits, but values where text is expected: every diagnostic shows at most 60 characters of them.
    ['8 000-key maps where text is expected', `version: 1\nimage: busybox\nx: &m\n${map(8_000).replaceAll('    ', '  ')}\njobs:\n${jobs(5, 'image: *m, workdir: *m')}\n`, /jobs\.j4\.workdir: expected a string, got a mapping/],
  ]

  it('are refused in time linear in the file, by validate, run and serve, with no parse cache or run written', {timeout: 300_000}, async () => {
    const dir = project({
      ...Object.fromEntries(files.map(([, text], i) => [`bomb-${i}.yml`, text])),
      // Allowed pipelines of the served project (serve.pipelines), so what refuses them is the check.
      'orca.config.yml': `serve:\n  pipelines: [${files.map((_, i) => `bomb-${i}.yml`).join(', ')}]\n`,
    })
    const server = await serve(dir)
    for (const [i, [what, , message]] of files.entries()) {
      const validate = await orca(['validate', '-f', `bomb-${i}.yml`], {cwd: dir})
      expect(validate.code, what).toBe(2)
      expect(message.test(validate.stderr), `${what}: ${validate.stderr.slice(0, 300)}`).toBe(true)
      expect(noStack(validate.stderr), what).toBe(true)
      // No line of the diagnostics echoes a value whole.
      for (const line of validate.stderr.split('\n')) expect(line.length, what).toBeLessThan(400)
      const run = await orca(['run', '-f', `bomb-${i}.yml`, '--output', 'plain'], {cwd: dir})
      expect(run.code, what).toBe(2)
      const answer = await server.post(`bomb-${i}.yml`)
      expect(answer.status, what).toBeGreaterThanOrEqual(400)
      expect(answer.status, what).toBeLessThan(500)
      expect(JSON.parse(answer.body), what).toMatchObject({error: {code: 'invalid_pipeline'}})
      expect((await fetch(`${server.url}/healthz`)).status, what).toBe(200)
      tally('YAML expansions refused')
    }
    expect(await server.stop()).toBe(0)
    expect(runDirs(dir)).toEqual([])
    // The parse cache holds only files that loaded: none of these.
    const parsed = join(dir, '.orca/cache/v1/parsed')
    expect(existsSync(parsed) ? readdirSync(parsed).filter((f) => statSync(join(parsed, f)).size > 0) : []).toEqual([])
  })
})

describe('values that used to fail only inside the container', () => {
  // Each line plants one problem; validate must report each at its line.
  const planted: Array<[string, RegExp]> = [
    ['    workdir: "/work\\0space"', /jobs\.a\.workdir: contains a NUL byte/],
    ['    user: "ro\\0ot"', /jobs\.a\.user: contains a NUL byte/],
    ['    env: {A: "x\\0y"}', /jobs\.a\.env\.A: contains a NUL byte/],
    ['    volumes: {v1: "/ca\\0che", v2: /, v3: /data/, v4: /data}', /volumes\.v1: contains a NUL byte|cannot be mounted at "\/"|are both mounted at "\/data"/],
    ['    inputs: ["src\\0/**", "src//x", "dist/", "a/./b"]', /inputs\[\d\]: (contains a NUL byte|input glob)/],
    ['    steps: ["echo a\\0b", {run: "true", name: "n\\0", env: {B: "\\0"}}]', /steps\[\d\](\.name|\.env\.B)?: contains a NUL byte/],
    ['    artifacts: ["out\\0/x", "out//x", "out/", "out/../x"]', /artifacts\[\d\]: (contains a NUL byte|artifact glob)/],
  ]

  it('are refused by validate and run with their positions, before any container or record', {timeout: 120_000}, async () => {
    const text = `version: 1\nimage: busybox:1.36\njobs:\n  a:\n${planted.map(([line]) => line).join('\n')}\n`
    const dir = project({'jobs.yml': text})
    for (const command of [['validate'], ['run', '--output', 'plain']]) {
      const result = await orca(command, {cwd: dir})
      expect(result.code, command[0]).toBe(2)
      const lines = result.stderr.trimEnd().split('\n')
      // 1 + 1 + 1 + 3 + 4 + 3 + 4 problems, each on the line that holds it.
      expect(lines, command[0]).toHaveLength(17)
      for (const [index, [, message]] of planted.entries()) {
        const onLine = lines.filter((line) => line.startsWith(`jobs.yml:${index + 5}:`))
        expect(onLine.length, `line ${index + 5}`).toBeGreaterThan(0)
        for (const line of onLine) expect(line, `line ${index + 5}`).toMatch(message)
      }
      tally('hostile jobs.yml files')
    }
    expect(runDirs(dir)).toEqual([])
  })
})
