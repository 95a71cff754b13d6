import {describe, expect, it} from 'vitest'

import type {OrcaError} from '../../../src/engine/errors.js'
import type {Executor, JobOutcome} from '../../../src/engine/executor/types.js'
import type {Job} from '../../../src/engine/pipeline/types.js'
import {RunEmitter} from '../../../src/engine/run/emitter.js'
import type {JobStatus, OrcaEvent} from '../../../src/engine/records/events.js'
import {ExecutorSession} from '../../../src/engine/run/executor-session.js'
import {RunImages} from '../../../src/engine/run/run-images.js'
import {BuildContexts} from '../../../src/engine/cache/build-context.js'
import {RunArtifacts} from '../../../src/engine/run/artifacts.js'
import {liveJob, type JobRun} from '../../../src/engine/run/job-life.js'
import {RunOutputs} from '../../../src/engine/run/outputs.js'
import {RunStop} from '../../../src/engine/run/run-stop.js'
import {job} from '../../helpers/pipeline.js'
import {runFoldersPerTest} from '../../helpers/run-folders.js'

const folders = runFoldersPerTest()

function jobRun(jobs: Job[], runJob: Executor['runJob']) {
  const events: OrcaEvent[] = []
  const settled: Array<[string, JobStatus]> = []
  const infra: OrcaError[] = []
  const emitter = new RunEmitter('r', [{handle: (e) => events.push(e)}], [])
  const stop = new RunStop(new AbortController().signal, undefined, false)
  const executor: Executor = {prepare: async () => new Map(), runJob, cleanup: async () => {}, findLeaks: async () => []}
  const places = folders()
  const session = new ExecutorSession(async () => executor)
  const run: JobRun = {
    runId: 'r',
    projectDir: '/project',
    projectFiles: {files: ['a.txt'], orcaFiles: [], source: 'walk', untracked: []},
    ...places,
    artifacts: new RunArtifacts(places.blobs, places.artifactManifest),
    envOverrides: {},
    secrets: {},
    force: new AbortController().signal,
    emitter,
    executor: session,
    images: new RunImages(session, emitter, stop.signal, {projectId: 'p', contexts: new BuildContexts('/project')}),
    stop,
    infraError: (e) => void infra.push(e),
    imageMissing: () => undefined,
    outputs: new RunOutputs(),
    settle: (name, status) => void settled.push([name, status]),
    requeue: () => {
      throw new Error('not expected here')
    },
  }
  return {run, events, settled, infra, stop}
}

describe('liveJob', () => {
  it('settles a group job before its promise is awaited, without an executor', () => {
    const group = job('all', {steps: []})
    const {run, events, settled} = jobRun([group], async () => {
      throw new Error('not reached')
    })
    void liveJob(group, run)
    expect(settled).toEqual([['all', 'succeeded']])
    expect(events.map((e) => e.type)).toEqual(['job.started', 'job.finished'])
  })

  it('runs a job with its selected inputs and reports the executor\'s outcome', async () => {
    const build = job('build', {inputs: ['*.txt']})
    const outcome: JobOutcome = {status: 'failed', steps: [], artifacts: [], cleanup: 'removed'}
    const {run, events, settled} = jobRun([build], async (ctx) => {
      expect(ctx.inputFiles).toEqual(['a.txt'])
      return outcome
    })
    await liveJob(build, run)
    expect(settled).toEqual([['build', 'failed']])
    expect(events.at(-1)).toMatchObject({type: 'job.finished', job: 'build', status: 'failed', cleanup: 'removed'})
  })

  it('an executor that throws fails the job as an infrastructure error and stops the run', async () => {
    const build = job('build')
    const {run, events, settled, infra, stop} = jobRun([build], async () => {
      throw new Error('socket closed')
    })
    await liveJob(build, run)
    expect(settled).toEqual([['build', 'failed']])
    expect(infra[0]?.message).toBe('socket closed')
    expect(stop.signal.aborted).toBe(true)
    expect(events.at(-1)).toMatchObject({type: 'job.finished', status: 'failed', error: {kind: 'infra', message: 'socket closed'}})
  })
})
