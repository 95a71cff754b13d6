import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {EventBody} from '../../../src/engine/records/events.js'
import {foldEvents} from '../../../src/engine/records/record.js'
import {listRuns, readEvents, readRunRecord, RunStore} from '../../../src/engine/records/store.js'
import {diamondEvents, RUN_ID, stamp} from './diamond-events.js'

let runsDir: string
beforeEach(() => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'orca-store-'))
})
afterEach(() => {
  rmSync(runsDir, {recursive: true, force: true})
})

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'))
}

describe('RunStore', () => {
  it('creates the run directory with logs/ and artifacts/', async () => {
    const store = await RunStore.create(runsDir, RUN_ID)
    expect(statSync(path.join(runsDir, RUN_ID, 'logs')).isDirectory()).toBe(true)
    expect(statSync(path.join(runsDir, RUN_ID, 'artifacts')).isDirectory()).toBe(true)
    expect(store.artifactsDir('build')).toBe(path.join(runsDir, RUN_ID, 'artifacts', 'build'))
    expect(() => store.artifactsDir('../escape')).toThrow(/invalid job name/)
    store.close()
  })

  it('records every event in order, run.json as their fold, and each job log', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    for (const event of events) store.handle(event)
    store.close()

    const dir = path.join(runsDir, RUN_ID)
    const lines = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.map((l) => JSON.parse(l))).toEqual(events)
    expect(await readEvents(runsDir, RUN_ID)).toEqual(events)

    const record = readJson(path.join(dir, 'run.json'))
    expect(record).toEqual(foldEvents(events))
    expect(await readRunRecord(runsDir, RUN_ID)).toEqual(record)

    expect(readFileSync(path.join(dir, 'logs', 'build.log'), 'utf8')).toBe(
      '==> compile\ncompiling 3 files\ntoken=***\nno newline at the end\n==> package\npacked dist/app.tar\n',
    )
    expect(readFileSync(path.join(dir, 'logs', 'docs.log'), 'utf8')).toBe('==> render\nrender: missing title\n')
    expect(existsSync(path.join(dir, 'logs', 'deploy.log'))).toBe(false)
    expect(readdirSync(dir).sort()).toEqual(['artifacts', 'events.jsonl', 'logs', 'run.json'])
  })

  it('rewrites run.json once the events of a job changing state are handled', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    const file = path.join(runsDir, RUN_ID, 'run.json')
    for (const event of events.slice(0, 3)) store.handle(event)
    await new Promise((resolve) => setImmediate(resolve))
    expect(readJson(file)).toMatchObject({status: 'running', jobs: {build: {status: 'running'}, deploy: {status: 'pending'}}})
    store.close()
  })

  it('never leaves a partial run.json for a concurrent reader', async () => {
    const store = await RunStore.create(runsDir, RUN_ID)
    const jobs = Array.from({length: 40}, (_, i) => `job-${i}`)
    const bodies: EventBody[] = [
      {type: 'run.started', targets: [], jobs, file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0.1.0'},
    ]
    for (const job of jobs) {
      bodies.push({type: 'job.started', job, image: 'busybox:1.36'}, {type: 'step.started', job, step: 0, name: 'print'})
      for (let i = 0; i < 250; i++) bodies.push({type: 'step.output', job, step: 0, stream: 'stdout', text: `line ${i} of ${job}\n`})
      bodies.push(
        {type: 'step.finished', job, index: 0, name: 'print', status: 'succeeded', exitCode: 0, durationMs: 5, allowFailure: false},
        {type: 'job.finished', job, status: 'succeeded', durationMs: 6, cleanup: 'removed'},
      )
    }
    bodies.push({type: 'run.finished', status: 'succeeded', durationMs: 100})
    const events = stamp(bodies)

    store.handle(events[0]!)
    const file = path.join(runsDir, RUN_ID, 'run.json')
    const stopFile = path.join(runsDir, 'stop')
    const reader = readConcurrently(file, stopFile)
    await reader.ready
    for (let i = 1; i < events.length; i++) {
      store.handle(events[i]!)
      // Yield now and then so batched writes and throttled rewrites happen while the reader reads.
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    store.close()
    writeFileSync(stopFile, '')
    const {reads, failures} = await reader.done

    expect(failures).toEqual([])
    expect(reads).toBeGreaterThan(0)
    expect(readJson(file)).toEqual(foldEvents(events))
    expect(await readEvents(runsDir, RUN_ID)).toHaveLength(events.length)
    const log = readFileSync(path.join(runsDir, RUN_ID, 'logs', 'job-7.log'), 'utf8').split('\n')
    expect(log[0]).toBe('==> print')
    expect(log[250]).toBe('line 249 of job-7')
  })
})

