import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {JunitReporter} from '../../../src/views/run/junit.js'
import type {EventBody} from '../../../src/engine/records/events.js'
import {diamondEvents, stamp} from '../../engine/records/diamond-events.js'
import {parseXml, type XmlElement} from './xml.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function report(events = diamondEvents()): {xml: string; root: XmlElement; dir: string} {
  const dir = mkdtempSync(join(tmpdir(), 'orca-junit-'))
  dirs.push(dir)
  const file = join(dir, 'reports/junit.xml')
  const reporter = new JunitReporter(file)
  for (const event of events) reporter.handle(event)
  reporter.close()
  expect(reporter.error).toBeUndefined()
  const xml = readFileSync(file, 'utf8')
  return {xml, root: parseXml(xml), dir}
}

const suite = (root: XmlElement, name: string): XmlElement => root.children.find((s) => s.attrs.name === name)!

describe('JunitReporter', () => {
  it('writes a testsuite per job and a testcase per step, with totals', () => {
    const {root, dir} = report()
    expect(readdirSync(join(dir, 'reports'))).toEqual(['junit.xml'])
    expect(root.name).toBe('testsuites')
    expect(root.children.map((s) => s.attrs.name)).toEqual(['build', 'lint', 'test', 'docs', 'deploy'])
    expect(root.attrs).toMatchObject({tests: '8', failures: '2', errors: '0', skipped: '2', time: '9.800'})
    const build = suite(root, 'build')
    expect(build.attrs).toMatchObject({tests: '2', failures: '0', time: '4.200', timestamp: '2026-11-25T20:30:15', hostname: 'ci-1'})
    expect(build.children.filter((c) => c.name === 'testcase').map((c) => [c.attrs.name, c.attrs.classname, c.attrs.time])).toEqual([
      ['compile', 'build', '1.200'],
      ['package', 'build', '0.300'],
    ])
    const props = build.children[0]!.children.map((p) => [p.attrs.name, p.attrs.value])
    expect(props).toContainEqual(['orca.status', 'succeeded'])
    expect(props).toContainEqual(['orca.cache', 'miss'])
  })

  it('reports failures with the tail of the step output, and skips with their reason', () => {
    const {root} = report()
    const render = suite(root, 'docs').children.find((c) => c.attrs.name === 'render')!
    expect(render.children[0]).toMatchObject({name: 'failure', attrs: {type: 'failed', message: 'step "render" failed (exit 2)'}, text: 'render: missing title'})
    const publish = suite(root, 'docs').children.find((c) => c.attrs.name === 'publish')!
    expect(publish.children[0]?.name).toBe('skipped')
    const sleep = suite(root, 'test').children.find((c) => c.attrs.name === 'sleep')!
    expect(sleep.children[0]).toMatchObject({name: 'failure', attrs: {type: 'timed_out'}})
    const deploy = suite(root, 'deploy').children.find((c) => c.name === 'testcase')!
    expect(deploy.children[0]).toMatchObject({name: 'skipped', attrs: {message: 'needs test (timed_out)'}})
    const style = suite(root, 'lint').children.find((c) => c.attrs.name === 'style')!
    expect(style.children.map((c) => c.name)).toEqual(['system-out'])
  })

  it('escapes markup and drops what XML 1.0 cannot carry', () => {
    const nasty = 'a <b> & "c" \u0000\u001B[31mred\u001B[39m \uD800 ]]> end'
    const events = stamp([
      {type: 'run.started', targets: ['x'], jobs: ['x'], file: 'jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
      {type: 'job.started', job: 'x', image: 'busybox'},
      {type: 'step.started', job: 'x', step: 0, name: 'say "<hi>" & bye'},
      {type: 'step.output', job: 'x', step: 0, stream: 'stdout', text: `${nasty}\n`},
      {type: 'step.finished', job: 'x', index: 0, name: 'say "<hi>" & bye', status: 'failed', exitCode: 1, durationMs: 5, allowFailure: false},
      {type: 'job.finished', job: 'x', status: 'failed', durationMs: 10, cleanup: 'removed'},
      {type: 'run.finished', status: 'failed', durationMs: 20},
    ] satisfies EventBody[])
    const {root} = report(events)
    const step = suite(root, 'x').children.find((c) => c.name === 'testcase')!
    expect(step.attrs.name).toBe('say "<hi>" & bye')
    expect(step.children[0]!.text).toBe('a <b> & "c" red  ]]> end')
  })

  it('keeps a write failure instead of throwing into the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orca-junit-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'a-file'), '')
    const reporter = new JunitReporter(join(dir, 'a-file/junit.xml'))
    for (const event of diamondEvents()) reporter.handle(event)
    expect(() => reporter.close()).not.toThrow()
    expect(reporter.error).toBeInstanceOf(Error)
  })
})
