import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseXml, type XmlElement} from '../views/run/xml.js'
import {NEUTRAL_ENV, orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

type Counts = {tests: number; failures: number; errors: number; skipped: number}
type JobRecord = {
  status: string
  cache: string | null
  artifacts: {count: number; manifest: string} | null
  reports: {junit: Counts & {files: string[]}} | null
}
type RunRecord = {status: string; jobs: Record<string, JobRecord>}

const project = projectsPerTest()
const XSD = resolve(import.meta.dirname, '../fixtures/junit/junit.xsd')

/**
 * A step that writes a JUnit report of `passed` passing tests, then two failures (one where the report
 * says file and line), one skipped test: the counts the views must show exactly.
 */
function writeReport(file: string, suite: string, passed: number): string {
  return [
    `mkdir -p $(dirname ${file})`,
    `{`,
    `  echo '<?xml version="1.0" encoding="UTF-8"?>'`,
    `  echo '<testsuites><testsuite name="${suite}">'`,
    `  i=1; while [ $i -le ${passed} ]; do echo "<testcase classname=\\"${suite}.math\\" name=\\"adds $i\\" time=\\"0.01\\"/>"; i=$((i+1)); done`,
    `  echo '<testcase classname="${suite}.math" name="divides" file="src/math.test.js" line="12"><failure message="expected 2, got 3">at div (src/math.js:7)</failure></testcase>'`,
    `  echo '<testcase classname="${suite}.io" name="reads a file"><failure message="ENOENT">no such file</failure></testcase>'`,
    `  echo '<testcase classname="${suite}.io" name="later"><skipped/></testcase>'`,
    `  echo '</testsuite></testsuites>'`,
    `} > ${file}`,
  ].join('\n')
}

const PIPELINE = `version: 1
image: busybox:1.36
jobs:
  test:
    inputs: []
    steps:
      - name: unit tests
        run: |
${indent(writeReport('out/junit.xml', 'unit', 45), 10)}
          echo covered > out/coverage.txt
          exit 1
      - name: collect diagnostics
        when: on_failure
        run: echo "diagnostics of the failure" > out/diagnostics.log
    artifacts:
      paths: [out/diagnostics.log, out/coverage.txt]
      when: on_failure
    reports:
      junit: [out/*.xml]
  slow:
    inputs: []
    timeout: 3s
    steps:
      - name: integration
        run: |
${indent(writeReport('slow/junit.xml', 'integration', 1), 10)}
          echo partial > slow/partial.txt
          sleep 60
    artifacts:
      paths: [slow/partial.txt]
      when: always
    reports:
      junit: [slow/junit.xml]
  summary:
    needs: [test, slow]
    when: always
    inputs: []
    steps:
      - name: read what failed
        run: |
          cat out/diagnostics.log slow/partial.txt
${indent(writeReport('summary/junit.xml', 'summary', 3), 10)}
    reports:
      junit: [summary/junit.xml]
`

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n')
}

function lastRun(dir: string): {dir: string; record: RunRecord; events: Array<Record<string, unknown>>} {
  const run = runDirs(dir).at(-1)!
  return {dir: run, record: readJson<RunRecord>(join(run, 'run.json')), events: readLines(join(run, 'events.jsonl'))}
}

/** The testcases of one job's testsuite in a --junit file, and the suite's own counts. */
function suiteOf(root: XmlElement, job: string): {attrs: Record<string, string>; cases: XmlElement[]} {
  const suite = root.children.find((s) => s.name === 'testsuite' && s.attrs.name === job)!
  return {attrs: suite.attrs, cases: suite.children.filter((c) => c.name === 'testcase')}
}

function outcomes(cases: XmlElement[], classPrefix: string): Counts {
  const mine = cases.filter((c) => c.attrs.classname?.startsWith(classPrefix))
  const has = (name: string): number => mine.filter((c) => c.children.some((child) => child.name === name)).length
  return {tests: mine.length, failures: has('failure'), errors: has('error'), skipped: has('skipped')}
}

function schemaCheck(file: string): void {
  // Throws (with xmllint's message) when the file does not follow the JUnit schema.
  execFileSync('xmllint', ['--noout', '--schema', XSD, file], {stdio: 'pipe'})
}

