import type {Executor, JobContext, JobOutcome} from '../../src/engine/executor/types.js'

/**
 * An Executor whose jobs run until the test opens the gate (or the run is cancelled): lets tests
 * hold runs "running" to observe the queue, live streams and shutdown without containers.
 */
export function gatedExecutor(): {factory: () => Promise<Executor>; open: () => void; started: string[]} {
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  const started: string[] = []
  const executor: Executor = {
    async prepare() {
      return new Map()
    },
    async runJob(ctx: JobContext): Promise<JobOutcome> {
      started.push(ctx.runId)
      ctx.emit({type: 'step.started', step: 0, name: 'wait'})
      ctx.emit({type: 'step.output', step: 0, stream: 'stdout', chunk: Buffer.from(`${ctx.job.name} waiting\n`)})
      await new Promise<void>((resolve) => {
        void gate.then(resolve)
        ctx.cancel.addEventListener('abort', () => resolve(), {once: true})
      })
      const status = ctx.cancel.aborted ? 'cancelled' : 'succeeded'
      const step = {index: 0, name: 'wait', status, exitCode: status === 'succeeded' ? 0 : null, durationMs: 1, allowFailure: false} as const
      ctx.emit({type: 'step.finished', result: step})
      return {status, steps: [step], artifacts: [], cleanup: 'removed'}
    },
    async cleanup() {},
    async findLeaks() {
      return []
    },
  }
  return {factory: async () => executor, open: () => open(), started}
}

export const WAIT_YML = `version: 1
image: busybox:1.36
jobs:
  work:
    steps: ["sleep 1000"]
`

/** Polls until `check` holds (bounded: fails after ~10 s). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not reached within 10 s')
}
