import {readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {NEUTRAL_ENV as NEUTRAL, orca, projectsPerTest, readJson, runDirs} from './cli.js'
const LINES = 2000

// Each line is its own write, alternating between the two streams as fast as the shell goes.
const FLOOD = `version: 1
image: busybox:1.36
jobs:
  flood:
    inputs: []
    network: none
    steps:
      - name: interleave
        run: i=1; while [ $i -le ${LINES} ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
`

/** out 1, err 1, out 2, err 2, …: the order the step wrote its lines in. */
const WRITTEN = Array.from({length: LINES}, (_, i) => [`out ${i + 1}`, `err ${i + 1}`]).flat()

const project = projectsPerTest()

/** The output lines of a log text, without orca's `==>` header lines. */
function outputLines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('==> '))
}

describe('stdout and stderr keep their order', () => {
  it('under a flood of alternating writes, in the live output, the log file and orca logs', async () => {
    const dir = project({'jobs.yml': FLOOD})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL})
    expect(result.code).toBe(0)
    const shown = result.stdout
      .split('\n')
      .filter((line) => /^\[flood\] (out|err) \d+$/.test(line))
      .map((line) => line.slice('[flood] '.length))
    expect(shown).toEqual(WRITTEN)

    const run = runDirs(dir)[0]!
    const log = readFileSync(join(run, 'logs/flood.log'), 'utf8')
    expect(log.startsWith('==> interleave\n')).toBe(true)
    expect(outputLines(log)).toEqual(WRITTEN)

    const logs = await orca(['logs', basename(run), '--job', 'flood'], {cwd: dir, env: NEUTRAL})
    expect(logs.stdout).toBe(log)
  })

  it("a cached job's log says it was replayed, from which run, and keeps the order", async () => {
    const dir = project({'jobs.yml': FLOOD})
    expect((await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL})).code).toBe(0)
    const second = await orca(['run', '--output', 'plain'], {cwd: dir, env: NEUTRAL})
    expect(second.code).toBe(0)
    const [first, cached] = runDirs(dir)
    const key = readJson<{jobs: {flood: {key: string; status: string; cachedFrom: string}}}>(join(cached!, 'run.json')).jobs.flood
    expect(key).toMatchObject({status: 'cached', cachedFrom: basename(first!)})

    const log = readFileSync(join(cached!, 'logs/flood.log'), 'utf8')
    expect(log.split('\n')[0]).toBe(`==> replayed from the cache: recorded by run ${basename(first!)} (key ${key.key.slice(0, 12)})`)
    expect(outputLines(log)).toEqual(WRITTEN)
    // orca logs prints the same text, header included.
    const logs = await orca(['logs', basename(cached!), '--job', 'flood'], {cwd: dir, env: NEUTRAL})
    expect(logs.stdout).toBe(log)
  })
})
