import {Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {shouldColor} from '../../../src/views/run/color.js'
import {formatRunError, GithubReporter} from '../../../src/views/run/ci.js'
import {PlainReporter} from '../../../src/views/run/plain.js'
import {diamondEvents, RUN_ID, stamp} from '../../engine/records/diamond-events.js'

function collector(isTTY = false): Writable & {isTTY: boolean; text: () => string} {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  }) as Writable & {isTTY: boolean; text: () => string}
  stream.isTTY = isTTY
  stream.text = () => chunks.join('')
  return stream
}

async function render(options: {color?: boolean; env?: NodeJS.ProcessEnv; isTTY?: boolean} = {color: false}): Promise<string> {
  const out = collector(options.isTTY)
  const reporter = new PlainReporter(out, options)
  for (const event of diamondEvents()) reporter.handle(event)
  await reporter.close()
  return out.text()
}

describe('PlainReporter', () => {
  it('prefixes every output line with its job, padded to the longest name', async () => {
    const lines = (await render()).split('\n')
    expect(lines).toContain('[build]  compiling 3 files')
    expect(lines).toContain('[docs]   render: missing title')
    expect(lines).toContain('[build]  token=***')
    expect(lines).toContain('[build]  no newline at the end')
    expect(lines).toContain('[lint]   src/a.ts: trailing space')
  })

  it('prints step starts and job results', async () => {
    const lines = (await render()).split('\n')
    expect(lines[0]).toBe(`orca run ${RUN_ID}: 5 jobs`)
    expect(lines).toContain('[build]  ▶ compile')
    expect(lines).toContain('[build]  ✓ succeeded in 4.2s')
    expect(lines).toContain('[docs]   ✗ failed (step "render" exited 2) in 400ms')
    expect(lines).toContain('[lint]   ! step "style" failed (exit 1); allowed to fail')
    expect(lines).toContain('[lint]   ✓ succeeded on attempt 2 (flaky) in 500ms')
    expect(lines).toContain('[test]   ✗ timed out (step "sleep" exceeded its timeout of 5s) in 5.1s  (tests: 3, 1 failed, 1 skipped)')
    expect(lines).toContain('[deploy] ○ skipped (needs test (timed_out))')
  })

  it('ends with a summary of every job and the totals', async () => {
    const text = await render()
    const summary = text.slice(text.indexOf('\nSummary\n') + 1).split('\n')
    expect(summary).toEqual([
      'Summary',
      '  ✓ build   succeeded    4.2s',
      '  ✓ lint    succeeded   500ms  flaky: passed on attempt 2',
      '  ✗ test    timed out    5.1s  step "sleep" exceeded its timeout of 5s  (tests: 3, 1 failed, 1 skipped)',
      '  ✗ docs    failed      400ms  step "render" exited 2',
      '  ○ deploy  skipped            needs test (timed_out)',
      '5 jobs: 2 succeeded (1 flaky), 1 timed out, 1 failed, 1 skipped; run failed in 9.8s',
      'remote cache: 1 miss',
      'volumes: 1 restored (4.0 KiB, 1 from the remote cache), 1 saved',
      '',
    ])
  })

  it('writes no escape codes to a pipe, and colours a terminal', async () => {
    expect(await render({env: {}, isTTY: false})).not.toContain('\u001B[')
    expect(await render({env: {}, isTTY: true})).toContain('\u001B[32m✓ succeeded in 4.2s\u001B[39m')
  })
})

describe('shouldColor', () => {
  it('follows the terminal, NO_COLOR and FORCE_COLOR', () => {
    expect(shouldColor({isTTY: true}, {})).toBe(true)
    expect(shouldColor({isTTY: false}, {})).toBe(false)
    expect(shouldColor({}, {})).toBe(false)
    expect(shouldColor({isTTY: true}, {NO_COLOR: '1'})).toBe(false)
    expect(shouldColor({isTTY: true}, {NO_COLOR: ''})).toBe(true)
    expect(shouldColor({isTTY: false}, {FORCE_COLOR: '1'})).toBe(true)
    expect(shouldColor({isTTY: true}, {FORCE_COLOR: '0'})).toBe(false)
    expect(shouldColor({isTTY: false}, {FORCE_COLOR: '', NO_COLOR: '1'})).toBe(true)
  })
})

describe("the run's error", () => {
  const DOWN = 'cannot reach the Docker engine: connect ENOENT /var/run/docker.sock'
  const infra = (message: string) => ({kind: 'infra', message})
  const events = stamp([
    {type: 'run.started', targets: [], jobs: ['a', 'b', 'c'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
    {type: 'job.started', job: 'a', image: 'busybox'},
    {type: 'job.finished', job: 'a', status: 'failed', durationMs: 5, cleanup: 'none', error: infra(DOWN)},
    {type: 'job.started', job: 'b', image: 'busybox'},
    {type: 'job.finished', job: 'b', status: 'failed', durationMs: 6, cleanup: 'none', error: infra('could not pull image "x": denied')},
    {type: 'job.skipped', job: 'c', reason: 'run cancelled'},
    {type: 'run.finished', status: 'failed', durationMs: 9, error: infra(DOWN)},
  ])

  it('is left to the command to say once: the job line and the summary refer to it', async () => {
    const out = collector()
    const reporter = new PlainReporter(out, {color: false})
    for (const event of events) reporter.handle(event)
    await reporter.close()
    const text = out.text()
    expect(text).not.toContain(DOWN)
    expect(text).toContain('[a] ✗ failed (could not run: see the error below) in 5ms')
    expect(text).toContain('  ✗ a  failed        5ms  could not run: see the error below\n')
    // Another job's own infrastructure error is not the one said at the end: it keeps its message.
    expect(text).toContain('[b] ✗ failed (could not pull image "x": denied) in 6ms')
  })

  it('is one GitHub annotation for the run (with its hint) rather than one per job', async () => {
    const out = collector()
    const reporter = new GithubReporter(out, {color: false, env: {}})
    for (const event of events) reporter.handle(event)
    await reporter.close()
    expect(out.text()).not.toContain(DOWN)
    expect(out.text().match(/^::error/gm)).toEqual(['::error'])
    expect(out.text()).toContain('::error title=orca%3A b::failed (could not pull image "x": denied) in 6ms')
    expect(formatRunError({message: `${DOWN}\n  tried unix:///var/run/docker.sock`, hint: 'Start Docker'}, {GITHUB_ACTIONS: 'true'})).toBe(
      `::error title=orca::${DOWN}%0A  tried unix:///var/run/docker.sock%0Ahint: Start Docker\n`,
    )
    expect(formatRunError({message: DOWN, hint: 'Start Docker'}, {})).toBe(`error: ${DOWN}\nhint: Start Docker\n`)
  })
})
