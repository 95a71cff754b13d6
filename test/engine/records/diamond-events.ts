import type {EventBody, OrcaEvent} from '../../../src/engine/records/events.js'

export const RUN_ID = '20261125T203015123Z-3f9a1c'
const SHA = (c: string): string => c.repeat(64)

/** Stamps bodies as the engine would: gap-free seq, increasing times. */
export function stamp(bodies: EventBody[], runId = RUN_ID, start = Date.parse('2026-11-25T20:30:15.123Z')): OrcaEvent[] {
  return bodies.map((body, i) => ({...body, seq: i + 1, time: new Date(start + i * 100).toISOString(), runId}) as OrcaEvent)
}

/**
 * A diamond `build -> (lint, test) -> deploy` plus an independent `docs`:
 * build succeeds, lint succeeds on its second attempt (flaky) despite an allowed failure, test times out,
 * deploy is skipped, docs fails.
 */
export function diamondEvents(): OrcaEvent[] {
  return stamp([
    {
      type: 'run.started',
      targets: ['deploy', 'docs'],
      jobs: ['build', 'lint', 'test', 'docs', 'deploy'],
      file: '/project/jobs.yml',
      projectDir: '/project',
      pid: 4242,
      host: 'ci-1',
      orcaVersion: '0.1.0',
    },
    {type: 'image.pull', job: 'build', image: 'busybox:1.36', status: 'Downloading', current: 10, total: 100},
    {type: 'job.started', job: 'build', image: 'busybox:1.36', key: SHA('a')},
    {type: 'job.started', job: 'docs', image: 'busybox:1.36', key: SHA('d'), cache: 'disabled'},
    {type: 'job.container', job: 'build', containerId: 'c0ffee01', imageId: 'sha256:' + SHA('1')},
    {type: 'job.container', job: 'docs', containerId: 'c0ffee02', imageId: 'sha256:' + SHA('1')},
    {type: 'step.started', job: 'build', step: 0, name: 'compile'},
    {type: 'step.started', job: 'docs', step: 0, name: 'render'},
    {type: 'step.output', job: 'build', step: 0, stream: 'stdout', text: 'compiling 3 files\n'},
    {type: 'step.output', job: 'docs', step: 0, stream: 'stderr', text: 'render: missing title\n'},
    {type: 'step.output', job: 'build', step: 0, stream: 'stderr', text: 'token=***\nno newline at the end'},
    {type: 'step.finished', job: 'docs', index: 0, name: 'render', status: 'failed', exitCode: 2, durationMs: 250, allowFailure: false},
    {type: 'step.finished', job: 'docs', index: 1, name: 'publish', status: 'skipped', exitCode: null, durationMs: 0, allowFailure: false},
    {type: 'job.finished', job: 'docs', status: 'failed', durationMs: 400, cleanup: 'removed'},
    {type: 'step.finished', job: 'build', index: 0, name: 'compile', status: 'succeeded', exitCode: 0, durationMs: 1200, allowFailure: false},
    {type: 'step.started', job: 'build', step: 1, name: 'package'},
    {type: 'step.output', job: 'build', step: 1, stream: 'stdout', text: 'packed dist/app.tar\n'},
    {type: 'step.finished', job: 'build', index: 1, name: 'package', status: 'succeeded', exitCode: 0, durationMs: 300, allowFailure: false},
    {type: 'job.outputs', job: 'build', outputs: {version: '1.2.0'}},
    {type: 'job.artifacts', job: 'build', count: 2, bytes: 10240, manifest: 'artifacts/build.json', sha256: SHA('b')},
    {type: 'job.finished', job: 'build', status: 'succeeded', durationMs: 4200, cleanup: 'removed'},
    {type: 'image.build', image: 'build:tools', text: 'Step 1/2 : FROM busybox:1.36\n'},
    {type: 'image.ready', image: 'busybox:1.36', imageId: 'sha256:' + SHA('1'), source: 'pulled', durationMs: 900},
    {type: 'image.failed', image: 'build:tools', message: 'image build:tools could not be built: exit code 1'},
    {type: 'cache.remote', job: 'lint', key: SHA('c'), op: 'lookup', result: 'miss', durationMs: 12},
    {type: 'volume.saved', job: 'lint', volume: 'npm-cache', key: SHA('8'), to: 'local', bytes: 8192, durationMs: 5},
    {type: 'job.started', job: 'lint', image: 'busybox:1.36', key: SHA('c')},
    {type: 'job.warning', job: 'lint', kind: 'cache-damaged', message: 'cache entry cccccccccccc was damaged (blob missing): it was removed and the job runs'},
    {type: 'job.started', job: 'test', image: 'busybox:1.36', key: SHA('e')},
    {type: 'job.container', job: 'lint', containerId: 'c0ffee03', imageId: 'sha256:' + SHA('1')},
    {type: 'volume.restored', job: 'lint', volume: 'npm-cache', key: SHA('7'), source: 'remote', bytes: 4096, downloaded: 4096, durationMs: 30},
    {type: 'step.started', job: 'lint', step: 0, name: 'style'},
    {type: 'step.started', job: 'test', step: 0, name: 'sleep'},
    {type: 'step.output', job: 'lint', step: 0, stream: 'stdout', text: 'src/a.ts: trailing space\n'},
    {type: 'step.finished', job: 'lint', index: 0, name: 'style', status: 'failed', exitCode: 1, durationMs: 80, allowFailure: true},
    {type: 'step.started', job: 'lint', step: 1, name: 'types'},
    {type: 'step.output', job: 'lint', step: 1, stream: 'stdout', text: 'types: registry unreachable\n'},
    {type: 'step.finished', job: 'lint', index: 1, name: 'types', status: 'failed', exitCode: 1, durationMs: 70, allowFailure: false},
    // lint has retry: 1, and its second attempt passes: a flaky job.
    {type: 'job.retrying', job: 'lint', attempt: 1, maxAttempts: 2, status: 'failed', durationMs: 200},
    {type: 'job.container', job: 'lint', containerId: 'c0ffee04', imageId: 'sha256:' + SHA('1'), attempt: 2},
    {type: 'step.started', job: 'lint', step: 0, name: 'style', attempt: 2},
    {type: 'step.output', job: 'lint', step: 0, stream: 'stdout', text: 'src/a.ts: trailing space\n', attempt: 2},
    {type: 'step.finished', job: 'lint', index: 0, name: 'style', status: 'failed', exitCode: 1, durationMs: 80, allowFailure: true, attempt: 2},
    {type: 'step.started', job: 'lint', step: 1, name: 'types', attempt: 2},
    {type: 'step.finished', job: 'lint', index: 1, name: 'types', status: 'succeeded', exitCode: 0, durationMs: 90, allowFailure: false, attempt: 2},
    {type: 'job.finished', job: 'lint', status: 'succeeded', durationMs: 500, cleanup: 'removed', attempt: 2, flaky: true},
    {type: 'step.finished', job: 'test', index: 0, name: 'sleep', status: 'timed_out', exitCode: null, durationMs: 5000, allowFailure: false},
    {
      type: 'job.reports',
      job: 'test',
      junit: {
        tests: 3,
        failures: 1,
        errors: 0,
        skipped: 1,
        files: [{path: 'reports/test/junit.xml', bytes: 512, sha256: SHA('f')}],
        cases: [
          {suite: 'unit', name: 'adds', classname: 'math', time: 0.01, outcome: 'passed'},
          {suite: 'unit', name: 'divides', classname: 'math', time: 0.02, outcome: 'failed', message: 'expected 2, got 3', details: 'at div (src/math.js:7)', file: 'src/math.js', line: 7},
          {suite: 'unit', name: 'later', classname: 'math', outcome: 'skipped'},
        ],
      },
    },
    {
      type: 'job.finished',
      job: 'test',
      status: 'timed_out',
      durationMs: 5100,
      cleanup: 'kept',
      error: {kind: 'timeout', message: 'step "sleep" exceeded its timeout of 5s'},
    },
    {type: 'job.skipped', job: 'deploy', reason: 'needs test (timed_out)'},
    {type: 'run.finished', status: 'failed', durationMs: 9800},
  ])
}
