import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {fanOut} from '../../../src/engine/ci-export/fan-out.js'
import {renderGithubWorkflow, renderGitlabPipeline, type RenderOptions} from '../../../src/engine/ci-export/render.js'
import {staleness} from '../../../src/engine/ci-export/staleness.js'
import {OrcaError} from '../../../src/engine/errors.js'
import {parsePipeline} from '../../../src/engine/pipeline/parse.js'
import {ciValidator} from '../../helpers/ci-schemas.js'

const JOBS = `version: 1
image: busybox:1.36
jobs:
  deps:
    steps: ["echo deps"]
  build:
    needs: [deps]
    secrets: [NPM_TOKEN]
    steps: ["echo build"]
    artifacts: {paths: ["out/**"], when: always}
  lint:
    needs: [deps]
    steps: ["echo lint"]
  test:
    needs: [build]
    matrix: {shard: ["1", "2"]}
    steps: ["echo test"]
  report:
    needs: [test]
    when: always
    steps: ["echo report"]
  notify:
    needs: [test, lint]
    when: on_failure
    steps: ["echo notify"]
  gate:
    needs: [build]
    if: needs.build.result == 'failure'
    steps: ["echo gate"]
  pages:
    steps: ["echo a job GitLab would read as its Pages job"]
`

const pipeline = parsePipeline(JOBS, 'jobs.yml', '/project/jobs.yml', {timeoutMs: 60_000, cleanup: 'always_remove'})
const options: RenderOptions = {jobsFile: 'jobs.yml', install: 'npm install -g orca-runner@1.0.0', orca: 'orca', cache: 'ci', secrets: [], runner: 'docker'}

type GithubJob = {name: string; needs?: string[]; if?: string; env?: Record<string, string>; steps: Array<{uses?: string; run?: string; if?: string; with?: Record<string, unknown>}>}

describe('fanOut: the DAG as CI jobs', () => {
  it('gives one CI job per orca job and per matrix expansion, needs as in jobs.yml, depth as the longest chain', () => {
    const jobs = fanOut(pipeline)
    expect(jobs.map((j) => [j.name, j.needs, j.depth])).toEqual([
      ['deps', [], 0],
      ['build', ['deps'], 1],
      ['lint', ['deps'], 1],
      ['test-shard1', ['build'], 2],
      ['test-shard2', ['build'], 2],
      ['report', ['test-shard1', 'test-shard2'], 3],
      ['notify', ['lint', 'test-shard1', 'test-shard2'], 3],
      ['gate', ['build'], 2],
      ['pages', [], 0],
    ])
    expect(Object.fromEntries(jobs.map((j) => [j.name, j.when]))).toMatchObject({deps: 'on_success', report: 'always', notify: 'on_failure', gate: 'always'})
    expect(jobs.find((j) => j.name === 'build')!.secrets).toEqual(['NPM_TOKEN'])
  })

  it('exports only what the targets need', () => {
    expect(fanOut(pipeline, {targets: ['test']}).map((j) => j.name)).toEqual(['deps', 'build', 'test-shard1', 'test-shard2'])
  })

  it('runs a group and its needs in one CI job, and points the jobs after it at the group', () => {
    const jobs = fanOut(pipeline, {targets: ['report'], groups: ['build']})
    expect(jobs.map((j) => [j.name, j.jobs, j.needs])).toEqual([
      ['build', ['deps', 'build'], []],
      ['test-shard1', ['test-shard1'], ['build']],
      ['test-shard2', ['test-shard2'], ['build']],
      ['report', ['report'], ['test-shard1', 'test-shard2']],
    ])
  })

  it('refuses a job in two groups and a group outside the export, with a hint', () => {
    const twice = (): unknown => fanOut(pipeline, {groups: ['build', 'lint']})
    expect(twice).toThrow(OrcaError)
    expect(twice).toThrow('job deps is in two groups, build and lint')
    expect(() => fanOut(pipeline, {targets: ['lint'], groups: ['build']})).toThrow('--group build is not among the jobs exported')
  })
})

