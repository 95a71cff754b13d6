import {replaceFile} from '../../engine/atomic-file.js'
import type {EventSink, OrcaEvent, TestCaseResult} from '../../engine/records/events.js'
import {foldEvent} from '../../engine/records/record.js'
import type {JobRecord, RunRecord, StepRecord} from '../../engine/records/record.js'
import {OutputTail} from './tail.js'

/** Lines of output a failure carries; the whole log is in the run directory. */
const TAIL_LINES = 50
const FAILED_JOB = new Set(['failed', 'timed_out', 'cancelled'])

/**
 * `--junit FILE`: a JUnit XML report written when the run ends, a `<testsuite>` per job and a
 * `<testcase>` per step, failures carrying the tail of the step's output, then the testcases of the
 * job's own JUnit reports (`reports: {junit}`), so one file holds every test of the run. A step that
 * failed in an earlier attempt of a retried job carries it as Maven Surefire does (read by Jenkins,
 * GitLab and most report viewers): `<flakyFailure>` when the job then passed, `<rerunFailure>` when it
 * failed again; the suite's properties say the attempts and `orca.flaky`. Written via temp file +
 * rename, so a CI never reads half a report. A write failure is kept in `error`, never thrown into the run.
 */
export class JunitReporter implements EventSink {
  private record: RunRecord | undefined
  private readonly tails = new Map<string, OutputTail>()
  private readonly reports = new Map<string, TestCaseResult[]>()
  error: Error | undefined

  constructor(readonly file: string) {}

  handle(event: OrcaEvent): void {
    if (event.type === 'step.output') {
      const id = `${event.job}\u0000${event.attempt ?? 1}\u0000${event.step}`
      let tail = this.tails.get(id)
      if (tail === undefined) this.tails.set(id, (tail = new OutputTail(TAIL_LINES)))
      tail.push(event.text)
      return
    }
    if (event.type === 'job.reports') this.reports.set(event.job, event.junit.cases)
    this.record = foldEvent(this.record, event)
  }

  close(): void {
    if (this.record === undefined) return
    try {
      const tail = (job: string, step: number, attempt = 1): string[] => this.tails.get(`${job}\u0000${attempt}\u0000${step}`)?.last() ?? []
      replaceFile(this.file, junitXml(this.record, tail, this.reports), {createDir: true})
    } catch (error) {
      this.error = error as Error
    }
  }
}

type Tail = (job: string, step: number, attempt?: number) => string[]
interface Case {
  name: string
  /** The job's name for its steps; a report's own classname (or suite) for its testcases. */
  classname?: string
  seconds: number
  file?: string
  line?: number
  /** `failure`, `error` or `skipped`, with its message and body; nothing for a pass. */
  outcome?: {element: 'failure' | 'error' | 'skipped'; type: string; message: string; body: string}
  /** Its failures in earlier attempts of the job: `flakyFailure` (the job passed at last) or `rerunFailure`. */
  reruns?: Array<{element: 'flakyFailure' | 'rerunFailure'; type: string; message: string; body: string}>
  systemOut?: string
}

/** The JUnit XML document of a run record (the widely used Ant/Jenkins dialect). */
function junitXml(record: RunRecord, tail: Tail, reports: ReadonlyMap<string, readonly TestCaseResult[]> = new Map()): string {
  const suites = Object.entries(record.jobs).map(([name, job]) => ({
    name,
    job,
    cases: [...jobCases(name, job, tail), ...(reports.get(name) ?? []).map(reportCase)],
  }))
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
    const props: Record<string, string | null> = {
      status: job.status,
      cache: job.cache,
      key: job.key,
      image: job.image,
      cleanup: job.cleanup,
      ...(job.attempts.length > 1 ? {attempts: String(job.attempts.length), flaky: String(job.flaky)} : {}),
    }
    for (const [key, value] of Object.entries(props)) {
      if (value !== null) out.push(`      <property ${attrs({name: `orca.${key}`, value})}/>`)
    }
    out.push('    </properties>')
    for (const c of cases) {
      const where = c.file === undefined ? {} : {file: c.file, ...(c.line === undefined ? {} : {line: c.line})}
      const head = `    <testcase ${attrs({name: c.name, classname: c.classname ?? name, time: c.seconds.toFixed(3), ...where})}`
      if (c.outcome === undefined && c.systemOut === undefined && c.reruns === undefined) {
        out.push(`${head}/>`)
        continue
      }
      out.push(`${head}>`)
      if (c.outcome) {
        const {element, type, message, body} = c.outcome
        out.push(`      <${element} ${attrs({message, type})}${body === '' ? '/>' : `>${text(body)}</${element}>`}`)
      }
      for (const {element, type, message, body} of c.reruns ?? []) {
        out.push(`      <${element} ${attrs({message, type})}${body === '' ? '/>' : `><stackTrace>${text(body)}</stackTrace></${element}>`}`)
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
  const cases = job.steps.map((step) => withReruns(stepCase(name, step, tail, job.attempts.length || 1), step.index, name, job, tail))
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

/** A step's case with its failures in the job's earlier attempts (a retried job's). */
function withReruns(c: Case, index: number, name: string, job: JobRecord, tail: Tail): Case {
  const element = job.status === 'succeeded' ? 'flakyFailure' : 'rerunFailure'
  const reruns = job.attempts.slice(0, -1).flatMap((attempt) => {
    const step = attempt.steps.find((s) => s.index === index)
    const failed = step === undefined ? undefined : stepCase(name, step, tail, attempt.attempt).outcome
    if (failed === undefined || failed.element === 'skipped') return []
    return [{element, type: failed.type, message: `attempt ${attempt.attempt}: ${failed.message}`, body: failed.body}] as const
  })
  return reruns.length === 0 ? c : {...c, reruns: [...reruns]}
}

/** A testcase of a job's report, as it was in the report. */
function reportCase(c: TestCaseResult): Case {
  const result: Case = {name: c.name, classname: c.classname ?? c.suite, seconds: c.time ?? 0}
  if (c.file !== undefined) result.file = c.file
  if (c.line !== undefined) result.line = c.line
  const message = c.message ?? ''
  if (c.outcome === 'failed') result.outcome = {element: 'failure', type: 'failed', message, body: c.details ?? ''}
  else if (c.outcome === 'error') result.outcome = {element: 'error', type: 'error', message, body: c.details ?? ''}
  else if (c.outcome === 'skipped') result.outcome = {element: 'skipped', type: 'skipped', message, body: ''}
  return result
}

function stepCase(job: string, step: StepRecord, tail: Tail, attempt = 1): Case {
  const base = {name: step.name || `step ${step.index + 1}`, seconds: (step.durationMs ?? 0) / 1000}
  const lines = (): string => tail(job, step.index, attempt).join('\n')
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
