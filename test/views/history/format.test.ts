import {describe, expect, it} from 'vitest'

import {formatRunDetails} from '../../../src/views/history/format.js'
import {foldEvents} from '../../../src/engine/records/record.js'
import {stamp} from '../../engine/records/diamond-events.js'

describe('formatRunDetails', () => {
  it("prints the run's error once: a job that failed of it refers to it", () => {
    const down = 'cannot reach the Docker engine: connect ENOENT /var/run/docker.sock'
    const record = foldEvents(
      stamp([
        {type: 'run.started', targets: [], jobs: ['a', 'b'], file: '/p/jobs.yml', projectDir: '/p', pid: 1, host: 'h', orcaVersion: '0'},
        {type: 'job.started', job: 'a', image: 'busybox'},
        {type: 'job.finished', job: 'a', status: 'failed', durationMs: 5, cleanup: 'none', error: {kind: 'infra', message: down}},
        {type: 'job.started', job: 'b', image: 'busybox'},
        {type: 'job.finished', job: 'b', status: 'failed', durationMs: 5, cleanup: 'none', error: {kind: 'infra', message: 'could not pull image "x"'}},
        {type: 'run.finished', status: 'failed', durationMs: 9, error: {kind: 'infra', message: down}},
      ]),
    )!
    const text = formatRunDetails(record, {width: 100})
    expect(text.split(down)).toHaveLength(2)
    expect(text).toContain(`error     ${down}\n`)
    expect(text).toContain('  a: could not run: see the error above\n')
    expect(text).toContain('  b: could not pull image "x"\n')
  })
})