describe('the GitHub workflow', () => {
  const text = renderGithubWorkflow(fanOut(pipeline), options)
  const workflow = parse(text) as {jobs: Record<string, GithubJob>}

  it('validates against the vendored SchemaStore schema', () => {
    expect(ciValidator('github-workflow.json')(workflow)).toEqual([])
  })

  it("points orca at the folders the CI keeps, whatever orca.config.yml says", () => {
    expect((workflow as unknown as {env: unknown}).env).toEqual({ORCA_CACHE_DIR: '.orca/cache', ORCA_RUNS_DIR: '.orca/runs'})
  })

  it('mirrors the DAG in needs: and maps when: to if:', () => {
    expect(workflow.jobs['notify']).toMatchObject({needs: ['lint', 'test-shard1', 'test-shard2'], if: '${{ failure() }}'})
    expect(workflow.jobs['report']!.if).toBe('${{ !cancelled() }}')
    expect(workflow.jobs['gate']!.if).toBe('${{ !cancelled() }}')
    expect(workflow.jobs['build']!.if).toBeUndefined()
  })

  it("runs the job with its needs from the cache, after restoring what each need saved and before saving its own", () => {
    const steps = workflow.jobs['report']!.steps
    expect(steps.map((s) => s.uses ?? s.run)).toEqual([
      'actions/checkout@v4',
      'actions/setup-node@v4',
      'npm install -g orca-runner@1.0.0',
      'actions/cache/restore@v4',
      'actions/cache/restore@v4',
      'actions/cache/restore@v4',
      'orca run report --needs-from-cache -f jobs.yml',
      'actions/cache/save@v4',
      'actions/upload-artifact@v4',
    ])
    expect(steps[3]!.with).toEqual({path: '.orca/cache', key: 'orca-${{ runner.os }}-test-shard1-${{ github.sha }}'})
    expect(steps[5]!.with).toMatchObject({key: 'orca-${{ runner.os }}-report-${{ github.sha }}', 'restore-keys': 'orca-${{ runner.os }}-report-'})
    expect(steps[7]!.with).toEqual({path: '.orca/cache', key: 'orca-${{ runner.os }}-report-${{ github.sha }}'})
    // The run directory, a failed job's artifacts included, is kept whatever happened.
    expect(steps[8]).toMatchObject({if: 'always()', with: {path: '.orca/runs', 'include-hidden-files': true}})
  })

  it("hands the jobs' secrets and --secret names to orca from repository secrets", () => {
    const withSecret = parse(renderGithubWorkflow(fanOut(pipeline), {...options, secrets: ['ORCA_CACHE_TOKEN']})) as {jobs: Record<string, GithubJob>}
    expect(withSecret.jobs['build']!.env).toEqual({NPM_TOKEN: '${{ secrets.NPM_TOKEN }}', ORCA_CACHE_TOKEN: '${{ secrets.ORCA_CACHE_TOKEN }}'})
    expect(withSecret.jobs['deps']!.env).toEqual({ORCA_CACHE_TOKEN: '${{ secrets.ORCA_CACHE_TOKEN }}'})
  })

  it("leaves the CI's cache out when orca's remote cache carries the results", () => {
    const remote = parse(renderGithubWorkflow(fanOut(pipeline), {...options, cache: 'remote'})) as {jobs: Record<string, GithubJob>}
    expect(ciValidator('github-workflow.json')(remote)).toEqual([])
    expect(remote.jobs['report']!.steps.filter((s) => s.uses?.startsWith('actions/cache'))).toEqual([])
  })

  it('gives a job whose name starts with a digit an id GitHub accepts', () => {
    const digits = parsePipeline('version: 1\nimage: busybox:1.36\njobs:\n  1st:\n    steps: ["true"]\n  2nd:\n    needs: [1st]\n    steps: ["true"]\n', 'jobs.yml', '/p/jobs.yml', {timeoutMs: 1000, cleanup: 'always_remove'})
    const doc = parse(renderGithubWorkflow(fanOut(digits), options)) as {jobs: Record<string, GithubJob>}
    expect(Object.keys(doc.jobs)).toEqual(['_1st', '_2nd'])
    expect(doc.jobs['_2nd']).toMatchObject({name: '2nd', needs: ['_1st']})
    expect(ciValidator('github-workflow.json')(doc)).toEqual([])
  })
})

