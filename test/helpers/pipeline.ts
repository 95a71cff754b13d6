import type {Job, Pipeline, Step} from '../../src/engine/pipeline/types.js'

/** A normalised job with defaults, for tests of the planner and scheduler. */
export function job(name: string, fields: Partial<Omit<Job, 'steps'>> & {steps?: Array<string | Partial<Step>>} = {}): Job {
  const {steps = ['true'], ...rest} = fields
  return {
    name,
    image: 'busybox:1.36',
    needs: [],
    env: {},
    secrets: [],
    workdir: '/workspace',
    timeoutMs: 60_000,
    cleanup: 'always_remove',
    cache: true,
    resources: {},
    network: 'bridge',
    services: {},
    volumes: {},
    artifacts: [],
    ...rest,
    steps: steps.map((s, i) =>
      typeof s === 'string'
        ? {name: s, run: s, env: {}, allowFailure: false}
        : {name: `step ${i}`, run: 'true', env: {}, allowFailure: false, ...s},
    ),
  }
}

export function pipeline(jobs: Job[], projectDir = '/project'): Pipeline {
  return {file: `${projectDir}/jobs.yml`, projectDir, version: 1, jobs: new Map(jobs.map((j) => [j.name, j]))}
}