describe('artifacts and reports of failed jobs (real engine)', () => {
  it('a failing test and a timed-out job leave their on_failure/always artifacts and JUnit reports; an always job gets them; --junit, the job lines and the records count exactly', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const result = await orca(['run', '--output', 'plain', '--junit', 'junit.xml'], {cwd: dir, env: NEUTRAL_ENV})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)
    const run = lastRun(dir)
    const {test, slow, summary} = run.record.jobs as Record<'test' | 'slow' | 'summary', JobRecord>
    expect([test.status, slow.status, summary.status]).toEqual(['failed', 'timed_out', 'succeeded'])

    // Artifacts of the failed and the timed-out job: in the run directory, described by their manifests.
    expect(test.artifacts).toMatchObject({count: 2, manifest: 'artifacts/test.json'})
    expect(readFileSync(join(run.dir, 'artifacts/test/out/diagnostics.log'), 'utf8')).toBe('diagnostics of the failure\n')
    const manifest = readFileSync(join(run.dir, 'artifacts/test.json'), 'utf8')
    expect(manifest).toContain('out/coverage.txt')
    expect(slow.artifacts).toMatchObject({count: 1})
    expect(readFileSync(join(run.dir, 'artifacts/slow/slow/partial.txt'), 'utf8')).toBe('partial\n')
    // The always job ran with both failed jobs' artifacts in its workspace.
    expect(result.stdout).toContain('[summary] diagnostics of the failure')
    expect(result.stdout).toContain('[summary] partial')

    // Reports: whatever the job's state, counted exactly.
    expect(test.reports).toEqual({junit: {tests: 48, failures: 2, errors: 0, skipped: 1, files: ['reports/test/out/junit.xml']}})
    expect(slow.reports?.junit).toMatchObject({tests: 4, failures: 2, skipped: 1})
    expect(summary.reports?.junit).toMatchObject({tests: 6, failures: 2, skipped: 1})
    expect(existsSync(join(run.dir, 'reports/test/out/junit.xml'))).toBe(true)
    expect(result.stdout).toMatch(/\[test\] +✗ failed \(step "unit tests" exited 1\) in [0-9.]+m?s {2}\(tests: 48, 2 failed, 1 skipped\)/)
    expect(result.stdout).toMatch(/✗ test +failed +[0-9.]+m?s +step "unit tests" exited 1 {2}\(tests: 48, 2 failed, 1 skipped\)/)

    // --junit: valid against the JUnit schema, each report's testcases under its job, counts exact.
    const junitFile = join(dir, 'junit.xml')
    schemaCheck(junitFile)
    const root = parseXml(readFileSync(junitFile, 'utf8'))
    const testSuite = suiteOf(root, 'test')
    expect(outcomes(testSuite.cases, 'unit.')).toEqual({tests: 48, failures: 2, errors: 0, skipped: 1})
    expect(outcomes(suiteOf(root, 'slow').cases, 'integration.')).toEqual({tests: 4, failures: 2, errors: 0, skipped: 1})
    expect(outcomes(suiteOf(root, 'summary').cases, 'summary.')).toEqual({tests: 6, failures: 2, errors: 0, skipped: 1})
    const divides = testSuite.cases.find((c) => c.attrs.name === 'divides')!
    expect(divides.attrs).toMatchObject({file: 'src/math.test.js', line: '12'})
    // The suite's counts are its steps' testcases plus its report's.
    expect(Number(testSuite.attrs.tests)).toBe(testSuite.cases.length)

    // A failed job is never a cache entry: the next run runs it again.
    const again = await orca(['run', 'test', '--output', 'plain'], {cwd: dir, env: NEUTRAL_ENV})
    expect(again.code).toBe(1)
    expect(lastRun(dir).record.jobs.test).toMatchObject({status: 'failed', cache: 'miss'})
  })

  it('GitHub: failed tests are annotations at their file and line, counts in the step summary; GitLab reads the same --junit', async () => {
    const dir = project({'jobs.yml': PIPELINE})
    const summaryFile = join(dir, 'step-summary.md')
    const github = await orca(['run', 'test', '--output', 'plain', '--junit', 'github.xml'], {
      cwd: dir,
      env: {...NEUTRAL_ENV, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile},
    })
    expect(github.code).toBe(1)
    const lines = github.stdout.split('\n')
    expect(lines).toContain('::error file=src/math.test.js,line=12,title=test%3A unit.math › divides::expected 2, got 3')
    expect(lines).toContain('::error title=test%3A unit.io › reads a file::ENOENT')
    const summary = readFileSync(summaryFile, 'utf8')
    expect(summary).toContain('| test | 48 | 2 | 0 | 1 |')
    expect(summary).toContain('- unit.math › divides (src/math.test.js:12): expected 2, got 3')

    const gitlab = await orca(['run', 'test', '--output', 'plain', '--junit', 'gitlab.xml'], {cwd: dir, env: {...NEUTRAL_ENV, GITLAB_CI: 'true'}})
    expect(gitlab.code).toBe(1)
    schemaCheck(join(dir, 'gitlab.xml'))
    const root = parseXml(readFileSync(join(dir, 'gitlab.xml'), 'utf8'))
    expect(outcomes(suiteOf(root, 'test').cases, 'unit.')).toEqual({tests: 48, failures: 2, errors: 0, skipped: 1})
    expect(gitlab.stdout).toContain('(tests: 48, 2 failed, 1 skipped)')
  })
})