describe('the GitLab child pipeline', () => {
  const text = renderGitlabPipeline(fanOut(pipeline), options)
  const doc = parse(text) as Record<string, {stage?: string; when?: string; needs?: string[]; dependencies?: string[]; script?: string[]; extends?: string; cache?: unknown}> & {stages: string[]}

  it('validates against the vendored SchemaStore schema, for either runner and either cache', () => {
    expect(ciValidator('gitlab-ci.json')(doc)).toEqual([])
    for (const runner of ['docker', 'shell'] as const) {
      for (const cache of ['ci', 'remote'] as const) expect(ciValidator('gitlab-ci.json')(parse(renderGitlabPipeline(fanOut(pipeline), {...options, runner, cache})))).toEqual([])
    }
  })

  it("expresses the DAG with needs: (a job with none starts at once), each in a stage after its needs', and maps when:", () => {
    expect(doc.stages).toEqual(['orca-0', 'orca-1', 'orca-2', 'orca-3'])
    expect(doc['build']).toMatchObject({stage: 'orca-1', needs: ['deps'], script: ['npm install -g orca-runner@1.0.0', 'orca run build --needs-from-cache -f jobs.yml']})
    expect(doc['deps']).toMatchObject({stage: 'orca-0', needs: []})
    expect(doc['report']).toMatchObject({stage: 'orca-3', when: 'always'})
    expect(doc['notify']).toMatchObject({stage: 'orca-3', when: 'on_failure', needs: ['lint', 'test-shard1', 'test-shard2']})
    // needs: alone says whose artifacts a job downloads: dependencies: would only repeat it.
    for (const [name, job] of Object.entries(doc)) if (name !== 'stages' && name !== '.orca') expect((job as {dependencies?: string[]}).dependencies, name).toBeUndefined()
    expect(doc['.orca']).toMatchObject({artifacts: {when: 'always', paths: ['.orca/cache', '.orca/runs']}})
  })

  it('renames a job GitLab would read as a setting', () => {
    expect(doc['orca-pages']).toMatchObject({script: ['npm install -g orca-runner@1.0.0', 'orca run pages --needs-from-cache -f jobs.yml']})
  })

  it('has no image or service for a shell runner', () => {
    const shell = parse(renderGitlabPipeline(fanOut(pipeline), {...options, runner: 'shell'})) as Record<string, Record<string, unknown>>
    expect(shell['.orca']).toEqual({
      variables: {ORCA_CACHE_DIR: '.orca/cache', ORCA_RUNS_DIR: '.orca/runs'},
      artifacts: {when: 'always', expire_in: '1 week', paths: ['.orca/cache', '.orca/runs']},
    })
  })
})

describe('staleness: what --check reports', () => {
  const current = renderGithubWorkflow(fanOut(pipeline), options)

  it('is empty for the same text and names added, removed and changed CI jobs otherwise', () => {
    expect(staleness('github', current, current)).toEqual([])
    const older = renderGithubWorkflow(fanOut(pipeline, {targets: ['report']}), {...options, install: 'npm install -g orca-runner@0.9.0'})
    expect(staleness('github', older, current)).toEqual([
      'CI jobs to add: lint, notify, gate, pages',
      'CI job deps changed: steps',
      'CI job build changed: steps',
      'CI job test-shard1 changed: steps',
      'CI job test-shard2 changed: steps',
      'CI job report changed: steps',
    ])
    expect(staleness('github', current, older)[0]).toBe('CI jobs to remove: lint, notify, gate, pages')
  })

  it('says when only comments differ, when the file is missing or unreadable', () => {
    expect(staleness('gitlab', `# edited\n${renderGitlabPipeline(fanOut(pipeline), options)}`, renderGitlabPipeline(fanOut(pipeline), options))).toEqual(['lines outside the jobs differ (comments, triggers or stages)'])
    expect(staleness('github', undefined, current)).toEqual(['the file does not exist'])
    expect(staleness('github', ': [', current)).toEqual(['the file is not a CI file orca can read (it does not parse as YAML with jobs)'])
  })
})
