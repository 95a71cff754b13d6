import {describe, expect, it} from 'vitest'

import {logTextOf} from '../../src/engine/records/log-header.js'
import type {OrcaEvent} from '../../src/engine/records/events.js'
import {LogLines} from '../../web/log-lines.js'

const lines = (log: LogLines): string[] => Array.from({length: log.length}, (_, i) => log.line(i))

describe('a job log as the dashboard keeps it', () => {
  it('splits output into lines across chunks, showing the unfinished last one', () => {
    const log = new LogLines().append('a\nb', false).append('c\nd\n', false).append('e', false)
    expect(lines(log)).toEqual(['a', 'bc', 'd', 'e'])
  })

  it('starts a header on a line of its own, as logs/<job>.log does', () => {
    const log = new LogLines().append('no newline at the end', false).append('==> next step\n', true)
    expect(lines(log)).toEqual(['no newline at the end', '==> next step'])
  })

  it('adds what the run store adds to the log file for each event', () => {
    const base = {seq: 1, time: '2026-01-01T00:00:00.000Z', runId: 'r'}
    const events = [
      {...base, type: 'job.started', job: 'build', image: 'busybox', key: 'k'.repeat(64), cache: 'hit', cachedFrom: 'old-run'},
      {...base, type: 'step.started', job: 'build', step: 0, name: 'compile'},
      {...base, type: 'step.output', job: 'build', step: 0, stream: 'stdout', text: 'half'},
      {...base, type: 'step.started', job: 'build', step: 1, name: 'test'},
    ] as unknown as OrcaEvent[]
    const log = new LogLines()
    for (const event of events) {
      const added = logTextOf(event)
      if (added) log.append(added.text, added.header)
    }
    expect(lines(log)).toEqual(['==> replayed from the cache: recorded by run old-run (key kkkkkkkkkkkk)', '==> compile', 'half', '==> test'])
  })
})
