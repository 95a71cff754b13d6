import {spawn} from 'node:child_process'
import {realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {containersLeft, NEUTRAL_ENV, ORCA_BIN, projectsPerTest, readJson, runDirs} from './cli.js'

const project = projectsPerTest()

/** The watching orca of each test, killed after it if a test failed before it ended. */
const children: Array<ReturnType<typeof spawn>> = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

const PIPELINE = `version: 1
image: orca-test/busybox
jobs:
  ja:
    inputs: ["a/**"]
    steps: ["cat a/x.txt > ra.txt"]
    artifacts: [ra.txt]
  jb:
    inputs: ["b/**"]
    steps: ["cat b/y.txt"]
  after-a:
    needs: [ja]
    inputs: []
    steps: ["cat ra.txt"]
  all:
    needs: [after-a, jb]
`

type RunRecord = {status: string; jobs: Record<string, {status: string}>}

function statuses(runDir: string): Record<string, string> {
  const record = readJson<RunRecord>(join(runDir, 'run.json'))
  return Object.fromEntries(Object.entries(record.jobs).map(([name, job]) => [name, job.status]))
}

function watching(dir: string, args: string[]): {output: () => string; waitFor: (pattern: RegExp, count?: number) => Promise<void>; exited: Promise<number | null>; child: ReturnType<typeof spawn>} {
  const child = spawn(process.execPath, [ORCA_BIN, 'run', '--watch', '--output', 'plain', ...args], {cwd: dir, env: {...process.env, ...NEUTRAL_ENV, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, count = 1) {
      const global = new RegExp(pattern.source, 'g')
      const deadline = Date.now() + 90_000
      while ((output.match(global)?.length ?? 0) < count) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never saw ${count} × ${pattern}; output:\n${output}`)
        await sleep(100)
      }
    },
  }
}

describe('orca run --watch', () => {
  it('reruns exactly the jobs downstream of an edited file, twice, ignores node_modules, and ends on SIGINT with nothing left', async () => {
    const dir = project({'jobs.yml': PIPELINE, 'a/x.txt': 'one\n', 'b/y.txt': 'b\n', 'node_modules/dep/index.js': 'x\n'})
    const watch = watching(dir, ['all'])
    await watch.waitFor(/watching for changes/)
    expect(statuses(runDirs(dir).at(-1)!)).toEqual({ja: 'succeeded', jb: 'succeeded', 'after-a': 'succeeded', all: 'succeeded'})

    // Nothing any job reads: no run.
    writeFileSync(join(dir, 'node_modules/dep/index.js'), 'changed\n')
    writeFileSync(join(dir, 'README.md'), 'not an input of any job\n')
    await sleep(1500)
    expect(runDirs(dir)).toHaveLength(1)

    for (const [round, text] of [[2, 'two'], [3, 'three']] as const) {
      writeFileSync(join(dir, 'a/x.txt'), `${text}\n`)
      await watch.waitFor(/watching for changes/, round)
      expect(watch.output()).toContain('orca: changed: a/x.txt; running again')
      expect(runDirs(dir)).toHaveLength(round)
      expect(statuses(runDirs(dir).at(-1)!)).toEqual({ja: 'succeeded', jb: 'cached', 'after-a': 'succeeded', all: 'succeeded'})
      expect(watch.output()).toContain(`[after-a] ${text}`)
    }

    watch.child.kill('SIGINT')
    expect(await watch.exited).toBe(130)
    expect(await containersLeft(`orca.project-dir=${realpathSync(dir)}`)).toEqual([])
  })

  it('cancels a run in progress when an input changes again, then runs with the change', async () => {
    const dir = project({'jobs.yml': PIPELINE.replace('cat b/y.txt', 'cat b/y.txt; sleep 30'), 'a/x.txt': 'one\n', 'b/y.txt': 'b\n'})
    const watch = watching(dir, ['all'])
    await watch.waitFor(/\[jb\] +▶/)
    writeFileSync(join(dir, 'b/y.txt'), 'b2\n')
    await watch.waitFor(/orca: changed: b\/y.txt; running again/)
    await watch.waitFor(/\[jb\] +b2/)
    expect(readJson<RunRecord>(join(runDirs(dir)[0]!, 'run.json')).status).toBe('cancelled')
    watch.child.kill('SIGINT')
    expect(await watch.exited).toBe(130)
    expect(await containersLeft(`orca.project-dir=${realpathSync(dir)}`)).toEqual([])
  })
})
