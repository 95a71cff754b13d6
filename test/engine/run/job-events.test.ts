import {describe, expect, it} from 'vitest'

import {RunEmitter} from '../../../src/engine/run/emitter.js'
import type {OrcaEvent} from '../../../src/engine/records/events.js'
import {relayJobEvents, type JobRecording} from '../../../src/engine/run/job-events.js'
import {OutputBudget} from '../../../src/engine/run/output.js'

function relay(recordOutput: boolean, secrets: string[] = []) {
  const events: OrcaEvent[] = []
  const record: JobRecording = {output: [], warnings: []}
  const emit = relayJobEvents('build', new RunEmitter('r', [{handle: (e) => events.push(e)}], secrets), new OutputBudget(), record, recordOutput)
  return {events, record, emit}
}

describe('relayJobEvents', () => {
  it('masks a secret split across chunks of a step and records the masked text for the cache', () => {
    const {events, record, emit} = relay(true, ['s3cret'])
    emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from('the s3')})
    emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from('cret\n')})
    emit({type: 'step.finished', result: {index: 0, name: 's', status: 'succeeded', exitCode: 0, durationMs: 1, allowFailure: false}})
    const text = events.flatMap((e) => (e.type === 'step.output' ? [e.text] : [])).join('')
    expect(text).toBe('the ***\n')
    expect(record.output.map((c) => c.text).join('')).toBe('the ***\n')
    expect(events.at(-1)).toMatchObject({type: 'step.finished', job: 'build', index: 0, status: 'succeeded'})
  })

  it('keeps the warnings of a job with the secrets masked, as the event has them', () => {
    const {events, record, emit} = relay(true, ['s3cret'])
    emit({type: 'job.warning', warning: {kind: 'artifact-link-outside', message: 'out/s3cret.txt points outside the artifacts'}})
    expect(record.warnings).toEqual([{kind: 'artifact-link-outside', message: 'out/***.txt points outside the artifacts'}])
    expect(events.at(-1)).toMatchObject({type: 'job.warning', job: 'build', message: 'out/***.txt points outside the artifacts'})
  })

  it('keeps no output for a job that is not cached, but still the image it ran in', () => {
    const {record, emit} = relay(false)
    emit({type: 'job.container', containerId: 'c1', imageId: 'sha256:abc'})
    emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from('x\n')})
    emit({type: 'step.finished', result: {index: 0, name: 's', status: 'succeeded', exitCode: 0, durationMs: 1, allowFailure: false}})
    expect(record).toEqual({output: [], warnings: [], imageId: 'sha256:abc'})
  })
})
