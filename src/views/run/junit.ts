import {replaceFile} from '../../engine/atomic-file.js'
import type {EventSink, OrcaEvent} from '../../engine/records/events.js'
import {foldEvent} from '../../engine/records/record.js'
import type {JobRecord, RunRecord, StepRecord} from '../../engine/records/record.js'
import {OutputTail} from './tail.js'

/** Lines of output a failure carries; the whole log is in the run directory. */
const TAIL_LINES = 50
const FAILED_JOB = new Set(['failed', 'timed_out', 'cancelled'])

/**
 * `--junit FILE`: a JUnit XML report written when the run ends, a `<testsuite>` per job and a
 * `<testcase>` per step, failures carrying the tail of the step's output. Written via temp file +
 * rename, so a CI never reads half a report. A write failure is kept in `error`, never thrown into the run.
 */
export class JunitReporter implements EventSink {
  private record: RunRecord | undefined
  private readonly tails = new Map<string, OutputTail>()
  error: Error | undefined

  constructor(readonly file: string) {}

  handle(event: OrcaEvent): void {
    if (event.type === 'step.output') {
      const id = `${event.job}\u0000${event.step}`
      let tail = this.tails.get(id)
      if (tail === undefined) this.tails.set(id, (tail = new OutputTail(TAIL_LINES)))
      tail.push(event.text)
      return
    }
    this.record = foldEvent(this.record, event)
  }

  close(): void {
    if (this.record === undefined) return
    try {
      replaceFile(this.file, junitXml(this.record, (job, step) => this.tails.get(`${job}\u0000${step}`)?.last() ?? []), {createDir: true})
    } catch (error) {
      this.error = error as Error
    }
  }
}

type Tail = (job: string, step: number) => string[]
interface Case {
  name: string
  seconds: number
  /** `failure`, `error` or `skipped`, with its message and body; nothing for a pass. */
  outcome?: {element: 'failure' | 'error' | 'skipped'; type: string; message: string; body: string}
  systemOut?: string
}

/** The JUnit XML document of a run record (the widely used Ant/Jenkins dialect). */
function junitXml(record: RunRecord, tail: Tail): string {
  const suites = Object.entries(record.jobs).map(([name, job]) => ({name, job, cases: jobCases(name, job, tail)}))
  const count = (element: string): number =>
    suites.reduce((n, s) => n + s.cases.filter((c) => c.outcome?.element === element).length, 0)
  const tests = suites.reduce((n, s) => n + s.cases.length, 0)
  const out = ['<?xml version="1.0" encoding="UTF-8"?>']
  out.push(
    `<testsuites ${attrs({name: `orca run ${record.id}`, tests, failures: count('failure'), errors: count('error'), skipped: count('skipped'), time: seconds(record.durationMs)})}>`,
  )
  suites.forEach(({name, job, cases}, id) => {
    const n = (element: string): number => cases.filter((c) => c.outcome?.element === element).length
    out.push(
      `  <testsuite ${attrs({
        name,
        tests: cases.length,
        failures: n('failure'),
        errors: n('error'),
        skipped: n('skipped'),
        time: seconds(job.durationMs),
        timestamp: timestamp(job.startedAt ?? record.startedAt),
        hostname: record.host ?? 'localhost',
        id,
        package: 'orca',
      })}>`,
    )
    out.push('    <properties>')
    const props: Record<string, string | null> = {status: job.status, cache: job.cache, key: job.key, image: job.image, cleanup: job.cleanup}
    for (const [key, value] of Object.entries(props)) {
      if (value !== null) out.push(`      <property ${attrs({name: `orca.${key}`, value})}/>`)
    }
    out.push('    </properties>')
    for (const c of cases) {
      const head = `    <testcase ${attrs({name: c.name, classname: name, time: c.seconds.toFixed(3)})}`
      if (c.outcome === undefined && c.systemOut === undefined) {
        out.push(`${head}/>`)
        continue
      }
      out.push(`${head}>`)
      if (c.outcome) {
        const {element, type, message, body} = c.outcome
        out.push(`      <${element} ${attrs({message, type})}${body === '' ? '/>' : `>${text(body)}</${element}>`}`)
      }
      if (c.systemOut !== undefined) out.push(`      <system-out>${text(c.systemOut)}</system-out>`)
      out.push('    </testcase>')
    }
    out.push('  </testsuite>')
  })
  out.push('</testsuites>')
  return `${out.join('\n')}\n`
}

function jobCases(name: string, job: JobRecord, tail: Tail): Case[] {
  const cases = job.steps.map((step) => stepCase(name, step, tail))
  const stepFailed = cases.some((c) => c.outcome !== undefined && c.outcome.element !== 'skipped')
  if (job.status === 'skipped') {
    cases.push({name: '(job)', seconds: 0, outcome: {element: 'skipped', type: 'skipped', message: job.skippedReason ?? 'skipped', body: ''}})
  } else if (FAILED_JOB.has(job.status) && !stepFailed) {
    // The job failed outside its steps (image missing, artifacts, cancelled before a step).
    const message = job.error?.message ?? job.status.replace('_', ' ')
    cases.push({name: '(job)', seconds: (job.durationMs ?? 0) / 1000, outcome: {element: 'error', type: job.error?.kind ?? job.status, message, body: ''}})
  } else if (cases.length === 0) {
    cases.push({name: job.status === 'cached' ? '(cached)' : '(job)', seconds: (job.durationMs ?? 0) / 1000})
  }
  return cases
}

function stepCase(job: string, step: StepRecord, tail: Tail): Case {
  const base = {name: step.name || `step ${step.index + 1}`, seconds: (step.durationMs ?? 0) / 1000}
  const lines = (): string => tail(job, step.index).join('\n')
  const exit = step.exitCode === null ? '' : ` (exit ${step.exitCode})`
  switch (step.status) {
    case 'succeeded':
      return base
    case 'failed':
      if (step.allowFailure) return {...base, systemOut: `failed${exit}; allowed to fail\n${lines()}`}
      return {...base, outcome: {element: 'failure', type: 'failed', message: `step "${base.name}" failed${exit}`, body: lines()}}
    case 'timed_out':
      return {...base, outcome: {element: 'failure', type: 'timed_out', message: `step "${base.name}" timed out`, body: lines()}}
    case 'cancelled':
    case 'running':
      return {...base, outcome: {element: 'error', type: 'cancelled', message: `step "${base.name}" was cancelled`, body: lines()}}
    case 'skipped':
      return {...base, outcome: {element: 'skipped', type: 'skipped', message: 'an earlier step failed', body: ''}}
  }
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${attribute(String(value))}"`)
    .join(' ')
}

// Characters XML 1.0 cannot carry at all, escaped or not (control characters, lone surrogates).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** Text content: the three characters with meaning, and nothing XML 1.0 forbids. */
export function text(value: string): string {
  return value.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Attribute values also escape quotes and keep their newlines and tabs (parsers normalise them to spaces). */
function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
}

function seconds(ms: number | null): string {
  return ((ms ?? 0) / 1000).toFixed(3)
}

/** The Ant schema wants a timestamp without a zone; orca's times are UTC. */
function timestamp(iso: string): string {
  return iso.slice(0, 19)
}