describe('reading runs', () => {
  it('lists runs newest first', async () => {
    const older = '20261124T100000000Z-aaaaaa'
    const newer = '20261125T100000000Z-bbbbbb'
    for (const id of [newer, older]) {
      const store = await RunStore.create(runsDir, id)
      for (const event of stamp(diamondEvents(), id)) store.handle({...event, runId: id})
      store.close()
    }
    expect((await listRuns(runsDir)).map((r) => r.id)).toEqual([newer, older])
  })

  it('lists nothing when the runs directory does not exist', async () => {
    expect(await listRuns(path.join(runsDir, 'missing'))).toEqual([])
  })

  it('folds the events when run.json was never written, ignoring a torn last line', async () => {
    const events = diamondEvents().slice(0, 5)
    const dir = path.join(runsDir, RUN_ID)
    const store = await RunStore.create(runsDir, RUN_ID)
    store.close()
    writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e) + '\n').join('') + '{"type":"job.sta')
    expect(await readEvents(runsDir, RUN_ID)).toEqual(events)
    expect(await readRunRecord(runsDir, RUN_ID)).toEqual(foldEvents(events))
  })

  it('reads a run.json written before jobs had warnings as one with none', async () => {
    const record = foldEvents(diamondEvents())!
    const old = {...record, jobs: Object.fromEntries(Object.entries(record.jobs).map(([name, {warnings: _w, ...job}]) => [name, job]))}
    const store = await RunStore.create(runsDir, RUN_ID)
    store.close()
    writeFileSync(path.join(runsDir, RUN_ID, 'run.json'), JSON.stringify(old))
    const read = await readRunRecord(runsDir, RUN_ID)
    expect(read.jobs.build!.warnings).toEqual([])
    expect(read.jobs.lint).toEqual({...record.jobs.lint, warnings: []})
  })

  it('reports an unknown run as a usage error', async () => {
    await expect(readRunRecord(runsDir, 'nope')).rejects.toMatchObject({kind: 'usage', message: expect.stringMatching(/no run nope/)})
  })
})

/** Reads `file` in a tight loop in another process until `stopFile` exists; collects parse failures. */
function readConcurrently(file: string, stopFile: string): {ready: Promise<void>; done: Promise<{reads: number; failures: string[]}>} {
  const script = `
    const fs = require('node:fs')
    const [file, stopFile] = process.argv.slice(1)
    let reads = 0
    const failures = []
    let announced = false
    while (!fs.existsSync(stopFile)) {
      const text = fs.readFileSync(file, 'utf8')
      try { JSON.parse(text); reads++ } catch (e) { failures.push(text.slice(-80)) }
      if (!announced) { process.stdout.write('ready\\n'); announced = true }
    }
    process.stdout.write(JSON.stringify({reads, failures}) + '\\n')
  `
  const child = spawn(process.execPath, ['-e', script, file, stopFile], {stdio: ['ignore', 'pipe', 'inherit']})
  let output = ''
  let onReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (onReady = resolve))
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    if (output.startsWith('ready\n')) onReady()
  })
  const done = new Promise<{reads: number; failures: string[]}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const last = output.trim().split('\n').at(-1) ?? ''
      if (code !== 0) reject(new Error(`reader exited ${code}: ${output}`))
      else resolve(JSON.parse(last) as {reads: number; failures: string[]})
    })
  })
  return {ready, done}
}

describe('RunStore failures', () => {
  it('keeps the run going when the directory cannot be written, and reports it on close', async () => {
    const events = diamondEvents()
    const store = await RunStore.create(runsDir, RUN_ID)
    store.handle(events[0]!)
    rmSync(path.join(runsDir, RUN_ID), {recursive: true, force: true})
    for (const event of events.slice(1)) expect(() => store.handle(event)).not.toThrow()
    expect(store.current).toEqual(foldEvents(events))
    expect(() => store.close()).toThrow(expect.objectContaining({kind: 'infra', message: expect.stringContaining('cannot write the run directory')}))
  })

  it('refuses run ids that would leave the runs directory', async () => {
    await expect(readRunRecord(runsDir, '../etc')).rejects.toMatchObject({kind: 'usage'})
    await expect(readEvents(runsDir, 'a/b')).rejects.toMatchObject({kind: 'usage'})
  })
})
