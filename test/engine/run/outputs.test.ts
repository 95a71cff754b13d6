import {describe, expect, it} from 'vitest'

import {RunOutputs, jobOutputs, parseOutputFile} from '../../../src/engine/run/outputs.js'
import {withNeedOutputs} from '../../../src/engine/run/job-life.js'
import {job} from '../../helpers/pipeline.js'

describe('the outputs file', () => {
  it("reads NAME=value lines and NAME<<DELIMITER blocks as GitHub's GITHUB_OUTPUT, a later line winning", () => {
    const text = 'version=1.2\r\nnotes<<EOF\nline one\n\nline = two\nEOF\nversion=1.3\nempty=\n'
    expect(parseOutputFile(text, ['version', 'notes', 'empty'])).toEqual({values: {version: '1.3', notes: 'line one\n\nline = two', empty: ''}, problems: []})
  })

  it('names lines that are not outputs, undeclared names and an unclosed block', () => {
    const {values, problems} = parseOutputFile('oops\nother=1\nnotes<<END\nnever closed\n', ['notes'])
    expect(values).toEqual({})
    expect(problems).toEqual([
      'line 1: expected NAME=value or NAME<<DELIMITER',
      'line 2: "other" is not among the job\'s outputs ("notes")',
      'line 3: "notes<<END" has no closing "END" line',
    ])
  })

  it("never hands on an output that holds a secret's value", () => {
    const {values, warnings} = jobOutputs('token=abc-s3cret-def\nversion=2\n', ['token', 'version'], ['s3cret'])
    expect(values).toEqual({version: '2'})
    expect(warnings).toEqual([{kind: 'output-secret', message: 'output "token" holds a secret\'s value: it is not handed on'}])
  })

  it("replaces ${{ needs.JOB.outputs.NAME }} in the job's and its steps' env, '' for a value not written", () => {
    const outputs = new RunOutputs()
    outputs.set('build', {version: '1.2'})
    const resolved = withNeedOutputs(
      job('release', {needs: ['build'], env: {V: 'v${{ needs.build.outputs.version }}', M: '${{needs.build.outputs.missing}}', X: '${{ other }}'}, steps: [{run: 'true', env: {S: '${{ needs.build.outputs.version }}'}}]}),
      outputs,
    )
    expect(resolved.env).toEqual({V: 'v1.2', M: '', X: '${{ other }}'})
    expect(resolved.steps[0]!.env).toEqual({S: '1.2'})
  })
})
