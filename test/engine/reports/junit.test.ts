import {describe, expect, it} from 'vitest'

import {countCases, parseJunit} from '../../../src/engine/reports/junit.js'

describe('parseJunit', () => {
  it('reads suites nested in suites, each testcase passed, failed, errored or skipped, with the file and line a runner wrote', () => {
    const xml = `<?xml version="1.0"?>
<testsuites>
  <testsuite name="outer">
    <testcase name="adds" classname="math" time="0.25"/>
    <testcase name="divides" classname="math" file="src/math.test.js" line="12"><failure message="expected 2">at div &amp; more</failure></testcase>
    <testsuite name="inner">
      <testcase name="reads"><error type="ENOENT">no file</error></testcase>
      <testcase name="later"><skipped message="todo"/></testcase>
    </testsuite>
  </testsuite>
</testsuites>`
    const parsed = parseJunit(xml, 'junit.xml')
    if ('problem' in parsed) throw new Error(parsed.problem)
    expect(parsed.cases).toEqual([
      {suite: 'outer', name: 'adds', classname: 'math', time: 0.25, outcome: 'passed'},
      {suite: 'outer', name: 'divides', classname: 'math', outcome: 'failed', message: 'expected 2', details: 'at div & more', file: 'src/math.test.js', line: 12},
      {suite: 'inner', name: 'reads', outcome: 'error', message: 'ENOENT', details: 'no file'},
      {suite: 'inner', name: 'later', outcome: 'skipped', message: 'todo'},
    ])
    expect(countCases(parsed.cases)).toEqual({tests: 4, failures: 1, errors: 1, skipped: 1})
  })

  it('reads a lone testsuite, and names the suite after the file when it has no name', () => {
    const parsed = parseJunit('<testsuite><testcase name="only"/></testsuite>', 'out/a.xml')
    expect(parsed).toEqual({cases: [{suite: 'out/a.xml', name: 'only', outcome: 'passed'}]})
  })

  it('says why a file is not a JUnit report', () => {
    expect(parseJunit('<testsuites><testsuite></testsuites>', 'x')).toMatchObject({problem: expect.stringContaining('not well-formed XML (line 1')})
    expect(parseJunit('<coverage/>', 'x')).toEqual({problem: 'has no <testsuites> or <testsuite> element'})
  })
})
