import {execFileSync} from 'node:child_process'
import {readFileSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {orca, projectsPerTest, readJson, readLines, runDirs} from './cli.js'

const project = projectsPerTest()

// Built by scripts/test-images.sh; the classic builder uses it without a pull because it is present.
const BASE = 'orca-test/busybox:latest'

/** The images orca built for this project folder, as `docker images` lists them (repository:tag). */
function builtImages(dir: string): string[] {
  const out = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `label=orca.project-dir=${realpathSync(dir)}`, '--filter', 'label=orca.build'], {encoding: 'utf8'})
  return out.split('\n').filter(Boolean).sort()
}

type Event = {type: string; job?: string; image?: string; text?: string; source?: string; error?: {kind: string; message: string}}

function events(run: string): Event[] {
  return readLines<Event>(join(run, 'events.jsonl'))
}

const DOCKERFILE = `FROM ${BASE}
COPY greeting.txt /greeting.txt
ARG FLAVOUR=plain
RUN echo "flavour $FLAVOUR" > /flavour
`

describe('images built from the project (real engine, classic builder)', () => {
  it('builds once for every job that names the build, reuses it across runs while the context is unchanged, and rebuilds when it changes', async () => {
    const dir = project({
      'ci/Dockerfile': DOCKERFILE,
      'ci/greeting.txt': 'hello from the context\n',
      'ci/notes.md': 'ignored by .dockerignore\n',
      'ci/.dockerignore': 'notes.md\n',
      'jobs.yml': `version: 1
jobs:
  one:
    image: {build: {context: ci, args: {FLAVOUR: mint}}}
    inputs: [jobs.yml]
    steps: ["cat /greeting.txt /flavour", "test ! -e /notes.md"]
  two:
    image: {build: {context: ci, args: {FLAVOUR: mint}}}
    inputs: [jobs.yml]
    steps: ["cat /flavour"]
`,
    })
    const first = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const [run1] = runDirs(dir)
    const log = readFileSync(join(run1!, 'logs/one.log'), 'utf8')
    // Docker's builder says `Step 1/8`, Podman's `STEP 1/8`.
    expect(log).toMatch(/step 1\//i)
    expect(log).toContain('hello from the context')
    expect(log).toContain('flavour mint')
    // Shared: one image, one build, its output in both jobs' logs.
    expect(builtImages(dir)).toHaveLength(1)
    expect(builtImages(dir)[0]).toMatch(/^orca-build\/[0-9a-f]{12}:[0-9a-f]{32}$/)
    expect(readFileSync(join(run1!, 'logs/two.log'), 'utf8')).toMatch(/step 1\//i)
    expect(events(run1!).filter((e) => e.type === 'image.ready')).toEqual([expect.objectContaining({image: 'build:ci', source: 'built'})])

    // Unchanged context (an ignored file changed): both jobs are hits, nothing is built or even found.
    writeFileSync(join(dir, 'ci/notes.md'), 'changed, still ignored\n')
    const second = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(second.code, second.stdout + second.stderr).toBe(0)
    const run2 = runDirs(dir)[1]!
    expect(readJson<{jobs: Record<string, {cache: string}>}>(join(run2, 'run.json')).jobs.one!.cache).toBe('hit')
    expect(events(run2).some((e) => e.type.startsWith('image.'))).toBe(false)

    // --no-cache runs the jobs again on the image built before: found by its tag, not rebuilt.
    const third = await orca(['run', '--output', 'plain', '--no-cache'], {cwd: dir})
    expect(third.code, third.stdout + third.stderr).toBe(0)
    const run3 = runDirs(dir)[2]!
    expect(events(run3).filter((e) => e.type === 'image.build')).toEqual([])
    expect(events(run3).find((e) => e.type === 'image.ready')).toMatchObject({source: 'present'})

    // A context file changed: explain names it, the image is rebuilt under a new tag and the jobs run.
    writeFileSync(join(dir, 'ci/greeting.txt'), 'hello again\n')
    const explain = await orca(['explain', 'one'], {cwd: dir})
    expect(explain.stdout).toContain('image build context changed: greeting.txt')
    const fourth = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(fourth.code, fourth.stdout + fourth.stderr).toBe(0)
    expect(readFileSync(join(runDirs(dir)[3]!, 'logs/one.log'), 'utf8')).toContain('hello again')
    expect(builtImages(dir)).toHaveLength(2)
  })

  it('fails only the jobs whose build fails, with the builder\'s error; the other jobs run and the run exits 1', async () => {
    const dir = project({
      'broken/Dockerfile': `FROM ${BASE}\nRUN echo about to fail && exit 7\n`,
      'jobs.yml': `version: 1
jobs:
  broken:
    image: {build: {context: broken}}
    steps: ["echo never runs"]
  after:
    needs: [broken]
    image: ${BASE}
    steps: ["echo never either"]
  fine:
    image: ${BASE}
    steps: ["echo fine"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stdout).toContain('[fine]')
    // The builder's own words: Docker's `returned a non-zero code: 7`, Podman's `exit status 7`.
    expect(result.stdout).toMatch(/\[broken\] +✗ failed \(image build:broken could not be built: .*(returned a non-zero code: 7|exit status 7)\)/)
    expect(result.stdout).not.toContain('never runs')
    const record = readJson<{status: string; error: unknown; jobs: Record<string, {status: string; error: {kind: string} | null}>}>(join(runDirs(dir)[0]!, 'run.json'))
    expect(record.jobs.fine!.status).toBe('succeeded')
    expect(record.jobs.broken).toMatchObject({status: 'failed', error: {kind: 'image'}})
    expect(record.jobs.after!.status).toBe('skipped')
    expect(record.error).toBeNull()
    expect(readFileSync(join(runDirs(dir)[0]!, 'logs/broken.log'), 'utf8')).toContain('about to fail')
    expect(builtImages(dir)).toEqual([])
  })

  it('refuses BuildKit-only syntax with a message that says which line and why, before sending anything to the builder', async () => {
    const dir = project({
      'ci/Dockerfile': `FROM ${BASE}\nRUN --mount=type=cache,target=/cache echo hi\n`,
      'jobs.yml': `version: 1\njobs:\n  a:\n    image: {build: {context: ci}}\n    steps: ["true"]\n`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('image build:ci: Dockerfile line 2: RUN --mount= is BuildKit-only, and this engine is reached through its classic builder')
  })

  it('fails only the job whose image cannot be pulled, with a clear error; the job with another image succeeds', async () => {
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  missing:
    image: orca-test/no-such-image:never
    steps: ["echo never"]
  present:
    image: ${BASE}
    steps: ["echo present ran"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    // A missing image is the engine's side (exit 3), though the other job ran.
    expect(result.code, result.stdout + result.stderr).toBe(3)
    expect(result.stdout).toContain('present ran')
    expect(result.stdout).toMatch(/\[missing\] +✗ failed \(could not pull image "orca-test\/no-such-image:never": /)
    expect(result.stdout).toContain('hint: check the image name and tag')
    const record = readJson<{error: unknown; jobs: Record<string, {status: string}>}>(join(runDirs(dir)[0]!, 'run.json'))
    expect(record.jobs.present!.status).toBe('succeeded')
    expect(record.jobs.missing!.status).toBe('failed')
    expect(record.error).toBeNull()
  })

  it('refuses a missing image under pull: never without asking a registry, and says how to get it', async () => {
    const dir = project({'jobs.yml': `version: 1\njobs:\n  a:\n    image: orca-test/no-such-image:never\n    pull: never\n    steps: ["true"]\n`})
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(3)
    expect(result.stdout).toContain('image "orca-test/no-such-image:never" is not there and pull: never forbids pulling it: the engine does not have it')
    expect(events(runDirs(dir)[0]!).some((e) => e.type === 'image.pull')).toBe(false)
  })

  it('runs a job on a platform its image has, and refuses one it does not have', async () => {
    const arch = execFileSync('docker', ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', BASE], {encoding: 'utf8'}).trim()
    const other = arch.endsWith('arm64') ? 'linux/amd64' : 'linux/arm64'
    const dir = project({
      'jobs.yml': `version: 1
jobs:
  native:
    image: ${BASE}
    platform: ${arch}
    steps: ["echo native ran"]
  foreign:
    image: ${BASE}
    platform: ${other}
    pull: never
    steps: ["echo never"]
`,
    })
    const result = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(result.code).toBe(3)
    expect(result.stdout).toContain('native ran')
    expect(result.stdout).toContain(`the engine has it only for ${arch}, not ${other}`)
  })
})

describe('orca clean --images', () => {
  it('keeps a built image a cache entry or a recorded run uses, and removes it once neither does', async () => {
    const dir = project({
      'ci/Dockerfile': DOCKERFILE,
      'ci/greeting.txt': 'hi\n',
      'jobs.yml': `version: 1\njobs:\n  a:\n    image: {build: {context: ci}}\n    steps: ["cat /greeting.txt"]\n`,
    })
    const run = await orca(['run', '--output', 'plain'], {cwd: dir})
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const [tag] = builtImages(dir)
    expect(tag).toBeDefined()

    const kept = await orca(['clean', '--images'], {cwd: dir})
    expect(kept.code, kept.stdout + kept.stderr).toBe(0)
    expect(builtImages(dir)).toEqual([tag])

    // The runs go: the cache entry alone still keeps it.
    expect((await orca(['clean', '--runs', '--images'], {cwd: dir})).code).toBe(0)
    expect(builtImages(dir)).toEqual([tag])

    const dry = await orca(['clean', '--cache', '--images', '--dry-run'], {cwd: dir})
    expect(dry.stdout).toContain('would remove cache')
    expect(builtImages(dir)).toEqual([tag])

    const gone = await orca(['clean', '--cache', '--images'], {cwd: dir})
    expect(gone.code, gone.stdout + gone.stderr).toBe(0)
    expect(gone.stdout).toContain(`removed image ${tag} (build:ci)`)
    expect(builtImages(dir)).toEqual([])
  })

  it('refuses --images with --all-projects: whether an image is needed is known from this project only', async () => {
    const dir = project({'jobs.yml': 'version: 1\njobs:\n  a: {image: busybox, steps: ["true"]}\n'})
    const result = await orca(['clean', '--images', '--all-projects'], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--images cleans this project's built images only")
  })
})
