import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {BlobStore} from '../../../../src/engine/artifacts/blobs.js'
import type {ArtifactEntry} from '../../../../src/engine/artifacts/manifest.js'
import type {CleanupPolicy, Job, Step} from '../../../../src/engine/pipeline/types.js'
import type {ExecutorEvent, JobContext, RunOutcomeStatus} from '../../../../src/engine/executor/types.js'
import {connectDocker} from '../../../../src/engine/executor/docker/connect.js'
import {volumeName} from '../../../../src/engine/executor/docker/container-spec.js'
import type {DockerExecutor} from '../../../../src/engine/executor/docker/docker-executor.js'
import {OrcaError} from '../../../../src/engine/errors.js'
import {projectIdentity} from '../../../../src/engine/project-identity.js'
import {job as pipelineJob} from '../../../helpers/pipeline.js'

const IMAGE = 'orca-test/busybox:latest'
let executor: DockerExecutor
let dir: string
const runIds: string[] = []

beforeAll(async () => {
  executor = await connectDocker({graceMs: 1_000})
  dir = await mkdtemp(path.join(tmpdir(), 'orca-docker-'))
})
afterEach(async () => {
  for (const runId of runIds.splice(0)) {
    const ids = docker('ps', '-aq', '--filter', `label=orca.run=${runId}`).split('\n').filter(Boolean)
    if (ids.length > 0) docker('rm', '-f', '-v', ...ids)
    // Kept containers leave the image that holds their filesystem.
    const images = docker('images', '-q', '--filter', `label=orca.run=${runId}`).split('\n').filter(Boolean)
    if (images.length > 0) docker('rmi', '-f', ...new Set(images))
  }
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function docker(...args: string[]): string {
  return execFileSync('docker', args, {encoding: 'utf8'}).trim()
}

function newRunId(): string {
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  runIds.push(id)
  return id
}

function step(run: string, extra: Partial<Step> = {}): Step {
  return {name: run.slice(0, 30), run, env: {}, allowFailure: false, ...extra}
}

function job(steps: Step[], extra: Partial<Job> = {}): Job {
  return pipelineJob('build', {image: IMAGE, network: 'none', ...extra, steps})
}

interface Harness {
  ctx: JobContext
  events: ExecutorEvent[]
  output(): string
  cancel: AbortController
}

async function harness(j: Job, extra: Partial<JobContext> = {}): Promise<Harness> {
  const events: ExecutorEvent[] = []
  const cancel = new AbortController()
  const artifactsDir = await mkdtemp(path.join(dir, 'artifacts-'))
  const ctx: JobContext = {
    runId: newRunId(),
    job: j,
    projectDir: dir,
    inputFiles: [],
    needArtifacts: [],
    blobs: new BlobStore(path.join(dir, 'cache/blobs'), path.join(dir, 'cache/tmp')),
    artifactsDir,
    reportsDir: `${artifactsDir}-reports`,
    env: {},
    cleanup: j.cleanup,
    cancel: cancel.signal,
    force: new AbortController().signal,
    emit: (event) => events.push(event),
    ...extra,
  }
  const output = (): string =>
    events.flatMap((e) => (e.type === 'step.output' ? [e.chunk.toString('utf8')] : [])).join('')
  return {ctx, events, output, cancel}
}

/** What one step wrote, on one stream or both. */
function stepOutput(events: ExecutorEvent[], index: number, stream?: 'stdout' | 'stderr'): string {
  return events.flatMap((e) => (e.type === 'step.output' && e.step === index && (stream === undefined || e.stream === stream) ? [e.chunk.toString('utf8')] : [])).join('')
}

function containersOf(runId: string): string[] {
  return docker('ps', '-a', '--filter', `label=orca.run=${runId}`, '--format', '{{.Names}} {{.State}}').split('\n').filter(Boolean)
}

describe('DockerExecutor', () => {
  it('runs steps in order in one container sharing the filesystem, with inputs and modes', async () => {
    const project = await mkdtemp(path.join(dir, 'project-'))
    await mkdir(path.join(project, 'src'))
    await writeFile(path.join(project, 'src/hello.txt'), 'hello from the project\n')
    await writeFile(path.join(project, 'run.sh'), '#!/bin/sh\necho script ran\n')
    await chmod(path.join(project, 'run.sh'), 0o755)
    const blobs = new BlobStore(path.join(dir, 'cache/blobs'), path.join(dir, 'cache/tmp'))
    const lib: ArtifactEntry = {path: 'lib.txt', type: 'file', mode: 0o644, ...blobs.putBytes(Buffer.from('from a needed job\n'))}
    const h = await harness(job([step('cat src/hello.txt lib.txt && echo shared > state'), step('cat state && ./run.sh && pwd')]), {
      projectDir: project,
      inputFiles: ['src/hello.txt', 'run.sh'],
      needArtifacts: [[lib]],
      blobs,
    })
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    expect(outcome.steps.map((s) => [s.status, s.exitCode])).toEqual([
      ['succeeded', 0],
      ['succeeded', 0],
    ])
    expect(h.output()).toBe('hello from the project\nfrom a needed job\nshared\nscript ran\n/workspace\n')
    expect(outcome.cleanup).toBe('removed')
    expect(containersOf(h.ctx.runId)).toEqual([])
  })

  it('collects artifacts matching the globs with size and sha256', async () => {
    const h = await harness(
      job([step('mkdir -p dist/sub reports && printf abc > dist/a.txt && printf xyz > dist/sub/b.bin && echo no > other.txt && echo r > reports/x.xml')], {
        artifacts: ['dist/**', 'reports/*.xml'],
      }),
    )
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex')
    expect(outcome.artifacts).toEqual([
      {path: 'dist/a.txt', type: 'file', mode: 0o644, size: 3, sha256: sha('abc')},
      {path: 'dist/sub/b.bin', type: 'file', mode: 0o644, size: 3, sha256: sha('xyz')},
      {path: 'reports/x.xml', type: 'file', mode: 0o644, size: 2, sha256: sha('r\n')},
    ])
    expect(await readFile(path.join(h.ctx.artifactsDir, 'dist/sub/b.bin'), 'utf8')).toBe('xyz')
  })

  it('keeps links inside the artifacts as links, and reports links out without keeping them', async () => {
    const h = await harness(
      job([step('mkdir -p node_modules/.bin node_modules/tool && echo run > node_modules/tool/cli.js && ln -s ../tool/cli.js node_modules/.bin/tool && ln -s /etc/passwd node_modules/passwd')], {
        artifacts: ['node_modules/**'],
      }),
    )
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.artifacts.filter((a) => a.type === 'symlink')).toEqual([{path: 'node_modules/.bin/tool', type: 'symlink', target: '../tool/cli.js'}])
    expect(await readlink(path.join(h.ctx.artifactsDir, 'node_modules/.bin/tool'))).toBe('../tool/cli.js')
    expect(await readFile(path.join(h.ctx.artifactsDir, 'node_modules/.bin/tool'), 'utf8')).toBe('run\n')
    expect(h.events.filter((e) => e.type === 'job.warning')).toEqual([
      {type: 'job.warning', warning: {kind: 'artifact-link-outside', path: 'node_modules/passwd', target: '/etc/passwd', message: expect.any(String)}},
    ])
  })

  it('records and stores artifacts under their names with secrets masked', async () => {
    const h = await harness(job([step('mkdir -p out && echo k > "out/key-$TOKEN.txt" && echo p > out/plain.txt')], {artifacts: ['out/**']}), {
      env: {TOKEN: 'hunter2-secret'},
      maskPath: (p) => p.replaceAll('hunter2-secret', '***'),
    })
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.artifacts.map((a) => a.path)).toEqual(['out/key-***.txt', 'out/plain.txt'])
    expect(await readdir(path.join(h.ctx.artifactsDir, 'out'))).toEqual(['key-***.txt', 'plain.txt'])
  })

  describe('a collection that does not finish leaves nothing in the run directory', () => {
    /** A job writing `files` files of about 4 KiB, each its own content, as its artifacts, into a run folder that does not exist yet. */
    async function bigArtifacts(files: number): Promise<Harness & {runDir: string}> {
      const runDir = await mkdtemp(path.join(dir, 'run-'))
      const h = await harness(job([step(`mkdir -p out && for i in $(seq ${files}); do { echo $i; head -c 4090 /dev/zero; } > out/f$i; done`)], {artifacts: ['out/**']}), {
        artifactsDir: path.join(runDir, 'artifacts', 'build'),
        // A store of its own: what reaches it shows the copy has begun.
        blobs: new BlobStore(path.join(runDir, 'cache/blobs'), path.join(runDir, 'cache/tmp')),
      })
      return {...h, runDir}
    }

    it('over the size cap', async () => {
      const capped = await connectDocker({graceMs: 1_000, maxArtifactBytes: 10 * 4096})
      const h = await bigArtifacts(20)
      const outcome = await capped.runJob(h.ctx)
      expect(outcome.status).toBe('failed')
      expect(outcome.error).toMatchObject({kind: 'artifact', message: expect.stringContaining('larger than')})
      expect(outcome.artifacts).toEqual([])
      expect(await readdir(path.join(h.runDir, 'artifacts')).catch(() => [])).toEqual([])
    })

    it('cancelled mid-copy', async () => {
      const h = await bigArtifacts(1500)
      const parent = path.join(h.runDir, 'artifacts')
      // Cancel once the copy has begun: its first content has reached the store.
      const poll = setInterval(() => {
        void readdir(h.ctx.blobs.dir).then(
          (names) => names.length > 0 && h.cancel.abort(),
          () => undefined,
        )
      }, 5)
      const outcome = await executor.runJob(h.ctx).finally(() => clearInterval(poll))
      expect(h.cancel.signal.aborted).toBe(true)
      expect(outcome.status).toBe('cancelled')
      expect(outcome.error).toMatchObject({kind: 'cancelled'})
      expect(await readdir(parent).catch(() => [])).toEqual([])
      expect(await readdir(h.ctx.blobs.tmpDir)).toEqual([])
      expect(containersOf(h.ctx.runId)).toEqual([])
    })
  })

  it('fails on a non-zero exit, skips later steps, and lists every step', async () => {
    const h = await harness(job([step('echo one'), step('exit 3'), step('echo never')]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('failed')
    expect(outcome.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['echo one', 'succeeded', 0],
      ['exit 3', 'failed', 3],
      ['echo never', 'skipped', null],
    ])
    expect(h.output()).not.toContain('never')
    expect(h.events.filter((e) => e.type === 'step.finished')).toHaveLength(3)
  })

  it('continues after a step that is allowed to fail', async () => {
    const h = await harness(job([step('exit 1', {allowFailure: true}), step('echo after')]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    expect(outcome.steps.map((s) => s.status)).toEqual(['failed', 'succeeded'])
    expect(h.output()).toBe('after\n')
  })

  it('stops a step at its timeout and removes the container', async () => {
    const h = await harness(job([step('echo start; sleep 60', {timeoutMs: 500}), step('echo never')]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('timed_out')
    expect(outcome.steps.map((s) => s.status)).toEqual(['timed_out', 'skipped'])
    expect(outcome.error?.kind).toBe('timeout')
    expect(outcome.error?.message).toContain('exceeded its timeout')
    expect(containersOf(h.ctx.runId)).toEqual([])
  })

  it('sends SIGTERM to the step first', async () => {
    const h = await harness(job([step("trap 'echo got TERM; exit 0' TERM; echo waiting; sleep 300 & wait", {timeoutMs: 500})]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('timed_out')
    expect(h.output()).toBe('waiting\ngot TERM\n')
  })

  it('kills a step that ignores SIGTERM after the grace period', async () => {
    // Without the SIGKILL this step would outlive the test's own timeout.
    const h = await harness(job([step("trap '' TERM; sleep 300", {timeoutMs: 300})]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('timed_out')
    expect(outcome.steps[0]).toMatchObject({status: 'timed_out', exitCode: null})
    expect(containersOf(h.ctx.runId)).toEqual([])
  })

  it('enforces the job timeout across steps', async () => {
    // The job's clock starts with its container: room for a slow start on a loaded engine before the first step ends.
    const h = await harness(job([step('sleep 0.2'), step('sleep 60')], {timeoutMs: 8_000}))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('timed_out')
    expect(outcome.steps.map((s) => s.status)).toEqual(['succeeded', 'timed_out'])
  })

  it('cancels through the AbortSignal', async () => {
    const h = await harness(job([step('echo running; sleep 60'), step('echo never')]))
    const promise = executor.runJob(h.ctx)
    const poll = setInterval(() => {
      if (h.output().includes('running')) h.cancel.abort()
    }, 20)
    const outcome = await promise.finally(() => clearInterval(poll))
    expect(outcome.status).toBe('cancelled')
    expect(outcome.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped'])
    expect(containersOf(h.ctx.runId)).toEqual([])
  })

  it('stops a multi-line step at its first failing command (sh -e)', async () => {
    const h = await harness(job([step('echo first\nfalse\necho after the failure'), step('echo never')]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('failed')
    expect(outcome.steps.map((s) => [s.status, s.exitCode])).toEqual([
      ['failed', 1],
      ['skipped', null],
    ])
    expect(h.output()).toBe('first\n')
  })

  it('ends a step with its shell when a background process still holds its output', async () => {
    // The background writer speaks 1 s after the first step ends, while the second step sleeps:
    // its line belongs to the second step. Were the first step held open by the background
    // processes (Docker keeps an exec's output open 2 s after it exits), the line would land in the first.
    const h = await harness(job([step('sleep 30 & (sleep 1; echo from the background) & echo started'), step('sleep 3; echo second')]))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    expect(stepOutput(h.events, 0)).toBe('started\n')
    expect(stepOutput(h.events, 1)).toBe('from the background\nsecond\n')
    // Generous: an exec alone takes ≈ 0.1 s here; held open by `sleep 30`, the step took 2 s or more.
    expect(outcome.steps[0]!.durationMs).toBeLessThan(1_800)
  })

  it('ends a step with its shell for a non-root job user too', async () => {
    const h = await harness(job([step('sleep 30 & id -u'), step('echo second')], {user: '1000:1000'}))
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    expect(h.output()).toBe('1000\nsecond\n')
    expect(outcome.steps[0]!.durationMs).toBeLessThan(1_800)
  })

  it('gives the same output and results whether steps write to the container output or to their exec', async () => {
    const steps = [
      step('echo out; echo err >&2; printf "no newline"'),
      step('printf "%s\\n" "ünïcödé ✓"; echo more err >&2; echo last'),
      step('echo partial; exit 7', {allowFailure: true}),
      step('echo a\nfalse\necho not printed'),
      step('echo skipped'),
    ]
    const viaExec = await connectDocker({graceMs: 1_000, stepOutput: 'exec'})
    const results = []
    for (const runner of [executor, viaExec]) {
      const h = await harness(job(steps))
      const outcome = await runner.runJob(h.ctx)
      results.push({
        status: outcome.status,
        steps: outcome.steps.map((s) => [s.status, s.exitCode]),
        output: steps.map((_, index) => ({stdout: stepOutput(h.events, index, 'stdout'), stderr: stepOutput(h.events, index, 'stderr')})),
      })
    }
    expect(results[0]).toEqual(results[1])
    // Both join a step's stderr to its stdout, in the order it was written.
    expect(results[0]!.output[0]).toEqual({stdout: 'out\nerr\nno newline', stderr: ''})
    expect(results[0]!.steps.at(-2)).toEqual(['failed', 1])
  })

  describe('cleanup policies', () => {
    const cases: Array<[CleanupPolicy, RunOutcomeStatus, 'kept' | 'removed']> = [
      ['always_remove', 'failed', 'removed'],
      ['remove_on_completion', 'succeeded', 'removed'],
      ['remove_on_completion', 'failed', 'kept'],
      ['keep_on_completion', 'succeeded', 'kept'],
      ['keep_on_completion', 'timed_out', 'removed'],
      ['remove_on_timeout', 'failed', 'kept'],
      ['remove_on_timeout', 'timed_out', 'removed'],
      ['never_remove', 'timed_out', 'kept'],
    ]
    const stepFor: Record<string, Step> = {
      succeeded: step('true'),
      failed: step('false'),
      timed_out: step('sleep 60', {timeoutMs: 300}),
    }
    it.each(cases)('%s on a %s job: %s', async (policy, status, expected) => {
      const h = await harness(job([stepFor[status]!], {cleanup: policy}))
      const outcome = await executor.runJob(h.ctx)
      expect(outcome.status).toBe(status)
      expect(outcome.cleanup).toBe(expected)
      const left = containersOf(h.ctx.runId)
      if (expected === 'removed') {
        expect(left).toEqual([])
      } else {
        expect(left).toHaveLength(1)
        expect(left[0]).toMatch(/-kept created$/)
        expect(docker('ps', '-aq', '--filter', `label=orca.run=${h.ctx.runId}`, '--filter', 'label=orca.kept=true')).not.toBe('')
        // A kept container is not a leak, and cleanup of its run leaves it alone.
        const leaks = await executor.findLeaks(() => false, {projectId: projectIdentity(dir).id})
        expect(leaks.map((l) => l.runId)).not.toContain(h.ctx.runId)
        await executor.cleanup(h.ctx.runId)
        expect(containersOf(h.ctx.runId)).toHaveLength(1)
      }
    })
  })

  it('never writes secret values into labels, the command or the container config', async () => {
    const secret = `s3cr3t-${randomBytes(6).toString('hex')}`
    const h = await harness(job([step('test "$TOKEN" = "$EXPECTED" && echo match')], {cleanup: 'never_remove'}), {
      env: {TOKEN: secret, EXPECTED: secret},
    })
    const outcome = await executor.runJob(h.ctx)
    expect(outcome.status).toBe('succeeded')
    expect(h.output()).toBe('match\n')
    const inspect = docker('inspect', outcome.containerId!)
    expect(inspect).not.toContain(secret)
    const config = JSON.parse(inspect)[0].Config
    expect(config.Labels).toMatchObject({'orca.managed': 'true', 'orca.run': h.ctx.runId, 'orca.job': 'build'})
    expect(JSON.parse(inspect)[0].HostConfig).toMatchObject({Init: true, Privileged: false, SecurityOpt: ['no-new-privileges']})
  })

  it("keeps named volumes across a project's jobs, labelled with the project, apart from other projects' and never leaks", async () => {
    const name = `t-${randomBytes(4).toString('hex')}`
    const project = projectIdentity(dir)
    const otherDir = await mkdtemp(path.join(dir, 'other-project-'))
    const names = [volumeName(project, name), volumeName(projectIdentity(otherDir), name)]
    try {
      const first = await harness(job([step('echo cached > /cache/value')], {volumes: {[name]: '/cache'}}))
      expect((await executor.runJob(first.ctx)).status).toBe('succeeded')
      const second = await harness(job([step('cat /cache/value')], {volumes: {[name]: '/cache'}}))
      expect((await executor.runJob(second.ctx)).status).toBe('succeeded')
      expect(second.output()).toBe('cached\n')
      // Another project naming a volume the same way gets its own.
      const other = await harness(job([step('cat /cache/value 2>/dev/null || echo empty')], {volumes: {[name]: '/cache'}}), {projectDir: otherDir})
      expect((await executor.runJob(other.ctx)).status).toBe('succeeded')
      expect(other.output()).toBe('empty\n')
      const labels = JSON.parse(docker('volume', 'inspect', '-f', '{{json .Labels}}', names[0]!))
      expect(labels).toEqual({'orca.managed': 'true', 'orca.volume': name, 'orca.project': project.id, 'orca.project-dir': project.dir})
      expect((await executor.findLeaks(() => false, {projectId: project.id})).map((l) => l.kind)).not.toContain('volume')
    } finally {
      execFileSync('docker', ['volume', 'rm', '-f', ...names])
    }
  })

  it('reports leaks of a dead run and cleans them up', async () => {
    const h = await harness(job([step('sleep 60')]))
    const scope = {projectId: projectIdentity(dir).id}
    const promise = executor.runJob(h.ctx)
    // Once its step runs (before that, the engine may still be creating the container a removal would miss)...
    for (let i = 0; i < 200 && !h.events.some((e) => e.type === 'step.started'); i++) await new Promise((r) => setTimeout(r, 50))
    // ...the job's container is a leak to anyone who believes the run is dead.
    let leaks: Awaited<ReturnType<DockerExecutor['findLeaks']>> = []
    for (let i = 0; i < 100 && leaks.length === 0; i++) {
      leaks = (await executor.findLeaks((run) => run !== h.ctx.runId, scope)).filter((l) => l.runId === h.ctx.runId)
      if (leaks.length === 0) await new Promise((r) => setTimeout(r, 50))
    }
    expect(leaks).toEqual([expect.objectContaining({kind: 'container', runId: h.ctx.runId, job: 'build'})])
    expect(await executor.findLeaks((run) => run === h.ctx.runId, scope)).not.toContainEqual(expect.objectContaining({runId: h.ctx.runId}))
    // Another project's view of the engine does not include this project's leak.
    const elsewhere = {projectId: projectIdentity(path.join(dir, 'another-project')).id}
    expect(await executor.findLeaks(() => false, elsewhere)).not.toContainEqual(expect.objectContaining({runId: h.ctx.runId}))
    await executor.cleanup(h.ctx.runId)
    const outcome = await promise
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.kind).toBe('infra')
    expect(containersOf(h.ctx.runId)).toEqual([])
  })

  it('names an image that cannot be pulled', async () => {
    const promise = executor.prepare(['orca-test/does-not-exist:never'], {signal: new AbortController().signal})
    await expect(promise).rejects.toThrow(OrcaError)
    await expect(promise).rejects.toMatchObject({kind: 'infra', message: expect.stringContaining('could not pull image "orca-test/does-not-exist:never"')})
  })

  it('returns image IDs for local images', async () => {
    const ids = await executor.prepare([IMAGE, IMAGE], {signal: new AbortController().signal})
    expect(ids.get(IMAGE)).toBe(docker('image', 'inspect', '-f', '{{.Id}}', IMAGE))
  })
})

describe('connectDocker', () => {
  it('fails with an infra error naming the endpoint it tried', async () => {
    const promise = connectDocker({host: 'unix:///nonexistent.sock', timeoutMs: 2_000})
    await expect(promise).rejects.toMatchObject({kind: 'infra', exitCode: 3})
    await expect(promise).rejects.toThrow('unix:///nonexistent.sock (from config docker.host)')
  })
})
